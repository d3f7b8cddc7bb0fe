"""Restatements with both signatures: late data in a signed month is applied by the CIO or the
COO as a new revision, which both sign again, each with a comment; the earlier revision and its
pack stay readable, and until both have signed, the page shows the signed revision with a note."""

import io
import threading
import time
import unicodedata
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from metrics.models import MonthlySnapshot
from metrics.services.rollup import snapshot_roll_up
from scoreboard import demo
from scoreboard.exco.services import restatement_apply, review_sign
from scoreboard.models import MonthlyPack, MonthlyReview, Restatement
from tests import factories
from tests.db_rows import rows

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
REASON = "The claims warehouse re-sent March after the outage."
RESTATE_API = "/api/v1/reviews/2026-03/restate/"
RESTATEMENTS_API = "/api/v1/reviews/2026-03/restatements/"
SIGN_API = "/api/v1/reviews/2026-03/sign/"


def month_url(month=MARCH):
    return reverse("exco-month", args=[month])


def sign(client, slot, comment="Restated figures checked.", month=MARCH):
    return client.post(reverse("exco-sign-off", args=[month]), {"slot": slot, "comment": comment}, follow=True)


def restate(client, reason=REASON, month=MARCH):
    return client.post(reverse("exco-restate", args=[month]), {"reason": reason}, follow=True)


def late(kpi, value, day=20, **fields):
    return factories.MeasurementFactory(
        kpi=kpi, initiative=None, value=value, observed_at=datetime(2026, 3, day, tzinfo=UTC), **fields
    )


@pytest.fixture
def signed_march(kpi, cio, coo):
    """March at 65 % (target 80, red 60: amber), signed by both."""
    kpi.is_primary = True
    kpi.save()
    factories.TargetFactory(kpi=kpi)
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=65)
    snapshot_roll_up()
    review_sign(month=MARCH, by=cio, slot="cio", comment="On track.")
    review_sign(month=MARCH, by=coo, slot="coo", comment="Agreed.")
    return kpi


@pytest.fixture
def late_march(signed_march, ops_lead_a):
    """Late data after the sign-off: March would now read (65 + 95) / 2 = 80 %, green."""
    late(signed_march, 95, entered_by=ops_lead_a, entered_via="csv:late-march.csv")
    snapshot_roll_up(months=[MARCH])
    return signed_march


def _pdf_text(pdf: bytes) -> str:
    return unicodedata.normalize("NFKC", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def company_figure(kpi):
    return MonthlySnapshot.objects.get(kpi=kpi, month=MARCH, initiative=None)


# --- Seeing what is pending ------------------------------------------------------------------------------


def test_the_page_lists_each_pending_figure_as_signed_now_and_the_measurements_that_changed_it(client, cio, late_march):
    client.force_login(cio)
    page = client.get(month_url()).content.decode()
    section = page[page.index('id="restatements"') :]
    assert "65.0 %" in section
    assert "80.0 %" in section
    assert "95.0 % on 20 Mar" in section  # the late measurement, its day...
    assert "ops.a" in section
    assert "csv:late-march.csv" in section
    assert 'id="restate-form"' in section


def test_the_ops_lead_sees_the_pending_figures_and_history_but_no_apply_form(client, ops_lead_a, late_march):
    client.force_login(ops_lead_a)
    page = client.get(month_url()).content.decode()
    assert 'id="restatements"' in page
    assert 'id="restate-form"' not in page


# --- Applying ------------------------------------------------------------------------------------------


def test_applying_opens_revision_two_and_the_page_keeps_the_signed_figure_with_a_note(client, cio, late_march):
    client.force_login(cio)
    page = restate(client).content.decode()
    revision = MonthlyReview.objects.get(month=MARCH, revision=2)
    assert not revision.is_frozen
    assert revision.cio_signed_at is None
    assert revision.coo_signed_at is None
    restatement = revision.restatement
    assert (restatement.applied_by, restatement.reason) == (cio, REASON)
    assert list(restatement.figures.values_list("initiative", "signed_value", "restated_value")) == [(None, 65, 80)]
    # The signed revision is still what the page shows, with a visible note.
    assert company_figure(late_march).value == 65
    tile = page[page.index(f'id="kpi-{late_march.code}"') :]
    assert "65.0 %" in tile
    assert "Restatement awaiting both signatures: would read 80.0 %" in tile
    assert "Restatement awaiting signatures" in page
    assert "applied by Claire Ito (CIO)" in page


def test_both_signing_the_new_revision_makes_the_restated_figure_the_months_coloured_by_the_one_rule(
    client, cio, coo, late_march
):
    client.force_login(cio)
    restate(client)
    sign(client, "cio")
    assert company_figure(late_march).value == 65  # one signature: still the signed revision
    client.force_login(coo)
    page = sign(client, "coo").content.decode()
    figure = company_figure(late_march)
    assert (figure.value, figure.status, figure.pending_restatement_value) == (80, "green", None)
    revision = MonthlyReview.objects.get(month=MARCH, revision=2)
    assert revision.is_frozen
    assert MonthlyReview.objects.get(month=MARCH, revision=1).cio_comment == "On track."  # kept as signed
    assert revision.history.latest().history_change_reason.endswith(
        "both have signed revision 2: its restated figures stand"
    )
    assert "(revision 2, restated)" in page
    assert "Restatement awaiting" not in page


def test_the_revisions_and_who_restated_what_and_why_are_in_the_history(client, cio, coo, ceo, late_march):
    client.force_login(cio)
    restate(client)
    client.force_login(ceo)  # anyone who may read the month
    page = client.get(month_url()).content.decode()
    history = page[page.index('id="revision-2"') :]
    assert f"{REASON}" in history
    assert "Claire Ito (CIO)" in history
    assert "65.0 % → 80.0 %" in history
    assert Restatement.history.get().history_user == cio


def test_a_re_sign_needs_a_comment_and_stores_nothing_without_one(client, cio, late_march):
    client.force_login(cio)
    restate(client)
    before = rows()
    page = sign(client, "cio", comment=" ").content.decode()
    assert "Comment: A sign-off needs a comment" in page
    assert rows() == before


def test_applying_again_with_nothing_new_returns_the_same_revision(cio, coo, late_march):
    first = restatement_apply(month=MARCH, by=cio, reason=REASON)
    again = restatement_apply(month=MARCH, by=coo, reason="Retried.")
    assert again.pk == first.pk
    assert MonthlyReview.objects.filter(month=MARCH).count() == 2
    assert Restatement.objects.count() == 1


def test_late_data_while_a_revision_awaits_is_refused_until_it_is_signed_then_applies_as_the_next(
    client, cio, coo, late_march
):
    restatement_apply(month=MARCH, by=cio, reason=REASON)
    late(late_march, 35, day=21)  # March would now read (65 + 95 + 35) / 3 = 65, but revision 2 says 80
    late(late_march, 85, day=22)  # (65 + 95 + 35 + 85) / 4 = 70
    snapshot_roll_up(months=[MARCH])
    client.force_login(cio)
    page = client.get(month_url()).content.decode()
    assert "would read 80.0 %" in page
    assert "would now read 70.0 %" in page
    response = client.post(RESTATE_API, {"reason": REASON}, "application/json")
    assert response.status_code == 409, response.content
    assert "awaits both signatures" in response.json()["detail"]
    assert MonthlyReview.objects.filter(month=MARCH).count() == 2
    # Revision 2 is signed as it was applied (80); the later data stays pending, for revision 3.
    review_sign(month=MARCH, by=cio, slot="cio", comment="Checked.")
    review_sign(month=MARCH, by=coo, slot="coo", comment="Checked.")
    figure = company_figure(late_march)
    assert (figure.value, figure.pending_restatement_value) == (80, 70)
    third = restatement_apply(month=MARCH, by=coo, reason="The rest of the re-sent data.")
    assert third.revision == 3
    assert list(third.restatement.figures.values_list("signed_value", "restated_value")) == [(80, 70)]


# --- The packs -----------------------------------------------------------------------------------------


def test_the_earlier_revisions_pack_stays_downloadable_after_the_month_is_restated(client, cio, coo, late_march):
    client.force_login(cio)
    restate(client)  # keeps revision 1's pack, printed while its figures were the month's
    first = MonthlyPack.objects.get(month=MARCH, revision=1).pdf
    while_awaiting = client.get(reverse("exco-pack", args=[MARCH]))
    assert while_awaiting.content == bytes(first)  # the signed revision's pack
    sign(client, "cio")
    client.force_login(coo)
    sign(client, "coo")
    restated = client.get(reverse("exco-pack", args=[MARCH])).content
    # The summary row reads figure, target, status: 65 % against 80 % as signed, 80 % once restated.
    assert "65.0 % 80.0 % ▲ Amber" in _pdf_text(bytes(first))
    assert "80.0 % 80.0 %" in _pdf_text(restated)
    assert "65.0 % 80.0 %" not in _pdf_text(restated)
    assert MonthlyPack.objects.filter(month=MARCH).count() == 2
    old = client.get(reverse("exco-revision-pack", args=[MARCH, 1]))
    assert old.status_code == 200
    assert old.content == bytes(first)
    page = client.get(month_url()).content.decode()
    assert reverse("exco-revision-pack", args=[MARCH, 1]) in page
    assert reverse("exco-revision-pack", args=[MARCH, 2]) in page


def test_a_revision_without_a_kept_pack_is_not_found(client, cio, signed_march):
    client.force_login(cio)
    assert client.get(reverse("exco-revision-pack", args=[MARCH, 2])).status_code == 404


# --- Refusals, which store nothing ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user", "ceo"])
def test_only_the_cio_or_the_coo_applies_a_restatement_on_the_page(client, request, persona, late_march):
    client.force_login(request.getfixturevalue(persona))
    before = rows()
    response = client.post(reverse("exco-restate", args=[MARCH]), {"reason": REASON})
    assert response.status_code == 403
    assert "Only the CIO or the COO applies a restatement" in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize(
    ("persona", "says"), [("ops_lead_a", "executive"), ("admin_user", "executive"), ("ceo", "Only the CIO or the COO")]
)
def test_only_the_cio_or_the_coo_applies_a_restatement_through_the_api(client, request, persona, says, late_march):
    client.force_login(request.getfixturevalue(persona))
    before = rows()
    response = client.post(RESTATE_API, {"reason": REASON}, "application/json")
    assert response.status_code == 403
    assert rows() == before


def test_a_month_not_signed_by_both_cannot_be_restated(client, cio, kpi):
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=65)
    snapshot_roll_up()
    review_sign(month=MARCH, by=cio, slot="cio", comment="On track.")
    client.force_login(cio)
    before = rows()
    page = restate(client).content.decode()
    assert "is not signed off by both executives yet" in page
    response = client.post(RESTATE_API, {"reason": REASON}, "application/json")
    assert response.status_code == 400
    assert "not signed off by both" in response.json()["month"][0]
    assert rows() == before


def test_a_signed_month_without_late_data_has_nothing_to_restate(client, cio, signed_march):
    client.force_login(cio)
    before = rows()
    page = restate(client).content.decode()
    assert "has no pending restatement" in page
    assert rows() == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, "Fixed \x1b[31m"])
def test_a_restatement_needs_a_reason_of_sane_length(client, cio, late_march, reason):
    client.force_login(cio)
    before = rows()
    response = client.post(RESTATE_API, {"reason": reason}, "application/json")
    assert response.status_code == 400
    assert "reason" in response.json()
    page = restate(client, reason=reason).content.decode()
    assert "Reason: " in page
    assert rows() == before


def test_the_admin_shows_restatements_but_writes_none(client, admin_user, cio, late_march):
    restatement_apply(month=MARCH, by=cio, reason=REASON)
    client.force_login(admin_user)
    restatement = Restatement.objects.get()
    assert client.get(reverse("admin:scoreboard_restatement_change", args=[restatement.pk])).status_code == 200
    before = rows()
    change = client.post(
        reverse("admin:scoreboard_restatement_change", args=[restatement.pk]), {"reason": "Rewritten by the admin"}
    )
    assert change.status_code == 403
    assert client.post(reverse("admin:scoreboard_restatement_add"), {"reason": "x"}).status_code == 403
    review = MonthlyReview.objects.get(month=MARCH, revision=2)
    assert (
        client.post(reverse("admin:scoreboard_monthlyreview_change", args=[review.pk]), {"revision": 9}).status_code
        == 403
    )
    assert rows() == before


# --- The API -------------------------------------------------------------------------------------------


def test_the_api_lists_pending_figures_and_revisions_and_applies_then_both_sign(client, cio, coo, late_march):
    client.force_login(cio)
    listed = client.get(RESTATEMENTS_API).json()
    assert (listed["signed_revision"], listed["awaiting_revision"]) == (1, None)
    [pending] = listed["pending"]
    assert (pending["kpi"], pending["signed_value"], pending["value_now"]) == (
        late_march.code,
        "65.000000",
        "80.000000",
    )
    assert [m["value"] for m in pending["measurements"]] == ["95.000000"]
    applied = client.post(RESTATE_API, {"reason": REASON}, "application/json")
    assert applied.status_code == 200, applied.content
    assert applied.json()["revision"] == 2
    assert applied.json()["restatement"]["figures"][0]["restated_value"] == "80.000000"
    for who, slot in ((cio, "cio"), (coo, "coo")):
        client.force_login(who)
        signed = client.post(SIGN_API, {"slot": slot, "comment": "Checked."}, "application/json")
        assert signed.status_code == 200, signed.content
    assert signed.json()["is_frozen"]
    assert signed.json()["revision"] == 2
    listed = client.get(RESTATEMENTS_API).json()
    assert (listed["signed_revision"], listed["awaiting_revision"], listed["pending"]) == (2, None, [])
    assert [r["revision"] for r in listed["revisions"]] == [1, 2]
    assert listed["revisions"][0]["pack_url"] == reverse("exco-revision-pack", args=[MARCH, 1])


def test_a_re_sign_through_the_api_needs_a_comment(client, cio, late_march):
    restatement_apply(month=MARCH, by=cio, reason=REASON)
    client.force_login(cio)
    before = rows()
    response = client.post(SIGN_API, {"slot": "cio"}, "application/json")
    assert response.status_code == 400
    assert "comment" in response.json()
    assert rows() == before


# --- The page's cost -----------------------------------------------------------------------------------


def _restated_company(initiatives: int) -> date:
    """The demo company, its latest frozen month with late data applied as a restatement."""
    from django.contrib.auth import get_user_model

    demo.build_demo_company(seed=3, initiatives=initiatives, months=13)
    frozen = MonthlyReview.objects.filter(frozen_at__isnull=False).order_by("-month").first().month
    snapshots = MonthlySnapshot.objects.filter(month=frozen, value__isnull=False)
    for snapshot in snapshots[:40]:
        MonthlySnapshot.objects.filter(pk=snapshot.pk).update(pending_restatement_value=snapshot.value + 1)
    restatement_apply(month=frozen, by=get_user_model().objects.get(username="cio"), reason=REASON)
    return frozen


@pytest.mark.parametrize("initiatives", [12, 48])
def test_a_restated_months_page_costs_a_fixed_number_of_queries(client, initiatives, django_assert_max_num_queries):
    from django.contrib.auth import get_user_model

    month = _restated_company(initiatives)
    client.force_login(get_user_model().objects.get(username="cio"))
    # 19: the page's 13 (with the month's versions, exco/cache.py), then the restatements'
    # (restatements.py): the restatements with who applied them, their figures, the kept packs, the
    # pending figures, their count past the first thirty, and the measurements changed since the
    # sign-off.
    with django_assert_max_num_queries(19):
        response = client.get(month_url(month))
    assert response.status_code == 200
    assert "Restatement awaiting signatures" in response.content.decode()


def test_the_demo_company_shows_a_signed_month_with_a_restatement_to_apply(client):
    from django.contrib.auth import get_user_model

    demo.build_demo_company(seed=3, initiatives=12, months=6)
    frozen = MonthlyReview.objects.filter(frozen_at__isnull=False).order_by("-month").first().month
    assert MonthlySnapshot.objects.filter(month=frozen, pending_restatement_value__isnull=False).exists()
    client.force_login(get_user_model().objects.get(username="cio"))
    page = client.get(month_url(frozen)).content.decode()
    assert 'id="restate-form"' in page
    assert "-late.csv" in page
    # Only the late value changed the month since it was signed: the others were entered in time.
    section = page[page.index('id="restatements"') :]
    assert section.count(" via ") == section.count("-late.csv") >= 1


# --- Two at once, and a pack that cannot be printed ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_cio_and_the_coo_applying_at_the_same_moment_make_one_revision(cio, coo, late_march, monkeypatch):
    from scoreboard.exco import services

    real_keep = services.revision_pack_keep

    def slow_keep(month, revision):  # the real pack, printed slowly: the other apply arrives meanwhile
        time.sleep(1)
        return real_keep(month, revision)

    monkeypatch.setattr(services, "revision_pack_keep", slow_keep)
    answers = {}

    def apply(slot, person):
        try:
            answers[slot] = restatement_apply(month=MARCH, by=person, reason=REASON).pk
        except Exception as error:  # noqa: BLE001 -- what either got is what the test reads
            answers[slot] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=apply, args=pair) for pair in (("cio", cio), ("coo", coo))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    second = MonthlyReview.objects.get(month=MARCH, revision=2)
    assert answers == {"cio": second.pk, "coo": second.pk}
    assert MonthlyReview.objects.filter(month=MARCH).count() == 2
    assert Restatement.objects.count() == 1


def test_a_pack_that_cannot_be_printed_restates_nothing_and_says_why(client, cio, late_march, settings):
    settings.PDF_CHROMIUM_PATH = "/nowhere/chromium"
    client.force_login(cio)
    before = rows()

    page = restate(client).content.decode()
    answer = client.post(RESTATE_API, {"reason": REASON}, content_type="application/json")

    assert "Nothing was restated: the pack of March 2026 as signed (revision 1) could not be printed" in page
    assert answer.status_code == 503
    assert "could not be printed" in answer.json()["detail"]
    assert rows() == before

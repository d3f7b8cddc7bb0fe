"""The monthly ExCo dashboard: the page, its warning signs, the dual sign-off, drill-downs
and notes, the PDF pack, and a query count that does not grow with the company."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from governance.models import DecisionRequest, GovernanceGate
from initiatives.models import PrioritisationInput, WorkflowChange
from initiatives.vocabulary import shared_vocabulary
from metrics.models import Annotation, FrozenMonth, MonthlySnapshot
from metrics.services.rollup import snapshot_roll_up
from scoreboard import demo
from scoreboard.exco import dashboard
from scoreboard.models import MonthlyPack, MonthlyReview
from scoreboard.months import first_of_month
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
SECTIONS = ("primary", "headline", "layers", "warnings", "portfolio", "redesign", "roi", "decisions", "freshness")


def month_url(month=MARCH):
    return reverse("exco-month", args=[month])


@pytest.fixture
def march_figures(kpi):
    """One KPI with a company-wide figure in March and February."""
    kpi.is_primary = True
    kpi.save()
    factories.TargetFactory(kpi=kpi)
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=65)
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=75, observed_at=datetime(2026, 2, 10, tzinfo=UTC))
    snapshot_roll_up()
    return kpi


# --- The page ---------------------------------------------------------------------------


def test_month_page_shows_the_figure_target_status_and_change_from_last_month(client, cio, march_figures):
    client.force_login(cio)
    page = client.get(month_url()).content.decode()
    for section in SECTIONS:
        assert f'id="{section}"' in page, section
    tile = page[page.index(f'id="kpi-{march_figures.code}"') :]
    assert "65.0 %" in tile
    assert 'rag-amber">Amber' in tile  # 65 misses its target (80), above red (60)
    assert "Target ≥ 80.0 % · amber below 80.0 % · red below 60.0 %" in tile
    assert "−10.0 %" in tile  # from 75 in February
    assert 'class="worse"' in tile


def test_trend_chart_data_covers_twelve_months_with_the_target_line(client, cio, march_figures):
    client.force_login(cio)
    response = client.get(month_url())
    trend = response.context["charts"][f"trend-{march_figures.pk}"]
    assert len(trend["x"]) == 12
    assert trend["x"][-1] == "2026-03-01"
    assert trend["y"][-2:] == [75.0, 65.0]
    assert trend["target"][-1] == 80.0


def test_month_picker_moves_between_months_and_refuses_a_malformed_month(client, cio, march_figures):
    client.force_login(cio)
    assert client.get(reverse("exco-pick"), {"month": "2026-02"})["Location"] == "/exco/2026-02/"
    response = client.get(reverse("exco-pick"), {"month": "2026-13"}, follow=True)
    assert "Month: choose a month written as YYYY-MM" in response.content.decode()
    assert client.get("/exco/2026-13/").status_code == 404


def test_a_month_without_a_figure_yet_says_so_and_shows_the_latest_one(client, cio, march_figures):
    client.force_login(cio)
    page = client.get(month_url(date(2026, 4, 1))).content.decode()
    tile = page[page.index(f'id="kpi-{march_figures.code}"') :]
    assert "No figure yet" in tile
    assert "Latest: 65.0 % in March" in tile


def _company(initiatives: int):
    demo.build_demo_company(seed=3, initiatives=initiatives, months=13)


@pytest.mark.parametrize("initiatives", [12, 48])
def test_page_costs_a_fixed_number_of_queries_on_the_demo_company_and_one_four_times_larger(
    client, initiatives, django_assert_max_num_queries
):
    _company(initiatives)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="cio"))
    url = client.get("/")["Location"]
    # 13 when the month is computed: the dashboard's nine (the ninth reads the matrix decisions outside
    # their bounds, with their latest figures as subqueries, in one query), the session, the user and
    # their roles, and the month's versions (the cache's key, exco/cache.py). A cached hit: 4.
    with django_assert_max_num_queries(13):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.content) < 500 * 1024
    # Then from the cache: the session, the user, their roles and the versions.
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200


def test_each_kpi_is_drawn_once_and_its_layer_links_up_to_a_tile_shown_above(client):
    _company(12)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="cio"))
    response = client.get(client.get("/")["Location"])
    page = response.content.decode()
    from metrics.models import KPI

    trends = [int(key.removeprefix("trend-")) for key in response.context["charts"] if key.startswith("trend-")]
    kpis = list(KPI.objects.filter(pk__in=trends))
    assert len(kpis) > 10
    for kpi in kpis:
        assert page.count(f'id="kpi-{kpi.code}"') == 1, kpi.code
    # The AI health score is a shared outcome and the first measure of the AI-health layer: drawn
    # with the shared outcomes, and named in its layer with a link up to that tile.
    layers = page[page.index('id="layers"') : page.index('id="warnings"')]
    assert 'href="#kpi-ai-health-score"' in layers
    assert page.index('id="kpi-ai-health-score"') < page.index('id="layers"')


def _plain_reading(month):
    """What the portfolio sections must show, read the slow and obvious way: every
    initiative as an object, every flag worked out in Python."""
    from initiatives.models import LIVE_STAGES, Initiative

    initiatives = list(Initiative.objects.exclude(stage="retired").select_related("workflow_change", "prioritisation"))
    done = set(GovernanceGate.objects.filter(done_at__isnull=False).values_list("initiative_id", "kind"))
    adoption = {
        (s.kpi_id, s.initiative_id): s.value
        for s in MonthlySnapshot.objects.filter(month=month, initiative__isnull=False)
    }

    def workflow(i):
        return getattr(i, "workflow_change", None) if hasattr(i, "workflow_change") else None

    def redesigned(i):
        w = workflow(i)
        return bool(w and w.adoption_kpi_id and (adoption.get((w.adoption_kpi_id, i.pk)) or 0) > 0)

    def by_name(i):
        return (i.name, i.pk)

    stages = ["scaled", "production", "pilot", "building", "brief_signed", "assessed", "idea"]
    live = [i for i in initiatives if i.stage in LIVE_STAGES]
    score = shared_vocabulary
    mismatched = sorted(
        (
            i
            for i in initiatives
            if (o := score(i.technology_owner_description, i.operations_owner_description)) is not None and o < 0.15
        ),
        key=by_name,
    )
    candidates = [i for i in initiatives if i.stage in ("idea", "assessed") and hasattr(i, "prioritisation")]
    return {
        "stage_counts": {code: sum(1 for i in initiatives if i.stage == code) for code in stages},
        "portfolio": [
            i.name
            for i in sorted(initiatives, key=lambda i: (stages.index(i.stage), -i.expected_annual_benefit, *by_name(i)))
        ],
        "roi": [i.name for i in sorted(live, key=lambda i: (-i.expected_annual_benefit, *by_name(i)))],
        "pipeline": [i.name for i in sorted(candidates, key=lambda i: (-i.prioritisation.priority, *by_name(i)))],
        "redesign": (len(live), sum(1 for i in live if redesigned(i))),
        1: [i.name for i in mismatched],
        2: [i.name for i in sorted(live, key=by_name) if not redesigned(i)],
        6: [
            i.name
            for i in sorted(live, key=by_name)
            if not all((i.pk, kind) in done for kind in ("testing", "monitoring", "fallback"))
        ],
    }


def test_portfolio_sections_match_a_plain_reading_of_every_initiative(client):
    _company(48)
    from django.contrib.auth import get_user_model

    cio, coo = (get_user_model().objects.get(username=name) for name in ("cio", "coo"))
    for bandwidth in (5, 3, 3):  # more candidates than the pipeline shows, two of them tied
        candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
        PrioritisationInput.objects.create(
            initiative=candidate,
            management_bandwidth=bandwidth,
            process_structure=3,
            data_availability=3,
            risk_profile=3,
            roi_clarity=3,
            monthly_volume=500,
        )
    client.force_login(cio)
    response = client.get(client.get("/")["Location"])
    context = response.context
    plain = _plain_reading(context["month"])

    assert {c["code"]: c["count"] for c in context["stage_counts"]} == plain["stage_counts"]
    assert context["portfolio_total"] == len(plain["portfolio"]) > dashboard.PORTFOLIO_ROWS
    assert [r["initiative"].name for r in context["portfolio"]] == plain["portfolio"][: dashboard.PORTFOLIO_ROWS]
    roi_lines = [s["name"] for s in context["charts"]["roi"]["series"] if s["name"] != "Programme"]
    assert roi_lines == plain["roi"][: dashboard.ROI_LINES]
    assert context["pipeline_total"] == len(plain["pipeline"]) > dashboard.LISTED
    assert [r["initiative"].name for r in context["pipeline"]] == plain["pipeline"][: dashboard.LISTED]
    assert (context["redesign"]["live"], context["redesign"]["redesigned"]) == plain["redesign"]
    for number in (1, 2, 6):
        sign = _sign(response, number)
        assert sign.count == len(plain[number])
        assert [item["text"].split(":")[0] for item in sign.shown] == plain[number][: dashboard.LISTED]


def test_a_warning_sign_names_the_first_initiatives_and_counts_them_all(client, cio, coo, march_figures):
    for n in range(dashboard.LISTED + 2):
        factories.InitiativeFactory(
            name=f"Live initiative {n:02}", stage="production", technology_owner=cio, operations_owner=coo
        )
    client.force_login(cio)
    response = client.get(month_url())
    for number in (2, 6):  # no workflow change defined; no governance gate done
        sign = _sign(response, number)
        assert sign.count == dashboard.LISTED + 2
        assert [item["text"].split(":")[0] for item in sign.shown] == [
            f"Live initiative {n:02}" for n in range(dashboard.LISTED)
        ]
        assert sign.more == 2
    page = response.content.decode()
    assert f"{dashboard.LISTED + 2} raised" in page
    assert "and 2 more" in page


# --- Warning signs ------------------------------------------------------------------------


def _sign(response, number: int):
    return next(s for s in response.context["warnings"] if s.number == number)


def test_vocabulary_measure_is_the_share_of_meaningful_words_both_use():
    assert shared_vocabulary("Routes claims to handlers", "The claims are routed to the handler") == 1.0
    assert shared_vocabulary("Model accuracy on invoices", "Fewer disputes with suppliers") == 0.0
    assert shared_vocabulary("", "anything") is None


def test_warning_signs_name_the_initiatives_and_kpis_concerned(client, cio, coo, march_figures):
    mismatched = factories.InitiativeFactory(
        name="Supplier disputes",
        stage="production",
        technology_owner=cio,
        operations_owner=coo,
        technology_owner_description="A transformer model extracts entities from invoices.",
        operations_owner_description="Fewer disputes with suppliers and faster settlement.",
    )
    factories.KPIFactory(name="Talent retention", accountable_executive=cio, co_accountable_executive=None)
    DecisionRequest.objects.create(
        question="Approve the pilot budget?",
        requested_by=coo,
        executive=cio,
        requested_at=timezone.now() - timedelta(days=2),
        due_at=timezone.now() - timedelta(days=1),
    )
    MonthlyReview.objects.create(
        month=date(2026, 2, 1), cio_signed_by=cio, cio_signed_at=timezone.now(), cio_comment="ok"
    )
    client.force_login(cio)
    response = client.get(month_url())
    texts = {n: [i["text"] for i in _sign(response, n).items] for n in range(1, 7)}
    assert any("Supplier disputes" in t for t in texts[1])
    assert "Supplier disputes: no workflow change defined" in texts[2]
    assert texts[3] == [f"{march_figures.name} is stale"]  # it has March's value and a target
    assert any("Approve the pilot budget?" in t for t in texts[4])
    assert "Talent retention: only" in " ".join(texts[5])
    assert "February 2026 signed off without the COO" in texts[5]
    assert any(t.startswith("Supplier disputes: testing, monitoring, fallback procedure") for t in texts[6])
    # Each names a page an executive can open, not the admin.
    assert _sign(response, 1).items[0]["url"] == f"/initiatives/{mismatched.code}/#owners"


def test_primary_kpi_without_a_target_is_a_warning_sign(client, cio, kpi):
    kpi.is_primary = True
    kpi.save()
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=65)
    snapshot_roll_up()
    client.force_login(cio)
    items = [i["text"] for i in _sign(client.get(month_url()), 3).items]
    assert f"{kpi.name} has no target for March 2026" in items


def test_in_production_with_adoption_measured_is_not_flagged_and_counts_as_redesigned(client, cio, coo, march_figures):
    adoption = factories.KPIFactory(accountable_executive=coo, co_accountable_executive=cio)
    live = factories.InitiativeFactory(stage="production", technology_owner=cio, operations_owner=coo)
    WorkflowChange.objects.create(
        initiative=live, process_name="Intake", adoption_target_percent=80, adoption_kpi=adoption
    )
    for kind in ("testing", "monitoring", "fallback"):
        GovernanceGate.objects.create(initiative=live, kind=kind, done_by=coo, done_at=timezone.now())
    factories.MeasurementFactory(kpi=adoption, initiative=live, value=55)
    snapshot_roll_up()
    client.force_login(cio)
    response = client.get(month_url())
    assert not any(live.name in i["text"] for n in (2, 6) for i in _sign(response, n).items)
    assert response.context["redesign"]["rate"] == Decimal("100.0")
    assert "21 %" in response.content.decode()


# --- Sign-off -------------------------------------------------------------------------------


def sign(client, slot, comment="Reviewed with the COO; actions agreed.", month=MARCH, action="sign"):
    return client.post(
        reverse("exco-sign-off", args=[month]), {"slot": slot, "comment": comment, "action": action}, follow=True
    )


def test_cio_then_coo_sign_off_freezes_the_month_and_history_records_both(client, cio, coo, march_figures):
    client.force_login(cio)
    page = sign(client, "cio").content.decode()
    assert "Signed by one only" in page
    assert not FrozenMonth.objects.filter(month=MARCH).exists()
    client.force_login(coo)
    page = sign(client, "coo", "Operations agree.").content.decode()
    review = MonthlyReview.objects.get(month=MARCH)
    assert review.is_frozen
    assert review.cio_signed_by == cio
    assert review.coo_signed_by == coo
    assert review.coo_comment == "Operations agree."
    assert FrozenMonth.objects.filter(month=MARCH).exists()
    assert "Frozen" in page
    reasons = list(review.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons == ["Review opened", "CIO signed off", "COO signed off; both have signed: the month is frozen"]


def test_late_data_after_the_freeze_shows_as_a_restatement_not_a_new_figure(client, cio, coo, march_figures):
    client.force_login(cio)
    sign(client, "cio")
    client.force_login(coo)
    sign(client, "coo")
    factories.MeasurementFactory(
        kpi=march_figures, initiative=None, value=95, observed_at=datetime(2026, 3, 20, tzinfo=UTC)
    )
    snapshot_roll_up(months=[MARCH])
    snapshot = MonthlySnapshot.objects.get(kpi=march_figures, month=MARCH, initiative=None)
    assert snapshot.value == 65
    page = client.get(month_url()).content.decode()
    assert "pending restatement" in page
    assert "80.0 %" in page  # (65 + 95) / 2, shown as what it would now read


@pytest.mark.parametrize(("persona", "slot"), [("coo", "cio"), ("cio", "coo"), ("ceo", "cio"), ("ops_lead_a", "coo")])
def test_only_the_executive_with_that_title_signs_that_slot(client, request, persona, slot, march_figures):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("exco-sign-off", args=[MARCH]), {"slot": slot, "comment": "Signed."})
    assert response.status_code == 403
    assert not MonthlyReview.objects.filter(month=MARCH).exists()


def test_sign_off_without_a_comment_is_refused_naming_the_field(client, cio, march_figures):
    client.force_login(cio)
    page = sign(client, "cio", comment="  ").content.decode()
    assert "Comment: A sign-off needs a comment" in page
    assert not MonthlyReview.objects.filter(month=MARCH, cio_signed_at__isnull=False).exists()


def test_a_month_that_has_not_started_cannot_be_signed(client, cio):
    client.force_login(cio)
    future = first_of_month(timezone.localdate() + timedelta(days=40))
    page = sign(client, "cio", month=future).content.decode()
    assert "has not started" in page
    assert not MonthlyReview.objects.exists()


def test_signing_twice_is_idempotent(client, cio, march_figures):
    client.force_login(cio)
    sign(client, "cio")
    first = MonthlyReview.objects.get(month=MARCH)
    sign(client, "cio")
    again = MonthlyReview.objects.get(month=MARCH)
    assert again.cio_signed_at == first.cio_signed_at
    assert again.history.count() == 2  # created, then signed once


def test_withdrawing_a_sign_off_before_the_freeze_is_recorded(client, cio, march_figures):
    client.force_login(cio)
    sign(client, "cio")
    sign(client, "cio", action="withdraw")
    review = MonthlyReview.objects.get(month=MARCH)
    assert review.cio_signed_at is None
    assert review.cio_comment == ""
    assert review.history.latest().history_change_reason == "CIO withdrew the sign-off"


def test_a_frozen_month_cannot_be_withdrawn(client, cio, coo, march_figures):
    client.force_login(cio)
    sign(client, "cio")
    client.force_login(coo)
    sign(client, "coo")
    page = sign(client, "coo", action="withdraw").content.decode()
    assert "is frozen" in page
    assert MonthlyReview.objects.get(month=MARCH).coo_signed_at is not None


# --- Drill-down and notes ------------------------------------------------------------------


def test_drilldown_lists_the_measurements_behind_a_figure_with_source_time_and_author(client, cio, coo, march_figures):
    factories.MeasurementFactory(
        kpi=march_figures,
        initiative=None,
        value=70,
        entered_by=coo,
        note="from the warehouse",
        observed_at=datetime(2026, 3, 18, 9, 30, tzinfo=UTC),
    )
    client.force_login(cio)
    page = client.get(reverse("kpi-drilldown", args=[MARCH, march_figures.code])).content.decode()
    rows = page[page.index('id="measurements"') :]
    assert "Manual entry" in rows
    assert str(coo) in rows
    assert "18 Mar 2026 09:30" in rows
    assert "from the warehouse" in rows
    assert "75.0 %" not in rows  # February's measurement is not behind March's figure


def test_drilldown_of_a_ratio_lists_both_parts(client, cio, coo):
    cases = factories.KPIFactory(
        name="Cases", unit="count", aggregation="sum", accountable_executive=coo, co_accountable_executive=cio
    )
    errors = factories.KPIFactory(
        name="Errors", unit="count", aggregation="sum", accountable_executive=coo, co_accountable_executive=cio
    )
    rate = factories.KPIFactory(
        name="Error rate",
        unit="ratio",
        aggregation="ratio",
        ratio_numerator=errors,
        ratio_denominator=cases,
        accountable_executive=coo,
        co_accountable_executive=cio,
    )
    factories.MeasurementFactory(kpi=cases, initiative=None, value=200)
    factories.MeasurementFactory(kpi=errors, initiative=None, value=10)
    snapshot_roll_up()
    client.force_login(cio)
    page = client.get(reverse("kpi-drilldown", args=[MARCH, rate.code])).content.decode()
    assert "5.0 %" in page  # a ratio reads as a percentage
    rows = page[page.index('id="measurements"') :]
    assert "Cases" in rows
    assert "Errors" in rows


def test_an_accountable_executive_adds_a_note_that_shows_on_the_chart(client, cio, march_figures):
    client.force_login(cio)
    response = client.post(
        reverse("kpi-annotate", args=[MARCH, march_figures.code]), {"text": "Claims backlog cleared."}, follow=True
    )
    assert "Claims backlog cleared." in response.content.decode()
    notes = client.get(month_url()).context["charts"][f"trend-{march_figures.pk}"]["notes"]
    assert notes[0]["x"] == "2026-03-01"
    assert notes[0]["text"].startswith("Claims backlog cleared.")


@pytest.mark.parametrize("persona", ["ops_lead_a", "ceo"])
def test_someone_not_accountable_for_the_kpi_cannot_annotate_it(client, request, persona, march_figures):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("kpi-annotate", args=[MARCH, march_figures.code]), {"text": "Moved."})
    assert response.status_code == 403
    assert not Annotation.objects.exists()


def test_an_empty_note_is_refused_naming_the_field(client, cio, march_figures):
    client.force_login(cio)
    response = client.post(reverse("kpi-annotate", args=[MARCH, march_figures.code]), {"text": " "}, follow=True)
    assert "Text: Write what moved the figure" in response.content.decode()
    assert not Annotation.objects.exists()


# --- PDF pack -------------------------------------------------------------------------------


def _pdf(client, month=MARCH) -> bytes:
    response = client.get(reverse("exco-pack", args=[month]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_pdf_pack_has_pages_the_months_title_and_the_charts(client, cio, march_figures):
    client.force_login(cio)
    reader = PdfReader(BytesIO(_pdf(client)))
    assert len(reader.pages) >= 2
    first, second = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "ExCo pack · March 2026" in first  # the summary
    assert "ExCo dashboard · March 2026" in second  # the figures behind it
    assert "Jan" in second  # a chart's axis: the charts were drawn before printing


def test_a_frozen_months_pack_is_the_same_whenever_it_is_rendered(client, cio, coo, march_figures):
    client.force_login(cio)
    sign(client, "cio")
    client.force_login(coo)
    sign(client, "coo")
    first = _pdf(client)
    factories.MeasurementFactory(
        kpi=march_figures, initiative=None, value=99, observed_at=datetime(2026, 3, 21, tzinfo=UTC)
    )
    snapshot_roll_up(months=[MARCH])
    assert _pdf(client) == first
    assert MonthlyPack.objects.get(month=MARCH).sha256


def test_an_open_months_pack_is_rendered_afresh(client, cio, march_figures):
    client.force_login(cio)
    _pdf(client)
    assert not MonthlyPack.objects.exists()


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("exco-month", [MARCH], "get"),
        ("exco-pack", [MARCH], "get"),
        ("exco-sign-off", [MARCH], "post"),
        ("kpi-drilldown", [MARCH, "any-kpi"], "get"),
        ("kpi-annotate", [MARCH, "any-kpi"], "post"),
    ],
)
def test_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_stored(client, name, args, method):
    response = getattr(client, method)(reverse(name, args=args), {"slot": "cio", "comment": "x", "text": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not MonthlyReview.objects.exists()
    assert not Annotation.objects.exists()


def test_an_executive_cannot_withdraw_the_other_slots_sign_off(client, cio, coo, march_figures):
    client.force_login(cio)
    sign(client, "cio")
    client.force_login(coo)
    response = client.post(reverse("exco-sign-off", args=[MARCH]), {"slot": "cio", "action": "withdraw"})
    assert response.status_code == 403
    assert MonthlyReview.objects.get(month=MARCH).cio_signed_by == cio


def test_sign_off_is_refused_on_a_get(client, cio):
    client.force_login(cio)
    assert client.get(reverse("exco-sign-off", args=[MARCH])).status_code == 405


def test_drilldown_of_an_unknown_kpi_is_not_found(client, cio):
    client.force_login(cio)
    assert client.get(reverse("kpi-drilldown", args=[MARCH, "no-such-kpi"])).status_code == 404


def test_only_one_kpi_holds_the_roi_role(cio, coo):
    from django.db import IntegrityError, transaction

    factories.KPIFactory(role="roi", accountable_executive=cio, co_accountable_executive=coo)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.KPIFactory(role="roi", accountable_executive=cio, co_accountable_executive=coo)

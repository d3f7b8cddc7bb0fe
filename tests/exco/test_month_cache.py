"""A month computed once (scoreboard/exco/cache.py): each kind of write shows on the next
request, the clock's own changes too; a repeat request is served from the cache, or answered
304; each viewer sees what is theirs; a signed month stays cached while later months fill in.

Every test runs twice: on local memory (as `make run`) and on the real Redis (as production),
since pickling into Redis is where a fake would hide a mistake.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from governance.services.decisions import decision_answer, decision_request_create
from governance.services.matrix import matrix_decision_save, matrix_draft_open
from initiatives.models import Stage
from metrics.models import KPI, Scope, SourceKind
from metrics.services.annotations import annotation_add
from metrics.services.ingest import measurements_ingest
from metrics.services.kpis import kpi_save, target_save
from metrics.services.rollup import roll_up_owed, snapshot_roll_up
from metrics.services.upsert import Row
from scoreboard.exco import cache
from scoreboard.exco.services import restatement_apply, review_sign, review_unsign
from scoreboard.models import MonthlyReview
from tests import factories
from tests.governance.matrix_helpers import approved, monitored, published

pytestmark = pytest.mark.django_db

# A fixed moment, so that no test meets midnight (an entry's expiry) half-way: May 2026 is under
# way, March and April have ended.
NOW = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
FEBRUARY, MARCH, APRIL, MAY = (date(2026, m, 1) for m in (2, 3, 4, 5))


@pytest.fixture(params=["locmem", "redis"], autouse=True)
def backend(request, settings):
    if request.param == "redis":
        broker = os.environ.get("CELERY_BROKER_URL", "")
        if not broker.startswith("redis://"):
            pytest.fail("The cache tests need the real Redis: set CELERY_BROKER_URL to a redis:// URL.")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": broker.rsplit("/", 1)[0] + "/2",  # apart from the broker's database
            }
        }
    from django.core.cache import cache as default

    default.clear()
    return request.param


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def source(db):
    return factories.MetricSourceFactory(name="Warehouse push", kind=SourceKind.API_PUSH)


@pytest.fixture
def figures(cio, coo, source):
    """The primary KPI, company-wide, with figures from February to April, measured last in April."""
    kpi = factories.KPIFactory(
        code="claims-automated",
        name="Claims automated",
        scope=Scope.COMPANY,
        is_primary=True,
        accountable_executive=cio,
        co_accountable_executive=coo,
    )
    factories.TargetFactory(kpi=kpi)
    for month, value in ((FEBRUARY, 75), (MARCH, 65), (APRIL, 70)):
        measure(kpi, value, datetime.combine(month, datetime.min.time(), tzinfo=UTC) + timedelta(days=9))
    snapshot_roll_up()
    return kpi


def measure(kpi: KPI, value, observed_at: datetime, source=None):
    """A measurement through the intake every path uses."""
    from metrics.models import MetricSource

    source = source or MetricSource.objects.get(name="Warehouse push")
    result = measurements_ingest(
        rows=[Row(kpi_id=kpi.pk, initiative_id=None, observed_at=observed_at, value=Decimal(value))],
        source=source,
        entered_via="api",
    )
    assert not result.rejected, result.rejected


def url(month=MARCH):
    return reverse("exco-month", args=[month])


def read(client, month=MARCH) -> str:
    response = client.get(url(month))
    assert response.status_code == 200
    return response.content.decode()


def tile(page: str, code: str = "claims-automated") -> str:
    start = page.index(f'id="kpi-{code}"')
    return page[start : page.index("</article>", start)]


def section(page: str, name: str) -> str:
    start = page.index(f'id="{name}"')
    return page[start : page.index("</section>", start)]


def sign_both(month, cio, coo):
    review_sign(month=month, by=cio, slot="cio", comment="Figures as discussed.")
    review_sign(month=month, by=coo, slot="coo", comment="Agreed.")


# --- Served from the cache -----------------------------------------------------------------------


def test_a_repeat_request_is_served_from_the_cache_without_computing(
    client, cio, figures, django_assert_max_num_queries
):
    client.force_login(cio)
    first = read(client)
    computed = cache.stats.computed

    # The session, the user, their roles and the month's versions: nothing of the dashboard's.
    with django_assert_max_num_queries(4):
        again = read(client)

    assert cache.stats.computed == computed
    assert tile(again, "claims-automated") == tile(first, "claims-automated")


def test_a_repeat_request_with_the_etag_answers_304_without_computing(client, cio, figures):
    client.force_login(cio)
    first = client.get(url())
    computed = cache.stats.computed

    repeat = client.get(url(), headers={"if-none-match": first["ETag"]})

    assert repeat.status_code == 304
    assert repeat["ETag"] == first["ETag"]
    assert cache.stats.computed == computed
    assert "private" in first["Cache-Control"]
    assert "no-cache" in first["Cache-Control"]
    assert "Cookie" in first["Vary"]
    assert first["Last-Modified"]


def test_after_a_write_the_old_etag_gets_the_new_page(client, cio, figures):
    client.force_login(cio)
    first = client.get(url())

    kpi_save(by=factories.admin(username="keeper"), kpi=figures, data={"name": "Claims handled end to end"})
    after = client.get(url(), headers={"if-none-match": first["ETag"]})

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert "Claims handled end to end" in after.content.decode()


def test_a_page_carrying_a_message_has_no_etag_so_it_is_never_replayed(client, coo, figures):
    client.force_login(coo)
    first = client.get(url())
    # The CIO's slot refused to the COO: nothing written, the refusal shown once.
    response = client.post(reverse("exco-sign-off", args=[MARCH]), {"slot": "cio", "comment": "x"}, follow=True)

    assert "ETag" not in response
    assert client.get(url(), headers={"if-none-match": first["ETag"]}).status_code == 304


def test_each_viewer_gets_their_own_etag_and_sign_off_button(client, cio, coo, figures):
    client.force_login(cio)
    as_cio = client.get(url())
    client.force_login(coo)
    as_coo = client.get(url())

    assert as_cio["ETag"] != as_coo["ETag"]
    assert "Sign off March 2026 as CIO" in as_cio.content.decode()
    assert "Sign off March 2026 as CIO" not in as_coo.content.decode()
    assert "Sign off March 2026 as COO" in as_coo.content.decode()


def test_each_viewer_sees_what_is_asked_of_them_from_one_computed_month(client, cio, coo, ops_lead_a, figures):
    decision_request_create(by=ops_lead_a, executive=coo, question="Open the Belgian claims queue to the bot?")
    client.force_login(coo)
    as_coo = read(client)
    computed = cache.stats.computed
    client.force_login(cio)
    as_cio = read(client)

    assert cache.stats.computed == computed
    assert "Open the Belgian claims queue to the bot?" in section(as_coo, "asked-of-you")
    assert 'id="asked-of-you"' not in as_cio
    assert "Open the Belgian claims queue to the bot?" in section(as_cio, "decisions")  # the shared list


def test_the_page_body_is_rendered_once_and_each_viewer_signs_with_their_own_token(client, cio, coo, figures):
    client.force_login(cio)
    read(client)
    rendered = cache.stats.rendered
    client.force_login(coo)
    as_coo = read(client)

    assert cache.stats.rendered == rendered  # the COO's page reused the body rendered for the CIO's
    assert "<!--exco:viewer:" not in as_coo  # every viewer's part in its place
    assert cache._CSRF_PLACEHOLDER not in as_coo  # and every form's token filled in
    assert "Sign off March 2026 as COO" in as_coo
    # From a browser that checks CSRF: the COO's form carries a token of the COO's, and is taken.
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(coo, backend="scoreboard.auth_backends.PasswordBackend")
    csrf_client.get(url())
    page = csrf_client.get(url()).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', section(page, "review")).group(1)
    signed = csrf_client.post(
        reverse("exco-sign-off", args=[MARCH]), {"slot": "coo", "comment": "Agreed.", "csrfmiddlewaretoken": token}
    )
    assert signed.status_code == 302
    assert MonthlyReview.objects.get(month=MARCH).coo_signed_by == coo


def test_the_page_opens_with_what_needs_attention_and_a_line_goes_once_it_is_done(client, cio, coo, figures):
    factories.DecisionRequestFactory(executive=coo)  # asked in March, due within the day: overdue
    client.force_login(cio)

    first = read(client)
    signed = read_after(client, lambda: sign_both(MARCH, cio, coo))

    attention = words(section(first, "attention"))
    assert first.index('id="attention"') < first.index('id="primary"')  # the first thing under the title
    assert "1 of 1 headline figure off target Claims automated Amber" in attention  # 65 against a target of 80
    assert "1 decision overdue Past the 24-hour target, of 1 waiting" in attention
    assert "0 of 2 signatures Not signed yet by the CIO and the COO" in attention
    after = words(section(signed, "attention"))
    assert "2 of 2 signatures Signed by the CIO and the COO" in after
    assert "1 decision overdue" in after


def words(html: str) -> str:
    """The text a reader sees, tags dropped and spaces collapsed (the status shapes are CSS)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def read_after(client, write) -> str:
    write()
    return read(client)


# --- Each kind of write shows on the next request -------------------------------------------------


def test_a_roll_up_changing_a_figure_shows_on_the_next_request(client, cio, figures):
    client.force_login(cio)
    assert "65.0 %" in tile(read(client))
    # Late data stored straight in the table (no door, no version), then the roll-up: its own bump.
    factories.MeasurementFactory(kpi=figures, initiative=None, value=99, observed_at=datetime(2026, 3, 20, tzinfo=UTC))

    snapshot_roll_up(months=[MARCH])

    assert "82.0 %" in tile(read(client))  # the mean of 65 and 99


def test_a_measurement_that_makes_a_stale_kpi_fresh_shows_on_the_next_request(client, cio, figures):
    client.force_login(cio)
    assert "Claims automated" in section(read(client, MAY), "freshness")  # last measured 10 April

    measure(figures, 72, NOW - timedelta(hours=1))

    assert "All fresh" in section(read(client, MAY), "freshness")


def test_a_kpi_turning_stale_by_the_clock_shows_without_any_write(client, cio, figures, clock):
    measure(figures, 72, NOW - timedelta(hours=1))
    client.force_login(cio)
    assert "All fresh" in section(read(client, MAY), "freshness")

    clock.move_to(NOW + timedelta(days=31, hours=1))  # past its 31-day interval
    client.force_login(cio)  # a new session: the old one's clock has run out too

    assert "Claims automated" in section(read(client, MAY), "freshness")


def test_a_note_shows_on_the_next_request(client, cio, figures):
    client.force_login(cio)
    read(client)

    annotation_add(kpi=figures, month=MARCH, initiative=None, text="Storm week: claims doubled.", author=cio)

    assert "Storm week: claims doubled." in tile(read(client))


def test_each_signature_and_its_withdrawal_shows_on_the_next_request(client, cio, coo, figures):
    client.force_login(cio)
    assert "Not signed" in section(read(client), "sign-cio")

    review_sign(month=MARCH, by=cio, slot="cio", comment="Figures as discussed.")
    assert "Figures as discussed." in section(read(client), "sign-cio")
    assert "Signed by one only" in section(read(client), "review")
    assert "March 2026 signed off without the COO" in section(read(client, APRIL), "warnings")

    review_unsign(month=MARCH, by=cio, slot="cio")
    assert "Not signed" in section(read(client), "sign-cio")
    assert "without the COO" not in section(read(client, APRIL), "warnings")

    sign_both(MARCH, cio, coo)
    assert "Frozen" in read(client)
    assert "Agreed." in section(read(client), "sign-coo")


def test_a_restatement_applied_shows_on_the_next_request(client, cio, coo, figures, source):
    sign_both(MARCH, cio, coo)
    factories.MonthlyPackFactory(month=MARCH, revision=1)  # kept already: no Chromium here
    client.force_login(cio)
    assert "No late data" in section(read(client), "restatements")

    measure(figures, 95, datetime(2026, 3, 20, tzinfo=UTC))
    snapshot_roll_up(months=[MARCH])
    assert "Late data: would now read 80.0 %" in tile(read(client))

    restatement_apply(month=MARCH, by=cio, reason="The storm week's claims arrived late.")

    page = read(client)
    assert "Restatement awaiting signatures" in page
    assert "Restatement awaiting both signatures: would read 80.0 %" in tile(page)


def test_a_decision_asked_then_answered_shows_on_the_next_request(client, cio, ops_lead_a, figures):
    client.force_login(cio)
    assert "0 decisions waiting on an executive" in section(read(client, MAY), "decisions")

    asked = decision_request_create(by=ops_lead_a, executive=cio, question="Pilot the fraud model in Ghent?")
    page = read(client, MAY)
    assert "1 decision waiting on an executive" in section(page, "decisions")
    assert "Pilot the fraud model in Ghent?" in section(page, "asked-of-you")

    decision_answer(decision_request=asked, by=cio, answer="approved", note="Go.")
    page = read(client, MAY)
    assert "0 decisions waiting on an executive" in section(page, "decisions")
    assert 'id="asked-of-you"' not in page


def test_a_decision_becoming_overdue_by_the_clock_shows_without_any_write(client, cio, ops_lead_a, figures, clock):
    decision_request_create(by=ops_lead_a, executive=cio, question="Pilot the fraud model in Ghent?")
    client.force_login(cio)
    assert "Overdue" not in section(read(client, MAY), "decisions")

    clock.move_to(NOW + timedelta(hours=24, minutes=1))  # its 24 hours are up

    page = read(client, MAY)
    assert "Overdue" in section(page, "decisions")
    assert "Pilot the fraud model in Ghent?" in section(page, "warnings")


def test_a_matrix_version_approved_with_new_bounds_shows_on_the_next_request(client, cio, coo, admin_user, figures):
    version = published(admin_user, coo)
    monitored(version, figures, key="auto-approve", threshold="60", when="below")
    client.force_login(cio)
    assert "Within bounds" in section(read(client, MAY), "matrix-bounds")  # April's 70 is above 60

    draft = matrix_draft_open(by=admin_user)
    matrix_decision_save(by=admin_user, decision=draft.decisions.get(), data={"breach_threshold": Decimal("72")})
    approved(admin_user, draft, coo, effective_from=NOW.date())

    assert "Outside its bounds" in section(read(client, MAY), "matrix-bounds")


def test_a_target_change_shows_once_the_months_it_owes_are_rolled_up(client, cio, admin_user, figures):
    client.force_login(cio)
    assert "Target ≥ 80.0 %" in tile(read(client))

    target = figures.targets.get()
    target_save(by=admin_user, target=target, data={"target": Decimal("90")})
    roll_up_owed(month=MARCH)

    assert "Target ≥ 90.0 %" in tile(read(client))


def test_an_initiatives_stage_change_shows_on_the_next_request(
    client, cio, coo, admin_user, ops_lead_a, initiative_a, figures
):
    from governance.services.stage_moves import stage_move_ask

    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    client.force_login(cio)
    row = _portfolio_row(read(client, MAY), initiative_a.name)
    assert "Pilot" in row

    asked = stage_move_ask(by=ops_lead_a, initiative=initiative_a, stage=Stage.PRODUCTION)
    decision_answer(decision_request=asked, by=cio, answer="approved", note="Go.")

    assert "Production" in _portfolio_row(read(client, MAY), initiative_a.name)


def _portfolio_row(page: str, name: str) -> str:
    table = section(page, "portfolio")
    start = table.index(f"<td>{name}</td>")
    return table[start : table.index("</tr>", start)]


def test_a_kpi_definition_change_shows_on_the_next_request(client, cio, admin_user, figures):
    client.force_login(cio)
    assert "Claims automated" in tile(read(client))

    kpi_save(by=admin_user, kpi=figures, data={"name": "Claims settled without a person"})

    assert "Claims settled without a person" in tile(read(client))


# --- A signed month ------------------------------------------------------------------------------


def test_a_signed_month_stays_cached_while_later_months_fill_in_until_it_is_restated(client, cio, coo, figures, source):
    measure(figures, 71, NOW - timedelta(days=1))  # fresh: May's figures come in
    snapshot_roll_up(months=[MAY])
    sign_both(MARCH, cio, coo)
    factories.MonthlyPackFactory(month=MARCH, revision=1)
    client.force_login(cio)
    read(client)
    computed = cache.stats.computed

    # Later months fill in: April's late figure, a note on April, May's next measurement.
    factories.MeasurementFactory(kpi=figures, initiative=None, value=94, observed_at=datetime(2026, 4, 20, tzinfo=UTC))
    snapshot_roll_up(months=[APRIL])
    annotation_add(kpi=figures, month=APRIL, initiative=None, text="Backlog cleared.", author=cio)
    measure(figures, 73, NOW - timedelta(hours=2))
    snapshot_roll_up(months=[MAY])
    assert "82.0 %" in tile(read(client, APRIL))  # they show where they belong (70 and 94)

    assert "65.0 %" in tile(read(client))
    assert cache.stats.computed == computed + 1  # April's page only: March was served from the cache

    measure(figures, 95, datetime(2026, 3, 20, tzinfo=UTC))
    snapshot_roll_up(months=[MARCH])
    restatement_apply(month=MARCH, by=cio, reason="The storm week's claims arrived late.")

    assert "Restatement awaiting signatures" in read(client)
    assert cache.stats.computed == computed + 2


# --- Pulls ---------------------------------------------------------------------------------------


@pytest.fixture
def pulled(fake_source, figures, settings):
    """A source pulling the primary KPI company-wide, from a real local HTTP server."""
    from metrics.models import MetricSource, SourceMapping

    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]
    source = MetricSource.objects.create(
        name="Claims warehouse",
        kind="http_json",
        url=fake_source.url("/claims"),
        timestamp_path="$.measured_at",
        timeout_seconds=2,
        last_status="ok",
        last_success_at=NOW - timedelta(hours=1),
    )
    SourceMapping.objects.create(source=source, kpi=figures, expression="$.automated")
    return source


def test_a_failed_pull_then_a_good_one_show_on_the_next_request(client, cio, fake_source, pulled):
    from metrics.services.pulls import source_pull

    client.force_login(cio)
    assert "Claims warehouse" not in section(read(client, MAY), "freshness")

    fake_source.status("/claims", 404)
    source_pull(source_id=pulled.pk)
    assert "Claims warehouse" in section(read(client, MAY), "freshness")

    fake_source.json("/claims", {"measured_at": (NOW - timedelta(minutes=5)).isoformat(), "automated": 71})
    source_pull(source_id=pulled.pk)
    assert "Claims warehouse" not in section(read(client, MAY), "freshness")

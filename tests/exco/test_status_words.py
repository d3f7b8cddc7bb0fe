"""Every place a figure is shown says its stored status and, in words, its target and where amber
and red begin, in the KPI's unit (``thresholds`` in scoreboard/templatetags): the ExCo tiles and
their charts, the PDF pack, the drill-down, the initiative page, the digest e-mail and the API."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from metrics.services.alerts import alert_digests_send
from metrics.services.rollup import snapshot_roll_up
from scoreboard.exco.pack import pack_html
from scoreboard.templatetags.scoreboard import thresholds_in_words
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
D = Decimal
AUTOMATION_WORDS = "Target ≥ 70.0 % · amber below 70.0 % · red below 55.0 %"
ERROR_RATE_WORDS = "Target ≤ 2.0 % · amber above 2.0 % · red above 4.5 %"


@pytest.fixture
def automation(kpi):
    """Automated processing 65 % in March against a 70 % target (red below 55 %): amber."""
    kpi.name, kpi.is_primary = "Automated processing rate", True
    kpi.save()
    factories.TargetFactory(kpi=kpi, target=D(70), red_threshold=D(55))
    factories.MeasurementFactory(kpi=kpi, value=D(65))
    snapshot_roll_up()
    return kpi


@pytest.fixture
def error_rate(cio, coo, initiative_a):
    """Error rate 2.3 % in March against a 2.0 % target (red above 4.5 %): amber."""
    kpi = factories.KPIFactory(
        code="error-rate", name="Error rate", direction="lower", accountable_executive=cio, co_accountable_executive=coo
    )
    kpi.initiatives.add(initiative_a)
    factories.TargetFactory(kpi=kpi, target=D("2.0"), red_threshold=D("4.5"))
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, value=D("2.3"))
    snapshot_roll_up()
    return kpi


def _tile(page: str, kpi) -> str:
    tile = page[page.index(f'id="kpi-{kpi.code}"') :]
    return tile[: tile.index("</article>")]


def test_the_words_say_the_target_and_where_amber_and_red_begin_reversed_for_lower_is_better(automation, error_rate):
    assert thresholds_in_words(D(70), D(55), automation) == AUTOMATION_WORDS
    assert thresholds_in_words(D("2.0"), D("4.5"), error_rate) == ERROR_RATE_WORDS


def test_an_exco_tile_shows_amber_with_its_target_and_both_thresholds_in_words(client, cio, automation, error_rate):
    client.force_login(cio)
    page = client.get(reverse("exco-month", args=[MARCH])).content.decode()
    automation_tile, error_tile = _tile(page, automation), _tile(page, error_rate)
    assert '65.0 % <span class="rag rag-amber">Amber</span>' in automation_tile
    assert AUTOMATION_WORDS in automation_tile
    assert '2.3 % <span class="rag rag-amber">Amber</span>' in error_tile
    assert ERROR_RATE_WORDS in error_tile


def test_a_tile_without_a_target_says_so(client, cio, coo):
    kpi = factories.KPIFactory(accountable_executive=cio, co_accountable_executive=coo)
    factories.MeasurementFactory(kpi=kpi, value=D(65))
    snapshot_roll_up()
    client.force_login(cio)
    tile = _tile(client.get(reverse("exco-month", args=[MARCH])).content.decode(), kpi)
    assert 'class="small thresholds">No target</p>' in tile


def test_each_chart_point_carries_its_months_stored_status(client, cio, automation):
    client.force_login(cio)
    chart = client.get(reverse("exco-month", args=[MARCH])).context["charts"][f"trend-{automation.pk}"]
    assert chart["status"][-1] == "amber"
    assert chart["status"][0] is None  # no figure that month


def test_the_pdf_pack_says_the_status_and_the_thresholds_as_the_page_does(automation):
    html = pack_html(MARCH)
    assert '65.0 % <span class="rag rag-amber">Amber</span>' in _tile(html, automation)
    assert AUTOMATION_WORDS in _tile(html, automation)


def test_the_drilldown_shows_the_status_with_the_target_and_both_thresholds(client, cio, error_rate, initiative_a):
    client.force_login(cio)
    url = reverse("kpi-drilldown", args=[MARCH, error_rate.code])
    page = client.get(url, {"initiative": initiative_a.code}).content.decode()
    figure = page[page.index('id="figure"') : page.index('id="measurements"')]
    assert 'rag-amber">Amber' in figure
    assert ERROR_RATE_WORDS in figure


def test_the_initiative_page_shows_each_kpis_status_and_thresholds_in_words(client, cio, error_rate, initiative_a):
    client.force_login(cio)
    tile = _tile(client.get(reverse("initiatives:detail", args=[initiative_a.code])).content.decode(), error_rate)
    assert '2.3 % <span class="rag rag-amber">Amber</span>' in tile
    assert ERROR_RATE_WORDS in tile


def test_the_api_answers_the_stored_status_with_the_target_and_red_threshold(client, cio, automation):
    client.force_login(cio)
    answer = client.get("/api/v1/snapshots/", {"kpi": automation.code, "month": MARCH.isoformat()}).json()
    (company,) = [s for s in answer["results"] if s["initiative"] is None]
    assert (company["status"], company["target"], company["red_threshold"]) == ("amber", "70.0000", "55.0000")
    assert "amber_threshold" not in company


def test_the_digest_says_the_status_with_the_target_and_both_thresholds(automation):
    now = datetime(2026, 4, 2, 7, tzinfo=UTC)  # March has ended: the digest judges it
    factories.MeasurementFactory(kpi=automation, value=D(66), observed_at=datetime(2026, 3, 19, tzinfo=UTC))
    snapshot_roll_up()
    alert_digests_send(now=now)
    assert f"Automated processing rate is amber for March 2026: 65.5 % ({AUTOMATION_WORDS})." in mail.outbox[0].body

"""The one formatting where the tester found it broken: a ratio beside percentages on the ExCo
page, "−0.000" as a change, money written two ways on the initiative page, dates in three forms,
and e-mails whose figures are raw and which link nowhere."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from governance.services.decisions import decision_digests_send, decision_request_create
from metrics.models import Measurement, MonthlySnapshot
from metrics.services.alerts import alert_digests_send
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
NOW = datetime(2026, 4, 2, 9, tzinfo=UTC)  # March has ended: the digest judges it


def _day(moment) -> str:
    """The one form of a day, written out here rather than read from the code under test."""
    return f"{timezone.localtime(moment):%-d %b %Y}"


def _moment(moment) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y %H:%M}"


def _snapshot(kpi, month, value, *, target=None, red=None, status="none"):
    return MonthlySnapshot.objects.create(
        kpi=kpi,
        month=month,
        value=Decimal(value),
        target=None if target is None else Decimal(target),
        red_threshold=None if red is None else Decimal(red),
        status=status,
        computed_at=NOW,
    )


@pytest.fixture
def exception_rate(cio, coo):
    """A lower-is-better ratio KPI (exceptions over cases), company-wide, in February and March."""
    kpi = factories.KPIFactory(
        code="exception-rate",
        name="Exception rate",
        unit="ratio",
        direction="lower",
        scope="company",
        accountable_executive=coo,
        co_accountable_executive=cio,
    )
    _snapshot(kpi, date(2026, 2, 1), "0.0510", target="0.08", red="0.14", status="green")
    _snapshot(kpi, MARCH, "0.0508", target="0.08", red="0.14", status="green")
    return kpi


def _tile(page: str, kpi) -> str:
    start = page.index(f'id="kpi-{kpi.code}"')
    return page[start : page.index("</article>", start)]


def test_the_exception_rate_tile_reads_in_percent_like_the_other_rates(client, cio, exception_rate):
    client.force_login(cio)
    tile = _tile(client.get(reverse("exco-month", args=[MARCH])).content.decode(), exception_rate)
    assert "5.1 %" in tile
    assert "0.051" not in tile
    assert "Target ≤ 8.0 % · amber above 8.0 % · red above 14.0 %" in tile


def test_a_change_too_small_to_show_reads_as_no_change_never_minus_zero(client, cio, exception_rate):
    client.force_login(cio)
    tile = _tile(client.get(reverse("exco-month", args=[MARCH])).content.decode(), exception_rate)
    assert "±0.0 %" in tile  # 5.08 % against 5.10 %
    assert "−0.0" not in tile
    assert "-0.0" not in tile
    # A change that reads as none is neither better nor worse (the arrow and word come from the class).
    assert 'class="better"' not in tile
    assert 'class="worse"' not in tile


def test_the_exception_rate_chart_says_its_figures_as_the_tile_does(client, cio, exception_rate):
    client.force_login(cio)
    response = client.get(reverse("exco-month", args=[MARCH]))
    chart = response.context["charts"][f"trend-{exception_rate.pk}"]
    assert chart["axis"] == {"tickformat": ",~f", "ticksuffix": " %"}
    assert chart["y"][-1] == 5.08  # drawn on the percentage axis the tile reads in
    assert chart["y_text"][-1] == "5.1 %"
    assert chart["target_text"][-1] == "8.0 %"
    assert chart["x_text"][-1] == "March 2026"


def test_a_kpis_own_decimals_decide_how_its_tile_chart_and_drilldown_read(client, cio, exception_rate):
    exception_rate.decimals = 2
    exception_rate.save(update_fields=["decimals"])
    client.force_login(cio)

    response = client.get(reverse("exco-month", args=[MARCH]))
    tile = _tile(response.content.decode(), exception_rate)
    drilldown = client.get(reverse("kpi-drilldown", args=[MARCH, exception_rate.code])).content.decode()

    assert "5.08 %" in tile  # two decimals of its percentage, not its unit's one
    assert "Target ≤ 8.00 % · amber above 8.00 % · red above 14.00 %" in tile
    assert "−0.02 %" in tile  # the change shows at the same precision, so it is no longer "±0.0 %"
    assert response.context["charts"][f"trend-{exception_rate.pk}"]["y_text"][-1] == "5.08 %"
    assert "5.08 %" in drilldown


@pytest.mark.parametrize(("decimals", "status"), [(6, 200), (7, 400)])
def test_a_kpi_shows_at_most_the_six_decimals_a_value_keeps(client, admin_user, exception_rate, decimals, status):
    client.force_login(admin_user)

    response = client.patch(
        f"/api/v1/kpis/{exception_rate.code}/", {"decimals": decimals}, content_type="application/json"
    )

    assert response.status_code == status, response.content
    exception_rate.refresh_from_db()
    assert exception_rate.decimals == (decimals if status == 200 else None)
    if status == 400:
        assert "decimals" in response.json()


def test_the_drilldown_of_a_ratio_reads_in_percent(client, cio, exception_rate):
    client.force_login(cio)
    page = client.get(reverse("kpi-drilldown", args=[MARCH, exception_rate.code])).content.decode()
    assert "5.1 %" in page
    assert "0.051" not in page


def test_money_on_the_initiative_page_reads_one_way_with_its_currency(client, cio, coo):
    initiative = factories.InitiativeFactory(
        technology_owner=cio, operations_owner=coo, investment=Decimal("260000"), expected_annual_benefit=0
    )
    factories.DeploymentBriefFactory(initiative=initiative, investment=Decimal("140000.00"))
    client.force_login(cio)
    page = client.get(reverse("initiatives:detail", args=[initiative.code])).content.decode()
    assert "€260,000" in page
    assert "€140,000" in page
    assert "140000" not in page


def test_the_workspace_says_when_a_kpi_was_due_as_a_whole_date(client, ops_lead_a, initiative_a, kpi):
    observed = timezone.now() - timedelta(days=40)
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, observed_at=observed)
    client.force_login(ops_lead_a)
    page = client.get(reverse("workspace:initiative", args=[initiative_a.code])).content.decode()
    due = observed + timedelta(days=kpi.expected_interval_days)
    assert f"Stale: due since {_day(due)}" in page


def test_the_exco_page_says_when_a_decision_is_due_in_the_one_form(client, cio, coo, ops_lead_a):
    request = factories.DecisionRequestFactory(
        executive=coo, requested_by=ops_lead_a, requested_at=timezone.now() - timedelta(days=3)
    )
    client.force_login(cio)
    page = client.get(reverse("exco-month", args=[MARCH])).content.decode()
    due = _moment(request.due_at)
    assert f"due {due}" in page  # the 24-hour breach among the warning signs
    assert f"<td>{due}</td>" in page  # the decisions waiting
    assert f"{timezone.localtime(request.due_at):%d %b %H:%M}" not in page


def test_a_refusal_names_its_dates_as_the_pages_do(coo, ops_lead_a):
    asked = decision_request_create(by=ops_lead_a, executive=coo, question="Extend the pilot?")
    with pytest.raises(ValidationError) as refused:
        decision_request_create(by=ops_lead_a, executive=coo, question="Extend the pilot?")
    assert f"on {_moment(asked.requested_at)}" in str(refused.value)
    assert f"{timezone.localtime(asked.requested_at):%Y-%m-%d}" not in str(refused.value)


def test_the_decision_log_and_its_digest_say_dates_as_the_page_does(client, mailoutbox, coo, ops_lead_a):
    request = factories.DecisionRequestFactory(
        executive=coo, requested_by=ops_lead_a, requested_at=timezone.now() - timedelta(days=3)
    )
    client.force_login(coo)
    page = client.get(reverse("governance:decisions")).content.decode()
    assert _day(request.due_at) in page
    decision_digests_send()
    body = mailoutbox[0].body
    assert f"Asked by {ops_lead_a} on {_moment(request.requested_at)}" in body
    assert f"Due {_moment(request.due_at)}" in body


# --- The alert digest -------------------------------------------------------------------------------


@pytest.fixture
def cycle_time(cio, coo):
    """Hours, lower is better: 39.775286 hours against a target of 24 in March."""
    kpi = factories.KPIFactory(
        code="cycle-time",
        name="Cycle time",
        unit="hours",
        direction="lower",
        scope="company",
        accountable_executive=coo,
        co_accountable_executive=cio,
    )
    _snapshot(kpi, MARCH, "39.775286", target="24", red="48", status="amber")
    factories.MeasurementFactory(kpi=kpi, initiative=None, value=40, observed_at=NOW - timedelta(days=1))
    return kpi


def test_the_alert_digest_says_figures_in_their_unit_and_links_to_the_page(settings, coo, cycle_time):
    settings.SITE_URL = "https://scoreboard.example.com/"
    assert alert_digests_send(now=NOW) == 2
    body = next(m.body for m in mail.outbox if m.to == [coo.email])
    assert "Cycle time is amber for March 2026: 39.8 hours (Target ≤ 24.0 hours" in body
    assert "39.775286" not in body
    drilldown = reverse("kpi-drilldown", args=[MARCH, cycle_time.code])
    assert f"https://scoreboard.example.com{drilldown}" in body
    assert f"https://scoreboard.example.com{reverse('exco-month', args=[MARCH])}" in body


def test_a_failed_source_in_the_alert_digest_links_to_the_kpi_it_feeds(settings, coo, cycle_time):
    source = factories.HttpJsonSourceFactory(
        name="Catalogue", last_status="failed", last_run_at=NOW - timedelta(hours=2), last_error="answered 503"
    )
    factories.MeasurementFactory(kpi=cycle_time, source=source, initiative=None, observed_at=NOW - timedelta(days=2))
    alert_digests_send(now=NOW)
    body = next(m.body for m in mail.outbox if m.to == [coo.email])
    assert f"The source Catalogue failed at {_moment(source.last_run_at)}: answered 503" in body
    # Its readers are the KPI's executives, who cannot use the admin: the KPI's own page.
    assert f"{settings.SITE_URL}{reverse('kpis:detail', args=[cycle_time.code])}" in body


@pytest.fixture
def exceptions_of_a(initiative_a, cio, coo):
    kpi = factories.KPIFactory(
        code="exceptions", name="Exception rate", unit="ratio", accountable_executive=coo, co_accountable_executive=cio
    )
    initiative_a.kpis.add(kpi)
    return kpi


def test_a_ratio_typed_as_the_percentage_the_page_shows_is_stored_as_its_share(
    client, ops_lead_a, initiative_a, exceptions_of_a
):
    client.force_login(ops_lead_a)
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client.post(
        f"/my/{initiative_a.code}/log/",
        {"kpi": exceptions_of_a.code, "period": yesterday.isoformat(), "value": "5.1 %", "note": ""},
    )

    assert response.status_code == 302
    stored = Measurement.objects.get(kpi=exceptions_of_a)
    assert stored.value == Decimal("0.051")
    page = client.get(f"/my/{initiative_a.code}/").content.decode()
    assert "5.1 %" in page


def test_a_ratio_sent_as_a_share_or_a_percentage_through_the_api_is_one_value(
    client, ops_lead_a, initiative_a, exceptions_of_a
):
    client.force_login(ops_lead_a)
    at = (timezone.now() - timedelta(days=1)).isoformat()
    body = {"kpi": exceptions_of_a.code, "initiative": initiative_a.code, "observed_at": at}

    first = client.post("/api/v1/measurements/", {**body, "value": "0.051"}, content_type="application/json")
    again = client.post("/api/v1/measurements/", {**body, "value": "5.1%"}, content_type="application/json")

    assert first.status_code == again.status_code == 201
    assert again.json()["unchanged"] == 1  # the same value, written the other way
    assert list(Measurement.objects.filter(kpi=exceptions_of_a).values_list("value", flat=True)) == [Decimal("0.051")]


@pytest.mark.parametrize("value", ["5.1", 5.1])
def test_a_ratio_typed_as_its_percentage_without_the_sign_is_refused_saying_both_ways(
    client, ops_lead_a, initiative_a, exceptions_of_a, value
):
    client.force_login(ops_lead_a)
    at = (timezone.now() - timedelta(days=1)).isoformat()
    body = {"kpi": exceptions_of_a.code, "initiative": initiative_a.code, "observed_at": at, "value": value}

    response = client.post("/api/v1/measurements/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["value"] == [
        "Exception rate is a share of one, shown as a percentage: 5.1 would read 510.0 %. "
        "Write the share (0.051) or the percentage with its sign (5.1 %)."
    ]
    assert not Measurement.objects.filter(kpi=exceptions_of_a).exists()


def test_a_ratio_typed_without_its_sign_is_refused_on_the_quick_form_and_in_a_csv_file(
    client, ops_lead_a, initiative_a, exceptions_of_a
):
    client.force_login(ops_lead_a)
    yesterday = timezone.localdate() - timedelta(days=1)

    form = client.post(
        f"/my/{initiative_a.code}/log/",
        {"kpi": exceptions_of_a.code, "period": yesterday.isoformat(), "value": "5.1", "note": ""},
    )
    upload = client.post(
        f"/my/{initiative_a.code}/csv/upload/",
        {
            "file": SimpleUploadedFile(
                "r.csv", f"kpi,date,value,note\n{exceptions_of_a.code},{yesterday},5.1,\n".encode()
            )
        },
    )
    preview = client.get(upload["Location"]).content.decode()

    assert form.status_code == 400
    assert "would read 510.0 %" in form.context["form"].errors["value"][0]
    assert "would read 510.0 %" in preview
    assert not Measurement.objects.filter(kpi=exceptions_of_a).exists()


def test_a_kpi_page_refuses_more_decimals_than_a_value_keeps_naming_the_field(client, admin_user, exception_rate):
    from tests.doors.harness import page_form

    client.force_login(admin_user)
    url = f"/kpis/{exception_rate.code}/edit/"

    response = client.post(url, page_form(client, url, decimals=7))

    assert response.status_code == 400
    assert "decimals" in response.context["form"].errors
    exception_rate.refresh_from_db()
    assert exception_rate.decimals is None

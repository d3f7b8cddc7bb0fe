"""The ops-lead workspace: my initiatives, what each owes this month, the quick log form
with errors on the field at fault, and the history of entries and corrections."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from metrics.models import Measurement, SourceKind
from metrics.workspace import Due, kpis_due
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - timedelta(days=1)


@pytest.fixture
def count_kpi(initiative_a, initiative_b):
    kpi = factories.KPIFactory(code="claims-handled", name="Claims handled", unit="count", aggregation="sum")
    kpi.initiatives.add(initiative_a, initiative_b)
    return kpi


def log(client, initiative, **fields):
    body = {"kpi": "fixture-kpi", "period": YESTERDAY.isoformat(), "value": "64", "note": ""} | fields
    return client.post(f"/my/{initiative.code}/log/", body)


def field_errors(response) -> list[str]:
    return [str(e) for f in response.context["form"] for e in f.errors] + list(
        response.context["form"].non_field_errors()
    )


# --- Who sees what ----------------------------------------------------------------------------


def test_an_ops_lead_sees_the_initiatives_they_lead_and_no_other(client, ops_lead_a, initiative_a, initiative_b, kpi):
    client.force_login(ops_lead_a)
    page = client.get("/my/")
    assert page.status_code == 200
    assert [e.initiative for e in page.context["entries"]] == [initiative_a]
    assert initiative_b.name not in page.content.decode()


def test_an_admin_logs_for_every_initiative(client, admin_user, initiative_a, initiative_b, kpi):
    client.force_login(admin_user)
    page = client.get("/my/")
    assert {e.initiative for e in page.context["entries"]} == {initiative_a, initiative_b}
    assert log(client, initiative_b).status_code == 302
    assert Measurement.objects.filter(initiative=initiative_b).count() == 1


def test_an_executive_reads_the_scoreboard_but_has_no_workspace_and_logs_nothing(client, cio, initiative_a, kpi):
    client.force_login(cio)
    assert client.get("/my/").status_code == 403
    assert client.get(f"/my/{initiative_a.code}/").status_code == 403
    assert log(client, initiative_a).status_code == 403
    assert not Measurement.objects.exists()


def test_an_ops_lead_cannot_open_or_log_for_an_initiative_they_do_not_lead(client, ops_lead_b, initiative_a, kpi):
    client.force_login(ops_lead_b)
    assert client.get(f"/my/{initiative_a.code}/").status_code == 403
    refused = log(client, initiative_a)
    assert refused.status_code == 403
    assert not Measurement.objects.exists()


def test_a_signed_out_visitor_is_sent_to_sign_in_and_nothing_is_stored(client, initiative_a, kpi):
    assert client.get("/my/").url.startswith("/login/")
    assert log(client, initiative_a).url.startswith("/login/")
    assert not Measurement.objects.exists()


def test_a_log_without_the_csrf_token_is_refused(ops_lead_a, initiative_a, kpi):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(ops_lead_a, backend="scoreboard.auth_backends.PasswordBackend")
    assert log(browser, initiative_a).status_code == 403
    assert not Measurement.objects.exists()


# --- What each KPI owes this month --------------------------------------------------------------


def test_each_kpi_is_missing_stale_due_or_up_to_date_by_its_latest_value_and_interval(initiative_a, kpi, cio, coo):
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    weekly = {"expected_interval_days": 7}
    kpis = {
        name: factories.KPIFactory(code=name, **weekly)
        for name in ("never-logged", "stale", "due-this-month", "up-to-date")
    }
    ratio = factories.KPIFactory(code="a-ratio", aggregation="ratio", ratio_numerator=kpi, ratio_denominator=kpi)
    initiative_a.kpis.set([*kpis.values(), ratio])
    factories.MeasurementFactory(kpi=kpis["stale"], initiative=initiative_a, observed_at=now - timedelta(days=9))
    # Logged 3 days ago, due again in 4: before the month ends.
    factories.MeasurementFactory(
        kpi=kpis["due-this-month"], initiative=initiative_a, observed_at=now - timedelta(days=3), value=Decimal(7)
    )
    monthly = kpis["up-to-date"]
    monthly.expected_interval_days = 31
    monthly.save()
    factories.MeasurementFactory(kpi=monthly, initiative=initiative_a, observed_at=now - timedelta(days=2))
    # Another initiative's value does not count for this one.
    factories.MeasurementFactory(kpi=kpis["never-logged"], initiative=None, observed_at=now)

    (entry,) = kpis_due([initiative_a], now=now)

    states = {k.kpi.code: k.state for k in entry.kpis}
    assert states == {
        "never-logged": Due.MISSING,
        "stale": Due.STALE,
        "due-this-month": Due.DUE,
        "up-to-date": Due.OK,
        "a-ratio": Due.COMPUTED,
    }
    assert [k.state for k in entry.kpis] == [Due.MISSING, Due.STALE, Due.DUE, Due.OK, Due.COMPUTED]
    due = next(k for k in entry.kpis if k.state == Due.DUE)
    assert (due.last_value, due.next_due) == (Decimal(7), now + timedelta(days=4))
    assert entry.summary == "1 missing · 1 stale · 1 due this month · 1 up to date"
    assert ratio not in entry.loggable


def test_a_kpi_a_source_feeds_is_not_chased_and_shows_the_sources_last_run(initiative_a, initiative_b, cio, coo):
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    executives = {"accountable_executive": cio, "co_accountable_executive": coo}
    pulled, labelled, pushed, entered, company_wide, switched_off = (
        factories.KPIFactory(code=code, **executives)
        for code in ("pulled", "labelled", "pushed", "entered", "company-wide", "switched-off")
    )
    initiative_a.kpis.set([pulled, labelled, pushed, entered, company_wide, switched_off])
    # Mapped to this initiative, its pull failing; by a Prometheus label to every initiative, fine.
    failing = factories.HttpJsonSourceFactory(last_status="failed", last_run_at=now - timedelta(hours=1))
    factories.SourceMappingFactory(source=failing, kpi=pulled, initiative=initiative_b)
    factories.SourceMappingFactory(source=failing, kpi=pulled, initiative=initiative_a)
    prometheus = factories.HttpJsonSourceFactory(
        kind="prometheus", last_status="ok", last_run_at=now, last_success_at=now, expected_interval_hours=2
    )
    factories.SourceMappingFactory(source=prometheus, kpi=labelled, initiative_label="initiative")
    # A system pushing through the API brought the latest value.
    push = factories.MetricSourceFactory(name="Claims warehouse", kind="api_push")
    factories.MeasurementFactory(kpi=pushed, initiative=initiative_a, source=push, observed_at=now - timedelta(days=1))
    # People enter these: a company-wide mapping, or a switched-off source, feeds nobody's initiative.
    factories.SourceMappingFactory(kpi=company_wide)
    factories.SourceMappingFactory(
        source=factories.HttpJsonSourceFactory(enabled=False), kpi=switched_off, initiative=initiative_a
    )

    (entry,) = kpis_due([initiative_a], now=now)

    by_code = {k.kpi.code: k for k in entry.kpis}
    assert {code: k.state for code, k in by_code.items()} == {
        "pulled": Due.FED,
        "labelled": Due.FED,
        "pushed": Due.FED,
        "entered": Due.MISSING,
        "company-wide": Due.MISSING,
        "switched-off": Due.MISSING,
    }
    assert (by_code["pulled"].source, by_code["pulled"].source_failed) == (failing, True)
    assert (by_code["labelled"].source, by_code["labelled"].troubled) == (prometheus, False)
    assert (by_code["pushed"].source, by_code["pushed"].pulled, by_code["pushed"].troubled) == (push, False, False)
    assert [k.kpi.code for k in entry.owed] == ["entered", "company-wide", "switched-off"]
    assert [k.kpi.code for k in entry.troubled] == ["pulled"]
    assert entry.summary == "3 missing · 3 fed by a source"


def test_the_workspace_shows_a_failing_source_to_report_instead_of_a_date_owed(client, ops_lead_a, initiative_a, kpi):
    failing = factories.HttpJsonSourceFactory(name="Claims API", last_status="failed")
    factories.SourceMappingFactory(source=failing, kpi=kpi, initiative=initiative_a)
    client.force_login(ops_lead_a)

    mine = client.get("/my/").content.decode()
    its_page = client.get(f"/my/{initiative_a.code}/").content.decode()

    assert "Sources to tell an admin about" in mine
    assert "Pulled from Claims API (HTTP JSON pull): never run yet, failed" in mine
    assert "Missing: never logged" not in mine
    assert "Due by" not in mine
    assert "Pulled from Claims API" in its_page
    assert f"?kpi={kpi.code}#log" not in its_page  # nothing for a person to log for it


def test_the_workspace_page_lists_what_is_owed_and_the_workflow_change_to_keep_current(
    client, ops_lead_a, initiative_a, kpi
):
    client.force_login(ops_lead_a)
    html = client.get("/my/").content.decode()
    assert "1 missing" in html
    assert "Missing: never logged" in html
    assert "No workflow-change definition yet" in html
    assert f'href="/initiatives/{initiative_a.code}/workflow/"' in html
    for csv_page in ("csv/upload/", "csv/template.csv", "measurements.csv"):
        assert f'href="/my/{initiative_a.code}/{csv_page}"' in html


@pytest.mark.parametrize("initiatives", [2, 12])
def test_the_workspace_reads_a_fixed_number_of_queries_whatever_it_holds(
    client, admin_user, kpi, initiatives, django_assert_max_num_queries
):
    for _ in range(initiatives):
        initiative = factories.InitiativeFactory()
        initiative.kpis.add(kpi, factories.KPIFactory())
        factories.MeasurementFactory(kpi=kpi, initiative=initiative)
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):
        assert client.get("/my/").status_code == 200
    first = Measurement.objects.first().initiative
    with django_assert_max_num_queries(10):
        assert client.get(f"/my/{first.code}/").status_code == 200


# --- The quick log form ---------------------------------------------------------------------


def test_an_ops_lead_logs_a_value_through_the_ingestion_service(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    response = log(client, initiative_a, value="64.5 %", note="After the March release")
    assert response.status_code == 302
    assert response.url == f"/my/{initiative_a.code}/"
    stored = Measurement.objects.get()
    assert (stored.kpi, stored.initiative, stored.value, stored.note) == (
        kpi,
        initiative_a,
        Decimal("64.5"),
        "After the March release",
    )
    assert (stored.entered_by, stored.entered_via, stored.source.kind) == (ops_lead_a, "form", SourceKind.MANUAL)
    assert timezone.localtime(stored.observed_at).date() == YESTERDAY
    assert timezone.localtime(stored.observed_at).time() == datetime.min.time()
    page = client.get(response.url)
    (message,) = page.context["messages"]
    assert str(message).startswith("Logged 64.5 %: ")


def test_logging_the_same_period_again_corrects_the_value_and_keeps_the_old_one_in_history(
    client, ops_lead_a, initiative_a, kpi
):
    client.force_login(ops_lead_a)
    log(client, initiative_a, value="60")
    corrected = log(client, initiative_a, value="62")
    assert corrected.status_code == 302
    assert Measurement.objects.get().value == Decimal(62)
    page = client.get(f"/my/{initiative_a.code}/")
    assert "corrected from 60.0 % to 62.0 % (kept in history)" in [str(m) for m in page.context["messages"]][-1]
    (entry,) = page.context["recent"]
    assert [c.value for c in entry.earlier] == [Decimal(60)]
    assert "was 60.0 %" in page.content.decode()


def test_logging_the_same_value_twice_stores_it_once(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    log(client, initiative_a, value="60")
    again = log(client, initiative_a, value="60", next="/my/")
    assert again.url == "/my/"
    assert Measurement.objects.count() == 1
    assert Measurement.history.count() == 0  # nothing changed, nothing to record
    messages = [str(m) for m in client.get("/my/").context["messages"]]
    assert "nothing changed" in messages[-1]


def test_the_next_address_never_leaves_the_site(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    response = log(client, initiative_a, next="https://elsewhere.example/")
    assert response.url == f"/my/{initiative_a.code}/"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"value": "140"}, "Value: KPI {n} is a percentage: 140 is outside 0 to 100"),
        ({"value": "-3"}, "Value: KPI {n} is a percentage: -3 is outside 0 to 100"),
        ({"value": "12 hours"}, "Value: KPI {n} is measured in %, not hours."),
        ({"value": "1,5"}, "Value: '1,5': write decimals with a point and no thousands separator."),
        ({"value": "lots"}, "Value: 'lots' is not a number."),
        ({"value": ""}, "Value: This field is required."),
        ({"period": "2026-02-30"}, "Period: Enter the day as YYYY-MM-DD."),
        ({"period": ""}, "Period: This field is required."),
        ({"kpi": "no-such-kpi"}, "KPI: Choose one of the initiative's KPIs."),
        ({"note": "x" * 501}, "Note: Ensure this value has at most 500 characters (it has 501)."),
    ],
)
def test_a_refused_value_names_the_field_and_the_reason_and_stores_nothing(
    client, ops_lead_a, initiative_a, kpi, fields, expected
):
    client.force_login(ops_lead_a)
    response = log(client, initiative_a, **fields)
    assert response.status_code == 400
    number = kpi.name.split()[-1]
    assert expected.format(n=number) in response.content.decode().replace("&#x27;", "'")
    assert not Measurement.objects.exists()


def test_a_future_period_is_refused_on_the_period_field(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = log(client, initiative_a, period=tomorrow.isoformat())
    assert response.status_code == 400
    assert response.context["form"].errors["period"] == [
        f"the observed time {tomorrow:%Y-%m-%d} 00:00 is in the future"
    ]
    assert not Measurement.objects.exists()


def test_a_count_is_never_negative_and_takes_no_percent_sign(client, ops_lead_a, initiative_a, count_kpi):
    client.force_login(ops_lead_a)
    negative = log(client, initiative_a, kpi=count_kpi.code, value="-4")
    assert negative.context["form"].errors["value"] == ["Claims handled is measured in count: it cannot be negative"]
    percent = log(client, initiative_a, kpi=count_kpi.code, value="40%")
    assert percent.context["form"].errors["value"] == ["Claims handled is measured in count, not %."]
    assert log(client, initiative_a, kpi=count_kpi.code, value="40").status_code == 302
    assert Measurement.objects.get().value == 40


def test_a_kpi_the_initiative_does_not_report_is_refused_on_the_kpi_field(client, ops_lead_a, initiative_a, kpi):
    other = factories.KPIFactory(code="not-ours", name="Not ours")
    client.force_login(ops_lead_a)
    response = log(client, initiative_a, kpi=other.code)
    assert response.status_code == 400
    assert response.context["form"].errors["kpi"] == [f"Not ours is not one of the KPIs {initiative_a.name} reports"]
    assert not Measurement.objects.exists()


def test_the_form_offers_only_the_kpis_the_initiative_reports(client, ops_lead_a, initiative_a, kpi):
    factories.KPIFactory(code="not-ours", name="Not ours")
    client.force_login(ops_lead_a)
    html = client.get(f"/my/{initiative_a.code}/").content.decode()
    assert 'value="fixture-kpi"' in html
    assert "not-ours" not in html


def test_correct_prefills_the_form_with_the_entry(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)
    log(client, initiative_a, value="61.5", note="first")
    page = client.get(f"/my/{initiative_a.code}/")
    link = f"?kpi=fixture-kpi&amp;period={YESTERDAY:%Y-%m-%d}&amp;value=61.5&amp;note=first#log"
    assert link in page.content.decode()
    form = client.get(f"/my/{initiative_a.code}/?kpi=fixture-kpi&period={YESTERDAY}&value=61.5").context["form"]
    assert (form["kpi"].value(), form["value"].value()) == ("fixture-kpi", "61.5")


def test_an_unknown_initiative_is_not_found(client, ops_lead_a):
    client.force_login(ops_lead_a)
    assert client.get("/my/no-such-initiative/").status_code == 404


def test_values_logged_at_a_month_start_count_in_that_month(client, admin_user, initiative_a, kpi):
    client.force_login(admin_user)
    log(client, initiative_a, period=date(2026, 3, 1).isoformat())
    stored = Measurement.objects.get()
    assert timezone.localtime(stored.observed_at).date() == date(2026, 3, 1)


# --- In a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_ops_lead_corrects_a_refused_value_and_logs_it_in_chromium(page, live_server, ops_lead_a, initiative_a, kpi):
    ops_lead_a.set_password(DEMO_PASSWORD)
    ops_lead_a.save()
    sign_in_at(page, live_server, ops_lead_a.username, "/my/")
    card = page.locator(f"#initiative-{initiative_a.code}")
    expect(card.locator(".due-counts")).to_have_text("1 missing")

    card.get_by_role("row", name=kpi.name).get_by_role("link", name="Log").click()
    expect(page.locator("#id_kpi")).to_have_value(kpi.code)
    page.fill("#id_value", "140")
    page.get_by_role("button", name="Log the value").click()
    expect(page.locator("#id_value_error")).to_have_text(f"Value: {kpi.name} is a percentage: 140 is outside 0 to 100")
    assert not Measurement.objects.exists()

    page.fill("#id_value", "64.5")
    page.get_by_role("button", name="Log the value").click()
    expect(page.locator("ul.messages")).to_contain_text("Logged 64.5 %")
    expect(page.locator("#history tbody tr").first).to_contain_text("64.5 %")
    assert Measurement.objects.get().value == Decimal("64.5")
    # The refused value was answered 400 (which Chromium reports); nothing else went wrong.
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    assert page.foreign_requests == []

"""The REST API (/api/v1/): token and session sign-in, the same permissions as the pages,
batches stored all or none, idempotent retries, and a schema that documents the errors."""

import base64
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from metrics.models import KPI, Measurement
from scoreboard.models import IdempotencyRecord
from scoreboard.services import idempotency_keys_forget, token_issue, token_revoke
from tests import factories
from tests.db_rows import rows

pytestmark = pytest.mark.django_db

BULK = "/api/v1/measurements/bulk/"
WHEN = "2026-03-10T09:00:00Z"


def row(kpi, initiative=None, value="61.5", observed_at=WHEN, **extra):
    return {
        "kpi": kpi.code,
        "initiative": initiative.code if initiative else None,
        "observed_at": observed_at,
        "value": value,
        **extra,
    }


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def token_client(user, name="warehouse loader"):
    _, key = token_issue(user=user, name=name)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


# --- Signing in ----------------------------------------------------------------------------


def test_anonymous_request_is_refused_with_401_and_a_token_challenge(client, kpi, initiative_a):
    response = post(client, BULK, {"measurements": [row(kpi, initiative_a)]})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert client.get("/api/v1/measurements/").status_code == 401
    assert not Measurement.objects.exists()


def test_ops_lead_token_stores_measurements_for_their_initiative(ops_lead_a, kpi, initiative_a):
    machine = token_client(ops_lead_a)
    response = post(
        machine,
        BULK,
        {"measurements": [row(kpi, initiative_a), row(kpi, initiative_a, observed_at="2026-03-11T09:00:00Z")]},
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"received": 2, "stored": 2, "unchanged": 0}
    stored = Measurement.objects.get(observed_at="2026-03-10T09:00:00Z")
    assert (stored.entered_by, stored.entered_via, stored.source.name) == (ops_lead_a, "api", "REST API")


def test_a_revoked_token_and_a_wrong_token_are_refused(ops_lead_a):
    token, key = token_issue(user=ops_lead_a, name="loader")
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/kpis/").status_code == 200
    token_revoke(token=token)
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/kpis/").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Token not-a-key").get("/api/v1/kpis/").status_code == 401


def test_a_token_stops_working_when_its_user_loses_the_role(ops_lead_a):
    machine = token_client(ops_lead_a)
    ops_lead_a.groups.clear()
    response = machine.get("/api/v1/kpis/")
    assert response.status_code == 401
    assert "no longer an active ops lead or admin" in response.json()["detail"]


def test_an_executive_cannot_be_given_a_token(cio):
    with pytest.raises(ValidationError) as refused:
        token_issue(user=cio, name="dashboard scraper")
    assert "user" in refused.value.message_dict


def test_only_a_hash_of_the_key_is_stored(ops_lead_a):
    token, key = token_issue(user=ops_lead_a, name="loader")
    token.refresh_from_db()
    assert key not in (token.key_hash, token.key_prefix)
    assert token.key_prefix == key[:8]


# --- Permissions -----------------------------------------------------------------------------


def test_ops_lead_posting_to_another_leads_initiative_gets_403_and_nothing_is_stored(
    ops_lead_a, kpi, initiative_a, initiative_b
):
    machine = token_client(ops_lead_a)
    response = post(machine, BULK, {"measurements": [row(kpi, initiative_a), row(kpi, initiative_b)]})
    assert response.status_code == 403
    assert initiative_b.code in response.json()["detail"]
    assert not Measurement.objects.exists()


def test_ops_lead_cannot_record_a_company_wide_figure(ops_lead_a, kpi):
    response = post(token_client(ops_lead_a), "/api/v1/measurements/", row(kpi))
    assert response.status_code == 403
    assert "company-wide figures are recorded by admins" in response.json()["detail"]
    assert not Measurement.objects.exists()


def test_an_executive_may_read_but_not_write_even_with_a_broken_body(client, cio, kpi, initiative_a):
    client.force_login(cio)
    assert client.get("/api/v1/measurements/").status_code == 200
    assert post(client, BULK, {"nonsense": True}).status_code == 403
    assert post(client, BULK, {"measurements": [row(kpi, initiative_a)]}).status_code == 403
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_only_an_admin_changes_a_kpi_definition(client, request, persona, kpi):
    client.force_login(request.getfixturevalue(persona))
    response = client.patch(
        f"/api/v1/kpis/{kpi.code}/", json.dumps({"name": "Renamed"}), content_type="application/json"
    )
    assert response.status_code == 403
    kpi.refresh_from_db()
    assert kpi.name != "Renamed"


def test_admin_changes_a_kpi_and_a_bad_change_names_the_field(client, admin_user, kpi):
    client.force_login(admin_user)
    url = f"/api/v1/kpis/{kpi.code}/"
    co_accountable = kpi.co_accountable_executive
    ok = client.patch(url, json.dumps({"name": "Straight-through rate"}), content_type="application/json")
    assert ok.status_code == 200, ok.content
    same = kpi.accountable_executive.username
    bad = client.patch(url, json.dumps({"co_accountable_executive": same}), content_type="application/json")
    assert bad.status_code == 400
    assert "co_accountable_executive" in bad.json()
    kpi.refresh_from_db()
    assert (kpi.name, kpi.co_accountable_executive) == ("Straight-through rate", co_accountable)


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_target_sent_with_an_amber_threshold_is_refused_naming_the_field_and_why(client, admin_user, kpi, method):
    target = factories.TargetFactory(kpi=kpi)
    client.force_login(admin_user)
    body = {"kpi": kpi.code, "effective_from": "2026-04-01", "target": "80", "red_threshold": "60"}
    url = "/api/v1/targets/" if method == "post" else f"/api/v1/targets/{target.pk}/"
    before = rows()
    response = getattr(client, method)(
        url, json.dumps({**body, "amber_threshold": "70"}), content_type="application/json"
    )
    assert response.status_code == 400
    (reason,) = response.json()["amber_threshold"]
    assert "amber now begins at the target" in reason
    assert rows() == before


def test_session_writes_need_the_csrf_token(admin_user, kpi, initiative_a):
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("login"))  # the sign-in form sets the CSRF cookie
    browser.force_login(admin_user, backend="scoreboard.auth_backends.PasswordBackend")
    refused = post(browser, BULK, {"measurements": [row(kpi, initiative_a)]})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Measurement.objects.exists()
    accepted = post(
        browser, BULK, {"measurements": [row(kpi, initiative_a)]}, HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value
    )
    assert accepted.status_code == 201, accepted.content


# --- Batches: validated as a whole ---------------------------------------------------------------


def test_one_bad_row_refuses_the_batch_naming_the_row_field_and_reason(ops_lead_a, kpi, initiative_a):
    rows = [
        row(kpi, initiative_a),
        row(kpi, initiative_a, value="140", observed_at="2026-03-11T09:00:00Z"),
        row(kpi, initiative_a, observed_at="2026-03-12 09:00"),
        {**row(kpi, initiative_a), "kpi": "no-such-kpi"},
    ]
    response = post(token_client(ops_lead_a), BULK, {"measurements": rows})
    assert response.status_code == 400
    errors = response.json()["measurements"]
    assert "1" not in errors
    assert "outside 0 to 100" in errors["2"]["value"][0]
    assert "time zone" in errors["3"]["observed_at"][0]
    assert "no-such-kpi" in errors["4"]["kpi"][0]
    assert not Measurement.objects.exists()


def test_a_kpi_the_initiative_does_not_report_is_refused_naming_the_field(ops_lead_a, kpi, initiative_a):
    initiative_a.kpis.remove(kpi)
    response = post(token_client(ops_lead_a), "/api/v1/measurements/", row(kpi, initiative_a))
    assert response.status_code == 400
    assert response.json()["kpi"] == [f"{kpi.name} is not one of the KPIs {initiative_a.name} reports"]
    assert not Measurement.objects.exists()


def test_a_batch_over_ten_thousand_is_refused(ops_lead_a, kpi, initiative_a):
    rows = [row(kpi, initiative_a)] * 10_001
    response = post(token_client(ops_lead_a), BULK, {"measurements": rows})
    assert response.status_code == 400
    assert "10,001" in response.json()["measurements"][0]


def test_a_future_observation_is_refused_naming_the_field(ops_lead_a, kpi, initiative_a):
    response = post(
        token_client(ops_lead_a), "/api/v1/measurements/", row(kpi, initiative_a, observed_at="2999-01-01T00:00:00Z")
    )
    assert response.status_code == 400
    assert "in the future" in response.json()["observed_at"][0]


def test_resending_the_same_measurements_stores_nothing_twice(ops_lead_a, kpi, initiative_a):
    machine = token_client(ops_lead_a)
    body = {"measurements": [row(kpi, initiative_a)]}
    assert post(machine, BULK, body).json()["stored"] == 1
    again = post(machine, BULK, body)
    assert again.json() == {"received": 1, "stored": 0, "unchanged": 1}
    assert Measurement.objects.count() == 1


# --- Idempotency-Key ------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_answer_and_stores_nothing(ops_lead_a, kpi, initiative_a):
    machine = token_client(ops_lead_a)
    body = {"measurements": [row(kpi, initiative_a)]}
    first = post(machine, BULK, body, HTTP_IDEMPOTENCY_KEY="batch-2026-03-10")
    Measurement.objects.update(value=1)  # had the retry been stored again, this would change back
    retry = post(machine, BULK, body, HTTP_IDEMPOTENCY_KEY="batch-2026-03-10")
    assert (
        (retry.status_code, retry.json())
        == (first.status_code, first.json())
        == (201, {"received": 1, "stored": 1, "unchanged": 0})
    )
    assert retry["Idempotent-Replayed"] == "true"
    assert Measurement.objects.get().value == 1
    assert IdempotencyRecord.objects.count() == 1


def test_the_same_key_with_another_body_is_a_409(ops_lead_a, kpi, initiative_a):
    machine = token_client(ops_lead_a)
    post(machine, BULK, {"measurements": [row(kpi, initiative_a)]}, HTTP_IDEMPOTENCY_KEY="k1")
    response = post(machine, BULK, {"measurements": [row(kpi, initiative_a, value="3")]}, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 409
    assert Measurement.objects.get().value == 61.5


def test_a_refused_request_keeps_no_key_so_the_fixed_retry_is_stored(ops_lead_a, kpi, initiative_a):
    machine = token_client(ops_lead_a)
    bad = post(machine, BULK, {"measurements": [row(kpi, initiative_a, value="x")]}, HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 400
    fixed = post(machine, BULK, {"measurements": [row(kpi, initiative_a)]}, HTTP_IDEMPOTENCY_KEY="k3")
    assert fixed.status_code == 201
    assert not IdempotencyRecord.objects.filter(key="k2").exists()


def test_keys_belong_to_their_user(ops_lead_a, admin_user, kpi, initiative_a):
    body = {"measurements": [row(kpi, initiative_a)]}
    post(token_client(ops_lead_a), BULK, body, HTTP_IDEMPOTENCY_KEY="shared")
    other = post(
        token_client(admin_user),
        BULK,
        {"measurements": [row(kpi, initiative_a, value="2")]},
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert other.status_code == 201
    assert other.json()["stored"] == 1


# --- Reading: filters, ordering, pages -------------------------------------------------------------


def test_measurements_filter_by_kpi_and_initiative_and_come_in_pages(client, cio, kpi, initiative_a, initiative_b):
    other_kpi = factories.KPIFactory(
        accountable_executive=kpi.accountable_executive, co_accountable_executive=kpi.co_accountable_executive
    )
    for day in range(1, 6):
        factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, observed_at=f"2026-03-0{day}T08:00:00Z")
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_b)
    factories.MeasurementFactory(kpi=other_kpi, initiative=initiative_a)
    client.force_login(cio)
    page = client.get(
        "/api/v1/measurements/",
        {"kpi": kpi.code, "initiative": initiative_a.code, "page_size": 2, "ordering": "observed_at"},
    ).json()
    assert "count" not in page  # millions at a large company: never counted
    assert [m["observed_at"][:10] for m in page["results"]] == ["2026-03-01", "2026-03-02"]
    following = client.get(page["next"]).json()
    assert [m["observed_at"][:10] for m in following["results"]] == ["2026-03-03", "2026-03-04"]
    assert client.get(following["previous"]).json()["results"] == page["results"]


def every_page(client, url: str, **params) -> list[dict]:
    """Each page's results, following next to the last."""
    pages, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        pages.append(response.json()["results"])
        if not response.json()["next"]:
            return pages
        response = client.get(response.json()["next"])


@pytest.mark.parametrize("ordering", [None, "observed_at", "-created_at", "value"])
def test_measurement_pages_list_every_row_once_even_when_many_share_a_moment(
    client, cio, kpi, initiative_a, initiative_b, ordering
):
    """The cursor is the ordering's field; rows sharing it (a daily pull's, all stamped alike) are
    told apart by id, so no page repeats or skips one, in either direction."""
    stored = [
        factories.MeasurementFactory(
            kpi=kpi, initiative=initiative, observed_at=f"2026-03-0{day}T00:00:00Z", value=day % 2
        ).pk
        for day in (1, 2, 3)
        for initiative in (initiative_a, initiative_b, None)
    ]
    client.force_login(cio)
    params = {"page_size": 2} | ({"ordering": ordering} if ordering else {})

    pages = every_page(client, "/api/v1/measurements/", **params)

    listed = [m["id"] for page in pages for m in page]
    assert sorted(listed) == sorted(stored)  # each once
    assert len(pages) == 5
    if ordering is None:  # newest first by default
        assert [m["observed_at"][:10] for m in pages[0]] == ["2026-03-03", "2026-03-03"]


def test_a_cursor_the_api_never_gave_is_a_400_naming_it(client, cio, kpi, initiative_a):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a)
    client.force_login(cio)
    # Well-formed, as the API encodes them, but positioned at something that is no moment.
    made_by_hand = base64.b64encode(b"p=not-a-moment").decode()

    for cursor in ("garbage", made_by_hand):
        response = client.get("/api/v1/measurements/", {"cursor": cursor})
        assert response.status_code == 400, (cursor, response.content)
        assert "Not a cursor this API gave" in response.json()["cursor"][0]


def test_kpis_are_looked_up_by_code_and_an_unknown_one_is_404(client, cio, kpi):
    client.force_login(cio)
    assert client.get(f"/api/v1/kpis/{kpi.code}/").json()["name"] == kpi.name
    assert client.get("/api/v1/kpis/no-such-kpi/").status_code == 404
    assert KPI.objects.count() == 1


# --- The schema and its docs --------------------------------------------------------------------------


def test_schema_documents_every_error_a_write_can_answer(client, cio):
    client.force_login(cio)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    bulk = schema["paths"]["/api/v1/measurements/bulk/"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(bulk["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in bulk["parameters"])
    kpi = schema["paths"]["/api/v1/kpis/{code}/"]["get"]
    assert {"200", "401", "403", "404"} <= set(kpi["responses"])
    assert "integrationToken" in schema["components"]["securitySchemes"]


def test_the_docs_page_loads_its_scripts_from_our_own_static_files(client, ops_lead_a):
    client.force_login(ops_lead_a)
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


# --- Issuing and revoking tokens -------------------------------------------------------------------


def test_issue_token_prints_a_key_that_signs_in(ops_lead_a):
    out = StringIO()
    call_command("issue_token", ops_lead_a.username, "claims loader", stdout=out)
    key = out.getvalue().splitlines()[1]
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/kpis/").status_code == 200


def test_issue_token_refuses_an_executive_naming_the_reason(cio):
    with pytest.raises(CommandError, match="neither an ops lead nor an admin"):
        call_command("issue_token", cio.username, "scraper", stdout=StringIO())


def test_an_admin_revokes_a_token_in_the_admin_and_an_ops_lead_cannot_see_them(client, admin_user, ops_lead_a):
    token, key = token_issue(user=ops_lead_a, name="loader")
    client.force_login(ops_lead_a)
    assert client.get(reverse("admin:scoreboard_integrationtoken_changelist")).status_code in (302, 403)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:scoreboard_integrationtoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/kpis/").status_code == 401


def test_an_unknown_api_address_answers_json_and_a_page_address_html(client, cio):
    client.force_login(cio)
    api = client.get("/api/v1/no-such-endpoint/")
    assert (api.status_code, api["Content-Type"], api.json()["detail"]) == (
        404,
        "application/json",
        "No such endpoint or object.",
    )
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_kept_answers_are_forgotten_after_a_week(ops_lead_a, kpi, initiative_a):
    post(token_client(ops_lead_a), BULK, {"measurements": [row(kpi, initiative_a)]}, HTTP_IDEMPOTENCY_KEY="old")
    post(
        token_client(ops_lead_a),
        BULK,
        {"measurements": [row(kpi, initiative_a, observed_at="2026-03-11T09:00:00Z")]},
        HTTP_IDEMPOTENCY_KEY="new",
    )
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(days=8))
    assert idempotency_keys_forget() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize(
    "observed_at", ["2024-01-01T12:99:00Z", "2026-02-30T09:00:00Z", "0001-01-01T00:00:00+01:00", "yesterday"]
)
def test_an_impossible_observed_time_is_refused_naming_the_field(ops_lead_a, kpi, initiative_a, observed_at):
    response = post(token_client(ops_lead_a), "/api/v1/measurements/", row(kpi, initiative_a, observed_at=observed_at))
    assert response.status_code == 400
    assert "is not a date and time" in response.json()["observed_at"][0]
    assert not Measurement.objects.exists()


def test_an_observed_time_with_a_far_offset_is_stored_as_the_same_moment(ops_lead_a, kpi, initiative_a):
    response = post(
        token_client(ops_lead_a),
        "/api/v1/measurements/",
        row(kpi, initiative_a, observed_at="2026-03-10T08:59:00-20:27"),
    )
    assert response.status_code == 201, response.content
    assert Measurement.objects.get().observed_at == datetime(2026, 3, 11, 5, 26, tzinfo=UTC)


def test_a_time_filter_with_a_far_offset_is_read_in_utc(client, cio, kpi, initiative_a):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a, observed_at="2026-03-10T09:00:00Z")
    client.force_login(cio)
    # 08:59 at -20:27 is 05:26 UTC the next day: after the measurement.
    after = client.get("/api/v1/measurements/", {"observed_at__gte": "2026-03-10T08:59:00-20:27"})
    assert (after.status_code, after.json()["results"]) == (200, [])
    before = client.get("/api/v1/measurements/", {"observed_at__lt": "2026-03-10T08:59:00-20:27"})
    assert len(before.json()["results"]) == 1


def test_only_admins_set_which_kpis_an_initiative_reports_not_its_ops_leads(
    client, ops_lead_a, ops_lead_b, admin_user, kpi, initiative_a
):
    other = factories.KPIFactory(accountable_executive=kpi.accountable_executive, co_accountable_executive=None)
    url = f"/api/v1/initiatives/{initiative_a.code}/"
    body = json.dumps({"kpis": [kpi.code, other.code]})
    for ops_lead in (ops_lead_b, ops_lead_a):
        client.force_login(ops_lead)
        refused = client.patch(url, body, content_type="application/json")
        assert refused.status_code == 403
        assert set(initiative_a.kpis.values_list("code", flat=True)) == {kpi.code}
    assert "only admins change the KPIs it reports" in refused.json()["detail"]
    client.force_login(admin_user)
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert set(response.json()["kpis"]) == {kpi.code, other.code}
    company_wide = factories.KPIFactory(scope="company", accountable_executive=kpi.accountable_executive)
    refused = client.patch(url, json.dumps({"kpis": [company_wide.code]}), content_type="application/json")
    assert refused.status_code == 400
    assert "kpis" in refused.json()

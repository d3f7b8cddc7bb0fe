"""Hostile values in every field of the API's writes (issue 15), drawn by Hypothesis: text with
NUL, lone surrogates or control characters, numbers written every odd way, lists and objects
where a scalar belongs, dates at the calendar's edges and offsets no clock has. Each is a JSON
400 naming the field (and, in a batch, the row), nothing is stored, and nothing is a 500."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from governance.models import DecisionRequest, MatrixDecision, Risk, ShadowAITool
from initiatives.models import BacklogItem, Initiative, Milestone
from metrics.models import KPI, Measurement, MetricSource, Target
from tests import factories
from tests import hostile as h
from tests.api.test_api_governance import SHADOW_TOOL, decision_body, risk_body

pytestmark = pytest.mark.django_db

OBSERVED = (timezone.now() - timedelta(days=2)).isoformat()
MEASUREMENTS = "/api/v1/measurements/"
BULK = "/api/v1/measurements/bulk/"

# What each field of a measurement must refuse.
MEASUREMENT_FIELDS = {
    "kpi": st.one_of(h.hostile_text, h.wrong_shape, st.none(), h.not_a_number_text),
    "initiative": st.one_of(h.hostile_text, h.wrong_shape.filter(lambda v: v is not None)),
    "observed_at": st.one_of(h.bad_moment_text, h.wrong_shape, h.bad_number_json, st.none()),
    "value": st.one_of(h.bad_number_text, h.bad_number_json, h.wrong_shape, h.hostile_text, st.none()),
    "note": st.one_of(
        h.hostile_text, h.wrong_shape, st.integers(501, 3_000).map(lambda n: "x" * n), st.integers(-5, 5)
    ),
}


def _row(at, **changes) -> dict:
    return {"kpi": "fixture-kpi", "initiative": at.code, "observed_at": OBSERVED, "value": "5"} | changes


def _post(client, url: str, body) -> object:
    return client.post(url, h.json_body(body), content_type="application/json")


def _refused_on(response, *where: str) -> dict:
    """The answer is a JSON 400 whose errors name ``where`` (a field, or a row then a field)."""
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    errors = response.json()
    dotted = ".".join(where)
    if dotted in errors or any(key.startswith(f"{dotted}.") for key in errors):
        return errors
    found = errors
    for part in where:  # nested: {"measurements": {"2": {"value": [...]}}}
        assert isinstance(found, dict), f"{dotted} is not named in {errors}"
        assert part in found, f"{dotted} is not named in {errors}"
        found = found[part]
    return errors


@pytest.mark.parametrize("field", MEASUREMENT_FIELDS)
def test_a_hostile_field_of_one_measurement_is_a_400_naming_it(client, ops_lead_a, initiative_a, kpi, field):
    client.force_login(ops_lead_a)
    sources = MetricSource.objects.count()

    @h.budget(25)
    @given(value=MEASUREMENT_FIELDS[field])
    def check(value):
        response = _post(client, MEASUREMENTS, _row(initiative_a, **{field: value}))

        _refused_on(response, field)
        assert not Measurement.objects.exists()
        assert MetricSource.objects.count() == sources  # not even the default push source

    check()


@pytest.mark.parametrize("field", MEASUREMENT_FIELDS)
def test_a_hostile_field_in_a_batch_is_a_400_naming_its_row_and_field(client, ops_lead_a, initiative_a, kpi, field):
    client.force_login(ops_lead_a)

    @h.budget(15)
    @given(value=MEASUREMENT_FIELDS[field], at=st.integers(0, 3))
    def check(value, at):
        rows = [_row(initiative_a, observed_at=(timezone.now() - timedelta(days=n + 1)).isoformat()) for n in range(4)]
        rows[at][field] = value

        response = _post(client, BULK, {"measurements": rows})

        errors = _refused_on(response, "measurements")
        # The row as the parser counts it (from 0, a JSON path) or as the intake does (from 1).
        path = f"measurements.{at}.{field}"
        named = [key for key in errors if key == path or key.startswith(f"{path}.")]
        assert named or field in errors["measurements"][str(at + 1)], errors
        assert not Measurement.objects.exists()

    check()


@h.budget(20)
@given(depth=h.deep_depth)
def test_a_batch_nested_past_any_request_is_a_json_400(client, ops_lead_a, initiative_a, kpi, depth):
    client.force_login(ops_lead_a)
    raw = json.dumps({"measurements": [_row(initiative_a, note="@")]}).replace('"@"', h.nested_json(depth))

    response = client.post(BULK, raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert not Measurement.objects.exists()


@h.budget(20)
@given(observed_at=h.far_offset_moment_text)
def test_a_moment_with_the_farthest_offset_a_clock_has_is_stored_as_that_instant(
    client, ops_lead_a, initiative_a, kpi, observed_at
):
    client.force_login(ops_lead_a)
    Measurement.objects.all().delete()

    response = _post(client, MEASUREMENTS, _row(initiative_a, observed_at=observed_at))

    assert response.status_code == 201, response.content
    assert Measurement.objects.get().observed_at == h.utc_of(observed_at)


# --- The other writes: their text, dates and numbers -------------------------------------------------------


def _milestone(w):
    return {"initiative": w["initiative_a"].code, "title": "Pilot in Ghent", "due_on": "2026-04-01"}


def _backlog(w):
    return {"initiative": w["initiative_a"].code, "title": "Forms", "description": "Scan them", "priority": 1}


def _initiative(w):
    return {
        "code": "invoice-matching",
        "name": "Invoice matching",
        "business_unit": "Finance",
        "process": "Accounts payable",
        "stage": "idea",
        "sourcing": "buy",
        "technology_owner": w["cio"].username,
        "operations_owner": w["coo"].username,
        "technology_owner_description": "Matches invoices to purchase orders.",
        "operations_owner_description": "Clerks handle the ones that do not match.",
        "started_on": "2026-01-05",
        "planned_go_live": "2026-06-01",
    }


def _decision(w):
    return decision_body(w["draft"])


def _ask(w):
    due = (timezone.now() + timedelta(days=2)).isoformat()
    return {"question": "Go live in Belgium?", "executive": w["coo"].username, "due_at": due}


def _target(w):
    return {
        "kpi": w["kpi"].code,
        "effective_from": "2026-01-01",
        "target": "80",
        "red_threshold": "60",
    }


TEXT = st.one_of(h.hostile_text, h.wrong_shape)
DAY = st.one_of(h.out_of_years_day_text, h.malformed_date_text, h.wrong_shape)
MOMENT = st.one_of(h.out_of_years_moment_text, h.malformed_date_text, h.wrong_shape)

# (url, model, who writes, a valid body, {field: what it must refuse})
WRITES = {
    "risk": ("/api/v1/risks/", Risk, "admin_user", lambda w: risk_body(w["cio"], w["coo"]), {
        "title": TEXT, "description": TEXT, "preventive_measures": TEXT, "technology_owner": TEXT,
        "likelihood": st.one_of(h.bad_number_json, h.wrong_shape, h.hostile_text),
    }),
    "shadow-ai tool": ("/api/v1/shadow-ai-tools/", ShadowAITool, "admin_user", lambda w: dict(SHADOW_TOOL), {
        "tool": TEXT, "team": TEXT, "use": TEXT, "discovered_on": DAY,
    }),
    "initiative": ("/api/v1/initiatives/", Initiative, "admin_user", _initiative, {
        "code": TEXT, "name": TEXT, "process": TEXT, "started_on": DAY, "planned_go_live": DAY,
    }),
    "milestone": ("/api/v1/milestones/", Milestone, "ops_lead_a", _milestone, {"title": TEXT, "due_on": DAY}),
    "backlog item": ("/api/v1/backlog-items/", BacklogItem, "ops_lead_a", _backlog, {
        "title": TEXT, "description": TEXT, "priority": st.one_of(h.bad_number_json, h.wrong_shape),
    }),
    "matrix decision": ("/api/v1/matrix-decisions/", MatrixDecision, "admin_user", _decision, {
        "key": TEXT, "decision": TEXT, "escalation_owner": TEXT,
        "confidence_threshold": st.one_of(h.bad_number_json, h.wrong_shape, st.sampled_from(["NaN", "Infinity"])),
    }),
    "decision request": ("/api/v1/decision-requests/", DecisionRequest, "ops_lead_a", _ask, {
        "question": TEXT, "executive": TEXT, "due_at": MOMENT,
    }),
    "target": ("/api/v1/targets/", Target, "admin_user", _target, {
        "effective_from": DAY, "target": st.one_of(h.bad_number_json, h.wrong_shape, h.hostile_text),
    }),
}  # fmt: skip
CASES = [(kind, field) for kind, (*_, fields) in WRITES.items() for field in fields]


@pytest.fixture
def world(request, admin_user, cio, coo, ops_lead_a, initiative_a, kpi):
    return {
        "admin_user": admin_user,
        "cio": cio,
        "coo": coo,
        "ops_lead_a": ops_lead_a,
        "initiative_a": initiative_a,
        "kpi": kpi,
        "draft": factories.MatrixVersionFactory(status="draft"),
    }


def test_every_write_in_the_table_stores_its_valid_body(client, world):
    for url, model, who, body, _ in WRITES.values():
        client.force_login(world[who])
        response = _post(client, url, body(world))
        assert response.status_code == 201, (url, response.content)
        model.objects.filter(pk=response.json()["id"]).delete()


@pytest.mark.parametrize(("kind", "field"), CASES, ids=[f"{kind}.{field}" for kind, field in CASES])
def test_a_hostile_field_of_any_write_is_a_400_naming_it(client, world, kind, field):
    url, model, who, body, fields = WRITES[kind]
    client.force_login(world[who])
    before = model.objects.count()

    @h.budget(12)
    @given(value=fields[field])
    def check(value):
        response = _post(client, url, body(world) | {field: value})

        _refused_on(response, field)
        assert model.objects.count() == before

    check()


def test_kpis_keep_their_text_clean_too(client, admin_user, kpi):
    client.force_login(admin_user)

    response = client.patch(
        f"/api/v1/kpis/{kpi.code}/", json.dumps({"name": "Rate\x07"}), content_type="application/json"
    )

    _refused_on(response, "name")
    assert KPI.objects.get(pk=kpi.pk).name == kpi.name

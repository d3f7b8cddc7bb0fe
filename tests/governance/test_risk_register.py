"""The risk register: risks by rating with their measures, joint owners and initiatives, the filters
and the heat grid, and risks added and edited by admins only, each refusal leaving nothing behind."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from governance.models import Risk
from governance.services import registers
from tests.governance.register_helpers import RISKS, _risk, _section

pytestmark = pytest.mark.django_db


# --- The risk register ---------------------------------------------------------------------------------


def test_risk_register_lists_risks_by_rating_with_measures_joint_owner_and_initiatives(client, cio, coo, initiative_a):
    low = _risk(cio, coo, "Garage payments late", category="operational_disruption", likelihood=2, impact=2)
    high = _risk(cio, coo, "Broker data abroad", category="privacy", likelihood=4, impact=4)
    high.initiatives.add(initiative_a)
    client.force_login(cio)

    html = client.get(RISKS).content.decode()

    assert html.index("Broker data abroad") < html.index("Garage payments late")
    row = _section(html, f'id="risk-{high.pk}"')
    for shown in ("Privacy", ">16<", "4 × 4", "Quoted instructions are stripped.", "Switch drafting to manual."):
        assert shown in row
    assert f'<span class="small muted">Technology:</span> {cio}' in row
    assert f'<span class="small muted">Operations:</span> {coo}' in row
    assert f'href="/initiatives/{initiative_a.code}/"' in row
    assert "heat-severe" in row
    assert "heat-low" in _section(html, f'id="risk-{low.pk}"')


def test_risk_register_filters_by_category_status_and_initiative(client, cio, coo, initiative_a, initiative_b):
    _risk(cio, coo, "Cyber on A").initiatives.add(initiative_a)
    _risk(cio, coo, "Privacy on B", category="privacy").initiatives.add(initiative_b)
    _risk(cio, coo, "Closed cyber", status="closed")
    client.force_login(cio)

    def titles(**query):
        page = client.get(RISKS, query).context["page"]
        return {risk.title for risk in page}

    assert titles(category="cyber") == {"Cyber on A", "Closed cyber"}
    assert titles(status="closed") == {"Closed cyber"}
    assert titles(initiative=initiative_b.code) == {"Privacy on B"}
    assert titles(category="cyber", status="open", initiative=initiative_a.code) == {"Cyber on A"}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"category": "weather"}, "Category: “weather” is not a risk category"),
        ({"status": "forgotten"}, "Status: “forgotten” is not a risk status"),
        ({"initiative": "nowhere"}, "Initiative: No risk concerns an initiative with the code “nowhere”"),
    ],
)
def test_a_risk_filter_that_cannot_be_applied_is_a_400_naming_it(client, cio, coo, query, named):
    _risk(cio, coo)
    client.force_login(cio)

    response = client.get(RISKS, query)

    assert response.status_code == 400
    assert named in response.content.decode()


def test_the_heat_grid_counts_risks_not_closed_by_likelihood_and_impact(client, cio, coo):
    _risk(cio, coo, "One", likelihood=3, impact=4)
    _risk(cio, coo, "Two", likelihood=3, impact=4, status="mitigated")
    _risk(cio, coo, "Three", likelihood=5, impact=1)
    _risk(cio, coo, "Closed", likelihood=5, impact=5, status="closed")
    client.force_login(cio)

    response = client.get(RISKS)

    cells = {(c["likelihood"], row["impact"]): c["count"] for row in response.context["grid"] for c in row["cells"]}
    assert len(cells) == 25
    assert {cell: n for cell, n in cells.items() if n} == {(3, 4): 2, (5, 1): 1}
    assert [row["impact"] for row in response.context["grid"]] == [5, 4, 3, 2, 1]
    html = response.content.decode()
    assert re.search(r'data-likelihood="3" data-impact="4"[^>]*>2</td>', html)
    assert "3 risks not closed" in html


RISK_FORM = {
    "title": "Model drifts after a policy change",
    "category": "operational_disruption",
    "description": "",
    "preventive_measures": "Monthly drift report.",
    "responsive_measures": "Route claims to people until retrained.",
    "likelihood": "3",
    "impact": "4",
    "status": "open",
}


def test_admin_adds_a_risk_with_its_initiatives_and_history(client, admin_user, cio, coo, initiative_a):
    client.force_login(admin_user)

    response = client.post(
        f"{RISKS}new/",
        {**RISK_FORM, "technology_owner": cio.pk, "operations_owner": coo.pk, "initiatives": [initiative_a.pk]},
    )

    risk = Risk.objects.get()
    assert response.status_code == 302
    assert (risk.rating, list(risk.initiatives.all())) == (12, [initiative_a])
    assert risk.history.earliest().history_change_reason == "Added to the risk register"
    assert risk.history.earliest().history_user == admin_user


def test_admin_edits_a_risk_and_its_initiatives(client, admin_user, cio, coo, initiative_a, initiative_b):
    risk = _risk(cio, coo)
    risk.initiatives.add(initiative_a)
    client.force_login(admin_user)

    body = {**RISK_FORM, "technology_owner": cio.pk, "operations_owner": coo.pk, "initiatives": [initiative_b.pk]}
    response = client.post(f"{RISKS}{risk.pk}/edit/", {**body, "status": "mitigated", "likelihood": "1"})

    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.likelihood, list(risk.initiatives.all())) == ("mitigated", 1, [initiative_b])
    assert risk.history.latest().history_change_reason == "Edited on the risk register"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"operations_owner": "tech"}, "operations_owner", "a different person from the technology owner"),
        ({"likelihood": "0"}, "likelihood", "Likelihood is rated from 1 (rare) to 5 (almost certain)."),
        ({"impact": "6"}, "impact", "Impact is rated from 1 (minor) to 5 (severe)."),
        ({"category": "weather"}, "category", "not one of the available choices"),
        ({"preventive_measures": ""}, "preventive_measures", "required"),
    ],
)
def test_an_invalid_risk_is_refused_on_its_field_and_nothing_changes(
    client, admin_user, cio, coo, changes, field, message
):
    risk = _risk(cio, coo)
    client.force_login(admin_user)
    body = {**RISK_FORM, "technology_owner": cio.pk, "operations_owner": coo.pk, **changes}
    if body["operations_owner"] == "tech":
        body["operations_owner"] = cio.pk

    added = client.post(f"{RISKS}new/", body)
    edited = client.post(f"{RISKS}{risk.pk}/edit/", body)

    for response in (added, edited):
        assert response.status_code == 400
        assert message in " ".join(response.context["form"].errors[field])
    assert Risk.objects.count() == 1
    risk.refresh_from_db()
    assert (risk.title, risk.history.count()) == ("Prompt injection through customer emails", 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"operations_owner": "cio"}, "operations_owner"), ({"likelihood": 0}, "likelihood"), ({"impact": 6}, "impact")],
)
def test_risk_save_refuses_what_the_register_cannot_hold(admin_user, cio, coo, initiative_a, changes, field):
    data = {**RISK_FORM, "technology_owner": cio, "operations_owner": coo, "likelihood": 3, "impact": 4}
    data.update({k: cio if v == "cio" else v for k, v in changes.items()})

    with pytest.raises(ValidationError) as refusal:
        registers.risk_save(by=admin_user, data=data, initiatives=[initiative_a])

    assert field in refusal.value.message_dict
    assert not Risk.objects.exists()


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executive_and_ops_lead_cannot_add_or_change_a_risk(request, persona, cio, coo, initiative_a):
    user = request.getfixturevalue(persona)
    risk = _risk(cio, coo)
    data = {**RISK_FORM, "technology_owner": cio, "operations_owner": coo, "likelihood": 3, "impact": 4}

    with pytest.raises(PermissionDenied, match="Only admins keep the risk register"):
        registers.risk_save(by=user, data=data, initiatives=[])
    with pytest.raises(PermissionDenied):
        registers.risk_save(by=user, risk=risk, data={**data, "status": "closed"}, initiatives=[initiative_a])

    assert list(Risk.objects.values_list("status", flat=True)) == ["open"]
    assert not risk.initiatives.exists()


def test_the_database_refuses_a_risk_owned_twice_by_one_person(cio):
    with pytest.raises(IntegrityError), transaction.atomic():
        _risk(cio, cio)


def test_the_api_refuses_a_risk_owned_twice_by_one_person_naming_the_field(client, admin_user, cio):
    client.force_login(admin_user)
    body = {
        "title": "Model drifts",
        "category": "operational_disruption",
        "preventive_measures": "Monthly drift report.",
        "responsive_measures": "Route claims to people.",
        "technology_owner": cio.username,
        "operations_owner": cio.username,
        "likelihood": 3,
        "impact": 3,
    }

    response = client.post("/api/v1/risks/", body, content_type="application/json")

    assert response.status_code == 400
    assert "a different person from the technology owner" in response.json()["operations_owner"][0]
    assert not Risk.objects.exists()

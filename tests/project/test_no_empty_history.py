"""A save that changes nothing writes no history row, whichever door it comes through: the page,
the API (PUT or PATCH with the values already stored) and the admin's change form sent back as
shown. The history says what people did: a row with no change in it is a change nobody made."""

import json

import pytest

from initiatives.services.initiatives import initiative_create, initiative_update
from tests import factories
from tests.api.domain_helpers import API, as_user, patch
from tests.doors.harness import admin_form
from tests.initiatives.page_helpers import _url, edit_body

pytestmark = pytest.mark.django_db


def rows(obj) -> int:
    return type(obj).history.filter(id=obj.pk).count()


# --- Initiatives ------------------------------------------------------------------------------------


def test_saving_an_unchanged_initiative_page_writes_no_history_row(client, ops_lead_a, initiative_a, kpi):
    before = rows(initiative_a)
    client.force_login(ops_lead_a)

    response = client.post(_url(initiative_a, "edit"), edit_body(initiative_a))

    assert response.status_code == 302
    assert rows(initiative_a) == before


def test_putting_an_unchanged_initiative_through_the_api_writes_no_history_row(client, admin_user, initiative_a, kpi):
    before = rows(initiative_a)
    url = f"{API}/initiatives/{initiative_a.code}/"
    body = as_user(client, admin_user).get(url).json()

    response = client.put(url, json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    assert rows(initiative_a) == before


def test_patching_an_initiative_with_its_own_values_writes_no_history_row(client, admin_user, initiative_a, kpi):
    before = rows(initiative_a)
    url = f"{API}/initiatives/{initiative_a.code}/"
    body = as_user(client, admin_user).get(url).json()
    same = {name: body[name] for name in ("name", "stage", "investment", "kpis", "ops_leads") if name in body}

    response = patch(client, url, same)

    assert response.status_code == 200, response.content
    assert rows(initiative_a) == before


def test_saving_an_unchanged_initiative_in_the_admin_writes_no_history_row(client, admin_user, initiative_a, kpi):
    before = rows(initiative_a)
    client.force_login(admin_user)
    url = f"/admin/initiatives/initiative/{initiative_a.pk}/change/"

    response = client.post(url, admin_form(client, url))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert rows(initiative_a) == before


def test_adding_an_initiative_with_ops_leads_and_kpis_writes_one_history_row(cio, coo, ops_lead_a, admin_user, kpi):
    initiative = initiative_create(
        by=admin_user,
        data={
            "code": "invoice-matching",
            "name": "Invoice matching",
            "business_unit": "Finance",
            "process": "Accounts payable",
            "stage": "idea",
            "sourcing": "buy",
            "technology_owner": cio,
            "operations_owner": coo,
            "technology_owner_description": "Matches invoices to purchase orders with a model.",
            "operations_owner_description": "Clerks only handle the invoices that do not match.",
            "ops_leads": [ops_lead_a],
            "kpis": [kpi],
        },
    )

    (added,) = initiative.history.all()
    assert added.history_type == "+"
    assert list(added.kpis.values_list("kpi_id", flat=True)) == [kpi.pk]
    assert list(added.ops_leads.values_list("user_id", flat=True)) == [ops_lead_a.pk]


def test_changing_an_initiatives_kpis_writes_one_row_whose_diff_names_only_the_kpis(admin_user, initiative_a, kpi):
    other = factories.KPIFactory(code="second-kpi")
    before = rows(initiative_a)

    initiative_update(initiative=initiative_a, by=admin_user, data={"kpis": [kpi, other]}, read_at=None)

    assert rows(initiative_a) == before + 1
    latest, previous = initiative_a.history.order_by("-history_date", "-history_id")[:2]
    assert latest.diff_against(previous).changed_fields == ["kpis"]


# --- Every other record the admin changes -----------------------------------------------------------------


def _make(name, initiative):
    return {
        "milestone": lambda: factories.MilestoneFactory(initiative=initiative),
        "backlogitem": lambda: factories.BacklogItemFactory(initiative=initiative),
        "deploymentbrief": lambda: factories.DeploymentBriefFactory(initiative=initiative),
        "prioritisationinput": lambda: factories.PrioritisationInputFactory(initiative=initiative),
        "risk": lambda: factories.RiskFactory(),
        "shadowaitool": lambda: factories.ShadowAIToolFactory(),
        "kpi": lambda: factories.KPIFactory(),
        "sharedzonedecision": lambda: factories.SharedZoneDecisionFactory(),
    }[name]()


@pytest.mark.parametrize(
    ("app", "model"),
    [
        ("initiatives", "milestone"),
        ("initiatives", "backlogitem"),
        ("initiatives", "deploymentbrief"),
        ("initiatives", "prioritisationinput"),
        ("governance", "risk"),
        ("governance", "shadowaitool"),
        ("governance", "sharedzonedecision"),
        ("metrics", "kpi"),
    ],
)
def test_saving_an_unchanged_record_in_the_admin_writes_no_history_row(client, admin_user, initiative_a, app, model):
    obj = _make(model, initiative_a)
    before = rows(obj)
    client.force_login(admin_user)
    url = f"/admin/{app}/{model}/{obj.pk}/change/"

    response = client.post(url, admin_form(client, url))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert rows(obj) == before

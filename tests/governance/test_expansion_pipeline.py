"""The expansion pipeline: candidates ranked as on the ExCo page with the unscored last, each with
its inputs, score, stage and owners, and the prioritisation inputs set by admins only."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from initiatives.models import PrioritisationInput
from initiatives.services.prioritisation import PRIORITISATION_LABELS, PRIORITISATION_SCORES, prioritisation_input_save
from scoreboard.exco import dashboard
from tests import factories
from tests.governance.register_helpers import PIPELINE, _inputs, _section

pytestmark = pytest.mark.django_db


# --- The expansion pipeline ----------------------------------------------------------------------------


def _candidates(cio, coo):
    """Candidates at idea and assessed with distinct and tied scores, one not scored, and
    initiatives past assessment that never count."""
    made = {}
    for name, stage, bandwidth, roi in (
        ("Beta", "idea", 5, 3),
        ("Alpha", "assessed", 3, 3),
        ("Gamma", "idea", 3, 3),  # tied with Alpha: by name
        ("Delta", "assessed", 3, 5),  # clearer ROI than Alpha and Gamma
    ):
        made[name] = factories.InitiativeFactory(name=name, stage=stage, technology_owner=cio, operations_owner=coo)
        _inputs(made[name], bandwidth=bandwidth, roi=roi)
    made["Unscored"] = factories.InitiativeFactory(
        name="Aardvark", stage="idea", technology_owner=cio, operations_owner=coo
    )
    made["Live"] = factories.InitiativeFactory(
        name="Live one", stage="production", technology_owner=cio, operations_owner=coo
    )
    _inputs(made["Live"], bandwidth=5, structure=5, data=5, risk=5, roi=5)
    made["Building"] = factories.InitiativeFactory(
        name="Building one", stage="building", technology_owner=cio, operations_owner=coo
    )
    _inputs(made["Building"], bandwidth=5)
    return made


def test_the_pipeline_ranks_candidates_as_the_exco_page_does_with_the_unscored_last(client, cio, coo):
    _candidates(cio, coo)
    client.force_login(cio)

    page = client.get(PIPELINE).context["page"]
    exco = dashboard.exco_dashboard(timezone.localdate().replace(day=1))["pipeline"]

    ranked = [i.name for i in page]
    assert ranked == ["Beta", "Delta", "Alpha", "Gamma", "Aardvark"]
    assert [row["initiative"].name for row in exco] == ranked[:4]
    assert [i.rank for i in page if i.inputs] == [1, 2, 3, 4]


def test_the_pipeline_shows_each_candidates_inputs_score_stage_and_owners(client, cio, coo):
    made = _candidates(cio, coo)
    client.force_login(cio)

    html = client.get(PIPELINE).content.decode()

    beta = _section(html, f'id="candidate-{made["Beta"].code}"')
    cells = re.findall(r'<td class="num[^"]*">(?:<strong>)?([^<]*)', beta)
    # rank, bandwidth, structure, data, risk, feasibility, ROI clarity, volume, score
    assert cells == ["1", "5", "3", "3", "3", "3.00", "3", "500", "15.55"]
    assert "Idea" in beta
    assert str(cio) in beta
    assert str(coo) in beta
    assert str(made["Beta"].prioritisation.score) == "15.55"
    unscored = _section(html, f'id="candidate-{made["Unscored"].code}"')
    assert 'class="not-scored"' in unscored
    assert "not scored" in unscored
    assert "Live one" not in html
    assert "Building one" not in html
    assert "Edit inputs" not in html  # the CIO reads the pipeline, admins score it


def test_admin_sets_and_changes_a_candidates_inputs_with_history(client, admin_user, cio, coo):
    candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
    client.force_login(admin_user)
    body = {
        "management_bandwidth": "4",
        "process_structure": "3",
        "data_availability": "5",
        "risk_profile": "2",
        "roi_clarity": "4",
        "monthly_volume": "1200",
    }

    first = client.post(f"{PIPELINE}{candidate.code}/inputs/", body)
    second = client.post(f"{PIPELINE}{candidate.code}/inputs/", {**body, "management_bandwidth": "5"})

    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == f"{PIPELINE}#candidate-{candidate.code}"
    inputs = PrioritisationInput.objects.get(initiative=candidate)
    assert (inputs.management_bandwidth, inputs.data_availability, inputs.monthly_volume) == (5, 5, 1200)
    reasons = list(inputs.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["Prioritisation inputs set on the pipeline", "Prioritisation inputs changed on the pipeline"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("management_bandwidth", "0", "Management bandwidth is scored from 1 to 5."),
        ("process_structure", "6", "Process structure is scored from 1 to 5."),
        ("data_availability", "", "Data availability is scored from 1 to 5."),
        ("risk_profile", "9", "Risk profile is scored from 1 to 5."),
        ("roi_clarity", "0", "ROI clarity is scored from 1 to 5."),
        ("monthly_volume", "-1", "Monthly volume is a whole number of cases a month, 0 or more."),
    ],
)
def test_an_input_out_of_range_is_refused_on_its_field_and_nothing_changes(
    client, admin_user, cio, coo, field, value, message
):
    candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
    inputs = _inputs(candidate)
    client.force_login(admin_user)
    body = {name: "4" for name in PRIORITISATION_SCORES} | {"monthly_volume": "100"}

    response = client.post(f"{PIPELINE}{candidate.code}/inputs/", {**body, field: value})

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert "Inputs · " in response.content.decode()
    inputs.refresh_from_db()
    assert (inputs.management_bandwidth, inputs.monthly_volume, inputs.history.count()) == (3, 500, 1)


@pytest.mark.parametrize("field", PRIORITISATION_SCORES)
def test_the_service_refuses_a_score_outside_1_to_5_naming_the_field(admin_user, cio, coo, field):
    candidate = factories.InitiativeFactory(stage="idea", technology_owner=cio, operations_owner=coo)
    data = {name: 3 for name in PRIORITISATION_SCORES} | {"monthly_volume": 10}

    with pytest.raises(ValidationError) as refusal:
        prioritisation_input_save(initiative=candidate, by=admin_user, data={**data, field: 6})

    assert refusal.value.message_dict == {field: [f"{PRIORITISATION_LABELS[field]} is scored from 1 to 5."]}
    assert not PrioritisationInput.objects.exists()


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executive_and_ops_lead_cannot_set_prioritisation_inputs(request, persona, initiative_a):
    user = request.getfixturevalue(persona)
    data = {name: 3 for name in PRIORITISATION_SCORES} | {"monthly_volume": 10}

    with pytest.raises(PermissionDenied, match="Only admins set"):
        prioritisation_input_save(initiative=initiative_a, by=user, data=data)

    assert not PrioritisationInput.objects.exists()

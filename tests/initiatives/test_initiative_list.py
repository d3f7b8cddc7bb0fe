"""The initiatives list: each initiative with its unit, stage, owners and ops leads, its filters,
sorting by priority, paging, and a query count that does not grow with the list."""

import pytest

from initiatives.models import Initiative, PrioritisationInput, Stage
from tests import factories

pytestmark = pytest.mark.django_db


# --- The list ---------------------------------------------------------------------------------------


def test_list_shows_each_initiative_with_unit_stage_owners_and_ops_leads(client, cio, initiative_a, ops_lead_a):
    client.force_login(cio)

    html = client.get("/initiatives/").content.decode()

    assert f'href="/initiatives/{initiative_a.code}/"' in html
    for text in (initiative_a.name, "Claims", "Pilot", str(initiative_a.technology_owner), str(ops_lead_a)):
        assert text in html


def test_list_filters_by_stage(client, cio, initiative_a, initiative_b):
    Initiative.objects.filter(pk=initiative_b.pk).update(stage=Stage.PRODUCTION)
    client.force_login(cio)

    html = client.get("/initiatives/", {"stage": "production"}).content.decode()

    assert initiative_b.name in html
    assert initiative_a.name not in html


def test_list_filters_by_either_owners_username(client, cio, coo, initiative_a, initiative_b):
    other = factories.executive(username="cfo", title="OTHER")
    Initiative.objects.filter(pk=initiative_b.pk).update(operations_owner=other)
    client.force_login(cio)

    by_operations_owner = client.get("/initiatives/", {"owner": "cfo"}).content.decode()
    by_technology_owner = client.get("/initiatives/", {"owner": "cio"}).content.decode()

    assert initiative_b.name in by_operations_owner
    assert initiative_a.name not in by_operations_owner
    assert initiative_a.name in by_technology_owner
    assert initiative_b.name in by_technology_owner


def test_list_offers_the_owners_by_name_with_their_usernames_as_values(client, cio, coo, ops_lead_a, initiative_a):
    client.force_login(cio)

    html = client.get("/initiatives/").content.decode()

    picker = html[html.index('<select name="owner"') : html.index("</select>", html.index('<select name="owner"'))]
    assert '<option value="coo">Omar Okafor</option>' in picker
    assert '<option value="cio">Claire Ito</option>' in picker
    # Only people who own an initiative: an ops lead who owns none would show an empty list.
    assert ops_lead_a.username not in picker
    # By surname: Ito before Okafor.
    assert picker.index("Claire Ito") < picker.index("Omar Okafor")


def test_list_filtered_by_a_picked_owner_shows_their_initiatives(client, cio, coo, initiative_a):
    client.force_login(cio)

    response = client.get("/initiatives/", {"owner": "coo"})

    assert response.status_code == 200
    assert initiative_a.name in response.content.decode()
    assert '<option value="coo" selected>Omar Okafor</option>' in response.content.decode()


def test_list_filter_that_matches_nothing_keeps_the_table_and_says_so(client, cio, coo, initiative_a):
    other = factories.executive(username="cfo", title="OTHER", first_name="Fay", last_name="Fenwick")
    factories.InitiativeFactory(name="Fenwick's own", technology_owner=other, operations_owner=cio, stage=Stage.IDEA)
    client.force_login(cio)

    response = client.get("/initiatives/", {"owner": "coo", "stage": "idea"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<th>Initiative</th><th>Business unit</th><th>Stage</th>" in html
    assert '<tr class="nothing-matches"><td colspan="7" class="muted">No initiative matches these filters.' in html
    assert initiative_a.name not in html
    assert "0 initiatives." in html


def test_list_with_a_filter_it_cannot_apply_keeps_the_table_and_says_why(client, cio, initiative_a):
    client.force_login(cio)

    response = client.get("/initiatives/", {"owner": "Okafor"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Nobody who owns an initiative has the username “Okafor”: choose a name from the list." in html
    assert "<th>Initiative</th><th>Business unit</th><th>Stage</th>" in html
    assert "No initiative is shown: the filter above cannot be applied." in html


def test_list_filters_by_business_unit(client, cio, initiative_a, initiative_b):
    Initiative.objects.filter(pk=initiative_b.pk).update(business_unit="Service")
    client.force_login(cio)

    html = client.get("/initiatives/", {"business_unit": "Service"}).content.decode()

    assert initiative_b.name in html
    assert initiative_a.name not in html


def test_list_sorted_by_priority_puts_the_highest_score_first_and_the_unprioritised_last(client, cio, coo):
    low, high, _none = (
        factories.InitiativeFactory(name=name, technology_owner=cio, operations_owner=coo)
        for name in ("Alpha low", "Beta high", "Aardvark none")
    )
    scores = dict(process_structure=3, data_availability=3, risk_profile=3, roi_clarity=3, monthly_volume=100)
    PrioritisationInput.objects.create(initiative=low, management_bandwidth=1, **scores)
    PrioritisationInput.objects.create(initiative=high, management_bandwidth=5, **scores)
    client.force_login(cio)

    html = client.get("/initiatives/", {"sort": "priority"}).content.decode()

    assert html.index("Beta high") < html.index("Alpha low") < html.index("Aardvark none")
    assert "not prioritised" in html
    # The default order is by name.
    by_name = client.get("/initiatives/").content.decode()
    assert by_name.index("Aardvark none") < by_name.index("Alpha low") < by_name.index("Beta high")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"stage": "finished"}, "“finished” is not a stage: choose one of Idea, Assessed"),
        ({"owner": "nobody-here"}, "Nobody who owns an initiative has the username “nobody-here”"),
        ({"business_unit": "Atlantis"}, "No initiative is in a business unit called “Atlantis”"),
        ({"sort": "random"}, "Sort by name or by priority score."),
    ],
)
def test_list_answers_a_bad_filter_with_a_message_naming_it(client, cio, initiative_a, query, message):
    client.force_login(cio)

    response = client.get("/initiatives/", query)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_list_pages_past_fifty_initiatives_keeping_the_filters(client, cio, coo):
    for n in range(55):
        factories.InitiativeFactory(name=f"Initiative {n:02}", technology_owner=cio, operations_owner=coo)
    client.force_login(cio)

    html = client.get("/initiatives/", {"stage": "pilot"}).content.decode()

    assert "Initiative 49" in html
    assert "Initiative 50" not in html
    assert "?stage=pilot&amp;page=2" in html
    assert "Initiative 50" in client.get("/initiatives/", {"stage": "pilot", "page": "2"}).content.decode()


def _initiatives_with_people(count, cio, coo):
    for n in range(count):
        initiative = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
        initiative.ops_leads.add(factories.ops_lead(username=f"lead-{count}-{n}"))
        PrioritisationInput.objects.create(
            initiative=initiative,
            management_bandwidth=3,
            process_structure=3,
            data_availability=3,
            risk_profile=3,
            roi_clarity=3,
            monthly_volume=n,
        )


@pytest.mark.parametrize("count", [2, 40])
def test_list_costs_the_same_queries_whatever_the_number_of_initiatives(
    client, cio, coo, django_assert_max_num_queries, count
):
    _initiatives_with_people(count, cio, coo)
    client.force_login(cio)

    # Session, user with roles, business units, the owners picker (which also checks the owner), count,
    # rows, ops leads.
    with django_assert_max_num_queries(8):
        response = client.get("/initiatives/", {"sort": "priority", "owner": "cio"})

    assert response.status_code == 200

"""Hostile query parameters on every list of the API (issue 15), drawn by Hypothesis: NUL (%00),
half a surrogate pair (%ED%A0%80), control characters, numbers written every odd way, dates at
the calendar's edges and with offsets no clock has. A parameter that cannot be read is a JSON 400
naming it; one that can is a list (perhaps empty); nothing is ever a 500."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from tests import hostile as h

pytestmark = pytest.mark.django_db

# Each list and the parameters it reads: its filters (the FilterSets in each app's api.py),
# its ordering and its pages.
PAGES = ["ordering", "page", "page_size"]
LISTS = {
    "/api/v1/kpis/": ["family", "scope", "unit", "is_primary"],
    "/api/v1/targets/": ["kpi", "initiative", "effective_from", "effective_from__gte", "effective_from__lte"],
    # Paged by cursor (millions of rows): its cursor is read or refused like any parameter.
    "/api/v1/measurements/": [
        "kpi",
        "initiative",
        "source",
        "company_wide",
        "observed_at__gte",
        "observed_at__lt",
        "cursor",
    ],
    "/api/v1/snapshots/": ["kpi", "initiative", "company_wide", "month", "month__gte", "month__lte", "status"],
    "/api/v1/initiatives/": ["owner", "ops_lead", "stage", "business_unit", "sourcing"],
    "/api/v1/milestones/": ["initiative", "completed", "due_on__gte", "due_on__lte"],
    "/api/v1/backlog-items/": ["initiative", "status", "priority"],
    "/api/v1/workflow-changes/": ["initiative"],
    "/api/v1/shadow-ai-tools/": ["promoted_to", "status", "data_sensitivity", "team"],
    "/api/v1/risks/": ["initiative", "category", "status", "likelihood", "impact"],
    "/api/v1/matrix-versions/": ["status"],
    "/api/v1/matrix-decisions/": ["version", "initiative", "process", "autonomy_tier", "accountable_executive"],
    "/api/v1/decision-requests/": [
        "executive",
        "requested_by",
        "initiative",
        "answered",
        "answer",
        "due_at__gte",
        "due_at__lt",
        "requested_at__gte",
        "requested_at__lt",
    ],
    "/api/v1/reviews/": ["frozen", "month", "month__gte", "month__lte"],
}
MOMENTS = {"observed_at__gte", "observed_at__lt", "due_at__gte", "due_at__lt", "requested_at__gte", "requested_at__lt"}


@pytest.fixture
def some_of_everything(initiative_a, kpi, admin_user):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a)
    factories.MilestoneFactory(initiative=initiative_a)
    factories.RiskFactory()
    return admin_user


def _get(client, path: str, name: str, text: str):
    return client.get(f"{path}?{h.query_value(name)}={h.query_value(text)}")


def _read_or_refused_by_name(response, name: str, text: str = "") -> bool:
    """A list, or a JSON 400 naming the parameter (or, for a page number past the last, a 404);
    True when refused."""
    past_the_last = name == "page" and text.isascii() and text.isdigit() and response.status_code == 404
    assert response.status_code in (200, 400) or past_the_last, (
        name,
        text,
        response.status_code,
        response.content[:300],
    )
    assert response["Content-Type"] == "application/json"
    if response.status_code != 400:
        assert past_the_last or "results" in response.json()
        return False
    assert name in response.json(), (name, response.json())
    return True


@pytest.mark.parametrize("path", LISTS)
def test_any_hostile_parameter_of_a_list_is_read_or_refused_by_name(client, some_of_everything, path):
    client.force_login(some_of_everything)

    @h.budget(30)
    @given(name=st.sampled_from(LISTS[path] + PAGES), text=h.hostile_query_text)
    def check(name, text):
        _read_or_refused_by_name(_get(client, path, name, text), name, text)

    check()


@pytest.mark.parametrize("path", LISTS)
def test_text_no_one_types_in_any_parameter_is_a_400_naming_it(client, some_of_everything, path):
    client.force_login(some_of_everything)

    @h.budget(10)
    @given(name=st.sampled_from([*LISTS[path], *PAGES, "anything-else"]), text=st.one_of(h.with_nul, h.with_control))
    def check(name, text):
        assert _read_or_refused_by_name(_get(client, path, name, text), name)

    check()


@pytest.mark.parametrize(("path", "name"), [(p, n) for p, names in LISTS.items() for n in names if n in MOMENTS])
def test_a_moment_no_clock_shows_is_a_400_naming_the_parameter(client, some_of_everything, path, name):
    client.force_login(some_of_everything)

    @h.budget(10)
    @given(text=st.one_of(h.malformed_date_text.filter(bool), st.sampled_from(["9999-12-31T23:59:59-01:00", "1e400"])))
    def check(text):
        assert _read_or_refused_by_name(_get(client, path, name, text), name), text

    check()


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("text", ["NaN", "1_0", "١", "-1", "0", "1e3", "2.5", "%00"])
def test_a_page_or_size_that_is_no_whole_number_is_a_400_naming_it(client, admin_user, name, text):
    client.force_login(admin_user)

    response = client.get(f"/api/v1/kpis/?{name}={text}")

    assert response.status_code == 400
    assert name in response.json()


def test_a_page_past_the_last_is_still_a_404(client, admin_user):
    client.force_login(admin_user)

    assert client.get("/api/v1/kpis/?page=99999999999999999999").status_code == 404


@pytest.mark.parametrize("name", ["observed_at__gte", "observed_at__lt"])
def test_a_moment_pushed_past_the_calendar_by_its_offset_is_refused_on_its_parameter(client, admin_user, name):
    client.force_login(admin_user)

    response = client.get("/api/v1/measurements/", {name: "9999-12-31T23:59:59-01:00"})

    assert response.status_code == 400
    assert "out of range" in response.json()[name][0]  # it named "observed_at", no parameter of the list


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\x07"])
def test_a_nul_or_control_character_in_a_code_filter_is_a_400_naming_it(client, admin_user, text):
    client.force_login(admin_user)

    response = client.get("/api/v1/measurements/", {"source": text})

    assert response.status_code == 400
    assert "source" in response.json()

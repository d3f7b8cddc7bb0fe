"""Each register's page (shadow AI, risks, shared zone, pipeline) reads a fixed number of queries
whatever the register's size."""

import pytest

from tests import factories
from tests.governance.register_helpers import PIPELINE, RISKS, SHADOW_AI, SHARED_ZONE, _inputs, _risk, _tool, _zone

pytestmark = pytest.mark.django_db


# --- A fixed number of queries whatever the register's size ------------------------------------------------


def _fill_registers(count: int, cio, coo) -> None:
    for n in range(count):
        initiative = factories.InitiativeFactory(
            stage="idea" if n % 2 else "assessed", technology_owner=cio, operations_owner=coo
        )
        if n % 3:
            _inputs(initiative, bandwidth=1 + n % 5)
        _tool(f"Tool {n}", team=f"Team {n}", status="adopted" if n % 2 else "under_review", promoted_to=initiative)
        risk = _risk(cio, coo, f"Risk {n}", likelihood=1 + n % 5, impact=1 + (n * 2) % 5)
        risk.initiatives.add(initiative)
        _zone(
            f"Decision {n}", topic="timeline" if n % 2 else "success_metrics", initiative=initiative, ceo_input="Yes."
        )


@pytest.mark.parametrize("count", [2, 30])
@pytest.mark.parametrize(
    ("url", "persona", "most"),
    [
        # Session, user, roles, Django's model permissions (two queries, once per request) when a rule
        # refuses (the page asks whether the reader may edit), the tools counted and read, the restricted
        # ones under review counted; the latest changes to the register and their records.
        (SHADOW_AI + "?status=adopted", "cio", 10),
        # Session, user, roles, model permissions (two), the initiatives to filter on, the heat grid, the
        # risks counted and read, their initiatives; the latest changes, their records and initiatives.
        (RISKS + "?category=cyber", "cio", 13),
        # Session, user, roles, model permissions (two), the decisions with their initiatives; the latest
        # changes and their records.
        (SHARED_ZONE, "ceo", 8),
        # Session, user, roles, the candidates counted and read with their owners and inputs.
        (PIPELINE, "admin_user", 5),
    ],
)
def test_each_register_page_costs_the_same_queries_whatever_its_size(
    client, request, django_assert_max_num_queries, cio, coo, count, url, persona, most
):
    _fill_registers(count, cio, coo)
    client.force_login(request.getfixturevalue(persona))

    with django_assert_max_num_queries(most):
        response = client.get(url)

    assert response.status_code == 200

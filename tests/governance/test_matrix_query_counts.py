"""The matrix's pages read a fixed number of queries whatever the number of decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from tests.governance.matrix_helpers import monitored, published, snapshot

pytestmark = pytest.mark.django_db


# --- Query counts --------------------------------------------------------------------------------------


def _versions_of(size, admin_user, coo, kpi, initiatives):
    v1 = published(admin_user, coo)
    v2 = factories.MatrixVersionFactory(number=2, created_by=admin_user)
    for version in (v1, v2):
        for n in range(size):
            monitored(
                version,
                kpi,
                key=f"decision-{n}",
                process=f"Process {n % 3}",
                initiative=initiatives[n % len(initiatives)],
                confidence_threshold=Decimal("0.5") if version is v1 else Decimal("0.6"),
            )
    for initiative in initiatives:
        snapshot(kpi, 4, initiative=initiative)
    return v1, v2


@pytest.mark.parametrize("size", [3, 30])
def test_the_matrix_pages_cost_a_fixed_number_of_queries(
    client, admin_user, coo, cio, kpi, initiative_a, initiative_b, django_assert_max_num_queries, size
):
    _versions_of(size, admin_user, coo, kpi, [initiative_a, initiative_b])
    client.force_login(cio)
    # Each page: the session, the user and their roles (3), then its own reads. A version's page also shows
    # its history (3: the latest changes, the records of its version and of its decisions) and its approvals.
    with django_assert_max_num_queries(10):  # the version in force, the versions, the grid with its figures
        assert client.get(reverse("governance:matrix")).status_code == 200
    with django_assert_max_num_queries(6):  # the versions, the decisions of each
        assert client.get(reverse("governance:matrix-compare"), {"old": 1, "new": 2}).status_code == 200
    with django_assert_max_num_queries(8):  # count, page, the records of its versions and decisions, numbers
        assert client.get(reverse("governance:matrix-history")).status_code == 200
    with django_assert_max_num_queries(6):  # the version, the one in force, its decisions
        assert client.get(reverse("governance:matrix-print", args=[1])).status_code == 200
    client.force_login(admin_user)
    # the draft, editable (its approvals too): and the KPIs its monitoring cells offer
    with django_assert_max_num_queries(12):
        assert client.get(reverse("governance:matrix-version", args=[2])).status_code == 200

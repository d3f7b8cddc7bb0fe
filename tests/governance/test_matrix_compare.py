"""Comparing two versions of the matrix: what was added, removed and changed field by field, in
either order, side by side on the page, and a bad version refused naming the parameter."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.models import AutonomyTier
from governance.services import matrix as services
from tests import factories
from tests.governance.matrix_helpers import decision, monitored, published

pytestmark = pytest.mark.django_db


# --- Comparing -----------------------------------------------------------------------------------------


@pytest.fixture
def two_versions(admin_user, coo, kpi):
    old = published(admin_user, coo)
    decision(old, "kept")
    decision(old, "dropped", decision="Close a claim")
    decision(old, "tuned", confidence_threshold=Decimal("0.800"), autonomy_tier=AutonomyTier.AI_NOTIFIES)
    new = factories.MatrixVersionFactory(number=2, created_by=admin_user)
    decision(new, "kept")
    decision(new, "tuned", confidence_threshold=Decimal("0.900"), autonomy_tier=AutonomyTier.HUMAN_APPROVES)
    monitored(new, kpi, key="added", decision="Refund under 100 EUR")
    return old, new


def test_compare_names_what_was_added_removed_and_changed_field_by_field(two_versions):
    old, new = two_versions
    comparison = services.matrix_compare(old=old, new=new)
    assert [d.key for d in comparison.added] == ["added"]
    assert [d.key for d in comparison.removed] == ["dropped"]
    assert comparison.unchanged == 1
    (changed,) = comparison.changed
    assert changed.new.key == "tuned"
    assert [(f.label, f.before, f.after) for f in changed.fields] == [
        ("Autonomy tier", "AI executes and notifies a human", "A human approves before execution"),
        ("Confidence threshold", "0.800", "0.900"),
    ]


def test_compare_works_in_either_order(two_versions):
    old, new = two_versions
    backwards = services.matrix_compare(old=new, new=old)
    assert [d.key for d in backwards.added] == ["dropped"]
    assert [d.key for d in backwards.removed] == ["added"]
    assert [(f.before, f.after) for f in backwards.changed[0].fields][1] == ("0.900", "0.800")


def test_the_compare_page_shows_the_versions_side_by_side_with_changes_highlighted(client, cio, two_versions):
    client.force_login(cio)
    response = client.get(reverse("governance:matrix-compare"), {"old": 1, "new": 2})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="added-count">1 added</span>' in page
    assert 'class="compare compare-added" id="compare-added"' in page
    assert 'class="compare compare-removed" id="compare-dropped"' in page
    tuned = page[page.index('id="compare-tuned"') :]
    tuned = tuned[: tuned.index("</table>")]
    assert re.search(r'<tr class="changed"><th scope="row">Confidence threshold</th>\s*<td class="before">0.800', tuned)
    assert '0.900 <span class="change-mark">changed</span>' in tuned
    assert '<tr class=""><th scope="row">Escalation owner</th>' in tuned
    assert 'id="compare-kept"' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"old": "one", "new": "2"}, "The “old” parameter is a matrix version&#x27;s number, such as old=1."),
        ({"new": "2"}, "The “old” parameter is a matrix version&#x27;s number, such as old=1."),
        ({"old": "1", "new": "9"}, "The “new” parameter names version 9, and there is no matrix v9."),
        ({"old": "0", "new": "1"}, "The “old” parameter is a matrix version&#x27;s number"),
    ],
)
def test_the_compare_page_refuses_a_bad_version_with_400_naming_the_parameter(
    client, cio, two_versions, query, message
):
    client.force_login(cio)
    response = client.get(reverse("governance:matrix-compare"), query)
    assert response.status_code == 400
    assert message in response.content.decode()

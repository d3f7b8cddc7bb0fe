"""Fixtures of the governance tests: the decision-authority matrix's published v1 and the draft
opened from it, which the matrix's modules share.
"""

from __future__ import annotations

import pytest

from governance.models import AutonomyTier
from governance.services import matrix as services
from tests.governance.matrix_helpers import decision, published


@pytest.fixture
def v1(admin_user, coo):
    """The published version in force since January, with one decision."""
    version = published(admin_user, coo)
    decision(version, autonomy_tier=AutonomyTier.AI_NOTIFIES)
    return version


@pytest.fixture
def draft(v1, admin_user):
    """The draft v2 opened from v1 (a copy of its decision)."""
    return services.matrix_draft_open(by=admin_user, reason="Raise the confidence bar")


@pytest.fixture
def changed_draft(draft, admin_user):
    """The draft v2 with its one decision moved a tier toward human control: something to publish."""
    services.matrix_decision_save(
        by=admin_user, decision=draft.decisions.get(), data={"autonomy_tier": AutonomyTier.HUMAN_APPROVES}
    )
    return draft

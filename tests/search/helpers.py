"""What the search tests share: one row of each kind holding a given word, made straight in the database."""

from __future__ import annotations

from governance.models import MatrixVersion
from tests import factories
from tests.governance.matrix_helpers import published

SEARCH = "/search/"
KIND_SLUGS = ("initiatives", "kpis", "matrix", "decisions", "risks", "shadow-ai")


def in_force_matrix(admin, approver) -> MatrixVersion:
    return published(admin, approver, number=1)


def one_of_each(word: str, *, cio, coo, admin, version: MatrixVersion, n: int = 0) -> dict:
    """A row of every kind with ``word`` in its longer text, not its name, keyed by kind."""
    return {
        "initiatives": factories.InitiativeFactory(
            name=f"Initiative {n}",
            technology_owner=cio,
            operations_owner=coo,
            technology_owner_description=f"Reads {word} letters and routes them.",
        ),
        "kpis": factories.KPIFactory(
            name=f"KPI {n}", description=f"Share of {word} cases closed.", accountable_executive=cio
        ),
        "matrix": factories.MatrixDecisionFactory(
            version=version,
            key=f"decision-{word}-{n}",
            decision=f"Decision {n}",
            override_protocol=f"A {word} lead reverses it.",
        ),
        "decisions": factories.DecisionRequestFactory(
            question=f"Question {n}: may the {word} pilot extend?", requested_by=admin, executive=coo
        ),
        "risks": factories.RiskFactory(
            title=f"Risk {n}", description=f"A {word} leak.", technology_owner=cio, operations_owner=coo
        ),
        "shadow-ai": factories.ShadowAIToolFactory(tool=f"Tool {n}", use=f"Summarising {word} files."),
    }

"""The permission table's rows for the decision log: reading it, asking and answering."""

from __future__ import annotations

from django.utils import timezone

from governance.models import DecisionRequest, MatrixVersion
from governance.services.matrix import matrix_version_submit
from governance.services.stage_moves import stage_move_ask
from initiatives.models import Initiative
from tests import factories
from tests.permissions.cases import MAKERS, PAGE, QUESTION, Case, changed, created

# --- The decision log (governance/views/decisions.py) ---------------------------------------------------
# Objects its rows name go in MAKERS here, with MAKERS.update({...}).


def _answered_by_cio(w):
    request = w["request_to_cio"]
    request.answer, request.note, request.answered_at = "deferred", "After the audit.", timezone.now()
    request.save()
    return request


def _matrix_asked_of_cio(w):
    """v2 (a decision v1 lacks) asked of the CIO for approval."""
    w["published_v1"], w["decision_v1"], w["decision_v2"]
    return matrix_version_submit(
        by=w["admin"], version=w["draft_v2"], effective_from=timezone.localdate(), reason="Refunds", approver=w["cio"]
    )


def _initiative_ready(w):
    """Initiative B (A's brief is another row's) at pilot, sponsored by the CIO, every gate to Production passed."""
    factories.clear_the_way_to_production(w["initiative_b"], sponsor=w["cio"], coo=w["coo"], admin=w["admin"])
    return w["initiative_b"]


MAKERS.update(
    {
        "request_answered_by_cio": _answered_by_cio,
        "matrix_asked_of_cio": _matrix_asked_of_cio,
        "initiative_ready": _initiative_ready,
        "move_asked_of_cio": lambda w: stage_move_ask(
            by=w["ops_lead_b"], initiative=w["initiative_ready"], stage="production"
        ),
    }
)
MOVE = {"stage": "production", "why": "Every target met."}
ASK_PAGE = {**QUESTION, "due_at": ""}
ANSWER = {"answer": "approved", "note": "Go ahead."}

# fmt: off
DECISION_LOG_CASES: list[Case] = [
    # The log and each request: read by everyone signed in.
    Case("GET", "/governance/decisions/", PAGE),
    Case("GET", "/governance/decisions/?executive={coo.username}&state=overdue", PAGE, note="filtered"),
    Case("GET", "/governance/decisions/{request_to_cio.pk}/", PAGE),
    # Asking: anyone signed in, as themselves.
    Case("GET", "/governance/decisions/ask/", PAGE),
    Case("POST", "/governance/decisions/ask/", (302, 302, 302, 302, 302), ASK_PAGE,
         created(DecisionRequest, question=QUESTION["question"]), note="asking the COO"),
    # Answering: only the executive asked, and only once.
    Case("GET", "/governance/decisions/{request_to_cio.pk}/answer/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/decisions/{request_to_cio.pk}/answer/", (302, 302, 403, 403, 403), ANSWER,
         changed(DecisionRequest, "request_to_cio", answer="approved"), note="asked of the CIO"),
    Case("POST", "/governance/decisions/{request_to_coo.pk}/answer/", (302, 403, 403, 403, 403), ANSWER,
         note="asked of the COO"),
    Case("POST", "/governance/decisions/{request_answered_by_cio.pk}/answer/", (302, 409, 403, 403, 403), ANSWER,
         note="already answered by the CIO"),
    # Approvals: a matrix version asked of the CIO, published when she approves it.
    Case("POST", "/governance/decisions/{matrix_asked_of_cio.pk}/answer/", (302, 302, 403, 403, 403), ANSWER,
         changed(MatrixVersion, "draft_v2", status="published", approved_by__username="cio"),
         note="a matrix version asked of the CIO"),
    Case("POST", "/api/v1/decision-requests/{matrix_asked_of_cio.pk}/answer/", (401, 200, 403, 403, 403), ANSWER,
         changed(MatrixVersion, "draft_v2", status="published"), note="a matrix version asked of the CIO"),
    # A late stage: asked by initiative B's ops lead or an admin, approved by its sponsor (the CIO).
    Case("GET", "/governance/decisions/stage-move/{initiative_ready.code}/", (302, 403, 403, 200, 200)),
    Case("POST", "/governance/decisions/stage-move/{initiative_ready.code}/", (302, 403, 403, 302, 302), MOVE,
         created(DecisionRequest, stage="production"), note="asking the sponsor"),
    Case("POST", "/api/v1/decision-requests/", (401, 403, 403, 201, 201),
         {"initiative": "{initiative_ready.code}", "stage": "production", "question": "Every target met."},
         created(DecisionRequest, stage="production"), note="asking the sponsor for Production"),
    Case("POST", "/governance/decisions/{move_asked_of_cio.pk}/answer/", (302, 302, 403, 403, 403), ANSWER,
         changed(Initiative, "initiative_b", stage="production"), note="a move asked of its sponsor, the CIO"),
    Case("POST", "/api/v1/decision-requests/{move_asked_of_cio.pk}/answer/", (401, 200, 403, 403, 403), ANSWER,
         changed(Initiative, "initiative_b", stage="production"), note="a move asked of its sponsor, the CIO"),
]
# fmt: on

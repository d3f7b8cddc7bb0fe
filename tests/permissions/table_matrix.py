"""The permission table's rows for the decision-authority matrix's pages and its API actions."""

from __future__ import annotations

from governance.models import MatrixDecision, MatrixVersion
from tests.permissions.cases import DECISION_BODY, PAGE, Case, changed, created, deleted

# --- The decision-authority matrix (governance/views/matrix.py) ---------------------------------------------------
# Objects its rows name go in MAKERS here, with MAKERS.update({...}).
# Everyone signed in reads every version; admins edit the draft only (a published version answers 403 even to
# them), and a stale edit or a second ask answers 409. Approving is the decision log's (table_decision_log.py).
# The objects are those of the API rows (cases.py).

ADMIN_PAGE = (302, 403, 403, 403, 200)
ADMIN_WRITE = (302, 403, 403, 403, 302)  # the page's form redirects once stored
REFUSED = (302, 403, 403, 403, 403)
MATRIX_DECISION_FORM = {
    **DECISION_BODY,
    "initiative": "",
    "monitoring_kpi": "",
    "breach_threshold": "",
    "breach_when": "",
    "read_at": "",
}
CELL = {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous", "read_at": "{decision_v2.updated_at}"}
STALE_CELL = {**CELL, "read_at": "2020-01-01T00:00:00+00:00"}
PUBLISH = {"effective_from": "2026-06-01", "reason": "Refunds move to AI", "approver": ""}

# fmt: off
MATRIX_CASES: list[Case] = [
    Case("GET", "/governance/matrix/", PAGE),
    Case("GET", "/governance/matrix/{published_v1.number}/", PAGE, note="published"),
    Case("GET", "/governance/matrix/{decision_v2.version.number}/", PAGE, note="draft"),
    Case("GET", "/governance/matrix/compare/?old={published_v1.number}&new={decision_v2.version.number}", PAGE),
    Case("GET", "/governance/matrix/history/", PAGE),
    Case("GET", "/governance/matrix/{decision_v1.version.number}/matrix.csv", PAGE),
    Case("GET", "/governance/matrix/{decision_v1.version.number}/print/", PAGE),
    # Opening the draft.
    Case("GET", "/governance/matrix/draft/", (302, 405, 405, 405, 405)),
    Case("POST", "/governance/matrix/draft/", ADMIN_WRITE, {"reason": "Refunds move to AI"},
         created(MatrixVersion, status="draft", reason="Refunds move to AI")),
    # The draft's decisions: added, edited (a cell), deleted; never those of a published version.
    Case("GET", "/governance/matrix/{draft_v2.number}/decisions/add/", ADMIN_PAGE),
    Case("POST", "/governance/matrix/{draft_v2.number}/decisions/add/", ADMIN_WRITE, MATRIX_DECISION_FORM,
         created(MatrixDecision, key="approve-refund", version__status="draft"), note="into the draft"),
    Case("POST", "/governance/matrix/{published_v1.number}/decisions/add/", REFUSED, MATRIX_DECISION_FORM,
         note="into a published version"),
    Case("GET", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/", ADMIN_PAGE),
    Case("POST", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/", ADMIN_WRITE, CELL,
         changed(MatrixDecision, "decision_v2", autonomy_tier="ai_autonomous"), note="a cell of the draft"),
    Case("POST", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/",
         (302, 403, 403, 403, 409), STALE_CELL, note="stale: changed since read"),
    Case("POST", "/governance/matrix/{decision_v1.version.number}/decisions/{decision_v1.pk}/", REFUSED,
         {**CELL, "read_at": "{decision_v1.updated_at}"}, note="published"),
    Case("GET", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/delete/",
         (302, 405, 405, 405, 405)),
    Case("POST", "/governance/matrix/{decision_v2.version.number}/decisions/{decision_v2.pk}/delete/", ADMIN_WRITE,
         {"read_at": "{decision_v2.updated_at}"}, deleted(MatrixDecision, "decision_v2"), note="draft"),
    Case("POST", "/governance/matrix/{decision_v1.version.number}/decisions/{decision_v1.pk}/delete/", REFUSED,
         {"read_at": "{decision_v1.updated_at}"}, note="published"),
    # Publishing: asked of the approver once (the COO by default); a version no longer a draft answers 409.
    Case("GET", "/governance/matrix/{draft_v2.number}/publish/", ADMIN_PAGE),
    Case("POST", "/governance/matrix/{draft_v2_in_use.number}/publish/", ADMIN_WRITE, PUBLISH,
         changed(MatrixVersion, "draft_v2", status="awaiting", approval_requests__executive__username="coo"),
         note="draft"),
    Case("POST", "/governance/matrix/{published_v1.number}/publish/", (302, 403, 403, 403, 409), PUBLISH,
         note="already published"),
    # The API: publishing, and a stale edit of a decision.
    Case("POST", "/api/v1/matrix-versions/{draft_v2_in_use.number}/publish/", (401, 403, 403, 403, 202),
         {"effective_from": "2026-06-01", "reason": "Refunds move to AI"},
         changed(MatrixVersion, "draft_v2", status="awaiting"), note="draft"),
    Case("POST", "/api/v1/matrix-versions/{draft_v2.number}/publish/", (401, 403, 403, 403, 400),
         {"effective_from": "2026-06-01", "reason": "Refunds move to AI"}, note="empty draft"),
    Case("POST", "/api/v1/matrix-versions/{published_v1.number}/publish/", (401, 403, 403, 403, 409),
         {"effective_from": "2026-06-01", "reason": "Again"}, note="already published"),
    Case("PATCH", "/api/v1/matrix-decisions/{decision_v2.pk}/", (401, 403, 403, 403, 409),
         {"autonomy_tier": "ai_autonomous", "updated_at": "2020-01-01T00:00:00Z"}, note="stale: changed since read"),
]
# fmt: on

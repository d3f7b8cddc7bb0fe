"""The permission table's rows for the decision log: reading it, asking and answering."""

from __future__ import annotations

from django.utils import timezone

from governance.models import DecisionRequest
from tests.permissions.cases import MAKERS, PAGE, QUESTION, Case, changed, created

# --- The decision log (governance/views/decisions.py) ---------------------------------------------------
# Objects its rows name go in MAKERS here, with MAKERS.update({...}).


def _answered_by_cio(w):
    request = w["request_to_cio"]
    request.answer, request.note, request.answered_at = "deferred", "After the audit.", timezone.now()
    request.save()
    return request


MAKERS.update({"request_answered_by_cio": _answered_by_cio})
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
]
# fmt: on

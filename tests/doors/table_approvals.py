"""Rows of the table: approvals given by the people they name. A matrix version takes effect only
when the executive asked approves it, and one identical to the published version is not asked
for; an initiative enters Production or Scaled, or retires, only when its sponsor approves; the
gates apply when that is asked and again when it is approved; only its ops leads and admins ask.

The decision log's admin is a record (it writes nothing), and a version's admin is read-only: the
approvals' doors are the pages and the API.
"""

from __future__ import annotations

from governance.models import DecisionRequest, GovernanceGate, MatrixDecision, MatrixVersion
from governance.services.matrix import matrix_draft_open, matrix_version_submit
from governance.services.stage_moves import stage_move_ask
from initiatives.models import Initiative

from . import makers as m
from .harness import Door, Send, admin_form
from .table_initiatives import PRODUCTION_GATES

APPROVER = "an approval is given by the executive asked"
IDENTICAL = "a matrix version identical to the published one is not asked for"
SPONSOR = "late stages are approved by the sponsor"
ASKERS = "only its ops leads and admins ask for a late stage"


def _ready(w) -> Initiative:
    """Initiative A at pilot, its way to Production clear: sponsored by the CEO, who signed its brief."""
    m.workflow(w.initiative_a)
    m.signed_brief(w, w.initiative_a)
    m.gates_done(w, w.initiative_a)
    return m.refreshed(w.initiative_a)


def _matrix_asked_of_the_coo(w) -> DecisionRequest:
    m.published_v1(w)
    decision = m.draft_decision(w)
    MatrixDecision.objects.filter(pk=decision.pk).update(process="Refunds")
    return matrix_version_submit(
        by=w.admin_user, version=decision.version, effective_from=m.TODAY, reason="Refunds move to AI."
    )


def _move_asked_of_the_ceo(w) -> DecisionRequest:
    return stage_move_ask(by=w.ops_lead_a, initiative=_ready(w), stage="production", why="Every target met.")


def _answer(ask, path: str, answer: str = "approved"):
    def attempt(w, c):
        asked = ask(w)
        body = {"answer": answer, "note": "Fine by me."}
        if path == "page":
            return Send("POST", f"/governance/decisions/{asked.pk}/answer/", body)
        return Send("POST", f"/api/v1/decision-requests/{asked.pk}/answer/", body, json=True)

    return attempt


def _still_waiting(w, response):
    assert not DecisionRequest.objects.filter(answered_at__isnull=False).exists()


APPROVER_DOORS = [
    Door(APPROVER, "page", "cio", DecisionRequest, _answer(_matrix_asked_of_the_coo, "page"), 403,
         "Only Omar Okafor (COO), who was asked, answers this request.", what="a matrix version",
         kept=_still_waiting),
    Door(APPROVER, "api", "cio", DecisionRequest, _answer(_matrix_asked_of_the_coo, "api"), 403,
         "who was asked, answers this request", what="a matrix version", kept=_still_waiting),
    Door(APPROVER, "page", "coo", DecisionRequest, _answer(_move_asked_of_the_ceo, "page"), 403,
         "who was asked, answers this request", what="a stage move", kept=_still_waiting),
    Door(APPROVER, "api", "coo", DecisionRequest, _answer(_move_asked_of_the_ceo, "api"), 403,
         "who was asked, answers this request", what="a stage move", kept=_still_waiting),
]  # fmt: skip


def _identical_attempt(path: str):
    def attempt(w, c):
        m.published_v1(w)
        draft = matrix_draft_open(by=w.admin_user)  # v1's decisions as they are: nothing to publish
        body = {"effective_from": m.TODAY.isoformat(), "reason": "Nothing, really."}
        if path == "page":
            return Send("POST", f"/governance/matrix/{draft.number}/publish/", {**body, "approver": ""})
        return Send("POST", f"/api/v1/matrix-versions/{draft.number}/publish/", body, json=True)

    return attempt


IDENTICAL_DOORS = [
    Door(IDENTICAL, path, "admin_user", MatrixVersion, _identical_attempt(path), 400,
         "is identical to v1, the latest published version: there is nothing to publish")
    for path in ("page", "api")
]  # fmt: skip


def _late_stage(stage: str, path: str):
    def attempt(w, c):
        initiative = _ready(w)
        if path == "page":
            return Send("POST", f"/initiatives/{initiative.code}/edit/", m.edit_body(initiative, stage=stage))
        if path == "api":
            return Send("PATCH", f"/api/v1/initiatives/{initiative.code}/", {"stage": stage}, json=True)
        url = f"/admin/initiatives/initiative/{initiative.pk}/change/"
        return Send("POST", url, admin_form(c, url, stage=stage))

    return attempt


SPONSOR_DOORS = [
    Door(SPONSOR, "page", "ops_lead_a", Initiative, _late_stage("production", "page"), 400,
         "Moving it into Production is approved by its sponsor"),
    Door(SPONSOR, "api", "ops_lead_a", Initiative, _late_stage("scaled", "api"), 400,
         "Moving it into Scaled is approved by its sponsor"),
    Door(SPONSOR, "admin", "admin_user", Initiative, _late_stage("retired", "admin"), 200,
         "Retiring it is approved by its sponsor"),
]  # fmt: skip


def _ask(path: str, arrange=_ready):
    def attempt(w, c):
        initiative = arrange(w)
        if path == "page":
            return Send("POST", f"/governance/decisions/stage-move/{initiative.code}/", {"stage": "production"})
        body = {"initiative": initiative.code, "stage": "production", "question": "Every target met."}
        return Send("POST", "/api/v1/decision-requests/", body, json=True)

    return attempt


ASKER_DOORS = [
    Door(ASKERS, path, "ops_lead_b", DecisionRequest, _ask(path), 403,
         lambda w: f"Only the ops leads of {w.initiative_a.code} and admins ask")
    for path in ("page", "api")
]  # fmt: skip


def _all_but_the_gates(w) -> Initiative:
    m.workflow(w.initiative_a)
    m.signed_brief(w, w.initiative_a)
    m.gates_done(w, w.initiative_a, kinds=("testing", "monitoring"))
    return m.refreshed(w.initiative_a)


def _gate_undone_since_asked(w) -> DecisionRequest:
    asked = _move_asked_of_the_ceo(w)
    GovernanceGate.objects.filter(initiative=asked.initiative, kind="fallback").update(done_by=None, done_at=None)
    return asked


GATES = "cannot enter Production until its governance gates are recorded done"
# Rows of the production gates' rule (table_initiatives.PRODUCTION_GATES): asked, and approved.
GATE_DOORS = [
    *(Door(PRODUCTION_GATES, path, "ops_lead_a", DecisionRequest, _ask(path, _all_but_the_gates), 400, GATES,
           what="asked") for path in ("page", "api")),
    *(Door(PRODUCTION_GATES, path, "ceo", DecisionRequest, _answer(_gate_undone_since_asked, path), 400, GATES,
           what="approved", kept=_still_waiting) for path in ("page", "api")),
]  # fmt: skip

DOORS = [*APPROVER_DOORS, *IDENTICAL_DOORS, *SPONSOR_DOORS, *ASKER_DOORS, *GATE_DOORS]

"""Rows of the table: the initiative and what belongs to it (its fields per role, the stage gates,
the brief, its owners, stale edits, its roadmap and backlog, its workflow change's steps)."""

from __future__ import annotations

from datetime import timedelta

from governance.models import GovernanceGate
from initiatives.models import (
    AffectedRole,
    BacklogItem,
    DeploymentBrief,
    Initiative,
    Milestone,
    WorkflowChange,
    WorkflowStep,
)
from scoreboard.models import User

from . import makers as m
from .harness import Door, Send, admin_form

EDITABLE = "editable fields per role"
# Its rows are table_approvals': Production is asked of the sponsor, and the gates judge the asking and the approval.
PRODUCTION_GATES = "the gates: production needs testing, monitoring and fallback done"
ASSESSED_GATE = "the gates: leaving assessed needs a workflow change"
BRIEF = "a signed brief's edit voids both signatures"
OWNERS = "one person in both owner seats"
OWN_WORDS = "each owner writes their own words"
STALE = "stale edits"
PARTS = "ops lead writes only their own initiative's parts"
STEPS = "a workflow change lists each step position and role once"
GATE_DONE = "a gate recorded done keeps its words"
GO_LIVE = "an actual go-live is today or earlier"


def _initiative_api(w) -> str:
    return f"/api/v1/initiatives/{w.initiative_a.code}/"


def _initiative_admin(w) -> str:
    return f"/admin/initiatives/initiative/{w.initiative_a.pk}/change/"


# --- Editable fields per role -------------------------------------------------------------------------------

ADMIN_ONLY_FIELDS = [
    ("technology_owner", lambda w: w.ceo.username, "the technology owner"),
    ("operations_owner", lambda w: w.ceo.username, "the operations owner"),
    ("sponsor", lambda w: w.ceo.username, "the sponsor"),
    ("kpis", lambda w: [w.kpi.code, m.spare_kpi(w).code], "the KPIs it reports"),
]


def _patch_admin_only(field, value):
    return lambda w, c: Send("PATCH", _initiative_api(w), {field: value(w)}, json=True)


def _ops_lead_as_staff(w, c):
    User.objects.filter(pk=w.ops_lead_a.pk).update(is_staff=True)
    return Send("POST", _initiative_admin(w), admin_form(c, _initiative_admin(w), technology_owner=w.ceo))


def _owner_on_the_page(w, c):
    body = m.edit_body(w.initiative_a, technology_owner=w.ceo.pk, sponsor=w.ceo.pk)
    return Send("POST", f"/initiatives/{w.initiative_a.code}/edit/", body)


def _owners_kept(w, response):
    initiative = m.refreshed(w.initiative_a)
    assert (initiative.technology_owner, initiative.sponsor) == (w.cio, None)


def _sent_to_sign_in(w, response):
    assert response["Location"].startswith("/admin/login/"), response["Location"]


EDITABLE_DOORS = [
    *(
        Door(
            EDITABLE,
            "api",
            "ops_lead_a",
            Initiative,
            _patch_admin_only(field, value),
            403,
            f"only admins change {label}",
            what=field,
            note="An ops lead changes what they keep of the initiative they lead, never this field.",
        )
        for field, value, label in ADMIN_ONLY_FIELDS
    ),
    Door(
        EDITABLE,
        "page",
        "ops_lead_a",
        Initiative,
        _owner_on_the_page,
        302,
        None,
        what="no door",
        note="The edit page has no owner or sponsor field: the values sent are ignored, nothing is stored.",
        kept=_owners_kept,
    ),
    Door(
        EDITABLE,
        "admin",
        "ops_lead_a",
        Initiative,
        lambda w, c: Send("POST", _initiative_admin(w), {"technology_owner": w.ceo.pk}),
        302,
        None,
        what="an ops lead does not reach the admin",
        note="Ops leads are not staff: the admin sends them to its sign-in and stores nothing.",
        kept=_sent_to_sign_in,
    ),
    Door(
        EDITABLE,
        "admin",
        "ops_lead_a",
        Initiative,
        _ops_lead_as_staff,
        200,
        "only admins change the technology owner",
        what="an ops lead made staff",
        note="Even made staff, an ops lead's change form is judged by the service: the field is refused.",
    ),
]


# --- The gates ---------------------------------------------------------------------------------------------


def _assessed_with_a_signed_brief(w):
    """Initiative A at assessed with a signed brief and no workflow change: only that is missing."""
    m.at_stage(w.initiative_a, "assessed")
    m.signed_brief(w, w.initiative_a)


def _move(arrange, stage: str, path: str):
    def attempt(w, c):
        arrange(w)
        if path == "page":
            url = f"/initiatives/{w.initiative_a.code}/edit/"
            return Send("POST", url, m.edit_body(w.initiative_a, stage=stage))
        if path == "api":
            return Send("PATCH", _initiative_api(w), {"stage": stage}, json=True)
        return Send("POST", _initiative_admin(w), admin_form(c, _initiative_admin(w), stage=stage))

    return attempt


def _gate_doors(rule, arrange, stage, says):
    who = {"page": "ops_lead_a", "api": "ops_lead_a", "admin": "admin_user"}
    status = {"page": 400, "api": 400, "admin": 200}
    return [Door(rule, path, who[path], Initiative, _move(arrange, stage, path), status[path], says) for path in who]


GATE_DOORS = [
    *_gate_doors(
        ASSESSED_GATE,
        _assessed_with_a_signed_brief,
        "brief_signed",
        "cannot leave Assessed without a workflow-change definition",
    ),
]


# --- The brief: changing what a signed brief says voids both signatures ------------------------------------------

NEW_SCOPE = "Route incoming claims documents and customers' letters."


def _brief_page(w, c):
    brief = m.signed_brief(w, w.initiative_a)
    body = {
        "scope": NEW_SCOPE,
        "investment": str(brief.investment),
        "governance": brief.governance,
        "timeline": brief.timeline,
        "read_at": brief.revised_at.isoformat(),
    }
    return Send("POST", f"/initiatives/{w.initiative_a.code}/brief/", body)


def _brief_admin(w, c):
    brief = m.signed_brief(w, w.initiative_a)
    url = f"/admin/initiatives/deploymentbrief/{brief.pk}/change/"
    return Send("POST", url, admin_form(c, url, scope=NEW_SCOPE))


def _brief_api(w, c):
    m.signed_brief(w, w.initiative_a)
    return Send("PATCH", _initiative_api(w), {"deployment_brief": {"scope": NEW_SCOPE}}, json=True)


def _signatures_voided(w, response):
    brief = DeploymentBrief.objects.get(initiative=w.initiative_a)
    assert brief.scope == NEW_SCOPE
    assert (brief.sponsor_signed_by, brief.sponsor_signed_at, brief.coo_signed_by, brief.coo_signed_at) == (None,) * 4
    # The history keeps who had signed the words before.
    assert brief.history.filter(sponsor_signed_by=w.ceo, coo_signed_by=w.coo).exists()


def _brief_unchanged_and_signed(w, response):
    brief = DeploymentBrief.objects.get(initiative=w.initiative_a)
    assert brief.scope != NEW_SCOPE
    assert (brief.sponsor_signed_by, brief.coo_signed_by) == (w.ceo, w.coo)


BRIEF_DOORS = [
    Door(BRIEF, "page", "ops_lead_a", DeploymentBrief, _brief_page, 302, None, what="outcome",
         note="Stored, as it should be: the signatures are gone and the history keeps who signed.",
         kept=_signatures_voided, stores=True),
    Door(BRIEF, "admin", "admin_user", DeploymentBrief, _brief_admin, 302, None, what="outcome",
         note="Stored through the service: the signatures are gone and the history keeps who signed.",
         kept=_signatures_voided, stores=True),
    Door(BRIEF, "api", "ops_lead_a", Initiative, _brief_api, 200, None, what="no door",
         note="The API writes no brief: the initiative's brief is read-only there, the scope sent is ignored.",
         kept=_brief_unchanged_and_signed),
]  # fmt: skip


# --- One person in both owner seats (the initiative; the risk is in table_registers.py) -------------------------

OWNERS_DIFFER = "must be a different person from the technology owner"

OWNER_DOORS = [
    Door(OWNERS, "api", "admin_user", Initiative,
         lambda w, c: Send("PATCH", _initiative_api(w), {"operations_owner": w.cio.username}, json=True),
         400, OWNERS_DIFFER, what="initiative"),
    Door(OWNERS, "admin", "admin_user", Initiative,
         lambda w, c: Send("POST", _initiative_admin(w), admin_form(c, _initiative_admin(w), operations_owner=w.cio)),
         200, OWNERS_DIFFER, what="initiative"),
]  # fmt: skip


# --- Each owner writes their own words: the vocabulary check compares the two owners' descriptions ---------

TECH, OPS = "technology_owner_description", "operations_owner_description"
REWORDED = "Rewritten by someone who is not its owner."
ONLY_TECH = "Only the technology owner (Claire Ito) or an admin changes the technology owner's description."
ONLY_OPS = "Only the operations owner (Omar Okafor) or an admin changes the operations owner's description."


def _description_on_the_page(field):
    return lambda w, c: Send(
        "POST", f"/initiatives/{w.initiative_a.code}/edit/", m.edit_body(w.initiative_a, **{field: REWORDED})
    )


def _description_kept(field):
    def kept(w, response):
        assert getattr(m.refreshed(w.initiative_a), field) != REWORDED

    return kept


def _ops_lead_as_staff_rewords(w, c):
    User.objects.filter(pk=w.ops_lead_a.pk).update(is_staff=True)
    return Send("POST", _initiative_admin(w), admin_form(c, _initiative_admin(w), **{TECH: REWORDED}))


def _corrected_by_ada(w, response):
    last = m.refreshed(w.initiative_a).history.latest()
    assert (last.technology_owner_description, last.history_user) == (REWORDED, w.ada)
    assert last.history_change_reason == "Technology owner's description corrected by Ada Adler"


OWN_WORDS_DOORS = [
    Door(OWN_WORDS, "page", "ops_lead_a", Initiative, _description_on_the_page(TECH), 302, None,
         what="ops lead, no door", kept=_description_kept(TECH),
         note="The ops lead's edit page has no description field: the words sent are not read, nothing is stored."),
    Door(OWN_WORDS, "page", "cio", Initiative, _description_on_the_page(OPS), 302, None,
         what="the other owner's, no door", kept=_description_kept(OPS),
         note="The technology owner's edit page shows only their own description: the other is not read."),
    Door(OWN_WORDS, "api", "ops_lead_a", Initiative,
         lambda w, c: Send("PATCH", _initiative_api(w), {TECH: REWORDED}, json=True), 403, ONLY_TECH,
         what="ops lead, technology"),
    Door(OWN_WORDS, "api", "ops_lead_a", Initiative,
         lambda w, c: Send("PATCH", _initiative_api(w), {OPS: REWORDED, "name": "Renamed too"}, json=True),
         403, ONLY_OPS, what="ops lead, operations"),
    Door(OWN_WORDS, "api", "cio", Initiative,
         lambda w, c: Send("PATCH", _initiative_api(w), {OPS: REWORDED}, json=True), 403, ONLY_OPS,
         what="the other owner's"),
    Door(OWN_WORDS, "admin", "ops_lead_a", Initiative, _ops_lead_as_staff_rewords, 200, ONLY_TECH,
         what="an ops lead made staff",
         note="Even made staff, an ops lead's change form is judged by the service: the description is refused."),
    Door(OWN_WORDS, "admin", "ada", Initiative,
         lambda w, c: Send("POST", _initiative_admin(w), admin_form(c, _initiative_admin(w), **{TECH: REWORDED})),
         302, None, what="an admin's correction", stores=True, kept=_corrected_by_ada,
         note="An admin may correct either description: the history records the correction as the admin's."),
]  # fmt: skip


# --- An actual go-live is today or earlier: a date ahead would count days of value not yet delivered ------------

AHEAD = (m.TODAY + timedelta(days=30)).isoformat()
GO_LIVE_AHEAD = "The actual go-live is the day it went live, today or earlier"

GO_LIVE_DOORS = [
    Door(GO_LIVE, "page", "ops_lead_a", Initiative,
         lambda w, c: Send("POST", f"/initiatives/{w.initiative_a.code}/edit/",
                           m.edit_body(w.initiative_a, actual_go_live=AHEAD)),
         400, GO_LIVE_AHEAD, what="initiative"),
    Door(GO_LIVE, "api", "ops_lead_a", Initiative,
         lambda w, c: Send("PATCH", _initiative_api(w), {"actual_go_live": AHEAD}, json=True),
         400, GO_LIVE_AHEAD, what="initiative"),
    Door(GO_LIVE, "admin", "admin_user", Initiative,
         lambda w, c: Send("POST", _initiative_admin(w), admin_form(c, _initiative_admin(w), actual_go_live=AHEAD)),
         200, GO_LIVE_AHEAD, what="initiative"),
]  # fmt: skip


# --- Stale edits of an initiative (the matrix's are in table_matrix_metrics.py) --------------------------------


def _changed_by_ada(w):
    m.stamp(w.initiative_a, w.ada, name="Claims triage, as Ada named it")


def _stale_page(w, c):
    body = m.edit_body(w.initiative_a, name="Claims triage, renamed")  # read now
    _changed_by_ada(w)
    return Send("POST", f"/initiatives/{w.initiative_a.code}/edit/", body)


def _stale_api(w, c):
    read_at = m.refreshed(w.initiative_a).updated_at.isoformat()
    _changed_by_ada(w)
    return Send("PATCH", _initiative_api(w), {"name": "Claims triage, renamed", "updated_at": read_at}, json=True)


def _stale_admin(w, c):
    data = admin_form(c, _initiative_admin(w), name="Claims triage, renamed")  # the form carries when it was read
    _changed_by_ada(w)
    return Send("POST", _initiative_admin(w), data)


def _ada_changed(what):
    return lambda w: f"{w.ada} changed {what}"


STALE_DOORS = [
    Door(STALE, "page", "ops_lead_a", Initiative, _stale_page, 409, _ada_changed("this initiative"),
         what="initiative"),
    Door(STALE, "api", "ops_lead_a", Initiative, _stale_api, 409, _ada_changed("this initiative"),
         what="initiative"),
    Door(STALE, "admin", "admin_user", Initiative, _stale_admin, 200, _ada_changed("this initiative"),
         what="initiative", note="The admin's change form carries a hidden read_at."),
]  # fmt: skip


# --- An ops lead writes only their own initiative's parts ------------------------------------------------------


def _only_b_leads(w):
    return f"only the ops leads of {w.initiative_b.code}"


def _part_staff(model_name, make):
    def attempt(w, c):
        part = make(w.initiative_a)
        User.objects.filter(pk=w.ops_lead_a.pk).update(is_staff=True)
        url = f"/admin/initiatives/{model_name}/{part.pk}/change/"
        return Send("POST", url, admin_form(c, url, initiative=w.initiative_b))

    return attempt


def _parts(noun, url, model, model_name, make, body):
    def add(w, c):
        return Send("POST", url, {"initiative": w.initiative_b.code, **body}, json=True)

    def move(w, c):
        part = make(w.initiative_a)
        return Send("PATCH", f"{url}{part.pk}/", {"initiative": w.initiative_b.code}, json=True)

    return [
        Door(PARTS, "api", "ops_lead_a", model, add, 403, _only_b_leads, what=f"{noun} added to B"),
        Door(PARTS, "api", "ops_lead_a", model, move, 403, _only_b_leads, what=f"{noun} moved to B"),
        Door(PARTS, "admin", "ops_lead_a", model, _part_staff(model_name, make), 200, _only_b_leads,
             what=f"{noun} moved to B by an ops lead made staff",
             note="Ops leads are not staff; made staff, the admin's form is still judged by the service."),
    ]  # fmt: skip


PART_DOORS = [
    *_parts("milestone", "/api/v1/milestones/", Milestone, "milestone", m.milestone,
            {"title": "Go live in Ghent", "due_on": m.FUTURE.isoformat()}),
    *_parts("backlog item", "/api/v1/backlog-items/", BacklogItem, "backlogitem", m.backlog_item,
            {"title": "Read scanned forms", "priority": 1}),
]  # fmt: skip


# --- A workflow change: one step per position in each phase, each role once ------------------------------------


def _steps_page(w, c):
    steps = [
        {"id": "", "order": "1", "name": "Open the mail", "treatment": "unchanged", "performed_by": ""},
        {"id": "", "order": "1", "name": "Read the claim", "treatment": "unchanged", "performed_by": ""},
    ]
    return Send("POST", f"/initiatives/{w.initiative_a.code}/workflow/", m.workflow_body(before=steps))


def _step_admin(w, c):
    workflow = m.workflow(w.initiative_a)
    m.step(workflow, 1, "Open the mail")
    url = "/admin/initiatives/workflowstep/add/"
    data = admin_form(
        c, url, workflow_change=workflow, phase="before", order=1, name="Read the claim", treatment="unchanged"
    )
    return Send("POST", url, data)


def _role_admin(w, c):
    workflow = m.workflow(w.initiative_a)
    AffectedRole.objects.create(workflow_change=workflow, role="Claims handler", headcount=42)
    url = "/admin/initiatives/affectedrole/add/"
    return Send("POST", url, admin_form(c, url, workflow_change=workflow, role="Claims handler", headcount=3))


def _steps_inline(w, c):
    workflow = m.workflow(w.initiative_a)
    m.step(workflow, 1, "Open the mail")
    url = f"/admin/initiatives/workflowchange/{workflow.pk}/change/"
    data = admin_form(c, url)
    data.update({"steps-TOTAL_FORMS": "2", "steps-1-phase": "before", "steps-1-order": "1"})
    data.update(
        {"steps-1-name": "Read the claim", "steps-1-treatment": "unchanged", "steps-1-workflow_change": workflow.pk}
    )
    return Send("POST", url, data)


def _steps_api(w, c):
    workflow = m.workflow(w.initiative_a)
    m.step(workflow, 1, "Open the mail")
    step = {"phase": "before", "order": 1, "name": "Read the claim", "treatment": "unchanged"}
    return Send("PATCH", f"/api/v1/workflow-changes/{workflow.pk}/", {"steps": [step]}, json=True)


def _steps_unchanged(w, response):
    workflow = WorkflowChange.objects.get(initiative=w.initiative_a)
    assert list(WorkflowStep.objects.filter(workflow_change=workflow).values_list("name", flat=True)) == [
        "Open the mail"
    ]


STEP_DOORS = [
    Door(STEPS, "page", "ops_lead_a", WorkflowChange, _steps_page, 400, "step already has position 1",
         what="two steps at one position"),
    Door(STEPS, "admin", "admin_user", WorkflowStep, _step_admin, 200, "already has this position",
         what="two steps at one position"),
    Door(STEPS, "admin", "admin_user", WorkflowChange, _steps_inline, 200, "duplicate data for phase and order",
         what="two steps at one position, inline on the workflow change's page"),
    Door(STEPS, "admin", "admin_user", AffectedRole, _role_admin, 200, "already listed",
         what="a role listed twice"),
    Door(STEPS, "api", "ops_lead_a", WorkflowChange, _steps_api, 200, None, what="no door",
         note="The API writes no step: a workflow change's steps are read-only there, the step sent is ignored.",
         kept=_steps_unchanged, stores=True),
]  # fmt: skip


# --- A gate recorded done is evidence: it keeps the words it was checked against --------------------------------


def _gate_admin(w, c):
    (gate,) = m.gates_done(w, w.initiative_a, ["testing"])
    url = f"/admin/governance/governancegate/{gate.pk}/change/"
    return Send("POST", url, admin_form(c, url, description="Other words, after the fact"))


def _gate_page(w, c):
    m.gates_done(w, w.initiative_a, ["testing"])
    return Send("POST", f"/governance/gates/{w.initiative_a.code}/testing/", {"description": "Other words"})


def _gate_kept(w, response):
    gate = GovernanceGate.objects.get(initiative=w.initiative_a, kind="testing")
    assert (gate.description, gate.done_by) == ("testing checked", w.admin_user)


GATE_DONE_DOORS = [
    Door(GATE_DONE, "admin", "admin_user", GovernanceGate, _gate_admin, 200, "keeps the words it was checked against"),
    Door(GATE_DONE, "page", "admin_user", GovernanceGate, _gate_page, 302, None, what="recorded again",
         note="Recording a gate done again keeps who did it, when and its words: nothing is stored.",
         kept=_gate_kept),
]  # fmt: skip


DOORS = [
    *EDITABLE_DOORS,
    *GATE_DOORS,
    *BRIEF_DOORS,
    *OWNER_DOORS,
    *OWN_WORDS_DOORS,
    *GO_LIVE_DOORS,
    *STALE_DOORS,
    *PART_DOORS,
    *STEP_DOORS,
    *GATE_DONE_DOORS,
]

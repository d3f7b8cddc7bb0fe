"""Every permission in the product, in one place.

Pages, the API, the admin and services ask ``user.has_perm(name, obj)``; the answer is
decided here. Roles: executives read everything and sign off; ops leads change only the
initiatives they lead and those initiatives' metrics; admins change the matrix, KPI
definitions, sources, users and roles.
"""

import rules

from .models import ExecutiveTitle


@rules.predicate
def is_executive(user):
    return getattr(user, "is_executive", False)


@rules.predicate
def is_ops_lead(user):
    return getattr(user, "is_ops_lead", False)


@rules.predicate
def is_admin(user):
    return getattr(user, "is_scoreboard_admin", False)


@rules.predicate
def is_signed_in(user):
    return bool(user and user.is_authenticated and user.is_active)


def _initiative_id_of(obj) -> int | None:
    """The initiative an object belongs to: itself, a direct FK, or via its workflow change."""
    if obj is None:
        return None
    if obj._meta.label == "initiatives.Initiative":
        return obj.pk
    if hasattr(obj, "initiative_id"):
        return obj.initiative_id
    if hasattr(obj, "workflow_change"):
        return obj.workflow_change.initiative_id
    return None


@rules.predicate
def leads_initiative(user, obj):
    initiative_id = _initiative_id_of(obj)
    return initiative_id is not None and initiative_id in user.led_initiative_ids


def _has_title(title: ExecutiveTitle):
    @rules.predicate(name=f"is_{title.value.lower()}")
    def predicate(user):
        return getattr(user, "executive_title", "") == title.value

    return predicate


is_ceo = _has_title(ExecutiveTitle.CEO)
is_cio = _has_title(ExecutiveTitle.CIO)
is_coo = _has_title(ExecutiveTitle.COO)


@rules.predicate
def owns_technology_side(user, initiative):
    return initiative is not None and initiative.technology_owner_id == user.pk


@rules.predicate
def owns_operations_side(user, initiative):
    return initiative is not None and initiative.operations_owner_id == user.pk


@rules.predicate
def is_accountable_for_kpi(user, kpi):
    return kpi is not None and user.pk in (kpi.accountable_executive_id, kpi.co_accountable_executive_id)


@rules.predicate
def is_sponsor_of_brief(user, brief):
    return brief is not None and brief.initiative.sponsor_id == user.pk


@rules.predicate
def is_draft_matrix(user, obj):
    """A published matrix version is evidence: changes go into a new draft version."""
    if obj is None:
        return True
    version = obj if obj._meta.model_name == "matrixversion" else obj.version
    return version.status == "draft"


@rules.predicate
def is_asked_executive(user, decision_request):
    return decision_request is not None and decision_request.executive_id == user.pk


# Reading: every signed-in person reads the whole scoreboard.
READABLE = {
    "scoreboard": ["monthlyreview", "monthlypack", "restatement", "restatedfigure", "dataversion"],
    "initiatives": [
        "initiative",
        "milestone",
        "backlogitem",
        "workflowchange",
        "workflowstep",
        "affectedrole",
        "deploymentbrief",
        "prioritisationinput",
    ],
    "metrics": [
        "kpi",
        "target",
        "metricsource",
        "sourcemapping",
        "pullrun",
        "rollupdue",
        "alertdigest",
        "measurement",
        "monthlysnapshot",
        "frozenmonth",
        "annotation",
    ],
    "governance": [
        "matrixversion",
        "matrixdecision",
        "sharedzonedecision",
        "governancegate",
        "decisionrequest",
        "risk",
        "shadowaitool",
    ],
}
for app_label, models in READABLE.items():
    for model in models:
        rules.add_perm(f"{app_label}.view_{model}", is_signed_in)

# Writing what belongs to one initiative: its ops leads, and admins.
runs_initiative = is_admin | (is_ops_lead & leads_initiative)
for model in ["milestone", "backlogitem", "workflowchange", "workflowstep", "affectedrole"]:
    for action in ("add", "change", "delete"):
        rules.add_perm(f"initiatives.{action}_{model}", runs_initiative)
# An ops lead drafts the brief; a signed brief is evidence only an admin may remove.
rules.add_perm("initiatives.add_deploymentbrief", runs_initiative)
rules.add_perm("initiatives.change_deploymentbrief", runs_initiative)
rules.add_perm("initiatives.delete_deploymentbrief", is_admin)
rules.add_perm("initiatives.change_initiative", runs_initiative)
# Each owner writes their own words: the vocabulary check compares the two descriptions, which means
# nothing if anyone else may write them. Admins correct either (the history records it as theirs).
rules.add_perm("initiatives.change_technology_owner_description", is_admin | owns_technology_side)
rules.add_perm("initiatives.change_operations_owner_description", is_admin | owns_operations_side)
for action in ("add", "change", "delete"):
    rules.add_perm(f"metrics.{action}_measurement", runs_initiative)
# Recording a value for an initiative (checked against the initiative, or None for company-wide).
rules.add_perm("metrics.record_measurement", runs_initiative)
# Downloading an initiative's measurements as CSV: executives (who read everything), its ops
# leads and admins; another initiative's ops lead has no need of the whole file.
rules.add_perm("metrics.export_measurements", is_executive | runs_initiative)
# Uploaded files, in the admin: looked at by admins (the pages check record_measurement per import).
rules.add_perm("metrics.view_csvimport", is_admin)

# Admin-only: the matrix, KPI definitions, sources, and the registers they curate.
ADMIN_ONLY = {
    "initiatives": ["initiative:add", "initiative:delete", "prioritisationinput"],
    "metrics": ["kpi", "target", "metricsource", "sourcemapping", "monthlysnapshot"],
    # Gates are certified by admins, not by the team whose initiative they hold back.
    "governance": [
        "shadowaitool",
        "sharedzonedecision",
        "risk",
        "governancegate",
        "matrixversion:add",
        "matrixdecision:add",
    ],
    "scoreboard": ["user", "chatdestination"],
}
for app_label, entries in ADMIN_ONLY.items():
    for entry in entries:
        model, _, only = entry.partition(":")
        for action in [only] if only else ["add", "change", "delete"]:
            rules.add_perm(f"{app_label}.{action}_{model}", is_admin)
rules.add_perm("scoreboard.view_user", is_admin)
# Integration tokens: admins see and revoke them (issued from the command line).
for action in ("view", "change", "delete"):
    rules.add_perm(f"scoreboard.{action}_integrationtoken", is_admin)
rules.add_perm("scoreboard.view_idempotencyrecord", is_admin)
# Chat destinations and their delivery log: admins configure and look (the log is written by the jobs).
rules.add_perm("scoreboard.view_chatdestination", is_admin)
rules.add_perm("scoreboard.view_chatnotification", is_admin)
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"auth.{action}_group", is_admin)
for model in ("matrixversion", "matrixdecision"):
    rules.add_perm(f"governance.change_{model}", is_admin & is_draft_matrix)
    rules.add_perm(f"governance.delete_{model}", is_admin & is_draft_matrix)
rules.add_perm("governance.publish_matrixversion", is_admin & is_draft_matrix)
# Signed months are the ExCo's record: no review is deleted (signatures are withdrawn by their signer).
# Admins see failed sign-ins and unlock people (django-axes' admin pages).
for model in ("accessattempt", "accessfailurelog", "accesslog"):
    rules.add_perm(f"axes.view_{model}", is_admin)
rules.add_perm("axes.delete_accessattempt", is_admin)

# Executives sign; only the holder of the seat signs that slot.
rules.add_perm("scoreboard.sign_off_as_cio", is_executive & is_cio)
rules.add_perm("scoreboard.sign_off_as_coo", is_executive & is_coo)
# Applying a frozen month's restatement opens a revision the two signers sign again: theirs to open.
rules.add_perm("scoreboard.apply_restatement", is_executive & (is_cio | is_coo))
rules.add_perm("initiatives.sign_deploymentbrief_as_sponsor", is_executive & is_sponsor_of_brief)
rules.add_perm("initiatives.sign_deploymentbrief_as_coo", is_executive & is_coo)
rules.add_perm("governance.approve_matrixversion", is_executive)

# Anyone signed in may ask an executive for a decision; only the one asked answers it.
rules.add_perm("governance.add_decisionrequest", is_signed_in)
rules.add_perm("governance.answer_decisionrequest", is_executive & is_asked_executive)
# Moving an initiative into Production or Scaled, or retiring it: its ops leads or an admin ask its
# sponsor, who approves it by answering (the asked executive, as above).
rules.add_perm("governance.ask_stage_move", leads_initiative | is_admin)
# The ExCo pre-read: admins set the meeting schedule and read the delivery log, sending a failed
# one again; members set their own subscription on their page (scoreboard.exco.preread).
for action in ("view", "add", "change"):
    rules.add_perm(f"scoreboard.{action}_excoschedule", is_admin)
rules.add_perm("scoreboard.view_preread", is_admin)
rules.add_perm("scoreboard.view_prereadsubscription", is_admin)
rules.add_perm("scoreboard.view_prereaddelivery", is_admin)
rules.add_perm("scoreboard.change_prereaddelivery", is_admin)
# Who was told which overdue requests, and when: admins look (the digests are written by the job).
rules.add_perm("governance.view_decisiondigest", is_admin)

# Why a number moved: written by the KPI's accountable executives (or an admin).
rules.add_perm("metrics.add_annotation", is_admin | (is_executive & is_accountable_for_kpi))

# Shared-zone decisions: the CEO gives the CEO input, the COO the COO input, and either of them
# records the joint decision (once both inputs are in: governance.services.registers). Admins add
# and correct the decisions themselves (topic, title, initiative).
rules.add_perm("governance.give_ceo_input_sharedzonedecision", is_executive & is_ceo)
rules.add_perm("governance.give_coo_input_sharedzonedecision", is_executive & is_coo)
rules.add_perm("governance.decide_sharedzonedecision", is_executive & (is_ceo | is_coo))
# A shadow-AI tool becomes an initiative at an admin's hand (governance.services.shadow_ai.shadow_ai_tool_promote).
rules.add_perm("governance.promote_shadowaitool", is_admin)

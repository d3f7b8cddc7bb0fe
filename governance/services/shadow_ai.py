"""The shadow-AI register: the AI tools teams already use without sanction, what data they see
and what became of them, kept by admins; and promoting a tool to a new initiative (at stage
Idea), prefilled from its facts. Pages: governance/views/registers.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from initiatives.models import Initiative, Stage
from initiatives.services.initiatives import code_taken
from scoreboard import writes

from ..models import ShadowAIStatus, ShadowAITool


class AlreadyPromoted(ValidationError):
    """The shadow-AI tool already became an initiative: nothing was created a second time."""


SHADOW_AI_TOOL_FIELDS = (
    "tool",
    "team",
    "use",
    "why_it_helps",
    "data_sensitivity",
    "status",
    "discovered_on",
    "promoted_to",
)
# What the admin completes when a tool becomes an initiative (the ops leads come apart, as a list).
PROMOTION_FIELDS = (
    "code",
    "name",
    "business_unit",
    "process",
    "sourcing",
    "technology_owner",
    "operations_owner",
    "sponsor",
    "technology_owner_description",
    "operations_owner_description",
)
# What became of a promoted tool: it is no longer under review.
PROMOTED_STATUSES = (ShadowAIStatus.ADOPTED, ShadowAIStatus.REPLACED, ShadowAIStatus.BLOCKED)


def shadow_ai_tool_save(*, by, tool: ShadowAITool | None = None, data: dict) -> ShadowAITool:
    """Register a shadow-AI tool (``tool=None``) or change one: admins only.

    Refused, naming the field and storing nothing: a tool already registered for the same
    team (``tool``), a discovery date after today (``discovered_on``), "adopted" without the
    initiative it became or "under review" with one (``status``), and whatever the model's
    own validation refuses (choices, required text)."""
    writes.unknown_fields(data, SHADOW_AI_TOOL_FIELDS)
    with transaction.atomic():
        if tool is None:
            writes.refuse_unless(by, "governance.add_shadowaitool", None, "Only admins keep the shadow-AI register.")
            current, reason = ShadowAITool(), "Registered on the shadow-AI register"
        else:
            current = ShadowAITool.objects.select_for_update().get(pk=tool.pk)
            writes.refuse_unless(
                by, "governance.change_shadowaitool", current, "Only admins keep the shadow-AI register."
            )
            reason = "Edited on the shadow-AI register"
        for name, value in data.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current, prefix="")
        if current.tool and current.team and _same_tool(current).exists():
            writes.add_error(errors, "tool", _same_tool_message(current))
        if current.status == ShadowAIStatus.ADOPTED and current.promoted_to_id is None:
            writes.add_error(
                errors,
                "status",
                "A tool is adopted by becoming an initiative: promote it, or name the initiative it became.",
            )
        elif current.promoted_to_id is not None and current.status == ShadowAIStatus.UNDER_REVIEW:
            writes.add_error(errors, "status", "A tool that became an initiative is no longer under review.")
        if current.discovered_on and current.discovered_on > timezone.localdate():
            writes.add_error(errors, "discovered_on", "A tool is discovered on or before today, not in the future.")
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                writes.save(current, by=by, why=reason)
        except IntegrityError:
            # Registered by someone else between the check and the write.
            if _same_tool(current).exists():
                raise ValidationError({"tool": _same_tool_message(current)}) from None
            raise
    return current


def _same_tool(tool: ShadowAITool):
    return ShadowAITool.objects.filter(tool=tool.tool, team=tool.team).exclude(pk=tool.pk)


def _same_tool_message(tool: ShadowAITool) -> str:
    return f"{tool.tool} is already registered for {tool.team}: edit that entry instead."


def shadow_ai_tool_promote(*, tool: ShadowAITool, by, data: dict, status: str = ShadowAIStatus.ADOPTED) -> Initiative:
    """Make a new initiative, at stage "idea", out of a shadow-AI tool, and link the tool to
    it (``promoted_to``) with the status the admin chose (adopted by default): admins only,
    all or nothing.

    ``data`` holds PROMOTION_FIELDS and, optionally, ``ops_leads`` (a list of people). Refused:
    a tool already promoted (AlreadyPromoted, naming the initiative, so a second submit makes
    nothing twice); a code another initiative has (``code``); the same person as both owners
    (``operations_owner``); a status that leaves the tool under review (``status``); anything
    the initiative's own validation refuses. A refusal stores nothing."""
    data = dict(data)
    ops_leads = list(data.pop("ops_leads", None) or ())
    writes.unknown_fields(data, PROMOTION_FIELDS)
    with transaction.atomic():
        current = ShadowAITool.objects.select_for_update(of=("self",)).select_related("promoted_to").get(pk=tool.pk)
        writes.refuse_unless(
            by, "governance.promote_shadowaitool", current, "Only admins promote a shadow-AI tool to an initiative."
        )
        if current.promoted_to is not None:
            became = current.promoted_to
            raise AlreadyPromoted(
                {
                    "__all__": f"Nothing was created: {current} was already promoted to the initiative "
                    f"{became.name} ({became.code})."
                }
            )
        errors: dict[str, list[str]] = {}
        if status not in PROMOTED_STATUSES:
            labels = ", ".join(ShadowAIStatus(s).label.lower() for s in PROMOTED_STATUSES)
            writes.add_error(errors, "status", f"A promoted tool is no longer under review: choose {labels}.")
        initiative = Initiative(stage=Stage.IDEA)
        for name, value in data.items():
            setattr(initiative, name, value.strip() if isinstance(value, str) else value)
        writes.collect_errors(errors, initiative, prefix="")
        if initiative.code and (taken := code_taken(initiative.code)):
            writes.add_error(errors, "code", taken)
        if errors:
            raise ValidationError(errors)
        reason = writes.reason(f"Promoted from the shadow-AI register: {current.tool} ({current.team})")
        try:
            with transaction.atomic():
                # Its ops leads in the same history row, with the same who and why.
                writes.save(initiative, by=by, why=reason, many={"ops_leads": ops_leads} if ops_leads else None)
        except IntegrityError:
            if Initiative.objects.filter(code=initiative.code).exists():
                raise ValidationError(
                    {"code": f"The code {initiative.code} was just taken by another initiative: choose another."}
                ) from None
            raise
        current.promoted_to = initiative
        current.status = status
        became = f"Promoted to the initiative {initiative.code}; status: {ShadowAIStatus(status).label}"
        writes.save(current, by=by, why=writes.reason(became))
    return initiative


def shadow_ai_tool_delete(*, tool: ShadowAITool, by) -> None:
    """Remove a tool from the shadow-AI register (admins). A tool promoted to an initiative is
    where that initiative came from, so it stays (refused on ``promoted_to``)."""
    with transaction.atomic():
        current = ShadowAITool.objects.select_for_update(of=("self",)).select_related("promoted_to").get(pk=tool.pk)
        writes.refuse_unless(by, "governance.delete_shadowaitool", current, "Only admins keep the shadow-AI register.")
        if current.promoted_to is not None:
            raise ValidationError(
                {
                    "promoted_to": f"{current} was promoted to the initiative {current.promoted_to.code}: "
                    "it stays on the register as where that initiative came from."
                }
            )
        writes.delete(current, by=by, why="Removed from the shadow-AI register")

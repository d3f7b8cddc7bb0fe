"""The decision-authority matrix: its one draft, the decisions in it, publication and comparison.

One path for the pages, the API and the admin:

- ``matrix_draft_open``: admins open the single draft, numbered after the last version and
  starting from the decisions of the latest published version;
- ``matrix_decision_save`` / ``matrix_decision_delete``: admins add, change and remove the
  draft's decisions. A published version is evidence: nothing in it changes. An edit made on a
  copy older than the stored one is refused (``StaleEdit``), so nobody silently overwrites
  someone else's change;
- ``matrix_version_submit``: admins ask the approving executive (the COO by default:
  ``settings.MATRIX_APPROVER_TITLE``) to publish the draft, effective from a date, with a reason:
  a decision request in that executive's log, due in 24 hours. Nothing in the version changes
  while it waits. ``matrix_version_decide`` is the answer (decisions.decision_answer calls it): an
  approval publishes it, a refusal sends it back to draft with the approver's reason;
- ``matrix_compare``: what changed between any two versions, decision by decision, field by field.

Each write locks what it changes (the version, then the decision), checks the permission of
scoreboard/rules.py, validates everything before writing anything and records its history
with who and why, so a refusal leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from metrics.models import KPI
from scoreboard import formatting, history, writes
from scoreboard.models import Role

from ..models import AutonomyTier, MatrixDecision, MatrixVersion, VersionStatus
from . import bounds

# What a decision holds, in the order the grid and the CSV show it.
DECISION_FIELDS = (
    "key",
    "process",
    "initiative",
    "decision",
    "autonomy_tier",
    "confidence_threshold",
    "escalation_owner",
    "accountable_executive",
    "override_protocol",
    "audit_trail",
    "monitoring_kpi",
    "breach_threshold",
    "breach_when",
)
# Compared between versions: everything but the key, which is how a decision is matched.
COMPARED_FIELDS = tuple(name for name in DECISION_FIELDS if name != "key")
# One tier toward human control at a time: where a decision outside its bounds should go next.
TIERS_TOWARD_HUMAN = (
    AutonomyTier.AI_AUTONOMOUS,
    AutonomyTier.AI_NOTIFIES,
    AutonomyTier.HUMAN_APPROVES,
    AutonomyTier.HUMAN_ONLY,
)

ONLY_ADMINS = "Only admins change the decision-authority matrix."


StaleEdit = writes.StaleEdit  # the decision changed after the editor read it: nothing stored


class NotADraft(writes.Conflict):
    """The version is published (a second publish, a retry): it is evidence, nothing changes."""


_LABELS = {"monitoring_kpi": "Monitoring KPI", "breach_when": "Breach when"}


def label_of(name: str) -> str:
    """A decision field's name as the page says it."""
    return _LABELS.get(name) or str(MatrixDecision._meta.get_field(name).verbose_name).capitalize()


def _published_refusal(version: MatrixVersion) -> str:
    return f"Nothing was stored: matrix v{version.number} is published; changes go into a new draft version."


def _refuse_unless_may_edit(by, version: MatrixVersion, perm: str, obj) -> None:
    """Admins edit, and only a draft: each refusal says which."""
    if not by.has_perm("governance.add_matrixdecision"):
        raise PermissionDenied(ONLY_ADMINS)
    if version.status != VersionStatus.DRAFT or not by.has_perm(perm, obj):
        raise PermissionDenied(_published_refusal(version))


# --- The draft --------------------------------------------------------------------------------------------


def matrix_draft_open(*, by, reason: str = "") -> MatrixVersion:
    """Open the one draft version (admins). Refused while a draft exists, naming it, or while a
    version waits for approval (the new draft would start from what may not be in force). It is
    numbered after the highest version and starts with a copy of the decisions of the latest
    published version (same keys), so edits start from what is in force."""
    if not by.has_perm("governance.add_matrixversion"):
        raise PermissionDenied(ONLY_ADMINS)
    with transaction.atomic():
        # The newest version, locked, serialises two admins opening a draft at the same moment.
        list(MatrixVersion.objects.select_for_update().order_by("-number")[:1])
        waiting = MatrixVersion.objects.filter(status=VersionStatus.AWAITING).first()
        if waiting is not None:
            raise ValidationError({"__all__": f"No new draft yet: {no_longer_a_draft(waiting)}"})
        existing = MatrixVersion.objects.filter(status=VersionStatus.DRAFT).select_related("created_by").first()
        if existing is not None:
            raise ValidationError(
                {
                    "__all__": f"There is already a draft version of the matrix: v{existing.number}, opened by "
                    f"{existing.created_by} on {writes.when(existing.created_at)}. Edit that one, or publish it first."
                }
            )
        number = (MatrixVersion.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        source = MatrixVersion.objects.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        draft = MatrixVersion(number=number, status=VersionStatus.DRAFT, reason=(reason or "").strip(), created_by=by)
        draft._history_user = by
        draft._change_reason = f"Draft opened from v{source.number}" if source else "Draft opened (first version)"
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError as error:  # another admin's draft landed first
            raise ValidationError({"__all__": "There is already a draft version of the matrix: edit that one."}) from (
                error
            )
        if source is not None:
            attnames = [MatrixDecision._meta.get_field(name).attname for name in DECISION_FIELDS]
            copies = [
                MatrixDecision(version=draft, **{attname: getattr(decision, attname) for attname in attnames})
                for decision in source.decisions.order_by("pk")
            ]
            bulk_create_with_history(
                copies,
                MatrixDecision,
                default_user=by,
                default_change_reason=f"Copied from v{source.number} into the draft",
            )
    return draft


# --- The draft's decisions ----------------------------------------------------------------------------------


def _check_fresh(current: MatrixDecision, read_at: datetime | None) -> None:
    writes.check_fresh(
        current,
        read_at,
        what=f"“{current.decision}”",
        then="Reload the matrix to see their change, then make yours again.",
    )


def display_of(decision: MatrixDecision, name: str) -> str:
    """A field's value as the page shows it (labels of choices, names of related things)."""
    value = getattr(decision, name)
    if value is None or value == "":
        return "—"
    display = getattr(decision, f"get_{name}_display", None)
    return str(display() if display else value)


def matrix_decision_save(
    *,
    by,
    version: MatrixVersion | None = None,
    decision: MatrixDecision | None = None,
    data: dict[str, Any],
    read_at: datetime | None = None,
) -> MatrixDecision:
    """Add a decision to ``version`` (the draft), or change ``decision``, with ``data`` (any
    of DECISION_FIELDS; a change touches only the fields given).

    Refused (PermissionDenied) unless ``by`` is an admin and the version is a draft: a
    published version is evidence, changes go into a new draft. Refused (ValidationError,
    keyed by field) when the result breaks a rule: a key used twice in the version, a
    confidence threshold outside 0–1, a monitoring signal without its KPI, threshold or
    direction, or one that a target of its KPI contradicts (bounds.py). Refused (StaleEdit)
    when the decision changed after ``read_at``, the ``updated_at`` the editor read, naming who
    changed it and when. Nothing is stored by a refusal."""
    with transaction.atomic():
        current, before = _prepare(by=by, version=version, decision=decision, data=data, read_at=read_at, lock=True)
        if before is None:
            reason = f"Added to the draft v{current.version.number}"
        else:
            changed = [label_of(name).lower() for name in DECISION_FIELDS if _differs(before, current, name)]
            if not changed:
                return current  # nothing to store: no history row for a save that changes nothing
            reason = "Changed " + ", ".join(changed)
        current._history_user = by
        current._change_reason = writes.reason(reason)
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError as error:  # the database's constraints, should a rule above be missed
            raise ValidationError({"__all__": "Nothing was stored: the decision breaks a rule of the matrix."}) from (
                error
            )
    return current


def matrix_decision_check(
    *,
    by,
    version: MatrixVersion | None = None,
    decision: MatrixDecision | None = None,
    data: dict[str, Any],
    read_at: datetime | None = None,
) -> None:
    """Raise what matrix_decision_save would refuse, storing nothing: for a form that shows
    every refusal before it saves (the admin's). The save checks again, under its locks."""
    _prepare(by=by, version=version, decision=decision, data=data, read_at=read_at, lock=False)


def _prepare(*, by, version, decision, data, read_at, lock: bool) -> tuple[MatrixDecision, MatrixDecision | None]:
    """The decision as ``data`` would leave it, judged (who, the draft, stale, every rule), and
    a copy of it as stored before (None for a new one). Locks the version, then the decision."""
    if (version is None) == (decision is None):
        raise ValueError("Give the version to add to, or the decision to change: one of the two.")
    unknown = set(data) - set(DECISION_FIELDS)
    if unknown:
        raise ValueError(f"Not a decision's field: {', '.join(sorted(unknown))}")
    versions = MatrixVersion.objects.select_for_update() if lock else MatrixVersion.objects
    decisions = MatrixDecision.objects.select_for_update() if lock else MatrixDecision.objects
    # The version a decision is in, as stored: never as the caller's copy says (an admin's copy
    # already carries what its form was sent).
    version_id = version.pk if version is not None else MatrixDecision.objects.get(pk=decision.pk).version_id
    stored_version = versions.get(pk=version_id)
    if decision is None:
        _refuse_unless_may_edit(by, stored_version, "governance.change_matrixversion", stored_version)
        current, before = MatrixDecision(version=stored_version), None
    else:
        current = decisions.get(pk=decision.pk)
        current.version = stored_version
        _refuse_unless_may_edit(by, stored_version, "governance.change_matrixdecision", current)
        _check_fresh(current, read_at)
        before = MatrixDecision(**{f.attname: getattr(current, f.attname) for f in MatrixDecision._meta.fields})
    for name, value in data.items():
        setattr(current, name, value)
    if lock and current.monitoring_kpi_id:
        # As a target's save does (metrics.services.kpis): the bound and the targets it must agree
        # with are judged one write at a time.
        list(KPI.objects.select_for_update().filter(pk=current.monitoring_kpi_id).values_list("pk"))
    _validate(current)
    return current, before


def _differs(before: MatrixDecision, after: MatrixDecision, name: str) -> bool:
    attname = MatrixDecision._meta.get_field(name).attname
    return getattr(before, attname) != getattr(after, attname)


def _validate(decision: MatrixDecision) -> None:
    """Every rule, each error on the field it concerns."""
    errors: dict[str, list] = {}
    try:
        # The table's constraints are the model's clean() said per field, and the key below.
        decision.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    for name, messages in writes.value_errors(decision).items():
        errors.setdefault(name, messages)
    if not {"monitoring_kpi", "breach_threshold", "breach_when"} & set(errors):
        for name, messages in bounds.decision_refusals(decision).items():
            errors.setdefault(name, []).extend(messages)
    if decision.key and "key" not in errors:
        taken = MatrixDecision.objects.filter(version_id=decision.version_id, key=decision.key)
        if decision.pk is not None:
            taken = taken.exclude(pk=decision.pk)
        if taken.exists():
            errors["key"] = [f"v{decision.version.number} already has a decision with the key “{decision.key}”."]
    if errors:
        raise ValidationError(errors)


def matrix_decision_delete(*, by, decision: MatrixDecision, read_at: datetime | None = None) -> None:
    """Remove a decision from the draft: admins, draft only, refused when it changed after
    ``read_at`` (as matrix_decision_save)."""
    with transaction.atomic():
        stored_version_id = MatrixDecision.objects.get(pk=decision.pk).version_id
        locked_version = MatrixVersion.objects.select_for_update().get(pk=stored_version_id)
        current = MatrixDecision.objects.select_for_update().select_related("version").get(pk=decision.pk)
        _refuse_unless_may_edit(by, locked_version, "governance.delete_matrixdecision", current)
        _check_fresh(current, read_at)
        writes.delete(current, by=by, why=f"Removed from the draft v{locked_version.number}")


def matrix_draft_update(*, by, version: MatrixVersion, data: dict) -> MatrixVersion:
    """Change what the draft says of itself (its ``reason``, the ``effective_from`` it is meant
    for): admins, draft only. The effective date is checked again when it is published."""
    writes.unknown_fields(data, ("reason", "effective_from"))
    with transaction.atomic():
        current = MatrixVersion.objects.select_for_update().get(pk=version.pk)
        _refuse_unless_may_edit(by, current, "governance.change_matrixversion", current)
        changed = writes.changed_fields(current, data)
        if not changed:
            return current
        for name in changed:
            value = data[name]
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        writes.raise_if(errors)
        writes.save(current, by=by, why=f"Draft v{current.number}: {', '.join(changed)} changed")
    return current


def matrix_draft_delete(*, by, version: MatrixVersion) -> None:
    """Discard an empty draft (admins). A published version is evidence, and a draft's decisions
    are removed one by one first, so nobody loses work by a slip: both refused."""
    with transaction.atomic():
        current = MatrixVersion.objects.select_for_update().get(pk=version.pk)
        _refuse_unless_may_edit(by, current, "governance.delete_matrixversion", current)
        writes.delete(current, by=by, why=f"Draft v{current.number} discarded")


# --- Publishing -----------------------------------------------------------------------------------------------


def default_approver():
    """The approving executive by default: the active executive holding the seat
    settings.MATRIX_APPROVER_TITLE names (the COO unless configured otherwise), or None."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True, executive_title=settings.MATRIX_APPROVER_TITLE, groups__name=Role.EXECUTIVE.value
        )
        .order_by("pk")
        .first()
    )


def matrix_version_submit(
    *,
    by,
    version: MatrixVersion,
    effective_from: date | None,
    reason: str,
    approver=None,
    now: datetime | None = None,
):
    """Ask ``approver`` (by default the holder of settings.MATRIX_APPROVER_TITLE) to publish the
    draft ``version`` (admins), effective from ``effective_from`` (no earlier than any published
    version's date), with a ``reason``. It needs at least one decision and must change something
    from the version in force: an identical version is refused. Returns the decision request,
    which waits in the approver's decision log with the 24-hour target.

    A version already asked for or published (a double click, a retry) is refused with NotADraft.
    Every other refusal is a ValidationError naming its field. Nothing is stored by a refusal."""
    from .chat_events import matrix_awaiting  # reads the decision log, as below
    from .decisions import ask  # the decision log is built on the matrix's versions, not the reverse

    now = now or timezone.now()
    with transaction.atomic():
        current = MatrixVersion.objects.select_for_update().get(pk=version.pk)
        if not by.has_perm("governance.add_matrixversion"):
            raise PermissionDenied("Only admins ask for the decision-authority matrix to be published.")
        if current.status != VersionStatus.DRAFT:
            raise NotADraft({"__all__": no_longer_a_draft(current)})
        errors: dict[str, str] = {}
        reason = (reason or "").strip()
        if not reason:
            errors["reason"] = "Say why this version changes the matrix: the reason is empty."
        latest = MatrixVersion.objects.filter(status=VersionStatus.PUBLISHED).order_by("-effective_from", "-number")
        latest = latest.first()
        if effective_from is None:
            errors["effective_from"] = "Give the date from which this version takes effect."
        elif latest is not None and effective_from < latest.effective_from:
            errors["effective_from"] = (
                f"A version takes effect no earlier than the latest published one: v{latest.number} took "
                f"effect on {formatting.day(latest.effective_from)}."
            )
        if approver is None:
            approver = default_approver()
            if approver is None:
                errors["approver"] = (
                    f"No active executive holds the {settings.MATRIX_APPROVER_TITLE} seat: choose the approving "
                    "executive."
                )
        elif not (approver.is_active and approver.has_perm("governance.approve_matrixversion", current)):
            errors["approver"] = f"{approver} is not an active executive: only an executive approves the matrix."
        if not current.decisions.exists():
            errors["__all__"] = f"v{current.number} has no decisions: add at least one before publishing it."
        elif latest is not None and matrix_compare(old=latest, new=current).is_same:
            errors["__all__"] = (
                f"v{current.number} is identical to v{latest.number}, the latest published version: there is "
                "nothing to publish. Change a decision first, or discard the draft."
            )
        if errors:
            raise ValidationError(errors)
        current.status = VersionStatus.AWAITING
        current.effective_from = effective_from
        current.reason = reason
        current.published_by = by
        current.submitted_at = now
        writes.save(current, by=by, why=f"Asked {approver} to approve it, effective {effective_from:%Y-%m-%d}")
        request = ask(
            by=by,
            executive=approver,
            question=f"Approve matrix v{current.number}, effective {formatting.day(effective_from)}? Why: {reason}",
            now=now,
            matrix_version=current,
        )
        matrix_awaiting(version=current, request=request)
        return request


def no_longer_a_draft(version: MatrixVersion) -> str:
    if version.status == VersionStatus.AWAITING:
        request = version.approval_requests.filter(answered_at__isnull=True).select_related("executive").first()
        who = request.executive if request is not None else "the approving executive"
        return (
            f"Matrix v{version.number} is already waiting for {who}'s approval (asked by {version.published_by} "
            f"on {writes.when(version.submitted_at)}): nothing changes until they answer."
        )
    return (
        f"Matrix v{version.number} is already published (approved by {version.approved_by} on "
        f"{writes.when(version.published_at)}, effective from {formatting.day(version.effective_from)}): "
        "it is no longer a draft. Changes go into a new draft version."
    )


def matrix_version_decide(*, request, by, now: datetime | None = None) -> MatrixVersion:
    """Act on the approving executive's answer to ``request`` (already judged and locked by
    decisions.decision_answer, in its transaction): approved, the version is published, from its
    date or from today if that date has passed while it waited; refused, it goes back to draft,
    the approver's reason in its history."""
    now = now or timezone.now()
    current = MatrixVersion.objects.select_for_update().get(pk=request.matrix_version_id)
    if current.status != VersionStatus.AWAITING:
        raise NotADraft({"answer": no_longer_a_draft(current)})
    if request.answer == "approved":
        today = timezone.localdate(now)
        moved = current.effective_from < today
        current.effective_from = max(current.effective_from, today)
        current.status = VersionStatus.PUBLISHED
        current.approved_by = by
        current.published_at = now
        why = f"Approved by {by}, effective {current.effective_from:%Y-%m-%d}"
        writes.save(current, by=by, why=why + (" (its date passed while it waited)" if moved else ""))
    else:
        current.status = VersionStatus.DRAFT
        current.submitted_at = None
        current.published_by = None
        writes.save(current, by=by, why=f"Sent back to draft by {by}: {request.note}")
    return current


# --- Comparing two versions ------------------------------------------------------------------------------------


FieldChange = history.FieldChange  # one field's change, as the history pages say it too


@dataclass(frozen=True)
class ChangedDecision:
    old: MatrixDecision
    new: MatrixDecision
    fields: list[FieldChange]

    @property
    def changed_names(self) -> set[str]:
        return {change.name for change in self.fields}


@dataclass
class Comparison:
    old: MatrixVersion
    new: MatrixVersion
    added: list[MatrixDecision] = field(default_factory=list)
    removed: list[MatrixDecision] = field(default_factory=list)
    changed: list[ChangedDecision] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _decisions_by_key(version: MatrixVersion) -> dict[str, MatrixDecision]:
    decisions = MatrixDecision.objects.filter(version=version).select_related("initiative", "monitoring_kpi")
    return {d.key: d for d in decisions.order_by("process", "key")}


def matrix_compare(*, old: MatrixVersion, new: MatrixVersion) -> Comparison:
    """What ``new`` changes from ``old``, matched by decision key: decisions added, removed,
    changed (each changed field with its label, before and after) and how many are unchanged.
    Any two versions, in either order. Two queries."""
    before, after = _decisions_by_key(old), _decisions_by_key(new)
    comparison = Comparison(old=old, new=new)
    for key, decision in after.items():
        earlier = before.get(key)
        if earlier is None:
            comparison.added.append(decision)
            continue
        changes = [
            FieldChange(name, label_of(name), display_of(earlier, name), display_of(decision, name))
            for name in COMPARED_FIELDS
            if _differs(earlier, decision, name)
        ]
        if changes:
            comparison.changed.append(ChangedDecision(earlier, decision, changes))
        else:
            comparison.unchanged += 1
    comparison.removed = [decision for key, decision in before.items() if key not in after]
    return comparison

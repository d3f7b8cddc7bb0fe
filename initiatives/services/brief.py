"""The deployment brief: written by the initiative's ops leads (and admins), signed by its
sponsoring executive and by the COO, each in their own slot. Changing what a signed brief says
voids both signatures; a signature is given to the version the signer read."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from scoreboard import formatting, writes

from ..models import DeploymentBrief, Initiative
from .stages import NEEDS_SIGNED_BRIEF, label, rank

# What a signature is given to: changing any of these after signing voids both signatures.
BRIEF_CONTENT = ("scope", "investment", "governance", "timeline")
SLOTS = {"sponsor": "the sponsoring executive", "coo": "the COO"}


class StaleBrief(writes.StaleEdit):
    """The brief changed after the signer read it: nothing was signed."""


def brief_save(*, initiative: Initiative, by, data: dict, read_at: datetime | None = None) -> DeploymentBrief:
    """Write the initiative's deployment brief (scope, investment, governance, timeline).

    Its ops leads and admins write it. A change to what a signed brief says voids both
    signatures (history says whose). ``read_at`` is the ``revised_at`` the editor read: a save
    over a newer revision is refused (StaleBrief), storing nothing. Saving what is already
    there changes nothing and keeps the signatures."""
    unknown = set(data) - set(BRIEF_CONTENT)
    if unknown:
        raise ValueError(f"Not part of the brief: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        brief = DeploymentBrief.objects.select_for_update().filter(initiative=locked).first()
        perm = "initiatives.change_deploymentbrief" if brief else "initiatives.add_deploymentbrief"
        if not by.has_perm(perm, brief or locked):
            raise PermissionDenied(f"Only the ops leads of {locked.code} and admins write its deployment brief.")
        if brief is None:
            brief = DeploymentBrief(initiative=locked)
        else:
            writes.check_fresh(brief, read_at, **_STALE_BRIEF)
        changed = [name for name in BRIEF_CONTENT if getattr(brief, name) != data.get(name, getattr(brief, name))]
        if brief.pk is not None and not changed:
            return brief
        for name, value in data.items():
            setattr(brief, name, value)
        brief.full_clean(exclude=["initiative"])
        writes.raise_if(writes.value_errors(brief))
        # History keeps a change reason of at most 100 characters: the fields, not the names.
        reason = "Brief written" if brief.pk is None else f"Brief edited ({', '.join(changed)})"
        if brief.sponsor_signed_at or brief.coo_signed_at:
            brief.sponsor_signed_by = brief.sponsor_signed_at = brief.coo_signed_by = brief.coo_signed_at = None
            reason += ": signatures voided"
        brief.revised_at = timezone.now()
        writes.save(brief, by=by, why=reason)
    return brief


def brief_delete(*, brief: DeploymentBrief, by) -> None:
    """Remove a deployment brief (admins): one whose signatures let the initiative move on is
    evidence of that, so it stays while the initiative is past "brief signed" (``initiative``)."""
    with transaction.atomic():
        current = DeploymentBrief.objects.select_for_update().select_related("initiative").get(pk=brief.pk)
        if not by.has_perm("initiatives.delete_deploymentbrief", current):
            raise PermissionDenied("Only admins remove a deployment brief.")
        initiative = current.initiative
        if rank(initiative.stage) is not None and rank(initiative.stage) >= NEEDS_SIGNED_BRIEF:
            raise ValidationError(
                {
                    "initiative": f"{initiative.code} is at stage {label(initiative.stage)}: its signed brief is "
                    "what let it get there, so it stays."
                }
            )
        writes.delete(current, by=by, why="Brief removed")


def brief_sign(*, brief: DeploymentBrief, by, slot: str, read_at: datetime) -> DeploymentBrief:
    """Sign the brief as the sponsoring executive (``slot="sponsor"``) or as the COO.

    Only the initiative's sponsor signs the sponsor's slot and only the COO the COO's
    (scoreboard/rules.py). ``read_at`` is the ``revised_at`` the signer read: a brief edited
    since is refused (StaleBrief), so nobody signs words they have not seen. Signing a slot
    one already holds changes nothing; a slot someone else holds is refused."""
    if slot not in SLOTS:
        raise ValidationError({"slot": f"Sign as one of: {', '.join(SLOTS)}."})
    with transaction.atomic():
        current = (
            # Only the brief's row is locked: the signers it joins may be missing (an outer join).
            DeploymentBrief.objects.select_for_update(of=("self",))
            .select_related("initiative__sponsor", "sponsor_signed_by", "coo_signed_by")
            .get(pk=brief.pk)
        )
        if not by.has_perm(f"initiatives.sign_deploymentbrief_as_{slot}", current):
            who = (
                f"{current.initiative.name}'s sponsoring executive ({current.initiative.sponsor or 'none named'})"
                if slot == "sponsor"
                else "the COO"
            )
            raise PermissionDenied(f"Only {who} signs this slot of the brief.")
        writes.check_fresh(
            current,
            read_at,
            nothing="Nothing was signed",
            then="Reload the page and read it again before you sign it.",
            **_STALE_BRIEF,
        )
        signer = getattr(current, f"{slot}_signed_by")
        if signer is not None:
            if signer.pk == by.pk:
                return current  # signed already: a repeated click signs nothing twice
            when = formatting.moment(getattr(current, f"{slot}_signed_at"))
            raise ValidationError({"slot": f"{signer} already signed as {SLOTS[slot]} on {when}."})
        setattr(current, f"{slot}_signed_by", by)
        setattr(current, f"{slot}_signed_at", timezone.now())
        writes.save(current, by=by, why=f"Signed as {SLOTS[slot]}")
    return current


_STALE_BRIEF = {"what": "this brief", "field": "revised_at", "error": StaleBrief}

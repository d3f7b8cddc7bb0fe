"""KPI definitions and their targets: their writes and rules. The admin and the API call these,
so each rule exists once.

Admins keep both. A change that alters how a month's figure is computed or judged (a
KPI's aggregation, direction or ratio; a target or its thresholds) makes every month it
affects owed a roll-up through the outbox, in the same transaction: the figures follow the
definition without waiting for the nightly pass, which recomputes only the current month.
A signed-off month keeps its figures, target and status; a recomputed value that differs
from the signed one shows beside it as a pending restatement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from scoreboard import formatting, writes
from scoreboard.months import add_months, first_of_month

from ..models import KPI, Direction, Measurement, MonthlySnapshot, Target, threshold_order_problem
from ..periods import WORDS, period_named, period_start
from .outbox import roll_ups_request

KPI_FIELDS = (
    "code",
    "name",
    "description",
    "family",
    "unit",
    "direction",
    "scope",
    "aggregation",
    "ratio_numerator",
    "ratio_denominator",
    "accountable_executive",
    "co_accountable_executive",
    "is_primary",
    "expected_interval_days",
    "period",
    "measured_from",
    "decimals",
    "display_order",
    "role",
)
# What a month's figure or colour is computed from: changing one makes every month owed.
KPI_FIGURE_FIELDS = ("direction", "aggregation", "ratio_numerator", "ratio_denominator")
TARGET_FIELDS = ("kpi", "initiative", "effective_from", "target", "red_threshold")

ONLY_ADMINS_KPIS = "Only admins keep the KPI definitions and their targets."

# Rules the apps above add on a KPI's targets, so that metrics imports none of them: governance's
# matrix bounds must never call "outside its bounds" a figure its target colours green
# (governance/services/bounds.py, registered when governance is loaded). A check gets the KPI,
# the direction it would have, and the targets as they would be stored; it returns the sentences
# saying what they would contradict.
TargetCheck = Callable[..., list[str]]
_TARGET_CHECKS: list[TargetCheck] = []


def target_check(check: TargetCheck) -> TargetCheck:
    """Add a rule on targets (a decorator; registering twice is once)."""
    if check not in _TARGET_CHECKS:
        _TARGET_CHECKS.append(check)
    return check


def _target_refusals(*, kpi: KPI, direction: str, targets: Iterable[Target]) -> list[str]:
    targets = list(targets)
    return [refusal for check in _TARGET_CHECKS for refusal in check(kpi=kpi, direction=direction, targets=targets)]


# --- KPIs ----------------------------------------------------------------------------------------------


def kpi_save(*, by, data: dict, kpi: KPI | None = None) -> KPI:
    """Define a KPI (``kpi=None``) or change one: admins only. Every problem is named by field
    (the model's own rules: a ratio names its two KPIs, the two accountable executives differ,
    one primary KPI...). A change to how its figure is computed makes its months owed a roll-up."""
    writes.unknown_fields(data, KPI_FIELDS)
    with transaction.atomic():
        if kpi is None:
            writes.refuse_unless(by, "metrics.add_kpi", None, ONLY_ADMINS_KPIS)
            current, why, changed = KPI(), "KPI defined", list(data)
        else:
            current = KPI.objects.select_for_update().get(pk=kpi.pk)
            writes.refuse_unless(by, "metrics.change_kpi", current, ONLY_ADMINS_KPIS)
            changed = writes.changed_fields(current, data)
            if not changed:
                return current
            why = f"KPI edited: {', '.join(changed)}"
        for name in changed:
            value = data[name]
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if current.code and KPI.objects.filter(code=current.code).exclude(pk=current.pk).exists():
            writes.add_error(errors, "code", f"Another KPI has the code {current.code}: choose another.")
        if current.role and KPI.objects.filter(role=current.role).exclude(pk=current.pk).exists():
            writes.add_error(errors, "role", "Another KPI already has this role.")
        for name in ("accountable_executive", "co_accountable_executive"):
            person = getattr(current, name)
            if person is not None and not person.is_executive:
                writes.add_error(errors, name, f"{person} is not an active executive: an executive answers for a KPI.")
        if kpi is not None and "direction" in changed and current.direction in Direction.values:
            _judge_direction_change(errors, current)
        if kpi is not None and current.scope != "initiative" and current.initiatives.exists():
            writes.add_error(
                errors,
                "scope",
                "Initiatives report this KPI as their own: remove it from them before making it company-wide.",
            )
        if kpi is not None and "measured_from" in changed and current.measured_from:
            _judge_measured_from(errors, current)
        periods = _periods_under(current) if kpi and "period" in changed and "period" not in errors else []
        if isinstance(periods, str):
            writes.add_error(errors, "period", periods)
        writes.raise_if(errors)
        writes.save(current, by=by, why=why)
        if periods:
            Measurement.objects.bulk_update(periods, ["period_start"], batch_size=2000)
        if kpi is not None and set(changed) & set(KPI_FIGURE_FIELDS):
            _months_owed(current.pk, since=None)
    return current


def _judge_measured_from(errors: dict[str, list[str]], kpi: KPI) -> None:
    """A KPI's first day with figures never leaves stored values before it: the rule that refuses
    an early value at the door holds for what is already stored too."""
    first = Measurement.objects.filter(kpi=kpi).order_by("observed_at").values_list("observed_at", flat=True).first()
    if first is not None and timezone.localtime(first).date() < kpi.measured_from:
        writes.add_error(
            errors,
            "measured_from",
            f"This KPI has values stored from {formatting.day(first)}: its figures cannot start later.",
        )


def _periods_under(kpi: KPI) -> list[Measurement] | str:
    """The values people entered for ``kpi`` whose period its new period changes (each with
    its new ``period_start``), or why the change is refused: two values that would become one.
    A definition's change never merges stored figures silently; a finer period never does."""
    moved, seen = [], {}
    entered = Measurement.objects.filter(kpi=kpi, period_start__isnull=False).select_related("initiative")
    for m in entered.order_by("observed_at", "pk").iterator(chunk_size=2000):
        start = period_start(kpi.period, m.observed_at)
        other = seen.setdefault((m.initiative_id, start), m)
        if other is not m:
            whose = m.initiative.code if m.initiative else "the company"
            return (
                f"Values of {whose} entered for {formatting.day(other.observed_at)} and "
                f"{formatting.day(m.observed_at)} would become one value for "
                f"{period_named(kpi.period, start)}: a {WORDS[kpi.period]} holds one value. Keep the period, "
                "or define a new KPI with this one."
            )
        if start != m.period_start:
            m.period_start = start
            moved.append(m)
    return moved


def _judge_direction_change(errors: dict[str, list[str]], kpi: KPI) -> None:
    """A KPI's targets, and the matrix bounds set beside them, are set for its direction: turning
    it round must leave each target's red threshold beyond the target, and contradict no bound."""
    targets = list(kpi.targets.select_related("initiative"))
    for target in targets:
        if threshold_order_problem(kpi.direction, target=target.target, red_threshold=target.red_threshold):
            scope = target.initiative.code if target.initiative_id else "company-wide"
            writes.add_error(
                errors,
                "direction",
                f"The target from {target.effective_from:%B %Y} ({scope}) has its red threshold on the other side: "
                "change or remove the KPI's targets before turning its direction round.",
            )
            return
    for refusal in _target_refusals(kpi=kpi, direction=kpi.direction, targets=targets):
        writes.add_error(errors, "direction", refusal)


def kpi_delete(*, by, kpi: KPI) -> None:
    """Delete a KPI definition (admins). One with measurements, targets, snapshots or matrix
    decisions watching it is evidence: the refusal names what refers to it (ProtectedError)."""
    with transaction.atomic():
        current = KPI.objects.select_for_update().get(pk=kpi.pk)
        writes.refuse_unless(by, "metrics.delete_kpi", current, ONLY_ADMINS_KPIS)
        current.initiatives.clear()
        writes.delete(current, by=by, why="KPI deleted")


# --- Targets -------------------------------------------------------------------------------------------


def target_save(*, by, data: dict, target: Target | None = None) -> Target:
    """Set a KPI's target from a month on (company-wide, or for one initiative) or change one:
    admins only. Refused by field: a start that is not a month's first day, a red threshold on
    the wrong side of the target for the KPI's direction, a second target for the same KPI,
    initiative and month, and what the apps above say it contradicts (a matrix bound stricter
    than the target: ``target_check``).
    The months it governs, from the earlier of its old and new start, become owed a roll-up."""
    writes.unknown_fields(data, TARGET_FIELDS)
    with transaction.atomic():
        if target is None:
            writes.refuse_unless(by, "metrics.add_target", None, ONLY_ADMINS_KPIS)
            current, before = Target(), None
        else:
            current = Target.objects.select_for_update().get(pk=target.pk)
            writes.refuse_unless(by, "metrics.change_target", current, ONLY_ADMINS_KPIS)
            before = (current.kpi_id, current.effective_from)
            if not writes.changed_fields(current, data):
                return current
        for name, value in data.items():
            setattr(current, name, value)
        errors: dict[str, list[str]] = {}
        writes.collect_errors(errors, current)
        if current.kpi_id and current.initiative_id and current.kpi.scope != "initiative":
            writes.add_error(errors, "initiative", f"{current.kpi.name} is company-wide: its target is too.")
        elif (
            current.kpi_id and current.initiative_id and not current.initiative.kpis.filter(pk=current.kpi_id).exists()
        ):
            writes.add_error(
                errors, "initiative", f"{current.initiative.code} does not report {current.kpi.name}: no target for it."
            )
        if current.kpi_id and None not in (current.target, current.red_threshold, current.effective_from):
            # The KPI's row lock serialises this with a matrix decision saved beside it, which takes it too:
            # neither can pass its check on a state the other is about to change.
            list(KPI.objects.select_for_update().filter(pk=current.kpi_id).values_list("pk"))
            for refusal in _target_refusals(kpi=current.kpi, direction=current.kpi.direction, targets=[current]):
                writes.add_error(errors, "target", refusal)
        if current.kpi_id and current.effective_from and _same_start(current).exists():
            scope = "this initiative" if current.initiative_id else "the company"
            writes.add_error(
                errors,
                "effective_from",
                f"{current.kpi.name} already has a target for {scope} from {current.effective_from:%B %Y}: "
                "change that one instead.",
            )
        writes.raise_if(errors)
        why = "Target set" if before is None else "Target changed"
        writes.save(current, by=by, why=f"{why} from {current.effective_from:%Y-%m}")
        _months_owed(current.kpi_id, since=current.effective_from, until=_next_start(current, current.effective_from))
        if before is not None and before != (current.kpi_id, current.effective_from):
            _months_owed(before[0], since=before[1], until=_next_start(current, before[1], kpi_id=before[0]))
    return current


def target_delete(*, by, target: Target) -> None:
    """Remove a target (admins): the months it governed fall back to the one before it, or to
    none, and become owed a roll-up."""
    with transaction.atomic():
        current = Target.objects.select_for_update().get(pk=target.pk)
        writes.refuse_unless(by, "metrics.delete_target", current, ONLY_ADMINS_KPIS)
        kpi_id, since = current.kpi_id, current.effective_from
        until = _next_start(current, since)
        writes.delete(current, by=by, why=f"Target from {since:%Y-%m} removed")
        _months_owed(kpi_id, since=since, until=until)


def _same_start(target: Target):
    return Target.objects.filter(
        kpi_id=target.kpi_id, initiative_id=target.initiative_id, effective_from=target.effective_from
    ).exclude(pk=target.pk)


def _next_start(target: Target, after: date, *, kpi_id: int | None = None) -> date | None:
    """When the next target of the same KPI and scope (the initiative, or company-wide) takes
    over from one starting ``after``: the end of the months that one governs (None: open-ended)."""
    return (
        Target.objects.filter(
            kpi_id=kpi_id or target.kpi_id, initiative_id=target.initiative_id, effective_from__gt=after
        )
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )


def _months_owed(kpi_id: int, *, since: date | None, until: date | None = None) -> None:
    """Every month of ``kpi_id`` that has a figure or a measurement from ``since`` on (all when
    None) and before ``until`` (when a later target takes over; open-ended when None, and then the
    current month too) becomes owed a roll-up: a target change recomputes the months it governs,
    not the years after the next target. Frozen months are recomputed too: the roll-up keeps their
    figures and records a different value as a pending restatement."""
    now = timezone.now()
    since = first_of_month(since) if since else None
    current_month = first_of_month(timezone.localdate())
    end = until or add_months(current_month, 1)  # exclusive
    within = {"month__lt": end, **({"month__gte": since} if since else {})}
    months = set(MonthlySnapshot.objects.filter(kpi_id=kpi_id, **within).values_list("month", flat=True).distinct())
    first = Measurement.objects.filter(kpi_id=kpi_id).order_by("observed_at").values_list("observed_at", flat=True)
    earliest = next(iter(first[:1]), None)
    if earliest is not None:
        month = first_of_month(timezone.localtime(earliest).date())
        if since is not None:
            month = max(month, since)
        while month <= current_month and month < end:
            months.add(month)
            month = add_months(month, 1)
    if until is None:
        months.add(current_month)
    roll_ups_request({month: {kpi_id} for month in months}, now=now)

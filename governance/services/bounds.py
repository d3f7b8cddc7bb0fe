"""A matrix bound never contradicts a target: a decision outside its bounds never sits beside a
green figure of the same KPI, month and scope.

A decision's monitoring signal calls it "outside its bounds" when its KPI's figure is past the
breach threshold; the figure's target colours the same figure green when it meets the target
(metrics.services.status). The two would contradict each other if a bound were stricter than a
target, or on the side where the figure does better than it. So a bound and a target of the same
KPI that can meet on one figure must agree:

- the breach is on the side where the figure misses its target: **below** the threshold for a
  higher-is-better KPI, **above** it for a lower-is-better one;
- the threshold is **at or beyond the target**: at or below it (higher is better), at or above
  it (lower is better). A figure past the bound has then missed its target: amber or red.

Which pairs can meet on one figure:

- scope: a decision on an initiative reads the initiative's own figure, coloured by its own
  target or else the company-wide one, and falls back to the company-wide figure when the
  initiative has none: both kinds of target count. A decision on the process as a whole reads the
  company-wide figure: the company-wide targets count;
- time: a version reads figures up to the last month it is in force. A draft, or the version
  in force with none after it, reads every month: every target counts. A version replaced by a
  later one reads no month from that one's date on: a target starting then or later is not its.

The rule is checked both ways, so no order of edits gets round it: saving a draft's decision
(``decision_refusals``, called by matrix.py) and saving a target or turning a KPI's direction
round (``targets_against_bounds``, which metrics.services.kpis calls through its ``target_check``
hook: metrics does not import governance).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from metrics.models import KPI, Direction, Target
from metrics.services.kpis import target_check
from scoreboard.templatetags.scoreboard import figure, target_in_words

from ..models import BreachWhen, MatrixDecision, MatrixVersion, VersionStatus


def worse_side(direction: str) -> str:
    """Where a figure misses its target: below it when higher is better, above it otherwise."""
    return BreachWhen.BELOW if direction == Direction.HIGHER_IS_BETTER else BreachWhen.ABOVE


def stricter_than_target(*, direction: str, threshold: Decimal, target: Decimal) -> bool:
    """A bound breached by a figure that still meets the target."""
    return threshold > target if direction == Direction.HIGHER_IS_BETTER else threshold < target


def agrees(*, direction: str, breach_when: str, threshold: Decimal, target: Decimal) -> bool:
    """The bound and the target cannot meet on one figure that is both green and outside its bounds."""
    return breach_when == worse_side(direction) and not stricter_than_target(
        direction=direction, threshold=threshold, target=target
    )


# --- When a version reads figures ----------------------------------------------------------------------


def replaced_on(version: MatrixVersion, published: list[MatrixVersion] | None = None) -> date | None:
    """The day a later published version took (or takes) over from ``version``; None for a draft
    or the latest one. Mirrors the selectors' version in force: the latest effective date not after
    the day, the higher number on the same date."""
    if version.status != VersionStatus.PUBLISHED:
        return None
    if published is None:
        published = list(MatrixVersion.objects.filter(status=VersionStatus.PUBLISHED).only("number", "effective_from"))
    later = [
        v.effective_from
        for v in published
        if (v.effective_from, v.number) > (version.effective_from, version.number) and v.effective_from is not None
    ]
    return min(later, default=None)


def _reads_months_of(target: Target, until: date | None) -> bool:
    return until is None or target.effective_from < until


# --- The decision's side --------------------------------------------------------------------------------


def _scope_of(target: Target) -> str:
    return f"for {target.initiative.name}" if target.initiative_id else "company-wide"


def decision_refusals(decision: MatrixDecision) -> dict[str, list[str]]:
    """What the decision's monitoring signal would contradict among its KPI's targets, keyed by
    the field to change: ``breach_when`` (the side), ``breach_threshold`` (the strictest target it
    passes). Empty when it agrees with every target that can colour a figure it reads."""
    if decision.monitoring_kpi_id is None or decision.breach_threshold is None or not decision.breach_when:
        return {}
    kpi: KPI = decision.monitoring_kpi
    scope = Q(initiative__isnull=True)
    if decision.initiative_id:
        scope |= Q(initiative_id=decision.initiative_id)
    until = replaced_on(decision.version) if decision.version_id else None
    targets = [
        t
        for t in Target.objects.filter(scope, kpi=kpi).select_related("initiative").order_by("effective_from", "pk")
        if _reads_months_of(t, until)
    ]
    if not targets:
        return {}  # no target: its figures are never green
    side = worse_side(kpi.direction)
    if decision.breach_when != side:
        better = "higher" if kpi.direction == Direction.HIGHER_IS_BETTER else "lower"
        return {
            "breach_when": [
                f"{kpi.name} is better {better}: a figure {decision.breach_when} its target meets it and is green, so "
                f"a breach {decision.breach_when} the threshold would put a green figure outside its bounds. Breach "
                f"when the figure is {side} the threshold, where it misses its target."
            ]
        }
    passed = [
        t
        for t in targets
        if stricter_than_target(direction=kpi.direction, threshold=decision.breach_threshold, target=t.target)
    ]
    if not passed:
        return {}
    # The loosest target it passes says how far the threshold must move.
    loosest = min(passed, key=lambda t: t.target) if side == BreachWhen.ABOVE else max(passed, key=lambda t: t.target)
    at_or = "at or above" if side == BreachWhen.ABOVE else "at or below"
    return {
        "breach_threshold": [
            f"A breach {side} {figure(decision.breach_threshold, kpi)} is stricter than {kpi.name}'s target "
            f"{target_in_words(loosest.target, kpi)} ({_scope_of(loosest)}, from {loosest.effective_from:%B %Y}): "
            f"a figure could meet its target, green, and still be outside this bound. Set the threshold "
            f"{at_or} {figure(loosest.target, kpi)}, or change the target first."
        ]
    }


# --- The target's side ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Watching:
    decision: MatrixDecision
    until: date | None


def _watching(kpi: KPI) -> list[_Watching]:
    """Every decision, in a draft or a published version, whose signal watches ``kpi``, with the
    day its version was replaced (None while it still reads every month). Two queries."""
    decisions = list(
        MatrixDecision.objects.filter(monitoring_kpi=kpi)
        .select_related("version", "initiative")
        .order_by("version__number", "process", "key")
    )
    if not decisions:
        return []
    published = list(MatrixVersion.objects.filter(status=VersionStatus.PUBLISHED).only("number", "effective_from"))
    return [_Watching(d, replaced_on(d.version, published)) for d in decisions]


@target_check
def targets_against_bounds(*, kpi: KPI, direction: str, targets: list[Target]) -> list[str]:
    """The matrix decisions that ``targets`` of ``kpi`` (with ``direction``, the KPI's own or the one
    it is being turned to) would contradict, each said once: registered with metrics' targets."""
    if not targets:
        return []
    refusals = []
    for watching in _watching(kpi):
        decision = watching.decision
        for target in targets:
            if decision.initiative_id and target.initiative_id not in (None, decision.initiative_id):
                continue
            if not decision.initiative_id and target.initiative_id:
                continue
            if not _reads_months_of(target, watching.until):
                continue
            if agrees(
                direction=direction,
                breach_when=decision.breach_when,
                threshold=decision.breach_threshold,
                target=target.target,
            ):
                continue
            refusals.append(_contradiction(decision, target, kpi, direction))
            break
    return refusals


def _contradiction(decision: MatrixDecision, target: Target, kpi: KPI, direction: str) -> str:
    version = decision.version
    bound = f"{decision.breach_when} {figure(decision.breach_threshold, kpi)}"
    meets = f"{'≤' if direction == Direction.LOWER_IS_BETTER else '≥'} {figure(target.target, kpi)}"
    said = (
        f"Matrix v{version.number}'s decision “{decision.decision}” is outside its bounds {bound}: a target "
        f"{meets} ({_scope_of(target)}, from {target.effective_from:%B %Y}) would colour green a figure that "
        "decision calls outside its bounds."
    )
    if version.status == VersionStatus.DRAFT:
        return f"{said} Change the bound in the draft v{version.number} first, or choose another target."
    return (
        f"{said} Choose a target that meets the bound, or publish a matrix version with another bound taking "
        f"effect no later than {target.effective_from:%B %Y} first."
    )

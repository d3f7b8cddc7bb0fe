"""The shape of an initiative in the demo data: what it is, the workflow it changes, how its
numbers move, and the dates it passed."""

from dataclasses import dataclass
from datetime import date

from initiatives.models import Stage, StepTreatment

from .when import RelativeDate

# Short names for the workflow-step treatments, to keep the step tables readable.
R, A, U, N = StepTreatment.REPLACED, StepTreatment.AI_ASSISTED, StepTreatment.UNCHANGED, StepTreatment.NEW

STAGE_ORDER = {stage: i for i, stage in enumerate(Stage.values)}


@dataclass(frozen=True)
class Workflow:
    process_name: str
    summary: str
    adoption_target: int
    before: tuple[tuple[str, str, str], ...]  # name, treatment, performed by
    after: tuple[tuple[str, str, str], ...]
    roles: tuple[tuple[str, int, str], ...]  # role, headcount, reskilling


@dataclass(frozen=True)
class Profile:
    """How an initiative's numbers move from its pilot on: each pair runs from the first
    value towards the second as the new way of working takes hold."""

    weekly_cases: int
    adoption: tuple[float, float]
    cycle_hours: tuple[float, float]
    cost: tuple[float, float]
    error_pct: tuple[float, float]
    exception_share: tuple[float, float]
    uptime: float
    health: tuple[float, float]
    roi_at_maturity: float
    health_drifts: bool = False


@dataclass(frozen=True)
class Dates:
    """The dates a hand-written initiative passed, as written; the builder derives the
    others its stage implies (the assessment before the brief, the pilot before go-live)."""

    started: RelativeDate | None = None
    live: RelativeDate | None = None
    planned: RelativeDate | None = None
    brief: RelativeDate | None = None
    pilot: RelativeDate | None = None
    retired: RelativeDate | None = None


@dataclass(frozen=True)
class Timeline:
    """The calendar dates an initiative passed, consistent with its stage."""

    assessed_on: date | None = None
    brief_on: date | None = None
    started_on: date | None = None
    pilot_on: date | None = None
    planned_go_live: date | None = None
    live_on: date | None = None
    scaled_on: date | None = None
    retired_on: date | None = None


@dataclass(frozen=True)
class Plan:
    """One initiative. The hand-written ones give ``dates``; the builder fills in
    ``timeline`` (for those from templates it draws the timeline at random)."""

    code: str
    name: str
    business_unit: str
    process: str
    stage: str
    sourcing: str
    sponsor: str
    ops_lead: str | None
    tech: str
    ops: str
    investment: int
    benefit: int
    dates: Dates
    scope: str
    priorities: tuple[int, int, int, int, int, int]  # bandwidth, structure, data, risk, ROI clarity, volume
    backlog: tuple[tuple[str, str, int], ...]
    workflow: Workflow | None = None
    profile: Profile | None = None
    handcrafted: bool = False
    measure_adoption: bool = True
    fallback_done: bool = True
    timeline: Timeline | None = None

    @property
    def order(self) -> int:
        return STAGE_ORDER[self.stage]

    def reached(self, stage: str) -> bool:
        """Whether the initiative got to ``stage``; a retired one went through production."""
        if self.stage == Stage.RETIRED:
            return STAGE_ORDER[stage] <= STAGE_ORDER[Stage.PRODUCTION] or stage == Stage.RETIRED
        return self.order >= STAGE_ORDER[stage]

    @property
    def is_measured(self) -> bool:
        return self.profile is not None and self.timeline.pilot_on is not None

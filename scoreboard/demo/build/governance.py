"""Governance records: the matrix versions and their decisions, shared-zone decisions, the
decision log, the shadow-AI register and the risk register."""

from datetime import timedelta
from decimal import Decimal

from governance.models import (
    DecisionAnswer,
    DecisionRequest,
    MatrixDecision,
    MatrixVersion,
    Risk,
    ShadowAIStatus,
    ShadowAITool,
    SharedZoneDecision,
    VersionStatus,
)
from governance.services.matrix import matrix_version_submit
from governance.services.stage_moves import stage_move_ask
from initiatives.models import Initiative, Stage
from metrics.models import KPI
from scoreboard import formatting

from ..data.governance import DECISION_REQUESTS, RISKS, SCALE_ASK, SHADOW_AI_TOOLS, SHARED_ZONE_DECISIONS, V1_APPROVAL
from ..data.matrix import MATRIX, V1_REASON, V2_CHANGE, V2_TIER_CHANGES
from .context import Context, bulk


def _matrix_decisions(
    version: MatrixVersion, kpis: dict[str, KPI], by_code: dict[str, Initiative], changed: dict | None = None
) -> list[MatrixDecision]:
    decisions = []
    for rule in MATRIX:
        confidence, monitoring, tier = rule.confidence, rule.monitoring, rule.tier
        if changed and rule.key == changed["key"]:
            confidence, monitoring = changed["confidence"], changed["monitoring"]
        if changed:
            tier = V2_TIER_CHANGES.get(rule.key, tier)
        decisions.append(
            MatrixDecision(
                version=version,
                key=rule.key,
                process=rule.process,
                initiative=by_code.get(rule.initiative) if rule.initiative else None,
                decision=rule.decision,
                autonomy_tier=tier,
                confidence_threshold=Decimal(f"{confidence:.3f}") if confidence is not None else None,
                escalation_owner=rule.escalation,
                accountable_executive=rule.accountable,
                override_protocol=rule.override,
                audit_trail=rule.audit,
                monitoring_kpi=kpis[monitoring[0]] if monitoring else None,
                breach_threshold=Decimal(f"{monitoring[1]:.4f}") if monitoring else None,
                breach_when=monitoring[2] if monitoring else "",
            )
        )
    return decisions


def _asked_and_answered(request: DecisionRequest, *, answered_at, answer: str, note: str) -> None:
    """A request as the log would have recorded it: asked by its asker when asked, then (if it was)
    answered by the executive when answered, each a history row of its own."""
    request._history_date, request._history_user = request.requested_at, request.requested_by
    request._change_reason = f"Asked of {request.executive}"
    request.save()
    if answered_at is not None:
        request.answered_at, request.answer, request.note = answered_at, answer, note
        request._history_date, request._history_user = answered_at, request.executive
        request._change_reason = f"Answered: {answer}"
        request.save()


def _dated_as_asked() -> None:
    """The approvals asked through the services above were asked hours ago, not when the demo was
    built: their history rows (the request's, and the version's "asked") say when they were asked."""
    for request in DecisionRequest.objects.exclude(matrix_version=None, stage="").filter(answered_at=None):
        request.history.update(history_date=request.requested_at, history_user=request.requested_by)
        if request.matrix_version_id:
            version = request.matrix_version
            version.history.filter(status=VersionStatus.AWAITING).update(history_date=version.submitted_at)


def build_governance(ctx: Context, kpis: dict[str, KPI], by_code: dict[str, Initiative]) -> None:
    people = ctx.people
    admin, cio, coo = people["admin"], people["cio"], people["coo"]

    effective = ctx.months_ago(13)
    v1 = MatrixVersion.objects.create(
        number=1,
        status=VersionStatus.PUBLISHED,
        effective_from=effective,
        reason=V1_REASON,
        created_by=admin,
        published_by=admin,
        submitted_at=ctx.at(effective - timedelta(days=5), 10),
        approved_by=coo,
        published_at=ctx.at(effective - timedelta(days=4), 15),
    )
    bulk(_matrix_decisions(v1, kpis, by_code), MatrixDecision)
    # v1's approval, as the COO gave it in the decision log.
    _asked_and_answered(
        DecisionRequest(
            question=f"Approve matrix v1, effective {formatting.day(effective)}? Why: {V1_REASON}",
            requested_by=admin,
            executive=coo,
            requested_at=v1.submitted_at,
            due_at=v1.submitted_at + timedelta(hours=24),
            matrix_version=v1,
        ),
        answered_at=v1.published_at,
        answer=DecisionAnswer.APPROVED,
        note=V1_APPROVAL,
    )
    # v1 as its approval left it; v2 as its draft was opened, a week before it was asked for.
    v1.history.update(history_date=v1.published_at, history_user=coo, history_change_reason=f"Approved by {coo}")
    v2 = MatrixVersion(number=2, status=VersionStatus.DRAFT, reason=V2_CHANGE["reason"], created_by=admin)
    v2._history_date, v2._history_user = ctx.now - timedelta(days=7), admin
    v2._change_reason = "Draft opened from v1"
    v2.save()
    bulk(_matrix_decisions(v2, kpis, by_code, changed=V2_CHANGE), MatrixDecision)
    # v2 waits for the COO's approval, asked this morning through the service every path uses.
    matrix_version_submit(
        by=admin,
        version=v2,
        effective_from=ctx.today + timedelta(days=7),
        reason=V2_CHANGE["reason"],
        approver=coo,
        now=ctx.now - timedelta(hours=5),
    )
    # A move into Scaled waits for the sponsor, the gates having let it be asked.
    indexing = by_code["policy-doc-indexing"]
    stage_move_ask(
        by=indexing.ops_leads.order_by("pk").first() or admin,
        initiative=indexing,
        stage=Stage.SCALED,
        why=SCALE_ASK,
        now=ctx.now - timedelta(hours=20),
    )

    for topic, title, code, ceo_input, coo_input, joint, decided in SHARED_ZONE_DECISIONS:
        SharedZoneDecision.objects.create(
            topic=topic,
            title=title,
            initiative=by_code.get(code) if code else None,
            ceo_input=ceo_input,
            coo_input=coo_input,
            joint_decision=joint,
            decided_on=ctx.resolve(decided),
        )

    _dated_as_asked()

    for question, code, asker, executive, hours_ago, answer_hours, answer, note in DECISION_REQUESTS:
        asked = ctx.now - timedelta(hours=hours_ago)
        _asked_and_answered(
            DecisionRequest(
                initiative=by_code.get(code) if code else None,
                question=question,
                requested_by=people[asker],
                executive=people[executive],
                requested_at=asked,
                due_at=asked + timedelta(hours=24),
            ),
            answered_at=asked + timedelta(hours=answer_hours) if answer_hours else None,
            answer=answer,
            note=note,
        )

    bulk(
        [
            ShadowAITool(
                tool=tool,
                team=team,
                use=use,
                why_it_helps=why,
                data_sensitivity=sensitivity,
                status=status,
                promoted_to=by_code.get(code) if code and status == ShadowAIStatus.ADOPTED else None,
                discovered_on=ctx.days_ago(age),
            )
            for tool, team, use, why, sensitivity, status, code, age in SHADOW_AI_TOOLS
        ],
        ShadowAITool,
    )

    for title, category, description, preventive, responsive, likelihood, impact, status, codes in RISKS:
        risk = Risk.objects.create(
            title=title,
            category=category,
            description=description,
            preventive_measures=preventive,
            responsive_measures=responsive,
            technology_owner=cio,
            operations_owner=coo,
            likelihood=likelihood,
            impact=impact,
            status=status,
        )
        linked = [by_code[code] for code in codes if code in by_code]
        if linked:
            risk.initiatives.set(linked)

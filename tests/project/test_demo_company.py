"""`seed_demo` builds a believable, deterministic demo company."""

import hashlib
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from governance import selectors
from governance.models import DecisionRequest, MatrixDecision, MatrixVersion, Risk, ShadowAITool
from governance.services.bounds import decision_refusals
from initiatives.models import Initiative, Stage
from initiatives.vocabulary import MISMATCH_BELOW, shared_vocabulary
from metrics.models import KPI, Family, Measurement, MonthlySnapshot
from metrics.services.ingest import measurement_problem
from metrics.services.status import rag_status
from scoreboard import demo
from scoreboard.exco.dashboard import exco_dashboard
from scoreboard.models import MonthlyReview, Role, User
from scoreboard.months import first_of_month, previous_month

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture
def company():
    return demo.build_demo_company(seed=7, now=NOW)


def _fingerprint() -> str:
    rows = Measurement.objects.order_by("kpi__code", "initiative__code", "source__name", "observed_at").values_list(
        "kpi__code", "initiative__code", "source__name", "observed_at", "value"
    )
    initiatives = Initiative.objects.order_by("code").values_list("code", "stage", "investment", "actual_go_live")
    return hashlib.sha256(repr((list(rows), list(initiatives))).encode()).hexdigest()


def test_demo_has_about_a_dozen_initiatives_in_every_stage(company):
    assert Initiative.objects.count() == 12
    assert set(Initiative.objects.values_list("stage", flat=True)) == set(Stage.values)


def test_demo_has_one_user_per_role_and_an_executive_for_each_seat(company):
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role
    assert set(User.objects.filter(groups__name="executive").values_list("executive_title", flat=True)) >= {
        "CEO",
        "CIO",
        "COO",
    }


def test_demo_has_production_initiatives_with_measured_workflow_change(company):
    adopted = [
        i
        for i in Initiative.objects.live().select_related("workflow_change")
        if i.workflow_change.adoption_kpi_id
        and Measurement.objects.filter(initiative=i, kpi_id=i.workflow_change.adoption_kpi_id).exists()
    ]
    assert len(adopted) >= 2


def test_demo_has_one_production_initiative_whose_work_did_not_change(company):
    unchanged = [
        i
        for i in Initiative.objects.live().select_related("workflow_change")
        if not Measurement.objects.filter(initiative=i, kpi_id=i.workflow_change.adoption_kpi_id).exists()
    ]
    assert len(unchanged) == 1


def test_demo_has_an_initiative_whose_owners_use_different_words(company):
    def words(text):
        return {w.strip(".,;:()").lower() for w in text.split() if len(w) > 3}

    overlaps = {
        i.code: len(words(i.technology_owner_description) & words(i.operations_owner_description))
        for i in Initiative.objects.all()
    }
    assert min(overlaps.values()) == 0
    assert sorted(overlaps.values())[1] > 0, "only one initiative should show the mismatch"


def test_demo_initiatives_store_the_overlap_of_their_descriptions(company):
    # Written in bulk, bypassing save(): the builder must measure it itself.
    for initiative in Initiative.objects.all():
        expected = shared_vocabulary(initiative.technology_owner_description, initiative.operations_owner_description)
        assert initiative.description_overlap == expected, initiative.code
    assert Initiative.objects.filter(description_overlap__lt=MISMATCH_BELOW).count() == 1


def test_demo_covers_every_kpi_family_with_24_months_and_one_primary(company):
    assert set(KPI.objects.values_list("family", flat=True)) == set(Family.values)
    assert KPI.objects.filter(is_primary=True).count() == 1
    months = MonthlySnapshot.objects.values_list("month", flat=True).distinct()
    assert len(set(months)) == 24
    assert not Measurement.objects.filter(observed_at__gt=NOW).exists()


def test_demo_has_a_published_matrix_of_at_least_ten_decisions(company):
    published = MatrixVersion.objects.get(status="published")
    assert published.decisions.count() >= 10
    assert published.decisions.values("autonomy_tier").distinct().count() == 4


def test_demo_has_shadow_ai_risks_open_and_overdue_decisions(company):
    assert ShadowAITool.objects.count() >= 5
    assert Risk.objects.values("category").distinct().count() == 4
    open_requests = DecisionRequest.objects.filter(answered_at__isnull=True)
    assert open_requests.exists()
    assert open_requests.filter(due_at__lt=NOW).count() >= 2


def test_demo_has_a_month_signed_by_one_executive_only(company):
    assert any(r.signed_by_one_only for r in MonthlyReview.objects.all())


def test_same_seed_builds_the_same_company():
    demo.build_demo_company(seed=11, now=NOW)
    first = _fingerprint()
    demo.build_demo_company(seed=11, now=NOW, replace=True)
    assert _fingerprint() == first
    demo.build_demo_company(seed=12, now=NOW, replace=True)
    assert _fingerprint() != first


def test_demo_scales_for_benchmarks():
    summary = demo.build_demo_company(seed=7, initiatives=30, months=6, now=NOW)
    assert Initiative.objects.count() == summary.initiatives == 30
    assert len(set(MonthlySnapshot.objects.values_list("month", flat=True))) == 6


def test_seed_demo_refuses_to_overwrite_existing_data(company):
    with pytest.raises(CommandError, match="--replace"):
        call_command("seed_demo", stdout=StringIO())


def test_seed_demo_if_empty_leaves_data_alone_and_prints_the_logins(company):
    before = _fingerprint()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert _fingerprint() == before
    assert "nothing done" in out.getvalue()
    assert "scoreboard-demo" in out.getvalue()
    assert "ops.claims" in out.getvalue()


def test_demo_initiatives_report_every_kpi_they_are_measured_on(company):
    measured = set(
        Measurement.objects.filter(initiative__isnull=False).values_list("initiative_id", "kpi_id").distinct()
    )
    reported = set(Initiative.kpis.through.objects.values_list("initiative_id", "kpi_id"))
    assert measured
    assert measured <= reported


def test_no_demo_measurement_is_observed_before_its_initiative_started(company):
    # The demo is built without the intake, so it must keep the intake's rule by itself.
    early = [
        (m.initiative.code, timezone.localtime(m.observed_at).date(), m.initiative.started_on)
        for m in Measurement.objects.filter(initiative__started_on__isnull=False).select_related("initiative")
        if timezone.localtime(m.observed_at).date() < m.initiative.started_on
    ]
    assert Measurement.objects.filter(initiative__started_on__isnull=False).exists()
    assert early == []


def test_the_demos_late_value_is_one_the_intake_would_take(company):
    # The demo is built without the intake: its late CSV value must keep the intake's rules itself.
    late = Measurement.objects.select_related("kpi", "initiative").get(entered_via__endswith="-late.csv")
    problem = measurement_problem(
        kpi=late.kpi, initiative_id=late.initiative_id, observed_at=late.observed_at, value=late.value, now=NOW
    )
    assert problem is None


# --- Honest status (issue 16) --------------------------------------------------------------------------------


def test_no_demo_figure_is_green_while_missing_its_target(company):
    judged = MonthlySnapshot.objects.filter(value__isnull=False, target__isnull=False).select_related("kpi")
    assert judged.exists()
    for s in judged:
        assert s.status == rag_status(
            value=s.value, target=s.target, red_threshold=s.red_threshold, direction=s.kpi.direction
        ), s
        if s.status == "green":
            assert s.value >= s.target if s.kpi.direction == "higher" else s.value <= s.target, s


def test_the_demos_last_complete_month_has_green_amber_and_red_tiles(company):
    month = previous_month(first_of_month(NOW.date()))
    context = exco_dashboard(month, now=NOW)
    tiles = {t["kpi"].code: t for t in [context["primary"], *context["headline"]]}
    tiles.update({t["kpi"].code: t for layer in context["layers"] for t in layer["tiles"]})
    statuses = [t["status"] for t in tiles.values()]
    assert {"green", "amber", "red"} <= set(statuses)
    for tile in tiles.values():
        snapshot = tile["snapshot"]
        if tile["status"] == "green":
            assert (
                snapshot.value >= snapshot.target
                if tile["kpi"].direction == "higher"
                else (snapshot.value <= snapshot.target)
            )


def test_the_demos_matrix_bounds_agree_with_its_targets(company):
    watching = MatrixDecision.objects.filter(monitoring_kpi__isnull=False).select_related("version", "monitoring_kpi")
    assert watching.exists()
    assert {d.key: decision_refusals(d) for d in watching if decision_refusals(d)} == {}


def test_the_demos_decisions_outside_their_bounds_sit_beside_no_green_figure(company):
    month = previous_month(first_of_month(NOW.date()))
    outside = selectors.decisions_outside_bounds(month=month, on=NOW.date())
    assert outside
    assert all(bound.status in ("amber", "red") for bound in outside), [(b.decision.key, b.status) for b in outside]


def test_demo_has_a_matrix_version_waiting_for_the_coo_and_a_stage_move_waiting_for_its_sponsor(company):
    waiting = MatrixVersion.objects.get(status="awaiting")
    asked = waiting.approval_requests.get()
    assert (asked.executive.username, asked.answered_at) == ("coo", None)
    approved = MatrixVersion.objects.get(status="published").approval_requests.get()
    assert (approved.executive.username, approved.answer) == ("coo", "approved")
    assert approved.note  # the COO's words, given in the app
    move = DecisionRequest.objects.exclude(stage="").get()
    assert move.answered_at is None
    assert move.executive == move.initiative.sponsor
    assert (move.initiative.stage, move.stage) == (Stage.PRODUCTION, Stage.SCALED)


def test_a_first_edit_of_a_demo_initiative_shows_only_what_it_changed(company, client):
    from initiatives.services.initiatives import initiative_update

    initiative = Initiative.objects.get(code="claims-triage")
    admin = User.objects.get(username="admin")
    initiative_update(initiative=initiative, by=admin, data={"name": "Claims triage, all lines"}, read_at=None)
    client.force_login(User.objects.get(username="cio"))

    html = client.get(f"/initiatives/{initiative.code}/").content.decode()

    section = html[html.index('id="history"') :]
    section = section[: section.index("</section>")]
    assert '<span class="label">Name</span>' in section
    # Its ops leads and KPIs were set when the demo was built, not by this edit.
    assert '<span class="label">Ops leads</span>' not in section
    assert "KPIs it reports" not in section


def test_the_demos_chat_channel_posts_nothing_and_the_admin_says_why(company, client):
    from scoreboard.models import ChatDestination, ChatNotification

    channel = ChatDestination.objects.get()
    assert channel.url_env == "SCOREBOARD_CHAT_EXCO_SLACK"
    assert not ChatNotification.objects.filter(status="sent").exists()
    client.force_login(User.objects.get(username="admin"))
    page = client.get(f"/admin/scoreboard/chatdestination/{channel.pk}/change/")
    assert "SCOREBOARD_CHAT_EXCO_SLACK is not set on the server: nothing is posted" in page.content.decode()

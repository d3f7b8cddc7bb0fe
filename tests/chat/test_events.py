"""Each event is recorded where it is born, for the destinations that hear about it and no others,
once however often it is detected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.services import chat_events as governance_events
from governance.services.matrix import matrix_version_submit
from metrics.models import FrozenMonth, MetricSource, MonthlySnapshot, RollUpDue
from metrics.services import chat_events as metrics_events
from metrics.services.pulls import source_pull
from metrics.services.rollup import snapshot_roll_up
from scoreboard.models import ChatEvent, ChatNotification
from scoreboard.months import latest_complete_month, month_in_progress
from tests import factories

pytestmark = pytest.mark.django_db

SITE = "https://scoreboard.example.com"


@pytest.fixture
def hearing(channel):
    """For ``event``: one channel that hears only it, one that hears everything else."""

    def make(event: ChatEvent):
        listener = channel(events=[event], name="Hears it")
        channel(events=[e for e in ChatEvent.values if e != event], name="Hears the rest")
        return listener

    return make


def _told(event: ChatEvent) -> list[ChatNotification]:
    return list(ChatNotification.objects.filter(event=event).select_related("destination"))


def _middle_of(month: date) -> datetime:
    return datetime(month.year, month.month, 15, 12, tzinfo=UTC)


# --- A KPI turned red -------------------------------------------------------------------------------


def _red_figure(kpi, initiative, month):
    factories.TargetFactory(kpi=kpi, initiative=None, target=Decimal(80), red_threshold=Decimal(60))
    factories.MeasurementFactory(kpi=kpi, initiative=initiative, observed_at=_middle_of(month), value=Decimal(40))


def test_the_roll_up_that_turns_a_kpi_red_tells_the_channels_hearing_it(hearing, kpi, initiative_a):
    listener = hearing(ChatEvent.KPI_RED)
    judged = latest_complete_month()
    _red_figure(kpi, initiative_a, judged)

    snapshot_roll_up(months=[judged])

    [told] = _told(ChatEvent.KPI_RED)
    assert told.destination == listener
    assert told.text.startswith(f"{kpi.name} is red for {judged:%B %Y}: 40.0 %")
    assert told.link == f"{SITE}/exco/{judged:%Y-%m}/kpi/{kpi.code}/"


def test_a_kpi_rolled_up_red_again_is_told_once(hearing, kpi, initiative_a):
    hearing(ChatEvent.KPI_RED)
    judged = latest_complete_month()
    _red_figure(kpi, initiative_a, judged)

    snapshot_roll_up(months=[judged])
    snapshot_roll_up(months=[judged])
    metrics_events.chat_events_detect()

    assert len(_told(ChatEvent.KPI_RED)) == 1


def test_red_in_the_month_under_way_is_not_told(hearing, kpi, initiative_a):
    hearing(ChatEvent.KPI_RED)
    _red_figure(kpi, initiative_a, month_in_progress())

    snapshot_roll_up(months=[month_in_progress()])

    assert _told(ChatEvent.KPI_RED) == []


def test_the_detector_tells_a_month_that_ended_red(hearing, kpi):
    hearing(ChatEvent.KPI_RED)
    judged = latest_complete_month()
    MonthlySnapshot.objects.create(
        kpi=kpi, month=judged, value=40, target=80, red_threshold=60, status="red", computed_at=timezone.now()
    )

    metrics_events.chat_events_detect()

    assert len(_told(ChatEvent.KPI_RED)) == 1


# --- A source failed ----------------------------------------------------------------------------------


@pytest.fixture
def failing_source(fake_source):
    fake_source.status("/quality", 404)
    return MetricSource.objects.create(
        name="Catalogue", kind="http_json", url=fake_source.url("/quality"), timeout_seconds=2
    )


def test_a_failed_pull_tells_the_channels_hearing_it(hearing, failing_source):
    listener = hearing(ChatEvent.SOURCE_FAILED)

    source_pull(source_id=failing_source.pk)

    [told] = _told(ChatEvent.SOURCE_FAILED)
    assert told.destination == listener
    assert told.text.startswith("The metric source Catalogue failed:")
    assert "answered 404 Not Found" in told.text
    assert told.link == f"{SITE}/exco/{latest_complete_month():%Y-%m}/"


def test_a_source_failing_again_is_told_once_until_it_succeeds(hearing, failing_source, fake_source):
    hearing(ChatEvent.SOURCE_FAILED)
    source_pull(source_id=failing_source.pk)
    source_pull(source_id=failing_source.pk)
    assert len(_told(ChatEvent.SOURCE_FAILED)) == 1

    MetricSource.objects.filter(pk=failing_source.pk).update(last_success_at=timezone.now())  # it recovered
    source_pull(source_id=failing_source.pk)

    assert len(_told(ChatEvent.SOURCE_FAILED)) == 2


def test_a_failure_that_will_be_retried_is_not_told_yet(hearing, failing_source):
    hearing(ChatEvent.SOURCE_FAILED)
    metrics_events.source_failed(source=failing_source, error="timed out", will_retry=True)
    assert _told(ChatEvent.SOURCE_FAILED) == []


# --- A decision request overdue --------------------------------------------------------------------------


def test_an_overdue_decision_tells_the_channels_hearing_it_once(hearing, cio, ops_lead_a):
    listener = hearing(ChatEvent.DECISION_OVERDUE)
    now = timezone.now()
    overdue = factories.DecisionRequestFactory(
        executive=cio, requested_by=ops_lead_a, requested_at=now - timedelta(hours=30)
    )
    factories.DecisionRequestFactory(executive=cio, requested_by=ops_lead_a, requested_at=now - timedelta(hours=2))

    assert governance_events.decisions_overdue(now=now) == 1
    governance_events.decisions_overdue(now=now + timedelta(hours=1))

    [told] = _told(ChatEvent.DECISION_OVERDUE)
    assert told.destination == listener
    assert told.text == f"A decision asked of {cio} is overdue by 6 hours: {overdue.question}"
    assert told.link == f"{SITE}/governance/decisions/{overdue.pk}/"


# --- A month ready to sign --------------------------------------------------------------------------------


def _figures_of(month, kpi):
    MonthlySnapshot.objects.create(kpi=kpi, month=month, value=50, computed_at=timezone.now())


def test_a_month_ended_and_rolled_up_is_ready_to_sign_once(hearing, kpi):
    listener = hearing(ChatEvent.MONTH_READY)
    month = latest_complete_month()
    _figures_of(month, kpi)

    metrics_events.chat_events_detect()
    metrics_events.chat_events_detect()

    [told] = _told(ChatEvent.MONTH_READY)
    assert told.destination == listener
    assert told.text == f"{month:%B %Y} is complete and rolled up: it is ready for the CIO and the COO to sign."
    assert told.link == f"{SITE}/exco/{month:%Y-%m}/"


def test_a_month_still_owed_a_roll_up_is_not_ready(hearing, kpi):
    hearing(ChatEvent.MONTH_READY)
    month = latest_complete_month()
    _figures_of(month, kpi)
    RollUpDue.objects.create(kpi=kpi, month=month, requested_at=timezone.now())

    metrics_events.chat_events_detect()

    assert _told(ChatEvent.MONTH_READY) == []


def test_a_signed_month_is_not_ready_again(hearing, kpi):
    hearing(ChatEvent.MONTH_READY)
    month = latest_complete_month()
    _figures_of(month, kpi)
    FrozenMonth.objects.create(month=month, frozen_at=timezone.now())

    metrics_events.chat_events_detect()

    assert _told(ChatEvent.MONTH_READY) == []


# --- A matrix version awaiting approval --------------------------------------------------------------------


def test_submitting_a_matrix_version_tells_the_channels_hearing_it(hearing, admin_user, coo):
    listener = hearing(ChatEvent.MATRIX_AWAITING)
    draft = factories.MatrixVersionFactory(created_by=admin_user)
    factories.MatrixDecisionFactory(version=draft)

    asked = matrix_version_submit(
        by=admin_user, version=draft, effective_from=date(2026, 1, 1), reason="First matrix.", approver=coo
    )

    [told] = _told(ChatEvent.MATRIX_AWAITING)
    assert told.destination == listener
    assert told.text == f"Decision-authority matrix v{draft.number} awaits {coo}'s approval, effective 1 Jan 2026."
    assert told.link == f"{SITE}/governance/decisions/{asked.pk}/"


def test_a_refused_submission_tells_nothing(hearing, admin_user, coo):
    hearing(ChatEvent.MATRIX_AWAITING)
    draft = factories.MatrixVersionFactory(created_by=admin_user)  # no decisions: refused

    with pytest.raises(Exception, match="no decisions"):
        matrix_version_submit(by=admin_user, version=draft, effective_from=date(2026, 1, 1), reason="x", approver=coo)

    assert _told(ChatEvent.MATRIX_AWAITING) == []

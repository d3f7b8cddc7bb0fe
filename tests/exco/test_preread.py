"""The ExCo pre-read (issue 20, item 1): when it is due, what each member's e-mail holds, that it
is sent once per member and month, retried after a mail-server failure and logged for admins,
and the settings each member and the admin keep. E-mail here is Django's test outbox; the real
SMTP server process is test_preread_smtp.py's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.models import Scope
from metrics.services.rollup import snapshot_roll_up
from scoreboard.exco import preread
from scoreboard.models import DeliveryStatus, ExcoSchedule, PreRead, PreReadDelivery, PreReadSubscription
from scoreboard.months import first_of_month
from tests import factories

pytestmark = pytest.mark.django_db

FEBRUARY, MARCH = date(2026, 2, 1), date(2026, 3, 1)
# April 2026's ExCo meets on its second Tuesday, the 14th; three working days before is Thursday the 9th.
MEETING = date(2026, 4, 14)
SEND = datetime(2026, 4, 9, 7, 30, tzinfo=UTC)


def schedule(**changes) -> ExcoSchedule:
    fields = {"week": 2, "weekday": 1, "preread_working_days": 3, "send_hour": 7, **changes}
    return ExcoSchedule.objects.create(pk=1, updated_at=SEND, **fields)


@pytest.fixture
def company(cio, coo, ceo):
    """The primary KPI green in February and amber in March (target 80, red below 60)."""
    kpi = factories.KPIFactory(
        code="claims-automated", name="Claims automated", scope=Scope.COMPANY, is_primary=True,
        accountable_executive=cio, co_accountable_executive=coo,
    )  # fmt: skip
    factories.TargetFactory(kpi=kpi)
    for month, value in ((FEBRUARY, 85), (MARCH, 65)):
        factories.MeasurementFactory(
            kpi=kpi, initiative=None, value=value, observed_at=datetime.combine(month, datetime.min.time(), UTC)
        )
    snapshot_roll_up()
    schedule()
    return kpi


def send_all(now=SEND) -> list[int]:
    owed = preread.prereads_due(now=now)
    for delivery_id in owed:
        preread.preread_deliver(delivery_id, now=now)
    return owed


# --- When -----------------------------------------------------------------------------------------


def test_the_meeting_is_the_nth_weekday_and_the_preread_goes_working_days_before():
    second_tuesday = ExcoSchedule(week=2, weekday=1, preread_working_days=3)
    assert preread.meeting_day(date(2026, 12, 1), second_tuesday) == date(2026, 12, 8)
    assert preread.preread_day(date(2026, 12, 8), 3) == date(2026, 12, 3)  # Mon 7, Fri 4, Thu 3
    last_friday = ExcoSchedule(week=5, weekday=4)
    assert preread.meeting_day(date(2027, 1, 1), last_friday) == date(2027, 1, 29)
    # The first Monday of February: three working days before would be in January, which the
    # meeting reviews only once it has ended, so the pre-read waits for the 1st.
    assert preread.preread_day(date(2027, 2, 1), 3) == date(2027, 2, 1)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    year=st.integers(2024, 2030),
    month=st.integers(1, 12),
    week=st.integers(1, 5),
    weekday=st.integers(0, 4),
    days=st.integers(1, 10),
)
def test_the_preread_day_is_a_working_day_in_the_meetings_month_at_most_n_working_days_before(
    year, month, week, weekday, days
):
    meeting = preread.meeting_day(date(year, month, 1), ExcoSchedule(week=week, weekday=weekday))
    assert meeting.weekday() == weekday
    assert meeting.month == month
    send_on = preread.preread_day(meeting, days)
    assert first_of_month(meeting) <= send_on <= meeting
    working_between = sum(1 for n in range((meeting - send_on).days) if (send_on + timedelta(days=n)).weekday() < 5)
    assert working_between <= days
    if send_on > first_of_month(meeting):
        assert working_between == days


def test_nothing_goes_before_the_day_and_hour_or_without_a_schedule(company):
    assert preread.prereads_due(now=SEND - timedelta(days=1)) == []
    assert preread.prereads_due(now=SEND.replace(hour=6)) == []
    assert not PreRead.objects.exists()
    ExcoSchedule.objects.all().delete()
    assert preread.prereads_due(now=SEND) == []


# --- What each member gets ------------------------------------------------------------------------


def test_each_member_gets_the_pack_a_summary_what_changed_and_the_link(company, cio, coo, ceo):
    send_all()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([cio.email, coo.email, ceo.email])
    message = next(m for m in mail.outbox if m.to == [cio.email])
    assert message.subject == "ExCo pre-read: March 2026, for the meeting on Tuesday 14 Apr 2026"
    name, pdf, kind = message.attachments[0]
    assert (name, kind) == ("exco-pack-2026-03.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF")
    assert pdf == bytes(PreRead.objects.get(month=MARCH).pdf)
    body = message.body
    assert "Shared outcomes off target: 1 of 1\n- Claims automated: 65.0 %, amber" in body
    assert "Sign-off\n- CIO: not signed yet\n- COO: not signed yet" in body
    assert "Changed since the last pack (February 2026)\n- Claims automated: green to amber" in body
    assert "The page: http://testserver/exco/2026-03/" in body or "/exco/2026-03/" in body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert "Claims automated: green to amber" in html


def test_what_changed_is_against_what_the_last_pack_said(company, coo):
    # February's pre-read went out before the request was asked; March's tells it as new.
    preread.preread_prepare(month=FEBRUARY, meeting=date(2026, 3, 10), now=datetime(2026, 3, 5, 7, tzinfo=UTC))
    factories.DecisionRequestFactory(executive=coo, question="May the pilot extend to the fleet book?")
    send_all()

    body = mail.outbox[0].body
    assert "Decisions overdue: 1\n- Omar Okafor" in body
    assert "May the pilot extend to the fleet book? (due 16 Mar 2026 09:00)" in body
    assert "- New warning sign, decisions waiting beyond 24 hours: " in body


def test_a_restatement_applied_since_is_told_with_who_and_why(company, cio, coo, time_machine):
    from scoreboard.exco.services import restatement_apply, review_sign

    time_machine.move_to(datetime(2026, 4, 2, 9, tzinfo=UTC))
    review_sign(month=FEBRUARY, by=cio, slot="cio", comment="As discussed.")
    review_sign(month=FEBRUARY, by=coo, slot="coo", comment="Agreed.")
    factories.MonthlyPackFactory(month=FEBRUARY, revision=1)  # kept already: no Chromium here
    factories.MeasurementFactory(kpi=company, initiative=None, value=95, observed_at=datetime(2026, 2, 20, tzinfo=UTC))
    snapshot_roll_up(months=[FEBRUARY])
    restatement_apply(month=FEBRUARY, by=cio, reason="The storm week's claims arrived late.")
    send_all()

    assert (
        "- February 2026 restated (revision 2) by Claire Ito (CIO) on 2 Apr 2026: The storm week's claims arrived late."
        in mail.outbox[0].body
    )


def test_a_second_run_or_a_retried_task_sends_nothing_more(company):
    first = send_all()
    again = send_all(SEND + timedelta(hours=1))
    retried = [preread.preread_deliver(pk, now=SEND) for pk in first]

    assert len(first) == 3
    assert again == []
    assert retried == [None, None, None]
    assert len(mail.outbox) == 3
    assert PreRead.objects.count() == 1
    assert set(PreReadDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_member_who_turned_it_off_gets_none_and_plain_text_has_no_html(company, cio, coo, ceo):
    preread.preread_subscription_set(by=ceo, enabled=False, mail_format="html")
    preread.preread_subscription_set(by=coo, enabled=True, mail_format="text")
    send_all()

    assert sorted(m.to[0] for m in mail.outbox) == sorted([cio.email, coo.email])
    assert next(m for m in mail.outbox if m.to == [coo.email]).alternatives == []
    assert not PreReadDelivery.objects.filter(recipient=ceo).exists()


def test_a_member_without_an_address_is_logged_and_sent_once_they_have_one(company, ceo):
    ceo.email = ""
    ceo.save()
    send_all()
    logged = PreReadDelivery.objects.get(recipient=ceo)
    assert logged.status == DeliveryStatus.SKIPPED
    assert "No e-mail address" in logged.last_error

    ceo.email = "elena@example.com"
    ceo.save()
    send_all(SEND + timedelta(hours=1))
    assert PreReadDelivery.objects.get(recipient=ceo).status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox].count(["elena@example.com"]) == 1


def test_a_failing_mail_server_is_tried_again_later_then_marked_failed_with_its_words(company, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    owed = preread.prereads_due(now=SEND)
    waits = [preread.preread_deliver(owed[0], now=SEND + timedelta(hours=n)) for n in range(6)]

    assert waits[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert waits[4:] == [None, None]  # the fifth failure is the last; a sixth call finds nothing owed
    failed = PreReadDelivery.objects.get(pk=owed[0])
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 5)
    assert "ConnectionRefusedError" in failed.last_error
    assert mail.outbox == []


def test_a_delivery_lost_mid_send_is_marked_failed_and_never_sent_again_by_itself(company):
    owed = preread.prereads_due(now=SEND)
    PreReadDelivery.objects.filter(pk=owed[0]).update(status=DeliveryStatus.SENDING, last_attempt_at=SEND, attempts=1)

    still = preread.prereads_due(now=SEND + timedelta(minutes=10))
    later = preread.prereads_due(now=SEND + timedelta(hours=1))

    assert owed[0] not in still
    assert owed[0] not in later
    lost = PreReadDelivery.objects.get(pk=owed[0])
    assert lost.status == DeliveryStatus.FAILED
    assert "may or may not have accepted it" in lost.last_error


def test_the_hourly_task_prepares_and_sends_in_process(company, in_process_jobs, time_machine):
    from scoreboard.exco.tasks import send_prereads

    time_machine.move_to(SEND)
    assert send_prereads.delay().get() == 3
    assert len(mail.outbox) == 3


# --- Admins: the log, sending again, the schedule ---------------------------------------------------


def test_an_admin_sends_a_failed_one_again_and_an_executive_may_not(company, admin_user, cio, client):
    owed = preread.prereads_due(now=SEND)
    PreReadDelivery.objects.filter(pk=owed[0]).update(status=DeliveryStatus.FAILED, attempts=5, last_error="boom")
    changelist = reverse("admin:scoreboard_prereaddelivery_changelist")

    client.force_login(cio)
    assert client.get(changelist).status_code in (302, 403)

    client.force_login(admin_user)
    page = client.get(changelist)
    assert page.status_code == 200
    assert "boom" in page.content.decode()
    client.post(changelist, {"action": "send_again", "_selected_action": [owed[0]]})
    again = PreReadDelivery.objects.get(pk=owed[0])
    assert (again.status, again.attempts, again.last_error) == (DeliveryStatus.PENDING, 0, "")


def test_sending_again_is_refused_to_an_executive_and_for_one_already_sent(company, admin_user, cio):
    delivery = PreReadDelivery.objects.get(pk=send_all()[0])

    with pytest.raises(PermissionDenied):
        preread.preread_resend(by=cio, delivery=delivery)
    with pytest.raises(ValidationError) as refused:
        preread.preread_resend(by=admin_user, delivery=delivery)
    assert refused.value.message_dict == {
        "status": ["Only a failed or unsent pre-read is sent again; this one is sent."]
    }


def test_only_an_admin_sets_the_schedule_and_a_bad_value_names_its_field(admin_user, cio, client):
    add = reverse("admin:scoreboard_excoschedule_add")
    client.force_login(cio)
    assert client.get(add).status_code in (302, 403)
    with pytest.raises(PermissionDenied):
        preread.exco_schedule_save(by=cio, week=2, weekday=1, preread_working_days=3, send_hour=7)

    client.force_login(admin_user)
    refused = client.post(add, {"week": 2, "weekday": 1, "preread_working_days": 11, "send_hour": 7})
    assert refused.status_code == 200
    assert "Pre-read working days: from 1 to 10 working days before the meeting." in refused.content.decode()
    assert not ExcoSchedule.objects.exists()
    assert client.post(add, {"week": 5, "weekday": 4, "preread_working_days": 2, "send_hour": 8}).status_code == 302
    assert str(ExcoSchedule.objects.get()) == "The last Friday of each month; the pre-read 2 working days before"
    assert client.get(add).status_code == 403  # one schedule: changed, not added again


# --- A member's settings page ---------------------------------------------------------------------


def test_a_member_turns_the_preread_off_and_chooses_plain_text_on_their_page(cio, client):
    client.force_login(cio)
    page = client.get(reverse("preread-settings"))
    assert page.status_code == 200
    box = re.search(r'<input[^>]*name="enabled"[^>]*>', page.content.decode()).group(0)
    assert "checked" in box  # on until the member chooses

    saved = client.post(reverse("preread-settings"), {"format": "text"})
    assert saved.status_code == 302
    choice = PreReadSubscription.objects.get(member=cio)
    assert (choice.enabled, choice.format) == (False, "text")


def test_a_format_no_one_offers_is_refused_naming_the_field(cio, client):
    client.force_login(cio)
    refused = client.post(reverse("preread-settings"), {"enabled": "on", "format": "pdf"})
    assert refused.status_code == 400
    assert "Select a valid choice. pdf is not one of the available choices." in refused.content.decode()
    assert not PreReadSubscription.objects.exists()


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_someone_not_on_the_exco_has_no_preread_page(persona, request, client):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("preread-settings")).status_code == 403
    assert client.post(reverse("preread-settings"), {"enabled": "on", "format": "text"}).status_code == 403
    assert not PreReadSubscription.objects.exists()


def test_a_member_sets_only_their_own_choice_whatever_the_form_names(cio, coo, client):
    client.force_login(cio)
    sent = {"format": "text", "member": coo.pk, "member_id": coo.pk, "enabled": ""}
    assert client.post(reverse("preread-settings"), sent).status_code == 302
    assert list(PreReadSubscription.objects.values_list("member__username", "enabled", "format")) == [
        ("cio", False, "text")
    ]


def test_the_delivery_log_and_the_choices_are_read_only_in_the_admin(company, admin_user, client):
    delivery = PreReadDelivery.objects.get(pk=send_all()[0])
    client.force_login(admin_user)
    url = reverse("admin:scoreboard_prereaddelivery_change", args=[delivery.pk])

    assert client.get(url).status_code == 200
    refused = client.post(url, {"status": "pending", "address": "someone@else.example", "attempts": 0})
    assert refused.status_code == 403
    kept = PreReadDelivery.objects.get(pk=delivery.pk)
    assert (kept.status, kept.address, kept.attempts) == (DeliveryStatus.SENT, delivery.address, 1)
    assert client.get(reverse("admin:scoreboard_prereadsubscription_add")).status_code == 403
    assert client.get(reverse("admin:scoreboard_preread_add")).status_code == 403

"""The morning digest: each executive with overdue requests gets one e-mail listing them, repeated
each day until answered, never twice a day, sent by a scheduled Celery task; a failed send leaves
the day for the next run; and admins read who was sent which digest without changing it."""

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from governance.models import DecisionDigest
from governance.services.decisions import decision_answer, decision_digests_send, overdue_requests
from governance.tasks import send_decision_digests
from scoreboard.celery import app as celery_app
from tests import factories
from tests.governance.decision_log_helpers import DAY, HOUR, _log_of, answered, asked

pytestmark = pytest.mark.django_db


# --- The morning digest ------------------------------------------------------------------------------------


def test_each_executive_with_overdue_requests_gets_one_email_listing_them(mailoutbox, cio, coo, ceo, ops_lead_a):
    initiative = factories.InitiativeFactory(name="Claims triage", technology_owner=cio, operations_owner=coo)
    first = asked(coo, ops_lead_a, question="Approve the fallback procedure?", ago=3 * DAY, initiative=initiative)
    second = asked(coo, cio, question="Sign the Antwerp brief?", ago=2 * DAY - 5 * HOUR)
    asked(coo, ops_lead_a, question="Not yet due", ago=HOUR)
    answered(asked(coo, ops_lead_a, question="Answered late", ago=5 * DAY), after=2 * DAY)
    to_cio = asked(cio, ops_lead_a, question="Buy the licence?", ago=2 * DAY)
    asked(ceo, ops_lead_a, question="Nothing overdue for the CEO", ago=HOUR)

    assert decision_digests_send() == 2

    by_person = {message.to[0]: message for message in mailoutbox}
    assert set(by_person) == {coo.email, cio.email}
    to_coo = by_person[coo.email]
    assert to_coo.subject == "AI scoreboard: 2 decisions overdue, waiting on you"
    body = to_coo.body
    assert body.index("Approve the fallback procedure?") < body.index("Sign the Antwerp brief?")  # longest first
    assert f"Asked by {ops_lead_a} on" in body
    assert "about Claims triage" in body
    assert "overdue by 2 days" in body
    assert "overdue by 19 hours" in body
    assert f"http://127.0.0.1:8000/governance/decisions/{first.pk}/" in body
    assert f"http://127.0.0.1:8000/governance/decisions/{second.pk}/" in body
    assert "http://127.0.0.1:8000/governance/decisions/?executive=coo&state=overdue" in body
    assert "Not yet due" not in body
    assert "Answered late" not in body
    assert "Buy the licence?" in by_person[cio.email].body
    assert "This decision asked of you is past due" in by_person[cio.email].body
    digest = DecisionDigest.objects.get(recipient=coo)
    assert (digest.day, sorted(digest.request_ids)) == (timezone.localdate(), sorted([first.pk, second.pk]))
    assert DecisionDigest.objects.get(recipient=cio).request_ids == [to_cio.pk]


def test_the_links_use_the_site_address(settings, mailoutbox, coo, ops_lead_a):
    settings.SITE_URL = "https://scoreboard.example.com/"
    request = asked(coo, ops_lead_a, ago=2 * DAY)

    decision_digests_send()

    assert f"https://scoreboard.example.com/governance/decisions/{request.pk}/" in mailoutbox[0].body


def test_a_second_run_the_same_day_sends_nothing(mailoutbox, coo, ops_lead_a):
    asked(coo, ops_lead_a, ago=2 * DAY)
    decision_digests_send()

    assert decision_digests_send(now=timezone.now() + HOUR) == 0
    assert len(mailoutbox) == 1
    assert DecisionDigest.objects.count() == 1


def test_overdue_requests_are_repeated_each_day_until_answered(mailoutbox, coo, ops_lead_a):
    request = asked(coo, ops_lead_a, question="Still waiting?", ago=2 * DAY)
    now = timezone.now()

    assert decision_digests_send(now=now) == 1
    assert decision_digests_send(now=now + DAY) == 1
    decision_answer(decision_request=request, by=coo, answer="approved")
    assert decision_digests_send(now=now + 2 * DAY) == 0

    assert [("Still waiting?" in m.body) for m in mailoutbox] == [True, True]
    assert DecisionDigest.objects.filter(recipient=coo).count() == 2


def test_nothing_overdue_sends_nothing(mailoutbox, coo, ops_lead_a):
    asked(coo, ops_lead_a, ago=HOUR)
    answered(asked(coo, ops_lead_a, question="Done", ago=3 * DAY))

    assert decision_digests_send() == 0
    assert mailoutbox == []
    assert not DecisionDigest.objects.exists()


def test_inactive_or_email_less_executives_get_no_digest(mailoutbox, cio, coo, ops_lead_a):
    no_email = factories.executive(username="ceo", title="CEO", email="")
    asked(no_email, ops_lead_a, ago=2 * DAY)
    asked(coo, ops_lead_a, ago=2 * DAY)
    asked(cio, ops_lead_a, ago=2 * DAY)
    cio.is_active = False
    cio.save()

    assert decision_digests_send() == 1

    assert [m.to for m in mailoutbox] == [[coo.email]]
    assert list(DecisionDigest.objects.values_list("recipient__username", flat=True)) == ["coo"]


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("The mail server refused the connection.")


def test_a_failed_send_leaves_the_day_unclaimed_for_the_next_run(settings, coo, ops_lead_a):
    asked(coo, ops_lead_a, ago=2 * DAY)
    settings.EMAIL_BACKEND = "tests.governance.test_decision_digest.RefusingBackend"

    with pytest.raises(ConnectionRefusedError):
        decision_digests_send()
    assert not DecisionDigest.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    assert decision_digests_send() == 1
    assert len(mail.outbox) == 1


def test_the_overdue_selector_reads_once_whatever_the_number_of_requests(django_assert_num_queries, ops_lead_a):
    _log_of(12, ops_lead_a)

    with django_assert_num_queries(1):
        overdue = list(overdue_requests(now=timezone.now() + 2 * DAY))
        people = {(r.executive.username, r.requested_by.username, r.initiative.code) for r in overdue}

    assert len(people) == 8  # the twelve less the four answered


def test_the_celery_task_sends_the_digests(in_process_jobs, mailoutbox, coo, ops_lead_a):
    asked(coo, ops_lead_a, ago=2 * DAY)

    assert send_decision_digests.delay().get() == 1
    assert send_decision_digests.delay().get() == 0
    assert len(mailoutbox) == 1


def test_the_digest_is_scheduled_each_morning_and_expires():
    entry = celery_app.conf.beat_schedule["governance-decision-digests"]

    assert entry["task"] == send_decision_digests.name
    assert entry["schedule"].hour == {7}
    assert entry["options"]["expires"] <= 24 * 3600


# --- The admin ---------------------------------------------------------------------------------------------


def test_admins_see_who_was_sent_which_digest_and_cannot_change_it(client, admin_user, coo, ops_lead_a):
    asked(coo, ops_lead_a, ago=2 * DAY)
    decision_digests_send()
    digest = DecisionDigest.objects.get()
    client.force_login(admin_user)

    listing = client.get(reverse("admin:governance_decisiondigest_changelist"))
    shown = client.get(reverse("admin:governance_decisiondigest_change", args=[digest.pk]))

    assert listing.status_code == 200
    assert str(coo) in listing.content.decode()
    assert shown.status_code == 200
    assert 'name="_save"' not in shown.content.decode()
    assert client.get(reverse("admin:governance_decisiondigest_add")).status_code == 403
    assert (
        client.post(reverse("admin:governance_decisiondigest_delete", args=[digest.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert DecisionDigest.objects.filter(pk=digest.pk).exists()


def test_an_executive_cannot_read_the_digests_in_the_admin_even_as_staff(client, coo):
    coo.is_staff = True
    coo.save()
    client.force_login(coo)

    assert client.get(reverse("admin:governance_decisiondigest_changelist")).status_code == 403

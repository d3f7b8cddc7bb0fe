"""The decision log: asking an executive (on the page and through the API, one service), the
executive's answer, the log with its states and filters, the ExCo page's decisions section,
and the morning digest that reminds each executive of what is overdue until it is answered."""

import json
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import DecisionDigest, DecisionRequest
from governance.services.decisions import (
    decision_answer,
    decision_digests_send,
    decision_request_create,
    overdue_requests,
)
from governance.tasks import send_decision_digests
from scoreboard.celery import app as celery_app
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at

pytestmark = pytest.mark.django_db

LOG = "/governance/decisions/"
ASK = "/governance/decisions/ask/"
API = "/api/v1/decision-requests/"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


# --- Helpers ----------------------------------------------------------------------------------------


def detail_url(request: DecisionRequest) -> str:
    return f"{LOG}{request.pk}/"


def answer_url(request: DecisionRequest) -> str:
    return f"{LOG}{request.pk}/answer/"


def asked(executive, by, *, question="Go live with claims triage in Belgium?", ago=timedelta(0), due=DAY, **extra):
    """A request asked ``ago`` and due ``due`` after it was asked, stored directly (its history
    is not what these tests are about)."""
    at = timezone.now() - ago
    return DecisionRequest.objects.create(
        question=question, requested_by=by, executive=executive, requested_at=at, due_at=at + due, **extra
    )


def answered(request: DecisionRequest, answer="approved", *, after=HOUR, note="") -> DecisionRequest:
    request.answer, request.note, request.answered_at = answer, note, request.requested_at + after
    request.save()
    return request


def ask_on_page(client, user, **fields):
    """Ask through the page's form; returns (status, the stored errors' words or the page's)."""
    client.force_login(user)
    body = {"executive": "", "question": "", "initiative": "", "due_at": "", **fields}
    response = client.post(ASK, body)
    text = response.content.decode() if response.status_code != 302 else ""
    return response.status_code, text


def ask_by_api(client, user, **fields):
    client.force_login(user)
    body = {key: value for key, value in fields.items() if value not in ("", None)}
    response = client.post(API, json.dumps(body), content_type="application/json")
    return response.status_code, response.content.decode()


CHANNELS = {"page": ask_on_page, "api": ask_by_api}


def _local(moment: datetime) -> str:
    """A time as the page's datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _api_time(moment: datetime) -> str:
    return moment.isoformat()


# --- Asking -----------------------------------------------------------------------------------------------


def test_an_ops_lead_asks_the_coo_on_the_page_due_in_24_hours_by_default(client, ops_lead_a, coo, initiative_a):
    status, _ = ask_on_page(
        client,
        ops_lead_a,
        executive=coo.username,
        question="  Extend the pilot to Antwerp?  ",
        initiative=initiative_a.code,
    )

    assert status == 302
    stored = DecisionRequest.objects.get()
    assert (stored.question, stored.executive, stored.requested_by, stored.initiative) == (
        "Extend the pilot to Antwerp?",
        coo,
        ops_lead_a,
        initiative_a,
    )
    assert stored.due_at - stored.requested_at == timedelta(hours=24)
    assert (stored.answer, stored.answered_at) == ("", None)
    first = stored.history.get()
    assert first.history_user == ops_lead_a
    assert first.history_change_reason.startswith(f"Asked of {coo}")


def test_the_page_redirects_to_the_new_request_and_says_when_it_is_due(client, ops_lead_a, coo):
    client.force_login(ops_lead_a)
    response = client.post(
        ASK, {"executive": coo.username, "question": "Go live?", "initiative": "", "due_at": ""}, follow=True
    )

    stored = DecisionRequest.objects.get()
    assert response.redirect_chain == [(detail_url(stored), 302)]
    assert f"Asked {coo}: the answer is due" in response.content.decode()


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_chosen_due_time_is_kept(client, channel, ops_lead_a, coo):
    due = (timezone.now() + timedelta(hours=6)).replace(second=0, microsecond=0)
    when = _local(due) if channel == "page" else _api_time(due)

    status, _ = CHANNELS[channel](client, ops_lead_a, executive=coo.username, question="Go live?", due_at=when)

    assert status in (201, 302)
    assert DecisionRequest.objects.get().due_at == due


def test_the_ask_form_offers_only_active_executives_and_proposes_24_hours(client, ops_lead_a, cio, coo, ops_lead_b):
    gone = factories.executive(username="former.ceo", title="CEO", is_active=False)
    client.force_login(ops_lead_a)

    form = client.get(ASK).context["form"]

    offered = {user.username for user in form.fields["executive"].queryset}
    assert offered == {cio.username, coo.username}
    assert gone.username not in offered
    assert ops_lead_b.username not in offered
    proposed = form.initial["due_at"]
    assert timedelta(hours=23, minutes=58) < proposed - timezone.now() <= timedelta(hours=24)


@pytest.mark.parametrize("channel", CHANNELS)
def test_asking_someone_who_is_not_an_executive_is_refused_naming_the_field(client, channel, ops_lead_a, ops_lead_b):
    status, text = CHANNELS[channel](client, ops_lead_a, executive=ops_lead_b.username, question="May I?")

    assert status == 400
    assert f"“{ops_lead_b.username}” is not an active executive" in text
    assert not DecisionRequest.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_asking_an_executive_who_has_left_is_refused(client, channel, ops_lead_a):
    gone = factories.executive(username="former.coo", title="COO", is_active=False)

    status, text = CHANNELS[channel](client, ops_lead_a, executive=gone.username, question="Go live?")

    assert status == 400
    assert "“former.coo” is not an active executive" in text
    assert not DecisionRequest.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_blank_question_is_refused(client, channel, ops_lead_a, coo):
    status, text = CHANNELS[channel](client, ops_lead_a, executive=coo.username, question="   ")

    assert status == 400
    assert "Say what is to be decided: the question is empty." in text
    assert not DecisionRequest.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_due_time_in_the_past_is_refused(client, channel, ops_lead_a, coo):
    past = timezone.now() - 2 * HOUR
    when = _local(past) if channel == "page" else _api_time(past)

    status, text = CHANNELS[channel](client, ops_lead_a, executive=coo.username, question="Go live?", due_at=when)

    assert status == 400
    assert "has already passed: choose a later time" in text
    assert not DecisionRequest.objects.exists()


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_same_open_question_twice_is_refused_naming_when_it_was_asked(client, channel, ops_lead_a, coo):
    first = asked(coo, ops_lead_a, question="Go live in Belgium?", ago=3 * HOUR)

    status, text = CHANNELS[channel](client, ops_lead_a, executive=coo.username, question="go live in belgium?")

    assert status == 400
    when = timezone.localtime(first.requested_at).strftime("%Y-%m-%d %H:%M")
    assert f"You already asked {coo} this on {when}" in text.replace("&#x27;", "'")
    assert list(DecisionRequest.objects.all()) == [first]


def test_a_double_submit_on_the_page_asks_once(client, ops_lead_a, coo):
    body = {"executive": coo.username, "question": "Go live?", "initiative": "", "due_at": ""}
    client.force_login(ops_lead_a)

    assert client.post(ASK, body).status_code == 302
    assert client.post(ASK, body).status_code == 400
    assert DecisionRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_identical_asks_at_the_same_moment_store_one_request(ops_lead_a, coo):
    if connection.vendor != "postgresql":
        pytest.fail("run the suite on PostgreSQL (make test or .ci/run) to prove the lock that stops a double ask")
    outcomes = []

    def ask():
        try:
            decision_request_create(by=ops_lead_a, executive=coo, question="Go live?")
            outcomes.append("asked")
        except ValidationError as refusal:
            outcomes.append(refusal.message_dict["question"][0])
        finally:
            connection.close()

    # Both asks start while the executive's row is held elsewhere, so both pass the form at once
    # and reach the service together; the lock makes the second see the first.
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=coo.pk)
        threads = [threading.Thread(target=ask) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join(timeout=10)

    assert outcomes.count("asked") == 1
    refusals = [outcome for outcome in outcomes if outcome != "asked"]
    assert len(refusals) == 1
    assert refusals[0].startswith(f"You already asked {coo} this on")
    assert DecisionRequest.objects.count() == 1


def test_an_executive_with_a_long_name_is_asked_with_the_history_reason_shortened(ops_lead_a):
    long_named = factories.executive(username="exco.member", title="OTHER", first_name="A" * 80, last_name="B" * 60)

    request = decision_request_create(by=ops_lead_a, executive=long_named, question="Go live?")

    reason = request.history.get().history_change_reason
    assert len(reason) == 100
    assert reason.startswith("Asked of AAAA")


def test_the_same_question_may_be_asked_again_once_answered_or_of_someone_else(ops_lead_a, cio, coo):
    answered(asked(coo, ops_lead_a, question="Go live?", ago=2 * HOUR))

    again = decision_request_create(by=ops_lead_a, executive=coo, question="Go live?")
    elsewhere = decision_request_create(by=ops_lead_a, executive=cio, question="Go live?")

    assert DecisionRequest.objects.filter(answered_at__isnull=True).count() == 2
    assert {again.executive, elsewhere.executive} == {coo, cio}


def test_the_api_asks_through_the_service_as_the_person_signed_in(client, ops_lead_a, coo, cio, initiative_a):
    body = {"question": " Go live? ", "executive": coo.username, "initiative": initiative_a.code}
    status, text = ask_by_api(client, ops_lead_a, **body, requested_by=cio.username)

    assert status == 201, text
    stored = DecisionRequest.objects.get()
    assert (stored.question, stored.requested_by) == ("Go live?", ops_lead_a)
    assert stored.history.get().history_change_reason.startswith(f"Asked of {coo}")


def test_an_unknown_username_is_refused_by_the_api(client, ops_lead_a):
    status, text = ask_by_api(client, ops_lead_a, executive="nobody", question="Go live?")

    assert status == 400
    assert json.loads(text)["executive"] == ["Nobody has the username nobody."]


# --- Answering on the page -------------------------------------------------------------------------------


def test_the_executive_asked_answers_on_the_page(client, coo, ops_lead_a):
    request = asked(coo, ops_lead_a, ago=2 * HOUR)
    client.force_login(coo)

    response = client.post(answer_url(request), {"answer": "approved", "note": " Go ahead in Ghent first. "})

    assert response.status_code == 302
    assert response["Location"] == detail_url(request)
    request.refresh_from_db()
    assert (request.answer, request.note) == ("approved", "Go ahead in Ghent first.")
    assert request.answered_at is not None
    last = request.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (coo, "Answered: approved")


@pytest.mark.parametrize("persona", ["cio", "ceo", "ops_lead_a", "admin_user"])
def test_anyone_but_the_executive_asked_gets_403_and_nothing_is_stored(client, request, persona, coo, ops_lead_a):
    decision_request = asked(coo, ops_lead_a)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(answer_url(decision_request), {"answer": "approved", "note": "Mine to say."})

    assert response.status_code == 403
    assert f"Only {coo}, who was asked, answers this request." in response.content.decode()
    decision_request.refresh_from_db()
    assert (decision_request.answer, decision_request.note, decision_request.answered_at) == ("", "", None)
    assert decision_request.history.count() == 1


def test_a_second_answer_is_refused_with_the_message_and_nothing_changes(client, coo, ops_lead_a):
    request = asked(coo, ops_lead_a)
    client.force_login(coo)
    client.post(answer_url(request), {"answer": "approved", "note": "Go ahead."})
    request.refresh_from_db()
    first = (request.answer, request.note, request.answered_at)

    response = client.post(answer_url(request), {"answer": "rejected", "note": "Changed my mind."})

    assert response.status_code == 409
    html = response.content.decode()
    when = timezone.localtime(first[2]).strftime("%Y-%m-%d %H:%M")
    assert f"Already answered (approved) on {when}: an answer is final." in html
    assert 'id="answer-form"' not in html
    request.refresh_from_db()
    assert (request.answer, request.note, request.answered_at) == first


def test_an_answer_must_be_chosen(client, coo, ops_lead_a):
    request = asked(coo, ops_lead_a)
    client.force_login(coo)

    response = client.post(answer_url(request), {"answer": "maybe", "note": "Hmm."})

    assert response.status_code == 400
    assert "Select a valid choice. maybe is not one of the available choices." in response.content.decode()
    request.refresh_from_db()
    assert (request.answer, request.answered_at) == ("", None)


def test_only_the_executive_asked_sees_the_answer_form(client, coo, cio, ops_lead_a):
    request = asked(coo, ops_lead_a)

    client.force_login(coo)
    mine = client.get(detail_url(request)).content.decode()
    client.force_login(cio)
    theirs = client.get(detail_url(request)).content.decode()

    assert 'id="answer-form"' in mine
    assert 'id="answer-form"' not in theirs
    assert f"Waiting on <strong>{coo}</strong> to answer" in theirs


def test_the_request_page_shows_its_history(client, cio, coo, ops_lead_a):
    request = decision_request_create(by=ops_lead_a, executive=coo, question="Go live?")
    decision_answer(decision_request=request, by=coo, answer="deferred", note="After the audit.")
    client.force_login(cio)

    html = client.get(detail_url(request)).content.decode()

    history = html[html.index('id="history"') :]
    assert f"Asked of {coo}" in history
    assert "Answered: deferred" in history
    assert "After the audit." in html


def test_an_unknown_request_is_404(client, cio):
    client.force_login(cio)
    assert client.get(f"{LOG}999999/").status_code == 404


# --- The log ----------------------------------------------------------------------------------------------


def _rows(html: str) -> list[str]:
    """The ids of the log's rows, in order (decision-<pk>)."""
    table = html[html.index('id="decisions"') :]
    return re.findall(r'<tr id="decision-(\d+)"', table)


def test_the_log_lists_open_requests_first_overdue_marked_then_answered_latest_first(client, cio, coo, ops_lead_a):
    later = asked(coo, ops_lead_a, question="Due tomorrow", ago=HOUR)
    overdue = asked(coo, ops_lead_a, question="Overdue", ago=3 * DAY)
    old_answer = answered(asked(cio, ops_lead_a, question="Answered long ago", ago=10 * DAY))
    new_answer = answered(asked(cio, ops_lead_a, question="Answered lately", ago=2 * DAY))
    client.force_login(ops_lead_a)

    html = client.get(LOG).content.decode()

    assert _rows(html) == [str(r.pk) for r in (overdue, later, new_answer, old_answer)]
    row = html[html.index(f'id="decision-{overdue.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Overdue" in row
    assert "by 2 days" in row


def test_the_log_says_whether_each_answer_came_within_its_due_time(client, cio, ops_lead_a):
    in_time = answered(asked(cio, ops_lead_a, question="Quick one", ago=3 * DAY), after=5 * HOUR, note="Fine.")
    late = answered(asked(cio, ops_lead_a, question="Slow one", ago=5 * DAY), after=DAY + 6 * HOUR)
    client.force_login(ops_lead_a)

    html = client.get(LOG).content.decode()

    def row(request):
        part = html[html.index(f'id="decision-{request.pk}"') :]
        return part[: part.index("</tr>")]

    assert "Approved" in row(in_time)
    assert "after 5 hours" in row(in_time)
    assert "in time" in row(in_time)
    assert "Fine." in row(in_time)
    assert "6 hours late" in row(late)
    assert "in time" not in row(late)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "open"}, {"coo-open", "coo-overdue", "cio-open"}),
        ({"state": "overdue"}, {"coo-overdue"}),
        ({"state": "answered"}, {"cio-answered"}),
        ({"executive": "coo"}, {"coo-open", "coo-overdue"}),
        ({"initiative": "A"}, {"coo-overdue", "cio-answered"}),
        ({"executive": "cio", "state": "open"}, {"cio-open"}),
    ],
)
def test_the_log_filters_by_executive_initiative_and_state(client, cio, coo, ops_lead_a, initiative_a, query, expected):
    made = {
        "coo-open": asked(coo, ops_lead_a, question="coo-open"),
        "coo-overdue": asked(coo, ops_lead_a, question="coo-overdue", ago=2 * DAY, initiative=initiative_a),
        "cio-open": asked(cio, ops_lead_a, question="cio-open"),
        "cio-answered": answered(asked(cio, ops_lead_a, question="cio-answered", ago=DAY, initiative=initiative_a)),
    }
    names = {str(r.pk): name for name, r in made.items()}
    query = {k: (initiative_a.code if v == "A" else v) for k, v in query.items()}
    client.force_login(ops_lead_a)

    response = client.get(LOG, query)

    assert response.status_code == 200
    assert {names[pk] for pk in _rows(response.content.decode())} == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"state": "late"}, "State: “late” is not a state: choose one of open, overdue, answered."),
        ({"executive": "nobody"}, "Executive: Nobody asked for decisions has the username “nobody”"),
        ({"initiative": "no-such"}, "Initiative: No decision was asked about an initiative with the code “no-such”"),
    ],
)
def test_a_filter_that_cannot_be_applied_is_a_400_naming_it(client, cio, query, message):
    client.force_login(cio)

    response = client.get(LOG, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'id="decisions"' not in html


def test_the_log_is_paged_keeping_its_filters(client, coo, ops_lead_a):
    for n in range(55):
        asked(coo, ops_lead_a, question=f"Question {n}")
    client.force_login(ops_lead_a)

    first = client.get(LOG, {"executive": "coo"}).content.decode()
    second = client.get(LOG, {"executive": "coo", "page": 2}).content.decode()

    assert len(_rows(first)) == 50
    assert len(_rows(second)) == 5
    assert "?executive=coo&amp;page=2" in first


def test_an_executive_sees_what_is_asked_of_them_first(client, cio, coo, ops_lead_a):
    mine = asked(coo, ops_lead_a, question="For the COO", ago=2 * DAY)
    answered(asked(coo, ops_lead_a, question="For the COO, answered"))
    asked(cio, ops_lead_a, question="For the CIO")
    client.force_login(coo)

    html = client.get(LOG).content.decode()

    section = html[html.index('id="asked-of-you"') : html.index('id="filters"')]
    assert re.findall(r'<tr id="asked-(\d+)"', section) == [str(mine.pk)]
    assert "Overdue" in section


def test_an_ops_lead_has_nothing_asked_of_them(client, coo, ops_lead_a):
    asked(coo, ops_lead_a)
    client.force_login(ops_lead_a)

    assert 'id="asked-of-you"' not in client.get(LOG).content.decode()


def _log_of(size: int, ops_lead) -> None:
    """``size`` requests each to a different executive, from a different person, about a different
    initiative, a third of them answered: nothing a page reads can be shared between rows."""
    for n in range(size):
        executive = factories.executive(username=f"exec{n}", title="OTHER")
        asker = factories.ops_lead(username=f"asker{n}")
        initiative = factories.InitiativeFactory(technology_owner=executive)
        request = asked(executive, asker, question=f"Question {n}", ago=n * HOUR, initiative=initiative)
        if n % 3 == 0:
            answered(request, after=timedelta(minutes=30))


@pytest.mark.parametrize("size", [2, 30])
def test_the_log_costs_the_same_queries_whatever_its_size(client, coo, ops_lead_a, django_assert_max_num_queries, size):
    _log_of(size, ops_lead_a)
    asked(coo, ops_lead_a, question="For the COO")
    client.force_login(coo)

    # Session, user, roles; the filters' executives and initiatives; count, rows; asked of you; totals.
    with django_assert_max_num_queries(9):
        response = client.get(LOG, {"state": "open"})

    assert response.status_code == 200
    assert len(_rows(response.content.decode())) == size - len(range(0, size, 3)) + 1


@pytest.mark.parametrize("size", [1, 12])
def test_a_request_page_costs_the_same_queries_whatever_its_history(
    client, coo, ops_lead_a, django_assert_max_num_queries, size
):
    request = asked(coo, ops_lead_a)
    for n in range(size):
        request.note = f"Note {n}"  # history rows by other hands (the admin)
        request.save()
    client.force_login(coo)

    # Session, user, the request with its people, its history with who, roles.
    with django_assert_max_num_queries(5):
        response = client.get(detail_url(request))

    assert response.status_code == 200


# --- The ExCo page ---------------------------------------------------------------------------------------


def test_overdue_requests_show_in_the_exco_decisions_section_with_a_link_to_the_log(client, cio, coo, ops_lead_a):
    asked(coo, ops_lead_a, question="Approve the Antwerp pilot budget?", ago=2 * DAY)
    asked(cio, ops_lead_a, question="Not yet due?", ago=HOUR)
    month = timezone.localdate().strftime("%Y-%m")
    client.force_login(cio)

    html = client.get(f"/exco/{month}/").content.decode()

    section = html[html.index('<section id="decisions"') :]
    section = section[: section.index("</section>")]
    assert "2 waiting on an executive" in section
    overdue_row = section[section.index("Approve the Antwerp pilot budget?") :]
    assert "Overdue" in overdue_row[: overdue_row.index("</tr>")]
    not_due_row = section[section.index("Not yet due?") :]
    assert "Overdue" not in not_due_row[: not_due_row.index("</tr>")]
    assert f'href="{reverse("governance:decisions")}" id="decision-log-link"' in section


def test_the_exco_warning_sign_links_each_late_request_to_its_page(client, cio, coo, ops_lead_a):
    late = asked(coo, ops_lead_a, question="Approve the Antwerp pilot budget?", ago=2 * DAY)
    client.force_login(cio)

    response = client.get(f"/exco/{timezone.localdate():%Y-%m}/")

    (sign,) = [s for s in response.context["warnings"] if s.number == 4]
    assert [item["url"] for item in sign.items] == [reverse("governance:decision", args=[late.pk])]


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
    settings.EMAIL_BACKEND = "tests.governance.test_decision_log.RefusingBackend"

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


# --- In a browser -------------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_ops_lead_asks_the_coo_who_answers_and_the_log_shows_the_answer(page, live_server):
    coo = factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
    cio = factories.executive(username="cio", title="CIO", first_name="Claire", last_name="Ito")
    lead = factories.ops_lead(username="ops.lead")
    for person in (coo, lead):
        person.set_password(DEMO_PASSWORD)
        person.save()
    initiative = factories.InitiativeFactory(name="Claims triage", technology_owner=cio, operations_owner=coo)

    sign_in_at(page, live_server, "ops.lead", LOG)
    page.get_by_role("link", name="Ask for a decision").click()
    expect(page).to_have_url(re.compile(r"/governance/decisions/ask/$"))
    page.select_option("#id_executive", "coo")
    page.fill("#id_question", "Extend the claims triage pilot to Antwerp?")
    page.select_option("#id_initiative", initiative.code)
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("ul.messages")).to_contain_text("Asked Omar Okafor (COO)")
    expect(page.locator("#waiting-on")).to_contain_text("Waiting on Omar Okafor (COO)")
    request = DecisionRequest.objects.get()
    page.get_by_role("button", name="Sign out").click()

    sign_in_at(page, live_server, "coo", LOG)
    expect(page.locator("#asked-of-you")).to_contain_text("Extend the claims triage pilot to Antwerp?")
    page.locator("#asked-of-you").get_by_role("link", name="Extend the claims triage pilot to Antwerp?").click()
    page.get_by_label("Approved").check()
    page.fill("#id_note", "Start with the Antwerp fleet claims.")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("ul.messages")).to_contain_text("Answered: approved.")
    expect(page.locator("#answer")).to_contain_text("Start with the Antwerp fleet claims.")

    page.get_by_role("link", name="← Decision log").click()
    row = page.locator(f"#decision-{request.pk}")
    expect(row).to_contain_text("Approved")
    expect(row).to_contain_text("in time")
    expect(row).to_contain_text("Start with the Antwerp fleet claims.")
    expect(page.locator("#asked-of-you")).to_have_count(0)
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    request.refresh_from_db()
    assert (request.answer, request.note) == ("approved", "Start with the Antwerp fleet claims.")

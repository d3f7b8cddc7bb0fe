"""Answering a decision request: only the executive asked, once, with an answer chosen, the request's
page with its history, and asking and answering end to end in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from governance.models import DecisionRequest
from governance.services.decisions import decision_answer, decision_request_create
from scoreboard import formatting
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at
from tests.governance.decision_log_helpers import HOUR, LOG, asked, detail_url

pytestmark = pytest.mark.django_db


def answer_url(request: DecisionRequest) -> str:
    return f"{LOG}{request.pk}/answer/"


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
    when = formatting.moment(first[2])  # as every page says a moment
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
    page.get_by_role("button", name="Ask the executive").click()
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

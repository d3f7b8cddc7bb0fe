"""The decision-authority matrix's draft and its publication: one draft at a time, numbered after
the last version; publication asked by admins only, once, of the approving executive named, in
their decision log with the 24-hour target and the diff; the version takes effect only when that
executive approves it with their words, and a rejection sends it back to draft; a version
identical to the published one is refused; the version's page shows who asked, who approved,
when and their words, on the page and through the API."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from governance import selectors
from governance.models import DecisionRequest, MatrixVersion
from governance.services import matrix as services
from governance.services.decisions import decision_answer
from tests.governance.matrix_helpers import API, TODAY, api, approved, snapshot_of_rows

pytestmark = pytest.mark.django_db


# --- The draft ----------------------------------------------------------------------------------------


def test_a_draft_is_numbered_after_the_last_version_and_starts_from_the_decisions_in_force(v1, admin_user):
    old = v1.decisions.get()
    draft = services.matrix_draft_open(by=admin_user, reason="Raise the confidence bar")
    assert (draft.number, draft.status, draft.created_by) == (2, "draft", admin_user)
    copy = draft.decisions.get()
    assert copy.pk != old.pk
    for name in services.DECISION_FIELDS:
        assert getattr(copy, name) == getattr(old, name), name
    assert copy.history.get().history_user == admin_user


def test_a_second_draft_is_refused_naming_the_first(draft, admin_user):
    with pytest.raises(ValidationError) as refusal:
        services.matrix_draft_open(by=admin_user)
    assert "There is already a draft version of the matrix: v2" in str(refusal.value)
    assert MatrixVersion.objects.count() == 2


def test_admin_opens_the_draft_from_the_page(client, v1, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("governance:matrix")).content.decode()
    assert "Open a new draft from v1" in page
    response = client.post(reverse("governance:matrix-draft-open"), {"reason": "Refunds move to AI"})
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:matrix-version", args=[2])
    assert MatrixVersion.objects.get(number=2).decisions.count() == 1


# --- Asking for approval -----------------------------------------------------------------------------


def _ask(draft, admin_user, **arguments):
    return services.matrix_version_submit(
        by=admin_user,
        version=draft,
        **{"effective_from": TODAY, "reason": "Two wrong emails last quarter.", **arguments},
    )


def test_asking_puts_a_request_in_the_coos_log_due_in_24_hours_and_publishes_nothing(changed_draft, admin_user, coo):
    asked = _ask(changed_draft, admin_user)
    assert (asked.executive, asked.requested_by, asked.matrix_version) == (coo, admin_user, changed_draft)
    assert asked.due_at - asked.requested_at == timedelta(hours=24)
    assert "Approve matrix v2" in asked.question
    assert "Two wrong emails last quarter." in asked.question
    version = MatrixVersion.objects.get(number=2)
    assert version.status == "awaiting"
    assert (version.published_by, version.approved_by, version.published_at) == (admin_user, None, None)
    assert selectors.effective_version().number == 1
    assert version.history.first().history_change_reason.startswith("Asked Omar Okafor (COO) to approve it")


def test_the_version_takes_effect_only_when_the_executive_asked_approves_it_with_their_words(
    changed_draft, admin_user, coo
):
    asked = _ask(changed_draft, admin_user)
    decision_answer(decision_request=asked, by=coo, answer="approved", note="Agreed: the bar goes up.")
    version = MatrixVersion.objects.get(number=2)
    assert (version.status, version.approved_by, version.published_by) == ("published", coo, admin_user)
    assert timezone.now() - version.published_at < timedelta(minutes=1)
    assert selectors.effective_version() == version
    last = version.history.first()
    assert (last.history_user, last.history_change_reason) == (coo, f"Approved by {coo}, effective {TODAY:%Y-%m-%d}")
    assert DecisionRequest.objects.get(pk=asked.pk).note == "Agreed: the bar goes up."


def test_a_rejection_sends_it_back_to_draft_with_the_reason_and_it_can_be_asked_again(changed_draft, admin_user, coo):
    asked = _ask(changed_draft, admin_user)
    decision_answer(decision_request=asked, by=coo, answer="rejected", note="Not before the audit closes.")
    version = MatrixVersion.objects.get(number=2)
    assert (version.status, version.approved_by, version.published_at, version.published_by) == (
        "draft",
        None,
        None,
        None,
    )
    assert version.history.first().history_change_reason == f"Sent back to draft by {coo}: Not before the audit closes."
    assert selectors.effective_version().number == 1
    # Back in draft, it is edited and asked for again: a second round.
    services.matrix_decision_save(by=admin_user, decision=version.decisions.get(), data={"process": "Claims"})
    again = _ask(version, admin_user)
    assert again.pk != asked.pk
    assert again.answered_at is None


@pytest.mark.parametrize("persona", ["admin_user", "cio", "ceo", "ops_lead_a"])
def test_only_the_executive_asked_approves(request, changed_draft, admin_user, persona):
    asked = _ask(changed_draft, admin_user)
    before = snapshot_of_rows()
    with pytest.raises(
        PermissionDenied, match=re.escape("Only Omar Okafor (COO), who was asked, answers this request.")
    ):
        decision_answer(
            decision_request=asked, by=request.getfixturevalue(persona), answer="approved", note="Fine by me."
        )
    assert snapshot_of_rows() == before
    assert MatrixVersion.objects.get(number=2).status == "awaiting"


@pytest.mark.parametrize(
    ("answer", "note", "field", "message"),
    [
        ("approved", "  ", "note", "Say why, in a sentence"),
        ("rejected", "", "note", "Say why, in a sentence"),
        ("deferred", "Later.", "answer", "An approval is approved or rejected: it cannot be deferred."),
    ],
)
def test_an_approval_needs_the_approvers_words_and_cannot_be_deferred(
    changed_draft, admin_user, coo, answer, note, field, message
):
    asked = _ask(changed_draft, admin_user)
    before = snapshot_of_rows()
    with pytest.raises(ValidationError) as refusal:
        decision_answer(decision_request=asked, by=coo, answer=answer, note=note)
    assert any(message in m for m in refusal.value.message_dict[field])
    assert snapshot_of_rows() == before


def test_a_version_identical_to_the_published_one_is_refused(draft, admin_user):
    before = snapshot_of_rows()
    with pytest.raises(ValidationError) as refusal:
        _ask(draft, admin_user)
    assert refusal.value.message_dict["__all__"] == [
        "v2 is identical to v1, the latest published version: there is nothing to publish. Change a decision "
        "first, or discard the draft."
    ]
    assert snapshot_of_rows() == before


def test_the_default_approver_is_the_seat_the_setting_names(changed_draft, admin_user, coo, cio, settings):
    settings.MATRIX_APPROVER_TITLE = "CIO"
    assert _ask(changed_draft, admin_user).executive == cio


def test_the_admin_may_name_another_executive_as_approver(changed_draft, admin_user, coo, ceo):
    assert _ask(changed_draft, admin_user, approver=ceo).executive == ceo


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Say why this version changes the matrix: the reason is empty."),
        ({"effective_from": None}, "effective_from", "Give the date from which this version takes effect."),
        (
            {"effective_from": date(2025, 12, 31)},
            "effective_from",
            "A version takes effect no earlier than the latest published one: v1 took effect on 1 Jan 2026.",
        ),
        ({"approver": "ops_lead_a"}, "approver", "is not an active executive: only an executive approves the matrix."),
        ({"approver": "inactive_coo"}, "approver", "is not an active executive"),
        ({"title": "CEO"}, "approver", "No active executive holds the CEO seat: choose the approving executive."),
        ({"empty": True}, "__all__", "v2 has no decisions: add at least one before publishing it."),
    ],
)
def test_asking_is_refused_naming_the_field_and_nothing_changes(
    changed_draft, admin_user, coo, ops_lead_a, settings, change, field, message
):
    arguments = {"effective_from": TODAY, "reason": "Why.", "approver": None}
    arguments.update({k: v for k, v in change.items() if k in arguments})
    if change.get("approver") == "ops_lead_a":
        arguments["approver"] = ops_lead_a
    if change.get("approver") == "inactive_coo":
        coo.is_active = False
        coo.save()
        arguments["approver"] = coo
    if "title" in change:
        settings.MATRIX_APPROVER_TITLE = change["title"]
    if change.get("empty"):
        changed_draft.decisions.all().delete()
    before = snapshot_of_rows()
    with pytest.raises(ValidationError) as refusal:
        services.matrix_version_submit(by=admin_user, version=changed_draft, **arguments)
    assert any(message in m for m in refusal.value.message_dict[field])
    assert snapshot_of_rows() == before


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a"])
def test_only_admins_ask_for_publication(request, changed_draft, persona):
    with pytest.raises(PermissionDenied, match=re.escape("Only admins ask for the decision-authority matrix")):
        _ask(changed_draft, request.getfixturevalue(persona))
    assert MatrixVersion.objects.get(number=2).status == "draft"
    assert not DecisionRequest.objects.exists()


def test_nothing_in_a_version_waiting_for_approval_changes_and_no_new_draft_opens(changed_draft, admin_user):
    _ask(changed_draft, admin_user)
    before = snapshot_of_rows()
    with pytest.raises(PermissionDenied):
        services.matrix_decision_save(
            by=admin_user, decision=changed_draft.decisions.get(), data={"process": "Sneaked in"}
        )
    with pytest.raises(ValidationError, match="No new draft yet: Matrix v2 is already waiting for Omar Okafor"):
        services.matrix_draft_open(by=admin_user)
    assert snapshot_of_rows() == before


def test_a_second_ask_is_refused_as_no_longer_a_draft_on_the_page_and_the_api(client, changed_draft, admin_user):
    body = {"effective_from": TODAY.isoformat(), "reason": "Why.", "approver": ""}
    client.force_login(admin_user)
    url = reverse("governance:matrix-publish", args=[2])
    assert client.post(url, body).status_code == 302
    again = client.post(url, body)  # a double click
    assert again.status_code == 409
    assert "Matrix v2 is already waiting for Omar Okafor (COO)&#x27;s approval" in again.content.decode()
    retry = api(client, admin_user, "POST", f"{API}/matrix-versions/2/publish/", {**body, "approver": None})
    assert retry.status_code == 409
    assert "already waiting" in retry.json()["detail"]
    assert DecisionRequest.objects.filter(matrix_version__number=2).count() == 1


def test_the_api_asks_answers_202_and_the_coo_approves_through_the_api(client, changed_draft, admin_user, coo):
    body = {"effective_from": TODAY.isoformat(), "reason": "Raise the bar."}
    asked = api(client, admin_user, "POST", f"{API}/matrix-versions/2/publish/", body)
    assert asked.status_code == 202
    request_id = asked.json()["id"]
    assert (asked.json()["executive"], asked.json()["matrix_version"]) == ("coo", 2)
    assert api(client, admin_user, "GET", f"{API}/matrix-versions/2/").json()["status"] == "awaiting"
    refused = api(client, admin_user, "POST", f"{API}/decision-requests/{request_id}/answer/", {"answer": "approved"})
    assert refused.status_code == 403
    answer = {"answer": "approved", "note": "Agreed."}
    done = api(client, coo, "POST", f"{API}/decision-requests/{request_id}/answer/", answer)
    assert done.status_code == 200, done.content
    version = api(client, coo, "GET", f"{API}/matrix-versions/2/").json()
    assert (version["status"], version["approved_by"], version["published_by"]) == ("published", "coo", "admin")


def test_the_coo_sees_the_request_with_its_diff_and_approves_it_on_the_page(client, changed_draft, admin_user, coo):
    client.force_login(admin_user)
    form = client.get(reverse("governance:matrix-publish", args=[2]))
    assert form.context["form"].initial["approver"] == coo
    response = client.post(
        reverse("governance:matrix-publish", args=[2]),
        {"effective_from": TODAY.isoformat(), "reason": "Raise the bar.", "approver": ""},
        follow=True,
    )
    page = response.content.decode()
    assert "Asked Omar Okafor (COO) to approve matrix v2" in page
    assert "<strong>Awaiting approval</strong>: asked of Omar Okafor (COO)" in page
    asked = DecisionRequest.objects.get(matrix_version__number=2)

    client.force_login(coo)
    log = client.get(reverse("governance:decisions")).content.decode()
    assert f'id="asked-{asked.pk}"' in log
    detail = client.get(reverse("governance:decision", args=[asked.pk])).content.decode()
    assert "Against v1, the latest published version: 0 decisions added, 0 removed, 1 changed" in detail
    assert "AI executes and notifies a human → <strong>A human approves before execution</strong>" in detail
    response = client.post(
        reverse("governance:decision-answer", args=[asked.pk]),
        {"answer": "approved", "note": "Agreed: the bar goes up."},
        follow=True,
    )
    assert response.status_code == 200
    page = client.get(reverse("governance:matrix-version", args=[2])).content.decode()
    assert "<strong>In force</strong> since" in page
    approval = page[page.index('id="approval"') :]
    assert f"Asked of <strong>{coo}</strong> by {admin_user} on" in approval
    assert f"by {coo} on" in approval
    assert "Agreed: the bar goes up." in approval


def test_the_answer_form_refuses_an_approval_without_words_with_400_and_stores_nothing(
    client, changed_draft, admin_user, coo
):
    asked = _ask(changed_draft, admin_user)
    client.force_login(coo)
    before = snapshot_of_rows()
    response = client.post(reverse("governance:decision-answer", args=[asked.pk]), {"answer": "approved", "note": ""})
    assert response.status_code == 400
    assert "Say why, in a sentence" in response.content.decode()
    assert snapshot_of_rows() == before


def test_the_publish_form_says_what_is_wrong_with_400_and_stores_nothing(client, changed_draft, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("governance:matrix-publish", args=[2]), {"effective_from": "2025-06-01", "reason": "", "approver": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Reason: Say why this version changes the matrix: the reason is empty." in page
    assert "v1 took effect on 1 Jan 2026" in page
    assert MatrixVersion.objects.get(number=2).status == "draft"


def test_a_version_approved_for_a_later_date_takes_effect_then(client, changed_draft, admin_user, coo, cio):
    later = TODAY + timedelta(days=30)
    approved(admin_user, changed_draft, effective_from=later, reason="Next month.")
    assert selectors.effective_version().number == 1
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-version", args=[2])).content.decode()
    assert f"takes effect on {later:%-d %b %Y}" in page
    assert selectors.effective_version(on=later).number == 2


def test_a_date_that_passed_while_it_waited_becomes_the_day_it_is_approved(
    changed_draft, admin_user, coo, time_machine
):
    asked = _ask(changed_draft, admin_user)
    time_machine.move_to(timezone.now() + timedelta(days=3))
    decision_answer(decision_request=asked, by=coo, answer="approved", note="Late, but yes.")
    version = MatrixVersion.objects.get(number=2)
    assert version.effective_from == timezone.localdate()
    assert "(its date passed while it waited)" in version.history.first().history_change_reason

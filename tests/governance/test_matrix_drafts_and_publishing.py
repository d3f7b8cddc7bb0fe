"""The decision-authority matrix's draft and its publishing: one draft at a time, numbered after the
last version; publishing with its date, reason, publisher and approver, by admins only, once, on
the page and through the API; a version published for a later date taking effect then."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from governance import selectors
from governance.models import MatrixVersion
from governance.services import matrix as services
from tests.governance.matrix_helpers import API, TODAY, api, snapshot_of_rows

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
    assert "New draft from v1" in page
    response = client.post(reverse("governance:matrix-draft-open"), {"reason": "Refunds move to AI"})
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:matrix-version", args=[2])
    assert MatrixVersion.objects.get(number=2).decisions.count() == 1


# --- Publishing ----------------------------------------------------------------------------------------


def test_publishing_records_the_date_reason_publisher_time_and_the_coo_as_default_approver(draft, admin_user, coo):
    version = services.matrix_version_publish(
        by=admin_user, version=draft, effective_from=TODAY, reason="Two wrong emails last quarter."
    )
    version.refresh_from_db()
    assert version.status == "published"
    assert version.effective_from == TODAY
    assert version.reason == "Two wrong emails last quarter."
    assert (version.published_by, version.approved_by) == (admin_user, coo)
    assert timezone.now() - version.published_at < timedelta(minutes=1)
    last = version.history.first()
    assert last.history_user == admin_user
    assert last.history_change_reason.startswith(f"Published, effective {TODAY:%Y-%m-%d}, approved by")
    assert selectors.effective_version() == version


def test_the_default_approver_is_the_seat_the_setting_names(draft, admin_user, coo, cio, settings):
    settings.MATRIX_APPROVER_TITLE = "CIO"
    version = services.matrix_version_publish(by=admin_user, version=draft, effective_from=TODAY, reason="Why.")
    assert version.approved_by == cio


def test_the_admin_may_name_another_executive_as_approver(draft, admin_user, coo, ceo):
    version = services.matrix_version_publish(
        by=admin_user, version=draft, effective_from=TODAY, reason="Why.", approver=ceo
    )
    assert version.approved_by == ceo


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
def test_publishing_is_refused_naming_the_field_and_nothing_changes(
    draft, admin_user, coo, ops_lead_a, settings, change, field, message
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
        draft.decisions.all().delete()
    before = snapshot_of_rows()
    with pytest.raises(ValidationError) as refusal:
        services.matrix_version_publish(by=admin_user, version=draft, **arguments)
    assert any(message in m for m in refusal.value.message_dict[field])
    assert snapshot_of_rows() == before


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a"])
def test_only_admins_publish(request, draft, persona):
    with pytest.raises(PermissionDenied, match=re.escape("Only admins publish the decision-authority matrix.")):
        services.matrix_version_publish(
            by=request.getfixturevalue(persona), version=draft, effective_from=TODAY, reason="Why."
        )
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_second_publish_is_refused_as_no_longer_a_draft_on_the_page_and_the_api(client, draft, admin_user):
    body = {"effective_from": TODAY.isoformat(), "reason": "Why.", "approver": ""}
    client.force_login(admin_user)
    url = reverse("governance:matrix-publish", args=[2])
    assert client.post(url, body).status_code == 302
    published_at = MatrixVersion.objects.get(number=2).published_at

    again = client.post(url, body)  # a double click
    assert again.status_code == 409
    assert "Matrix v2 is already published" in again.content.decode()
    assert "it is no longer a draft" in again.content.decode()
    retry = api(client, admin_user, "POST", f"{API}/matrix-versions/2/publish/", {**body, "approver": None})
    assert retry.status_code == 409
    assert "no longer a draft" in retry.json()["detail"]
    assert MatrixVersion.objects.get(number=2).published_at == published_at


def test_admin_publishes_on_the_page_and_the_matrix_shows_the_version_in_force(client, draft, admin_user, coo):
    client.force_login(admin_user)
    form = client.get(reverse("governance:matrix-publish", args=[2]))
    assert form.context["form"].initial["approver"] == coo
    assert form.context["form"].initial["effective_from"] == TODAY
    response = client.post(
        reverse("governance:matrix-publish", args=[2]),
        {"effective_from": TODAY.isoformat(), "reason": "Raise the bar.", "approver": ""},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("governance:matrix")
    assert "Matrix v2 published: it is in force now." in page
    assert re.search(r'id="version-number">v2<', page)
    assert "<strong>In force</strong> since" in page
    assert "approved by Omar Okafor (COO)" in page


def test_the_publish_form_says_what_is_wrong_with_400_and_stores_nothing(client, draft, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("governance:matrix-publish", args=[2]), {"effective_from": "2025-06-01", "reason": "", "approver": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Reason: Say why this version changes the matrix: the reason is empty." in page
    assert "v1 took effect on 1 Jan 2026" in page
    assert MatrixVersion.objects.get(number=2).status == "draft"


def test_a_version_published_for_a_later_date_takes_effect_then(client, draft, admin_user, cio):
    later = TODAY + timedelta(days=30)
    services.matrix_version_publish(by=admin_user, version=draft, effective_from=later, reason="Next month.")
    assert selectors.effective_version().number == 1
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-version", args=[2])).content.decode()
    assert f"takes effect on {later:%-d %b %Y}" in page
    assert selectors.effective_version(on=later).number == 2

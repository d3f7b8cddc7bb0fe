"""The decision-authority matrix: the draft and its decisions, publishing, comparing versions,
stale edits, live bounds (on the matrix and the ExCo page), admin-only editing on the pages,
the API and the admin, the history, the CSV and print views for auditors, query counts, and an
admin editing a cell and publishing in Chromium."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from governance import selectors
from governance.models import AutonomyTier, MatrixDecision, MatrixVersion
from governance.services import matrix as services
from metrics.models import MonthlySnapshot
from scoreboard import demo
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at

pytestmark = pytest.mark.django_db

API = "/api/v1"
TODAY = timezone.localdate()
MARCH = date(2026, 3, 1)


# --- Making a matrix ----------------------------------------------------------------------------------


def published(admin, approver, *, number=1, effective_from=date(2026, 1, 1), **extra) -> MatrixVersion:
    return MatrixVersion.objects.create(
        number=number,
        status=MatrixVersion.Status.PUBLISHED,
        effective_from=effective_from,
        reason="The matrix the COO's office kept.",
        created_by=admin,
        published_by=admin,
        approved_by=approver,
        published_at=timezone.now(),
        **extra,
    )


def decision(version, key="claims-fast-track", **fields) -> MatrixDecision:
    return factories.MatrixDecisionFactory(version=version, key=key, **fields)


def monitored(version, kpi, *, key="watched", threshold="3", when="above", **fields) -> MatrixDecision:
    return decision(version, key, monitoring_kpi=kpi, breach_threshold=Decimal(threshold), breach_when=when, **fields)


def snapshot(kpi, value, *, initiative=None, month=MARCH) -> MonthlySnapshot:
    return MonthlySnapshot.objects.create(
        kpi=kpi, initiative=initiative, month=month, value=Decimal(str(value)), computed_at=timezone.now()
    )


@pytest.fixture
def v1(admin_user, coo):
    """The published version in force since January, with one decision."""
    version = published(admin_user, coo)
    decision(version, autonomy_tier=AutonomyTier.AI_NOTIFIES)
    return version


@pytest.fixture
def draft(v1, admin_user):
    """The draft v2 opened from v1 (a copy of its decision)."""
    return services.matrix_draft_open(by=admin_user, reason="Raise the confidence bar")


def draft_decision(draft) -> MatrixDecision:
    return draft.decisions.get()


def api(client, user, method, url, body=None):
    client.force_login(user)
    return client.generic(method, url, json.dumps(body) if body is not None else "", content_type="application/json")


def cell_url(d: MatrixDecision) -> str:
    return reverse("governance:matrix-decision-edit", args=[d.version.number, d.pk])


def snapshot_of_rows() -> list:
    return list(MatrixDecision.objects.order_by("pk").values()) + list(MatrixVersion.objects.order_by("pk").values())


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
            "A version takes effect no earlier than the latest published one: v1 took effect on 2026-01-01.",
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
    assert "v1 took effect on 2026-01-01" in page
    assert MatrixVersion.objects.get(number=2).status == "draft"


def test_a_version_published_for_a_later_date_takes_effect_then(client, draft, admin_user, cio):
    later = TODAY + timedelta(days=30)
    services.matrix_version_publish(by=admin_user, version=draft, effective_from=later, reason="Next month.")
    assert selectors.effective_version().number == 1
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-version", args=[2])).content.decode()
    assert f"takes effect on {later:%-d %B %Y}" in page
    assert selectors.effective_version(on=later).number == 2


# --- Comparing -----------------------------------------------------------------------------------------


@pytest.fixture
def two_versions(admin_user, coo, kpi):
    old = published(admin_user, coo)
    decision(old, "kept")
    decision(old, "dropped", decision="Close a claim")
    decision(old, "tuned", confidence_threshold=Decimal("0.800"), autonomy_tier=AutonomyTier.AI_NOTIFIES)
    new = factories.MatrixVersionFactory(number=2, created_by=admin_user)
    decision(new, "kept")
    decision(new, "tuned", confidence_threshold=Decimal("0.900"), autonomy_tier=AutonomyTier.HUMAN_APPROVES)
    monitored(new, kpi, key="added", decision="Refund under 100 EUR")
    return old, new


def test_compare_names_what_was_added_removed_and_changed_field_by_field(two_versions):
    old, new = two_versions
    comparison = services.matrix_compare(old=old, new=new)
    assert [d.key for d in comparison.added] == ["added"]
    assert [d.key for d in comparison.removed] == ["dropped"]
    assert comparison.unchanged == 1
    (changed,) = comparison.changed
    assert changed.new.key == "tuned"
    assert [(f.label, f.before, f.after) for f in changed.fields] == [
        ("Autonomy tier", "AI executes and notifies a human", "A human approves before execution"),
        ("Confidence threshold", "0.800", "0.900"),
    ]


def test_compare_works_in_either_order(two_versions):
    old, new = two_versions
    backwards = services.matrix_compare(old=new, new=old)
    assert [d.key for d in backwards.added] == ["dropped"]
    assert [d.key for d in backwards.removed] == ["added"]
    assert [(f.before, f.after) for f in backwards.changed[0].fields][1] == ("0.900", "0.800")


def test_the_compare_page_shows_the_versions_side_by_side_with_changes_highlighted(client, cio, two_versions):
    client.force_login(cio)
    response = client.get(reverse("governance:matrix-compare"), {"old": 1, "new": 2})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="added-count">1 added</span>' in page
    assert 'class="compare compare-added" id="compare-added"' in page
    assert 'class="compare compare-removed" id="compare-dropped"' in page
    tuned = page[page.index('id="compare-tuned"') :]
    tuned = tuned[: tuned.index("</table>")]
    assert re.search(r'<tr class="changed"><th scope="row">Confidence threshold</th>\s*<td class="before">0.800', tuned)
    assert '0.900 <span class="change-mark">changed</span>' in tuned
    assert '<tr class=""><th scope="row">Escalation owner</th>' in tuned
    assert 'id="compare-kept"' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"old": "one", "new": "2"}, "The “old” parameter is a matrix version&#x27;s number, such as old=1."),
        ({"new": "2"}, "The “old” parameter is a matrix version&#x27;s number, such as old=1."),
        ({"old": "1", "new": "9"}, "The “new” parameter names version 9, and there is no matrix v9."),
        ({"old": "0", "new": "1"}, "The “old” parameter is a matrix version&#x27;s number"),
    ],
)
def test_the_compare_page_refuses_a_bad_version_with_400_naming_the_parameter(
    client, cio, two_versions, query, message
):
    client.force_login(cio)
    response = client.get(reverse("governance:matrix-compare"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


# --- Editing the draft: stale edits -------------------------------------------------------------------


def test_an_admin_edits_one_cell_of_the_draft_and_history_says_who_and_what(client, draft, admin_user):
    d = draft_decision(draft)
    client.force_login(admin_user)
    response = client.post(
        cell_url(d), {"cell": "confidence_threshold", "confidence_threshold": "0.970", "read_at": d.updated_at}
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.confidence_threshold == Decimal("0.970")
    assert d.autonomy_tier == AutonomyTier.AI_NOTIFIES  # the other cells are as they were
    last = d.history.first()
    assert (last.history_user, last.history_change_reason) == (admin_user, "Changed confidence threshold")
    history = client.get(reverse("governance:matrix-history")).content.decode()
    assert "Confidence threshold: 0.850 → <strong>0.970</strong>" in history


def test_without_script_a_cells_link_opens_its_form_on_a_page_of_its_own(client, draft, admin_user):
    d = draft_decision(draft)
    client.force_login(admin_user)
    grid = client.get(reverse("governance:matrix-version", args=[2])).content.decode()
    link = f"{cell_url(d)}?cell=autonomy_tier"
    assert f'href="{link}"' in grid
    page = client.get(link)
    assert page.status_code == 200
    assert list(page.context["form"].fields) == ["read_at", "autonomy_tier"]
    assert page.context["form"]["read_at"].value() == d.updated_at.isoformat()
    assert page.context["form"]["autonomy_tier"].value() == AutonomyTier.AI_NOTIFIES


def test_a_stale_cell_edit_answers_409_naming_who_changed_it_and_stores_nothing(client, draft, admin_user, settings):
    d = draft_decision(draft)
    read_at = d.updated_at
    other = factories.admin(username="admin2", first_name="Ada", last_name="Other")
    services.matrix_decision_save(by=other, decision=d, data={"escalation_owner": "Head of claims"})
    before = snapshot_of_rows()
    client.force_login(admin_user)
    response = client.post(cell_url(d), {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous", "read_at": read_at})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Nothing was saved: Ada Other changed" in page
    assert "after you opened it. Reload the matrix to see their change, then make yours again." in page
    assert snapshot_of_rows() == before


def test_a_stale_api_edit_answers_409_and_stores_nothing(client, draft, admin_user):
    d = draft_decision(draft)
    read = api(client, admin_user, "GET", f"{API}/matrix-decisions/{d.pk}/").json()["updated_at"]
    services.matrix_decision_save(by=admin_user, decision=d, data={"escalation_owner": "Head of claims"})
    before = snapshot_of_rows()
    response = api(
        client,
        admin_user,
        "PATCH",
        f"{API}/matrix-decisions/{d.pk}/",
        {"autonomy_tier": "ai_autonomous", "updated_at": read},
    )
    assert response.status_code == 409
    assert "Nothing was saved: " in response.json()["detail"]
    assert snapshot_of_rows() == before
    fresh = api(client, admin_user, "GET", f"{API}/matrix-decisions/{d.pk}/").json()["updated_at"]
    ok = api(
        client,
        admin_user,
        "PATCH",
        f"{API}/matrix-decisions/{d.pk}/",
        {"autonomy_tier": "ai_autonomous", "updated_at": fresh},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["autonomy_tier"] == "ai_autonomous"


def test_a_stale_delete_is_refused_and_the_decision_stays(client, draft, admin_user):
    d = draft_decision(draft)
    read_at = d.updated_at
    services.matrix_decision_save(by=admin_user, decision=d, data={"escalation_owner": "Head of claims"})
    client.force_login(admin_user)
    url = reverse("governance:matrix-decision-delete", args=[2, d.pk])
    response = client.post(url, {"read_at": read_at.isoformat()})
    assert response.status_code == 409
    assert MatrixDecision.objects.filter(pk=d.pk).exists()
    assert client.post(url, {"read_at": MatrixDecision.objects.get(pk=d.pk).updated_at.isoformat()}).status_code == 302
    assert not MatrixDecision.objects.filter(pk=d.pk).exists()
    assert MatrixDecision.history.filter(id=d.pk, history_type="-").get().history_user == admin_user


# --- Editing the draft: the rules -------------------------------------------------------------------------


NEW_DECISION = {
    "key": "approve-refund",
    "process": "Refunds",
    "initiative": "",
    "decision": "Approve a refund under 100 EUR",
    "autonomy_tier": "ai_notifies",
    "confidence_threshold": "0.900",
    "escalation_owner": "Refunds team lead",
    "accountable_executive": "COO",
    "override_protocol": "The team lead reverses it in the refunds tool.",
    "audit_trail": "summary",
    "monitoring_kpi": "",
    "breach_threshold": "",
    "breach_when": "",
    "read_at": "",
}


def test_an_admin_adds_a_decision_to_the_draft(client, draft, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("governance:matrix-decision-add", args=[2]), NEW_DECISION)
    assert response.status_code == 302
    added = draft.decisions.get(key="approve-refund")
    assert added.history.get().history_change_reason == "Added to the draft v2"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"key": "claims-fast-track"}, "key", "v2 already has a decision with the key “claims-fast-track”."),
        ({"confidence_threshold": "1.500"}, "confidence_threshold", "Confidence threshold is a probability"),
        ({"breach_threshold": "3"}, "breach_threshold", "A monitoring signal needs a KPI, a breach threshold"),
        ({"autonomy_tier": "ai_rules_all"}, "autonomy_tier", "Select a valid choice."),
    ],
)
def test_an_invalid_decision_is_refused_with_400_on_its_field_and_nothing_stored(
    client, draft, admin_user, change, field, message
):
    client.force_login(admin_user)
    before = snapshot_of_rows()
    response = client.post(reverse("governance:matrix-decision-add", args=[2]), {**NEW_DECISION, **change})
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert snapshot_of_rows() == before


def test_the_service_refuses_an_incomplete_monitoring_signal_on_its_field(draft, admin_user, kpi):
    with pytest.raises(ValidationError) as refusal:
        services.matrix_decision_save(
            by=admin_user, decision=draft_decision(draft), data={"monitoring_kpi": kpi, "breach_threshold": 5}
        )
    assert "breach_threshold" in refusal.value.message_dict


def test_a_published_version_is_not_changed_even_by_an_admin(client, v1, admin_user):
    d = v1.decisions.get()
    before = snapshot_of_rows()
    with pytest.raises(PermissionDenied, match="matrix v1 is published; changes go into a new draft version"):
        services.matrix_decision_save(by=admin_user, decision=d, data={"autonomy_tier": "ai_autonomous"})
    with pytest.raises(PermissionDenied, match="changes go into a new draft version"):
        services.matrix_decision_save(by=admin_user, version=v1, data={"key": "new-one", "decision": "New"})
    with pytest.raises(PermissionDenied, match="changes go into a new draft version"):
        services.matrix_decision_delete(by=admin_user, decision=d)
    client.force_login(admin_user)
    response = client.post(cell_url(d), {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous"})
    assert response.status_code == 403
    page = client.get(reverse("governance:matrix-version", args=[1])).content.decode()
    assert "cell-edit" not in page
    assert snapshot_of_rows() == before


def _page_writes(draft):
    d = draft_decision(draft)
    return [
        (reverse("governance:matrix-draft-open"), {"reason": "Mine"}),
        (reverse("governance:matrix-decision-add", args=[2]), NEW_DECISION),
        (cell_url(d), {"cell": "autonomy_tier", "autonomy_tier": "ai_autonomous", "read_at": d.updated_at}),
        (reverse("governance:matrix-decision-edit", args=[2, d.pk]), {**NEW_DECISION, "read_at": d.updated_at}),
        (reverse("governance:matrix-decision-delete", args=[2, d.pk]), {"read_at": d.updated_at}),
        (reverse("governance:matrix-publish", args=[2]), {"effective_from": TODAY, "reason": "Mine", "approver": ""}),
    ]


@pytest.mark.parametrize("persona", ["cio", "coo", "ops_lead_a"])
def test_executives_and_ops_leads_are_refused_every_page_write_and_nothing_changes(client, request, draft, persona):
    client.force_login(request.getfixturevalue(persona))
    before = snapshot_of_rows()
    for url, body in _page_writes(draft):
        response = client.post(url, body)
        assert response.status_code == 403, url
    assert snapshot_of_rows() == before
    page = client.get(reverse("governance:matrix-version", args=[2])).content.decode()
    assert "cell-edit" not in page
    assert "Add a decision" not in page
    assert "Publish v2" not in page


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executives_and_ops_leads_are_refused_every_api_write_and_nothing_changes(client, request, draft, persona):
    user = request.getfixturevalue(persona)
    d = draft_decision(draft)
    before = snapshot_of_rows()
    writes = [
        ("POST", f"{API}/matrix-versions/", {"reason": "Mine"}),
        ("POST", f"{API}/matrix-versions/2/publish/", {"effective_from": TODAY.isoformat(), "reason": "Mine"}),
        ("POST", f"{API}/matrix-decisions/", {**NEW_DECISION, "version": 2, "initiative": None}),
        ("PATCH", f"{API}/matrix-decisions/{d.pk}/", {"autonomy_tier": "ai_autonomous"}),
        ("DELETE", f"{API}/matrix-decisions/{d.pk}/", None),
    ]
    for method, url, body in writes:
        assert api(client, user, method, url, body).status_code == 403, (method, url)
    assert snapshot_of_rows() == before


def test_the_api_publishes_the_draft_with_the_default_approver(client, draft, admin_user, coo):
    response = api(
        client,
        admin_user,
        "POST",
        f"{API}/matrix-versions/2/publish/",
        {"effective_from": TODAY.isoformat(), "reason": "Why."},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["approved_by"]) == ("published", "coo")


def test_the_api_refuses_an_empty_reason_on_its_field(client, draft, admin_user):
    response = api(
        client,
        admin_user,
        "POST",
        f"{API}/matrix-versions/2/publish/",
        {"effective_from": TODAY.isoformat(), "reason": ""},
    )
    assert response.status_code == 400
    assert response.json()["reason"] == ["Say why this version changes the matrix: the reason is empty."]
    assert MatrixVersion.objects.get(number=2).status == "draft"


# --- The admin goes through the service ------------------------------------------------------------------


def _admin_form_data(client, url):
    form = client.get(url).context["adminform"].form
    return {name: ("" if value is None else value) for name, value in form.initial.items()}


def test_a_change_in_the_django_admin_is_saved_through_the_service(client, draft, admin_user):
    d = draft_decision(draft)
    client.force_login(admin_user)
    url = reverse("admin:governance_matrixdecision_change", args=[d.pk])
    data = _admin_form_data(client, url)
    data.update(version=draft.pk, confidence_threshold="0.990", initiative="", monitoring_kpi="")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    d.refresh_from_db()
    assert d.confidence_threshold == Decimal("0.990")
    assert d.history.first().history_change_reason == "Changed confidence threshold"


def test_the_django_admin_refuses_a_stale_change_and_a_duplicate_key(client, draft, admin_user):
    d = draft_decision(draft)
    other = decision(draft, "other-decision")
    client.force_login(admin_user)
    url = reverse("admin:governance_matrixdecision_change", args=[d.pk])
    data = _admin_form_data(client, url)
    data.update(version=draft.pk, initiative="", monitoring_kpi="", key=other.key)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "v2 already has a decision with the key “other-decision”." in response.content.decode()
    services.matrix_decision_save(by=admin_user, decision=d, data={"escalation_owner": "Head of claims"})
    data.update(key=d.key, confidence_threshold="0.990")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Nothing was saved: " in response.content.decode()
    d.refresh_from_db()
    assert d.confidence_threshold == Decimal("0.850")


def test_the_admin_cannot_change_a_published_decision_in_the_django_admin(client, v1, admin_user):
    d = v1.decisions.get()
    client.force_login(admin_user)
    url = reverse("admin:governance_matrixdecision_change", args=[d.pk])
    data = _admin_form_data(client, url)
    data.update(version=v1.pk, decision="Changed", initiative="", monitoring_kpi="")
    assert client.post(url, data).status_code == 403
    d.refresh_from_db()
    assert d.decision != "Changed"


# --- Live bounds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "threshold", "value", "outside"),
    [
        ("above", "3", "3.5", True),
        ("above", "3", "3", False),  # at the threshold is within
        ("above", "3", "2.5", False),
        ("below", "70", "65", True),
        ("below", "70", "75", False),
    ],
)
def test_a_decision_is_outside_its_bounds_when_the_latest_figure_breaches_its_threshold(
    v1, kpi, when, threshold, value, outside
):
    d = monitored(v1, kpi, key="watched", threshold=threshold, when=when)
    snapshot(kpi, value)
    found = selectors.decisions_outside_bounds()
    assert [b.decision.pk for b in found] == ([d.pk] if outside else [])


def test_the_latest_figure_counts_not_an_older_breach(v1, kpi):
    monitored(v1, kpi, threshold="3", when="above")
    snapshot(kpi, 9, month=date(2026, 2, 1))
    snapshot(kpi, 1, month=MARCH)
    assert selectors.decisions_outside_bounds() == []
    assert len(selectors.decisions_outside_bounds(month=date(2026, 2, 1))) == 1  # as the ExCo saw February


def test_the_initiatives_own_figure_counts_before_the_company_wide_one(v1, kpi, initiative_a, initiative_b):
    watched_a = monitored(v1, kpi, key="a", initiative=initiative_a, threshold="3", when="above")
    watched_b = monitored(v1, kpi, key="b", initiative=initiative_b, threshold="3", when="above")
    snapshot(kpi, 9)  # company-wide: a breach
    snapshot(kpi, 1, initiative=initiative_a)  # initiative A's own figure: within
    found = {b.decision.pk: b for b in selectors.decisions_outside_bounds()}
    assert set(found) == {watched_b.pk}  # B has no figure of its own: the company-wide one counts
    assert found[watched_b.pk].scope == "company-wide"
    snapshot(kpi, 5, initiative=initiative_a, month=date(2026, 4, 1))
    found = {b.decision.pk: b for b in selectors.decisions_outside_bounds()}
    assert found[watched_a.pk].scope == "initiative"
    assert found[watched_a.pk].value == Decimal(5)


@pytest.mark.parametrize(
    ("tier", "suggested"),
    [
        (AutonomyTier.AI_AUTONOMOUS, AutonomyTier.AI_NOTIFIES),
        (AutonomyTier.AI_NOTIFIES, AutonomyTier.HUMAN_APPROVES),
        (AutonomyTier.HUMAN_APPROVES, AutonomyTier.HUMAN_ONLY),
        (AutonomyTier.HUMAN_ONLY, None),
    ],
)
def test_the_suggestion_is_one_tier_toward_human_control(v1, kpi, tier, suggested):
    monitored(v1, kpi, autonomy_tier=tier)
    snapshot(kpi, 9)
    (bound,) = selectors.decisions_outside_bounds()
    assert bound.suggested_tier == suggested
    if suggested is None:
        assert bound.suggestion.startswith("It is already human only: there is no further tier toward human control.")
    else:
        assert f"to “{suggested.label}”" in bound.suggestion


def test_a_draft_decision_is_not_on_the_exco_page_only_the_version_in_force(client, draft, kpi, cio):
    monitored(draft, kpi, key="draft-only")
    snapshot(kpi, 9)
    assert selectors.decisions_outside_bounds() == []


def test_the_matrix_page_marks_a_decision_outside_its_bounds_with_its_figure_and_suggestion(client, v1, kpi, cio):
    d = monitored(v1, kpi, key="watched", decision="Send a status email", autonomy_tier=AutonomyTier.AI_AUTONOMOUS)
    snapshot(kpi, 4.5)
    client.force_login(cio)
    page = client.get(reverse("governance:matrix")).content.decode()
    row = page[page.index(f'id="decision-{d.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="decision outside"' in row
    assert "Outside its bounds." in row
    assert "Move it one tier toward human control: from “AI executes autonomously” to “AI executes and notifies" in row
    assert "Latest: 4.5" in row
    assert "1 decision outside its bounds" in page


def test_the_exco_page_lists_decisions_outside_their_bounds_with_a_link_to_the_matrix(client, v1, kpi, cio):
    d = monitored(v1, kpi, key="watched", decision="Send a status email", threshold="70", when="below")
    snapshot(kpi, 65)
    client.force_login(cio)
    page = client.get(reverse("exco-month", args=[MARCH])).content.decode()
    section = page[page.index('id="matrix-bounds"') :]
    section = section[: section.index("</section>")]
    assert 'id="outside-watched"' in section
    assert f'href="/governance/matrix/1/#decision-{d.pk}"' in section
    assert "below the" in section
    assert "from “A human approves before execution” to “Human only”" in section
    february = client.get(reverse("exco-month", args=[date(2026, 2, 1)])).content.decode()
    assert 'id="outside-watched"' not in february  # no figure yet in February
    assert "Within bounds" in february


# --- History, CSV and print ------------------------------------------------------------------------------


def test_the_history_lists_every_change_with_who_when_and_why(client, draft, admin_user, cio):
    services.matrix_version_publish(by=admin_user, version=draft, effective_from=TODAY, reason="Raise the bar.")
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-history")).content.decode()
    assert "version v2" in page
    assert "Published, effective" in page
    assert "Status: Draft → <strong>Published</strong>" in page
    assert "Copied from v1 into the draft" in page
    assert "Draft opened from v1" in page


def test_the_csv_export_has_a_header_every_decision_and_escapes_formulas(client, v1, cio, kpi):
    monitored(v1, kpi, key="watched", override_protocol='=HYPERLINK("http://evil")')
    client.force_login(cio)
    response = client.get(reverse("governance:matrix-csv", args=[1]))
    assert response["Content-Disposition"] == 'attachment; filename="decision-matrix-v1-effective-2026-01-01.csv"'
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("version,version_status,effective_from,process,initiative,initiative_name,key,decision")
    assert len(lines) == 3
    assert "'=HYPERLINK" in lines[2]
    assert "fixture-kpi" in lines[2]


def test_the_print_view_shows_the_version_its_publication_and_every_decision(client, v1, cio):
    decision(v1, "second", decision="Close a claim")
    client.force_login(cio)
    page = client.get(reverse("governance:matrix-print", args=[1])).content.decode()
    for text in (
        "Decision-authority matrix v1",
        "1 January 2026",
        "The matrix the COO&#x27;s office kept.",
        "Omar Okafor (COO)",
        "Approve a low-value claim",
        "Close a claim",
    ):
        assert text in page, text
    assert 'href="/static/css/matrix.css"' in page


# --- Query counts --------------------------------------------------------------------------------------


def _versions_of(size, admin_user, coo, kpi, initiatives):
    v1 = published(admin_user, coo)
    v2 = factories.MatrixVersionFactory(number=2, created_by=admin_user)
    for version in (v1, v2):
        for n in range(size):
            monitored(
                version,
                kpi,
                key=f"decision-{n}",
                process=f"Process {n % 3}",
                initiative=initiatives[n % len(initiatives)],
                confidence_threshold=Decimal("0.5") if version is v1 else Decimal("0.6"),
            )
    for initiative in initiatives:
        snapshot(kpi, 4, initiative=initiative)
    return v1, v2


@pytest.mark.parametrize("size", [3, 30])
def test_the_matrix_pages_cost_a_fixed_number_of_queries(
    client, admin_user, coo, cio, kpi, initiative_a, initiative_b, django_assert_max_num_queries, size
):
    _versions_of(size, admin_user, coo, kpi, [initiative_a, initiative_b])
    client.force_login(cio)
    # Each page: the session, the user and their roles (3), then its own reads.
    with django_assert_max_num_queries(6):  # the version in force, the versions, the grid with its figures
        assert client.get(reverse("governance:matrix")).status_code == 200
    with django_assert_max_num_queries(6):  # the versions, the decisions of each
        assert client.get(reverse("governance:matrix-compare"), {"old": 1, "new": 2}).status_code == 200
    with django_assert_max_num_queries(8):  # count, page, the records of its versions and decisions, numbers
        assert client.get(reverse("governance:matrix-history")).status_code == 200
    with django_assert_max_num_queries(6):  # the version, the one in force, its decisions
        assert client.get(reverse("governance:matrix-print", args=[1])).status_code == 200
    client.force_login(admin_user)
    with django_assert_max_num_queries(8):  # the draft, editable: and the KPIs its monitoring cells offer
        assert client.get(reverse("governance:matrix-version", args=[2])).status_code == 200


# --- The demo ------------------------------------------------------------------------------------------


def test_the_demo_shows_a_decision_outside_its_bounds_and_a_draft_to_compare(client):
    demo.build_demo_company(seed=3, initiatives=12, months=13)
    assert selectors.decisions_outside_bounds()
    draft = MatrixVersion.objects.get(status="draft")
    comparison = services.matrix_compare(old=selectors.effective_version(), new=draft)
    assert not comparison.is_same


# --- In a browser -----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_edits_a_cell_of_the_draft_and_publishes_it_in_chromium(page, live_server):
    admin = factories.admin(username="admin")
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
    v1 = published(admin, factories.executive(username="cio", title="CIO"), effective_from=TODAY - timedelta(days=60))
    decision(v1, "claims-fast-track", decision="Fast-track a glass claim", confidence_threshold=Decimal("0.850"))
    draft = services.matrix_draft_open(by=admin, reason="Raise the confidence bar")
    d = draft.decisions.get()

    sign_in_at(page, live_server, "admin", f"/governance/matrix/{draft.number}/")
    cell = page.locator(f"#decision-{d.pk} td.cell-confidence_threshold")
    cell.locator("a.cell-edit").click()  # opens the cell's form in place (static/js/matrix.js)
    expect(page).to_have_url(re.compile(rf"/governance/matrix/{draft.number}/$"))
    field = cell.locator("input[name=confidence_threshold]")
    expect(field).to_have_value("0.850")
    field.fill("0.970")
    cell.get_by_role("button", name="Save").click()
    expect(page.locator("ul.messages")).to_contain_text("saved")
    expect(page.locator(f"#decision-{d.pk} td.cell-confidence_threshold a.cell-edit")).to_have_text("0.970")

    page.get_by_role("link", name="Publish v2…").click()
    expect(page).to_have_url(re.compile(r"/governance/matrix/2/publish/$"))
    expect(page.locator("#id_approver option:checked")).to_have_text("Omar Okafor (COO)")
    page.fill("#id_reason", "Two wrong status emails last quarter.")
    page.get_by_role("button", name="Publish v2").click()

    expect(page).to_have_url(re.compile(r"/governance/matrix/$"))
    expect(page.locator("ul.messages")).to_contain_text("Matrix v2 published: it is in force now.")
    expect(page.locator("#version-number")).to_have_text("v2")
    expect(page.locator("#standing")).to_contain_text("In force")
    expect(page.locator("#matrix tr[data-key='claims-fast-track'] td.cell-confidence_threshold")).to_have_text("0.970")
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    version = MatrixVersion.objects.get(number=2)
    assert (version.status, version.approved_by.username) == ("published", "coo")


def _inline_post_data(client, url) -> tuple[dict, str]:
    """The version's change form as the admin shows it, every field as sent back unchanged."""
    context = client.get(url).context
    data = {}
    for name, value in context["adminform"].form.initial.items():
        data[name] = "" if value is None else value
    formset = context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    management = formset.management_form
    for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        data[f"{prefix}-{name}"] = management[name].value()
    for form in formset.forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return data, prefix


def test_an_inline_change_on_the_versions_admin_page_goes_through_the_service(client, draft, admin_user):
    d = draft_decision(draft)
    client.force_login(admin_user)
    url = reverse("admin:governance_matrixversion_change", args=[draft.pk])
    data, prefix = _inline_post_data(client, url)
    data[f"{prefix}-0-escalation_owner"] = "Head of claims"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    d.refresh_from_db()
    assert d.escalation_owner == "Head of claims"
    assert d.history.first().history_change_reason == "Changed escalation owner"


def test_an_inline_change_with_a_broken_rule_is_refused_on_the_versions_admin_page(client, draft, admin_user):
    d = draft_decision(draft)
    client.force_login(admin_user)
    url = reverse("admin:governance_matrixversion_change", args=[draft.pk])
    data, prefix = _inline_post_data(client, url)
    data[f"{prefix}-0-breach_threshold"] = "5"  # no KPI, no direction
    response = client.post(url, data)
    assert response.status_code == 200
    assert "A monitoring signal needs a KPI, a breach threshold" in response.content.decode()
    d.refresh_from_db()
    assert d.breach_threshold is None


def test_the_versions_admin_sends_admins_to_the_page_to_open_and_publish(client, v1, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("admin:governance_matrixversion_add")).status_code == 403
    page = client.get(reverse("admin:governance_matrixversion_change", args=[v1.pk])).content.decode()
    assert "from the matrix page, /governance/matrix/" in page

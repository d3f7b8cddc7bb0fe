"""Editing the matrix's draft: one cell at a time with its history, stale edits refused with 409 and
nothing stored, the rules of a decision on its field, a published version never changed, every
write refused to executives and ops leads on the pages and the API, and a cell edited and the
draft published in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from playwright.sync_api import expect

from governance.models import AutonomyTier, MatrixDecision, MatrixVersion
from governance.services import matrix as services
from scoreboard.demo import DEMO_PASSWORD
from tests import factories
from tests.browser import sign_in_at
from tests.governance.matrix_helpers import API, TODAY, api, decision, draft_decision, published, snapshot_of_rows

pytestmark = pytest.mark.django_db


def cell_url(d: MatrixDecision) -> str:
    return reverse("governance:matrix-decision-edit", args=[d.version.number, d.pk])


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
    assert "publish v2" not in page


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


def test_the_api_asks_the_default_approver(client, draft, admin_user, coo):
    services.matrix_decision_save(by=admin_user, decision=draft_decision(draft), data={"autonomy_tier": "human_only"})
    response = api(
        client,
        admin_user,
        "POST",
        f"{API}/matrix-versions/2/publish/",
        {"effective_from": TODAY.isoformat(), "reason": "Why."},
    )
    assert response.status_code == 202, response.content
    assert (response.json()["executive"], response.json()["matrix_version"]) == ("coo", 2)
    assert MatrixVersion.objects.get(number=2).status == "awaiting"


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


# --- In a browser -----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_edits_a_cell_and_the_coo_approves_its_publication_in_chromium(page, live_server):
    admin = factories.admin(username="admin")
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    coo = factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
    coo.set_password(DEMO_PASSWORD)
    coo.save()
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

    page.get_by_role("link", name="Ask for approval to publish v2…").click()
    expect(page).to_have_url(re.compile(r"/governance/matrix/2/publish/$"))
    expect(page.locator("#id_approver option:checked")).to_have_text("Omar Okafor (COO)")
    page.fill("#id_reason", "Two wrong status emails last quarter.")
    page.get_by_role("button", name="Ask for approval").click()
    expect(page).to_have_url(re.compile(r"/governance/matrix/2/$"))
    expect(page.locator("ul.messages")).to_contain_text("Asked Omar Okafor (COO) to approve matrix v2")
    expect(page.locator("#standing")).to_contain_text("Awaiting approval")
    page.context.clear_cookies()

    # The COO answers in her decision log, having read what it changes.
    sign_in_at(page, live_server, "coo", "/governance/decisions/")
    page.locator("#asked-of-you a").first.click()
    expect(page.locator("#diff")).to_contain_text("Confidence threshold: 0.850 → 0.970")
    page.get_by_label("Approve").check()
    page.get_by_label("Your words").fill("Agreed: two wrong emails are two too many.")
    page.get_by_role("button", name="Give my answer").click()
    expect(page.locator("ul.messages")).to_contain_text("Answered: approved.")
    page.goto(f"{live_server.url}/governance/matrix/")
    expect(page.locator("#version-number")).to_have_text("v2")
    expect(page.locator("#standing")).to_contain_text("In force")
    expect(page.locator("#approval")).to_contain_text("Agreed: two wrong emails are two too many.")
    expect(page.locator("#matrix tr[data-key='claims-fast-track'] td.cell-confidence_threshold")).to_have_text("0.970")
    assert page.console_errors == []
    assert page.foreign_requests == [], "a request left the test server"
    version = MatrixVersion.objects.get(number=2)
    assert (version.status, version.approved_by.username) == ("published", "coo")

"""The matrix in the Django admin: every change goes through the service, stale changes, duplicate
keys and broken rules are refused, published decisions are not changed, and the versions' page
sends admins to the matrix's own pages to open and publish."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from governance.services import matrix as services
from tests.governance.matrix_helpers import decision, draft_decision

pytestmark = pytest.mark.django_db


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

"""The Django admin: every model registered usefully, open to admins, closed to others."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

DOMAIN_APPS = {"scoreboard", "initiatives", "metrics", "governance"}


def _registered():
    return sorted(
        (model._meta.app_label, model._meta.model_name)
        for model in admin.site._registry
        if model._meta.app_label in DOMAIN_APPS
    )


def test_every_domain_model_is_registered_in_the_admin():
    from django.apps import apps

    expected = {
        (m._meta.app_label, m._meta.model_name)
        for label in DOMAIN_APPS
        for m in apps.get_app_config(label).get_models()
        if not m._meta.model_name.startswith("historical")
    }
    assert expected == set(_registered())


@pytest.mark.parametrize(("app_label", "model_name"), _registered())
def test_admin_role_opens_every_changelist(client, admin_user, initiative_a, kpi, app_label, model_name):
    factories.MeasurementFactory(kpi=kpi, initiative=initiative_a)
    factories.MatrixDecisionFactory(monitoring_kpi=kpi, breach_threshold=5, breach_when="below")
    client.force_login(admin_user)
    response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


def test_ops_lead_cannot_open_the_matrix_in_the_admin_even_as_staff(client, ops_lead_a):
    ops_lead_a.is_staff = True
    ops_lead_a.save()
    client.force_login(ops_lead_a)
    response = client.get(reverse("admin:governance_matrixdecision_add"))
    assert response.status_code == 403


def test_admin_edits_a_kpi_through_the_admin_and_history_records_who(client, admin_user, kpi):
    client.force_login(admin_user)
    url = reverse("admin:metrics_kpi_change", args=[kpi.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {
            "name": "Automated processing rate",
            "is_primary": "",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    kpi.refresh_from_db()
    assert kpi.name == "Automated processing rate"
    assert kpi.history.first().history_user == admin_user


def test_admin_cannot_make_themselves_superuser_or_an_executive(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:scoreboard_user_change", args=[admin_user.pk]))
    editable = page.context["adminform"].form.fields
    for field in ("is_superuser", "user_permissions", "groups", "executive_title"):
        assert field not in editable, field


def test_admin_assigns_roles_to_someone_else(client, admin_user, ops_lead_a):
    client.force_login(admin_user)
    page = client.get(reverse("admin:scoreboard_user_change", args=[ops_lead_a.pk]))
    editable = page.context["adminform"].form.fields
    assert "groups" in editable
    assert "executive_title" in editable
    assert "is_superuser" not in editable

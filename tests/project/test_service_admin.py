"""The admin as a door to the services (scoreboard/service_admin.py): what it logs, and the
stale edits it refuses on every object that has a moment it was read."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from governance.models import GovernanceGate
from initiatives.models import DeploymentBrief, Milestone, WorkflowChange
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_refused_delete_of_a_selection_deletes_nothing_and_logs_nothing(client, admin_user, initiative_a):
    gate = factories.GovernanceGateFactory(initiative=initiative_a, done_by=admin_user, done_at=timezone.now())
    client.force_login(admin_user)
    logged = LogEntry.objects.count()

    response = client.post(
        reverse("admin:governance_governancegate_changelist"),
        {"action": "delete_selected", "_selected_action": [gate.pk], "post": "yes"},
        follow=True,
    )

    assert "Nothing was deleted" in response.content.decode()
    assert GovernanceGate.objects.filter(pk=gate.pk).exists()
    assert LogEntry.objects.count() == logged


def test_the_admins_log_names_the_inline_rows_a_save_added(client, admin_user, initiative_a):
    client.force_login(admin_user)
    url = reverse("admin:initiatives_initiative_change", args=[initiative_a.pk])
    page = client.get(url)
    body = {key: value for key, value in page.context["adminform"].form.initial.items() if value is not None}
    body |= {
        "technology_owner": initiative_a.technology_owner_id,
        "operations_owner": initiative_a.operations_owner_id,
        "read_at": initiative_a.updated_at.isoformat(),
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Pilot in Ghent",
        "milestones-0-due_on": "2026-04-01",
        "backlog_items-TOTAL_FORMS": "0",
        "backlog_items-INITIAL_FORMS": "0",
    }
    body.pop("kpis", None)
    body.pop("ops_leads", None)

    response = client.post(url, body)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Milestone.objects.filter(initiative=initiative_a, title="Pilot in Ghent").exists()
    assert "Pilot in Ghent" in LogEntry.objects.latest("action_time").get_change_message()


def test_a_workflow_change_edited_in_the_admin_on_a_stale_copy_is_refused(client, admin_user, initiative_a):
    workflow = factories.WorkflowChangeFactory(initiative=initiative_a, process_name="Claims intake")
    client.force_login(admin_user)
    url = reverse("admin:initiatives_workflowchange_change", args=[workflow.pk])
    stale = (workflow.updated_at - timedelta(minutes=5)).isoformat()

    response = client.post(
        url,
        {
            "initiative": initiative_a.pk,
            "process_name": "Claims routing",
            "summary": "",
            "adoption_target_percent": "60",
            "read_at": stale,
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "affected_roles-TOTAL_FORMS": "0",
            "affected_roles-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "after you opened it" in response.content.decode()
    assert WorkflowChange.objects.get(pk=workflow.pk).process_name == "Claims intake"


def test_a_brief_edited_in_the_admin_on_a_stale_revision_is_refused(client, admin_user, initiative_a):
    brief = factories.DeploymentBriefFactory(initiative=initiative_a, revised_at=timezone.now())
    client.force_login(admin_user)
    url = reverse("admin:initiatives_deploymentbrief_change", args=[brief.pk])

    response = client.post(
        url,
        {
            "initiative": initiative_a.pk,
            "scope": "Another scope",
            "investment": "250000",
            "governance": brief.governance,
            "timeline": brief.timeline,
            "read_at": (brief.revised_at - timedelta(minutes=5)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert "changed this brief" in response.content.decode()
    assert DeploymentBrief.objects.get(pk=brief.pk).scope != "Another scope"

"""Editing an initiative by its ops leads and admins: the initiative itself with its history and
stale edits refused, the roadmap and backlog, and everyone else refused with nothing changed."""

from datetime import date

import pytest

from initiatives.models import BacklogItem, Milestone
from scoreboard import formatting
from tests import factories
from tests.initiatives.page_helpers import (
    _fingerprint,
    _url,
    _workflow_with_steps,
    edit_body,
    formset,
    step,
    workflow_body,
)

pytestmark = pytest.mark.django_db


# --- Editing: the initiative ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_ops_lead_and_admin_edit_the_initiative_with_its_history_recorded(
    client, request, initiative_a, persona, cio, coo, admin_user
):
    factories.clear_the_way_to_production(initiative_a, sponsor=cio, coo=coo, admin=admin_user)
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = client.post(
        _url(initiative_a, "edit"),
        edit_body(initiative_a, name="Claims triage v2", stage="building", payback_months="18"),
    )

    assert response.status_code == 302
    assert response["Location"] == _url(initiative_a)
    initiative_a.refresh_from_db()
    assert (initiative_a.name, initiative_a.stage, initiative_a.payback_months) == (
        "Claims triage v2",
        "building",
        18,
    )
    last = initiative_a.history.latest()
    assert last.history_user == user
    assert last.history_change_reason == "Stage: Pilot → Building"
    assert "Claims triage v2: saved." in client.get(response["Location"]).content.decode()


def test_the_edit_form_opens_filled_in_with_when_it_was_read(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    html = client.get(_url(initiative_a, "edit")).content.decode()

    assert f'value="{initiative_a.name}"' in html
    assert f'name="read_at" value="{initiative_a.updated_at.isoformat()}"' in html


def test_a_stale_edit_is_refused_naming_who_changed_it_and_when(client, ops_lead_a, admin_user, initiative_a):
    opened = edit_body(initiative_a, name="My rename")
    client.force_login(admin_user)
    client.post(_url(initiative_a, "edit"), edit_body(initiative_a, name="Admin's rename"))
    client.force_login(ops_lead_a)

    response = client.post(_url(initiative_a, "edit"), opened)

    assert response.status_code == 409
    initiative_a.refresh_from_db()
    assert initiative_a.name == "Admin's rename"
    when = formatting.moment(initiative_a.updated_at)
    assert f"Nothing was saved: {admin_user} changed this initiative on {when}" in (
        response.content.decode().replace("&#x27;", "'")
    )


def test_initiative_edit_errors_name_the_field_and_store_nothing(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)
    before = _fingerprint()

    response = client.post(
        _url(initiative_a, "edit"),
        edit_body(initiative_a, name="Renamed", started_on="2026-05-01", actual_go_live="2026-01-01"),
    )

    assert response.status_code == 400
    assert "Actual go-live: Go-live cannot be before the start of work." in response.content.decode()
    assert _fingerprint() == before


@pytest.mark.parametrize("page", ["edit", "workflow", "roadmap"])
@pytest.mark.parametrize("persona", ["ops_lead_a", "admin_user"])
def test_ops_lead_and_admin_open_each_edit_form(client, request, initiative_a, page, persona):
    _workflow_with_steps(initiative_a)
    client.force_login(request.getfixturevalue(persona))

    response = client.get(_url(initiative_a, page))

    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert 'id="errors"' not in response.content.decode()


# --- Editing: refusals ------------------------------------------------------------------------------


def _valid_body(page, initiative):
    if page == "edit":
        return edit_body(initiative, name="Hijacked")
    if page == "workflow":
        return workflow_body(before=[step(1, "Hijacked step")])
    return {**formset("milestones", [{"title": "Hijacked", "due_on": "2026-06-01"}]), **formset("backlog", [])}


# The CEO owns no seat of initiative A: its owners (the CIO, the COO) reach its edit page for their
# own descriptions (tests/initiatives/test_owner_words.py).
@pytest.mark.parametrize("page", ["edit", "workflow", "roadmap"])
@pytest.mark.parametrize("persona", ["ceo", "ops_lead_b"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_executives_and_other_ops_leads_are_refused_and_nothing_changes(
    client, request, initiative_a, initiative_b, page, persona, method
):
    client.force_login(request.getfixturevalue(persona))
    before = _fingerprint()

    response = getattr(client, method)(_url(initiative_a, page), _valid_body(page, initiative_a))

    assert response.status_code == 403
    assert _fingerprint() == before


@pytest.mark.parametrize("page", ["edit", "workflow", "roadmap"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(client, initiative_a, page, method):
    before = _fingerprint()

    response = getattr(client, method)(_url(initiative_a, page), _valid_body(page, initiative_a))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert _fingerprint() == before


# --- Editing: the roadmap and backlog ------------------------------------------------------------------


def test_ops_lead_adds_changes_and_deletes_milestones_and_backlog_items(client, ops_lead_a, initiative_a):
    pilot = Milestone.objects.create(initiative=initiative_a, title="Pilot", due_on=date(2026, 3, 1))
    old = BacklogItem.objects.create(initiative=initiative_a, title="Old idea")
    client.force_login(ops_lead_a)

    response = client.post(
        _url(initiative_a, "roadmap"),
        {
            **formset(
                "milestones",
                [
                    {"id": pilot.pk, "title": "Pilot", "due_on": "2026-03-01", "completed_on": "2026-03-04"},
                    {"id": "", "title": "Go live", "due_on": "2026-06-01", "completed_on": ""},
                ],
                initial=1,
            ),
            **formset(
                "backlog",
                [
                    {
                        "id": old.pk,
                        "title": "Old idea",
                        "description": "",
                        "status": "open",
                        "priority": "3",
                        "DELETE": "on",
                    },
                    {"id": "", "title": "Read handwriting", "description": "", "status": "open", "priority": "1"},
                ],
                initial=1,
            ),
        },
    )

    assert response.status_code == 302, response.content.decode()
    assert list(initiative_a.milestones.values_list("title", "completed_on")) == [
        ("Pilot", date(2026, 3, 4)),
        ("Go live", None),
    ]
    assert list(initiative_a.backlog_items.values_list("title", flat=True)) == ["Read handwriting"]
    assert Milestone.history.filter(id=pilot.pk).latest().history_user == ops_lead_a


def test_roadmap_errors_name_the_row_and_field_and_store_nothing(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)
    before = _fingerprint()

    response = client.post(
        _url(initiative_a, "roadmap"),
        {
            **formset("milestones", [{"id": "", "title": "Go live", "due_on": "soon", "completed_on": ""}]),
            **formset("backlog", [{"id": "", "title": "Fine", "description": "", "status": "open", "priority": "1"}]),
        },
    )

    assert response.status_code == 400
    assert "Milestones row 1 · Due on: Enter a valid date." in response.content.decode()
    assert _fingerprint() == before

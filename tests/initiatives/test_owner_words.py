"""Each owner writes their own words (issue 17, item 3): the technology owner writes the technology
owner's description and the operations owner the operations one, on the page and through the API;
nobody else does, so the vocabulary check compares the two owners' own words. An admin may correct
either, and the history says the correction was the admin's. Ops leads keep the rest of what they
kept, not the descriptions. Every refusal leaves every table as it was."""

from __future__ import annotations

import json

import pytest

from tests import factories
from tests.db_rows import rows
from tests.doors.harness import admin_form
from tests.initiatives.page_helpers import _url, edit_body

pytestmark = pytest.mark.django_db

TECH = "technology_owner_description"
OPS = "operations_owner_description"
NEW_WORDS = "A language model reads each claim and suggests the team that should handle it."
# Who may change each description, in the words of the refusal (the fixtures' CIO and COO).
ONLY = {
    TECH: "Only the technology owner (Claire Ito) or an admin changes the technology owner's description.",
    OPS: "Only the operations owner (Omar Okafor) or an admin changes the operations owner's description.",
}


@pytest.fixture
def ada(db):
    return factories.admin(username="ada", first_name="Ada", last_name="Adler")


def api_url(initiative) -> str:
    return f"/api/v1/initiatives/{initiative.code}/"


def patch(client, initiative, body: dict):
    return client.patch(api_url(initiative), json.dumps(body), content_type="application/json")


def own_words(initiative) -> dict:
    """The edit page as the technology owner sends it: their description, and when they read it."""
    return {TECH: NEW_WORDS, "read_at": initiative.updated_at.isoformat()}


def stored(initiative, field: str) -> str:
    initiative.refresh_from_db()
    return getattr(initiative, field)


# --- The owners ----------------------------------------------------------------------------------


def test_technology_owner_edits_their_own_description_on_the_page(client, cio, initiative_a):
    client.force_login(cio)

    response = client.post(_url(initiative_a, "edit"), own_words(initiative_a))

    assert response.status_code == 302
    assert stored(initiative_a, TECH) == NEW_WORDS
    last = initiative_a.history.latest()
    assert (last.history_user, last.history_change_reason) == (cio, "Edited: technology owner description")


def test_operations_owner_edits_their_own_description_through_the_api(client, coo, initiative_a):
    client.force_login(coo)

    response = patch(client, initiative_a, {OPS: NEW_WORDS})

    assert response.status_code == 200, response.content
    assert stored(initiative_a, OPS) == NEW_WORDS
    assert initiative_a.history.latest().history_user == coo


@pytest.mark.parametrize(("owner", "field"), [("cio", OPS), ("coo", TECH)])
def test_an_owner_cannot_change_the_other_owners_description(client, request, initiative_a, owner, field):
    client.force_login(request.getfixturevalue(owner))
    before = rows()

    response = patch(client, initiative_a, {field: NEW_WORDS})

    assert response.status_code == 403
    assert response.json()["detail"] == ONLY[field]
    assert rows() == before


def test_an_owner_who_does_not_lead_it_cannot_change_its_other_fields(client, cio, initiative_a):
    client.force_login(cio)
    before = rows()

    response = patch(client, initiative_a, {TECH: NEW_WORDS, "name": "Renamed by its owner"})

    assert response.status_code == 403
    assert "its ops leads and admins change the rest" in response.json()["detail"]
    assert rows() == before


def test_an_owner_reaches_the_edit_page_from_the_initiative_page(client, cio, initiative_a):
    client.force_login(cio)

    html = client.get(_url(initiative_a)).content.decode()

    assert f'href="{_url(initiative_a, "edit")}"' in html
    assert "Edit your description" in html


def test_someone_who_neither_owns_nor_leads_it_is_refused_the_edit_page(client, ceo, initiative_a):
    client.force_login(ceo)
    before = rows()

    response = client.post(_url(initiative_a, "edit"), own_words(initiative_a))

    assert response.status_code == 403
    assert rows() == before


# --- The ops leads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", [TECH, OPS])
def test_ops_lead_is_refused_either_description_through_the_api_with_nothing_stored(
    client, ops_lead_a, initiative_a, field
):
    client.force_login(ops_lead_a)
    before = rows()

    response = patch(client, initiative_a, {field: NEW_WORDS, "name": "Renamed with it"})

    assert response.status_code == 403
    assert response.json()["detail"] == ONLY[field]
    assert rows() == before


@pytest.mark.parametrize("field", [TECH, OPS])
def test_ops_lead_sending_a_description_to_the_page_stores_nothing(client, ops_lead_a, initiative_a, field):
    client.force_login(ops_lead_a)
    before = rows()

    response = client.post(_url(initiative_a, "edit"), edit_body(initiative_a, **{field: NEW_WORDS}))

    assert response.status_code == 302  # the page has no such field: what was sent is not read
    assert rows() == before


def test_ops_lead_still_edits_their_other_fields_on_the_page_and_the_api(client, ops_lead_a, initiative_a):
    client.force_login(ops_lead_a)

    page = client.post(_url(initiative_a, "edit"), edit_body(initiative_a, name="Claims triage v2"))
    api = patch(client, initiative_a, {"business_unit": "Motor claims"})

    assert (page.status_code, api.status_code) == (302, 200)
    initiative_a.refresh_from_db()
    assert (initiative_a.name, initiative_a.business_unit) == ("Claims triage v2", "Motor claims")


# --- The admins ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "words"), [(TECH, "Technology owner's"), (OPS, "Operations owner's")])
def test_admin_corrects_either_description_on_the_page_recorded_as_theirs(client, ada, initiative_a, field, words):
    client.force_login(ada)

    response = client.post(_url(initiative_a, "edit"), edit_body(initiative_a, **{field: NEW_WORDS}))

    assert response.status_code == 302
    assert stored(initiative_a, field) == NEW_WORDS
    last = initiative_a.history.latest()
    assert last.history_user == ada
    assert last.history_change_reason == f"{words} description corrected by Ada Adler"


def test_admin_corrects_a_description_through_the_api_recorded_as_theirs(client, ada, initiative_a):
    client.force_login(ada)

    response = patch(client, initiative_a, {OPS: NEW_WORDS})

    assert response.status_code == 200, response.content
    last = initiative_a.history.latest()
    assert (last.history_user, last.history_change_reason) == (
        ada,
        "Operations owner's description corrected by Ada Adler",
    )


def test_admin_corrects_a_description_in_the_admin_recorded_as_theirs(client, ada, initiative_a):
    client.force_login(ada)
    url = f"/admin/initiatives/initiative/{initiative_a.pk}/change/"

    response = client.post(url, admin_form(client, url, **{TECH: NEW_WORDS}))

    assert response.status_code == 302
    assert stored(initiative_a, TECH) == NEW_WORDS
    last = initiative_a.history.latest()
    assert (last.history_user, last.history_change_reason) == (
        ada,
        "Technology owner's description corrected by Ada Adler",
    )


# --- The page shows each person what they may change -------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("cio", [TECH], [OPS, "name"]),
        ("coo", [OPS], [TECH, "name"]),
        ("ops_lead_a", ["name", "stage"], [TECH, OPS]),
        ("admin_user", ["name", TECH, OPS], []),
    ],
)
def test_the_edit_page_shows_each_person_only_what_they_may_change(
    client, request, initiative_a, persona, shown, hidden
):
    client.force_login(request.getfixturevalue(persona))

    html = client.get(_url(initiative_a, "edit")).content.decode()

    for field in shown:
        assert f'name="{field}"' in html, field
    for field in hidden:
        assert f'name="{field}"' not in html, field

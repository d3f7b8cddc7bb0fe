"""The sign-in table (table_sign_in.py): every door that checks who someone is, each kind of
person, under the row's settings. Each row runs for each of its people, a test of its own.

- signed in: the session is theirs (and an SSO person has the role their groups give);
- refused: nobody is signed in, the page says why, and no row of any table changed (but the
  sign-in failures django-axes logs, which is the point of it);
- a reset mail, or none: the same neutral page either way, so the page tells nobody who has an account.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from scoreboard.models import User
from tests import factories
from tests.db_rows import rows
from tests.factories import PASSWORD
from tests.permissions.table_sign_in import (
    BREAK_GLASS,
    DEACTIVATED,
    MAIL,
    NO_MAIL,
    NO_ROLE,
    NOT_STAFF,
    PASSWORD_OFF,
    SIGN_IN_ROWS,
    SIGNED_IN,
)
from tests.sso.provider import sign_in_through_provider

pytestmark = pytest.mark.django_db

# A failed sign-in is logged: these tables change on a refusal, by design.
SIGN_IN_LOGS = {"axes_accessattempt", "axes_accessfailurelog", "axes_accesslog", "axes_accessattemptexpiration"}


def stored() -> dict:
    return {table: content for table, content in rows().items() if table not in SIGN_IN_LOGS}


def make_person(name: str) -> User:
    if name == "cio":
        return factories.executive(username="cio", title="CIO")
    if name == "ops_lead_a":
        return factories.ops_lead(username="ops.a")
    if name == "admin":
        return factories.admin(username="admin")
    return factories.admin(username=BREAK_GLASS)


def try_password(client, door: str, user: User):
    if door == "POST /password-reset/":
        return client.post("/password-reset/", {"email": user.email}, follow=True)
    url = "/login/" if door == "POST /login/" else "/admin/login/?next=/admin/"
    return client.post(url, {"username": user.username, "password": PASSWORD})


def deactivated_here(client, person: str) -> None:
    """``ops.sso deactivated here``: signed in once, then deactivated by an admin here."""
    if person.endswith("deactivated here"):
        username = person.split()[0]
        sign_in_through_provider(client, username)
        client.post("/logout/")
        User.objects.filter(username=username).update(is_active=False)


def try_sso(client, person: str):
    return sign_in_through_provider(client, person.split()[0])


@pytest.mark.parametrize(
    ("row", "person", "outcome"),
    [
        pytest.param(row, person, outcome, id=f"{row} as {person}: {outcome}")
        for row in SIGN_IN_ROWS
        for person, outcome in zip(row.people, row.expect, strict=True)
    ],
)
def test_each_person_gets_the_tables_outcome_at_each_door(request, client, settings, mailoutbox, row, person, outcome):
    if row.door == "SSO" or row.settings:
        request.getfixturevalue("sso")  # SSO on, against the real provider (PASSWORD_LOGIN=false needs it)
    for name, value in row.settings.items():
        setattr(settings, name, value)
    factories.admin(username="alex.admin", first_name="Alex", last_name="Admin")  # the admin to ask
    user = None if row.door == "SSO" else make_person(person)
    if row.door == "SSO":
        deactivated_here(client, person)
    before = stored()

    response = try_sso(client, person) if row.door == "SSO" else try_password(client, row.door, user)

    page = response.content.decode()
    signed_in_as = response.wsgi_request.session.get(SESSION_KEY)
    if outcome == SIGNED_IN:
        assert response.status_code == 302, page[:500]
        expected = user or User.objects.get(username=person.split()[0])
        assert signed_in_as == str(expected.pk)
        return
    if outcome in (MAIL, NO_MAIL):
        assert response.status_code == 200
        assert "If an account that signs in with a password exists" in page
        assert len(mailoutbox) == (1 if outcome == MAIL else 0)
    else:
        assert signed_in_as is None
        words = {
            PASSWORD_OFF: "Password sign-in is turned off here",
            NOT_STAFF: "Please enter the correct username and password for a staff account",
            NO_ROLE: "none of your groups there gives you a role",
            DEACTIVATED: "is deactivated",
        }[outcome]
        assert words in page
        assert response.status_code == (403 if outcome in (NO_ROLE, DEACTIVATED) else 200)
        if outcome in (NO_ROLE, DEACTIVATED):
            assert "Ask an admin of the AI scoreboard: Alex Admin" in page
    after = stored()
    assert [table for table in before if before[table] != after[table]] == []

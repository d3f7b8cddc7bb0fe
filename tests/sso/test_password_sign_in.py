"""Password sign-in beside SSO: with PASSWORD_LOGIN=false only the break-glass admin may use a
password, on every door that checks one (the sign-in page, the Django admin's login); the others
are refused with a message that says why."""

import subprocess
import sys

import pytest
from django.contrib.auth import SESSION_KEY

from scoreboard.sso.config import parse_role_map
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REFUSED = "Password sign-in is turned off here"


@pytest.fixture
def passwords_off(settings, sso):
    settings.PASSWORD_LOGIN = False
    settings.BREAK_GLASS_ADMIN = "break.glass"
    return settings


@pytest.fixture
def break_glass(db):
    return factories.admin(username="break.glass")


def sign_in(client, url: str, username: str):
    return client.post(url, {"username": username, "password": PASSWORD})


def signed_in(response) -> bool:
    return SESSION_KEY in response.wsgi_request.session


def test_with_passwords_off_the_sign_in_page_offers_sso_and_the_break_glass_form_only(client, passwords_off):
    page = client.get("/login/").content.decode()

    assert "Sign in with Test IdP" in page
    assert "Only the break-glass admin account may use a password here" in page
    assert 'name="password"' in page


def test_with_passwords_off_and_no_break_glass_admin_the_page_offers_sso_only(client, passwords_off):
    passwords_off.BREAK_GLASS_ADMIN = ""

    page = client.get("/login/").content.decode()

    assert "Sign in with Test IdP" in page
    assert 'name="password"' not in page


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a", "admin_user"])
def test_with_passwords_off_a_persons_right_password_is_refused_on_the_sign_in_page(
    request, client, passwords_off, break_glass, persona
):
    person = request.getfixturevalue(persona)

    response = sign_in(client, "/login/", person.username)

    assert response.status_code == 200
    assert not signed_in(response)
    assert REFUSED in response.content.decode()
    assert "Sign in with Test IdP" in response.content.decode()


def test_with_passwords_off_an_admins_right_password_is_refused_at_the_admin_login(
    client, passwords_off, break_glass, admin_user
):
    response = sign_in(client, "/admin/login/?next=/admin/", admin_user.username)

    assert response.status_code == 200
    assert not signed_in(response)
    assert REFUSED in response.content.decode()


@pytest.mark.parametrize("door", ["/login/", "/admin/login/?next=/admin/"])
def test_with_passwords_off_the_break_glass_admin_signs_in_with_a_password(client, passwords_off, break_glass, door):
    response = sign_in(client, door, "break.glass")

    assert response.status_code == 302
    assert signed_in(response)
    assert client.get("/admin/").status_code == 200


def test_with_passwords_off_the_break_glass_admins_wrong_password_is_an_ordinary_failure(
    client, passwords_off, break_glass
):
    response = client.post("/login/", {"username": "break.glass", "password": "wrong"})

    assert not signed_in(response)
    assert REFUSED not in response.content.decode()


def test_with_passwords_on_everyone_signs_in_with_their_password(client, sso, cio):
    assert signed_in(sign_in(client, "/login/", cio.username))


def run_settings(**env) -> subprocess.CompletedProcess:
    """Load the settings in a fresh interpreter with ``env``, as a deployment would."""
    code = "import django; django.setup()"
    environment = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "scoreboard.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_settings_refuse_passwords_off_without_single_sign_on():
    loaded = run_settings(PASSWORD_LOGIN="false")

    assert loaded.returncode != 0
    assert "PASSWORD_LOGIN=false needs single sign-on" in loaded.stderr


def test_settings_refuse_an_issuer_without_a_role_map():
    loaded = run_settings(OIDC_ISSUER="https://idp.example.com", OIDC_CLIENT_ID="scoreboard")

    assert loaded.returncode != 0
    assert "OIDC_ROLE_MAP must map at least one group" in loaded.stderr


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        ("scoreboard-cio=executive", "an executive needs a seat"),
        ("scoreboard-ops=ops", "the role must be one of"),
        ("scoreboard-ops", "must be written value=role"),
        ("a=admin,a=ops lead", "names 'a' twice"),
        ("a=admin:CIO", "only an executive has a seat"),
    ],
)
def test_a_role_map_that_cannot_be_read_says_which_entry_and_why(written, complaint):
    with pytest.raises(ValueError, match=complaint):
        parse_role_map(written)


def test_the_role_map_reads_groups_roles_and_seats_in_order():
    assert parse_role_map(" scoreboard-coo = executive:COO , ops=ops lead,admins=admin ") == {
        "scoreboard-coo": ("executive", "COO"),
        "ops": ("ops lead", ""),
        "admins": ("admin", ""),
    }

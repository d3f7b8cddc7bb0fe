"""Every sign-in the scoreboard must refuse, each on a styled page that says why and whom to ask,
with nothing stored: no user made, no role changed. The provider is real; where it must misbehave,
a knob of the test provider makes it (tests/oidc_provider/validators.py)."""

import pytest
from django.contrib.auth import SESSION_KEY

from scoreboard.models import User
from scoreboard.sso.models import SSOIdentity
from tests import factories
from tests.db_rows import rows
from tests.sso.provider import callback_path, provider_answer, sign_in_through_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_to_ask(db):
    return factories.admin(username="alex.admin", first_name="Alex", last_name="Admin")


def assert_refused(response, status: int, *words: str) -> str:
    """A styled page (not a bare 403, not a redirect) saying why and whom to ask; nobody signed in."""
    page = response.content.decode()
    assert response.status_code == status, page[:500]
    assert "Sign-in refused" in page
    assert 'class="topbar"' in page
    for word in words:
        assert word in page, f"{word!r} not on the page"
    assert "Back to the sign-in page" in page
    assert SESSION_KEY not in response.wsgi_request.session
    return page


def people_and_roles() -> dict:
    every = rows()
    return {table: every[table] for table in ("scoreboard_user", "scoreboard_user_groups", "sso_ssoidentity")}


@pytest.mark.parametrize(
    ("knob", "why"),
    [
        pytest.param({"sign_with_foreign_key": True}, "signature", id="signed with a key it does not publish"),
        pytest.param({"expired_seconds_ago": 600}, "expired", id="expired"),
        pytest.param({"aud": "another-application"}, "audience", id="issued for another application"),
        pytest.param({"iss": "https://impostor.example.com"}, "issuer", id="issued by another provider"),
        pytest.param({"nonce": "an-old-sign-in"}, "nonce", id="answering another sign-in"),
    ],
)
def test_an_id_token_that_cannot_be_trusted_is_refused_and_nobody_is_created(client, sso, admin_to_ask, knob, why):
    before = people_and_roles()

    with sso.knobs(**knob):
        response = sign_in_through_provider(client, "coo.sso")

    assert_refused(response, 403, why, "Nothing was stored", "Alex Admin")
    assert people_and_roles() == before


def test_an_answer_with_a_state_this_browser_did_not_start_is_refused(client, sso, admin_to_ask):
    answer = callback_path(provider_answer(client, "coo.sso"))
    before = people_and_roles()

    response = client.get(answer.replace("state=", "state=forged"))

    assert_refused(response, 400, "does not match a sign-in started in this browser", "Alex Admin")
    assert people_and_roles() == before


def test_an_answer_replayed_after_its_sign_in_is_refused(client, sso):
    answer = callback_path(provider_answer(client, "coo.sso"))
    assert client.get(answer).status_code == 302
    client.post("/logout/")

    assert_refused(client.get(answer), 400, "started in this browser")


def test_an_answer_opened_in_another_browser_is_refused(client, sso):
    answer = callback_path(provider_answer(client, "coo.sso"))
    client.cookies.clear()

    assert_refused(client.get(answer), 400, "was not started in this browser")
    assert not User.objects.exists()


def test_a_person_in_none_of_the_scoreboards_groups_is_refused_and_not_created(client, sso, admin_to_ask):
    before = people_and_roles()

    response = sign_in_through_provider(client, "marketing.sso")

    assert_refused(response, 403, "none of your groups there gives you a role", "Alex Admin", "Test IdP")
    assert people_and_roles() == before


def test_a_person_removed_from_every_scoreboard_group_is_refused_with_their_roles_unchanged(client, sso, admin_to_ask):
    sign_in_through_provider(client, "mover.sso")
    client.post("/logout/")
    before = people_and_roles()

    with sso.groups("mover.sso", ["all-staff"]):
        response = sign_in_through_provider(client, "mover.sso")

    assert_refused(response, 403, "none of your groups", "Alex Admin")
    assert people_and_roles() == before


def test_a_person_deactivated_here_is_refused_with_their_roles_unchanged(client, sso, admin_to_ask):
    sign_in_through_provider(client, "ops.sso")
    client.post("/logout/")
    User.objects.filter(username="ops.sso").update(is_active=False)
    before = people_and_roles()

    with sso.groups("ops.sso", ["scoreboard-admins"]):  # even with new groups at the provider
        response = sign_in_through_provider(client, "ops.sso")

    assert_refused(response, 403, "deactivated", "ops.sso", "Alex Admin", "reactivate")
    assert people_and_roles() == before


def test_a_person_deactivated_while_signed_in_is_signed_out_at_their_next_request(client, sso):
    sign_in_through_provider(client, "cio.sso")
    assert client.get("/initiatives/").status_code == 200

    User.objects.filter(username="cio.sso").update(is_active=False)

    response = client.get("/initiatives/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_provider_refusing_the_sign_in_is_shown_in_its_words(client, sso):
    client.get("/oidc/authenticate/")
    state = next(iter(client.session["oidc_states"]))

    response = client.get(f"/oidc/callback/?error=access_denied&error_description=The+user+cancelled&state={state}")

    assert_refused(response, 400, "The user cancelled")


def test_a_provider_that_cannot_be_reached_is_said_so_and_nothing_is_stored(client, sso, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # the discard port: nothing listens

    response = client.get("/oidc/authenticate/")

    assert_refused(response, 503, "could not be reached")
    assert not SSOIdentity.objects.exists()


def test_without_an_issuer_single_sign_on_is_off(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()

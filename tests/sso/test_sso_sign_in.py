"""Signing in through a real OpenID Connect provider: the user made on the first sign-in, their
roles from the provider's groups, kept in step at every sign-in."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group

from scoreboard.models import User
from scoreboard.sso.models import SSOIdentity
from tests import factories
from tests.oidc_provider.serve import HS256_CLIENT_ID, HS256_CLIENT_SECRET
from tests.sso.provider import sign_in_through_provider

pytestmark = pytest.mark.django_db


def signed_in_as(client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def roles(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_a_coo_signing_in_for_the_first_time_becomes_an_executive_with_the_coo_seat(client, sso):
    response = sign_in_through_provider(client, "coo.sso")

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_as(client)
    assert (user.username, user.first_name, user.last_name, user.email) == (
        "coo.sso",
        "Olivia",
        "Osei",
        "coo.sso@example.com",
    )
    assert roles(user) == {"executive"}
    assert user.executive_title == "COO"
    assert not user.has_usable_password()
    assert not user.is_staff
    assert SSOIdentity.objects.get(user=user).issuer == sso.issuer


def test_an_ops_lead_signs_in_as_an_ops_lead_without_a_seat(client, sso):
    sign_in_through_provider(client, "ops.sso")

    user = signed_in_as(client)
    assert roles(user) == {"ops lead"}
    assert user.executive_title == ""


def test_an_admin_of_the_provider_group_may_use_the_django_admin(client, sso):
    sign_in_through_provider(client, "admin.sso")

    user = signed_in_as(client)
    assert roles(user) == {"admin"}
    assert user.is_staff
    assert client.get("/admin/").status_code == 200


def test_roles_are_kept_in_step_with_the_provider_at_the_next_sign_in(client, sso):
    sign_in_through_provider(client, "mover.sso")
    user = signed_in_as(client)
    assert roles(user) == {"executive", "admin"}
    assert user.executive_title == "COO"
    assert user.is_staff
    client.post("/logout/")

    with sso.groups("mover.sso", ["scoreboard-ops"]):
        sign_in_through_provider(client, "mover.sso")

    user.refresh_from_db()
    assert signed_in_as(client) == user  # the same person, found again by the provider's subject
    assert roles(user) == {"ops lead"}
    assert user.executive_title == ""
    assert not user.is_staff


def test_groups_that_are_not_roles_are_left_as_they_are(client, sso):
    sign_in_through_provider(client, "cio.sso")
    user = signed_in_as(client)
    user.groups.add(Group.objects.create(name="board reviewers"))
    client.post("/logout/")

    sign_in_through_provider(client, "cio.sso")

    assert roles(user) == {"executive", "board reviewers"}
    assert user.executive_title == "CIO"


def test_a_local_account_with_the_same_username_is_never_taken_over(client, sso):
    local = factories.admin(username="coo.sso")

    sign_in_through_provider(client, "coo.sso")

    user = signed_in_as(client)
    assert user != local
    assert user.username == "coo.sso-2"
    assert roles(local) == {"admin"}


def test_sign_in_lands_on_the_page_that_was_asked_for(client, sso):
    response = sign_in_through_provider(client, "ops.sso", start="/oidc/authenticate/?next=/initiatives/")

    assert response.status_code == 302
    assert response["Location"] == "/initiatives/"


def test_signing_out_after_sso_sends_the_browser_to_end_the_providers_session(client, sso):
    sign_in_through_provider(client, "coo.sso")
    id_token = client.session["oidc_id_token"]

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{sso.issuer}/logout/?")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert SESSION_KEY not in client.session


def test_signing_out_after_a_password_sign_in_stays_here(client, sso, cio):
    client.force_login(cio)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_id_tokens_signed_with_the_client_secret_are_verified_with_it(client, sso, settings):
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = HS256_CLIENT_ID, HS256_CLIENT_SECRET
    settings.OIDC_RP_SIGN_ALGO = "HS256"

    sign_in_through_provider(client, "cio.sso")

    assert signed_in_as(client).executive_title == "CIO"


def test_a_provider_account_never_gets_the_break_glass_admins_name_even_before_it_exists(client, sso, settings):
    settings.BREAK_GLASS_ADMIN = "ops.sso"

    sign_in_through_provider(client, "ops.sso")

    assert signed_in_as(client).username == "ops.sso-2"

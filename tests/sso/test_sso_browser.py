"""Single sign-on end to end in Chromium: the scoreboard's button, the provider's sign-in and
consent pages, back signed in with the role the provider's groups give; and signing out ending
the session at the provider too."""

import re

import pytest
from playwright.sync_api import expect

from scoreboard.models import User
from tests.sso.provider import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_with_sso(page, live_server, username: str, path: str = "/initiatives/") -> None:
    page.goto(f"{live_server.url}{path}")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.click("#sso-sign-in")
    expect(page.locator("h1")).to_have_text("Test identity provider")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#provider-sign-in")
    expect(page.locator("#authorizationForm")).to_contain_text("Authorize AI scoreboard?")
    page.click("input[name=allow]")
    expect(page).to_have_url(f"{live_server.url}{path}")


@pytest.mark.parametrize(
    ("username", "shown", "role", "title"),
    [
        pytest.param("coo.sso", "Olivia Osei (COO) · executive", "executive", "COO", id="a COO as an executive"),
        pytest.param("ops.sso", "Priya Patel · ops lead", "ops lead", "", id="an ops lead as an ops lead"),
    ],
)
def test_a_person_signs_in_through_the_provider_and_lands_with_their_role(
    page, live_server, sso, username, shown, role, title
):
    sign_in_with_sso(page, live_server, username)

    expect(page.locator(".who span")).to_have_text(shown)
    user = User.objects.get(username=username)
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert user.executive_title == title
    assert page.console_errors == []


def test_signing_out_ends_the_session_at_the_provider_too(page, live_server, sso):
    sign_in_with_sso(page, live_server, "cio.sso")

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(f"{live_server.url}/login/")
    assert "provider_sessionid" not in {cookie["name"] for cookie in page.context.cookies()}
    # Signing in again asks for the password at the provider: its session has ended.
    page.click("#sso-sign-in")
    expect(page.locator("h1")).to_have_text("Test identity provider")
    expect(page.locator("#provider-sign-in")).to_be_visible()


def test_a_refused_sign_in_shows_why_on_the_scoreboards_page_without_a_loop(page, live_server, sso):
    page.goto(f"{live_server.url}/login/")
    page.click("#sso-sign-in")
    page.fill("#id_username", "marketing.sso")
    page.fill("#id_password", PASSWORD)
    page.click("#provider-sign-in")
    page.click("input[name=allow]")

    expect(page.locator("h1")).to_have_text("Sign-in refused")
    expect(page.locator(".refusal")).to_contain_text("none of your groups there gives you a role")
    assert page.url.startswith(f"{live_server.url}/oidc/callback/")
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page).to_have_url(f"{live_server.url}/login/")

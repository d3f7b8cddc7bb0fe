"""A forgotten password, reset by e-mail with Django's own views: a mail with a link that sets a
new password; with PASSWORD_LOGIN=false only the break-glass admin gets one, and everyone sees the
same neutral page."""

import re

import pytest
from django.contrib.auth import SESSION_KEY

from tests import factories

pytestmark = pytest.mark.django_db

NEUTRAL = "If an account that signs in with a password exists for that address"


def ask_for_reset(client, email: str):
    response = client.post("/password-reset/", {"email": email}, follow=True)
    assert response.status_code == 200
    assert NEUTRAL in response.content.decode()
    return response


def test_a_mailed_link_sets_a_new_password_that_signs_in(client, mailoutbox):
    person = factories.ops_lead(username="ops.forgetful", email="forgetful@example.com")

    ask_for_reset(client, "forgetful@example.com")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["forgetful@example.com"]
    link = re.search(r"http://testserver(/reset/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)  # Django swaps the token for a session-held one
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-long-pass", "new_password2": "a-new-long-pass"}
    )
    assert done.status_code == 302
    assert done["Location"] == "/reset/done/"

    person.refresh_from_db()
    assert person.check_password("a-new-long-pass")
    signed_in = client.post("/login/", {"username": "ops.forgetful", "password": "a-new-long-pass"})
    assert SESSION_KEY in signed_in.wsgi_request.session


def test_an_unknown_address_gets_the_same_page_and_no_mail(client, mailoutbox):
    ask_for_reset(client, "nobody@example.com")

    assert mailoutbox == []


def test_an_sso_account_has_no_password_to_reset(client, mailoutbox):
    person = factories.executive(username="sso.only", title="COO", email="sso.only@example.com")
    person.set_unusable_password()
    person.save()

    ask_for_reset(client, "sso.only@example.com")

    assert mailoutbox == []


@pytest.fixture
def passwords_off(settings, sso):
    settings.PASSWORD_LOGIN = False
    settings.BREAK_GLASS_ADMIN = "break.glass"


def test_with_passwords_off_a_normal_user_gets_the_same_page_and_no_mail(client, mailoutbox, passwords_off):
    factories.admin(username="an.admin", email="an.admin@example.com")

    ask_for_reset(client, "an.admin@example.com")

    assert mailoutbox == []


def test_with_passwords_off_the_break_glass_admin_gets_the_mail(client, mailoutbox, passwords_off):
    factories.admin(username="break.glass", email="break.glass@example.com")

    ask_for_reset(client, "break.glass@example.com")

    assert len(mailoutbox) == 1
    assert "/reset/" in mailoutbox[0].body


def test_a_link_mailed_before_passwords_were_turned_off_no_longer_works(client, mailoutbox, settings):
    factories.ops_lead(username="ops.late", email="late@example.com")
    ask_for_reset(client, "late@example.com")
    link = re.search(r"http://testserver(/reset/\S+/)", mailoutbox[0].body).group(1)
    settings.OIDC_ISSUER, settings.PASSWORD_LOGIN = "http://127.0.0.1:9", False

    page = client.get(link, follow=True).content.decode()

    assert "This link no longer works" in page

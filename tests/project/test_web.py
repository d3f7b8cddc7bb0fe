"""Sign-in, the login wall, failed-login lockout, health probes and the freshness section."""

import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def _project_urls():
    """Every URL pattern of the project outside the Django admin (which has its own login)."""
    from django.urls import get_resolver

    return sorted(
        "/" + str(pattern.pattern)
        for pattern in get_resolver().url_patterns
        if not str(pattern.pattern).startswith("admin/") and "<" not in str(pattern.pattern)
    )


PUBLIC = {"/login/", "/healthz", "/readyz"}
# Signing in with SSO and resetting a forgotten password happen before anyone is signed in.
PUBLIC |= {"/oidc/authenticate/", "/oidc/callback/", "/password-reset/", "/password-reset/sent/", "/reset/done/"}


API = {url for url in _project_urls() if url.startswith("/api/") and url != "/api/docs/"}


@pytest.mark.parametrize("url", sorted(set(_project_urls()) - PUBLIC - API))
def test_anonymous_visitor_is_sent_to_sign_in_from_every_page(client, url):
    response = client.get(url)
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("url", sorted(API))
def test_anonymous_api_client_is_answered_401_with_a_token_challenge(client, url):
    response = client.get(url)
    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")


def test_the_only_pages_open_without_signing_in_are_login_and_the_probes():
    assert set(_project_urls()) >= PUBLIC


def test_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_person_signs_in_and_lands_on_the_latest_months_exco_dashboard(client, cio):
    response = client.post(reverse("login"), {"username": "cio", "password": factories.PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/exco/")
    assert "ExCo dashboard ·" in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client, cio):
    response = client.post(reverse("login"), {"username": "cio", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_lock_the_account_and_are_logged(client, cio, caplog):
    caplog.set_level(logging.WARNING, logger="axes")
    for _ in range(3):
        client.post(reverse("login"), {"username": "cio", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    # Even the right password is refused while locked out.
    response = client.post(
        reverse("login"), {"username": "cio", "password": factories.PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert any("cio" in r.getMessage() and "198.51.100.7" in r.getMessage() for r in caplog.records)
    from axes.models import AccessFailureLog

    assert AccessFailureLog.objects.filter(username="cio", ip_address="198.51.100.7").count() >= 3


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failures_from_one_address_never_lock_the_account_out_from_another(client, cio):
    # A stranger guessing at the CIO's account locks only their own address out of it.
    for _ in range(3):
        client.post(reverse("login"), {"username": "cio", "password": "wrong"}, REMOTE_ADDR="198.51.100.7")
    stranger = client.post(
        reverse("login"), {"username": "cio", "password": factories.PASSWORD}, REMOTE_ADDR="198.51.100.7"
    )
    assert stranger.status_code == 429
    response = client.post(
        reverse("login"), {"username": "cio", "password": factories.PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cio.pk)


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_ready_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="redis://127.0.0.1:9/0")
def test_readyz_is_503_with_the_reason_when_the_broker_is_unreachable(client):
    # Port 9 (discard) has no listener here: a real connection refusal, not a mock.
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"][0].startswith("broker unreachable")


def test_admin_role_opens_the_administration(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("persona", ["cio", "ops_lead_a"])
def test_executives_and_ops_leads_are_kept_out_of_the_administration(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_dashboard_shows_stale_kpis_and_failed_sources_with_their_error(client, cio, kpi):
    from metrics.models import MetricSource

    MetricSource.objects.create(
        name="Catalogue",
        kind="http_json",
        url="https://catalogue.example/q",
        last_status="failed",
        last_error="answered 503 Service Unavailable",
    )
    client.force_login(cio)
    page = client.get("/", follow=True).content.decode()
    freshness = page[page.index('id="freshness"') :]
    assert kpi.name in freshness
    assert "never measured" in freshness
    assert "Catalogue" in freshness
    assert "answered 503 Service Unavailable" in freshness


def test_the_pager_keeps_the_other_parameters_of_the_query(rf):
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string

    request = rf.get("/exco/2026-01/kpi/x/", {"initiative": "claims-triage", "page": "2"})
    page = Paginator(range(250), 100).get_page(2)
    html = render_to_string("_pager.html", {"page": page, "previous": "← Earlier"}, request=request)
    assert '<a href="?initiative=claims-triage&amp;page=1">← Earlier</a>' in html
    assert '<a href="?initiative=claims-triage&amp;page=3">Next →</a>' in html
    assert "Page 2 of 3" in html
    one_page = Paginator(range(5), 100).get_page(1)
    assert render_to_string("_pager.html", {"page": one_page}, request=request).strip() == ""

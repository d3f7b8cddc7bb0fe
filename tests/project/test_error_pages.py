"""The error pages a person sees with DEBUG off (400, 403, 404, 405, 500): each on the site's look,
saying in plain words what happened and where to go; the API keeps its JSON answers."""

import json

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory, override_settings
from django.urls import reverse

from scoreboard import views
from tests.project.error_urls import SECRET_IN_THE_ERROR

pytestmark = pytest.mark.django_db

STYLESHEET = 'href="/static/css/scoreboard.css"'
HOME_LINK = '<a href="/">The ExCo dashboard</a>'


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# --- 400 ------------------------------------------------------------------------------------------------


def test_a_host_we_do_not_serve_is_a_400_page_on_the_sites_look(client):
    response = client.get("/", HTTP_HOST="scoreboard.attacker.example")

    page = _page(response)
    assert response.status_code == 400
    assert "We could not read that request" in page
    assert "nothing was changed" in page
    assert STYLESHEET in page
    assert HOME_LINK in page


def test_a_suspicious_request_is_a_400_page_with_a_way_home():
    response = views.bad_request(RequestFactory().get("/initiatives/"), SuspiciousOperation("tampered"))

    page = _page(response)
    assert response.status_code == 400
    assert "We could not read that request" in page
    assert "tampered" not in page
    assert HOME_LINK in page


def test_a_query_no_page_can_read_is_a_400_page_naming_the_parameter(client, cio, kpi):
    client.force_login(cio)

    response = client.get(f"/exco/2026-01/kpi/{kpi.code}/", {"initiative": "a\x00b"})

    page = _page(response)
    assert response.status_code == 400
    assert "initiative" in page
    assert STYLESHEET in page


# --- 403 ------------------------------------------------------------------------------------------------


def test_an_ops_lead_on_an_admin_page_is_told_who_may(client, ops_lead_a):
    client.force_login(ops_lead_a)

    response = client.get(reverse("governance:shadow-ai-add"))

    page = _page(response)
    assert response.status_code == 403
    assert "Only admins keep the shadow-AI register." in page
    assert "Nothing was changed" in page
    assert STYLESHEET in page
    assert HOME_LINK in page


def test_a_refused_sign_off_is_a_page_naming_who_signs(client, ops_lead_a):
    client.force_login(ops_lead_a)

    response = client.post("/exco/2026-02/sign-off/", {"slot": "cio", "comment": "On track."})

    page = _page(response)
    assert response.status_code == 403
    assert "Not allowed" in page
    assert "CIO" in page
    assert STYLESHEET in page


def test_a_403_offers_the_way_back_to_our_own_page_only(client, ops_lead_a):
    client.force_login(ops_lead_a)
    url = reverse("governance:shadow-ai-add")

    ours = _page(client.get(url, HTTP_REFERER="http://testserver/governance/shadow-ai/"))
    theirs = _page(client.get(url, HTTP_REFERER="https://elsewhere.example/phish"))

    assert '<a href="http://testserver/governance/shadow-ai/">Back to the page you came from</a>' in ours
    assert "elsewhere.example" not in theirs


# --- 404 ------------------------------------------------------------------------------------------------


def test_a_missing_initiative_is_a_404_page_not_the_debug_page(client, ops_lead_a):
    client.force_login(ops_lead_a)

    response = client.get(reverse("initiatives:detail", args=["no-such-initiative"]))

    page = _page(response)
    assert response.status_code == 404
    assert "Page not found" in page
    assert "URLconf" not in page
    assert STYLESHEET in page
    assert HOME_LINK in page


def test_an_unknown_address_is_a_404_page_that_lists_no_url_patterns(client, cio):
    client.force_login(cio)

    page = _page(client.get("/no/such/page/"))

    assert "There is nothing at this address." in page
    assert "api/v1" not in page
    assert "Sign in" not in page


def test_a_visitor_not_signed_in_is_offered_to_sign_in_from_a_404(client):
    response = client.get("/no/such/page/")

    page = _page(response)
    assert response.status_code == 404
    assert f'<a href="{reverse("login")}">Sign in</a>' in page


def test_an_unknown_api_address_still_answers_json(client, cio):
    client.force_login(cio)

    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


# --- 405 ------------------------------------------------------------------------------------------------


def test_opening_a_form_only_address_is_a_405_page_keeping_allow(client, cio):
    client.force_login(cio)

    response = client.get("/exco/2026-01/sign-off/")

    page = _page(response)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "This address takes a form's answer" in page
    assert "Open the page with the form and send it from there." in page
    assert STYLESHEET in page
    assert HOME_LINK in page


def test_a_method_a_page_does_not_take_is_named_with_the_ones_it_does(client, cio):
    client.force_login(cio)

    response = client.put(reverse("initiatives:list"))

    page = _page(response)
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert "does not take a PUT request" in page
    assert "It takes GET." in page


def test_a_method_the_api_does_not_take_is_still_drfs_json_405(client, admin_user):
    client.force_login(admin_user)

    response = client.delete("/api/v1/measurements/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "DELETE" in json.loads(response.content)["detail"]


# --- 500 ------------------------------------------------------------------------------------------------


@override_settings(ROOT_URLCONF="tests.project.error_urls")
def test_a_failing_page_is_a_500_page_that_does_not_leak_the_error(client, cio):
    client.force_login(cio)
    client.raise_request_exception = False

    response = client.get("/fails/")

    page = _page(response)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert SECRET_IN_THE_ERROR not in page
    assert "RuntimeError" not in page
    assert "Traceback" not in page
    assert STYLESHEET in page
    assert '<a href="/">The ExCo dashboard</a>' in page


def test_the_500_page_renders_without_a_session_user_or_database(django_assert_num_queries):
    # A request no middleware has touched: no user, no session, no messages.
    with django_assert_num_queries(0):
        response = views.server_error(RequestFactory().get("/exco/"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in _page(response)

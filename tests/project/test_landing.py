"""Each persona lands where their work is: signing in (and /) takes an ops lead to their
initiatives, everyone else to the latest month's ExCo dashboard; admins find the API docs and the
KPI catalogue in the navigation."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from scoreboard.models import Role

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def signed_in_through_the_page(user) -> str:
    """Where the sign-in page sends ``user``, as a browser follows it from /login/."""
    user.set_password(PASSWORD)
    user.save()
    browser = Client()
    answer = browser.post("/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    assert answer.status_code == 200
    return answer.redirect_chain[-1][0]


def test_an_ops_lead_lands_on_their_initiatives(ops_lead_a):
    assert signed_in_through_the_page(ops_lead_a) == "/my/"


@pytest.mark.parametrize("persona", ["cio", "admin_user"])
def test_executives_and_admins_land_on_the_latest_months_exco_page(request, persona):
    assert re.fullmatch(r"/exco/\d{4}-\d{2}/", signed_in_through_the_page(request.getfixturevalue(persona)))


def test_an_ops_lead_who_sits_on_the_exco_lands_on_the_exco_page(client, ops_lead_a):
    Group.objects.get(name=Role.EXECUTIVE.value).user_set.add(ops_lead_a)
    client.force_login(ops_lead_a)

    assert client.get("/")["Location"].startswith("/exco/")


def test_a_link_asked_for_before_signing_in_wins_over_the_landing_page(ops_lead_a, initiative_a):
    ops_lead_a.set_password(PASSWORD)
    ops_lead_a.save()
    page = f"/initiatives/{initiative_a.code}/"
    answer = Client().post(f"/login/?next={page}", {"username": "ops.a", "password": PASSWORD})
    assert answer["Location"] == page


def test_admins_find_the_api_docs_and_the_kpi_catalogue_in_the_navigation(client, admin_user, cio, ops_lead_a):
    for person, sees_api_docs in ((admin_user, True), (cio, False), (ops_lead_a, False)):
        client.force_login(person)
        nav = client.get("/kpis/").content.decode().split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
        assert 'href="/kpis/"' in nav
        assert ('href="/api/docs/"' in nav) is sees_api_docs, person

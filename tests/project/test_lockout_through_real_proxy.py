"""Sign-in lockouts through the real deployment (issue 15, defect 1): gunicorn with docker-compose's
production settings behind nginx terminating TLS with docs/nginx.conf. Every request reaches
gunicorn from nginx's address; visitors connect to nginx from their own loopback addresses.

A stranger's failures lock out only the stranger's address from that account: the executive
signs in from anywhere else, and a forged X-Forwarded-For gets the stranger nowhere.
"""

import pytest
from django.conf import global_settings, settings
from django.db import connection

from tests import factories
from tests.proxied_site import ProxiedSite
from tests.worker import shared_database_url

pytestmark = pytest.mark.django_db(transaction=True)

FAILURE_LIMIT = 5
CEO_HOME = "127.0.0.9"


@pytest.fixture(scope="module")
def site(tmp_path_factory, django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.fail("gunicorn shares the test database: run `make test` or `bash .ci/run` (PostgreSQL)")
    with django_db_blocker.unblock():
        url = shared_database_url()
    proxied = ProxiedSite(
        tmp_path_factory.mktemp("proxied-site"),
        database_url=url,
        broker_url=settings.CELERY_BROKER_URL,
        settings={"AXES_FAILURE_LIMIT": str(FAILURE_LIMIT), "AXES_COOLOFF_MINUTES": "15"},
    )
    try:
        yield proxied.start()
    finally:
        proxied.stop()


@pytest.fixture
def ceo(ceo, settings):
    # Stored with the hasher production uses (the suite's fast one is not installed there).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    ceo.set_password(factories.PASSWORD)
    ceo.save(update_fields=["password"])
    return ceo


def _is_lockout(response) -> bool:
    # Our lockout page, not nginx's own rate limit (also a 429).
    return response.status == 429 and "Too many failed sign-ins" in response.body


def test_a_strangers_failures_through_nginx_lock_out_the_stranger_and_never_the_ceo(site, ceo):
    stranger = site.visitor("127.0.0.7")
    for _ in range(FAILURE_LIMIT + 1):
        assert stranger.sign_in("ceo", "guess").status in (200, 429)

    assert _is_lockout(stranger.sign_in("ceo", factories.PASSWORD))

    at_home = site.visitor(CEO_HOME)
    signed_in = at_home.sign_in("ceo", factories.PASSWORD)
    assert signed_in.status == 302, signed_in.body[:500]
    assert "sessionid" in at_home.cookies
    home = at_home.request("GET", signed_in.headers["Location"])
    assert home.status in (200, 302)
    assert "Sign in" not in home.body


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(site, ceo):
    stranger = site.visitor("127.0.0.8")
    for n in range(FAILURE_LIMIT):
        stranger.sign_in("ceo", "guess", headers={"X-Forwarded-For": f"10.9.9.{n}"})

    forged = stranger.sign_in("ceo", factories.PASSWORD, headers={"X-Forwarded-For": CEO_HOME})

    assert _is_lockout(forged)
    assert "sessionid" not in stranger.cookies


def test_the_app_sees_the_visitor_not_the_proxy_in_its_failure_log(site, ceo):
    from axes.models import AccessFailureLog

    site.visitor("127.0.0.11").sign_in("ceo", "guess")

    assert list(AccessFailureLog.objects.values_list("username", "ip_address")) == [("ceo", "127.0.0.11")]

"""Sign-in lockouts behind the TLS proxy docker-compose documents (BEHIND_TLS_PROXY, PROXY_COUNT=1):
every request arrives from the proxy's address, with the client's appended to X-Forwarded-For.
A stranger's failures lock out only the stranger (issue 15, defect 1)."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from scoreboard.proxies import client_ip
from tests import factories

pytestmark = pytest.mark.django_db

PROXY = "172.18.0.5"  # the TLS proxy's address on the compose network: every REMOTE_ADDR
STRANGER, CEO_HOME = "203.0.113.7", "198.51.100.9"


def _sign_in(client, username: str, password: str, *, client_address: str, forwarded_by_client: str = ""):
    # What the proxy sends on: the client's own X-Forwarded-For (if any), then the address it saw.
    forwarded = f"{forwarded_by_client}, {client_address}" if forwarded_by_client else client_address
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
        HTTP_X_FORWARDED_PROTO="https",
    )


@override_settings(TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=5)
def test_a_strangers_failures_through_the_proxy_do_not_lock_out_the_ceo(client, ceo):
    for _ in range(6):
        _sign_in(client, "ceo", "guess", client_address=STRANGER)

    assert _sign_in(client, "ceo", factories.PASSWORD, client_address=STRANGER).status_code == 429
    response = _sign_in(client, "ceo", factories.PASSWORD, client_address=CEO_HOME)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ceo.pk)


@override_settings(TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=3)
def test_a_forged_forwarded_address_does_not_escape_the_lockout(client, ceo):
    for n in range(3):
        _sign_in(client, "ceo", "guess", client_address=STRANGER, forwarded_by_client=f"10.9.9.{n}")

    blocked = _sign_in(client, "ceo", factories.PASSWORD, client_address=STRANGER, forwarded_by_client="10.9.9.99")
    assert blocked.status_code == 429


def _request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "client"),
    [
        (1, PROXY, STRANGER, STRANGER),
        (1, PROXY, f"10.9.9.9, {STRANGER}", STRANGER),  # what the client wrote is never believed
        (2, PROXY, f"10.9.9.9, {STRANGER}, 172.18.0.9", STRANGER),  # two proxies of ours
        (1, PROXY, None, PROXY),  # not through the proxy: its own address
        (1, PROXY, "not-an-address", PROXY),
        (0, STRANGER, "10.9.9.9", STRANGER),  # no proxy trusted: the header is the client's
    ],
)
def test_the_client_is_the_address_the_nearest_trusted_proxy_saw(count, remote, forwarded, client):
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(_request(remote, forwarded)) == client

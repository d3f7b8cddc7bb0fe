"""scoreboard.net.fetch against a real local HTTP server: what it refuses, follows, cuts off and reports.

Only 127.0.0.1 is ever contacted. Refusals of other addresses must happen before any connection,
which the ``network_calls`` fixture proves by listening to Python's socket audit events.
"""

import ipaddress
import pickle
import re
import sys
import threading
import time

import pytest

from scoreboard.net import DestinationRefused, FetchError, FetchResponse, fetch
from tests import fake_sources
from tests.fake_sources import (
    FakeSource,
    running_fake_source,
    self_signed_certificate,
    tls_server_context,
    unused_port,
)

# The fixture, bound by assignment: importing it by name trips ruff's F811 at every test argument.
fake_source = fake_sources.fake_source

LOOPBACK = ["127.0.0.1"]
METADATA = "http://169.254.169.254/latest/meta-data"


def _fetch(url: str, allowed_hosts: list[str] = LOOPBACK, **kwargs) -> FetchResponse:
    options = {"timeout": 2.0, "max_bytes": 1_000_000, "allowed_hosts": allowed_hosts, **kwargs}
    return fetch(url, **options)


# --- proving that nothing was sent ------------------------------------------------------------

_watching = threading.Event()
_calls: list[tuple[str, str]] = []


def _is_loopback(host: object) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


def _audit(event: str, args: tuple) -> None:
    # Audit hooks cannot be removed, so this one does nothing outside this module's tests.
    if not _watching.is_set() or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    host = args[1][0] if event == "socket.connect" else args[0]
    _calls.append((event, host))
    if not _is_loopback(host):
        # Raising from an audit hook stops the call itself: these tests never leave 127.0.0.1.
        raise RuntimeError(f"a test tried to reach {host}; only loopback traffic is allowed here")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def network_calls():
    """Every (event, host) of a connect or DNS lookup made during the test; anything but loopback fails it."""
    _calls.clear()
    _watching.set()
    yield _calls
    _watching.clear()


def _connects(calls) -> list:
    return [host for event, host in calls if event == "socket.connect"]


# --- a source that answers ---------------------------------------------------------------------


def test_json_answer_is_returned_and_the_callers_headers_arrive(fake_source: FakeSource):
    fake_source.json("/kpi", {"value": 12.5})

    response = _fetch(fake_source.url("/kpi"), headers={"Authorization": "Bearer s3cret", "X-Api-Key": "k"})

    assert (response.status, response.body) == (200, b'{"value": 12.5}')
    assert response.headers["content-type"] == "application/json"
    received = fake_source.requests[0].headers
    assert (received["Authorization"], received["X-Api-Key"]) == ("Bearer s3cret", "k")
    assert received["Host"] == f"127.0.0.1:{fake_source.port}"


def test_params_are_added_to_the_query_string(fake_source: FakeSource):
    fake_source.prometheus_vector([({"team": "claims"}, 12.5, 1_767_225_600.0)], query="sum(rate(x[5m]))")

    response = _fetch(fake_source.url("/api/v1/query?time=1767225600"), params={"query": "sum(rate(x[5m]))"})

    assert response.url.endswith("/api/v1/query?time=1767225600&query=sum%28rate%28x%5B5m%5D%29%29")
    assert b'"value": [1767225600.0, "12.5"]' in response.body
    assert fake_source.requests[0].query == {"time": "1767225600", "query": "sum(rate(x[5m]))"}


@pytest.mark.parametrize("allowed", [["127.0.0.1"], ["127.0.0.0/8"], ["  127.0.0.1  ", ""]])
def test_loopback_server_is_reachable_when_its_address_or_network_is_allow_listed(fake_source, allowed):
    fake_source.text("/ok", "fine")

    assert _fetch(fake_source.url("/ok"), allowed_hosts=allowed).body == b"fine"


def test_allow_listed_address_does_not_extend_to_its_neighbours(fake_source, network_calls):
    with pytest.raises(DestinationRefused, match=r"127\.0\.0\.2 is a loopback address"):
        _fetch(f"http://127.0.0.2:{fake_source.port}/", allowed_hosts=["127.0.0.1"])

    assert _connects(network_calls) == []


# --- who is allowed ---------------------------------------------------------------------------


def test_host_not_on_the_allow_list_is_refused_before_any_dns_lookup(network_calls):
    with pytest.raises(DestinationRefused, match=r"metrics\.example\.net is not on the allow-list"):
        _fetch("http://metrics.example.net/kpi", allowed_hosts=["example.com", "*.example.org"])

    assert network_calls == []


@pytest.mark.parametrize("host", ["evil-example.com", "example.com.evil.net", "example.com", "xexample.com"])
def test_star_entry_does_not_match_lookalikes_or_the_domain_itself(host, network_calls):
    with pytest.raises(DestinationRefused, match="not on the allow-list"):
        _fetch(f"https://{host}/kpi", allowed_hosts=["*.example.com"])

    assert network_calls == []


def test_loopback_server_is_refused_when_only_another_host_is_allow_listed(fake_source, network_calls):
    with pytest.raises(DestinationRefused, match=r"refused: 127\.0\.0\.1 is a loopback address"):
        _fetch(fake_source.url("/kpi"), allowed_hosts=["localhost-only.example"])

    assert _connects(network_calls) == []
    assert fake_source.requests == []


def test_host_name_entry_does_not_permit_a_name_that_resolves_to_loopback(fake_source, network_calls):
    # The DNS-rebinding guard: an allow-listed name is refused once it resolves to an internal address.
    with pytest.raises(DestinationRefused, match=r"localhost resolves to 127\.0\.0\.1, which is a loopback address"):
        _fetch(f"http://localhost:{fake_source.port}/kpi", allowed_hosts=["localhost"])

    assert _connects(network_calls) == []
    assert fake_source.requests == []


def test_leading_dot_entry_matches_the_domain_itself_and_star_entry_does_not(fake_source):
    url = f"http://localhost:{fake_source.port}/kpi"

    # ".localhost" passes the name check, so the refusal is about the address it resolves to.
    with pytest.raises(DestinationRefused, match=r"resolves to 127\.0\.0\.1"):
        _fetch(url, allowed_hosts=[".localhost"])
    with pytest.raises(DestinationRefused, match="localhost is not on the allow-list"):
        _fetch(url, allowed_hosts=["*.localhost"])


def test_name_is_reachable_when_every_address_it_resolves_to_is_allow_listed(fake_source):
    fake_source.text("/ok", "fine")

    response = _fetch(f"http://LocalHost:{fake_source.port}/ok", allowed_hosts=["127.0.0.0/8", "::1"])

    assert response.body == b"fine"
    # Connected to the checked address, but the request still names the host the admin wrote.
    assert fake_source.requests[0].headers["Host"] == f"localhost:{fake_source.port}"


def test_a_single_string_is_not_accepted_as_the_allow_list():
    with pytest.raises(TypeError, match="list of entries"):
        fetch("http://example.com/", timeout=1, max_bytes=10, allowed_hosts="example.com")


# --- addresses that are never reachable without an explicit network entry ---------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://2130706433/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://127.0.0.1./", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", r"127\.0\.0\.1 in IPv6 form, a loopback"),
        ("http://[::ffff:127.0.0.1]:8080/", r"127\.0\.0\.1 in IPv6 form, a loopback"),
        ("http://[::127.0.0.1]/", r"127\.0\.0\.1 in IPv6 form, a loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://[::]/", "unspecified"),
    ],
)
def test_encoded_forms_of_loopback_are_refused_before_connecting(url, why, network_calls):
    with pytest.raises(DestinationRefused, match=f"{why} address and is not on METRIC_SOURCE_ALLOWED_HOSTS"):
        _fetch(url, allowed_hosts=["example.com"])

    assert network_calls == []  # read as the address they mean, without asking the resolver


def test_refusal_of_an_encoded_address_says_which_address_it_means():
    with pytest.raises(DestinationRefused) as refused:
        _fetch("http://0x7f000001:8080/metrics", allowed_hosts=["example.com"])

    assert str(refused.value) == (
        "refused: 0x7f000001 is 127.0.0.1 written another way, which is a loopback address "
        "and is not on METRIC_SOURCE_ALLOWED_HOSTS"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.5/", "a private address"),
        ("http://192.168.1.10/", "a private address"),
        ("http://172.16.0.1/", "a private address"),
        ("http://172.31.255.254/", "a private address"),
        ("http://169.254.169.254/latest/meta-data", "a link-local address"),
        ("http://100.64.0.1/", re.escape("a shared (carrier-grade NAT) address")),
        ("http://224.0.0.1/", "a multicast address"),
        ("http://240.0.0.1/", "a reserved address"),
        ("http://198.18.0.1/", "a private address"),
        ("http://[fd00::1]/", "a private address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("http://[::ffff:10.0.0.5]/", r"10\.0\.0\.5 in IPv6 form, a private address"),
        ("http://[::ffff:a9fe:a9fe]/", r"169\.254\.169\.254 in IPv6 form, a link-local address"),
        ("http://[2002:a00:1::]/", r"10\.0\.0\.1 in IPv6 form, a private address"),  # 6to4
        ("http://[64:ff9b::a00:1]/", r"10\.0\.0\.1 in IPv6 form, a private address"),  # NAT64
        ("http://0xa9fea9fe/", "a link-local address"),
    ],
)
def test_private_link_local_and_other_internal_addresses_are_refused_before_connecting(url, why, network_calls):
    with pytest.raises(DestinationRefused, match=why) as refused:
        _fetch(url, allowed_hosts=["example.com"])

    assert str(refused.value).startswith("refused: ")
    assert not refused.value.transient
    assert network_calls == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:70/_stats", "ftp://127.0.0.1/x", "dict://127.0.0.1:11211/"]
)
def test_non_http_schemes_are_refused(url, network_calls):
    with pytest.raises(DestinationRefused, match=r"is not an http:// or https:// address"):
        _fetch(url, allowed_hosts=["127.0.0.1", "example.com"])

    assert network_calls == []


def test_credentials_in_the_url_are_refused_and_not_repeated_in_the_message():
    with pytest.raises(FetchError, match="put credentials in its headers") as refused:
        _fetch("http://admin:hunter2@127.0.0.1/kpi")

    assert "hunter2" not in str(refused.value)


# --- redirects --------------------------------------------------------------------------------


def test_redirect_to_cloud_metadata_is_refused_and_not_followed(fake_source, network_calls):
    fake_source.redirect("/kpi", METADATA)

    with pytest.raises(DestinationRefused, match=f"redirected to {METADATA}; 169.254.169.254 is a link-local"):
        _fetch(fake_source.url("/kpi"))

    assert len(fake_source.requests) == 1
    assert set(_connects(network_calls)) == {"127.0.0.1"}


def test_redirect_to_a_non_http_scheme_is_refused(fake_source):
    fake_source.redirect("/kpi", "file:///etc/passwd")

    with pytest.raises(DestinationRefused, match="redirected to file:///etc/passwd"):
        _fetch(fake_source.url("/kpi"))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_within_the_allowed_server_is_followed(fake_source, status):
    fake_source.redirect("/old", "/new?page=2", status=status)
    fake_source.json("/new", {"value": 1})

    response = _fetch(fake_source.url("/old"))

    assert response.body == b'{"value": 1}'
    assert response.url == fake_source.url("/new?page=2")
    assert [r.path for r in fake_source.requests] == ["/old", "/new"]


def test_303_after_a_post_is_followed_with_a_get_without_the_body(fake_source):
    fake_source.redirect("/query", "/result", status=303)
    fake_source.json("/result", {"value": 1})

    _fetch(fake_source.url("/query"), method="POST", body=b"query=up")

    assert [(r.method, r.body) for r in fake_source.requests] == [("POST", b"query=up"), ("GET", b"")]


def test_redirect_to_another_origin_drops_the_callers_secret_headers(fake_source):
    with running_fake_source() as elsewhere:
        elsewhere.json("/kpi", {"value": 1})
        fake_source.redirect("/kpi", elsewhere.url("/kpi"))

        _fetch(fake_source.url("/kpi"), headers={"Authorization": "Bearer s3cret", "Accept": "application/json"})

        arrived = elsewhere.requests[0].headers
    assert "Authorization" not in arrived
    assert arrived["Accept"] == "application/json"


def test_too_many_redirects_is_a_permanent_failure(fake_source):
    fake_source.redirect("/a", "/b")
    fake_source.redirect("/b", "/a")

    with pytest.raises(FetchError, match="redirected more than 2 times") as failure:
        _fetch(fake_source.url("/a"), max_redirects=2)

    assert not failure.value.transient
    assert len(fake_source.requests) == 3


def test_redirect_status_without_location_is_a_permanent_failure(fake_source):
    fake_source.text("/moved", "", status=302)

    with pytest.raises(FetchError, match="answered 302 Found without saying where to") as failure:
        _fetch(fake_source.url("/moved"))

    assert not failure.value.transient


# --- time and size limits ---------------------------------------------------------------------


def test_slow_server_times_out_as_a_transient_failure_within_the_timeout(fake_source):
    fake_source.slow("/kpi", seconds=5, payload={"value": 1})

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 0\.5 s") as failure:
        _fetch(fake_source.url("/kpi"), timeout=0.5)

    assert failure.value.transient
    assert time.monotonic() - started < 1.5


def test_dribbling_server_is_cut_off_by_the_overall_deadline(fake_source):
    # One byte every 0.2 s never trips a per-read timeout; only the overall deadline stops it.
    fake_source.dribble("/kpi", total_seconds=10)

    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 1 s") as failure:
        _fetch(fake_source.url("/kpi"), timeout=1)

    assert failure.value.transient
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "streamed"])
def test_body_larger_than_the_cap_is_a_permanent_failure(fake_source, declare_length):
    fake_source.huge("/kpi", 5_000_000, declare_length=declare_length)

    with pytest.raises(FetchError, match="is larger than 100000 bytes") as failure:
        _fetch(fake_source.url("/kpi"), max_bytes=100_000)

    assert not failure.value.transient


def test_body_exactly_at_the_cap_is_accepted(fake_source):
    fake_source.huge("/kpi", 100_000, declare_length=False)

    assert len(_fetch(fake_source.url("/kpi"), max_bytes=100_000).body) == 100_000


# --- answers that are failures ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"), [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable")]
)
def test_server_errors_are_transient(fake_source, status, words):
    fake_source.status("/kpi", status)

    with pytest.raises(FetchError, match=f"answered {status} {words}") as failure:
        _fetch(fake_source.url("/kpi"))

    assert failure.value.transient


def test_too_many_requests_is_transient(fake_source):
    fake_source.status("/kpi", 429, headers={"Retry-After": "30"})

    with pytest.raises(FetchError, match="answered 429 Too Many Requests") as failure:
        _fetch(fake_source.url("/kpi"))

    assert failure.value.transient


@pytest.mark.parametrize(
    ("status", "words", "hint"),
    [
        (404, "404 Not Found", "check the address"),
        (401, "401 Unauthorized", "check the credentials in the source's headers"),
        (400, "400 Bad Request", ""),
    ],
)
def test_client_errors_are_permanent(fake_source, status, words, hint):
    fake_source.status("/kpi", status)

    with pytest.raises(FetchError) as failure:
        _fetch(fake_source.url("/kpi"))

    assert not failure.value.transient
    assert str(failure.value).startswith(f"http://127.0.0.1:{fake_source.port}/kpi answered {words}")
    assert hint in str(failure.value)


def test_prometheus_error_is_explained_in_the_message(fake_source):
    fake_source.prometheus_error('1:5: parse error: unexpected "]"')

    with pytest.raises(FetchError, match=r'answered 400 Bad Request: 1:5: parse error: unexpected "\]"'):
        _fetch(fake_source.url("/api/v1/query"), params={"query": "sum(x])"})


def test_message_does_not_repeat_the_query_string_which_may_hold_a_key(fake_source):
    fake_source.status("/kpi", 404)

    with pytest.raises(FetchError) as failure:
        _fetch(fake_source.url("/kpi?api_key=s3cret"))

    assert "s3cret" not in str(failure.value)


def test_connection_refused_is_transient():
    with pytest.raises(FetchError, match="refused the connection") as failure:
        _fetch(f"http://127.0.0.1:{unused_port()}/kpi")

    assert failure.value.transient
    assert not isinstance(failure.value, DestinationRefused)


def test_fetch_error_keeps_its_transient_flag_through_pickling():
    # Celery moves exceptions between processes by pickling them.
    for error in (FetchError("timed out after 5 s", transient=True), DestinationRefused("refused: x")):
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301  # our own bytes

        assert (type(copy), str(copy), copy.transient) == (type(error), str(error), error.transient)


# --- https --------------------------------------------------------------------------------------


@pytest.fixture
def tls_source(tmp_path, monkeypatch):
    """An https fake source whose certificate is valid for "localhost" only and trusted here."""
    certificate, key = self_signed_certificate(tmp_path, "localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # read by OpenSSL's default trust store
    with running_fake_source(tls=tls_server_context(certificate, key)) as source:
        yield source


def test_https_checks_the_certificate_against_the_host_name_while_connecting_to_the_checked_address(tls_source):
    tls_source.text("/kpi", "secure")

    response = _fetch(f"https://localhost:{tls_source.port}/kpi", allowed_hosts=["127.0.0.0/8"])

    assert response.body == b"secure"


def test_https_certificate_for_another_name_is_a_permanent_failure(tls_source):
    tls_source.text("/kpi", "secure")

    with pytest.raises(FetchError, match=r"the certificate of 127\.0\.0\.1 could not be verified") as failure:
        _fetch(tls_source.url("/kpi"))

    assert not failure.value.transient
    assert tls_source.requests == []


def test_https_with_an_untrusted_certificate_is_a_permanent_failure(tmp_path):
    certificate, key = self_signed_certificate(tmp_path, "localhost")
    with (
        running_fake_source(tls=tls_server_context(certificate, key)) as source,
        pytest.raises(FetchError, match="could not be verified") as failure,
    ):
        _fetch(f"https://localhost:{source.port}/kpi", allowed_hosts=["127.0.0.0/8"])

    assert not failure.value.transient

"""Bounded, allow-listed HTTP requests: pulled metric sources read through it, and chat
notifications are posted through it (scoreboard/chat.py), so both share one guard.

A metric source (or a chat webhook) is a URL typed in by an admin and fetched from inside our network, so a mistyped
or hostile source (or a DNS name or redirect that later points elsewhere) must not become a way
to reach the cloud metadata service, an internal admin page or a database port. ``fetch`` talks
only to allow-listed hosts, refuses loopback, private and link-local addresses unless their
network is allow-listed explicitly, checks every redirect the same way, and bounds every answer
in time and size.

Allow-list entries (``allowed_hosts``, normally ``settings.METRIC_SOURCE_ALLOWED_HOSTS``):

- ``prometheus.example.com``: that host name exactly (case-insensitive, no port);
- ``*.example.com``: any subdomain of example.com, at any depth, but not example.com itself;
- ``.example.com``: example.com and its subdomains, as in Django's ``ALLOWED_HOSTS``;
- ``10.1.2.3``, ``10.0.0.0/8``, ``::1``: an address or a network. A URL is allowed if its host
  name matches a name entry or every address it resolves to lies in a network entry. A name
  entry never permits a private address: the address itself must be in a network entry, so a
  public name that starts resolving to 127.0.0.1 (DNS rebinding) is still refused.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, urlencode, urljoin, urlsplit, urlunsplit

import urllib3.exceptions as u3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.response import BaseHTTPResponse

ALLOW_LIST_SETTING = "METRIC_SOURCE_ALLOWED_HOSTS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024
_ERROR_DETAIL_BYTES = 4096
_USER_AGENT = "ai-scoreboard metric pull"
# Caller headers that carry no secret and may follow a redirect to another origin; the rest
# (tokens, API keys, cookies) stay with the origin the admin configured them for.
_HEADERS_SAFE_ACROSS_ORIGINS = frozenset({"accept", "accept-language", "user-agent"})
# Sent by us, whatever the caller passes: Host must be the URL's host, and one connection per fetch.
_HEADERS_WE_SET = frozenset({"host", "connection"})
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
# Characters left as they are when re-quoting a path or query (RFC 3986 reserved + unreserved + %).
_SAFE_IN_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_IN_QUERY = _SAFE_IN_PATH + "?"

_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class FetchError(Exception):
    """A metric source could not be read; ``str()`` says why, in words an admin can act on.

    ``transient`` is True when trying again later may work (timeouts, refused or reset
    connections, DNS failures, 5xx and 429 answers) and False when someone must change the
    source or the allow-list first.
    """

    transient: bool

    def __init__(self, message: str, *, transient: bool = False) -> None:
        # A default for ``transient`` keeps the exception picklable (Celery sends errors between
        # processes); BaseException's pickling restores the flag from ``__dict__``.
        super().__init__(message)
        self.transient = transient


class DestinationRefused(FetchError):
    """The URL, or a redirect it led to, points somewhere the allow-list does not permit."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


@dataclass(frozen=True)
class FetchResponse:
    url: str  # the URL that answered, after redirects, with its query string
    status: int
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    params: dict[str, str] | None = None,
    timeout: float,
    max_bytes: int,
    allowed_hosts: Sequence[str],
    max_redirects: int = 3,
) -> FetchResponse:
    """Fetch ``url`` once (no retries: Celery retries transient failures) and return a 2xx answer.

    ``timeout`` bounds each connect and each read, and also the whole call: connecting, every
    redirect hop and the full body must be done within ``timeout`` seconds of the call. A body
    larger than ``max_bytes`` is a permanent failure. Every other outcome is a ``FetchError``.
    """
    if timeout <= 0 or max_bytes < 0 or max_redirects < 0:
        raise ValueError("timeout must be positive; max_bytes and max_redirects must not be negative")
    allow = _AllowList.parse(allowed_hosts)
    deadline = _Deadline(timeout)
    method = method.upper()
    request_headers = {name: value for name, value in (headers or {}).items() if name.lower() not in _HEADERS_WE_SET}
    current = _with_params(url, params)
    previous: _Destination | None = None

    for hop in range(max_redirects + 1):
        try:
            destination = _destination(current, allow)
        except DestinationRefused as exc:
            if previous is None:
                raise
            reason = str(exc).removeprefix("refused: ")
            raise DestinationRefused(f"refused: {previous.shown} redirected to {_shown(current)}; {reason}") from exc
        if previous is not None and destination.origin != previous.origin:
            request_headers = {k: v for k, v in request_headers.items() if k.lower() in _HEADERS_SAFE_ACROSS_ORIGINS}

        answer = _exchange(
            destination, method=method, headers=request_headers, body=body, deadline=deadline, max_bytes=max_bytes
        )

        location = answer.headers.get("location")
        if answer.status in _REDIRECT_STATUSES and location:
            target = urljoin(current, location.strip())
            if hop == max_redirects:
                raise FetchError(
                    f"{_shown(url)} redirected more than {max_redirects} time{'' if max_redirects == 1 else 's'} "
                    f"(last to {_shown(target)}); "
                    "point the source at the final address"
                )
            if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
                # What browsers and HTTP clients do: the redirected request becomes a GET without a body.
                method = "HEAD" if method == "HEAD" else "GET"
                body = None
                request_headers = {k: v for k, v in request_headers.items() if k.lower() != "content-type"}
            previous, current = destination, target
            continue

        if 200 <= answer.status < 300:
            return FetchResponse(url=current, status=answer.status, headers=answer.headers, body=answer.body)
        raise _status_failure(destination, answer)

    raise AssertionError("unreachable: the loop returns or raises on its last hop")  # pragma: no cover


def check(url: str, *, allowed_hosts: Sequence[str]) -> None:
    """Refuse ``url`` as ``fetch`` would before connecting: DestinationRefused when the rules do
    not permit it, FetchError when it is not a usable address (transient when DNS did not answer,
    which says nothing about the address). For checking a configured address when it is saved."""
    _destination(url, _AllowList.parse(allowed_hosts))


# --- Where we may connect -------------------------------------------------------------------


@dataclass(frozen=True)
class _AllowList:
    names: frozenset[str]
    domain_suffixes: tuple[str, ...]  # ".example.com": matches anything ending in it
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Sequence[str]) -> _AllowList:
        if isinstance(entries, str):
            # A bare string is a Sequence too, and would allow-list its single characters.
            raise TypeError("allowed_hosts must be a list of entries, not a single string")
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if entry.startswith("*."):
                suffixes.append(entry[1:])
            elif entry.startswith("."):
                suffixes.append(entry)
                names.add(entry[1:])
            else:
                names.add(entry)
        return cls(names=frozenset(names), domain_suffixes=tuple(suffixes), networks=tuple(networks))

    def allows_name(self, host: str) -> bool:
        host = host.rstrip(".")
        return host in self.names or any(host.endswith(suffix) for suffix in self.domain_suffixes)

    def allows_address(self, ip: IPAddress) -> bool:
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        return any(candidate in network for candidate in candidates for network in self.networks)


@dataclass(frozen=True)
class _Destination:
    scheme: str
    host: str  # ASCII host name, or the IP literal as written in the URL (without brackets)
    port: int
    request_target: str  # path and query, as sent on the request line
    host_header: str
    shown: str  # scheme://host[:port]/path: for messages, without the query (it may hold a key)
    addresses: tuple[IPAddress, ...]  # every address checked; we connect to these, never re-resolve

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def _destination(url: str, allow: _AllowList) -> _Destination:
    """Parse ``url`` and check its host and every address it resolves to against the rules."""
    scheme, host, port, request_target, host_header, shown = _parse(url)
    literal = _ip_literal(host)
    name_allowed = literal is None and allow.allows_name(host)
    not_listed = f"{host} is not on the allow-list ({ALLOW_LIST_SETTING})"
    if literal is None and not name_allowed and not allow.networks:
        # Nothing could allow it: refuse before even asking DNS about the name.
        raise _refused(not_listed)

    addresses = (literal,) if literal is not None else _resolve(host, port, shown)
    for ip in addresses:
        if allow.allows_address(ip):
            continue
        why = _why_not_public(ip)
        if why is None:
            continue
        if literal is None:
            subject = f"{host} resolves to {ip}, which is"
        elif _legacy_ipv4(host) is not None and host != str(ip):
            subject = f"{host} is {ip} written another way, which is"
        else:
            subject = f"{host} is"
        raise _refused(f"{subject} {why} and is not on {ALLOW_LIST_SETTING}")
    if not name_allowed and not all(allow.allows_address(ip) for ip in addresses):
        raise _refused(not_listed)
    return _Destination(scheme, host, port, request_target, host_header, shown, addresses)


def _refused(reason: str) -> DestinationRefused:
    return DestinationRefused(f"refused: {reason}")


def _parse(url: str) -> tuple[str, str, int, str, str, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"the source address is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _refused(f"{_shown(url)} is not an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise FetchError("the source address contains a user name or password; put credentials in its headers")
    host = parts.hostname or ""
    if _ip_literal(host) is None:
        try:
            host = host.encode("idna").decode("ascii") if not host.isascii() else host
        except UnicodeError as exc:
            raise FetchError(f"{host!r} is not a valid host name") from exc
        if not _HOST_NAME.fullmatch(host):
            raise FetchError(f"{host!r} is not a valid host name" if host else "the source address has no host name")
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    bracketed = f"[{host}]" if ":" in host else host
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    path = quote(parts.path or "/", safe=_SAFE_IN_PATH)
    query = quote(parts.query, safe=_SAFE_IN_QUERY)
    request_target = f"{path}?{query}" if query else path
    return scheme, host, port, request_target, host_header, f"{scheme}://{host_header}{path}"


def _shown(url: str) -> str:
    """The URL for a message: no user info, query or fragment, which may hold secrets."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "the source address"
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")) or "the source address"


def _with_params(url: str, params: dict[str, str] | None) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return _legacy_ipv4(host)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read the numeric forms inet_aton accepts (``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
    ``127.1``) ourselves, so they are checked as the address they mean whatever the C library does.
    """
    parts = host.rstrip(".").split(".")
    if not host or len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        if re.fullmatch(r"0[xX][0-9a-fA-F]*", part):
            numbers.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]+", part):
            numbers.append(int(part, 8))
        elif re.fullmatch(r"[0-9]+", part):
            numbers.append(int(part))
        else:
            return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, n in enumerate(leading):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _resolve(host: str, port: int, shown: str) -> tuple[IPAddress, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(
            f"could not look up {host} ({exc.strerror}); check the address of {shown}, or DNS may be down",
            transient=True,
        ) from exc
    except (UnicodeError, ValueError) as exc:
        raise FetchError(f"{host!r} is not a valid host name") from exc
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            ip = ipaddress.ip_address(sockaddr[0])
            if ip not in addresses:
                addresses.append(ip)
    if not addresses:
        raise FetchError(f"{host} has no IPv4 or IPv6 address", transient=True)
    return tuple(addresses)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _why_not_public(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public internet address, in words; None when it is one."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = _why_not_public(inner)
            if why is not None:
                return f"{inner} in IPv6 form, {why}"
            if ip.ipv4_mapped is not None or ip in _NAT64:
                return None  # exactly the public IPv4 address it carries
        if ip in _NAT64_LOCAL_USE:
            return "a local-use NAT64 address"
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip in _SHARED_ADDRESS_SPACE, "a shared (carrier-grade NAT) address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public internet address"),
    )
    return next((why for matches, why in checks if matches), None)


# --- One request and its answer -------------------------------------------------------------


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def remaining(self, destination: _Destination) -> float:
        left = self._at - time.monotonic()
        if left <= 0:
            raise _timed_out(destination, self.seconds)
        return left


class _Watchdog:
    """Cuts the connection when the overall deadline passes.

    Socket timeouts only bound each read, so a server sending one byte every few seconds would
    never trip them; shutting the socket down from a timer ends any blocked read at once.
    """

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.fired = False
        self._sock = sock
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.fired = True  # before the shutdown, so the failing read sees why it failed
        with contextlib.suppress(OSError):
            # socket.socket's own shutdown, not SSLSocket's, which would drop TLS state under the reader.
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        self._timer.join()


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    error_detail: str | None


def _exchange(
    destination: _Destination,
    *,
    method: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: _Deadline,
    max_bytes: int,
) -> _Answer:
    sent_headers = {"Host": destination.host_header, "User-Agent": _USER_AGENT, **headers, "Connection": "close"}
    connection = _connect(destination, deadline)
    response: BaseHTTPResponse | None = None
    try:
        with _Watchdog(connection.sock, deadline.remaining(destination)) as watchdog:
            try:
                connection.request(
                    method,
                    destination.request_target,
                    body=body,
                    headers=sent_headers,
                    preload_content=False,
                    decode_content=True,
                )
                response = connection.getresponse()
                answer_headers = {name.lower(): value for name, value in response.headers.itermerged()}
                content = b""
                detail = None
                if 200 <= response.status < 300:
                    content = _read_capped(response, max_bytes, destination)
                elif response.status not in _REDIRECT_STATUSES:
                    detail = _error_detail(response)
            except FetchError:
                raise
            except ValueError as exc:
                # http.client refusing a header with a line break in it; not echoed, it may be a secret.
                raise FetchError(
                    f"the request for {destination.shown} is not valid HTTP: a header or the method "
                    "contains characters HTTP does not allow"
                ) from exc
            except (OSError, http.client.HTTPException, u3.HTTPError) as exc:
                if watchdog.fired:
                    raise _timed_out(destination, deadline.seconds) from exc
                raise _network_failure(destination, exc, deadline.seconds) from exc
        if watchdog.fired:
            # A body ended by the watchdog can look complete (no Content-Length): never trust it.
            raise _timed_out(destination, deadline.seconds)
    finally:
        if response is not None:
            response.close()
        connection.close()
    return _Answer(response.status, response.reason or "", answer_headers, content, detail)


def _connect(destination: _Destination, deadline: _Deadline) -> HTTPConnection:
    """Connect to the first checked address that answers; no second DNS lookup happens here."""
    for attempt, ip in enumerate(destination.addresses, start=1):
        per_operation = min(deadline.seconds, deadline.remaining(destination))
        connection: HTTPConnection
        if destination.scheme == "https":
            # The socket goes to the checked address while SNI and the certificate check use the
            # URL's host name (urllib3 verifies against the system CAs, hostname checking on).
            connection = HTTPSConnection(
                str(ip), destination.port, timeout=per_operation, server_hostname=destination.host
            )
        else:
            connection = HTTPConnection(str(ip), destination.port, timeout=per_operation)
        try:
            connection.connect()
        except (u3.NewConnectionError, u3.ConnectTimeoutError, ConnectionError, TimeoutError) as exc:
            connection.close()
            if attempt == len(destination.addresses):
                raise _network_failure(destination, exc, deadline.seconds) from exc
            continue
        except (OSError, u3.HTTPError) as exc:  # TLS handshake and certificate failures
            connection.close()
            raise _network_failure(destination, exc, deadline.seconds) from exc
        return connection
    raise FetchError(f"{destination.host} has no address to connect to", transient=True)


def _read_capped(response: BaseHTTPResponse, max_bytes: int, destination: _Destination) -> bytes:
    declared = response.headers.get("content-length")
    # A compressed body's declared length says nothing about its decoded size, so only trust it plain.
    if declared and declared.isdigit() and not response.headers.get("content-encoding") and int(declared) > max_bytes:
        raise _too_large(destination, max_bytes)
    chunks: list[bytes] = []
    received = 0
    while chunk := response.read(_CHUNK_BYTES):
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(destination, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _error_detail(response: BaseHTTPResponse) -> str | None:
    """A short explanation from an error answer's body (Prometheus puts "error" in its JSON)."""
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type and not content_type.startswith("text/plain"):
        return None
    try:
        text = response.read(_ERROR_DETAIL_BYTES).decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException, u3.HTTPError):
        return None
    if "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return None
        fields = (data.get(key) for key in ("error", "message", "detail")) if isinstance(data, dict) else ()
        text = next((field for field in fields if isinstance(field, str)), "")
    line = " ".join(text.split())
    return (line[:197] + "...") if len(line) > 200 else (line or None)


# --- Messages an admin can act on -----------------------------------------------------------


def _timed_out(destination: _Destination, seconds: float) -> FetchError:
    return FetchError(f"{destination.shown} timed out after {seconds:g} s", transient=True)


def _too_large(destination: _Destination, max_bytes: int) -> FetchError:
    return FetchError(f"the answer from {destination.shown} is larger than {max_bytes} bytes")


_STATUS_HINTS = {
    401: "check the credentials in the source's headers",
    403: "check the credentials in the source's headers and what they may read",
    404: "check the address",
}


def _status_failure(destination: _Destination, answer: _Answer) -> FetchError:
    try:
        phrase = HTTPStatus(answer.status).phrase
    except ValueError:
        phrase = "".join(ch for ch in answer.reason if ch.isprintable())[:60]
    message = f"{destination.shown} answered {answer.status} {phrase}".rstrip()
    if answer.error_detail:
        message += f": {answer.error_detail}"
    if answer.status == 429 or 500 <= answer.status < 600:
        return FetchError(message, transient=True)
    if answer.status in _REDIRECT_STATUSES:
        return FetchError(f"{message} without saying where to (no Location header)")
    hint = _STATUS_HINTS.get(answer.status)
    if hint:
        return FetchError(f"{message}; {hint}")
    if not 400 <= answer.status < 500:
        return FetchError(f"{message}, which is not a usable answer")
    return FetchError(message)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _network_failure(destination: _Destination, exc: BaseException, seconds: float) -> FetchError:
    where = f"{destination.host}:{destination.port}"
    causes = list(_causes(exc))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return FetchError(f"{where} refused the connection; is the service running on that port?", transient=True)
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchError(f"the certificate of {destination.host} could not be verified ({cause.verify_message})")
    if isinstance(exc, u3.NewConnectionError):
        root = causes[-1]
        reason = root.strerror if isinstance(root, OSError) and root.strerror else "network error"
        return FetchError(f"could not connect to {where} ({reason})", transient=True)
    if any(isinstance(c, TimeoutError | u3.TimeoutError) for c in causes):
        return _timed_out(destination, seconds)
    if any(isinstance(c, ssl.SSLEOFError | ssl.SSLZeroReturnError) for c in causes):
        return FetchError(f"{where} closed the connection during the TLS handshake", transient=True)
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return FetchError(f"could not set up TLS with {where} ({cause.reason or 'TLS error'}); is it https?")
    broken = (ConnectionError, http.client.IncompleteRead, u3.ProtocolError)
    if any(isinstance(c, broken) for c in causes):
        return FetchError(f"{where} closed the connection before the answer was complete", transient=True)
    if any(isinstance(c, u3.DecodeError) for c in causes):
        return FetchError(f"the answer from {destination.shown} could not be decompressed")
    if any(isinstance(c, http.client.HTTPException) for c in causes):
        return FetchError(f"{destination.shown} did not give a valid HTTP answer; is it an HTTP service?")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return FetchError(f"could not talk to {where} ({reason})", transient=True)

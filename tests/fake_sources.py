"""A real HTTP server on 127.0.0.1 that tests program to play a metric source.

Tests talk to it over real sockets, so the HTTP client, its timeouts and its limits are exercised
as in production; nothing in the client is mocked. Use the ``fake_source`` fixture in tests, or
``running_fake_source()`` anywhere else (a test that starts a Celery worker in a subprocess keeps
the server in the test process and hands the worker ``source.url(...)``).

    fake_source.json("/kpi", {"value": 12.5})
    fake_source.prometheus_vector([({"team": "claims"}, 12.5, 1_767_225_600)], query="sum(x)")
    fetch(fake_source.url("/kpi"), ...)
    assert fake_source.requests[0].headers["Authorization"] == "Bearer s3cret"
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from urllib3 import HTTPHeaderDict

Labels = dict[str, str]
Responder = Callable[["_Handler"], None]

_PROMETHEUS_QUERY = "/api/v1/query"
_PROMETHEUS_QUERY_RANGE = "/api/v1/query_range"


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]  # the last value of each query-string parameter
    headers: HTTPHeaderDict  # case-insensitive: headers["authorization"] == headers["Authorization"]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)  # an application/x-www-form-urlencoded body


@dataclass(frozen=True)
class _Route:
    path: str
    params: tuple[tuple[str, str], ...]  # query or form parameters the request must carry
    method: str | None
    respond: Responder


class FakeSource:
    """The programmable server. Later routes for the same path and parameters replace earlier ones."""

    host = "127.0.0.1"

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.scheme = "https" if tls else "http"
        self._routes: list[_Route] = []
        self._requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server((self.host, 0), _Handler, source=self, tls=tls)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-source-{self.port}",
            daemon=True,
        )

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeSource:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes slow and dribbling answers so their threads end
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- addresses and what arrived -----------------------------------------------------

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path if path.startswith('/') else '/' + path}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path]

    # --- programming answers ------------------------------------------------------------

    def route(
        self, path: str, respond: Responder, *, params: dict[str, str] | None = None, method: str | None = None
    ) -> None:
        """Answer requests to ``path`` (carrying ``params``, if given) with ``respond(handler)``."""
        route = _Route(path, tuple(sorted((params or {}).items())), method and method.upper(), respond)
        with self._lock:
            self._routes = [
                r for r in self._routes if (r.path, r.params, r.method) != (path, route.params, route.method)
            ]
            self._routes.append(route)

    def json(
        self,
        path: str,
        payload: Any,
        status: int = 200,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(payload).encode()
        self.route(path, lambda h: h.answer(status, body, "application/json", headers), params=params)

    def text(
        self,
        path: str,
        body: str | bytes,
        status: int = 200,
        content_type: str = "text/plain; charset=utf-8",
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.route(path, lambda h: h.answer(status, data, content_type, headers), params=params)

    def status(self, path: str, status: int, *, headers: dict[str, str] | None = None) -> None:
        """Answer with just a status (and a JSON error body, as most APIs do)."""
        self.json(path, {"error": f"programmed status {status}"}, status, headers=headers)

    def slow(self, path: str, seconds: float, payload: Any = None, *, params: dict[str, str] | None = None) -> None:
        """Wait ``seconds`` before sending anything at all, then answer ``payload`` as JSON."""
        body = json.dumps(payload).encode()

        def respond(h: _Handler) -> None:
            if not self.stopping.wait(seconds):
                h.answer(200, body, "application/json")

        self.route(path, respond, params=params)

    def dribble(self, path: str, total_seconds: float, *, interval: float = 0.2) -> None:
        """Send the headers at once, then one byte every ``interval`` for ``total_seconds``."""
        n_bytes = max(1, round(total_seconds / interval))

        def respond(h: _Handler) -> None:
            h.start_answer(200, "application/octet-stream", {"Content-Length": str(n_bytes)})
            for _ in range(n_bytes):
                h.wfile.write(b"7")
                if self.stopping.wait(interval):
                    return

        self.route(path, respond)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.route(path, lambda h: h.answer(status, b"", "text/plain", {"Location": location}))

    def huge(self, path: str, n_bytes: int, *, declare_length: bool = True) -> None:
        """Answer ``n_bytes`` bytes; without ``declare_length`` the size shows only while reading."""

        def respond(h: _Handler) -> None:
            h.start_answer(200, "application/octet-stream", {"Content-Length": str(n_bytes)} if declare_length else {})
            block = b"0" * 65536
            remaining = n_bytes
            while remaining > 0 and not self.stopping.is_set():
                h.wfile.write(block[:remaining])
                remaining -= len(block)

        self.route(path, respond)

    def prometheus_vector(
        self,
        path_or_samples: str | list[tuple[Labels, float, float]],
        samples: list[tuple[Labels, float, float]] | None = None,
        *,
        query: str | None = None,
    ) -> None:
        """Answer like Prometheus' instant query API. ``samples`` are ``(labels, value, unix_time)``.

        The path defaults to /api/v1/query; ``query=`` answers only that PromQL expression (sent as
        a query-string or form parameter), so one path can serve several expressions.
        """
        path, rows = _path_and_rows(path_or_samples, samples, _PROMETHEUS_QUERY)
        result = [{"metric": dict(labels), "value": [at, _prometheus_number(value)]} for labels, value, at in rows]
        self._prometheus(path, {"resultType": "vector", "result": result}, query)

    def prometheus_matrix(
        self,
        path_or_series: str | list[tuple[Labels, list[tuple[float, float]]]],
        series: list[tuple[Labels, list[tuple[float, float]]]] | None = None,
        *,
        query: str | None = None,
    ) -> None:
        """Answer like Prometheus' range query API. ``series`` are ``(labels, [(value, unix_time), ...])``,
        the same (value, time) order as ``prometheus_vector``. The path defaults to /api/v1/query_range.
        """
        path, rows = _path_and_rows(path_or_series, series, _PROMETHEUS_QUERY_RANGE)
        result = [
            {"metric": dict(labels), "values": [[at, _prometheus_number(value)] for value, at in points]}
            for labels, points in rows
        ]
        self._prometheus(path, {"resultType": "matrix", "result": result}, query)

    def prometheus_error(
        self,
        error: str,
        *,
        error_type: str = "bad_data",
        status: int = 400,
        path: str = _PROMETHEUS_QUERY,
        query: str | None = None,
    ) -> None:
        payload = {"status": "error", "errorType": error_type, "error": error}
        self.json(path, payload, status, params={"query": query} if query is not None else None)

    def _prometheus(self, path: str, data: dict[str, Any], query: str | None) -> None:
        self.json(path, {"status": "success", "data": data}, params={"query": query} if query is not None else None)

    # --- used by the handler ------------------------------------------------------------

    def _record_and_route(self, request: ReceivedRequest) -> Responder | None:
        offered = {**request.query, **request.form}
        with self._lock:
            self._requests.append(request)
            candidates = [
                r
                for r in self._routes
                if r.path == request.path
                and r.method in (None, request.method)
                and all(offered.get(k) == v for k, v in r.params)
            ]
        # The most specific route wins; among equals, the latest.
        best = max(reversed(candidates), key=lambda r: (len(r.params), r.method is not None), default=None)
        return best.respond if best else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() wakes slow answers; no need to wait for their threads

    def __init__(self, address: tuple[str, int], handler: type[_Handler], *, source: FakeSource, tls: Any) -> None:
        self.source = source
        self.tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake happens in the handler's thread, on its first read.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up early (our fetch cutting a dribble, a TLS client refusing our
        # certificate) are what the tests are about; no tracebacks on stderr for them.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        form = {}
        if self.headers.get_content_type() == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        request = ReceivedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=HTTPHeaderDict(self.headers.items()),
            body=body,
            form=form,
        )
        respond = self.server.source._record_and_route(request)
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            if respond is None:
                self.answer(404, f"no fake route for {self.command} {parts.path}".encode(), "text/plain")
            else:
                respond(self)

    def start_answer(self, status: int, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.start_answer(status, content_type, {"Content-Length": str(len(body)), **(headers or {})})
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # the base class's name
        pass


def _path_and_rows(path_or_rows: Any, rows: Any, default_path: str) -> tuple[str, list[Any]]:
    if isinstance(path_or_rows, str):
        return path_or_rows, list(rows or [])
    return default_path, list(path_or_rows)


def _prometheus_number(value: float) -> str:
    """A sample value as Prometheus writes it: a string, with NaN and ±Inf spelled its way."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(float(value))
    return text.removesuffix(".0")


@contextlib.contextmanager
def running_fake_source(*, tls: ssl.SSLContext | None = None) -> Iterator[FakeSource]:
    """A started fake source, stopped on exit; usable outside pytest fixtures."""
    source = FakeSource(tls=tls).start()
    try:
        yield source
    finally:
        source.stop()


@pytest.fixture
def fake_source() -> Iterator[FakeSource]:
    with running_fake_source() as source:
        yield source


def unused_port() -> int:
    """A port on 127.0.0.1 with nothing listening (free a moment ago), for "connection refused"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path, hostname: str = "localhost") -> tuple[Path, Path]:
    """Write a certificate valid only for ``hostname`` and its key, with the openssl command.

    Returns (certificate, key). Skips the calling test when openssl is not installed.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # fixed arguments, no shell
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={hostname}",
            "-addext",
            f"subjectAltName=DNS:{hostname}",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def tls_server_context(certificate: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context

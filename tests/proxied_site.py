"""The app as docker-compose deploys it, for the tests that must see the real thing: gunicorn
with the compose file's environment for `web` (DEBUG off, collected static files, secure
cookies, behind one TLS proxy), behind nginx terminating TLS with the proxy configuration we
give our users (docs/nginx.conf).

Clients connect from chosen loopback addresses (127.0.0.0/8 is all ours), so nginx sees a
different client address for each visitor, while gunicorn sees nginx's, as in production.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parents[1]
NGINX_SITE = ROOT / "docs" / "nginx.conf"
COMPOSE = ROOT / "docker-compose.yml"


def compose_environment(service: str = "web") -> dict[str, str]:
    """A service's environment in docker-compose.yml, each ``${VAR:-default}`` at its default
    (``${VAR:?...}``, which compose requires, is left empty for the caller to give)."""
    environment = yaml.safe_load(COMPOSE.read_text())["services"][service]["environment"]
    default = re.compile(r"\$\{\w+(?::-([^}]*)|:\?[^}]*)\}")
    return {name: default.sub(lambda m: m.group(1) or "", str(value)) for name, value in environment.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "site.pem", directory / "site.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def site_config(*, listen_port: int, app_port: int, cert: Path, key: Path) -> str:
    """docs/nginx.conf with only its addresses and certificate replaced: the rest is what users run."""
    site = NGINX_SITE.read_text()
    for ours, theirs in [
        ("listen 443 ssl;", f"listen 127.0.0.1:{listen_port} ssl;"),
        ("/etc/ssl/certs/scoreboard.pem", str(cert)),
        ("/etc/ssl/private/scoreboard.key", str(key)),
        ("http://127.0.0.1:8000", f"http://127.0.0.1:{app_port}"),
    ]:
        if ours not in site:
            raise AssertionError(f"docs/nginx.conf no longer says {ours!r}: update tests/proxied_site.py with it")
        site = site.replace(ours, theirs)
    return site


def _wait_until_listening(port: int, process: subprocess.Popen, what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@dataclass
class ProxiedSite:
    """gunicorn behind nginx, in ``directory``; ``start()`` then ``stop()``."""

    directory: Path
    database_url: str
    broker_url: str
    settings: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    app_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        # docker-compose.yml's environment for `web`, with only its addresses and secret ours.
        return {
            **os.environ,
            **compose_environment("web"),
            "SECRET_KEY": secrets.token_urlsafe(60),
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            # The ExCo cache on the same Redis, a database apart; local memory without one.
            "REDIS_URL": self.broker_url.rsplit("/", 1)[0] + "/1" if self.broker_url.startswith("redis") else "",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": self.origin,
            "STATIC_ROOT": str(self.directory / "static"),  # the image collects at build time
            **self.settings,
        }

    def start(self) -> ProxiedSite:
        env = self.environment()
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        log = self.directory / "gunicorn.log"
        gunicorn = subprocess.Popen(
            # As docker-compose.yml runs it, with one worker fewer.
            [
                *(sys.executable, "-m", "gunicorn", "scoreboard.wsgi", "--bind", f"127.0.0.1:{self.app_port}"),
                *("--workers", "2", "--timeout", "60"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(gunicorn)
        _wait_until_listening(self.app_port, gunicorn, "gunicorn", log)
        self.processes.append(self._start_nginx())
        return self

    def _start_nginx(self) -> subprocess.Popen:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        cert, key = self_signed_certificate(self.directory)
        site = self.directory / "site.conf"
        site.write_text(site_config(listen_port=self.port, app_port=self.app_port, cert=cert, key=key))
        d = self.directory
        # As root, nginx's workers would run as nobody, who cannot write in our private directory.
        user = "user root root;" if os.geteuid() == 0 else ""
        main = d / "nginx.conf"
        main.write_text(
            f"{user} daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/nginx.log;\n"
            "events { worker_connections 64; }\n"
            f"http {{ access_log {d}/access.log; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n"
            f"  fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n"
            f"  include {site}; }}\n"
        )
        log = d / "nginx.log"
        process = subprocess.Popen(
            [nginx, "-c", str(main), "-p", str(d), "-e", str(log)], stdout=log.open("a"), stderr=subprocess.STDOUT
        )
        _wait_until_listening(self.port, process, "nginx", log)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def visitor(self, address: str) -> Visitor:
        return Visitor(self, address)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str


class Visitor:
    """A browser at one address: keeps its cookies, trusts the site's certificate, and sends
    what a browser sends with a form (its Origin). ``headers`` adds to every request."""

    def __init__(self, site: ProxiedSite, address: str):
        self.site, self.address = site, address
        self.cookies: dict[str, str] = {}
        self.tls = ssl.create_default_context(cafile=str(site.directory / "site.pem"))

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> Response:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.site.port, source_address=(self.address, 0), context=self.tls, timeout=30
        )
        sent = {"Origin": self.site.origin, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            response = Response(answer.status, answer.msg, answer.read().decode("utf-8", "replace"))
        finally:
            connection.close()
        for line in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return response

    def sign_in(self, username: str, password: str, headers: dict | None = None) -> Response:
        if "csrftoken" not in self.cookies or not getattr(self, "_token", None):
            form = self.request("GET", "/login/")
            self._token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1)
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": self._token})
        return self.request("POST", "/login/", body=body, headers=headers)

"""The real OpenID Connect provider the SSO tests sign in through (tests/oidc_provider/), started
once per session as a separate process on a free loopback port, and a driver for its pages.

    oidc_provider.issuer                       # http://127.0.0.1:<port>
    with oidc_provider.knobs(aud="someone-else"): ...   # the provider misbehaves, then behaves again
    with oidc_provider.groups("coo.sso", ["scoreboard-ops"]): ...  # moved at the provider, then back
    response = sign_in_through_provider(client, oidc_provider, "coo.sso")  # the scoreboard's answer
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.oidc_provider.serve import CLIENT_ID, CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "provider-password"
ROLE_MAP = "scoreboard-cio=executive:CIO,scoreboard-coo=executive:COO,scoreboard-ops=ops lead,scoreboard-admins=admin"

# The provider's directory: each person with a reason to exist.
DIRECTORY = {
    "coo.sso": {"given_name": "Olivia", "family_name": "Osei", "groups": ["scoreboard-coo", "all-staff"]},
    "cio.sso": {"given_name": "Ivan", "family_name": "Iqbal", "groups": ["scoreboard-cio"]},
    "ops.sso": {"given_name": "Priya", "family_name": "Patel", "groups": ["scoreboard-ops"]},
    "admin.sso": {"given_name": "Ada", "family_name": "Adeyemi", "groups": ["scoreboard-admins"]},
    # In the company's directory, but in none of the scoreboard's groups.
    "marketing.sso": {"given_name": "Mark", "family_name": "Ting", "groups": ["marketing", "all-staff"]},
    # Moved between groups by the tests, and back.
    "mover.sso": {"given_name": "Max", "family_name": "Mover", "groups": ["scoreboard-coo", "scoreboard-admins"]},
}


class Provider:
    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.issuer = ""  # once started
        self._directory = {
            name: {**person, "password": PASSWORD, "email": f"{name}@example.com"} for name, person in DIRECTORY.items()
        }
        # Before the provider starts: it creates its people from it.
        self._write("directory.json", self._directory)

    def _write(self, name: str, data: dict) -> None:
        path = self.state_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)  # the provider never reads half a file

    @contextlib.contextmanager
    def knobs(self, **knobs):
        """The provider's next ID tokens made wrong in one way (tests/oidc_provider/validators.py)."""
        self._write("knobs.json", knobs)
        try:
            yield
        finally:
            self._write("knobs.json", {})

    @contextlib.contextmanager
    def groups(self, username: str, groups: list[str]):
        """``username`` in ``groups`` at the provider, as its admin would set them, then as before."""
        before = self._directory[username]["groups"]
        self._directory[username]["groups"] = groups
        self._write("directory.json", self._directory)
        try:
            yield
        finally:
            self._directory[username]["groups"] = before
            self._write("directory.json", self._directory)


def _start(state_dir: Path) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(state_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=open(state_dir / "provider.log", "wb"),  # noqa: SIM115 - the process's, closed with it
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        text=True,
    )
    ready: list[str] = []
    reader = threading.Thread(target=lambda: ready.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=60)
    if not ready or not ready[0].startswith("READY "):
        process.kill()
        log = (state_dir / "provider.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"The test OpenID Connect provider did not start:\n{log}")
    return process, int(ready[0].split()[1])


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID Connect provider (django-oauth-toolkit) on loopback, for the whole session."""
    with tempfile.TemporaryDirectory(prefix="scoreboard-oidc-") as tmp:
        provider = Provider(Path(tmp))
        process, port = _start(provider.state_dir)
        provider.issuer = f"http://127.0.0.1:{port}"
        try:
            yield provider
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def sso(settings, oidc_provider):
    """Single sign-on turned on, against the test provider (passwords still allowed)."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ROLES_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    return oidc_provider


# --- Driving the provider's pages over HTTP, the scoreboard through Django's test client ----------


class _Forms(HTMLParser):
    """The first form of a page: its action and the values its inputs would send."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self._done:
            self._in_form, self.action = True, attrs.get("action") or ""
        elif tag == "input" and self._in_form and attrs.get("name") and attrs.get("type") != "submit":
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def submit_form(browser: requests.Session, page: requests.Response, **values) -> requests.Response:
    form = _Forms()
    form.feed(page.text)
    assert form.action is not None, f"no form on {page.url}: {page.text[:300]}"
    return browser.post(
        urljoin(page.url, form.action), data={**form.fields, **values}, allow_redirects=False, timeout=10
    )


def provider_answer(client, username: str, *, start: str = "/oidc/authenticate/") -> str:
    """The address the provider sends the browser back to after ``username`` signs in there and
    consents: the scoreboard's callback with the code and state (not yet opened)."""
    started = client.get(start)
    assert started.status_code == 302, started.content[:300]
    browser = requests.Session()
    page = browser.get(started["Location"], timeout=10)  # the provider sends us to its login page
    assert "Test identity provider" in page.text, page.text[:300]
    signed_in = submit_form(browser, page, username=username, password=PASSWORD)
    assert signed_in.status_code == 302, f"the provider refused {username}'s password"
    consent = browser.get(urljoin(page.url, signed_in.headers["Location"]), timeout=10)
    answer = submit_form(browser, consent, allow="Authorize")
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def callback_path(answer: str) -> str:
    parts = urlsplit(answer)
    return f"{parts.path}?{parts.query}"


def sign_in_through_provider(client, username: str, **kwargs):
    """``username`` signs in at the provider; the scoreboard's answer to the provider's redirect."""
    return client.get(callback_path(provider_answer(client, username, **kwargs)))

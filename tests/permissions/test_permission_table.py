"""Who gets what from every address of the product: one table, every persona, every method.

``CASES`` is the whole permission surface outside the Django admin: each REST endpoint under
/api/v1/ with each method its router exposes (list, retrieve, create, update, delete and the
custom actions), a few methods it does not expose (nothing is writable by accident), the API
schema and docs, and every page of the project (scoreboard/urls.py and the apps' urls.py it
includes). One row per request:

    Case(method, url, (anonymous, cio, ops_lead_a, ops_lead_b, admin), body, done, note)

with the HTTP status each of the five personas must get: the signed-out visitor, an executive
(the CIO), the ops leads of initiatives A and B, and an admin; the personas of tests/conftest.py,
made once for the module. Placeholders in the URL and the body name what the row is about
(``{milestone_a.pk}``: a milestone of initiative A); ``MAKERS`` makes each just before the
request, so a row costs only what it names. What is written belongs to initiative A, which ops
lead A leads and ops lead B does not, so the two must get different answers. Bodies are valid
for the endpoint: a refusal can only come from the permissions.

Each row runs as each persona, a test of its own (``<method> <url> [<note>] as <persona>``):

- the status is the table's; an anonymous API request is also given the token challenge, an
  anonymous page request is sent to sign in, and a signed-in person never is (but by signing out);
- a write the persona may make (``done`` is set and the answer is a 2xx, or a page form's
  redirect) has happened: the row is created, changed or deleted;
- anything else, a read or a refused write (401, 403, 404, 405, 409, a redirect to sign in),
  leaves every row of every table as it was: all tables but the sessions are read before and
  after the request and compared (the product's, their history and many-to-many tables, users
  and roles, the admin's log, sign-in attempts, scheduled jobs).

Two more tests keep the table complete: every method of every endpoint the router exposes, and
every page address of the project, has a row.

The rows are kept by area: the API and the pages in table_api_and_pages.py, then table_matrix.py,
table_decision_log.py, table_registers.py and table_gates.py; what they share (the personas, the
Case, MAKERS and the World, the valid bodies) in cases.py.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, get_resolver, resolve

from scoreboard import urls as scoreboard_urls
from tests import factories
from tests.db_rows import rows
from tests.permissions.cases import PERSONAS, World, fill
from tests.permissions.table_api_and_pages import API_AND_PAGE_CASES
from tests.permissions.table_decision_log import DECISION_LOG_CASES
from tests.permissions.table_gates import GATES_CASES
from tests.permissions.table_matrix import MATRIX_CASES
from tests.permissions.table_registers import REGISTERS_CASES
from tests.permissions.table_sign_in import SIGN_IN_PAGE_CASES

pytestmark = pytest.mark.django_db


CASES = API_AND_PAGE_CASES + MATRIX_CASES + DECISION_LOG_CASES + REGISTERS_CASES + GATES_CASES
# The sign-in pages; who may sign in how is the sign-in table's (test_sign_in_table.py).
CASES += SIGN_IN_PAGE_CASES


# --- Running a row ---------------------------------------------------------------------------------------


def send(client, method: str, url: str, body):
    if body is None:
        return client.generic(method, url)
    if url.startswith("/api/"):
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    return client.post(url, body)  # a page's form


@pytest.fixture(scope="module")
def cast(django_db_setup, django_db_blocker):
    """The personas of tests/conftest.py and their initiatives, made once for the whole table:
    each test's own changes are rolled back at its end, these at the end of the module."""
    md5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=md5), transaction.atomic():
        cio = factories.executive(username="cio", title="CIO", first_name="Claire", last_name="Ito")
        coo = factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")
        ops_lead_a, ops_lead_b = factories.ops_lead(username="ops.a"), factories.ops_lead(username="ops.b")
        initiative_a = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
        initiative_a.ops_leads.add(ops_lead_a)
        initiative_b = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
        initiative_b.ops_leads.add(ops_lead_b)
        kpi = factories.KPIFactory(code="fixture-kpi", accountable_executive=cio, co_accountable_executive=coo)
        kpi.initiatives.add(initiative_a, initiative_b)  # both report it
        yield {
            "cio": cio,
            "coo": coo,
            "ops_lead_a": ops_lead_a,
            "ops_lead_b": ops_lead_b,
            "admin": factories.admin(username="admin"),
            "initiative_a": initiative_a,
            "initiative_b": initiative_b,
            "kpi": kpi,
        }
        transaction.set_rollback(True)


@pytest.fixture
def world(cast, db):
    return World(cast)


@pytest.fixture(scope="module")
def _browser():
    # One for the whole table: each new client loads the middleware again, and WhiteNoise's
    # scan of the static files would cost half the run. A crash is a 500 in the table.
    return Client(raise_request_exception=False)


@pytest.fixture
def browser(_browser):
    """The test client (not enforcing CSRF, tested in tests/api/test_api.py), signed out."""
    _browser.cookies.clear()
    return _browser


@pytest.mark.parametrize(
    ("case", "persona"),
    [pytest.param(case, persona, id=f"{case} as {persona}") for case in CASES for persona in PERSONAS],
)
def test_persona_gets_the_expected_status_and_a_refusal_changes_no_row(browser, world, case, persona):
    url, body = fill(case.url, world), fill(case.body, world)  # makes what the row names
    user = None if persona == "anonymous" else world[persona]
    if user is not None:
        browser.force_login(user, backend="scoreboard.auth_backends.PasswordBackend")  # as tests/conftest.py
    expected = case.expect[PERSONAS.index(persona)]
    before = rows()

    response = send(browser, case.method, url, body)

    assert response.status_code == expected, response.content[:500]
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if expected == 302:
        # Anonymous visitors are sent to sign in; people signed in only when they sign out.
        assert response["Location"].startswith("/login/") == (user is None or url == "/logout/")
    if case.done is not None and user is not None and expected < 400:
        assert case.done(world), f"{case} answered {expected} as {persona}, but nothing changed"
    else:
        after = rows()
        touched = sorted(label for label in before if before[label] != after[label])
        assert not touched, f"{case} answered {expected} as {persona}, yet changed rows in {touched}"


# --- The table is complete ---------------------------------------------------------------------------------


@pytest.fixture
def every_row(world):
    """(method, URL name with its namespace) of every row of the table, its placeholders filled in."""
    return {(case.method, resolve(fill(case.url, world).split("?")[0]).view_name) for case in CASES}


def test_the_table_has_every_method_of_every_endpoint_the_router_exposes(every_row):
    exposed = set()
    for pattern in scoreboard_urls.api.urls:
        actions = getattr(pattern.callback, "actions", None) or {"get": "root"}
        exposed |= {(method.upper(), pattern.name) for method in actions if method not in ("head", "options")}
    assert exposed - every_row == set()


def _pages(patterns, namespace: str = "") -> set[str]:
    """Every named page, through the apps' includes (the admin and /api/v1/ are covered apart)."""
    pages = set()
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pages.add(f"{namespace}{pattern.name}")
        elif str(pattern.pattern) not in ("admin/", "api/v1/"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            pages |= _pages(pattern.url_patterns, inner)
    return pages


def test_the_table_has_every_page_of_the_project(every_row):
    pages = _pages(get_resolver().url_patterns)
    assert {"initiatives:detail", "workspace:log"} <= pages  # the includes are walked
    assert pages - {name for method, name in every_row if method == "GET"} == set()

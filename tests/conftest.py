"""Personas and shared fixtures.

The cast, each with a reason to exist: the CIO and the COO (executives who sign off),
two ops leads who each lead a different initiative, and an admin.
"""

import os

import pytest
from django.conf import settings
from django.test import Client

from initiatives.models import Initiative
from metrics.models import KPI
from tests import factories
from tests.browser import browser, page  # noqa: F401 - fixtures: Chromium through Playwright
from tests.fake_sources import fake_source  # noqa: F401 - a fixture: a real local HTTP server
from tests.sso.provider import oidc_provider, sso  # noqa: F401 - fixtures: a real OpenID Connect provider
from tests.worker import real_worker  # noqa: F401 - a fixture: a real Celery worker thread


def _services_line() -> str:
    db = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL
    if broker == settings.IN_PROCESS_BROKER:
        broker = "none: tasks run in-process (eager); worker tests use the in-memory transport"
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    # pytest-django creates a separate test database on that server (in memory for SQLite).
    where = "in-memory test database" if engine == "sqlite3" else f"test database on {db.get('HOST')}:{db.get('PORT')}"
    return f"database: {engine} ({where}); broker: {_redact(broker)}"


def _redact(url: str) -> str:
    # Keep passwords in broker URLs out of CI logs.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # The very first line of a run says what it runs against, so a log can't mislead.
    config.get_terminal_writer().line(f"scoreboard tests: {_services_line()}")
    if os.environ.get("CI") and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise pytest.UsageError("CI is set but DATABASE_URL is not PostgreSQL: refusing to fall back to SQLite.")
    if os.environ.get("CI") and settings.CELERY_BROKER_URL == settings.IN_PROCESS_BROKER:
        raise pytest.UsageError("CI is set but CELERY_BROKER_URL is not: refusing to run without the real broker.")


class _Client(Client):
    def force_login(self, user, backend="scoreboard.auth_backends.PasswordBackend"):
        # The first backend is django-axes', which only guards authenticate(); sessions
        # are loaded through the model backend.
        super().force_login(user, backend=backend)


@pytest.fixture
def client():
    return _Client()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test's database starts empty, and with it the ExCo page's versions: a page another
    # test kept under the same versions must not be served here.
    from django.core.cache import caches

    for name in caches:
        caches[name].clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cio(db):
    return factories.executive(username="cio", title="CIO", first_name="Claire", last_name="Ito")


@pytest.fixture
def coo(db):
    return factories.executive(username="coo", title="COO", first_name="Omar", last_name="Okafor")


@pytest.fixture
def ceo(db):
    return factories.executive(username="ceo", title="CEO", first_name="Elena", last_name="Eriksen")


@pytest.fixture
def admin_user(db):
    return factories.admin(username="admin")


@pytest.fixture
def ops_lead_a(db):
    return factories.ops_lead(username="ops.a")


@pytest.fixture
def ops_lead_b(db):
    return factories.ops_lead(username="ops.b")


# The personas' initiatives report the per-initiative `kpi` fixture, whichever is made first:
# a measurement for a KPI its initiative does not report is refused. KPIs a test makes itself
# are linked by that test.


@pytest.fixture
def initiative_a(cio, coo, ops_lead_a):
    initiative = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
    initiative.ops_leads.add(ops_lead_a)
    initiative.kpis.add(*_fixture_kpis())
    return initiative


@pytest.fixture
def initiative_b(cio, coo, ops_lead_b):
    initiative = factories.InitiativeFactory(technology_owner=cio, operations_owner=coo)
    initiative.ops_leads.add(ops_lead_b)
    initiative.kpis.add(*_fixture_kpis())
    return initiative


@pytest.fixture
def kpi(cio, coo):
    kpi = factories.KPIFactory(code="fixture-kpi", accountable_executive=cio, co_accountable_executive=coo)
    kpi.initiatives.add(*Initiative.objects.all())
    return kpi


def _fixture_kpis():
    return KPI.objects.filter(code="fixture-kpi", scope="initiative")


@pytest.fixture
def in_process_jobs():
    """Jobs as a newcomer's laptop runs them: in-process (eager), whatever broker is set."""
    from scoreboard.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous

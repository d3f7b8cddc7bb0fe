"""A real Celery worker for the tests that need one, and a way to wait for what it does.

``real_worker`` is registered in tests/conftest.py, so any test may ask for it.
``shared_database_url`` points a process the test starts (worker, gunicorn) at its database.
"""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from scoreboard.celery import app


@pytest.fixture
def real_worker():
    """A worker thread consuming from the configured broker (in-memory when none is set)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = previous


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def shared_database_url() -> str:
    """The test database, for a process the test starts: it sees only committed rows, so the
    test runs with ``django_db(transaction=True)``."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"

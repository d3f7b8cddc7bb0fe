"""`make run`'s process set for real: `manage.py run_local` starts the web server, a Celery worker
and beat on a fresh SQLite file with a folder for a broker (no Redis, no PostgreSQL, whatever the
suite itself runs on); a source an admin adds while it runs is pulled on its cron schedule, and
Ctrl-C stops every process it started. When one of them dies, the rest are stopped too.

The migrated database is built once for the module (about 25 s of CPU on SQLite) and copied for
each test. The scheduled pull waits for the next whole minute, so the first test takes 1-2 minutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from tests.fake_sources import running_fake_source, unused_port

MANAGE_PY = str(Path(settings.BASE_DIR) / "manage.py")

# Which source an admin adds: read every minute from the fake server, feeding a company-wide KPI.
# Each answer is timed to its second, so every pull stores a value of its own: the sweeper's
# first pull of a source never pulled (which may come first) leaves the scheduled one its own.
ADD_A_SOURCE = """
from django.db import transaction
from metrics.models import MetricSource, SourceMapping
from metrics.services.pulls import source_save
from tests import factories

with transaction.atomic():
    kpi = factories.KPIFactory(code="kpi-pulled", scope="company")
    source = source_save(
        source=MetricSource(
            name="Every minute", kind="http_json", url={url!r}, timestamp_path="$.measured_at", schedule="* * * * *"
        )
    )
    SourceMapping.objects.create(source=source, kpi=kpi, expression="$.value")
"""


def _environment(database: Path) -> dict[str, str]:
    """The suite's environment, but SQLite and no broker: what a newcomer's laptop has."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {
            "CELERY_BROKER_URL",
            "CELERY_RESULT_BACKEND",
            "CELERY_FILESYSTEM_DIR",
            "REDIS_URL",
            "CELERY_TASK_ALWAYS_EAGER",
        }
    }
    return environment | {
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "true",
        "METRIC_SOURCE_ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }


def _manage(database: Path, *arguments: str, timeout: float = 300) -> None:
    subprocess.run(
        [sys.executable, MANAGE_PY, *arguments],
        cwd=settings.BASE_DIR,
        env=_environment(database),
        check=True,
        capture_output=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("make-run") / "migrated.sqlite3"
    _manage(database, "migrate", "--noinput")
    return database


@dataclass
class ProcessSet:
    supervisor: subprocess.Popen
    database: Path
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        """Every process the supervisor started, and theirs (runserver's reloaded server)."""
        return _descendants(self.supervisor.pid)


@pytest.fixture
def process_set(migrated_database, tmp_path) -> Iterator[ProcessSet]:
    database = tmp_path / "db.sqlite3"
    shutil.copy(migrated_database, database)
    port, log = unused_port(), tmp_path / "run_local.log"
    with log.open("wb") as output:
        supervisor = subprocess.Popen(
            [sys.executable, MANAGE_PY, "run_local", f"127.0.0.1:{port}", "--run-dir", str(tmp_path / "run")],
            cwd=settings.BASE_DIR,
            env=_environment(database),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    started = ProcessSet(supervisor, database, port, log)
    try:
        yield started
    finally:
        # Whatever a failed test left running: every group the supervisor started, then the supervisor.
        for pid in started.children():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        supervisor.kill()
        supervisor.wait()


def _descendants(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped; its parent only has to reap it


def _eventually(condition, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until_up(started: ProcessSet) -> None:
    def up():
        assert started.supervisor.poll() is None, f"run_local stopped while starting:\n{started.output()}"
        output = started.output()
        return _serving(started.port) and " ready." in output and "beat: Starting..." in output

    assert _eventually(up, timeout=90), f"the web server, worker and beat did not all start:\n{started.output()}"


def _value_measured_now(handler) -> None:
    measured_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    handler.answer(200, json.dumps({"value": 12.5, "measured_at": measured_at}).encode(), "application/json")


def _scheduled_pull_stored(database: Path) -> tuple[int, float] | None:
    with contextlib.closing(sqlite3.connect(database, timeout=5)) as db:
        run = db.execute(
            "SELECT rows_stored FROM metrics_pullrun WHERE trigger = 'schedule' AND status = 'succeeded'"
        ).fetchone()
        value = db.execute(
            "SELECT m.value FROM metrics_measurement m JOIN metrics_kpi k ON k.id = m.kpi_id "
            "WHERE k.code = 'kpi-pulled'"
        ).fetchone()
    return (run[0], float(value[0])) if run and value else None


def test_make_runs_process_set_pulls_a_new_source_on_its_schedule_and_ctrl_c_stops_it_all(process_set):
    began = time.monotonic()
    _wait_until_up(process_set)
    with running_fake_source() as fake:
        fake.route("/kpi", _value_measured_now)
        # An admin adds a source while everything runs; beat reads the new schedule from the database.
        _manage(process_set.database, "shell", "-c", ADD_A_SOURCE.format(url=fake.url("/kpi")))

        # The next whole minute, plus beat's 5 s look at the schedules, plus the pull itself.
        assert _eventually(lambda: _scheduled_pull_stored(process_set.database), timeout=150), (
            f"no scheduled pull stored the value:\n{process_set.output()}"
        )
    assert _scheduled_pull_stored(process_set.database) == (1, 12.5)
    pulled = time.monotonic()
    children = process_set.children()
    assert len(children) >= 3  # the web server (and its reloaded server), the worker, beat

    process_set.supervisor.send_signal(signal.SIGINT)

    assert process_set.supervisor.wait(timeout=30) == 0, process_set.output()
    assert [pid for pid in children if _alive(pid)] == []
    assert "run_local: stopped: the web server, the worker and beat" in process_set.output()
    print(
        f"started and pulled in {pulled - began:.0f} s; Ctrl-C stopped everything in {time.monotonic() - pulled:.1f} s"
    )


def test_when_one_process_dies_run_local_stops_the_others_and_fails_naming_it(process_set):
    _wait_until_up(process_set)
    children = process_set.children()
    worker = next(
        pid for pid in children if b" worker" in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    )

    os.kill(worker, signal.SIGKILL)

    assert process_set.supervisor.wait(timeout=30) != 0
    assert [pid for pid in children if _alive(pid)] == []
    assert "the worker stopped by itself (killed by SIGKILL), so the web server and beat were stopped too" in (
        process_set.output()
    )
    assert not _serving(process_set.port)

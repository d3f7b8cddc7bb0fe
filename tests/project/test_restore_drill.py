"""The restore drill: a backup (`manage.py backup`, the real pg_dump) of a company with two signed
months, restored (`manage.py restore`, the real pg_restore) into a database of its own, reads the
same: each signed month's kept pack byte for byte, the ExCo figures, the history and every one of
its rows. And the refusals: no backup on SQLite, nor of a database that is not there; no restore
over a database that holds data, nor of a file that is missing or not a dump.

How the restored database is read: the code whose reads are compared (the ExCo dashboard, the
history) reads through Django's default connection and never says ``.using()``. So ``reading``
swaps ``connections["default"]`` for a connection to the restored database and swaps it back
after: the same code, unchanged, reads either database. A second ``DATABASES`` entry would need
``.using()`` in that code, or a router, which raw SQL ignores.

pg_dump is another process and sees only committed rows, so the drill builds its company in the
test database with ``django_db(transaction=True)``: pytest-django empties that database after the
test, and the restored database, created here on the same server, is dropped.
"""

import hashlib
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from scoreboard import backups, demo, history
from scoreboard.exco.dashboard import exco_dashboard
from scoreboard.exco.pack import month_pack
from scoreboard.exco.services import review_sign
from scoreboard.models import MonthlyPack, MonthlyReview, User
from scoreboard.months import first_of_month, previous_month
from tests.worker import shared_database_url

ROOT = Path(__file__).resolve().parents[2]
# The demo's clock: its months are September to November 2026, September signed by both and
# October by the CIO only, which the COO then signs here through the sign-off service.
BUILT_AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.fail("Backups are of PostgreSQL: set DATABASE_URL to one (make test starts one on loopback).")


@pytest.fixture
def empty_database(postgresql):
    """A database created for the test on the test database's server, dropped after it."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def reading(database: str):
    """Django's default connection, and so all the code, on ``database`` until the block ends."""
    default = connections[DEFAULT_DB_ALIAS]
    other = type(default)({**default.settings_dict, "NAME": database}, alias=DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = other
    try:
        yield
    finally:
        other.close()
        connections[DEFAULT_DB_ALIAS] = default


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_reads_as_the_database_did_packs_figures_and_history(tmp_path, empty_database):
    signed = _company_with_two_signed_months()
    dump = tmp_path / "drill.dump"
    call_command("backup", output=dump, stdout=StringIO())
    now = timezone.now()

    output = StringIO()
    with reading(empty_database):
        call_command("restore", str(dump), stdout=output)
        restored = _what_is_read(signed, now)
    backed_up = _what_is_read(signed, now)

    assert sorted(restored["packs"]) == [(month, 1) for month in signed]
    assert restored["packs"] == backed_up["packs"]  # byte for byte, and the sha256 recorded
    assert restored["exco"] == backed_up["exco"]
    assert restored["history_rows"] == backed_up["history_rows"]
    assert restored["history"] == backed_up["history"]
    for month in signed:
        assert f"pack {month:%Y-%m} revision 1: {backed_up['packs'][(month, 1)][1]}" in output.getvalue()


def _company_with_two_signed_months() -> list:
    """The demo company, small; the month the CIO alone had signed is signed by the COO too, and
    each signed month's pack is printed and kept."""
    demo.build_demo_company(initiatives=3, months=3, now=BUILT_AT)
    october = previous_month(first_of_month(BUILT_AT.date()))
    review_sign(month=october, by=User.objects.get(username="coo"), slot="coo", comment="Restore drill: signed.")
    signed = sorted(MonthlyReview.objects.filter(frozen_at__isnull=False).values_list("month", flat=True))
    assert signed == [previous_month(october), october]
    for month in signed:
        month_pack(month)
    return signed


def _what_is_read(signed: list, now) -> dict:
    """What the restore must keep, read through the app's own code from the default connection."""
    history_models = [m for m in apps.get_models() if "_historical" in m._meta.db_table]
    # Every history table there is, so a new one cannot be left out of the drill unnoticed.
    tables = {t for t in connection.introspection.table_names() if "_historical" in t}
    assert {m._meta.db_table for m in history_models} == tables
    return {
        "packs": {
            (p.month, p.revision): (bytes(p.pdf), p.sha256, hashlib.sha256(bytes(p.pdf)).hexdigest())
            for p in MonthlyPack.objects.all()
        },
        "exco": {month: _exco_figures(month, now) for month in signed},
        "history_rows": {m._meta.db_table: _rows_and_hash(m) for m in history_models},
        # The history as the pages read it, of every tracked model (many-to-many sets are read with
        # theirs), a measurement's too.
        "history": history.page(
            *(history.Source(m.instance_type) for m in history_models if hasattr(m.instance_type, "history")),
            number=1,
            per_page=100_000,
        ).object_list,
    }


def _rows_and_hash(model) -> tuple[int, str]:
    rows = list(model.objects.order_by("pk").values_list())
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def _exco_figures(month, now) -> dict:
    page = exco_dashboard(month, now=now)
    review = page["review"]
    tiles = [page["primary"], *page["headline"], *(t for layer in page["layers"] for t in layer["tiles"])]
    return {
        "tiles": [_tile(t) for t in tiles if t],
        "charts": page["charts"],
        "signatures": (review.revision, review.cio_signed_at, review.coo_signed_at, review.frozen_at),
        "warnings": [(w.number, w.title, w.count, w.items) for w in page["warnings"]],
        "attention": {k: len(v) if isinstance(v, list) else v for k, v in page["attention"].items()},
        "stages": page["stage_counts"],
        "redesign": page["redesign"],
    }


def _tile(tile: dict) -> tuple:
    snapshot, earlier = tile["snapshot"], tile["earlier"]
    return (
        tile["kpi"].code,
        tile["status"],
        snapshot and (snapshot.value, snapshot.target, snapshot.status),
        earlier and earlier.value,
        tile["change"],
        tile["restated"],
        tile["awaiting"],
    )


# --- Refusals ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_restore_over_a_database_that_holds_data_is_refused_without_yes(postgresql, tmp_path, cio):
    dump = tmp_path / "any.dump"
    dump.write_bytes(b"PGDMP")
    with pytest.raises(CommandError, match=r"is not empty .* run again with --yes") as refused:
        call_command("restore", str(dump))
    assert repr(connection.settings_dict["NAME"]) in str(refused.value)
    assert User.objects.filter(pk=cio.pk).exists()


@pytest.mark.django_db
def test_restore_of_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(CommandError, match=r"No backup at .*nowhere\.dump"):
        call_command("restore", str(tmp_path / "nowhere.dump"))


@pytest.mark.django_db(transaction=True)
def test_a_file_that_is_not_a_dump_is_refused_and_the_database_left_empty(tmp_path, empty_database):
    dump = tmp_path / "notes.dump"
    dump.write_text("not a dump\n")
    with reading(empty_database):
        with pytest.raises(CommandError, match=r"pg_restore could not restore .* nothing was changed"):
            call_command("restore", str(dump))
        assert connection.introspection.table_names() == []


def test_backup_on_sqlite_is_refused_saying_how_to_copy_the_file(tmp_path):
    refused = _manage(["backup", "--output", str(tmp_path / "x.dump")], database_url=f"sqlite:///{tmp_path}/db.sqlite3")
    assert refused.returncode == 1
    assert "SQLite" in refused.stderr
    assert '.backup <file>"' in refused.stderr
    assert not list(tmp_path.glob("x.dump*"))


@pytest.mark.django_db
def test_backup_of_a_database_that_does_not_exist_is_refused_naming_it(postgresql, tmp_path):
    url = shared_database_url().rsplit("/", 1)[0] + "/no_such_scoreboard"
    refused = _manage(["backup", "--output", str(tmp_path / "x.dump")], database_url=url)
    assert refused.returncode == 1
    assert "Could not connect to the database 'no_such_scoreboard'" in refused.stderr
    assert not list(tmp_path.glob("x.dump*"))


def _manage(args: list[str], *, database_url: str) -> subprocess.CompletedProcess:
    """manage.py as an operator runs it, with its own DATABASE_URL."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_does_not_match_its_manifest_fails_naming_the_table(tmp_path, empty_database, cio):
    dump = tmp_path / "users.dump"
    call_command("backup", output=dump, stdout=StringIO())
    manifest = backups.manifest_path(dump)
    recorded = json.loads(manifest.read_text())
    recorded["rows"]["scoreboard_user"] += 1  # as if a user had been lost on the way
    manifest.write_text(json.dumps(recorded))

    with reading(empty_database), pytest.raises(CommandError, match=r"does not match its manifest") as failed:
        call_command("restore", str(dump), stdout=StringIO())
    assert "table scoreboard_user has 1 row, the backup had 2 rows" in str(failed.value)

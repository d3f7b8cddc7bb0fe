"""Backups of the scoreboard's PostgreSQL database, and their restore, with pg_dump and pg_restore.

A backup is two files: the dump (pg_dump's custom format, without owners, so it restores under any
role) and its manifest beside it (``<dump>.manifest.json``): when it was taken, from which
database, the migrations applied, the rows of every table and the sha256 of every kept ExCo pack.
Both are read from one snapshot: the manifest is counted in a read-only transaction whose snapshot
pg_dump is handed (``--snapshot``), so a backup taken while the worker writes matches its manifest
row for row. A restore checks the restored database against the manifest and says what it checked.

The password goes to pg_dump and pg_restore through ``PGPASSWORD`` in their environment (with the
host, port, user and database), never on a command line that ``ps`` shows.

SQLite is refused: its backup is a copy of the file (README, "Operations: backups and restore").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils.text import capfirst

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
# Where Debian keeps each PostgreSQL version's programs, as .ci/services.sh finds them.
POSTGRESQL_LIB = Path("/usr/lib/postgresql")
# libpq's environment variables for the connection settings that are not its address.
_SSL_OPTIONS = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
STDERR_TAIL_CHARS = 2_000


class BackupError(Exception):
    """A backup or a restore refused or failed, in words that say what to do."""


@dataclass(frozen=True)
class Backup:
    dump: Path
    manifest: Path
    tables: int
    rows: int
    packs: int


@dataclass(frozen=True)
class Restore:
    database: str
    checked: list[str]  # what was checked against the manifest, one line each
    notes: list[str]  # what the operator must do before starting the app (migrate, say)
    backed_up: str = ""  # when, and from which database, as the manifest says


def default_output(now: datetime | None = None) -> Path:
    """``backups/scoreboard-<UTC time>.dump`` beside manage.py."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Path(settings.BASE_DIR) / "backups" / f"scoreboard-{moment:%Y%m%dT%H%M%SZ}.dump"


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def database_backup(*, output: Path | None = None, using: str = DEFAULT_DB_ALIAS) -> Backup:
    """Dump the database to ``output`` (``default_output()`` when not given) and write its manifest.

    Refused on SQLite and on anything but PostgreSQL; an existing file is never overwritten.
    """
    settings_dict = _postgres(using, doing="back up")
    output = Path(output) if output is not None else default_output()
    manifest = manifest_path(output)
    for path in (output, manifest):
        if path.exists():
            raise BackupError(f"{path} exists already: a backup never overwrites one. Choose another --output.")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"Cannot write the backup in {output.parent}: {error.strerror}.") from error
    pg_dump = pg_program("pg_dump")
    # A dump that fails half-way must not be left looking like a backup.
    partial = output.with_name(output.name + ".partial")
    snapshot = _snapshot_connection(using)
    try:
        with snapshot.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # now() is the transaction's start: the moment the backup is of.
            cursor.execute("SELECT pg_export_snapshot(), now()")
            snapshot_id, taken_at = cursor.fetchone()
            state = _state(cursor)
        # The transaction stays open until pg_dump is done, so the snapshot it reads stays valid.
        _run(
            [pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot_id}", f"--file={partial}"],
            settings_dict,
            what=f"pg_dump could not back up {_describe(settings_dict)}",
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        snapshot.rollback()
        snapshot.close()
    partial.rename(output)
    record = {
        "format": MANIFEST_FORMAT,
        "taken_at": taken_at.astimezone(UTC).isoformat(timespec="seconds"),
        "database": settings_dict["NAME"],
        "dump": output.name,
        "dump_sha256": _file_sha256(output),
        **state,
    }
    manifest.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return Backup(
        dump=output,
        manifest=manifest,
        tables=len(state["rows"]),
        rows=sum(state["rows"].values()),
        packs=len(state["packs"]),
    )


def database_restore(*, dump: Path, replace: bool = False, using: str = DEFAULT_DB_ALIAS) -> Restore:
    """Restore ``dump`` into the database, in one transaction, then check it against the dump's
    manifest when there is one (every table's rows, every pack's sha256) and clear the ExCo
    page's cache.

    Refused unless the database is empty or ``replace`` says to replace what it holds; refused on
    SQLite. Raises BackupError, after restoring, when the database does not match the manifest.
    """
    dump = Path(dump)
    if not dump.is_file():
        raise BackupError(f"No backup at {dump}: give the path of a .dump file written by `manage.py backup`.")
    settings_dict = _postgres(using, doing="restore")
    manifest = _read_manifest(dump)
    tables = _read(using, _tables)
    if tables and not replace:
        raise BackupError(
            f"{capfirst(_describe(settings_dict))} is not empty (it has {len(tables)} tables): restoring replaces "
            "them. Restore into an empty database (createdb), or run again with --yes to replace its contents."
        )
    _run(
        [
            pg_program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        settings_dict,
        what=f"pg_restore could not restore {dump} into {_describe(settings_dict)}; nothing was changed",
    )
    # The ExCo page's cache is keyed by the data's versions, which the restore has set back: an entry
    # kept from before it could carry the same versions for other data.
    caches["default"].clear()
    if manifest is None:
        return Restore(
            database=settings_dict["NAME"],
            checked=[f"no manifest beside {dump.name} ({manifest_path(dump).name}): nothing to check against"],
            notes=_migration_notes(using),
        )
    checked, problems = _compare(manifest, _read(using, _state))
    if problems:
        raise BackupError(
            f"{dump} was restored into {_describe(settings_dict)}, but it does not match its manifest: "
            + "; ".join(problems)
        )
    return Restore(
        database=settings_dict["NAME"],
        checked=checked,
        notes=_migration_notes(using),
        backed_up=f"backed up at {manifest['taken_at']} from the database {manifest['database']}",
    )


def pg_program(name: str) -> str:
    """pg_dump or pg_restore: the one on PATH, else the newest version's in /usr/lib/postgresql."""
    if found := shutil.which(name):
        return found
    candidates = [
        version_dir / "bin" / name
        for version_dir in POSTGRESQL_LIB.glob("*")
        if version_dir.name.isdigit() and (version_dir / "bin" / name).is_file()
    ]
    if not candidates:
        raise BackupError(
            f"{name} was found neither on PATH nor in {POSTGRESQL_LIB}/*/bin: install PostgreSQL's client "
            "programs (Debian: apt-get install postgresql-client), of the server's version or newer."
        )
    return str(max(candidates, key=lambda path: int(path.parent.parent.name)))


# --- The database -------------------------------------------------------------------------------------


def _postgres(using: str, *, doing: str) -> dict:
    settings_dict = connections[using].settings_dict
    vendor = connections[using].vendor
    if vendor == "sqlite":
        name = settings_dict["NAME"]
        raise BackupError(
            f"DATABASE_URL names SQLite ({name}), which pg_dump and pg_restore do not {doing}. SQLite's backup is "
            f'its file: copy {name} while the app is stopped, or run sqlite3 {name} ".backup <file>" while it runs; '
            "restore by putting the copy back while the app is stopped."
        )
    if vendor != "postgresql":
        raise BackupError(f"DATABASE_URL names a {vendor} database; backups here are for PostgreSQL only.")
    return settings_dict


def _snapshot_connection(using: str):
    """A connection of its own in a transaction, apart from the caller's connection and its transaction."""
    connection = connections[using]
    other = type(connection)(dict(connection.settings_dict), alias=using)
    try:
        other.ensure_connection()
    except DatabaseError as error:
        raise BackupError(f"Could not connect to {_describe(connection.settings_dict)}: {error}".strip()) from error
    other.set_autocommit(False)
    return other


def _read(using: str, read):
    """``read(cursor)`` on a connection of its own, closed after."""
    connection = _snapshot_connection(using)
    try:
        with connection.cursor() as cursor:
            return read(cursor)
    finally:
        connection.rollback()
        connection.close()


def _state(cursor) -> dict:
    """What the manifest records, read in the cursor's transaction: the migrations applied (the
    latest of each app), every table's rows, and each kept pack's sha256 (of its bytes)."""
    tables = _tables(cursor)
    if "django_migrations" not in tables:
        raise BackupError("The database has no django_migrations table: it is not the scoreboard's (migrate it first).")
    cursor.execute("SELECT app, name FROM django_migrations")
    migrations: dict[str, str] = {}
    for app, name in cursor.fetchall():
        migrations[app] = max(migrations.get(app, ""), name)  # numbered names: the largest is the latest
    rows = {}
    quote = cursor.db.ops.quote_name
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608 - names read from the catalogue, quoted
        rows[table] = cursor.fetchone()[0]
    packs = []
    if "scoreboard_monthlypack" in tables:
        # One pack at a time: each is a PDF of a few hundred kilobytes.
        cursor.execute("SELECT month, revision FROM scoreboard_monthlypack ORDER BY month, revision")
        for month, revision in cursor.fetchall():
            cursor.execute(
                "SELECT pdf, sha256 FROM scoreboard_monthlypack WHERE month = %s AND revision = %s", [month, revision]
            )
            pdf, stored = cursor.fetchone()
            packs.append(
                {
                    "month": month.isoformat(),
                    "revision": revision,
                    "sha256": hashlib.sha256(bytes(pdf)).hexdigest(),
                    "stored_sha256": stored,
                }
            )
    return {"migrations": dict(sorted(migrations.items())), "rows": rows, "packs": packs}


def _tables(cursor) -> list[str]:
    """The tables of the connection's schema, every one of them (Django's, Celery beat's, axes'...)."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    return [name for (name,) in cursor.fetchall()]


def _compare(manifest: dict, state: dict) -> tuple[list[str], list[str]]:
    """What was checked (lines to print) and what differs (the problems)."""
    problems = []
    expected_rows, found_rows = manifest["rows"], state["rows"]
    for table, expected in expected_rows.items():
        found = found_rows.get(table)
        if found is None:
            problems.append(f"table {table} is missing")
        elif found != expected:
            problems.append(f"table {table} has {_rows(found)}, the backup had {_rows(expected)}")
    expected_packs = {(p["month"], p["revision"]): p["sha256"] for p in manifest["packs"]}
    found_packs = {(p["month"], p["revision"]): p for p in state["packs"]}
    for (month, revision), sha256 in expected_packs.items():
        pack = found_packs.get((month, revision))
        if pack is None:
            problems.append(f"the pack of {month[:7]} revision {revision} is missing")
        elif pack["sha256"] != sha256:
            problems.append(f"the pack of {month[:7]} revision {revision} differs from the one backed up")
        elif pack["stored_sha256"] != sha256:
            problems.append(f"the pack of {month[:7]} revision {revision} no longer matches its recorded sha256")
    checked = [
        f"{len(expected_rows)} tables, {sum(expected_rows.values()):,} rows: each table's row count as backed up",
        f"{len(expected_packs)} ExCo packs: each one's PDF has the sha256 it had when backed up, and its recorded one",
    ]
    checked += [
        f"  pack {month[:7]} revision {revision}: {sha256}" for (month, revision), sha256 in expected_packs.items()
    ]
    return checked, problems


def _rows(n: int) -> str:
    return "1 row" if n == 1 else f"{n:,} rows"


def _migration_notes(using: str) -> list[str]:
    """Whether the restored database is behind the code (migrate) or ahead of it (newer code)."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = loader.applied_migrations
    behind = [f"{app}.{name}" for app, name in loader.graph.leaf_nodes() if (app, name) not in applied]
    unknown = [f"{app}.{name}" for app, name in applied if (app, name) not in loader.graph.nodes]
    notes = []
    if behind:
        notes.append(
            f"The backup predates {len(behind)} of this code's migrations ({', '.join(sorted(behind)[:5])}"
            f"{', ...' if len(behind) > 5 else ''}): run `manage.py migrate` before starting the app."
        )
    if unknown:
        notes.append(
            f"The backup was made by newer code: {len(unknown)} migrations applied in it are unknown here "
            f"({', '.join(sorted(unknown)[:5])}). Deploy that version of the code before starting the app."
        )
    return notes


def _read_manifest(dump: Path) -> dict | None:
    path = manifest_path(dump)
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(
            f"The manifest {path} cannot be read ({error}): move it aside to restore unchecked."
        ) from error
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{path} is not a manifest this code reads: move it aside to restore unchecked.")
    if manifest.get("dump_sha256") != _file_sha256(dump):
        raise BackupError(
            f"{dump} is not the dump its manifest describes (its sha256 differs): the file was changed or "
            "replaced. Nothing was restored."
        )
    return manifest


# --- pg_dump and pg_restore ---------------------------------------------------------------------------


def _run(argv: list[str], settings_dict: dict, *, what: str) -> None:
    completed = subprocess.run(  # noqa: S603 - a list argv, no shell; the programs are PostgreSQL's own
        argv, env=_libpq_environment(settings_dict), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        stderr = completed.stderr.strip()[-STDERR_TAIL_CHARS:]
        raise BackupError(f"{what} (exit status {completed.returncode}): {stderr or 'no message'}")


def _libpq_environment(settings_dict: dict) -> dict[str, str]:
    """The connection for pg_dump and pg_restore, as libpq's environment variables: the password
    never appears on a command line."""
    environment = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("NAME", "PGDATABASE"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    for option, variable in _SSL_OPTIONS.items():
        if value := settings_dict.get("OPTIONS", {}).get(option):
            environment[variable] = str(value)
    return environment


def _describe(settings_dict: dict) -> str:
    host = settings_dict.get("HOST") or "the local socket"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"the database {settings_dict['NAME']!r} on {host}{port}"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

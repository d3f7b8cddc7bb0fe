"""Reading pulled sources: one reader per kind, each turning what the source answers into
measurement rows (or rejections with reasons). Nothing here writes to our database.

A reader raises SourceError when the source as a whole cannot be read: ``transient`` says
whether trying again later may help (time-outs, refused connections, 5xx) or not (4xx,
an answer that is not JSON, a path that matches nothing, a value that is not a number).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import environ
import psycopg2
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath

from initiatives.models import Initiative
from scoreboard import net

from .models import KPI, MetricSource, SourceKind, SourceMapping, UndatedPeriod
from .secrets import env_allowed, env_refusal
from .services.ingest import read_value
from .services.upsert import Row

# A SQL source returning more rows than this is misconfigured (a missing WHERE clause).
SQL_MAX_ROWS = 200_000


class SourceError(Exception):
    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass
class Reading:
    rows: list[Row] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # each row's number in what the source sent
    # (row number, field, reason): the field of a measurement at fault (kpi, initiative, observed_at,
    # value) and why, never the value itself.
    rejections: list[tuple[int, str, str]] = field(default_factory=list)
    read: int = 0

    def add(self, number: int, row: Row) -> None:
        self.rows.append(row)
        self.numbers.append(number)

    def reject(self, number: int, field_name: str, reason: str) -> None:
        self.rejections.append((number, field_name, reason))


def read_source(source: MetricSource, *, now: datetime) -> Reading:
    readers = {
        SourceKind.HTTP_JSON: _read_http_json,
        SourceKind.PROMETHEUS: _read_prometheus,
        SourceKind.SQL: _read_sql,
    }
    reader = readers.get(source.kind)
    if reader is None:
        raise SourceError(f"{source.get_kind_display()} sources are not pulled", transient=False)
    return reader(source, now)


# --- shared helpers ---------------------------------------------------------------------------


# What a source answered stays out of the run's record (an admin reads it): a rejection names
# the field and the reason, never the value.


def _number(value, where: str) -> Decimal:
    """A value read as the intake reads one (ingest.read_value): a number, or text in plain
    digits; not "1_000", other scripts' digits, NaN or Infinity (Decimal alone reads them all)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(f"{where}: not a number")
    number, _ = read_value(value.strip() if isinstance(value, str) else value, None)
    if number is None:
        raise ValueError(f"{where}: not a number")
    if not number.is_finite():
        raise ValueError(f"{where}: not a finite number")
    return number


def _moment(value, where: str) -> datetime:
    """An observation time from ISO 8601 text or Unix seconds, in UTC (PostgreSQL refuses offsets
    beyond ±15:59 that Python reads); naive times are the site's zone. A time the calendar does not
    have (year 10000 in UTC, a timestamp of 10**15 s) is refused like one that is not a time."""
    if isinstance(value, bool):
        raise ValueError(f"{where}: not a time")
    try:
        if isinstance(value, int | float | Decimal):
            return datetime.fromtimestamp(float(value), tz=UTC)
        if isinstance(value, datetime):
            moment = value
        else:
            moment = parse_datetime(str(value).strip().replace("Z", "+00:00")) if value else None
            if moment is None:
                raise ValueError(f"{where}: not a date and time")
        moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        return moment.astimezone(UTC)
    except (OverflowError, OSError, ValueError) as error:
        if str(error).startswith(where):
            raise
        raise ValueError(f"{where}: not a date and time the calendar has") from None


def undated_moment(source: MetricSource, now: datetime) -> datetime:
    """Where a source gives no time, its value counts for the current hour (or day): pulling
    again within it updates that value instead of adding another."""
    local = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0) if source.undated_period == UndatedPeriod.DAY else local


def _headers(source: MetricSource) -> dict[str, str]:
    headers = {}
    for name, value in (source.headers or {}).items():
        if isinstance(value, dict):
            variable = value.get("env", "")
            if not env_allowed(variable):  # checked on save too; again here, in case the rule tightened
                raise SourceError(f'header "{name}": {env_refusal(variable)}', transient=False)
            if variable not in os.environ:
                raise SourceError(
                    f'header "{name}" reads the environment variable {variable}, which is not set on this server',
                    transient=False,
                )
            headers[name] = os.environ[variable]
        else:
            headers[name] = str(value)
    return headers


def _fetch(source: MetricSource, url: str, *, params: dict | None = None, timeout: float | None = None) -> bytes:
    try:
        response = net.fetch(
            url,
            method=source.method if source.kind == SourceKind.HTTP_JSON else "GET",
            headers={"Accept": "application/json", **_headers(source)},
            params=params,
            timeout=float(timeout or source.timeout_seconds),
            max_bytes=source.max_response_bytes,
            allowed_hosts=settings.METRIC_SOURCE_ALLOWED_HOSTS,
        )
    except net.FetchError as exc:
        raise SourceError(str(exc), transient=exc.transient) from exc
    return response.body


def _json(body: bytes, url: str):
    # Scheme, host and path only: a query string may carry a key.
    shown = urlsplit(url)._replace(query="", fragment="").geturl()
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SourceError(f"the answer from {shown} is not JSON", transient=False) from None
    except RecursionError:
        raise SourceError(f"the answer from {shown} nests deeper than any answer is read", transient=False) from None


def _mappings(source: MetricSource) -> list[SourceMapping]:
    mappings = list(source.mappings.select_related("kpi").order_by("pk"))
    if not mappings:
        raise SourceError("the source maps no KPI: add a mapping in the admin", transient=False)
    return mappings


# --- HTTP JSON --------------------------------------------------------------------------------


def _read_http_json(source: MetricSource, now: datetime) -> Reading:
    document = _json(_fetch(source, source.url), source.url)
    observed_at = undated_moment(source, now)
    if source.timestamp_path:
        found = _find(document, source.timestamp_path)
        try:
            observed_at = _moment(found, f"timestamp at {source.timestamp_path}")
        except ValueError as exc:
            raise SourceError(str(exc), transient=False) from None
    reading = Reading()
    for mapping in _mappings(source):
        value = _find(document, mapping.expression)
        try:
            number = _number(value, f"{mapping.kpi.code} at {mapping.expression}")
        except ValueError as exc:
            raise SourceError(str(exc), transient=False) from None
        reading.read += 1
        reading.add(reading.read, Row(mapping.kpi_id, mapping.initiative_id, observed_at, number))
    return reading


def _find(document, path: str):
    try:
        matches = jsonpath(path).find(document)
    except (JsonPathParserError, JsonPathLexerError) as exc:
        raise SourceError(f"the JSONPath {path} is not valid: {exc}", transient=False) from None
    except RecursionError:
        raise SourceError(f"the answer nests too deep to follow the JSONPath {path}", transient=False) from None
    if not matches:
        raise SourceError(f"the JSONPath {path} matched nothing in the answer", transient=False)
    if len(matches) > 1:
        raise SourceError(f"the JSONPath {path} matched {len(matches)} values; it must match one", transient=False)
    return matches[0].value


# --- Prometheus -------------------------------------------------------------------------------


def _read_prometheus(source: MetricSource, now: datetime) -> Reading:
    base = source.url.rstrip("/")
    # What a pull observes: an instant query reads the value at the pull's own time, stored at the
    # start of the source's period (its hour or day), so a later pull in the period corrects it
    # with the current value. A range query reads its completed steps, on a grid that stays put
    # from one pull to the next (so a resend stores nothing twice).
    observed = undated_moment(source, now)
    at = now.timestamp()
    step = max(int(source.step_seconds or 1), 1)
    grid_end = int(at) // step * step
    codes = dict(Initiative.objects.values_list("code", "pk"))
    reading = Reading()
    # One deadline for the whole pull, however many queries it takes, so the task's time
    # limit stays above any source's time-out.
    deadline = time.monotonic() + source.timeout_seconds
    for mapping in _mappings(source):
        if source.lookback_hours:
            url = f"{base}/api/v1/query_range"
            params = {
                "query": mapping.expression,
                "start": str(grid_end - source.lookback_hours * 3600),
                "end": str(grid_end),
                "step": str(source.step_seconds),
            }
        else:
            url, params = f"{base}/api/v1/query", {"query": mapping.expression, "time": f"{at:.3f}"}
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SourceError(f"timed out after {source.timeout_seconds} s across the queries", transient=True)
        answer = _json(_fetch(source, url, params=params, timeout=remaining), url)
        if not isinstance(answer, dict) or answer.get("status") != "success":
            error = answer.get("error") if isinstance(answer, dict) else None
            error = error if isinstance(error, str) and error.strip() else "no reason given"
            raise SourceError(f"Prometheus refused the query for {mapping.kpi.code}: {error}", transient=False)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        series = data.get("result")
        kind = data.get("resultType")
        if kind not in ("vector", "matrix") or not isinstance(series, list):
            kind = kind if kind in ("scalar", "string") else "result"  # what Prometheus may say, not what anyone sent
            raise SourceError(
                f"the query for {mapping.kpi.code} answered a {kind} that is not "
                "a vector or matrix of series; write it so it returns series",
                transient=False,
            )
        if not mapping.initiative_label and len(series) > 1:
            raise SourceError(
                f"the query for {mapping.kpi.code} returned {len(series)} series; aggregate it (sum, avg) "
                "or name the label that carries the initiative code",
                transient=False,
            )
        if not series:
            # A misspelled metric or label matches nothing: that is a failure, not "no news".
            raise SourceError(
                f"the query for {mapping.kpi.code} matched no series: check the metric's and labels' names",
                transient=False,
            )
        for one in series:
            _prometheus_series(one, mapping, codes, reading, observed=None if source.lookback_hours else observed)
    return reading


def _prometheus_series(
    series, mapping: SourceMapping, codes: dict[str, int], reading: Reading, *, observed: datetime | None = None
) -> None:
    """One series' samples as rows; ``observed``: the moment an instant query's value counts for
    (its sample's own time is only when the query ran)."""
    if not isinstance(series, dict):
        raise SourceError(f"the answer for {mapping.kpi.code} holds a series that is not an object", transient=False)
    labels = series.get("metric") or {}
    samples = series.get("values") or ([series["value"]] if "value" in series else [])
    if (
        not isinstance(labels, dict)
        or not isinstance(samples, list)
        or not samples  # Prometheus answers no series without a sample: this is not its answer
        or not all(isinstance(s, list) and len(s) == 2 for s in samples)
    ):
        raise SourceError(
            f"the answer for {mapping.kpi.code} has samples that are not [time, value] pairs", transient=False
        )
    initiative_id = mapping.initiative_id
    problem = None
    if mapping.initiative_label:
        code = labels.get(mapping.initiative_label)
        initiative_id = codes.get(code) if isinstance(code, str) else None  # a list or an object names none
        if initiative_id is None:
            problem = f"label {mapping.initiative_label} names no initiative"
    for timestamp, value in samples:
        reading.read += 1
        number = reading.read
        if problem:
            reading.reject(number, "initiative", f"{mapping.kpi.code}: {problem}")
            continue
        try:
            moment = observed or _moment(timestamp, f"{mapping.kpi.code} sample time")
        except ValueError as exc:
            reading.reject(number, "observed_at", str(exc))
            continue
        try:
            reading.add(
                number, Row(mapping.kpi_id, initiative_id, moment, _number(value, f"{mapping.kpi.code} sample"))
            )
        except ValueError as exc:
            reading.reject(number, "value", str(exc))


# --- SQL --------------------------------------------------------------------------------------


def _read_sql(source: MetricSource, now: datetime) -> Reading:
    if not env_allowed(source.connection_env):
        raise SourceError(env_refusal(source.connection_env), transient=False)
    url = os.environ.get(source.connection_env, "")
    if not url:
        raise SourceError(
            f"the environment variable {source.connection_env or '(none named)'} holding the database URL is not set",
            transient=False,
        )
    if _is_own_database(url):
        raise SourceError(
            "the SQL source points at the scoreboard's own database: a source reads another system's data",
            transient=False,
        )
    records = _query(url, source.query, timeout=source.timeout_seconds)
    kpis = dict(KPI.objects.values_list("code", "pk"))
    initiatives = dict(Initiative.objects.values_list("code", "pk"))
    reading = Reading()
    for number, record in enumerate(records, start=1):
        reading.read += 1
        if len(record) != 4:
            raise SourceError(
                ngettext("the query returns %(n)s column", "the query returns %(n)s columns", len(record))
                % {"n": len(record)}
                + "; it must return kpi code, initiative code, "
                "observed time and value",
                transient=False,
            )
        kpi_code, initiative_code, observed, value = record
        if not isinstance(kpi_code, str) or kpi_code not in kpis:  # an array or JSON cell names none either
            # The row's contents stay out of the run's record: the column and the reason only.
            reading.reject(number, "kpi", "the KPI code (column 1) names no KPI")
            continue
        initiative_id = None
        if initiative_code not in (None, ""):
            initiative_id = initiatives.get(initiative_code) if isinstance(initiative_code, str) else None
            if initiative_id is None:
                reading.reject(number, "initiative", "the initiative code (column 2) names no initiative")
                continue
        try:
            moment = _moment(observed, "observed time")
        except ValueError as exc:
            reading.reject(number, "observed_at", str(exc))
            continue
        try:
            reading.add(number, Row(kpis[kpi_code], initiative_id, moment, _number(value, "value")))
        except ValueError as exc:
            reading.reject(number, "value", str(exc))
    return reading


def _is_own_database(url: str) -> bool:
    """The URL names the database this app stores its own data in (same engine, host, port and
    name, or the same SQLite file)."""
    try:
        theirs = environ.Env.db_url_config(url)
    except Exception:  # noqa: BLE001 - a URL that does not parse is refused by the query's own error
        return False
    ours = connection.settings_dict  # the database this process uses (the test one, under tests)

    def where(config) -> tuple:
        host = (config.get("HOST") or "localhost").replace("127.0.0.1", "localhost")
        return (config["ENGINE"].rsplit(".", 1)[-1], host, str(config.get("PORT") or ""), str(config.get("NAME")))

    if theirs["ENGINE"].endswith("sqlite3") and ours["ENGINE"].endswith("sqlite3"):
        return os.path.realpath(str(theirs["NAME"])) == os.path.realpath(str(ours["NAME"]))
    return where(theirs) == where(ours)


def _query(url: str, query: str, *, timeout: int) -> list[tuple]:
    """Run one read-only statement with a statement time-out. A second statement could
    switch the transaction back to read-write, so a query holding one is refused; the
    connection should also use a role that may only SELECT."""
    query = query.strip().rstrip(";").strip()
    if ";" in query:
        raise SourceError(
            "the query holds more than one statement (a ';'); a SQL source runs a single SELECT",
            transient=False,
        )
    config = environ.Env.db_url_config(url)
    engine = config["ENGINE"]
    try:
        if engine.endswith("postgresql"):
            connection = psycopg2.connect(
                dbname=config["NAME"],
                user=config.get("USER") or None,
                password=config.get("PASSWORD") or None,
                host=config.get("HOST") or None,
                port=config.get("PORT") or None,
                connect_timeout=timeout,
                options=f"-c default_transaction_read_only=on -c statement_timeout={timeout * 1000}",
            )
            try:
                with connection.cursor() as cursor:
                    cursor.execute(query)
                    rows = cursor.fetchmany(SQL_MAX_ROWS + 1)
            finally:
                connection.close()
        elif engine.endswith("sqlite3"):
            connection = sqlite3.connect(f"file:{config['NAME']}?mode=ro", uri=True, timeout=timeout)
            # Text that is not UTF-8 reads with replacement characters: its row is then refused like
            # any other, where SQLite's own error would fail the pull quoting the text.
            connection.text_factory = lambda data: data.decode("utf-8", errors="replace")
            try:
                rows = connection.execute(query).fetchmany(SQL_MAX_ROWS + 1)
            finally:
                connection.close()
        else:
            raise SourceError(f"{engine} databases are not supported as SQL sources", transient=False)
    except (psycopg2.Error, sqlite3.Error) as exc:  # the driver's own errors, phrased for the pull run
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        transient = _is_transient_db_error(exc)
        raise SourceError(f"the SQL source failed: {message}", transient=transient) from None
    if len(rows) > SQL_MAX_ROWS:
        raise SourceError(f"the query returned more than {SQL_MAX_ROWS:,} rows; narrow it", transient=False)
    return rows


def _is_transient_db_error(exc: Exception) -> bool:
    """Connection failures and time-outs may pass; a wrong query or a write attempt will not."""
    if isinstance(exc, psycopg2.OperationalError):  # includes QueryCanceled (statement time-out)
        return True
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

"""Hostile answers to a pull (issue 15), drawn by Hypothesis: an HTTP JSON source and a
Prometheus-shaped API answered by a real local HTTP server (a real Prometheus never answers
this), and a SQL source reading a real SQLite file. Values like "1_000", NaN and Infinity,
objects and lists where a number or a label belongs, NUL and half surrogate pairs in labels and
codes, times at the calendar's edges or with offsets no clock has, nesting past Python's stack.

Whatever comes back, the pull never raises; it stores nothing bad; each rejected row is
recorded with its row, its field and the reason, never the value; and the source's status says
why a run failed."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from metrics.models import Measurement, MetricSource, SourceMapping
from metrics.services.pulls import source_pull
from scoreboard.writes import text_problem
from tests import hostile as h

pytestmark = pytest.mark.django_db

RECENT = (timezone.now() - timedelta(days=2)).replace(microsecond=0)
AT = int(RECENT.timestamp())
FIELDS = {"kpi", "initiative", "observed_at", "value"}


@pytest.fixture(autouse=True)
def _sources_may_reach_the_fake_server(settings):
    settings.METRIC_SOURCE_ALLOWED_HOSTS = ["127.0.0.1"]


def _pulled(source):
    run = source_pull(source_id=source.pk)  # raises nothing, whatever the answer
    run.refresh_from_db()  # the run's record was stored: nothing in it PostgreSQL refuses
    source.refresh_from_db()
    return run, source


def _record(run) -> str:
    return run.error + json.dumps(run.rejections, ensure_ascii=False)


def _echoes(run, value) -> bool:
    """The run's record quotes what the source sent (a text long enough to tell)."""
    if isinstance(value, str):
        return len(value.strip()) >= 4 and value.strip() in _record(run)
    if isinstance(value, list | dict):
        return _echoes(run, json.dumps(value))
    return False


def _failed_saying(run, source, *words: str) -> None:
    assert run.status == "failed", run.rejections
    assert all(word in run.error for word in words), run.error
    assert (source.last_status, source.last_error) == ("failed", run.error)
    assert not text_problem(run.error)


def _rejected(run, source, row: int) -> dict:
    """The run succeeded and rejected ``row``, naming its field and why."""
    assert run.status == "succeeded", run.error
    assert source.last_status == "ok"
    found = [r for r in run.rejections if r["row"] == row]
    assert found, run.rejections
    assert found[0]["field"] in FIELDS, found
    assert found[0]["reason"], found
    return found[0]


# --- HTTP JSON --------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(fake_source, kpi, initiative_a):
    source = MetricSource.objects.create(
        name="Catalogue", kind="http_json", url=fake_source.url("/answer"), timestamp_path="$.at", timeout_seconds=2
    )
    SourceMapping.objects.create(source=source, kpi=kpi, initiative=initiative_a, expression="$.value")
    return source


def _answer(fake_source, body: str, path: str = "/answer") -> None:
    fake_source.text(path, body.encode("utf-8", errors="surrogatepass"), content_type="application/json")


HOSTILE_VALUE = st.one_of(h.bad_number_text, h.bad_number_json, h.wrong_shape, h.hostile_text)
HOSTILE_TIME = st.one_of(h.bad_moment_text, h.bad_number_json, h.wrong_shape, h.hostile_text)


def test_a_hostile_value_fails_the_run_naming_its_path_or_is_rejected_on_value(fake_source, catalogue):
    @h.budget(25)
    @given(value=HOSTILE_VALUE)
    def check(value):
        _answer(fake_source, h.json_body({"at": RECENT.isoformat(), "value": value}))

        run, source = _pulled(catalogue)

        if run.status == "failed":
            _failed_saying(run, source, "$.value")
        else:  # a number, but none a value keeps (too large, too small)
            assert _rejected(run, source, 1)["field"] == "value"
        assert not Measurement.objects.exists()
        assert not _echoes(run, value)

    check()


def test_a_hostile_time_fails_the_run_naming_its_path_or_is_rejected_on_observed_at(fake_source, catalogue):
    @h.budget(25)
    @given(at=HOSTILE_TIME)
    def check(at):
        _answer(fake_source, h.json_body({"at": at, "value": 5}))

        run, source = _pulled(catalogue)

        if run.status == "failed":
            _failed_saying(run, source, "$.at")
        else:  # a time, but before 2000 or in the future
            assert _rejected(run, source, 1)["field"] == "observed_at"
        assert not Measurement.objects.exists()
        assert not _echoes(run, at)

    check()


def test_an_answer_nested_past_the_stack_fails_the_run_in_words(fake_source, catalogue):
    @h.budget(10)
    @given(depth=st.integers(2_000, 200_000))
    def check(depth):
        _answer(fake_source, h.nested_json(depth))

        run, source = _pulled(catalogue)

        _failed_saying(run, source, "nest")
        assert not Measurement.objects.exists()

    check()


def test_a_time_with_the_farthest_offset_a_clock_has_is_stored_as_that_instant(fake_source, catalogue):
    @h.budget(15)
    @given(at=h.far_offset_moment_text)
    def check(at):
        Measurement.objects.all().delete()
        _answer(fake_source, h.json_body({"at": at, "value": 5}))

        run, _ = _pulled(catalogue)

        assert run.status == "succeeded", run.error
        assert Measurement.objects.get().observed_at == h.utc_of(at)

    check()


# --- Prometheus ----------------------------------------------------------------------------------------------


@pytest.fixture
def prometheus(fake_source, kpi):
    source = MetricSource.objects.create(name="Prometheus", kind="prometheus", url=fake_source.url("/"))
    SourceMapping.objects.create(
        source=source, kpi=kpi, expression="avg by (initiative) (up)", initiative_label="initiative"
    )
    return source


def _vector(*series) -> dict:
    return {"status": "success", "data": {"resultType": "vector", "result": list(series)}}


def _series(label, value, at=AT) -> dict:
    return {"metric": {"initiative": label}, "value": [at, value]}


HOSTILE_LABEL = st.one_of(h.hostile_text, h.wrong_shape, h.not_a_number_text)
PROMETHEUS_VALUE = st.one_of(h.bad_number_text, h.bad_number_json, h.wrong_shape, h.hostile_text)


def test_a_hostile_sample_is_rejected_on_its_field_and_the_good_one_stored(fake_source, prometheus, initiative_a):
    @h.budget(30)
    @given(label=st.one_of(HOSTILE_LABEL, st.just(initiative_a.code)), value=PROMETHEUS_VALUE)
    def check(label, value):
        Measurement.objects.all().delete()
        answer = _vector(_series(initiative_a.code, "42.5"), _series(label, value))
        _answer(fake_source, h.json_body(answer), "/api/v1/query")

        run, source = _pulled(prometheus)

        rejection = _rejected(run, source, 2)
        assert rejection["field"] in ({"value"} if label == initiative_a.code else {"initiative", "value"})
        assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal("42.5")]
        assert not _echoes(run, label)
        assert not _echoes(run, value)

    check()


def test_a_hostile_sample_time_in_a_range_query_is_rejected_on_observed_at(fake_source, prometheus, initiative_a):
    prometheus.lookback_hours = 2
    prometheus.save()

    @h.budget(20)
    @given(at=st.one_of(HOSTILE_TIME, st.integers(10**11, 10**40), st.integers(-(10**40), -1)))
    def check(at):
        Measurement.objects.all().delete()
        series = {"metric": {"initiative": initiative_a.code}, "values": [[AT, "42.5"], [at, "1"]]}
        answer = {"status": "success", "data": {"resultType": "matrix", "result": [series]}}
        _answer(fake_source, h.json_body(answer), "/api/v1/query_range")

        run, source = _pulled(prometheus)

        assert _rejected(run, source, 2)["field"] == "observed_at"
        assert Measurement.objects.count() == 1
        assert not _echoes(run, at)

    check()


PROMETHEUS_SHAPES = st.one_of(
    st.builds(lambda t: {"status": "error", "error": t}, st.one_of(h.hostile_text, h.wrong_shape)),
    st.builds(lambda t: {"status": t}, st.one_of(h.hostile_text, h.wrong_shape)),
    st.builds(lambda t: {"status": "success", "data": {"resultType": t, "result": []}}, h.hostile_text),
    st.builds(lambda t: {"status": "success", "data": t}, h.wrong_shape),
    st.builds(lambda t: {"status": "success", "data": {"resultType": "vector", "result": t}}, h.wrong_shape),
    st.builds(lambda t: _vector(t), st.one_of(h.hostile_text, h.wrong_shape)),
    st.builds(lambda t: _vector({"metric": t, "value": [AT, "1"]}), st.one_of(h.hostile_text, h.wrong_shape)),
    st.builds(lambda t: _vector({"metric": {"initiative": "x"}, "value": t}), st.one_of(h.hostile_text, h.wrong_shape)),
    h.wrong_shape,
)


def test_an_answer_of_no_shape_prometheus_has_fails_the_run_in_words(fake_source, prometheus):
    @h.budget(40)
    @given(answer=PROMETHEUS_SHAPES)
    def check(answer):
        _answer(fake_source, h.json_body(answer), "/api/v1/query")

        run, source = _pulled(prometheus)

        if run.status == "succeeded":  # an answer read, each of its samples rejected
            assert run.rows_rejected == run.rows_read >= 1
        else:
            _failed_saying(run, source)
        assert not Measurement.objects.exists()

    check()


# --- SQL -------------------------------------------------------------------------------------------------------

_files = count()


def _sqlite_source(tmp_path, monkeypatch, rows: list[tuple]) -> MetricSource:
    path = tmp_path / f"feed-{next(_files)}.sqlite3"
    feed = sqlite3.connect(path)
    feed.execute("create table feed (n integer, kpi, initiative, observed, value)")
    for n, row in enumerate(rows, start=1):
        # Text SQLite cannot take from Python (half a surrogate pair) goes in as the bytes it is.
        cells = [
            c.encode("utf-8", errors="surrogatepass")
            if isinstance(c, str) and text_problem(c).startswith("is not")
            else c
            for c in row
        ]
        holes = ", ".join("cast(? as text)" if isinstance(c, bytes) else "?" for c in cells)
        feed.execute(f"insert into feed values (?, {holes})", [n, *cells])  # noqa: S608 - placeholders only
    feed.commit()
    feed.close()
    monkeypatch.setenv("SCOREBOARD_SOURCE_FEED", f"sqlite:///{path}")
    return MetricSource.objects.update_or_create(
        name="Feed",
        defaults={
            "kind": "sql",
            "connection_env": "SCOREBOARD_SOURCE_FEED",
            "query": "select kpi, initiative, observed, value from feed order by n",
        },
    )[0]


SQL_CELLS = {
    "kpi": st.one_of(h.hostile_text, h.not_a_number_text, st.integers(), st.binary(max_size=6)),
    "initiative": st.one_of(h.hostile_text, st.integers(), st.binary(min_size=1, max_size=6)),
    "observed_at": st.one_of(
        h.bad_moment_text.filter(bool),
        h.hostile_text,
        st.integers(10**11, 2**62),
        st.integers(-(2**62), -(10**11)),
        st.sampled_from([float("inf"), float("-inf"), 1e300]),
    ),
    "value": st.one_of(
        h.bad_number_text,
        h.hostile_text,
        st.sampled_from([float("inf"), float("-inf"), 1e300, -1e300, 5e-324]),
        st.integers(10**14, 2**62),
        st.binary(min_size=1, max_size=6),
    ),
}


@pytest.mark.parametrize("field", SQL_CELLS)
def test_a_hostile_cell_of_a_sql_row_is_rejected_on_its_row_and_field(tmp_path, monkeypatch, kpi, initiative_a, field):
    good = (kpi.code, initiative_a.code, RECENT.isoformat(), "12.5")
    unknown = ("no-such-kpi", "", RECENT.isoformat(), "1")

    @h.budget(15)
    @given(cell=SQL_CELLS[field])
    def check(cell):
        Measurement.objects.all().delete()
        bad = dict(zip(["kpi", "initiative", "observed_at", "value"], good, strict=True)) | {field: cell}
        source = _sqlite_source(tmp_path, monkeypatch, [unknown, good, tuple(bad.values())])

        run, source = _pulled(source)

        assert _rejected(run, source, 1)["field"] == "kpi"
        assert _rejected(run, source, 3)["field"] == field
        assert [r["row"] for r in run.rejections] == [1, 3]
        assert list(Measurement.objects.values_list("value", flat=True)) == [Decimal("12.5")]
        assert not _echoes(run, cell)

    check()


# --- What the suite found ----------------------------------------------------------------------------------


def test_a_rejection_names_the_row_the_source_sent_not_its_place_among_the_rows_read(
    tmp_path, monkeypatch, kpi, initiative_a
):
    future = (timezone.now() + timedelta(days=30)).isoformat()
    rows = [
        ("no-such-kpi", "", RECENT.isoformat(), "1"),  # refused by the reader
        (kpi.code, initiative_a.code, RECENT.isoformat(), "12.5"),
        (kpi.code, initiative_a.code, future, "13"),  # refused by the intake: it was called row 2
    ]

    run, _ = _pulled(_sqlite_source(tmp_path, monkeypatch, rows))

    assert [(r["row"], r["field"]) for r in run.rejections] == [(1, "kpi"), (3, "observed_at")]


def test_an_intake_rejection_of_a_pulled_row_does_not_quote_its_value(tmp_path, monkeypatch, kpi, initiative_a):
    future = datetime(2091, 7, 4, 3, 2, tzinfo=UTC).isoformat()
    rows = [(kpi.code, initiative_a.code, RECENT.isoformat(), "140.25"), (kpi.code, initiative_a.code, future, "1")]

    run, _ = _pulled(_sqlite_source(tmp_path, monkeypatch, rows))

    assert run.rows_rejected == 2
    assert "140.25" not in _record(run)  # "... 140.25 is outside 0 to 100"
    assert "2091" not in _record(run)  # "the observed time 2091-07-04 03:02 is in the future"


@pytest.mark.parametrize("at", [10**15, -(10**15), float("inf")])
def test_a_timestamp_past_the_calendar_rejects_its_row_and_not_the_pull(tmp_path, monkeypatch, kpi, initiative_a, at):
    rows = [(kpi.code, initiative_a.code, RECENT.isoformat(), "12.5"), (kpi.code, initiative_a.code, at, "1")]

    run, _ = _pulled(_sqlite_source(tmp_path, monkeypatch, rows))

    assert (run.status, run.rows_stored, run.rows_rejected) == ("succeeded", 1, 1)  # it failed the run (OverflowError)


def test_text_sqlite_cannot_decode_rejects_its_row_without_quoting_it(tmp_path, monkeypatch, kpi, initiative_a):
    rows = [
        (kpi.code, initiative_a.code, RECENT.isoformat(), "12.5"),
        ("secret\udc80code", "", RECENT.isoformat(), "1"),
    ]

    run, _ = _pulled(_sqlite_source(tmp_path, monkeypatch, rows))

    assert (run.status, run.rows_stored, run.rows_rejected) == ("succeeded", 1, 1)  # it failed, quoting the text
    assert "secret" not in _record(run)


@pytest.mark.parametrize("offset", ["+23:59", "-23:59", "+16:00"])
def test_a_time_with_an_offset_postgresql_refuses_is_stored_in_utc(fake_source, catalogue, offset):
    _answer(fake_source, json.dumps({"at": f"2025-06-01T12:00:00{offset}", "value": 5}))

    run, _ = _pulled(catalogue)

    assert run.status == "succeeded", run.error  # PostgreSQL refused the offset and failed the run
    assert Measurement.objects.get().observed_at == h.utc_of(f"2025-06-01T12:00:00{offset}")


@pytest.mark.parametrize("text", ["parse error\x00", "half \ud800 a pair"])
def test_a_prometheus_error_holding_text_no_one_can_store_fails_the_run_in_words(fake_source, prometheus, text):
    _answer(fake_source, h.json_body({"status": "error", "error": text}), "/api/v1/query")

    run, source = _pulled(prometheus)  # saving the run's error raised (PostgreSQL refuses NUL)

    _failed_saying(run, source, "Prometheus refused the query")


def test_a_label_holding_a_list_rejects_its_series_on_initiative(fake_source, prometheus, initiative_a):
    answer = _vector(_series(initiative_a.code, "42.5"), _series([initiative_a.code], "1"))
    _answer(fake_source, h.json_body(answer), "/api/v1/query")

    run, source = _pulled(prometheus)

    assert _rejected(run, source, 2)["field"] == "initiative"  # it failed the run (TypeError: unhashable)


@pytest.mark.parametrize("value", ["1_000", "١٢", "۱۲.۵"])
def test_a_pulled_value_no_one_writes_is_not_a_number(fake_source, catalogue, value):
    _answer(fake_source, json.dumps({"at": RECENT.isoformat(), "value": value}))

    run, source = _pulled(catalogue)

    _failed_saying(run, source, "not a number")  # it was read as 1000, 12, 12.5
    assert not Measurement.objects.exists()


def test_a_series_without_samples_fails_the_run_in_words(fake_source, prometheus):
    _answer(fake_source, h.json_body(_vector({})), "/api/v1/query")

    run, source = _pulled(prometheus)

    _failed_saying(run, source, "not [time, value] pairs")  # it "succeeded", having read nothing

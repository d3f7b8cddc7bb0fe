"""Hostile input, as Hypothesis strategies the hostile suites share (issue 15): text no field can
store or no person means, numbers written every odd way, lists and objects where a scalar
belongs, nesting deeper than any request, and dates at the calendar's edges or with time-zone
offsets no clock has.

Each strategy draws only what must be refused where it is sent (so a test may insist on the
refusal), unless its name says otherwise. Budgets (``budget``) are small and the runs
derandomized: the suites run on every push, on two shared cores.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from urllib.parse import quote

from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def budget(examples: int):
    """A test's Hypothesis settings: reproducible, no deadline (the database sets the pace)."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# --- Text --------------------------------------------------------------------------------------------

_SHORT = st.text(max_size=6)


def _around(middle: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(_SHORT, middle, _SHORT).map("".join)


# PostgreSQL stores neither a NUL character nor half of a surrogate pair.
with_nul = _around(st.just("\x00"))
with_surrogate = _around(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
# Control characters no one types: every C0 and C1 one, and DEL, but tab, line feed and return.
with_control = _around(st.characters(categories=["Cc"], exclude_characters="\x00\t\n\r"))

unstorable_text = st.one_of(with_nul, with_surrogate)
hostile_text = st.one_of(with_nul, with_surrogate, with_control)

# Any text at all, fine or not: for fields that may store it, or must refuse it by name.
any_text = st.text(alphabet=st.characters(codec=None), max_size=60)

# --- Numbers ----------------------------------------------------------------------------------------

# Digits of other scripts (Arabic-Indic, Persian, Devanagari, Bengali, fullwidth): Python reads them.
_OTHER_DIGITS = ("٠", "۰", "०", "০", "０")


def _in_script(number: int, zero: str) -> str:
    return "".join(chr(ord(zero) + int(d)) for d in str(number))


not_a_number_text = st.one_of(
    st.sampled_from(
        [
            "NaN",
            "nan",
            "-NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "+Inf",
            "1_000",
            "0x10",
            "1,5",
            "1.2.3",
            "+-1",
            "1e",
            "e5",
            "--1",
            "٣.٥",
            "½",
            "Ⅻ",
            "1 000",
        ]
    ),
    st.builds(_in_script, st.integers(0, 10**6), st.sampled_from(_OTHER_DIGITS)),
    st.integers(1_000, 10**9).map(lambda n: f"{n:_}"),
)
# Read as numbers, but beyond what a value keeps: 14 digits before the point, 6 after.
too_large_text = st.one_of(
    st.integers(15, 10**6).map(lambda e: f"1e{e}"),
    st.integers(10**14, 10**40).map(str),
    st.integers(10**14, 10**40).map(lambda n: f"-{n}"),
)
too_small_text = st.integers(7, 10**6).map(lambda e: f"1e-{e}")
bad_number_text = st.one_of(not_a_number_text, too_large_text, too_small_text)

# As JSON numbers: non-finite (sent as NaN/Infinity, or 1e400 which reads as infinity), too large,
# too small to keep.
bad_number_json = st.one_of(
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.integers(10**14, 10**60),
    st.integers(-(10**60), -(10**14)),
    st.floats(min_value=1e-300, max_value=9e-7),
)

# --- Shapes -----------------------------------------------------------------------------------------

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4))
# A list, an object or a boolean where a scalar (text, number) belongs.
wrong_shape = st.one_of(
    st.booleans(),
    st.lists(_scalar, max_size=3),
    st.dictionaries(st.text(max_size=4), _scalar, max_size=3),
    st.recursive(_scalar, lambda inner: st.lists(inner, max_size=2), max_leaves=4).filter(
        lambda v: isinstance(v, list)
    ),
)


def nested_json(depth: int, *, key: str = "a") -> str:
    """JSON text nested ``depth`` deep: alternately objects and lists, as a body or an answer."""
    opening = "".join(f'{{"{key}": ' if n % 2 == 0 else "[" for n in range(depth))
    closing = "".join("}" if n % 2 == 0 else "]" for n in reversed(range(depth)))
    return f"{opening}1{closing}"


deep_depth = st.integers(33, 3_000)  # beyond the API's 32 levels; up to well past Python's stack

# --- Dates ------------------------------------------------------------------------------------------

_EARLIEST = datetime(1, 1, 1)  # noqa: DTZ001 - the calendar's edge, zone added when written
_LATEST = datetime(9999, 12, 31, 23, 59, 59)  # noqa: DTZ001


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _moment(at: datetime, minutes: int) -> str:
    return f"{at.isoformat()}{_offset(minutes)}"


_ZONE_MINUTES = st.integers(-(23 * 60 + 59), 23 * 60 + 59)  # every offset Python allows
_BEYOND_A_DAY = st.one_of(st.integers(24 * 60, 99 * 60 + 59), st.integers(-(99 * 60 + 59), -(24 * 60)))


def _before_2000() -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=_EARLIEST, max_value=datetime(1999, 12, 30))  # noqa: DTZ001


# From next year on: in the future whenever the suite runs, and the same draws all year.
_NEXT_YEAR = date(timezone.now().year + 1, 1, 1)


def _future() -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=datetime.combine(_NEXT_YEAR, datetime.min.time()), max_value=_LATEST)


malformed_date_text = st.one_of(
    st.sampled_from(
        [
            "",
            "0000-00-00",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "99999-01-01",
            "-0001-01-01",
            "+2026-01-01",
            "2026-1-1",
            "20260101x",
            "2026-01-01T24:00:01Z",
            "2026-01-01T12:60:00Z",
            "2026-01-01T00:00:00+2400",
            "2026-01-01T00:00:00 Z",
            "٢٠٢٦-٠١-٠١",
            "31/03/2026",
            "yesterday",
            "NaN",
        ]
    ),
    # A time-zone offset beyond a day: no clock has one (PostgreSQL refuses even beyond ±15:59).
    st.builds(_moment, st.datetimes(min_value=datetime(2000, 1, 1), max_value=_LATEST), _BEYOND_A_DAY),  # noqa: DTZ001
)

# A moment with its zone, outside the months a measurement may fall in: before 2000 or in the future,
# with any offset a clock may have, the calendar's edges included (0001-01-01 and 9999-12-31).
out_of_range_moment_text = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "0001-01-01T00:00:00-23:59",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:59:59.999999+23:59",
        ]
    ),
    st.builds(_moment, _before_2000(), _ZONE_MINUTES),
    st.builds(_moment, _future(), _ZONE_MINUTES),
)
bad_moment_text = st.one_of(malformed_date_text, out_of_range_moment_text)

# A day (YYYY-MM-DD) a person may not log a value for: before 2000, or ahead of today.
out_of_range_day_text = st.one_of(
    st.sampled_from(["0001-01-01", "1999-12-31", "9999-12-31"]),
    st.dates(min_value=date(1, 1, 1), max_value=date(1999, 12, 31)).map(date.isoformat),
    st.dates(min_value=_NEXT_YEAR, max_value=date(9999, 12, 31)).map(date.isoformat),
)
bad_day_text = st.one_of(malformed_date_text, out_of_range_day_text, out_of_range_moment_text)

# A date outside the years the product speaks of (2000 to 2099), as an API or a form sends a date.
out_of_years_day_text = st.one_of(
    st.sampled_from(["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"]),
    st.dates(min_value=date(1, 1, 1), max_value=date(1999, 12, 31)).map(date.isoformat),
    st.dates(min_value=date(2100, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)
out_of_years_moment_text = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2100-01-01T00:00:00-01:00"]),
    st.builds(_moment, _before_2000(), _ZONE_MINUTES),
    st.builds(
        _moment,
        st.datetimes(min_value=datetime(2100, 1, 2), max_value=_LATEST),  # noqa: DTZ001
        _ZONE_MINUTES,
    ),
)

# A real moment written with the farthest offsets a clock may have: fine, and must be read as
# the same instant (in UTC), never refused by the database.
far_offset_moment_text = st.builds(
    _moment,
    # After the test initiatives start (factories: 6 Jan 2025), whose earlier values are refused.
    st.datetimes(min_value=datetime(2025, 2, 1), max_value=datetime(2025, 12, 31)),  # noqa: DTZ001
    st.sampled_from([23 * 60 + 59, -(23 * 60 + 59), 16 * 60, -(16 * 60), 14 * 60, -(12 * 60)]),
)


def utc_of(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- In a query string ---------------------------------------------------------------------------------


def query_value(text: str) -> str:
    """``text`` percent-encoded for a query string as a client would send it; half a surrogate
    pair goes as its UTF-8 bytes (%ED%A0%80), which no decoder reads."""
    return quote(text, safe="", errors="surrogatepass")


hostile_query_text = st.one_of(
    with_nul,
    with_surrogate,
    with_control,
    bad_number_text,
    bad_moment_text,
    st.integers(200, 5_000).map(lambda n: "x" * n),
    st.sampled_from(["[]", "{}", '{"a": 1}', "null", "true", "%", "_", "\\", "' or 1=1 --"]),
)


def json_body(value) -> str:
    """A JSON body as a client might write it: NaN and Infinity as the bare words, half a
    surrogate pair as its \\udXXX escape."""
    return json.dumps(value)

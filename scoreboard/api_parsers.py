"""How the API reads a JSON body (settings.REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): as DRF does,
but refusing with a 400 naming where, before any view sees it, what no field could store:

- text holding a NUL character or a lone surrogate (PostgreSQL refuses both, mid-write), or a
  control character no one types (scoreboard.writes.text_problem);
- a number that is no number: NaN, Infinity (or 1e400, which reads as it), an integer longer
  than Python reads (DRF would answer a bare "JSON parse error", naming no field);
- JSON nested deeper than any body of ours is (Python's parser would overflow its stack).
"""

from __future__ import annotations

import codecs
import json
import math

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser, get_encoding

from .writes import text_problem


class _NotANumber:
    """Where a body had a number no field keeps; body_problems names the place."""

    def __init__(self, why: str):
        self.why = why


def _constant(name: str) -> _NotANumber:
    return _NotANumber(f"{name} is not a number: send a finite number, or text")


def _integer(digits: str):
    try:
        return int(digits)
    except ValueError:  # beyond sys.get_int_max_str_digits()
        return _NotANumber(f"This number has {len(digits.lstrip('-')):,} digits: no field keeps it")


def _number_problem(value) -> str:
    if isinstance(value, _NotANumber):
        return value.why
    if isinstance(value, float) and not math.isfinite(value):
        return "This number is too large for any field (it reads as infinity)"
    return ""


# The deepest a body of ours nests is 4 (a batch: {"measurements": [{"note": ...}]}).
MAX_DEPTH = 32


def body_problems(data) -> dict[str, list[str]]:
    """Each place in a parsed body (``measurements.3.note``) whose text cannot be stored, or where
    it nests too deep. Iterative: a body nested thousands deep must not overflow the stack here.
    A place is kept as (its parent's place, its key) and spelled out only for a problem: a batch
    of 10,000 rows has 100,000 places and, usually, no problem."""
    problems: dict[str, list[str]] = {}

    def add(where, text: str) -> None:
        problems.setdefault(_spelled(where) or "non_field_errors", []).append(text)

    stack = [(data, None, 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            add(where, f"The body nests deeper than {MAX_DEPTH} levels: no request of this API does.")
        elif isinstance(value, dict):
            for key, item in value.items():
                if problem := text_problem(str(key)):
                    add(where, f"A field's name {problem}.")
                elif depth == MAX_DEPTH or not _fine_scalar(item):
                    stack.append((item, (where, key), depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, (where, n), depth + 1)
                for n, item in enumerate(value)
                if depth == MAX_DEPTH or not _fine_scalar(item)
            )
        elif isinstance(value, str):
            if problem := text_problem(value):
                add(where, f"This text {problem}.")
        elif problem := _number_problem(value):
            add(where, f"{problem}.")
    return problems


def _fine_scalar(value) -> bool:
    """A value with nothing to look at: plain printable ASCII text, a whole number, true, false
    or null. Checked where it is met, so a batch's 100,000 values are never put on the stack."""
    kind = type(value)
    if kind is str:
        return value.isascii() and value.isprintable()
    return kind is int or kind is bool or value is None


def _spelled(where) -> str:
    """(((None, "measurements"), 3), "note") as "measurements.3.note"."""
    keys = []
    while where is not None:
        where, key = where
        keys.append(str(key))
    return ".".join(reversed(keys))


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            # NaN, Infinity and overlong integers read as markers, so that the refusal names where.
            data = json.load(codecs.getreader(encoding)(stream), parse_constant=_constant, parse_int=_integer)
        except RecursionError as error:
            raise ParseError(f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        problems = body_problems(data)
        if problems:
            raise ValidationError(problems)
        return data

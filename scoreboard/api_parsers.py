"""How the API reads a JSON body (settings.REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): as DRF does,
but refusing with a 400 naming where, before any view sees it, what no field could store:

- text holding a NUL character or a lone surrogate (PostgreSQL refuses both, mid-write);
- JSON nested deeper than any body of ours is (Python's parser would overflow its stack).
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from .writes import text_problem

# The deepest a body of ours nests is 4 (a batch: {"measurements": [{"note": ...}]}).
MAX_DEPTH = 32


def body_problems(data) -> dict[str, list[str]]:
    """Each place in a parsed body (``measurements.3.note``) whose text cannot be stored, or where
    it nests too deep. Iterative: a body nested thousands deep must not overflow the stack here."""
    problems: dict[str, list[str]] = {}
    stack = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.setdefault(where or "non_field_errors", []).append(
                f"The body nests deeper than {MAX_DEPTH} levels: no request of this API does."
            )
            continue
        if isinstance(value, str):
            if problem := text_problem(value):
                problems.setdefault(where or "non_field_errors", []).append(f"This text {problem}.")
        elif isinstance(value, dict):
            for key, item in value.items():
                place = f"{where}.{key}" if where else str(key)
                if problem := text_problem(str(key)):
                    problems.setdefault(where or "non_field_errors", []).append(f"A field's name {problem}.")
                    continue
                stack.append((item, place, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{n}" if where else str(n), depth + 1) for n, item in enumerate(value))
    return problems


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels.") from error
        problems = body_problems(data)
        if problems:
            raise ValidationError(problems)
        return data

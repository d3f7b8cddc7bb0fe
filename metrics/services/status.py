"""The one rule that colours a figure: green, amber or red against its target.

- **Green**: the figure meets its target (at or above it when higher is better, at or below
  it when lower is better).
- **Amber**: it misses the target, but is not past the red threshold.
- **Red**: it is past the red threshold.
- **No target** (``none``): no figure, or no target for its month.

So the target is where amber begins. The roll-up stores the status it gives with each
monthly snapshot, and every tile, chart, PDF, e-mail, API answer and matrix bound shows that
stored status: nothing else decides a colour. ``rag_status`` is the rule in Python (the roll-up
SQLite uses); ``rag_status_sql`` writes the same rule as the SQL expression PostgreSQL's
roll-up evaluates, and a test proves the two agree on many generated figures.
"""

from __future__ import annotations

from decimal import Decimal

from ..models import Direction, Status


def rag_status(*, value: Decimal | None, target: Decimal | None, red_threshold: Decimal | None, direction: str) -> str:
    """Green when ``value`` meets ``target``, amber when it misses it, red when it is past
    ``red_threshold``; reversed for lower-is-better. "none" without a figure or a target."""
    if value is None or target is None or red_threshold is None:
        return Status.NO_TARGET
    if direction == Direction.HIGHER_IS_BETTER:
        if value < red_threshold:
            return Status.RED
        return Status.AMBER if value < target else Status.GREEN
    if value > red_threshold:
        return Status.RED
    return Status.AMBER if value > target else Status.GREEN


def rag_status_sql(*, value: str, target: str, red_threshold: str, direction: str) -> str:
    """``rag_status`` as a SQL CASE over the given column expressions (trusted SQL fragments,
    never input), for the roll-up that runs in PostgreSQL."""
    higher = Direction.HIGHER_IS_BETTER.value
    return f"""CASE
           WHEN {value} IS NULL OR {target} IS NULL OR {red_threshold} IS NULL THEN '{Status.NO_TARGET.value}'
           WHEN {direction} = '{higher}' THEN
               CASE WHEN {value} < {red_threshold} THEN '{Status.RED.value}'
                    WHEN {value} < {target} THEN '{Status.AMBER.value}' ELSE '{Status.GREEN.value}' END
           ELSE
               CASE WHEN {value} > {red_threshold} THEN '{Status.RED.value}'
                    WHEN {value} > {target} THEN '{Status.AMBER.value}' ELSE '{Status.GREEN.value}' END
       END"""

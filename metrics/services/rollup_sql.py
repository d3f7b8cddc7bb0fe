"""The monthly roll-up as set-based SQL, for PostgreSQL: one statement computes every
snapshot in scope (aggregation, company-wide combination, ratios, target, and the status by
the one rule of status.py, written as SQL by ``rag_status_sql``) into a
temporary table; four more write only what changed (delete the outdated, insert the new,
and for frozen months record restatements). The rules are the same as the
Python roll-up in rollup.py, which SQLite uses; the test suite runs both on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from .status import rag_status_sql

COMPUTED = "metrics_rollup_computed"

# Months as first-of-month dates in the site's time zone; the observed_at bounds let the
# (kpi, observed_at) index serve a roll-up of a few months.
_COMPUTE = f"""
CREATE TEMP TABLE {COMPUTED} ON COMMIT DROP AS
WITH k AS (
    SELECT id, aggregation, direction, ratio_numerator_id, ratio_denominator_id
    FROM metrics_kpi WHERE id = ANY(%(kpis)s)
),
agg AS (
    -- One pass over the measurements: every aggregate a KPI may ask for, chosen below. The
    -- latest observation of a "last" KPI is the greatest (observed, written, id, value) array.
    -- The month is written exactly as in the statistics measurement_month_groups (metrics
    -- migration 0018), which tell the planner how many groups there are.
    SELECT me.kpi_id, me.initiative_id,
           (date_trunc('month', me.observed_at AT TIME ZONE %(tz)s))::date AS month,
           sum(me.value) AS total, min(me.value) AS low, max(me.value) AS high, count(*) AS n,
           max(ARRAY[extract(epoch FROM me.observed_at), extract(epoch FROM me.updated_at), me.id, me.value])
               FILTER (WHERE me.kpi_id = ANY(%(last_kpis)s)) AS latest
    FROM metrics_measurement me
    WHERE me.kpi_id = ANY(%(kpis)s) AND me.observed_at >= %(lo)s AND me.observed_at < %(hi)s
    GROUP BY 1, 2, 3
    HAVING %(all_months)s OR (date_trunc('month', me.observed_at AT TIME ZONE %(tz)s))::date = ANY(%(months)s)
),
scoped AS (
    SELECT a.kpi_id, a.initiative_id, a.month, k.aggregation,
           CASE k.aggregation
               WHEN 'sum' THEN a.total WHEN 'mean' THEN a.total / a.n
               WHEN 'min' THEN a.low WHEN 'max' THEN a.high WHEN 'last' THEN a.latest[4]
           END AS value,
           a.n
    FROM agg a
    JOIN k ON k.id = a.kpi_id
),
combined AS (
    -- Company-wide, where nothing was measured company-wide: each initiative counts once.
    SELECT s.kpi_id, NULL::bigint AS initiative_id, s.month,
           CASE s.aggregation
               WHEN 'sum' THEN sum(s.value) WHEN 'min' THEN min(s.value) WHEN 'max' THEN max(s.value)
               ELSE avg(s.value)
           END AS value,
           sum(s.n) AS n
    FROM scoped s
    WHERE s.initiative_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM scoped c WHERE c.initiative_id IS NULL AND c.kpi_id = s.kpi_id AND c.month = s.month
    )
    GROUP BY s.kpi_id, s.month, s.aggregation
),
base AS (
    SELECT kpi_id, initiative_id, month, value, n FROM scoped
    UNION ALL
    SELECT kpi_id, initiative_id, month, value, n FROM combined
),
ratios AS (
    SELECT k.id AS kpi_id, num.initiative_id, num.month,
           CASE WHEN den.value = 0 THEN NULL ELSE num.value / den.value END AS value,
           num.n + den.n AS n
    FROM k
    JOIN base num ON num.kpi_id = k.ratio_numerator_id
    JOIN base den ON den.kpi_id = k.ratio_denominator_id AND den.month = num.month
                 AND coalesce(den.initiative_id, 0) = coalesce(num.initiative_id, 0)
    WHERE k.aggregation = 'ratio'
),
everything AS (
    SELECT b.* FROM base b JOIN k ON k.id = b.kpi_id AND k.aggregation <> 'ratio'
    UNION ALL
    SELECT * FROM ratios
),
targets AS (
    -- Each target in force from its date until the next one for the same KPI and scope.
    SELECT t.kpi_id, t.initiative_id, t.effective_from, t.target, t.red_threshold,
           lead(t.effective_from) OVER (PARTITION BY t.kpi_id, t.initiative_id ORDER BY t.effective_from) AS until
    FROM metrics_target t WHERE t.kpi_id = ANY(%(kpis)s)
),
targeted AS (
    -- The initiative's own target before the company-wide one.
    SELECT e.*, k.direction,
           coalesce(own.target, co.target) AS target,
           CASE WHEN own.kpi_id IS NULL THEN co.red_threshold ELSE own.red_threshold END AS red_threshold
    FROM everything e
    JOIN k ON k.id = e.kpi_id
    LEFT JOIN targets own ON own.kpi_id = e.kpi_id AND own.initiative_id = e.initiative_id
                         AND own.effective_from <= e.month AND (own.until IS NULL OR e.month < own.until)
    LEFT JOIN targets co ON co.kpi_id = e.kpi_id AND co.initiative_id IS NULL
                        AND co.effective_from <= e.month AND (co.until IS NULL OR e.month < co.until)
)
SELECT t.kpi_id, t.initiative_id, t.month, round(t.value, 6) AS value,
       t.target, t.red_threshold,
       {rag_status_sql(value="t.value", target="t.target", red_threshold="t.red_threshold", direction="t.direction")}
       AS status,
       t.n AS measurement_count,
       t.month = ANY(%(frozen)s) AS frozen
FROM targeted t
"""

# NULL initiatives never compare equal; coalesce makes the key hashable for a hash join.
_SAME_KEY = "s.kpi_id = c.kpi_id AND s.month = c.month AND coalesce(s.initiative_id, 0) = coalesce(c.initiative_id, 0)"
_FIGURES = "value, target, red_threshold, status, measurement_count"

# A stored snapshot stays when the recomputation gives exactly its figures; the rest of the
# months in scope (not frozen) are deleted, and what is then missing is inserted. An
# unchanged month costs a read, not a rewrite.
_DELETE_OUTDATED = f"""
DELETE FROM metrics_monthlysnapshot s
WHERE s.kpi_id = ANY(%(kpis)s) AND (%(all_months)s OR s.month = ANY(%(months)s)) AND NOT s.month = ANY(%(frozen)s)
  AND NOT EXISTS (
      SELECT 1 FROM {COMPUTED} c
      WHERE {_SAME_KEY}
        AND (s.value, s.target, s.red_threshold, s.status, s.measurement_count)
            IS NOT DISTINCT FROM (c.value, c.target, c.red_threshold, c.status, c.measurement_count)
  )
"""

_INSERT_NEW = f"""
INSERT INTO metrics_monthlysnapshot (kpi_id, initiative_id, month, {_FIGURES}, computed_at)
SELECT c.kpi_id, c.initiative_id, c.month, c.value, c.target, c.red_threshold, c.status,
       c.measurement_count, %(now)s
FROM {COMPUTED} c
WHERE NOT c.frozen AND NOT EXISTS (SELECT 1 FROM metrics_monthlysnapshot s WHERE {_SAME_KEY})
"""

# Frozen months: the signed-off figures stay; a differing recomputation is a pending restatement.
_RESTATE = f"""
UPDATE metrics_monthlysnapshot s
SET pending_restatement_value = CASE WHEN c.value IS DISTINCT FROM s.value THEN c.value END
FROM {COMPUTED} c
WHERE c.frozen AND {_SAME_KEY}
  AND s.pending_restatement_value IS DISTINCT FROM (CASE WHEN c.value IS DISTINCT FROM s.value THEN c.value END)
"""

_RESTATE_MISSING = f"""
INSERT INTO metrics_monthlysnapshot (kpi_id, initiative_id, month, {_FIGURES}, computed_at, pending_restatement_value)
SELECT c.kpi_id, c.initiative_id, c.month, NULL, NULL, NULL, 'none', 0, %(now)s, c.value
FROM {COMPUTED} c
LEFT JOIN metrics_monthlysnapshot s ON {_SAME_KEY}
WHERE c.frozen AND s.id IS NULL
"""


# The roll-up's joins are all between sets of thousands of rows that the planner cannot
# estimate (CTEs, a temporary table): a nested loop chosen on a guess of 18 rows costs
# seconds; hash joins cost milliseconds at every size. The aggregate keeps every group in
# memory rather than spilling to disk: it knows how many groups there are from the extended
# statistics on (KPI, initiative, month) (migration metrics 0018), which is why the month is
# written above exactly as there.
# No JIT: the statement runs once per roll-up, so compiling it is never paid back. At 4.4 M
# measurements JIT compiled 163 functions in 4.1 s of a 9.5 s statement (inlining and
# optimisation, the plan's cost being over jit_optimize_above_cost); with the statistics it
# still cost 0.1-0.2 s of compiling and ran 1 s slower (5.1-5.3 s against 4.0-4.3 s without).
# A roll-up of one KPI's month costs too little to reach jit_above_cost either way.
_PLANNER = {"enable_nestloop": "off", "enable_mergejoin": "off", "work_mem": "64MB", "jit": "off"}


def roll_up(
    *,
    kpi_ids: list[int],
    last_kpi_ids: list[int],
    months: list[date] | None,
    frozen: list[date],
    bounds: tuple[datetime, datetime],
) -> int:
    """Compute and write the snapshots in scope; returns how many rows were written.
    Runs inside the caller's transaction (the temporary table drops at its commit)."""
    params = {
        "kpis": kpi_ids,
        "last_kpis": last_kpi_ids,
        "months": months or [],
        "all_months": months is None,
        "frozen": frozen,
        "lo": bounds[0],
        "hi": bounds[1],
        "tz": timezone.get_current_timezone_name(),
        "now": timezone.now(),
    }
    written = 0
    with connection.cursor() as cursor:
        previous = _set_locally(cursor, _PLANNER)
        cursor.execute(f"DROP TABLE IF EXISTS {COMPUTED}")
        cursor.execute(_COMPUTE, params)
        cursor.execute(_DELETE_OUTDATED, params)
        # Restatements only where a month in scope is frozen: each reads every snapshot in scope.
        in_scope_frozen = set(frozen) if months is None else set(frozen) & set(months)
        for statement in (_INSERT_NEW, *((_RESTATE, _RESTATE_MISSING) if in_scope_frozen else ())):
            cursor.execute(statement, params)
            written += cursor.rowcount
        cursor.execute(f"DROP TABLE {COMPUTED}")
        _set_locally(cursor, previous)
    return written


def _set_locally(cursor, settings: dict[str, str]) -> dict[str, str]:
    """Set planner settings for the rest of the transaction; returns the ones they replace."""
    previous = {}
    for name, value in settings.items():
        cursor.execute("SELECT current_setting(%s), set_config(%s, %s, true)", [name, name, value])
        previous[name] = cursor.fetchone()[0]
    return previous

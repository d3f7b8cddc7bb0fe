"""The monthly roll-up as set-based SQL, for PostgreSQL: one statement computes every
snapshot in scope (aggregation, company-wide combination, ratios, target, status) into a
temporary table, and three more write only what changed. The rules are the same as the
Python roll-up in services.py, which SQLite uses; the test suite runs both on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.utils import timezone

COMPUTED = "metrics_rollup_computed"

# Months as first-of-month dates in the site's time zone; the observed_at bounds let the
# (kpi, observed_at) index serve a roll-up of a few months.
_COMPUTE = f"""
CREATE TEMP TABLE {COMPUTED} ON COMMIT DROP AS
WITH k AS (
    SELECT id, aggregation, direction, ratio_numerator_id, ratio_denominator_id
    FROM metrics_kpi WHERE id = ANY(%(kpis)s)
),
m AS (
    SELECT me.id, me.kpi_id, me.initiative_id, me.observed_at, me.updated_at, me.value,
           (date_trunc('month', me.observed_at AT TIME ZONE %(tz)s))::date AS month
    FROM metrics_measurement me
    WHERE me.kpi_id = ANY(%(kpis)s) AND me.observed_at >= %(lo)s AND me.observed_at < %(hi)s
),
agg AS (
    -- Sum, mean, min and max in one hash aggregate; "last" takes its value from lastv.
    SELECT m.kpi_id, m.initiative_id, m.month, k.aggregation,
           CASE k.aggregation
               WHEN 'sum' THEN sum(m.value) WHEN 'mean' THEN avg(m.value)
               WHEN 'min' THEN min(m.value) WHEN 'max' THEN max(m.value)
           END AS value,
           count(*) AS n
    FROM m JOIN k ON k.id = m.kpi_id
    WHERE (%(all_months)s OR m.month = ANY(%(months)s))
    GROUP BY m.kpi_id, m.initiative_id, m.month, k.aggregation
),
lastv AS (
    -- The month's latest observation; at the same instant, the latest written.
    SELECT DISTINCT ON (m.kpi_id, m.initiative_id, m.month) m.kpi_id, m.initiative_id, m.month, m.value
    FROM m JOIN k ON k.id = m.kpi_id AND k.aggregation = 'last'
    WHERE (%(all_months)s OR m.month = ANY(%(months)s))
    ORDER BY m.kpi_id, m.initiative_id, m.month, m.observed_at DESC, m.updated_at DESC, m.id DESC
),
scoped AS (
    SELECT a.kpi_id, a.initiative_id, a.month, a.aggregation, coalesce(a.value, l.value) AS value, a.n
    FROM agg a
    LEFT JOIN lastv l ON a.aggregation = 'last' AND l.kpi_id = a.kpi_id AND l.month = a.month
                     AND coalesce(l.initiative_id, 0) = coalesce(a.initiative_id, 0)
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
    SELECT * FROM base WHERE kpi_id IN (SELECT id FROM k WHERE aggregation <> 'ratio')
    UNION ALL
    SELECT * FROM ratios
)
SELECT e.kpi_id, e.initiative_id, e.month, round(e.value, 6) AS value,
       t.target, t.amber_threshold, t.red_threshold,
       CASE
           WHEN e.value IS NULL OR t.target IS NULL THEN 'none'
           WHEN k.direction = 'higher' THEN
               CASE WHEN e.value < t.red_threshold THEN 'red'
                    WHEN e.value < t.amber_threshold THEN 'amber' ELSE 'green' END
           ELSE
               CASE WHEN e.value > t.red_threshold THEN 'red'
                    WHEN e.value > t.amber_threshold THEN 'amber' ELSE 'green' END
       END AS status,
       e.n AS measurement_count,
       e.month = ANY(%(frozen)s) AS frozen,
       false AS unchanged
FROM everything e
JOIN k ON k.id = e.kpi_id
LEFT JOIN LATERAL (
    -- The target in force: the initiative's own before the company-wide one, newest first.
    SELECT target, amber_threshold, red_threshold FROM metrics_target t
    WHERE t.kpi_id = e.kpi_id AND t.effective_from <= e.month
      AND (t.initiative_id = e.initiative_id OR t.initiative_id IS NULL)
    ORDER BY (t.initiative_id IS NULL), t.effective_from DESC
    LIMIT 1
) t ON true
"""

# NULL initiatives never compare equal; coalesce makes the key hashable for a hash join.
_SAME_KEY = "s.kpi_id = c.kpi_id AND s.month = c.month AND coalesce(s.initiative_id, 0) = coalesce(c.initiative_id, 0)"
_FIGURES = "value, target, amber_threshold, red_threshold, status, measurement_count"

# Hash joins on the key throughout: a nested loop over a table full of dead rows (a month
# just rewritten) would cost quadratic time.
_MARK_UNCHANGED = f"""
UPDATE {COMPUTED} c SET unchanged = true
FROM metrics_monthlysnapshot s
WHERE NOT c.frozen AND {_SAME_KEY}
  AND (s.value, s.target, s.amber_threshold, s.red_threshold, s.status, s.measurement_count)
      IS NOT DISTINCT FROM (c.value, c.target, c.amber_threshold, c.red_threshold, c.status, c.measurement_count)
"""

_DELETE_OUTDATED = f"""
DELETE FROM metrics_monthlysnapshot s
WHERE s.kpi_id = ANY(%(kpis)s) AND (%(all_months)s OR s.month = ANY(%(months)s)) AND NOT s.month = ANY(%(frozen)s)
  AND NOT EXISTS (SELECT 1 FROM {COMPUTED} c WHERE c.unchanged AND {_SAME_KEY})
"""

_INSERT_NEW = f"""
INSERT INTO metrics_monthlysnapshot (kpi_id, initiative_id, month, {_FIGURES}, computed_at)
SELECT c.kpi_id, c.initiative_id, c.month, c.value, c.target, c.amber_threshold, c.red_threshold, c.status,
       c.measurement_count, %(now)s
FROM {COMPUTED} c
WHERE NOT c.frozen AND NOT c.unchanged
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
SELECT c.kpi_id, c.initiative_id, c.month, NULL, NULL, NULL, NULL, 'none', 0, %(now)s, c.value
FROM {COMPUTED} c
LEFT JOIN metrics_monthlysnapshot s ON {_SAME_KEY}
WHERE c.frozen AND s.id IS NULL
"""


def roll_up(
    *, kpi_ids: list[int], months: list[date] | None, frozen: list[date], bounds: tuple[datetime, datetime]
) -> int:
    """Compute and write the snapshots in scope; returns how many rows were written."""
    params = {
        "kpis": kpi_ids,
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
        cursor.execute(f"DROP TABLE IF EXISTS {COMPUTED}")
        cursor.execute(_COMPUTE, params)
        cursor.execute(f"ANALYZE {COMPUTED}")  # so the writes below plan on its real size
        cursor.execute(_MARK_UNCHANGED, params)
        cursor.execute(f"ANALYZE {COMPUTED}")  # again: how many are unchanged decides the plan
        cursor.execute(_DELETE_OUTDATED, params)
        for statement in (_INSERT_NEW, _RESTATE, _RESTATE_MISSING):
            cursor.execute(statement, params)
            written += cursor.rowcount
        cursor.execute(f"DROP TABLE {COMPUTED}")
    return written

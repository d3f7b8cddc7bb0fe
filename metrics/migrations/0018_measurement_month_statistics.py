"""Tell PostgreSQL's planner how many (KPI, initiative, month) groups the measurements make.

The roll-up (metrics/services/rollup_sql.py) groups every measurement by KPI, initiative and
the month it falls in. Without statistics on that combination the planner multiplies the three
columns' distinct counts as if they were independent: at 4.4 million measurements it expected
443 k groups where there were 155 k, judged a hash aggregate too big for memory, and sorted
4.4 million rows instead, spilling about 285 MB to disk. Extended statistics (ndistinct) on the
three, the month written exactly as the roll-up writes it, give it the real count.

The month is cut in the site's time zone (settings.TIME_ZONE, read when this migration runs):
after changing TIME_ZONE, run ``manage.py migrate metrics 0017`` and ``migrate`` again so the
statistics follow (figures stay right either way; only the planner's estimate depends on it).
PostgreSQL only (14 or later for an expression): SQLite has no planner statistics to give.
"""

from django.conf import settings
from django.db import migrations

NAME = "measurement_month_groups"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    zone = settings.TIME_ZONE.replace("'", "''")
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} (ndistinct) ON kpi_id, initiative_id, "
        f"((date_trunc('month', observed_at AT TIME ZONE '{zone}'))::date) FROM metrics_measurement"
    )
    # The planner reads them once the table is analysed; a large table takes a few seconds.
    schema_editor.execute("ANALYZE metrics_measurement")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0017_kpi_decimals")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

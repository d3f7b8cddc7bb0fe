"""Values people entered (the quick form, CSV uploads, the REST API) now stand for their KPI's
period, and every KPI starts with a period of one day (0010). This gives each such value its day,
in the company's time zone, and collapses the duplicates the old key (KPI, initiative, source and
exact time) let in: two values of one KPI and initiative on one day, a correction made at another
time of the day or through another path. The one written last stays; each other one is deleted
with a history record that keeps its value and names the value that replaced it, and the months
they fell in owe a roll-up (a signed-off month then shows a pending restatement, never a silent
change). For a KPI summed over the month, a day's values may instead be its parts (a push per
shift): they are combined into the one written last as the day's total, each kept in history, so
no month's figure changes. Pulled values are not touched: they keep their exact time.

Self-contained on purpose: it uses the historical models only, not the app's code, which moves on.
"""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

PEOPLE_KINDS = ("manual", "csv", "api_push")
_HISTORY_FIELDS = (
    "id",
    "kpi_id",
    "initiative_id",
    "source_id",
    "observed_at",
    "period_start",
    "value",
    "entered_by_id",
    "entered_via",
    "note",
    "created_at",
    "updated_at",
)


def forwards(apps, schema_editor):
    Measurement = apps.get_model("metrics", "Measurement")
    Historical = apps.get_model("metrics", "HistoricalMeasurement")
    RollUpDue = apps.get_model("metrics", "RollUpDue")
    KPI = apps.get_model("metrics", "KPI")
    zone = timezone.get_default_timezone()
    now = timezone.now()

    people = Measurement.objects.filter(source__kind__in=PEOPLE_KINDS)
    people.update(period_start=TruncDate("observed_at", tzinfo=zone))

    owed = set()
    groups = (
        people.values("kpi_id", "initiative_id", "period_start").annotate(n=Count("id")).filter(n__gt=1).order_by()
    )
    for group in list(groups):
        same = people.filter(kpi_id=group["kpi_id"], period_start=group["period_start"])
        if group["initiative_id"] is None:
            same = same.filter(initiative__isnull=True)
        else:
            same = same.filter(initiative_id=group["initiative_id"])
        kept, *dropped = same.order_by("-updated_at", "-id")
        summed = KPI.objects.filter(pk=group["kpi_id"], aggregation="sum").exists()
        if summed:
            # A sum KPI's values of one day may be parts of it (a push per shift): they become the
            # day's total, so no month's figure changes, signed or not.
            reason = f"Combined into #{kept.id}: a sum KPI's day holds one value, the day's total"
        else:
            reason = f"Collapsed: #{kept.id}, written later, is this KPI's value for the day"
        Historical.objects.bulk_create(
            [
                Historical(
                    **{name: getattr(m, name) for name in _HISTORY_FIELDS},
                    history_date=now,
                    history_type="-",
                    history_user_id=None,
                    history_change_reason=reason,
                )
                for m in dropped
            ]
        )
        Measurement.objects.filter(pk__in=[m.pk for m in dropped]).delete()
        if summed:
            kept.value = sum((m.value for m in dropped), kept.value)
            kept.save(update_fields=["value"])
            Historical.objects.create(
                **{name: getattr(kept, name) for name in _HISTORY_FIELDS},
                history_date=now,
                history_type="~",
                history_user_id=None,
                history_change_reason="The day's total of the values combined into it",
            )
        else:
            owed |= {(m.kpi_id, timezone.localtime(m.observed_at, zone).date().replace(day=1)) for m in dropped}
    for kpi_id, month in sorted(owed):
        RollUpDue.objects.update_or_create(kpi_id=kpi_id, month=month, defaults={"requested_at": now})


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0010_period"),
    ]

    operations = [
        # Nothing to undo: the columns 0010 added go when it is reversed, and what was collapsed
        # stays in history.
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]

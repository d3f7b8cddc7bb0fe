# Amber now begins at the target (metrics.services.status): the amber threshold decided nothing
# more, so it goes, and every stored status is recoloured by the rule (a figure that missed its
# target was green under the old one). The values, targets and red thresholds stay as stored,
# those of signed-off months included: only the colour derived from them changes.

from django.db import migrations
from django.db.models import Case, F, Value, When


def recolour(apps, schema_editor):
    snapshot = apps.get_model("metrics", "MonthlySnapshot")
    judged = snapshot.objects.filter(value__isnull=False, target__isnull=False, red_threshold__isnull=False)
    # The rule as it stands at this migration, written out so that later changes to the
    # service do not change what this migration did.
    judged.filter(kpi__direction="higher").update(
        status=Case(
            When(value__lt=F("red_threshold"), then=Value("red")),
            When(value__lt=F("target"), then=Value("amber")),
            default=Value("green"),
        )
    )
    judged.filter(kpi__direction="lower").update(
        status=Case(
            When(value__gt=F("red_threshold"), then=Value("red")),
            When(value__gt=F("target"), then=Value("amber")),
            default=Value("green"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0007_source_pull_requested_at"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="historicaltarget",
            name="amber_threshold",
        ),
        migrations.RemoveField(
            model_name="monthlysnapshot",
            name="amber_threshold",
        ),
        migrations.RemoveField(
            model_name="target",
            name="amber_threshold",
        ),
        migrations.RunPython(recolour, migrations.RunPython.noop),
    ]

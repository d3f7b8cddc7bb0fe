"""Every CSV import's rows add up: stored + unchanged + refused + repeated in the file = rows read.

Imports stored before the repeats were counted lost them silently (the "6,000 valid, stored
2,097" of issue 16): rows repeating a KPI and day collapsed into one. Their difference is counted
as repeated in the file, so that every upload's rows add up, and then the database holds it.
Self-contained on purpose: it uses the historical models only.
"""

import django.db.models.expressions
from django.db import migrations, models


def forwards(apps, schema_editor):
    CsvImport = apps.get_model("metrics", "CsvImport")
    for csv_import in CsvImport.objects.filter(status="stored"):
        counted = csv_import.stored_count + csv_import.unchanged_count + csv_import.rejected_count
        if csv_import.rows_total > counted:
            csv_import.repeated_count = csv_import.rows_total - counted
            csv_import.save(update_fields=["repeated_count"])


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0013_csv_import_counts"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='csvimport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'stored'), _negated=True), ('rows_total', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('stored_count'), '+', models.F('unchanged_count')), '+', models.F('rejected_count')), '+', models.F('repeated_count'))), _connector='OR'), name='csv_import_stored_rows_add_up', violation_error_message='Stored, unchanged, refused and repeated rows add up to the rows read.'),
        ),
    ]

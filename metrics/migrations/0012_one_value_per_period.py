# The natural keys of a person's value and of a pulled one (models.Measurement), once 0011 has
# given every person's value its period and collapsed the duplicates.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0011_people_values_stand_for_their_day'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='measurement',
            name='measurement_unique_per_initiative',
        ),
        migrations.RemoveConstraint(
            model_name='measurement',
            name='measurement_unique_company_wide',
        ),
        migrations.AddConstraint(
            model_name='measurement',
            constraint=models.UniqueConstraint(condition=models.Q(('period_start__isnull', True)), fields=('kpi', 'initiative', 'source', 'observed_at'), name='measurement_unique_per_initiative', violation_error_message='This source already has a value for this KPI and initiative at that time.'),
        ),
        migrations.AddConstraint(
            model_name='measurement',
            constraint=models.UniqueConstraint(condition=models.Q(('initiative__isnull', True), ('period_start__isnull', True)), fields=('kpi', 'source', 'observed_at'), name='measurement_unique_company_wide', violation_error_message='This source already has a company-wide value for this KPI at that time.'),
        ),
        migrations.AddConstraint(
            model_name='measurement',
            constraint=models.UniqueConstraint(condition=models.Q(('period_start__isnull', False)), fields=('kpi', 'initiative', 'period_start'), name='measurement_one_per_period', violation_error_message='This KPI already has a value for this initiative and period.'),
        ),
        migrations.AddConstraint(
            model_name='measurement',
            constraint=models.UniqueConstraint(condition=models.Q(('initiative__isnull', True), ('period_start__isnull', False)), fields=('kpi', 'period_start'), name='measurement_one_company_wide_per_period', violation_error_message='This KPI already has a company-wide value for this period.'),
        ),
    ]

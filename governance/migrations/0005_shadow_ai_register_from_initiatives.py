# The shadow-AI register moves here from initiatives (initiatives/migrations/0006): the same
# tables, now in governance's state; 0006 then gives them governance's names.

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0004_risk_owners_differ'),
        ('initiatives', '0006_shadow_ai_register_moves_to_governance'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalShadowAITool',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('tool', models.CharField(max_length=120)),
                        ('team', models.CharField(max_length=120)),
                        ('use', models.TextField(help_text='What the team uses it for.')),
                        ('why_it_helps', models.TextField()),
                        ('data_sensitivity', models.CharField(choices=[('public', 'Public'), ('internal', 'Internal'), ('confidential', 'Confidential'), ('restricted', 'Restricted (personal or regulated data)')], max_length=12)),
                        ('status', models.CharField(choices=[('under_review', 'Under review'), ('adopted', 'Adopted'), ('replaced', 'Replaced'), ('blocked', 'Blocked')], default='under_review', max_length=12)),
                        ('discovered_on', models.DateField()),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('promoted_to', models.ForeignKey(blank=True, db_constraint=False, help_text='The initiative this tool was promoted into, if any.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='initiatives.initiative')),
                    ],
                    options={
                        'verbose_name': 'historical shadow-AI tool',
                        'verbose_name_plural': 'historical shadow-AI tools',
                        'db_table': 'initiatives_historicalshadowaitool',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='ShadowAITool',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tool', models.CharField(max_length=120)),
                        ('team', models.CharField(max_length=120)),
                        ('use', models.TextField(help_text='What the team uses it for.')),
                        ('why_it_helps', models.TextField()),
                        ('data_sensitivity', models.CharField(choices=[('public', 'Public'), ('internal', 'Internal'), ('confidential', 'Confidential'), ('restricted', 'Restricted (personal or regulated data)')], max_length=12)),
                        ('status', models.CharField(choices=[('under_review', 'Under review'), ('adopted', 'Adopted'), ('replaced', 'Replaced'), ('blocked', 'Blocked')], default='under_review', max_length=12)),
                        ('discovered_on', models.DateField()),
                        ('promoted_to', models.ForeignKey(blank=True, help_text='The initiative this tool was promoted into, if any.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='shadow_ai_origins', to='initiatives.initiative')),
                    ],
                    options={
                        'verbose_name': 'shadow-AI tool',
                        'db_table': 'initiatives_shadowaitool',
                        'ordering': ['tool'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('data_sensitivity__in', ['public', 'internal', 'confidential', 'restricted'])), name='shadow_ai_sensitivity_valid'), models.CheckConstraint(condition=models.Q(('status__in', ['under_review', 'adopted', 'replaced', 'blocked'])), name='shadow_ai_status_valid'), models.UniqueConstraint(fields=('tool', 'team'), name='shadow_ai_tool_team_unique', violation_error_message='This tool is already registered for this team.')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

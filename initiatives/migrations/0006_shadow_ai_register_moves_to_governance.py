# The shadow-AI register belongs to governance (governance/migrations/0005 takes it). Only
# Django's state changes here: the tables stay, and governance renames them afterwards.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0005_brief_revised_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="shadowaitool", name="promoted_to"),
                migrations.DeleteModel(name="HistoricalShadowAITool"),
                migrations.DeleteModel(name="ShadowAITool"),
            ],
            database_operations=[],
        ),
    ]

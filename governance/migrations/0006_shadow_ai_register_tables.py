# The shadow-AI register's tables take governance's names, and its content types follow, so the
# admin's log of past changes still points at them.

from django.db import migrations


def content_types_to_governance(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("shadowaitool", "historicalshadowaitool"):
        if not ContentType.objects.filter(app_label="governance", model=model).exists():
            ContentType.objects.filter(app_label="initiatives", model=model).update(app_label="governance")


def content_types_to_initiatives(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("shadowaitool", "historicalshadowaitool"):
        if not ContentType.objects.filter(app_label="initiatives", model=model).exists():
            ContentType.objects.filter(app_label="governance", model=model).update(app_label="initiatives")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("governance", "0005_shadow_ai_register_from_initiatives"),
    ]

    operations = [
        migrations.AlterModelTable(name="historicalshadowaitool", table=None),
        migrations.AlterModelTable(name="shadowaitool", table=None),
        migrations.RunPython(content_types_to_governance, content_types_to_initiatives),
    ]

# The chat notifications and the ExCo pre-read were built side by side; both follow 0007.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scoreboard", "0008_chat_notifications"),
        ("scoreboard", "0008_exco_preread"),
    ]

    operations = []

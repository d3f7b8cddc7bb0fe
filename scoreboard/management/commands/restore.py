"""Restore a backup written by `manage.py backup` into the database DATABASE_URL names, and check it.

python manage.py restore backups/scoreboard-20261206T020000Z.dump          # into an empty database
python manage.py restore backups/scoreboard-20261206T020000Z.dump --yes    # replacing what it holds
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoreboard import backups


class Command(BaseCommand):
    help = (
        "Restore a dump into the database DATABASE_URL names (pg_restore, one transaction), then check it "
        "against the manifest beside the dump: every table's rows and each ExCo pack's sha256."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The .dump file `manage.py backup` wrote.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Replace what the database holds; without it, only an empty database is restored into.",
        )

    def handle(self, *args, path, yes, **options):
        try:
            restored = backups.database_restore(dump=path, replace=yes)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        backed_up = f" ({restored.backed_up})" if restored.backed_up else ""
        self.stdout.write(self.style.SUCCESS(f"Restored {path}{backed_up} into the database {restored.database}."))
        self.stdout.write("Checked against the manifest:")
        for line in restored.checked:
            self.stdout.write(f"  {line}")
        for note in restored.notes:
            self.stdout.write(self.style.WARNING(note))

"""Back up the database DATABASE_URL names (PostgreSQL) with pg_dump, and write its manifest.

python manage.py backup                          # backups/scoreboard-<UTC time>.dump
python manage.py backup --output /srv/backups/scoreboard.dump
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoreboard import backups


class Command(BaseCommand):
    help = (
        "Dump the database DATABASE_URL names (pg_dump's custom format, without owners) and write a manifest "
        "beside it (migrations, every table's rows, each ExCo pack's sha256) that `manage.py restore` checks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            metavar="PATH",
            help="Where to write the dump (default: backups/scoreboard-<UTC time>.dump); never overwritten.",
        )

    def handle(self, *args, output, **options):
        try:
            backup = backups.database_backup(output=output)
        except backups.BackupError as error:
            raise CommandError(str(error)) from error
        size = backup.dump.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(f"Backed up to {backup.dump} ({size / 1_048_576:.1f} MiB).")
            + f"\nIts manifest: {backup.manifest} ({backup.tables} tables, {backup.rows:,} rows, "
            f"{backup.packs} ExCo packs)."
        )

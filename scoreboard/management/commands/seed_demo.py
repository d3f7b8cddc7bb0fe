"""Build the demo company (Harbourline Mutual) and print its logins.

python manage.py seed_demo                      # refuses if scoreboard data exists
python manage.py seed_demo --if-empty           # what `make run` does: leaves existing data alone
python manage.py seed_demo --replace            # deletes all scoreboard data, then builds
python manage.py seed_demo --initiatives 500 --months 36   # benchmark-sized
"""

import time

from django.core.management.base import BaseCommand, CommandError

from scoreboard import demo


class Command(BaseCommand):
    help = (
        "Build the demo company: people for every role, KPIs and targets, metric sources, initiatives in every "
        "stage, months of measurements and snapshots, monthly reviews and governance records."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Random seed; the same seed builds the same data.")
        parser.add_argument(
            "--initiatives",
            type=int,
            default=demo.HANDCRAFTED_COUNT,
            metavar="N",
            help="How many initiatives; the first twelve are hand-written, the rest come from templates.",
        )
        parser.add_argument(
            "--months", type=int, default=24, metavar="M", help="Months of measurements, ending with this month."
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and say so) when the database already holds scoreboard data.",
        )
        existing.add_argument(
            "--replace",
            action="store_true",
            help="Delete all scoreboard data (initiatives, KPIs, measurements, governance, reviews) first.",
        )

    def handle(self, *args, seed, initiatives, months, if_empty, replace, verbosity, **options):
        if initiatives < 1:
            raise CommandError("--initiatives must be at least 1.")
        if months < 1:
            raise CommandError("--months must be at least 1.")

        found = demo.existing_scoreboard_data()
        if found and if_empty:
            listed = ", ".join(f"{n} {label}" for label, n in found.items())
            self.stdout.write(f"Scoreboard data already present ({listed}); --if-empty: nothing done.")
            self._print_logins(demo.demo_logins(present_only=True), demo.DEMO_PASSWORD)
            return
        if found and not replace:
            raise CommandError(
                f"{demo.DemoDataExists(found)} Run with --replace to delete it and build the demo company "
                "afresh, or with --if-empty to leave it as it is."
            )

        started = time.monotonic()
        try:
            summary = demo.build_demo_company(
                seed=seed, initiatives=initiatives, months=months, progress=verbosity >= 1, replace=replace
            )
        except demo.DemoDataExists as exc:  # data arrived between the check and the build
            raise CommandError(f"{exc} Run with --replace to rebuild.") from exc
        elapsed = time.monotonic() - started

        self.stdout.write(
            self.style.SUCCESS(
                f"Built {demo.COMPANY}: {_count(summary.initiatives, 'initiative')}, {_count(summary.months, 'month')} "
                f"({summary.first_month:%b %Y} to {summary.last_month:%b %Y}), seed {summary.seed}, "
                f"in {elapsed:.1f} s."
            )
        )
        if verbosity >= 1:
            width = max(len(label) for label in summary.counts)
            for label, count in summary.counts.items():
                self.stdout.write(f"  {label:<{width}}  {count:>9,}")
        for note in summary.notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write(demo.build_preread())

        self._print_logins(summary.logins, summary.password)

    def _print_logins(self, logins, password):
        if not logins:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (every one uses the password: {password})")
        width = max(len(login.username) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username:<{width}}  {login.role:<10}  {login.who}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

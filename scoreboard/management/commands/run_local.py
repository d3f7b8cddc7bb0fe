"""`make run`'s process set: the web server, a Celery worker and beat, side by side on one
machine with no server to install. The broker is a folder (kombu's filesystem transport, under
.run/broker/) and the database SQLite, unless CELERY_BROKER_URL and DATABASE_URL name others.

Each child runs in a process group of its own (runserver's reloader has a child of its own too),
its output passed through with its name in front. Ctrl-C (SIGINT) or SIGTERM stops all three;
when one stops by itself, the others are stopped and the command fails, naming it. Production
runs the same three as separate services on Redis and PostgreSQL (docker-compose.yml).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# How long the worker may finish the task in hand (a warm shutdown) before everything left is killed.
STOP_GRACE_SECONDS = 10.0


@dataclass
class _Child:
    name: str  # as people say it: "web server", "worker", "beat"
    tag: str  # in front of each of its lines
    process: subprocess.Popen
    reader: threading.Thread | None = None


class Command(BaseCommand):
    help = (
        "Run the web server, a Celery worker and beat together, as `make run` does: scheduled pulls, "
        "the nightly roll-up and the digests happen with no Redis. Ctrl-C stops all three."
    )
    # The children run Django's checks themselves (runserver shows them); doing it here too only slows the start.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Where the web server listens.")
        parser.add_argument(
            "--run-dir",
            default=str(Path(settings.BASE_DIR) / ".run"),
            help="The folder for the broker's messages and beat's pid file (default: .run/ beside manage.py).",
        )
        parser.add_argument("--noreload", action="store_true", help="Do not restart the web server on code changes.")

    def handle(self, *args, addrport, run_dir, noreload, **options):
        run_dir = Path(run_dir).resolve()
        environment, broker = self._environment(run_dir)
        self._output_lock = threading.Lock()
        self._stop_signal: int | None = None
        stop = threading.Event()

        def on_signal(signum, frame):
            self._stop_signal = signum
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        python, manage_py = sys.executable, str(Path(settings.BASE_DIR) / "manage.py")
        celery = [python, "-m", "celery", "-A", "scoreboard"]
        commands = [
            ("web server", "web", [python, manage_py, "runserver", addrport, *(["--noreload"] if noreload else [])]),
            # One task at a time in the worker's own process: SQLite has one writer anyway, and a
            # laptop needs no pool. Gossip, mingle and heartbeats only matter between many workers.
            (
                "worker",
                "worker",
                [
                    *celery,
                    "worker",
                    "--loglevel=info",
                    "--pool=solo",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--hostname=local@%h",
                ],
            ),
            # The schedules are rows in the database (CELERY_BEAT_SCHEDULER); the pid file refuses a second beat.
            (
                "beat",
                "beat",
                [
                    *celery,
                    "beat",
                    "--loglevel=info",
                    f"--pidfile={run_dir / 'beat.pid'}",
                    f"--schedule={run_dir / 'beat-schedule'}",
                ],
            ),
        ]
        self._say(f"broker {broker}; the web server, a worker and beat start now (Ctrl-C stops all three)")
        children: list[_Child] = []
        stopped = None
        try:
            for name, tag, command in commands:
                children.append(self._start(name, tag, command, environment))
            while stopped is None and not stop.is_set():
                stopped = next((child for child in children if child.process.poll() is not None), None)
                stop.wait(0.2)
        finally:
            self._stop_all(children)
        if stopped is not None and self._stop_signal is None:
            others = " and ".join(child.name for child in children if child is not stopped)
            status = stopped.process.returncode
            how = f"killed by {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
            raise CommandError(
                f"the {stopped.name} stopped by itself ({how}), so the {others} were stopped too: "
                "its last lines above say why."
            )
        self._say("stopped: the web server, the worker and beat")

    def _environment(self, run_dir: Path) -> tuple[dict[str, str], str]:
        """The children's environment: a folder for a broker when none is configured, never eager."""
        run_dir.mkdir(parents=True, exist_ok=True)  # beat's pid file, whatever the broker
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", "CELERY_TASK_ALWAYS_EAGER": "false"}
        broker = settings.CELERY_BROKER_URL
        if broker == settings.IN_PROCESS_BROKER:
            broker = environment["CELERY_BROKER_URL"] = settings.FILESYSTEM_BROKER
        if broker == settings.FILESYSTEM_BROKER:
            folder = Path(environment.get("CELERY_FILESYSTEM_DIR") or run_dir / "broker")
            environment["CELERY_FILESYSTEM_DIR"] = str(folder)
            # kombu's filesystem transport expects its folders to exist.
            for sub in ("queue", "control"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            return environment, f"{broker} (messages under {folder})"
        scheme = broker.split("://", 1)[0]  # never the rest: it may hold a password
        return environment, f"{scheme}:// (CELERY_BROKER_URL)"

    def _start(self, name: str, tag: str, command: list[str], environment: dict[str, str]) -> _Child:
        # Our own interpreter and fixed arguments, no shell. A session of its own, so the terminal's
        # Ctrl-C reaches only this command, which then stops each child and everything it started.
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child = _Child(name, tag, process)
        child.reader = threading.Thread(target=self._pass_through, args=(tag, process.stdout), daemon=True)
        child.reader.start()
        return child

    def _pass_through(self, tag: str, stream: IO[bytes]) -> None:
        for line in stream:
            self._write(f"{tag:<6} | {line.decode(errors='replace').rstrip()}")

    def _stop_all(self, children: list[_Child]) -> None:
        """SIGTERM to every child's process group (the worker finishes its task in hand), then,
        after the grace period, SIGKILL to whatever is left of them."""
        for child in children:
            _signal_group(child.process.pid, signal.SIGTERM)
        for child in children:
            try:
                child.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._say(f"the {child.name} did not stop within {STOP_GRACE_SECONDS:.0f} s: killing it")
        for child in children:
            # Also whatever a child started and left in its group (runserver's reloaded server).
            _signal_group(child.process.pid, signal.SIGKILL)
            child.process.wait()
            if child.reader is not None:
                child.reader.join(timeout=5)

    def _say(self, message: str) -> None:
        self._write(f"run_local: {message}")

    def _write(self, line: str) -> None:
        with self._output_lock:
            self.stdout.write(line)
            self.stdout.flush()


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # nothing left in it
        os.killpg(group, signum)

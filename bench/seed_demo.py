"""How fast the demo generator builds companies of benchmark size.

Prints wall time and rows written per second for S (20 initiatives x 12 months) and
L (200 x 36) on a throwaway database: SQLite under /tmp unless BENCH_DATABASE_URL is set
(use a scratch PostgreSQL database there: the benchmark replaces all scoreboard data).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"S": (20, 12), "L": (200, 36)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": ""}
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        print(f"database: {url.split('://', 1)[0]}")
        print(f"{'size':<5}{'initiatives':>12}{'months':>8}{'seconds':>10}{'measurements/s':>16}")
        for size, (initiatives, months) in SIZES.items():
            started = time.perf_counter()
            subprocess.run(  # noqa: S603
                [*manage, "seed_demo", "--replace", "-v0", f"--initiatives={initiatives}", f"--months={months}"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            elapsed = time.perf_counter() - started
            count = subprocess.run(  # noqa: S603
                [
                    *manage,
                    "shell",
                    "--no-imports",
                    "-c",
                    "from metrics.models import Measurement as M; print(M.objects.count())",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            print(f"{size:<5}{initiatives:>12}{months:>8}{elapsed:>10.1f}{int(count) / elapsed:>16,.0f}")


if __name__ == "__main__":
    main()

"""Screenshots of the main pages at 1440 px and 390 px, into this folder.

    .venv/bin/python docs/screenshots/take.py

Builds the demo company in a throwaway SQLite database, serves it with runserver on a free
loopback port, signs in as the persona each page is for, and saves the top of each page (what a
reader sees first) with Debian's Chromium driven by Playwright. Nothing else is touched.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (the tests' own browser settings)

WIDTHS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
# (file name, persona, path; "{month}" is the latest complete month)
PAGES = [
    ("exco", "cio", "/exco/{month}/"),
    ("initiative", "cio", "/initiatives/claims-triage/"),
    ("workspace", "ops.claims", "/my/"),
    ("matrix", "coo", "/governance/matrix/"),
    ("decision-log", "coo", "/governance/decisions/"),
    ("risks", "cio", "/governance/risks/"),
    ("search", "cio", "/search/?q=claims"),
]
PASSWORD = "scoreboard-demo"  # the demo company's, printed by make run  # noqa: S105
LATEST_MONTH = "from scoreboard.exco.dashboard import latest_month; print(f'{latest_month():%Y-%m}')"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="scoreboard-shots-") as work:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work}/db.sqlite3",
            "DEBUG": "true",
            "CELERY_BROKER_URL": "",
        }
        env.pop("REDIS_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "seed_demo", "-v0"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        month = (
            subprocess.run(  # noqa: S603
                [
                    *manage,
                    "shell",
                    "-c",
                    "from scoreboard.exco.dashboard import latest_month; print(f'{latest_month():%Y-%m}')",
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz")
            _shoot(f"http://127.0.0.1:{port}", month)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _shoot(base: str, month: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for kind, viewport in WIDTHS.items():
            for name, persona, path in PAGES:
                context = browser.new_context(viewport=viewport, is_mobile=kind == "phone", device_scale_factor=1)
                page = context.new_page()
                page.goto(f"{base}/login/")
                page.fill("#id_username", persona)
                page.fill("#id_password", PASSWORD)
                page.click("main button[type=submit]")
                page.wait_for_load_state("load")
                page.goto(base + path.format(month=month))
                page.wait_for_load_state("networkidle")
                target = OUT / f"{name}-{kind}.png"
                page.screenshot(path=str(target))
                print(f"{target.relative_to(ROOT)}  ({persona})")
                context.close()
        browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  (our own loopback server)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"runserver did not answer {url} within 60 s")


if __name__ == "__main__":
    main()

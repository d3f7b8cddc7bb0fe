"""HTML to PDF with Debian's headless Chromium (print-to-PDF), offline and bounded in time.

The caller hands over a self-contained page: CSS and scripts (Plotly's too) inlined, so
Chromium needs no network and is given none.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

# Looked up in this order when PDF_CHROMIUM_PATH is empty.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")

# Virtual time, not wall-clock: Chromium fast-forwards timers while the page is idle, so a
# chart drawn after a setTimeout is on the page without us waiting for it in real time.
VIRTUAL_TIME_BUDGET_MS = 10_000

# Enough of Chromium's stderr to see why it failed; its first lines are D-Bus noise.
STDERR_TAIL_CHARS = 2_000


class PdfRenderError(RuntimeError):
    """Chromium is missing, timed out, failed, or wrote something that is not a PDF."""


def html_to_pdf(html: str, *, timeout: float | None = None) -> bytes:
    """Render a self-contained HTML document to PDF bytes; ``timeout`` in seconds caps the render."""
    chromium = _chromium_path()
    if timeout is None:
        timeout = float(getattr(settings, "PDF_RENDER_TIMEOUT_SECONDS", 60))
    # A fresh directory per render: parallel renders share neither files nor a browser profile.
    workdir = Path(tempfile.mkdtemp(prefix="scoreboard-pdf-"))
    try:
        page = workdir / "page.html"
        page.write_text(html, encoding="utf-8")
        output = workdir / "page.pdf"
        argv = [chromium, *_flags(workdir, output), page.as_uri()]
        returncode, stderr = _run(argv, timeout)
        if returncode != 0:
            raise PdfRenderError(f"Chromium exited with status {returncode}.{_tail(stderr)}")
        if not output.is_file():
            raise PdfRenderError(f"Chromium exited without writing a PDF.{_tail(stderr)}")
        data = output.read_bytes()
        if not data.startswith(b"%PDF"):
            raise PdfRenderError(f"Chromium wrote a file that is not a PDF ({len(data)} bytes).{_tail(stderr)}")
        return data
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(argv: list[str], timeout: float) -> tuple[int, bytes]:
    """Run Chromium in its own process group, so a render cut off by the time-out takes
    every helper process with it (none is left writing into the work directory)."""
    try:
        process = subprocess.Popen(  # noqa: S603 - a list argv, no shell; the path comes from settings
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
    except OSError as exc:
        raise PdfRenderError(f"Chromium could not be started at {argv[0]}: {exc}") from exc
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        raise PdfRenderError(f"Chromium did not finish the PDF within {timeout:g} s.{_tail(stderr)}") from None
    finally:
        # Helpers that outlive a finished browser would keep writing into the work directory.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, stderr


def _chromium_path() -> str:
    configured = getattr(settings, "PDF_CHROMIUM_PATH", "")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise PdfRenderError(f"Chromium not found at PDF_CHROMIUM_PATH={configured}.")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfRenderError(f"Chromium not found: none of {', '.join(CHROMIUM_NAMES)} is on PATH; set PDF_CHROMIUM_PATH.")


def _flags(workdir: Path, output: Path) -> list[str]:
    return [
        # New headless mode: the same renderer as the desktop browser, without a display.
        "--headless",
        # Containers run us as root, where Chromium refuses to start with its sandbox.
        "--no-sandbox",
        "--disable-gpu",
        # No date, title, URL or page numbers stamped by Chromium; the page prints its own.
        "--no-pdf-header-footer",
        f"--print-to-pdf={output}",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        "--run-all-compositor-stages-before-draw",
        f"--user-data-dir={workdir / 'profile'}",
        # Offline. Every host name and IP literal (IPv4, IPv6, localhost included) resolves
        # to nothing, so images, fetch, WebSocket and CSS references cannot connect.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        # WebRTC sends STUN over UDP straight to IP literals, past the host resolver; with no
        # proxy configured this policy leaves it no UDP at all.
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        # And nothing of the browser's own: update checks, first-run pages, extensions.
        "--disable-background-networking",
        "--no-first-run",
        "--disable-extensions",
    ]


def _tail(stderr: bytes | None) -> str:
    text = (stderr or b"").decode("utf-8", errors="replace").strip()
    if not text:
        return ""
    return f" Chromium's stderr ends with:\n{text[-STDERR_TAIL_CHARS:]}"

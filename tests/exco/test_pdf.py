"""scoreboard.exco.pdf.html_to_pdf with the real Chromium: pages, scripts, no network, clear failures.

Nothing is mocked: each test starts Debian's headless Chromium (about a second a render).
"""

import subprocess
import tempfile
import time
import unicodedata
from io import BytesIO

import pytest
from pypdf import PdfReader

from scoreboard.exco.pdf import PdfRenderError, html_to_pdf

TWO_PAGES = """<!doctype html>
<html><head><meta charset="utf-8"><title>Pack March 2026</title></head>
<body>
  <section style="page-break-after: always"><h1>Pack March 2026</h1><p>Summary for the ExCo.</p></section>
  <section><h2>Initiatives</h2><p>Second page.</p></section>
</body></html>"""


def _pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def test_two_sections_split_by_a_page_break_give_a_two_page_pdf():
    data = html_to_pdf(TWO_PAGES)

    assert data.startswith(b"%PDF")
    reader = PdfReader(BytesIO(data))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert "March 2026" in first
    assert "Second page" in second
    assert "Second page" not in first
    assert reader.metadata.title == "Pack March 2026"
    # --no-pdf-header-footer: Chromium stamps neither the file URL nor a page count.
    assert "file:" not in first + second
    assert "1/2" not in first + second


def test_a_chart_drawn_by_a_delayed_script_is_in_the_pdf():
    # Without a virtual-time budget Chromium prints at the load event, before this timer fires.
    html = """<!doctype html><html><body>
      <div id="chart">waiting for the chart</div>
      <script>
        setTimeout(function () { document.getElementById("chart").textContent = "drawn by script"; }, 500);
      </script>
    </body></html>"""

    text = "".join(_pages_text(html_to_pdf(html)))

    assert "drawn by script" in text
    assert "waiting for the chart" not in text


def _page_with_external_references(local: str, local_by_name: str) -> str:
    return f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{local}/style.css">
    </head><body>
      <p>rendered offline</p>
      <img src="{local}/image.png"><img src="{local_by_name}/by-name.png">
      <img src="http://93.184.215.14/x.png">
      <script>
        fetch("{local}/fetch").catch(function () {{}});
        fetch("http://example.com/").catch(function () {{}});
        try {{ new WebSocket("{local.replace("http:", "ws:")}/socket"); }} catch (e) {{}}
      </script>
    </body></html>"""


def test_a_page_cannot_reach_the_network_not_even_a_server_on_loopback(fake_source, tmp_path):
    local = f"http://127.0.0.1:{fake_source.port}"
    html = _page_with_external_references(local, f"http://localhost:{fake_source.port}")

    # The control: plain headless Chromium fetches these references from a file:// page,
    # so the server below does see a request when one is made.
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={tmp_path / 'control.pdf'}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert {"/image.png", "/by-name.png", "/style.css", "/fetch", "/socket"} <= {r.path for r in fake_source.requests}

    before = len(fake_source.requests)
    started = time.monotonic()
    data = html_to_pdf(html, timeout=30)
    elapsed = time.monotonic() - started

    # NFKC: a font may set "ffl" as one ligature glyph, which the text layer then reports.
    assert "rendered offline" in unicodedata.normalize("NFKC", "".join(_pages_text(data)))
    assert fake_source.requests[before:] == []
    # Unreachable references fail at once rather than waiting on a connection timeout.
    assert elapsed < 10


def test_a_missing_chromium_is_named_in_the_error(settings):
    settings.PDF_CHROMIUM_PATH = "/nonexistent/chromium"

    with pytest.raises(PdfRenderError, match="/nonexistent/chromium"):
        html_to_pdf(TWO_PAGES)


@pytest.mark.parametrize(
    ("executable", "message"),
    [("/bin/false", "exited with status 1"), ("/bin/true", "without writing a PDF")],
)
def test_a_browser_that_fails_or_writes_nothing_is_an_error(settings, executable, message):
    settings.PDF_CHROMIUM_PATH = executable

    with pytest.raises(PdfRenderError, match=message):
        html_to_pdf(TWO_PAGES)


def test_a_page_that_never_finishes_is_cut_off_and_its_files_removed(monkeypatch, tmp_path):
    # Render into tmp_path so we can see what is left behind.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html_to_pdf(TWO_PAGES)
    assert list(tmp_path.iterdir()) == []

    started = time.monotonic()
    with pytest.raises(PdfRenderError, match="within 2 s"):
        html_to_pdf("<script>while (true) {}</script>", timeout=2)

    assert time.monotonic() - started < 10
    assert list(tmp_path.iterdir()) == []

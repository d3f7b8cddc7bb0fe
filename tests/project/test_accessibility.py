"""Every main page, as each persona sees it, has no serious or critical accessibility violation
that axe-core (tests/vendor/axe-core, run in Chromium) finds: names for every control and link,
contrast, landmarks, ARIA used as specified. And what axe cannot judge: a skip link first, the
section marked in the navigation, each error tied to its input, messages in a live region."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scoreboard import demo
from tests.browser import sign_in_at

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")


def main_pages(persona: str) -> list[str]:
    from initiatives.models import Initiative
    from scoreboard.exco.dashboard import latest_month

    initiative = Initiative.objects.order_by("code").first()
    pages = [
        f"/exco/{latest_month():%Y-%m}/",
        f"/initiatives/{initiative.code}/",
        "/initiatives/",
        "/kpis/",
        "/governance/matrix/",
        "/governance/decisions/",
        "/governance/risks/",
        "/governance/shadow-ai/",
    ]
    if persona in ("ops.claims", "admin"):
        pages.append("/my/")
    if persona == "cio":  # an ExCo member's own pre-read settings
        pages.append("/exco/pre-read/")
    return pages


def each_main_page(page, live_server, persona: str):
    """Sign in as ``persona``, then open each of their main pages (each must answer 200), yielding
    its path once it has loaded."""
    pages = main_pages(persona)
    sign_in_at(page, live_server, persona, pages[0])
    for path in pages:
        assert page.goto(f"{live_server.url}{path}").status == 200, path
        page.wait_for_load_state("load")
        yield path


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(' '.join(n['target']) for n in v['nodes'][:5])}"
        for v in found
        if v["impact"] in FAILING
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", ["cio", "ops.claims", "admin"])
def test_each_main_page_has_no_serious_accessibility_violation(page, live_server, persona):
    demo.build_demo_company(seed=7, months=6)
    found = {}
    for path in each_main_page(page, live_server, persona):
        if problems := violations(page):
            found[path] = problems
    assert found == {}, "\n".join(f"{path}:\n  " + "\n  ".join(problems) for path, problems in found.items())


@pytest.mark.django_db(transaction=True)
def test_the_skip_link_comes_first_and_takes_the_keyboard_to_the_content(page, live_server):
    demo.build_demo_company(seed=7, months=6)
    sign_in_at(page, live_server, "cio", "/initiatives/")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to the content")
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"  # a visible focus ring
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"


def described_by(html: str, name: str) -> str:
    """The text of what the input ``name`` is described by, or fail if an id it names is missing."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>', html).group()
    ids = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
    texts = []
    for found in ids:
        start = html.index(f'id="{found}"')
        texts.append(re.sub(r"<[^>]+>", " ", html[start : html.index("</", start)]))
    return " ".join(texts)


def test_each_error_is_tied_to_its_input(client, ops_lead_a, initiative_a, kpi):
    client.force_login(ops_lead_a)

    refused = client.post(f"/my/{initiative_a.code}/log/", {"kpi": kpi.code, "period": "2026-03-01", "value": "lots"})

    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in re.search(r'<input[^>]*name="value"[^>]*>', html).group()
    assert "not a number" in described_by(html, "value")


def test_a_filter_that_cannot_be_applied_names_its_field_for_the_input(client, cio):
    client.force_login(cio)

    html = client.get("/governance/risks/", {"category": "weather"}).content.decode()

    assert "weather" in described_by(html, "category")


def test_the_navigation_marks_the_section_and_messages_live_in_a_status_region(client, cio):
    client.force_login(cio)

    html = client.get("/governance/risks/").content.decode()

    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', nav) == ["Governance"]
    assert '<div role="status" aria-live="polite"' in html

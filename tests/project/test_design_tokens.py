"""The design system's one rule a reviewer cannot see at a glance (docs/design.md): colours are
tokens. Only scoreboard.css's :root block writes a colour; every other rule, in every stylesheet,
reads one, so a change of accent or status colour is one line. The risk heat map's four bands
are the named exception."""

import re
from pathlib import Path

from django.conf import settings

CSS = Path(settings.BASE_DIR) / "static" / "css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(")
HEAT_BANDS = re.compile(r"^\.heat-(low|medium|high|severe) \{")


def _rules_outside_the_tokens(name: str) -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", (CSS / name).read_text(), flags=re.S)
    if name == "scoreboard.css":
        root = re.search(r":root \{.*?\n\}", text, flags=re.S)
        assert root, "scoreboard.css has no :root block of tokens"
        text = text.replace(root.group(0), "")
    return [line.strip() for line in text.splitlines() if COLOUR.search(line) and not HEAT_BANDS.match(line.strip())]


def test_only_the_tokens_write_a_colour_in_any_stylesheet():
    sheets = sorted(p.name for p in CSS.glob("*.css"))
    assert "scoreboard.css" in sheets
    found = {name: rules for name in sheets if (rules := _rules_outside_the_tokens(name))}
    assert found == {}


def test_the_tokens_define_every_variable_the_stylesheets_read():
    defined = set(re.findall(r"(--[a-z0-9-]+):", (CSS / "scoreboard.css").read_text()))
    read = {p.name: set(re.findall(r"var\((--[a-z0-9-]+)\)", p.read_text())) for p in CSS.glob("*.css")}
    missing = {name: sorted(names - defined) for name, names in read.items() if names - defined}
    assert missing == {}

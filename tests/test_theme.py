"""The NHS-style look (.streamlit/config.toml [theme] and ui/theme.css) keeps every pair readable (WCAG 2.2 AA),
and the server's config (deploy/config.toml) looks the same as the local one."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from checklist.palette import contrast_ratio

ROOT = Path(__file__).resolve().parent.parent
LOCAL = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
SERVER = tomllib.loads((ROOT / "deploy" / "config.toml").read_text(encoding="utf-8"))
CSS = (ROOT / "ui" / "theme.css").read_text(encoding="utf-8")
theme = LOCAL["theme"]


def test_the_server_looks_the_same_as_a_local_copy():
    assert SERVER["theme"] == LOCAL["theme"]


@pytest.mark.parametrize(
    ("what", "foreground", "background", "needed"),
    [
        ("body text", theme["textColor"], theme["backgroundColor"], 4.5),
        ("body text on panels", theme["textColor"], theme["secondaryBackgroundColor"], 4.5),
        ("sidebar text", theme["textColor"], theme["sidebar"]["backgroundColor"], 4.5),
        ("links", theme["linkColor"], theme["backgroundColor"], 4.5),
        ("white on the primary colour (buttons, selected options)", "#FFFFFF", theme["primaryColor"], 4.5),
        ("the primary colour as text", theme["primaryColor"], theme["backgroundColor"], 4.5),
        ("input and table edges (WCAG 1.4.11)", theme["borderColor"], theme["backgroundColor"], 3.0),
        ("error text", theme["redColor"], theme["backgroundColor"], 4.5),
        ("success text", theme["greenColor"], theme["backgroundColor"], 4.5),
    ],
)
def test_theme_pairs_are_readable(what, foreground, background, needed):
    assert contrast_ratio(foreground, background) >= needed, what


def _rule(selector: str) -> str:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS)
    assert match, f"{selector} is styled in ui/theme.css"
    return match.group(1)


def _colour(rule: str, prop: str) -> str:
    return re.search(rf"(?<![-\w]){prop}:\s*(#[0-9A-Fa-f]{{6}})", rule).group(1)


def test_stylesheet_pairs_are_readable():
    header = _rule('header[data-testid="stHeader"]')
    assert contrast_ratio("#FFFFFF", _colour(header, "background")) >= 4.5  # the service name on NHS blue
    button = _rule('button[data-testid="stBaseButton-primary"]')
    assert contrast_ratio(_colour(button, "color"), _colour(button, "background-color")) >= 4.5
    hover = _rule('button[data-testid="stBaseButton-primary"]:hover')
    assert contrast_ratio(_colour(hover, "color"), _colour(hover, "background-color")) >= 4.5
    label = _rule('[data-testid="stMetricLabel"] p')
    assert contrast_ratio(_colour(label, "color"), theme["backgroundColor"]) >= 4.5


def test_focus_is_yellow_with_a_dark_bar_as_on_nhs_uk():
    focus = CSS[CSS.index(":focus-visible") :]
    assert "#FFEB3B" in focus and "#212B32" in focus
    assert contrast_ratio("#212B32", "#FFEB3B") >= 4.5  # text on a focused link's yellow

"""One colour for each maturity level, used by every page and chart.

Chosen by computation (tests/test_palette.py): every colour has at least 4.3:1 contrast against
white (WCAG asks 3:1 for graphics), and the five stay apart under simulated deuteranopia and
protanopia. Colour never carries meaning alone: levels are always labelled with number and name.
"""

from __future__ import annotations

LEVEL_COLOURS: tuple[str, ...] = ("#B2182B", "#C65A1E", "#7A5195", "#2B7BBA", "#153E75")
DONT_KNOW_COLOUR = "#4D4D4D"
NOT_APPLICABLE_COLOUR = "#767676"
BACKGROUND = "#FFFFFF"


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of a #RRGGBB colour."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str = BACKGROUND) -> float:
    a, b = relative_luminance(foreground), relative_luminance(background)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


# One colour per workshop sector, in consensus.SECTORS order, so a sector looks the same on every
# chart: Okabe-Ito hues, darkened where needed to reach 3:1 against white. The vote chart adds a
# fill pattern per sector as well, so colour is not the only cue.
SECTOR_COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#007A5A", "#AA4499", "#8F6500", "#555555")
SECTOR_PATTERNS: tuple[str, ...] = ("", "/", ".", "x", "-", "+")
# Sectors too small to show on their own, counted together (consensus.FOLDED, or the whole room).
FOLDED_COLOUR = "#333333"
FOLDED_PATTERN = "|"

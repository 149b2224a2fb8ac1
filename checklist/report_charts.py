"""SVG drawings for the PDF reports, made here without a browser (WeasyPrint draws SVG itself).

Colours are the level palette's, picked by band (the level a score is nearest to); every coloured
mark also carries its value as text, and every drawing goes into the report with alt text, a caption
and a table of the same numbers, so colour never carries the meaning alone.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from checklist import formatting
from checklist.framework import LEVEL_NAMES
from checklist.palette import LEVEL_COLOURS, contrast_ratio
from checklist.scoring import band

FONT = "DejaVu Sans, Arial, sans-serif"
INK = "#0B0C0C"
GRID = "#B1B4B6"
NO_SCORE_FILL = "#FFFFFF"
# Rows per heatmap drawing: a drawing cannot break across pages, so a long list of places is drawn
# in parts that each fit a landscape A4 page.
HEATMAP_ROWS_PER_PART = 14


def band_level(value: float | None) -> int | None:
    """The level (0-4) a score is nearest to, as scoring.band names it; None when there is no score."""
    name = band(value)
    return None if name is None else LEVEL_NAMES.index(name)


def text_colour(fill: str) -> str:
    """White or black, whichever stands out more against the fill."""
    return "#FFFFFF" if contrast_ratio("#FFFFFF", fill) >= contrast_ratio("#000000", fill) else "#000000"


def _wrap(text: str, width: int) -> list[str]:
    """Break a label into lines of about `width` characters (SVG text does not wrap)."""
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines or [""]


def _open(width: float, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="12">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#FFFFFF"/>',
    ]


def heatmap_svg(frame: pd.DataFrame, width: int = 980, levels: bool = False) -> str:
    """Rows (places) × columns (domains) of scores 0-4, in the frame's own row order.

    Each cell is filled with its band's colour and labelled with its score to two decimals, or with `levels` its
    whole level (white or black text, whichever contrasts more); a cell with no score is left white and marked
    with a dash.
    A legend of the five bands sits under the grid.
    """
    rows, columns = list(frame.index), list(frame.columns)
    label_width = 190
    cell_width = (width - label_width) / max(1, len(columns))
    chars = max(8, int(cell_width / 7.2))
    headers = [_wrap(c, chars) for c in columns]
    header_lines = max((len(h) for h in headers), default=1)
    top = 14 * header_lines + 12
    row_height = 30
    grid_bottom = top + row_height * len(rows)
    legend_top = grid_bottom + 18
    height = legend_top + 40
    out = _open(width, height)
    for k, lines in enumerate(headers):  # column headings, bottom-aligned over their column
        x = label_width + cell_width * (k + 0.5)
        for m, line in enumerate(lines):
            y = top - 8 - 14 * (len(lines) - 1 - m)
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-weight="bold" fill="{INK}">'
                f"{escape(line)}</text>"
            )
    for r, place in enumerate(rows):
        y = top + row_height * r
        lines = _wrap(place, 26)[:2]
        for m, line in enumerate(lines):
            dy = (m - (len(lines) - 1) / 2) * 13 + 4
            out.append(
                f'<text x="{label_width - 8}" y="{y + row_height / 2 + dy:.1f}" text-anchor="end" '
                f'font-weight="bold" fill="{INK}">{escape(line)}</text>'
            )
        for k, column in enumerate(columns):
            value = frame.iloc[r, k]
            value = None if pd.isna(value) else float(value)
            x = label_width + cell_width * k
            level = band_level(value)
            fill = NO_SCORE_FILL if level is None else LEVEL_COLOURS[level]
            ink = "#505A5F" if level is None else text_colour(fill)
            label = "—" if value is None else str(int(value)) if levels else formatting.score(value)
            title = f"{place} · {column}: " + ("no score" if value is None else f"{label}, {formatting.level(level)}")
            out.append(
                f'<rect x="{x + 1:.1f}" y="{y + 1:.1f}" width="{cell_width - 2:.1f}" height="{row_height - 2}" '
                f'fill="{fill}" stroke="{GRID}" stroke-width="1"><title>{escape(title)}</title></rect>'
            )
            out.append(
                f'<text x="{x + cell_width / 2:.1f}" y="{y + row_height / 2 + 5:.1f}" text-anchor="middle" '
                f'font-size="13" fill="{ink}">{label}</text>'
            )
    out += _legend(label_width, legend_top, width - label_width, no_score=True)
    out.append("</svg>")
    return "".join(out)


def _legend(x0: float, y0: float, width: float, no_score: bool = False) -> list[str]:
    """One swatch per level, labelled '2 · Developing', in a row."""
    entries = [(LEVEL_COLOURS[v], formatting.level(v)) for v in range(len(LEVEL_NAMES))]
    if no_score:
        entries.append((NO_SCORE_FILL, "— No score"))
    step = width / len(entries)
    out = []
    for k, (fill, text) in enumerate(entries):
        x = x0 + step * k
        out.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="18" height="18" fill="{fill}" stroke="{GRID}"/>')
        out.append(f'<text x="{x + 23:.1f}" y="{y0 + 13:.1f}" font-size="11" fill="{INK}">{escape(text)}</text>')
    return out

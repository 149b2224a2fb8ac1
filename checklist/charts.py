"""Figure builders: plain DataFrames in, plotly figures out. One palette for levels everywhere.

Levels are always labelled with number and name as well as coloured, so colour never carries
meaning alone; every page shows the data behind a chart as a table too.

Plotly reads a subset of HTML in every text it draws (titles, ticks, legends, data labels, hover): `<a href>`
becomes a clickable link, `<b>`, `<i>` and `<br>` format. Every text that reaches a figure from data (names,
round labels, titles) passes through `chart_text` here, so it is drawn exactly as typed; the tables beside the
charts take the data unescaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from checklist import formatting
from checklist.consensus import ANSWER_LABELS, SECTOR_LABELS
from checklist.framework import LEVEL_NAMES
from checklist.palette import (
    DONT_KNOW_COLOUR,
    FOLDED_COLOUR,
    FOLDED_PATTERN,
    LEVEL_COLOURS,
    NOT_APPLICABLE_COLOUR,
    SECTOR_COLOURS,
    SECTOR_PATTERNS,
)
from checklist.scoring import band

FONT = {"family": "Arial, Helvetica, 'Liberation Sans', sans-serif", "size": 14, "color": "#212B32"}
SERIES_COLOURS = {"current": "#1F5F99", "previous": "#767676", "target": "#B2182B"}
# Distinct line styles for the progress chart, so series are told apart without colour.
DASHES = ("dash", "dot", "dashdot", "longdash", "longdashdot")  # solid is kept for Overall
MARKERS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon")


def chart_text(text: str) -> str:
    """Text as plotly will draw it: literally, never as a link or formatting.

    Escaping `&`, `<` and `>` is enough: plotly finds tags only at a `<`, and turns `&lt;`, `&gt;` and `&amp;`
    back into the characters when it draws. `&` is escaped too, so a name typed as `&lt;` is not drawn as `<`,
    and two different names never draw (or group on a category axis) as one.
    """
    return html.escape(text, quote=False)


def _chart_texts(values: Iterable[Any]) -> list[Any]:
    """chart_text over category values (names, labels); anything that is not text (a number) is left as it is."""
    return [chart_text(v) if isinstance(v, str) else v for v in values]


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": chart_text(title), "x": 0},
        font=FONT,
        height=height,
        margin={"l": 20, "r": 20, "t": 60, "b": 40},
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


# Okabe-Ito: a qualitative set that stays distinct under the common colour-vision deficiencies.
SERIES_COLOURWAY = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#F0E442")


def _lines(text: str, width: int = 16) -> list[str]:
    """Break a long label into lines of about `width` characters, as typed."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def _wrap(text: str, width: int = 16) -> str:
    """A long label broken into lines for plotly (which does not wrap): each line escaped, then joined with the
    one tag the chart itself writes, so a `<br>` typed in a name is shown, not obeyed."""
    return "<br>".join(chart_text(line) for line in _lines(text, width))


def level_label(value: float | None) -> str:
    """A score with the band it is nearest to: '0.99 · Emerging' (the rule in checklist/scoring.py)."""
    if value is None or pd.isna(value):
        return "No score"
    return f"{formatting.score(value)} · {band(value)}"


def radar(domains: pd.DataFrame, title: str = "Domain scores") -> go.Figure:
    """Spider chart: current round against the previous round and the targets, per domain."""
    fig = go.Figure()
    labels = [_wrap(d, 14) for d in domains["domain"]]
    for series, dash in (("target", "dot"), ("previous", "dash"), ("current", "solid")):
        if series not in domains or domains[series].isna().all():
            continue
        # A domain without a value (no target set, not scored) is a gap in the line, never a point at 0.
        values = [float(v) if pd.notna(v) else None for v in domains[series]]
        fig.add_trace(
            go.Scatterpolar(
                r=[*values, values[0]],
                theta=[*labels, labels[0]],
                name=series.capitalize(),
                mode="lines+markers",
                line={"color": SERIES_COLOURS[series], "dash": dash, "width": 3 if series == "current" else 2},
                fill="toself" if series == "current" else None,
                opacity=0.9,
                hovertemplate="%{theta}: %{r:.2f}<extra>" + series.capitalize() + "</extra>",
            )
        )
    fig.update_layout(
        polar={
            "radialaxis": {
                "range": [0, 4],
                "tickvals": [0, 1, 2, 3, 4],
                "angle": 90,
                "tickangle": 90,
                "tickfont": {"size": 11},
            },
            "angularaxis": {"tickfont": {"size": 12}},
        },
    )
    # Room for the longest wrapped domain name on either side: nothing is cut at 1366 px in half the page.
    return _layout(fig, title, height=520).update_layout(margin={"l": 125, "r": 125, "t": 110})


def _runs(values: list[float | None]) -> list[list[int]]:
    """The positions of the values present, in runs of neighbours around the circle (the last's neighbour is the
    first): what a radar's line joins when some domains have no value."""
    n = len(values)
    missing = [k for k, v in enumerate(values) if v is None]
    if not missing:
        return [list(range(n))]
    runs: list[list[int]] = []
    start = missing[0] + 1
    for step in range(n):
        k = (start + step) % n
        if values[k] is None:
            if runs and runs[-1]:
                runs.append([])
            continue
        if not runs:
            runs.append([])
        runs[-1].append(k)
    return [r for r in runs if r]


def radar_svg(domains: pd.DataFrame, width: int = 640, height: int = 480) -> str:
    """The domain radar as a standalone SVG drawn here, for reports: no browser to start (a plotly image
    export starts Chromium, about 2 s of a cold report). Same series, colours and dashes as `radar`."""
    from html import escape
    from math import cos, pi, sin

    labels = list(domains["domain"])
    n = len(labels)
    cx, cy, radius = width / 2, height / 2 + 10, min(width, height) / 2 - 90
    dashes = {"target": "2 4", "previous": "8 5", "current": ""}

    def point(k: int, value: float) -> tuple[float, float]:
        angle = pi / 2 - 2 * pi * k / n  # first axis straight up, then clockwise, as in `radar`
        return cx + radius * value / 4 * cos(angle), cy - radius * value / 4 * sin(angle)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#FFFFFF"/>']  # fmt: skip
    for level in range(1, 5):  # the level rings (labelled last, on top of the shapes)
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(k, level) for k in range(n)))
        out.append(f'<polygon points="{ring}" fill="none" stroke="#D0D0D0" stroke-width="1"/>')
    for k, label in enumerate(labels):
        x, y = point(k, 4)
        out.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#D0D0D0"/>')
        lx, ly = point(k, 4.45)
        anchor = "middle" if abs(lx - cx) < 20 else "start" if lx > cx else "end"
        lines = _lines(label)
        for m, text in enumerate(lines):
            if anchor != "middle":
                dy = (m - (len(lines) - 1) / 2) * 14 + 4  # beside the axis end, centred on it
            elif ly < cy:
                dy = (m - (len(lines) - 1)) * 14 - 2  # above the top axis: stacked upwards, clear of the ring labels
            else:
                dy = m * 14 + 12  # below the bottom axis: stacked downwards
            out.append(
                f'<text x="{lx:.1f}" y="{ly + dy:.1f}" text-anchor="{anchor}" fill="#0B0C0C">{escape(text)}</text>'
            )
    legend = []
    for series in ("target", "previous", "current"):
        if series not in domains or domains[series].isna().all():
            continue
        values = [float(v) if pd.notna(v) else None for v in domains[series]]
        colour, dash = SERIES_COLOURS[series], dashes[series]
        stroke = f'stroke="{colour}" stroke-width="{3 if series == "current" else 2}"' + (
            f' stroke-dasharray="{dash}"' if dash else ""
        )
        if all(v is not None for v in values):
            shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(k, v) for k, v in enumerate(values)))
            fill = f'fill="{colour}" fill-opacity="0.15"' if series == "current" else 'fill="none"'
            out.append(f'<polygon points="{shape}" {fill} {stroke}/>')
        else:  # a domain without a value is a gap, never a point at 0 (which would read as a target of 0)
            for run in _runs(values):
                if len(run) == 1:
                    x, y = point(run[0], values[run[0]])
                    out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
                else:
                    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(k, values[k]) for k in run))
                    out.append(f'<polyline points="{line}" fill="none" {stroke}/>')
        legend.append((series.capitalize(), colour, dash))
    for level in range(1, 5):  # ring labels on a white patch, so no shape hides them
        x, y = point(0, level)
        out.append(f'<rect x="{x + 2:.1f}" y="{y - 6:.1f}" width="9" height="12" fill="#FFFFFF" fill-opacity="0.85"/>')
        out.append(f'<text x="{x + 3:.1f}" y="{y + 4:.1f}" fill="#505A5F" font-size="11">{level}</text>')
    for m, (name, colour, dash) in enumerate(legend):
        y = 18 + 18 * m
        out.append(f'<line x1="{width - 130}" y1="{y}" x2="{width - 100}" y2="{y}" stroke="{colour}" stroke-width="3"'
                   + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")  # fmt: skip
        out.append(f'<text x="{width - 94}" y="{y + 4}" fill="#0B0C0C">{name}</text>')
    out.append("</svg>")
    return "".join(out)


def item_levels(items: pd.DataFrame, title: str = "Every item's level") -> go.Figure:
    """Horizontal bars, one per item grouped by domain, coloured and labelled by level; hover gives the descriptor."""
    frame = items
    fig = go.Figure()
    # An invisible first trace over every item fixes the order: domain by domain, as in the framework.
    fig.add_trace(
        go.Bar(
            x=[0] * len(frame),
            y=[_chart_texts(frame["domain"]), _chart_texts(frame["item"])],
            orientation="h",
            showlegend=False,
            marker={"opacity": 0},
            hoverinfo="skip",
        )
    )
    for value, name in enumerate(LEVEL_NAMES):
        part = frame[frame["level"] == value]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=[max(value, 0.15)] * len(part),  # each bar ends at its level; level 0 keeps a sliver to show
                y=[_chart_texts(part["domain"]), _chart_texts(part["item"])],
                orientation="h",
                name=f"{value} · {name}",
                marker={"color": LEVEL_COLOURS[value], "line": {"color": "#0B0C0C", "width": 0.5}},
                text=[f"{value} · {name}"] * len(part),
                textposition="outside",
                customdata=_chart_texts(part["descriptor"]),
                hovertemplate="%{y}<br><b>%{text}</b><br>%{customdata}<extra></extra>",
            )
        )
    unscored = frame[frame["level"].isna()]
    if not unscored.empty:
        fig.add_trace(
            go.Bar(
                x=[0.15] * len(unscored),
                y=[_chart_texts(unscored["domain"]), _chart_texts(unscored["item"])],
                orientation="h",
                name="No score",
                marker={
                    "color": [
                        DONT_KNOW_COLOUR if a == "dont_know" else NOT_APPLICABLE_COLOUR for a in unscored["answer"]
                    ]
                },
                text=_chart_texts(unscored["level_name"]),
                textposition="outside",
                hovertemplate="%{y}<br>%{text}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="overlay",
        xaxis={"range": [0, 5.4], "tickvals": [0, 1, 2, 3, 4], "title": "Level"},
        yaxis={"categoryorder": "trace", "autorange": "reversed"},
        bargap=0.25,
    )
    return _layout(fig, title, height=max(360, 34 * len(items) + 120))


def progress(rounds: pd.DataFrame, title: str = "Progress over rounds") -> go.Figure:
    """One line per domain and overall across rounds; overall drawn thickest."""
    fig = go.Figure()
    for n, (series, part) in enumerate(rounds.groupby("series", sort=False)):
        overall = series == "Overall"
        name = chart_text(series)
        fig.add_trace(
            go.Scatter(
                x=_chart_texts(part["round"]),  # the same escaped label in every trace: points still line up
                y=part["score"],
                name=name,
                mode="lines+markers",
                line={
                    "width": 5 if overall else 2,
                    "dash": "solid" if overall else DASHES[n % len(DASHES)],
                    "color": "#0B0C0C" if overall else None,
                },
                marker={"symbol": MARKERS[n % len(MARKERS)], "size": 9},
                # The name comes in as data, never as part of the template, where "%{…}" would be read.
                customdata=[name] * len(part),
                hovertemplate="%{customdata} · %{x}: %{y:.2f}<extra></extra>",
            )
        )
    fig.update_layout(
        yaxis={
            "range": [0, 4.1],
            "tickvals": [0, 1, 2, 3, 4],
            "ticktext": [f"{v} {n}" for v, n in enumerate(LEVEL_NAMES)],
        },
        xaxis={"type": "category"},
        colorway=list(SERIES_COLOURWAY),
    )
    return _layout(fig, title, height=460)


def _level_scale() -> list[list]:
    """A stepped colour scale over 0-5 using the level palette; heatmap() shifts each score by half a level,
    so a cell's colour is the band it is nearest to."""
    scale = []
    for value, colour in enumerate(LEVEL_COLOURS):
        scale += [[value / 5, colour], [(value + 1) / 5, colour]]
    return scale


def heatmap(frame: pd.DataFrame, title: str, levels: bool = False) -> go.Figure:
    """Rows × columns of scores 0-4 (or whole levels, with levels=True), coloured by band and labelled with the
    number in every cell."""
    values = frame.to_numpy(dtype=float)
    text = [[("—" if v != v else str(int(v))) if levels else formatting.score(v) for v in row] for row in values]
    # Shifted by half a level (an exact half stays below), so each colour step is the band nearest the score.
    shifted = np.clip(values + 0.5 - 1e-9, 0, 5)
    fig = go.Figure(
        go.Heatmap(
            z=shifted,
            x=_chart_texts(frame.columns),
            y=_chart_texts(frame.index),
            zmin=0,
            zmax=5,
            colorscale=_level_scale(),
            text=text,
            texttemplate="%{text}",
            textfont={"color": "#FFFFFF", "size": 14},
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            xgap=2,
            ygap=2,
            colorbar={
                "tickvals": [0.5, 1.5, 2.5, 3.5, 4.5],
                "ticktext": [f"{v} {n}" for v, n in enumerate(LEVEL_NAMES)],
                "title": "Band",
            },
        )
    )
    # Many columns get steeper labels, so neighbours never overlap; the title sits above the slanted labels,
    # with room for the longest of them (about 7 px a character at 14 px, times the slant).
    angle = -30 if len(frame.columns) <= 8 else -65
    longest = max((len(str(c)) for c in frame.columns), default=0)
    labels = 7 * longest * math.sin(math.radians(abs(angle)))
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis={"side": "top", "tickangle": angle})
    return _layout(fig, title, height=max(320, 44 * len(frame.index) + 150 + int(labels))).update_layout(
        title={"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}},
        margin={"t": 60 + int(labels)},
    )


def distribution(spread: pd.DataFrame, title: str = "How places spread across levels, item by item") -> go.Figure:
    """Stacked bars: for each item, how many places sit at each level."""
    fig = go.Figure()
    for value, name in enumerate(LEVEL_NAMES):
        if name not in spread:
            continue
        fig.add_trace(
            go.Bar(
                y=_chart_texts(spread["item"]),
                x=spread[name],
                name=f"{value} · {name}",
                orientation="h",
                marker={"color": LEVEL_COLOURS[value], "line": {"color": "#FFFFFF", "width": 1}},
                text=[str(v) if v else "" for v in spread[name]],
                textposition="inside",
                insidetextfont={"color": "#FFFFFF"},
                hovertemplate="%{y}: %{x} place(s) at " + f"{value} · {name}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", yaxis={"autorange": "reversed"}, xaxis={"title": "Places"})
    return _layout(fig, title, height=max(360, 30 * len(spread) + 160))


def ranking(against: pd.DataFrame, title: str = "Places against the system median") -> go.Figure:
    """Each place's overall score as a dot on a bar from its lowest to highest domain: spread, not only order."""
    fig = go.Figure()
    # Every bar and the median line in one layout update: adding shapes one at a time revalidates the
    # whole figure each time, which dominated the Compare page at national scale.
    # The bars sit on the places' category values, so they carry the same escaped names as the dots.
    places = _chart_texts(against.index)
    spread = [
        {"type": "line", "x0": lo, "x1": hi, "y0": place, "y1": place, "line": {"color": "#767676", "width": 6}}
        for place, lo, hi in zip(places, against["lowest domain"], against["highest domain"], strict=True)
    ]
    fig.add_trace(
        go.Scatter(
            x=against["overall"],
            y=places,
            mode="markers+text",
            name="Overall score",
            marker={"color": "#1F5F99", "size": 14, "symbol": "diamond"},
            text=[formatting.score(v) for v in against["overall"]],
            textposition="top center",
            hovertemplate="%{y}: overall %{x:.2f}<extra></extra>",
        )
    )
    median = float(against["overall"].median())
    fig.update_layout(
        shapes=[
            *spread,
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": median,
                "x1": median,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dash", "color": "#B2182B"},
            },
        ],  # fmt: skip
        annotations=[
            {
                "x": median,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "text": f"System median {formatting.score(median)}",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "yshift": 24,  # above the first place's own label, never on it
            }
        ],  # fmt: skip
        xaxis={"range": [0, 4.1], "title": "Score (grey bar: lowest to highest domain)"},
        yaxis={"autorange": "reversed"},
    )
    return _layout(fig, title, height=max(340, 50 * len(against) + 190)).update_layout(margin={"t": 100})


VOTE_ANSWERS = ANSWER_LABELS


def votes(rows: pd.DataFrame, title: str = "How the room voted") -> go.Figure:
    """Stacked horizontal bars: for each level (and don't know), how many votes, split by sector.

    `rows` has columns sector (label), answer (as in VOTE_ANSWERS) and votes, as built by
    consensus.tally_rows. Every answer keeps its place, top to bottom in level order, even with no
    votes; bars run across so the level names stay readable in a narrow column.
    """
    fig = go.Figure()
    answers = _chart_texts(VOTE_ANSWERS)  # the bars and the axis order share one spelling
    colours = (*SECTOR_COLOURS, FOLDED_COLOUR, FOLDED_COLOUR)  # in SECTOR_LABELS order: sectors, folded, room
    patterns = (*SECTOR_PATTERNS, FOLDED_PATTERN, FOLDED_PATTERN)
    for position, sector in enumerate(SECTOR_LABELS.values()):
        part = rows[rows["sector"] == sector] if not rows.empty else rows
        if part.empty:
            continue
        by_answer = dict(zip(part["answer"], part["votes"], strict=True))
        fig.add_trace(
            go.Bar(
                y=answers,
                x=[by_answer.get(a, 0) for a in VOTE_ANSWERS],
                name=chart_text(sector),
                orientation="h",
                marker={
                    "color": colours[position],
                    # overlay: the sector's colour fills the bar and a white pattern sits on top (plotly's
                    # default "replace" mode would draw the white pattern on a transparent bar)
                    "pattern": {
                        "shape": patterns[position],
                        "fillmode": "overlay",
                        "bgcolor": colours[position],
                        "fgcolor": "#FFFFFF",
                        "solidity": 0.3,
                    },
                    "line": {"color": "#FFFFFF", "width": 1},
                },
                customdata=[chart_text(sector)] * len(answers),
                hovertemplate="%{customdata}: %{x} vote(s) for %{y}<extra></extra>",
            )
        )
    totals = rows.groupby("answer")["votes"].sum() if not rows.empty else pd.Series(dtype=int)
    fig.add_trace(
        go.Scatter(
            y=answers,
            x=[int(totals.get(a, 0)) for a in VOTE_ANSWERS],
            mode="text",
            text=[str(int(totals.get(a, 0))) if totals.get(a, 0) else "" for a in VOTE_ANSWERS],
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    top = int(totals.max()) if len(totals) else 1
    fig.update_layout(
        barmode="stack",
        yaxis={"categoryorder": "array", "categoryarray": answers, "autorange": "reversed"},
        xaxis={"title": "Votes", "range": [0, top * 1.2 + 0.5], "dtick": max(1, top // 5)},
    )
    # Sectors listed in the same order on every chart (plotly reverses stacked bars' legend by default).
    return _layout(fig, title, height=420).update_layout(legend_traceorder="normal")


LEVEL_AXIS = {
    "range": [0, 4.1],
    "tickvals": [0, 1, 2, 3, 4],
    "ticktext": [f"{v} {n}" for v, n in enumerate(LEVEL_NAMES)],
}


def systems_spread(
    spread: pd.DataFrame, title: str = "Each system's places: how their overall scores spread"
) -> go.Figure:
    """One box per system drawn from national.systems_spread's figures (lowest, quartiles, median, highest);
    systems whose figures are held back are left out (the table beside the chart says so)."""
    shown = spread[spread["shown"]]
    names = _chart_texts(shown["system"])
    fig = go.Figure(
        go.Box(
            x=names,
            lowerfence=shown["lowest"],
            q1=shown["lower quartile"],
            median=shown["median"],
            q3=shown["upper quartile"],
            upperfence=shown["highest"],
            marker={"color": SERIES_COLOURS["current"]},
            line={"color": SERIES_COLOURS["current"]},
            fillcolor="rgba(31, 95, 153, 0.15)",
            name="Places' overall scores",
            customdata=shown["places"],
            hovertemplate="%{x}: %{customdata} places<extra></extra>",
        )
    )
    fig.update_layout(yaxis=LEVEL_AXIS, xaxis={"type": "category", "tickangle": -30}, showlegend=False)
    return _layout(fig, title, height=480)


def national_trend(trend: pd.DataFrame, title: str = "Places' overall scores, quarter by quarter") -> go.Figure:
    """The national median by quarter (thick line) with the middle half of places shaded around it."""
    shown = trend[trend["shown"]]
    periods = _chart_texts(shown["period"])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=periods, y=shown["upper quartile"], mode="lines", line={"width": 0},
                             showlegend=False, hoverinfo="skip"))  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=periods, y=shown["lower quartile"], mode="lines", line={"width": 0}, fill="tonexty",
            fillcolor="rgba(31, 95, 153, 0.18)", name="Middle half of places", hoverinfo="skip",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=periods, y=shown["median"], mode="lines+markers", name="Median place",
            line={"width": 4, "color": "#0B0C0C"}, marker={"symbol": "circle", "size": 9},
            customdata=shown["places"], hovertemplate="%{x}: median %{y:.2f} of %{customdata} places<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(yaxis=LEVEL_AXIS, xaxis={"type": "category"})
    return _layout(fig, title, height=420)

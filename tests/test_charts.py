"""Figure builders: each figure has the traces, values, labels and colours its data implies."""

from __future__ import annotations

import pandas as pd
import pytest

from checklist import charts
from checklist.palette import LEVEL_COLOURS

DOMAINS = pd.DataFrame(
    {
        "domain": ["Governance and shared vision", "Training", "Workforce diversity"],
        "current": [2.0, 1.0, 3.5],
        "previous": [1.0, 1.0, None],
        "target": [3.0, 2.0, 4.0],
    }
)


def test_radar_closes_each_series_and_labels_the_scale():
    fig = charts.radar(DOMAINS)
    names = [t.name for t in fig.data]
    assert names == ["Target", "Previous", "Current"]
    current = fig.data[2]
    assert list(current.r) == [2.0, 1.0, 3.5, 2.0]  # closed back to the first domain
    assert current.theta[0] == "Governance and<br>shared vision" and current.theta[-1] == current.theta[0]
    assert fig.layout.polar.radialaxis.range == (0, 4)


def test_radar_without_a_previous_round_draws_no_previous_series():
    fig = charts.radar(DOMAINS.assign(previous=None))
    assert [t.name for t in fig.data] == ["Target", "Current"]


ITEMS = pd.DataFrame(
    {
        "item": ["Governance", "Shared vision", "Training", "Equipment"],
        "domain": ["Gov", "Gov", "Training", "Access"],
        "level": [0, 3, 3, None],
        "answer": ["level", "level", "level", "dont_know"],
        "level_name": ["Not started", "Maturing", "Maturing", "Don't know"],
        "descriptor": ["nothing yet", "mostly in place", "mostly in place", ""],
    }
)


def test_item_levels_colours_and_labels_every_bar_by_level():
    fig = charts.item_levels(ITEMS)
    order, *bars = fig.data
    assert list(order.y[1]) == ["Governance", "Shared vision", "Training", "Equipment"]  # framework order kept
    by_name = {t.name: t for t in bars}
    assert set(by_name) == {"0 · Not started", "3 · Maturing", "No score"}
    assert by_name["3 · Maturing"].marker.color == LEVEL_COLOURS[3]
    assert list(by_name["3 · Maturing"].text) == ["3 · Maturing", "3 · Maturing"]
    assert list(by_name["0 · Not started"].customdata) == ["nothing yet"]  # descriptor on hover
    assert list(by_name["No score"].text) == ["Don't know"]


def test_progress_draws_one_line_per_series_with_overall_thickest():
    rounds = pd.DataFrame(
        {
            "round": ["R1", "R2", "R1", "R2"],
            "date": ["", "", "", ""],
            "series": ["Training", "Training", "Overall", "Overall"],
            "score": [1.0, 2.0, 1.5, 2.5],
        }
    )
    fig = charts.progress(rounds)
    lines = {t.name: t for t in fig.data}
    assert list(lines["Overall"].y) == [1.5, 2.5] and list(lines["Training"].x) == ["R1", "R2"]
    assert lines["Overall"].line.width > lines["Training"].line.width
    assert lines["Training"].line.dash != "solid"  # told apart from Overall without colour


def test_heatmap_labels_every_cell_and_marks_missing():
    frame = pd.DataFrame({"Training": [1.0, None], "Governance": [3.25, 0.0]}, index=["Place A", "Place B"])
    fig = charts.heatmap(frame, "x")
    (heat,) = fig.data
    assert list(heat.y) == ["Place A", "Place B"] and list(heat.x) == ["Training", "Governance"]
    assert [list(r) for r in heat.text] == [["1.00", "3.25"], ["—", "0.00"]]
    # colour steps are the band nearest each score: 1.00 Emerging, 3.25 Maturing, 0.00 Not started
    assert [[int(z) if z == z else None for z in r] for r in heat.z] == [[1, 3], [None, 0]]
    assert heat.colorscale[0][1] == LEVEL_COLOURS[0].lower() or heat.colorscale[0][1] == LEVEL_COLOURS[0]


def test_distribution_stacks_counts_per_level():
    spread = pd.DataFrame(
        {
            "item": ["Referrals"],
            "Not started": [1],
            "Emerging": [0],
            "Developing": [3],
            "Maturing": [1],
            "Thriving": [0],
        }
    )
    fig = charts.distribution(spread)
    assert [t.name for t in fig.data] == [
        "0 · Not started",
        "1 · Emerging",
        "2 · Developing",
        "3 · Maturing",
        "4 · Thriving",
    ]
    assert [t.x[0] for t in fig.data] == [1, 0, 3, 1, 0]
    assert fig.layout.barmode == "stack"


def test_ranking_shows_each_places_spread_and_the_median():
    against = pd.DataFrame(
        {"overall": [3.0, 1.0, 2.0], "lowest domain": [2.0, 0.0, 1.5], "highest domain": [4.0, 2.0, 2.5]},
        index=["B", "C", "A"],
    )
    fig = charts.ranking(against)
    assert list(fig.data[0].x) == [3.0, 1.0, 2.0]
    spreads = [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1]
    assert (2.0, 4.0) in spreads and (0.0, 2.0) in spreads
    assert any("System median 2.00" in (a.text or "") for a in fig.layout.annotations)


def test_level_label_names_the_band_nearest_the_score():
    assert charts.level_label(2.7) == "2.70 · Maturing"
    assert charts.level_label(0.99) == "0.99 · Emerging"
    assert charts.level_label(2.5) == "2.50 · Developing"
    assert charts.level_label(None) == "No score"


def test_vote_chart_keeps_every_answer_in_level_order_and_colours_sectors_consistently():
    from checklist import consensus
    from checklist.palette import SECTOR_COLOURS

    t = consensus.tally("x", [("health", 2), ("health", 3), ("lived_experience", 1), ("vcse", None)])
    fig = charts.votes(pd.DataFrame(consensus.tally_rows(t)))
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert [b.name for b in bars] == [
        "Health and care",
        "Voluntary and community (VCSE)",
        "Lived experience (disabled person or carer)",
    ]
    assert list(bars[0].y) == list(charts.VOTE_ANSWERS)
    assert list(bars[0].x) == [0, 0, 1, 1, 0, 0]
    assert bars[0].marker.color == SECTOR_COLOURS[0] and bars[2].marker.color == SECTOR_COLOURS[4]
    # the sector's colour fills the bar under its pattern (a white pattern alone would be invisible)
    assert all(b.marker.pattern.fillmode == "overlay" and b.marker.pattern.bgcolor == b.marker.color for b in bars)
    totals = fig.data[-1]
    assert list(totals.text) == ["", "1", "1", "1", "", "1"]  # every vote counted once, don't know last


def test_the_report_radar_is_drawn_without_a_browser_and_holds_every_domain_and_series():
    import xml.etree.ElementTree as ET

    domains = pd.DataFrame(
        {"domain": ["Governance & vision", "Training", "Pathways"], "current": [2.0, 3.5, None],
         "previous": [1.0, 3.0, 2.0], "target": [None, None, None]}
    )  # fmt: skip
    svg = charts.radar_svg(domains)
    root = ET.fromstring(svg)  # well-formed, names escaped
    ns = "{http://www.w3.org/2000/svg}"
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "Governance &" in texts and "Training" in texts and "Current" in texts and "Previous" in texts
    assert "Target" not in texts, "a series with no values is left out"
    strokes = [p.get("stroke") for p in root.iter(f"{ns}polygon") if p.get("stroke") != "#D0D0D0"]
    assert strokes == [charts.SERIES_COLOURS["previous"]], "a whole series is a closed shape"
    lines = [p.get("stroke") for p in root.iter(f"{ns}polyline")]
    assert lines == [charts.SERIES_COLOURS["current"]], "one with a domain unscored is a line with a gap there"


def test_a_domain_without_a_target_is_a_gap_in_the_target_line_not_a_target_of_0():
    import xml.etree.ElementTree as ET

    domains = pd.DataFrame({"domain": ["A", "B", "C", "D"], "current": [2.0, 3.0, 1.0, 2.0],
                            "previous": [None] * 4, "target": [3.0, None, 4.0, 3.5]})  # fmt: skip
    fig = charts.radar(domains)
    assert list(fig.data[0].r) == [3.0, None, 4.0, 3.5, 3.0], "plotly leaves a gap where the value is None"
    root = ET.fromstring(charts.radar_svg(domains, width=640, height=480))
    ns = "{http://www.w3.org/2000/svg}"
    target = [p for p in root.iter(f"{ns}polyline") if p.get("stroke") == charts.SERIES_COLOURS["target"]]
    assert len(target) == 1, "C, D and round to A: one line, none through B"
    points = [tuple(map(float, xy.split(","))) for xy in target[0].get("points").split()]
    centre = (320.0, 250.0)
    assert len(points) == 3 and centre not in points, "nothing drawn at the centre for B"


# --- user text is drawn as text ------------------------------------------------------------------------
# Plotly reads a subset of HTML in every text it draws (titles, ticks, legends, labels, hover): <a href> becomes
# a clickable link, <b>, <i> and <br> format. Names, round labels and titles come from users, so every figure
# must carry them escaped; the only markup left is the chart's own (line breaks and hover templates).
LINK = '<a href="http://127.0.0.1:9/evil">link</a><b>bold</b>'
HOSTILE = f"{LINK} & <i>Vale</i> <br> ![x](http://127.0.0.1:9/beacon.png) &lt;"
ESCAPED = '&lt;a href="http://127.0.0.1:9/evil"&gt;link&lt;/a&gt;'
# What a chart itself writes: line breaks in wrapped labels, the <extra> box of hover labels, a bold level.
OWN_MARKUP = ("<br>", "<extra>", "</extra>", "<b>%{text}</b>")


def _strings(node: object) -> list[str]:
    """Every string anywhere in a figure's JSON: plotly may draw any of them."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _hostile_figures() -> dict[str, dict]:
    import json

    from checklist import consensus

    domains = DOMAINS.assign(domain=[HOSTILE, "Training", f"Long {HOSTILE} name"])
    items = ITEMS.assign(
        item=[HOSTILE, "Shared vision", f"{LINK} 2", "Equipment"],
        domain=[HOSTILE, HOSTILE, "Training", LINK],
        descriptor=[HOSTILE, "mostly", "mostly", ""],
        level_name=["Not started", "Maturing", "Maturing", HOSTILE],
    )
    rounds = pd.DataFrame(
        {"round": [HOSTILE, LINK, HOSTILE, LINK], "date": [""] * 4,
         "series": [HOSTILE, HOSTILE, "Overall", "Overall"], "score": [1.0, 2.0, 1.5, 2.5]}
    )  # fmt: skip
    grid = pd.DataFrame({HOSTILE: [1.0, None], "Governance": [3.25, 0.0]}, index=[LINK, HOSTILE])
    spread = pd.DataFrame({"item": [HOSTILE, LINK], "Not started": [1, 0], "Developing": [2, 3]})
    against = pd.DataFrame(
        {"overall": [3.0, 1.0], "lowest domain": [2.0, 0.0], "highest domain": [4.0, 2.0]}, index=[HOSTILE, LINK]
    )
    tally = consensus.tally("x", [("health", 2), ("vcse", 3)])
    figures_of_systems = pd.DataFrame(
        {"system": [HOSTILE, LINK], "places": [3, 4], "lowest": [1.0, 0.5], "lower quartile": [1.5, 1.0],
         "median": [2.0, 2.0], "upper quartile": [2.5, 3.0], "highest": [3.0, 4.0], "shown": [True, True]}
    )  # fmt: skip
    by_quarter = figures_of_systems.rename(columns={"system": "period"})
    figures = {
        "radar": charts.radar(domains, HOSTILE),
        "item_levels": charts.item_levels(items, HOSTILE),
        "progress": charts.progress(rounds, HOSTILE),
        "heatmap": charts.heatmap(grid, HOSTILE),
        "heatmap of levels": charts.heatmap(grid, HOSTILE, levels=True),
        "distribution": charts.distribution(spread, HOSTILE),
        "ranking": charts.ranking(against, HOSTILE),
        "votes": charts.votes(pd.DataFrame(consensus.tally_rows(tally)), HOSTILE),
        "systems_spread": charts.systems_spread(figures_of_systems, HOSTILE),
        "national_trend": charts.national_trend(by_quarter, HOSTILE),
    }
    return {name: json.loads(fig.to_json()) for name, fig in figures.items()}


FIGURES = ["radar", "item_levels", "progress", "heatmap", "heatmap of levels", "distribution", "ranking", "votes",
           "systems_spread", "national_trend"]  # fmt: skip


@pytest.fixture(scope="module")
def hostile_figures() -> dict[str, dict]:
    return _hostile_figures()


def test_every_figure_builder_is_checked_with_hostile_input():
    """A new figure builder in checklist/charts.py must join the hostile sweep below."""
    import inspect

    import plotly.graph_objects as go

    built = {
        name
        for name, f in inspect.getmembers(charts, inspect.isfunction)
        if f.__module__ == charts.__name__ and inspect.signature(f).return_annotation in ("go.Figure", go.Figure)
    }
    built.discard("_layout")  # the shared layout, not a figure of its own
    assert built == {n.split()[0] for n in FIGURES}


@pytest.mark.parametrize("name", FIGURES)
def test_every_text_in_a_figure_built_from_hostile_input_is_escaped(name, hostile_figures):
    figure = hostile_figures[name]
    figure["layout"].pop("template", None)  # plotly's own theme, not ours (Streamlit replaces it)
    texts = _strings(figure)
    for text in texts:
        rest = text
        for markup in OWN_MARKUP:
            rest = rest.replace(markup, "")
        assert "<" not in rest, f"{name}: unescaped markup in {text!r}"
    # The hostile text is still there, escaped, so it reads exactly as typed (votes draws no user text).
    if name != "votes":
        assert any(ESCAPED in t for t in texts), name
    assert any(charts.chart_text(HOSTILE) in t for t in texts), name  # the title


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        ("Place A", "Place A"),
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("Health & care", "Health &amp; care"),
        ("&lt;", "&amp;lt;"),  # an entity typed as text stays that text: two names never draw the same
        ('"quoted"', '"quoted"'),
    ],
)
def test_chart_text_makes_user_text_inert_for_plotly(text, drawn):
    assert charts.chart_text(text) == drawn


def test_escaped_labels_still_group_and_order_the_chart(hostile_figures):
    """Plotly matches category values across traces and shapes: every one carries the same escaped text."""
    figures = hostile_figures
    order, *bars = figures["item_levels"]["data"]
    drawn = {(d, i) for bar in bars for d, i in zip(*bar["y"], strict=True)}
    assert drawn == set(zip(*order["y"], strict=True))  # every bar sits on a row of the ordering trace
    assert order["y"][0][:2] == [charts.chart_text(HOSTILE)] * 2  # one domain group, not two
    ranking = figures["ranking"]
    rows = ranking["data"][0]["y"]
    assert [s["y0"] for s in ranking["layout"]["shapes"] if s.get("yref") != "paper"] == rows
    progress = {t["name"]: t for t in figures["progress"]["data"]}
    assert set(progress) == {charts.chart_text(HOSTILE), "Overall"}
    assert progress["Overall"]["x"] == progress[charts.chart_text(HOSTILE)]["x"] == [
        charts.chart_text(HOSTILE), charts.chart_text(LINK)
    ]  # fmt: skip
    votes = figures["votes"]
    assert votes["layout"]["yaxis"]["categoryarray"] == votes["data"][0]["y"]


def test_a_line_break_the_chart_inserts_still_breaks_the_line(hostile_figures):
    theta = hostile_figures["radar"]["data"][-1]["theta"]
    long_label = theta[2]
    assert "<br>" in long_label  # the chart's own wrapping survives the escaping
    import html

    assert html.unescape(long_label.replace("<br>", " ")) == " ".join(f"Long {HOSTILE} name".split())


def test_the_report_drawings_show_hostile_names_as_text():
    import xml.etree.ElementTree as ET

    from checklist import report_charts

    ns = "{http://www.w3.org/2000/svg}"
    domains = DOMAINS.assign(domain=[HOSTILE, "Training", LINK])
    grid = pd.DataFrame({HOSTILE: [1.0, None], "Governance": [3.25, 0.0]}, index=[LINK, HOSTILE])
    for svg in (charts.radar_svg(domains), report_charts.heatmap_svg(grid)):
        root = ET.fromstring(svg)
        tags = {element.tag.removeprefix(ns) for element in root.iter()}
        assert tags <= {"svg", "rect", "polygon", "polyline", "circle", "line", "text", "title"}, tags  # no <a>, <img>
        words = " ".join("".join(t.itertext()) for t in root.iter() if t.tag in (f"{ns}text", f"{ns}title"))
        assert "<a href=" in words and "<b>bold</b>" in words

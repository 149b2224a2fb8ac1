"""User text in the headline figures and charts of the real pages: always drawn as text.

st.metric renders Markdown in its label and delta (a round label `![x](http://…)` as the previous round
would make every viewer's browser fetch that address), and plotly reads HTML in every text it draws (a
place called `<a href=…>` would become a link in the chart). The pages hand both escaped text; the data
table beside each chart still shows the names exactly as typed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checklist import charts, store
from checklist.framework import current_framework
from tests.conftest import ACTOR
from tests.test_pages import _app, _charts, _shown
from ui.common import plain

LINK = '<a href="http://127.0.0.1:9/evil">link</a><b>bold</b>'
BEACON = "![x](http://127.0.0.1:9/beacon.png)"
# Oldest first: the Dashboard opens on the latest round, whose previous round is BEACON's, before it LINK's.
ROUNDS = ((LINK, "2026-01-15"), (BEACON, "2026-04-15"), ("2026 Q3", "2026-07-15"))


@pytest.fixture
def hostile_path(tmp_path) -> Path:
    """A system whose place is called LINK, with three submitted rounds labelled as in ROUNDS, beside a plain place."""
    path = tmp_path / "hostile.db"
    db = store.connect(path)
    system_id = store.create_system(db, "Hostile ICS", ACTOR)
    items = current_framework().items_for(False)
    for place, rounds in ((LINK, ROUNDS), ("Plain Place", (("R1", "2026-02-01"),))):
        place_id = store.create_place(db, system_id, place, ACTOR)
        for step, (label, day) in enumerate(rounds):
            aid = store.create_assessment(db, system_id, place_id, label, day, ACTOR)
            for n, item in enumerate(items):
                store.save_response(db, aid, item.id, ACTOR, answer="level", level=min(4, (n + step) % 5))
            store.submit_assessment(db, aid, ACTOR)
    db.close()
    return path


def _dashboard(path: Path, monkeypatch, **params: str):
    return _app(path, monkeypatch, "pages/dashboard.py", dash_system="Hostile ICS", dash_place=LINK, **params)


def _overall(at) -> str:
    return next(m for m in at.metric if m.label == "Overall score (0–4)").delta


def test_the_headline_names_the_previous_round_as_text(hostile_path, monkeypatch):
    at = _dashboard(hostile_path, monkeypatch)
    assert not at.exception
    delta = _overall(at)
    # Only the label is escaped: the sign in front still tells Streamlit whether the score rose or fell.
    assert delta.endswith(f" since {plain(BEACON)}") and delta[0] in "+-0"
    assert _shown(delta).endswith(f" since {BEACON}")
    rounds = store.list_assessments(store.connect(hostile_path))
    beacon_round = int(rounds[rounds["round_label"] == BEACON]["id"].iloc[0])
    at.selectbox(key="dash_round").set_value(beacon_round).run()
    delta = _overall(at)
    assert delta.endswith(f" since {plain(LINK)}") and "<" not in delta.replace("\\<", "")
    assert _shown(delta).endswith(f" since {LINK}")


def test_dashboard_charts_draw_round_labels_as_text_and_their_tables_show_them_as_typed(hostile_path, monkeypatch):
    at = _dashboard(hostile_path, monkeypatch)
    progress = next(c for c in _charts(at) if c["layout"]["title"]["text"] == "Progress over submitted rounds")
    assert progress["data"][0]["x"] == [charts.chart_text(label) for label, _ in ROUNDS]
    assert all("<a" not in x for trace in progress["data"] for x in trace["x"])
    table = next(d.value for d in at.dataframe if "Round" in d.value.columns)
    assert list(table["Round"]) == [label for label, _ in ROUNDS]  # the accessible table: unchanged


def test_compare_draws_place_names_as_text_and_its_tables_show_them_as_typed(hostile_path, monkeypatch):
    at = _app(hostile_path, monkeypatch, "pages/compare.py", cmp_system="Hostile ICS")
    assert not at.exception
    heat, ranking, *_ = _charts(at)
    assert sorted(heat["data"][0]["y"]) == sorted([charts.chart_text(LINK), "Plain Place"])
    assert charts.chart_text(LINK) in ranking["data"][0]["y"]
    for name in ("places-by-domain", "places-against-median"):
        assert any(e.label.endswith(f"({name.replace('-', ' ')})") for e in at.expander)
    places = [list(d.value["Place"]) for d in at.dataframe if "Place" in d.value.columns]
    assert places and all(LINK in p for p in places)

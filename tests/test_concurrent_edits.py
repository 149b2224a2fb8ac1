"""Two people on one item (two AppTest sessions on one database): the later save never silently wins."""

from __future__ import annotations

from checklist import store
from tests.conftest import ACTOR
from tests.test_pages import _app


def _draft(path):
    db = store.connect(path)
    system_id = store.create_system(db, "Two Tab ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "R1", "2026-11-01", ACTOR)
    store.save_response(db, aid, "governance", ACTOR, evidence="Board minutes")
    return db, aid


def _tab(path, monkeypatch, aid):
    return _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="governance")


def test_the_second_save_on_stale_text_is_refused_shown_both_ways_and_can_be_merged(tmp_path, monkeypatch):
    path = tmp_path / "two.db"
    db, aid = _draft(path)
    key = f"assess_evidence_{aid}_governance"
    tab_a, tab_b = _tab(path, monkeypatch, aid), _tab(path, monkeypatch, aid)
    assert tab_a.text_area(key=key).value == tab_b.text_area(key=key).value == "Board minutes"

    tab_b.text_area(key=key).input("Board minutes; terms of reference").run()
    assert store.responses(db, aid)["governance"]["evidence"] == "Board minutes; terms of reference"

    tab_a.text_area(key=key).input("Board minutes; annual report").run()
    assert store.responses(db, aid)["governance"]["evidence"] == "Board minutes; terms of reference", "B's words kept"
    assert tab_a.button(key="assess_keep_theirs") and tab_a.button(key="assess_keep_mine")
    shown = [t.value for t in tab_a.text]
    assert "Board minutes; terms of reference" in shown and "Board minutes; annual report" in shown
    merged = tab_a.text_area(key="assess_conflict_merged")
    assert merged.value == "Board minutes; terms of reference\n\nBoard minutes; annual report"
    merged.input("Board minutes; terms of reference; annual report")
    tab_a.button(key="assess_keep_merged").click().run()
    assert store.responses(db, aid)["governance"]["evidence"] == "Board minutes; terms of reference; annual report"
    assert tab_a.text_area(key=key).value == "Board minutes; terms of reference; annual report"
    history = store.history(db, aid, "governance")["new_value"].astype(str).str.cat()
    assert "annual report" in history and "terms of reference" in history


def test_keeping_theirs_refreshes_the_box_and_another_field_saves_without_fuss(tmp_path, monkeypatch):
    path = tmp_path / "two.db"
    db, aid = _draft(path)
    key = f"assess_evidence_{aid}_governance"
    tab_a, tab_b = _tab(path, monkeypatch, aid), _tab(path, monkeypatch, aid)
    tab_b.text_area(key=key).input("B's evidence").run()
    tab_a.selectbox(key=f"assess_target_{aid}_governance").set_value(3).run()
    assert store.responses(db, aid)["governance"]["target_level"] == 3, "a different field just works"
    assert tab_a.text_area(key=key).value == "B's evidence", "an untouched box follows the other tab's save"
    tab_b.text_area(key=key).input("B again").run()
    tab_a.text_area(key=key).input("A's version").run()
    tab_a.button(key="assess_keep_theirs").click().run()
    assert tab_a.text_area(key=key).value == "B again"
    assert store.responses(db, aid)["governance"]["evidence"] == "B again"

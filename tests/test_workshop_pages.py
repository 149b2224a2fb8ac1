"""The Workshop (facilitator) page through AppTest, on a copy of the demo (the participant's page is web/live.py:
tests/test_live_web.py)."""

from __future__ import annotations

import pytest

from checklist import consensus, live, store, workshops
from tests.conftest import ACTOR
from tests.test_pages import _app, _shown, _tab, _texts


@pytest.fixture
def northmoor(demo_path):
    """The demo's whole-system draft round (2026 Q4) of Northmoor and Vale ICS: (db, system id, assessment id)."""
    db = store.connect(demo_path)
    systems = store.list_systems(db)
    system_id = int(systems[systems["name"].str.startswith("Northmoor")]["id"].iloc[0])
    drafts = store.list_assessments(db, system_id, whole_system=True, status=store.DRAFT)
    return db, system_id, int(drafts["id"].iloc[0])


def _vote(db, workshop, sector, level, item=None):
    token = workshops.join(db, workshop["code"], sector)["token"]
    workshops.cast_vote(db, token, item or workshop["current_item"], level)
    return token


def test_a_facilitator_starts_a_live_workshop_and_sees_the_code_and_first_item(northmoor, demo_path, monkeypatch):
    db, system_id, aid = northmoor
    at = _app(demo_path, monkeypatch, "pages/workshop.py")
    at.selectbox(key="ws_system").set_value(system_id).run()
    at.button(key="ws_start_live").click().run()
    assert not at.exception
    started = workshops.list_workshops(db, aid).iloc[0]
    assert at.query_params["workshop"] == str(started["id"])
    text = _shown(_texts(at))
    assert f"Code {started['code']}" in text and f"/join?code={started['code']}" in at.code[0].value
    count = len(workshops.items_of(db, {"assessment_id": aid}))  # 17 national items and Northmoor's 2 local ones
    assert count == 19 and f"Item 1 of {count} · Governance and shared vision" in text
    assert at.header[0].value == "Governance"
    key = workshops.get_workshop(db, int(started["id"]))["presenter_key"]
    assert [e.proto.src for e in at.get("iframe")] == [f"/present/{started['id']}?key={key}"], "the live count"
    screen = [e.proto for e in at.get("link_button") if e.proto.label == "Open presenter screen"]
    assert [e.url for e in screen] == [f"/present/{started['id']}/screen?key={key}"], "the projected screen"
    assert at.image[0].captions == ["Scan to join"], "the QR code is shown"


def test_votes_are_counted_live_hidden_until_revealed_and_the_agreed_level_is_saved(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    item = w["current_item"]
    _vote(db, w, "health", 3)
    _vote(db, w, "lived_experience", 1)
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    assert not at.get("plotly_chart"), "results stay hidden until revealed"
    assert not live.read_room(db, w["id"]).presenter()["revealed"]
    at.toggle(key=f"ws_reveal_{w['id']}_{item}").set_value(True).run()
    assert workshops.get_workshop(db, w["id"])["revealed"]
    shown = live.read_room(db, w["id"]).presenter()  # what the live count in the page's frame shows
    assert (shown["votes"], shown["joined"], shown["summary"]) == (
        2,
        2,
        "2 votes; levels 1–3 (Emerging to Maturing), median 2 · Developing; too few ratings to call agreed or split",
    )
    at.segmented_control(key=f"ws_agree_{w['id']}_{item}").set_value(2)
    at.text_area(key=f"ws_agree_notes_{w['id']}_{item}").input("Health had seen the board papers.")
    at.button(key=f"ws_agree_btn_{w['id']}_{item}").click().run()
    saved = store.responses(db, aid)[item]
    assert (saved["answer"], saved["level"]) == ("level", 2)
    assert "Agreed 2 · Developing. Room: 2 votes; levels 1–3" in saved["evidence"]
    said = [_shown(m.value) for m in at.success]
    assert any("Recorded: 2 · Developing" in m for m in said)
    assert "Agreed level saved to the assessment: 2 · Developing" in said, "confirmed on the page, not in a pop-up"


def test_agreeing_without_a_level_says_so_and_saves_nothing(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    before = store.responses(db, aid).get(w["current_item"])
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    at.button(key=f"ws_agree_btn_{w['id']}_{w['current_item']}").click().run()
    assert "Choose the level the room agreed first" in at.error[0].value
    assert store.responses(db, aid).get(w["current_item"]) == before


def test_next_and_jump_move_the_room_and_hide_results_again(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    workshops.set_revealed(db, w["id"], True, ACTOR)
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    at.button(key=f"ws_next_{w['id']}").click().run()
    moved = workshops.get_workshop(db, w["id"])
    assert moved["current_item"] == "shared-vision" and not moved["revealed"]
    assert at.header[0].value == "Shared vision"
    at.selectbox(key=f"ws_jump_{w['id']}").set_value("equipment").run()
    assert workshops.get_workshop(db, w["id"])["current_item"] == "equipment"
    assert "Item 14 of 19" in _texts(at)  # 17 national items, then Northmoor's 2 local ones


def test_notes_and_parking_lot_are_saved_removed_and_restored(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)

    def ours():
        notes = workshops.list_notes(db, aid)
        return notes[notes["workshop_id"] == w["id"]]

    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    at.radio(key=f"ws_note_kind_{w['id']}").set_value("parking")
    at.selectbox(key=f"ws_note_about_{w['id']}").set_value(None)
    at.text_area(key=f"ws_note_text_{w['id']}").input("=HYPERLINK('x') Bus routes to the leisure centre")
    at.button(key=f"ws_note_add_{w['id']}").click().run()
    assert ours()["kind"].tolist() == ["parking"] and at.text_area(key=f"ws_note_text_{w['id']}").value == ""
    assert "=HYPERLINK('x') Bus routes to the leisure centre" in _shown(_texts(at))
    note_id = int(ours()["id"].iloc[0])
    at.button(key=f"ws_note_rm_{note_id}").click().run()
    assert ours().empty
    at.button(key=f"ws_note_restore_{note_id}").click().run()
    assert len(ours()) == 1


def test_the_summary_names_sector_disagreement_and_dont_knows(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    for sector, level in [("health", 4), ("health", 3), ("lived_experience", 1), ("vcse", None), ("other", None)]:
        _vote(db, w, sector, level)
    workshops.record_agreement(db, w["id"], w["current_item"], ACTOR, 2)
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    text = _shown(_texts(at))
    assert "1 of 19 items agreed" in text  # 17 national items and Northmoor's 2 local ones
    # Every sector has fewer than 3 people: the summary shows the room as one, so no one person's vote shows.
    assert "No item had sectors a level or more apart." in text and "Lived experience (disabled" not in text
    assert "Governance: 2 of 5 votes" in text
    table = at.table[0].value.map(lambda v: _shown(v) if isinstance(v, str) else v)
    assert table.loc[table["Item"] == "Governance", "Agreed level"].item() == "2 · Developing"
    who = next(d.value for d in at.dataframe if "Sector" in d.value.columns)
    assert who.to_dict("records") == [{"Sector": consensus.SECTOR_LABELS[consensus.WHOLE_ROOM], "People": 5}]
    # The facilitator may see every sector, on their own screen, by choice.
    at.toggle(key=f"ws_private_{w['id']}").set_value(True).run()
    text = _shown(_texts(at))
    assert "Governance: Health and care rated it 3.5 (median), Lived experience (disabled person or carer) 1" in text


def test_closing_stops_the_code_and_reopening_brings_it_back(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    at.button(key="ws_close").click().run()
    assert workshops.get_workshop(db, w["id"])["status"] == "closed"
    assert "This workshop is closed" in _texts(at)
    with pytest.raises(workshops.WorkshopCodeError):
        workshops.join(db, w["code"], "health")
    at.button(key="ws_reopen").click().run()
    assert workshops.join(db, w["code"], "health")["workshop"]["id"] == w["id"]


def test_answers_collected_beforehand_show_agreed_and_split_items(northmoor, demo_path, monkeypatch):
    db, system_id, aid = northmoor
    at = _app(demo_path, monkeypatch, "pages/workshop.py")
    at.selectbox(key="ws_system").set_value(system_id).run()
    at.button(key="ws_start_independent").click().run()
    collection = workshops.get_workshop(db, int(at.query_params["workshop"]))
    assert collection["mode"] == "independent"
    for sector, a, b in [("health", 2, 4), ("sport", 2, 4), ("lived_experience", 3, 0), ("vcse", 2, 0)]:
        token = workshops.join(db, collection["code"], sector)["token"]
        workshops.cast_vote(db, token, "governance", a)
        workshops.cast_vote(db, token, "referrals", b)
    at.run()
    table = at.dataframe[0].value.set_index("Item")
    assert table.loc["1. Governance", "Agreed or split"] == "agreed"
    assert table.loc["3. Referrals", "Agreed or split"] == "split"
    assert "**4 respondents** · 1 item agreed · 1 item split" in _shown(_texts(at))
    at.button(key=f"ws_seed_run_{collection['id']}").click().run()
    room = workshops.get_workshop(db, int(at.query_params["workshop"]))
    assert room["seeded_from"] == collection["id"] and room["mode"] == "live"
    assert "Before the workshop:" in _shown(_texts(at))
    at.toggle(key=f"ws_split_first_{room['id']}").set_value(True).run()
    assert at.selectbox(key=f"ws_jump_{room['id']}").options[0] == "3. Referrals (split)"
    at.button(key=f"ws_accept_{room['id']}").click().run()
    assert store.responses(db, aid)["governance"]["level"] == 2


def test_no_draft_round_points_to_assess(demo_path, monkeypatch):
    db = store.connect(demo_path)
    systems = store.list_systems(db)
    south = int(systems[systems["name"].str.startswith("Southdown")]["id"].iloc[0])
    at = _app(demo_path, monkeypatch, "pages/workshop.py")
    at.selectbox(key="ws_system").set_value(south).run()
    assert "has no round in progress" in _shown(_texts(at))
    assert "ws_start_live" not in [b.key for b in at.button]


def test_assess_history_hides_workshop_votes_until_asked(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    voter = workshops.join(db, w["code"], "health")
    workshops.cast_vote(db, voter["token"], w["current_item"], 2)
    workshops.record_agreement(db, w["id"], w["current_item"], ACTOR, 2)
    at = _tab(_app(demo_path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "History")
    history = at.table[-1].value.map(lambda v: _shown(v) if isinstance(v, str) else v)
    assert not history["Who"].str.startswith("participant ").any()
    assert ACTOR in history["Who"].tolist()  # the agreement itself is always shown
    at.toggle(key=f"assess_history_votes_{aid}").set_value(True).run()
    shown = at.table[-1].value.map(lambda v: _shown(v) if isinstance(v, str) else v)
    votes = shown[shown["Who"] == f"participant {voter['id']} (Health and care)"]
    # in plain words, one row each: joining, then the vote with its level and the item's title
    assert len(votes) == 2 and {w.split(" ")[0].casefold() for w in votes["What changed"]} == {"joined", "voted"}
    assert any("2 · Developing on Governance" in w for w in votes["What changed"])


def test_notes_follow_the_item_on_screen_and_hidden_results_hide_answers_beforehand(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    before = workshops.start_workshop(db, aid, ACTOR, mode=workshops.INDEPENDENT)
    for sector, level in [("health", 4), ("sport", 4), ("lived_experience", 0)]:
        workshops.cast_vote(db, workshops.join(db, before["code"], sector)["token"], "governance", level)
    room = workshops.start_workshop(db, aid, ACTOR, seeded_from=before["id"])
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(room["id"]))
    text = _shown(_texts(at))
    assert "**Before the workshop:** 3 answers, split. The levels show with the results." in text
    assert "median" not in text.split("Before the workshop:")[1].split("\n")[0]
    assert f"started from the answers collected beforehand (code {before['code']})" in text
    at.toggle(key=f"ws_reveal_{room['id']}_governance").set_value(True).run()
    assert (
        "**Before the workshop:** 3 votes; levels 0–4 (Not started to Thriving), median 4 · Thriving; split."
        in _shown(_texts(at))
    )
    assert at.selectbox(key=f"ws_note_about_{room['id']}").value == "governance"
    at.button(key=f"ws_next_{room['id']}").click().run()
    assert at.selectbox(key=f"ws_note_about_{room['id']}").value == "shared-vision"


def test_the_page_follows_the_room_when_the_presenter_screen_moves_it(northmoor, demo_path, monkeypatch):
    db, _, aid = northmoor
    w = workshops.start_workshop(db, aid, ACTOR)
    at = _app(demo_path, monkeypatch, "pages/workshop.py", workshop=str(w["id"]))
    assert at.header[0].value == "Governance"
    key = workshops.presenter_key(db, w["id"])
    workshops.screen_control(db, w["id"], key, "next")  # a clicker on the projected screen
    at.run()  # what the page's follow_room fragment does when it sees the room has moved
    assert at.header[0].value == "Shared vision"
    at.button(key=f"ws_next_{w['id']}").click().run()
    third = [i.id for i in workshops.items_of(db, w)][2]
    assert workshops.get_workshop(db, w["id"])["current_item"] == third, "Next starts from the room's item"

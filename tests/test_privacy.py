"""Information governance: participant names forgotten after a workshop, one person's data exported or erased."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from checklist import access, privacy, store, workshops
from tests.conftest import ACTOR, FROZEN_AT


@pytest.fixture
def room(draft):
    """A closed workshop with two named participants who voted, and one that is still open."""
    db, aid = draft
    old = workshops.start_workshop(db, aid, ACTOR, now=FROZEN_AT - timedelta(days=40))
    for name, sector in (("Priya Shah", "lived_experience"), ("Tom Okafor", "health")):
        token = workshops.join(db, old["code"], sector, name, now=FROZEN_AT - timedelta(days=40))["token"]
        workshops.cast_vote(db, token, old["current_item"], 2, now=FROZEN_AT - timedelta(days=40))
    workshops.close_workshop(db, old["id"], ACTOR, now=FROZEN_AT - timedelta(days=39))
    recent = workshops.start_workshop(db, aid, ACTOR)
    workshops.join(db, recent["code"], "vcse", "Ann Lee")
    return db, aid, old, recent


def test_names_of_participants_go_after_the_set_number_of_days_and_votes_stay(room, monkeypatch):
    db, _, old, recent = room
    assert privacy.forget_participant_names(db, ACTOR, days=60) == 0, "not yet: 39 days since it closed"
    monkeypatch.setenv(privacy.NAME_DAYS_VAR, "30")
    assert privacy.forget_participant_names(db, ACTOR) == 2
    names = dict(db.execute("SELECT id, name FROM participants").fetchall())
    assert sorted(names.values()) == ["", "", "Ann Lee"], "the open workshop keeps its names"
    assert workshops.item_tally(db, old["id"], old["current_item"]).votes == 2, "votes kept"
    sectors = set(workshops.participants(db, old["id"])["sector"])
    assert sectors == {"lived_experience", "health"}, "by sector only"
    history = db.execute("SELECT actor FROM history").fetchall()
    assert not any("Priya" in a or "Tom" in a for (a,) in history), "no name left in the history either"
    assert privacy.forget_participant_names(db, ACTOR) == 0, "a second run changes nothing"


def test_the_retention_setting_must_be_a_number(monkeypatch):
    monkeypatch.setenv(privacy.NAME_DAYS_VAR, "a month")
    with pytest.raises(store.StoreError, match="not a number of days"):
        privacy.participant_name_days()


def test_history_stays_append_only_after_names_are_removed(room):
    db, *_ = room
    privacy.forget_participant_names(db, ACTOR, days=0)
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE history SET actor = 'x'")


def test_one_persons_data_is_exported_then_erased_everywhere(draft):
    db, aid = draft
    uid = access.add_user(db, ACTOR, "priya.shah@example.nhs.uk", "Priya Shah")
    access.grant(db, ACTOR, uid, access.LEAD)
    priya = access.find_user(db, "priya.shah@example.nhs.uk")
    store.save_response(db, aid, "governance", priya, answer="level", level=2, evidence="Board minutes, Priya Shah")
    store.add_action(db, aid, "governance", priya, "Write terms of reference", owner="Priya Shah")
    found = privacy.personal_data(db, ACTOR, "priya.shah@example.nhs.uk")
    json.dumps(found)  # an export is plain data
    assert found["user"]["name"] == "Priya Shah" and found["roles"] == [{"role": "lead", "system_id": None,
                                                                         "place_id": None}]  # fmt: skip
    assert len(found["changes"]) >= 3 and found["actions.owner"] and found["responses.updated_by"]
    # A row is named by SQLite's rowid, or by PostgreSQL's primary key (responses: the round and the item).
    row = (aid, "governance") if store.is_postgres(db) else 1
    by_hand = found["free text mentioning them (review by hand)"]
    assert {"table": "responses", "row": row, "column": "evidence"} in by_hand
    held = {(c["table"], c["column"]) for c in found["everything held about them"]}
    assert {("history", "actor"), ("history", "new_value"), ("responses", "evidence"), ("users", "email")} <= held

    result = privacy.erase_person(db, ACTOR, "priya.shah@example.nhs.uk")
    assert result.columns["history.actor"] >= 3 and result.columns["actions.owner"] == 1
    assert access.find_user(db, "priya.shah@example.nhs.uk") is None, "they can no longer sign in"
    text = " ".join(str(v) for row in db.execute("SELECT * FROM history").fetchall() for v in row)
    assert "Priya Shah" not in text, "free text in history too, evidence included"
    assert "priya.shah@example.nhs.uk" not in text
    assert store.list_actions(db, aid)["owner"].tolist() == [f"Erased person {result.number}"]
    assert store.responses(db, aid)["governance"]["evidence"] == f"Board minutes, Erased person {result.number}"
    last = db.execute("SELECT actor, entity, field FROM history ORDER BY id DESC LIMIT 1").fetchone()
    assert last == (ACTOR, "person", "erased"), "the erasure is itself recorded"
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM history")


def test_erasing_needs_an_admin_and_a_known_person(draft):
    db, _ = draft
    viewer_id = access.add_user(db, ACTOR, "v@example.nhs.uk", "V")
    access.grant(db, ACTOR, viewer_id, access.VIEWER)
    with pytest.raises(access.PermissionDenied):
        privacy.erase_person(db, access.find_user(db, "v@example.nhs.uk"), "anyone@example.nhs.uk")
    with pytest.raises(store.StoreError, match="nobody called"):
        privacy.erase_person(db, ACTOR, "nobody@example.nhs.uk")


def test_a_name_too_short_to_find_in_text_is_erased_where_it_is_a_whole_value(draft):
    db, aid = draft
    uid = access.add_user(db, ACTOR, "v@example.nhs.uk", "V")
    access.grant(db, ACTOR, uid, access.LEAD)
    v = access.find_user(db, "v@example.nhs.uk")
    store.save_response(db, aid, "governance", v, answer="level", level=2, evidence="Section V of the plan")
    result = privacy.erase_person(db, ACTOR, "v@example.nhs.uk")
    actors = {a for (a,) in db.execute("SELECT actor FROM history WHERE entity = 'response'")}
    assert actors == {f"Erased person {result.number}"}
    assert store.responses(db, aid)["governance"]["evidence"] == "Section V of the plan", "a letter in text stays"


def test_the_export_includes_agreed_levels_notes_and_text_only_history_still_holds(draft):
    db, aid = draft
    room = workshops.start_workshop(db, aid, ACTOR)
    workshops.record_agreement(db, room["id"], room["current_item"], ACTOR, 2, notes="Ann Lee has the minutes")
    store.save_response(db, aid, "governance", ACTOR, evidence="Ring Ann Lee")
    store.save_response(db, aid, "governance", ACTOR, evidence="Minutes of 3 March")
    found = privacy.personal_data(db, ACTOR, "Ann Lee")
    held = {(c["table"], c["column"]) for c in found["everything held about them"]}
    assert ("agreements", "notes") in held
    values = [c["value"] for c in found["everything held about them"] if c["table"] == "history"]
    assert '"Ring Ann Lee"' in values, "text since edited out, which only history holds"

"""Storage: pragmas, migrations, validation, history, locking, actions, and rebuilding earlier states."""

from __future__ import annotations

import time

import pytest
import sqlite_utils

from checklist import clock, store
from checklist.scoring import DONT_KNOW, LEVEL, NOT_APPLICABLE
from tests.conftest import ACTOR


def test_file_database_uses_wal_foreign_keys_and_busy_timeout(tmp_path):
    db = store.connect(tmp_path / "sub" / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS
    assert store.schema_version(db) == len(store.KNOWN_MIGRATIONS)


def test_default_path_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(store.DB_ENV_VAR, raising=False)
    assert store.default_db_path() == store.DEFAULT_DB
    assert store.DEFAULT_DB.parent.name == "data" and store.DEFAULT_DB.name == "maturity.db"
    monkeypatch.setenv(store.DB_ENV_VAR, str(tmp_path / "elsewhere.db"))
    assert store.default_db_path() == tmp_path / "elsewhere.db"


def test_migrates_a_database_made_by_the_earlier_schema(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    store.MIGRATIONS.apply(old, stop_before="0002_population")  # the schema as first released
    old.execute("INSERT INTO systems (name, created_at) VALUES (?, ?)", ["Old ICS", "2025-01-01T00:00:00+00:00"])
    old.conn.commit()
    assert "population" not in old["systems"].columns_dict
    old.close()

    db = store.connect(path)
    assert store.schema_version(db) == len(store.KNOWN_MIGRATIONS)
    assert db["systems"].columns_dict["population"] is int
    systems = store.list_systems(db)
    assert systems["name"].tolist() == ["Old ICS"]
    store.set_population(db, "systems", int(systems["id"][0]), 1_200_000, ACTOR)
    assert store.get_system(db, int(systems["id"][0]))["population"] == 1_200_000


def test_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "new.db"
    db = store.connect(path)
    db["_sqlite_migrations"].insert(
        {"migration_set": "checklist", "name": "0099_from_the_future", "applied_at": "2030-01-01"}
    )
    db.close()
    before = path.read_bytes()
    with pytest.raises(store.SchemaTooNewError, match="made by a newer version of the app.*0099_from_the_future"):
        store.connect(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database " * 50)
    with pytest.raises(store.StoreError, match="is damaged and cannot be read. Nothing was changed"):
        store.connect(path)


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_names_are_refused(fresh_db, name):
    with pytest.raises(store.StoreError, match="system name is empty"):
        store.create_system(fresh_db, name, ACTOR)


def test_duplicate_names_are_refused_whatever_the_case(unit):
    db, system_id, _ = unit
    with pytest.raises(store.StoreError, match="a system called 'test ics' already exists"):
        store.create_system(db, "test ics", ACTOR)
    with pytest.raises(store.StoreError, match="already has a place called 'TEST PLACE'"):
        store.create_place(db, system_id, "TEST PLACE", ACTOR)


def test_rename_and_archive_are_recorded_and_reversible(unit):
    db, system_id, place_id = unit
    store.rename_place(db, place_id, "Renamed Place", ACTOR)
    store.set_archived(db, "places", place_id, True, ACTOR)
    assert store.list_places(db, system_id).empty
    assert store.list_places(db, system_id, include_archived=True)["name"].tolist() == ["Renamed Place"]
    store.set_archived(db, "places", place_id, False, ACTOR)
    assert store.list_places(db, system_id)["name"].tolist() == ["Renamed Place"]
    fields = [r[0] for r in db.execute("SELECT field FROM history WHERE entity = 'place' ORDER BY id")]
    assert fields == ["created", "name", "archived_at", "archived_at"]


def test_a_round_label_that_exists_for_the_unit_is_refused(unit):
    db, system_id, place_id = unit
    store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR)
    with pytest.raises(store.RoundClashError, match="Test Place .* already has a round called '2026 q1'"):
        store.create_assessment(db, system_id, place_id, "2026 q1", "2026-03-31", ACTOR)
    # the same label is fine for the whole system, and only one whole-system round of that label
    store.create_assessment(db, system_id, None, "2026 Q1", "2026-03-31", ACTOR)
    with pytest.raises(store.RoundClashError):
        store.create_assessment(db, system_id, None, "2026 Q1", "2026-03-31", ACTOR)
    assert len(store.list_assessments(db, system_id=system_id)) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"level": 5}, "level 5 is out of range; expected a whole number from 0 to 4"),
        ({"target_level": -1}, "target level -1 is out of range"),
        ({"answer": "maybe"}, "answer 'maybe' is not one of level, dont_know, not_applicable"),
        ({"answer": DONT_KNOW, "level": 2}, "a level goes with answer 'level'"),
        ({"answer": LEVEL}, "needs a level from 0 to 4"),
        ({"confidence": "sure"}, "evidence confidence 'sure' is not one of asserted, documented, verified"),
        ({"colour": "red"}, "unknown response field"),
    ],
)
def test_bad_response_input_is_refused_and_changes_nothing(draft, fields, message):
    db, aid = draft
    with pytest.raises(store.StoreError, match=message):
        store.save_response(db, aid, "referrals", ACTOR, **fields)
    assert store.responses(db, aid) == {}
    assert store.history(db, aid)["field"].tolist() == ["created"]


def test_unknown_item_and_out_of_scope_item_are_refused(draft):
    db, aid = draft
    with pytest.raises(store.StoreError, match="unknown item id 'referals'.*expected one of: governance"):
        store.save_response(db, aid, "referals", ACTOR, level=2)
    with pytest.raises(store.StoreError, match="unknown item id 'wf-registration'"):
        store.save_response(db, aid, "wf-registration", ACTOR, level=2)  # workforce module not included


def test_every_change_is_saved_with_history(draft):
    db, aid = draft
    assert store.save_response(db, aid, "referrals", ACTOR, level=1)
    assert store.save_response(db, aid, "referrals", "another user", level=2, evidence="Form used in 2 places")
    assert not store.save_response(db, aid, "referrals", ACTOR, level=2)  # no change, nothing recorded
    row = store.responses(db, aid)["referrals"]
    assert (row["answer"], row["level"], row["evidence"], row["updated_by"]) == (
        LEVEL,
        2,
        "Form used in 2 places",
        "another user",
    )
    changes = store.history(db, aid, "referrals")
    assert changes[["actor", "field", "old_value", "new_value"]].values.tolist() == [
        [ACTOR, "answer", None, LEVEL],
        [ACTOR, "level", None, 1],
        ["another user", "level", 1, 2],
        ["another user", "evidence", "", "Form used in 2 places"],
    ]


def test_switching_to_dont_know_clears_the_level(draft):
    db, aid = draft
    store.save_response(db, aid, "referrals", ACTOR, level=3)
    store.save_response(db, aid, "referrals", ACTOR, answer=DONT_KNOW)
    row = store.responses(db, aid)["referrals"]
    assert (row["answer"], row["level"]) == (DONT_KNOW, None)
    assert store.score(db, aid).item("referrals").level is None


def test_history_is_append_only(draft):
    db, aid = draft
    store.save_response(db, aid, "referrals", ACTOR, level=1)
    with pytest.raises(store.DRIVER_ERRORS, match="append-only"):
        db.execute("UPDATE history SET new_value = '4'")
    with pytest.raises(store.DRIVER_ERRORS, match="append-only"):
        db.execute("DELETE FROM history")


def test_any_earlier_state_can_be_rebuilt(draft):
    db, aid = draft
    store.save_response(db, aid, "referrals", ACTOR, level=1, evidence="first")
    time.sleep(0.002)
    midpoint = clock.iso_now()
    time.sleep(0.002)
    store.save_response(db, aid, "referrals", ACTOR, level=3, evidence="second")
    store.save_response(db, aid, "governance", ACTOR, answer=DONT_KNOW)
    then = store.responses_as_of(db, aid, midpoint)
    assert set(then) == {"referrals"}
    assert (then["referrals"]["level"], then["referrals"]["evidence"]) == (1, "first")
    now = store.responses_as_of(db, aid, clock.iso_now())
    assert now["referrals"]["level"] == 3 and now["governance"]["answer"] == DONT_KNOW


def _answer_all(db, aid, fw, level=2):
    for item in fw.items_for(include_workforce=False):
        store.save_response(db, aid, item.id, ACTOR, level=level)


def test_submit_lists_what_is_missing_then_locks(draft, fw):
    db, aid = draft
    store.save_response(db, aid, "referrals", ACTOR, answer=NOT_APPLICABLE)
    with pytest.raises(store.IncompleteError) as info:
        store.submit_assessment(db, aid, ACTOR)
    assert "Referrals: marked not applicable without a reason" in info.value.problems
    assert "Governance: not answered" in info.value.problems
    assert len(info.value.problems) == 17
    _answer_all(db, aid, fw)
    store.save_response(db, aid, "equipment", ACTOR, answer=NOT_APPLICABLE, na_reason="Commissioned nationally")
    store.submit_assessment(db, aid, ACTOR, note="Discussed at the partnership board")
    assessment = store.get_assessment(db, aid)
    assert (assessment["status"], assessment["submit_note"]) == (store.SUBMITTED, "Discussed at the partnership board")
    assert (assessment["signed_off_by"], assessment["signed_off_at"]) == ("", None), "a note is never a sign-off"
    with pytest.raises(store.LockedError, match="is submitted and locked; reopen it first"):
        store.save_response(db, aid, "referrals", ACTOR, level=4)
    with pytest.raises(store.LockedError):
        store.add_action(db, aid, "referrals", ACTOR, "Anything")
    assert store.responses(db, aid)["referrals"]["level"] == 2


def test_reopening_needs_a_reason_and_is_recorded(draft, fw):
    db, aid = draft
    _answer_all(db, aid, fw)
    store.submit_assessment(db, aid, ACTOR)
    with pytest.raises(store.StoreError, match="needs a reason"):
        store.reopen_assessment(db, aid, ACTOR, "  ")
    store.reopen_assessment(db, aid, ACTOR, "Board asked us to recheck referrals")
    assert store.get_assessment(db, aid)["status"] == store.DRAFT
    tail = store.history(db, aid).tail(2)
    assert tail["new_value"].tolist() == [store.DRAFT, "Board asked us to recheck referrals"]
    store.save_response(db, aid, "referrals", ACTOR, level=3)


def test_actions_are_saved_edited_deleted_and_restored(draft):
    db, aid = draft
    action_id = store.add_action(
        db, aid, "referrals", ACTOR, "Pilot an online form", owner="PA lead", due_date="2026-06-30", target_level=3
    )
    store.update_action(db, action_id, ACTOR, status="in progress")
    with pytest.raises(store.StoreError, match="action status 'finished' is not one of"):
        store.update_action(db, action_id, ACTOR, status="finished")
    with pytest.raises(store.StoreError, match="due date '31/06/2026' is not a date; expected YYYY-MM-DD"):
        store.update_action(db, action_id, ACTOR, due_date="31/06/2026")
    store.set_action_deleted(db, action_id, True, ACTOR)
    assert store.list_actions(db, aid).empty
    store.set_action_deleted(db, action_id, False, ACTOR)
    actions = store.list_actions(db, aid)
    assert actions[["description", "owner", "due_date", "status", "target_level"]].values.tolist() == [
        ["Pilot an online form", "PA lead", "2026-06-30", "in progress", 3]
    ]


def test_previous_round_is_the_latest_earlier_submitted_one(unit, fw):
    from checklist import analysis

    db, system_id, place_id = unit
    ids = []
    for label, when in (("R1", "2025-01-01"), ("R2", "2025-06-01"), ("R3", "2026-01-01")):
        aid = store.create_assessment(db, system_id, place_id, label, when, ACTOR)
        ids.append(aid)
    for aid in ids[:1]:
        _answer_all(db, aid, fw)
        store.submit_assessment(db, aid, ACTOR)
    assert analysis.rounds_around(db, ids[2])[1].id == ids[0]  # R2 is a draft: skipped
    assert analysis.rounds_around(db, ids[0])[1] is None


def test_unit_reads_only_touch_that_units_rows(demo_path):
    db = store.connect(demo_path)
    plan = " ".join(
        r[-1]
        for r in db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM assessments a WHERE a.place_id = ? ORDER BY a.assessment_date", [1]
        )
    )
    assert "USING INDEX assessments_place" in plan
    place_id = int(store.list_places(db, 1)["id"][0])
    rounds = store.list_assessments(db, place_id=place_id)
    assert set(rounds["place_id"]) == {place_id}


def test_old_assessments_still_score_with_their_own_framework_version(draft, fw, monkeypatch, tmp_path):
    from checklist import framework as fwmod
    from tests.test_framework import CURRENT_FILE, CURRENT_VERSION

    db, aid = draft
    _answer_all(db, aid, fw, level=3)
    folder = tmp_path / "frameworks"
    folder.mkdir()
    folder.joinpath(CURRENT_FILE.name).write_text(CURRENT_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    newer = CURRENT_FILE.read_text(encoding="utf-8").replace(f'version = "{CURRENT_VERSION}"', 'version = "2.0"', 1)
    newer = newer.replace('id = "governance"\n', 'id = "governance-structures"\n', 1)
    folder.joinpath("ics-physical-activity-2.0.toml").write_text(newer, encoding="utf-8")
    monkeypatch.setattr(fwmod, "FRAMEWORKS_DIR", folder)
    assert fwmod.current_framework().version == "2.0"
    result = store.score(db, aid)  # made with the older version: scored with its items
    assert result.overall == 3.0 and result.total == 17
    assert store.get_assessment(db, aid)["framework_version"] == CURRENT_VERSION
    changes = fwmod.wording_changes(fwmod.framework_for(CURRENT_VERSION), fwmod.framework_for("2.0"))
    assert changes == {"governance-structures": "added", "governance": "removed"}


def test_a_save_based_on_a_value_someone_has_since_changed_is_refused_and_both_are_kept(draft):
    db, aid = draft
    store.save_response(db, aid, "governance", "Tab A", evidence="Board minutes")
    # Tab B, showing "Board minutes", adds to it and saves.
    store.save_response(db, aid, "governance", "Tab B", based_on={"evidence": "Board minutes"},
                        evidence="Board minutes; terms of reference")  # fmt: skip
    # Tab A, still showing "Board minutes", appends its own line: refused, B's words kept.
    with pytest.raises(store.StaleSaveError, match="Tab B changed the evidence for Governance") as caught:
        store.save_response(db, aid, "governance", "Tab A", based_on={"evidence": "Board minutes"},
                            evidence="Board minutes; annual report")  # fmt: skip
    assert (caught.value.theirs, caught.value.yours) == ("Board minutes; terms of reference",
                                                         "Board minutes; annual report")  # fmt: skip
    assert store.responses(db, aid)["governance"]["evidence"] == "Board minutes; terms of reference"
    history = store.history(db, aid, "governance")
    assert "Board minutes; annual report" in history["new_value"].astype(str).str.cat(), "the refused text is kept"
    # A different field of the same item still just works, and so does a save based on the current value.
    assert store.save_response(db, aid, "governance", "Tab A", based_on={"target_level": None}, target_level=3)
    assert store.save_response(db, aid, "governance", "Tab A",
                               based_on={"evidence": "Board minutes; terms of reference"},
                               evidence="Board minutes; terms of reference; annual report")  # fmt: skip
    # Saving the value someone else already saved is no conflict.
    assert not store.save_response(db, aid, "governance", "Tab B", based_on={"evidence": "old"},
                                   evidence="Board minutes; terms of reference; annual report")  # fmt: skip


def test_levels_actions_and_round_details_detect_stale_saves_too(draft):
    db, aid = draft
    store.save_response(
        db, aid, "referrals", "Tab B", based_on={"answer": None, "level": None}, answer="level", level=3
    )
    with pytest.raises(store.StaleSaveError, match="the level for Referrals"):
        store.save_response(db, aid, "referrals", "Tab A", based_on={"answer": None, "level": None},
                            answer="level", level=1)  # fmt: skip
    action = store.add_action(db, aid, "referrals", ACTOR, "Map the pathway", owner="Sam")
    store.update_action(db, action, "Tab B", based_on={"owner": "Sam"}, owner="Priya")
    with pytest.raises(store.StaleSaveError, match="the action's owner"):
        store.update_action(db, action, "Tab A", based_on={"owner": "Sam"}, owner="Ann")
    store.update_assessment_details(db, aid, "Tab B", based_on={"participants": ""}, participants="Leisure, VCSE")
    with pytest.raises(store.StaleSaveError, match="who took part"):
        store.update_assessment_details(db, aid, "Tab A", based_on={"participants": ""}, participants="Health")
    assert store.get_assessment(db, aid)["participants"] == "Leisure, VCSE"


def test_projected_score_counts_only_open_actions_aims(draft):
    db, aid = draft
    store.save_response(db, aid, "referrals", ACTOR, answer=LEVEL, level=1)
    store.save_response(db, aid, "governance", ACTOR, answer=DONT_KNOW)
    store.add_action(db, aid, "referrals", ACTOR, "Open, aims at 3", target_level=3)
    store.add_action(db, aid, "referrals", ACTOR, "Done, aims at 4", target_level=4, status="done")
    dropped = store.add_action(db, aid, "referrals", ACTOR, "Deleted, aims at 4", target_level=4)
    store.set_action_deleted(db, dropped, True, ACTOR)
    store.add_action(db, aid, "governance", ACTOR, "An item with no level does not move", target_level=4)
    assert store.open_action_aims(db, aid) == {"referrals": 3, "governance": 4}
    projected = store.projected_score(db, aid)
    assert projected.item("referrals").level == 3 and projected.item("governance").level is None
    assert store.score(db, aid).item("referrals").level == 1  # the round itself is unchanged


def _pretend_a_newer_step(db, name: str, older_code_ok: bool) -> None:
    """What a newer version's upgrade leaves in the database: a step this code does not know, and its word on
    whether servers still running this code may carry on."""
    if store.is_postgres(db):
        db.execute("INSERT INTO _schema_steps (name, applied_at, position) "
                   "SELECT ?, 'later', max(position) + 1 FROM _schema_steps", [name])  # fmt: skip
    else:
        db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('checklist', ?, 'later')",
                   [name])  # fmt: skip
        db.conn.commit()
    db.execute("INSERT INTO schema_compat (step, older_code_ok) VALUES (?, ?)", [name, int(older_code_ok)])
    if not store.is_postgres(db):
        db.conn.commit()


def test_servers_on_the_previous_version_keep_running_after_a_compatible_step_and_refuse_any_other(fresh_db):
    """A rolling upgrade applies the new steps first, then replaces servers one by one: the ones not yet replaced
    keep working when the new steps say they may, and refuse, untouched, when a step would break them."""
    store.check_schema(fresh_db)
    _pretend_a_newer_step(fresh_db, "0098_new_table", older_code_ok=True)
    store.check_schema(fresh_db)  # still runs
    store.create_system(fresh_db, "Still saving ICS", ACTOR)
    _pretend_a_newer_step(fresh_db, "0099_renamed_column", older_code_ok=False)
    with pytest.raises(store.SchemaTooNewError, match="0099_renamed_column") as refused:
        store.check_schema(fresh_db)
    assert "0098" not in str(refused.value), "only the step that breaks older code is named"

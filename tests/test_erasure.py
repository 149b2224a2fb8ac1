"""Erasure leaves no trace of a person in the database, the subject access export lists exactly what it would
touch, and restoring an older backup never brings an erased person back.

The scenario plants the person's name, address and a phone number they typed in every text column of every
table (found from the schema, so a new table is covered without editing this file) and in history, including
evidence later edited out, which survives only in history.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from pathlib import Path

import hypothesis
import pytest
import sqlite_utils
from hypothesis import strategies as st

from checklist import access, cycles, evidence_files, privacy, reminders, restoring, reviews, store, workshops
from checklist.db import check_exact_schema, write_transaction
from tests.conftest import ACTOR

NAME, EMAIL, PHONE = "Priya Shah", "priya.shah@example.nhs.uk", "07700 900123"
OTHER_EMAIL = "tom.okafor@example.nhs.uk"
# What is planted: the terms as typed, shouting, and the phone number written two other ways.
PLANT = f"{NAME} <{EMAIL}> tel {PHONE}; {NAME.upper()} on 07700-900-123 or (07700) 900123"
# The phone number however it is spaced or punctuated between its digits.
PHONE_PATTERN = r"[\s\-.()]{0,3}".join(PHONE.replace(" ", ""))
# Schema step names and their compatibility marks: written by the app's code alone, and read back by it.
NOT_PLANTED = {"_sqlite_migrations", "schema_compat"}


def _tables(db: sqlite_utils.Database) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(r[0] for r in rows)


def _mentions(text: str) -> list[str]:
    """Which of the person's terms this text holds, read the way a person would (any case, any spacing)."""
    found = [t for t in (NAME, EMAIL) if t.casefold() in text.casefold()]
    if re.search(PHONE_PATTERN, text):
        found.append(PHONE)
    return found


def _cells(db: sqlite_utils.Database) -> dict[tuple[str, int, str], object]:
    """Every value of every column of every table, by (table, rowid, column)."""
    cells = {}
    for table in _tables(db):
        cursor = db.execute(f'SELECT rowid, * FROM "{table}"')
        columns = [c[0] for c in cursor.description][1:]
        for rowid, *values in cursor.fetchall():
            for column, value in zip(columns, values, strict=True):
                cells[(table, rowid, column)] = value
    return cells


def _leftovers(db: sqlite_utils.Database) -> list[tuple[str, int, str, list[str]]]:
    """Every cell, in every table and column, that still holds one of the terms (as stored, or inside its JSON)."""
    left = []
    for (table, rowid, column), value in _cells(db).items():
        if not isinstance(value, str):
            continue
        found = _mentions(value)
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if decoded is not None:
            found += _mentions(json.dumps(decoded, ensure_ascii=False))
        if found:
            left.append((table, rowid, column, sorted(set(found))))
    return left


def _raw_hits(path: Path) -> list[str]:
    """Which terms the database file's bytes (and its write-ahead log's) still hold, in any case."""
    data = b"".join(p.read_bytes().lower() for p in (path, Path(f"{path}-wal")) if p.exists())
    found = [t for t in (NAME, EMAIL) if t.lower().encode() in data]
    if re.search(PHONE_PATTERN.encode(), data):
        found.append(PHONE)
    return found


def _answer_everything(db: sqlite_utils.Database, aid: int, who: access.User) -> None:
    assessment = store.get_assessment(db, aid)
    for item in store.framework_of(assessment).items_of(assessment):
        if item.id not in store.responses(db, aid) or store.responses(db, aid)[item.id]["answer"] is None:
            store.save_response(db, aid, item.id, who, answer="level", level=1)


def _world(path: Path) -> tuple[sqlite_utils.Database, int]:
    """A round Priya led, wrote in, ran into at a workshop and submitted; plus Tom, already erased."""
    db = store.connect(path)
    system_id = store.create_system(db, "Test ICS", ACTOR)
    place_id = store.create_place(db, system_id, "Test Place", ACTOR)
    aid = store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR,
                                  participants=f"{NAME}, Tom Okafor")  # fmt: skip
    uid = access.add_user(db, ACTOR, EMAIL, NAME)
    access.grant(db, ACTOR, uid, access.LEAD)
    priya = access.find_user(db, EMAIL)
    # Typed into the evidence, then edited out: from then on only history holds it.
    store.save_response(db, aid, "governance", priya, answer="level", level=2, evidence=f"Ask {NAME} on {PHONE}")
    store.save_response(db, aid, "governance", priya, evidence="Board minutes")
    assert PHONE not in store.responses(db, aid)["governance"]["evidence"]
    store.add_action(db, aid, "governance", priya, f"Call {PHONE} about the terms", owner=NAME)
    room = workshops.start_workshop(db, aid, ACTOR)
    token = workshops.join(db, room["code"], "health", NAME)["token"]
    workshops.publish_presence(db, "app server 1", {room["id"]: {1}})  # who is in the room, as a server says
    workshops.cast_vote(db, token, room["current_item"], 2)
    workshops.record_agreement(db, room["id"], room["current_item"], ACTOR, 2,
                               notes=f"{NAME} sends the minutes ({PHONE})")  # fmt: skip
    workshops.add_note(db, aid, "note", f"{NAME} said: call me on {PHONE}", ACTOR, item_id=room["current_item"],
                       workshop_id=room["id"])  # fmt: skip
    reviews.add_comment(db, aid, f"Check this with {NAME}", ACTOR, item_id="governance")
    evidence_files.attach(db, priya, aid, "governance", f"{NAME} minutes.txt", f"Minutes: {NAME}\n".encode())
    cycles.set_cycle(db, ACTOR, system_id, place_id, 12, None)
    local = [{"title": "Green spaces", "statement": "Parks people can use.", "evidence_prompt": "An audit.",
              **{f"level_{v}": f"Level {v}." for v in range(5)}}]  # fmt: skip
    revision = store.local_modules.save_draft(db, ACTOR, system_id, local, "Our local priorities")
    store.local_modules.publish(db, ACTOR, system_id, revision)
    store.local_modules.save_draft(db, ACTOR, system_id, local, "Our local priorities")  # a draft of version 2
    reminders.set_reminders(db, priya, uid, False)
    with write_transaction(db):  # a reminder sent to her before she turned them off
        db.execute("INSERT INTO reminders (user_id, day, state, created_at) VALUES (?, '2026-03-30', 'sent', ?)",
                   [uid, "2026-03-30T07:30:00+00:00"])  # fmt: skip
    _answer_everything(db, aid, priya)
    store.submit_assessment(db, aid, priya, note=f"Agreed with {NAME} ({PHONE}) at the board")
    tom = access.add_user(db, ACTOR, OTHER_EMAIL, "Tom Okafor")
    access.grant(db, ACTOR, tom, access.VIEWER)
    privacy.erase_person(db, ACTOR, OTHER_EMAIL)  # so the erasure register has rows to plant in too
    return db, uid


def _plant_everywhere(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    """Add the terms to every text column of every table (history by a new row: it is append-only).

    Returns the (table, column) pairs planted. A column that refuses free text must be one the schema limits
    to a fixed list of words (CHECK (column IN (...))), which can never hold a person's name.
    """
    planted = set()
    for table in sorted(set(_tables(db)) - NOT_PLANTED):
        text_columns = [c.name for c in db[table].columns if c.type.upper() == "TEXT"]
        if table == "history":
            values = {c: PLANT for c in text_columns}
            values["old_value"] = json.dumps(PLANT)
            values["new_value"] = json.dumps({"owner": NAME, "text": f"typed {PHONE} by mistake"})
            marks = ", ".join("?" for _ in values)
            db.execute(f"INSERT INTO history ({', '.join(values)}) VALUES ({marks})", list(values.values()))
            db.conn.commit()
            planted |= {(table, c) for c in text_columns}
            continue
        rowid = db.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
        assert rowid is not None, f"table {table} has no rows in this scenario; add some so text is planted in it"
        for column in text_columns:
            try:
                with db.conn:
                    db.execute(f'UPDATE "{table}" SET "{column}" = coalesce("{column}", \'\') || ? WHERE rowid = ?',
                               [f" / {PLANT}", rowid])  # fmt: skip
            except sqlite3.IntegrityError:
                sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
                assert re.search(rf"CHECK \(\s*{column}\s+IN\s*\(", sql), f"{table}.{column} refused free text"
                continue
            planted.add((table, column))
    _leave_in_unused_space(db)
    return planted


def _leave_in_unused_space(db: sqlite_utils.Database) -> None:
    """Text deleted without being zeroed (SQLite built without SQLITE_SECURE_DELETE): only a rebuild removes it."""
    db.execute("PRAGMA secure_delete = OFF")
    with db.conn:
        db.execute("INSERT INTO systems (name, created_at) VALUES (?, '2026-01-01')", [f"{PLANT} " * 400])
    with db.conn:
        db.execute("DELETE FROM systems WHERE length(name) > 1000")
    db.execute("PRAGMA secure_delete = ON")


@pytest.fixture
def world(tmp_path):
    db, uid = _world(tmp_path / "live.db")
    planted = _plant_everywhere(db)
    assert {("history", "old_value"), ("history", "new_value"), ("agreements", "notes"), ("responses", "evidence"),
            ("notes", "text"), ("review_comments", "text"), ("actions", "description"), ("actions", "owner"),
            ("participants", "name"), ("assessments", "submit_note"), ("users", "name"),
            ("erasures", "erased_by")} <= planted  # fmt: skip
    return db, uid, tmp_path / "live.db"


def test_erasure_leaves_no_trace_in_any_column_of_any_table_nor_in_the_file(world):
    db, uid, path = world
    before = {(t, c) for t, _, c, _ in _leftovers(db)}
    assert ("history", "new_value") in before and ("agreements", "notes") in before
    assert set(_raw_hits(path)) == {NAME, EMAIL, PHONE}, "the check can see what was planted"

    result = privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])

    assert _leftovers(db) == []
    assert _raw_hits(path) == [], "no copy left in the file's free pages or its write-ahead log"
    db.execute("VACUUM")
    assert _raw_hits(path) == []
    assert access.find_user(db, EMAIL) is None, "they can no longer sign in"
    assert db.execute("SELECT count(*) FROM grants WHERE user_id = ?", [uid]).fetchone()[0] == 0
    placeholder = f"Erased person {result.number}"
    created = db.execute("SELECT actor FROM history WHERE entity = 'action' AND field = 'created'").fetchall()
    assert created == [(placeholder,)], "a whole value becomes the placeholder"
    evidence = [r[0] for r in db.execute("SELECT new_value FROM history WHERE field = 'evidence'")]
    assert json.dumps(f"Ask {placeholder} on {placeholder}") in evidence, "text around the terms is kept"
    assert db.execute("SELECT name FROM participants WHERE id = 1").fetchone()[0] == "", "a participant goes nameless"


def test_erasure_is_recorded_by_number_and_history_stays_append_only(world):
    db, _, _ = world
    result = privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    register = privacy.erasure_register(db)
    assert [e["number"] for e in register] == [1, 2]
    entry = register[-1]
    assert entry["number"] == result.number == 2 and entry["by"] == ACTOR and entry["at"]
    assert entry["rows"] == result.rows > 10 and entry["fields"] == result.fields >= entry["rows"]
    last = db.execute("SELECT actor, entity, entity_id, field, new_value FROM history ORDER BY id DESC LIMIT 1")
    actor, entity, number, field, new_value = last.fetchone()
    assert (actor, entity, number, field) == (ACTOR, "person", "2", "erased")
    assert json.loads(new_value)["fields"] == result.fields
    for statement in ("UPDATE history SET actor = 'x'", "DELETE FROM history"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    check_exact_schema(db, "the database after an erasure")  # the guards are back exactly as made


def test_a_failed_erasure_changes_nothing_and_keeps_the_guard(world, monkeypatch):
    db, _, _ = world
    before = _cells(db)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk fell off half-way")

    monkeypatch.setattr(privacy, "_record_erasure", broken)
    with pytest.raises(RuntimeError, match="half-way"):
        privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    assert _cells(db) == before
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE history SET actor = 'x'")


def test_the_subject_access_export_lists_exactly_what_erasure_changes(world):
    db, _, _ = world
    before = _cells(db)
    found = privacy.personal_data(db, ACTOR, EMAIL, also=[PHONE])
    json.dumps(found)  # plain data
    listed = {(c["table"], c["row"], c["column"]) for c in found["everything held about them"]}
    assert {("history", "old_value"), ("history", "new_value"), ("agreements", "notes"),
            ("assessments", "submit_note")} <= {(t, c) for t, _, c in listed}  # fmt: skip
    mentioning = {k for k, v in before.items() if isinstance(v, str) and _mentions(v)}
    assert listed == mentioning
    for cell in found["everything held about them"]:
        assert cell["value"] == before[(cell["table"], cell["row"], cell["column"])], "with what is held there"

    files = {f["file"] for f in found["evidence files naming them"]}
    assert files, "the file whose text names her is listed"
    privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    after = _cells(db)
    changed = {k for k in before if k in after and after[k] != before[k]}
    emptied = {k for k in changed if k[0] == "evidence_files" and k[1] in files and k not in listed}
    assert {k[2] for k in emptied} <= {"content", "size", "sha256", "removed_at"}, "a listed file is emptied"
    assert ("evidence_files", min(files), "content") in emptied
    assert changed - {("users", 1, "disabled_at")} - emptied == listed, "erasure touches exactly what the export listed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Ask {NAME} on {PHONE}", "Ask E on E"),
        ("PRIYA SHAH and priya\nshah", "E and E"),
        ("Priya-Shah, 07700900123, 07700-900-123, (07700) 900 123", "E, E, E, (E"),
        ("+44 (0)7700 900123 is her mobile", "+44 (E is her mobile"),
        (f"mail {EMAIL}.", "mail E."),
        ("Priyanka Shahid, 077009001234", "Priyanka Shahid, 077009001234"),  # other words and numbers are not her
        (json.dumps({"owner": NAME}), json.dumps({"owner": "E"})),
    ],
)
def test_terms_are_found_as_words_in_any_case_and_phone_numbers_by_their_digits(text, expected):
    assert privacy.Terms.of([NAME, EMAIL, PHONE]).replace(text, "E") == expected


def test_terms_are_found_inside_json_that_escapes_them():
    stored = json.dumps({"note": "Zoë Adams called"}, ensure_ascii=True)
    assert "Zoë" not in stored
    rewritten = privacy.Terms.of(["Zoë Adams"]).replace(stored, "E")
    assert json.loads(rewritten) == {"note": "E called"}


FRAGMENTS = [NAME, NAME.upper(), "priya\nshah", "Priya-Shah", EMAIL, EMAIL.upper(), PHONE, "07700900123",
             "(07700) 900 123", "+44 (0)7700 900123", "Priyanka", "Shahid", "077009001234", "Zoë Adams", "ZOË ADAMS",
             "İlkay Gün", "ilkay gün", "Straße", " ", ", ", "\n", "-", "(", ")", '"', ":", "\\", "T",
             "2026-11-23T10:00", "0", "level 2", "Ask", "shah"]  # fmt: skip
EXTRA = ["Zoë Adams", "İlkay Gün"]


@functools.cache
def _register() -> list[dict]:
    db = store.connect(":memory:")
    access.add_user(db, ACTOR, EMAIL, NAME)
    privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE, *EXTRA])
    return privacy.erasure_records(db)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(st.lists(st.sampled_from(FRAGMENTS), max_size=10).map("".join))
def test_a_restore_finds_a_term_exactly_where_an_erasure_would_and_no_first_test_skips_one(text):
    plain, digests = privacy.Terms.of([NAME, EMAIL, PHONE, *EXTRA]), privacy.Terms.from_register(_register())
    likes = sqlite3.connect(":memory:")
    likes.execute("CREATE TABLE t (x TEXT)")
    for stored in (text, json.dumps(text), json.dumps({"note": text}, ensure_ascii=True)):
        assert [s[:2] for s in plain.spans(stored)] == [s[:2] for s in digests.spans(stored)]
        assert plain.held_in(stored) == digests.held_in(stored)
        assert plain.replace(stored, "E") == digests.rewrite(stored, lambda _: "E")
        if plain.held_in(stored):
            assert digests.might_hold(stored), "the quick test before hashing never skips a holding value"
            likes.execute("DELETE FROM t")
            likes.execute("INSERT INTO t VALUES (?)", [stored])
            where = " OR ".join("x LIKE ?" for _ in plain.needles)
            assert likes.execute(f"SELECT count(*) FROM t WHERE {where}", plain.needles).fetchone()[0] == 1


@pytest.mark.parametrize(
    ("who", "also", "message"),
    [
        (EMAIL, ["Al"], "'Al' is too short to erase safely"),
        (EMAIL, ["12345"], "'12345' is too short to erase safely"),
        (EMAIL, ["test user"], "you cannot erase yourself"),
        ("Shared Name", [], "2 users are called 'Shared Name'"),
        ("nobody@example.nhs.uk", [], "nobody called 'nobody@example.nhs.uk' is known here"),
    ],
)
def test_an_erasure_that_could_go_wrong_is_refused_and_changes_nothing(tmp_path, who, also, message):
    db, _ = _world(tmp_path / "live.db")
    for n in (1, 2):
        access.add_user(db, ACTOR, f"shared{n}@example.nhs.uk", "Shared Name")
    before = _cells(db)
    with pytest.raises(store.StoreError, match=re.escape(message)):
        privacy.erase_person(db, ACTOR, who, also=also)
    assert _cells(db) == before


def test_when_a_reader_blocks_compacting_the_erasure_says_so_and_compact_finishes_it(world):
    from checklist.cli import main

    db, _, path = world
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM history").fetchone()
    result = privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    assert _leftovers(db) == [] and result.file_compacted is False
    reader.rollback()
    reader.close()
    assert main(["privacy", "compact", "--db", str(path)]) == 0
    assert _raw_hits(path) == []


def test_the_register_migration_runs_after_the_sign_off_one():
    """sqlite-utils applies migrations in the order they are defined, not by name: every database must apply them
    in the order their numbers say, which a restore's exact-schema check relies on."""
    known = store.KNOWN_MIGRATIONS
    assert known.index("0008_sign_off_identity") < known.index("0009_erasures")


# --- restore ------------------------------------------------------------------------------------------------


def test_restoring_an_older_backup_applies_the_erasures_made_since(world, tmp_path):
    db, _, path = world
    older = store.backup(db, tmp_path / "before-erasure.db")
    result = privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    register = privacy.erasure_register(db)

    restoring.restore(db, older, tmp_path / "backups", ACTOR)

    assert _leftovers(db) == [], "restoring never brings an erased person back"
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _raw_hits(path) == []
    assert privacy.erasure_register(db) == register, "the register survives the restore"
    assert access.find_user(db, EMAIL) is None
    again = db.execute(
        "SELECT actor, new_value FROM history WHERE entity = 'person' AND entity_id = ? AND field = ?",
        [str(result.number), "erased again after a restore"],
    ).fetchall()
    assert len(again) == 1 and again[0][0] == ACTOR and json.loads(again[0][1])["fields"] > 0
    assert set(_raw_hits(older)) == {NAME, EMAIL, PHONE}, "the backup file itself is left as it was"


def test_a_restore_leaves_nothing_erased_in_the_unused_space_the_backup_brought(world, tmp_path):
    db, _, path = world
    older = store.backup(db, tmp_path / "before-erasure.db")
    raw = sqlite_utils.Database(older)  # text deleted before the backup was made stays in the file's free pages
    _leave_in_unused_space(raw)
    raw.close()
    assert set(_raw_hits(older)) == {NAME, EMAIL, PHONE}
    privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    restoring.restore(db, older, tmp_path / "backups", ACTOR)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _leftovers(db) == [] and _raw_hits(path) == []


def test_restoring_a_backup_made_before_the_register_existed_still_applies_it(tmp_path):
    old = sqlite_utils.Database(tmp_path / "old.db")
    store.MIGRATIONS.apply(old, stop_before="0009_erasures")
    old.execute("INSERT INTO systems (name, created_at) VALUES (?, ?)", ["Old ICS", "2025-01-01"])
    old.execute("INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)", [EMAIL, NAME, "2025-01-01"])
    old.execute(
        "INSERT INTO history (at, actor, entity, entity_id, field, old_value, new_value) "
        "VALUES (?, ?, 'system', '1', 'created', NULL, ?)",
        ["2025-01-01", NAME, json.dumps(f"by {PHONE}")],
    )
    old.conn.commit()
    old.close()
    live = store.connect(tmp_path / "live.db")
    access.add_user(live, ACTOR, EMAIL, NAME)
    privacy.erase_person(live, ACTOR, EMAIL, also=[PHONE])

    restoring.restore(live, tmp_path / "old.db", tmp_path / "backups", ACTOR)

    assert store.list_systems(live)["name"].tolist() == ["Old ICS"]
    assert _leftovers(live) == []
    assert [e["number"] for e in privacy.erasure_register(live)] == [1]


def test_restoring_a_backup_made_after_the_erasure_changes_nothing_more(world, tmp_path):
    db, _, _ = world
    privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    later = store.backup(db, tmp_path / "after-erasure.db")
    register = privacy.erasure_register(db)
    restoring.restore(db, later, tmp_path / "backups", ACTOR)
    assert privacy.erasure_register(db) == register, "not doubled"
    assert not db.execute("SELECT 1 FROM history WHERE field = 'erased again after a restore'").fetchall()


def test_the_store_alone_will_not_restore_over_erasures_it_cannot_apply_again(world, tmp_path):
    """store.restore knows nothing of privacy: with erasures on record it refuses to restore without the step
    that applies them again (checklist.restoring), rather than bring an erased person back."""
    db, _, _ = world
    older = store.backup(db, tmp_path / "before-erasure.db")
    privacy.erase_person(db, ACTOR, EMAIL, also=[PHONE])
    with pytest.raises(RuntimeError, match="restore through checklist.restoring.restore"):
        store.restore(db, older, tmp_path / "backups", ACTOR)
    assert _leftovers(db) == [] and not (tmp_path / "backups").exists()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("DROP TABLE erasure_terms", "table erasure_terms is missing"),
        ("CREATE TRIGGER forget AFTER INSERT ON systems BEGIN DELETE FROM erasure_terms; END",
         "it has a trigger forget this app never makes"),
    ],
)  # fmt: skip
def test_a_backup_that_tampers_with_the_register_is_refused(tmp_path, tamper, message):
    live = store.connect(tmp_path / "live.db")
    store.create_system(live, "Live ICS", ACTOR)
    other = store.connect(tmp_path / "other.db")
    other.execute(tamper)
    other.conn.commit()
    other.close()
    with pytest.raises(store.StoreError, match=message):
        restoring.restore(live, tmp_path / "other.db", tmp_path / "backups", ACTOR)
    assert store.list_systems(live)["name"].tolist() == ["Live ICS"]


# --- the command line ---------------------------------------------------------------------------------------


def test_the_cli_erases_with_extra_terms_lists_the_register_and_restores_without_bringing_them_back(tmp_path, capsys):
    from checklist.cli import main

    path = tmp_path / "cli.db"
    _world(path)[0].close()
    nightly = tmp_path / "nightly.db"
    assert main(["backup", "--out", str(nightly), "--db", str(path)]) == 0
    out = tmp_path / "person.json"
    assert main(["privacy", "export", EMAIL, "--also", PHONE, "--out", str(out), "--db", str(path)]) == 0
    found = json.loads(out.read_text(encoding="utf-8"))
    held = {(c["table"], c["column"]) for c in found["everything held about them"]}
    assert {("agreements", "notes"), ("history", "old_value"), ("assessments", "submit_note")} <= held
    capsys.readouterr()

    assert main(["privacy", "erase", EMAIL, "--also", PHONE, "--db", str(path)]) == 0
    said = capsys.readouterr().out
    assert "as erasure #2:" in said and "now say 'Erased person 2'" in said
    assert _leftovers(store.connect(path)) == []
    assert main(["privacy", "erase", EMAIL, "--also", "Al", "--db", str(path)]) == 1
    assert "'Al' is too short to erase safely" in capsys.readouterr().err

    assert main(["privacy", "erasures", "--db", str(path)]) == 0
    listing = capsys.readouterr().out
    assert "erasure #1" in listing and "erasure #2" in listing and f"by {ACTOR}" in listing
    assert NAME not in listing and EMAIL not in listing and PHONE not in listing

    assert main(["restore", str(nightly), "--db", str(path)]) == 0
    assert "2 erasure(s) on record were applied again" in capsys.readouterr().out
    assert _leftovers(store.connect(path)) == []

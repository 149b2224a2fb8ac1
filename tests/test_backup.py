"""Backup and restore: a consistent snapshot; a restore only after checks, and always undoable."""

from __future__ import annotations

import pytest

from checklist import store
from tests.conftest import ACTOR


def _names(db):  # noqa: ANN001
    return store.list_systems(db)["name"].tolist()


def test_backup_then_restore_then_undo(tmp_path, db_target):
    live_path = db_target
    live = store.connect(live_path)
    store.create_system(live, "Before ICS", ACTOR)
    snapshot = store.backup(live, tmp_path / "snap.db")
    store.create_system(live, "After ICS", ACTOR)
    found = store.check_backup(snapshot)
    assert found == {"schema": len(store.KNOWN_MIGRATIONS), "systems": 1, "places": 0, "assessments": 0}

    safety = store.restore(live, snapshot, tmp_path / "backups", ACTOR)
    assert _names(live) == ["Before ICS"]
    assert safety.parent == tmp_path / "backups" and safety.exists()
    assert _names(store.connect(live_path)) == ["Before ICS"]  # a new connection sees it too

    store.restore(live, safety, tmp_path / "backups", ACTOR)  # undo
    assert _names(live) == ["After ICS", "Before ICS"]
    fields = [r[0] for r in live.execute("SELECT field FROM history WHERE entity = 'database'")]
    # the safety copy predates the first restore, so after the undo only the undo's own record is there
    assert fields == ["restored_from"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("not a database at all"), "is not a SQLite database"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\x00" * 2000), "could not be read|integrity"),
        (
            lambda p: __import__("sqlite3").connect(p).execute("CREATE TABLE other (x)").connection.commit(),
            "not one of this app's",
        ),
    ],
)
def test_a_bad_file_is_refused_and_nothing_changes(tmp_path, db_target, make, message):
    live = store.connect(db_target)
    store.create_system(live, "Keep ICS", ACTOR)
    bad = tmp_path / "bad.db"
    make(bad)
    with pytest.raises(store.StoreError, match=message):
        store.restore(live, bad, tmp_path / "backups", ACTOR)
    assert _names(live) == ["Keep ICS"]
    assert not (tmp_path / "backups").exists()  # refused before anything was written


def test_a_backup_from_a_newer_app_is_refused(tmp_path):
    newer = store.connect(tmp_path / "newer.db")
    newer["_sqlite_migrations"].insert({"migration_set": "checklist", "name": "0099_future", "applied_at": "x"})
    newer.close()
    with pytest.raises(store.SchemaTooNewError):
        store.check_backup(tmp_path / "newer.db")


def test_an_older_backup_is_migrated_on_restore(tmp_path, db_target):
    import sqlite_utils

    old = sqlite_utils.Database(tmp_path / "old.db")
    store.MIGRATIONS.apply(old, stop_before="0002_population")
    old.execute("INSERT INTO systems (name, created_at) VALUES (?, ?)", ["Old ICS", "2025-01-01"])
    old.conn.commit()
    old.close()
    live = store.connect(db_target)
    store.restore(live, tmp_path / "old.db", tmp_path / "backups", ACTOR)
    assert _names(live) == ["Old ICS"]
    assert live.execute("SELECT population FROM systems").fetchall() == [(None,)]  # the column step 0002 adds
    assert "population" not in sqlite_utils.Database(tmp_path / "old.db")["systems"].columns_dict  # source untouched


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("CREATE TRIGGER empty_history AFTER INSERT ON systems BEGIN DELETE FROM places; END",
         "it has a trigger empty_history this app never makes"),
        ("CREATE TRIGGER rewrite AFTER UPDATE ON responses BEGIN UPDATE responses SET level = 4; END",
         "it has a trigger rewrite this app never makes"),
        ("DROP TRIGGER history_no_update", "trigger history_no_update is missing"),
        ("DROP INDEX assessments_unit_round", "index assessments_unit_round is missing"),
        ("CREATE VIEW everything AS SELECT * FROM history", "it has a view everything this app never makes"),
        ("ALTER TABLE systems ADD COLUMN secret TEXT", "table systems differs from this app's"),
    ],
)  # fmt: skip
def test_a_backup_with_a_schema_of_its_own_is_refused_and_nothing_changes(tmp_path, db_target, tamper, message):
    live = store.connect(db_target)
    store.create_system(live, "Live ICS", ACTOR)
    other = store.connect(tmp_path / "other.db")
    store.create_system(other, "Other ICS", ACTOR)
    other.execute(tamper)
    other.conn.commit()
    other.close()
    with pytest.raises(store.StoreError, match=message):
        store.restore(live, tmp_path / "other.db", tmp_path / "backups", ACTOR)
    assert _names(live) == ["Live ICS"] and not (tmp_path / "backups").exists()

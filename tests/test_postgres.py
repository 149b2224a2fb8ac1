"""PostgreSQL as the database: what only a server has (addresses, passwords, other apps' databases, a connection
lost mid-save, notifications) and moving a whole database between SQLite and PostgreSQL without loss.

The store, access, imports, exports, privacy, live and workshop tests also run on PostgreSQL (conftest's
BOTH_BACKENDS); these are the promises that differ in kind, not only in SQL.
"""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from checklist import access, demo, privacy, restoring, store, workshops
from checklist.db import change_token, postgres, table_keys
from tests.conftest import ACTOR

pytestmark = pytest.mark.usefixtures("pg_server")


def _everything(db) -> dict[str, list[tuple]]:
    """Every row of every table of the app (columns by name, rows sorted), values as both backends give them."""
    dump = {}
    for table, _, _ in table_keys(db):
        if table in ("_sqlite_migrations", "_schema_steps"):
            continue
        columns = sorted(c[0] for c in db.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
        rows = db.execute(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)} FROM "{table}"')
        dump[table] = sorted((tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows), key=repr)
    return dump


def test_a_password_in_the_address_is_refused_and_the_message_hides_it(pg_server):
    address = pg_server.address("migrated").replace("app@", "app:s3cret@")
    with pytest.raises(store.StoreError, match="PGPASSWORD") as refused:
        store.connect(address)
    assert "s3cret" not in str(refused.value)
    assert store.describe(address).count("s3cret") == 0


def test_an_unreachable_server_is_said_plainly_and_quickly(monkeypatch):
    monkeypatch.setenv(postgres.CONNECT_TIMEOUT_VAR, "2")
    with pytest.raises(store.DatabaseUnavailable, match="cannot be reached"):
        store.connect("postgresql://app@127.0.0.1:9/nothing")


def test_a_database_that_does_not_exist_is_named(pg_server):
    with pytest.raises(store.DatabaseUnavailable, match="no database of that name"):
        store.connect(pg_server.address("no_such_database"))


def test_a_database_of_another_app_is_refused_and_left_alone(pg_server):
    address = pg_server.create()
    with psycopg.connect(address, autocommit=True) as other:
        other.execute("CREATE TABLE invoices (id int PRIMARY KEY, total numeric)")
    with pytest.raises(store.StoreError, match="tables this app did not make \\(invoices\\)"):
        store.connect(address)
    with psycopg.connect(address, autocommit=True) as other:
        tables = other.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert tables == [("invoices",)], "nothing was added"


def test_a_schema_from_a_newer_app_is_refused_untouched(pg_address):
    db = store.connect(pg_address)
    db.raw("INSERT INTO _schema_steps (name, applied_at, position) VALUES ('0999_future', 'x', 999)")
    db.close()
    postgres.close_pools()
    with pytest.raises(store.SchemaTooNewError, match="0999_future"):
        store.connect(pg_address)


def test_two_servers_starting_together_apply_each_step_once(pg_server):
    address = pg_server.create()
    errors = []

    def start():
        try:
            store.connect(address).close()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    postgres.close_pools()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = store.connect(address)
    assert store.schema_version(db) == len(store.KNOWN_MIGRATIONS)
    db.close()


def test_history_is_append_only_even_to_truncate(pg_address):
    db = store.connect(pg_address)
    store.create_system(db, "Guarded ICS", ACTOR)
    for statement in ("UPDATE history SET actor = 'x'", "DELETE FROM history", "TRUNCATE history"):
        with pytest.raises(psycopg.Error, match="append-only"):
            db.execute(statement)
    db.close()


def test_a_save_whose_connection_is_lost_is_refused_whole_and_can_be_retried(pg_address):
    db = store.connect(pg_address)
    system_id = store.create_system(db, "Steady ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "2026 Q1", "2026-03-31", ACTOR)
    pid = db.raw("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(pg_address.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])  # the server drops this connection mid-session
    with pytest.raises(store.DatabaseUnavailable, match="connection to it was lost|cannot be reached"):
        store.save_response(db, aid, "referrals", ACTOR, level=2, evidence="Written once")
    db.close()  # the pool throws the broken connection away
    retry = store.connect(pg_address)
    assert store.responses(retry, aid).get("referrals", {}).get("level") is None, "nothing half-written"
    store.save_response(retry, aid, "referrals", ACTOR, level=2, evidence="Written once")
    assert store.responses(retry, aid)["referrals"]["level"] == 2
    retry.close()


def test_a_commit_on_one_connection_changes_the_token_another_watches(pg_address):
    watcher, writer = store.connect(pg_address), store.connect(pg_address)
    first = change_token(watcher)
    assert change_token(watcher) == first, "nothing happened: the token stays"
    store.create_system(writer, "Noticed ICS", ACTOR)
    assert change_token(watcher) != first
    watcher.close()
    writer.close()


def test_a_pilot_moves_from_sqlite_to_postgresql_and_back_without_losing_anything(tmp_path, pg_address):
    laptop = store.connect(tmp_path / "pilot.db")
    demo.create_demo(laptop)
    uid = access.add_user(laptop, ACTOR, "ada@example.nhs.uk", "Ada")
    access.grant(laptop, ACTOR, uid, access.REVIEWER)
    privacy.erase_person(laptop, ACTOR, "ada@example.nhs.uk")  # the register's digests (bytes) go across too
    before = _everything(laptop)
    moved = store.backup(laptop, tmp_path / "pilot-backup.db")

    hosted = store.connect(pg_address)
    restoring.restore(hosted, moved, tmp_path / "backups", ACTOR)
    after = _everything(hosted)
    restored = [r for r in after["history"] if "restored_from" in r]
    assert len(restored) == 1, "the restore records itself"
    after["history"].remove(restored[0])
    assert after == before, "every row of every table arrived as it was"

    # New rows on the server continue the ids, never reuse one.
    last = max(r[0] for r in laptop.execute("SELECT id FROM systems").fetchall())
    assert store.create_system(hosted, "After the move", ACTOR) == last + 1

    back = store.backup(hosted, tmp_path / "hosted-backup.db")
    assert back.read_bytes().startswith(store.SQLITE_HEADER), "the same portable file from either backend"
    returned = store.connect(tmp_path / "returned.db")
    restoring.restore(returned, back, tmp_path / "backups", ACTOR)
    again = _everything(returned)
    assert set(before["history"]) < set(again["history"])
    assert {t: rows for t, rows in again.items() if t not in ("history", "systems")} == {
        t: rows for t, rows in before.items() if t not in ("history", "systems")
    }
    assert [r for r in again["systems"] if "After the move" in r], "what was added on the server came back too"
    for db in (laptop, hosted, returned):
        db.close()


def test_an_erasure_on_postgresql_leaves_the_person_in_no_text_column_of_any_table(pg_address):
    db = store.connect(pg_address)
    demo.create_demo(db)
    uid = access.add_user(db, ACTOR, "priya.shah@example.nhs.uk", "Priya Shah")
    access.grant(db, ACTOR, uid, access.LEAD)
    priya = access.find_user(db, "priya.shah@example.nhs.uk")
    aid = int(db.execute("SELECT min(id) FROM assessments WHERE status = 'draft'").fetchone()[0])
    store.save_response(db, aid, "governance", priya, evidence="Ask Priya Shah on 07700 900123")
    store.add_action(db, aid, "governance", priya, "Terms of reference", owner="Priya Shah")
    workshop = workshops.start_workshop(db, aid, ACTOR)
    workshops.join(db, workshop["code"], "health", name="Priya Shah")

    def holding() -> list[tuple[str, str]]:
        found = []
        for table, _, columns in table_keys(db):
            for column in columns:
                hit = db.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}" ILIKE ? OR "{column}" ILIKE ? LIMIT 1',
                    ["%priya shah%", "%07700 900123%"],
                ).fetchone()
                if hit:
                    found.append((table, column))
        return found

    assert ("history", "new_value") in holding() and ("participants", "name") in holding()
    result = privacy.erase_person(db, ACTOR, "priya.shah@example.nhs.uk", also=["07700 900123"])
    assert holding() == [], "nowhere left"
    assert result.rows > 3 and access.find_user(db, "priya.shah@example.nhs.uk") is None
    with pytest.raises(psycopg.Error, match="append-only"):
        db.execute("UPDATE history SET actor = 'x'")  # the guard is back as soon as the erasure ends
    assert json.dumps(privacy.erasure_register(db))
    db.close()

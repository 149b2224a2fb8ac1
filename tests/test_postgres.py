"""PostgreSQL as the database: what only a server has (addresses, passwords, other apps' databases, a connection
lost mid-save, notifications) and moving a whole database between SQLite and PostgreSQL without loss.

The store, access, imports, exports, privacy, live and workshop tests also run on PostgreSQL (conftest's
BOTH_BACKENDS); these are the promises that differ in kind, not only in SQL.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time

import psycopg
import pytest

from checklist import access, demo, privacy, restoring, store, workshops
from checklist.db import change_token, postgres, table_keys
from tests import pgserver
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


def test_a_save_whose_connection_is_lost_is_refused_whole_and_can_be_retried(pg_address, monkeypatch):
    from checklist.store import answers

    db = store.connect(pg_address)
    system_id = store.create_system(db, "Steady ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "2026 Q1", "2026-03-31", ACTOR)
    real_record = answers.record

    def server_goes_away(db, *args, **kwargs):  # noqa: ANN001 - after the answer's UPDATE, before its COMMIT
        with contextlib.suppress(Exception):
            db.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real_record(db, *args, **kwargs)

    monkeypatch.setattr(answers, "record", server_goes_away)
    with pytest.raises(store.DatabaseUnavailable, match="connection to it was lost|cannot be reached"):
        store.save_response(db, aid, "referrals", ACTOR, level=2, evidence="Written once")
    monkeypatch.setattr(answers, "record", real_record)
    assert store.responses(db, aid).get("referrals", {}).get("level") is None, "nothing half-written"
    assert db.execute("SELECT count(*) FROM history WHERE entity = 'response'").fetchone()[0] == 0
    store.save_response(db, aid, "referrals", ACTOR, level=2, evidence="Written once")  # the retry, same object
    assert store.responses(db, aid)["referrals"]["level"] == 2
    db.close()


def test_connections_dropped_while_idle_cost_nobody_their_page_or_their_save(pg_address):
    """A managed service's failover drops every connection: the next read and the next save still go through."""
    db = store.connect(pg_address)
    system_id = store.create_system(db, "Failover ICS", ACTOR)
    database = pg_address.rsplit("/", 1)[1]
    with psycopg.connect(pg_address.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database])
    assert store.list_systems(db)["name"].tolist() == ["Failover ICS"]
    store.create_place(db, system_id, "After the failover", ACTOR)
    db.close()


def test_a_page_that_keeps_its_database_object_holds_no_connection(pg_address):
    """Streamlit keeps a run's callbacks, and with them the page's `db`: far more sessions than the pool has
    connections must still work."""
    kept = [store.connect(pg_address, apply_migrations=False) for _ in range(3 * 10)]
    for db in kept:
        assert db.execute("SELECT count(*) FROM systems").fetchone() == (0,)
    store.create_system(kept[-1], "Still room", ACTOR)
    for db in kept:
        db.close()


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


def test_a_managed_database_address_is_taken_as_libpq_reads_it(tmp_path, monkeypatch):
    """The hosting guide's Azure example: libpq's options kept, the password from a mounted file."""
    secret = tmp_path / "checklist-db-password"
    secret.write_text("correct horse battery staple\n")
    monkeypatch.setenv(postgres.PASSWORD_FILE_VAR, str(secret))
    address = "postgresql://checklist@ics-maturity-db.postgres.database.azure.com:5432/checklist?sslmode=require"
    conninfo, settings = postgres._conninfo(address)
    parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    assert parts["host"] == "ics-maturity-db.postgres.database.azure.com" and parts["sslmode"] == "require"
    assert parts["user"] == "checklist" and parts["dbname"] == "checklist"
    assert settings["password"] == "correct horse battery staple", "read from the file, never from the address"
    assert store.is_postgres(address) and store.describe(address) == address


def test_a_server_that_requires_tls_is_reached_over_tls(tmp_path):
    server = pgserver.start(tmp_path / "tls", tls=True)
    try:
        address = server.create() + "?sslmode=require"
        db = store.connect(address)
        assert db.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)
        assert store.schema_version(db) == len(store.KNOWN_MIGRATIONS)
        store.create_system(db, "Over TLS", ACTOR)
        # A backup reads through a connection of its own (ADBC's libpq), which takes the address's sslmode too.
        kept = store.connect(store.backup(db, tmp_path / "over-tls.db"))
        assert kept.execute("SELECT name FROM systems").fetchall() == [("Over TLS",)]
        kept.close()
        db.close()
    finally:
        postgres.close_pools()
        server.stop("immediate")


PAGES = ["pages/home.py", "pages/assess.py", "pages/dashboard.py", "pages/compare.py", "pages/workshop.py",
         "pages/framework.py", "pages/manage.py", "pages/accessibility.py"]  # fmt: skip


@pytest.fixture(scope="module")
def pg_demo(pg_server) -> str:
    """The demo, on PostgreSQL (made once for these page tests; they only read)."""
    from tests.conftest import FROZEN_AT

    address = pg_server.create(template="migrated")
    from checklist import clock

    with clock.frozen(FROZEN_AT):
        db = store.connect(address)
        demo.create_demo(db)
        db.close()
    postgres.close_pools()
    return address


@pytest.mark.parametrize("page", PAGES)
def test_every_page_draws_on_postgresql_without_an_error(pg_demo, page, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.setenv(store.DB_ENV_VAR, pg_demo)
    db = store.connect(pg_demo)
    (draft,) = db.execute("SELECT max(id) FROM assessments WHERE status = 'draft'").fetchone()
    db.close()
    at = AppTest.from_file(str(ROOT / "router.py"), default_timeout=120)
    if page != "pages/home.py":
        at.switch_page(page)
    if page == "pages/assess.py":
        at.query_params["assessment"] = str(draft)
    at.run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert at.title, "the page drew its heading"


def test_the_room_watcher_keeps_following_after_the_server_drops_its_connection(pg_address):
    """A restart or failover of the database drops the watcher's listening connection: it listens again on a
    fresh one and the room keeps moving for every phone on this app server."""
    from checklist import live
    from tests.test_live import recording

    db = store.connect(pg_address)
    system_id = store.create_system(db, "Watched ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "Watched round", "2026-11-23", ACTOR)
    room = workshops.start_workshop(db, aid, ACTOR)
    watcher = live.RoomWatcher(pg_address, interval=0.05)
    seen, changed, listener = recording()

    watcher.watch(room["id"], listener)
    assert changed.wait(10), "the room as it is, first"
    database = pg_address.rsplit("/", 1)[1]
    with psycopg.connect(pg_address.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database])
    changed.clear()
    workshops.set_current_item(db, room["id"], "shared-vision", ACTOR)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (not seen or seen[-1].current_item != "shared-vision"):
        changed.wait(1)
        changed.clear()
    watcher.close()
    db.close()
    assert seen[-1].current_item == "shared-vision", "the watcher followed the room after losing its connection"


def _backup_waiting_on(address: str, table: str, out) -> tuple[threading.Thread, dict]:
    """A backup of `address` started on a thread, returned once its reader waits for `table` (locked by the
    caller), with what it ended in."""
    ended: dict = {}

    def run() -> None:
        try:
            ended["path"] = store.backup(store.connect(address), out)
        except Exception as exc:  # the test says what it expected
            ended["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    with psycopg.connect(address, autocommit=True) as watcher:
        deadline = time.monotonic() + 60
        while not watcher.execute(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [f'%FROM "{table}"%'],
        ).fetchone():
            assert worker.is_alive() and time.monotonic() < deadline, f"the backup never reached {table}: {ended}"
            time.sleep(0.02)
    return worker, ended


def test_a_backup_is_the_database_at_one_moment_while_others_write(tmp_path, pg_address):
    db = store.connect(pg_address)
    demo.create_demo(db)
    before = db.execute("SELECT count(*) FROM history").fetchone()[0]
    with psycopg.connect(pg_address) as late:
        late.execute("LOCK TABLE history IN ACCESS EXCLUSIVE MODE")  # the backup reads the tables before it first
        worker, ended = _backup_waiting_on(pg_address, "history", tmp_path / "moment.db")
        late.execute(
            "INSERT INTO history (at, actor, entity, entity_id, field) VALUES "
            "('2026-01-01T00:00:00+00:00', 'late writer', 'database', '0', 'after the backup began')"
        )
        late.commit()
    worker.join()
    assert "error" not in ended, ended
    assert db.execute("SELECT count(*) FROM history").fetchone()[0] == before + 1
    kept = store.connect(ended["path"])
    assert kept.execute("SELECT count(*) FROM history").fetchone()[0] == before, (
        "a row committed after the backup began is not in it: every table is read from the same snapshot"
    )
    assert not kept.execute("SELECT 1 FROM history WHERE actor = 'late writer'").fetchone()
    kept.close()
    db.close()


def test_a_server_lost_mid_backup_is_said_plainly_and_leaves_no_file(tmp_path, pg_address):
    db = store.connect(pg_address)
    demo.create_demo(db)
    out = tmp_path / "lost.db"
    with psycopg.connect(pg_address) as holder:
        holder.execute("LOCK TABLE history IN ACCESS EXCLUSIVE MODE")
        worker, ended = _backup_waiting_on(pg_address, "history", out)
        with psycopg.connect(pg_address, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                """AND query LIKE '%FROM "history"%'"""
            )
        worker.join()
        holder.rollback()
    assert isinstance(ended.get("error"), store.StoreError), ended
    assert "cannot be reached, or the connection to it was lost" in str(ended["error"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "no backup, and no half of one"
    db.close()


def test_a_backup_from_postgresql_holds_what_sqlites_own_holds_value_for_value_and_type(
    tmp_path, pg_address, monkeypatch
):
    laptop = store.connect(tmp_path / "pilot.db")
    demo.create_demo(laptop)
    access.add_user(laptop, ACTOR, "ada@example.nhs.uk", "Ada")
    privacy.erase_person(laptop, ACTOR, "ada@example.nhs.uk")  # the register's digests are bytes
    own = store.connect(store.backup(laptop, tmp_path / "sqlite-own.db"))
    hosted = store.connect(pg_address)
    restoring.restore(hosted, tmp_path / "sqlite-own.db", tmp_path / "backups", ACTOR)
    on_disk = store.connect(store.backup(hosted, tmp_path / "file.db"))

    import sqlite3

    import adbc_driver_sqlite.dbapi

    real_connect = sqlite3.connect

    def memory_only(target, *args, **kwargs):
        assert target == ":memory:", f"a download must not write a file ({target})"
        return real_connect(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", memory_only)
    monkeypatch.setattr(adbc_driver_sqlite.dbapi, "connect", memory_only)
    data = store.backup_bytes(hosted)
    monkeypatch.undo()
    downloaded = tmp_path / "download.db"
    downloaded.write_bytes(data)
    in_memory = store.connect(downloaded)

    restored = [r for r in _everything(on_disk)["history"] if "restored_from" in r]
    for copy in (on_disk, in_memory):
        everything = _everything(copy)
        assert everything["history"] == sorted([*_everything(own)["history"], *restored], key=repr)
        assert {t: rows for t, rows in everything.items() if t != "history"} == {
            t: rows for t, rows in _everything(own).items() if t != "history"
        }, "every row of every table, as SQLite's own backup holds it"
        for table, _, _ in table_keys(own):
            columns = [c[1] for c in own.execute(f'PRAGMA table_info("{table}")').fetchall()]
            types = ", ".join(f'typeof("{c}")' for c in columns)
            not_the_restore = " WHERE field != 'restored_from'" if table == "history" else ""
            kinds = f'SELECT DISTINCT {types} FROM "{table}"{not_the_restore}'
            assert set(copy.execute(kinds).fetchall()) == set(own.execute(kinds).fetchall()), (
                f"{table}: each value of the type SQLite's own backup gives it (1 is an integer, not 1.0 or '1')"
            )
        schema = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != '_sqlite_migrations' ORDER BY name"
        assert copy.execute(schema).fetchall() == own.execute(schema).fetchall(), "the same schema, indexes too"
    for db in (laptop, own, hosted, on_disk, in_memory):
        db.close()


def test_a_read_ahead_hands_everything_in_order_then_the_readers_error_and_stops_a_reader_left_behind():
    from checklist.db.postgres import _ReadAhead

    def failing(hand):
        for n in range(10):
            hand(n)
        hand(_ReadAhead.END)
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    with _ReadAhead(failing) as ahead:
        assert list(ahead.table()) == list(range(10)), "more than the queue holds, in order, up to the table's end"
        with pytest.raises(psycopg.OperationalError, match="server closed"):
            ahead.take()
    reached = []

    def endless(hand):
        for n in range(10**9):
            reached.append(n)
            hand(n)

    with _ReadAhead(endless) as ahead:
        assert ahead.take() == 0
    assert ahead._thread.is_alive() is False and len(reached) < 20, "the writer left: the reader stopped too"
    assert ahead.failure is None


def test_a_backup_whose_server_has_gone_says_so_and_leaves_no_file(tmp_path, pg_server):
    address = pg_server.create(template="migrated")
    db = store.connect(address)
    store.create_system(db, "Going away", ACTOR)
    with pg_server.admin() as admin:  # the server refuses new connections to it from now on
        admin.execute(f'ALTER DATABASE "{address.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS false')
    try:
        with pytest.raises(store.StoreError) as refused:
            store.backup(db, tmp_path / "never.db")
        assert "cannot be reached" in str(refused.value), refused.value
        assert list(tmp_path.iterdir()) == [], "no backup, and no half of one"
    finally:
        with pg_server.admin() as admin:
            admin.execute(f'ALTER DATABASE "{address.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS true')
        db.close()
        postgres.close_pools()
        pg_server.drop(address.rsplit("/", 1)[1])

"""The bulk paths' seam, on both backends: many rows in one exchange (arrays or COPY on PostgreSQL, executemany on
SQLite), upserts where the last row of a key wins, writes sent together, ids reserved before their rows exist."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checklist import store, workshops
from checklist.db import (
    insert_many,
    is_postgres,
    record_rows,
    reserve_ids,
    together,
    upsert_many,
    write_transaction,
)
from checklist.db.postgres import ARRAY_ROWS
from tests.conftest import ACTOR

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
REPLACED = "\ufffd"


def _history_row(n: int, text: str = "plain") -> tuple:
    return ("2026-11-23T10:00:00+00:00", f"actor {n}", "bulk", str(n), None, None, "note", None, text)


def _bulk_history(db) -> list[tuple]:  # noqa: ANN001
    return db.execute("SELECT entity_id, new_value FROM history WHERE entity = 'bulk' ORDER BY id").fetchall()


@pytest.mark.parametrize("count", [3, ARRAY_ROWS + 700], ids=["a few rows", "more than one statement holds"])
def test_many_rows_go_in_whole_and_text_with_a_nul_is_kept_as_each_backend_keeps_it(fresh_db, count):
    rows = [_history_row(n) for n in range(count)]
    rows[1] = _history_row(1, "before\x00after")  # pasted from a program that writes NUL characters
    with write_transaction(fresh_db):
        record_rows(fresh_db, rows)
    stored = _bulk_history(fresh_db)
    assert [int(n) for n, _ in stored] == list(range(count)), "every row, once, in order"
    kept = f"before{REPLACED}after" if is_postgres(fresh_db) else "before\x00after"
    assert stored[1][1] == kept and stored[0][1] == "plain"


def test_a_bulk_insert_that_breaks_a_rule_keeps_nothing_of_its_transaction(fresh_db):
    system_id = store.create_system(fresh_db, "Ruled ICS", ACTOR)
    rows = [(system_id, f"Place {n}", "2026-11-23T10:00:00+00:00") for n in range(ARRAY_ROWS + 10)]
    rows.append(rows[0])  # the same name twice in one system: refused by the database
    with pytest.raises(Exception, match="(?i)unique"), write_transaction(fresh_db):
        record_rows(fresh_db, [_history_row(1)])
        insert_many(fresh_db, "places", ("system_id", "name", "created_at"), rows)
    assert _bulk_history(fresh_db) == [], "the history row went with the refused places"
    assert fresh_db.execute("SELECT count(*) FROM places").fetchone()[0] == 0
    with write_transaction(fresh_db):  # and the connection is usable after
        record_rows(fresh_db, [_history_row(2)])
    assert _bulk_history(fresh_db) == [("2", "plain")]


@pytest.fixture
def room(draft):
    db, aid = draft
    w = workshops.start_workshop(db, aid, ACTOR, now=T0)
    people = [workshops.join(db, w["code"], "health", now=T0)["id"] for _ in range(30)]
    items = [i.id for i in workshops.items_of(db, w)]
    return db, w, people, items


def _vote(pid: int, item: str, wid: int, level: int) -> tuple:
    return (pid, item, wid, "level", level, "2026-11-23T10:00:00+00:00")


def test_an_upsert_keeps_the_last_row_of_each_key_and_replaces_what_was_stored(room):
    db, w, people, items = room
    first = [_vote(p, i, w["id"], 1) for p in people for i in items]  # more rows than one statement takes
    assert len(first) > ARRAY_ROWS
    with write_transaction(db):
        upsert_many(db, "votes", workshops.VOTE_COLUMNS, first, key=("participant_id", "item_id"))
    again = [_vote(people[0], items[0], w["id"], 2), _vote(people[0], items[0], w["id"], 4),
             _vote(people[1], items[1], w["id"], 3)]  # fmt: skip
    with write_transaction(db):
        upsert_many(db, "votes", workshops.VOTE_COLUMNS, again, key=("participant_id", "item_id"))
    levels = {(p, i): lv for p, i, lv in db.execute("SELECT participant_id, item_id, level FROM votes").fetchall()}
    assert len(levels) == len(people) * len(items), "one vote per person and item, however often sent"
    assert levels[(people[0], items[0])] == 4, "the later of two rows with one key wins"
    assert levels[(people[1], items[1])] == 3 and levels[(people[2], items[2])] == 1


def test_writes_sent_together_are_kept_or_lost_together(room):
    db, w, people, items = room
    with write_transaction(db), together(db):
        upsert_many(db, "votes", workshops.VOTE_COLUMNS, [_vote(people[0], items[0], w["id"], 2)],
                    key=("participant_id", "item_id"))  # fmt: skip
        record_rows(db, [_history_row(1)])
    assert db.execute("SELECT count(*) FROM votes").fetchone()[0] == 1 and len(_bulk_history(db)) == 1
    with pytest.raises(Exception, match="(?i)check"), write_transaction(db), together(db):
        record_rows(db, [_history_row(2)])
        upsert_many(db, "votes", workshops.VOTE_COLUMNS, [_vote(people[1], items[0], w["id"], 9)],  # out of range
                    key=("participant_id", "item_id"))  # fmt: skip
    assert db.execute("SELECT count(*) FROM votes").fetchone()[0] == 1 and len(_bulk_history(db)) == 1


def test_reserved_ids_are_new_and_never_handed_out_twice(draft):
    db, aid = draft
    existing = store.add_action(db, aid, "referrals", ACTOR, "An action already there")
    with write_transaction(db):
        first = reserve_ids(db, "actions", 3)
        second = reserve_ids(db, "actions", 3, above=max(first))  # before the first three are written
        assert min(first) > existing and not set(first) & set(second)
        rows = [(n, aid, "referrals", f"Reserved {n}", "x", "x", "x") for n in first + second]
        insert_many(db, "actions", ("id", "assessment_id", "item_id", "description", "created_at", "created_by",
                                    "updated_at"), rows)  # fmt: skip
    later = store.add_action(db, aid, "referrals", ACTOR, "An action added after")
    assert later not in first + second, "a save after the bulk write takes an id of its own"
    assert db.execute("SELECT count(*) FROM actions").fetchone()[0] == 8


def test_a_save_whose_failed_statement_was_caught_inside_is_refused_not_quietly_dropped(pg_address):
    """PostgreSQL aborts a transaction at a failed statement (SQLite goes on): its COMMIT would quietly roll back."""
    fresh_db = store.connect(pg_address)
    with pytest.raises(store.StoreError, match="nothing of it was saved"), write_transaction(fresh_db):
        record_rows(fresh_db, [_history_row(1)])
        try:
            fresh_db.execute("SELECT no_such_column FROM history")
        except Exception:  # noqa: BLE001 - a caller that swallows the error
            pass
    assert _bulk_history(fresh_db) == []
    fresh_db.close()

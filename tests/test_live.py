"""The live room's engine: the group-commit vote writer and the room watcher, on a real database file."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from checklist import disclosure, live, store, workshops
from tests.conftest import ACTOR


@pytest.fixture
def room(db_target):
    """A database (file or server) with a draft round and a live workshop on it: (path, db, workshop)."""
    path = db_target
    db = store.connect(path)
    system_id = store.create_system(db, "Live ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "Live round", "2026-11-23", ACTOR)
    yield path, db, workshops.start_workshop(db, aid, ACTOR)
    live.close_all()
    db.close()


def test_300_voters_at_once_are_each_stored_exactly_once_in_few_transactions(room):
    path, db, w = room
    tokens = [workshops.join(db, w["code"], "health")["token"] for _ in range(300)]
    writer = live.VoteWriter(path)
    start = threading.Barrier(len(tokens))
    results: list[dict] = []

    def press(n: int) -> None:
        start.wait()
        for level in (n % 5, (n + 1) % 5):  # everyone votes, then changes their mind
            results.append(writer.cast(tokens[n], w["current_item"], level))

    threads = [threading.Thread(target=press, args=(n,)) for n in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    assert len(results) == 600 and writer.votes == 600
    assert writer.batches < 600, "concurrent votes share transactions (group commit)"
    rows = db.execute("SELECT participant_id, level FROM votes WHERE workshop_id = ?", [w["id"]]).fetchall()
    assert len(rows) == 300, "one vote per participant and item"
    by_participant = dict(rows)
    ids = db.execute("SELECT id FROM participants WHERE workshop_id = ? ORDER BY id", [w["id"]]).fetchall()
    assert [by_participant[pid] for (pid,) in ids] == [(n + 1) % 5 for n in range(300)], "the later vote wins"
    history = db.execute("SELECT count(*) FROM history WHERE entity = 'vote'").fetchone()[0]
    assert history == 600, "every vote, and every change of mind, is in the history"


def test_a_refused_vote_says_why_and_does_not_hold_up_the_others(room):
    path, db, w = room
    good = workshops.join(db, w["code"], "vcse")["token"]
    writer = live.VoteWriter(path)
    futures = [
        writer.submit(good, w["current_item"], 2),
        writer.submit("forged", w["current_item"], 2),
        writer.submit(good, "shared-vision", 2),  # not the item on screen
        writer.submit(good, w["current_item"], 9),
    ]
    assert futures[0].result(10)["level"] == 2
    with pytest.raises(workshops.WorkshopCodeError, match="not recognised"):
        futures[1].result(10)
    with pytest.raises(workshops.VoteRefused, match="moved on"):
        futures[2].result(10)
    with pytest.raises(workshops.VoteRefused, match="out of range"):
        futures[3].result(10)
    writer.close()
    assert workshops.my_votes(db, good) == {w["current_item"]: 2}


def recording() -> tuple[list[live.RoomState], threading.Event, Callable[[live.RoomState], None]]:
    """A room listener that keeps every state it is told, and an event set at each."""
    seen: list[live.RoomState] = []
    changed = threading.Event()

    def listener(state: live.RoomState) -> None:
        seen.append(state)
        changed.set()

    return seen, changed, listener


def test_the_watcher_tells_listeners_when_the_item_changes_or_a_vote_arrives(room, monkeypatch):
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, "1")  # every sector shown (folding: tests/test_disclosure.py)
    path, db, w = room
    watcher = live.RoomWatcher(path, interval=0.05)
    seen, changed, listener = recording()

    first = watcher.state(w["id"])
    assert (first.current_item, first.joined, first.votes, first.status) == ("governance", 0, 0, "open")
    watcher.watch(w["id"], listener)
    workshops.set_current_item(db, w["id"], "shared-vision", ACTOR)
    assert changed.wait(10)
    assert seen[-1].current_item == "shared-vision" and seen[-1].version > first.version
    changed.clear()
    token = workshops.join(db, w["code"], "sport")["token"]
    workshops.cast_vote(db, token, "shared-vision", 3)
    assert changed.wait(10)
    while seen[-1].votes < 1:
        changed.clear()
        assert changed.wait(10)
    latest = seen[-1]
    assert (latest.joined, latest.votes) == (1, 1)
    assert "rows" not in latest.presenter() and "votes" not in latest.public(), "nothing shows before the reveal"
    workshops.set_revealed(db, w["id"], True, ACTOR)
    while "rows" not in seen[-1].presenter():
        changed.clear()
        assert changed.wait(10)
    assert seen[-1].presenter()["rows"] == [{"sector": "Sport, physical activity and leisure",
                                            "answer": "3 · Maturing", "votes": 1}]  # fmt: skip
    versions = [s.version for s in seen]
    assert versions == sorted(set(versions)), "each change has a newer version"
    watcher.close()


def test_the_watcher_sees_a_workshop_close(room):
    path, db, w = room
    watcher = live.RoomWatcher(path, interval=0.05)
    closed = threading.Event()
    watcher.watch(w["id"], lambda s: closed.set() if s.status == "closed" else None)
    workshops.close_workshop(db, w["id"], ACTOR)
    assert closed.wait(10)
    watcher.close()

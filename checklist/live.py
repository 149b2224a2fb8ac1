"""The live room: a group-commit vote writer and a watcher that tells listeners when a room changes.

Both run on their own threads with their own SQLite connections, so any number of web requests can
use them without touching the database themselves:

- `VoteWriter` takes votes from many callers at once and stores whatever has queued up in one
  transaction (a group commit). A vote is acknowledged (its future resolves) only after the
  transaction holding it has committed, with `synchronous = FULL`, so an acknowledged vote survives
  a killed process and a power cut as far as the disk honours fsync.
- `RoomWatcher` notices any commit to the database (by this process or another one sharing the file)
  through SQLite's `PRAGMA data_version`, re-reads only the rooms someone is watching, and calls their
  listeners with the new `RoomState` when something a room shows has changed: the item on screen,
  whether results are revealed, open or closed, how many have joined, the votes on the item.

One `LiveRoom` per database file holds both (`live_room(path)`); the web layer starts it when the
server starts and stops it when the server stops.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from checklist import clock, consensus, disclosure, store, workshops
from checklist.db import DRIVER_ERRORS, canonical, change_token, durable_commits

_LOG = logging.getLogger(__name__)
MAX_BATCH = 2000
POLL_SECONDS = 0.25
_STOP = object()


@dataclass(frozen=True)
class RoomState:
    """What a live room shows right now. `version` grows by one with every change anyone could see."""

    workshop_id: int
    version: int
    status: str  # open, closed or expired
    mode: str
    code: str
    current_item: str | None
    revealed: bool
    joined: int
    votes: int  # on the current item
    item_started_at: str | None = None
    tally: consensus.Tally | None = field(default=None, compare=False)
    expires_at: str = field(default="", compare=False)
    sector_sizes: tuple[tuple[str, int], ...] = ()  # people of each sector in the room (who joined)

    def public(self) -> dict[str, Any]:
        """What every participant may know: never the votes."""
        return {"v": self.version, "status": self.status, "item": self.current_item}

    def presenter(self) -> dict[str, Any]:
        """What the facilitator's screen shows: counts always, the distribution once revealed."""
        data: dict[str, Any] = {
            "v": self.version,
            "status": self.status,
            "item": self.current_item,
            "joined": self.joined,
            "votes": self.votes,
            "revealed": self.revealed,
            "since": self.item_started_at,
        }
        if self.revealed and self.tally is not None:
            # Shown on a shared screen: a sector with too few people in the room is counted with others.
            shown = consensus.fold_sectors(self.tally, dict(self.sector_sizes), disclosure.min_group())
            data["rows"] = consensus.tally_rows(shown)
            data["summary"] = shown.describe()
        return data

    def _content(self) -> tuple:
        t = self.tally
        tally = None if t is None else (t.counts, t.dont_know, dict(t.by_sector), dict(t.sector_dont_know))
        return (self.status, self.current_item, self.item_started_at, self.revealed, self.joined, self.votes, tally)


def read_room(db: sqlite_utils.Database, workshop_id: int, version: int = 0) -> RoomState:
    """A room's state straight from the database (a few indexed reads of that workshop's rows)."""
    workshop = workshops.get_workshop(db, workshop_id)
    item = workshop["current_item"]
    tally = workshops.item_tally(db, workshop_id, item) if item else None
    sizes = tuple(sorted(workshops.sector_sizes(db, workshop_id).items()))
    return RoomState(
        workshop_id=workshop_id,
        version=version,
        status=workshops.state(workshop, clock.now()),
        mode=workshop["mode"],
        code=workshop["code"],
        current_item=item,
        revealed=workshop["revealed"],
        joined=sum(n for _, n in sizes),
        sector_sizes=sizes,
        votes=0 if tally is None else tally.votes,
        item_started_at=workshop["item_started_at"],
        tally=tally,
        expires_at=workshop["expires_at"],
    )


class VoteWriter:
    """Stores votes from many callers in as few transactions as possible; acknowledges each after commit."""

    def __init__(self, path: str | Path, on_commit: Callable[[set[int]], None] | None = None) -> None:
        self.path = str(path)
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="vote-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        self.batches = 0
        self.votes = 0

    def submit(self, token: str, item_id: str, level: int | None) -> Future:
        """Queue one vote; the future gives the stored vote, or the StoreError saying why it was refused."""
        if not self._thread.is_alive():
            raise store.StoreError("the vote writer has stopped; restart the server")
        future: Future = Future()
        self._queue.put((workshops.VoteRequest(token, item_id, level), future))
        return future

    def cast(self, token: str, item_id: str, level: int | None, timeout: float = 30.0) -> dict[str, Any]:
        """Vote and wait until it is committed (raises the StoreError of a refused vote)."""
        return self.submit(token, item_id, level).result(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            db = store.connect(self.path, apply_migrations=False)
            durable_commits(db)
        except BaseException as exc:  # reported to the constructor's caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stopping = False
                while len(batch) < MAX_BATCH:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        stopping = True
                        break
                    batch.append(more)
                self._commit(db, batch)
                if stopping:
                    return
        finally:
            db.close()

    def _commit(self, db: sqlite_utils.Database, batch: list) -> None:
        try:
            results = workshops.cast_votes(db, [request for request, _ in batch])
        except Exception as exc:  # nothing was committed: every caller hears why
            for _, future in batch:
                future.set_exception(store.StoreError(f"the vote could not be saved ({exc}); please vote again"))
            return
        self.batches += 1
        changed = set()
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                self.votes += 1
                changed.add(result["workshop_id"])
                future.set_result(result)
        if changed and self._on_commit is not None:
            self._on_commit(changed)


Listener = Callable[[RoomState], None]


class RoomWatcher:
    """Calls each room's listeners with its new state whenever something the room shows changes."""

    def __init__(self, path: str | Path, interval: float = POLL_SECONDS) -> None:
        self.path = str(path)
        self.interval = interval
        self._lock = threading.Lock()
        self._listeners: dict[int, list[Listener]] = {}
        self._states: dict[int, RoomState] = {}
        self._new: set[int] = set()  # rooms watched since the last look: read them whatever the version
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="room-watcher", daemon=True)
        self._thread.start()

    def watch(self, workshop_id: int, listener: Listener) -> Callable[[], None]:
        """Listen to a room; returns the function that stops listening."""
        with self._lock:
            self._listeners.setdefault(workshop_id, []).append(listener)
            self._new.add(workshop_id)
        self._wake.set()

        def unwatch() -> None:
            with self._lock:
                listeners = self._listeners.get(workshop_id, [])
                if listener in listeners:
                    listeners.remove(listener)
                if not listeners:
                    self._listeners.pop(workshop_id, None)

        return unwatch

    def state(self, workshop_id: int) -> RoomState:
        """The room's latest state: kept up to date while someone watches it, read afresh otherwise."""
        with self._lock:
            known = self._states.get(workshop_id)
            current = known is not None and workshop_id in self._listeners and workshop_id not in self._new
        if current:
            return known
        db = store.connect(self.path, apply_migrations=False)
        try:
            fresh = read_room(db, workshop_id)
        finally:
            db.close()
        return self._publish(workshop_id, fresh)

    def _keep(self, workshop_id: int, fresh: RoomState) -> tuple[RoomState, bool]:
        """Store a fresh reading (holding the lock): the kept state, and whether it changed."""
        old = self._states.get(workshop_id)
        if old is not None and old._content() == fresh._content():
            return old, False
        state = replace(fresh, version=(old.version if old else 0) + 1)
        self._states[workshop_id] = state
        return state, True

    def poke(self, workshop_ids: set[int] | None = None) -> None:
        """Look again now (a write in this process has just committed) instead of at the next tick."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        db = store.connect(self.path, apply_migrations=False)
        seen = None
        try:
            while not self._stop.is_set():
                self._wake.wait(self.interval)
                self._wake.clear()
                if self._stop.is_set():
                    return
                with self._lock:
                    watched = list(self._listeners)
                    new, self._new = self._new, set()
                if not watched:
                    continue
                try:
                    version = change_token(db)
                    # A commit by any other connection changes the token; expiry changes with time alone.
                    if version != seen or self._any_expiring(watched):
                        seen = version
                        new = set(watched)
                    for workshop_id in new:
                        self._refresh(db, workshop_id)
                except (store.StoreError, *DRIVER_ERRORS):  # a locked or busy file, a server gone a moment: look again
                    _LOG.warning("the room watcher could not read the database; trying again", exc_info=True)
                    seen = None
        finally:
            db.close()

    def _any_expiring(self, watched: list[int]) -> bool:
        moment = clock.now().isoformat(timespec="microseconds")
        with self._lock:
            return any(
                (s := self._states.get(w)) is not None and s.status == workshops.OPEN and moment > s.expires_at
                for w in watched
            )

    def _refresh(self, db: sqlite_utils.Database, workshop_id: int) -> None:
        try:
            fresh = read_room(db, workshop_id)
        except store.StoreError:
            return
        self._publish(workshop_id, fresh)

    def _publish(self, workshop_id: int, fresh: RoomState) -> RoomState:
        """Keep a fresh reading and, if anything shown changed, tell the room's listeners."""
        with self._lock:
            state, changed = self._keep(workshop_id, fresh)
            listeners = list(self._listeners.get(workshop_id, [])) if changed else []
        for listener in listeners:
            try:
                listener(state)
            except Exception:  # one listener's failure (say, a closed event loop) must not stop the room
                _LOG.exception("a room listener failed")
        return state


@dataclass
class LiveRoom:
    """The vote writer and the room watcher of one database file."""

    path: str
    watcher: RoomWatcher
    writer: VoteWriter

    def close(self) -> None:
        self.writer.close()
        self.watcher.close()


_ROOMS: dict[str, LiveRoom] = {}
_ROOMS_GIVEN: dict[str, LiveRoom] = {}  # the same rooms by the path or address as callers give it
_ROOMS_LOCK = threading.Lock()


def live_room(path: str | Path) -> LiveRoom:
    """The one LiveRoom of this database file in this process (started on first use)."""
    given = str(path)
    room = _ROOMS_GIVEN.get(given)  # every vote asks: an absolute path or an address is looked up as given,
    if room is not None:  # not resolved on the disk each time
        return room
    key = canonical(path)
    with _ROOMS_LOCK:
        room = _ROOMS.get(key)
        if room is None:
            store.connect(key).close()  # schema up to date before the threads open their connections
            watcher = RoomWatcher(key)
            room = _ROOMS[key] = LiveRoom(key, watcher, VoteWriter(key, on_commit=watcher.poke))
        if Path(given).is_absolute() or key == given:  # a relative path may mean another file after a chdir
            _ROOMS_GIVEN[given] = room
        return room


def close_all() -> None:
    with _ROOMS_LOCK:
        rooms = list(_ROOMS.values())
        _ROOMS.clear()
        _ROOMS_GIVEN.clear()
    for room in rooms:
        room.close()


def nudge(path: str | Path) -> None:
    """Tell this process's room watcher (if it runs) that a workshop changed, so rooms hear at once."""
    room = _ROOMS.get(canonical(path))
    if room is not None:
        room.watcher.poke()

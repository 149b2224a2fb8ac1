"""Workshops: a facilitator gathers a room's votes on each item and records the level it agrees.

Two kinds:
- live: the facilitator shows one item at a time; participants vote on that item from their own
  devices, by a join code. The level the room agrees becomes the assessment's answer.
- independent: respondents answer every item on their own before a workshop, by a code the lead
  sends; a live workshop seeded from those answers spends its time on the split items.

No account is needed to vote: joining gives a participant a secret token, and a vote is accepted
only with a token of an open, unexpired workshop, for an item of its assessment. A participant has
exactly one vote per item (voting again replaces it). Every write records who made it in history.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import segno
import sqlite_utils

from checklist import access, clock, consensus, disclosure, formatting, local_items, store
from checklist.clock import iso_now
from checklist.consensus import SECTORS, Tally, answer_label
from checklist.db import (
    dialect,
    encode,
    insert_many,
    insert_row,
    query_frame,
    query_row,
    record,
    record_rows,
    together,
    upsert_many,
    write_transaction,
)
from checklist.framework import framework_for
from checklist.scoring import DONT_KNOW, LEVEL
from checklist.store import StoreError, authorise

LIVE = "live"
VOTE_COLUMNS = ("participant_id", "item_id", "workshop_id", "answer", "level", "cast_at")
INDEPENDENT = "independent"
MODES = (LIVE, INDEPENDENT)
OPEN = "open"
CLOSED = "closed"
NOTE_KINDS = {"note": "Note", "quote": "Quote", "parking": "Parking lot"}
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read off a screen
CODE_LENGTH = 6
LIFETIME = {LIVE: timedelta(hours=12), INDEPENDENT: timedelta(days=21)}
MAX_NAME = 60
MAX_NOTE = 2000
# A server's word on who is in its rooms counts while it is this fresh (servers write every few seconds); rows
# older than PRESENCE_SWEEP_SECONDS (a server that stopped) are removed by whichever server writes next.
PRESENCE_FRESH_SECONDS = 15
PRESENCE_SWEEP_SECONDS = 300


class WorkshopCodeError(StoreError):
    """A join code or participant link that does not (or no longer) lead to an open workshop."""


class VoteRefused(StoreError):
    pass


def _when(now: datetime | None) -> datetime:
    return now or clock.now()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _new_code(db: sqlite_utils.Database) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not query_row(db, "SELECT id FROM workshops WHERE code = ? AND status = 'open'", [code]):
            return code


PUBLIC_URL_VAR = "CHECKLIST_PUBLIC_URL"  # the address people's phones should open, when it is not the page's own


def phones_join_at(page_url: str, code: str) -> str:
    """The address phones open to join this code, the same on the Workshop page and the presenter screen:
    CHECKLIST_PUBLIC_URL's when set, else the app's address as the page showing it was opened at."""
    return join_link(os.environ.get(PUBLIC_URL_VAR) or base_url(page_url), code)


def join_link(base_url: str, code: str) -> str:
    """The address a participant opens to join: the app's address, the join page, and the code."""
    return f"{base_url.rstrip('/')}/join?code={code}"


def base_url(page_url: str) -> str:
    """The app's address from the address of any of its pages (scheme, host, port)."""
    parts = urlsplit(page_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def is_local_only(url: str) -> bool:
    """True when the address only works on this computer, so phones in the room cannot reach it."""
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def qr_png(url: str, scale: int = 10) -> bytes:
    """A QR code of the join address as PNG, made here (no web service)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


# --- workshops ----------------------------------------------------------------------------


def get_workshop(db: sqlite_utils.Database, workshop_id: int) -> dict[str, Any]:
    row = query_row(db, "SELECT * FROM workshops WHERE id = ?", [workshop_id])
    if row is None:
        raise store.NotFoundError(f"no workshop with id {workshop_id}")
    row["revealed"] = bool(row["revealed"])
    return row


def items_of(db: sqlite_utils.Database, workshop: Mapping[str, Any]) -> list:
    """The framework items the workshop's assessment covers, in framework order."""
    assessment = store.get_assessment(db, workshop["assessment_id"])
    return list(store.framework_of(assessment).items_of(assessment))


def start_workshop(
    db: sqlite_utils.Database,
    assessment_id: int,
    actor: str,
    mode: str = LIVE,
    seeded_from: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Open a workshop on a draft assessment; returns it, with its join code."""
    actor = authorise(db, actor, access.RUN_WORKSHOP, assessment_id=assessment_id, what="run a workshop here")
    if mode not in MODES:
        raise StoreError(f"workshop kind {mode!r} is not one of {', '.join(MODES)}")
    assessment = store.get_assessment(db, assessment_id)
    if assessment["status"] != store.DRAFT:
        raise store.LockedError(
            f"{assessment['unit_name']} · {assessment['round_label']} is submitted; reopen it before "
            "running a workshop on it, since the levels a workshop agrees are saved as its answers"
        )
    if seeded_from is not None:
        seed = get_workshop(db, seeded_from)
        if seed["assessment_id"] != assessment_id or seed["mode"] != INDEPENDENT:
            raise StoreError(
                f"workshop {seeded_from} did not collect answers for this assessment; a workshop can "
                "start from answers collected beforehand for the same assessment only"
            )
        if mode != LIVE:
            raise StoreError("only a live workshop can start from answers collected beforehand")
    moment = _when(now)
    first_item = items_of(db, {"assessment_id": assessment_id})[0].id if mode == LIVE else None
    with write_transaction(db):
        code = _new_code(db)
        workshop_id = insert_row(
            db,
            "workshops",
            {
                "assessment_id": assessment_id,
                "code": code,
                "mode": mode,
                "seeded_from": seeded_from,
                "status": OPEN,
                "current_item": first_item,
                "item_started_at": _iso(moment) if first_item else None,
                "revealed": 0,
                "expires_at": _iso(moment + LIFETIME[mode]),
                "created_at": _iso(moment),
                "created_by": actor,
            },
        )
        record(db, actor, "workshop", workshop_id, "started", None, {"code": code, "mode": mode},
               assessment_id=assessment_id)  # fmt: skip
        if seeded_from is not None:
            # The answers beforehand are what the room now works from: stop them changing under it
            # (reopening the collection is still possible).
            close_workshop(db, seeded_from, actor, now=moment)
    return get_workshop(db, int(workshop_id))


def presenter_key(db: sqlite_utils.Database, workshop_id: int) -> str:
    """The secret that lets the facilitator's screen follow the room's live tally (made on first use)."""
    key = get_workshop(db, workshop_id).get("presenter_key")
    if key:
        return key
    with write_transaction(db):
        db.execute(
            "UPDATE workshops SET presenter_key = ? WHERE id = ? AND presenter_key IS NULL",
            [secrets.token_urlsafe(18), workshop_id],
        )
    return get_workshop(db, workshop_id)["presenter_key"]


def workshop_for_presenter(db: sqlite_utils.Database, workshop_id: int, key: str) -> dict[str, Any]:
    """The workshop, if `key` is its presenter key (compared in constant time)."""
    workshop = get_workshop(db, workshop_id)
    if not key or not workshop.get("presenter_key") or not secrets.compare_digest(workshop["presenter_key"], key):
        raise WorkshopCodeError("this presenter link is not valid for that workshop")
    return workshop


def list_workshops(db: sqlite_utils.Database, assessment_id: int) -> pd.DataFrame:
    """One assessment's workshops, newest first, with how many joined and voted."""
    return query_frame(
        db,
        """SELECT w.id, w.code, w.mode, w.status, w.seeded_from, w.created_at, w.closed_at, w.expires_at,
                  (SELECT count(*) FROM participants p WHERE p.workshop_id = w.id) AS participants,
                  (SELECT count(*) FROM votes v WHERE v.workshop_id = w.id) AS votes,
                  (SELECT count(*) FROM agreements g WHERE g.workshop_id = w.id) AS agreed
           FROM workshops w WHERE w.assessment_id = ? ORDER BY w.id DESC""",
        [assessment_id],
    )


EXPIRED = "expired"


def state(workshop: Mapping[str, Any], now: datetime | None = None) -> str:
    """open, closed (by its facilitator) or expired (its lifetime ran out): only an open one takes votes."""
    if workshop["status"] == CLOSED:
        return CLOSED
    return EXPIRED if _iso(_when(now)) > workshop["expires_at"] else OPEN


def _ensure_open(workshop: Mapping[str, Any], now: datetime | None = None) -> None:
    if workshop["status"] != OPEN:
        raise WorkshopCodeError(
            f"workshop {workshop['code']} has been closed by its facilitator and no longer takes votes"
        )
    if _iso(_when(now)) > workshop["expires_at"]:
        raise WorkshopCodeError(
            f"workshop {workshop['code']} expired at {workshop['expires_at'][:16].replace('T', ' ')} UTC; "
            "ask the facilitator for a new code"
        )


def workshop_by_code(db: sqlite_utils.Database, code: str, now: datetime | None = None) -> dict[str, Any]:
    """The open workshop with this join code, or a clear reason why there is none."""
    wanted = normalise_code(code)
    if len(wanted) != CODE_LENGTH:
        raise WorkshopCodeError(
            f"{code.strip()!r} is not a workshop code; expected the {CODE_LENGTH} letters and numbers "
            "shown on the facilitator's screen"
        )
    row = query_row(db, "SELECT id FROM workshops WHERE code = ? ORDER BY status = 'open' DESC, id DESC", [wanted])
    if row is None:
        raise WorkshopCodeError(
            f"no workshop has the code {wanted}; check it against the facilitator's screen "
            f"({CODE_LENGTH} letters and numbers)"
        )
    workshop = get_workshop(db, row["id"])
    _ensure_open(workshop, now)
    return workshop


# Changes history does not list: the timer restarts with every move (the move is listed), and the presenter key
# is a secret (history is shown and exported; a key in it would let a reader drive the room).
_UNRECORDED = frozenset({"item_started_at", "presenter_key"})


def _set(db: sqlite_utils.Database, workshop_id: int, actor: str, **changes: Any) -> None:
    old = get_workshop(db, workshop_id)
    actor = authorise(db, actor, access.RUN_WORKSHOP, assessment_id=old["assessment_id"], what="run this workshop")
    assignments = ", ".join(f"{key} = ?" for key in changes)  # keys come from this module, never from input
    with write_transaction(db):
        # One statement, so a reopened workshop takes its new code and its open status together.
        db.execute(f"UPDATE workshops SET {assignments} WHERE id = ?", [*changes.values(), workshop_id])
        for key, value in changes.items():
            before = int(old[key]) if key == "revealed" else old[key]
            if before != value and key not in _UNRECORDED:
                record(db, actor, "workshop", workshop_id, key, before, value, assessment_id=old["assessment_id"])


def set_current_item(
    db: sqlite_utils.Database, workshop_id: int, item_id: str, actor: str, now: datetime | None = None
) -> None:
    """Move the room to another item: results are hidden again and the item's timer starts."""
    workshop = get_workshop(db, workshop_id)
    ids = [i.id for i in items_of(db, workshop)]
    if item_id not in ids:
        raise StoreError(f"unknown item id {item_id!r} for this workshop; expected one of: {', '.join(ids)}")
    if workshop["mode"] != LIVE:
        raise StoreError("answers collected beforehand have no current item; respondents answer in any order")
    if workshop["current_item"] == item_id:
        return
    _set(db, workshop_id, actor, current_item=item_id, item_started_at=_iso(_when(now)), revealed=0)


def restart_timer(db: sqlite_utils.Database, workshop_id: int, actor: str, now: datetime | None = None) -> None:
    _set(db, workshop_id, actor, item_started_at=_iso(_when(now)))


def set_revealed(db: sqlite_utils.Database, workshop_id: int, revealed: bool, actor: str) -> None:
    _set(db, workshop_id, actor, revealed=int(bool(revealed)))


def step_item(db: sqlite_utils.Database, workshop_id: int, step: int, actor: str, now: datetime | None = None) -> str:
    """Move the room `step` items on (back when negative), stopping at the first and last; returns the item shown."""
    workshop = get_workshop(db, workshop_id)
    ids = [i.id for i in items_of(db, workshop)]
    here = ids.index(workshop["current_item"]) if workshop["current_item"] in ids else 0
    target = ids[max(0, min(len(ids) - 1, here + step))]
    set_current_item(db, workshop_id, target, actor, now)
    return target


# Who history names for a change made from the projected presenter screen: its key is the permission.
PRESENTER_SCREEN = "Presenter screen"
SCREEN_ACTIONS = ("previous", "next", "reveal", "hide")


def screen_control(
    db: sqlite_utils.Database, workshop_id: int, key: str, action: str, now: datetime | None = None
) -> dict[str, Any]:
    """One press on the presenter screen (Previous, Next, Reveal, Hide), allowed by the workshop's presenter key.

    The key is shown only to people who may run the workshop, so whoever holds it may do what its
    screen offers: move the room between items and show or hide the results. Returns the workshop.
    """
    if action not in SCREEN_ACTIONS:
        raise StoreError(f"unknown presenter action {action[:20]!r}; expected one of: {', '.join(SCREEN_ACTIONS)}")
    workshop = workshop_for_presenter(db, workshop_id, key)
    _ensure_open(workshop, now)
    if action in ("previous", "next"):
        step_item(db, workshop_id, -1 if action == "previous" else 1, PRESENTER_SCREEN, now)
    else:
        set_revealed(db, workshop_id, action == "reveal", PRESENTER_SCREEN)
    return get_workshop(db, workshop_id)


def close_workshop(db: sqlite_utils.Database, workshop_id: int, actor: str, now: datetime | None = None) -> None:
    """Stop taking votes; the code no longer works. Reversible with reopen_workshop."""
    if get_workshop(db, workshop_id)["status"] == CLOSED:
        return
    _set(db, workshop_id, actor, status=CLOSED, closed_at=_iso(_when(now)))


def reopen_workshop(db: sqlite_utils.Database, workshop_id: int, actor: str, now: datetime | None = None) -> str:
    """Take votes again (for a fresh lifetime). Returns the code, which changes if another open workshop took it.

    The presenter key is replaced: a key shown before the workshop closed (on a screen, in a browser's history,
    in a proxy's log) no longer drives the room. The Workshop page fetches the new one with `presenter_key`.
    """
    workshop = get_workshop(db, workshop_id)
    moment = _when(now)
    if workshop["status"] == OPEN and _iso(moment) <= workshop["expires_at"]:
        return workshop["code"]
    clash = query_row(db, "SELECT id FROM workshops WHERE code = ? AND status = 'open' AND id != ?",
                      [workshop["code"], workshop_id])  # fmt: skip
    code = _new_code(db) if clash else workshop["code"]
    _set(db, workshop_id, actor, status=OPEN, closed_at=None, code=code,
         expires_at=_iso(moment + LIFETIME[workshop["mode"]]), presenter_key=secrets.token_urlsafe(18))  # fmt: skip
    return code


# --- participants and votes -----------------------------------------------------------------


def join(
    db: sqlite_utils.Database,
    code: str,
    sector: str,
    name: str = "",
    now: datetime | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Join the open workshop with this code; returns the participant, with the secret token to vote with.

    `token` is the pass the device already holds, if any: a device that joined this workshop before rejoins as
    the same participant (same token, sector and name), so keeping its cookies never makes it a second voter.
    """
    if token:
        held = query_row(db, "SELECT workshop_id FROM participants WHERE token = ?", [token])
        if held is not None and held["workshop_id"] == workshop_by_code(db, code, now)["id"]:
            return participant(db, token, now)
    if sector not in SECTORS:
        raise StoreError(f"sector {sector!r} is not one of: {', '.join(SECTORS.values())}")
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME:
        raise StoreError(f"that name is {len(name)} characters long; expected at most {MAX_NAME}")
    workshop = workshop_by_code(db, code, now)
    token = secrets.token_urlsafe(16)
    moment = _iso(_when(now))
    with write_transaction(db):
        participant_id = (
            insert_row(
                db,
                "participants",
                {"workshop_id": workshop["id"], "token": token, "name": name, "sector": sector, "joined_at": moment},
            )  # fmt: skip
        )
        record(db, _participant_actor(participant_id, name, sector), "participant", participant_id, "joined",
               None, {"workshop": workshop["code"], "sector": sector},
               assessment_id=workshop["assessment_id"])  # fmt: skip
    return participant(db, token, now)


def _participant_actor(participant_id: int, name: str, sector: str) -> str:
    """How history names a participant: by number and sector, never by name (names are forgotten later)."""
    return f"participant {participant_id} ({SECTORS[sector]})"


def participant(db: sqlite_utils.Database, token: str, now: datetime | None = None) -> dict[str, Any]:
    """The participant a token belongs to, with their workshop; refused once the workshop is closed."""
    row = query_row(db, "SELECT * FROM participants WHERE token = ?", [token or ""])
    if row is None:
        raise WorkshopCodeError(
            "this voting link is not recognised; join again with the code on the facilitator's screen"
        )
    row["workshop"] = workshop = get_workshop(db, row["workshop_id"])
    _ensure_open(workshop, now)
    return row


def workshop_for_token(db: sqlite_utils.Database, token: str) -> dict[str, Any] | None:
    """The workshop a participant link belongs to, open or not (None for an unknown link)."""
    row = query_row(db, "SELECT workshop_id FROM participants WHERE token = ?", [token or ""])
    return None if row is None else get_workshop(db, row["workshop_id"])


@dataclass(frozen=True)
class VoteRequest:
    """One participant's vote as it arrives: their token, the item, a level 0-4 or None for don't know."""

    token: str
    item_id: str
    level: int | None


def cast_vote(
    db: sqlite_utils.Database, token: str, item_id: str, level: int | None, now: datetime | None = None
) -> dict[str, Any]:
    """Record (or replace) a participant's vote on one item: a level 0-4, or None for don't know."""
    result = cast_votes(db, [VoteRequest(token, item_id, level)], now)[0]
    if isinstance(result, Exception):
        raise result
    return result


def cast_votes(
    db: sqlite_utils.Database, requests: Sequence[VoteRequest], now: datetime | None = None
) -> list[dict[str, Any] | StoreError]:
    """Record many votes in one transaction (a group commit): one result per request, in order.

    Each vote is checked on its own (token of an open workshop, item of its assessment, the room's
    current item read inside the write lock, level in range); a refused vote is returned as its
    StoreError and changes nothing, while the others are stored. Nothing is stored if the
    transaction fails. The batch is read and written in bulk (a few statements whatever its size), so a
    database across a network costs a few round trips per batch, not several per vote.
    """
    moment = _iso(_when(now))
    results: list[dict[str, Any] | StoreError | None] = [None] * len(requests)
    with write_transaction(db):
        # Read inside the write lock, so a vote never lands on an item the room has left.
        tokens = sorted({r.token or "" for r in requests})
        asked = {r.item_id for r in requests if isinstance(r.item_id, str)}  # anything else is refused below
        voters, rooms, item_ids, earlier = _voters_of(db, tokens, asked)
        accepted: list[tuple[int, dict[str, Any], str, int | None]] = []
        for n, request in enumerate(requests):
            try:
                voter = _checked_vote(request, voters, rooms, item_ids, now)
            except StoreError as exc:
                results[n] = exc
                continue
            accepted.append((n, voter, request.item_id, request.level))
        votes, changes = [], []
        for n, voter, item_id, level in accepted:
            workshop = rooms[voter["workshop_id"]]
            answer = LEVEL if level is not None else DONT_KNOW
            old = earlier.get((voter["id"], item_id))
            earlier[(voter["id"], item_id)] = (answer, level)  # a second vote in the batch replaces the first
            votes.append((voter["id"], item_id, workshop["id"], answer, level, moment))
            changes.append((moment, _participant_actor(voter["id"], voter["name"], voter["sector"]), "vote",
                            f"{workshop['id']}:{voter['id']}:{item_id}", workshop["assessment_id"], item_id, "level",
                            encode(None if old is None else (old[1] if old[0] == LEVEL else DONT_KNOW)),
                            encode(level if level is not None else DONT_KNOW)))  # fmt: skip
            results[n] = {"workshop_id": workshop["id"], "item_id": item_id, "answer": answer, "level": level,
                          "cast_at": moment, "replaced": old is not None}  # fmt: skip
        if votes:
            with together(db):  # one round trip to a database server for both
                upsert_many(db, "votes", VOTE_COLUMNS, votes, key=("participant_id", "item_id"))
                record_rows(db, changes)
    return [r for r in results if r is not None]


_VOTERS = """SELECT p.id AS p_id, p.token AS p_token, p.name AS p_name, p.sector AS p_sector,
                     v.item_id AS v_item_id, v.answer AS v_answer, v.level AS v_level,
                     a.framework_version AS a_framework_version, a.include_workforce AS a_include_workforce,
                     a.include_enablers AS a_include_enablers, a.local_module_id AS a_local_module_id, w.*
              FROM participants p JOIN workshops w ON w.id = p.workshop_id JOIN assessments a ON a.id = w.assessment_id
              LEFT JOIN votes v ON v.participant_id = p.id AND v.item_id IN (SELECT value FROM ({items}) AS i)
              WHERE p.token IN (SELECT value FROM ({tokens}) AS t)"""


def _voters_of(db: sqlite_utils.Database, tokens: Sequence[str], item_ids: set[str]) -> tuple[
    dict[str, dict[str, Any]], dict[int, dict[str, Any]], dict[int, tuple[str, ...]],
    dict[tuple[int, str], tuple[str, int | None]],
]:  # fmt: skip
    """What a batch of votes is checked against, in one query (the same statement whatever the batch's size, so a
    server plans it once): the participants these tokens belong to (unknown tokens are left out), their workshops,
    each workshop's item ids, and the participants' votes so far on the items voted on, (participant, item) ->
    (answer, level)."""
    voters: dict[str, dict[str, Any]] = {}
    rooms: dict[int, dict[str, Any]] = {}
    items_of_room: dict[int, tuple[str, ...]] = {}
    earlier: dict[tuple[int, str], tuple[str, int | None]] = {}
    local_of_room: dict[int, int] = {}
    rows_of = dialect(db).rows_of
    cursor = db.execute(
        _VOTERS.format(items=rows_of(":items"), tokens=rows_of(":tokens")),
        {"items": json.dumps(sorted(item_ids)), "tokens": json.dumps(list(tokens))},
    )
    columns = [c[0] for c in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        if row["id"] not in rooms:
            fw = framework_for(row["a_framework_version"])
            items_of_room[row["id"]] = tuple(
                i.id for i in fw.items_for(bool(row["a_include_workforce"]), bool(row["a_include_enablers"]))
            )
            room = {k: v for k, v in row.items() if not k.startswith(("p_", "v_", "a_"))}
            room["revealed"] = bool(room["revealed"])
            rooms[room["id"]] = room
            if row["a_local_module_id"] is not None:
                local_of_room[room["id"]] = int(row["a_local_module_id"])
        voters[row["p_token"]] = {"id": row["p_id"], "workshop_id": row["id"], "token": row["p_token"],
                                  "name": row["p_name"], "sector": row["p_sector"]}  # fmt: skip
        if row["v_item_id"] is not None:
            earlier[(row["p_id"], row["v_item_id"])] = (row["v_answer"], row["v_level"])
    if local_of_room:  # rooms whose round includes the system's own items: one more read, for those only
        local_ids = sorted(set(local_of_room.values()))
        found = db.execute(
            f"SELECT id, items FROM local_modules WHERE id IN ({', '.join('?' * len(local_ids))})", local_ids
        ).fetchall()
        local_items_of = {
            int(i): tuple(item.id for item in local_items.from_json("", "", text).items) for i, text in found
        }
        for room_id, local_id in local_of_room.items():
            items_of_room[room_id] += local_items_of.get(local_id, ())
    return voters, rooms, items_of_room, earlier


def _checked_vote(
    request: VoteRequest,
    voters: Mapping[str, dict[str, Any]],
    rooms: Mapping[int, dict[str, Any]],
    item_ids: Mapping[int, tuple[str, ...]],
    now: datetime | None,
) -> dict[str, Any]:
    """The voter, once the vote is known to count: a known token of an open workshop, an item of its assessment
    (the one on screen, in a live room), a level in range. Otherwise the StoreError saying why not."""
    voter = voters.get(request.token or "")
    if voter is None:
        raise WorkshopCodeError(
            "this voting link is not recognised; join again with the code on the facilitator's screen"
        )
    workshop = rooms[voter["workshop_id"]]
    _ensure_open(workshop, now)
    item_id, level = request.item_id, request.level
    ids = item_ids[workshop["id"]]
    if item_id not in ids:
        raise VoteRefused(f"unknown item id {item_id!r} for this workshop; expected one of: {', '.join(ids)}")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4):
        raise VoteRefused(f"level {level!r} is out of range; expected a whole number from 0 to 4, or don't know")
    if workshop["mode"] == LIVE and workshop["current_item"] != item_id:
        raise VoteRefused(
            f"the room has moved on to another item, so this vote on {item_id} was not counted; "
            "vote on the item now on screen"
        )
    return voter


def my_votes(db: sqlite_utils.Database, token: str) -> dict[str, int | None]:
    """A participant's own votes: item id -> level (None for don't know)."""
    rows = db.execute(
        "SELECT v.item_id, v.level FROM votes v JOIN participants p ON p.id = v.participant_id WHERE p.token = ?",
        [token or ""],
    ).fetchall()
    return {item: level for item, level in rows}


def participants(db: sqlite_utils.Database, workshop_id: int) -> pd.DataFrame:
    return query_frame(
        db,
        """SELECT p.id, p.name, p.sector, p.joined_at, count(v.item_id) AS votes
           FROM participants p LEFT JOIN votes v ON v.participant_id = p.id
           WHERE p.workshop_id = ? GROUP BY p.id ORDER BY p.id""",
        [workshop_id],
    )


def participant_count(db: sqlite_utils.Database, workshop_id: int) -> int:
    return int(db.execute("SELECT count(*) FROM participants WHERE workshop_id = ?", [workshop_id]).fetchone()[0])


def sector_sizes(db: sqlite_utils.Database, workshop_id: int) -> dict[str, int]:
    """How many people of each sector have joined the room (what decides whether a sector is shown on its own)."""
    rows = db.execute("SELECT sector, count(*) FROM participants WHERE workshop_id = ? GROUP BY sector", [workshop_id])
    return {sector: int(n) for sector, n in rows.fetchall()}


def shown_tallies(db: sqlite_utils.Database, workshop_id: int, private: bool = False) -> dict[str, Tally]:
    """The tallies a shared screen or summary shows: small sectors folded (consensus.fold_sectors), unless the
    facilitator asked, privately, for every sector."""
    counted = tallies(db, workshop_id)
    if private:
        return counted
    sizes, minimum = sector_sizes(db, workshop_id), disclosure.min_group()
    return {item_id: consensus.fold_sectors(t, sizes, minimum) for item_id, t in counted.items()}


def item_tally(db: sqlite_utils.Database, workshop_id: int, item_id: str) -> Tally:
    """Every vote on one item in one workshop (reads only that workshop's rows for that item)."""
    rows = db.execute(
        """SELECT p.sector, v.level, count(*) FROM votes v JOIN participants p ON p.id = v.participant_id
           WHERE v.workshop_id = ? AND v.item_id = ? GROUP BY p.sector, v.level""",
        [workshop_id, item_id],
    ).fetchall()
    return consensus.tally_counted(item_id, rows)


def tallies(db: sqlite_utils.Database, workshop_id: int) -> dict[str, Tally]:
    """A tally for every item of the workshop's assessment (items without votes included)."""
    workshop = get_workshop(db, workshop_id)
    rows = db.execute(
        """SELECT v.item_id, p.sector, v.level FROM votes v JOIN participants p ON p.id = v.participant_id
           WHERE v.workshop_id = ?""",
        [workshop_id],
    ).fetchall()
    grouped: dict[str, list[tuple[str, int | None]]] = {}
    for item_id, sector, level in rows:
        grouped.setdefault(item_id, []).append((sector, level))
    return {i.id: consensus.tally(i.id, grouped.get(i.id, [])) for i in items_of(db, workshop)}


# --- agreeing a level ------------------------------------------------------------------------


def _evidence_line(workshop: Mapping[str, Any], level: int | None, t: Tally, seed: Tally | None,
                   notes: str, day: str) -> str:  # fmt: skip
    agreed = answer_label(level) if level is not None else "don't know"
    line = f"[Workshop {workshop['code']}, {day}] Agreed {agreed}. Room: {t.describe()}."
    if seed is not None and seed.votes:
        line += f" Beforehand: {seed.describe()}."
    if notes:
        line += f" Notes: {' '.join(notes.split())}"
    return line


def _merge_evidence(existing: str, code: str, line: str) -> str:
    """Replace this workshop's line in the evidence (if re-agreed), keeping everything else as written."""
    kept = [ln for ln in (existing or "").splitlines() if not ln.startswith(f"[Workshop {code},")]
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join([*kept, line]) if kept else line


def record_agreement(
    db: sqlite_utils.Database,
    workshop_id: int,
    item_id: str,
    actor: str,
    level: int | None,
    notes: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record the level the room agreed for one item (None: the room does not know).

    It becomes the assessment's answer at once, with the votes summarised in the evidence; the
    votes themselves stay in the workshop. Agreeing again replaces the earlier agreement.
    """
    workshop = get_workshop(db, workshop_id)
    actor = authorise(db, actor, access.RUN_WORKSHOP, assessment_id=workshop["assessment_id"],
                      what="record agreed levels in this workshop")  # fmt: skip
    ids = [i.id for i in items_of(db, workshop)]
    if item_id not in ids:
        raise StoreError(f"unknown item id {item_id!r} for this workshop; expected one of: {', '.join(ids)}")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4):
        raise StoreError(f"agreed level {level!r} is out of range; expected a whole number from 0 to 4, or don't know")
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTE:
        raise StoreError(f"the notes are {len(notes)} characters long; expected at most {MAX_NOTE}")
    room = item_tally(db, workshop_id, item_id)
    seed = item_tally(db, workshop["seeded_from"], item_id) if workshop["seeded_from"] else None
    basis = room if room.votes or seed is None else seed
    moment = _when(now)
    line = _evidence_line(workshop, level, room, seed, notes, formatting.day(moment.date()))
    row = {
        "workshop_id": workshop_id,
        "item_id": item_id,
        "answer": LEVEL if level is not None else DONT_KNOW,
        "level": level,
        "notes": notes,
        "votes": basis.votes,
        "low": basis.low,
        "high": basis.high,
        "agreed_at": _iso(moment),
        "agreed_by": actor,
    }
    with write_transaction(db):
        # One transaction, and the evidence read inside its lock: the agreement and the assessment's
        # answer land together or not at all, and text someone saved a moment ago is kept, not overwritten.
        existing = store.responses(db, workshop["assessment_id"]).get(item_id, {}).get("evidence", "")
        evidence = _merge_evidence(existing, workshop["code"], line)
        old = query_row(db, "SELECT * FROM agreements WHERE workshop_id = ? AND item_id = ?", [workshop_id, item_id])
        store.save_response(db, workshop["assessment_id"], item_id, actor,
                            answer=row["answer"], level=level, evidence=evidence)  # fmt: skip
        columns = ", ".join(row)
        db.execute(
            f"""INSERT INTO agreements ({columns}) VALUES ({", ".join("?" for _ in row)})
                ON CONFLICT (workshop_id, item_id) DO UPDATE SET
                {", ".join(f"{c} = excluded.{c}" for c in row if c not in ("workshop_id", "item_id"))}""",
            list(row.values()),
        )
        record(db, actor, "agreement", f"{workshop_id}:{item_id}", "level",
               None if old is None else old["level"], level, assessment_id=workshop["assessment_id"],
               item_id=item_id)  # fmt: skip
    return row


def agreements(db: sqlite_utils.Database, workshop_id: int) -> dict[str, dict[str, Any]]:
    cursor = db.execute("SELECT * FROM agreements WHERE workshop_id = ?", [workshop_id])
    columns = [c[0] for c in cursor.description]
    return {row[1]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def agreed_beforehand(db: sqlite_utils.Database, workshop_id: int) -> dict[str, Tally]:
    """Items the answers collected beforehand agreed on that the room has not settled yet (none when the
    workshop did not start from such answers)."""
    workshop = get_workshop(db, workshop_id)
    if not workshop["seeded_from"]:
        return {}
    done = agreements(db, workshop_id)
    return {
        i: t for i, t in tallies(db, workshop["seeded_from"]).items() if i not in done and t.status == consensus.AGREED
    }


def accept_agreed(db: sqlite_utils.Database, workshop_id: int, actor: str) -> list[str]:
    """For a workshop seeded with answers collected beforehand: record the suggested level of every
    item those answers agreed on and the room has not yet settled. Returns the items recorded."""
    if not get_workshop(db, workshop_id)["seeded_from"]:
        raise StoreError("this workshop did not start from answers collected beforehand")
    recorded = []
    for item_id, t in agreed_beforehand(db, workshop_id).items():
        record_agreement(db, workshop_id, item_id, actor, t.suggested_level,
                         notes="Agreed beforehand; accepted without discussion.")  # fmt: skip
        recorded.append(item_id)
    return recorded


# --- notes and the parking lot -----------------------------------------------------------------


def add_note(
    db: sqlite_utils.Database,
    assessment_id: int,
    kind: str,
    text: str,
    actor: str,
    item_id: str | None = None,
    workshop_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """A note or quote about an item, or a parking-lot entry (an issue that belongs elsewhere)."""
    actor = authorise(db, actor, access.RUN_WORKSHOP, assessment_id=assessment_id, what="add workshop notes here")
    if kind not in NOTE_KINDS:
        raise StoreError(f"note kind {kind!r} is not one of {', '.join(NOTE_KINDS)}")
    text = (text or "").strip()
    if not text:
        raise StoreError("the note is empty; expected some text")
    if len(text) > MAX_NOTE:
        raise StoreError(f"the note is {len(text)} characters long; expected at most {MAX_NOTE}")
    assessment = store.get_assessment(db, assessment_id)
    if item_id is not None:
        store.check_item(assessment, item_id)
    with write_transaction(db):
        note_id = (
            insert_row(
                db,
                "notes",
                {
                    "assessment_id": assessment_id,
                    "workshop_id": workshop_id,
                    "item_id": item_id,
                    "kind": kind,
                    "text": text,
                    "created_at": _iso(_when(now)),
                    "created_by": actor,
                },
            )  # fmt: skip
        )
        record(db, actor, "note", note_id, "created", None, {"kind": kind, "text": text},
               assessment_id=assessment_id, item_id=item_id)  # fmt: skip
    return int(note_id)


def set_note_deleted(db: sqlite_utils.Database, note_id: int, deleted: bool, actor: str) -> None:
    """Remove a note (or bring it back): notes are hidden, never erased."""
    old = query_row(db, "SELECT * FROM notes WHERE id = ?", [note_id])
    if old is None:
        raise store.NotFoundError(f"no note with id {note_id}")
    actor = authorise(db, actor, access.RUN_WORKSHOP, assessment_id=old["assessment_id"], what="remove notes here")
    value = iso_now() if deleted else None
    with write_transaction(db):
        db.execute("UPDATE notes SET deleted_at = ? WHERE id = ?", [value, note_id])
        record(db, actor, "note", note_id, "deleted_at", old["deleted_at"], value,
               assessment_id=old["assessment_id"], item_id=old["item_id"])  # fmt: skip


def list_notes(db: sqlite_utils.Database, assessment_id: int, include_deleted: bool = False) -> pd.DataFrame:
    where = "" if include_deleted else "AND deleted_at IS NULL"
    return query_frame(
        db,
        f"""SELECT id, workshop_id, item_id, kind, text, created_at, created_by, deleted_at
            FROM notes WHERE assessment_id = ? {where} ORDER BY id""",
        [assessment_id],
    )


def collected_table(db: sqlite_utils.Database, workshop_id: int, private: bool = False) -> pd.DataFrame:
    """Answers collected beforehand, one row per item: how many, median, range, don't knows, agreed or
    split, and a median column for each sector that answered (blank where a sector gave no rating). Sectors with
    too few people are folded together unless `private` (the facilitator's own screen, by choice)."""
    workshop = get_workshop(db, workshop_id)
    counted = shown_tallies(db, workshop_id, private)
    rows = []
    for n, item in enumerate(items_of(db, workshop), 1):
        t = counted[item.id]
        row = {
            "Item": f"{n}. {item.title}",
            "Answers": t.votes,
            "Median": t.median_text,
            "Range": t.range_text,
            "Don't know": t.dont_know,
            "Agreed or split": t.status if t.votes else "no answers yet",
        }
        medians = t.sector_medians
        row.update({label: f"{medians[s]:g}" if s in medians else "" for s, label in consensus.SECTOR_LABELS.items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    silent = [label for label in consensus.SECTOR_LABELS.values() if not frame[label].ne("").any()]
    return frame.drop(columns=silent)


# --- the end-of-workshop summary -----------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    agreed: pd.DataFrame  # one row per item: agreed level, votes, range, split/agreed, notes
    sector_gaps: list[consensus.SectorGap]
    lived_experience: list[tuple[str, float, float]]
    dont_know: list[Tally]
    participants: pd.DataFrame
    people: dict[str, int]  # sector label -> people, small sectors folded unless the summary is private


def summary(db: sqlite_utils.Database, workshop_id: int, private: bool = False) -> Summary:
    """What a workshop agreed and where its room disagreed (reads only that workshop's rows). Sectors with too
    few people in the room are folded together, unless `private` (the facilitator's own screen, by choice)."""
    workshop = get_workshop(db, workshop_id)
    items = items_of(db, workshop)
    room = shown_tallies(db, workshop_id, private)
    seed = shown_tallies(db, workshop["seeded_from"], private) if workshop["seeded_from"] else {}
    done = agreements(db, workshop_id)
    rows = []
    for item in items:
        t = room[item.id] if room[item.id].votes or not seed else seed[item.id]
        agreement = done.get(item.id)
        agreed = "Not yet agreed"
        if agreement:
            agreed = answer_label(agreement["level"])
        rows.append(
            {
                "item_id": item.id,
                "item": item.title,
                "agreed": agreed,
                "votes": t.votes,
                "median": t.median_text,
                "range": t.range_text,
                "dont_know": t.dont_know,
                "status": t.status if t.votes else "no votes yet",
                "notes": agreement["notes"] if agreement else "",
            }
        )
    basis = [room[i.id] if room[i.id].votes or not seed else seed[i.id] for i in items]
    return Summary(
        agreed=pd.DataFrame(rows),
        sector_gaps=consensus.sector_gaps(basis),
        lived_experience=consensus.lived_experience_gaps(basis),
        dont_know=[t for t in basis if t.many_dont_know],
        participants=participants(db, workshop_id),
        people=consensus.people_by_sector(sector_sizes(db, workshop_id), 1 if private else disclosure.min_group()),
    )


# --- who is in the room, across app servers ------------------------------------------------------------------


def voters(db: sqlite_utils.Database, workshop_id: int, item_id: str | None) -> set[int]:
    """The participants who have voted on the item (ids only: who is in the room is matched against them)."""
    if item_id is None:
        return set()
    rows = db.execute("SELECT participant_id FROM votes WHERE workshop_id = ? AND item_id = ?", [workshop_id, item_id])
    return {row[0] for row in rows.fetchall()}


def publish_presence(
    db: sqlite_utils.Database, server: str, rooms: Mapping[int, Iterable[int]], now: datetime | None = None
) -> None:
    """Say which participants have a voting page open on this app server, per room (ids only), so a presenter's
    screen on any server counts the whole room. Replaces what this server said before; rooms now empty go, and so
    does anything a server that stopped left behind. The server's own bookkeeping, not anyone's answer: no
    history row, no permission (nothing a person asked for is changed)."""
    moment = _when(now)
    rows = [(server, wid, json.dumps(sorted(ids)), _iso(moment)) for wid, ids in rooms.items() if ids]
    with write_transaction(db):
        db.execute("DELETE FROM room_presence WHERE server = ? OR seen_at < ?",
                   [server, _iso(moment - timedelta(seconds=PRESENCE_SWEEP_SECONDS))])  # fmt: skip
        insert_many(db, "room_presence", ("server", "workshop_id", "participants", "seen_at"), rows)


def presence_elsewhere(
    db: sqlite_utils.Database, server: str, workshop_ids: Iterable[int], now: datetime | None = None
) -> dict[int, set[int]]:
    """Per room, the participants other app servers have said are in it within PRESENCE_FRESH_SECONDS."""
    wanted = sorted(set(workshop_ids))
    if not wanted:
        return {}
    fresh = _iso(_when(now) - timedelta(seconds=PRESENCE_FRESH_SECONDS))
    rows = db.execute(
        f"""SELECT workshop_id, participants FROM room_presence
            WHERE server != ? AND seen_at >= ? AND workshop_id IN ({", ".join("?" for _ in wanted)})""",
        [server, fresh, *wanted],
    ).fetchall()
    found: dict[int, set[int]] = {wid: set() for wid in wanted}
    for wid, listed in rows:
        found[wid].update(int(p) for p in json.loads(listed))
    return found

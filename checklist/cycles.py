"""Rounds on a cycle: how often each system or place assesses itself, and which rounds are due or overdue.

A unit's cycle is every N months (counted from its latest submitted round), a date, or both (whichever comes
first). A unit on a cycle with no submitted round yet is due now. A date is met by a round submitted on or after
it. The state of a unit:

- overdue: the due date has passed and no round is in progress;
- due: the due date is within DUE_SOON_DAYS (or today), and no round is in progress;
- in progress: a draft round is dated on or after the latest submitted one;
- scheduled: the due date is further off.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

import pandas as pd
import sqlite_utils

from checklist import access, formatting
from checklist.clock import iso_now
from checklist.db import query_frame, query_row, record, write_transaction
from checklist.store.rules import StoreError, authorise, parse_date

DUE_SOON_DAYS = 30
LONGEST_CYCLE = 60  # months
OVERDUE, DUE, IN_PROGRESS, SCHEDULED = "overdue", "due", "in progress", "scheduled"
STATE_WORDS = {
    OVERDUE: "Overdue since {day}",
    DUE: "Due {day}",
    IN_PROGRESS: "In progress (due {day})",
    SCHEDULED: "Next round due {day}",
}


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 January + 1 = 28 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_round_due(last: date | None, every_months: int | None, next_due: date | None, today: date) -> date | None:
    """When the unit's next round is due, or None when it is on no cycle (or its date was met and it has no
    interval). The earlier of its interval from the latest submitted round and its date, if either applies."""
    candidates = []
    if every_months:
        candidates.append(add_months(last, every_months) if last else today)
    if next_due and (last is None or last < next_due):
        candidates.append(next_due)
    return min(candidates) if candidates else None


def state(due: date | None, today: date, draft_open: bool) -> str | None:
    if due is None:
        return None
    if draft_open:
        return IN_PROGRESS
    if due < today:
        return OVERDUE
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return DUE
    return SCHEDULED


def describe(row: dict | pd.Series) -> str:
    """'Overdue since 3 March 2026 · every 12 months' for a row of due_rounds."""
    words = STATE_WORDS[row["state"]].format(day=formatting.day(row["due"]))
    every = row.get("every_months")
    return words + (f" · every {int(every)} months" if every is not None and not pd.isna(every) else "")


def set_cycle(
    db: sqlite_utils.Database,
    actor: access.User | str,
    system_id: int,
    place_id: int | None,
    every_months: int | None,
    next_due: str | date | None,
) -> None:
    """Set (or, with neither, clear) a unit's review cycle. Needs the right to manage the unit; kept in history."""
    name = authorise(db, actor, access.MANAGE, system_id=system_id, place_id=place_id, what="set review cycles here")
    if place_id is not None:
        owner = query_row(db, "SELECT system_id FROM places WHERE id = ?", [place_id])
        if owner is None or owner["system_id"] != system_id:
            raise StoreError(f"no place with id {place_id} in system {system_id}")
    if every_months is not None and (
        isinstance(every_months, bool) or not isinstance(every_months, int) or not 1 <= every_months <= LONGEST_CYCLE
    ):
        raise StoreError(f"a review every {every_months!r} months is not a cycle; expected 1 to {LONGEST_CYCLE} months")
    due = parse_date(next_due, "next review date") if next_due not in (None, "") else None
    where = "system_id = ? AND coalesce(place_id, 0) = ?"
    unit = [system_id, place_id or 0]
    old = query_row(db, f"SELECT every_months, next_due FROM review_cycles WHERE {where}", unit)
    new = {"every_months": every_months, "next_due": due}
    entity, entity_id = ("place", place_id) if place_id is not None else ("system", system_id)
    with write_transaction(db):
        if every_months is None and due is None:
            db.execute(f"DELETE FROM review_cycles WHERE {where}", unit)
        elif old is None:
            db.execute(
                """INSERT INTO review_cycles (system_id, place_id, every_months, next_due, updated_at)
                   VALUES (?, ?, ?, ?, ?)""",
                [system_id, place_id, every_months, due, iso_now()],
            )
        else:
            db.execute(
                f"UPDATE review_cycles SET every_months = ?, next_due = ?, updated_at = ? WHERE {where}",
                [every_months, due, iso_now(), *unit],
            )
        record(db, name, entity, entity_id, "review cycle", old, new if (every_months or due) else None)


def unit_cycle(db: sqlite_utils.Database, today: date, system_id: int, place_id: int | None) -> pd.Series | None:
    """One unit's row of due_rounds (a system's own, or one place's), or None when it is on no cycle."""
    found = due_rounds(db, today, [system_id])
    found = found[found["place_id"].fillna(0).astype(int) == (place_id or 0)]
    return None if found.empty else found.iloc[0]


def due_rounds(db: sqlite_utils.Database, today: date, system_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Every unit on a cycle (of these systems, or all) with its latest submitted round, whether a round is in
    progress, when the next is due and its state; most pressing first. Three queries at any scale."""
    only = [int(s) for s in system_ids] if system_ids is not None else None
    columns = ["system_id", "place_id", "system", "unit_name", "every_months", "next_due", "last_round", "draft_open",
               "due", "state"]  # fmt: skip
    if only == []:
        return pd.DataFrame(columns=columns)
    clause = "" if only is None else f"AND c.system_id IN ({', '.join('?' * len(only))})"
    cycles = query_frame(
        db,
        f"""SELECT c.system_id, c.place_id, s.name AS system, p.name AS place, c.every_months, c.next_due
            FROM review_cycles c JOIN systems s ON s.id = c.system_id LEFT JOIN places p ON p.id = c.place_id
            WHERE s.archived_at IS NULL AND (c.place_id IS NULL OR p.archived_at IS NULL) {clause}""",
        only or [],
    )
    if cycles.empty:
        return pd.DataFrame(columns=columns)
    rounds = query_frame(
        db,
        """SELECT system_id, coalesce(place_id, 0) AS unit, status, max(assessment_date) AS latest
           FROM assessments GROUP BY system_id, coalesce(place_id, 0), status""",
    )
    latest: dict[tuple[int, int], dict[str, str]] = {}
    for row in rounds.itertuples():
        latest.setdefault((int(row.system_id), int(row.unit)), {})[row.status] = row.latest
    out = []
    for row in cycles.itertuples():
        place = None if pd.isna(row.place_id) else int(row.place_id)
        key = (int(row.system_id), place or 0)
        dates = latest.get(key, {})
        last = date.fromisoformat(dates["submitted"]) if "submitted" in dates else None
        # A draft dated on or after the latest submitted round is the next round, under way.
        draft_open = "draft" in dates and dates["draft"] >= (dates.get("submitted") or "")
        every = None if pd.isna(row.every_months) else int(row.every_months)
        explicit = date.fromisoformat(row.next_due) if isinstance(row.next_due, str) and row.next_due else None
        due = next_round_due(last, every, explicit, today)
        out.append({
            "system_id": key[0], "place_id": place, "system": row.system,
            "unit_name": row.place if place is not None else f"{row.system} (whole system)",
            "every_months": every, "next_due": explicit, "last_round": last, "draft_open": draft_open,
            "due": due, "state": state(due, today, draft_open),
        })  # fmt: skip
    frame = pd.DataFrame(out, columns=columns)
    frame = frame[frame["state"].notna()]
    order = {OVERDUE: 0, DUE: 1, IN_PROGRESS: 2, SCHEDULED: 3}
    return frame.sort_values(["state", "due"], key=lambda c: c.map(order) if c.name == "state" else c).reset_index(
        drop=True
    )

"""Personal data: participant names kept only as long as needed, and one person's data exported or erased.

What the app holds about people (the README lists it for information governance):
- users: e-mail address and name of everyone who may sign in, and their roles;
- names in the record of work: who created, changed, submitted and signed off each round, answer,
  action and note (history.actor, assessments.created_by/submitted_by/signed_off_by,
  responses.updated_by, agreements.agreed_by, notes.created_by), and action owners;
- workshop participants: an optional name and their sector (votes are kept by participant number);
- free text (evidence, notes, actions, review comments) that may name people: shown by an export, edited by hand.

History is append-only; erasure is the one deliberate exception. It rewrites names to a placeholder
in one transaction (lifting the append-only guard only inside it) and records that it did so.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from checklist import access, clock
from checklist.store import HISTORY_GUARDS, StoreError, _record, _write, authorise

NAME_DAYS_VAR = "CHECKLIST_PARTICIPANT_NAME_DAYS"
DEFAULT_NAME_DAYS = 30


def participant_name_days() -> int:
    """How many days after a workshop ends its participants' names are kept (CHECKLIST_PARTICIPANT_NAME_DAYS)."""
    raw = os.environ.get(NAME_DAYS_VAR, str(DEFAULT_NAME_DAYS)).strip()
    if not raw.isdigit():
        raise StoreError(f"{NAME_DAYS_VAR}={raw!r} is not a number of days; expected a whole number such as 30")
    return int(raw)


def _rewrite_history(db: sqlite_utils.Database, sql: str, params: list[Any]) -> int:
    """Run one UPDATE on history with its append-only guard lifted, inside the caller's transaction."""
    if not db.conn.in_transaction:
        raise StoreError("history is rewritten only inside a transaction")
    for name in ("history_no_update", "history_no_delete"):
        db.execute(f"DROP TRIGGER {name}")
    changed = db.execute(sql, params).rowcount
    for statement in HISTORY_GUARDS:
        db.execute(statement)
    return changed


def forget_participant_names(
    db: sqlite_utils.Database, actor: access.User | str, days: int | None = None, now: datetime | None = None
) -> int:
    """Blank the names of participants of workshops that ended more than `days` ago; returns how many.

    Votes stay, by participant number and sector. Run at every server start and by `privacy forget-names`.
    """
    name = authorise(db, actor, access.MANAGE_USERS, what="remove participant names")
    days = participant_name_days() if days is None else days
    cutoff = ((now or clock.now()) - timedelta(days=days)).isoformat(timespec="microseconds")
    rows = db.execute(
        """SELECT p.id, p.workshop_id, p.sector FROM participants p JOIN workshops w ON w.id = p.workshop_id
           WHERE p.name != '' AND ((w.status = 'closed' AND w.closed_at < ?) OR w.expires_at < ?)""",
        [cutoff, cutoff],
    ).fetchall()
    if not rows:
        return 0
    from checklist.consensus import SECTORS

    with _write(db):
        for participant_id, _, sector in rows:
            db.execute("UPDATE participants SET name = '' WHERE id = ?", [participant_id])
            # Earlier versions named participants in history's actor column; give those rows the sector instead.
            _rewrite_history(
                db,
                "UPDATE history SET actor = ? WHERE actor LIKE ? AND entity IN ('vote', 'participant')",
                [f"participant {participant_id} ({SECTORS[sector]})", f"participant {participant_id} (%"],
            )
        for workshop_id in sorted({w for _, w, _ in rows}):
            count = sum(1 for _, w, _ in rows if w == workshop_id)
            _record(db, name, "workshop", workshop_id, "participant names removed", None,
                    {"participants": count, "after days": days})  # fmt: skip
    return len(rows)


def _names_of(db: sqlite_utils.Database, who: str) -> tuple[dict[str, Any] | None, set[str]]:
    """The user signing in as `who` (an e-mail) if any, and every name they appear under."""
    who = (who or "").strip()
    if not who:
        raise StoreError("say whose data: their e-mail address or their name as history shows it")
    row = db.execute(
        "SELECT id, email, name FROM users WHERE email = ? COLLATE NOCASE OR name = ? COLLATE NOCASE", [who, who]
    ).fetchone()
    user = None if row is None else {"id": row[0], "email": row[1], "name": row[2]}
    names = {who}
    if user:
        names |= {user["email"], user["name"]} - {""}
    return user, names


# (table, column) pairs that hold a person's name as the author of a change.
_AUTHOR_COLUMNS = (
    ("assessments", "created_by"),
    ("assessments", "submitted_by"),
    ("assessments", "signed_off_by"),
    ("responses", "updated_by"),
    ("actions", "created_by"),
    ("actions", "owner"),
    ("agreements", "agreed_by"),
    ("notes", "created_by"),
    ("workshops", "created_by"),
    ("review_comments", "created_by"),
    ("review_comments", "addressed_by"),
)


def personal_data(db: sqlite_utils.Database, actor: access.User | str, who: str) -> dict[str, Any]:
    """Everything the app holds about one person (a subject access request), as plain data."""
    authorise(db, actor, access.MANAGE_USERS, what="export a person's data")
    user, names = _names_of(db, who)
    marks = ", ".join("?" for _ in names)
    folded = [n.casefold() for n in names]
    found: dict[str, Any] = {"person": who, "user": user, "roles": [], "names": sorted(names)}
    if user:
        found["roles"] = [dict(zip(("role", "system_id", "place_id"), r, strict=True)) for r in db.execute(
            "SELECT role, system_id, place_id FROM grants WHERE user_id = ?", [user["id"]]).fetchall()]  # fmt: skip
    cursor = db.execute(
        f"SELECT id, at, entity, entity_id, assessment_id, item_id, field FROM history WHERE lower(actor) IN ({marks})"
        " ORDER BY id",
        folded,
    )
    columns = [c[0] for c in cursor.description]
    found["changes"] = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    for table, column in _AUTHOR_COLUMNS:
        key = f"{table}.{column}"
        found[key] = [r[0] for r in db.execute(
            f"SELECT rowid FROM {table} WHERE lower({column}) IN ({marks})", folded).fetchall()]  # fmt: skip
    found["workshop participants"] = [
        {"participant": r[0], "workshop": r[1], "sector": r[2]}
        for r in db.execute(
            f"SELECT id, workshop_id, sector FROM participants WHERE lower(name) IN ({marks})", folded
        ).fetchall()  # fmt: skip
    ]
    mentions = []
    for table, column in (
        ("responses", "evidence"),
        ("notes", "text"),
        ("actions", "description"),
        ("review_comments", "text"),
    ):
        for name in names:
            if len(name) < 3:
                continue
            for (rowid,) in db.execute(f"SELECT rowid FROM {table} WHERE instr(lower({column}), ?) > 0",
                                       [name.casefold()]).fetchall():  # fmt: skip
                mentions.append({"table": table, "row": rowid, "column": column})
    found["free text mentioning them (review by hand)"] = mentions
    return found


def erase_person(db: sqlite_utils.Database, actor: access.User | str, who: str) -> dict[str, int]:
    """Replace one person's name and address everywhere the app recorded them, and stop them signing in.

    Free text that mentions them is not rewritten (personal_data lists it for an admin to edit). The
    erasure itself is recorded in history, under a number, never the name.
    """
    name = authorise(db, actor, access.MANAGE_USERS, what="erase a person's data")
    user, names = _names_of(db, who)
    if (
        user is None
        and not db.execute("SELECT 1 FROM history WHERE actor = ? COLLATE NOCASE LIMIT 1", [who.strip()]).fetchone()
    ):
        raise StoreError(f"nobody called {who.strip()!r} is known here: no user, and no change under that name")
    if name.casefold() in {n.casefold() for n in names}:
        raise StoreError("you cannot erase yourself; ask another administrator")
    marks = ", ".join("?" for _ in names)
    folded = [n.casefold() for n in names]
    counts: dict[str, int] = {}
    with _write(db):
        number = (
            user["id"] if user else db.execute("SELECT count(*) + 1 FROM history WHERE field = 'erased'").fetchone()[0]
        )
        placeholder = f"Erased person {number}"
        counts["history"] = _rewrite_history(
            db, f"UPDATE history SET actor = ? WHERE lower(actor) IN ({marks})", [placeholder, *folded]
        )
        # Values that recorded them as a person: their own user rows, and owner / sign-off fields.
        for value in sorted(names, key=len, reverse=True):
            if len(value) < 3:
                continue
            for column in ("old_value", "new_value"):
                _rewrite_history(
                    db,
                    f"""UPDATE history SET {column} = replace({column}, ?, ?)
                        WHERE instr({column}, ?) > 0 AND ((entity = 'user' AND entity_id = ?)
                              OR field IN ('owner', 'signed_off_by', 'submitted_by', 'created_by')
                              OR (entity = 'action' AND field = 'created'))""",
                    [value, placeholder, value, str(user["id"]) if user else ""],
                )
        for table, column in _AUTHOR_COLUMNS:
            counts[f"{table}.{column}"] = db.execute(
                f"UPDATE {table} SET {column} = ? WHERE lower({column}) IN ({marks})", [placeholder, *folded]
            ).rowcount
        counts["workshop participants"] = db.execute(
            f"UPDATE participants SET name = '' WHERE lower(name) IN ({marks})", folded
        ).rowcount
        if user:
            db.execute(
                "UPDATE users SET email = ?, name = ?, disabled_at = coalesce(disabled_at, ?) WHERE id = ?",
                [f"erased-{user['id']}@invalid", placeholder, clock.iso_now(), user["id"]],
            )
            db.execute("DELETE FROM grants WHERE user_id = ?", [user["id"]])
        _record(db, name, "person", number, "erased", None, {k: v for k, v in counts.items() if v})
    return counts

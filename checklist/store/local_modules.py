"""A system's own local items, kept: the draft a system admin writes (saved on every change), the versions they
publish (never changed afterwards), and which version a round includes. What local items are, and how they are
checked, is checklist/local_items.py.

A draft is saved with its revision: a save based on an older revision than the stored one (someone else saved
meanwhile) is refused and kept in history, never written over theirs. Publishing checks the draft whole, stores
it as the next version and ends the draft; every save and publication is in the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlite_utils

from checklist import access
from checklist.clock import iso_now
from checklist.db import query_frame, query_row, record, write_transaction
from checklist.local_items import (
    DEFAULT_TITLE,
    LocalItemsError,
    LocalModule,
    from_json,
    rows_of,
    validate,
)
from checklist.store.rules import NotFoundError, StoreError, authorise
from checklist.store.units import get_system

ENTITY = "local items"


class LocalDraftChanged(StoreError):
    """The draft was saved by someone else since this edit began: nothing was saved over theirs."""


@dataclass(frozen=True)
class Editing:
    """What the editor starts from: the draft if there is one, else the latest version (or nothing yet)."""

    module: LocalModule
    revision: int  # the draft's revision (0: no draft; an edit starts one)
    is_draft: bool
    saved_at: str = ""
    saved_by: str = ""
    latest_version: int = 0
    discarded: LocalModule | None = None  # a draft discarded since, which can still be brought back


def _manage(db: sqlite_utils.Database, actor: access.User | str, system_id: int, what: str) -> str:
    name = authorise(db, actor, access.MANAGE, system_id=system_id, what=what)
    get_system(db, system_id)  # raises for an unknown system
    return name


def versions(db: sqlite_utils.Database, system_id: int) -> pd.DataFrame:
    """Every published version of a system's local items, newest first: id, version, title, items (JSON),
    note, published_at, published_by."""
    return query_frame(
        db,
        """SELECT id, version, title, description, items, item_count, note, published_at, published_by
           FROM local_modules
           WHERE system_id = ? ORDER BY version DESC""",
        [system_id],
    )


def latest(db: sqlite_utils.Database, system_id: int) -> dict[str, Any] | None:
    """The newest published version of a system's local items (a row of local_modules), or None."""
    return query_row(
        db,
        """SELECT id, version, title, description, items FROM local_modules WHERE system_id = ?
           ORDER BY version DESC LIMIT 1""",
        [system_id],
    )


def version_module(row: Mapping[str, Any]) -> LocalModule:
    return from_json(row["title"], row["description"], row["items"], int(row["version"]))


def _draft_row(db: sqlite_utils.Database, system_id: int) -> dict[str, Any] | None:
    """The system's draft row: the draft being written, or (discarded_at set) the one discarded last."""
    return query_row(
        db,
        """SELECT title, description, items, revision, saved_at, saved_by, discarded_at FROM local_module_drafts
           WHERE system_id = ?""",
        [system_id],
    )


def _live(row: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return row if row is not None and row["discarded_at"] is None else None


def _module_of(row: Mapping[str, Any]) -> LocalModule:
    return from_json(row["title"], row["description"], row["items"])


def editing(db: sqlite_utils.Database, system_id: int) -> Editing:
    """The local items as the editor shows them: the draft, else the latest version, else none yet (with a draft
    discarded since, which can be brought back)."""
    newest = latest(db, system_id)
    newest_version = int(newest["version"]) if newest else 0
    row = _draft_row(db, system_id)
    if draft := _live(row):
        return Editing(_module_of(draft), int(draft["revision"]), True, draft["saved_at"], draft["saved_by"],
                       newest_version)  # fmt: skip
    thrown = _module_of(row) if row is not None else None
    if newest is not None:
        return Editing(version_module(newest), 0, False, latest_version=newest_version, discarded=thrown)
    return Editing(LocalModule(DEFAULT_TITLE, "", ()), 0, False, discarded=thrown)


def _earlier_ids(db: sqlite_utils.Database, system_id: int) -> list[str]:
    """Every item id any version of this system's local items has used (never given to a new item again)."""
    ids: list[str] = []
    for items in versions(db, system_id)["items"]:
        ids += [i.id for i in from_json("", "", items).items]
    return ids


def save_draft(
    db: sqlite_utils.Database,
    actor: access.User | str,
    system_id: int,
    rows: Iterable[Mapping[str, Any]],
    title: Any,
    description: Any = "",
    based_on: int = 0,
    from_version: int | None = None,
) -> int:
    """Keep the draft as it stands (fields may still be empty); returns its new revision.

    `based_on` is the revision the edit started from (0: no draft yet) and `from_version` the newest published
    version it saw (None: not checked). If the stored draft has moved on, or a first draft's edit began before
    a newer version was published, the save is refused (LocalDraftChanged) and kept in history, so neither
    person's text is lost."""
    name = _manage(db, actor, system_id, "write this system's local items")
    try:
        module = validate(rows, title, description, _earlier_ids(db, system_id), complete=False)
    except LocalItemsError as exc:
        raise StoreError(str(exc)) from None
    now = iso_now()
    with write_transaction(db):
        row = _draft_row(db, system_id)
        stored = _live(row)
        revision = int(stored["revision"]) if stored else 0
        newest = latest(db, system_id) if stored is None and from_version is not None else None
        published_since = newest is not None and int(newest["version"]) != from_version
        if revision != based_on or published_since:  # kept in the history (committed), then refused
            record(db, name, ENTITY, system_id, "draft (not saved: changed meanwhile)", None, _as_history(module))
            stale_by = stored["saved_by"] if stored else "someone"
        else:
            stale_by = ""
            # A discarded draft's row is reused: its text is in the history, and it can no longer be brought back.
            _write_draft(db, system_id, row, [module.title, module.description, module.to_json(), revision + 1,
                                              now, name])  # fmt: skip
            record(db, name, ENTITY, system_id, "draft", None, _as_history(module))
    if stale_by:
        raise LocalDraftChanged(
            f"{stale_by} saved these local items after you opened them, so your change was not saved over theirs "
            "(it is kept in the history). Reload to see theirs."
        )
    return revision + 1


def _write_draft(db: sqlite_utils.Database, system_id: int, stored: Mapping[str, Any] | None, values: list) -> None:
    """Insert or update the draft (a live one again): values are title, description, items, revision, saved_at,
    saved_by."""
    if stored is None:
        db.execute(
            """INSERT INTO local_module_drafts (title, description, items, revision, saved_at, saved_by, system_id)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [*values, system_id],
        )
    else:
        db.execute(
            """UPDATE local_module_drafts SET title = ?, description = ?, items = ?, revision = ?, saved_at = ?,
               saved_by = ?, discarded_at = NULL WHERE system_id = ?""",
            [*values, system_id],
        )


def _as_history(module: LocalModule) -> dict[str, Any]:
    return {"title": module.title, "description": module.description, "items": module.to_json()}


def discard_draft(db: sqlite_utils.Database, actor: access.User | str, system_id: int, based_on: int) -> None:
    """End the draft unpublished (its text stays in the history); the editor goes back to the latest version."""
    name = _manage(db, actor, system_id, "write this system's local items")
    with write_transaction(db):
        stored = _live(_draft_row(db, system_id))
        if stored is None:
            return
        if int(stored["revision"]) != based_on:
            raise LocalDraftChanged(f"{stored['saved_by']} saved these local items meanwhile; nothing was discarded")
        db.execute("UPDATE local_module_drafts SET discarded_at = ? WHERE system_id = ?", [iso_now(), system_id])
        old = {k: stored[k] for k in ("title", "description", "items")}
        record(db, name, ENTITY, system_id, "draft discarded", old, None)


def discarded(db: sqlite_utils.Database, system_id: int) -> LocalModule | None:
    """The draft discarded last, while nothing has been saved or published since (so it can be brought back)."""
    row = _draft_row(db, system_id)
    return _module_of(row) if row is not None and row["discarded_at"] is not None else None


def bring_back(db: sqlite_utils.Database, actor: access.User | str, system_id: int) -> None:
    """Undo discarding the draft: it is the draft again, as it was (recorded in the history). Its revision moves on,
    so an edit begun while there was no draft is refused rather than saved over it."""
    name = _manage(db, actor, system_id, "write this system's local items")
    with write_transaction(db):
        row = _draft_row(db, system_id)
        if row is None or row["discarded_at"] is None:
            raise StoreError("there is no discarded draft to bring back (something was saved or published since)")
        db.execute(
            """UPDATE local_module_drafts SET discarded_at = NULL, revision = ?, saved_at = ?, saved_by = ?
               WHERE system_id = ?""",
            [int(row["revision"]) + 1, iso_now(), name, system_id],
        )
        record(db, name, ENTITY, system_id, "draft brought back", None, _as_history(_module_of(row)))


def publish(db: sqlite_utils.Database, actor: access.User | str, system_id: int, based_on: int, note: str = "") -> int:
    """Check the draft whole and keep it as the next version (rounds started from now on include it); returns the
    version number. Refused, naming every row's problem, when an item is incomplete."""
    name = _manage(db, actor, system_id, "publish this system's local items")
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise StoreError(f"the note is {len(note)} characters long; expected at most 500")
    with write_transaction(db):
        stored = _live(_draft_row(db, system_id))
        if stored is None:
            raise NotFoundError("there is no draft to publish; change the local items first")
        if int(stored["revision"]) != based_on:
            raise LocalDraftChanged(f"{stored['saved_by']} saved these local items meanwhile; reload before publishing")
        draft = _module_of(stored)
        try:
            module = validate(rows_of(draft), draft.title, draft.description, _earlier_ids(db, system_id))
        except LocalItemsError as exc:
            raise StoreError(str(exc)) from None
        newest = latest(db, system_id)
        version = (int(newest["version"]) if newest else 0) + 1
        db.execute(
            """INSERT INTO local_modules (system_id, version, title, description, items, item_count, note,
               published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                system_id,
                version,
                module.title,
                module.description,
                module.to_json(),
                len(module.items),
                note,
                iso_now(),
                name,
            ],
        )
        db.execute("DELETE FROM local_module_drafts WHERE system_id = ?", [system_id])
        record(db, name, ENTITY, system_id, "published", None, {"version": version, **_as_history(module)})
    return version


def for_new_round(db: sqlite_utils.Database, system_id: int) -> int | None:
    """The id of the version a round started now includes: the system's newest (None when it has none)."""
    row = latest(db, system_id)
    return int(row["id"]) if row else None


def modules_by_id(db: sqlite_utils.Database, ids: Iterable[int]) -> dict[int, LocalModule]:
    """Published versions by id, in one read (the bulk exports' rounds name them by local_module_id)."""
    wanted = sorted({int(i) for i in ids if i})
    if not wanted:
        return {}
    rows = query_frame(
        db,
        "SELECT id, version, title, description, items FROM local_modules "
        f"WHERE id IN ({', '.join('?' * len(wanted))})",
        wanted,
    )
    return {int(r["id"]): version_module(r) for r in rows.to_dict("records")}


def changes(db: sqlite_utils.Database, system_id: int) -> pd.DataFrame:
    """Every recorded change to a system's local items, oldest first: at, actor, field, old_value, new_value."""
    return query_frame(
        db,
        """SELECT id, at, actor, field, old_value, new_value FROM history
           WHERE entity = ? AND entity_id = ? ORDER BY id""",
        [ENTITY, str(system_id)],
    )


def newest_of_systems(db: sqlite_utils.Database, system_ids: Iterable[int]) -> list[tuple[int, str, LocalModule]]:
    """Each given system's newest published local items, in one read: (system id, system name, items), by name."""
    wanted = sorted({int(i) for i in system_ids})
    if not wanted:
        return []
    rows = query_frame(
        db,
        f"""SELECT m.system_id, s.name, m.id, m.version, m.title, m.description, m.items FROM local_modules m
            JOIN systems s ON s.id = m.system_id
            WHERE s.archived_at IS NULL AND m.system_id IN ({", ".join("?" * len(wanted))})
            AND m.version = (SELECT max(version) FROM local_modules n WHERE n.system_id = m.system_id)
            ORDER BY s.name""",
        wanted,
    )
    return [(int(r["system_id"]), r["name"], version_module(r)) for r in rows.to_dict("records")]

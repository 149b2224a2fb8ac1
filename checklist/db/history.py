"""Writing the append-only history: one row per changed field, with who, when, and the old and new values.

Every write in checklist/ records what it changed here, inside its own write transaction, so no answer is
ever lost and any earlier state can be rebuilt. Reading history back is checklist/store/history_reads.py.
Values are stored as JSON text (`encode`), read back with `decode`.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import sqlite_utils

from checklist import clock
from checklist.db.rows import insert_many, insert_sql


def encode(value: Any) -> str | None:
    """A value as history stores it (JSON), with the common kinds done directly: imports write a million."""
    if value is None:
        return None
    if isinstance(value, str):
        return encode_basestring(value)  # exactly json.dumps(value, ensure_ascii=False)
    if type(value) is int:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def decode(value: str | None) -> Any:
    """A history value as it was before `encode` (None stays None)."""
    return None if value is None else json.loads(value)


def record(
    db: sqlite_utils.Database,
    actor: str,
    entity: str,
    entity_id: Any,
    field: str,
    old: Any,
    new: Any,
    assessment_id: int | None = None,
    item_id: str | None = None,
    at: str | None = None,
) -> None:
    """Append one history row: `actor` changed `field` of `entity` `entity_id` from `old` to `new`.

    Call it inside the write transaction that makes the change (`write_transaction`), so the change and
    its record are kept or lost together. `at` defaults to now (the app's clock).
    """
    # A plain parameterised INSERT: every write makes at least one of these, and sqlite-utils' insert()
    # inspects the table on each call, which costs more than the write itself.
    db.execute(
        _INSERT,
        [at or clock.iso_now(), actor, entity, str(entity_id), assessment_id, item_id, field, encode(old), encode(new)],
    )


HISTORY_COLUMNS = ("at", "actor", "entity", "entity_id", "assessment_id", "item_id", "field", "old_value", "new_value")
_INSERT = insert_sql("history", HISTORY_COLUMNS)


def record_rows(db: sqlite_utils.Database, rows: list[tuple]) -> None:
    """Append many history rows at once (the bulk paths: an import, a group commit of votes), each already in the
    table's order: (at, actor, entity, entity_id, assessment_id, item_id, field, old_value, new_value), the
    values `encode`d. Inside the caller's write transaction, as `record`."""
    insert_many(db, "history", HISTORY_COLUMNS, rows)

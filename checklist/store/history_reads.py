"""Reading history back: every recorded change to a round, the answers as they stood at any moment, and a
number that changes with every write. Writing it is checklist/db/history.py (`record`)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlite_utils

from checklist.db import decode, query_frame
from checklist.store.answers import EMPTY_RESPONSE


def history(db: sqlite_utils.Database, assessment_id: int, item_id: str | None = None) -> pd.DataFrame:
    """Every recorded change to one assessment (optionally one item), oldest first."""
    params: list[Any] = [assessment_id]
    item_clause = ""
    if item_id is not None:
        item_clause = "AND item_id = ?"
        params.append(item_id)
    frame = query_frame(
        db,
        f"""SELECT id, at, actor, entity, entity_id, item_id, field, old_value, new_value
            FROM history WHERE assessment_id = ? {item_clause} ORDER BY id""",
        params,
    )
    for column in ("old_value", "new_value"):
        # pandas 3 stores missing text as NaN; decode only the JSON strings, keep the rest as None
        frame[column] = pd.Series([decode(v) if isinstance(v, str) else None for v in frame[column]], dtype=object)
    return frame


def responses_as_of(db: sqlite_utils.Database, assessment_id: int, at: str) -> dict[str, dict[str, Any]]:
    """Rebuild every response as it stood at an ISO timestamp, by replaying history."""
    cursor = db.execute(
        """SELECT item_id, field, new_value FROM history
           WHERE assessment_id = ? AND entity = 'response' AND at <= ? ORDER BY id""",
        [assessment_id, at],
    )
    state: dict[str, dict[str, Any]] = {}
    for item_id, field, new_value in cursor.fetchall():
        state.setdefault(item_id, dict(EMPTY_RESPONSE))[field] = decode(new_value)
    return state


def data_version(db: sqlite_utils.Database) -> int:
    """A number that changes with every write (each write appends to history): a cache key for reads."""
    return int(db.execute("SELECT coalesce(max(id), 0) FROM history").fetchone()[0])

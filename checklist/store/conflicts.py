"""Stale-save detection: a change based on a value someone else has since changed is refused, never saved over
theirs, and both versions are kept in history. Answers, actions and round details all use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from checklist.db import record, write_transaction
from checklist.store.rules import StoreError

FIELD_WORDS = {
    "answer": "the level", "level": "the level", "na_reason": "the reason it does not apply",
    "evidence": "the evidence", "evidence_links": "the evidence links", "confidence": "how sure the evidence is",
    "target_level": "the target", "description": "the action", "owner": "the action's owner",
    "due_date": "the due date", "status": "the action's status", "round_label": "the round label",
    "assessment_date": "the assessment date", "participants": "who took part", "submit_note": "the note at submission",
}  # fmt: skip


class StaleSaveError(StoreError):
    """A save based on a value someone else has since changed: nothing was saved; both versions are here."""

    def __init__(self, what: str, field: str, base: Any, theirs: Any, yours: Any, by: str, at: str) -> None:
        self.field, self.base, self.theirs, self.yours, self.by, self.at = field, base, theirs, yours, by, at
        when = (at or "")[11:16]
        super().__init__(
            f"{by} changed {what} at {when} UTC after you started editing, so your change was not saved over "
            "theirs. Keep theirs, keep yours, or merge the two."
        )


def _same(a: Any, b: Any) -> bool:
    """Equal as a user sees them: blank text and no value are the same, as are surrounding spaces."""
    norm = [(v.strip() or None) if isinstance(v, str) else v for v in (a, b)]
    return norm[0] == norm[1]


def check_base(what: str, before: Mapping[str, Any], wanted: Mapping[str, Any], based_on: Mapping[str, Any] | None,
               by: str, at: str) -> None:  # fmt: skip
    """Refuse a change to a field whose stored value is no longer the one the change was based on."""
    for field, base in (based_on or {}).items():
        if field not in wanted or field not in before:
            continue
        if not _same(before[field], base) and not _same(before[field], wanted[field]):
            raise StaleSaveError(what, field, base, before[field], wanted[field], by, at)


def record_refused(db: sqlite_utils.Database, actor: str, entity: str, entity_id: Any, exc: StaleSaveError,
                   assessment_id: int | None, item_id: str | None = None) -> None:  # fmt: skip
    """Keep a refused version in history, so nothing anyone typed is lost even if they keep the other one."""
    with write_transaction(db):
        record(db, actor, entity, entity_id, f"{exc.field} (not saved: changed meanwhile)", exc.theirs, exc.yours,
               assessment_id=assessment_id, item_id=item_id)  # fmt: skip

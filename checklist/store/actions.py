"""Improvement actions on a round's items: added, changed (with stale-save detection), removed and restored, listed,
and the score a round would have if its open actions reached the levels they aim for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlite_utils

from checklist import access
from checklist.clock import iso_now
from checklist.db import insert_row, query_frame, query_row, record, update_row, write_transaction
from checklist.scoring import AssessmentScore, check_level, projected_answers, score_assessment
from checklist.store.answers import answers_from, responses
from checklist.store.conflicts import FIELD_WORDS, StaleSaveError, check_base, record_refused
from checklist.store.rounds import check_item, ensure_draft, framework_of, get_assessment
from checklist.store.rules import NotFoundError, StoreError, authorise, parse_date

ACTION_STATUSES = ("not started", "in progress", "done", "dropped")
ACTION_FIELDS = ("description", "owner", "due_date", "status", "target_level")


def clean_action(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Action fields checked and tidied; refused naming the bad one."""
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise StoreError(f"unknown action field(s) {', '.join(sorted(unknown))}; expected {', '.join(ACTION_FIELDS)}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "status":
            if value not in ACTION_STATUSES:
                raise StoreError(f"action status {value!r} is not one of {', '.join(ACTION_STATUSES)}")
            clean[key] = value
        elif key == "due_date":
            clean[key] = None if value in (None, "") else parse_date(value, "due date")
        elif key == "target_level":
            if value is not None:
                try:
                    check_level(value, "target level")
                except ValueError as exc:
                    raise StoreError(str(exc)) from None
            clean[key] = value
        else:
            clean[key] = (value or "").strip()
    if "description" in clean and not clean["description"]:
        raise StoreError("an action needs a description of what will be done")
    return clean


def add_action(
    db: sqlite_utils.Database, assessment_id: int, item_id: str, actor: str, description: str, **fields: Any
) -> int:
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="add actions to this round")
    assessment = get_assessment(db, assessment_id)
    ensure_draft(assessment)
    check_item(assessment, item_id)
    clean = clean_action({"description": description, **fields})
    now = iso_now()
    with write_transaction(db):
        action_id = insert_row(db, "actions",
            {"status": "not started", **clean, "assessment_id": assessment_id, "item_id": item_id,
             "created_at": now, "created_by": actor, "updated_at": now}
        )  # fmt: skip
        record(
            db, actor, "action", action_id, "created", None, clean, assessment_id=assessment_id, item_id=item_id, at=now
        )
        db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [now, assessment_id])
    return int(action_id)


def _get_action(db: sqlite_utils.Database, action_id: int) -> dict[str, Any]:
    row = query_row(db, "SELECT * FROM actions WHERE id = ?", [action_id])
    if row is None:
        raise NotFoundError(f"no action with id {action_id}")
    return row


def update_action(
    db: sqlite_utils.Database, action_id: int, actor: str, based_on: Mapping[str, Any] | None = None, **changes: Any
) -> bool:
    """Change an action's fields; refused (StaleSaveError) if one was changed by someone since `based_on`."""
    old = _get_action(db, action_id)
    actor = authorise(db, actor, access.EDIT, assessment_id=old["assessment_id"], what="change this action")
    ensure_draft(get_assessment(db, old["assessment_id"]))
    clean = clean_action(changes)
    try:
        check_base(f"{FIELD_WORDS.get(next(iter(clean), ''), 'this action')} of “{old['description']}”", old, clean,
                   based_on, old.get("updated_by") or "someone", old["updated_at"])  # fmt: skip
    except StaleSaveError as exc:
        record_refused(db, actor, "action", action_id, exc, old["assessment_id"], old["item_id"])
        raise
    diff = {k: v for k, v in clean.items() if old[k] != v}
    if not diff:
        return False
    now = iso_now()
    with write_transaction(db):
        update_row(db, "actions", action_id, {**diff, "updated_at": now})
        for key, value in diff.items():
            record(db, actor, "action", action_id, key, old[key], value,
                   assessment_id=old["assessment_id"], item_id=old["item_id"], at=now)  # fmt: skip
    return True


def set_action_deleted(db: sqlite_utils.Database, action_id: int, deleted: bool, actor: str) -> None:
    """Delete (hide) or restore an action; the row stays, so a delete can be undone."""
    old = _get_action(db, action_id)
    actor = authorise(db, actor, access.EDIT, assessment_id=old["assessment_id"], what="remove this action")
    ensure_draft(get_assessment(db, old["assessment_id"]))
    value = iso_now() if deleted else None
    with write_transaction(db):
        update_row(db, "actions", action_id, {"deleted_at": value, "updated_at": iso_now()})
        record(db, actor, "action", action_id, "deleted_at", old["deleted_at"], value,
               assessment_id=old["assessment_id"], item_id=old["item_id"])  # fmt: skip


def list_actions(
    db: sqlite_utils.Database, assessment_id: int, include_deleted: bool = False, item_id: str | None = None
) -> pd.DataFrame:
    """A round's actions (or one item's), oldest first."""
    where = "" if include_deleted else "AND deleted_at IS NULL"
    params: list[Any] = [assessment_id]
    if item_id is not None:
        where += " AND item_id = ?"
        params.append(item_id)
    return query_frame(
        db,
        f"""SELECT id, item_id, description, owner, due_date, status, target_level, deleted_at
            FROM actions WHERE assessment_id = ? {where} ORDER BY id""",
        params,
    )


def open_action_aims(db: sqlite_utils.Database, assessment_id: int) -> dict[str, int]:
    """For each item, the highest level its open actions (not done, not dropped, not deleted) aim for."""
    rows = db.execute(
        """SELECT item_id, MAX(target_level) FROM actions
           WHERE assessment_id = ? AND deleted_at IS NULL AND status IN ('not started', 'in progress')
             AND target_level IS NOT NULL
           GROUP BY item_id""",
        [assessment_id],
    ).fetchall()
    return {item_id: int(aim) for item_id, aim in rows}


def projected_score(db: sqlite_utils.Database, assessment_id: int) -> AssessmentScore:
    """What the round would score if its open actions reached the levels they aim for (scoring.projected_answers)."""
    assessment = get_assessment(db, assessment_id)
    answers = projected_answers(answers_from(responses(db, assessment_id)), open_action_aims(db, assessment_id))
    return score_assessment(
        framework_of(assessment), answers, assessment["include_workforce"], assessment["include_enablers"]
    )


def open_actions_owned_by(db: sqlite_utils.Database, owners: list[str]) -> pd.DataFrame:
    """Open actions (not done, dropped or removed) whose owner is one of these names or addresses, any case,
    with their round; soonest due first, undated last."""
    wanted = [o.strip().casefold() for o in owners if o and o.strip()]
    if not wanted:
        return pd.DataFrame(columns=["id", "assessment_id", "item_id", "description", "owner", "due_date", "status",
                                     "system_id", "place_id", "unit_name", "round_label"])  # fmt: skip
    marks = ", ".join("?" for _ in wanted)
    frame = query_frame(
        db,
        f"""SELECT x.id, x.assessment_id, x.item_id, x.description, x.owner, x.due_date, x.status,
                   a.system_id, a.place_id, coalesce(p.name, s.name || ' (whole system)') AS unit_name, a.round_label
            FROM actions x JOIN assessments a ON a.id = x.assessment_id JOIN systems s ON s.id = a.system_id
            LEFT JOIN places p ON p.id = a.place_id
            WHERE x.deleted_at IS NULL AND x.status NOT IN ('done', 'dropped') AND lower(trim(x.owner)) IN ({marks})
            ORDER BY x.due_date IS NULL, x.due_date, x.id""",
        wanted,
    )
    return frame

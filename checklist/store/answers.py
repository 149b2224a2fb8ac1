"""Answers: where an answer is saved (`save_response`), read back, and scored.

A save touches only the fields given, records each changed field in history in the same transaction, and is
refused (StaleSaveError, conflicts.py) when someone changed a field since the user started editing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from checklist import access
from checklist.clock import iso_now
from checklist.db import query_row, record, write_transaction
from checklist.scoring import (
    ANSWER_KINDS,
    DONT_KNOW,
    LEVEL,
    NOT_APPLICABLE,
    Answer,
    AssessmentScore,
    check_level,
    score_assessment,
)
from checklist.store.conflicts import FIELD_WORDS, StaleSaveError, check_base, record_refused
from checklist.store.rounds import check_item, ensure_draft, framework_of, get_assessment
from checklist.store.rules import StoreError, authorise

CONFIDENCE_LEVELS = ("asserted", "documented", "verified")
RESPONSE_FIELDS = ("answer", "level", "na_reason", "evidence", "evidence_links", "confidence", "target_level")
# An item nobody has answered yet: what every response starts from.
EMPTY_RESPONSE = {
    "answer": None, "level": None, "na_reason": "", "evidence": "", "evidence_links": "",
    "confidence": None, "target_level": None,
}  # fmt: skip


def clean_response(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Response fields checked and tidied, answer and level kept consistent; refused naming the bad one."""
    unknown = set(changes) - set(RESPONSE_FIELDS)
    if unknown:
        raise StoreError(
            f"unknown response field(s) {', '.join(sorted(unknown))}; expected {', '.join(RESPONSE_FIELDS)}"
        )
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "answer":
            if value is not None and value not in ANSWER_KINDS:
                raise StoreError(f"answer {value!r} is not one of {', '.join(ANSWER_KINDS)}")
            clean[key] = value
        elif key in ("level", "target_level"):
            if value is not None:
                try:
                    check_level(value, "target level" if key == "target_level" else "level")
                except ValueError as exc:
                    raise StoreError(str(exc)) from None
            clean[key] = value
        elif key == "confidence":
            if value is not None and value not in CONFIDENCE_LEVELS:
                raise StoreError(f"evidence confidence {value!r} is not one of {', '.join(CONFIDENCE_LEVELS)}")
            clean[key] = value
        else:
            clean[key] = (value or "").strip()
    # Keep answer and level consistent: a level implies answer 'level'; another answer clears it.
    if "level" in clean and clean["level"] is not None:
        if clean.get("answer", LEVEL) != LEVEL:
            raise StoreError(f"a level was given with answer {clean['answer']!r}; a level goes with answer 'level'")
        clean["answer"] = LEVEL
    if clean.get("answer") in (DONT_KNOW, NOT_APPLICABLE, None) and "answer" in clean:
        clean["level"] = None
    if clean.get("answer") == LEVEL and clean.get("level") is None:
        raise StoreError("answer 'level' needs a level from 0 to 4")
    return clean


def save_response(
    db: sqlite_utils.Database,
    assessment_id: int,
    item_id: str,
    actor: str,
    based_on: Mapping[str, Any] | None = None,
    **changes: Any,
) -> bool:
    """Save some fields of one item's response at once; returns True if anything changed.

    Only the fields given are touched. Each changed field is written to history with its old
    and new value, in the same transaction as the change itself. `based_on` gives the value each
    field had when the user started changing it: if someone has changed it since, the save is
    refused with StaleSaveError (both versions kept in history) instead of overwriting their work.
    """
    assessment = get_assessment(db, assessment_id)
    clean = clean_response(changes)
    # Marking evidence verified is a reviewer's step; everything else about an answer is the lead's.
    verifying = set(clean) == {"confidence"} and clean["confidence"] == "verified"
    action = access.REVIEW if verifying else access.EDIT
    if not verifying and clean.get("confidence") == "verified":
        access.check(access.current(db, access.as_user(actor)), access.REVIEW, assessment["system_id"],
                     assessment["place_id"],
                     "mark evidence verified")  # fmt: skip
    actor = authorise(db, actor, action, assessment_id=assessment_id, what="change this assessment's answers")
    ensure_draft(assessment)
    check_item(assessment, item_id)
    try:
        with write_transaction(db):
            return _save_response_locked(db, assessment, item_id, actor, clean, based_on)
    except StaleSaveError as exc:
        record_refused(db, actor, "response", f"{assessment_id}:{item_id}", exc, assessment_id, item_id)
        raise


def _save_response_locked(db: sqlite_utils.Database, assessment: Mapping[str, Any], item_id: str, actor: str,
                          clean: dict[str, Any], based_on: Mapping[str, Any] | None) -> bool:  # fmt: skip
    """save_response's work inside its write transaction: the check and the write see the same row."""
    assessment_id = assessment["id"]
    old = query_row(db, "SELECT * FROM responses WHERE assessment_id = ? AND item_id = ?", [assessment_id, item_id])
    before = {k: (old[k] if old else v) for k, v in EMPTY_RESPONSE.items()}
    title = framework_of(assessment).item(item_id).title
    check_base(f"{FIELD_WORDS.get(next(iter(clean), ''), 'this answer')} for {title}", before, clean, based_on,
               old["updated_by"] if old else "someone", old["updated_at"] if old else "")  # fmt: skip
    # Record fields in a fixed order (answer before level) so history reads the same way every time.
    diff = {k: clean[k] for k in RESPONSE_FIELDS if k in clean and before[k] != clean[k]}
    if not diff:
        return False
    now = iso_now()
    row = {**before, **diff}
    columns = ", ".join(RESPONSE_FIELDS)
    db.execute(
        f"""INSERT INTO responses (assessment_id, item_id, {columns}, updated_at, updated_by)
            VALUES (?, ?, {", ".join("?" for _ in RESPONSE_FIELDS)}, ?, ?)
            ON CONFLICT (assessment_id, item_id) DO UPDATE SET
            {", ".join(f"{c} = excluded.{c}" for c in RESPONSE_FIELDS)},
            updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
        [assessment_id, item_id, *(row[c] for c in RESPONSE_FIELDS), now, actor],
    )
    for key, value in diff.items():
        record(db, actor, "response", f"{assessment_id}:{item_id}", key, before[key], value,
               assessment_id=assessment_id, item_id=item_id, at=now)  # fmt: skip
    db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [now, assessment_id])
    return True


def responses(db: sqlite_utils.Database, assessment_id: int) -> dict[str, dict[str, Any]]:
    """Every saved response of one assessment, keyed by item id."""
    cursor = db.execute("SELECT * FROM responses WHERE assessment_id = ?", [assessment_id])
    columns = [c[0] for c in cursor.description]
    return {row[1]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def answers_from(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for item_id, row in rows.items():
        if row["answer"] is None:
            continue
        out[item_id] = Answer(row["answer"], row["level"], row["target_level"])
    return out


def score(db: sqlite_utils.Database, assessment_id: int) -> AssessmentScore:
    """Score an assessment with the framework version it was made with."""
    assessment = get_assessment(db, assessment_id)
    return score_assessment(
        framework_of(assessment),
        answers_from(responses(db, assessment_id)),
        assessment["include_workforce"],
        assessment["include_enablers"],
    )


def completeness_problems(db: sqlite_utils.Database, assessment_id: int) -> list[str]:
    """What stops an assessment being submitted: unanswered items and N/A without a reason."""
    assessment = get_assessment(db, assessment_id)
    framework = framework_of(assessment)
    saved = responses(db, assessment_id)
    problems = []
    for item in framework.items_of(assessment):
        row = saved.get(item.id)
        if row is None or row["answer"] is None:
            problems.append(f"{item.title}: not answered")
        elif row["answer"] == NOT_APPLICABLE and not row["na_reason"]:
            problems.append(f"{item.title}: marked not applicable without a reason")
    return problems

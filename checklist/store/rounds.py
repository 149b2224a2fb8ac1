"""Assessment rounds: starting one for a system or a place, reading and listing them, correcting their details,
and the checks every change to a round makes (still a draft? an item of its framework?).

What happens to a round later (submit, reopen, sign-off, a move to a newer framework) reads its answers, so it
is in lifecycle.py, above answers.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
import sqlite_utils

from checklist import access, local_items
from checklist.clock import iso_now
from checklist.db import insert_row, query_frame, query_row, record, update_row, write_transaction
from checklist.framework import ENABLERS_MODULE, Framework, current_framework, framework_for
from checklist.store import local_modules
from checklist.store.conflicts import FIELD_WORDS, StaleSaveError, check_base, record_refused
from checklist.store.rules import (
    LockedError,
    NotFoundError,
    RoundClashError,
    StoreError,
    authorise,
    clean_name,
    parse_date,
)
from checklist.store.units import get_place, get_system

# A round's local items, read with it (any query joining assessments as `a` adds these): local_items.of_round
# builds the framework the round is answered and scored against from them.
LOCAL_COLUMNS = (
    "lm.version AS local_version, lm.title AS local_title, lm.description AS local_description, lm.items AS local_items"
)
LOCAL_JOIN = "LEFT JOIN local_modules lm ON lm.id = a.local_module_id"

DRAFT = "draft"
SUBMITTED = "submitted"
ASSESSMENT_DETAIL_FIELDS = ("round_label", "assessment_date", "participants", "submit_note")
MAX_SUBMIT_NOTE = 2000


def create_assessment(
    db: sqlite_utils.Database,
    system_id: int,
    place_id: int | None,
    round_label: str,
    assessment_date: str | date,
    actor: str,
    include_workforce: bool = False,
    participants: str = "",
    framework_version: str | None = None,
    include_enablers: bool = False,
    include_local: bool = True,
) -> int:
    """Start a draft assessment round for a system (place_id None) or one of its places. With include_local, the
    round includes the newest published version of the system's own local items, if it has any."""
    actor = authorise(db, actor, access.EDIT, system_id=system_id, place_id=place_id, what="start a round here")
    system = get_system(db, system_id)
    unit_name = system["name"]
    if place_id is not None:
        place = get_place(db, place_id)
        if place["system_id"] != system_id:
            raise StoreError(f"place {place['name']!r} is not in system {system['name']!r}")
        unit_name = f"{place['name']} ({system['name']})"
    label = clean_name(round_label, "round")
    when = parse_date(assessment_date)
    version = framework_version or current_framework().version
    framework = framework_for(version)  # raises if this app does not know the version
    if include_enablers and not framework.has_module(ENABLERS_MODULE):
        raise StoreError(f"framework {version} has no enablers module; it was added in version 1.1")
    clash = query_row(
        db,
        "SELECT id FROM assessments WHERE system_id = ? AND coalesce(place_id, 0) = coalesce(?, 0) "
        "AND lower(round_label) = lower(?)",
        [system_id, place_id, label],
    )
    if clash:
        raise RoundClashError(
            f"{unit_name} already has a round called {label!r}; choose another label "
            "(e.g. add the quarter or year) or resume that round"
        )
    local_id = local_modules.for_new_round(db, system_id) if include_local else None
    now = iso_now()
    with write_transaction(db):
        assessment_id = insert_row(
            db,
            "assessments",
            {
                "local_module_id": local_id,
                "system_id": system_id,
                "place_id": place_id,
                "round_label": label,
                "assessment_date": when,
                "framework_version": version,
                "include_workforce": int(bool(include_workforce)),
                "include_enablers": int(bool(include_enablers)),
                "status": DRAFT,
                "participants": participants.strip(),
                "signed_off_by": "",
                "created_at": now,
                "created_by": actor,
                "updated_at": now,
            },
        )
        record(db, actor, "assessment", assessment_id, "created", None, label, assessment_id=assessment_id)
    return int(assessment_id)


def get_assessment(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any]:
    row = query_row(
        db,
        f"""SELECT a.*, s.name AS system_name, p.name AS place_name, {LOCAL_COLUMNS}
           FROM assessments a JOIN systems s ON s.id = a.system_id
           LEFT JOIN places p ON p.id = a.place_id {LOCAL_JOIN} WHERE a.id = ?""",
        [assessment_id],
    )
    if row is None:
        raise NotFoundError(f"no assessment with id {assessment_id}")
    row["include_workforce"] = bool(row["include_workforce"])
    row["include_enablers"] = bool(row["include_enablers"])
    row["unit_name"] = row["place_name"] or f"{row['system_name']} (whole system)"
    return row


def update_assessment_details(
    db: sqlite_utils.Database,
    assessment_id: int,
    actor: str,
    based_on: Mapping[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Change a draft round's details; refused (StaleSaveError) if one was changed by someone since `based_on`."""
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="change this round's details")
    unknown = set(changes) - set(ASSESSMENT_DETAIL_FIELDS)
    if unknown:
        raise StoreError(f"unknown assessment field(s) {', '.join(sorted(unknown))}")
    old = get_assessment(db, assessment_id)
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "assessment_date":
            clean[key] = parse_date(value)
        elif key == "round_label":
            clean[key] = clean_name(value, "round")
        elif key == "submit_note":
            clean[key] = clean_note(value)
        else:
            clean[key] = (value or "").strip()
    if all(old[k] == v for k, v in clean.items()):
        return  # nothing would change (a late echo of a saved box, even on a locked round): nothing to refuse
    ensure_draft(old)
    if "round_label" in clean:
        clash = query_row(
            db,
            "SELECT id FROM assessments WHERE system_id = ? AND coalesce(place_id, 0) = coalesce(?, 0) "
            "AND lower(round_label) = lower(?) AND id != ?",
            [old["system_id"], old["place_id"], clean["round_label"], assessment_id],
        )
        if clash:
            raise RoundClashError(f"{old['unit_name']} already has a round called {clean['round_label']!r}")
    try:
        check_base(f"{FIELD_WORDS.get(next(iter(clean), ''), 'the round')} of this round", old, clean, based_on,
                   "someone", old["updated_at"])  # fmt: skip
    except StaleSaveError as exc:
        record_refused(db, actor, "assessment", assessment_id, exc, assessment_id)
        raise
    diff = {k: v for k, v in clean.items() if old[k] != v}
    if not diff:
        return
    with write_transaction(db):
        update_row(db, "assessments", assessment_id, {**diff, "updated_at": iso_now()})
        for key, value in diff.items():
            record(db, actor, "assessment", assessment_id, key, old[key], value, assessment_id=assessment_id)


def ensure_draft(assessment: Mapping[str, Any]) -> None:
    """Refuse (LockedError) any change to a round that is submitted, and so locked."""
    if assessment["status"] != DRAFT:
        raise LockedError(
            f"{assessment['unit_name']} · {assessment['round_label']} is submitted and locked; "
            "reopen it first to make changes"
        )


# What a list of rounds shows (the rounds picker, Home's recent rounds), with how many items are answered.
_ROUND_LISTING = """a.id, a.system_id, a.place_id, s.name AS system_name, p.name AS place_name,
       a.round_label, a.assessment_date, a.status, a.framework_version, a.include_workforce, a.include_enablers,
       a.updated_at, a.local_module_id, coalesce(lm.item_count, 0) AS local_count,
       (SELECT count(*) FROM responses r WHERE r.assessment_id = a.id AND r.answer IS NOT NULL) AS answered
    FROM assessments a JOIN systems s ON s.id = a.system_id LEFT JOIN places p ON p.id = a.place_id
    LEFT JOIN local_modules lm ON lm.id = a.local_module_id"""


def list_assessments(
    db: sqlite_utils.Database,
    system_id: int | None = None,
    place_id: int | None = None,
    whole_system: bool = False,
    status: str | None = None,
) -> pd.DataFrame:
    """Assessments of one unit (or all when no unit is given), oldest first, with answer counts."""
    clauses, params = [], []
    if status is not None:
        clauses.append("a.status = ?")
        params.append(status)
    if place_id is not None:
        clauses.append("a.place_id = ?")
        params.append(place_id)
    elif system_id is not None:
        clauses.append("a.system_id = ?")
        params.append(system_id)
        if whole_system:
            clauses.append("a.place_id IS NULL")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    frame = query_frame(
        db,
        f"""SELECT {_ROUND_LISTING}
            {where}
            ORDER BY a.assessment_date, a.id""",
        params,
    )
    return _with_totals(frame)


def awaiting_sign_off(db: sqlite_utils.Database) -> pd.DataFrame:
    """Submitted rounds nobody has signed off yet, oldest first."""
    return query_frame(
        db,
        """SELECT a.id, a.system_id, a.place_id, coalesce(p.name, s.name || ' (whole system)') AS unit_name,
                  a.round_label, a.submitted_at, a.submitted_by
           FROM assessments a JOIN systems s ON s.id = a.system_id LEFT JOIN places p ON p.id = a.place_id
           WHERE a.status = 'submitted' AND a.signed_off_at IS NULL ORDER BY a.submitted_at, a.id""",
    )


def recent_assessments(db: sqlite_utils.Database, limit: int = 10) -> pd.DataFrame:
    frame = query_frame(
        db,
        f"""SELECT {_ROUND_LISTING}
           WHERE s.archived_at IS NULL
           ORDER BY a.updated_at DESC LIMIT ?""",
        [limit],
    )
    return _with_totals(frame)


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(
            unit_name=pd.Series(dtype=str), total=pd.Series(dtype=int), completion=pd.Series(dtype=float)
        )
    frame["include_workforce"] = frame["include_workforce"].astype(bool)
    frame["include_enablers"] = frame["include_enablers"].astype(bool)
    frame["unit_name"] = [
        p if isinstance(p, str) else f"{s} (whole system)"
        for p, s in zip(frame["place_name"], frame["system_name"], strict=True)
    ]
    frame["total"] = [
        len(framework_for(v).items_for(w, e)) + int(n)
        for v, w, e, n in zip(
            frame["framework_version"],
            frame["include_workforce"],
            frame["include_enablers"],
            frame["local_count"],
            strict=True,
        )
    ]
    frame["completion"] = frame["answered"] / frame["total"]
    return frame


def framework_of(assessment: Mapping[str, Any]) -> Framework:
    """The framework a round was made with (or moved to), with the system's local items when it includes them
    (an assessment as get_assessment reads it, or any row with LOCAL_COLUMNS)."""
    return local_items.of_round(assessment)


def check_item(assessment: Mapping[str, Any], item_id: str) -> None:
    """Refuse an item id that is not in the round's framework and the modules it chose."""
    framework = framework_of(assessment)
    in_scope = [i.id for i in framework.items_of(assessment)]
    if item_id not in in_scope:
        raise StoreError(
            f"unknown item id {item_id!r} for this assessment (framework {framework.version}); "
            f"expected one of: {', '.join(in_scope)}"
        )


def clean_note(value: Any) -> str:
    """The lead's note at submission, trimmed; refused when longer than MAX_SUBMIT_NOTE characters."""
    note = (value or "").strip()
    if len(note) > MAX_SUBMIT_NOTE:
        raise StoreError(f"the note is {len(note)} characters long; expected at most {MAX_SUBMIT_NOTE}")
    return note


def suggest_round_label(today: date) -> str:
    """A round label for a date, by calendar quarter: '2026 Q4'."""
    return f"{today.year} Q{(today.month - 1) // 3 + 1}"

"""A round's later steps: submitted (complete, then locked), reopened with a reason, signed off by a reviewer
(four eyes, by identity), or moved to a newer framework version or to its system's newer local items. Each is one
transaction with its history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlite_utils

from checklist import access
from checklist.clock import iso_now
from checklist.db import decode, record, update_row, write_transaction
from checklist.framework import CarryOver, carry_over, current_framework, wording_changes
from checklist.store import local_modules
from checklist.store.answers import RESPONSE_FIELDS, completeness_problems, responses
from checklist.store.rounds import DRAFT, SUBMITTED, clean_note, ensure_draft, framework_of, get_assessment
from checklist.store.rules import IncompleteError, StoreError, authorise


def submit_assessment(db: sqlite_utils.Database, assessment_id: int, actor: access.User | str, note: str = "") -> None:
    """Check completeness, then lock the assessment. Raises IncompleteError listing what is missing.

    `note` is the lead's free note at submission (kept as the round's submit_note). It is never a
    sign-off: only a reviewer's own `sign_off` records one.
    """
    who = access.as_user(actor)
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="submit this round")
    assessment = get_assessment(db, assessment_id)
    ensure_draft(assessment)
    note = clean_note(note) if note and note.strip() else assessment["submit_note"]
    problems = completeness_problems(db, assessment_id)
    if problems:
        raise IncompleteError(
            f"{len(problems)} item(s) need an answer before this assessment can be submitted", problems
        )
    now = iso_now()
    with write_transaction(db):
        update_row(db, "assessments",
            assessment_id,
            {"status": SUBMITTED, "submitted_at": now, "submitted_by": actor, "submitted_by_user_id": who.id,
             "updated_at": now, "submit_note": note},
        )  # fmt: skip
        record(db, actor, "assessment", assessment_id, "status", DRAFT, SUBMITTED, assessment_id=assessment_id, at=now)
        if note != assessment["submit_note"]:
            record(db, actor, "assessment", assessment_id, "submit_note", assessment["submit_note"], note,
                   assessment_id=assessment_id, at=now)  # fmt: skip


def move_to_framework(
    db: sqlite_utils.Database, assessment_id: int, actor: access.User | str, version: str | None = None
) -> CarryOver:
    """Move a draft to a newer framework version (the current one by default), explicitly, by its lead.

    Answers to items that still exist are kept; those whose wording changed are kept and listed for
    another look (`moved_items_to_review`); answers to items the newer version dropped are removed,
    each with its old value in the history. Nothing else changes, and everything is one transaction.
    """
    name = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="move this round to a newer framework")
    assessment = get_assessment(db, assessment_id)
    ensure_draft(assessment)
    older = framework_of(assessment)  # both with the round's local items, which a move keeps as they are
    newer = framework_of({**assessment, "framework_version": version or current_framework().version})
    if _version_key(newer.version) <= _version_key(older.version):
        raise StoreError(
            f"this round already uses framework {older.version}; it can only move to a newer version "
            f"(expected one after {older.version})"
        )
    saved = responses(db, assessment_id)
    plan = carry_over(older, newer, list(saved))
    now = iso_now()
    with write_transaction(db):
        for item_id in plan.dropped:
            db.execute("DELETE FROM responses WHERE assessment_id = ? AND item_id = ?", [assessment_id, item_id])
            record(db, name, "response", f"{assessment_id}:{item_id}", f"removed (not in framework {newer.version})",
                   {k: saved[item_id][k] for k in RESPONSE_FIELDS}, None, assessment_id=assessment_id,
                   item_id=item_id, at=now)  # fmt: skip
        db.execute(
            "UPDATE assessments SET framework_version = ?, updated_at = ? WHERE id = ?",
            [newer.version, now, assessment_id],
        )
        record(db, name, "assessment", assessment_id, "framework_version", older.version, newer.version,
               assessment_id=assessment_id, at=now)  # fmt: skip
    return plan


def local_items_move(
    db: sqlite_utils.Database, assessment: Mapping[str, Any]
) -> tuple[dict[str, Any], CarryOver] | None:
    """A draft whose system has published newer local items than it includes: (the newest version's row, what
    moving to it would keep, flag and drop). None when the round is submitted or already has the newest."""
    if assessment["status"] != DRAFT:
        return None
    newest = local_modules.latest(db, assessment["system_id"])
    if newest is None or newest["id"] == assessment.get("local_module_id"):
        return None
    newer = framework_of({**assessment, **_local_columns(newest)})
    return newest, carry_over(framework_of(assessment), newer, list(responses(db, assessment["id"])))


def _local_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"local_module_id": row["id"], "local_version": row["version"], "local_title": row["title"],
            "local_description": row["description"], "local_items": row["items"]}  # fmt: skip


def move_to_local_items(db: sqlite_utils.Database, assessment_id: int, actor: access.User | str) -> CarryOver:
    """Move a draft to its system's newest local items, explicitly, by its lead (a round keeps the version it
    started with until then). Answers to local items that still exist are kept (those reworded are flagged, as a
    move to a newer framework flags them); answers to items the newer version dropped are removed, each kept in the
    history. One transaction."""
    name = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="move this round to newer local items")
    assessment = get_assessment(db, assessment_id)
    ensure_draft(assessment)
    move = local_items_move(db, assessment)
    if move is None:
        raise StoreError("this round already includes its system's newest local items (or the system has none)")
    newest, plan = move
    saved = responses(db, assessment_id)
    now = iso_now()
    with write_transaction(db):
        for item_id in plan.dropped:
            db.execute("DELETE FROM responses WHERE assessment_id = ? AND item_id = ?", [assessment_id, item_id])
            record(db, name, "response", f"{assessment_id}:{item_id}", "removed (not in the newer local items)",
                   {k: saved[item_id][k] for k in RESPONSE_FIELDS}, None, assessment_id=assessment_id,
                   item_id=item_id, at=now)  # fmt: skip
        db.execute("UPDATE assessments SET local_module_id = ?, updated_at = ? WHERE id = ?",
                   [newest["id"], now, assessment_id])  # fmt: skip
        record(db, name, "assessment", assessment_id, "local items version", assessment.get("local_version"),
               newest["version"], assessment_id=assessment_id, at=now)  # fmt: skip
    return plan


def moved_items_to_review(db: sqlite_utils.Database, assessment: Mapping[str, Any]) -> list[str]:
    """Items of a draft moved from an older framework whose wording changed: answered before the move, to look
    at again. Empty for a round never moved, or once it is submitted."""
    if assessment["status"] != DRAFT:
        return []
    row = db.execute(
        """SELECT old_value, at FROM history WHERE assessment_id = ? AND entity = 'assessment'
           AND field = 'framework_version' ORDER BY id DESC LIMIT 1""",
        [assessment["id"]],
    ).fetchone()
    if row is None:
        return []
    older, moved_at = framework_of({**assessment, "framework_version": decode(row[0])}), row[1]
    changed = wording_changes(older, framework_of(assessment))
    # Answered before the move, and not touched since: the ones still waiting for a look.
    waiting = db.execute(
        "SELECT item_id FROM responses WHERE assessment_id = ? AND updated_at <= ? AND answer IS NOT NULL",
        [assessment["id"], moved_at],
    ).fetchall()
    return [item_id for (item_id,) in waiting if changed.get(item_id) == "changed"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def reopen_assessment(db: sqlite_utils.Database, assessment_id: int, actor: str, reason: str) -> None:
    """Unlock a submitted assessment: an explicit step, recorded in history with its reason."""
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="reopen this round")
    assessment = get_assessment(db, assessment_id)
    if assessment["status"] != SUBMITTED:
        raise StoreError(f"{assessment['unit_name']} · {assessment['round_label']} is not submitted; nothing to reopen")
    if not reason or not reason.strip():
        raise StoreError("reopening a submitted assessment needs a reason, recorded in its history")
    now = iso_now()
    with write_transaction(db):
        # A sign-off was of the round as submitted: reopening withdraws it, whoever gave it (history keeps
        # who and when), so a resubmitted round waits for a new one.
        update_row(db, "assessments",
            assessment_id,
            {"status": DRAFT, "updated_at": now, "signed_off_at": None, "signed_off_by": "",
             "signed_off_user_id": None},
        )  # fmt: skip
        record(db, actor, "assessment", assessment_id, "status", SUBMITTED, DRAFT, assessment_id=assessment_id, at=now)
        if assessment.get("signed_off_at"):
            record(db, actor, "assessment", assessment_id, "signed_off_at", assessment["signed_off_at"], None,
                   assessment_id=assessment_id, at=now)  # fmt: skip
            record(db, actor, "assessment", assessment_id, "signed_off_by", assessment["signed_off_by"], "",
                   assessment_id=assessment_id, at=now)  # fmt: skip
        record(db, actor, "assessment", assessment_id, "reopen_reason", None, reason.strip(),
               assessment_id=assessment_id, at=now)  # fmt: skip


def sign_off(db: sqlite_utils.Database, assessment_id: int, actor: access.User) -> None:
    """A reviewer's sign-off of a submitted round, recorded by who they are (their user id) and when.

    Only a signed-in person can sign off (never a name typed by someone else, nor the one user of local
    mode). Four eyes: whoever submitted the round cannot sign it off, compared by identity, so a
    renamed account is still the same person.
    """
    if not isinstance(actor, access.User) or actor.id is None:
        raise access.PermissionDenied(
            "a sign-off is a reviewer's own act: sign in on the shared copy of the tool as a reviewer to give it "
            "(local mode has no sign-off)"
        )
    name = authorise(db, actor, access.REVIEW, assessment_id=assessment_id, what="sign off this round")
    assessment = get_assessment(db, assessment_id)
    if assessment.get("signed_off_at"):
        raise StoreError(f"{assessment['unit_name']} · {assessment['round_label']} is already signed off")
    if assessment["status"] != SUBMITTED:
        raise StoreError(
            f"{assessment['unit_name']} · {assessment['round_label']} is still a draft; it can be signed off "
            "once its lead has submitted it"
        )
    if assessment["submitted_by_user_id"] == actor.id:
        raise access.PermissionDenied(
            f"{name} submitted this round, so someone else must sign it off (a second pair of eyes)"
        )
    now = iso_now()
    with write_transaction(db):
        update_row(db, "assessments",
            assessment_id, {"signed_off_by": name, "signed_off_user_id": actor.id, "signed_off_at": now,
                            "updated_at": now},
        )  # fmt: skip
        record(db, name, "assessment", assessment_id, "signed_off_at", None, now, assessment_id=assessment_id, at=now)

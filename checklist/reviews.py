"""The reviewer's step between answering and improving: comments on a round's evidence, and evidence verified.

A reviewer (or an admin) comments on an item's evidence, or on the round as a whole, and marks
evidence verified once checked. A comment stays open until the lead answers it by changing the
round and marks it addressed (a reviewer may too); a reviewer may withdraw their own comment.
Nothing is erased: every step is a history row, and withdrawn comments are only hidden.
Sign-off itself is `store.sign_off` (four eyes).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlite_utils

from checklist import access, store
from checklist.clock import iso_now
from checklist.db import query_frame, query_row, record, write_transaction
from checklist.errors import StoreError
from checklist.store import authorise

MAX_COMMENT = 2000
VERIFIED = "verified"


def _comment(db: sqlite_utils.Database, comment_id: int) -> dict[str, Any]:
    row = query_row(db, "SELECT * FROM review_comments WHERE id = ?", [comment_id])
    if row is None:
        raise store.NotFoundError(f"no review comment with id {comment_id}")
    return row


def add_comment(
    db: sqlite_utils.Database, assessment_id: int, text: str, actor: access.User | str, item_id: str | None = None
) -> int:
    """A reviewer's comment on one item's evidence (or, with no item, on the round); returns its id."""
    name = authorise(db, actor, access.REVIEW, assessment_id=assessment_id, what="comment on this round's evidence")
    assessment = store.get_assessment(db, assessment_id)
    if item_id is not None:
        store.check_item(assessment, item_id)
    text = (text or "").strip()
    if not text:
        raise StoreError("the comment is empty; expected some text")
    if len(text) > MAX_COMMENT:
        raise StoreError(f"the comment is {len(text)} characters long; expected at most {MAX_COMMENT}")
    now = iso_now()
    with write_transaction(db):
        cursor = db.execute(
            """INSERT INTO review_comments (assessment_id, item_id, text, created_at, created_by)
               VALUES (?, ?, ?, ?, ?) RETURNING id""",
            [assessment_id, item_id, text, now, name],
        )
        comment_id = int(cursor.fetchone()[0])
        record(db, name, "review_comment", comment_id, "text", None, text,
               assessment_id=assessment_id, item_id=item_id, at=now)  # fmt: skip
    return comment_id


def set_addressed(db: sqlite_utils.Database, comment_id: int, addressed: bool, actor: access.User | str) -> None:
    """Mark a comment addressed (or open again): the round's lead or a reviewer may."""
    comment = _comment(db, comment_id)
    assessment = store.get_assessment(db, comment["assessment_id"])
    user = access.as_user(actor)
    # Either side of the review may close the loop; the one permission function decides which applies.
    action = (
        access.EDIT
        if access.can(user, access.EDIT, assessment["system_id"], assessment["place_id"])
        else (access.REVIEW)
    )
    name = authorise(db, actor, action, assessment_id=assessment["id"], what="mark review comments addressed")
    if comment["withdrawn_at"]:
        raise StoreError("that comment was withdrawn by its reviewer; there is nothing to address")
    if bool(comment["addressed_at"]) == addressed:
        return
    now = iso_now() if addressed else None
    with write_transaction(db):
        db.execute(
            "UPDATE review_comments SET addressed_at = ?, addressed_by = ? WHERE id = ?",
            [now, name if addressed else None, comment_id],
        )
        record(db, name, "review_comment", comment_id, "addressed", bool(comment["addressed_at"]), addressed,
               assessment_id=assessment["id"], item_id=comment["item_id"])  # fmt: skip


def withdraw(db: sqlite_utils.Database, comment_id: int, actor: access.User | str) -> None:
    """Withdraw a comment (hidden, kept in history): only a reviewer, and only their own unless an admin."""
    comment = _comment(db, comment_id)
    name = authorise(db, actor, access.REVIEW, assessment_id=comment["assessment_id"], what="withdraw review comments")
    user = access.current(db, access.as_user(actor))
    unit = db.execute("SELECT system_id, place_id FROM assessments WHERE id = ?", [comment["assessment_id"]]).fetchone()
    if comment["created_by"].casefold() != name.casefold() and not access.can(user, access.MANAGE, *unit):
        raise access.PermissionDenied(
            f"{name} may withdraw only their own comments; this one is {comment['created_by']}'s"
        )
    if comment["withdrawn_at"]:
        return
    now = iso_now()
    with write_transaction(db):
        db.execute("UPDATE review_comments SET withdrawn_at = ? WHERE id = ?", [now, comment_id])
        record(db, name, "review_comment", comment_id, "withdrawn", False, True,
               assessment_id=comment["assessment_id"], item_id=comment["item_id"], at=now)  # fmt: skip


def comments(
    db: sqlite_utils.Database,
    assessment_id: int,
    include_withdrawn: bool = False,
    item_id: str | None = None,
    open_only: bool = False,
) -> pd.DataFrame:
    """A round's review comments (or one item's; or only those still open), open ones first, then oldest first."""
    where, params = ("" if include_withdrawn else "AND withdrawn_at IS NULL"), [assessment_id]
    if item_id is not None:
        where += " AND item_id = ?"
        params.append(item_id)
    if open_only:
        where += " AND addressed_at IS NULL"
    return query_frame(
        db,
        f"""SELECT id, item_id, text, created_at, created_by, addressed_at, addressed_by, withdrawn_at
            FROM review_comments WHERE assessment_id = ? {where}
            ORDER BY addressed_at IS NOT NULL, id""",
        params,
    )


def open_count(db: sqlite_utils.Database, assessment_id: int) -> int:
    """How many comments on the round still wait for an answer."""
    row = db.execute(
        """SELECT count(*) FROM review_comments
           WHERE assessment_id = ? AND addressed_at IS NULL AND withdrawn_at IS NULL""",
        [assessment_id],
    ).fetchone()
    return int(row[0])


def verify_evidence(db: sqlite_utils.Database, assessment_id: int, item_id: str, actor: access.User | str) -> bool:
    """Mark an item's evidence verified, on a draft or a submitted round (not once it is signed off).

    Verifying changes no answer, so it is allowed after submission, when review usually happens.
    Returns False when it was already verified. Evidence must exist to be verified.
    """
    name = authorise(db, actor, access.REVIEW, assessment_id=assessment_id, what="mark evidence verified")
    assessment = store.get_assessment(db, assessment_id)
    store.check_item(assessment, item_id)
    if assessment.get("signed_off_at"):
        raise StoreError(
            f"{assessment['unit_name']} · {assessment['round_label']} is already signed off; reopen it to review again"
        )
    with write_transaction(db):
        row = query_row(db, "SELECT evidence, confidence FROM responses WHERE assessment_id = ? AND item_id = ?",
                        [assessment_id, item_id])  # fmt: skip
        if row is None or not (row["evidence"] or "").strip():
            raise StoreError("this item has no evidence recorded yet, so there is nothing to verify")
        if row["confidence"] == VERIFIED:
            return False
        now = iso_now()
        db.execute(
            """UPDATE responses SET confidence = ?, updated_at = ?, updated_by = ?
               WHERE assessment_id = ? AND item_id = ?""",
            [VERIFIED, now, name, assessment_id, item_id],
        )
        record(db, name, "response", f"{assessment_id}:{item_id}", "confidence", row["confidence"], VERIFIED,
               assessment_id=assessment_id, item_id=item_id, at=now)  # fmt: skip
    return True

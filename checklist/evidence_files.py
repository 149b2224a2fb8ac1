"""Files attached to an item's evidence: PDF, Word, Excel, PowerPoint, images and plain text, up to a size.

The type is read from the file's content (filetype's signatures, which look inside Office files' zip parts),
never from its name: anything else is refused, saying what was found and what is allowed. Files are kept in the
database with their SHA-256, so backups, restores, the subject-access export and erasure include them as they
include everything else; removing a file hides it (kept in history, restorable), and nothing is ever served
inline: the pages offer each file only as a download, to people who may read the round.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import filetype
import pandas as pd
import sqlite_utils

from checklist import access
from checklist.clock import iso_now
from checklist.db import insert_row, query_frame, query_row, record, write_transaction
from checklist.store.rules import NotFoundError, StoreError, authorise

MAX_MB_VAR = "CHECKLIST_MAX_EVIDENCE_MB"
DEFAULT_MAX_MB = 20
NAME_LONGEST = 200
# What may be attached, by the type its content shows: (words for people, the media type it is served as).
ALLOWED = {
    "pdf": ("PDF", "application/pdf"),
    "docx": ("Word document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "doc": ("Word document (older format)", "application/msword"),
    "xlsx": ("Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xls": ("Excel workbook (older format)", "application/vnd.ms-excel"),
    "pptx": ("PowerPoint presentation", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "ppt": ("PowerPoint presentation (older format)", "application/vnd.ms-powerpoint"),
    "odt": ("OpenDocument text", "application/vnd.oasis.opendocument.text"),
    "png": ("PNG image", "image/png"),
    "jpg": ("JPEG image", "image/jpeg"),
    "gif": ("GIF image", "image/gif"),
    "webp": ("WebP image", "image/webp"),
    "txt": ("plain text", "text/plain"),
}
ALLOWED_WORDS = "PDF, Word, Excel, PowerPoint, OpenDocument text, PNG, JPEG, GIF or WebP images, or plain text"


@dataclass(frozen=True)
class Kind:
    key: str
    words: str
    media_type: str


def max_bytes() -> int:
    raw = os.environ.get(MAX_MB_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_MB * 1024 * 1024
    if not raw.isdigit() or int(raw) < 1:
        raise StoreError(f"{MAX_MB_VAR}={raw!r} is not a size; expected a whole number of megabytes such as 20")
    return int(raw) * 1024 * 1024


def _is_text(data: bytes) -> bool:
    """Plain text: UTF-8 (or ASCII) with no NUL bytes and no control characters but tabs and line breaks."""
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\r\n\f" for c in text)


def kind_of(data: bytes) -> Kind:
    """What the content is, if it is allowed; refused (StoreError) naming what was found and what is allowed."""
    found = filetype.guess(data)
    if found is not None and found.extension in ALLOWED:
        words, media = ALLOWED[found.extension]
        return Kind(found.extension, words, media)
    if found is None and data and _is_text(data):
        return Kind("txt", *ALLOWED["txt"])
    what = f"a {found.extension.upper()} file ({found.mime})" if found is not None else (
        "an empty file" if not data else "content of no type this tool accepts")  # fmt: skip
    raise StoreError(f"the file is {what}; expected {ALLOWED_WORDS}")


def clean_name(name: str) -> str:
    """The file's own name, without any folder a browser sent, control characters or more than 200 characters."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return (base or "evidence")[:NAME_LONGEST]


def _assessment(db: sqlite_utils.Database, assessment_id: int) -> dict:
    row = query_row(db, "SELECT id, status, system_id, place_id FROM assessments WHERE id = ?", [assessment_id])
    if row is None:
        raise NotFoundError(f"no assessment with id {assessment_id}")
    return row


def attach(
    db: sqlite_utils.Database, actor: access.User | str, assessment_id: int, item_id: str, name: str, data: bytes
) -> int:
    """Keep a file as evidence for one item of a draft round; returns its id. Checked before anything is written."""
    who = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="attach evidence to this round")
    round_ = _assessment(db, assessment_id)
    if round_["status"] != "draft":
        raise StoreError("this round is submitted and locked; reopen it to attach evidence")
    limit = max_bytes()
    if len(data) > limit:
        raise StoreError(f"the file is {len(data) / 1048576:.1f} MB; expected at most {limit // 1048576} MB")
    kind = kind_of(data)
    clean = clean_name(name)
    digest = hashlib.sha256(data).hexdigest()
    with write_transaction(db):
        file_id = insert_row(
            db,
            "evidence_files",
            {"assessment_id": assessment_id, "item_id": item_id, "name": clean, "kind": kind.words,
             "media_type": kind.media_type, "size": len(data), "sha256": digest, "content": data,
             "added_at": iso_now(), "added_by": who},
        )  # fmt: skip
        record(db, who, "evidence_file", file_id, "attached", None,
               {"name": clean, "kind": kind.words, "size": len(data), "sha256": digest},
               assessment_id=assessment_id, item_id=item_id)  # fmt: skip
    return int(file_id)


def set_removed(db: sqlite_utils.Database, actor: access.User | str, file_id: int, removed: bool) -> None:
    """Remove a file from the evidence (hidden, kept, in the history) or bring it back."""
    row = query_row(db, "SELECT assessment_id, item_id, name, removed_at FROM evidence_files WHERE id = ?", [file_id])
    if row is None:
        raise NotFoundError(f"no evidence file with id {file_id}")
    who = authorise(db, actor, access.EDIT, assessment_id=row["assessment_id"], what="change this round's evidence")
    if _assessment(db, row["assessment_id"])["status"] != "draft":
        raise StoreError("this round is submitted and locked; reopen it to change its evidence")
    value = iso_now() if removed else None
    with write_transaction(db):
        db.execute("UPDATE evidence_files SET removed_at = ? WHERE id = ?", [value, file_id])
        record(db, who, "evidence_file", file_id, "removed_at", row["removed_at"], value,
               assessment_id=row["assessment_id"], item_id=row["item_id"])  # fmt: skip


def listed(db: sqlite_utils.Database, assessment_id: int, include_removed: bool = False) -> pd.DataFrame:
    """A round's files (never their content): id, item_id, name, kind, size, sha256, added_at, added_by, removed_at."""
    where = "" if include_removed else "AND removed_at IS NULL"
    return query_frame(
        db,
        f"""SELECT id, item_id, name, kind, size, sha256, added_at, added_by, removed_at FROM evidence_files
            WHERE assessment_id = ? {where} ORDER BY item_id, id""",
        [assessment_id],
    )


def names_by_item(db: sqlite_utils.Database, assessment_id: int) -> dict[str, list[str]]:
    files = listed(db, assessment_id)
    out: dict[str, list[str]] = {}
    for row in files.itertuples():
        out.setdefault(row.item_id, []).append(row.name)
    return out


def content(db: sqlite_utils.Database, user: access.User | str, file_id: int) -> tuple[str, str, bytes]:
    """(name, media type, bytes) of one file, for someone who may read its round; refused otherwise."""
    row = query_row(
        db,
        """SELECT f.name, f.media_type, f.content, a.system_id, a.place_id FROM evidence_files f
           JOIN assessments a ON a.id = f.assessment_id WHERE f.id = ?""",
        [file_id],
    )
    if row is None:
        raise NotFoundError(f"no evidence file with id {file_id}")
    reader = access.current(db, access.as_user(user))
    access.check(reader, access.READ, row["system_id"], row["place_id"], "read this round's evidence")
    return row["name"], row["media_type"], bytes(row["content"])


def size_words(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{max(1, round(size / 1024))} KB"

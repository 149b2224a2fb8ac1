"""Files the server makes for people to download: built in memory, kept a short while, never left on disk.

Everything offered for download (a backup, the Excel or CSV export, a person's data) is made as bytes and
handed to the browser. The Manage page keeps a prepared Excel workbook in the admin's session only until it is
downloaded or KEEP_FOR has passed, since a workbook of everything holds every evidence text and name.

Earlier versions wrote that workbook to an `exports/` folder beside the database and never removed it, and
the restore form stages an uploaded backup in `backups/` that stays if nobody restores it. `sweep` removes
both; the Manage page runs it, and a server can run it at start-up.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from checklist import clock, exports, store
from checklist.store import RESTORE_STAGING_PREFIX

KEEP_FOR = timedelta(minutes=10)
EXPORTS_FOLDER = "exports"  # where earlier versions left workbooks, beside the database
BACKUPS_FOLDER = "backups"  # where the restore form stages uploads and restores keep their undo copies
LEFT_BY_EARLIER_VERSIONS = ("maturity-export-*.xlsx", "maturity-export-*.xlsx.partial")
STAGED_UPLOADS = "uploaded-*.db"
# A restore's working copy is removed when it ends; one older than this was left by a server that stopped mid-way.
STAGING_LEFT_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Prepared:
    """A download made and waiting in one person's session: the bytes, and when they were made."""

    data: bytes
    made_at: datetime

    def expired(self, now: datetime | None = None) -> bool:
        return (now or clock.now()) - self.made_at > KEEP_FOR


def excel_export(db: sqlite_utils.Database, progress: Callable[[str, int], None] | None = None) -> Prepared:
    """The Excel workbook of every assessment, in memory (a download button holds the bytes anyway)."""
    buffer = io.BytesIO()
    exports.write_xlsx(db, exports.assessment_ids(db), buffer, progress=progress)
    return Prepared(buffer.getvalue(), clock.now())


def sweep(db_path: str | Path, now: datetime | None = None) -> list[Path]:
    """Remove files left on disk for downloads beside this database; returns what was removed.

    Workbooks earlier versions left go whatever their age (nothing writes there now); an uploaded backup staged
    for restoring goes once unused for KEEP_FOR (the form writes it again while it is open); a restore's
    working copy goes once STAGING_LEFT_AFTER old. The undo copies (`before-restore-*.db`) stay: they are backups.
    """
    folder = Path(db_path).parent if not store.is_postgres(str(db_path)) else store.backups_folder(db_path).parent
    removed: list[Path] = []
    exports_dir = folder / EXPORTS_FOLDER
    for pattern in LEFT_BY_EARLIER_VERSIONS:
        for path in sorted(exports_dir.glob(pattern)):
            path.unlink(missing_ok=True)
            removed.append(path)
    if exports_dir.is_dir() and not any(exports_dir.iterdir()):
        exports_dir.rmdir()
    moment = (now or clock.now()).timestamp()
    backups_dir = store.backups_folder(db_path)
    for path in sorted(backups_dir.glob(STAGED_UPLOADS)):
        if path.stat().st_mtime < moment - KEEP_FOR.total_seconds():
            path.unlink(missing_ok=True)
            removed.append(path)
    for path in sorted(backups_dir.glob(f"{RESTORE_STAGING_PREFIX}*")):
        if path.is_dir() and path.stat().st_mtime < moment - STAGING_LEFT_AFTER.total_seconds():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed

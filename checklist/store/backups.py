"""Backups and restores of the whole database: a consistent snapshot (to a file or for a download), a backup
checked before anything is done with it, and a restore that first keeps a backup of what is there.

A restore from the app goes through checklist/restoring.py, which also applies every erasure on record to
what is restored; `restore` here is the step underneath it, and refuses to run without that when the database
has erasures on record. How a snapshot is taken and a database replaced is the backend's (checklist/db/sqlite.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from checklist import access, clock
from checklist.db import (
    backup,
    backup_bytes,
    check_exact_schema,
    check_schema,
    migrate,
    open_backup,
    record,
    replace_contents,
    schema_version,
    staged_copy,
    write_transaction,
)
from checklist.store.rules import StoreError, authorise

__all__ = ["RESTORE_STAGING_PREFIX", "backup", "backup_bytes", "check_backup", "restore"]

RESTORE_STAGING_PREFIX = "restoring-"  # a restore's private working copy, in the backups folder while it runs

# Called with the live database, the staged copy of the backup (already brought up to date) and the acting name,
# before anything in the live database changes: what must be done to the copy first (checklist/restoring.py).
PrepareRestore = Callable[[sqlite_utils.Database, sqlite_utils.Database, str], None]


def check_backup(path: str | Path) -> dict[str, int]:
    """Check a file is a sound database this app can read; say what it holds. Never modifies it."""
    source = Path(path)
    with open_backup(source) as db:
        check_schema(db)
        if not db["systems"].exists() or not db["assessments"].exists():
            raise StoreError(
                f"{source.name} is a SQLite database but not one of this app's (no systems or assessments)"
            )
        check_exact_schema(db, source.name)
        counts = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("systems", "places", "assessments")
        }
        return {"schema": schema_version(db), **counts}


def restore(
    db: sqlite_utils.Database,
    source: str | Path,
    backups_dir: str | Path,
    actor: str,
    prepare: PrepareRestore | None = None,
) -> Path:
    """Replace the database's contents with a checked backup, after backing up what is there now.

    The backup is brought up to date and `prepare`d in a private copy first, so the live file never holds what
    `prepare` removes and a failure half-way leaves it as it was. Returns the path of that safety backup:
    restoring it undoes this restore. Use checklist.restoring.restore, whose `prepare` applies every erasure on
    record again; without a `prepare`, a database with erasures on record is refused, since restoring an older
    backup as it is would bring an erased person back.
    """
    actor = authorise(db, actor, access.RESTORE, what="restore a backup")
    check_backup(source)
    if prepare is None and db.execute("SELECT 1 FROM erasures LIMIT 1").fetchone() is not None:
        raise RuntimeError(
            "this database has erasures on record, which a restore must apply again: restore through "
            "checklist.restoring.restore"
        )
    backups = Path(backups_dir)
    backups.mkdir(parents=True, exist_ok=True)
    # The copy goes with its folder, whatever happens.
    with staged_copy(source, backups, RESTORE_STAGING_PREFIX) as staged:
        migrate(staged)  # an older backup is brought up to date; the file it came from is untouched
        if prepare is not None:
            prepare(db, staged, actor)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
        safety = backup(db, backups / f"before-restore-{stamp}.db")
        replace_contents(db, staged)
    with write_transaction(db):
        record(db, actor, "database", "restore", "restored_from", str(safety), Path(source).name)
    return safety

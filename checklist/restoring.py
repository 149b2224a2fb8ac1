"""Restoring a backup the way the app does it: checked, the current data backed up first, and every erasure on
record applied again to what is restored, so a restore never brings back a person erased since the backup was
made (the erasure register is carried over too).

It sits above the store and privacy, which know nothing of each other: `store.restore` does the restore,
`privacy` finds and erases again. The command line's `restore` and the Manage page both call `restore` here.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from checklist import privacy, store


def restore(db: sqlite_utils.Database, source: str | Path, backups_dir: str | Path, actor: str) -> Path:
    """Replace the database's contents with a checked backup, after backing up what is there now.

    Every erasure on record (privacy's erasure register) is applied again to what is restored, and the register
    itself is carried over, so a restore never brings back a person erased since the backup was made.
    Returns the path of that safety backup: restoring it undoes this restore.
    """
    return store.restore(db, source, backups_dir, actor, prepare=_erase_again)


def _erase_again(live: sqlite_utils.Database, staged: sqlite_utils.Database, actor: str) -> None:
    """Carry the live database's erasure register into the staged backup and erase again whatever it names."""
    privacy.reapply_erasures(staged, privacy.erasure_records(live), actor)

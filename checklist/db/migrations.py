"""Applying and checking the schema steps (checklist/db/schema.py): which have run, bring a database up to date,
and refuse, untouched, one made by a newer version of the app.

sqlite-utils' `Migrations` records each applied step in the `_sqlite_migrations` table and is safe to run
repeatedly: a step already recorded is skipped.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from checklist.db.schema import KNOWN_MIGRATIONS, MIGRATIONS, unknown_steps_refused


def applied_names(db: sqlite_utils.Database) -> list[str]:
    """The names of this app's schema steps the database has applied, in the order it applied them."""
    if not db[Migrations.migrations_table].exists():
        return []
    rows = db.execute(
        f"SELECT name FROM [{Migrations.migrations_table}] WHERE migration_set = ? ORDER BY rowid",
        [MIGRATIONS.name],
    ).fetchall()
    return [r[0] for r in rows]


def schema_version(db: sqlite_utils.Database) -> int:
    """How many of this app's migrations the database has applied."""
    return len(applied_names(db))


def check_schema(db: sqlite_utils.Database) -> None:
    """Refuse, without touching it, a database written by a newer version of the app."""
    unknown_steps_refused(db, [n for n in applied_names(db) if n not in KNOWN_MIGRATIONS])


def migrate(db: sqlite_utils.Database, stop_before: str | None = None) -> None:
    """Apply every schema step the database lacks (those before `stop_before`, if given)."""
    check_schema(db)
    MIGRATIONS.apply(db, stop_before=stop_before)


def later_migrations(db: sqlite_utils.Database) -> list[str]:
    """The schema steps this app knows that the database has not applied yet."""
    applied = set(applied_names(db))
    return [name for name in KNOWN_MIGRATIONS if name not in applied]

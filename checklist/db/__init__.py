"""The database, and nothing of the domain: connecting, the one write transaction, history rows, the schema steps.

Everything in checklist/ that writes does it the same way::

    with write_transaction(db):
        db.execute("UPDATE ...", [...])
        record(db, actor, "entity", entity_id, "field", old, new, assessment_id=...)

so the change and its history row are kept or lost together. The domain (systems, rounds, answers, who may do
what) is checklist/store/ and the modules beside it; this package never imports them.

Where PostgreSQL will differ: `checklist/db/sqlite.py` holds everything that knows the database is SQLite (bar
the SQL dialect noted at the end). A backend is one module beside it providing these (this package re-exports
them from the backend, below):

- ``connect(path=None, *, apply_migrations=True, must_exist=False) -> Database``: open the database named by
  `path` or CHECKLIST_DB (`default_db_path`), apply the connection settings (SQLite: WAL, foreign keys, busy
  timeout), bring the schema up to date (or only refuse a newer one), and raise DatabaseUnavailable with
  `explain`'s sentence when it cannot be used.
- ``explain(exc, target=None) -> str``: one plain sentence for a database failure (busy, read-only, full,
  damaged, unreachable), for a page or the CLI.
- ``write_transaction(db)``: a context manager holding one write transaction that takes the write lock at once
  (SQLite: BEGIN IMMEDIATE, so concurrent writers queue instead of failing), nested calls being part of the
  outer one; driver failures come out as DatabaseUnavailable.
- ``durable_commits(db)``: each commit on this connection is on disk when it returns (the vote writer).
- ``change_token(db) -> int``: a value that changes when any other connection commits, for a watcher that polls
  (SQLite: PRAGMA data_version; PostgreSQL might count LISTEN/NOTIFY messages).
- ``history_unlocked(db)``: inside a write transaction, lift history's append-only guard (the triggers made by
  schema step 0001) and put it back exactly as made; the one sanctioned way to rewrite history (erasure).
- ``backup(db, destination) -> Path``, ``backup_bytes(db) -> bytes``: a consistent snapshot of everything.
- ``open_backup(path)``: a context manager giving a backup opened read-only once it is known to be sound.
- ``staged_copy(source, folder, prefix)``: a context manager giving a private writable copy of a backup, and
  ``replace_contents(db, source)``: everything in `db` replaced with what `source` holds (a restore's last step).
- ``check_exact_schema(db, label)``: refuse a database whose tables, indexes and triggers are not exactly what
  this app's schema steps make (read back from the database's own catalogue).
- the connection it returns: today sqlite-utils' ``Database``, of which the domain uses ``execute``, ``conn``
  (``in_transaction``, ``executemany``), ``db[table].insert(...).last_pk`` and ``db[table].update``; a
  PostgreSQL backend returns an object offering the same few.

The rest of this package is written against the connection alone: the history rows (`record`, `encode`,
`decode`), query results as dicts and DataFrames (`query_row`, `query_frame`), the errors, and the bookkeeping of
schema steps (`migrate`, `check_schema`, `schema_version`, `later_migrations`; through sqlite-utils' `Migrations`
and its `_sqlite_migrations` table today, which a PostgreSQL backend replaces with its own record of the steps).

SQL elsewhere in checklist/ is written with qmark placeholders (``?``), which a PostgreSQL backend adapts to
psycopg's ``%s``, and most of it is portable (upserts are ``INSERT … ON CONFLICT (…) DO UPDATE``). What is still
SQLite's own outside sqlite.py: the schema steps (SQLite DDL; a PostgreSQL backend brings its own DDL under the
same step names), ``COLLATE NOCASE``, ``ifnull`` and ``instr`` in queries, ``INSERT OR IGNORE`` (access.grant,
privacy's register), and privacy's scan and compaction (``rowid``, ``json_each``, ``pragma_table_list``,
``VACUUM``, ``secure_delete``).
"""

from __future__ import annotations

from checklist.db.errors import DatabaseUnavailable, SchemaTooNewError
from checklist.db.history import decode, encode, record
from checklist.db.migrations import applied_names, check_schema, later_migrations, migrate, schema_version
from checklist.db.rows import query_frame, query_row
from checklist.db.schema import HISTORY_GUARDS, KNOWN_MIGRATIONS, MIGRATIONS, SIGN_OFF_NOTE_PREFIX

# The backend. Everything SQLite-specific is in this one module; a PostgreSQL one would be chosen here.
from checklist.db.sqlite import (
    BUSY_TIMEOUT_MS,
    DB_ENV_VAR,
    DEFAULT_DB,
    PROJECT_ROOT,
    SQLITE_HEADER,
    backup,
    backup_bytes,
    change_token,
    check_exact_schema,
    connect,
    default_db_path,
    durable_commits,
    explain,
    history_unlocked,
    open_backup,
    replace_contents,
    staged_copy,
    write_transaction,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DB_ENV_VAR",
    "DEFAULT_DB",
    "HISTORY_GUARDS",
    "KNOWN_MIGRATIONS",
    "MIGRATIONS",
    "PROJECT_ROOT",
    "SIGN_OFF_NOTE_PREFIX",
    "SQLITE_HEADER",
    "DatabaseUnavailable",
    "SchemaTooNewError",
    "applied_names",
    "backup",
    "backup_bytes",
    "change_token",
    "check_exact_schema",
    "check_schema",
    "connect",
    "decode",
    "default_db_path",
    "durable_commits",
    "encode",
    "explain",
    "history_unlocked",
    "later_migrations",
    "migrate",
    "open_backup",
    "query_frame",
    "query_row",
    "record",
    "replace_contents",
    "schema_version",
    "staged_copy",
    "write_transaction",
]

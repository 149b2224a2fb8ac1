"""The database, and nothing of the domain: connecting, the one write transaction, history rows, the schema steps.

Everything in checklist/ that writes does it the same way::

    with write_transaction(db):
        db.execute("UPDATE ...", [...])
        record(db, actor, "entity", entity_id, "field", old, new, assessment_id=...)

so the change and its history row are kept or lost together. The domain (systems, rounds, answers, who may do
what) is checklist/store/ and the modules beside it; this package never imports them.

Two backends, chosen by the address (`connect`): a SQLite file (`checklist/db/sqlite.py`, the default) or a
PostgreSQL server, `postgresql://…` (`checklist/db/postgres.py` and its schema steps `pg_schema.py`). Where they
differ, and nowhere else, each provides:

- ``connect(target, *, apply_migrations=True, must_exist=False)``: open the database, apply its connection
  settings, bring the schema up to date (or only refuse a newer one), and raise DatabaseUnavailable with
  `explain`'s sentence when it cannot be used;
- ``explain(exc, target)``: one plain sentence for a failure (busy, read-only, full, damaged, unreachable, a
  wrong password, a connection lost);
- ``write_transaction(db)``: one write transaction that queues behind any other writer (SQLite: BEGIN
  IMMEDIATE; PostgreSQL: one advisory lock taken at BEGIN, and a NOTIFY at commit), nested calls a savepoint;
- ``read_snapshot(db)``: one read transaction seeing a single moment (an export's sheets agree);
- ``together(db)``: writes sent at once and answered together (PostgreSQL's pipeline mode), and on the
  connection ``insert_rows``/``upsert_rows`` (arrays, or COPY): the bulk paths' one round trip, used through
  `insert_many` and `upsert_many` (SQLite's executemany);
- ``durable_commits(db)`` and ``change_token(db)``: the vote writer's commits on disk before they are
  acknowledged; a number a watcher polls that changes when anyone commits (PRAGMA data_version; NOTIFYs seen);
- ``history_unlocked(db)``: the erasure's one way past history's append-only guard, for its own transaction;
- ``erasing_securely(db)``, ``compact(db)``, ``table_keys(db)``: what an erasure needs from the storage;
- ``backup(db, file)``, ``backup_bytes(db)``, ``replace_contents(db, source)``: one portable backup format for
  both (a SQLite file), so a restore moves a database between them (`open_backup`, `staged_copy` and
  `check_exact_schema` read such a file and are SQLite's alone);
- the schema-step bookkeeping (`migrate`, `check_schema`, `applied_names`, `later_migrations`).

The functions below pick the backend from the connection (`is_postgres`). The connection both return offers
what the domain uses of sqlite-utils' Database: ``execute`` (qmark ``?`` or named ``:name`` placeholders),
``conn`` with ``in_transaction``, ``executemany`` and ``rollback``, and ``close``. SQL elsewhere in checklist/
is written once in SQL both accept (``coalesce``, ``lower(a) = lower(?)``, ``RETURNING id``, ``ON CONFLICT``);
the few spellings that differ on the bulk paths (JSON arrays as rows, string and JSON aggregates, LIKE ignoring
case) are `checklist/db/dialects.py`, chosen by ``dialect(db)``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from checklist.db import migrations as _sqlite_steps
from checklist.db import postgres, sqlite
from checklist.db.errors import DRIVER_ERRORS, DatabaseUnavailable, SchemaTooNewError
from checklist.db.history import decode, encode, record, record_rows
from checklist.db.rows import insert_many, insert_row, query_frame, query_row, update_row, upsert_many
from checklist.db.schema import HISTORY_GUARDS, KNOWN_MIGRATIONS, MIGRATIONS, SIGN_OFF_NOTE_PREFIX

# SQLite's own, and the backups (one portable SQLite file from either backend).
from checklist.db.sqlite import (
    BUSY_TIMEOUT_MS,
    DB_ENV_VAR,
    DEFAULT_DB,
    PROJECT_ROOT,
    SQLITE_HEADER,
    open_backup,
    staged_copy,
)
from checklist.db.sqlite import check_exact_schema as check_exact_schema

Target = str | Path


def is_postgres(db: Any) -> bool:
    """Whether a connection (or a --db / CHECKLIST_DB value) is PostgreSQL's."""
    return getattr(db, "backend", None) == "postgresql" or postgres.is_address(db)


def _backend(db: Any) -> Any:
    return postgres if is_postgres(db) else sqlite


def default_db_path() -> Target:
    """CHECKLIST_DB (a SQLite file, or a postgresql:// address) if set, else data/maturity.db in the project."""
    import os

    env = os.environ.get(DB_ENV_VAR, "").strip()
    if postgres.is_address(env):
        return env
    return Path(env) if env else DEFAULT_DB


def connect(path: Target | None = None, *, apply_migrations: bool = True, must_exist: bool = False) -> Any:
    """Open the database `path` names (or CHECKLIST_DB): a postgresql:// address or a SQLite file."""
    target = path if path is not None else default_db_path()
    if postgres.is_address(str(target)):
        return postgres.connect(str(target), apply_migrations=apply_migrations, must_exist=must_exist)
    return sqlite.connect(target, apply_migrations=apply_migrations, must_exist=must_exist)


def canonical(target: Target) -> str:
    """One spelling per database, for keeping one of something per database: an address as given, a file's
    absolute path."""
    return str(target) if postgres.is_address(str(target)) else str(Path(target).resolve())


BACKUP_DIR_VAR = "CHECKLIST_BACKUP_DIR"


def backups_folder(target: Target) -> Path:
    """Where a restore keeps its safety copy and staged files: CHECKLIST_BACKUP_DIR if set, else `backups/` beside
    a SQLite file, or data/backups in the project for a PostgreSQL database (which has no folder of its own)."""
    import os

    chosen = os.environ.get(BACKUP_DIR_VAR, "").strip()
    if chosen:
        return Path(chosen)
    if postgres.is_address(str(target)):
        return DEFAULT_DB.parent / "backups"
    return Path(target).parent / "backups"


def db_argument(value: str) -> Target:
    """A --db value as the app takes it: a postgresql:// address as written, anything else a file path."""
    return value if postgres.is_address(value) else Path(value)


def describe(target: Target) -> str:
    """A database as it may be shown to people: a file's path, or an address without any password."""
    return postgres.redacted(str(target)) if postgres.is_address(str(target)) else str(target)


def explain(exc: BaseException, target: Target | None = None) -> str:
    if postgres.is_address(str(target)) or type(exc).__module__.startswith(("psycopg", "psycopg_pool")):
        return postgres.explain(exc, None if target is None else str(target))
    return sqlite.explain(exc, target)


def write_transaction(db: Any) -> AbstractContextManager[Any]:
    return _backend(db).write_transaction(db)


def durable_commits(db: Any) -> None:
    _backend(db).durable_commits(db)


def change_token(db: Any) -> int:
    return _backend(db).change_token(db)


def history_unlocked(db: Any) -> AbstractContextManager[None]:
    return _backend(db).history_unlocked(db)


def reserve_ids(db: Any, table: str, count: int, above: int = 0) -> list[int]:
    """Ids for rows a bulk path will insert with their ids given (so their history rows can name them before they
    are written): PostgreSQL's sequence; on SQLite, above every id in the table and `above`. Inside the write
    transaction that inserts them."""
    return _backend(db).reserve_ids(db, table, count, above)


def together(db: Any) -> AbstractContextManager[None]:
    """Writes inside a write transaction sent at once, answered at the block's end (one round trip to a
    PostgreSQL server however many statements; nothing to save on SQLite). Read no results inside."""
    return _backend(db).together(db)


def read_snapshot(db: Any) -> AbstractContextManager[None]:
    """One read transaction seeing the whole database at one moment (an export's sheets agree)."""
    return _backend(db).read_snapshot(db)


def erasing_securely(db: Any) -> AbstractContextManager[None]:
    """Around an erasure: what the database frees is not left readable in its files (SQLite's secure_delete)."""
    return _backend(db).erasing_securely(db)


def compact(db: Any) -> bool:
    """After an erasure: rebuild or vacuum so no old copy of what was erased stays in the files; False if it
    could not be done now."""
    return _backend(db).compact(db)


def table_keys(db: Any) -> list[tuple[str, str, list[str]]]:
    """Every table: name, what identifies a row (SQL), the columns that may hold text (privacy's scan)."""
    return _backend(db).table_keys(db)


def backup(db: Any, destination: Target) -> Path:
    return _backend(db).backup(db, destination)


def backup_bytes(db: Any) -> bytes:
    return _backend(db).backup_bytes(db)


def replace_contents(db: Any, source: Any) -> None:
    _backend(db).replace_contents(db, source)


def applied_names(db: Any) -> list[str]:
    return (postgres_steps() if is_postgres(db) else _sqlite_steps).applied_names(db)


def schema_version(db: Any) -> int:
    return len(applied_names(db))


def check_schema(db: Any) -> None:
    (postgres_steps() if is_postgres(db) else _sqlite_steps).check_schema(db)


def migrate(db: Any, stop_before: str | None = None) -> None:
    (postgres_steps() if is_postgres(db) else _sqlite_steps).migrate(db, stop_before=stop_before)


def later_migrations(db: Any) -> list[str]:
    return (postgres_steps() if is_postgres(db) else _sqlite_steps).later_migrations(db)


def postgres_steps() -> Any:
    from checklist.db import pg_schema

    return pg_schema


def dialect(db: Any) -> Any:
    """The few pieces of SQL that differ between the backends (checklist/db/dialects.py)."""
    from checklist.db import dialects

    return dialects.POSTGRES if is_postgres(db) else dialects.SQLITE


__all__ = [
    "BUSY_TIMEOUT_MS",
    "DB_ENV_VAR",
    "DEFAULT_DB",
    "DRIVER_ERRORS",
    "HISTORY_GUARDS",
    "KNOWN_MIGRATIONS",
    "MIGRATIONS",
    "PROJECT_ROOT",
    "SIGN_OFF_NOTE_PREFIX",
    "SQLITE_HEADER",
    "DatabaseUnavailable",
    "SchemaTooNewError",
    "Target",
    "applied_names",
    "backup",
    "backup_bytes",
    "BACKUP_DIR_VAR",
    "backups_folder",
    "canonical",
    "db_argument",
    "change_token",
    "check_exact_schema",
    "check_schema",
    "compact",
    "erasing_securely",
    "table_keys",
    "connect",
    "decode",
    "insert_row",
    "update_row",
    "default_db_path",
    "describe",
    "dialect",
    "durable_commits",
    "encode",
    "explain",
    "history_unlocked",
    "is_postgres",
    "later_migrations",
    "migrate",
    "open_backup",
    "query_frame",
    "query_row",
    "read_snapshot",
    "record",
    "record_rows",
    "insert_many",
    "upsert_many",
    "replace_contents",
    "schema_version",
    "staged_copy",
    "reserve_ids",
    "together",
    "write_transaction",
]

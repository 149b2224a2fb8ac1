"""The SQLite backend: every place the app knows its database is SQLite, in one module.

It implements the seam described in checklist/db/__init__.py: connecting (the file, its folder, WAL, foreign
keys, busy timeout, the read-only fallback), the one write transaction (BEGIN IMMEDIATE), what a watcher polls
for other connections' commits (`PRAGMA data_version`), durable commits (`synchronous = FULL`), lifting
history's append-only trigger for an erasure, backups through the sqlite3 online backup API, and reading the
schema back (`sqlite_master`, `PRAGMA integrity_check`). The PostgreSQL backend beside it (`postgres.py`)
provides the same functions; backups from either are files this module opens (`open_backup`).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from checklist.db.errors import DatabaseUnavailable
from checklist.db.migrations import applied_names, check_schema, later_migrations, migrate
from checklist.db.schema import HISTORY_GUARDS, KNOWN_MIGRATIONS, MIGRATIONS
from checklist.errors import StoreError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "maturity.db"
DB_ENV_VAR = "CHECKLIST_DB"
# How long a write waits for another writer before giving up (CHECKLIST_BUSY_TIMEOUT_MS).
BUSY_TIMEOUT_MS = int(os.environ.get("CHECKLIST_BUSY_TIMEOUT_MS", "10000"))
SQLITE_HEADER = b"SQLite format 3\x00"


def default_db_path() -> Path:
    """CHECKLIST_DB if set, else data/maturity.db in the project."""
    env = os.environ.get(DB_ENV_VAR)
    return Path(env) if env else DEFAULT_DB


def explain(exc: BaseException, target: str | Path | None = None) -> str:
    """One line saying what went wrong with the database file and what to do, for a page or the CLI."""
    where = f" ({target})" if target else ""
    text = str(exc).lower()
    if isinstance(exc, StoreError):
        return str(exc)
    if "locked" in text or "busy" in text:
        return (f"The database{where} is busy: another program has held it for over {BUSY_TIMEOUT_MS // 1000} "
                "seconds. Try again in a moment; if it stays busy, close the other program.")  # fmt: skip
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError) or "immutable" in text:
        return (f"The database{where} or its folder cannot be written (read-only). Reading still works; ask whoever "
                "runs the server to make the file and its folder writable.")  # fmt: skip
    if "full" in text or getattr(exc, "errno", None) == 28:
        return f"The disk holding the database{where} is full. Nothing was saved; free some space, then try again."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (f"The database file{where} is damaged and cannot be read. Nothing was changed; restore the latest "
                "backup (python -m checklist restore FILE).")  # fmt: skip
    if "unable to open" in text or isinstance(exc, (NotADirectoryError, FileNotFoundError, FileExistsError)):
        return (f"The database{where} cannot be opened: its folder is missing, is a file, or cannot be reached. "
                "Check CHECKLIST_DB or --db.")  # fmt: skip
    return f"The database{where} could not be used ({exc}). Nothing was changed."


# --- connecting -------------------------------------------------------------------------------------------


def connect(
    path: str | Path | None = None, *, apply_migrations: bool = True, must_exist: bool = False
) -> sqlite_utils.Database:
    """Open the database (creating it and its folder if needed), set pragmas, bring schema up to date.

    With must_exist (commands that only read), a missing file is an error, not a new empty database.
    Open one connection per script run or thread: sqlite3 connections must stay on the thread
    that made them.
    """
    target = Path(path) if path is not None else default_db_path()
    if str(target) != ":memory:":
        if target.exists() and target.is_dir():
            raise StoreError(f"{target} is a folder; expected the path of a SQLite database file")
        if must_exist and not target.is_file():
            raise StoreError(
                f"there is no database at {target}; check the path (--db or CHECKLIST_DB). "
                "`python -m checklist init` creates a new one."
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(explain(exc, target)) from None
    try:
        conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(explain(exc, target)) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if str(target) != ":memory:":
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc).lower():
                    raise
        db = sqlite_utils.Database(conn)
        if apply_migrations:
            try:
                migrate(db)
            except sqlite3.OperationalError as exc:
                # A read-only file already up to date can still be read; anything else is reported.
                if "readonly" not in str(exc).lower() or later_migrations(db):
                    raise
        else:
            check_schema(db)
    except (sqlite3.DatabaseError, OSError) as exc:
        conn.close()
        if str(target) != ":memory:" and target.is_file() and _cannot_write(exc):
            return _read_only(target)
        raise DatabaseUnavailable(explain(exc, target)) from None
    except Exception:
        conn.close()
        raise
    return db


def _cannot_write(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _read_only(target: Path) -> sqlite_utils.Database:
    """Open a file that cannot be written (a read-only file, folder or disk) for reading only.

    Reading still works; any write is refused with a message saying the data is read-only.
    """
    try:
        conn = sqlite3.connect(f"file:{target}?mode=ro&immutable=1", uri=True)
        db = sqlite_utils.Database(conn)
        check_schema(db)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnavailable(explain(exc, target)) from None
    return db


# --- writing ----------------------------------------------------------------------------------------------


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taking the write lock at once (BEGIN IMMEDIATE); every write in checklist/ is one.

    A deferred transaction that reads and then writes can fail with "database is locked" under
    concurrent writers without waiting; taking the lock first lets busy_timeout queue writers.
    Inside another transaction it is a savepoint of that one. A failure rolls everything back; one the
    database reports (busy past the timeout, read-only, disk full) is raised as DatabaseUnavailable.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:  # busy past the timeout, or a read-only file
        raise DatabaseUnavailable(explain(exc)) from None
    try:
        yield db
    except BaseException as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):  # disk full, read-only, I/O: said plainly, nothing kept
            raise DatabaseUnavailable(explain(exc)) from None
        raise
    else:
        try:
            db.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise DatabaseUnavailable(explain(exc)) from None


@contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[None]:
    """One read transaction, so everything read in it sees the database at the same moment (an export's sheets)."""
    if db.conn.in_transaction:
        yield
        return
    db.execute("BEGIN")
    try:
        yield
    finally:
        db.conn.rollback()  # nothing was written: ending the read is all this does


def reserve_ids(db: sqlite_utils.Database, table: str, count: int, above: int = 0) -> list[int]:
    """`count` ids no row of `table` has, each greater than `above` (the last the caller reserved and has not yet
    inserted): inside the write transaction that inserts them, which keeps any other writer out meanwhile."""
    (highest,) = db.execute(f'SELECT coalesce(max(id), 0) FROM "{table}"').fetchone()
    start = max(int(highest), above) + 1
    return list(range(start, start + count))


@contextmanager
def together(db: sqlite_utils.Database) -> Iterator[None]:
    """PostgreSQL sends the writes inside at once; SQLite is in-process, so each already costs no round trip."""
    yield


def durable_commits(db: sqlite_utils.Database) -> None:
    """Make each commit on this connection reach the disk before it returns (`synchronous = FULL`): the vote
    writer acknowledges a vote only then."""
    db.execute("PRAGMA synchronous = FULL")


def change_token(db: sqlite_utils.Database) -> int:
    """A number that changes whenever another connection commits (`PRAGMA data_version`): what a watcher polls
    to learn cheaply that something may have changed."""
    return db.execute("PRAGMA data_version").fetchone()[0]


@contextmanager
def history_unlocked(db: sqlite_utils.Database) -> Iterator[None]:
    """Let the caller's transaction UPDATE history rows, then put the guard back exactly as the schema has it.

    The one sanctioned way past history's append-only triggers (privacy's erasure). Only the update guard is
    lifted (nothing here deletes history), only inside a transaction, so a failure rolls the lifting back with
    everything else and the guard can never be left off.
    """
    if not db.conn.in_transaction:
        raise StoreError("history is rewritten only inside a transaction")
    update_guard = next(s for s in HISTORY_GUARDS if "history_no_update" in s)
    db.execute("DROP TRIGGER history_no_update")
    try:
        yield
    finally:
        # After some failures SQLite has already rolled the transaction back, dropping included.
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'history_no_update'"
                          ).fetchone():  # fmt: skip
            db.execute(update_guard)
    found = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'"))
    if sorted(" ".join(s.split()) for s in found.values()) != sorted(" ".join(s.split()) for s in HISTORY_GUARDS):
        raise StoreError("history's append-only guard is not as the app makes it; nothing was changed")


# --- erasure: leaving nothing behind ------------------------------------------------------------------------

COMPACT_WAIT_MS = 2000


@contextmanager
def erasing_securely(db: sqlite_utils.Database) -> Iterator[None]:
    """While an erasure runs, what SQLite frees is zeroed, not left in the file's free pages (`secure_delete`)."""
    previous = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        db.execute(f"PRAGMA secure_delete = {int(previous)}")


def compact(db: sqlite_utils.Database) -> bool:
    """Rebuild the file so no free page or log still holds an old copy of what was erased; False if it could not
    be done now (another program is reading the database): then `python -m checklist privacy compact` later."""
    previous = db.execute("PRAGMA busy_timeout").fetchone()[0]
    # Only worth a short wait: the erasure itself is done, and a reader may hold on for as long as it likes.
    db.execute(f"PRAGMA busy_timeout = {COMPACT_WAIT_MS}")
    try:
        db.execute("VACUUM")
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(previous)}")
    return busy is None or busy[0] == 0


def table_keys(db: sqlite_utils.Database) -> list[tuple[str, str, list[str]]]:
    """Every table: its name, what identifies a row (`rowid`), and all its columns (SQLite keeps text as given in
    any column whose value is not a number, so every column may hold text)."""
    tables = []
    for name, without_rowid in db.execute(
        "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall():
        if without_rowid:
            raise StoreError(f"table {name} has no rowid, so its rows cannot be scanned for a person's data")
        tables.append((name, "rowid", [c for (c,) in db.execute("SELECT name FROM pragma_table_info(?)", [name])]))
    return tables


# --- backups ----------------------------------------------------------------------------------------------


def backup(db: sqlite_utils.Database, destination: str | Path) -> Path:
    """A consistent snapshot of the whole database (SQLite's online backup API), written atomically."""

    def copy(out: sqlite3.Connection, _: Path) -> None:
        db.conn.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it

    return new_file(destination, copy)


def new_file(destination: str | Path, fill: Callable[[sqlite3.Connection, Path], None]) -> Path:
    """A new SQLite file at `destination`, written by `fill` (given a connection to it and its temporary name) under
    a temporary name and moved into place only once whole (a backup from either backend): a failure leaves no file,
    and never half of one."""
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    out = sqlite3.connect(str(partial))
    try:
        fill(out, partial)
    except BaseException:
        out.close()
        partial.unlink(missing_ok=True)
        raise
    out.close()
    partial.replace(target)
    return target


def backup_bytes(db: sqlite_utils.Database) -> bytes:
    """The same snapshot as `backup`, for a download: made in memory, so no copy of the data is left on disk."""
    memory = sqlite3.connect(":memory:")
    try:
        db.conn.backup(memory)
        data = bytearray(memory.serialize())
    finally:
        memory.close()
    # An in-memory copy keeps the live file's write-ahead-log mode in its header (bytes 18 and 19 are 2); 1 is what
    # `PRAGMA journal_mode = DELETE` writes there, so the download opens as one self-contained file (SQLite's
    # file format, section 1.3.3).
    data[18:20] = b"\x01\x01"
    return bytes(data)


@contextmanager
def open_backup(path: str | Path) -> Iterator[sqlite_utils.Database]:
    """A backup file opened read-only, once it is known to be a sound SQLite database; never modified.

    Refuses (StoreError) a missing file, one that is not SQLite, and one failing SQLite's integrity check; a
    database error while the caller reads it is refused the same way. Closed when the block ends.
    """
    source = Path(path)
    if not source.is_file():
        raise StoreError(f"{source} does not exist or is not a file; expected a backup made by this app")
    with source.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise StoreError(f"{source.name} is not a SQLite database; expected a backup made by this app")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise StoreError(f"{source.name} failed SQLite's integrity check ({result}); it cannot be restored")
        yield sqlite_utils.Database(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{source.name} could not be read as a database ({exc})") from None
    finally:
        conn.close()


@contextmanager
def staged_copy(source: str | Path, folder: Path, prefix: str) -> Iterator[sqlite_utils.Database]:
    """A private, writable copy of the database file `source`, in a temporary folder (named `prefix`…) inside
    `folder`; the copy goes with its folder when the block ends. `source` itself is only read."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=folder) as scratch:
        staged = sqlite_utils.Database(sqlite3.connect(Path(scratch) / "restoring.db"))
        try:
            incoming = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
            try:
                incoming.backup(staged.conn)
            finally:
                incoming.close()
            yield staged
        finally:
            staged.close()


def replace_contents(db: sqlite_utils.Database, source: sqlite_utils.Database) -> None:
    """Replace everything in `db` with what `source` holds (SQLite's backup API), keeping `db` in WAL mode."""
    source.conn.backup(db.conn)
    db.conn.execute("PRAGMA journal_mode = WAL")


# --- reading the schema back ------------------------------------------------------------------------------


def schema_entries(db: sqlite_utils.Database) -> dict[tuple[str, str], str]:
    """Every table, index, trigger and view, with its SQL (whitespace normalised)."""
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
    ).fetchall()
    return {(kind, name): " ".join(sql.split()) for kind, name, sql in rows}


def check_exact_schema(db: sqlite_utils.Database, label: str) -> None:
    """Refuse a database whose schema is not exactly what this app's migrations make for its schema version.

    A backup could carry its own triggers (say, one that empties history) or lack the append-only ones;
    restoring it would run them. Nothing but this app's own schema is accepted.
    """
    applied = applied_names(db)
    expected_db = sqlite_utils.Database(memory=True)
    later = [name for name in KNOWN_MIGRATIONS if name not in applied]
    MIGRATIONS.apply(expected_db, stop_before=later[0] if later else None)
    expected, found = schema_entries(expected_db), schema_entries(db)
    expected_db.close()
    problems = []
    for key in sorted(set(expected) | set(found)):
        kind, name = key
        if key not in found:
            problems.append(f"{kind} {name} is missing")
        elif key not in expected:
            problems.append(f"it has a {kind} {name} this app never makes")
        elif expected[key] != found[key]:
            problems.append(f"{kind} {name} differs from this app's")
    if problems:
        raise StoreError(
            f"{label} does not have this app's own database schema, so it was not restored: " + "; ".join(problems)
        )

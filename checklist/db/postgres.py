"""The PostgreSQL backend: every place the app knows its database is PostgreSQL, in one module.

It implements the seam described in checklist/db/__init__.py, as checklist/db/sqlite.py does for SQLite:

- connecting: a libpq address (``postgresql://user@host:port/dbname?sslmode=require``), the password from the
  environment (``PGPASSWORD``, libpq's password file ``PGPASSFILE``, or ``CHECKLIST_DB_PASSWORD_FILE``: a file
  holding only the password), never the address; one psycopg connection pool per address per process
  (``CHECKLIST_DB_POOL_SIZE`` connections at most);
- the SQL the rest of checklist/ writes: qmark (``?``) and named (``:name``) placeholders become psycopg's
  (`translate`), a connection offering the few things the domain uses of sqlite-utils' (``execute``, ``conn``
  with ``in_transaction``, ``executemany`` and ``rollback``);
- the one write transaction: ``BEGIN`` then one transaction-scoped advisory lock, so writers queue one behind
  another exactly as SQLite's ``BEGIN IMMEDIATE`` makes them (stale-save checks read and write under it), and a
  ``NOTIFY`` on commit that tells every app server something changed (`change_token`);
- the schema steps under the same names as SQLite's (checklist/db/pg_schema.py), recorded in ``_schema_steps``,
  applied under a lock so two servers starting together do not both apply one;
- history's append-only guard (triggers raising unless the one sanctioned erasure or restore lifts it for its
  own transaction), backups written as the same portable file SQLite's are, and a restore that loads one.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
import psycopg.sql
import psycopg_pool
from psycopg.abc import Buffer
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus
from psycopg.types.numeric import FloatLoader
from psycopg.types.string import StrBinaryDumper, StrDumper, StrDumperUnknown

from checklist.db import pg_schema
from checklist.db.errors import DatabaseUnavailable, SchemaTooNewError
from checklist.errors import StoreError

ADDRESS_PREFIXES = ("postgresql://", "postgres://")
PASSWORD_FILE_VAR = "CHECKLIST_DB_PASSWORD_FILE"
POOL_SIZE_VAR = "CHECKLIST_DB_POOL_SIZE"
CONNECT_TIMEOUT_VAR = "CHECKLIST_DB_CONNECT_TIMEOUT"
STEPS_TABLE = pg_schema.STEPS_TABLE
NOTIFY_CHANNEL = "checklist_changes"
# The one advisory lock every write transaction takes (and schema steps, under a second key): any fixed number.
WRITE_LOCK = 0x636B6C01
SCHEMA_LOCK = 0x636B6C02
# What history's guard reads (set for one transaction only): "erasing" lets rows be rewritten, "restoring" lets
# the table be emptied for a restore's rows. Nothing else gets past it.
HISTORY_SETTING = "checklist.history"


def is_address(target: object) -> bool:
    """Whether a --db / CHECKLIST_DB value names a PostgreSQL database (anything else is a SQLite file)."""
    return isinstance(target, str) and target.startswith(ADDRESS_PREFIXES)


def _whole(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise StoreError(f"{name} must be a whole number of 1 or more; it is {value!r}")
    return int(value)


def redacted(address: str) -> str:
    """The address as it may be shown: any password in it replaced."""
    return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:***@", address)


def _conninfo(address: str) -> tuple[str, dict[str, Any]]:
    """The address and connection settings for libpq; refuses a password written into the address."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(address)
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"{redacted(address)} is not a PostgreSQL address libpq can read ({exc})") from None
    if parts.get("password"):
        raise StoreError(
            "the PostgreSQL address has a password in it, where anyone listing processes or reading logs can see "
            f"it; take it out and give it in PGPASSWORD, a password file (PGPASSFILE), or {PASSWORD_FILE_VAR}"
        )
    extra: dict[str, Any] = {"application_name": "checklist", "autocommit": True}
    extra["connect_timeout"] = _whole(CONNECT_TIMEOUT_VAR, 5)
    secret_file = os.environ.get(PASSWORD_FILE_VAR, "").strip()
    if secret_file:
        try:
            extra["password"] = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise StoreError(
                f"{PASSWORD_FILE_VAR} names {secret_file}, which cannot be read ({exc.strerror})"
            ) from None
    return address, extra


def explain(exc: BaseException, target: str | None = None) -> str:
    """One plain sentence for a PostgreSQL failure, for a page or the command line."""
    where = f" ({redacted(target)})" if target else ""
    if isinstance(exc, StoreError):
        return str(exc)
    text = str(exc).lower()
    if "password authentication failed" in text or "no password supplied" in text:
        return (f"The PostgreSQL server{where} refused the user name or password. Check PGPASSWORD, the password "
                f"file or {PASSWORD_FILE_VAR}; nothing was changed.")  # fmt: skip
    if "does not exist" in text and "database" in text:
        return f"The PostgreSQL server{where} has no database of that name. Create it first (createdb), or check --db."
    if "role" in text and "does not exist" in text:
        return f"The PostgreSQL server{where} has no user of that name. Check the user in the address."
    if "permission denied" in text:
        return (f"The PostgreSQL user{where} may not do this (permission denied). The app's user must own its "
                "database's tables; nothing was changed.")  # fmt: skip
    if "lock timeout" in text or "statement timeout" in text or "canceling statement" in text:
        return (f"The database{where} is busy: a save waited too long for another one. Nothing was saved; "
                "try again in a moment.")  # fmt: skip
    if isinstance(exc, psycopg_pool.PoolTimeout):
        return (f"Every connection to the database{where} is in use (CHECKLIST_DB_POOL_SIZE). Nothing was "
                "saved; try again in a moment.")  # fmt: skip
    if isinstance(exc, psycopg.OperationalError) or "connection" in text or "server closed" in text:
        return (f"The PostgreSQL server{where} cannot be reached, or the connection to it was lost. Nothing was "
                "saved (a save is all or nothing); try again when it is back.")  # fmt: skip
    if "disk full" in text or "no space left" in text:
        return f"The PostgreSQL server{where} has run out of disk space. Nothing was saved."
    return f"The database{where} could not be used ({exc}). Nothing was changed."


# --- the SQL the domain writes -----------------------------------------------------------------------------

_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|::|\?|(?<![\w:]):[A-Za-z_]\w*|%""")


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQL written for sqlite3 (``?`` and ``:name`` placeholders) as psycopg takes it (``%s``, ``%(name)s``),
    with every literal ``%`` doubled. Quoted strings and names are left as written (their ``%`` doubled)."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "'\"":
            return token.replace("%", "%%")
        if token == "::":
            return token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({token[1:]})s"

    return _TOKENS.sub(one, sql)


class _BoolAsInteger(Dumper):
    """True and False as 1 and 0: the schema keeps flags in integer columns on both backends."""

    oid = psycopg.adapters.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


ARRAY_ROWS = 500  # up to this many rows go as one INSERT of arrays; more through COPY
_COLUMN_TYPES: dict[str, dict[str, str]] = {}  # table -> column -> type: the same in every database of this schema


def _column_types(db: Database, table: str) -> dict[str, str]:
    if table not in _COLUMN_TYPES:
        rows = db._run(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = CAST(%s AS regclass) AND attnum > 0 AND NOT attisdropped",
            [table],
        ).fetchall()
        _COLUMN_TYPES[table] = dict(rows)
    return _COLUMN_TYPES[table]


def _insert_from_arrays(db: Database, table: str, columns: Sequence[str]) -> str:
    """INSERT of rows given as one array per column (unnest): the same statement text whatever the row count."""
    types = _column_types(db, table)
    listed = ", ".join(f'"{c}"' for c in columns)
    arrays = ", ".join(f"CAST(%s AS {types[c]}[])" for c in columns)
    return f'INSERT INTO "{table}" ({listed}) SELECT * FROM unnest({arrays})'


def _as_arrays(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """One list per column, any NUL in text already replaced (so the compiled dumper can write them)."""
    if not rows:
        return [[] for _ in range(width)]
    columns = []
    for column in zip(*rows, strict=True):
        if any(type(v) is str and "\x00" in v for v in column):
            column = [_without_nul(v) if type(v) is str else v for v in column]
        columns.append(list(column))
    return columns


def _copy(conn: psycopg.Connection, statement: Any, rows: Sequence[Sequence[Any]], text_dumper: type) -> None:
    cursor = conn.cursor()
    cursor.adapters.register_dumper(str, text_dumper)
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _without_nul(text: str) -> str:
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


class _TextWithoutNul(StrDumperUnknown):
    """Text as PostgreSQL can hold it: a NUL character (which PostgreSQL's text cannot contain, and which no person
    types; it arrives in text pasted from some programs) is kept as U+FFFD, the replacement character Excel
    exports show too. SQLite keeps it as it came."""

    def dump(self, obj: str) -> Buffer:
        return super().dump(_without_nul(obj))


class _BinaryTextWithoutNul(StrBinaryDumper):
    def dump(self, obj: str) -> Buffer:
        return super().dump(_without_nul(obj))


def _configure(conn: psycopg.Connection) -> None:
    conn.adapters.register_loader("numeric", FloatLoader)  # avg() and the like come back as floats, as in SQLite
    conn.adapters.register_dumper(bool, _BoolAsInteger)
    conn.adapters.register_dumper(str, _BinaryTextWithoutNul)
    conn.adapters.register_dumper(str, _TextWithoutNul)  # last: the one used unless binary is asked for


class Database:
    """What the domain uses of a sqlite-utils Database, over the address's connection pool.

    A statement borrows a pooled connection for itself alone (its rows are read into memory at once) and gives it
    back; a transaction, a read snapshot or a watcher's listening holds one connection until it ends. So a page
    that keeps its Database object between runs (Streamlit keeps a run's callbacks, and with them its globals)
    holds no connection meanwhile, and the pool serves any number of sessions. Use one object on one thread at a
    time, as a sqlite3 connection.
    """

    backend = "postgresql"

    def __init__(self, pool: psycopg_pool.ConnectionPool, address: str) -> None:
        self._pool = pool
        self.address = address
        self._held: psycopg.Connection | None = None  # while a transaction, snapshot or listening needs one
        self._holds = 0
        self._listening = False
        self._handlers: list[Any] = []
        self.durable = False  # each write's commit waits for the server's disk (durable_commits)
        self.notices = 0  # NOTIFY messages seen while listening (change_token)
        self._pipelined = False  # inside `together`: statements are sent at once, answered at its end

    # sqlite-utils' Database and sqlite3's Connection, as far as the domain uses them
    @property
    def conn(self) -> Database:
        return self

    @property
    def in_transaction(self) -> bool:
        held = self._held
        return held is not None and not held.closed and held.info.transaction_status != TransactionStatus.IDLE

    def _borrow(self) -> psycopg.Connection:
        try:
            return self._pool.getconn()
        except psycopg_pool.PoolTimeout as exc:
            raise DatabaseUnavailable(explain(exc, self.address)) from None
        except psycopg.Error as exc:
            raise DatabaseUnavailable(explain(exc, self.address)) from None

    def _run(self, query: str, params: Any, many: bool = False) -> psycopg.Cursor:
        """Run one statement: on the held connection, or on one borrowed for it. A read that finds its borrowed
        connection dead (the server restarted, a managed service failed over) is tried once more on another."""
        if self._held is not None:
            return self._on(self._held, query, params, many)
        reading = not many and query.lstrip()[:6].upper().startswith(("SELECT", "WITH"))
        for attempt in (1, 2):
            conn = self._borrow()
            try:
                return self._on(conn, query, params, many)
            except DatabaseUnavailable:
                if attempt == 2 or not reading or not conn.closed:
                    raise
                self._pool.putconn(conn)  # a broken connection is thrown away by the pool
                conn = None
                self._pool.check()  # and any others the same event broke (a failover drops them all)
            finally:
                if conn is not None:
                    self._pool.putconn(conn)
        raise AssertionError("unreachable")

    def _on(self, conn: psycopg.Connection, query: str, params: Any, many: bool) -> psycopg.Cursor:
        try:
            if many:
                cursor = conn.cursor()
                cursor.executemany(query, params)
                return cursor
            return conn.execute(query, params if params is not None else ())
        except psycopg.OperationalError as exc:  # the server went away, or cancelled: said plainly
            raise DatabaseUnavailable(explain(exc, self.address)) from None

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor:
        return self._run(translate(sql), params)

    def executemany(self, sql: str, rows: Any) -> psycopg.Cursor:
        return self._run(translate(sql), rows, many=True)

    def raw(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> psycopg.Cursor:
        """SQL exactly as written for PostgreSQL (no placeholder translation)."""
        return self._run(sql, params)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Many rows inserted at once (`rows.insert_many` on PostgreSQL): a few hundred as one statement of arrays,
        more through COPY, each one exchange however many rows (on the held connection inside a transaction, or
        on one borrowed for it). COPY writes text with psycopg's compiled dumper; text holding a NUL (which
        PostgreSQL refuses) sends the rows again with it replaced, as every other statement does."""
        if len(rows) <= ARRAY_ROWS or self._pipelined:  # COPY cannot run in a pipeline
            statement = _insert_from_arrays(self, table, columns)
            for start in range(0, len(rows), ARRAY_ROWS):
                self._arrays(statement, _as_arrays(rows[start : start + ARRAY_ROWS], len(columns)))
            return
        statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg.sql.Identifier(table), psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns))
        )

        def copy(conn: psycopg.Connection) -> None:
            try:
                with conn.transaction():  # a savepoint: a refused COPY leaves the caller's transaction usable
                    _copy(conn, statement, rows, StrDumper)  # compiled: no Python call per value
            except psycopg.DataError as exc:
                if "0x00" not in str(exc):
                    raise
                with conn.transaction():  # a NUL somewhere: again, replacing it as every statement does
                    _copy(conn, statement, rows, _TextWithoutNul)

        self._using(copy)

    def upsert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: Sequence[str]
    ) -> None:
        """`rows.upsert_many` on PostgreSQL: one statement of arrays per few hundred rows, each key once."""
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
        keys = ", ".join(f'"{k}"' for k in key)
        conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
        statement = _insert_from_arrays(self, table, columns) + " " + conflict
        for start in range(0, len(rows), ARRAY_ROWS):
            self._arrays(statement, _as_arrays(rows[start : start + ARRAY_ROWS], len(columns)))

    def _arrays(self, statement: str, arrays: list[list[Any]]) -> None:
        """One statement of arrays (`_as_arrays`: NULs already replaced), its text written by the compiled dumper."""

        def run(conn: psycopg.Connection) -> None:
            cursor = conn.cursor()
            cursor.adapters.register_dumper(str, StrDumper)
            cursor.execute(statement, arrays)

        self._using(run)

    def _using(self, work: Callable[[psycopg.Connection], None]) -> None:
        """`work` on the held connection (inside a transaction) or on one borrowed for it and given back; a server
        gone away is said plainly (DatabaseUnavailable)."""
        conn = self._held if self._held is not None else self._borrow()
        try:
            work(conn)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(explain(exc, self.address)) from None
        finally:
            if conn is not self._held:
                self._pool.putconn(conn)

    def rollback(self) -> None:
        if self._held is not None and not self._held.closed:
            self._held.rollback()

    def cursor(self, name: str) -> psycopg.Cursor:
        """A server-side cursor, inside `holding` (a read snapshot): rows read a batch at a time."""
        if self._held is None:
            raise StoreError("a server-side cursor needs a held connection (a read snapshot)")
        return self._held.cursor(name=name)

    @contextmanager
    def holding(self) -> Iterator[psycopg.Connection]:
        """One connection for the whole block (nested blocks share it), back to the pool when the outermost ends."""
        if self._held is None:
            self._held = self._borrow()
        self._holds += 1
        try:
            yield self._held
        finally:
            self._holds -= 1
            if self._holds == 0 and not self._listening:
                self._release()

    def listen(self, channel: str, handler: Any) -> psycopg.Connection:
        """Hold a connection for good (until close) and listen on it (the room watcher)."""
        if self._held is None:
            self._held = self._borrow()
        conn = self._held
        conn.add_notify_handler(handler)
        self._handlers.append(handler)
        conn.execute(f"LISTEN {channel}")
        self._listening = True
        return conn

    def _release(self) -> None:
        conn, self._held = self._held, None
        if conn is None:
            return
        if not conn.closed:
            try:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.rollback()  # a snapshot or a failed write left open: nothing of it is kept
                if self._listening:
                    conn.execute("UNLISTEN *")
                    for handler in self._handlers:
                        conn.remove_notify_handler(handler)
            except psycopg.Error:
                pass
        self._listening = False
        self._handlers = []
        self._pool.putconn(conn)

    def close(self) -> None:
        self._holds = 0
        self._release()

    def __del__(self) -> None:
        # A connection still held when the object goes (a listener nobody closed) goes back to the pool.
        if getattr(self, "_held", None) is not None:
            try:
                self.close()
            except Exception:  # noqa: BLE001 - nothing to tell anyone during garbage collection
                pass


# --- connecting --------------------------------------------------------------------------------------------

_POOLS: dict[str, psycopg_pool.ConnectionPool] = {}
_MIGRATED: set[str] = set()
_POOLS_LOCK = threading.Lock()


def _pool(address: str) -> psycopg_pool.ConnectionPool:
    with _POOLS_LOCK:
        pool = _POOLS.get(address)
        if pool is not None and not pool.closed:
            return pool
        conninfo, kwargs = _conninfo(address)
        # Tried once directly first: an unreachable server or a wrong password is said at once, not after the
        # pool's own wait.
        try:
            with psycopg.connect(conninfo, **kwargs):
                pass
        except psycopg.Error as exc:
            raise DatabaseUnavailable(explain(exc, address)) from None
        pool = psycopg_pool.ConnectionPool(
            conninfo,
            kwargs=kwargs,
            min_size=1,
            max_size=_whole(POOL_SIZE_VAR, 10),
            configure=_configure,
            # No check on every borrow (a round trip per statement): a read, or a save's BEGIN, that meets a dead
            # connection is tried once more on a fresh one (Database._run, _begin).
            timeout=float(_whole(CONNECT_TIMEOUT_VAR, 5)) * 2,
            name="checklist",
            open=True,
        )
        _POOLS[address] = pool
        return pool


def close_pools() -> None:
    """Close every pool (tests, and a server shutting down)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
        _MIGRATED.clear()
    for pool in pools:
        pool.close()


def connect(address: str, *, apply_migrations: bool = True, must_exist: bool = False) -> Database:
    """A connection from the address's pool, the schema brought up to date (or a newer one refused)."""
    del must_exist  # a server's database exists or the connection fails, with its own message
    db = Database(_pool(address), address)
    try:
        if apply_migrations or address not in _MIGRATED:
            pg_schema.migrate(db)
            _MIGRATED.add(address)
        else:
            pg_schema.check_schema(db)
    except (StoreError, SchemaTooNewError):
        db.close()
        raise
    except psycopg.Error as exc:
        db.close()
        raise DatabaseUnavailable(explain(exc, address)) from None
    except BaseException:
        db.close()
        raise
    return db


# --- writing -----------------------------------------------------------------------------------------------


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One write transaction holding the app's write lock from its start, so writers queue; nested calls are
    savepoints of the outer one. Commits tell every listening server (NOTIFY). A failure rolls everything back;
    one the server reports (gone away, busy, refused) is raised as DatabaseUnavailable. A connection found dead
    at BEGIN (nothing sent yet) is replaced once, so a failover costs nobody their save."""
    if db.in_transaction:
        try:
            with db._held.transaction():  # type: ignore[union-attr]
                yield db
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(explain(exc)) from None
        return
    with db.holding() as conn:
        conn = _begin(db, conn)
        try:
            yield db
        except BaseException as exc:
            _roll_back(conn)
            if isinstance(exc, psycopg.OperationalError | psycopg.errors.QueryCanceled):
                raise DatabaseUnavailable(explain(exc)) from None
            raise
        if conn.info.transaction_status == TransactionStatus.INERROR:  # a failed statement was caught inside:
            _roll_back(conn)  # COMMIT would quietly roll back, so say so instead
            raise StoreError("a statement in this save failed, so nothing of it was saved; please try again")
        try:
            conn.execute(f"NOTIFY {NOTIFY_CHANNEL}; COMMIT")  # one round trip: the other servers hear of it at commit
        except psycopg.Error as exc:
            _roll_back(conn)
            raise DatabaseUnavailable(explain(exc)) from None


def reserve_ids(db: Database, table: str, count: int, above: int = 0) -> list[int]:
    """`count` ids of `table` taken from its identity sequence in one round trip: no other row will get them."""
    rows = db._run(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [f'"{table}"', count]
    ).fetchall()
    return [int(r[0]) for r in rows]


@contextmanager
def together(db: Database) -> Iterator[None]:
    """Writes inside a transaction sent to the server at once and answered together at the block's end (psycopg's
    pipeline mode): one round trip for several statements whose results are not read inside the block."""
    if db._held is None or db._pipelined:
        yield
        return
    db._pipelined = True
    try:
        with db._held.pipeline():
            yield
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(explain(exc, db.address)) from None
    finally:
        db._pipelined = False


def _roll_back(conn: psycopg.Connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg.Error:
        pass  # the connection is gone: the server has dropped the transaction with it


def _begin(db: Database, conn: psycopg.Connection) -> psycopg.Connection:
    """BEGIN, the write lock and the commit setting in one round trip (one simple query: it has no parameters)."""
    start = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
    if db.durable:
        start += "; SET LOCAL synchronous_commit = on"
    for attempt in (1, 2):
        try:
            conn.execute(start)
            return conn
        except psycopg.OperationalError as exc:
            if attempt == 2 or not conn.closed:
                _roll_back(conn)
                raise DatabaseUnavailable(explain(exc)) from None
            db._pool.putconn(conn)  # dead: the pool throws it away
            db._pool.check()  # and any others the same event broke
            db._held = conn = db._borrow()
        except psycopg.Error as exc:
            _roll_back(conn)
            raise DatabaseUnavailable(explain(exc)) from None
    raise AssertionError("unreachable")


def durable_commits(db: Database) -> None:
    """Each write's commit is on the server's disk when it returns (`synchronous_commit = on` for each
    transaction, whatever the server's own setting)."""
    db.durable = True


def change_token(db: Database) -> int:
    """A number that changes whenever any server commits a write: the NOTIFY messages this connection has seen.

    The first call starts listening; each call then reads whatever has arrived (one round trip)."""
    if not db._listening:

        def counted(_notice: psycopg.Notify) -> None:
            db.notices += 1

        db.listen(NOTIFY_CHANNEL, counted)
        db.notices += 1  # whatever happened before listening began is "a change"
    try:
        db._held.execute("SELECT 1")  # type: ignore[union-attr]  # delivers what has arrived to the handler
    except psycopg.OperationalError as exc:
        db.close()  # listen again, on a fresh connection, at the next look
        raise DatabaseUnavailable(explain(exc, db.address)) from None
    return db.notices


@contextmanager
def history_unlocked(db: Database) -> Iterator[None]:
    """Let the caller's transaction rewrite history rows (privacy's erasure), and no other transaction."""
    if not db.in_transaction:
        raise StoreError("history is rewritten only inside a transaction")
    db.raw(f"SELECT set_config('{HISTORY_SETTING}', 'erasing', true)")
    try:
        yield
    finally:
        if db.in_transaction:
            db.raw(f"SELECT set_config('{HISTORY_SETTING}', '', true)")


# --- erasure: leaving nothing behind ------------------------------------------------------------------------


@contextmanager
def erasing_securely(db: Database) -> Iterator[None]:
    """Nothing to switch on: PostgreSQL keeps old row versions until VACUUM (`compact`) reclaims them."""
    del db
    yield


def compact(db: Database) -> bool:
    """Reclaim the old row versions an erasure left (VACUUM, outside any transaction); False if it could not run.
    Copies the server itself keeps (its write-ahead log, a managed service's backups) age out on their own
    schedule: see docs/information-governance.md."""
    if db.in_transaction:
        return False
    try:
        db.raw("VACUUM")
    except psycopg.Error:
        return False
    return True


def table_keys(db: Database) -> list[tuple[str, str, list[str]]]:
    """Every table of the app: its name, its primary key's columns (what identifies a row), and its text columns."""
    rows = db.raw(
        """SELECT c.table_name, c.column_name, c.data_type IN ('text', 'character varying', 'character'),
                  k.ordinal_position
           FROM information_schema.columns c
           LEFT JOIN information_schema.key_column_usage k
             ON k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name
            AND k.constraint_name IN (SELECT constraint_name FROM information_schema.table_constraints t
                                      WHERE t.table_schema = c.table_schema AND t.table_name = c.table_name
                                        AND t.constraint_type = 'PRIMARY KEY')
           WHERE c.table_schema = current_schema() AND c.table_name != %s
           ORDER BY c.table_name, c.ordinal_position""",
        [STEPS_TABLE],
    ).fetchall()
    tables: dict[str, tuple[list[tuple[int, str]], list[str]]] = {}
    for table, column, is_text, key_position in rows:
        keys, texts = tables.setdefault(table, ([], []))
        if key_position is not None:
            keys.append((key_position, column))
        if is_text:
            texts.append(column)
    found = []
    for table, (keys, texts) in sorted(tables.items()):
        if not keys:
            raise StoreError(f"table {table} has no primary key, so its rows cannot be scanned for a person's data")
        found.append((table, ", ".join(f'"{c}"' for _, c in sorted(keys)), texts))
    return found


# --- reading a snapshot ------------------------------------------------------------------------------------


@contextmanager
def read_snapshot(db: Database) -> Iterator[None]:
    """One read-only transaction seeing the database at one moment (exports, backups), on one held connection."""
    if db.in_transaction:
        yield
        return
    with db.holding() as conn:
        try:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except psycopg.Error as exc:
            raise DatabaseUnavailable(explain(exc, db.address)) from None
        try:
            yield
        finally:
            if not conn.closed:
                conn.rollback()


# --- backups: the same portable file SQLite's are ----------------------------------------------------------

BACKUP_BATCH = 5000  # rows a server-side cursor hands over at a time (a download's backup)
BATCHES_AHEAD = 4  # batches read ahead of the writer (ADBC's are up to 16 MB each)


def _tables_in_order(target: Any) -> list[tuple[str, list[str]]]:
    """The app's tables in a SQLite database, in the order the schema made them, with their columns."""
    rows = target.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != '_sqlite_migrations' ORDER BY rowid"
    ).fetchall()
    return [(name, [c[1] for c in target.execute(f'PRAGMA table_info("{name}")')]) for (name,) in rows]


def _portable_schema(db: Database, out: Any) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The empty SQLite connection `out` given the schema `db` is at (the same steps), with no rows (the rows the
    steps wrote themselves come from the source too) and, for now, no indexes: made once at the end, from the
    statements returned, rather than kept up to date row by row."""
    import sqlite_utils

    from checklist.db.schema import KNOWN_MIGRATIONS, MIGRATIONS

    applied = set(pg_schema.applied_names(db))
    later = [n for n in KNOWN_MIGRATIONS if n not in applied]
    MIGRATIONS.apply(sqlite_utils.Database(out), stop_before=later[0] if later else None)
    tables = _tables_in_order(out)
    for table, _ in tables:
        out.execute(f'DELETE FROM "{table}"')
    indexes = out.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    for name, _ in indexes:
        out.execute(f'DROP INDEX "{name}"')
    out.commit()
    return tables, [sql for _, sql in indexes]


def _every_row(table: str, columns: list[str]) -> str:
    """A backup's read of one table: its columns in the SQLite file's order, its rows in key order."""
    listed = ", ".join(f'"{c}"' for c in columns)
    return f'SELECT {listed} FROM "{table}" ORDER BY 1'


class _Stopped(Exception):
    """The writer has gone: the reader stops."""


class _ReadAhead:
    """What `produce` reads on a second thread, handed over a short queue as it is read, so that reading from the
    server and writing the file overlap. `produce(hand)` hands each item, and END after each table's last;
    `take` gives the next, raising what `produce` raised once everything it handed before has been taken."""

    END = object()
    _FAILED = object()

    def __init__(self, produce: Callable[[Callable[[Any], None]], None]) -> None:
        self._produce = produce
        self._queue: queue.Queue[Any] = queue.Queue(BATCHES_AHEAD)
        self._stop = threading.Event()
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backup-reader", daemon=True)

    def _hand(self, item: Any) -> None:
        while not self._stop.is_set():
            with suppress(queue.Full):
                self._queue.put(item, timeout=0.1)
                return
        raise _Stopped

    def _run(self) -> None:
        try:
            self._produce(self._hand)
        except _Stopped:
            pass
        except BaseException as exc:  # the writer raises it, in its own thread
            self.failure = exc
            with suppress(_Stopped):
                self._hand(self._FAILED)

    def take(self) -> Any:
        item = self._queue.get()
        if item is self._FAILED:
            assert self.failure is not None
            raise self.failure
        return item

    def table(self) -> Iterator[Any]:
        """The items of one table, up to its END."""
        return iter(self.take, self.END)

    def __enter__(self) -> _ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


def _write_portable(db: Database, out: Any) -> None:
    """Everything in `db` written into the empty SQLite connection `out` (in memory: a download, which never
    touches a disk), at the same schema step: rows through Python, read on a second thread."""
    tables, indexes = _portable_schema(db, out)

    def read(hand: Callable[[Any], None]) -> None:
        with read_snapshot(db):
            for table, columns in tables:
                with db.cursor(name=f"backup_{table}") as cursor:  # read on the server in batches, not all at once
                    cursor.execute(_every_row(table, columns))
                    while rows := cursor.fetchmany(BACKUP_BATCH):
                        hand(rows)
                hand(_ReadAhead.END)

    try:
        with _ReadAhead(read) as ahead:
            for table, columns in tables:
                insert = f'INSERT INTO "{table}" VALUES ({", ".join("?" for _ in columns)})'  # every column, in order
                for rows in ahead.table():
                    out.executemany(insert, rows)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(explain(exc, db.address)) from None
    for sql in indexes:
        out.execute(sql)
    out.commit()


def _write_portable_file(db: Database, out: Any, path: Path) -> None:
    """Everything in `db` written into the new SQLite file at `path` (`out`, open on it and empty), at the same
    schema step, without a Python object per value: Apache Arrow's ADBC drivers read each table from PostgreSQL
    (binary COPY, every table in one REPEATABLE READ snapshot) and write it into SQLite, the next batches read on
    a second thread while one is written. Twice as fast as `_write_portable` (docs/hosting.md)."""
    import adbc_driver_postgresql.dbapi as pg_adbc
    import adbc_driver_sqlite.dbapi as sqlite_adbc
    import pyarrow

    tables, indexes = _portable_schema(db, out)
    conninfo, settings = _conninfo(db.address)
    settings.pop("autocommit")  # psycopg's, not libpq's
    target = sqlite_adbc.connect(str(path))
    try:
        source = pg_adbc.connect(psycopg.conninfo.make_conninfo(conninfo, **settings))
    except pg_adbc.Error as exc:
        target.close()
        raise DatabaseUnavailable(explain(exc, db.address)) from None
    reading, writing = source.cursor(), target.cursor()

    def read(hand: Callable[[Any], None]) -> None:
        # In the transaction ADBC began on connecting (autocommit is off): every table as at one moment.
        reading.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table, columns in tables:
            reading.execute(_every_row(table, columns))
            batches = reading.fetch_record_batch()
            hand(batches.schema)
            for batch in batches:
                hand(batch)
            hand(_ReadAhead.END)

    ahead = _ReadAhead(read)
    try:
        with ahead:
            writing.execute("PRAGMA journal_mode = OFF")  # a partial file until whole: nothing to roll back to
            writing.fetchall()
            for table, _ in tables:
                batches = pyarrow.RecordBatchReader.from_batches(ahead.take(), ahead.table())
                writing.adbc_ingest(table, batches, mode="append")
            for sql in indexes:
                writing.execute(sql)
            target.commit()
    except (pg_adbc.Error, pyarrow.ArrowException) as exc:
        if ahead.failure is not None:  # the server's error, which reached the writer as the Arrow stream's
            raise DatabaseUnavailable(explain(ahead.failure, db.address)) from None
        raise DatabaseUnavailable(f"the backup file could not be written ({exc}); no backup was made") from None
    finally:
        for closing in (reading, writing, source, target):
            with suppress(Exception):
                closing.close()


def backup(db: Database, destination: str | Path) -> Path:
    """A consistent snapshot of everything, written atomically as the same SQLite file a SQLite backup is."""
    from checklist.db.sqlite import new_file

    return new_file(destination, lambda out, path: _write_portable_file(db, out, path))


def backup_bytes(db: Database) -> bytes:
    """The same snapshot as `backup`, made in memory for a download (so no copy is left on a disk)."""
    import sqlite3

    memory = sqlite3.connect(":memory:")
    try:
        _write_portable(db, memory)
        return bytes(memory.serialize())
    finally:
        memory.close()


def replace_contents(db: Database, source: Any) -> None:
    """Everything in `db` replaced with what the SQLite database `source` holds, in one transaction: nothing is
    replaced unless everything is. Both are at the same schema step (restore brings the backup up to date)."""
    tables = _tables_in_order(source)
    try:
        with db.holding() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            conn.execute(f"SELECT set_config('{HISTORY_SETTING}', 'restoring', true)")
            conn.execute("SET CONSTRAINTS ALL DEFERRED")  # rows arrive table by table; keys are checked at commit
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t, _ in tables) + " RESTART IDENTITY")
            for table, columns in tables:
                listed = ", ".join(f'"{c}"' for c in columns)
                cursor = conn.cursor()
                with cursor.copy(f'COPY "{table}" ({listed}) FROM STDIN') as copy:
                    for row in source.execute(f'SELECT {listed} FROM "{table}"'):
                        copy.write_row(row)
                if "id" in columns:
                    conn.execute(
                        f"""SELECT setval(pg_get_serial_sequence('"{table}"', 'id'),
                                          coalesce((SELECT max(id) FROM "{table}"), 0) + 1, false)"""
                    )
            conn.execute(f"SELECT set_config('{HISTORY_SETTING}', '', true)")
            conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(explain(exc)) from None
    except psycopg.Error as exc:
        raise StoreError(f"the backup could not be loaded into PostgreSQL ({exc}); nothing was changed") from None

"""Storage in one SQLite file through sqlite-utils: schema, migrations, reads and writes.

Every write takes `actor` (who is acting; "local user" until sign-in exists) and records what it
changed in the append-only `history` table inside the same transaction, so no answer is ever lost
and any earlier state can be rebuilt. Reads for one unit (a system or a place) touch only that
unit's rows, through indexes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import pandas as pd
import sqlite_utils
from sqlite_utils import Migrations

from checklist import access, clock, errors
from checklist.framework import (
    ENABLERS_MODULE,
    CarryOver,
    Framework,
    carry_over,
    current_framework,
    framework_for,
    wording_changes,
)
from checklist.scoring import (
    ANSWER_KINDS,
    DONT_KNOW,
    LEVEL,
    NOT_APPLICABLE,
    Answer,
    AssessmentScore,
    check_level,
    projected_answers,
    score_assessment,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "maturity.db"
DB_ENV_VAR = "CHECKLIST_DB"
LOCAL_USER = "local user"
# How long a write waits for another writer before giving up (CHECKLIST_BUSY_TIMEOUT_MS).
BUSY_TIMEOUT_MS = int(os.environ.get("CHECKLIST_BUSY_TIMEOUT_MS", "10000"))

DRAFT = "draft"
SUBMITTED = "submitted"
CONFIDENCE_LEVELS = ("asserted", "documented", "verified")
ACTION_STATUSES = ("not started", "in progress", "done", "dropped")
RESPONSE_FIELDS = ("answer", "level", "na_reason", "evidence", "evidence_links", "confidence", "target_level")
ACTION_FIELDS = ("description", "owner", "due_date", "status", "target_level")
ASSESSMENT_DETAIL_FIELDS = ("round_label", "assessment_date", "participants", "submit_note")
MAX_SUBMIT_NOTE = 2000


# Re-exported: pages and the CLI catch store.StoreError, permission refusals included.
StoreError = errors.StoreError


class SchemaTooNewError(StoreError):
    pass


class RoundClashError(StoreError):
    pass


class LockedError(StoreError):
    pass


class IncompleteError(StoreError):
    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


class NotFoundError(StoreError):
    pass


def default_db_path() -> Path:
    """CHECKLIST_DB if set, else data/maturity.db in the project."""
    env = os.environ.get(DB_ENV_VAR)
    return Path(env) if env else DEFAULT_DB


def _now() -> str:
    return clock.iso_now()


# --- schema -----------------------------------------------------------------------------

MIGRATIONS = Migrations("checklist")
# Append-only: history can be added to, never edited or removed (privacy.erase_person is the one
# deliberate exception, made inside one transaction that puts these back).
HISTORY_GUARDS = (
    """CREATE TRIGGER history_no_update BEFORE UPDATE ON history
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
    """CREATE TRIGGER history_no_delete BEFORE DELETE ON history
           BEGIN SELECT RAISE(ABORT, 'history is append-only'); END""",
)


@MIGRATIONS(name="0001_core_tables")
def _m0001_core_tables(db: sqlite_utils.Database) -> None:
    # Raw DDL: sqlite-utils' create() has no CHECK constraints or expression indexes, and the
    # constraints are what keep a bad level or status out however the row is written.
    for statement in (
        """CREATE TABLE systems (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            archived_at TEXT
        )""",
        "CREATE UNIQUE INDEX systems_name ON systems(name COLLATE NOCASE)",
        """CREATE TABLE places (
            id INTEGER PRIMARY KEY,
            system_id INTEGER NOT NULL REFERENCES systems(id),
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            archived_at TEXT
        )""",
        "CREATE UNIQUE INDEX places_system_name ON places(system_id, name COLLATE NOCASE)",
        """CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            system_id INTEGER NOT NULL REFERENCES systems(id),
            place_id INTEGER REFERENCES places(id),
            round_label TEXT NOT NULL,
            assessment_date TEXT NOT NULL,
            framework_version TEXT NOT NULL,
            include_workforce INTEGER NOT NULL DEFAULT 0 CHECK (include_workforce IN (0, 1)),
            status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
            participants TEXT NOT NULL DEFAULT '',
            signed_off_by TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            submitted_at TEXT,
            submitted_by TEXT,
            updated_at TEXT NOT NULL
        )""",
        # One round label per unit; a whole-system assessment has no place (NULL -> 0).
        """CREATE UNIQUE INDEX assessments_unit_round
           ON assessments(system_id, ifnull(place_id, 0), round_label COLLATE NOCASE)""",
        "CREATE INDEX assessments_place ON assessments(place_id, assessment_date)",
        "CREATE INDEX assessments_system ON assessments(system_id, assessment_date)",
        """CREATE TABLE responses (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            item_id TEXT NOT NULL,
            answer TEXT CHECK (answer IN ('level', 'dont_know', 'not_applicable')),
            level INTEGER CHECK (level BETWEEN 0 AND 4),
            na_reason TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '',
            evidence_links TEXT NOT NULL DEFAULT '',
            confidence TEXT CHECK (confidence IN ('asserted', 'documented', 'verified')),
            target_level INTEGER CHECK (target_level BETWEEN 0 AND 4),
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            PRIMARY KEY (assessment_id, item_id),
            CHECK ((answer = 'level') = (level IS NOT NULL))
        )""",
        """CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            item_id TEXT NOT NULL,
            description TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            due_date TEXT,
            status TEXT NOT NULL DEFAULT 'not started'
                CHECK (status IN ('not started', 'in progress', 'done', 'dropped')),
            target_level INTEGER CHECK (target_level BETWEEN 0 AND 4),
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX actions_assessment ON actions(assessment_id, item_id)",
        """CREATE TABLE history (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            assessment_id INTEGER,
            item_id TEXT,
            field TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT
        )""",
        "CREATE INDEX history_assessment ON history(assessment_id, item_id, id)",
        *HISTORY_GUARDS,
    ):
        db.execute(statement)


@MIGRATIONS(name="0002_population")
def _m0002_population(db: sqlite_utils.Database) -> None:
    # Population lets a commissioner weight a roll-up from places to their system.
    db["systems"].add_column("population", int)
    db["places"].add_column("population", int)


@MIGRATIONS(name="0003_workshops")
def _m0003_workshops(db: sqlite_utils.Database) -> None:
    # Workshops (live, or answers collected beforehand), their participants and votes, the levels
    # a room agreed, and notes / parking-lot entries. Votes are keyed by participant and item, so
    # a participant holds exactly one vote per item however often or concurrently they press.
    for statement in (
        """CREATE TABLE workshops (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            code TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('live', 'independent')),
            seeded_from INTEGER REFERENCES workshops(id),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            current_item TEXT,
            item_started_at TEXT,
            revealed INTEGER NOT NULL DEFAULT 0 CHECK (revealed IN (0, 1)),
            expires_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            closed_at TEXT
        )""",
        # A code identifies one open workshop; closed workshops may share old codes.
        "CREATE UNIQUE INDEX workshops_open_code ON workshops(code) WHERE status = 'open'",
        "CREATE INDEX workshops_assessment ON workshops(assessment_id, id)",
        """CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            token TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            sector TEXT NOT NULL CHECK (sector IN
                ('health', 'sport', 'vcse', 'local_authority', 'lived_experience', 'other')),
            joined_at TEXT NOT NULL
        )""",
        "CREATE INDEX participants_workshop ON participants(workshop_id)",
        """CREATE TABLE votes (
            participant_id INTEGER NOT NULL REFERENCES participants(id),
            item_id TEXT NOT NULL,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            answer TEXT NOT NULL CHECK (answer IN ('level', 'dont_know')),
            level INTEGER CHECK (level BETWEEN 0 AND 4),
            cast_at TEXT NOT NULL,
            PRIMARY KEY (participant_id, item_id),
            CHECK ((answer = 'level') = (level IS NOT NULL))
        )""",
        "CREATE INDEX votes_workshop_item ON votes(workshop_id, item_id)",
        """CREATE TABLE agreements (
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            item_id TEXT NOT NULL,
            answer TEXT NOT NULL CHECK (answer IN ('level', 'dont_know')),
            level INTEGER CHECK (level BETWEEN 0 AND 4),
            notes TEXT NOT NULL DEFAULT '',
            votes INTEGER NOT NULL,
            low INTEGER,
            high INTEGER,
            agreed_at TEXT NOT NULL,
            agreed_by TEXT NOT NULL,
            PRIMARY KEY (workshop_id, item_id),
            CHECK ((answer = 'level') = (level IS NOT NULL))
        )""",
        """CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            workshop_id INTEGER REFERENCES workshops(id),
            item_id TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('note', 'quote', 'parking')),
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX notes_assessment ON notes(assessment_id, item_id)",
    ):
        db.execute(statement)


@MIGRATIONS(name="0004_presenter_key")
def _m0004_presenter_key(db: sqlite_utils.Database) -> None:
    # A secret per workshop that lets the facilitator's screen read the live tally over HTTP.
    db.execute("ALTER TABLE workshops ADD COLUMN presenter_key TEXT")


@MIGRATIONS(name="0005_users_and_sign_off")
def _m0005_users_and_sign_off(db: sqlite_utils.Database) -> None:
    # Shared mode: users known by the e-mail their identity provider returns, the roles they hold on
    # systems and places, and a reviewer's sign-off of a submitted round (who and when).
    for statement in (
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            disabled_at TEXT
        )""",
        "CREATE UNIQUE INDEX users_email ON users(email COLLATE NOCASE)",
        """CREATE TABLE grants (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            role TEXT NOT NULL CHECK (role IN ('admin', 'lead', 'reviewer', 'viewer')),
            system_id INTEGER REFERENCES systems(id),
            place_id INTEGER REFERENCES places(id)
        )""",
        "CREATE UNIQUE INDEX grants_unique ON grants(user_id, role, ifnull(system_id, 0), ifnull(place_id, 0))",
        "ALTER TABLE assessments ADD COLUMN signed_off_at TEXT",
    ):
        db.execute(statement)


@MIGRATIONS(name="0006_review_comments")
def _m0006_review_comments(db: sqlite_utils.Database) -> None:
    # A reviewer's comments on a round's evidence, item by item: open until the lead (or the reviewer)
    # marks them addressed; withdrawn, never erased.
    for statement in (
        """CREATE TABLE review_comments (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            item_id TEXT,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            addressed_at TEXT,
            addressed_by TEXT,
            withdrawn_at TEXT
        )""",
        "CREATE INDEX review_comments_assessment ON review_comments(assessment_id, item_id)",
    ):
        db.execute(statement)


@MIGRATIONS(name="0007_enablers_module")
def _m0007_enablers_module(db: sqlite_utils.Database) -> None:
    # Framework 1.1's optional "Enablers from the report" module: a round chooses it, like the workforce module.
    db.execute(
        "ALTER TABLE assessments ADD COLUMN include_enablers INTEGER NOT NULL DEFAULT 0 "
        "CHECK (include_enablers IN (0, 1))"
    )


SIGN_OFF_NOTE_PREFIX = "Named as sign-off when submitted (not a recorded sign-off): "


@MIGRATIONS(name="0008_sign_off_identity")
def _m0008_sign_off_identity(db: sqlite_utils.Database) -> None:
    # A sign-off is a reviewer's own act, recorded by who they are (their user id), never a name anyone
    # could type. The lead's typed "signed off by" becomes a free note at submission, named as such;
    # a recorded sign-off keeps its name and gains the signer's id where one person matches it.
    # Sessions end at sign-out: a person's identity tokens issued before sessions_ended_at are refused.
    for statement in (
        "ALTER TABLE assessments ADD COLUMN submit_note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE assessments ADD COLUMN signed_off_user_id INTEGER REFERENCES users(id)",
        "ALTER TABLE assessments ADD COLUMN submitted_by_user_id INTEGER REFERENCES users(id)",
        "ALTER TABLE users ADD COLUMN sessions_ended_at TEXT",
    ):
        db.execute(statement)
    now = _now()
    rows = db.execute(
        "SELECT id, signed_off_by, signed_off_at, submitted_by FROM assessments WHERE signed_off_by != ''"
    ).fetchall()
    for aid, name, signed_at, _submitted_by in rows:
        matches = db.execute("SELECT id FROM users WHERE name = ? OR email = ? COLLATE NOCASE", [name, name]).fetchall()
        if signed_at is not None and len(matches) == 1:
            db.execute("UPDATE assessments SET signed_off_user_id = ? WHERE id = ?", [matches[0][0], aid])
            continue
        if signed_at is not None and not matches:
            continue  # signed off with the button by someone with no account (local mode): kept as it was
        note = SIGN_OFF_NOTE_PREFIX + name
        db.execute(
            "UPDATE assessments SET submit_note = ?, signed_off_by = '', signed_off_at = NULL WHERE id = ?",
            [note, aid],
        )
        for field, old, new in (("signed_off_by", name, ""), ("submit_note", "", note)):
            _record(db, "update 0008 (sign-off by identity)", "assessment", aid, field, old, new,
                    assessment_id=aid, at=now)  # fmt: skip
    for aid, submitted_by in db.execute(
        "SELECT id, submitted_by FROM assessments WHERE submitted_by IS NOT NULL AND submitted_by != ''"
    ).fetchall():
        found = db.execute(
            "SELECT id FROM users WHERE name = ? OR email = ? COLLATE NOCASE", [submitted_by, submitted_by]
        ).fetchall()
        if len(found) == 1:
            db.execute("UPDATE assessments SET submitted_by_user_id = ? WHERE id = ?", [found[0][0], aid])


# Registered after 0008 on purpose: sqlite-utils applies migrations in the order they are defined, not by name.
@MIGRATIONS(name="0009_erasures")
def _m0009_erasures(db: sqlite_utils.Database) -> None:
    # The erasure register (privacy.erase_person): erasure #N, when, by whom, how much it changed. Its terms are
    # kept only as salted digests with their word lengths (BLOBs, so no erasure rewrites them): enough for a
    # restore to find and erase them again, never readable as the person.
    for statement in (
        """CREATE TABLE erasures (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            erased_by TEXT NOT NULL,
            rows_changed INTEGER NOT NULL,
            fields_changed INTEGER NOT NULL,
            salt BLOB NOT NULL UNIQUE
        )""",
        """CREATE TABLE erasure_terms (
            erasure_id INTEGER NOT NULL REFERENCES erasures(id),
            kind TEXT NOT NULL CHECK (kind IN ('words', 'digits', 'value')),
            shape BLOB NOT NULL,
            digest BLOB NOT NULL,
            PRIMARY KEY (erasure_id, kind, digest)
        )""",
    ):
        db.execute(statement)


KNOWN_MIGRATIONS = tuple(m.name for m in MIGRATIONS._migrations)


def _applied_names(db: sqlite_utils.Database) -> list[str]:
    if not db[Migrations.migrations_table].exists():
        return []
    rows = db.execute(
        f"SELECT name FROM [{Migrations.migrations_table}] WHERE migration_set = ? ORDER BY rowid",
        [MIGRATIONS.name],
    ).fetchall()
    return [r[0] for r in rows]


def schema_version(db: sqlite_utils.Database) -> int:
    """How many of this app's migrations the database has applied."""
    return len(_applied_names(db))


def check_schema(db: sqlite_utils.Database) -> None:
    """Refuse, without touching it, a database written by a newer version of the app."""
    unknown = [n for n in _applied_names(db) if n not in KNOWN_MIGRATIONS]
    if unknown:
        raise SchemaTooNewError(
            f"this database was made by a newer version of the app (schema step(s) "
            f"{', '.join(unknown)} are unknown here; this app knows up to {KNOWN_MIGRATIONS[-1]}). "
            "It has not been changed: open it with the newer version, or upgrade this app."
        )


def migrate(db: sqlite_utils.Database, stop_before: str | None = None) -> None:
    check_schema(db)
    MIGRATIONS.apply(db, stop_before=stop_before)


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


class DatabaseUnavailable(StoreError):
    """The database file cannot be used right now (busy, read-only, full, damaged, unreachable)."""


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


def later_migrations(db: sqlite_utils.Database) -> list[str]:
    applied = set(_applied_names(db))
    return [name for name in KNOWN_MIGRATIONS if name not in applied]


@contextmanager
def _write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taking the write lock at once (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes can fail with "database is locked" under
    concurrent writers without waiting; taking the lock first lets busy_timeout queue writers.
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


def _encode(value: Any) -> str | None:
    """A value as history stores it (JSON), with the common kinds done directly: imports write a million."""
    if value is None:
        return None
    if isinstance(value, str):
        return encode_basestring(value)  # exactly json.dumps(value, ensure_ascii=False)
    if type(value) is int:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _decode(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _record(
    db: sqlite_utils.Database,
    actor: str,
    entity: str,
    entity_id: Any,
    field: str,
    old: Any,
    new: Any,
    assessment_id: int | None = None,
    item_id: str | None = None,
    at: str | None = None,
) -> None:
    # A plain parameterised INSERT: every write makes at least one of these, and sqlite-utils' insert()
    # inspects the table on each call, which costs more than the write itself.
    db.execute(
        """INSERT INTO history (at, actor, entity, entity_id, assessment_id, item_id, field, old_value, new_value)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [at or _now(), actor, entity, str(entity_id), assessment_id, item_id, field, _encode(old), _encode(new)],
    )


def _clean_name(name: str, what: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise StoreError(f"{what} name is empty; expected some text")
    if len(cleaned) > 120:
        raise StoreError(f"{what} name is {len(cleaned)} characters long; expected at most 120")
    return cleaned


def _actor(actor: access.User | str) -> str:
    """The name history records for whoever acts (a signed-in user, or the local user's given name)."""
    if isinstance(actor, access.User):
        return actor.name
    if not isinstance(actor, str) or not actor.strip():
        raise StoreError("every change needs to say who is making it (actor)")
    return actor.strip()


def authorise(
    db: sqlite_utils.Database,
    actor: access.User | str,
    action: str,
    *,
    system_id: int | None = None,
    place_id: int | None = None,
    assessment_id: int | None = None,
    what: str = "",
) -> str:
    """Refuse (PermissionDenied) unless the actor may take the action on the unit; returns the name for history.

    Every write in checklist/ calls this first. The unit is a system and place, or an assessment's.
    """
    name = _actor(actor)
    if assessment_id is not None:
        row = db.execute("SELECT system_id, place_id FROM assessments WHERE id = ?", [assessment_id]).fetchone()
        if row is not None:
            system_id, place_id = row
    if place_id is not None and system_id is None:
        row = db.execute("SELECT system_id FROM places WHERE id = ?", [place_id]).fetchone()
        system_id = row[0] if row else None
    user = access.current(db, access.as_user(actor))  # roles as they stand now, not as the page saw them
    access.check(user, action, system_id, place_id, what)
    return user.name if isinstance(actor, access.User) else name


# --- systems and places -------------------------------------------------------------------


def _row(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def _frame(db: sqlite_utils.Database, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    cursor = db.execute(sql, params or [])
    columns = [c[0] for c in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def get_system(db: sqlite_utils.Database, system_id: int) -> dict[str, Any]:
    row = _row(db, "SELECT * FROM systems WHERE id = ?", [system_id])
    if row is None:
        raise NotFoundError(f"no system with id {system_id}")
    return row


def get_place(db: sqlite_utils.Database, place_id: int) -> dict[str, Any]:
    row = _row(db, "SELECT * FROM places WHERE id = ?", [place_id])
    if row is None:
        raise NotFoundError(f"no place with id {place_id}")
    return row


def create_system(db: sqlite_utils.Database, name: str, actor: str, population: int | None = None) -> int:
    actor = authorise(db, actor, access.MANAGE, what="add systems")
    name = _clean_name(name, "system")
    if _row(db, "SELECT id FROM systems WHERE name = ? COLLATE NOCASE", [name]):
        raise StoreError(f"a system called {name!r} already exists; choose another name")
    with _write(db):
        system_id = db["systems"].insert({"name": name, "population": population, "created_at": _now()}).last_pk
        _record(db, actor, "system", system_id, "created", None, name)
    return int(system_id)


def create_place(
    db: sqlite_utils.Database, system_id: int, name: str, actor: str, population: int | None = None
) -> int:
    actor = authorise(db, actor, access.MANAGE, system_id=system_id, what="add places to this system")
    system = get_system(db, system_id)
    name = _clean_name(name, "place")
    if _row(db, "SELECT id FROM places WHERE system_id = ? AND name = ? COLLATE NOCASE", [system_id, name]):
        raise StoreError(f"{system['name']} already has a place called {name!r}; choose another name")
    with _write(db):
        place_id = (
            db["places"]
            .insert({"system_id": system_id, "name": name, "population": population, "created_at": _now()})
            .last_pk
        )
        _record(db, actor, "place", place_id, "created", None, name)
    return int(place_id)


def rename_system(db: sqlite_utils.Database, system_id: int, name: str, actor: str) -> None:
    actor = authorise(db, actor, access.MANAGE, system_id=system_id, what="rename this system")
    old = get_system(db, system_id)
    name = _clean_name(name, "system")
    clash = _row(db, "SELECT id FROM systems WHERE name = ? COLLATE NOCASE AND id != ?", [name, system_id])
    if clash:
        raise StoreError(f"a system called {name!r} already exists; choose another name")
    with _write(db):
        db.execute("UPDATE systems SET name = ? WHERE id = ?", [name, system_id])
        _record(db, actor, "system", system_id, "name", old["name"], name)


def rename_place(db: sqlite_utils.Database, place_id: int, name: str, actor: str) -> None:
    actor = authorise(db, actor, access.MANAGE, place_id=place_id, what="rename this place")
    old = get_place(db, place_id)
    name = _clean_name(name, "place")
    clash = _row(
        db,
        "SELECT id FROM places WHERE system_id = ? AND name = ? COLLATE NOCASE AND id != ?",
        [old["system_id"], name, place_id],
    )
    if clash:
        raise StoreError(f"this system already has a place called {name!r}; choose another name")
    with _write(db):
        db.execute("UPDATE places SET name = ? WHERE id = ?", [name, place_id])
        _record(db, actor, "place", place_id, "name", old["name"], name)


def set_archived(db: sqlite_utils.Database, table: str, row_id: int, archived: bool, actor: str) -> None:
    """Archive (hide from pickers) or restore a system or place; nothing is deleted."""
    actor = authorise(db, actor, access.MANAGE, what="archive systems or places")
    if table not in ("systems", "places"):
        raise StoreError(f"cannot archive {table!r}; expected 'systems' or 'places'")
    old = get_system(db, row_id) if table == "systems" else get_place(db, row_id)
    value = _now() if archived else None
    with _write(db):
        db.execute(f"UPDATE {table} SET archived_at = ? WHERE id = ?", [value, row_id])
        _record(db, actor, table[:-1], row_id, "archived_at", old["archived_at"], value)


def set_population(db: sqlite_utils.Database, table: str, row_id: int, population: int | None, actor: str) -> None:
    actor = authorise(db, actor, access.MANAGE, what="set populations")
    if table not in ("systems", "places"):
        raise StoreError(f"cannot set population on {table!r}; expected 'systems' or 'places'")
    if population is not None and (not isinstance(population, int) or population < 0):
        raise StoreError(f"population {population!r} must be a whole number of 0 or more")
    old = get_system(db, row_id) if table == "systems" else get_place(db, row_id)
    with _write(db):
        db.execute(f"UPDATE {table} SET population = ? WHERE id = ?", [population, row_id])
        _record(db, actor, table[:-1], row_id, "population", old["population"], population)


def list_systems(db: sqlite_utils.Database, include_archived: bool = False) -> pd.DataFrame:
    where = "" if include_archived else "WHERE archived_at IS NULL"
    return _frame(db, f"SELECT id, name, population, archived_at FROM systems {where} ORDER BY name COLLATE NOCASE")


def systems_overview(db: sqlite_utils.Database, include_archived: bool = False, find: str = "") -> pd.DataFrame:
    """One row per system (name or one of its places' names containing `find`, any case), with how many
    places, rounds and drafts it has: the Manage page's index, in one query at any scale."""
    clauses, params = ([] if include_archived else ["s.archived_at IS NULL"]), []
    if find.strip():
        clauses.append(
            """(instr(lower(s.name), ?) > 0 OR EXISTS (SELECT 1 FROM places f WHERE f.system_id = s.id
                AND instr(lower(f.name), ?) > 0))"""
        )
        params += [find.strip().casefold()] * 2
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return _frame(
        db,
        f"""SELECT s.id, s.name, s.archived_at,
                   (SELECT count(*) FROM places p WHERE p.system_id = s.id AND p.archived_at IS NULL) AS places,
                   (SELECT count(*) FROM assessments a WHERE a.system_id = s.id) AS rounds,
                   (SELECT count(*) FROM assessments a WHERE a.system_id = s.id AND a.status = 'draft') AS drafts
            FROM systems s {where} ORDER BY s.name COLLATE NOCASE""",
        params,
    )


def list_places(db: sqlite_utils.Database, system_id: int, include_archived: bool = False) -> pd.DataFrame:
    where = "" if include_archived else "AND archived_at IS NULL"
    return _frame(
        db,
        f"SELECT id, system_id, name, population, archived_at FROM places WHERE system_id = ? {where} "
        "ORDER BY name COLLATE NOCASE",
        [system_id],
    )


# --- assessments ------------------------------------------------------------------------


def _parse_date(value: str | date, what: str = "assessment date") -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise StoreError(f"{what} {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-31") from None


def create_assessment(
    db: sqlite_utils.Database,
    system_id: int,
    place_id: int | None,
    round_label: str,
    assessment_date: str | date,
    actor: str,
    include_workforce: bool = False,
    participants: str = "",
    framework_version: str | None = None,
    include_enablers: bool = False,
) -> int:
    """Start a draft assessment round for a system (place_id None) or one of its places."""
    actor = authorise(db, actor, access.EDIT, system_id=system_id, place_id=place_id, what="start a round here")
    system = get_system(db, system_id)
    unit_name = system["name"]
    if place_id is not None:
        place = get_place(db, place_id)
        if place["system_id"] != system_id:
            raise StoreError(f"place {place['name']!r} is not in system {system['name']!r}")
        unit_name = f"{place['name']} ({system['name']})"
    label = _clean_name(round_label, "round")
    when = _parse_date(assessment_date)
    version = framework_version or current_framework().version
    framework = framework_for(version)  # raises if this app does not know the version
    if include_enablers and not framework.has_module(ENABLERS_MODULE):
        raise StoreError(f"framework {version} has no enablers module; it was added in version 1.1")
    clash = _row(
        db,
        "SELECT id FROM assessments WHERE system_id = ? AND ifnull(place_id, 0) = ifnull(?, 0) "
        "AND round_label = ? COLLATE NOCASE",
        [system_id, place_id, label],
    )
    if clash:
        raise RoundClashError(
            f"{unit_name} already has a round called {label!r}; choose another label "
            "(e.g. add the quarter or year) or resume that round"
        )
    now = _now()
    with _write(db):
        assessment_id = (
            db["assessments"]
            .insert(
                {
                    "system_id": system_id,
                    "place_id": place_id,
                    "round_label": label,
                    "assessment_date": when,
                    "framework_version": version,
                    "include_workforce": int(bool(include_workforce)),
                    "include_enablers": int(bool(include_enablers)),
                    "status": DRAFT,
                    "participants": participants.strip(),
                    "signed_off_by": "",
                    "created_at": now,
                    "created_by": actor,
                    "updated_at": now,
                }
            )
            .last_pk
        )
        _record(db, actor, "assessment", assessment_id, "created", None, label, assessment_id=assessment_id)
    return int(assessment_id)


def get_assessment(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any]:
    row = _row(
        db,
        """SELECT a.*, s.name AS system_name, p.name AS place_name
           FROM assessments a JOIN systems s ON s.id = a.system_id
           LEFT JOIN places p ON p.id = a.place_id WHERE a.id = ?""",
        [assessment_id],
    )
    if row is None:
        raise NotFoundError(f"no assessment with id {assessment_id}")
    row["include_workforce"] = bool(row["include_workforce"])
    row["include_enablers"] = bool(row["include_enablers"])
    row["unit_name"] = row["place_name"] or f"{row['system_name']} (whole system)"
    return row


def update_assessment_details(
    db: sqlite_utils.Database,
    assessment_id: int,
    actor: str,
    based_on: Mapping[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Change a draft round's details; refused (StaleSaveError) if one was changed by someone since `based_on`."""
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="change this round's details")
    unknown = set(changes) - set(ASSESSMENT_DETAIL_FIELDS)
    if unknown:
        raise StoreError(f"unknown assessment field(s) {', '.join(sorted(unknown))}")
    old = get_assessment(db, assessment_id)
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "assessment_date":
            clean[key] = _parse_date(value)
        elif key == "round_label":
            clean[key] = _clean_name(value, "round")
        elif key == "submit_note":
            clean[key] = _clean_note(value)
        else:
            clean[key] = (value or "").strip()
    if all(old[k] == v for k, v in clean.items()):
        return  # nothing would change (a late echo of a saved box, even on a locked round): nothing to refuse
    _ensure_draft(old)
    if "round_label" in clean:
        clash = _row(
            db,
            "SELECT id FROM assessments WHERE system_id = ? AND ifnull(place_id, 0) = ifnull(?, 0) "
            "AND round_label = ? COLLATE NOCASE AND id != ?",
            [old["system_id"], old["place_id"], clean["round_label"], assessment_id],
        )
        if clash:
            raise RoundClashError(f"{old['unit_name']} already has a round called {clean['round_label']!r}")
    try:
        _check_base(f"{FIELD_WORDS.get(next(iter(clean), ''), 'the round')} of this round", old, clean, based_on,
                    "someone", old["updated_at"])  # fmt: skip
    except StaleSaveError as exc:
        _record_refused(db, actor, "assessment", assessment_id, exc, assessment_id)
        raise
    diff = {k: v for k, v in clean.items() if old[k] != v}
    if not diff:
        return
    with _write(db):
        db["assessments"].update(assessment_id, {**diff, "updated_at": _now()})
        for key, value in diff.items():
            _record(db, actor, "assessment", assessment_id, key, old[key], value, assessment_id=assessment_id)


def _ensure_draft(assessment: Mapping[str, Any]) -> None:
    if assessment["status"] != DRAFT:
        raise LockedError(
            f"{assessment['unit_name']} · {assessment['round_label']} is submitted and locked; "
            "reopen it first to make changes"
        )


def list_assessments(
    db: sqlite_utils.Database,
    system_id: int | None = None,
    place_id: int | None = None,
    whole_system: bool = False,
    status: str | None = None,
) -> pd.DataFrame:
    """Assessments of one unit (or all when no unit is given), oldest first, with answer counts."""
    clauses, params = [], []
    if status is not None:
        clauses.append("a.status = ?")
        params.append(status)
    if place_id is not None:
        clauses.append("a.place_id = ?")
        params.append(place_id)
    elif system_id is not None:
        clauses.append("a.system_id = ?")
        params.append(system_id)
        if whole_system:
            clauses.append("a.place_id IS NULL")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    frame = _frame(
        db,
        f"""SELECT a.id, a.system_id, a.place_id, s.name AS system_name, p.name AS place_name,
                   a.round_label, a.assessment_date, a.status, a.framework_version, a.include_workforce,
                   a.include_enablers, a.updated_at,
                   (SELECT count(*) FROM responses r WHERE r.assessment_id = a.id AND r.answer IS NOT NULL)
                       AS answered
            FROM assessments a JOIN systems s ON s.id = a.system_id
            LEFT JOIN places p ON p.id = a.place_id
            {where}
            ORDER BY a.assessment_date, a.id""",
        params,
    )
    return _with_totals(frame)


def open_actions_owned_by(db: sqlite_utils.Database, owners: list[str]) -> pd.DataFrame:
    """Open actions (not done, dropped or removed) whose owner is one of these names or addresses, any case,
    with their round; soonest due first, undated last."""
    wanted = [o.strip().casefold() for o in owners if o and o.strip()]
    if not wanted:
        return pd.DataFrame(columns=["id", "assessment_id", "item_id", "description", "owner", "due_date", "status",
                                     "system_id", "place_id", "unit_name", "round_label"])  # fmt: skip
    marks = ", ".join("?" for _ in wanted)
    frame = _frame(
        db,
        f"""SELECT x.id, x.assessment_id, x.item_id, x.description, x.owner, x.due_date, x.status,
                   a.system_id, a.place_id, coalesce(p.name, s.name || ' (whole system)') AS unit_name, a.round_label
            FROM actions x JOIN assessments a ON a.id = x.assessment_id JOIN systems s ON s.id = a.system_id
            LEFT JOIN places p ON p.id = a.place_id
            WHERE x.deleted_at IS NULL AND x.status NOT IN ('done', 'dropped') AND lower(trim(x.owner)) IN ({marks})
            ORDER BY x.due_date IS NULL, x.due_date, x.id""",
        wanted,
    )
    return frame


def awaiting_sign_off(db: sqlite_utils.Database) -> pd.DataFrame:
    """Submitted rounds nobody has signed off yet, oldest first."""
    return _frame(
        db,
        """SELECT a.id, a.system_id, a.place_id, coalesce(p.name, s.name || ' (whole system)') AS unit_name,
                  a.round_label, a.submitted_at, a.submitted_by
           FROM assessments a JOIN systems s ON s.id = a.system_id LEFT JOIN places p ON p.id = a.place_id
           WHERE a.status = 'submitted' AND a.signed_off_at IS NULL ORDER BY a.submitted_at, a.id""",
    )


def recent_assessments(db: sqlite_utils.Database, limit: int = 10) -> pd.DataFrame:
    frame = _frame(
        db,
        """SELECT a.id, a.system_id, a.place_id, s.name AS system_name, p.name AS place_name,
                  a.round_label, a.assessment_date, a.status, a.framework_version, a.include_workforce,
                  a.include_enablers, a.updated_at,
                  (SELECT count(*) FROM responses r WHERE r.assessment_id = a.id AND r.answer IS NOT NULL)
                      AS answered
           FROM assessments a JOIN systems s ON s.id = a.system_id
           LEFT JOIN places p ON p.id = a.place_id
           WHERE s.archived_at IS NULL
           ORDER BY a.updated_at DESC LIMIT ?""",
        [limit],
    )
    return _with_totals(frame)


def _with_totals(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(
            unit_name=pd.Series(dtype=str), total=pd.Series(dtype=int), completion=pd.Series(dtype=float)
        )
    frame["include_workforce"] = frame["include_workforce"].astype(bool)
    frame["include_enablers"] = frame["include_enablers"].astype(bool)
    frame["unit_name"] = [
        p if isinstance(p, str) else f"{s} (whole system)"
        for p, s in zip(frame["place_name"], frame["system_name"], strict=True)
    ]
    frame["total"] = [
        len(framework_for(v).items_for(w, e))
        for v, w, e in zip(
            frame["framework_version"], frame["include_workforce"], frame["include_enablers"], strict=True
        )
    ]
    frame["completion"] = frame["answered"] / frame["total"]
    return frame


# --- responses ----------------------------------------------------------------------------


def _framework_of(assessment: Mapping[str, Any]) -> Framework:
    return framework_for(assessment["framework_version"])


def _check_item(assessment: Mapping[str, Any], item_id: str) -> None:
    framework = _framework_of(assessment)
    in_scope = [i.id for i in framework.items_of(assessment)]
    if item_id not in in_scope:
        raise StoreError(
            f"unknown item id {item_id!r} for this assessment (framework {framework.version}); "
            f"expected one of: {', '.join(in_scope)}"
        )


def _clean_response(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(RESPONSE_FIELDS)
    if unknown:
        raise StoreError(
            f"unknown response field(s) {', '.join(sorted(unknown))}; expected {', '.join(RESPONSE_FIELDS)}"
        )
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "answer":
            if value is not None and value not in ANSWER_KINDS:
                raise StoreError(f"answer {value!r} is not one of {', '.join(ANSWER_KINDS)}")
            clean[key] = value
        elif key in ("level", "target_level"):
            if value is not None:
                try:
                    check_level(value, "target level" if key == "target_level" else "level")
                except ValueError as exc:
                    raise StoreError(str(exc)) from None
            clean[key] = value
        elif key == "confidence":
            if value is not None and value not in CONFIDENCE_LEVELS:
                raise StoreError(f"evidence confidence {value!r} is not one of {', '.join(CONFIDENCE_LEVELS)}")
            clean[key] = value
        else:
            clean[key] = (value or "").strip()
    # Keep answer and level consistent: a level implies answer 'level'; another answer clears it.
    if "level" in clean and clean["level"] is not None:
        if clean.get("answer", LEVEL) != LEVEL:
            raise StoreError(f"a level was given with answer {clean['answer']!r}; a level goes with answer 'level'")
        clean["answer"] = LEVEL
    if clean.get("answer") in (DONT_KNOW, NOT_APPLICABLE, None) and "answer" in clean:
        clean["level"] = None
    if clean.get("answer") == LEVEL and clean.get("level") is None:
        raise StoreError("answer 'level' needs a level from 0 to 4")
    return clean


FIELD_WORDS = {
    "answer": "the level", "level": "the level", "na_reason": "the reason it does not apply",
    "evidence": "the evidence", "evidence_links": "the evidence links", "confidence": "how sure the evidence is",
    "target_level": "the target", "description": "the action", "owner": "the action's owner",
    "due_date": "the due date", "status": "the action's status", "round_label": "the round label",
    "assessment_date": "the assessment date", "participants": "who took part", "submit_note": "the note at submission",
}  # fmt: skip
_EMPTY_RESPONSE = {
    "answer": None, "level": None, "na_reason": "", "evidence": "", "evidence_links": "",
    "confidence": None, "target_level": None,
}  # fmt: skip


class StaleSaveError(StoreError):
    """A save based on a value someone else has since changed: nothing was saved; both versions are here."""

    def __init__(self, what: str, field: str, base: Any, theirs: Any, yours: Any, by: str, at: str) -> None:
        self.field, self.base, self.theirs, self.yours, self.by, self.at = field, base, theirs, yours, by, at
        when = (at or "")[11:16]
        super().__init__(
            f"{by} changed {what} at {when} UTC after you started editing, so your change was not saved over "
            "theirs. Keep theirs, keep yours, or merge the two."
        )


def _same(a: Any, b: Any) -> bool:
    """Equal as a user sees them: blank text and no value are the same, as are surrounding spaces."""
    norm = [(v.strip() or None) if isinstance(v, str) else v for v in (a, b)]
    return norm[0] == norm[1]


def _check_base(what: str, before: Mapping[str, Any], wanted: Mapping[str, Any], based_on: Mapping[str, Any] | None,
                by: str, at: str) -> None:  # fmt: skip
    """Refuse a change to a field whose stored value is no longer the one the change was based on."""
    for field, base in (based_on or {}).items():
        if field not in wanted or field not in before:
            continue
        if not _same(before[field], base) and not _same(before[field], wanted[field]):
            raise StaleSaveError(what, field, base, before[field], wanted[field], by, at)


def _record_refused(db: sqlite_utils.Database, actor: str, entity: str, entity_id: Any, exc: StaleSaveError,
                    assessment_id: int | None, item_id: str | None = None) -> None:  # fmt: skip
    """Keep a refused version in history, so nothing anyone typed is lost even if they keep the other one."""
    with _write(db):
        _record(db, actor, entity, entity_id, f"{exc.field} (not saved: changed meanwhile)", exc.theirs, exc.yours,
                assessment_id=assessment_id, item_id=item_id)  # fmt: skip


def save_response(
    db: sqlite_utils.Database,
    assessment_id: int,
    item_id: str,
    actor: str,
    based_on: Mapping[str, Any] | None = None,
    **changes: Any,
) -> bool:
    """Save some fields of one item's response at once; returns True if anything changed.

    Only the fields given are touched. Each changed field is written to history with its old
    and new value, in the same transaction as the change itself. `based_on` gives the value each
    field had when the user started changing it: if someone has changed it since, the save is
    refused with StaleSaveError (both versions kept in history) instead of overwriting their work.
    """
    assessment = get_assessment(db, assessment_id)
    clean = _clean_response(changes)
    # Marking evidence verified is a reviewer's step; everything else about an answer is the lead's.
    verifying = set(clean) == {"confidence"} and clean["confidence"] == "verified"
    action = access.REVIEW if verifying else access.EDIT
    if not verifying and clean.get("confidence") == "verified":
        access.check(access.current(db, access.as_user(actor)), access.REVIEW, assessment["system_id"],
                     assessment["place_id"],
                     "mark evidence verified")  # fmt: skip
    actor = authorise(db, actor, action, assessment_id=assessment_id, what="change this assessment's answers")
    _ensure_draft(assessment)
    _check_item(assessment, item_id)
    try:
        with _write(db):
            return _save_response_locked(db, assessment, item_id, actor, clean, based_on)
    except StaleSaveError as exc:
        _record_refused(db, actor, "response", f"{assessment_id}:{item_id}", exc, assessment_id, item_id)
        raise


def _save_response_locked(db: sqlite_utils.Database, assessment: Mapping[str, Any], item_id: str, actor: str,
                          clean: dict[str, Any], based_on: Mapping[str, Any] | None) -> bool:  # fmt: skip
    """save_response's work inside its write transaction: the check and the write see the same row."""
    assessment_id = assessment["id"]
    old = _row(db, "SELECT * FROM responses WHERE assessment_id = ? AND item_id = ?", [assessment_id, item_id])
    before = {k: (old[k] if old else v) for k, v in _EMPTY_RESPONSE.items()}
    title = _framework_of(assessment).item(item_id).title
    _check_base(f"{FIELD_WORDS.get(next(iter(clean), ''), 'this answer')} for {title}", before, clean, based_on,
                old["updated_by"] if old else "someone", old["updated_at"] if old else "")  # fmt: skip
    # Record fields in a fixed order (answer before level) so history reads the same way every time.
    diff = {k: clean[k] for k in RESPONSE_FIELDS if k in clean and before[k] != clean[k]}
    if not diff:
        return False
    now = _now()
    row = {**before, **diff}
    columns = ", ".join(RESPONSE_FIELDS)
    db.execute(
        f"""INSERT INTO responses (assessment_id, item_id, {columns}, updated_at, updated_by)
            VALUES (?, ?, {", ".join("?" for _ in RESPONSE_FIELDS)}, ?, ?)
            ON CONFLICT (assessment_id, item_id) DO UPDATE SET
            {", ".join(f"{c} = excluded.{c}" for c in RESPONSE_FIELDS)},
            updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
        [assessment_id, item_id, *(row[c] for c in RESPONSE_FIELDS), now, actor],
    )
    for key, value in diff.items():
        _record(db, actor, "response", f"{assessment_id}:{item_id}", key, before[key], value,
                assessment_id=assessment_id, item_id=item_id, at=now)  # fmt: skip
    db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [now, assessment_id])
    return True


def responses(db: sqlite_utils.Database, assessment_id: int) -> dict[str, dict[str, Any]]:
    """Every saved response of one assessment, keyed by item id."""
    cursor = db.execute("SELECT * FROM responses WHERE assessment_id = ?", [assessment_id])
    columns = [c[0] for c in cursor.description]
    return {row[1]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def answers_from(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for item_id, row in rows.items():
        if row["answer"] is None:
            continue
        out[item_id] = Answer(row["answer"], row["level"], row["target_level"])
    return out


def score(db: sqlite_utils.Database, assessment_id: int) -> AssessmentScore:
    """Score an assessment with the framework version it was made with."""
    assessment = get_assessment(db, assessment_id)
    return score_assessment(
        _framework_of(assessment),
        answers_from(responses(db, assessment_id)),
        assessment["include_workforce"],
        assessment["include_enablers"],
    )


def completeness_problems(db: sqlite_utils.Database, assessment_id: int) -> list[str]:
    """What stops an assessment being submitted: unanswered items and N/A without a reason."""
    assessment = get_assessment(db, assessment_id)
    framework = _framework_of(assessment)
    saved = responses(db, assessment_id)
    problems = []
    for item in framework.items_of(assessment):
        row = saved.get(item.id)
        if row is None or row["answer"] is None:
            problems.append(f"{item.title}: not answered")
        elif row["answer"] == NOT_APPLICABLE and not row["na_reason"]:
            problems.append(f"{item.title}: marked not applicable without a reason")
    return problems


def _clean_note(value: Any) -> str:
    note = (value or "").strip()
    if len(note) > MAX_SUBMIT_NOTE:
        raise StoreError(f"the note is {len(note)} characters long; expected at most {MAX_SUBMIT_NOTE}")
    return note


def submit_assessment(db: sqlite_utils.Database, assessment_id: int, actor: access.User | str, note: str = "") -> None:
    """Check completeness, then lock the assessment. Raises IncompleteError listing what is missing.

    `note` is the lead's free note at submission (kept as the round's submit_note). It is never a
    sign-off: only a reviewer's own `sign_off` records one.
    """
    who = access.as_user(actor)
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="submit this round")
    assessment = get_assessment(db, assessment_id)
    _ensure_draft(assessment)
    note = _clean_note(note) if note and note.strip() else assessment["submit_note"]
    problems = completeness_problems(db, assessment_id)
    if problems:
        raise IncompleteError(
            f"{len(problems)} item(s) need an answer before this assessment can be submitted", problems
        )
    now = _now()
    with _write(db):
        db["assessments"].update(
            assessment_id,
            {"status": SUBMITTED, "submitted_at": now, "submitted_by": actor, "submitted_by_user_id": who.id,
             "updated_at": now, "submit_note": note},
        )  # fmt: skip
        _record(db, actor, "assessment", assessment_id, "status", DRAFT, SUBMITTED, assessment_id=assessment_id, at=now)
        if note != assessment["submit_note"]:
            _record(db, actor, "assessment", assessment_id, "submit_note", assessment["submit_note"], note,
                    assessment_id=assessment_id, at=now)  # fmt: skip


def move_to_framework(
    db: sqlite_utils.Database, assessment_id: int, actor: access.User | str, version: str | None = None
) -> CarryOver:
    """Move a draft to a newer framework version (the current one by default), explicitly, by its lead.

    Answers to items that still exist are kept; those whose wording changed are kept and listed for
    another look (`moved_items_to_review`); answers to items the newer version dropped are removed,
    each with its old value in the history. Nothing else changes, and everything is one transaction.
    """
    name = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="move this round to a newer framework")
    assessment = get_assessment(db, assessment_id)
    _ensure_draft(assessment)
    older = framework_for(assessment["framework_version"])
    newer = framework_for(version) if version else current_framework()
    if _version_key(newer.version) <= _version_key(older.version):
        raise StoreError(
            f"this round already uses framework {older.version}; it can only move to a newer version "
            f"(expected one after {older.version})"
        )
    saved = responses(db, assessment_id)
    plan = carry_over(older, newer, list(saved))
    now = _now()
    with _write(db):
        for item_id in plan.dropped:
            db.execute("DELETE FROM responses WHERE assessment_id = ? AND item_id = ?", [assessment_id, item_id])
            _record(db, name, "response", f"{assessment_id}:{item_id}", f"removed (not in framework {newer.version})",
                    {k: saved[item_id][k] for k in RESPONSE_FIELDS}, None, assessment_id=assessment_id,
                    item_id=item_id, at=now)  # fmt: skip
        db.execute(
            "UPDATE assessments SET framework_version = ?, updated_at = ? WHERE id = ?",
            [newer.version, now, assessment_id],
        )
        _record(db, name, "assessment", assessment_id, "framework_version", older.version, newer.version,
                assessment_id=assessment_id, at=now)  # fmt: skip
    return plan


def moved_items_to_review(db: sqlite_utils.Database, assessment: Mapping[str, Any]) -> list[str]:
    """Items of a draft moved from an older framework whose wording changed: answered before the move, to look
    at again. Empty for a round never moved, or once it is submitted."""
    if assessment["status"] != DRAFT:
        return []
    row = db.execute(
        """SELECT old_value, at FROM history WHERE assessment_id = ? AND entity = 'assessment'
           AND field = 'framework_version' ORDER BY id DESC LIMIT 1""",
        [assessment["id"]],
    ).fetchone()
    if row is None:
        return []
    older, moved_at = framework_for(_decode(row[0])), row[1]
    changed = wording_changes(older, _framework_of(assessment))
    # Answered before the move, and not touched since: the ones still waiting for a look.
    waiting = db.execute(
        "SELECT item_id FROM responses WHERE assessment_id = ? AND updated_at <= ? AND answer IS NOT NULL",
        [assessment["id"], moved_at],
    ).fetchall()
    return [item_id for (item_id,) in waiting if changed.get(item_id) == "changed"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def reopen_assessment(db: sqlite_utils.Database, assessment_id: int, actor: str, reason: str) -> None:
    """Unlock a submitted assessment: an explicit step, recorded in history with its reason."""
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="reopen this round")
    assessment = get_assessment(db, assessment_id)
    if assessment["status"] != SUBMITTED:
        raise StoreError(f"{assessment['unit_name']} · {assessment['round_label']} is not submitted; nothing to reopen")
    if not reason or not reason.strip():
        raise StoreError("reopening a submitted assessment needs a reason, recorded in its history")
    now = _now()
    with _write(db):
        # A sign-off was of the round as submitted: reopening withdraws it, whoever gave it (history keeps
        # who and when), so a resubmitted round waits for a new one.
        db["assessments"].update(
            assessment_id,
            {"status": DRAFT, "updated_at": now, "signed_off_at": None, "signed_off_by": "",
             "signed_off_user_id": None},
        )  # fmt: skip
        _record(db, actor, "assessment", assessment_id, "status", SUBMITTED, DRAFT, assessment_id=assessment_id, at=now)
        if assessment.get("signed_off_at"):
            _record(db, actor, "assessment", assessment_id, "signed_off_at", assessment["signed_off_at"], None,
                    assessment_id=assessment_id, at=now)  # fmt: skip
            _record(db, actor, "assessment", assessment_id, "signed_off_by", assessment["signed_off_by"], "",
                    assessment_id=assessment_id, at=now)  # fmt: skip
        _record(db, actor, "assessment", assessment_id, "reopen_reason", None, reason.strip(),
                assessment_id=assessment_id, at=now)  # fmt: skip


def sign_off(db: sqlite_utils.Database, assessment_id: int, actor: access.User) -> None:
    """A reviewer's sign-off of a submitted round, recorded by who they are (their user id) and when.

    Only a signed-in person can sign off (never a name typed by someone else, nor the one user of local
    mode). Four eyes: whoever submitted the round cannot sign it off, compared by identity, so a
    renamed account is still the same person.
    """
    if not isinstance(actor, access.User) or actor.id is None:
        raise access.PermissionDenied(
            "a sign-off is a reviewer's own act: sign in on the shared copy of the tool as a reviewer to give it "
            "(local mode has no sign-off)"
        )
    name = authorise(db, actor, access.REVIEW, assessment_id=assessment_id, what="sign off this round")
    assessment = get_assessment(db, assessment_id)
    if assessment.get("signed_off_at"):
        raise StoreError(f"{assessment['unit_name']} · {assessment['round_label']} is already signed off")
    if assessment["status"] != SUBMITTED:
        raise StoreError(
            f"{assessment['unit_name']} · {assessment['round_label']} is still a draft; it can be signed off "
            "once its lead has submitted it"
        )
    if assessment["submitted_by_user_id"] == actor.id:
        raise access.PermissionDenied(
            f"{name} submitted this round, so someone else must sign it off (a second pair of eyes)"
        )
    now = _now()
    with _write(db):
        db["assessments"].update(
            assessment_id, {"signed_off_by": name, "signed_off_user_id": actor.id, "signed_off_at": now,
                            "updated_at": now},
        )  # fmt: skip
        _record(db, name, "assessment", assessment_id, "signed_off_at", None, now, assessment_id=assessment_id, at=now)


# --- actions ------------------------------------------------------------------------------


def _clean_action(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(ACTION_FIELDS)
    if unknown:
        raise StoreError(f"unknown action field(s) {', '.join(sorted(unknown))}; expected {', '.join(ACTION_FIELDS)}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "status":
            if value not in ACTION_STATUSES:
                raise StoreError(f"action status {value!r} is not one of {', '.join(ACTION_STATUSES)}")
            clean[key] = value
        elif key == "due_date":
            clean[key] = None if value in (None, "") else _parse_date(value, "due date")
        elif key == "target_level":
            if value is not None:
                try:
                    check_level(value, "target level")
                except ValueError as exc:
                    raise StoreError(str(exc)) from None
            clean[key] = value
        else:
            clean[key] = (value or "").strip()
    if "description" in clean and not clean["description"]:
        raise StoreError("an action needs a description of what will be done")
    return clean


def add_action(
    db: sqlite_utils.Database, assessment_id: int, item_id: str, actor: str, description: str, **fields: Any
) -> int:
    actor = authorise(db, actor, access.EDIT, assessment_id=assessment_id, what="add actions to this round")
    assessment = get_assessment(db, assessment_id)
    _ensure_draft(assessment)
    _check_item(assessment, item_id)
    clean = _clean_action({"description": description, **fields})
    now = _now()
    with _write(db):
        action_id = db["actions"].insert(
            {"status": "not started", **clean, "assessment_id": assessment_id, "item_id": item_id,
             "created_at": now, "created_by": actor, "updated_at": now}
        ).last_pk  # fmt: skip
        _record(
            db, actor, "action", action_id, "created", None, clean, assessment_id=assessment_id, item_id=item_id, at=now
        )
        db.execute("UPDATE assessments SET updated_at = ? WHERE id = ?", [now, assessment_id])
    return int(action_id)


def _get_action(db: sqlite_utils.Database, action_id: int) -> dict[str, Any]:
    row = _row(db, "SELECT * FROM actions WHERE id = ?", [action_id])
    if row is None:
        raise NotFoundError(f"no action with id {action_id}")
    return row


def update_action(
    db: sqlite_utils.Database, action_id: int, actor: str, based_on: Mapping[str, Any] | None = None, **changes: Any
) -> bool:
    """Change an action's fields; refused (StaleSaveError) if one was changed by someone since `based_on`."""
    old = _get_action(db, action_id)
    actor = authorise(db, actor, access.EDIT, assessment_id=old["assessment_id"], what="change this action")
    _ensure_draft(get_assessment(db, old["assessment_id"]))
    clean = _clean_action(changes)
    try:
        _check_base(f"{FIELD_WORDS.get(next(iter(clean), ''), 'this action')} of “{old['description']}”", old, clean,
                    based_on, old.get("updated_by") or "someone", old["updated_at"])  # fmt: skip
    except StaleSaveError as exc:
        _record_refused(db, actor, "action", action_id, exc, old["assessment_id"], old["item_id"])
        raise
    diff = {k: v for k, v in clean.items() if old[k] != v}
    if not diff:
        return False
    now = _now()
    with _write(db):
        db["actions"].update(action_id, {**diff, "updated_at": now})
        for key, value in diff.items():
            _record(db, actor, "action", action_id, key, old[key], value,
                    assessment_id=old["assessment_id"], item_id=old["item_id"], at=now)  # fmt: skip
    return True


def set_action_deleted(db: sqlite_utils.Database, action_id: int, deleted: bool, actor: str) -> None:
    """Delete (hide) or restore an action; the row stays, so a delete can be undone."""
    old = _get_action(db, action_id)
    actor = authorise(db, actor, access.EDIT, assessment_id=old["assessment_id"], what="remove this action")
    _ensure_draft(get_assessment(db, old["assessment_id"]))
    value = _now() if deleted else None
    with _write(db):
        db["actions"].update(action_id, {"deleted_at": value, "updated_at": _now()})
        _record(db, actor, "action", action_id, "deleted_at", old["deleted_at"], value,
                assessment_id=old["assessment_id"], item_id=old["item_id"])  # fmt: skip


def list_actions(
    db: sqlite_utils.Database, assessment_id: int, include_deleted: bool = False, item_id: str | None = None
) -> pd.DataFrame:
    """A round's actions (or one item's), oldest first."""
    where = "" if include_deleted else "AND deleted_at IS NULL"
    params: list[Any] = [assessment_id]
    if item_id is not None:
        where += " AND item_id = ?"
        params.append(item_id)
    return _frame(
        db,
        f"""SELECT id, item_id, description, owner, due_date, status, target_level, deleted_at
            FROM actions WHERE assessment_id = ? {where} ORDER BY id""",
        params,
    )


def open_action_aims(db: sqlite_utils.Database, assessment_id: int) -> dict[str, int]:
    """For each item, the highest level its open actions (not done, not dropped, not deleted) aim for."""
    rows = db.execute(
        """SELECT item_id, MAX(target_level) FROM actions
           WHERE assessment_id = ? AND deleted_at IS NULL AND status IN ('not started', 'in progress')
             AND target_level IS NOT NULL
           GROUP BY item_id""",
        [assessment_id],
    ).fetchall()
    return {item_id: int(aim) for item_id, aim in rows}


def projected_score(db: sqlite_utils.Database, assessment_id: int) -> AssessmentScore:
    """What the round would score if its open actions reached the levels they aim for (scoring.projected_answers)."""
    assessment = get_assessment(db, assessment_id)
    answers = projected_answers(answers_from(responses(db, assessment_id)), open_action_aims(db, assessment_id))
    return score_assessment(
        _framework_of(assessment), answers, assessment["include_workforce"], assessment["include_enablers"]
    )


# --- history ------------------------------------------------------------------------------


def history(db: sqlite_utils.Database, assessment_id: int, item_id: str | None = None) -> pd.DataFrame:
    """Every recorded change to one assessment (optionally one item), oldest first."""
    params: list[Any] = [assessment_id]
    item_clause = ""
    if item_id is not None:
        item_clause = "AND item_id = ?"
        params.append(item_id)
    frame = _frame(
        db,
        f"""SELECT id, at, actor, entity, entity_id, item_id, field, old_value, new_value
            FROM history WHERE assessment_id = ? {item_clause} ORDER BY id""",
        params,
    )
    for column in ("old_value", "new_value"):
        # pandas 3 stores missing text as NaN; decode only the JSON strings, keep the rest as None
        frame[column] = pd.Series([_decode(v) if isinstance(v, str) else None for v in frame[column]], dtype=object)
    return frame


def responses_as_of(db: sqlite_utils.Database, assessment_id: int, at: str) -> dict[str, dict[str, Any]]:
    """Rebuild every response as it stood at an ISO timestamp, by replaying history."""
    cursor = db.execute(
        """SELECT item_id, field, new_value FROM history
           WHERE assessment_id = ? AND entity = 'response' AND at <= ? ORDER BY id""",
        [assessment_id, at],
    )
    state: dict[str, dict[str, Any]] = {}
    for item_id, field, new_value in cursor.fetchall():
        state.setdefault(item_id, dict(_EMPTY_RESPONSE))[field] = _decode(new_value)
    return state


def suggest_round_label(today: date) -> str:
    """A round label for a date, by calendar quarter: '2026 Q4'."""
    return f"{today.year} Q{(today.month - 1) // 3 + 1}"


def data_version(db: sqlite_utils.Database) -> int:
    """A number that changes with every write (each write appends to history): a cache key for reads."""
    return int(db.execute("SELECT ifnull(max(id), 0) FROM history").fetchone()[0])


# --- backup and restore ---------------------------------------------------------------------------

SQLITE_HEADER = b"SQLite format 3\x00"
RESTORE_STAGING_PREFIX = "restoring-"  # a restore's private working copy, in the backups folder while it runs


def backup(db: sqlite_utils.Database, destination: str | Path) -> Path:
    """A consistent snapshot of the whole database (SQLite's online backup API), written atomically."""
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    out = sqlite3.connect(str(partial))
    try:
        db.conn.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
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


def _schema_entries(db: sqlite_utils.Database) -> dict[tuple[str, str], str]:
    """Every table, index, trigger and view, with its SQL (whitespace normalised)."""
    rows = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
    ).fetchall()
    return {(kind, name): " ".join(sql.split()) for kind, name, sql in rows}


def _check_exact_schema(db: sqlite_utils.Database, label: str) -> None:
    """Refuse a database whose schema is not exactly what this app's migrations make for its schema version.

    A backup could carry its own triggers (say, one that empties history) or lack the append-only ones;
    restoring it would run them. Nothing but this app's own schema is accepted.
    """
    applied = _applied_names(db)
    expected_db = sqlite_utils.Database(memory=True)
    later = [name for name in KNOWN_MIGRATIONS if name not in applied]
    MIGRATIONS.apply(expected_db, stop_before=later[0] if later else None)
    expected, found = _schema_entries(expected_db), _schema_entries(db)
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


def check_backup(path: str | Path) -> dict[str, int]:
    """Check a file is a sound database this app can read; say what it holds. Never modifies it."""
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
        db = sqlite_utils.Database(conn)
        check_schema(db)
        if not db["systems"].exists() or not db["assessments"].exists():
            raise StoreError(
                f"{source.name} is a SQLite database but not one of this app's (no systems or assessments)"
            )
        _check_exact_schema(db, source.name)
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("systems", "places", "assessments")
        }
        return {"schema": schema_version(db), **counts}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{source.name} could not be read as a database ({exc})") from None
    finally:
        conn.close()


def restore(db: sqlite_utils.Database, source: str | Path, backups_dir: str | Path, actor: str) -> Path:
    """Replace the database's contents with a checked backup, after backing up what is there now.

    Every erasure on record (privacy's erasure register) is applied again to what is restored, and the register
    itself is carried over, so a restore never brings back a person erased since the backup was made.
    Returns the path of that safety backup: restoring it undoes this restore.
    """
    import tempfile

    from checklist import privacy  # imported here: privacy is built on this module

    actor = authorise(db, actor, access.RESTORE, what="restore a backup")
    check_backup(source)
    register = privacy.erasure_records(db)
    backups = Path(backups_dir)
    backups.mkdir(parents=True, exist_ok=True)
    # The backup is brought up to date and has the erasures applied in a private copy first, so the live file
    # never holds what was erased and a failure half-way leaves it as it was. The copy goes with its folder.
    with tempfile.TemporaryDirectory(prefix=RESTORE_STAGING_PREFIX, dir=backups) as scratch:
        staged = sqlite_utils.Database(sqlite3.connect(Path(scratch) / "restoring.db"))
        try:
            incoming = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
            try:
                incoming.backup(staged.conn)
            finally:
                incoming.close()
            migrate(staged)  # an older backup is brought up to date; the file it came from is untouched
            privacy.reapply_erasures(staged, register, actor)
            stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
            safety = backup(db, backups / f"before-restore-{stamp}.db")
            staged.conn.backup(db.conn)
        finally:
            staged.close()
    db.conn.execute("PRAGMA journal_mode = WAL")
    with _write(db):
        _record(db, actor, "database", "restore", "restored_from", str(safety), Path(source).name)
    return safety

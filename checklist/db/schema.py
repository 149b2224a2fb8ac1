"""The schema steps (migrations) 0001..0014: the tables, indexes and triggers, in the order they are applied.

Databases in the field record each step by its name in `_sqlite_migrations`, so a step is never renamed,
reordered or edited once released: a change to the schema is a new step at the end. sqlite-utils applies
steps in the order they are defined here, not by name (0009 follows 0008 on purpose). The steps are SQLite
DDL (raw statements, `COLLATE NOCASE`, `ifnull` in indexes, triggers that RAISE); checklist/db/pg_schema.py
derives PostgreSQL's DDL from these functions, under the same step names. Applying and
checking them is checklist/db/migrations.py.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from checklist import clock
from checklist.db.errors import SchemaTooNewError
from checklist.db.history import record

MIGRATIONS = Migrations("checklist")
# Append-only: history can be added to, never edited or removed (privacy.erase_person is the one
# deliberate exception, made inside one transaction that puts these back: sqlite.history_unlocked).
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
    sign_off_identity_data(db)


def unknown_steps_refused(db: sqlite_utils.Database, unknown: list[str]) -> None:
    """Refuse (SchemaTooNewError), untouched, a database with schema steps this code does not know, unless every
    one of them says code from before it may keep using the database (a rolling upgrade's newer steps)."""
    if not unknown:
        return
    allowed: set[str] = set()
    try:
        marks = ", ".join("?" for _ in unknown)
        rows = db.execute(f"SELECT step FROM schema_compat WHERE older_code_ok = 1 AND step IN ({marks})", unknown)
        allowed = {r[0] for r in rows.fetchall()}
    except Exception:  # noqa: BLE001 - no such table (a database from before 0010): nothing is allowed
        if getattr(db, "backend", None) == "postgresql" and db.in_transaction:
            db.rollback()
    refused = [n for n in unknown if n not in allowed]
    if refused:
        raise SchemaTooNewError(
            f"this database was made by a newer version of the app (schema step(s) {', '.join(refused)} are "
            f"unknown here; this app knows up to {KNOWN_MIGRATIONS_LAST}). It has not been changed: open it with "
            "the newer version, or upgrade this app."
        )


def sign_off_identity_data(db: sqlite_utils.Database) -> None:
    """Step 0008's data: the typed sign-off names, matched to people or kept as notes (portable SQL: the
    PostgreSQL backend runs it under the same step name)."""
    now = clock.iso_now()
    rows = db.execute(
        "SELECT id, signed_off_by, signed_off_at, submitted_by FROM assessments WHERE signed_off_by != ''"
    ).fetchall()
    for aid, name, signed_at, _submitted_by in rows:
        matches = db.execute("SELECT id FROM users WHERE name = ? OR lower(email) = lower(?)", [name, name]).fetchall()
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
            record(db, "update 0008 (sign-off by identity)", "assessment", aid, field, old, new,
                   assessment_id=aid, at=now)  # fmt: skip
    for aid, submitted_by in db.execute(
        "SELECT id, submitted_by FROM assessments WHERE submitted_by IS NOT NULL AND submitted_by != ''"
    ).fetchall():
        found = db.execute(
            "SELECT id FROM users WHERE name = ? OR lower(email) = lower(?)", [submitted_by, submitted_by]
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


# Zero-downtime upgrades: from step 0010 on, each step says whether servers still running the code before it may
# keep using the database (a new table, or a new column with a default, leaves them working). An upgrade applies
# the steps first, then replaces servers one at a time; a server meeting a step it does not know keeps running
# when the database says it may (`older_code_ok`), and refuses, untouched, otherwise.
SCHEMA_COMPAT = """CREATE TABLE schema_compat (
            step TEXT PRIMARY KEY,
            older_code_ok INTEGER NOT NULL CHECK (older_code_ok IN (0, 1))
        )"""
OLDER_CODE_OK = {
    "0010_room_presence": True,
    "0011_review_cycles": True,
    "0012_reminders": True,
    "0013_evidence_files": True,
    "0014_local_items": True,
}


def note_compat(db: sqlite_utils.Database, step: str) -> None:
    """Record whether code from before `step` may keep using the database (both backends, inside the step)."""
    db.execute("INSERT INTO schema_compat (step, older_code_ok) VALUES (?, ?)", [step, int(OLDER_CODE_OK[step])])


@MIGRATIONS(name="0010_room_presence")
def _m0010_room_presence(db: sqlite_utils.Database) -> None:
    # Who is in a live room now, per app server: each server writes the participants whose voting page holds an
    # event stream open on it (ids only), so a presenter's screen served by any server counts the whole room.
    db.execute(SCHEMA_COMPAT)
    db.execute(
        """CREATE TABLE room_presence (
            server TEXT NOT NULL,
            workshop_id INTEGER NOT NULL REFERENCES workshops(id),
            participants TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (server, workshop_id)
        )"""
    )
    note_compat(db, "0010_room_presence")


@MIGRATIONS(name="0011_review_cycles")
def _m0011_review_cycles(db: sqlite_utils.Database) -> None:
    # How often a system or place assesses itself: every N months, or by a date (or both: whichever is sooner).
    # A new table, so servers still running the code before it keep working.
    db.execute(
        """CREATE TABLE review_cycles (
            id INTEGER PRIMARY KEY,
            system_id INTEGER NOT NULL REFERENCES systems(id),
            place_id INTEGER REFERENCES places(id),
            every_months INTEGER CHECK (every_months IS NULL OR every_months BETWEEN 1 AND 60),
            next_due TEXT,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE UNIQUE INDEX review_cycles_unit ON review_cycles(system_id, ifnull(place_id, 0))")
    note_compat(db, "0011_review_cycles")


@MIGRATIONS(name="0012_reminders")
def _m0012_reminders(db: sqlite_utils.Database) -> None:
    # The reminder ledger: one row per person per day, written before the mail is sent and marked after, so a
    # second run, a second server or a crash never sends a day's digest twice and never forgets one. It holds no
    # text of the mail (built afresh when sent) and no address: only whose, which day, and how it went.
    db.execute(
        """CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            day TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            claimed_until TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )"""
    )
    db.execute("CREATE UNIQUE INDEX reminders_person_day ON reminders(user_id, day)")
    # Who asked for no reminders (and since when): a person turns them off and on again from the app.
    db.execute(
        """CREATE TABLE reminder_optouts (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            off_at TEXT NOT NULL
        )"""
    )
    note_compat(db, "0012_reminders")


@MIGRATIONS(name="0013_evidence_files")
def _m0013_evidence_files(db: sqlite_utils.Database) -> None:
    # Files attached to an item's evidence, kept with the data (so backups, restores, the subject-access export and
    # erasure include them), with their SHA-256; removing one hides it (removed_at), never deletes it.
    db.execute(
        """CREATE TABLE evidence_files (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            item_id TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            content BLOB NOT NULL,
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL,
            removed_at TEXT
        )"""
    )
    db.execute("CREATE INDEX evidence_files_item ON evidence_files(assessment_id, item_id)")
    note_compat(db, "0013_evidence_files")


@MIGRATIONS(name="0014_local_items")
def _m0014_local_items(db: sqlite_utils.Database) -> None:
    # A system's own local items (checklist/local_items.py): each published version is a row never changed after,
    # the one draft per system is saved on every change (revision counts the saves, for stale-save detection; a
    # discarded draft is kept, marked, until it is brought back or the next save replaces it), and a round records
    # the version it includes. New tables and a nullable column: servers running the code before
    # it keep working (they read rounds without local items).
    db.execute(
        """CREATE TABLE local_modules (
            id INTEGER PRIMARY KEY,
            system_id INTEGER NOT NULL REFERENCES systems(id),
            version INTEGER NOT NULL CHECK (version >= 1),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            items TEXT NOT NULL,
            item_count INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            published_at TEXT NOT NULL,
            published_by TEXT NOT NULL
        )"""
    )
    db.execute("CREATE UNIQUE INDEX local_modules_version ON local_modules(system_id, version)")
    db.execute(
        """CREATE TABLE local_module_drafts (
            id INTEGER PRIMARY KEY,
            system_id INTEGER NOT NULL REFERENCES systems(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            items TEXT NOT NULL,
            revision INTEGER NOT NULL,
            saved_at TEXT NOT NULL,
            saved_by TEXT NOT NULL,
            discarded_at TEXT
        )"""
    )
    db.execute("CREATE UNIQUE INDEX local_module_drafts_system ON local_module_drafts(system_id)")
    db.execute("ALTER TABLE assessments ADD COLUMN local_module_id INTEGER REFERENCES local_modules(id)")
    note_compat(db, "0014_local_items")


KNOWN_MIGRATIONS = tuple(m.name for m in MIGRATIONS._migrations)
KNOWN_MIGRATIONS_LAST = KNOWN_MIGRATIONS[-1]

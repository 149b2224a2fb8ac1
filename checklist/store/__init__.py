"""The store: systems, places, assessment rounds, answers, actions and their history, read and written.

Every write takes `actor` (who is acting; "local user" until sign-in exists), is refused unless they may
(`authorise`), and records what it changed in the append-only `history` table inside the same transaction, so
no answer is ever lost and any earlier state can be rebuilt. Reads for one unit (a system or a place) touch
only that unit's rows, through indexes. Callers use `store.X`; this module re-exports the whole API.

Where things are, one module per concern, each importing only those listed before it:

- rules.py: who may act (`authorise`), the store's errors, clean names and dates;
- units.py: systems and places (add, rename, archive, populations, lists);
- conflicts.py: stale-save detection (StaleSaveError), shared by answers, actions and round details;
- local_modules.py: a system's own local items: the draft, the published versions, which a new round includes;
- rounds.py: starting, reading, listing and correcting rounds, and the draft and item checks;
- answers.py: where an answer is saved (`save_response`), read back and scored;
- lifecycle.py: submit, reopen, sign off, move to a newer framework;
- actions.py: improvement actions and the projected score;
- history_reads.py: reading history back (`history`, `responses_as_of`, `data_version`); writing it is
  checklist/db/history.py (`record`);
- backups.py: backup, check_backup and restore (checklist/restoring.py adds the erasures to a restore).

The database itself (connecting, the write transaction, history rows, the schema steps, and everything that is
SQLite's or PostgreSQL's) is checklist/db/; the store never says BEGIN or PRAGMA.
"""

from __future__ import annotations

from checklist.db import (
    BUSY_TIMEOUT_MS,
    DB_ENV_VAR,
    DEFAULT_DB,
    DRIVER_ERRORS,
    HISTORY_GUARDS,
    KNOWN_MIGRATIONS,
    MIGRATIONS,
    PROJECT_ROOT,
    SIGN_OFF_NOTE_PREFIX,
    SQLITE_HEADER,
    DatabaseUnavailable,
    SchemaTooNewError,
    backups_folder,
    check_schema,
    connect,
    db_argument,
    default_db_path,
    describe,
    explain,
    is_postgres,
    later_migrations,
    migrate,
    schema_version,
)
from checklist.store import local_modules
from checklist.store.actions import (
    ACTION_FIELDS,
    ACTION_STATUSES,
    add_action,
    clean_action,
    list_actions,
    open_action_aims,
    open_actions_owned_by,
    projected_score,
    set_action_deleted,
    update_action,
)
from checklist.store.answers import (
    CONFIDENCE_LEVELS,
    EMPTY_RESPONSE,
    RESPONSE_FIELDS,
    answers_from,
    clean_response,
    completeness_problems,
    responses,
    save_response,
    score,
)
from checklist.store.backups import RESTORE_STAGING_PREFIX, backup, backup_bytes, check_backup, restore
from checklist.store.conflicts import FIELD_WORDS, StaleSaveError
from checklist.store.history_reads import data_version, history, responses_as_of
from checklist.store.lifecycle import (
    local_items_move,
    move_to_framework,
    move_to_local_items,
    moved_items_to_review,
    reopen_assessment,
    sign_off,
    submit_assessment,
)
from checklist.store.rounds import (
    ASSESSMENT_DETAIL_FIELDS,
    DRAFT,
    LOCAL_COLUMNS,
    LOCAL_JOIN,
    MAX_SUBMIT_NOTE,
    SUBMITTED,
    awaiting_sign_off,
    check_item,
    clean_note,
    create_assessment,
    framework_of,
    get_assessment,
    list_assessments,
    recent_assessments,
    suggest_round_label,
    update_assessment_details,
)
from checklist.store.rules import (
    LOCAL_USER,
    IncompleteError,
    LockedError,
    NotFoundError,
    RoundClashError,
    StoreError,
    authorise,
    clean_name,
    parse_date,
)
from checklist.store.units import (
    create_place,
    create_system,
    get_place,
    get_system,
    list_places,
    list_systems,
    rename_place,
    rename_system,
    set_archived,
    set_population,
    setup_progress,
    systems_overview,
)

__all__ = [
    "DRIVER_ERRORS",
    "backups_folder",
    "db_argument",
    "describe",
    "is_postgres",
    "ACTION_FIELDS",
    "ACTION_STATUSES",
    "ASSESSMENT_DETAIL_FIELDS",
    "BUSY_TIMEOUT_MS",
    "CONFIDENCE_LEVELS",
    "DB_ENV_VAR",
    "DEFAULT_DB",
    "DRAFT",
    "EMPTY_RESPONSE",
    "FIELD_WORDS",
    "HISTORY_GUARDS",
    "KNOWN_MIGRATIONS",
    "LOCAL_USER",
    "MAX_SUBMIT_NOTE",
    "MIGRATIONS",
    "PROJECT_ROOT",
    "RESPONSE_FIELDS",
    "RESTORE_STAGING_PREFIX",
    "SIGN_OFF_NOTE_PREFIX",
    "SQLITE_HEADER",
    "SUBMITTED",
    "DatabaseUnavailable",
    "IncompleteError",
    "LockedError",
    "NotFoundError",
    "RoundClashError",
    "SchemaTooNewError",
    "StaleSaveError",
    "StoreError",
    "add_action",
    "answers_from",
    "authorise",
    "awaiting_sign_off",
    "backup",
    "backup_bytes",
    "check_backup",
    "check_item",
    "check_schema",
    "clean_action",
    "clean_name",
    "clean_note",
    "clean_response",
    "completeness_problems",
    "connect",
    "create_assessment",
    "framework_of",
    "LOCAL_COLUMNS",
    "LOCAL_JOIN",
    "local_modules",
    "create_place",
    "create_system",
    "data_version",
    "default_db_path",
    "explain",
    "get_assessment",
    "get_place",
    "get_system",
    "history",
    "later_migrations",
    "list_actions",
    "list_assessments",
    "list_places",
    "list_systems",
    "migrate",
    "move_to_framework",
    "move_to_local_items",
    "local_items_move",
    "moved_items_to_review",
    "open_action_aims",
    "open_actions_owned_by",
    "parse_date",
    "projected_score",
    "recent_assessments",
    "rename_place",
    "rename_system",
    "reopen_assessment",
    "responses",
    "responses_as_of",
    "restore",
    "save_response",
    "schema_version",
    "score",
    "set_action_deleted",
    "set_archived",
    "set_population",
    "setup_progress",
    "sign_off",
    "submit_assessment",
    "suggest_round_label",
    "systems_overview",
    "update_action",
    "update_assessment_details",
]

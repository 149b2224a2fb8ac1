"""Who may do what: users, their roles on systems and places, and the one function that decides.

Roles (kept in the database, given by an admin):
- admin: manages systems, places, users and roles, backup and restore; may do everything.
- lead, for given systems or places: creates and edits their assessments, runs their workshops,
  manages their actions; reads and exports them.
- reviewer, for given systems or places: reads and exports, comments on evidence, marks evidence
  verified, and signs off a submitted round (never one they submitted themselves).
- viewer, for given systems or all: reads dashboards, comparisons and reports; exports what they read.
- participant: anonymous, votes in one open workshop by its code (see workshops.py); never a user.

A role on a system covers its places; a role with no system covers every system. `can` is pure:
the user's grants, an action and a unit in, yes or no out. Every write in checklist/ calls
`check` through `authorise`, so hiding a button on a page is only a courtesy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from checklist import clock
from checklist.db import record, write_transaction
from checklist.errors import NotFoundError, StoreError

ADMIN = "admin"
LEAD = "lead"
REVIEWER = "reviewer"
VIEWER = "viewer"
ROLES = (ADMIN, LEAD, REVIEWER, VIEWER)
ROLE_WORDS = {
    ADMIN: "Admin: systems, places, users, backup and restore",
    LEAD: "Lead: assesses, runs workshops, manages actions",
    REVIEWER: "Reviewer: reads, comments, verifies evidence, signs off",
    VIEWER: "Viewer: reads dashboards, comparisons and reports",
}

# Actions, and the roles that may take them on a unit they hold the role for.
READ = "read"  # dashboards, comparisons, reports, history
EXPORT = "export"  # files of what one may read
EDIT = "edit"  # create rounds, answer, evidence, targets, actions, submit, reopen
RUN_WORKSHOP = "run workshop"  # start, present, agree levels, notes, close
REVIEW = "review"  # comment on evidence, mark it verified, sign off
MANAGE = "manage"  # systems, places, populations (admin only)
MANAGE_USERS = "manage users"
BACKUP = "backup"
RESTORE = "restore"
ACTIONS = (READ, EXPORT, EDIT, RUN_WORKSHOP, REVIEW, MANAGE, MANAGE_USERS, BACKUP, RESTORE)

ALLOWED: dict[str, frozenset[str]] = {
    ADMIN: frozenset(ACTIONS),
    LEAD: frozenset({READ, EXPORT, EDIT, RUN_WORKSHOP}),
    REVIEWER: frozenset({READ, EXPORT, REVIEW}),
    VIEWER: frozenset({READ, EXPORT}),
}
# Actions that concern the whole database, not one unit.
GLOBAL_ACTIONS = frozenset({MANAGE_USERS, BACKUP, RESTORE})


class PermissionDenied(StoreError):
    """The acting user may not do this; the message says what and who to ask."""


@dataclass(frozen=True)
class Grant:
    role: str
    system_id: int | None = None  # None: every system
    place_id: int | None = None  # None: the whole system and all its places

    def covers(self, system_id: int | None, place_id: int | None) -> bool:
        if self.system_id is None:
            return True
        if system_id != self.system_id:
            return False
        return self.place_id is None or self.place_id == place_id


@dataclass(frozen=True)
class User:
    """Someone acting: their name for history, their e-mail, and what they hold."""

    name: str
    email: str = ""
    id: int | None = None
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    local: bool = False  # the single user of local mode (or the command line): may do everything

    def __str__(self) -> str:
        return self.name

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    @property
    def is_admin(self) -> bool:
        return self.local or ADMIN in self.roles


LOCAL = User(name="local user", local=True)


def as_user(actor: User | str) -> User:
    """A User from what a write was given: a plain name is the local-mode user (or the CLI), who may do
    everything, since whoever runs Python here can open the database file anyway."""
    if isinstance(actor, User):
        return actor
    if not isinstance(actor, str) or not actor.strip():
        raise PermissionDenied("every change needs to say who is making it")
    return User(name=actor.strip(), local=True)


def can(user: User, action: str, system_id: int | None = None, place_id: int | None = None) -> bool:
    """May `user` take `action` on this unit (a system with place_id None means the whole system)?

    For an action without a unit (system_id None), the question is whether the user may take it
    anywhere: a lead of one place may 'edit' somewhere, so the Assess page is theirs.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if user.local:
        return True
    for grant in user.grants:
        if action not in ALLOWED.get(grant.role, frozenset()):
            continue
        if grant.role == ADMIN or action in GLOBAL_ACTIONS:
            return True
        if system_id is None or grant.covers(system_id, place_id):
            return True
    return False


def can_read_any_of(user: User, system_id: int) -> bool:
    """True when the user may read the system itself or at least one of its places."""
    if can(user, READ, system_id, None):
        return True
    return any(g.system_id == system_id and READ in ALLOWED.get(g.role, frozenset()) for g in user.grants)


def check(user: User, action: str, system_id: int | None = None, place_id: int | None = None, what: str = "") -> None:
    if not can(user, action, system_id, place_id):
        thing = f" {what}" if what else ""
        raise PermissionDenied(f"{user.name} may not {action}{thing}; ask an administrator for a role that allows it")


# --- users and grants in the database ------------------------------------------------------------


def find_user(db: sqlite_utils.Database, email: str) -> User | None:
    """The known, enabled user with this e-mail address (any case), with their grants; None if unknown."""
    row = db.execute(
        "SELECT id, email, name FROM users WHERE lower(email) = lower(?) AND disabled_at IS NULL",
        [(email or "").strip()],
    ).fetchone()
    if row is None:
        return None
    return current(db, User(name=row[2] or row[1], email=row[1], id=row[0]))


def current(db: sqlite_utils.Database, user: User) -> User:
    """The same person as they stand in the database now: current roles, refused if disabled or removed.

    A page holds the User it looked up when it was drawn; an admin may have changed their roles or turned
    them off since, so every write asks again (store.authorise) rather than trusting what the page held.
    """
    if user.local or user.id is None:
        return user
    row = db.execute("SELECT email, name, disabled_at FROM users WHERE id = ?", [user.id]).fetchone()
    if row is None or row[2] is not None:
        raise PermissionDenied(
            f"{user.name}'s access to this tool has been turned off; ask an administrator if you need it back"
        )
    grants = db.execute("SELECT role, system_id, place_id FROM grants WHERE user_id = ? ORDER BY id", [user.id])
    return User(name=row[1] or row[0], email=row[0], id=user.id, grants=tuple(Grant(*g) for g in grants.fetchall()))


def _clean_email(email: str) -> str:
    cleaned = (email or "").strip()
    if "@" not in cleaned or len(cleaned) > 254 or any(c.isspace() for c in cleaned):
        raise PermissionDenied(f"{cleaned!r} is not an e-mail address; expected name@organisation")
    return cleaned


def add_user(db: sqlite_utils.Database, acting: User | str, email: str, name: str = "") -> int:
    """Add a user (or enable one again); returns their id. Needs the right to manage users."""
    user = current(db, as_user(acting))
    check(user, MANAGE_USERS)
    email = _clean_email(email)
    name = " ".join((name or "").split())[:120]
    existing = db.execute("SELECT id, name, disabled_at FROM users WHERE lower(email) = lower(?)", [email]).fetchone()
    with write_transaction(db):
        if existing:
            db.execute("UPDATE users SET name = ?, disabled_at = NULL WHERE id = ?", [name or existing[1], existing[0]])
            record(db, user.name, "user", existing[0], "enabled", existing[2], None)
            return int(existing[0])
        user_id = int(db.execute("INSERT INTO users (email, name, created_at) VALUES (?, ?, ?) RETURNING id",
                                 [email, name, clock.iso_now()]).fetchone()[0])  # fmt: skip
        record(db, user.name, "user", user_id, "created", None, {"email": email, "name": name})
        return user_id


def grant(
    db: sqlite_utils.Database,
    acting: User | str,
    user_id: int,
    role: str,
    system_id: int | None = None,
    place_id: int | None = None,
) -> None:
    """Give a user a role on a unit (None: every system). Needs the right to manage users."""
    user = current(db, as_user(acting))
    check(user, MANAGE_USERS)
    if role not in ROLES:
        raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if place_id is not None:
        row = db.execute("SELECT system_id FROM places WHERE id = ?", [place_id]).fetchone()
        if row is None:
            raise StoreError(f"no place with id {place_id}")
        system_id = row[0]
    if system_id is not None and db.execute("SELECT 1 FROM systems WHERE id = ?", [system_id]).fetchone() is None:
        raise StoreError(f"no system with id {system_id}")
    if db.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone() is None:
        raise StoreError(f"no user with id {user_id}")
    with write_transaction(db):
        db.execute(
            "INSERT INTO grants (user_id, role, system_id, place_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [user_id, role, system_id, place_id],
        )
        record(db, user.name, "user", user_id, "granted", None,
               {"role": role, "system_id": system_id, "place_id": place_id})  # fmt: skip


def revoke(db: sqlite_utils.Database, acting: User | str, grant_id: int) -> None:
    user = current(db, as_user(acting))
    check(user, MANAGE_USERS)
    row = db.execute("SELECT user_id, role, system_id, place_id FROM grants WHERE id = ?", [grant_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no role with id {grant_id}")
    with write_transaction(db):
        db.execute("DELETE FROM grants WHERE id = ?", [grant_id])
        record(db, user.name, "user", row[0], "revoked",
               {"role": row[1], "system_id": row[2], "place_id": row[3]}, None)  # fmt: skip


def disable_user(db: sqlite_utils.Database, acting: User | str, user_id: int) -> None:
    """Stop a user signing in (their history stays); add_user enables them again."""
    user = current(db, as_user(acting))
    check(user, MANAGE_USERS)
    with write_transaction(db):
        db.execute("UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL", [clock.iso_now(), user_id])
        record(db, user.name, "user", user_id, "disabled", None, True)


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every user with their roles, described in words."""
    users = db.execute("SELECT id, email, name, created_at, disabled_at FROM users ORDER BY email").fetchall()
    grants = db.execute(
        """SELECT g.id, g.user_id, g.role, s.name, p.name FROM grants g
           LEFT JOIN systems s ON s.id = g.system_id LEFT JOIN places p ON p.id = g.place_id ORDER BY g.id"""
    ).fetchall()
    by_user: dict[int, list[tuple[int, str]]] = {}
    for grant_id, user_id, role, system, place in grants:
        where = place or (f"{system} (whole system)" if system else "every system")
        by_user.setdefault(user_id, []).append((grant_id, f"{role} · {where}"))
    return [
        {
            "id": u[0],
            "email": u[1],
            "name": u[2],
            "created_at": u[3],
            "disabled": u[4] is not None,
            "roles": by_user.get(u[0], []),
        }  # fmt: skip
        for u in users
    ]


def readable_systems(user: User, system_ids: Iterable[int]) -> list[int]:
    return [s for s in system_ids if can_read_any_of(user, s)]


def readable_place_labels(db: sqlite_utils.Database, user: User) -> set[str]:
    """The "Place (System)" labels of every place the user may read (as analysis.every_place_levels names them)."""
    rows = db.execute("SELECT p.id, p.name, s.id, s.name FROM places p JOIN systems s ON s.id = p.system_id").fetchall()
    return {
        f"{place} ({system})" for place_id, place, system_id, system in rows if can(user, READ, system_id, place_id)
    }


def exportable_assessment_ids(
    db: sqlite_utils.Database, user: User, system_id: int | None = None, place_id: int | None = None
) -> list[int]:
    """The rounds an export for this user holds: one unit's (refused unless they may export that unit,
    a system covering its places), or, with no unit, every round they may export."""
    if system_id is not None:
        check(user, EXPORT, system_id, place_id, "this system or place")
        where, params = ("place_id = ?", [place_id]) if place_id is not None else ("system_id = ?", [system_id])
        return [r[0] for r in db.execute(f"SELECT id FROM assessments WHERE {where} ORDER BY id", params).fetchall()]
    rows = db.execute("SELECT id, system_id, place_id FROM assessments ORDER BY id").fetchall()
    return [aid for aid, s, p in rows if can(user, EXPORT, s, p)]

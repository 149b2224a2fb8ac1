"""Who may do what: users, their roles on systems and places, and the one function that decides.

Roles (kept in the database, given by an admin):
- admin with no system (a service admin): runs the whole service; adds systems, backs up and restores,
  and manages every system's people; may do everything.
- admin of a system (a system admin): runs one system for itself: its places, populations, people and
  roles, and everything a lead and a reviewer may do there; never other systems, their people, backup
  or restore.
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
    ADMIN: "Admin: for a system, its places and people; for every system, the whole service",
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
MANAGE = "manage"  # a system's name, its places and populations (admins)
MANAGE_USERS = "manage users"  # add people to a system and give or remove their roles there (admins)
MANAGE_SERVICE = "manage service"  # add and archive systems, everyone's people, information governance
BACKUP = "backup"
RESTORE = "restore"
ACTIONS = (READ, EXPORT, EDIT, RUN_WORKSHOP, REVIEW, MANAGE, MANAGE_USERS, MANAGE_SERVICE, BACKUP, RESTORE)

ALLOWED: dict[str, frozenset[str]] = {
    ADMIN: frozenset(ACTIONS),
    LEAD: frozenset({READ, EXPORT, EDIT, RUN_WORKSHOP}),
    REVIEWER: frozenset({READ, EXPORT, REVIEW}),
    VIEWER: frozenset({READ, EXPORT}),
}
# Actions that concern the whole service, not one unit: only a service admin (an admin with no system) takes them.
GLOBAL_ACTIONS = frozenset({MANAGE_SERVICE, BACKUP, RESTORE})


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
        """An admin of anything: the service, or at least one system."""
        return self.local or ADMIN in self.roles

    @property
    def is_service_admin(self) -> bool:
        return self.local or any(g.role == ADMIN and g.system_id is None for g in self.grants)

    @property
    def admin_systems(self) -> frozenset[int]:
        """The systems this person is a system admin of (empty for a service admin: they hold them all)."""
        return frozenset(g.system_id for g in self.grants if g.role == ADMIN and g.system_id is not None)


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
    anywhere: a lead of one place may 'edit' somewhere, so the Assess page is theirs; a system admin may
    'manage users' somewhere, so Manage is theirs. A service action (GLOBAL_ACTIONS) is never on a unit:
    only a service admin takes it. A write that needs the whole service (adding a system, a role on every
    system) asks for MANAGE_SERVICE, never for a unit action with no unit.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if user.local:
        return True
    for grant in user.grants:
        if action not in ALLOWED.get(grant.role, frozenset()):
            continue
        if grant.role == ADMIN and grant.system_id is None:  # a service admin
            return True
        if action in GLOBAL_ACTIONS:
            continue
        if system_id is None or grant.covers(system_id, place_id):
            return True
    return False


def can_read_any_of(user: User, system_id: int) -> bool:
    """True when the user may read the system itself or at least one of its places."""
    if can(user, READ, system_id, None):
        return True
    return any(g.system_id == system_id and READ in ALLOWED.get(g.role, frozenset()) for g in user.grants)


def reads_every_system(user: User) -> bool:
    """A service admin, or a national viewer (any reading role with no system): the national view is theirs."""
    return user.local or any(g.system_id is None and READ in ALLOWED.get(g.role, frozenset()) for g in user.grants)


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


def _grant_systems(db: sqlite_utils.Database, user_id: int) -> list[int | None]:
    """The system of each role a person holds (None for a role on every system)."""
    return [r[0] for r in db.execute("SELECT system_id FROM grants WHERE user_id = ?", [user_id]).fetchall()]


def _wholly_theirs(acting: User, systems: Iterable[int | None]) -> bool:
    """True when the person's roles are all in systems the acting admin runs (a service admin runs all). Someone
    with no role at all belongs to no system yet, so only the service's admins may change them."""
    held = list(systems)
    return acting.is_service_admin or (bool(held) and all(s is not None and s in acting.admin_systems for s in held))


def add_user(db: sqlite_utils.Database, acting: User | str, email: str, name: str = "") -> int:
    """Add a person who may sign in (or enable one again); returns their id. Needs the right to manage users
    somewhere: a system admin then gives them a role in their own system (`grant`). A person who already has
    roles in another system keeps their name, and one the service turned off stays off, unless a service admin
    asks: a system admin never changes another system's people."""
    user = current(db, as_user(acting))
    check(user, MANAGE_USERS, what="add people")
    email = _clean_email(email)
    name = " ".join((name or "").split())[:120]
    existing = db.execute("SELECT id, name, disabled_at FROM users WHERE lower(email) = lower(?)", [email]).fetchone()
    with write_transaction(db):
        if existing:
            if not _wholly_theirs(user, _grant_systems(db, existing[0])):
                if existing[2] is not None:
                    raise PermissionDenied(
                        f"{email} has been stopped from signing in to this service; ask a service administrator"
                    )
                return int(existing[0])  # someone of another system too: their name is not this admin's to change
            db.execute("UPDATE users SET name = ?, disabled_at = NULL WHERE id = ?", [name or existing[1], existing[0]])
            record(db, user.name, "user", existing[0], "enabled", existing[2], None)
            return int(existing[0])
        user_id = int(db.execute("INSERT INTO users (email, name, created_at) VALUES (?, ?, ?) RETURNING id",
                                 [email, name, clock.iso_now()]).fetchone()[0])  # fmt: skip
        record(db, user.name, "user", user_id, "created", None, {"email": email, "name": name})
        return user_id


def _check_role_unit(user: User, system_id: int | None, place_id: int | None, what: str) -> None:
    """A role on every system is the service's to give or take; one on a system or place, that system's admins'."""
    if system_id is None:
        check(user, MANAGE_SERVICE, what=what)
    else:
        check(user, MANAGE_USERS, system_id, place_id, what)


def grant(
    db: sqlite_utils.Database,
    acting: User | str,
    user_id: int,
    role: str,
    system_id: int | None = None,
    place_id: int | None = None,
) -> None:
    """Give a user a role on a unit (None: every system). Needs the right to manage users there: a system admin
    in their own system, a service admin anywhere (a role on every system only a service admin gives)."""
    user = current(db, as_user(acting))
    if role not in ROLES:
        raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if place_id is not None:
        row = db.execute("SELECT system_id FROM places WHERE id = ?", [place_id]).fetchone()
        if row is None:
            raise StoreError(f"no place with id {place_id}")
        system_id = row[0]
        if role == ADMIN:
            raise StoreError("an admin role is for a whole system (or every system), not one place; choose the system")
    if system_id is not None and db.execute("SELECT 1 FROM systems WHERE id = ?", [system_id]).fetchone() is None:
        raise StoreError(f"no system with id {system_id}")
    _check_role_unit(user, system_id, place_id, "give roles there")
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
    """Take one role away; a system admin only in their own system."""
    user = current(db, as_user(acting))
    row = db.execute("SELECT user_id, role, system_id, place_id FROM grants WHERE id = ?", [grant_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no role with id {grant_id}")
    _check_role_unit(user, row[2], row[3], "remove roles there")
    with write_transaction(db):
        db.execute("DELETE FROM grants WHERE id = ?", [grant_id])
        record(db, user.name, "user", row[0], "revoked",
               {"role": row[1], "system_id": row[2], "place_id": row[3]}, None)  # fmt: skip


def disable_user(db: sqlite_utils.Database, acting: User | str, user_id: int) -> None:
    """Stop a user signing in (their history stays); add_user enables them again. A system admin may do it only
    to someone whose every role is in systems they run; someone of other systems too they remove from their own
    system by taking away its roles (`revoke`)."""
    user = current(db, as_user(acting))
    check(user, MANAGE_USERS, what="stop people signing in")
    if not _wholly_theirs(user, _grant_systems(db, user_id)):
        raise PermissionDenied(
            f"{user.name} may not stop this person signing in: they have roles outside the systems you run (or no "
            "role yet). Remove their roles in your system instead, or ask a service administrator"
        )
    with write_transaction(db):
        db.execute("UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL", [clock.iso_now(), user_id])
        record(db, user.name, "user", user_id, "disabled", None, True)


def role_text(role: str, system: str | None, place: str | None) -> str:
    """One role in words: "lead · Ashby (Northmoor ICS)", "admin · Northmoor ICS (whole system)"."""
    if role == ADMIN:
        return "service admin · every system" if system is None else f"system admin · {system}"
    where = f"{place} ({system})" if place else (f"{system} (whole system)" if system else "every system")
    return f"{role} · {where}"


def own_roles(db: sqlite_utils.Database, user: User) -> list[str]:
    """What a person holds, in words, for Home: someone in several systems sees each role where it is."""
    if user.id is None:
        return []
    rows = db.execute(
        """SELECT g.role, s.name, p.name FROM grants g LEFT JOIN systems s ON s.id = g.system_id
           LEFT JOIN places p ON p.id = g.place_id WHERE g.user_id = ? ORDER BY s.name, p.name, g.role""",
        [user.id],
    ).fetchall()
    return [role_text(*row) for row in rows]


def list_users(db: sqlite_utils.Database, reader: User = LOCAL) -> list[dict[str, Any]]:
    """The people the reader manages, with their roles described in words: everyone for a service admin; for a
    system admin, the people with a role in one of their systems, and only those roles (other systems' people
    and roles are not theirs to see)."""
    users = db.execute("SELECT id, email, name, created_at, disabled_at FROM users ORDER BY email").fetchall()
    grants = db.execute(
        """SELECT g.id, g.user_id, g.role, s.name, p.name, g.system_id FROM grants g
           LEFT JOIN systems s ON s.id = g.system_id LEFT JOIN places p ON p.id = g.place_id ORDER BY g.id"""
    ).fetchall()
    everyone = reader.is_service_admin
    by_user: dict[int, list[tuple[int, str]]] = {}
    for grant_id, user_id, role, system, place, system_id in grants:
        if not everyone and system_id not in reader.admin_systems:
            continue
        by_user.setdefault(user_id, []).append((grant_id, role_text(role, system, place)))
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
        if everyone or u[0] in by_user
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

"""What every part of the store shares: who is acting and whether they may (`authorise`), the store's errors,
and what a clean name or date is."""

from __future__ import annotations

from datetime import date

import sqlite_utils

from checklist import access, errors

LOCAL_USER = "local user"

# Re-exported: pages and the CLI catch store.StoreError, permission refusals included.
StoreError = errors.StoreError
NotFoundError = errors.NotFoundError


class RoundClashError(StoreError):
    pass


class LockedError(StoreError):
    pass


class IncompleteError(StoreError):
    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


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


def clean_name(name: str, what: str) -> str:
    """A system, place or round name with its spaces tidied; refused when empty or over 120 characters."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise StoreError(f"{what} name is empty; expected some text")
    if len(cleaned) > 120:
        raise StoreError(f"{what} name is {len(cleaned)} characters long; expected at most 120")
    return cleaned


def parse_date(value: str | date, what: str = "assessment date") -> str:
    """A date (or its YYYY-MM-DD text) as ISO text; refused, naming `what`, when it is not a date."""
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise StoreError(f"{what} {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-31") from None

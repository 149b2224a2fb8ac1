"""Systems and the places in them: adding, renaming, archiving (nothing is deleted), populations, and the lists
the pages pick from."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import sqlite_utils

from checklist import access
from checklist.clock import iso_now
from checklist.db import insert_row, query_frame, query_row, record, write_transaction
from checklist.store.rules import NotFoundError, StoreError, authorise, clean_name


def get_system(db: sqlite_utils.Database, system_id: int) -> dict[str, Any]:
    row = query_row(db, "SELECT * FROM systems WHERE id = ?", [system_id])
    if row is None:
        raise NotFoundError(f"no system with id {system_id}")
    return row


def get_place(db: sqlite_utils.Database, place_id: int) -> dict[str, Any]:
    row = query_row(db, "SELECT * FROM places WHERE id = ?", [place_id])
    if row is None:
        raise NotFoundError(f"no place with id {place_id}")
    return row


def create_system(
    db: sqlite_utils.Database,
    name: str,
    actor: str,
    population: int | None = None,
    admin_email: str = "",
    admin_name: str = "",
) -> int:
    """Add a system (a service admin's step), and with `admin_email` its first system admin in the same
    transaction: a new organisation is one step, and then runs itself."""
    actor_name = authorise(db, actor, access.MANAGE_SERVICE, what="add systems")
    name = clean_name(name, "system")
    if population is not None and (isinstance(population, bool) or not isinstance(population, int) or population < 0):
        raise StoreError(f"population {population!r} must be a whole number of 0 or more")
    if query_row(db, "SELECT id FROM systems WHERE lower(name) = lower(?)", [name]):
        raise StoreError(f"a system called {name!r} already exists; choose another name")
    with write_transaction(db):
        system_id = insert_row(db, "systems", {"name": name, "population": population, "created_at": iso_now()})
        record(db, actor_name, "system", system_id, "created", None, name)
        if admin_email.strip():
            user_id = access.add_user(db, actor, admin_email, admin_name)
            access.grant(db, actor, user_id, access.ADMIN, int(system_id))
    return int(system_id)


def create_place(
    db: sqlite_utils.Database, system_id: int, name: str, actor: str, population: int | None = None
) -> int:
    actor = authorise(db, actor, access.MANAGE, system_id=system_id, what="add places to this system")
    system = get_system(db, system_id)
    name = clean_name(name, "place")
    if query_row(db, "SELECT id FROM places WHERE system_id = ? AND lower(name) = lower(?)", [system_id, name]):
        raise StoreError(f"{system['name']} already has a place called {name!r}; choose another name")
    with write_transaction(db):
        place_id = insert_row(
            db, "places", {"system_id": system_id, "name": name, "population": population, "created_at": iso_now()}
        )
        record(db, actor, "place", place_id, "created", None, name)
    return int(place_id)


def rename_system(db: sqlite_utils.Database, system_id: int, name: str, actor: str) -> None:
    actor = authorise(db, actor, access.MANAGE, system_id=system_id, what="rename this system")
    old = get_system(db, system_id)
    name = clean_name(name, "system")
    clash = query_row(db, "SELECT id FROM systems WHERE lower(name) = lower(?) AND id != ?", [name, system_id])
    if clash:
        raise StoreError(f"a system called {name!r} already exists; choose another name")
    with write_transaction(db):
        db.execute("UPDATE systems SET name = ? WHERE id = ?", [name, system_id])
        record(db, actor, "system", system_id, "name", old["name"], name)


def rename_place(db: sqlite_utils.Database, place_id: int, name: str, actor: str) -> None:
    actor = authorise(db, actor, access.MANAGE, place_id=place_id, what="rename this place")
    old = get_place(db, place_id)
    name = clean_name(name, "place")
    clash = query_row(
        db,
        "SELECT id FROM places WHERE system_id = ? AND lower(name) = lower(?) AND id != ?",
        [old["system_id"], name, place_id],
    )
    if clash:
        raise StoreError(f"this system already has a place called {name!r}; choose another name")
    with write_transaction(db):
        db.execute("UPDATE places SET name = ? WHERE id = ?", [name, place_id])
        record(db, actor, "place", place_id, "name", old["name"], name)


def set_archived(db: sqlite_utils.Database, table: str, row_id: int, archived: bool, actor: str) -> None:
    """Archive (hide from pickers) or restore a system or place; nothing is deleted."""
    if table not in ("systems", "places"):
        raise StoreError(f"cannot archive {table!r}; expected 'systems' or 'places'")
    old = get_system(db, row_id) if table == "systems" else get_place(db, row_id)
    if table == "systems":  # a whole organisation leaving the service: the service's step
        actor = authorise(db, actor, access.MANAGE_SERVICE, what="archive systems")
    else:
        actor = authorise(db, actor, access.MANAGE, place_id=row_id, what="archive places in this system")
    value = iso_now() if archived else None
    with write_transaction(db):
        db.execute(f"UPDATE {table} SET archived_at = ? WHERE id = ?", [value, row_id])
        record(db, actor, table[:-1], row_id, "archived_at", old["archived_at"], value)


def set_population(db: sqlite_utils.Database, table: str, row_id: int, population: int | None, actor: str) -> None:
    if table not in ("systems", "places"):
        raise StoreError(f"cannot set population on {table!r}; expected 'systems' or 'places'")
    if population is not None and (not isinstance(population, int) or population < 0):
        raise StoreError(f"population {population!r} must be a whole number of 0 or more")
    old = get_system(db, row_id) if table == "systems" else get_place(db, row_id)
    unit = {"system_id": row_id} if table == "systems" else {"place_id": row_id}
    actor = authorise(db, actor, access.MANAGE, **unit, what="set populations here")
    with write_transaction(db):
        db.execute(f"UPDATE {table} SET population = ? WHERE id = ?", [population, row_id])
        record(db, actor, table[:-1], row_id, "population", old["population"], population)


def list_systems(db: sqlite_utils.Database, include_archived: bool = False) -> pd.DataFrame:
    where = "" if include_archived else "WHERE archived_at IS NULL"
    return query_frame(db, f"SELECT id, name, population, archived_at FROM systems {where} ORDER BY lower(name), name")


def systems_overview(db: sqlite_utils.Database, include_archived: bool = False, find: str = "") -> pd.DataFrame:
    """One row per system (name or one of its places' names containing `find`, any case), with how many
    places, rounds and drafts it has: the Manage page's index, in one query at any scale."""
    clauses, params = ([] if include_archived else ["s.archived_at IS NULL"]), []
    if find.strip():
        clauses.append(
            """(lower(s.name) LIKE ? ESCAPE '!' OR EXISTS (SELECT 1 FROM places f WHERE f.system_id = s.id
                AND lower(f.name) LIKE ? ESCAPE '!'))"""
        )
        needle = re.sub(r"([!%_])", r"!\1", find.strip().casefold())
        params += [f"%{needle}%"] * 2
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return query_frame(
        db,
        f"""SELECT s.id, s.name, s.archived_at,
                   (SELECT count(*) FROM places p WHERE p.system_id = s.id AND p.archived_at IS NULL) AS places,
                   (SELECT count(*) FROM assessments a WHERE a.system_id = s.id) AS rounds,
                   (SELECT count(*) FROM assessments a WHERE a.system_id = s.id AND a.status = 'draft') AS drafts
            FROM systems s {where} ORDER BY lower(s.name), s.name""",
        params,
    )


def list_places(db: sqlite_utils.Database, system_id: int, include_archived: bool = False) -> pd.DataFrame:
    where = "" if include_archived else "AND archived_at IS NULL"
    return query_frame(
        db,
        f"SELECT id, system_id, name, population, archived_at FROM places WHERE system_id = ? {where} "
        "ORDER BY lower(name), name",
        [system_id],
    )


def setup_progress(db: sqlite_utils.Database, system_ids: list[int]) -> pd.DataFrame:
    """For each of these systems: how many places, people with a role in it and rounds it has (one query), so a
    new system's admin is shown the steps left (places, people, the first round) rather than an empty page."""
    if not system_ids:
        return pd.DataFrame(columns=["id", "name", "places", "people", "rounds"])
    marks = ", ".join("?" * len(system_ids))
    return query_frame(
        db,
        f"""SELECT s.id, s.name,
                   (SELECT count(*) FROM places p WHERE p.system_id = s.id AND p.archived_at IS NULL) AS places,
                   (SELECT count(DISTINCT g.user_id) FROM grants g WHERE g.system_id = s.id) AS people,
                   (SELECT count(*) FROM assessments a WHERE a.system_id = s.id) AS rounds
            FROM systems s WHERE s.id IN ({marks}) AND s.archived_at IS NULL ORDER BY lower(s.name)""",
        [int(s) for s in system_ids],
    )

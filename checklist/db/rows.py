"""A query's result as the domain reads it: one row as a dict, or every row as a DataFrame."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlite_utils


def query_row(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row a query returns, keyed by column name; None when it returns none."""
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def query_frame(db: sqlite_utils.Database, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Every row a query returns, as a DataFrame with the query's column names."""
    cursor = db.execute(sql, params or [])
    columns = [c[0] for c in cursor.description]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def _name(identifier: str) -> str:
    if not identifier.replace("_", "").isalnum():
        raise ValueError(f"not a table or column name: {identifier!r}")
    return f'"{identifier}"'


def insert_row(db: sqlite_utils.Database, table: str, values: dict[str, Any]) -> int:
    """Insert one row; returns its new id (SQL both backends take: RETURNING id)."""
    columns = ", ".join(_name(c) for c in values)
    marks = ", ".join("?" for _ in values)
    return int(db.execute(f"INSERT INTO {_name(table)} ({columns}) VALUES ({marks}) RETURNING id",
                          list(values.values())).fetchone()[0])  # fmt: skip


def update_row(db: sqlite_utils.Database, table: str, row_id: int, values: dict[str, Any]) -> None:
    """Set some columns of the row with this id."""
    if values:
        assignments = ", ".join(f"{_name(c)} = ?" for c in values)
        db.execute(f"UPDATE {_name(table)} SET {assignments} WHERE id = ?", [*values.values(), row_id])

"""Rows in and out as the domain uses them: one row as a dict, every row as a DataFrame, one row inserted or
updated by id, and many rows written at once (the bulk paths: an import, a group commit of votes, history)."""

from __future__ import annotations

from collections.abc import Sequence
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
    return int(db.execute(insert_sql(table, list(values)) + " RETURNING id", list(values.values())).fetchone()[0])


def update_row(db: sqlite_utils.Database, table: str, row_id: int, values: dict[str, Any]) -> None:
    """Set some columns of the row with this id."""
    if values:
        assignments = ", ".join(f"{_name(c)} = ?" for c in values)
        db.execute(f"UPDATE {_name(table)} SET {assignments} WHERE id = ?", [*values.values(), row_id])


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """INSERT of one row into these columns, with ``?`` placeholders."""
    listed = ", ".join(_name(c) for c in columns)
    return f"INSERT INTO {_name(table)} ({listed}) VALUES ({', '.join('?' for _ in columns)})"


def insert_many(db: sqlite_utils.Database, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows, each a sequence in `columns`' order, inside the caller's transaction.

    SQLite takes them through executemany (in-process: already the fastest way in); PostgreSQL as one exchange
    rather than one statement each (`Database.insert_rows`: arrays, or COPY for many)."""
    if not rows:
        return
    bulk = getattr(db, "insert_rows", None)
    if bulk is not None:
        bulk(table, columns, rows)
        return
    db.conn.executemany(insert_sql(table, columns), rows)


def upsert_many(
    db: sqlite_utils.Database, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: Sequence[str]
) -> None:
    """Insert many rows; one whose `key` columns match a row already stored replaces that row's other columns.

    A later row in `rows` with the same key wins over an earlier one, as writing them one by one would
    (SQLite: executemany; PostgreSQL: `Database.upsert_rows`, one statement per few hundred rows)."""
    if not rows:
        return
    where = [list(columns).index(k) for k in key]
    latest = list({tuple(row[i] for i in where): row for row in rows}.values())  # each key's last row
    bulk = getattr(db, "upsert_rows", None)
    if bulk is not None:
        bulk(table, columns, latest, key)
        return
    updates = ", ".join(f"{_name(c)} = excluded.{_name(c)}" for c in columns if c not in key)
    conflict = f" ON CONFLICT ({', '.join(_name(k) for k in key)}) DO UPDATE SET {updates}"
    db.conn.executemany(insert_sql(table, columns) + conflict, latest)

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

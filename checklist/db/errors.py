"""The database's own refusals: a file that cannot be used now, and one made by a newer version of the app.

Both are StoreErrors, so pages and the command line catch them with every other refusal a user can act on.
"""

from __future__ import annotations

from checklist.errors import StoreError


class SchemaTooNewError(StoreError):
    pass


class DatabaseUnavailable(StoreError):
    """The database file cannot be used right now (busy, read-only, full, damaged, unreachable)."""


def _driver_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    import psycopg
    import psycopg_pool

    return (sqlite3.Error, psycopg.Error, psycopg_pool.PoolTimeout)


# What either database driver raises: pages and the command line catch these with StoreError.
DRIVER_ERRORS = _driver_errors()

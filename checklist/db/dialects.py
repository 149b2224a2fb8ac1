"""The few pieces of SQL the two backends spell differently, for the bulk paths that need them.

Everything else in checklist/ is written once, in SQL both accept: ``coalesce`` (not ``ifnull``),
``lower(a) = lower(?)`` (not ``COLLATE NOCASE``), ``INSERT … ON CONFLICT … DO NOTHING`` (not ``INSERT OR IGNORE``),
``RETURNING id`` (not ``lastrowid``). What remains differs in name only, and is chosen by `checklist.db.dialect(db)`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    # A JSON array parameter as rows (value, key): key is the position from 0. `value` comes back as text or number.
    json_rows: str
    json_ints: str  # the same, each value a whole number
    joined_numbers: str  # an aggregate: the numbers of a column joined with commas
    json_array: str  # an aggregate: a column's values as a JSON array (text)
    like_any_case: str  # LIKE ignoring the case of (at least) ASCII letters
    text_test: str  # true where a column's value is text (SQLite keeps any kind in any column)

    def is_text(self, column: str) -> str:
        return self.text_test.format(column=column)

    def rows_of(self, param: str) -> str:
        return self.json_rows.format(param=param)

    def ints_of(self, param: str) -> str:
        return self.json_ints.format(param=param)

    def joined(self, expression: str) -> str:
        return self.joined_numbers.format(expression=expression)

    def array(self, expression: str) -> str:
        return self.json_array.format(expression=expression)


SQLITE = Dialect(
    name="sqlite",
    json_rows="SELECT value, key FROM json_each({param})",
    json_ints="SELECT value, key FROM json_each({param})",
    joined_numbers="group_concat({expression})",
    json_array="json_group_array({expression})",
    like_any_case="LIKE",
    text_test="typeof({column}) = 'text'",
)

POSTGRES = Dialect(
    name="postgresql",
    json_rows="SELECT j.value, j.key - 1 AS key FROM json_array_elements_text(CAST({param} AS json))"
    " WITH ORDINALITY AS j(value, key)",
    json_ints="SELECT CAST(j.value AS bigint) AS value, j.key - 1 AS key"
    " FROM json_array_elements_text(CAST({param} AS json)) WITH ORDINALITY AS j(value, key)",
    joined_numbers="string_agg(CAST({expression} AS text), ',')",
    json_array="coalesce(CAST(json_agg({expression}) AS text), '[]')",
    like_any_case="ILIKE",
    text_test="{column} IS NOT NULL",
)

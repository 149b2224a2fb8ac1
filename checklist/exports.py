"""Files people download: every text cell neutralised against spreadsheet formula injection.

Exports are built for national scale (thousands of assessments, a million and more workshop votes): each
sheet is read with one bulk query, made safe a column at a time (pandas string operations, not a Python
call per cell), and written a chunk of rows at a time by xlsxwriter in constant-memory mode, so the
server never holds a whole workbook's cells at once. A sheet longer than Excel's row limit continues on
further sheets, and the file says so.

The workbook opens on a Summary sheet for people (plain headings, real dates, levels by name, printable); the
Responses sheet after it keeps the importer's layout, so an export imports back exactly.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlite_utils

from checklist import formatting, local_items, store
from checklist.db import dialect, read_snapshot
from checklist.framework import LEVEL_NAMES, Framework, Item
from checklist.scoring import DONT_KNOW, LEVEL, NOT_APPLICABLE, Answer, score_assessment

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

# A spreadsheet treats a cell starting with these as a formula (tab and carriage return too).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXCEL_MAX_ROWS = 1_048_576  # rows in one Excel sheet, the header row included
EXCEL_MAX_TEXT = 32_767  # characters (UTF-16 code units) in one Excel cell
CHUNK_ROWS = 10_000  # rows read, made safe and written at a time: bounds the memory an export holds (measured
# +35 MB at 10,000 against +82 MB at 25,000, at the same speed)
ABOUT_SHEET = "About this file"


def neutralise(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with an apostrophe; leave others alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo `neutralise` when reading a file back: an apostrophe before a formula character is dropped."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _holds_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column.dtype)


# The formula characters are ASCII, and in UTF-8 an ASCII byte is never part of another character: a value starts
# with one exactly when its first byte is one.
_FORMULA_BYTES = np.zeros(256, dtype=bool)
_FORMULA_BYTES[[ord(c) for c in FORMULA_PREFIXES]] = True


def _formula_like_arrow(column: pd.Series) -> np.ndarray | None:
    """Which values of an Arrow-backed text column start with a formula character, read from each value's first byte
    in Arrow's buffers (a tenth of the time of six `startswith` passes); None for any other kind of column."""
    if not isinstance(column.array, pd.arrays.ArrowStringArray):
        return None
    import pyarrow as pa  # present whenever pandas keeps text in Arrow (streamlit requires it too)

    values = pa.array(column.array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.type not in (pa.string(), pa.large_string()):
        return None
    _, offsets, data = values.buffers()
    width = 4 if values.type == pa.string() else 8
    bounds = np.frombuffer(offsets, dtype=f"<i{width}", count=len(values) + 1, offset=values.offset * width)
    starts, filled = bounds[:-1], bounds[1:] > bounds[:-1]
    first = np.zeros(len(values), dtype=np.uint8)  # an empty value's "first byte" is 0: not a formula character
    if data is not None:
        first[filled] = np.frombuffer(data, dtype=np.uint8)[starts[filled]]
    risky = _FORMULA_BYTES[first]
    if values.null_count:
        risky &= values.is_valid().to_numpy(zero_copy_only=False)
    return risky


def _neutralise_column(column: pd.Series) -> pd.Series:
    """`neutralise` over a whole column at once; numbers, booleans and missing values are left alone."""
    if not _holds_text(column):
        return column
    risky = _formula_like_arrow(column)
    if risky is None:
        try:
            risky = column.str.startswith(FORMULA_PREFIXES, na=False).astype(bool).to_numpy()
        except AttributeError:  # an object column holding no text at all
            return column
    if not risky.any():
        return column
    column = column.copy()
    column[risky] = "'" + column[risky]
    return column


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame with every text cell, column name and index label neutralised."""
    out = frame.copy(deep=False)
    for n in range(out.shape[1]):
        column = out.iloc[:, n]
        safe = _neutralise_column(column)
        if safe is not column:
            out.isetitem(n, safe)
    out.columns = [neutralise(str(c)) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def write_csv(frame: pd.DataFrame, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the frame as UTF-8 CSV with a byte-order mark (so Excel reads accents), formula-safe, to a file path
    or a binary stream."""
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    neutralise_frame(frame).to_csv(target, index=keep_index, encoding="utf-8-sig")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads accents), formula-safe."""
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    # Text first, then one encode: measured faster than pandas encoding through a stream as it writes.
    return neutralise_frame(frame).to_csv(index=keep_index).encode("utf-8-sig")


# --- reading in bulk ---------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "system",
    "place",
    "round",
    "date",
    "status",
    "framework_version",
    "item_id",
    "domain",
    "level",
    "level_name",
    "dont_know",
    "not_applicable",
    "na_reason",
    "target",
    "evidence",
    "evidence_links",
    "confidence",
    "action",
    "owner",
    "due_date",
    "action_status",
    "action_target",
    "participants",
    "signed_off_by",  # only a reviewer's own recorded sign-off; never a typed name
    "signed_off_at",
    "submit_note",
)
PROGRESS_ROWS = 20_000  # how often write_xlsx reports how far it has got
# How the workbook shows each numeric column (formatting.EXCEL_FORMATS); other columns are text or dates as text.
NUMBER_COLUMNS = {"score": "score", "level": "level", "target": "level", "action_target": "level",
                  "aims_for": "level", "answered": "count", "items": "count", "dont_know": "count"}  # fmt: skip
ACTION_SEPARATOR = "\n"  # several actions on one item: one line each, in the same order in each column
SCORE_COLUMNS = ["system", "place", "round", "date", "status", "domain", "score", "band", "answered", "items",
                 "dont_know"]  # fmt: skip
ACTION_COLUMNS = ["system", "place", "round", "item_id", "item", "action", "owner", "due_date", "status", "aims_for"]
NOTE_COLUMNS = ["system", "place", "round", "workshop", "item_id", "item", "kind", "text", "written_at", "written_by"]
VOTE_COLUMNS = ["system", "place", "round", "workshop", "kind", "participant", "sector", "item_id", "item", "answer",
                "cast_at"]  # fmt: skip


# The assessments in scope, in the order asked for, passed as one JSON parameter however many there are.
def _scope_sql(db: sqlite_utils.Database) -> str:
    """The assessments in scope as a table (assessment_id, ord), read from the one JSON parameter :scope."""
    return f"scope(assessment_id, ord) AS ({dialect(db).ints_of(':scope')})"


_UNIT = """JOIN assessments a ON a.id = scope.assessment_id JOIN systems s ON s.id = a.system_id
           LEFT JOIN places p ON p.id = a.place_id"""
_UNIT_COLUMNS = "s.name AS system, coalesce(p.name, '') AS place, a.round_label AS round"


def _scope(ids: Iterable[int]) -> str:
    """The assessments as the JSON parameter `_scope_sql` reads: each once, in the order first asked for."""
    return json.dumps(list(dict.fromkeys(int(i) for i in ids)))


def _case(expression: str, values: Mapping[object, object], prefix: str, otherwise: str = "NULL") -> tuple[str, dict]:
    """A SQL CASE turning codes into what people read (or items into a number), the values passed as parameters;
    a code of None matches NULL."""
    searched = None in values  # only a searched CASE can test for NULL; a simple one reads the expression once
    params: dict[str, object] = {}
    whens = []
    for n, (code, value) in enumerate(values.items()):
        params[f"{prefix}{n}"] = value
        if code is None:
            test = f"{expression} IS NULL"
        else:
            params[f"{prefix}{n}_is"] = code
            test = f"{expression} = :{prefix}{n}_is" if searched else f":{prefix}{n}_is"
        whens.append(f"WHEN {test} THEN :{prefix}{n}")
    if not whens:
        return otherwise, params
    return f"CASE {'' if searched else expression} {' '.join(whens)} ELSE {otherwise} END", params


def _item_case(
    item: str, frameworks: list[tuple[Framework, int]], value: Callable[[int, Item], object], prefix: str
) -> tuple[str, dict]:
    """A SQL CASE giving each item a value from its assessment's framework (its version, and the version of its
    system's local items, 0 for none): its title, or its position. (A lookup that SQLite evaluates in C; joining a
    table of items made from a parameter was measured slower.)"""
    params: dict[str, object] = {}
    whens = []
    for v, (fw, local_id) in enumerate(frameworks):
        inner, inner_params = _case(item, {i.id: value(n, i) for n, i in enumerate(fw.items)}, f"{prefix}{v}_")
        params |= {f"{prefix}{v}": fw.version, f"{prefix}{v}l": local_id, **inner_params}
        whens.append(
            f"WHEN a.framework_version = :{prefix}{v} AND coalesce(a.local_module_id, 0) = :{prefix}{v}l THEN {inner}"
        )
    return (f"CASE {' '.join(whens)} END" if whens else "NULL"), params


def _title(_: int, item: Item) -> str:
    return item.title


def _position(position: int, _: Item) -> int:
    return position


def _frameworks_of(db: sqlite_utils.Database, kinds: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Framework]:
    """The framework of each (framework version, local items version id or 0) the rounds use: one read of those
    local items, however many rounds."""
    kinds = list(dict.fromkeys((str(v), int(lid)) for v, lid in kinds))
    local = store.local_modules.modules_by_id(db, (lid for _, lid in kinds))
    return {(v, lid): local_items.with_local(v, local.get(lid)) for v, lid in kinds}


def _frameworks(db: sqlite_utils.Database, scope: str) -> list[tuple[Framework, int]]:
    """Each framework the rounds in scope use, with the id of the local items version it includes (0: none)."""
    kinds = db.execute(
        f"""WITH {_scope_sql(db)} SELECT DISTINCT a.framework_version, coalesce(a.local_module_id, 0)
            FROM scope JOIN assessments a ON a.id = scope.assessment_id""",
        {"scope": scope},
    ).fetchall()
    return [(fw, lid) for (_, lid), fw in _frameworks_of(db, kinds).items()]


def _query(db: sqlite_utils.Database, sql: str, params: dict, columns: list[str]) -> Iterator[pd.DataFrame]:
    """A query's rows as frames of at most CHUNK_ROWS rows (none when there are no rows)."""
    cursor = db.execute(sql, params)
    while rows := cursor.fetchmany(CHUNK_ROWS):
        yield pd.DataFrame(rows, columns=columns)


def _frame(db: sqlite_utils.Database, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    cursor = db.execute(sql, params)
    return pd.DataFrame(cursor.fetchall(), columns=columns)


def assessment_ids(
    db: sqlite_utils.Database,
    system_id: int | None = None,
    place_id: int | None = None,
    assessment_id: int | None = None,
) -> list[int]:
    """The assessments in an export's scope: one assessment, one unit's history, one system, or all (oldest
    first, as store.list_assessments orders them)."""
    if assessment_id is not None:
        store.get_assessment(db, assessment_id)
        return [assessment_id]
    # Only the ids: store.list_assessments also counts every assessment's answers, which an export never needs.
    where, params = "", []
    if place_id is not None:
        where, params = "WHERE place_id = ?", [place_id]
    elif system_id is not None:
        where, params = "WHERE system_id = ?", [system_id]
    rows = db.execute(f"SELECT id FROM assessments {where} ORDER BY assessment_date, id", params).fetchall()
    return [row[0] for row in rows]


# The optional modules a round may include, as framework.items_for and scoring.score_assessment take them.
_MODULES = ("include_workforce", "include_enablers")


def _assessments(db: sqlite_utils.Database, scope: str) -> pd.DataFrame:
    frame = _frame(
        db,
        f"""WITH {_scope_sql(db)}
            SELECT scope.ord, a.id, {_UNIT_COLUMNS}, a.assessment_date, a.status, a.framework_version,
                   a.include_workforce, a.include_enablers, a.participants, a.signed_off_by,
                   a.signed_off_at, a.submit_note, coalesce(a.local_module_id, 0)
            FROM scope {_UNIT} ORDER BY scope.ord""",
        {"scope": scope},
        ["ord", "assessment_id", "system", "place", "round", "date", "status", "framework_version",
         "include_workforce", "include_enablers", "participants", "signed_off_by", "signed_off_at", "submit_note",
         "local_module_id"],
    )  # fmt: skip
    if len(frame) != len(asked := json.loads(scope)):
        missing = sorted(set(asked) - set(frame["assessment_id"]))
        raise store.NotFoundError(f"no assessment with id {', '.join(map(str, missing))}")
    for module in _MODULES:
        frame[module] = frame[module].astype(bool)
    return frame


# A response's answer, confidence, level and target packed by SQL into one whole number, one digit each (one value to
# fetch instead of four): code 0 is "none", _NO_LEVEL "no level".
_ANSWER_KINDS = (None, LEVEL, DONT_KNOW, NOT_APPLICABLE)
_CONFIDENCES = (None, *store.CONFIDENCE_LEVELS)
_NO_LEVEL = 9
_NOTHING_SAID = _NO_LEVEL * 10 + _NO_LEVEL


def _packed() -> tuple[str, dict]:
    kind, kind_params = _case("answer", {k: n for n, k in enumerate(_ANSWER_KINDS) if k}, "kind", otherwise="0")
    sure, sure_params = _case("confidence", {c: n for n, c in enumerate(_CONFIDENCES) if c}, "sure", otherwise="0")
    sql = f"""({kind}) * 1000 + ({sure}) * 100 + coalesce(level, {_NO_LEVEL}) * 10
              + coalesce(target_level, {_NO_LEVEL})"""
    return sql, {**kind_params, **sure_params}


def _columns(db: sqlite_utils.Database, sql: str, params: dict, numbers: int, texts: int) -> list[np.ndarray]:
    """A query's columns, each fetched as one value: its whole-number columns (named n0, n1, ..., never NULL) joined
    with commas, its text columns (t0, t1, ...) as JSON arrays, both parsed in C.

    Fetching row by row makes a Python object per cell, which cost three times as much on 87,600 responses.
    Every aggregate of one query sees the rows in the same order, so the columns stay aligned.
    """
    sql_of = dialect(db)
    aggregates = [sql_of.joined(f"n{n}") for n in range(numbers)] + [sql_of.array(f"t{n}") for n in range(texts)]
    row = db.execute(f"SELECT {', '.join(aggregates)} FROM ({sql}) AS q", params).fetchone()
    return [np.fromstring(v or "", dtype=np.int64, sep=",") for v in row[:numbers]] + [
        np.array(json.loads(v), dtype=object) for v in row[numbers:]
    ]


def _placed(rows: pd.Index, keys: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Where fetched values go among the export's rows (by their row keys), and the values themselves. Those with
    no place (an item outside the assessment's scope, or unknown: key -1) are left out."""
    where = rows.get_indexer(keys)
    found = where >= 0
    return where[found], [c[found] for c in columns]


def _text(count: int, where: np.ndarray, values: np.ndarray) -> pd.Series:
    """A text column of `count` rows: `values` at `where`, empty text elsewhere and in place of NULL."""
    source = pd.array(np.append(values, ""), dtype="str").fillna("")
    pick = np.full(count, len(values), dtype=np.int64)  # the empty text appended last
    pick[where] = np.arange(len(values))
    return pd.Series(source.take(pick))


def _joined_by_key(keys: np.ndarray, order: np.ndarray, *columns: np.ndarray) -> list[np.ndarray]:
    """Values sharing a key joined one a line (ACTION_SEPARATOR), in `order`; returns the keys, then each column.

    Done here rather than by SQL's group_concat, whose order SQLite promises only from 3.44 (ORDER BY inside it); a
    window function promises it too but was measured five times slower on 5,000 actions."""
    sort = np.lexsort((order, keys))
    keys, columns = keys[sort], [c[sort] for c in columns]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.empty(0, dtype=np.int64)
    ends = np.r_[starts[1:], len(keys)]
    joined = []
    for column in columns:
        out = column[starts]  # most items have one action: nothing to join
        for group in np.flatnonzero(ends - starts > 1):
            out[group] = ACTION_SEPARATOR.join(column[starts[group] : ends[group]])
        joined.append(out)
    return [keys[starts], *joined]


def _responses(db: sqlite_utils.Database, ids: list[int]) -> tuple[pd.DataFrame, dict[tuple[str, int], Framework]]:
    """The export's rows (one per assessment × item in scope) plus the assessment id, local items version and
    answer kind that scoring needs, and the frameworks by (version, local items version id). Read in bulk and
    joined by integer keys: this is the whole cost of a CSV export beyond writing it, so it is kept lean."""
    scope = _scope(ids)
    units = _assessments(db, scope)
    units["local_module_id"] = units["local_module_id"].astype("int64")
    frameworks = _frameworks_of(db, zip(units["framework_version"], units["local_module_id"].tolist(), strict=True))
    # Every item of those frameworks gets a number, so a row is keyed by one integer: assessment × item.
    codes = {item_id: n for n, item_id in enumerate(dict.fromkeys(i.id for f in frameworks.values() for i in f.items))}
    width = len(codes)
    # The item list of each kind of round (framework version and optional modules chosen), one after another; each
    # assessment's rows are its kind's list, in the framework's order.
    kinds_of_round = list(
        zip(*(units[c].tolist() for c in ("framework_version", "local_module_id", *_MODULES)), strict=True)
    )
    blocks: dict[tuple, tuple[int, int]] = {}
    item_ids, domains, titles = [], [], []
    for version, local_id, *modules in dict.fromkeys(kinds_of_round):
        fw = frameworks[(version, local_id)]
        items = fw.items_for(*modules)
        blocks[(version, local_id, *modules)] = (len(item_ids), len(items))
        item_ids += [i.id for i in items]
        domains += [fw.domain(i.domain).title for i in items]
        titles += [i.title for i in items]
    unit_blocks = [blocks[k] for k in kinds_of_round]
    starts = np.array([b[0] for b in unit_blocks], dtype=np.int64)
    sizes = np.array([b[1] for b in unit_blocks], dtype=np.int64)
    count = int(sizes.sum())
    unit_of_row = np.repeat(np.arange(len(units)), sizes)
    item_of_row = np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(count)
    item_codes = np.array([codes[i] for i in item_ids], dtype=np.int64)
    rows = pd.Index(units["assessment_id"].to_numpy()[unit_of_row] * width + item_codes[item_of_row])

    # Every assessment (the usual "export everything"): no filter to apply, and reading the tables straight through
    # is cheaper than looking each assessment's rows up.
    everything = db.execute("SELECT count(*) FROM assessments").fetchone()[0] == len(units)
    where = "" if everything else f"AND assessment_id IN (SELECT value FROM ({dialect(db).ints_of(':scope')}) AS s)"
    code, code_params = _case("item_id", codes, "item")
    key = f"coalesce(assessment_id * {width} + {code}, -1)"  # -1: an item no framework in scope has
    packed_sql, packed_params = _packed()
    params = {"scope": scope, **code_params, **packed_params}
    answered, (packed, evidence) = _placed(
        rows,
        *_columns(db, f"SELECT {key} AS n0, {packed_sql} AS n1, evidence AS t0 FROM responses WHERE 1 = 1 {where}",
                  params, 2, 1),
    )  # fmt: skip
    # Fields most responses leave empty are read only where they are filled.
    noted, (na_reason, links) = _placed(
        rows,
        *_columns(
            db,
            f"""SELECT {key} AS n0, na_reason AS t0, evidence_links AS t1 FROM responses
                WHERE (na_reason != '' OR evidence_links != '') {where}""",
            params,
            1,
            2,
        ),
    )
    # Actions, one row per item that has any: each column lists them one a line, in the order they were added; the
    # Summary sheet's column says each in a line of words (a Python call per action: there are far fewer than rows).
    action_keys, action_ids, *action_fields = _columns(
        db,
        f"""SELECT {key} AS n0, id AS n1, description AS t0, owner AS t1, coalesce(due_date, '') AS t2,
                   status AS t3, coalesce(CAST(target_level AS TEXT), '') AS t4
            FROM actions WHERE deleted_at IS NULL {where}""",
        params,
        2,
        5,
    )
    action_lines = np.array([_action_line(*fields) for fields in zip(*action_fields, strict=True)], dtype=object)
    acted, action_columns = _placed(rows, *_joined_by_key(action_keys, action_ids, *action_fields, action_lines))
    full = np.full(count, _NOTHING_SAID, dtype=np.int64)
    full[answered] = packed
    kinds, sure, level, target = full // 1000, (full // 100) % 10, (full // 10) % 10, full % 10
    # Words by code, picked by Arrow (no Python object per row); a missing level has no name.
    level_names = pd.array([*LEVEL_NAMES, *[""] * (_NO_LEVEL + 1 - len(LEVEL_NAMES))], dtype="str")
    unit = {c: units[c].take(unit_of_row).reset_index(drop=True) for c in units.columns if c != "ord"}
    items = {c: pd.Series(v, dtype="str") for c, v in (("item_id", item_ids), ("domain", domains), ("item", titles))}
    out = pd.DataFrame(
        {
            "assessment_id": unit["assessment_id"],
            "local_module_id": unit["local_module_id"],
            **{module: unit[module] for module in _MODULES},
            "answer": pd.Series(pd.array(_ANSWER_KINDS, dtype="str").take(kinds)),
            **{c: unit[c] for c in EXPORT_COLUMNS[:6]},
            **{c: items[c].take(item_of_row).reset_index(drop=True) for c in ("item_id", "domain", "item")},
            "level": pd.arrays.IntegerArray(level, level == _NO_LEVEL),
            "level_name": pd.Series(level_names.take(level)),
            "dont_know": kinds == _ANSWER_KINDS.index(DONT_KNOW),
            "not_applicable": kinds == _ANSWER_KINDS.index(NOT_APPLICABLE),
            "na_reason": _text(count, noted, na_reason),
            "target": pd.arrays.IntegerArray(target, target == _NO_LEVEL),
            "evidence": _text(count, answered, evidence),
            "evidence_links": _text(count, noted, links),
            "confidence": pd.Series(pd.array(["" if c is None else c for c in _CONFIDENCES], dtype="str").take(sure)),
            **{
                c: _text(count, acted, action_columns[n])
                for n, c in enumerate(("action", "owner", "due_date", "action_status", "action_target"))
            },
            "participants": unit["participants"],
            "signed_off_by": unit["signed_off_by"],
            "signed_off_at": unit["signed_off_at"].fillna(""),
            "submit_note": unit["submit_note"],
            "action_summary": _text(count, acted, action_columns[5]),  # the Summary sheet's words
        }
    )
    return out, frameworks


def _action_line(description: str | None, owner: str | None, due: str, status: str | None, aims: str) -> str:
    """One action as the Summary sheet says it: 'Agree terms at the board (PA lead; due 30 September 2026;
    in progress; aims for 3 · Maturing)'. Line breaks inside it become spaces, so each action keeps one line."""
    details = [owner] if owner else []
    if due:
        details.append(f"due {formatting.day(due)}")
    if status:
        details.append(status)
    if aims:
        details.append(f"aims for {formatting.level(int(aims))}")
    text = " ".join((description or "").split())
    return f"{text} ({'; '.join(details)})" if details else text


def export_frame(db: sqlite_utils.Database, ids: list[int]) -> pd.DataFrame:
    """One row per assessment × item in scope, in the columns documented in docs/reference/cli.md (Export format)."""
    if not ids:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    with read_snapshot(db):
        return _responses(db, ids)[0][list(EXPORT_COLUMNS)]


def _scores(responses: pd.DataFrame, frameworks: Mapping[tuple[str, int], Framework]) -> pd.DataFrame:
    """Domain and overall scores from the export's rows, scored per assessment by checklist.scoring."""
    rows = []
    answered = responses[responses["answer"].notna()]
    answers: dict[int, dict[str, Answer]] = {}
    for aid, item_id, kind, level, target in zip(
        answered["assessment_id"].tolist(),
        answered["item_id"].tolist(),
        answered["answer"].tolist(),
        answered["level"].astype(object).where(answered["level"].notna(), None).tolist(),
        answered["target"].astype(object).where(answered["target"].notna(), None).tolist(),
        strict=True,
    ):
        answers.setdefault(aid, {})[item_id] = Answer(kind, level, target)
    units = responses.drop_duplicates("assessment_id")
    for unit in units[["assessment_id", "local_module_id", *_MODULES, *EXPORT_COLUMNS[:6]]].itertuples(index=False):
        fw = frameworks[(unit.framework_version, unit.local_module_id)]
        result = score_assessment(
            fw, answers.get(unit.assessment_id, {}), unit.include_workforce, unit.include_enablers
        )
        head = [unit.system, unit.place, unit.round, unit.date, unit.status]
        for d in result.domains:
            rows.append([*head, fw.domain(d.domain_id).title, d.score, d.band or "", d.answered, d.total, d.dont_know])
        rows.append([*head, "Overall", result.overall, result.band or "", result.answered, result.total,
                     result.dont_know])  # fmt: skip
    frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    frame["score"] = frame["score"].astype(float)
    return frame


def scores_frame(db: sqlite_utils.Database, ids: list[int]) -> pd.DataFrame:
    """One row per assessment × domain, plus an 'Overall' row each: score and band."""
    if not ids:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    with read_snapshot(db):
        return _scores(*_responses(db, ids))


def _actions_sql(db: sqlite_utils.Database, scope: str) -> tuple[str, dict]:
    aims, aim_params = _case("x.target_level", dict(enumerate(LEVEL_NAMES)), "aim", otherwise="''")
    title, title_params = _item_case("x.item_id", _frameworks(db, scope), _title, "title")
    sql = f"""WITH {_scope_sql(db)}
        SELECT {_UNIT_COLUMNS}, x.item_id, coalesce({title}, x.item_id), x.description, x.owner,
               coalesce(x.due_date, ''), x.status, {aims}
        FROM scope {_UNIT} JOIN actions x ON x.assessment_id = a.id AND x.deleted_at IS NULL
        ORDER BY scope.ord, x.id"""
    return sql, {"scope": scope, **aim_params, **title_params}


def _notes_sql(db: sqlite_utils.Database, scope: str) -> tuple[str, dict]:
    from checklist import workshops

    kinds, kind_params = _case("n.kind", workshops.NOTE_KINDS, "kind", otherwise="''")
    title, title_params = _item_case("n.item_id", _frameworks(db, scope), _title, "title")
    sql = f"""WITH {_scope_sql(db)}
        SELECT {_UNIT_COLUMNS}, coalesce(w.code, ''), coalesce(n.item_id, ''), coalesce({title}, n.item_id, ''),
               {kinds}, n.text, replace(substr(n.created_at, 1, 16), 'T', ' '), n.created_by
        FROM scope {_UNIT} JOIN notes n ON n.assessment_id = a.id AND n.deleted_at IS NULL
        LEFT JOIN workshops w ON w.id = n.workshop_id
        ORDER BY scope.ord, n.id"""
    return sql, {"scope": scope, **kind_params, **title_params}


def _votes_sql(db: sqlite_utils.Database, scope: str) -> tuple[str, dict]:
    from checklist import workshops
    from checklist.consensus import SECTORS, answer_label

    sectors, sector_params = _case("pt.sector", SECTORS, "sector", otherwise="''")
    answers, answer_params = _case("v.level", {v: answer_label(v) for v in (*range(len(LEVEL_NAMES)), None)}, "ans")
    frameworks = _frameworks(db, scope)
    title, title_params = _item_case("v.item_id", frameworks, _title, "title")
    position, position_params = _item_case("v.item_id", frameworks, _position, "pos")
    # Rows come by workshop, then participant (numbered afterwards, see _numbered), then the framework's item order.
    sql = f"""WITH {_scope_sql(db)}
        SELECT {_UNIT_COLUMNS}, w.code, CASE w.mode WHEN :live THEN 'live' ELSE 'beforehand' END, pt.id, {sectors},
               v.item_id, coalesce({title}, v.item_id), {answers}, replace(substr(v.cast_at, 1, 16), 'T', ' '), w.id
        FROM scope {_UNIT}
        JOIN workshops w ON w.assessment_id = a.id
        JOIN votes v ON v.workshop_id = w.id
        JOIN participants pt ON pt.id = v.participant_id
        ORDER BY scope.ord, w.id, pt.id, coalesce({position}, 1e9), v.item_id"""
    params = {"scope": scope, "live": workshops.LIVE}
    return sql, {**params, **sector_params, **answer_params, **title_params, **position_params}


def _numbered(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Votes with participants numbered 1, 2, ... within each workshop in the order they come (by participant id),
    in place of their ids; counted across chunks, so a workshop may straddle two."""
    last_workshop, last_participant, last_number = -1, -1, 0
    for chunk in chunks:
        workshop, participant = chunk.pop("workshop_id"), chunk["participant"]
        new_workshop = workshop.ne(workshop.shift(fill_value=last_workshop))
        new_participant = participant.ne(participant.shift(fill_value=last_participant)) | new_workshop
        block = new_workshop.cumsum()  # 0 until the first new workshop: the one the last chunk ended in
        number = new_participant.astype("int64").groupby(block).cumsum()
        number[block == 0] += last_number
        chunk["participant"] = number
        last_workshop, last_participant, last_number = workshop.iloc[-1], participant.iloc[-1], number.iloc[-1]
        yield chunk


def _chunks(
    db: sqlite_utils.Database,
    ids: list[int],
    sql_for: Callable[[sqlite_utils.Database, str], tuple[str, dict]],
    columns: list[str],
) -> Iterator[pd.DataFrame]:
    if not ids:
        return
    sql, params = sql_for(db, _scope(ids))
    yield from _query(db, sql, params, columns)


def _whole(chunks: Iterable[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = list(chunks)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def actions_frame(db: sqlite_utils.Database, ids: list[int]) -> pd.DataFrame:
    """Every action on these assessments (deleted ones left out), in the order they were added."""
    with read_snapshot(db):
        return _whole(_chunks(db, ids, _actions_sql, ACTION_COLUMNS), ACTION_COLUMNS)


def notes_frame(db: sqlite_utils.Database, ids: list[int]) -> pd.DataFrame:
    """Workshop notes, quotes and parking-lot entries of these assessments (removed ones left out)."""
    with read_snapshot(db):
        return _whole(_chunks(db, ids, _notes_sql, NOTE_COLUMNS), NOTE_COLUMNS)


def _votes(db: sqlite_utils.Database, ids: list[int]) -> Iterator[pd.DataFrame]:
    return _numbered(_chunks(db, ids, _votes_sql, [*VOTE_COLUMNS, "workshop_id"]))


def votes_frame(db: sqlite_utils.Database, ids: list[int]) -> pd.DataFrame:
    """Every workshop vote on these assessments, by participant number and sector (names are not exported)."""
    with read_snapshot(db):
        return _whole(_votes(db, ids), VOTE_COLUMNS)


# --- Excel -------------------------------------------------------------------------------------------------

# Characters a spreadsheet cell cannot hold (XML 1.0 forbids them): text pasted from word processors has them.
# Written as the characters themselves so both Python's re and pyarrow's RE2 (behind pandas' string columns)
# read the same pattern.
_ILLEGAL_CHARACTERS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
_ILLEGAL_PATTERN = f"[{_ILLEGAL_CHARACTERS}]"
_ILLEGAL = re.compile(_ILLEGAL_PATTERN)
REPLACEMENT = "\ufffd"


def spreadsheet_text(value: object) -> tuple[object, int]:
    """A cell value with characters Excel cannot hold replaced by \ufffd, and how many were replaced."""
    if isinstance(value, str):
        cleaned, count = _ILLEGAL.subn(REPLACEMENT, value)
        return cleaned, count
    return value, 0


def _fit_cell(text: str) -> str:
    """Text cut to what one Excel cell holds (counted in UTF-16 code units, never splitting a character)."""
    return text.encode("utf-16-le")[: 2 * EXCEL_MAX_TEXT].decode("utf-16-le", errors="ignore")


def spreadsheet_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """`spreadsheet_text` over a whole frame, a column at a time; also cuts text longer than a cell holds.

    Returns the frame, how many characters were replaced and how many cells were cut short.
    """
    out, replaced, shortened = frame.copy(deep=False), 0, 0
    for n in range(out.shape[1]):
        column = out.iloc[:, n]
        if not _holds_text(column):
            continue
        try:
            bad = column.str.contains(_ILLEGAL_PATTERN, regex=True, na=False).astype(bool)
            # Only text over half the limit can be over it in UTF-16 units: check those one by one.
            long = (column.str.len() > EXCEL_MAX_TEXT // 2).fillna(False).astype(bool)
        except AttributeError:  # an object column holding no text at all
            continue
        if not (bad.any() or long.any()):
            continue
        column = column.copy()
        if bad.any():
            replaced += int(column[bad].str.count(_ILLEGAL_PATTERN).sum())
            column[bad] = column[bad].str.replace(_ILLEGAL_PATTERN, REPLACEMENT, regex=True)
        for position in np.flatnonzero(long.to_numpy()):
            text = column.iloc[position]
            if (cut := _fit_cell(text)) != text:
                column.iloc[position] = cut
                shortened += 1
        out.isetitem(n, column)
    return out, replaced, shortened


def cell_rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """The frame's rows as tuples of plain Python values, missing values as None (an empty cell)."""
    columns = [frame.iloc[:, n].to_numpy(dtype=object, na_value=None).tolist() for n in range(frame.shape[1])]
    return zip(*columns, strict=True)


@dataclass
class ExcelChanges:
    """What making the workbook fit Excel changed, for the "About this file" sheet."""

    replaced: int = 0
    shortened: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    continued: dict[str, list[str]] = field(default_factory=dict)

    def sentences(self) -> list[str]:
        out = []
        if self.replaced:
            out.append(f"{self.replaced} control character(s) in the text (often pasted from a word processor) "
                       f"cannot be stored in a spreadsheet and were replaced with {REPLACEMENT}. The app keeps the "
                       "text as typed; the CSV export carries it unchanged.")  # fmt: skip
        if self.shortened:
            out.append(f"{self.shortened} cell(s) held more than the {EXCEL_MAX_TEXT:,} characters an Excel "
                       "cell can hold and were cut short. The app keeps the whole text; the CSV export carries "
                       "it.")  # fmt: skip
        for title, more in self.continued.items():
            out.append(f"The “{title}” sheet has {self.rows[title]:,} rows, more than the {EXCEL_MAX_ROWS - 1:,} one "
                       f"Excel sheet holds under its header, so it continues on {_and(more)}, in the same order "
                       "and with the same columns.")  # fmt: skip
            if title == IMPORTED_SHEET:
                out.append(f"The import reads only the “{IMPORTED_SHEET}” sheet, so this workbook does not import "
                           "back whole: import the CSV export of the same assessments instead.")  # fmt: skip
        return out


def _and(names: list[str]) -> str:
    quoted = [f"“{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


@dataclass
class SheetPart:
    """One sheet of the workbook as written: its title, header, column widths and rows of final cell values.

    A sheet `for_people` is laid out to read and print (wrapped text, real dates, landscape one page wide); the
    others keep the field-name layout the importer reads."""

    title: str
    columns: list[str]
    widths: list[float]
    rows: Iterator[tuple]
    for_people: bool = False


# --- the Summary sheet: the same rows as Responses, in words a board reads -------------------------------------

SUMMARY_SHEET = "Summary"
IMPORTED_SHEET = "Responses"  # the one sheet checklist.imports reads back (by this name)
# Each column of the Summary sheet and its width in characters (evidence and actions wrap within theirs).
SUMMARY_COLUMNS = {"System": 14, "Place": 14, "Round": 9, "Date assessed": 12, "Status": 10, "Domain": 16,
                   "Item": 24, "Level": 13, "Don't know": 7, "Not applicable": 9, "Reason not applicable": 20,
                   "Target": 13, "Confidence": 11, "Evidence": 45, "Actions": 45}  # fmt: skip
WHOLE_SYSTEM = "Whole system"  # the Place of a whole-system assessment
# Levels by number as people read them ("2 · Developing"), then the empty text for no level.
_LEVEL_LABELS = pd.array([*(formatting.level(v) for v in range(len(LEVEL_NAMES))), ""], dtype="str")


def _level_labels(levels: pd.Series) -> pd.Series:
    codes = levels.fillna(len(LEVEL_NAMES)).to_numpy(dtype=np.int64)
    return pd.Series(_LEVEL_LABELS.take(codes), index=levels.index)


def _yes_no(flags: pd.Series) -> pd.Series:
    return pd.Series(np.where(flags.to_numpy(dtype=bool), "Yes", "No"), index=flags.index, dtype="str")


def _sentence_case(words: pd.Series) -> pd.Series:
    """'submitted' as 'Submitted'; looked up once per distinct value (a column holds a handful)."""
    return words.map({w: w[:1].upper() + w[1:] if isinstance(w, str) else w for w in words.unique()})


def _dates(texts: pd.Series) -> pd.Series:
    """ISO dates as date objects (written as Excel dates, shown as formatting.EXCEL_FORMATS["date"]); anything
    else stays the text it was."""

    def as_date(text: object) -> object:
        try:
            return date.fromisoformat(str(text))
        except ValueError:
            return text

    return texts.map({t: as_date(t) for t in texts.unique()}).astype(object)


def _summary(responses: pd.DataFrame) -> pd.DataFrame:
    """The Summary sheet's rows for a slice of the export's rows (one per assessment × item), column by column."""
    place = responses["place"]
    return pd.DataFrame(
        {
            "System": responses["system"],
            "Place": place.where(place != "", WHOLE_SYSTEM),
            "Round": responses["round"],
            "Date assessed": _dates(responses["date"]),
            "Status": _sentence_case(responses["status"]),
            "Domain": responses["domain"],
            "Item": responses["item"],
            "Level": _level_labels(responses["level"]),
            "Don't know": _yes_no(responses["dont_know"]),
            "Not applicable": _yes_no(responses["not_applicable"]),
            "Reason not applicable": responses["na_reason"],
            "Target": _level_labels(responses["target"]),
            "Confidence": _sentence_case(responses["confidence"]),
            "Evidence": responses["evidence"],
            "Actions": responses["action_summary"],
        },
        columns=list(SUMMARY_COLUMNS),
    )


@dataclass
class _Sheet:
    """A sheet to write: its rows a chunk at a time, whether it appears even with no rows, and fixed column widths
    (None: sized from its first rows)."""

    title: str
    chunks: Iterator[pd.DataFrame]
    columns: list[str]
    always: bool
    widths: list[float] | None = None
    for_people: bool = False


def _sheets(db: sqlite_utils.Database, ids: list[int]) -> Iterator[_Sheet]:
    """The workbook's sheets in order. The Summary and Responses sheets are the same rows, made from one bulk read."""
    responses, frameworks = _responses(db, ids) if ids else (None, {})
    summaries = iter([]) if responses is None else (_summary(rows) for rows in _slices(responses))
    yield _Sheet(SUMMARY_SHEET, summaries, list(SUMMARY_COLUMNS), True, list(SUMMARY_COLUMNS.values()), True)
    rows = pd.DataFrame(columns=EXPORT_COLUMNS) if responses is None else responses[list(EXPORT_COLUMNS)]
    yield _Sheet(IMPORTED_SHEET, _slices(rows), list(EXPORT_COLUMNS), True)
    del rows
    scores = pd.DataFrame(columns=SCORE_COLUMNS) if responses is None else _scores(responses, frameworks)
    del responses
    yield _Sheet("Scores", iter([scores]), SCORE_COLUMNS, True)
    del scores
    yield _Sheet("Actions", _chunks(db, ids, _actions_sql, ACTION_COLUMNS), ACTION_COLUMNS, True)
    yield _Sheet("Workshop notes", _chunks(db, ids, _notes_sql, NOTE_COLUMNS), NOTE_COLUMNS, False)
    yield _Sheet("Workshop votes", _votes(db, ids), VOTE_COLUMNS, False)


def _slices(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """A frame CHUNK_ROWS rows at a time."""
    for start in range(0, len(frame), CHUNK_ROWS):
        yield frame.iloc[start : start + CHUNK_ROWS]


def _excel_safe(chunk: pd.DataFrame, changes: ExcelChanges) -> pd.DataFrame:
    safe, replaced, shortened = spreadsheet_frame(neutralise_frame(chunk))
    changes.replaced += replaced
    changes.shortened += shortened
    return safe


def _widths(frame: pd.DataFrame) -> list[float]:
    """Each column wide enough for its header and its first 500 values, within 10 to 60 characters."""
    head = frame.head(500)
    return [
        min(60, max(10, max([len(str(name)), *(len(str(v)) for v in head.iloc[:, n].dropna())]) + 2))
        for n, name in enumerate(frame.columns)
    ]


_END = object()


def workbook_parts(
    db: sqlite_utils.Database, ids: list[int], changes: ExcelChanges | None = None
) -> Iterator[SheetPart]:
    """The workbook's sheets in order, each row already neutralised and made fit for Excel; a sheet longer than
    Excel's row limit is split into continuation sheets ("Workshop votes", "Workshop votes (2)", ...).

    Each part's rows are read from the database as they are consumed: consume them before asking for the next
    part. What had to change is added to `changes`, complete once every part has been consumed.
    """
    changes = changes if changes is not None else ExcelChanges()
    for sheet in _sheets(db, ids):
        title, chunks = sheet.title, sheet.chunks
        first = next(chunks, None)
        if first is None:
            first = pd.DataFrame(columns=sheet.columns)
        if first.empty and not sheet.always:
            continue
        first = _excel_safe(first, changes)
        columns, widths = list(first.columns), sheet.widths or _widths(first)
        changes.rows[title] = 0

        def rows(
            first: pd.DataFrame = first, chunks: Iterator[pd.DataFrame] = chunks, title: str = title
        ) -> Iterator[tuple]:
            for chunk in itertools.chain([first], chunks):
                changes.rows[title] += len(chunk)
                yield from cell_rows(chunk if chunk is first else _excel_safe(chunk, changes))

        remaining = rows()
        number = 1
        while True:
            name = title if number == 1 else f"{title} ({number})"
            yield SheetPart(name, columns, widths, itertools.islice(remaining, EXCEL_MAX_ROWS - 1), sheet.for_people)
            following = next(remaining, _END)
            if following is _END:
                break
            remaining = itertools.chain([following], remaining)
            number += 1
            changes.continued.setdefault(title, []).append(f"{title} ({number})")


def write_xlsx(
    db: sqlite_utils.Database,
    ids: list[int],
    target: str | os.PathLike[str] | IO[bytes],
    progress: Callable[[str, int], None] | None = None,
) -> None:
    """Write the Excel workbook of these assessments to a file path or a binary stream, a chunk of rows at a time.

    Sheets: a summary for people to read and print, responses (the layout the importer reads back), domain and
    overall scores, actions, and (when there are any) workshop notes and votes; headers styled and frozen, columns
    sized; "About this file" says which sheets are for reading and which for importing back, and what had to change
    to fit Excel.
    `progress(sheet title, rows written so far)` is called as each sheet starts and every PROGRESS_ROWS rows.
    """
    import tempfile

    # constant_memory keeps each sheet's rows in temporary files until the workbook closes: in a folder of
    # this export's own, removed however the export ends, so a stopped export leaves nobody's evidence behind.
    with tempfile.TemporaryDirectory(prefix="checklist-xlsx-") as scratch:
        _write_xlsx(db, ids, target, progress, scratch)


def _write_xlsx(
    db: sqlite_utils.Database,
    ids: list[int],
    target: str | os.PathLike[str] | IO[bytes],
    progress: Callable[[str, int], None] | None,
    scratch: str,
) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(
        os.fspath(target) if isinstance(target, str | os.PathLike) else target,
        # Text is only ever text: never a formula, a link or a number guessed from it.
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
         "tmpdir": scratch},
    )  # fmt: skip
    header = book.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F5F99", "valign": "vcenter", "text_wrap": True}
    )
    changes = ExcelChanges()
    # Numbers stay numbers, shown by the app's one rule: scores to two decimals, levels and counts whole.
    number_formats = {kind: book.add_format({"num_format": code}) for kind, code in formatting.EXCEL_FORMATS.items()}
    # A sheet for people: every cell wrapped and top-aligned (a cell's own format is the only one Excel applies to
    # a written cell, so a column's format would not reach them), dates as dates.
    reading = book.add_format({"text_wrap": True, "valign": "top"})
    reading_date = book.add_format({"num_format": formatting.EXCEL_FORMATS["date"], "valign": "top", "align": "left"})
    # On an error the workbook is never closed, so nothing half-made is written (its temporary files go with it).
    with read_snapshot(db):
        for part in workbook_parts(db, ids, changes):
            sheet = book.add_worksheet(part.title)
            if progress is not None:
                progress(part.title, 0)
            for n, width in enumerate(part.widths):  # (a sheet for people: its cells left empty wrap too)
                sheet.set_column(n, n, width, reading if part.for_people else None)
            numeric = [
                (n, number_formats[NUMBER_COLUMNS[c]]) for n, c in enumerate(part.columns) if c in NUMBER_COLUMNS
            ]
            if part.for_people:
                _print_for_people(sheet)
            sheet.write_row(0, 0, part.columns, header)
            sheet.freeze_panes(1, 0)
            write, write_number = sheet.write_row, sheet.write_number
            write_cell, write_text, write_date = sheet.write, sheet.write_string, sheet.write_datetime
            number = 0
            for number, row in enumerate(part.rows, start=1):
                if part.for_people:
                    # Each cell with the reading format: an empty one is left unwritten (a formatted blank costs time
                    # and space for nothing), a date written as a date (a sheet for people holds only text and dates).
                    for n, value in enumerate(row):
                        if value is None or value == "":
                            continue
                        if value.__class__ is str:
                            refused = write_text(number, n, value, reading)
                        elif value.__class__ is date:
                            refused = write_date(number, n, value, reading_date)
                        else:
                            refused = write_cell(number, n, value, reading)
                        if refused:
                            raise ValueError(f"{part.title} row {number + 1} could not be written to Excel")
                elif write(number, 0, row):  # every value was made to fit: a refusal here is a bug
                    raise ValueError(f"{part.title} row {number + 1} could not be written to Excel")
                if progress is not None and number % PROGRESS_ROWS == 0:
                    progress(part.title, number)
                for n, shown in numeric:  # a cell's own format is the only one Excel applies to a written cell
                    value = row[n]
                    if value.__class__ in (int, float):
                        write_number(number, n, value, shown)
            if part.for_people:
                sheet.autofilter(0, 0, number, len(part.columns) - 1)
    # Always there: it says which sheets are for reading and which for importing back, and, so nobody mistakes
    # replacement marks or a split for the original, what had to change to fit Excel.
    about = book.add_worksheet(ABOUT_SHEET)
    about.set_column(0, 0, 120)
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for n, sentence in enumerate([*_sheet_guide(list(changes.rows)), *changes.sentences()]):
        about.write_string(n, 0, sentence, wrap)
    book.close()


def _print_for_people(sheet: Worksheet) -> None:
    """Print setup for a sheet people read on paper: A4 landscape, one page wide however long, the header row on
    every page, gridlines printed (a wide row is read across the page), sheet and page number in the footer."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.hide_gridlines(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.set_footer("&L&A&RPage &P of &N")


def _sheet_guide(titles: list[str]) -> list[str]:
    """The "About this file" sentences naming which of these sheets are for reading and which for importing back."""
    others = [t for t in titles if t not in (SUMMARY_SHEET, IMPORTED_SHEET)]
    out = [
        f"For reading: “{SUMMARY_SHEET}”, one row per assessment and item with plain headings, real dates, the "
        "level and target by name, the evidence and every action on the item (one a line, with its owner, due date "
        "and status). It prints landscape, one page wide, with the headings on every page.",
        f"For importing back: “{IMPORTED_SHEET}”. The app's import reads the sheet of that name and no other, in "
        "the import's layout (headings are field names such as item_id and dont_know, dates are text as "
        "YYYY-MM-DD, yes/no columns say True or False), so it reads back exactly: change values there, not its "
        "name or headings.",
    ]
    if others:
        out.append(f"For analysis: {_and(others)}, in the same field-name layout; the import does not read them.")
    return out


def xlsx_bytes(db: sqlite_utils.Database, ids: list[int]) -> bytes:
    """An Excel workbook: a summary to read, responses to import back, domain and overall scores, actions, and
    (when there are any) workshop notes and votes. `write_xlsx` writes the same to a file without holding it."""
    with tempfile.TemporaryFile() as file:
        write_xlsx(db, ids, file)
        file.seek(0)
        return file.read()


# --- a blank template to fill offline ------------------------------------------------------------------

TEMPLATE_ANSWERS = (*(f"{v} · {n}" for v, n in enumerate(LEVEL_NAMES)), "Don't know", "Not applicable")


def template_xlsx(
    framework: Framework,
    system: str,
    place: str,
    round_label: str,
    assessment_date: str,
    include_workforce: bool = False,
    include_enablers: bool = False,
) -> bytes:
    """A workbook for one assessment: every item with its statement and five level descriptors, a drop-down for
    the answer, and columns for evidence and target. Filled in, it imports back as the export's layout."""
    system, place, round_label = (str(spreadsheet_text(v)[0]) for v in (system, place, round_label))
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "Responses"
    # The export's own leading columns, so a filled-in template imports as the export's layout.
    columns = [
        *EXPORT_COLUMNS[:8],
        "item",
        "what good looks like",
        "judged for",
        *(f"{v} · {n}" for v, n in enumerate(LEVEL_NAMES)),
        "examples of evidence",
        "level",
        "na_reason",
        "evidence",
        "confidence",
        "target",
    ]
    sheet.append(columns)
    for item in framework.items_for(include_workforce, include_enablers):
        sheet.append(
            [
                neutralise(system),
                neutralise(place),
                neutralise(round_label),
                assessment_date,
                "draft",
                framework.version,
                item.id,
                framework.domain(item.domain).title,
                item.title,
                item.statement,
                framework.unit(item.unit).name if item.unit else "",
                *item.levels,
                "\n".join(f"{v} · {n}: {item.evidence_example(v)}" for v, n in enumerate(LEVEL_NAMES))
                if item.evidence_examples
                else "",
                None,
                None,
                None,
                None,
                None,
            ]
        )
    last = sheet.max_row
    col = {name: n + 1 for n, name in enumerate(columns)}
    from openpyxl.utils import get_column_letter as letter

    def dropdown(name: str, options: list[str]) -> None:
        rule = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True)
        rule.error, rule.errorTitle = f"Choose one of: {', '.join(options)}", "Not one of the choices"
        sheet.add_data_validation(rule)
        rule.add(f"{letter(col[name])}2:{letter(col[name])}{last}")

    dropdown("level", list(TEMPLATE_ANSWERS))
    dropdown("target", [f"{v} · {n}" for v, n in enumerate(LEVEL_NAMES)])
    dropdown("confidence", list(store.CONFIDENCE_LEVELS))
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F5F99")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for n, name in enumerate(columns, start=1):
        wide = name in ("what good looks like", "evidence", "examples of evidence") or name[:1].isdigit()
        sheet.column_dimensions[letter(n)].width = 45 if wide else 16
        for row in sheet.iter_rows(min_row=2, min_col=n, max_col=n):
            row[0].alignment = Alignment(wrap_text=wide, vertical="top")
    for name in ("level", "target", "confidence", "evidence", "na_reason"):
        sheet.cell(row=1, column=col[name]).fill = PatternFill("solid", fgColor="B2182B")  # the columns to fill in
    sheet.freeze_panes = f"{letter(col['item'] + 1)}2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

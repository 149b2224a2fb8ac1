"""Import assessments from CSV or Excel: validated first, all or nothing.

Two layouts are read:
- the export's tidy long layout (one row per assessment × item, with an `item_id` column), so an
  export imports back exactly;
- a simple wide layout people already keep: one row per unit and round, columns `system`, `place`,
  `round`, `date` and one column per item id holding a level (0-4 or its name), "don't know" or
  "n/a".

Every bad row is reported (row number as the spreadsheet shows it, column, value, what was expected)
and nothing is written if any row is bad.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlite_utils

from checklist import access, clock, local_items, store
from checklist.db import encode, insert_many, record_rows, reserve_ids, write_transaction
from checklist.exports import ACTION_SEPARATOR, unneutralise
from checklist.framework import (
    ENABLERS_MODULE,
    LEVEL_NAMES,
    LOCAL_PREFIX,
    WORKFORCE_MODULE,
    FrameworkError,
    current_framework,
    framework_for,
)
from checklist.scoring import DONT_KNOW, LEVEL, NOT_APPLICABLE

LONG_REQUIRED = ("system", "place", "round", "date", "item_id")
WIDE_REQUIRED = ("system", "place", "round", "date")
# Columns about the round, not an item. A file's signed_off_by is only ever a name someone typed: it
# comes in as part of the note at submission, said to be such, never as a sign-off.
ROUND_COLUMNS = ("participants", "submit_note", "signed_off_by", "signed_off_at")
FILE_SIGN_OFF_PREFIX = "Named as sign-off in an imported file (not a recorded sign-off): "
TRUE = {"true", "yes", "y", "1", "x"}
FALSE = {"false", "no", "n", "0", ""}
DONT_KNOW_WORDS = {"don't know", "dont know", "dont_know", "dk", "unknown", "?"}
NA_WORDS = {"n/a", "na", "not applicable", "not_applicable"}
SKIP, REPLACE = "skip", "replace"


class EmptyTable(store.StoreError):
    """A file that is a table but holds no rows below its header (each reader says what rows it expected)."""


class ImportRefused(store.StoreError):
    """A file that cannot be imported; `problems` lists every bad row."""

    def __init__(self, message: str, problems: list[Problem]):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"{where}, column '{self.column}': {self.value!r} — expected {self.expected}"


@dataclass
class PlannedAssessment:
    system: str
    place: str
    round_label: str
    assessment_date: str
    status: str
    framework_version: str
    participants: str = ""
    submit_note: str = ""  # a file's sign-off names arrive here, named as such: a file cannot sign off
    responses: dict[str, dict] = field(default_factory=dict)
    actions: list[dict] = field(default_factory=list)
    existing_id: int | None = None
    local_module_id: int | None = None  # the system's local items version its local answers belong to

    @property
    def unit(self) -> str:
        return f"{self.place} ({self.system})" if self.place else f"{self.system} (whole system)"


@dataclass
class ImportPlan:
    layout: str
    assessments: list[PlannedAssessment]
    new_systems: list[str]
    new_places: list[tuple[str, str]]

    @property
    def clashes(self) -> list[PlannedAssessment]:
        return [a for a in self.assessments if a.existing_id is not None]

    def preview(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "unit": a.unit,
                    "round": a.round_label,
                    "date": a.assessment_date,
                    "status": a.status,
                    "items": len(a.responses),
                    "actions": len(a.actions),
                    "already exists": "yes: skip or replace" if a.existing_id else "no: will be created",
                }
                for a in self.assessments
            ]
        )


# --- reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How big a file may be before it is even parsed (each from an environment variable, documented)."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_unzipped_bytes: int


LIMIT_VARS = {
    "max_bytes": ("CHECKLIST_MAX_UPLOAD_MB", 50, 1024 * 1024),
    "max_rows": ("CHECKLIST_MAX_ROWS", 500_000, 1),
    "max_columns": ("CHECKLIST_MAX_COLUMNS", 200, 1),
    "max_unzipped_bytes": ("CHECKLIST_MAX_UNZIPPED_MB", 200, 1024 * 1024),
}


def limits() -> Limits:
    values = {}
    for field_name, (var, default, unit) in LIMIT_VARS.items():
        raw = os.environ.get(var, str(default)).strip()
        if not raw.isdigit() or int(raw) == 0:
            raise store.StoreError(f"{var}={raw!r} is not a positive whole number")
        values[field_name] = int(raw) * unit
    return Limits(**values)


def _check_size(data: bytes, filename: str, name: str, bounds: Limits) -> None:
    """Refuse, before parsing, a file too big to be an assessment file or built to blow up when opened."""
    mb = 1024 * 1024
    if len(data) > bounds.max_bytes:
        raise store.StoreError(
            f"{filename} is {len(data) / mb:.1f} MB; the limit is {bounds.max_bytes // mb} MB "
            "(CHECKLIST_MAX_UPLOAD_MB). Split it, or import one system at a time."
        )
    if name.endswith((".xlsx", ".xlsm")):
        try:
            parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except zipfile.BadZipFile:
            raise store.StoreError(f"{filename}: could not be read (not an Excel .xlsx file)") from None
        unzipped = sum(part.file_size for part in parts)
        if len(parts) > 1000 or unzipped > bounds.max_unzipped_bytes:
            raise store.StoreError(
                f"{filename} would unpack to {unzipped / mb:.0f} MB in {len(parts)} parts; the limit is "
                f"{bounds.max_unzipped_bytes // mb} MB (CHECKLIST_MAX_UNZIPPED_MB). It may be damaged or built to "
                "exhaust the server; save it again from Excel, or export it as CSV."
            )
    elif name.endswith(".csv"):
        rows = data.count(b"\n")
        if rows > bounds.max_rows + 1:
            raise store.StoreError(
                f"{filename} has {rows:,} lines; the limit is {bounds.max_rows:,} rows (CHECKLIST_MAX_ROWS)"
            )
        first = data[: data.find(b"\n")] if b"\n" in data else data
        if b"\x00" in first:  # a header row never holds NUL (a value may): another kind of file, renamed, or UTF-16
            raise store.StoreError(
                f"{filename}: not UTF-8 text (it holds NUL bytes, so it is another kind of file or UTF-16); "
                "expected a CSV saved as UTF-8 (Excel: CSV UTF-8)"
            )
        try:
            columns = next(csv.reader([first.decode("utf-8-sig", errors="replace")]), [])
        except csv.Error:
            raise store.StoreError(
                f"{filename}: could not be read as CSV text; expected a .csv or .xlsx file"
            ) from None
        if len(columns) > bounds.max_columns:
            raise store.StoreError(
                f"{filename} has {len(columns):,} columns; the limit is {bounds.max_columns} "
                "(CHECKLIST_MAX_COLUMNS). An assessment file has one column per field or item."
            )


def read_table(data: bytes, filename: str, bounds: Limits | None = None) -> pd.DataFrame:
    """Every cell as trimmed text; blank rows and unnamed blank columns dropped; row numbers as shown.

    The file's size, rows, columns and (for .xlsx) unpacked size are checked before it is parsed.
    """
    name = filename.lower()
    bounds = bounds or limits()
    _check_size(data, filename, name, bounds)
    try:
        if name.endswith((".xlsx", ".xlsm")):
            book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
            sheet = "Responses" if "Responses" in book.sheet_names else book.sheet_names[0]
            frame = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False, header=None)
        elif name.endswith(".csv"):
            text = data.decode("utf-8-sig")
            frame = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, header=None, skip_blank_lines=False
            )
        else:
            raise store.StoreError(f"{filename}: unknown file type; expected a .csv or .xlsx file")
    except pd.errors.EmptyDataError:
        raise EmptyTable(f"{filename}: no rows found") from None
    except zipfile.BadZipFile:
        raise store.StoreError(f"{filename}: could not be read (not an Excel .xlsx file)") from None
    except UnicodeDecodeError:
        raise store.StoreError(f"{filename}: not UTF-8 text; save the CSV as UTF-8 (Excel: CSV UTF-8)") from None
    except (ValueError, KeyError, OSError, csv.Error) as exc:
        raise store.StoreError(
            f"{filename}: could not be read as a table ({exc}); expected a .csv or .xlsx file"
        ) from None
    # Trim, and undo the export's formula guard, so an exported file imports back exactly. Column by column
    # (a national file has two million cells); only cells starting with an apostrophe need the guard undone.
    frame = frame.fillna("").astype(str)
    for column in frame.columns:
        # Not newlines yet: in the action columns a leading blank line keeps a later action's owner or date
        # with that action (each line is one action); other columns lose them below.
        values = frame[column].str.strip(" \t\r")
        guarded = values.str.startswith("'")
        if guarded.any():
            values = values.where(~guarded, values[guarded].map(unneutralise))
        frame[column] = values
    frame.index = range(1, len(frame) + 1)  # spreadsheet row numbers
    frame = frame[(frame != "").any(axis=1)]
    if frame.empty:
        raise EmptyTable(f"{filename}: no rows found")
    header_row = frame.index[0]
    header = [h.strip().lower() for h in frame.loc[header_row]]
    body = frame.drop(index=header_row)
    body.columns = header
    body = body.loc[:, [h != "" for h in header]]  # stray blank columns
    for column in body.columns:
        if column not in ACTION_COLUMNS:
            body[column] = body[column].str.strip()
    if body.empty:
        raise EmptyTable(f"{filename}: has a header row but no data rows; expected one row per assessment")
    if len(body) > bounds.max_rows or len(body.columns) > bounds.max_columns:
        raise store.StoreError(
            f"{filename} has {len(body):,} rows and {len(body.columns)} columns; the limits are "
            f"{bounds.max_rows:,} rows and {bounds.max_columns} columns"
        )
    if body.columns.duplicated().any():
        dupes = sorted(set(body.columns[body.columns.duplicated()]))
        raise store.StoreError(f"{filename}: column(s) {', '.join(dupes)} appear more than once")
    return body


ACTION_COLUMNS = ("action", "owner", "due_date", "action_status", "action_target")  # one line per action

_LEVEL_WORDS = {
    word: value
    for value, name in enumerate(LEVEL_NAMES)
    for word in (str(value), f"{value}.0", name.lower(), f"{value} · {name.lower()}", f"{value} - {name.lower()}")
}


def _level(text: str) -> int | None | str:
    """A level from '2', '2.0', 'Developing' or '2 · Developing'; 'bad' if it is none of these."""
    if text == "":
        return None
    lowered = text.lower()
    if lowered in _LEVEL_WORDS:  # the usual spellings, looked up at once
        return _LEVEL_WORDS[lowered]
    try:
        number = float(text)
    except ValueError:
        return "bad"
    return int(number) if number.is_integer() and 0 <= number <= 4 else "bad"


def _flag(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in TRUE else False if lowered in FALSE else None


# --- validating and planning --------------------------------------------------------------------------


def _note_of(row: Mapping[str, Any]) -> str:
    """The round's note at submission from a file's row: its note, then any sign-off name it gave."""
    note = str(row.get("submit_note") or "").strip()
    named = str(row.get("signed_off_by") or "").strip()
    if named:
        note = "\n".join(part for part in (note, FILE_SIGN_OFF_PREFIX + named) if part)
    return note


def plan_import(db: sqlite_utils.Database, frame: pd.DataFrame, create_missing: bool = False) -> ImportPlan:
    """Validate every row and build the plan; raises ImportRefused listing every problem, writing nothing."""
    layout = "long" if "item_id" in frame.columns else "wide"
    required = LONG_REQUIRED if layout == "long" else WIDE_REQUIRED
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ImportRefused(
            f"missing column(s) {', '.join(missing)}",
            [
                Problem(
                    None,
                    c,
                    "",
                    f"a column named {c} (the export's layout, or system/place/round/date plus one column per item id)",
                )
                for c in missing
            ],
        )
    problems: list[Problem] = []
    known = store.list_systems(db, include_archived=True)
    systems = {n.lower(): int(i) for i, n in zip(known["id"], known["name"], strict=True)}
    # Every place and round already held, read once: a national file names thousands of rounds.
    # (Lower-cased in Python, not SQL: SQLite's lower() leaves non-ASCII letters alone.)
    place_names: dict[int, set[str]] = {}
    for system_id, place in db.execute("SELECT system_id, name FROM places").fetchall():
        place_names.setdefault(system_id, set()).add(place.lower())
    held = {
        (system_id, (place or "").lower(), label.lower()): aid
        for aid, system_id, place, label in db.execute(
            "SELECT a.id, a.system_id, p.name, a.round_label FROM assessments a LEFT JOIN places p ON p.id = a.place_id"
        ).fetchall()
    }
    # Each system's newest local items (a file's local answers go to a new round with them), read once.
    local_latest: dict[int, tuple[int, tuple[str, ...]]] = {}
    for local_id, system_id, items in db.execute(
        "SELECT id, system_id, items FROM local_modules ORDER BY system_id, version"
    ).fetchall():
        local_latest[int(system_id)] = (int(local_id), tuple(i.id for i in local_items.from_json("", "", items).items))
    plans: dict[tuple[str, str, str], PlannedAssessment] = {}
    seen_items: dict[tuple[str, str, str, str], int] = {}
    new_systems: set[str] = set()
    new_places: set[tuple[str, str]] = set()

    def unit_plan(row_no: int, row: Mapping[str, str]) -> PlannedAssessment | None:
        system, place, label = row["system"], row["place"], row["round"]
        ok = True
        if not system:
            problems.append(Problem(row_no, "system", system, "the name of a system"))
            ok = False
        elif system.lower() not in systems:
            if create_missing:
                new_systems.add(system)
            else:
                problems.append(Problem(row_no, "system", system, "a system that exists (add it on Manage first)"))
                ok = False
        if place and system.lower() in systems:
            if place.lower() not in place_names.get(systems[system.lower()], set()):
                if create_missing:
                    new_places.add((system, place))
                else:
                    problems.append(
                        Problem(row_no, "place", place, f"a place of {system} (or empty for the whole system)")
                    )
                    ok = False
        elif place and create_missing:
            new_places.add((system, place))
        if not label:
            problems.append(Problem(row_no, "round", label, "a round label such as 2026 Q1"))
            ok = False
        try:
            when = date.fromisoformat(row["date"]).isoformat()
        except ValueError:
            problems.append(Problem(row_no, "date", row["date"], "a date as YYYY-MM-DD"))
            ok = False
            when = ""
        # No status column (a sheet people keep): a draft, to be finished and submitted in the app.
        status = (row.get("status") or store.DRAFT).lower()
        if status not in (store.DRAFT, store.SUBMITTED):
            problems.append(Problem(row_no, "status", row.get("status", ""), "draft or submitted"))
            ok = False
        version = row.get("framework_version") or current_framework().version
        try:
            framework_for(version)
        except FrameworkError:
            problems.append(Problem(row_no, "framework_version", version, "a framework version this app knows"))
            ok = False
        if not ok:
            return None
        key = (system.lower(), place.lower(), label.lower())
        if key not in plans:
            plans[key] = PlannedAssessment(
                system, place, label, when, status, version, row.get("participants", ""), _note_of(row)
            )
        return plans[key]

    def add_answer(row_no: int, plan: PlannedAssessment, item_id: str, fields: dict, column: str) -> None:
        fw = framework_for(plan.framework_version)
        if item_id.startswith(LOCAL_PREFIX):
            local_id, ids = local_latest.get(systems.get(plan.system.lower(), 0), (None, ()))
            if item_id not in ids:
                held_ids = ", ".join(ids) if ids else "it has none yet: publish them on Manage first"
                problems.append(
                    Problem(row_no, column, item_id, f"an item of {plan.system}'s local items ({held_ids})")
                )
                return
            plan.local_module_id = local_id
        elif not fw.has_item(item_id):
            problems.append(
                Problem(
                    row_no,
                    column,
                    item_id,
                    f"an item id of framework {fw.version} (e.g. {', '.join(i.id for i in fw.items[:3])})",
                )
            )
            return
        key = (plan.system.lower(), plan.place.lower(), plan.round_label.lower(), item_id)
        if key in seen_items:
            problems.append(
                Problem(row_no, column, item_id, f"one row per item (row {seen_items[key]} has it already)")
            )
            return
        seen_items[key] = row_no
        plan.responses[item_id] = fields

    # Plain dicts, not pandas rows: reading a cell of a pandas row costs more than everything else done with it.
    columns = list(frame.columns)
    cells = [frame[c].tolist() for c in columns]
    records = (dict(zip(columns, values, strict=True)) for values in zip(*cells, strict=True))
    for row_no, row in zip(frame.index, records, strict=True):
        plan = unit_plan(row_no, row)
        if plan is None:
            # Still check the rest of the row, so every problem in it is reported at once.
            if layout == "long":
                _long_fields(row_no, row, problems)
                _actions(row_no, row, row["item_id"], problems)
            else:
                for column in frame.columns:
                    if column not in (*WIDE_REQUIRED, "status", "framework_version", *ROUND_COLUMNS):
                        _wide_fields(row_no, column, row[column], problems)
            continue
        if layout == "long":
            fields = _long_fields(row_no, row, problems)
            if fields is not None:
                add_answer(row_no, plan, row["item_id"], fields, "item_id")
                plan.actions += _actions(row_no, row, row["item_id"], problems)
        else:
            for column in frame.columns:
                if column in WIDE_REQUIRED or column in ("status", "framework_version", *ROUND_COLUMNS):
                    continue
                fields = _wide_fields(row_no, column, row[column], problems)
                if fields is not None:
                    add_answer(row_no, plan, column, fields, column)

    local_versions = store.local_modules.modules_by_id(db, (p.local_module_id for p in plans.values()))
    for plan in plans.values():
        fw = local_items.with_local(plan.framework_version, local_versions.get(plan.local_module_id or 0))
        if plan.status == store.SUBMITTED:
            workforce, enablers = _modules_answered(fw, plan.responses)
            in_scope = fw.items_for(workforce, enablers)
            gaps = [i.id for i in in_scope if (plan.responses.get(i.id) or {}).get("answer") is None]
            if gaps:
                problems.append(
                    Problem(
                        None,
                        "status",
                        "submitted",
                        f"every item answered for {plan.unit} · "
                        f"{plan.round_label} (unanswered: {', '.join(gaps[:5])}{'…' if len(gaps) > 5 else ''})",
                    )
                )
        system_id = systems.get(plan.system.lower())
        plan.existing_id = (
            None if system_id is None else held.get((system_id, plan.place.lower(), plan.round_label.lower()))
        )
    if problems:
        unknown_units = any(p.column in ("system", "place") and p.expected.startswith("a ") for p in problems)
        hint = (
            "; systems and places not yet known can be created with the create-missing option"
            if (unknown_units and not create_missing)
            else ""
        )
        raise ImportRefused(f"{len(problems)} problem(s) found; nothing was imported{hint}", problems)
    return ImportPlan(layout, list(plans.values()), sorted(new_systems), sorted(new_places))


def _modules_answered(fw, responses: Mapping[str, Any]) -> tuple[bool, bool]:  # noqa: ANN001
    """Which optional modules a planned round covers (workforce, enablers): those any of its answers belong to."""
    modules = {fw.domain(fw.item(i).domain).module for i in responses}
    return WORKFORCE_MODULE in modules, ENABLERS_MODULE in modules


def _long_fields(row_no: int, row: Mapping[str, str], problems: list[Problem]) -> dict | None:
    bad = False
    level_text = row.get("level", "")
    # The template's drop-down offers "Don't know" and "Not applicable" in the level column itself.
    if level_text.lower() in DONT_KNOW_WORDS:
        row = {**row, "level": "", "dont_know": "true"}
    elif level_text.lower() in NA_WORDS:
        row = {**row, "level": "", "not_applicable": "true"}
    level = _level(row.get("level", "")) if row.get("level", "") else _level(row.get("level_name", ""))
    if level == "bad":
        problems.append(Problem(row_no, "level", row.get("level", ""), "a level 0-4 or its name, or empty"))
        bad = True
    flags = {}
    for column in ("dont_know", "not_applicable"):
        flags[column] = _flag(row.get(column, ""))
        if flags[column] is None:
            problems.append(Problem(row_no, column, row.get(column, ""), "true or false (or empty)"))
            bad = True
    target = _level(row.get("target", ""))
    if target == "bad":
        problems.append(Problem(row_no, "target", row.get("target", ""), "a level 0-4 or its name, or empty"))
        bad = True
    confidence = row.get("confidence", "").lower() or None
    if confidence is not None and confidence not in store.CONFIDENCE_LEVELS:
        problems.append(Problem(row_no, "confidence", row.get("confidence", ""), "asserted, documented or verified"))
        bad = True
    if bad:
        return None
    if sum([level is not None, bool(flags["dont_know"]), bool(flags["not_applicable"])]) > 1:
        problems.append(
            Problem(row_no, "level", row.get("level", ""), "only one of a level, don't know or not applicable")
        )
        return None
    answer = (
        LEVEL
        if level is not None
        else DONT_KNOW
        if flags["dont_know"]
        else NOT_APPLICABLE
        if flags["not_applicable"]
        else None
    )
    return {
        "answer": answer,
        "level": level,
        "na_reason": row.get("na_reason", ""),
        "evidence": row.get("evidence", ""),
        "evidence_links": row.get("evidence_links", ""),
        "confidence": confidence,
        "target_level": target,
    }


def _wide_fields(row_no: int, column: str, text: str, problems: list[Problem]) -> dict | None:
    if text == "":
        return None
    lowered = text.lower()
    if lowered in DONT_KNOW_WORDS:
        return {"answer": DONT_KNOW}
    if lowered in NA_WORDS:
        return {"answer": NOT_APPLICABLE}
    level = _level(text)
    if level == "bad":
        problems.append(Problem(row_no, column, text, 'a level 0-4 or its name, "don\'t know" or "n/a"'))
        return None
    return {"answer": LEVEL, "level": level}


def _actions(row_no: int, row: Mapping[str, str], item_id: str, problems: list[Problem]) -> list[dict]:
    if not row.get("action", ""):
        return []
    split = {c: row.get(c, "").split(ACTION_SEPARATOR) for c in ACTION_COLUMNS}
    out = []
    for n, description in enumerate(split["action"]):
        if not description.strip():  # a blank line: no action here (its position still pairs the other columns)
            continue

        def part(column: str, n: int = n) -> str:
            values = split[column]
            return values[n].strip() if n < len(values) else ""

        due, status, aim = part("due_date"), part("action_status") or "not started", _level(part("action_target"))
        if due:
            try:
                date.fromisoformat(due)
            except ValueError:
                problems.append(Problem(row_no, "due_date", due, "a date as YYYY-MM-DD, or empty"))
                continue
        if status not in store.ACTION_STATUSES:
            problems.append(Problem(row_no, "action_status", status, ", ".join(store.ACTION_STATUSES)))
            continue
        if aim == "bad":
            problems.append(Problem(row_no, "action_target", part("action_target"), "a level 0-4, or empty"))
            continue
        out.append(
            {
                "item_id": item_id,
                "description": description.strip(),
                "owner": part("owner"),
                "due_date": due or None,
                "status": status,
                "target_level": aim,
            }
        )
    return out


# --- applying -----------------------------------------------------------------------------------------------


def apply_plan(
    db: sqlite_utils.Database,
    plan: ImportPlan,
    actor: str,
    on_existing: str = SKIP,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the plan in one transaction. Existing rounds are skipped, or replaced keeping the old answers in
    history. Returns counts of created, replaced and skipped assessments.

    `progress(done, total)` is called about a hundred times along the way, and once at the end."""
    if on_existing not in (SKIP, REPLACE):
        raise store.StoreError(f"on_existing {on_existing!r} must be {SKIP!r} or {REPLACE!r}")
    counts = {"created": 0, "replaced": 0, "skipped": 0}
    local_versions: dict[int, local_items.LocalModule] = {}
    with write_transaction(db):
        units = _Units(db, actor)
        allowed: dict = {}  # units the actor was checked for once: one check per unit, not per round
        pending = _Pending(db)
        total = len(plan.assessments)
        every = max(1, total // 100)
        for done, planned in enumerate(plan.assessments):
            if progress is not None and done % every == 0:
                progress(done, total)
            if planned.existing_id is not None and on_existing == SKIP:
                counts["skipped"] += 1
                continue
            system_id = units.system(planned.system)
            place_id = units.place(system_id, planned.place) if planned.place else None
            if planned.local_module_id and planned.local_module_id not in local_versions:
                local_versions |= store.local_modules.modules_by_id(db, [planned.local_module_id])
            fw = local_items.with_local(planned.framework_version, local_versions.get(planned.local_module_id or 0))
            workforce, enablers = _modules_answered(fw, planned.responses)
            if planned.existing_id is None:
                _add_round_in_bulk(db, actor, system_id, place_id, planned, fw, workforce, enablers, allowed, pending)
                counts["created"] += 1
                continue
            else:
                pending.flush()  # rounds added so far are written before one is replaced item by item
                aid = planned.existing_id
                if store.get_assessment(db, aid)["status"] == store.SUBMITTED:
                    store.reopen_assessment(db, aid, actor, "replaced by an import")
                store.update_assessment_details(
                    db, aid, actor, assessment_date=planned.assessment_date, participants=planned.participants
                )
                for action in store.list_actions(db, aid).itertuples():
                    store.set_action_deleted(db, int(action.id), True, actor)
                counts["replaced"] += 1
            existing = store.get_assessment(db, aid)
            in_scope = {i.id for i in store.framework_of(existing).items_of(existing)}
            if outside := sorted(set(planned.responses) - in_scope):
                raise store.StoreError(
                    f"{planned.unit} · {planned.round_label} does not include item(s) {', '.join(outside)} (a round "
                    "keeps the local items it started with); nothing was imported"
                )
            for item_id in in_scope:
                fields = dict(store.EMPTY_RESPONSE)
                fields.update(planned.responses.get(item_id, {}))
                if fields["answer"] != LEVEL:
                    fields["level"] = None
                store.save_response(db, aid, item_id, actor, **fields)
            for action in planned.actions:
                store.add_action(
                    db,
                    aid,
                    action["item_id"],
                    actor,
                    action["description"],
                    **{k: v for k, v in action.items() if k not in ("item_id", "description")},
                )
            if planned.submit_note:
                store.update_assessment_details(db, aid, actor, submit_note=planned.submit_note)
            if planned.status == store.SUBMITTED:
                store.submit_assessment(db, aid, actor)
        pending.flush()
    if progress is not None:
        progress(total, total)
    return counts


def _add_round_in_bulk(
    db: sqlite_utils.Database, actor: str, system_id: int, place_id: int | None, planned: PlannedAssessment,
    fw, workforce: bool, enablers: bool, allowed: dict, pending: _Pending,  # noqa: ANN001
) -> int:  # fmt: skip
    """A new round with its answers, actions and submission (the bulk path of an import).

    The same checks and the same history rows as answering item by item; the round, its answers, actions and
    history rows join `pending`, written in bulk with other rounds' (insert_many): a national file imports in
    seconds, not minutes. The caller flushes `pending` before its transaction ends.
    """
    name = allowed.get((system_id, place_id))
    if name is None:
        name = store.authorise(
            db, actor, access.EDIT, system_id=system_id, place_id=place_id, what="import rounds here"
        )
        allowed[(system_id, place_id)] = name
    now = clock.iso_now()
    label = store.clean_name(planned.round_label, "round")
    answers = []
    unanswered = []  # the completeness check a submission needs, from the rows about to be written
    for item in fw.items_for(workforce, enablers):
        fields = dict(store.EMPTY_RESPONSE)
        fields.update(planned.responses.get(item.id, {}))
        if fields["answer"] != LEVEL:
            fields["level"] = None
        clean = {**store.EMPTY_RESPONSE, **store.clean_response(fields)}
        if clean["answer"] is None:
            unanswered.append(f"{item.title}: not answered")
        elif clean["answer"] == NOT_APPLICABLE and not clean["na_reason"]:
            unanswered.append(f"{item.title}: marked not applicable without a reason")
        changed = [k for k in store.RESPONSE_FIELDS if clean[k] != store.EMPTY_RESPONSE[k]]
        if changed:
            answers.append((item.id, clean, changed))
    submitted = planned.status == store.SUBMITTED
    if submitted and unanswered:  # the same rule as store.completeness_problems, applied to the answers above
        raise store.IncompleteError(
            f"{planned.system} {planned.place} {label}: {len(unanswered)} item(s) need an answer before it can "
            "come in as submitted", unanswered)  # fmt: skip
    note = store.clean_note(planned.submit_note)
    # The round goes in as it ends up (submitted, with its note), the history rows as if in steps.
    aid = pending.next_id("assessments")
    pending.add("assessments", {
        "id": aid, "system_id": system_id, "place_id": place_id, "round_label": label,
        "assessment_date": store.parse_date(planned.assessment_date), "framework_version": fw.version,
        "local_module_id": planned.local_module_id,
        "include_workforce": int(bool(workforce)), "include_enablers": int(bool(enablers)),
        "status": store.SUBMITTED if submitted else store.DRAFT, "participants": (planned.participants or "").strip(),
        "signed_off_by": "", "created_at": now, "created_by": name, "updated_at": now, "submit_note": note or "",
        "submitted_at": now if submitted else None, "submitted_by": name if submitted else None,
    })  # fmt: skip
    history: list[tuple] = [(now, name, "assessment", str(aid), aid, None, "created", None, encode(label))]
    for item_id, clean, changed in answers:
        answer = {"assessment_id": aid, "item_id": item_id, **{k: clean[k] for k in store.RESPONSE_FIELDS}}
        pending.add("responses", {**answer, "updated_at": now, "updated_by": name})
        history += [(now, name, "response", f"{aid}:{item_id}", aid, item_id, k,
                     encode(store.EMPTY_RESPONSE[k]), encode(clean[k])) for k in changed]  # fmt: skip
    for action in planned.actions:
        clean = store.clean_action({k: v for k, v in action.items() if k != "item_id"})
        clean = {"status": "not started", **clean}
        action_id = pending.next_id("actions")
        pending.add("actions", {"id": action_id, "assessment_id": aid, "item_id": action["item_id"], **clean,
                                "created_at": now, "created_by": name, "updated_at": now})  # fmt: skip
        history.append((now, name, "action", str(action_id), aid, action["item_id"], "created", None,
                        encode({k: v for k, v in clean.items() if k in store.ACTION_FIELDS})))  # fmt: skip
    if note:
        history.append((now, name, "assessment", str(aid), aid, None, "submit_note", encode(""),
                        encode(note)))  # fmt: skip
    if submitted:
        history.append((now, name, "assessment", str(aid), aid, None, "status", encode(store.DRAFT),
                        encode(store.SUBMITTED)))  # fmt: skip
    pending.history += history
    pending.flush_if_full()
    return aid


class _Pending:
    """The rounds an import has added so far, with their answers, actions and history rows, written together every
    so many rows (one COPY per table on PostgreSQL, rather than a few statements per round). Their ids are
    reserved first (`reserve_ids`), so history rows can name them before they are written."""

    FULL = 50_000  # history rows held before writing: bounded memory, and still few exchanges for a national file
    IDS = 1000  # ids reserved at a time
    TABLES = ("assessments", "responses", "actions")  # in this order, so every row's parent is there before it

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.rows: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}  # (table, columns) -> rows
        self.history: list[tuple] = []
        self._free: dict[str, list[int]] = {}
        self._last: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        free = self._free.setdefault(table, [])
        if not free:
            free += reversed(reserve_ids(self.db, table, self.IDS, self._last.get(table, 0)))
        self._last[table] = max(self._last.get(table, 0), free[-1])
        return free.pop()

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault((table, tuple(row)), []).append(tuple(row.values()))

    def flush_if_full(self) -> None:
        if len(self.history) >= self.FULL:
            self.flush()

    def flush(self) -> None:
        for table in self.TABLES:
            for (name, columns), rows in self.rows.items():
                if name == table:
                    insert_many(self.db, table, columns, rows)
        record_rows(self.db, self.history)
        self.rows, self.history = {}, []
        self._free, self._last = {}, {}  # ids not used are let go: a save between flushes may take the next ones


class _Units:
    """Systems and places by name (any case), read once per import; those not held yet are created once."""

    def __init__(self, db: sqlite_utils.Database, actor: str) -> None:
        self.db, self.actor = db, actor
        self.systems = {n.lower(): i for i, n in db.execute("SELECT id, name FROM systems").fetchall()}
        self.places = {(s, n.lower()): i for i, s, n in db.execute("SELECT id, system_id, name FROM places").fetchall()}

    def system(self, name: str) -> int:
        if name.lower() not in self.systems:
            self.systems[name.lower()] = store.create_system(self.db, name, self.actor)
        return self.systems[name.lower()]

    def place(self, system_id: int, name: str) -> int:
        if (system_id, name.lower()) not in self.places:
            self.places[(system_id, name.lower())] = store.create_place(self.db, system_id, name, self.actor)
        return self.places[(system_id, name.lower())]


def import_bytes(
    db: sqlite_utils.Database,
    data: bytes,
    filename: str,
    actor: str,
    on_existing: str = SKIP,
    create_missing: bool = False,
) -> dict[str, int]:
    """Read, validate and apply a file in one go (the CLI's path)."""
    plan = plan_import(db, read_table(data, filename), create_missing=create_missing)
    return apply_plan(db, plan, actor, on_existing)

"""Files people download: every text cell neutralised against spreadsheet formula injection."""

from __future__ import annotations

import io
import re

import pandas as pd

from checklist import store
from checklist.framework import LEVEL_NAMES, framework_for
from checklist.scoring import DONT_KNOW, NOT_APPLICABLE

# A spreadsheet treats a cell starting with these as a formula (tab and carriage return too).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads accents), formula-safe."""
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    return neutralise_frame(frame).to_csv(index=keep_index).encode("utf-8-sig")


# --- the tidy long export -------------------------------------------------------------------------

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
    "signed_off_by",
)
ACTION_SEPARATOR = "\n"  # several actions on one item: one line each, in the same order in each column


def _placeholders(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


def assessment_ids(
    db, system_id: int | None = None, place_id: int | None = None, assessment_id: int | None = None
) -> list[int]:  # noqa: ANN001
    """The assessments in an export's scope: one assessment, one unit's history, one system, or all."""
    if assessment_id is not None:
        store.get_assessment(db, assessment_id)
        return [assessment_id]
    frame = store.list_assessments(db, system_id=system_id, place_id=place_id)
    return [int(i) for i in frame["id"]]


def export_frame(db, ids: list[int]) -> pd.DataFrame:  # noqa: ANN001
    """One row per assessment × item in scope, in the columns documented in the README."""
    rows = []
    if not ids:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    saved = {}
    cursor = db.execute(f"SELECT * FROM responses WHERE assessment_id IN ({_placeholders(ids)})", ids)
    columns = [c[0] for c in cursor.description]
    for row in cursor.fetchall():
        record = dict(zip(columns, row, strict=True))
        saved[(record["assessment_id"], record["item_id"])] = record
    actions: dict[tuple[int, str], list[dict]] = {}
    cursor = db.execute(
        f"SELECT * FROM actions WHERE assessment_id IN ({_placeholders(ids)}) AND deleted_at IS NULL ORDER BY id", ids
    )
    columns = [c[0] for c in cursor.description]
    for row in cursor.fetchall():
        record = dict(zip(columns, row, strict=True))
        actions.setdefault((record["assessment_id"], record["item_id"]), []).append(record)
    for aid in ids:
        a = store.get_assessment(db, aid)
        fw = framework_for(a["framework_version"])
        for item in fw.items_for(a["include_workforce"]):
            r = saved.get((aid, item.id)) or {}
            acts = actions.get((aid, item.id), [])
            level = r.get("level")
            rows.append(
                {
                    "system": a["system_name"],
                    "place": a["place_name"] or "",
                    "round": a["round_label"],
                    "date": a["assessment_date"],
                    "status": a["status"],
                    "framework_version": a["framework_version"],
                    "item_id": item.id,
                    "domain": fw.domain(item.domain).title,
                    "level": level,
                    "level_name": LEVEL_NAMES[level] if level is not None else "",
                    "dont_know": r.get("answer") == DONT_KNOW,
                    "not_applicable": r.get("answer") == NOT_APPLICABLE,
                    "na_reason": r.get("na_reason") or "",
                    "target": r.get("target_level"),
                    "evidence": r.get("evidence") or "",
                    "evidence_links": r.get("evidence_links") or "",
                    "confidence": r.get("confidence") or "",
                    "action": ACTION_SEPARATOR.join(x["description"] for x in acts),
                    "owner": ACTION_SEPARATOR.join(x["owner"] for x in acts),
                    "due_date": ACTION_SEPARATOR.join(x["due_date"] or "" for x in acts),
                    "action_status": ACTION_SEPARATOR.join(x["status"] for x in acts),
                    "action_target": ACTION_SEPARATOR.join(
                        "" if x["target_level"] is None else str(x["target_level"]) for x in acts
                    ),
                    "participants": a["participants"],
                    "signed_off_by": a["signed_off_by"],
                }
            )
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS)
    for column in ("level", "target"):
        frame[column] = frame[column].astype("Int64")
    return frame


def scores_frame(db, ids: list[int]) -> pd.DataFrame:  # noqa: ANN001
    """One row per assessment × domain, plus an 'Overall' row each: score and band."""
    rows = []
    for aid in ids:
        a = store.get_assessment(db, aid)
        fw = framework_for(a["framework_version"])
        result = store.score(db, aid)
        unit = {
            "system": a["system_name"],
            "place": a["place_name"] or "",
            "round": a["round_label"],
            "date": a["assessment_date"],
            "status": a["status"],
        }
        for d in result.domains:
            rows.append(
                {
                    **unit,
                    "domain": fw.domain(d.domain_id).title,
                    "score": d.score,
                    "band": d.band or "",
                    "answered": d.answered,
                    "items": d.total,
                    "dont_know": d.dont_know,
                }
            )
        rows.append(
            {
                **unit,
                "domain": "Overall",
                "score": result.overall,
                "band": result.band or "",
                "answered": result.answered,
                "items": result.total,
                "dont_know": result.dont_know,
            }
        )
    return pd.DataFrame(rows)


def actions_frame(db, ids: list[int]) -> pd.DataFrame:  # noqa: ANN001
    rows = []
    for aid in ids:
        a = store.get_assessment(db, aid)
        fw = framework_for(a["framework_version"])
        for act in store.list_actions(db, aid).itertuples():
            rows.append(
                {
                    "system": a["system_name"],
                    "place": a["place_name"] or "",
                    "round": a["round_label"],
                    "item_id": act.item_id,
                    "item": fw.item(act.item_id).title,
                    "action": act.description,
                    "owner": act.owner,
                    "due_date": act.due_date or "",
                    "status": act.status,
                    "aims_for": "" if pd.isna(act.target_level) else LEVEL_NAMES[int(act.target_level)],
                }
            )
    return pd.DataFrame(
        rows,
        columns=["system", "place", "round", "item_id", "item", "action", "owner", "due_date", "status", "aims_for"],
    )


NOTE_COLUMNS = ["system", "place", "round", "workshop", "item_id", "item", "kind", "text", "written_at", "written_by"]
VOTE_COLUMNS = ["system", "place", "round", "workshop", "kind", "participant", "sector", "item_id", "item", "answer",
                "cast_at"]  # fmt: skip


def notes_frame(db, ids: list[int]) -> pd.DataFrame:  # noqa: ANN001
    """Workshop notes, quotes and parking-lot entries of these assessments (removed ones left out)."""
    from checklist import workshops

    rows = []
    for aid in ids:
        a = store.get_assessment(db, aid)
        fw = framework_for(a["framework_version"])
        codes = dict(zip(*workshops.list_workshops(db, aid)[["id", "code"]].T.values, strict=True))
        for note in workshops.list_notes(db, aid).itertuples():
            item_id = note.item_id if isinstance(note.item_id, str) else ""
            rows.append(
                {
                    "system": a["system_name"],
                    "place": a["place_name"] or "",
                    "round": a["round_label"],
                    "workshop": codes.get(note.workshop_id, "") if not pd.isna(note.workshop_id) else "",
                    "item_id": item_id,
                    "item": fw.item(item_id).title if item_id else "",
                    "kind": workshops.NOTE_KINDS[note.kind],
                    "text": note.text,
                    "written_at": note.created_at[:16].replace("T", " "),
                    "written_by": note.created_by,
                }
            )
    return pd.DataFrame(rows, columns=NOTE_COLUMNS)


def votes_frame(db, ids: list[int]) -> pd.DataFrame:  # noqa: ANN001
    """Every workshop vote on these assessments, by participant number and sector (names are not exported)."""
    from checklist import workshops
    from checklist.consensus import SECTORS, answer_label

    rows = []
    for aid in ids:
        a = store.get_assessment(db, aid)
        fw = framework_for(a["framework_version"])
        for w in workshops.list_workshops(db, aid).iloc[::-1].itertuples():
            cursor = db.execute(
                """SELECT p.id, p.sector, v.item_id, v.level, v.cast_at FROM votes v
                   JOIN participants p ON p.id = v.participant_id WHERE v.workshop_id = ? ORDER BY p.id, v.item_id""",
                [int(w.id)],
            )
            numbers: dict[int, int] = {}
            position = {item.id: n for n, item in enumerate(fw.items)}
            votes = sorted(cursor.fetchall(), key=lambda v: (v[0], position.get(v[2], len(position))))
            for participant_id, sector, item_id, level, cast_at in votes:
                number = numbers.setdefault(participant_id, len(numbers) + 1)
                rows.append(
                    {
                        "system": a["system_name"],
                        "place": a["place_name"] or "",
                        "round": a["round_label"],
                        "workshop": w.code,
                        "kind": "live" if w.mode == workshops.LIVE else "beforehand",
                        "participant": number,
                        "sector": SECTORS[sector],
                        "item_id": item_id,
                        "item": fw.item(item_id).title,
                        "answer": answer_label(level),
                        "cast_at": cast_at[:16].replace("T", " "),
                    }
                )
    return pd.DataFrame(rows, columns=VOTE_COLUMNS)


# Characters a spreadsheet cell cannot hold (XML 1.0 forbids them): text pasted from word processors has them.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def spreadsheet_text(value: object) -> tuple[object, int]:
    """A cell value with characters Excel cannot hold replaced by \ufffd, and how many were replaced."""
    if isinstance(value, str):
        cleaned, count = _ILLEGAL.subn(REPLACEMENT, value)
        return cleaned, count
    return value, 0


def _write_sheet(sheet, frame: pd.DataFrame) -> int:  # noqa: ANN001
    """Write one frame as a styled sheet; returns how many characters had to be replaced."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    safe = neutralise_frame(frame)
    sheet.append(list(safe.columns))
    replaced = 0
    for row in safe.itertuples(index=False):
        cells = []
        for v in row:
            v, count = spreadsheet_text(None if (v is pd.NA or (isinstance(v, float) and pd.isna(v))) else v)
            replaced += count
            cells.append(v)
        sheet.append(cells)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F5F99")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(safe.columns, start=1):
        longest = max([len(str(column)), *(len(str(v)) for v in safe[column].head(500) if v is not None)])
        sheet.column_dimensions[get_column_letter(n)].width = min(60, max(10, longest + 2))
    return replaced


def xlsx_bytes(db, ids: list[int]) -> bytes:  # noqa: ANN001
    """An Excel workbook: responses, domain and overall scores, actions, and (when there are any) workshop
    notes and votes; headers styled and frozen."""
    from openpyxl import Workbook

    book = Workbook()
    sheets = [
        ("Responses", export_frame(db, ids)),
        ("Scores", scores_frame(db, ids)),
        ("Actions", actions_frame(db, ids)),
    ]
    notes, votes = notes_frame(db, ids), votes_frame(db, ids)
    if not notes.empty:
        sheets.append(("Workshop notes", notes))
    if not votes.empty:
        sheets.append(("Workshop votes", votes))
    replaced = 0
    for n, (title, frame) in enumerate(sheets):
        sheet = book.active if n == 0 else book.create_sheet()
        sheet.title = title
        replaced += _write_sheet(sheet, frame)
    if replaced:
        # Said in the file itself, so nobody mistakes the replacement marks for the original text.
        note = book.create_sheet("About this file")
        note.append([f"{replaced} control character(s) in the text (often pasted from a word processor) cannot be "
                     f"stored in a spreadsheet and were replaced with {REPLACEMENT}. The app keeps the text as typed; "
                     "the CSV export carries it unchanged."])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- a blank template to fill offline ------------------------------------------------------------------

TEMPLATE_ANSWERS = (*(f"{v} · {n}" for v, n in enumerate(LEVEL_NAMES)), "Don't know", "Not applicable")


def template_xlsx(
    framework, system: str, place: str, round_label: str, assessment_date: str, include_workforce: bool = False
) -> bytes:  # noqa: ANN001
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
        *(f"{v} · {n}" for v, n in enumerate(LEVEL_NAMES)),
        "level",
        "na_reason",
        "evidence",
        "confidence",
        "target",
    ]
    sheet.append(columns)
    for item in framework.items_for(include_workforce):
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
                *item.levels,
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
        wide = name in ("what good looks like", "evidence") or name[:1].isdigit()
        sheet.column_dimensions[letter(n)].width = 45 if wide else 16
        for row in sheet.iter_rows(min_row=2, min_col=n, max_col=n):
            row[0].alignment = Alignment(wrap_text=wide, vertical="top")
    for name in ("level", "target", "confidence", "evidence", "na_reason"):
        sheet.cell(row=1, column=col[name]).fill = PatternFill("solid", fgColor="B2182B")  # the columns to fill in
    sheet.freeze_panes = f"{letter(col['item'] + 1)}2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

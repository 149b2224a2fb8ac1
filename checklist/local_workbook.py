"""A system's local items as a workbook: the template the app provides (with the items so far, if any) and reading a
filled-in one back. Each row is one item, in the columns of local_items.FIELDS; a second sheet says how to fill it in.
Reading applies the uploads' limits (size, unpacked size, rows) before parsing and undoes the formula guard, as the
assessment import does; the rows are then checked by local_items.validate, which names each row's problems."""

from __future__ import annotations

import dataclasses
import io

from checklist import exports, imports, local_items
from checklist.framework import LEVEL_NAMES
from checklist.local_items import FIELD_KEYS, FIELDS, LocalModule

SHEET = "Local items"
MAX_BYTES = 5 * 1024 * 1024  # a template of 40 items is tens of kilobytes
ID_COLUMN = "Item id (leave blank for a new item)"
HEADERS = (ID_COLUMN, *(words + ("" if required else " (optional)") for _, words, required in FIELDS))
GUIDE = (
    "How to fill in this workbook",
    "",
    "One row is one item. Write it as the national items are written: a title, what good looks like, and what the "
    "area looks like at each of the five levels, from 0 · Not started to 4 · Thriving, each level asking for more "
    "than the one before.",
    "Levels: " + "; ".join(f"{v} · {n}" for v, n in enumerate(LEVEL_NAMES)) + ".",
    "Evidence prompt: what a reviewer would look at to check the level.",
    "Judged for (optional): system, place or neighbourhood: where the item is judged.",
    "Easy Read (optional): if you give it, give the statement and all five steps, in short sentences.",
    "Item id: keep the id of an item you are changing, so its answers are compared with its earlier wording. Leave "
    "it blank for a new item; the app gives it an id.",
    "Upload the workbook on the Manage page, under your system's local items. Every row is checked; if any is wrong, "
    "nothing changes and each problem is listed with its row.",
    "Local items are scored as their own domain. They are not counted in the overall score or in any comparison "
    "between places or systems.",
)


def template_xlsx(module: LocalModule | None = None) -> bytes:
    """The template, holding the items of `module` (the draft or latest version) when given."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for row in local_items.rows_of(module) if module else []:
        sheet.append([exports.neutralise(exports.spreadsheet_text(row[k])[0]) for k in ("id", *FIELD_KEYS)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for n in range(len(HEADERS)):
        sheet.column_dimensions[sheet.cell(row=1, column=n + 1).column_letter].width = 16 if n == 0 else 36
    sheet.freeze_panes = "C2"
    guide = book.create_sheet("How to fill in")
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 120
    for row in guide.iter_rows():
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(data: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of a filled-in template, keyed 'id' and FIELD_KEYS, in the workbook's order (row 2 first).

    Refused (StoreError), changing nothing, for a file that is not the template: too big, not a workbook, or
    without the template's columns (named, with what was expected)."""
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        raise local_items.LocalItemsError(f"{filename}: expected the Excel workbook (.xlsx) made from the template")
    bounds = imports.limits()
    small = dataclasses.replace(bounds, max_bytes=min(bounds.max_bytes, MAX_BYTES), max_rows=local_items.MAX_ITEMS * 5)
    try:
        frame = imports.read_table(data, filename, small)
    except imports.EmptyTable:  # said for assessments: say it for items
        raise local_items.LocalItemsError(
            f"{filename} holds no items; expected one item per row, below the template's headings"
        ) from None
    wanted = {h.strip().lower(): key for h, key in zip(HEADERS, ("id", *FIELD_KEYS), strict=True)}
    missing = [h for h in HEADERS if h.strip().lower() not in frame.columns]
    if missing:
        raise local_items.LocalItemsError(
            f"{filename} is missing the column(s) {', '.join(missing)}; expected the columns of the template "
            "(download it from the same page)"
        )
    frame = frame[[c for c in frame.columns if c in wanted]].rename(columns=wanted)
    rows: list[dict[str, str]] = []
    # Row numbers as the spreadsheet shows them, so each problem points at the right line.
    for number, record in zip(frame.index, frame.to_dict("records"), strict=True):
        rows.append({"row": int(number), **record})
    return rows

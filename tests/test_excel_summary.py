"""The Excel workbook opens on a Summary sheet a board can read and print; the Responses sheet still imports back."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from checklist import exports, imports, store
from tests.conftest import ACTOR

HEADERS = ["System", "Place", "Round", "Date assessed", "Status", "Domain", "Item", "Level", "Don't know",
           "Not applicable", "Reason not applicable", "Target", "Confidence", "Evidence", "Actions"]  # fmt: skip
COLUMN = {name: n for n, name in enumerate(HEADERS)}
HOSTILE_PLACE = '=HYPERLINK("http://x","click")'


@pytest.fixture
def rounds(fresh_db, fw):
    """One unit (its place named like a formula) with a submitted round and a draft one; returns (db, ids)."""
    db = fresh_db
    sid = store.create_system(db, "Export ICS", ACTOR)
    pid = store.create_place(db, sid, HOSTILE_PLACE, ACTOR)
    submitted = store.create_assessment(db, sid, pid, "2026 Q1", "2026-03-31", ACTOR)
    for item in fw.items_of(store.get_assessment(db, submitted)):
        store.save_response(db, submitted, item.id, ACTOR, answer="level", level=3, evidence="Board minutes")
    store.submit_assessment(db, submitted, ACTOR)
    draft = store.create_assessment(db, sid, pid, "2026 Q4", "2026-11-20", ACTOR)
    store.save_response(db, draft, "referrals", ACTOR, answer="level", level=2, target_level=3,
                        confidence="documented", evidence="=SUM(A1) pilot report")  # fmt: skip
    store.save_response(db, draft, "governance", ACTOR, answer="dont_know")
    store.save_response(db, draft, "equipment", ACTOR, answer="not_applicable", na_reason="Commissioned nationally")
    store.add_action(db, draft, "referrals", ACTOR, "@everyone: agree the pilot", owner="PA lead",
                     due_date="2026-06-30", target_level=3)  # fmt: skip
    store.add_action(db, draft, "referrals", ACTOR, "Report back to the board", owner="VCSE", status="in progress")
    return db, [submitted, draft]


def _book(db, ids) -> openpyxl.Workbook:  # noqa: ANN001
    return openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(db, ids)))


def _row(sheet, round_label: str, item: str) -> tuple:  # noqa: ANN001
    return next(
        r for r in sheet.iter_rows(min_row=2, values_only=True)
        if r[COLUMN["Round"]] == round_label and r[COLUMN["Item"]] == item
    )  # fmt: skip


def test_the_first_sheet_is_the_summary_with_plain_headings(rounds):
    db, ids = rounds
    book = _book(db, ids)
    assert book.sheetnames == ["Summary", "Responses", "Scores", "Actions", "About this file"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert all("_" not in h and h[0].isupper() for h in HEADERS)  # words, not field names
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet.max_row == 1 + 2 * 17  # one row per assessment × item, as Responses has
    assert book["Responses"].max_row == sheet.max_row


def test_dates_are_excel_dates_in_the_summary_and_text_in_responses(rounds):
    db, ids = rounds
    book = _book(db, ids)
    cells = [row[COLUMN["Date assessed"]] for row in book["Summary"].iter_rows(min_row=2)]
    assert {c.value for c in cells} == {datetime(2026, 3, 31), datetime(2026, 11, 20)}
    assert all(c.is_date and c.number_format == "d mmmm yyyy" for c in cells)
    date_column = list(exports.EXPORT_COLUMNS).index("date")
    assert {r[date_column] for r in book["Responses"].iter_rows(min_row=2, values_only=True)} == {
        "2026-03-31", "2026-11-20"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("round_label", "item", "expected"),
    [
        ("2026 Q4", "Referrals", {"Level": "2 · Developing", "Target": "3 · Maturing", "Don't know": "No",
                                  "Not applicable": "No", "Confidence": "Documented", "Status": "Draft"}),
        ("2026 Q4", "Governance", {"Level": None, "Target": None, "Don't know": "Yes", "Not applicable": "No",
                                   "Confidence": None}),
        ("2026 Q4", "Equipment", {"Level": None, "Don't know": "No", "Not applicable": "Yes",
                                  "Reason not applicable": "Commissioned nationally"}),
        ("2026 Q4", "Shared vision", {"Level": None, "Don't know": "No", "Not applicable": "No", "Evidence": None,
                                      "Actions": None}),
        ("2026 Q1", "Governance", {"Level": "3 · Maturing", "Status": "Submitted", "Evidence": "Board minutes",
                                   "Place": "'" + HOSTILE_PLACE}),
    ],
)  # fmt: skip
def test_summary_says_answers_in_words(rounds, round_label, item, expected):
    db, ids = rounds
    row = _row(_book(db, ids)["Summary"], round_label, item)
    assert {name: row[COLUMN[name]] for name in expected} == expected


def test_an_item_with_two_actions_shows_both_one_a_line(rounds):
    db, ids = rounds
    row = _row(_book(db, ids)["Summary"], "2026 Q4", "Referrals")
    assert row[COLUMN["Actions"]].split("\n") == [
        "'@everyone: agree the pilot (PA lead; due 30 June 2026; not started; aims for 3 · Maturing)",
        "Report back to the board (VCSE; in progress)",
    ]


def test_hostile_text_stays_text_in_the_summary(rounds):
    db, ids = rounds
    sheet = _book(db, ids)["Summary"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cells at all
    values = [c for row in sheet.iter_rows(min_row=2, values_only=True) for c in row if isinstance(c, str)]
    assert "'" + HOSTILE_PLACE in values and "'=SUM(A1) pilot report" in values
    assert not any(v.startswith(exports.FORMULA_PREFIXES) for v in values)


def test_a_control_character_is_replaced_in_the_summary_too(draft):
    db, aid = draft
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=2, evidence="Minutes\x0bpage 2")
    book = _book(db, [aid])
    assert "Minutes\ufffdpage 2" in [c for row in book["Summary"].iter_rows(values_only=True) for c in row]
    assert any("were replaced with" in r[0] for r in book["About this file"].iter_rows(values_only=True))


def _width(sheet, name: str) -> float:  # noqa: ANN001
    """A column's width as written (neighbouring columns of one width share one entry, under the first's letter)."""
    n = COLUMN[name] + 1
    return next(d.width for d in sheet.column_dimensions.values() if d.min <= n <= d.max)


def test_the_summary_prints_landscape_one_page_wide_with_headings_on_every_page(rounds):
    db, ids = rounds
    sheet = _book(db, ids)["Summary"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0  # as many pages long
    assert sheet.print_title_rows.replace("$", "") == "1:1"
    assert sheet.print_options.gridLines
    letter = {name: openpyxl.utils.get_column_letter(n + 1) for name, n in COLUMN.items()}
    for name in ("Evidence", "Actions"):
        assert _width(sheet, name) >= 40
        filled = [row[0] for row in sheet.iter_rows(min_row=2, min_col=COLUMN[name] + 1, max_col=COLUMN[name] + 1)]
        assert any(c.value for c in filled) and all(c.alignment.wrap_text for c in filled if c.value)
    assert all(_width(sheet, name) >= 7 for name in HEADERS)
    assert sheet.auto_filter.ref == f"A1:{letter['Actions']}{sheet.max_row}"


def test_the_field_name_sheets_keep_their_layout(rounds):
    db, ids = rounds
    book = _book(db, ids)
    sheet = book["Responses"]
    assert tuple(c.value for c in sheet[1]) == exports.EXPORT_COLUMNS
    assert sheet.page_setup.orientation is None and not sheet.print_title_rows  # not laid out for print
    column = {name: n for n, name in enumerate(exports.EXPORT_COLUMNS)}
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {r[column["status"]] for r in rows} == {"submitted", "draft"}
    assert {r[column["dont_know"]] for r in rows} == {True, False}


def test_about_this_file_names_the_sheets_for_reading_and_for_importing_back(rounds):
    db, ids = rounds
    lines = [r[0] for r in _book(db, ids)["About this file"].iter_rows(values_only=True)]
    assert lines[0].startswith("For reading: “Summary”")
    assert lines[1].startswith("For importing back: “Responses”")
    assert lines[2].startswith("For analysis: “Scores” and “Actions”") and "the import does not read them" in lines[2]


def test_the_responses_sheet_still_imports_back_exactly(rounds):
    db, ids = rounds
    target = store.connect(":memory:")
    counts = imports.import_bytes(target, exports.xlsx_bytes(db, ids), "board.xlsx", ACTOR, create_missing=True)
    assert counts == {"created": 2, "replaced": 0, "skipped": 0}
    pd.testing.assert_frame_equal(
        exports.export_frame(target, exports.assessment_ids(target)), exports.export_frame(db, ids)
    )
    assert imports.read_table(exports.xlsx_bytes(db, ids), "board.xlsx").columns.tolist()[:3] == [
        "system", "place", "round"
    ]  # fmt: skip


@pytest.mark.parametrize(("chunk_rows", "max_rows"), [(1, 3), (7, 11), (10_000, 1_048_576)])
def test_summary_rows_match_responses_rows_and_split_like_other_sheets(rounds, monkeypatch, chunk_rows, max_rows):
    db, ids = rounds
    monkeypatch.setattr(exports, "CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", max_rows)
    got: dict[str, list[tuple]] = {}
    titles = []
    for part in exports.workbook_parts(db, ids):
        rows = list(part.rows)
        assert len(rows) <= max_rows - 1
        assert part.for_people == part.title.startswith("Summary")
        titles.append(part.title)
        got.setdefault(part.title.split(" (")[0], []).extend(rows)
    assert titles[0] == "Summary" and titles[titles.index("Responses") - 1].startswith("Summary")
    item_id = exports.EXPORT_COLUMNS.index("item_id")
    assert len(got["Summary"]) == len(got["Responses"]) == 34
    titled = {i.id: i.title for i in store.framework_of(store.get_assessment(db, ids[0])).items}
    assert [r[COLUMN["Item"]] for r in got["Summary"]] == [titled[r[item_id]] for r in got["Responses"]]


def test_a_summary_past_excels_row_limit_continues_printable_and_the_file_says_so(rounds, monkeypatch):
    db, ids = rounds
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 21)  # header + 20 rows a sheet: 34 rows make two sheets
    book = _book(db, ids)
    assert book.sheetnames[:4] == ["Summary", "Summary (2)", "Responses", "Responses (2)"]
    for name in ("Summary", "Summary (2)"):
        sheet = book[name]
        assert [c.value for c in sheet[1]] == HEADERS and sheet.freeze_panes == "A2"
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows.replace("$", "") == "1:1"
    assert book["Summary"].max_row + book["Summary (2)"].max_row - 2 == 34
    about = [r[0] for r in book["About this file"].iter_rows(values_only=True)]
    assert any("“Summary (2)”" in line for line in about)
    assert any("does not import back whole" in line for line in about)  # Responses was split too


def test_an_empty_export_has_a_summary_with_its_headings(fresh_db):
    book = _book(fresh_db, [])
    assert book.sheetnames[0] == "Summary" and [c.value for c in book["Summary"][1]] == HEADERS
    assert book["Summary"].max_row == 1


def test_the_demo_summary_has_every_round_sentence_case_and_named_levels(demo_path):
    db = store.connect(demo_path)
    ids = exports.assessment_ids(db)
    book = _book(db, ids)
    rows = list(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == book["Responses"].max_row - 1
    assert {r[COLUMN["Status"]] for r in rows} == {"Submitted", "Draft"}
    levels = {r[COLUMN["Level"]] for r in rows} - {None}
    assert levels <= {"0 · Not started", "1 · Emerging", "2 · Developing", "3 · Maturing", "4 · Thriving"} and levels
    assert {r[COLUMN["Don't know"]] for r in rows} <= {"Yes", "No"}
    assert all(isinstance(r[COLUMN["Date assessed"]], datetime) for r in rows)
    assert any(r[COLUMN["Actions"]] for r in rows)

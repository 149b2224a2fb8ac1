"""Import: export → import reproduces every assessment; a bad file is refused whole, every bad row named."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest

from checklist import exports, imports, local_items, store
from tests.conftest import ACTOR

KEY = ["system", "place", "round", "item_id"]


def _everything(db) -> pd.DataFrame:  # noqa: ANN001
    return exports.export_frame(db, exports.assessment_ids(db)).sort_values(KEY).reset_index(drop=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_database_reproduces_everything(demo_path, fmt):
    source = store.connect(demo_path)
    # text a spreadsheet would run as a formula must survive the trip too
    aid = int(store.list_assessments(source, status=store.DRAFT)["id"].iloc[0])
    store.save_response(source, aid, "referrals", ACTOR, evidence="=1+1 and -2 @ the board")
    ids = exports.assessment_ids(source)
    data = exports.csv_bytes(exports.export_frame(source, ids)) if fmt == "csv" else exports.xlsx_bytes(source, ids)
    target = store.connect(":memory:")
    # Answers to a system's own local items come in only where that system has published them (a file holds the
    # answers, not the items' wording): without them, those rows are refused and nothing is imported.
    with pytest.raises(imports.ImportRefused) as refused:
        imports.import_bytes(target, data, f"all.{fmt}", ACTOR, create_missing=True)
    assert {p.value for p in refused.value.problems} == {"local-1", "local-2"}
    assert store.list_systems(target).empty
    copy_local_items(source, target)
    counts = imports.import_bytes(target, data, f"all.{fmt}", ACTOR, create_missing=True)
    assert counts == {"created": len(ids), "replaced": 0, "skipped": 0}
    pd.testing.assert_frame_equal(_everything(source), _everything(target))
    for a, b in zip(
        store.list_assessments(source).itertuples(), store.list_assessments(target).itertuples(), strict=True
    ):
        assert store.score(source, int(a.id)) == store.score(target, int(b.id))
        assert (a.status, a.include_workforce) == (b.status, b.include_workforce)


def copy_local_items(source, target) -> None:  # noqa: ANN001
    """Each system's local items, published in `target` under the same system name (as its admin would)."""
    for _, name, module in store.local_modules.newest_of_systems(source, store.list_systems(source)["id"]):
        known = store.list_systems(target)
        same = known[known["name"] == name]
        into = int(same["id"].iloc[0]) if len(same) else store.create_system(target, name, ACTOR)
        revision = store.local_modules.save_draft(
            target, ACTOR, into, local_items.rows_of(module), module.title, module.description
        )
        store.local_modules.publish(target, ACTOR, into, revision)


BAD_CSV = """system,place,round,date,item_id,level,dont_know,not_applicable,target
Test ICS,Test Place,R1,2026-01-01,governance,2,false,false,3
Test ICS,Test Place,R1,2026-01-01,governnce,2,false,false,
Test ICS,Test Place,R1,2026-01-01,referrals,7,false,false,
Nowhere ICS,,R1,2026-01-01,governance,1,false,false,
Test ICS,Atlantis,R1,2026-01-01,governance,1,false,false,
Test ICS,Test Place,R2,31/01/2026,governance,1,false,false,
Test ICS,Test Place,R1,2026-01-01,governance,3,false,false,
Test ICS,Test Place,R1,2026-01-01,care-plans,2,maybe,false,
"""


def test_a_bad_file_reports_every_bad_row_and_writes_nothing(unit):
    db, _, _ = unit
    before = store.data_version(db)
    with pytest.raises(imports.ImportRefused) as info:
        imports.import_bytes(db, BAD_CSV.encode(), "bad.csv", ACTOR)
    found = {(p.row, p.column, p.value) for p in info.value.problems}
    assert found >= {
        (3, "item_id", "governnce"),  # unknown item id
        (4, "level", "7"),  # level out of range
        (5, "system", "Nowhere ICS"),  # unknown system
        (6, "place", "Atlantis"),  # unknown place
        (7, "date", "31/01/2026"),  # bad date
        (8, "item_id", "governance"),  # duplicate row
        (9, "dont_know", "maybe"),
    }
    messages = [str(p) for p in info.value.problems]
    assert "row 4, column 'level': '7' — expected a level 0-4 or its name, or empty" in messages
    assert any("row 8" in m and "row 2 has it already" in m for m in messages)
    assert store.data_version(db) == before and store.list_assessments(db).empty


def test_what_real_spreadsheets_contain_is_handled(unit):
    db, _, _ = unit
    text = (
        "\ufeff System , Place ,Round, Date ,,governance,shared-vision,referrals\r\n"
        "\r\n"
        " Test ICS , test place , 2026 Q1 , 2026-03-31 ,, Developing , 3 · Maturing , Don't know \r\n"
        ",,,,,,,\r\n"
    )
    plan = imports.plan_import(db, imports.read_table(text.encode("utf-8"), "wide.csv"))
    assert plan.layout == "wide" and [a.unit for a in plan.assessments] == ["test place (Test ICS)"]
    seen: list[tuple[int, int]] = []
    counts = imports.apply_plan(db, plan, ACTOR, progress=lambda done, total: seen.append((done, total)))
    assert counts["created"] == 1
    assert seen == [(0, 1), (1, 1)]  # progress from the start to the end, for the page's progress bar
    aid = int(store.list_assessments(db)["id"].iloc[0])
    saved = store.responses(db, aid)
    assert (saved["governance"]["level"], saved["shared-vision"]["level"], saved["referrals"]["answer"]) == (
        2,
        3,
        "dont_know",
    )
    assert store.get_assessment(db, aid)["place_name"] == "Test Place"  # matched whatever the case


def test_an_existing_round_is_skipped_or_replaced_keeping_history(unit):
    db, system_id, place_id = unit
    aid = store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR)
    store.save_response(db, aid, "governance", ACTOR, level=1)
    csv = b"system,place,round,date,status,governance\nTest ICS,Test Place,2026 Q1,2026-03-31,draft,4\n"
    plan = imports.plan_import(db, imports.read_table(csv, "w.csv"))
    assert [a.existing_id for a in plan.clashes] == [aid]
    assert "skip or replace" in plan.preview()["already exists"].iloc[0]
    assert imports.apply_plan(db, plan, ACTOR, imports.SKIP) == {"created": 0, "replaced": 0, "skipped": 1}
    assert store.responses(db, aid)["governance"]["level"] == 1
    assert imports.apply_plan(db, plan, "importer", imports.REPLACE)["replaced"] == 1
    assert store.responses(db, aid)["governance"]["level"] == 4
    levels = store.history(db, aid, "governance").query("field == 'level'")
    assert levels[["old_value", "new_value"]].values.tolist()[-1] == [1, 4]  # the old answer is kept in history
    assert levels["actor"].iloc[-1] == "importer"


def test_a_submitted_row_set_must_be_complete(unit):
    db, _, _ = unit
    csv = b"system,place,round,date,status,governance\nTest ICS,,R1,2026-01-01,submitted,2\n"
    with pytest.raises(imports.ImportRefused) as info:
        imports.import_bytes(db, csv, "w.csv", ACTOR)
    assert "every item answered for Test ICS (whole system) · R1" in str(info.value.problems[0])


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"a,b\n1,2\n", "x.csv", "missing column"),
        (b"", "x.csv", "no rows found"),
        (b"\xff\xfe\x00bad", "x.csv", "not UTF-8"),
        # Another kind of file renamed .csv: a PNG, an Excel workbook (a zip), bytes with a bare CR in a field.
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "x.csv", "not UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "x.csv", "not UTF-8 text .*NUL bytes"),
        (b'x"y\rz,w"\r,v', "x.csv", "could not be read as CSV text"),
        (b"PK not really", "x.xlsx", "could not be read"),
        (b"whatever", "x.pdf", "expected a .csv or .xlsx file"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(fresh_db, data, name, message):
    with pytest.raises(store.StoreError, match=message):
        imports.import_bytes(fresh_db, data, name, ACTOR)


def test_a_nul_inside_a_value_is_text_pasted_from_somewhere_not_a_binary_file():
    data = b"system,place,round,date,governance\nA,,R1,2026-01-01,2\nB,,R\x001,2026-01-01,3\n"
    frame = imports.read_table(data, "x.csv")
    assert frame["round"].tolist() == ["R1", "R\x001"]


def test_a_filled_in_template_imports_back(unit, fw):
    import io

    from openpyxl import load_workbook

    db, _, _ = unit
    data = exports.template_xlsx(fw, "Test ICS", "Test Place", "2026 Q2", "2026-06-30")
    book = load_workbook(io.BytesIO(data))
    sheet = book["Responses"]
    header = [c.value for c in sheet[1]]
    assert header[11:16] == [
        f"{v} · {n}" for v, n in enumerate(("Not started", "Emerging", "Developing", "Maturing", "Thriving"))
    ]
    col = {name: n + 1 for n, name in enumerate(header)}
    governance = fw.item("governance")
    assert sheet.max_row == 18 and sheet.cell(2, 12).value == governance.levels[0]
    assert sheet.cell(2, col["judged for"]).value == fw.unit(governance.unit).name
    assert governance.evidence_example(4) in sheet.cell(2, col["examples of evidence"]).value
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert "Don't know" in lists["R2:R18"] and "4 · Thriving" in lists["R2:R18"]  # the level drop-down
    rows = {sheet.cell(r, col["item_id"]).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(rows["governance"], col["level"], "2 · Developing")
    sheet.cell(rows["governance"], col["evidence"], "Board terms of reference")
    sheet.cell(rows["governance"], col["target"], "3 · Maturing")
    sheet.cell(rows["referrals"], col["level"], "Don't know")
    sheet.cell(rows["equipment"], col["level"], "Not applicable")
    sheet.cell(rows["equipment"], col["na_reason"], "Commissioned nationally")
    filled = io.BytesIO()
    book.save(filled)
    counts = imports.import_bytes(db, filled.getvalue(), "filled.xlsx", ACTOR)
    assert counts["created"] == 1
    aid = int(store.list_assessments(db)["id"].iloc[0])
    saved = store.responses(db, aid)
    assert (saved["governance"]["level"], saved["governance"]["target_level"], saved["governance"]["evidence"]) == (
        2,
        3,
        "Board terms of reference",
    )
    assert saved["referrals"]["answer"] == "dont_know"
    assert (saved["equipment"]["answer"], saved["equipment"]["na_reason"]) == (
        "not_applicable",
        "Commissioned nationally",
    )
    assert store.get_assessment(db, aid)["status"] == store.DRAFT


def _zip_bomb(unpacked_mb: int) -> bytes:
    """A small file posing as .xlsx that unpacks to `unpacked_mb` megabytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        with bomb.open("xl/worksheets/sheet1.xml", "w") as part:
            chunk = b"0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                part.write(chunk)
    return buffer.getvalue()


SMALL = imports.Limits(max_bytes=2 * 1024 * 1024, max_rows=1000, max_columns=50, max_unzipped_bytes=5 * 1024 * 1024)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"a," * 1_000_000 + b"\n1\n", "wide.csv", "has 1,000,001 columns; the limit is 50"),
        (b"system\n" + b"x\n" * 5000, "long.csv", "has 5,001 lines; the limit is 1,000 rows"),
        (b"x" * (3 * 1024 * 1024), "big.csv", "is 3.0 MB; the limit is 2 MB"),
        (_zip_bomb(20), "bomb.xlsx", "would unpack to 20 MB in 1 parts; the limit is 5 MB"),
        (b"system,place,round,date,governance\n", "header-only.csv", "has a header row but no data rows"),
        (b"\n\n", "blank.csv", "no rows found"),
    ],
    ids=["million-columns", "many-rows", "too-many-bytes", "zip-bomb", "header-only", "blank"],
)
def test_files_too_big_or_empty_are_refused_before_anything_is_written(fresh_db, data, filename, message):
    with pytest.raises(store.StoreError, match=re.escape(message)):
        imports.read_table(data, filename, SMALL)
    assert store.list_systems(fresh_db).empty


def test_the_default_limits_refuse_a_million_columns_and_are_configurable(fresh_db, monkeypatch):
    with pytest.raises(store.StoreError, match="the limit is 200 .CHECKLIST_MAX_COLUMNS."):
        imports.import_bytes(fresh_db, b"a," * 1_000_000 + b"\n", "wide.csv", ACTOR, create_missing=True)
    monkeypatch.setenv("CHECKLIST_MAX_ROWS", "2")
    with pytest.raises(store.StoreError, match="the limit is 2 rows"):
        imports.import_bytes(fresh_db, b"system,place\nA,\nB,\nC,\nD,\n", "rows.csv", ACTOR, create_missing=True)
    monkeypatch.setenv("CHECKLIST_MAX_ROWS", "lots")
    with pytest.raises(store.StoreError, match="CHECKLIST_MAX_ROWS='lots' is not a positive whole number"):
        imports.limits()
    assert store.list_systems(fresh_db).empty


def test_a_round_with_the_enablers_module_comes_back_with_it(unit, fw):
    db, system_id, place_id = unit
    aid = store.create_assessment(db, system_id, place_id, "E1", "2026-11-01", ACTOR, include_enablers=True)
    enabler = next(i for i in fw.items_of(store.get_assessment(db, aid)) if fw.domain(i.domain).module == "enablers")
    store.save_response(db, aid, enabler.id, ACTOR, answer="level", level=3, evidence="Local offer map, 2026")
    data = exports.csv_bytes(exports.export_frame(db, [aid]))
    fresh = store.connect(":memory:")
    imports.import_bytes(fresh, data, "round.csv", ACTOR, create_missing=True)
    (back,) = store.list_assessments(fresh)["id"]
    copy = store.get_assessment(fresh, int(back))
    assert copy["include_enablers"] is True and copy["include_workforce"] is False
    assert store.responses(fresh, int(back))[enabler.id]["level"] == 3


def test_several_actions_on_one_item_keep_their_own_owner_and_date_through_a_file(unit):
    db, system_id, place_id = unit
    aid = store.create_assessment(db, system_id, place_id, "A1", "2026-11-01", ACTOR)
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=1)
    store.add_action(db, aid, "governance", ACTOR, "Draft terms of reference")
    store.add_action(db, aid, "governance", ACTOR, "Agree them at the board", owner="PA lead", due_date="2026-09-30")
    for name, data in (("a.csv", exports.csv_bytes(exports.export_frame(db, [aid]))),
                       ("a.xlsx", exports.xlsx_bytes(db, [aid]))):  # fmt: skip
        fresh = store.connect(":memory:")
        imports.import_bytes(fresh, data, name, ACTOR, create_missing=True)
        (back,) = store.list_assessments(fresh)["id"]
        got = store.list_actions(fresh, int(back))[["description", "owner", "due_date"]].fillna("")
        assert got.values.tolist() == [
            ["Draft terms of reference", "", ""],
            ["Agree them at the board", "PA lead", "2026-09-30"],
        ], name

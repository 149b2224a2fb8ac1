"""Downloads are neutralised against spreadsheet formula injection without changing what people read."""

import io

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklist import exports, store
from checklist.exports import csv_bytes, neutralise
from tests.conftest import ACTOR


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+44 1234", "'+44 1234"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ashby Vale", "Ashby Vale"), (2.5, 2.5), (None, None)],
)  # fmt: skip
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_is_formula_safe_and_keeps_numbers():
    frame = pd.DataFrame({"place": ["=cmd|' /C calc'!A0", "Dunmere"], "score": [-1.5, 2.0]}, index=["=x", "y"])
    text = csv_bytes(frame).decode("utf-8-sig")
    assert "'=cmd" in text and "'=x" in text
    assert "-1.5" in text and "'-1.5" not in text  # numbers stay numbers


def _with_hostile_text(db, fw):  # noqa: ANN001
    from checklist import store
    from tests.conftest import ACTOR

    sid = store.create_system(db, "Export ICS", ACTOR)
    pid = store.create_place(db, sid, '=HYPERLINK("http://x")', ACTOR)
    aid = store.create_assessment(db, sid, pid, "R1", "2026-01-01", ACTOR)
    store.save_response(db, aid, "referrals", ACTOR, level=2, evidence="+1 more form", target_level=3)
    store.save_response(db, aid, "governance", ACTOR, answer="dont_know")
    store.add_action(db, aid, "referrals", ACTOR, "@everyone pilot", owner="PA lead", due_date="2026-06-30")
    store.add_action(db, aid, "referrals", ACTOR, "Second step", owner="VCSE", due_date=None)
    return sid, pid, aid


def test_export_frame_has_one_row_per_assessment_and_item(fresh_db, fw):
    from checklist.exports import EXPORT_COLUMNS, assessment_ids, export_frame

    sid, pid, aid = _with_hostile_text(fresh_db, fw)
    frame = export_frame(fresh_db, assessment_ids(fresh_db, place_id=pid))
    assert tuple(frame.columns) == EXPORT_COLUMNS and len(frame) == 17
    referrals = frame.set_index("item_id").loc["referrals"]
    assert (referrals["level"], referrals["level_name"], referrals["target"]) == (2, "Developing", 3)
    assert referrals["action"] == "@everyone pilot\nSecond step" and referrals["due_date"] == "2026-06-30\n"
    assert bool(frame.set_index("item_id").loc["governance", "dont_know"]) is True
    assert pd.isna(frame.set_index("item_id").loc["care-plans", "level"])  # unanswered stays empty, not 0


def test_xlsx_has_three_sheets_styled_and_formula_safe(fresh_db, fw):
    import io

    from openpyxl import load_workbook

    from checklist.exports import xlsx_bytes

    _, _, aid = _with_hostile_text(fresh_db, fw)
    book = load_workbook(io.BytesIO(xlsx_bytes(fresh_db, [aid])))
    assert book.sheetnames == ["Responses", "Scores", "Actions"]
    sheet = book["Responses"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert '\'=HYPERLINK("http://x")' in values and "'+1 more form" in values
    assert all(not (isinstance(v, str) and v.startswith(("=", "+", "@"))) for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cells at all
    scores = {r[5]: r[6] for r in book["Scores"].iter_rows(min_row=2, values_only=True)}
    assert scores["Overall"] == 2.0
    actions = [r[5] for r in book["Actions"].iter_rows(min_row=2, values_only=True)]
    assert actions == ["'@everyone pilot", "Second step"]


def test_xlsx_adds_workshop_notes_and_votes_without_names_and_formula_safe(draft):
    import io

    from openpyxl import load_workbook

    from checklist import workshops
    from checklist.exports import xlsx_bytes
    from tests.conftest import ACTOR

    db, aid = draft
    w = workshops.start_workshop(db, aid, ACTOR)
    first = workshops.join(db, w["code"], "lived_experience", "Sam Example")["token"]
    second = workshops.join(db, w["code"], "health")["token"]
    workshops.cast_vote(db, first, "governance", 1)
    workshops.cast_vote(db, second, "governance", None)
    workshops.add_note(db, aid, "parking", "=cmd|' /C calc'!A0", ACTOR, workshop_id=w["id"])
    book = load_workbook(io.BytesIO(xlsx_bytes(db, [aid])))
    assert book.sheetnames == ["Responses", "Scores", "Actions", "Workshop notes", "Workshop votes"]
    notes = list(book["Workshop notes"].iter_rows(min_row=2, values_only=True))
    assert notes[0][3] == w["code"] and notes[0][6] == "Parking lot" and notes[0][7] == "'=cmd|' /C calc'!A0"
    votes = list(book["Workshop votes"].iter_rows(min_row=2, values_only=True))
    assert [(v[5], v[6], v[9]) for v in votes] == [
        (1, "Lived experience (disabled person or carer)", "1 · Emerging"),
        (2, "Health and care", "Don't know"),
    ]
    assert not any("Sam Example" in str(cell) for row in votes for cell in row)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=200))
def test_every_export_succeeds_for_any_text_the_app_accepted(draft, text):
    """Control characters (vertical tabs from word processors, NUL…) never crash an export; Excel's copy says so."""
    db, aid = draft
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=2, evidence=text)
    store.add_action(db, aid, "governance", ACTOR, text.strip() or "x", owner=text[:50])
    ids = [aid]
    csv = exports.csv_bytes(exports.export_frame(db, ids))
    assert csv.startswith(b"\xef\xbb\xbf")
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(db, ids)))
    assert book["Responses"].max_row >= 2
    stored = store.responses(db, aid)["governance"]["evidence"] + "".join(store.list_actions(db, aid)["owner"])
    if any(ord(c) < 32 and c not in "\t\n\r" for c in stored):
        assert "About this file" in book.sheetnames
        assert "were replaced with" in book["About this file"]["A1"].value


def test_a_vertical_tab_is_replaced_in_excel_and_kept_in_csv(draft):
    db, aid = draft
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=2, evidence="Minutes\x0bpage 2")
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(db, [aid])))
    values = [c.value for row in book["Responses"].iter_rows() for c in row]
    assert "Minutes\ufffdpage 2" in values
    assert "Minutes\x0bpage 2" in exports.csv_bytes(exports.export_frame(db, [aid])).decode("utf-8-sig")

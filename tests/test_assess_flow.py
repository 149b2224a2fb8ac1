"""Assess as a lead meets it: every change says it was saved (or plainly that it was not), submitting asks
first and names what it locks, the history reads as sentences, and a new round never clashes by default."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from checklist import history_text, round_labels, store
from checklist.scoring import DONT_KNOW
from tests.conftest import ACTOR
from tests.test_pages import _app, _shown, _tab, _texts

START = "FormSubmitter:assess_new_round-Start assessment"


def _draft(path: Path, label: str = "2026 Q4") -> int:
    db = store.connect(path)
    system_id = store.create_system(db, "Flow ICS", ACTOR)
    place_id = store.create_place(db, system_id, "Flow Place", ACTOR)
    return store.create_assessment(db, system_id, place_id, label, "2026-11-01", ACTOR)


def _item(path: Path, monkeypatch, aid: int, item: str = "referrals"):
    return _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item=item)


def _errors(at) -> str:
    return "\n".join(_shown(e.value) for e in at.error)


# --- saved, or not saved --------------------------------------------------------------------------


def test_each_kind_of_change_says_what_was_saved(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _item(path, monkeypatch, aid)
    assert "Each change is saved the moment you make it." in _shown(_texts(at))
    at.radio(key=f"assess_answer_{aid}_referrals").set_value(2).run()
    shown = _shown(_texts(at))
    assert "Saved at 10:00" in shown and "Referrals: 2 · Developing" in shown
    at.selectbox(key=f"assess_target_{aid}_referrals").set_value(4).run()
    assert "Referrals: target 4 · Thriving" in _shown(_texts(at))
    at.radio(key=f"assess_confidence_{aid}_referrals").set_value("documented").run()
    assert "Referrals: how sure, Documented" in _shown(_texts(at))
    next(w for w in at.text_input if w.label == "What will be done").input("Pilot an online referral form")
    at.button(key=f"FormSubmitter:assess_add_action_{aid}_referrals-Add action").click().run()
    assert "Referrals: action “Pilot an online referral form” added" in _shown(_texts(at))
    assert not _errors(at)
    row = store.responses(store.connect(path), aid)["referrals"]
    assert (row["level"], row["target_level"], row["confidence"]) == (2, 4, "documented")


@pytest.mark.parametrize(
    "failure",
    [
        store.StoreError("the database is busy: try again in a moment"),
        sqlite3.OperationalError("disk I/O error"),
    ],
)
def test_a_failed_save_says_so_and_never_claims_it_was_saved(tmp_path, monkeypatch, failure):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _item(path, monkeypatch, aid)

    def refuse(*args, **kwargs):
        raise failure

    works = store.save_response
    monkeypatch.setattr(store, "save_response", refuse)
    at.radio(key=f"assess_answer_{aid}_referrals").set_value(3).run()
    errors = _errors(at)
    assert "Your change was not saved** (Referrals: 3 · Maturing)." in errors
    assert "Saved at" not in _shown(_texts(at)) and "Each change is saved" not in _shown(_texts(at))
    assert at.radio(key=f"assess_answer_{aid}_referrals").value is None, "the choice shows what is stored"
    assert "referrals" not in store.responses(store.connect(path), aid)
    at.run()  # the message stays until a later change is saved
    assert "Your change was not saved" in _errors(at)
    monkeypatch.setattr(store, "save_response", works)
    at.radio(key=f"assess_answer_{aid}_referrals").set_value(3).run()
    assert not _errors(at) and "Referrals: 3 · Maturing" in _shown(_texts(at))


def test_a_stale_save_says_it_was_not_saved(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    mine, theirs = _item(path, monkeypatch, aid), _item(path, monkeypatch, aid)
    key = f"assess_evidence_{aid}_referrals"
    theirs.text_area(key=key).input("Their words").run()
    mine.text_area(key=key).input("My words").run()
    assert "Your change was not saved yet** (Referrals: evidence)" in _errors(mine)
    assert "Saved at" not in _shown(_texts(mine))
    assert store.responses(store.connect(path), aid)["referrals"]["evidence"] == "Their words"


# --- submitting -----------------------------------------------------------------------------------


def _answer_all(path: Path, aid: int, fw) -> None:
    db = store.connect(path)
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, level=2, evidence="Minutes", target_level=3)
    store.save_response(db, aid, "referrals", ACTOR, answer=DONT_KNOW)
    store.save_response(db, aid, "governance", ACTOR, evidence="")
    store.save_response(db, aid, "shared-vision", ACTOR, target_level=None)


def test_submit_asks_first_naming_what_it_locks_and_go_back_keeps_the_draft(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    _answer_all(path, aid, fw)
    db = store.connect(path)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    at.button(key=f"assess_submit_{aid}").click().run()
    assert store.get_assessment(db, aid)["status"] == store.DRAFT, "nothing is locked before the confirmation"
    said = [_shown(m.value) for m in at.markdown]
    dont_know = next(m for m in said if m.startswith("**Don't know (1)**"))
    no_evidence = next(m for m in said if m.startswith("**No evidence recorded (1)**"))
    no_target = next(m for m in said if m.startswith("**No target set (1)**"))
    assert "- Referrals" in dont_know and "- Governance" in no_evidence
    assert f"- {fw.item('shared-vision').title}" in no_target

    at.button(key=f"assess_submit_back_{aid}").click().run()
    assert store.get_assessment(db, aid)["status"] == store.DRAFT
    assert not [b for b in at.button if b.key == f"assess_submit_confirm_{aid}"], "the confirmation has closed"

    at.text_area(key=f"assess_note_{aid}").input("Signed off by the director of strategy")
    at.button(key=f"assess_submit_{aid}").click().run()
    assert "**Your note**: Signed off by the director of strategy" in [m.value for m in at.markdown]
    at.button(key=f"assess_submit_confirm_{aid}").click().run()
    assessment = store.get_assessment(db, aid)
    assert assessment["status"] == store.SUBMITTED
    assert assessment["submit_note"] == "Signed off by the director of strategy"
    assert (assessment["signed_off_by"], assessment["signed_off_at"]) == ("", None), "a typed note is never a sign-off"
    assert not at.exception


def test_submit_with_unanswered_items_lists_them_and_asks_nothing(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    at.button(key=f"assess_submit_{aid}").click().run()
    assert "Not submitted: 17 items need an answer" in _errors(at)
    assert not [b for b in at.button if b.key == f"assess_submit_confirm_{aid}"]


# --- the review table -----------------------------------------------------------------------------


def test_the_review_table_shows_evidence_target_gap_and_a_link_in_plain_or_easy_words(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    store.save_response(store.connect(path), aid, "referrals", ACTOR, level=1, evidence="Form live", target_level=3)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    table = at.table[0].value  # a static table that wraps (st.table), so the evidence is read whole
    row = table.set_index("Item").loc["Referrals"].map(_shown)
    assert (row["Answer"], row["Target"], row["Gap to target"], row["Evidence"]) == (
        "1 · Emerging", "3 · Maturing", "2 levels to go", "Form live"
    )  # fmt: skip
    assert row["Open"] == f"[Open](?assessment={aid}&item=referrals)"
    assert list(table.columns) == ["Item", "Answer", "Target", "Gap to target", "Evidence", "How sure", "Open"]
    at.toggle(key="assess_easy").set_value(True).run()
    headers = list(at.table[0].value.columns)
    assert "Next step we want" in headers and "Target" not in headers


def test_easy_read_covers_the_action_form(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _item(path, monkeypatch, aid)
    at.toggle(key="assess_easy").set_value(True).run()
    labels = [w.label for w in at.text_input]
    assert "What will you do?" in labels and "Who will do it?" in labels and "What will be done" not in labels


def test_easy_read_is_every_word_of_the_answering_screen(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    store.add_action(
        db, aid, "referrals", ACTOR, "Pilot a form", owner="PA lead", due_date="2027-01-01", target_level=3
    )
    at = _item(path, monkeypatch, aid)
    at.toggle(key="assess_easy").set_value(True).run()
    assert not at.exception
    shown = [_texts(at)]
    for kind in ("radio", "selectbox", "text_input", "text_area", "button", "date_input", "expander"):
        for widget in getattr(at, kind):
            shown += [str(getattr(widget, "label", "")), str(getattr(widget, "help", "") or "")]
            shown += [str(o) for o in (getattr(widget, "options", None) or [])]
    words = "\n".join(shown)
    standard = ["Which level describes", "Jump to item", "Links to evidence", "No target set", "items still to answer",
                "Each change is saved the moment", "owner:", " due ", "Deleted actions can be restored", "assessed ",
                "Why this matters", "item 1 of", "Add an action", "What will be done"]  # fmt: skip
    standard += [f"{v} · {fw.level_name(v)}" for v in range(5)]  # the level names: "Step 2" in Easy Read
    assert [s for s in standard if s in words] == []
    labels = [w.label for kind in ("text_area", "radio", "selectbox") for w in getattr(at, kind)]
    assert "Evidence" not in labels and "What shows it" in labels
    assert "Step 3" in words and "aims for Step 3" in words and "Which step is Flow Place at now?" in words


# --- history --------------------------------------------------------------------------------------


def test_history_reads_as_sentences_with_the_items_title(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    store.save_response(db, aid, "referrals", "Priya Shah", level=1)
    store.save_response(db, aid, "referrals", "Priya Shah", level=2, target_level=4)
    store.save_response(db, aid, "referrals", "Priya Shah", target_level=None)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "History")
    table = next(t.value for t in at.table if "Who" in t.value.columns).map(_shown)  # wraps: read whole
    assert list(table.columns) == ["When", "Who", "What changed"]
    said = dict(zip(table["What changed"], table["Who"], strict=True))
    assert said["Answered Referrals: 1 · Emerging"] == "Priya Shah"
    assert said["Saved Referrals: answer 2 · Developing (was 1 · Emerging); target 4 · Thriving"] == "Priya Shah"
    assert "Removed the target for Referrals (was 4 · Thriving)" in said
    assert "Started the round “2026 Q4”" in said
    assert table["What changed"].iloc[0].startswith("Removed the target"), "newest first"
    assert set(table["When"]) <= {"23 November 2026, 10:00"}
    everything = " ".join(table.astype(str).values.ravel())
    assert not any(word in everything for word in ("target_level", "{", "level_name", "assessment:"))


# --- a new round ----------------------------------------------------------------------------------


def _new_round_form(path: Path, monkeypatch):
    at = _app(path, monkeypatch, "pages/assess.py")
    place = at.selectbox(key="assess_place")
    return place.set_value(place.options[1]).run()


def _label(at):
    return next(w for w in at.text_input if w.label == "Round label")


def test_the_suggested_label_is_one_the_unit_does_not_have(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)  # the frozen clock's quarter is 2026 Q4, which this place already has
    at = _new_round_form(path, monkeypatch)
    assert _label(at).value == "2026 Q4 round 2"
    at.button(key=START).click().run()
    assert not at.exception and _shown(at.title[0].value) == "Flow Place · 2026 Q4 round 2"
    db = store.connect(path)
    assert sorted(store.list_assessments(db)["round_label"]) == ["2026 Q4", "2026 Q4 round 2"]
    assert store.get_assessment(db, aid)["round_label"] == "2026 Q4"
    at = _new_round_form(path, monkeypatch)
    assert _label(at).value == "2026 Q4 round 3"


def test_a_duplicate_label_is_refused_naming_the_clash(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    _draft(path)
    at = _new_round_form(path, monkeypatch)
    _label(at).set_value("  2026 q4 ")
    at.button(key=START).click().run()
    said = _errors(at)
    assert "Not started: Flow Place already has a round called '2026 Q4' (draft, assessed 1 November 2026)" in said
    assert "for example '2026 Q4 round 2'" in said
    assert len(store.list_assessments(store.connect(path))) == 1


# --- the history sentences, row by row -------------------------------------------------------------


def _row(field, old, new, entity="response", item_id="referrals", actor="Priya Shah", at="2026-11-23T14:05:00+00:00",
         entity_id="1:referrals"):  # fmt: skip
    return {"id": 1, "at": at, "actor": actor, "entity": entity, "entity_id": entity_id, "item_id": item_id,
            "field": field, "old_value": old, "new_value": new}  # fmt: skip


def _said(rows, fw) -> list[str]:
    return [c.sentence for c in history_text.changes(rows, fw)]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([_row("level", 1, 2)], "Priya Shah changed Referrals from 1 · Emerging to 2 · Developing"),
        ([_row("answer", None, "level"), _row("level", None, 0)], "Priya Shah answered Referrals: 0 · Not started"),
        ([_row("answer", "level", "dont_know"), _row("level", 3, None)],
         "Priya Shah changed Referrals from 3 · Maturing to Don't know"),
        ([_row("answer", "dont_know", None)], "Priya Shah cleared the answer to Referrals (was Don't know)"),
        ([_row("answer", None, "not_applicable")], "Priya Shah answered Referrals: Not applicable"),
        ([_row("na_reason", "", "No referral pathway here")],
         "Priya Shah added the reason it does not apply for Referrals: “No referral pathway here”"),
        ([_row("evidence", "", "Board minutes")], "Priya Shah added the evidence for Referrals: “Board minutes”"),
        ([_row("evidence", "Board minutes", "Minutes and plan")],
         "Priya Shah changed the evidence for Referrals to “Minutes and plan” (was “Board minutes”)"),
        ([_row("evidence_links", "https://a.example", "")],
         "Priya Shah removed the evidence links for Referrals (was “https://a.example”)"),
        ([_row("confidence", None, "documented")],
         "Priya Shah set how sure the evidence is for Referrals to Documented"),
        ([_row("confidence", "documented", "verified")], "Priya Shah marked the evidence for Referrals verified"),
        ([_row("target_level", None, 4)], "Priya Shah set the target for Referrals to 4 · Thriving"),
        ([_row("target_level", 3, 4)], "Priya Shah changed the target for Referrals from 3 · Maturing to 4 · Thriving"),
        ([_row("evidence (not saved: changed meanwhile)", "Theirs", "Mine")],
         "Priya Shah tried to change the evidence for Referrals to “Mine”, but someone had changed it meanwhile, so "
         "it was not saved (theirs stayed: “Theirs”)"),
        ([_row("removed (not in framework 1.1)", {"answer": "level", "level": 2}, None)],
         "Priya Shah removed the answer to Referrals (was 2 · Developing): framework 1.1 no longer has this item"),
        ([_row("created", None, {"description": "Pilot a form", "owner": "PA lead", "due_date": "2027-01-31",
                                 "status": "not started", "target_level": 3}, entity="action", entity_id="7")],
         "Priya Shah added the action “Pilot a form” for Referrals (owner PA lead, due 31 January 2027, aims for "
         "3 · Maturing)"),
        ([_row("status", "not started", "in progress", entity="action", entity_id="9")],
         "Priya Shah changed the status of the action “an action” from Not started to In progress"),
        ([_row("due_date", None, "2027-02-01", entity="action", entity_id="9")],
         "Priya Shah set the due date of the action “an action” to 1 February 2027"),
        ([_row("deleted_at", None, "2026-11-23T14:05:00+00:00", entity="action", entity_id="9")],
         "Priya Shah deleted the action “an action” for Referrals"),
        ([_row("created", None, "2026 Q4", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah started the round “2026 Q4”"),
        ([_row("status", "draft", "submitted", entity="assessment", item_id=None, entity_id="3"),
          _row("signed_off_by", "", "Director of strategy", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah submitted and locked the round, naming “Director of strategy” as sign-off (not a recorded "
         "sign-off)"),
        ([_row("status", "draft", "submitted", entity="assessment", item_id=None, entity_id="3"),
          _row("submit_note", "", "Seen by the board", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah submitted and locked the round, with the note “Seen by the board”"),
        ([_row("signed_off_at", None, "2026-11-20T10:00:00+00:00", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah signed off the round"),
        ([_row("status", "submitted", "draft", entity="assessment", item_id=None, entity_id="3"),
          _row("signed_off_at", "2026-11-20T10:00:00+00:00", None, entity="assessment", item_id=None, entity_id="3"),
          _row("reopen_reason", None, "Recheck referrals", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah reopened the round for changes, withdrawing its sign-off: “Recheck referrals”"),
        ([_row("signed_off_by", "", "Priya Shah", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah signed off the round"),
        ([_row("assessment_date", "2026-11-01", "2026-11-05", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah changed the assessment date from 1 November 2026 to 5 November 2026"),
        ([_row("participants", "", "PA lead; VCSE", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah set who took part to “PA lead; VCSE”"),
        ([_row("framework_version", "1.0", "1.1", entity="assessment", item_id=None, entity_id="3")],
         "Priya Shah moved the round from framework 1.0 to framework 1.1"),
        ([_row("started", None, {"code": "7ACDRA", "mode": "live"}, entity="workshop", item_id=None, entity_id="2")],
         "Priya Shah started a workshop on this round"),
        ([_row("current_item", "governance", "referrals", entity="workshop", item_id=None, entity_id="2")],
         "Priya Shah moved the workshop on to Referrals"),
        ([_row("status", "open", "closed", entity="workshop", item_id=None, entity_id="2"),
          _row("closed_at", None, "2026-11-20T11:00:00+00:00", entity="workshop", item_id=None, entity_id="2")],
         "Priya Shah closed the workshop"),
        ([_row("level", None, 2, entity="vote", actor="participant 3 (VCSE)", entity_id="2:3:referrals")],
         "participant 3 (VCSE) voted 2 · Developing on Referrals"),
        ([_row("level", None, 2, entity="agreement", entity_id="2:referrals")],
         "Priya Shah recorded the workshop's agreed answer for Referrals: 2 · Developing"),
        ([_row("created", None, {"kind": "quote", "text": "Nobody asked me"}, entity="note", entity_id="4")],
         "Priya Shah added a quote on Referrals: “Nobody asked me”"),
        ([_row("text", None, "Which meeting?", entity="review_comment", entity_id="5")],
         "Priya Shah commented on Referrals: “Which meeting?”"),
        ([_row("addressed", False, True, entity="review_comment", item_id=None, entity_id="5")],
         "Priya Shah marked a comment on the round addressed"),
        ([_row("withdrawn", False, True, entity="review_comment", entity_id="5")],
         "Priya Shah withdrew a comment on Referrals"),
    ],
)  # fmt: skip
def test_each_recorded_change_reads_as_one_sentence(rows, expected, fw):
    assert _said(rows, fw) == [expected]


def test_an_action_is_named_by_its_words_in_later_changes(fw):
    created = _row("created", None, {"description": "Pilot a form", "status": "not started"}, entity="action",
                   entity_id="7")  # fmt: skip
    later = _row("status", "not started", "done", entity="action", entity_id="7", at="2026-11-24T09:00:00+00:00")
    assert _said([created, later], fw)[1] == (
        "Priya Shah changed the status of the action “Pilot a form” from Not started to Done"
    )


def test_separate_steps_stay_separate_rows_and_the_table_is_newest_first(fw):
    rows = [_row("level", None, 1, at="2026-11-23T14:05:00+00:00"), _row("level", 1, 2, at="2026-11-23T14:06:00+00:00")]
    table = history_text.table(pd.DataFrame(rows), fw)
    assert table.values.tolist() == [
        ["23 November 2026, 14:06", "Priya Shah", "Changed Referrals from 1 · Emerging to 2 · Developing"],
        ["23 November 2026, 14:05", "Priya Shah", "Answered Referrals: 1 · Emerging"],
    ]


def test_long_text_is_quoted_short_and_unknown_items_are_not_shown_by_id(fw):
    said = _said([_row("evidence", "", "word " * 100, item_id="gone-item")], fw)[0]
    assert said.endswith("…”") and len(said) < 300
    assert "gone-item" not in said and "an item no longer in the framework" in said


@pytest.mark.parametrize(
    ("suggested", "taken", "expected"),
    [
        ("2026 Q4", [], "2026 Q4"),
        ("2026 Q4", ["2026 Q3"], "2026 Q4"),
        ("2026 Q4", ["2026 q4"], "2026 Q4 round 2"),
        ("2026 Q4", ["2026 Q4", "2026 Q4 round 2", " 2026  q4 ROUND 3"], "2026 Q4 round 4"),
    ],
)
def test_free_label(suggested, taken, expected):
    assert round_labels.free_label(suggested, taken) == expected


def test_taken_as_names_the_label_as_the_unit_has_it():
    assert round_labels.taken_as(" 2026  q4", ["2026 Q3", "2026 Q4"]) == "2026 Q4"
    assert round_labels.taken_as("2027 Q1", ["2026 Q4"]) is None

"""A sign-off is only ever a reviewer's own act, recorded by who they are; nothing typed reads as one.

Found by a security review: a lead could type anyone's name in "Signed off by" at submission, and pages,
the board report and the CSV then said the round was signed off by them; a reopened and resubmitted
round kept the old sign-off; and four eyes compared display names, so a renamed person signed off their
own round. The screens are checked in a browser in tests/e2e/test_sign_in.py.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from checklist import access, exports, history_text, imports, reports, store
from checklist.access import LEAD, REVIEWER, PermissionDenied
from checklist.framework import current_framework
from tests.conftest import ACTOR

FORGED = "Rita Reviewer"


@pytest.fixture
def submitted(fresh_db):
    """A place's round, answered and submitted by its lead with a note naming someone as sign-off."""
    db = fresh_db
    sid = store.create_system(db, "Shared ICS", ACTOR)
    place = store.create_place(db, sid, "Place A", ACTOR)
    people = {}
    for role in (LEAD, REVIEWER):
        uid = access.add_user(db, ACTOR, f"{role}@example.nhs.uk", f"A {role}")
        access.grant(db, ACTOR, uid, role, sid, place)
        people[role] = access.find_user(db, f"{role}@example.nhs.uk")
    aid = store.create_assessment(db, sid, place, "R1", "2026-01-01", people[LEAD])
    for item in current_framework().items_for(False):
        store.save_response(db, aid, item.id, people[LEAD], answer="level", level=2)
    store.submit_assessment(db, aid, people[LEAD], note=f"Signed off by {FORGED}")
    return db, aid, people


def _everywhere(db, aid) -> dict[str, str]:  # noqa: ANN001
    """What each place that states a round's status says about it."""
    fw = current_framework()
    frame = exports.export_frame(db, [aid])
    return {
        "report": reports.assessment_html(db, aid, date(2026, 11, 23), with_chart=False),
        "csv": exports.csv_bytes(frame).decode(),
        "history": "\n".join(
            f"{row['Who']}: {row['What changed']}"
            for _, row in history_text.table(store.history(db, aid), fw).iterrows()
        ),
    }


def test_a_note_at_submission_never_reads_as_a_sign_off(submitted):
    db, aid, _ = submitted
    round_ = store.get_assessment(db, aid)
    assert (round_["signed_off_by"], round_["signed_off_at"]) == ("", None)
    said = _everywhere(db, aid)
    assert "Submitted, not yet signed off" in said["report"]
    # The note appears only as the lead's note, never as the round's status.
    assert said["report"].count(FORGED) == 1 and f"Lead's note at submission: Signed off by {FORGED}" in said["report"]
    frame = pd.read_csv(io.StringIO(said["csv"]), keep_default_na=False)
    assert set(frame["signed_off_by"]) == {""} and set(frame["signed_off_at"]) == {""}
    assert set(frame["submit_note"]) == {f"Signed off by {FORGED}"}
    assert "with the note" in said["history"] and "Signed off the round" not in said["history"]


def test_the_old_field_cannot_be_typed_into(submitted):
    db, aid, people = submitted
    store.reopen_assessment(db, aid, people[LEAD], "Add a note")
    with pytest.raises(store.StoreError, match="unknown assessment field"):
        store.update_assessment_details(db, aid, people[LEAD], signed_off_by=FORGED)


def test_only_a_signed_in_reviewer_signs_off_and_it_is_recorded_by_identity(submitted):
    db, aid, people = submitted
    for someone in (FORGED, access.LOCAL, access.User(name=FORGED, local=False)):
        with pytest.raises(PermissionDenied, match="reviewer's own act"):
            store.sign_off(db, aid, someone)
    store.sign_off(db, aid, people[REVIEWER])
    round_ = store.get_assessment(db, aid)
    assert (round_["signed_off_user_id"], round_["signed_off_by"]) == (people[REVIEWER].id, "A reviewer")
    said = _everywhere(db, aid)
    assert "Submitted, signed off by A reviewer on 23 November 2026" in said["report"]
    assert "A reviewer: Signed off the round" in said["history"]
    with pytest.raises(store.StoreError, match="already signed off"):
        store.sign_off(db, aid, people[REVIEWER])


def test_four_eyes_compares_people_not_names(submitted):
    db, aid, people = submitted
    lead = people[LEAD]
    access.grant(db, ACTOR, lead.id, REVIEWER, None)  # the lead is also a reviewer everywhere
    access.add_user(db, ACTOR, lead.email, "A different name")  # and an admin renames them
    with pytest.raises(PermissionDenied, match="someone else must sign it off"):
        store.sign_off(db, aid, access.find_user(db, lead.email))
    twin = access.add_user(db, ACTOR, "twin@example.nhs.uk", "A lead")  # another person, the lead's old name
    access.grant(db, ACTOR, twin, REVIEWER, None)
    store.sign_off(db, aid, access.find_user(db, "twin@example.nhs.uk"))
    assert store.get_assessment(db, aid)["signed_off_user_id"] == twin


def test_reopening_withdraws_the_sign_off_and_a_resubmitted_round_waits_for_a_new_one(submitted):
    db, aid, people = submitted
    store.sign_off(db, aid, people[REVIEWER])
    store.reopen_assessment(db, aid, people[LEAD], "One more change")
    store.save_response(db, aid, "governance", people[LEAD], answer="level", level=3)
    store.submit_assessment(db, aid, people[LEAD])
    round_ = store.get_assessment(db, aid)
    assert (round_["signed_off_by"], round_["signed_off_at"], round_["signed_off_user_id"]) == ("", None, None)
    said = _everywhere(db, aid)
    assert "Submitted, not yet signed off" in said["report"]
    assert "withdrawing its sign-off" in said["history"]
    assert aid in set(store.awaiting_sign_off(db)["id"])


def test_an_imported_file_cannot_sign_a_round_off(submitted):
    db, aid, _ = submitted
    frame = exports.export_frame(db, [aid])
    frame["signed_off_by"] = FORGED
    frame["round"] = "R2"
    data = exports.csv_bytes(frame)
    imports.import_bytes(db, data, "rounds.csv", ACTOR)
    new = store.list_assessments(db)
    r2 = store.get_assessment(db, int(new[new["round_label"] == "R2"]["id"].iloc[0]))
    assert (r2["signed_off_by"], r2["signed_off_at"]) == ("", None)
    assert f"Named as sign-off in an imported file (not a recorded sign-off): {FORGED}" in r2["submit_note"]


def test_typed_sign_offs_already_stored_become_a_note_named_as_such(tmp_path):
    """The update moves a lead's typed name into the note; a reviewer's recorded sign-off keeps its person."""
    path = tmp_path / "old.db"
    db = store.connect(path, apply_migrations=False)
    store.migrate(db, stop_before="0008_sign_off_identity")
    sid = store.create_system(db, "Old ICS", ACTOR)
    reviewer = access.add_user(db, ACTOR, "rev@example.nhs.uk", "Real Reviewer")
    typed = (
        db["assessments"]
        .insert(
            {
                "system_id": sid,
                "round_label": "Typed",
                "assessment_date": "2025-01-01",
                "framework_version": "1.1",
                "status": "submitted",
                "signed_off_by": FORGED,
                "created_at": "x",
                "created_by": "lead",
                "updated_at": "x",
                "submitted_by": "lead",
            }  # fmt: skip
        )
        .last_pk
    )
    real = (
        db["assessments"]
        .insert(
            {
                "system_id": sid,
                "round_label": "Real",
                "assessment_date": "2025-01-01",
                "framework_version": "1.1",
                "status": "submitted",
                "signed_off_by": "Real Reviewer",
                "signed_off_at": "2025-01-02T10:00:00+00:00",
                "created_at": "x",
                "created_by": "lead",
                "updated_at": "x",
                "submitted_by": "lead",
            }  # fmt: skip
        )
        .last_pk
    )
    store.migrate(db)
    old = store.get_assessment(db, typed)
    assert (old["signed_off_by"], old["signed_off_at"]) == ("", None)
    assert old["submit_note"] == store.SIGN_OFF_NOTE_PREFIX + FORGED
    kept = store.get_assessment(db, real)
    assert (kept["signed_off_by"], kept["signed_off_user_id"]) == ("Real Reviewer", reviewer)
    moved = store.history(db, typed)
    assert set(moved["field"]) >= {"signed_off_by", "submit_note"}, "the update is in the round's history"

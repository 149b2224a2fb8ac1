"""Rounds on a cycle: when each unit's next round is due, which are due and overdue, setting a cycle, and Home,
Manage and the Dashboard showing it (with a round started from 'due')."""

from __future__ import annotations

from datetime import date

import pytest

from checklist import access, cycles, store
from checklist.access import PermissionDenied
from tests.conftest import ACTOR, FROZEN_AT
from tests.test_pages import _app, _shown, _texts

TODAY = FROZEN_AT.date()  # 23 November 2026


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
     (date(2026, 11, 30), 3, date(2027, 2, 28)), (date(2026, 6, 15), 12, date(2027, 6, 15))],
)  # fmt: skip
def test_months_are_added_to_the_same_day_or_the_months_last(day, months, expected):
    assert cycles.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("last", "every", "by", "expected"),
    [
        (date(2026, 3, 1), 12, None, date(2027, 3, 1)),  # a year after the latest round
        (None, 12, None, TODAY),  # on a cycle and never assessed: due now
        (date(2026, 3, 1), None, date(2026, 12, 31), date(2026, 12, 31)),  # by a date
        (date(2026, 3, 1), 6, date(2026, 12, 31), date(2026, 9, 1)),  # both: whichever comes first
        (date(2027, 1, 5), None, date(2026, 12, 31), None),  # a round after the date met it
        (date(2026, 3, 1), None, None, None),  # on no cycle
    ],
)
def test_when_the_next_round_is_due(last, every, by, expected):
    assert cycles.next_round_due(last, every, by, TODAY) == expected


@pytest.mark.parametrize(
    ("due", "draft", "expected"),
    [(date(2026, 11, 1), False, cycles.OVERDUE), (TODAY, False, cycles.DUE), (date(2026, 12, 20), False, cycles.DUE),
     (date(2027, 2, 1), False, cycles.SCHEDULED), (date(2026, 11, 1), True, cycles.IN_PROGRESS), (None, False, None)],
)  # fmt: skip
def test_the_state_of_a_unit(due, draft, expected):
    assert cycles.state(due, TODAY, draft) == expected


def test_a_cycle_is_set_by_whoever_manages_the_unit_kept_in_history_and_read_back(unit):
    db, system_id, place_id = unit
    lead = access.add_user(db, ACTOR, "lead@example.nhs.uk", "Lee")
    access.grant(db, ACTOR, lead, access.LEAD, system_id, place_id)
    with pytest.raises(PermissionDenied):
        cycles.set_cycle(db, access.find_user(db, "lead@example.nhs.uk"), system_id, place_id, 12, None)
    for months, by, problem in ((0, None, "expected 1 to 60 months"), (61, None, "expected 1 to 60 months"),
                                (None, "31/12/2026", "expected YYYY-MM-DD")):  # fmt: skip
        with pytest.raises(store.StoreError, match=problem):
            cycles.set_cycle(db, ACTOR, system_id, place_id, months, by)
    cycles.set_cycle(db, ACTOR, system_id, place_id, 12, None)
    cycles.set_cycle(db, ACTOR, system_id, None, None, "2026-12-15")
    found = cycles.due_rounds(db, TODAY)
    assert list(found["unit_name"]) == ["Test Place", "Test ICS (whole system)"], "the overdue first"
    assert list(found["state"]) == [cycles.DUE, cycles.DUE] and list(found["due"]) == [TODAY, date(2026, 12, 15)]
    cycles.set_cycle(db, ACTOR, system_id, place_id, 6, None)  # changed, not added twice
    assert len(cycles.due_rounds(db, TODAY)) == 2
    cycles.set_cycle(db, ACTOR, system_id, None, None, None)  # cleared
    assert list(cycles.due_rounds(db, TODAY)["unit_name"]) == ["Test Place"]
    changes = db.execute("SELECT field, new_value FROM history WHERE field = 'review cycle'").fetchall()
    assert len(changes) == 4


def test_a_round_submitted_moves_the_due_date_and_a_draft_shows_it_in_progress(unit, fw):
    db, system_id, place_id = unit
    cycles.set_cycle(db, ACTOR, system_id, place_id, 12, None)
    aid = store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-01", ACTOR)
    assert cycles.due_rounds(db, TODAY)["state"].tolist() == [cycles.IN_PROGRESS]
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, answer="level", level=2)
    store.submit_assessment(db, aid, ACTOR)
    row = cycles.due_rounds(db, TODAY).iloc[0]
    assert row["last_round"] == date(2026, 3, 1) and row["due"] == date(2027, 3, 1) and row["state"] == cycles.SCHEDULED


def test_home_lists_rounds_due_and_starts_one_and_manage_and_the_dashboard_show_the_cycle(demo_path, monkeypatch):
    db = store.connect(demo_path)
    system_id = int(store.list_systems(db)["id"].iloc[0])
    for place_id in store.list_places(db, system_id)["id"]:  # monthly: the demo's rounds are older
        cycles.set_cycle(db, ACTOR, system_id, int(place_id), 1, None)
    overdue = cycles.due_rounds(db, TODAY)
    overdue = overdue[overdue["state"] == cycles.OVERDUE]
    place = store.get_place(db, int(overdue.iloc[0]["place_id"]))  # the first with no round in progress
    at = _app(demo_path, monkeypatch)
    text = _shown(_texts(at))
    assert "Rounds due" in [h.value for h in at.header]
    assert f"{place['name']}" in text and "Overdue since" in text and "every 1 months" in text
    before = len(store.list_assessments(db, system_id=system_id, place_id=int(place["id"])))
    next(b for b in at.button if b.label == "Start the round").click()  # the first listed: the same place
    at.run()
    assert len(store.list_assessments(db, system_id=system_id, place_id=int(place["id"]))) == before + 1
    now = cycles.due_rounds(db, TODAY).set_index("unit_name")
    assert now.loc[place["name"], "state"] == cycles.IN_PROGRESS
    dash = _app(demo_path, monkeypatch, "pages/dashboard.py", dash_place=str(place["name"]))
    assert any(c.value.startswith("Review cycle: In progress") for c in dash.caption)
    manage = _app(demo_path, monkeypatch, "pages/manage.py")
    panel = manage.expander[0]
    panel.number_input(key=f"manage_cycle_months_{system_id}").set_value(12)
    panel.button(key=f"manage_cycle_save_{system_id}").click()
    manage.run()
    whole = cycles.due_rounds(db, TODAY)
    assert f"{store.get_system(db, system_id)['name']} (whole system)" in set(whole["unit_name"])

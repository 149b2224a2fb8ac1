"""Framework versions in the app: a round chooses the enablers module (new in 1.1), a 1.0 draft is moved to
the current version only when its lead asks (answers kept, changed ones listed, dropped ones kept in history),
and Assess offers Easy Read for everything a person reads while answering, remembered in the address."""

from __future__ import annotations

import pytest

from checklist import access, store
from checklist.framework import ENABLERS_MODULE, current_framework, framework_for, wording_changes
from tests.conftest import ACTOR
from tests.test_pages import _app, _tab, _texts

OLD, NEW = framework_for("1.0"), current_framework()  # a draft moves to the current version


@pytest.fixture
def unit_db(tmp_path):
    path = tmp_path / "v.db"
    db = store.connect(path)
    system_id = store.create_system(db, "Version ICS", ACTOR)
    place_id = store.create_place(db, system_id, "Version Place", ACTOR)
    return path, db, system_id, place_id


def test_a_round_that_chooses_the_enablers_module_is_asked_and_scored_on_it(unit_db):
    _, db, system_id, place_id = unit_db
    with_enablers = store.create_assessment(db, system_id, place_id, "E", "2026-11-01", ACTOR, include_enablers=True)
    without = store.create_assessment(db, system_id, place_id, "N", "2026-11-01", ACTOR)
    enablers = [i.id for i in NEW.items if NEW.domain(i.domain).module == ENABLERS_MODULE]
    assert enablers, "1.1 and later have the module"
    assessment = store.get_assessment(db, with_enablers)
    assert assessment["include_enablers"] is True
    assert set(enablers) <= {i.id for i in NEW.items_of(assessment)}
    assert not set(enablers) & {i.id for i in NEW.items_of(store.get_assessment(db, without))}
    store.save_response(db, with_enablers, enablers[0], ACTOR, answer="level", level=3)
    with pytest.raises(store.StoreError, match="unknown item id"):
        store.save_response(db, without, enablers[0], ACTOR, answer="level", level=3)
    scored = {d.domain_id for d in store.score(db, with_enablers).domains}
    assert NEW.item(enablers[0]).domain in scored
    problems = store.completeness_problems(db, with_enablers)
    assert any(NEW.item(enablers[1]).title in p for p in problems), "its items must be answered before submitting"
    listed = store.list_assessments(db, system_id=system_id).set_index("id")
    assert listed.loc[with_enablers, "total"] == len(NEW.items_of(assessment))
    assert listed.loc[without, "total"] == len(NEW.items_for(False))


def test_a_1_0_round_cannot_choose_a_module_1_0_does_not_have(unit_db):
    _, db, system_id, place_id = unit_db
    with pytest.raises(store.StoreError, match="no enablers module"):
        store.create_assessment(db, system_id, place_id, "Old", "2026-11-01", ACTOR, framework_version="1.0",
                                include_enablers=True)  # fmt: skip


def _old_draft(db, system_id, place_id) -> tuple[int, list[str], list[str]]:  # noqa: ANN001
    aid = store.create_assessment(db, system_id, place_id, "Old draft", "2026-11-01", ACTOR, framework_version="1.0")
    changes = wording_changes(OLD, NEW)
    changed = [i.id for i in OLD.items_for(False) if changes.get(i.id) == "changed"]
    same = [i.id for i in OLD.items_for(False) if i.id not in changes]
    for item_id in changed[:3] + same[:2]:
        store.save_response(db, aid, item_id, ACTOR, answer="level", level=2, evidence="Minutes")
    return aid, changed[:3], same[:2]


def test_moving_a_1_0_draft_keeps_answers_and_lists_the_ones_whose_wording_changed(unit_db):
    _, db, system_id, place_id = unit_db
    aid, changed, same = _old_draft(db, system_id, place_id)
    assert store.moved_items_to_review(db, store.get_assessment(db, aid)) == [], "never moved: nothing to review"
    before = store.responses(db, aid)
    plan = store.move_to_framework(db, aid, ACTOR)
    assert sorted(plan.review) == sorted(changed) and set(same) <= set(plan.kept) and not plan.dropped
    moved = store.get_assessment(db, aid)
    assert moved["framework_version"] == NEW.version
    assert store.responses(db, aid) == before, "every answer kept as it was"
    assert sorted(store.moved_items_to_review(db, moved)) == sorted(changed)
    store.save_response(db, aid, changed[0], ACTOR, level=3)  # looked at again
    assert sorted(store.moved_items_to_review(db, moved)) == sorted(changed[1:])
    last = store.history(db, aid)
    move = last[last["field"] == "framework_version"].iloc[-1]
    assert (move["old_value"], move["new_value"], move["actor"]) == ("1.0", NEW.version, ACTOR)
    with pytest.raises(store.StoreError, match="only move to a newer version"):
        store.move_to_framework(db, aid, ACTOR)


def test_moving_is_refused_for_a_submitted_round_or_someone_who_may_not_edit(unit_db, fw):
    _, db, system_id, place_id = unit_db
    aid, _, _ = _old_draft(db, system_id, place_id)
    uid = access.add_user(db, ACTOR, "viewer@example.nhs.uk", "A viewer")
    access.grant(db, ACTOR, uid, access.VIEWER, system_id, place_id)
    with pytest.raises(access.PermissionDenied):
        store.move_to_framework(db, aid, access.find_user(db, "viewer@example.nhs.uk"))
    for item in OLD.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, answer="level", level=1)
    store.submit_assessment(db, aid, ACTOR)
    with pytest.raises(store.LockedError):
        store.move_to_framework(db, aid, ACTOR)
    assert store.get_assessment(db, aid)["framework_version"] == "1.0"


def test_the_assess_page_offers_the_move_and_then_lists_what_to_look_at(unit_db, monkeypatch):
    path, db, system_id, place_id = unit_db
    aid, changed, _ = _old_draft(db, system_id, place_id)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid))
    assert f"This draft uses framework 1.0; version {NEW.version} is current" in [e.label for e in at.expander]
    at.button(key=f"assess_move_version_{aid}").click().run()
    assert not at.exception
    assert store.get_assessment(db, aid)["framework_version"] == NEW.version
    assert f"Moved to framework {NEW.version}" in _texts(at)
    warning = next(w.value for w in at.warning if "Moved from an earlier framework" in w.value)
    assert all(NEW.item(i).title in warning for i in changed)
    assert not [b for b in at.button if (b.key or "").startswith("assess_move_version")], "nothing more to move"


def test_the_new_round_form_offers_each_optional_module_and_the_round_says_which_it_has(unit_db, monkeypatch):
    path, db, system_id, place_id = unit_db
    store.create_assessment(db, system_id, place_id, "First", "2026-11-01", ACTOR)
    at = _app(path, monkeypatch, "pages/assess.py")
    labels = [t.label for t in at.toggle]
    assert "Include the optional module: Enablers from the report" in labels
    assert "Include the optional module: Exercise and rehabilitation workforce" in labels
    at.toggle(key="assess_new_enablers").set_value(True)
    next(w for w in at.text_input if w.label == "Round label").set_value("With enablers")
    at.button(key="FormSubmitter:assess_new_round-Start assessment").click().run()
    assert not at.exception
    created = store.list_assessments(db, system_id=system_id).set_index("round_label").loc["With enablers"]
    assert bool(created["include_enablers"]) and not bool(created["include_workforce"])
    assert any("with the module Enablers from the report" in c.value for c in at.caption)


def test_easy_read_covers_the_answering_words_and_is_kept_in_the_address(unit_db, monkeypatch):
    path, db, system_id, place_id = unit_db
    aid = store.create_assessment(db, system_id, place_id, "Easy", "2026-11-01", ACTOR)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid))
    assert "How sure is that evidence?" in [r.label for r in at.radio]
    at.toggle(key="assess_easy").set_value(True).run()
    assert at.query_params["easy"] == ["1"] or at.query_params["easy"] == "1"
    assert NEW.easy("confidence", "") in [r.label for r in at.radio]
    level_radio = next(r for r in at.radio if (r.key or "").startswith(f"assess_answer_{aid}_"))
    assert NEW.easy("dont_know", "") in level_radio.options
    assert at.button(key="assess_next").label == NEW.easy("next_item", "")
    at = _tab(at, aid, "Review and submit")
    assert at.button(key=f"assess_submit_{aid}").label == NEW.easy("submit", "")
    # A new session opened at the same address starts in Easy Read.
    again = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), easy="1")
    assert again.toggle(key="assess_easy").value is True
    assert NEW.easy("confidence", "") in [r.label for r in again.radio]


def test_reports_and_compare_name_reworded_items_when_rounds_of_both_versions_meet(demo_path):
    from datetime import date

    from checklist import analysis, reports

    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])
    rounds = store.list_assessments(db, place_id=place_id).query("status == 'submitted'")
    assert list(rounds["framework_version"])[:2] == ["1.0", NEW.version], "the demo's first round used 1.0"
    second = int(rounds["id"].iloc[1])
    html = reports.assessment_html(db, second, date(2026, 11, 24), with_chart=False)
    changed = [NEW.item(i).title for i, how in wording_changes(OLD, NEW).items() if how == "changed"]
    assert "Framework wording changed" in html and changed[0] in html
    # Places side by side whose rounds used different versions (Compare and its report say which items differ).
    _, facts = analysis.place_levels(db, 1)
    later = [NEW.version] * (len(facts) - 1)
    versions, reworded = analysis.reworded_across(facts.assign(framework_version=["1.0", *later]))
    assert versions == ["1.0", NEW.version] and set(reworded) == set(changed)
    assert analysis.reworded_across(facts.assign(framework_version=NEW.version)) == ([NEW.version], [])

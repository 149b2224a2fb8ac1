"""Reading results: one unit over rounds, and places side by side, on small hand-made data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from checklist import analysis, store
from checklist.scoring import DONT_KNOW
from tests.conftest import ACTOR


@pytest.fixture
def system(fresh_db, fw):
    """Three places; A and B submitted two rounds, C one; B has a later draft that must never count."""
    db = fresh_db
    sid = store.create_system(db, "Cmp ICS", ACTOR)
    places = {n: store.create_place(db, sid, n, ACTOR, population=p) for n, p in (("A", 100), ("B", 300), ("C", 100))}
    core = [i.id for i in fw.items_for(False)]

    def round_(place, label, when, level_of, submit=True):
        aid = store.create_assessment(db, sid, places[place], label, when, ACTOR)
        for n, item in enumerate(core):
            value = level_of(n)
            if value == "dk":
                store.save_response(db, aid, item, ACTOR, answer=DONT_KNOW)
            else:
                store.save_response(db, aid, item, ACTOR, level=value, target_level=min(4, value + 1),
                                    evidence="minutes" if n % 2 else "")  # fmt: skip
        if submit:
            store.submit_assessment(db, aid, ACTOR)
        return aid

    ids = {
        "A1": round_("A", "R1", "2025-01-01", lambda n: 1, submit=False),
        "A2": round_("A", "R2", "2026-01-01", lambda n: 2 if n < 5 else 1, submit=False),
        "B1": round_("B", "R1", "2025-01-01", lambda n: 3),
        "B2": round_("B", "R2", "2026-01-01", lambda n: 3 if n != 2 else 1),
        "B3": round_("B", "R3", "2026-06-01", lambda n: 4, submit=False),
        "C1": round_("C", "R1", "2025-02-01", lambda n: 0 if n != 3 else "dk"),
    }
    store.add_action(db, ids["A1"], "governance", ACTOR, "Set up a partnership board", target_level=2, status="done")
    store.add_action(db, ids["A1"], "referrals", ACTOR, "Pilot a referral form", target_level=3)
    # an action on A2 already overdue
    store.add_action(db, ids["A2"], "follow-up", ACTOR, "Phone follow-up at 6 weeks", due_date="2026-02-01")
    store.submit_assessment(db, ids["A1"], ACTOR)
    store.submit_assessment(db, ids["A2"], ACTOR)
    return db, sid, places, ids


def test_unit_rounds_and_previous_submitted(system):
    db, sid, places, ids = system
    rounds = analysis.unit_rounds(db, sid, places["B"])
    assert [r.label for r in rounds] == ["R1", "R2", "R3"]
    assert [r.submitted for r in rounds] == [True, True, False]
    assert analysis.previous_submitted(rounds, rounds[2]).label == "R2"
    assert analysis.previous_submitted(rounds, rounds[0]) is None
    assert analysis.unit_rounds(db, sid, None) == []  # no whole-system rounds


def test_progress_leaves_drafts_out(system, fw):
    db, sid, places, _ = system
    table = analysis.progress_table(analysis.unit_rounds(db, sid, places["B"]), fw)
    assert sorted(table["round"].unique()) == ["R1", "R2"]
    overall = table[table["series"] == "Overall"]["score"].tolist()
    assert overall[0] == 3.0 and overall[1] < 3.0


def test_item_table_gaps_movers_and_evidence(system):
    db, sid, places, _ = system
    rounds = analysis.unit_rounds(db, sid, places["A"])
    items = analysis.item_table(rounds[1], rounds[0])
    governance = items.set_index("item_id").loc["governance"]
    assert (governance["level"], governance["level_name"], governance["change"]) == (2, "Developing", 1.0)
    assert governance["descriptor"] == rounds[1].framework.item("governance").levels[2]
    gains, falls = analysis.movers(items)
    assert len(gains) == 3 and falls.empty and (gains["change"] == 1).all()
    assert (analysis.gaps_to_target(items)["gap"] == 1).all()  # every target is one level above
    evidence = analysis.evidence_gaps(items)
    assert set(evidence["gap"]) == {"No evidence recorded"} and len(evidence) == 9  # even positions have none


def test_dont_know_is_an_evidence_gap_not_a_zero(system):
    db, sid, places, _ = system
    (c1,) = analysis.unit_rounds(db, sid, places["C"])
    items = analysis.item_table(c1)
    gaps = analysis.evidence_gaps(items)
    assert "Don't know" in set(gaps["gap"])
    assert c1.result.overall == 0.0 and c1.result.dont_know == 1


def test_planned_vs_achieved_and_overdue_actions(system):
    db, sid, places, _ = system
    rounds = analysis.unit_rounds(db, sid, places["A"])
    followed = analysis.planned_vs_achieved(db, rounds[1], rounds[0]).set_index("item")
    assert bool(followed.loc["Governance", "met"]) is True  # aimed for Developing, reached Developing
    assert followed.loc["Referrals", "aimed for"] == "Maturing"
    assert bool(followed.loc["Referrals", "met"]) is False  # reached Developing only
    plan = analysis.action_plan(db, rounds[1], date(2026, 3, 1))
    assert plan["overdue"].tolist() == [True]
    assert analysis.planned_vs_achieved(db, rounds[0], None).empty


def test_latest_submitted_per_place_never_mixes_in_drafts(system):
    db, sid, places, ids = system
    levels, facts = analysis.place_levels(db, sid)
    assert facts["round"].to_dict() == {"A": "R2", "B": "R2", "C": "R1"}
    assert levels.loc["B", "governance"] == 3  # R3 (a draft at 4) is left out
    by_round, facts_r1 = analysis.place_levels(db, sid, "R1")
    assert set(facts_r1.index) == {"A", "B", "C"} and by_round.loc["A", "governance"] == 1
    assert pd.isna(levels.loc["C", "information-sharing"])  # don't know has no level


def test_domain_matrix_median_spread_and_patterns(system, fw):
    db, sid, _, _ = system
    levels, _ = analysis.place_levels(db, sid)
    domains = analysis.domain_matrix(fw, levels)
    assert domains.loc["B", "Governance and shared vision"] == 3.0
    assert domains.loc["C", "Training"] == 0.0
    against = analysis.against_median(domains)
    assert list(against.index) == ["B", "A", "C"]
    assert against.loc["A", "vs median"] == 0.0
    spread = analysis.item_spread(fw, levels).set_index("item")
    assert spread.loc["Governance", "pattern"] == "varies between places"  # 2, 3, 0
    assert spread.loc["Governance", "Not started"] == 1 and spread.loc["Governance", "places"] == 3


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("median", 2.0), ("minimum", 0.0), ("population-weighted mean", (2 * 100 + 3 * 300 + 0 * 100) / 500)],
)
def test_rollup_rules_always_show_the_place_behind(system, fw, rule, expected):
    db, sid, _, _ = system
    levels, facts = analysis.place_levels(db, sid)
    rolled = analysis.rollup(analysis.domain_matrix(fw, levels), rule, facts["population"]).set_index("domain")
    row = rolled.loc["Governance and shared vision"]
    assert row["rolled up"] == pytest.approx(expected)
    assert (row["lowest place"], row["lowest"], row["highest"], row["places"]) == ("C", 0.0, 3.0, 3)


def test_weighted_rollup_without_populations_says_which_places(system, fw):
    db, sid, _, _ = system
    levels, facts = analysis.place_levels(db, sid)
    population = facts["population"].astype(object)
    population["C"] = None
    with pytest.raises(ValueError, match="needs a population for every place: missing for C"):
        analysis.rollup(analysis.domain_matrix(fw, levels), "population-weighted mean", population.astype(float))
    with pytest.raises(ValueError, match="is not one of"):
        analysis.rollup(analysis.domain_matrix(fw, levels), "mode")


def test_anonymised_names_and_best_places(system, fw):
    db, sid, _, _ = system
    assert analysis.anonymised(["x", "y"]) == {"x": "Place A", "y": "Place B"}
    assert analysis.anonymised([str(n) for n in range(28)])["27"] == "Place AB"
    levels, _ = analysis.place_levels(db, sid)
    best = analysis.best_places_for(levels, "governance")
    assert best.to_dict("records") == [{"place": "B", "level": "Maturing"}]
    assert analysis.best_places_for(levels, "governance", exclude="B").empty


def test_order_rows_by_score_or_name():
    frame = pd.DataFrame({"d": [1.0, 3.0, 2.0]}, index=["b", "C", "a"])
    assert list(analysis.order_rows(frame, "score").index) == ["C", "a", "b"]
    assert list(analysis.order_rows(frame, "name").index) == ["a", "b", "C"]


def test_every_place_levels_labels_places_with_their_system_and_skips_drafts(demo_path):
    db = store.connect(demo_path)
    levels = analysis.every_place_levels(db)
    assert len(levels) == 8  # every demo place, one row each (its latest submitted round)
    assert "Ashby Vale (Northmoor and Vale ICS)" in levels.index and "Westcliff (Southdown Coast ICS)" in levels.index
    ashby, _ = analysis.place_levels(db, 1)
    bulk = levels.loc["Ashby Vale (Northmoor and Vale ICS)"].dropna().sort_index()
    assert bulk.equals(ashby.loc["Ashby Vale"].dropna().sort_index())


def test_the_bulk_read_of_every_system_matches_reading_each_system_on_its_own(demo_path, fw):
    db = store.connect(demo_path)
    levels, facts = analysis.latest_levels_everywhere(db)
    medians, lowest = analysis.systems_compared(fw, levels, facts)
    for system_id in store.list_systems(db)["id"]:
        one, _ = analysis.place_levels(db, int(system_id))
        domains = analysis.domain_matrix(fw, one)
        pd.testing.assert_series_equal(medians.loc[system_id].dropna(), domains.median().dropna(), check_names=False)
        pd.testing.assert_series_equal(lowest.loc[system_id].dropna(), domains.min().dropna(), check_names=False)
    store.set_archived(db, "systems", 2, True, ACTOR)
    _, facts = analysis.latest_levels_everywhere(db)
    assert set(facts["system_id"]) == {1}, "archived systems are left out"


def test_with_previous_is_the_one_previous_round_rule(demo_path):
    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])
    rounds = analysis.unit_rounds(db, 1, place_id)
    draft = rounds[-1]
    assert not draft.submitted
    current, previous, change = analysis.rounds_around(db, draft.id)
    assert current.id == draft.id and previous.label == "2026 Q3" and change is not None
    first, none_before, no_change = analysis.with_previous(rounds, rounds[0].id)
    assert none_before is None and no_change is None
    with pytest.raises(store.NotFoundError):
        analysis.with_previous(rounds, 99_999)


def test_anonymised_codes_run_on_like_spreadsheet_columns_for_any_number_of_places():
    codes = list(analysis.anonymised([f"p{n}" for n in range(1000)]).values())
    assert codes[:2] == ["Place A", "Place B"] and codes[25:28] == ["Place Z", "Place AA", "Place AB"]
    assert codes[701:703] == ["Place ZZ", "Place AAA"]
    assert len(set(codes)) == 1000, "a national comparison (1,000 places) never runs out of codes"


def test_an_item_with_a_thriving_place_is_never_weak_everywhere(fw):
    """Low median but one place far ahead: it varies (someone to learn from), not weak everywhere."""
    levels = pd.DataFrame({"referrals": [0.0, 1.0, 1.0, 1.0, 4.0], "governance": [0.0, 1.0, 1.0, 0.0, 1.0]},
                          index=list("ABCDE"))  # fmt: skip
    spread = analysis.item_spread(fw, levels).set_index("item")
    assert spread.loc["Referrals", "pattern"] == "varies between places"
    assert spread.loc["Governance", "pattern"] == "weak everywhere"


def test_a_tie_for_lowest_names_every_place_at_that_value():
    domains = pd.DataFrame({"Training": [1.0, 3.0, 1.0]}, index=["Ashby", "Brook", "Cole"])
    rolled = analysis.rollup(domains, "median")
    assert rolled.loc[0, "lowest place"] == "Ashby, Cole" and rolled.loc[0, "lowest"] == 1.0

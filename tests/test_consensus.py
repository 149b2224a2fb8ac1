"""The rules that turn a group's ratings into a median, a range, agreed / split, and sector gaps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklist import consensus
from checklist.consensus import AGREED, SPLIT, TOO_FEW, tally


def votes(*pairs):
    return list(pairs)


@pytest.mark.parametrize(
    ("ratings", "status"),
    [
        ([2, 2, 3], AGREED),
        ([1, 2, 3, 2], AGREED),  # every rating within one level of the median 2
        ([0, 2, 2, 4], SPLIT),  # two ratings two levels from the median
        ([0, 2, 2, 2, 2], AGREED),  # only one far rating
        ([2, 4], TOO_FEW),
        ([], TOO_FEW),
    ],
)
def test_status_follows_the_documented_rule(ratings, status):
    assert tally("i", [("health", r) for r in ratings]).status == status


def test_sectors_two_levels_apart_make_an_item_split_even_when_ratings_cluster():
    t = tally("i", [("health", 3), ("health", 3), ("lived_experience", 1), ("lived_experience", 1), ("sport", 2)])
    assert t.far == 0  # median 2, every rating within one level
    assert t.sector_medians == {"health": 3.0, "sport": 2.0, "lived_experience": 1.0}
    assert t.status == SPLIT


def test_dont_know_is_counted_but_not_rated():
    t = tally("i", [("vcse", None), ("vcse", 2), ("other", 3), ("health", None)])
    assert (t.votes, t.rated, t.dont_know) == (4, 2, 2)
    assert t.median == 2.5 and t.suggested_level == 2  # an exact half goes down, like the bands
    assert t.many_dont_know
    assert t.describe() == (
        "4 votes; levels 2–3 (Developing to Maturing), median 2.5 (between Developing and Maturing); 2 don't know; "
        "too few ratings to call agreed or split"
    )
    assert tally("i", [("vcse", 3)]).describe() == "1 vote; level 3 · Maturing; too few ratings to call agreed or split"


def test_one_dont_know_is_never_many_however_small_the_room():
    assert not tally("i", [("vcse", None)]).many_dont_know
    assert not tally("i", [("vcse", None), ("health", 2), ("sport", 2)]).many_dont_know
    assert tally("i", [("vcse", None), ("health", None), ("sport", 2)]).many_dont_know
    assert not tally("i", [("vcse", None), ("health", None), *[("sport", 2)] * 7]).many_dont_know  # 2 of 9


def test_unknown_sector_and_level_out_of_range_are_refused():
    with pytest.raises(ValueError, match="sector 'nurses'"):
        tally("i", [("nurses", 2)])
    with pytest.raises(ValueError, match="level 5 is out of range"):
        tally("i", [("health", 5)])


def test_sector_gaps_name_who_rated_higher_widest_first():
    a = tally("a", [("health", 3), ("health", 4), ("lived_experience", 1)])
    b = tally("b", [("health", 2), ("sport", 3)])
    c = tally("c", [("health", 2), ("sport", 2)])
    gaps = consensus.sector_gaps([b, a, c])
    assert [g.item_id for g in gaps] == ["a", "b"]
    assert (gaps[0].high_sector, gaps[0].low_sector, gaps[0].gap) == ("health", "lived_experience", 2.5)
    assert gaps[0].sentence("Governance") == (
        "Governance: Health and care rated it 3.5 (median), Lived experience (disabled person or carer) 1; "
        "2.5 levels apart"
    )
    assert consensus.lived_experience_gaps([a, b, c]) == [("a", 3.5, 1.0)]


def test_rows_behind_the_chart_add_up_to_the_votes():
    t = tally("i", [("health", 2), ("health", 2), ("sport", None), ("lived_experience", 0)])
    rows = consensus.tally_rows(t)
    assert sum(r["votes"] for r in rows) == t.votes == 4
    assert {"sector": "Health and care", "answer": "2 · Developing", "votes": 2} in rows


@given(st.lists(st.tuples(st.sampled_from(list(consensus.SECTORS)), st.none() | st.integers(0, 4)), max_size=80))
def test_a_tally_accounts_for_every_vote(pairs):
    t = tally("i", pairs)
    assert t.votes == len(pairs)
    assert sum(sum(c) for c in t.by_sector.values()) == t.rated
    if t.rated:
        assert t.low <= t.median <= t.high
        assert t.low <= t.suggested_level <= t.high


def test_answers_and_spreads_read_the_same_everywhere():
    assert consensus.answer_label(2) == "2 · Developing" and consensus.answer_label(None) == "Don't know"
    assert consensus.ANSWER_LABELS[0] == "0 · Not started" and consensus.ANSWER_LABELS[-1] == "Don't know"
    assert (tally("i", [("health", 2), ("sport", 2)]).range_text, tally("i", []).range_text) == ("2", "")
    assert tally("i", [("health", 1), ("sport", 4)]).range_text == "1–4"
    assert tally("i", [("health", 1), ("sport", 2)]).median_text == "1.5"


@given(st.lists(st.tuples(st.sampled_from(sorted(consensus.SECTORS)), st.one_of(st.none(), st.integers(0, 4)))))
def test_votes_counted_by_the_database_tally_as_votes_read_one_by_one(pairs):
    groups: dict[tuple, int] = {}
    for pair in pairs:
        groups[pair] = groups.get(pair, 0) + 1
    counted = consensus.tally_counted("i", [(sector, level, n) for (sector, level), n in groups.items()])
    assert counted == tally("i", pairs)

"""Scoring rules: tables of answers in, scores out; and invariants checked with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checklist.framework import current_framework
from checklist.scoring import DONT_KNOW, LEVEL, NOT_APPLICABLE, Answer, band, compare, score_assessment

L = lambda n, target=None: Answer(LEVEL, n, target)  # noqa: E731
DK = Answer(DONT_KNOW)
NA = Answer(NOT_APPLICABLE)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(None, None), (0.0, "Not started"), (0.5, "Not started"), (0.51, "Emerging"), (0.99, "Emerging"),
     (1.0, "Emerging"), (1.5, "Emerging"), (2.5, "Developing"), (2.5000000001, "Developing"), (2.51, "Maturing"),
     (3.75, "Thriving"), (4.0, "Thriving")],
)  # fmt: skip
def test_band_is_the_level_nearest_the_score(score, expected):
    assert band(score) == expected


def test_hand_calculation(fw):
    # governance-vision: governance 3, shared-vision 1 -> 2.0
    # pathways: referrals 2, information-sharing don't know, clinical-pathways 4, others unanswered -> 3.0
    # access: equipment not applicable, others unanswered -> no score
    answers = {
        "governance": L(3, target=4),
        "shared-vision": L(1, target=3),
        "referrals": L(2),
        "information-sharing": DK,
        "clinical-pathways": L(4),
        "equipment": NA,
    }
    result = score_assessment(fw, answers)
    assert result.domain("governance-vision").score == 2.0
    assert result.domain("governance-vision").band == "Developing"
    assert result.domain("pathways").score == 3.0
    assert result.domain("access").score is None
    assert result.overall == 2.5  # mean of the two domains with a score
    assert result.band == "Developing"
    assert (result.answered, result.total, result.dont_know) == (6, 17, 1)
    assert result.item("shared-vision").gap == 2
    assert result.item("governance").gap == 1
    assert result.item("referrals").gap is None


def test_unanswered_dont_know_and_not_applicable_are_never_zero(fw):
    only_high = score_assessment(fw, {"governance": L(4)})
    with_gaps = score_assessment(fw, {"governance": L(4), "shared-vision": DK, "referrals": NA})
    assert only_high.overall == with_gaps.overall == 4.0


def test_empty_assessment_has_no_score_rather_than_zero(fw):
    result = score_assessment(fw, {})
    assert result.overall is None and result.band is None
    assert all(d.score is None for d in result.domains)
    assert result.completion == 0.0


def test_workforce_module_only_counts_when_included(fw):
    answers = {"governance": L(2), "wf-registration": L(4)}
    assert score_assessment(fw, answers, include_workforce=False).overall == 2.0
    assert score_assessment(fw, answers, include_workforce=True).overall == 3.0
    assert score_assessment(fw, answers, include_workforce=True).total == len(fw.items_for(include_workforce=True))


def test_change_since_previous_round(fw):
    before = score_assessment(fw, {"governance": L(1), "shared-vision": L(1), "referrals": L(3)})
    after = score_assessment(fw, {"governance": L(3), "shared-vision": L(1), "referrals": L(2)})
    comparison = compare(after, before, {"referrals": "changed"})
    changes = {c.key: c for c in comparison.items}
    assert changes["governance"].delta == 2 and changes["governance"].direction == "up"
    assert changes["shared-vision"].direction == "no change"
    assert changes["referrals"].direction == "down" and changes["referrals"].wording_changed
    assert changes["care-plans"].direction == "no comparison"
    domains = {c.key: c for c in comparison.domains}
    assert domains["governance-vision"].delta == 1.0
    assert domains["pathways"].wording_changed and not domains["governance-vision"].wording_changed
    assert comparison.overall.delta == pytest.approx((2.0 + 2.0) / 2 - (1.0 + 3.0) / 2)
    assert comparison.wording_changed == ("referrals",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": LEVEL, "level": 5}, "level 5 is out of range; expected a whole number from 0 to 4"),
        ({"kind": LEVEL, "level": -1}, "out of range"),
        ({"kind": LEVEL, "level": None}, "out of range"),
        ({"kind": DONT_KNOW, "level": 2}, "has no level"),
        ({"kind": "maybe"}, "is not one of"),
        ({"kind": LEVEL, "level": 2, "target": 7}, "target level 7 is out of range"),
    ],
)
def test_bad_answers_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Answer(**kwargs)


ANSWER = st.one_of(st.none(), st.sampled_from([DK, NA]), st.integers(0, 4).map(L))


def _answers(fw, draw_list):
    items = fw.items_for(include_workforce=True)
    return {item.id: a for item, a in zip(items, draw_list, strict=False) if a is not None}


@settings(max_examples=150, deadline=None)
@given(st.lists(ANSWER, min_size=25, max_size=25), st.booleans())
def test_scores_stay_in_range(draws, workforce):
    fw = current_framework()
    result = score_assessment(fw, _answers(fw, draws), include_workforce=workforce)
    for value in [result.overall, *(d.score for d in result.domains)]:
        assert value is None or 0 <= value <= 4
    assert 0 <= result.completion <= 1
    has_level = any(i.level is not None for i in result.items)
    assert (result.overall is not None) == has_level


@settings(max_examples=150, deadline=None)
@given(st.lists(ANSWER, min_size=25, max_size=25), st.integers(0, 24), st.booleans())
def test_raising_any_level_never_lowers_a_score(draws, index, workforce):
    fw = current_framework()
    answers = _answers(fw, draws)
    item = fw.items_for(include_workforce=True)[index]
    current = answers.get(item.id)
    if current is None or current.kind != LEVEL or current.level == 4:
        return
    before = score_assessment(fw, answers, include_workforce=workforce)
    after = score_assessment(fw, {**answers, item.id: L(current.level + 1)}, include_workforce=workforce)
    assert after.overall >= before.overall
    for b, a in zip(before.domains, after.domains, strict=True):
        assert a.score is None and b.score is None or a.score >= b.score


def test_mostly_emerging_is_headlined_emerging_not_not_started(fw):
    """The misleading case the band rule exists for: mean 0.99 from items that are mostly Emerging."""
    items = [i.id for d in fw.domains_for(False, False) for i in fw.items_in(d.id)]
    answers = {item: Answer(LEVEL, 1) for item in items}
    answers[items[0]] = Answer(LEVEL, 0)
    result = score_assessment(fw, answers)
    assert result.overall < 1 and result.band == "Emerging"
    assert result.level_counts == (1, len(items) - 1, 0, 0, 0)


def test_projection_raises_items_to_their_open_actions_aims_and_never_lowers(fw):
    from checklist.scoring import projected_answers

    items = [i.id for d in fw.domains_for(False, False) for i in fw.items_in(d.id)]
    answers = {items[0]: Answer(LEVEL, 1, target=3), items[1]: Answer(LEVEL, 3), items[2]: DK, items[3]: NA}
    aims = {items[0]: 3, items[1]: 2, items[2]: 4, items[3]: 4}
    projected = projected_answers(answers, aims)
    assert projected[items[0]] == Answer(LEVEL, 3, target=3)  # raised to the aim, target kept
    assert projected[items[1]] == Answer(LEVEL, 3)  # an aim below the level does not lower it
    assert projected[items[2]] == DK and projected[items[3]] == NA  # no score stays no score
    now, then = score_assessment(fw, answers), score_assessment(fw, projected)
    assert then.overall > now.overall and then.item(items[0]).level == 3
    with pytest.raises(ValueError, match="aim of an action 7 is out of range"):
        projected_answers(answers, {items[0]: 7})

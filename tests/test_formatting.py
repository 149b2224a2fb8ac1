"""One way to write numbers, levels and dates (checklist/formatting.py), and the plain tables built on it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from checklist import formatting, presentation
from checklist.scoring import DONT_KNOW


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "—"), (float("nan"), "—"), (0.0, "0.00"), (0.994, "0.99"), (2.466666, "2.47")]
)
def test_scores_have_two_decimals(value, expected):
    assert formatting.score(value) == expected


def test_changes_carry_their_sign_and_shares_are_whole_percentages():
    assert formatting.delta(0.25) == "+0.25" and formatting.delta(-1) == "-1.00" and formatting.delta(0.001) == "0.00"
    assert formatting.percent(7 / 15) == "47%" and formatting.percent(1) == "100%" and formatting.percent(None) == "—"


def test_levels_are_number_and_name_and_out_of_range_is_refused():
    assert formatting.level(2) == "2 · Developing" and formatting.level(0.0) == "0 · Not started"
    assert formatting.level(None, "None set") == "None set"
    with pytest.raises(ValueError, match="level 5 is out of range; expected a whole number from 0 to 4"):
        formatting.level(5)


def test_dates_and_times_are_written_out_and_counts_grouped():
    assert formatting.day("2026-09-05") == "5 September 2026"
    assert formatting.day(date(2026, 11, 24)) == "24 November 2026"
    assert formatting.moment("2026-11-24T14:05:09.123+00:00") == "24 November 2026, 14:05"
    assert formatting.moment(datetime(2026, 1, 2, 3, 4)) == "2 January 2026, 03:04"
    # UK time, as on the wall: British Summer Time is an hour ahead of the stored UTC
    assert formatting.moment("2026-07-01T14:05:00+00:00") == "1 July 2026, 15:05"
    assert formatting.time_of_day("2026-07-01T23:30:00+00:00") == "00:30"
    assert formatting.time_of_day(datetime(2026, 11, 24, 9, 7, tzinfo=UTC)) == "09:07"
    assert formatting.day(None) == "—" and formatting.count(12345) == "12,345"


def _items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["Referrals", "Governance", "Feedback", "Training"],
            "domain": ["Pathways", "Governance", "Voice", "Training"],
            "answer": ["level", "level", DONT_KNOW, "level"],
            "level": [1, 0, None, 3],
            "level_name": ["Emerging", "Not started", "Don't know", "Maturing"],
            "target": [3, 1, 2, None],
            "gap": [2, 1, None, None],
            "evidence": [True, False, False, True],
            "change": [1.0, 0.0, None, -2.0],
        }
    )


def test_tables_have_plain_headers_and_formatted_values():
    gaps = presentation.gaps(_items())
    assert list(gaps.columns) == ["Item", "Now", "Target", "Gap (levels)"]
    assert gaps.values.tolist() == [["Referrals", "1 · Emerging", "3 · Maturing", 2],
                                    ["Governance", "0 · Not started", "1 · Emerging", 1]]  # fmt: skip
    evidence = presentation.evidence(_items(), DONT_KNOW)
    assert evidence[["Item", "What is missing"]].values.tolist() == [
        ["Governance", "No evidence recorded"], ["Feedback", "Don't know: nobody could say"]]  # fmt: skip
    levels = presentation.item_levels(_items())
    assert levels["Level"].tolist() == ["1 · Emerging", "0 · Not started", "Don't know", "3 · Maturing"]
    assert levels["Change since last round"].tolist() == ["Up 1 level", "No change", "", "Down 2 levels"]
    for frame in (gaps, evidence, levels):
        assert not any("_" in c or c != c[:1].upper() + c[1:] for c in frame.columns)  # sentence case, no internals


def test_action_plan_writes_dates_out_and_marks_overdue_in_words():
    plan = pd.DataFrame({"item": ["Referrals", "Feedback"], "action": ["Pilot", "Survey"], "owner": ["PA lead", ""],
                         "due": ["2026-06-30", None], "status": ["in progress", "not started"],
                         "overdue": [True, False]})  # fmt: skip
    table = presentation.actions(plan)
    assert table.values.tolist() == [["Referrals", "Pilot", "PA lead", "30 June 2026 (overdue)", "In progress"],
                                     ["Feedback", "Survey", "No owner yet", "No date", "Not started"]]  # fmt: skip


def test_a_hidden_label_keeps_a_titles_words_but_never_makes_a_link_or_an_image():
    from checklist.formatting import WORD_JOINER, name_text

    assert name_text("Co-production (CIMSPA): 1. start") == "Co-production (CIMSPA): 1. start"  # national titles
    made = name_text("![x](http://evil.example/i.png) [go](https://a.example) **b** <i> mail@x.org www.x.org")
    assert not set(made) & set("[]!<>*")
    assert f"http{WORD_JOINER}://" in made and f"mail{WORD_JOINER}@x.org" in made and f"www{WORD_JOINER}.x" in made

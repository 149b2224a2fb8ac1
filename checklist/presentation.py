"""Tables as a reader sees them: plain column headers and values written by the one formatting rule.

analysis.py returns working frames (internal column names, raw numbers) that charts and exports
build on; the functions here turn them into what a page shows, so every page says "Level" rather
than `level_name` and "2 · Developing" rather than 2.
"""

from __future__ import annotations

import pandas as pd

from checklist import formatting
from checklist.scoring import AssessmentScore

STATUS_WORDS = {"not started": "Not started", "in progress": "In progress", "done": "Done", "dropped": "Dropped"}


def _level_or_words(row: pd.Series) -> str:
    return formatting.level(row["level"]) if pd.notna(row["level"]) else str(row["level_name"])


def levels_spread(result: AssessmentScore) -> str:
    """'2 Not started · 9 Emerging · 4 Developing': how many items sit at each level (levels with none left out)."""
    from checklist.framework import LEVEL_NAMES

    parts = [f"{n} {name}" for n, name in zip(result.level_counts, LEVEL_NAMES, strict=True) if n]
    return " · ".join(parts) if parts else "No item has a level yet"


def highlight(title: str, domain: str, why: str) -> str:
    """A strength or priority as one Markdown line: '**Referrals** (Pathways): at Emerging'. An item named like its
    domain is named once ('**Workforce diversity**: at Not started'), never 'Workforce diversity (Workforce diversity)'.
    The title and domain are shown as written (a system's own items are user text); `why` is the app's words."""
    title, domain_words = formatting.markdown_text(title), formatting.markdown_text(domain)
    named = f"**{title}**" if title.casefold() == domain_words.casefold() else f"**{title}** ({domain_words})"
    return f"{named}: {why}"


def item_levels(items: pd.DataFrame) -> pd.DataFrame:
    """Every item: domain, title, level (with name, or why it has none), target, gap, evidence, change."""
    return pd.DataFrame(
        {
            "Domain": items["domain"],
            "Item": items["item"],
            "Level": items.apply(_level_or_words, axis=1),
            "Target": [formatting.level(t, "None set") for t in items["target"]],
            "Gap (levels)": [formatting.count(None if pd.isna(g) else int(g), "") for g in items["gap"]],
            "Evidence recorded": items["evidence"].map({True: "Yes", False: "No"}),
            "Change since last round": [_level_change(c) for c in items["change"]],
        }
    )


def _level_change(change: float | None) -> str:
    if change is None or pd.isna(change):
        return ""
    if change == 0:
        return "No change"
    steps = int(abs(change))
    return f"{'Up' if change > 0 else 'Down'} {steps} level{'s' if steps != 1 else ''}"


def gaps(items: pd.DataFrame) -> pd.DataFrame:
    """Items below their target, largest gap first: where they are, where they aim, and how far apart."""
    below = items[items["gap"].fillna(0) > 0].sort_values(["gap", "level"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Item": below["item"],
            "Now": [formatting.level(v) for v in below["level"]],
            "Target": [formatting.level(v) for v in below["target"]],
            "Gap (levels)": below["gap"].astype(int),
        }
    )


def evidence(items: pd.DataFrame, dont_know: str) -> pd.DataFrame:
    """Don't-know answers and answered items with no evidence: the item and what is missing."""
    mask = (items["answer"] == dont_know) | ((items["answer"] == "level") & ~items["evidence"])
    out = items[mask]
    return pd.DataFrame(
        {
            "Item": out["item"],
            "Domain": out["domain"],
            "What is missing": [
                "Don't know: nobody could say" if a == dont_know else "No evidence recorded" for a in out["answer"]
            ],  # fmt: skip
        }
    )


def actions(plan: pd.DataFrame) -> pd.DataFrame:
    """The action plan: item, action, owner, due date (written out, 'overdue' where it is) and status."""
    due = [formatting.day(d) if isinstance(d, str) and d else "No date" for d in plan["due"]]
    return pd.DataFrame(
        {
            "Item": plan["item"],
            "Action": plan["action"],
            "Owner": plan["owner"].replace("", "No owner yet"),
            "Due": [f"{d} (overdue)" if late else d for d, late in zip(due, plan["overdue"], strict=True)],
            "Status": plan["status"].map(STATUS_WORDS).fillna(plan["status"]),
        }
    )


def followed_up(frame: pd.DataFrame) -> pd.DataFrame:
    """Last round's actions: what each aimed for against the level reached now."""
    return pd.DataFrame(
        {
            "Item": frame["item"],
            "Action": frame["action"],
            "Status then": frame["status then"].map(STATUS_WORDS).fillna(frame["status then"]),
            "Aimed for": frame["aimed for"],
            "Reached": frame["reached"],
            "Met": frame["met"].map({True: "Yes", False: "Not yet"}).fillna("—"),
        }
    )


def domains_now_projected_target(domains: pd.DataFrame, projected: AssessmentScore, titles: dict[str, str]):
    """Each domain's score now, if the open actions reach their aims, and the mean of its targets."""
    ahead = {titles[d.domain_id]: d.score for d in projected.domains}
    return pd.DataFrame(
        {
            "Domain": domains["domain"],
            "Now": [formatting.score(v) for v in domains["current"]],
            "If open actions succeed": [formatting.score(ahead.get(d)) for d in domains["domain"]],
            "Target (mean of items)": [formatting.score(v, "None set") for v in domains["target"]],
        }
    )


def domain_scores(domains: pd.DataFrame) -> pd.DataFrame:
    """The radar's data with plain headers and scores to two decimals."""
    return pd.DataFrame(
        {
            "Domain": domains["domain"],
            "This round": [formatting.score(v) for v in domains["current"]],
            "Previous round": [formatting.score(v) for v in domains["previous"]],
            "Target (mean of items)": [formatting.score(v) for v in domains["target"]],
        }
    )

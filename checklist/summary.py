"""Plain-words reading of a score: strengths, priorities and the domain table behind them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from checklist.framework import Framework
from checklist.scoring import AssessmentScore, Comparison


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 vote', '3 votes'; with `many` for irregular words: plural(3, 'person', 'people') is '3 people'."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


@dataclass(frozen=True)
class Highlight:
    item_id: str
    title: str
    domain: str
    level: int
    target: int | None
    why: str


def _highlight(framework: Framework, item_id: str, level: int, target: int | None, why: str) -> Highlight:
    item = framework.item(item_id)
    return Highlight(item_id, item.title, framework.domain(item.domain).title, level, target, why)


def strengths(framework: Framework, result: AssessmentScore, limit: int = 3) -> list[Highlight]:
    """The highest-scoring items (level 3 or more where there are any), best first."""
    scored = [i for i in result.items if i.level is not None]
    ranked = sorted(scored, key=lambda i: (-i.level, i.item_id))
    chosen = [i for i in ranked if i.level >= 3] or ranked[:1]
    return [
        _highlight(framework, i.item_id, i.level, i.target, f"at {framework.level_name(i.level)}")
        for i in chosen[:limit]
    ]


def priorities(framework: Framework, result: AssessmentScore, limit: int = 3) -> list[Highlight]:
    """The items most in need of work: lowest level first, then the largest gap to target."""
    scored = [i for i in result.items if i.level is not None]
    ranked = sorted(scored, key=lambda i: (i.level, -(i.gap or 0), i.item_id))
    out = []
    for i in ranked[:limit]:
        why = f"at {framework.level_name(i.level)}"
        if i.gap:
            why += f", {i.gap} level{'s' if i.gap > 1 else ''} below its target"
        out.append(_highlight(framework, i.item_id, i.level, i.target, why))
    return out


def domain_table(framework: Framework, result: AssessmentScore, comparison: Comparison | None = None) -> pd.DataFrame:
    """One row per domain: score, band, answered, don't know, and change since last round."""
    changes = {c.key: c for c in comparison.domains} if comparison else {}
    rows = []
    for d in result.domains:
        change = changes.get(d.domain_id)
        rows.append(
            {
                "Domain": framework.domain_label(d.domain_id),
                "Score (0–4)": None if d.score is None else round(d.score, 2),
                "Band": d.band or "No score yet",
                "Answered": f"{d.answered}/{d.total}",
                "Don't know": d.dont_know,
                "Change since last round": None if change is None or change.delta is None else round(change.delta, 2),
            }
        )
    return pd.DataFrame(rows)

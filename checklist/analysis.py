"""Reading results: one unit over its rounds, and places side by side. Plain data in, DataFrames out.

Reads for one unit touch only that unit's assessments (by index) and their responses (by primary
key prefix), so a one-place dashboard costs the same however large the database grows.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlite_utils

from checklist import formatting, store
from checklist.framework import LEVEL_NAMES, LOCAL_PREFIX, NATIONAL_ONLY_SQL, Framework, framework_for, wording_changes
from checklist.scoring import DONT_KNOW, AssessmentScore, Comparison, compare, score_assessment

ROLLUP_RULES = ("median", "minimum", "population-weighted mean")
# An item "varies" across places when their levels span at least this many levels; otherwise it is "weak
# everywhere" when the median place is at Emerging or below. Varies is decided first: an item where one
# place is Thriving is never called weak everywhere, however low the others are (it has a place to learn from).
VARIES_SPAN = 2
WEAK_MEDIAN = 1.0


# --- one unit ---------------------------------------------------------------------------------


def _responses_for(db: sqlite_utils.Database, assessment_ids: list[int]) -> dict[int, dict[str, dict]]:
    if not assessment_ids:
        return {}
    marks = ",".join("?" * len(assessment_ids))
    cursor = db.execute(f"SELECT * FROM responses WHERE assessment_id IN ({marks})", assessment_ids)
    columns = [c[0] for c in cursor.description]
    out: dict[int, dict[str, dict]] = {i: {} for i in assessment_ids}
    for row in cursor.fetchall():
        record = dict(zip(columns, row, strict=True))
        out[record["assessment_id"]][record["item_id"]] = record
    return out


@dataclass(frozen=True)
class Round:
    """One assessment of a unit with its score."""

    assessment: dict
    framework: Framework
    responses: dict[str, dict]
    result: AssessmentScore

    @property
    def id(self) -> int:
        return int(self.assessment["id"])

    @property
    def label(self) -> str:
        return str(self.assessment["round_label"])

    @property
    def submitted(self) -> bool:
        return self.assessment["status"] == store.SUBMITTED


def unit_rounds(db: sqlite_utils.Database, system_id: int, place_id: int | None) -> list[Round]:
    """Every round of one unit (a place, or the whole system when place_id is None), oldest first."""
    frame = store.list_assessments(db, system_id=system_id, place_id=place_id, whole_system=place_id is None)
    ids = [int(i) for i in frame["id"]]
    saved = _responses_for(db, ids)
    rounds = []
    for assessment_id in ids:
        assessment = store.get_assessment(db, assessment_id)
        fw = store.framework_of(assessment)
        rows = saved[assessment_id]
        result = score_assessment(
            fw, store.answers_from(rows), assessment["include_workforce"], assessment["include_enablers"]
        )
        rounds.append(Round(assessment, fw, rows, result))
    return rounds


def previous_submitted(rounds: list[Round], current: Round) -> Round | None:
    earlier = [
        r
        for r in rounds
        if r.submitted
        and r.id != current.id
        and (r.assessment["assessment_date"], r.id) < (current.assessment["assessment_date"], current.id)
    ]
    return earlier[-1] if earlier else None


def comparison(current: Round, previous: Round | None) -> Comparison | None:
    if previous is None:
        return None
    return compare(current.result, previous.result, wording_changes(previous.framework, current.framework))


def with_previous(rounds: list[Round], assessment_id: int) -> tuple[Round, Round | None, Comparison | None]:
    """One round of a unit, the submitted round before it, and the change between them.

    The one rule for "the previous round", used by the Assess results, the Dashboard and the board
    report alike: the latest submitted round dated before this one (ties broken by creation order).
    """
    current = next((r for r in rounds if r.id == assessment_id), None)
    if current is None:
        raise store.NotFoundError(f"assessment {assessment_id} is not one of this unit's rounds")
    previous = previous_submitted(rounds, current)
    return current, previous, comparison(current, previous)


def rounds_around(db: sqlite_utils.Database, assessment_id: int) -> tuple[Round, Round | None, Comparison | None]:
    """with_previous for one assessment, reading only its unit's rounds."""
    a = store.get_assessment(db, assessment_id)
    rounds = unit_rounds(db, int(a["system_id"]), None if a["place_id"] is None else int(a["place_id"]))
    return with_previous(rounds, assessment_id)


def progress_table(rounds: list[Round], fw: Framework) -> pd.DataFrame:
    """Long table for the progress chart: one row per submitted round × (each domain and overall)."""
    rows = []
    for r in rounds:
        if not r.submitted:
            continue
        for d in r.result.domains:
            title = r.framework.domain(d.domain_id).title
            rows.append({"round": r.label, "date": r.assessment["assessment_date"], "series": title, "score": d.score})
        rows.append(
            {"round": r.label, "date": r.assessment["assessment_date"], "series": "Overall", "score": r.result.overall}
        )
    return pd.DataFrame(rows, columns=["round", "date", "series", "score"])


def domain_table(current: Round, previous: Round | None) -> pd.DataFrame:
    """Radar data: each domain's score now, in the previous round, and the mean of its item targets."""
    prev = {d.domain_id: d.score for d in previous.result.domains} if previous else {}
    rows = []
    for d in current.result.domains:
        targets = [i.target for i in current.result.items if i.domain_id == d.domain_id and i.target is not None]
        rows.append(
            {
                "domain": current.framework.domain_label(d.domain_id),
                "current": d.score,
                "previous": prev.get(d.domain_id),
                "target": float(np.mean(targets)) if targets else None,
            }
        )
    return pd.DataFrame(rows, columns=["domain", "current", "previous", "target"])


def item_table(current: Round, previous: Round | None = None) -> pd.DataFrame:
    """Every item in scope: level, its name and descriptor, target, gap, evidence, change since last round."""
    change = comparison(current, previous)
    deltas = {c.key: c for c in change.items} if change else {}
    rows = []
    for i in current.result.items:
        item = current.framework.item(i.item_id)
        saved = current.responses.get(i.item_id) or {}
        c = deltas.get(i.item_id)
        rows.append(
            {
                "item_id": i.item_id,
                "item": item.title,
                "domain": current.framework.domain(item.domain).title,
                "answer": i.kind or "unanswered",
                "level": i.level,
                "level_name": LEVEL_NAMES[i.level]
                if i.level is not None
                else ("Don't know" if i.kind == DONT_KNOW else "Not applicable" if i.kind else "Not answered"),
                "descriptor": item.descriptor(i.level) if i.level is not None else "",
                "target": i.target,
                "gap": i.gap,
                "evidence": bool((saved.get("evidence") or "").strip()),
                "confidence": saved.get("confidence"),
                "change": c.delta if c else None,
                "wording_changed": bool(c and c.wording_changed),
            }
        )
    return pd.DataFrame(rows)


def gaps_to_target(items: pd.DataFrame) -> pd.DataFrame:
    """Items below their target, largest gap first."""
    below = items[items["gap"].fillna(0) > 0]
    return below.sort_values(["gap", "level"], ascending=[False, True])[
        ["item", "domain", "level_name", "target", "gap"]
    ]


def evidence_gaps(items: pd.DataFrame) -> pd.DataFrame:
    """Don't-know answers, and answered items with no evidence recorded."""
    mask = (items["answer"] == DONT_KNOW) | ((items["answer"] == "level") & ~items["evidence"])
    out = items[mask][["item", "domain", "answer"]].copy()
    out["gap"] = np.where(out["answer"] == DONT_KNOW, "Don't know", "No evidence recorded")
    return out[["item", "domain", "gap"]]


def movers(items: pd.DataFrame, limit: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Biggest gains and biggest falls since the previous round (items with reworded text left out)."""
    moved = items[items["change"].notna() & ~items["wording_changed"]]
    gains = moved[moved["change"] > 0].sort_values("change", ascending=False).head(limit)
    falls = moved[moved["change"] < 0].sort_values("change").head(limit)
    cols = ["item", "domain", "level_name", "change"]
    return gains[cols], falls[cols]


def action_plan(db: sqlite_utils.Database, current: Round, today: date) -> pd.DataFrame:
    """The unit's live actions with owner and due date; overdue ones marked."""
    actions = store.list_actions(db, current.id)
    if actions.empty:
        return pd.DataFrame(columns=["item", "action", "owner", "due", "status", "overdue"])
    titles = {i.id: i.title for i in current.framework.items}
    due = pd.to_datetime(actions["due_date"], errors="coerce").dt.date
    open_ = ~actions["status"].isin(["done", "dropped"])
    return pd.DataFrame(
        {
            "item": actions["item_id"].map(titles),
            "action": actions["description"],
            "owner": actions["owner"],
            "due": actions["due_date"],
            "status": actions["status"],
            "overdue": [
                bool(o and d is not None and not pd.isna(d) and d < today) for o, d in zip(open_, due, strict=True)
            ],
        }
    ).sort_values(["overdue", "due"], ascending=[False, True])


def planned_vs_achieved(db: sqlite_utils.Database, current: Round, previous: Round | None) -> pd.DataFrame:
    """For each action of the previous round: the level it aimed for against the level reached now."""
    columns = ["item", "action", "status then", "aimed for", "reached", "met"]
    if previous is None:
        return pd.DataFrame(columns=columns)
    actions = store.list_actions(db, previous.id)
    if actions.empty:
        return pd.DataFrame(columns=columns)
    reached = {i.item_id: i.level for i in current.result.items}
    rows = []
    for a in actions.itertuples():
        aim = None if pd.isna(a.target_level) else int(a.target_level)
        now = reached.get(a.item_id)
        rows.append(
            {
                "item": previous.framework.item(a.item_id).title
                if previous.framework.has_item(a.item_id)
                else a.item_id,
                "action": a.description,
                "status then": a.status,
                "aimed for": LEVEL_NAMES[aim] if aim is not None else "—",
                "reached": LEVEL_NAMES[now] if now is not None else "No score",
                "met": None if aim is None or now is None else now >= aim,
            }
        )
    return pd.DataFrame(rows, columns=columns)


# --- places side by side ------------------------------------------------------------------------


def anonymised(names: list[str]) -> dict[str, str]:
    """Place A, Place B, … in the order given (AA, AB … after Z, AAA after ZZ: as many as there are places)."""
    letters = string.ascii_uppercase

    def code(n: int) -> str:
        out = ""
        n += 1
        while n:  # bijective base 26, like spreadsheet columns
            n, rest = divmod(n - 1, 26)
            out = letters[rest] + out
        return out

    return {name: f"Place {code(n)}" for n, name in enumerate(names)}


def places_compared(facts: pd.DataFrame, anonymise: bool) -> str:
    """The line saying which rounds are compared (plain text: the caller escapes it). By name, each place's round
    and date; anonymised, nothing per place, since a round's date or label can single a place out ("the one
    assessed on 2 December"): only how many places and the months their rounds span."""
    if not anonymise:
        return (
            "Places compared: "
            + "; ".join(
                f"{place} ({label}, {formatting.day(when)})"
                for place, label, when in zip(facts.index, facts["round"], facts["date"], strict=True)
            )
            + "."
        )
    months = sorted({str(d)[:7] for d in facts["date"].dropna()})
    span = ""
    if months:
        first, last = (formatting.day(f"{m}-01").split(" ", 1)[1] for m in (months[0], months[-1]))
        span = f", from rounds dated {first}" + (f" to {last}" if last != first else "")
    return (
        f"{len(facts)} places compared{span}. Anonymised: no place's round or date is shown, as either could "
        "tell a reader which place a letter is."
    )


def anonymised_systems(system_ids: list[int]) -> dict[int, str]:
    """System A, B, … for systems in the order given (score order, never their names' order)."""
    letters = anonymised([str(s) for s in system_ids])
    return {s: letters[str(s)].replace("Place", "System") for s in system_ids}


def latest_levels_everywhere(db: sqlite_utils.Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every active place of every active system at its latest submitted round, in two queries at any scale.

    Returns (places × items levels indexed by place id, facts indexed by place id: place, system_id,
    system, assessment_id), ordered by system then place name. Drafts are never mixed in.
    """
    latest = """WITH ranked AS (
            SELECT a.id, a.place_id, p.name AS place, s.id AS system_id, s.name AS system,
                   row_number() OVER (PARTITION BY a.place_id ORDER BY a.assessment_date DESC, a.id DESC) AS n
            FROM assessments a JOIN places p ON p.id = a.place_id JOIN systems s ON s.id = a.system_id
            WHERE a.status = 'submitted' AND p.archived_at IS NULL AND s.archived_at IS NULL)
        SELECT id, place_id, place, system_id, system FROM ranked WHERE n = 1"""
    facts = pd.DataFrame(
        db.execute(latest).fetchall(), columns=["assessment_id", "place_id", "place", "system_id", "system"]
    )
    facts = facts.sort_values(["system", "place"], key=lambda names: names.str.casefold())
    facts = facts.set_index("place_id")
    rows = db.execute(
        f"""SELECT l.place_id, r.item_id, r.level FROM responses r JOIN ({latest}) l ON l.id = r.assessment_id
            WHERE r.level IS NOT NULL AND {NATIONAL_ONLY_SQL}"""  # systems' own items are never compared
    ).fetchall()
    levels = pd.DataFrame(rows, columns=["place_id", "item_id", "level"])
    matrix = levels.pivot(index="place_id", columns="item_id", values="level").astype(float)
    return matrix.reindex(facts.index).rename_axis(index=None, columns=None), facts


def every_place_levels(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every active place in the database at its latest submitted round: places ("Place (System)") x items.

    For "where to learn from", which looks across systems on purpose; everything else reads one unit.
    """
    return labelled_by_place(*latest_levels_everywhere(db))


def labelled_by_place(levels: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """latest_levels_everywhere's levels indexed "Place (System)", as every cross-system view names places."""
    if facts.empty:
        return pd.DataFrame()
    return levels.set_axis([f"{p} ({s})" for p, s in zip(facts["place"], facts["system"], strict=True)], axis=0)


def systems_compared(fw: Framework, levels: pd.DataFrame, facts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each system's places rolled up by the median, per domain, and its lowest place per domain.

    Takes latest_levels_everywhere's result; both frames are indexed by system id.
    """
    if facts.empty:
        return pd.DataFrame(), pd.DataFrame()
    domains = domain_matrix(fw, levels)
    by_system = domains.groupby(facts["system_id"])
    return by_system.median(), by_system.min()


def place_levels(
    db: sqlite_utils.Database, system_id: int, round_label: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels of every place in a system: (places × items levels, one row of facts per place).

    With round_label None, each place's latest submitted round is used. Drafts are never mixed in.
    """
    params: list = [system_id]
    label_clause = ""
    if round_label is not None:
        label_clause = "AND lower(a.round_label) = lower(?)"
        params.append(round_label)
    cursor = db.execute(
        f"""SELECT a.id, a.place_id, p.name, p.population, a.round_label, a.assessment_date, a.framework_version
            FROM assessments a JOIN places p ON p.id = a.place_id
            WHERE a.system_id = ? AND a.status = 'submitted' AND p.archived_at IS NULL {label_clause}
            ORDER BY a.assessment_date, a.id""",
        params,
    )
    latest: dict[int, tuple] = {}
    for row in cursor.fetchall():
        latest[row[1]] = row  # later rows replace earlier: the latest round per place
    facts = pd.DataFrame(
        [
            {
                "assessment_id": r[0],
                "place_id": r[1],
                "place": r[2],
                "population": r[3],
                "round": r[4],
                "date": r[5],
                "framework_version": r[6],
            }
            for r in latest.values()
        ],
        columns=["assessment_id", "place_id", "place", "population", "round", "date", "framework_version"],
    )
    saved = _responses_for(db, [int(i) for i in facts["assessment_id"]])
    levels = {
        place: {
            item_id: row["level"]
            for item_id, row in saved[int(aid)].items()
            if row["level"] is not None and not item_id.startswith(LOCAL_PREFIX)  # like with like: national items
        }
        for place, aid in zip(facts["place"], facts["assessment_id"], strict=True)
    }
    matrix = pd.DataFrame.from_dict(levels, orient="index", dtype=float)
    return matrix, facts.set_index("place")


def reworded_across(facts: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Rounds set side by side (facts with a framework_version column): the versions among them, oldest
    first, and the titles of items whose wording differs between any two of them."""
    versions = sorted(set(facts.get("framework_version", pd.Series(dtype=str)).dropna()),
                      key=lambda v: tuple(int(p) for p in v.split(".")))  # fmt: skip
    titles: dict[str, str] = {}
    for older, newer in zip(versions, versions[1:], strict=False):
        old_fw, new_fw = framework_for(older), framework_for(newer)
        for item_id, how in wording_changes(old_fw, new_fw).items():
            if how == "changed":
                titles[item_id] = new_fw.item(item_id).title
    return versions, list(titles.values())


def domain_matrix(fw: Framework, levels: pd.DataFrame) -> pd.DataFrame:
    """Places × domains: the mean level of each domain's scored items (the same rule as a domain score)."""
    out = {}
    for domain in fw.domains:
        cols = [i.id for i in fw.items_in(domain.id) if i.id in levels.columns]
        if cols:
            out[domain.title] = levels[cols].mean(axis=1, skipna=True)
    frame = pd.DataFrame(out, index=levels.index)
    return frame.dropna(axis=1, how="all")


def order_rows(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Order places by overall mean (highest first) or by name."""
    if frame.empty or by == "name":
        return frame.sort_index(key=lambda s: s.str.lower())
    return frame.loc[frame.mean(axis=1, skipna=True).sort_values(ascending=False).index]


def against_median(domains: pd.DataFrame) -> pd.DataFrame:
    """Each place's overall score, the system median and the difference; with the spread of domain scores."""
    overall = domains.mean(axis=1, skipna=True)
    median = float(overall.median()) if len(overall) else float("nan")
    return pd.DataFrame(
        {
            "overall": overall,
            "vs median": overall - median,
            "lowest domain": domains.min(axis=1),
            "highest domain": domains.max(axis=1),
        }
    ).sort_values("overall", ascending=False)


def item_spread(fw: Framework, levels: pd.DataFrame) -> pd.DataFrame:
    """For each item: how many places at each level, the median and span, and whether it is a
    system-wide weakness (median at Emerging or below) or varies between places (span of 2+ levels)."""
    present = [item for item in fw.items if item.id in levels.columns and levels[item.id].notna().any()]
    if not present:
        return pd.DataFrame()
    grid = levels[[item.id for item in present]]
    # Whole-table operations, one per statistic, rather than one pass per item.
    counts = {name: (grid == value).sum() for value, name in enumerate(LEVEL_NAMES)}
    medians, spans, sizes = grid.median(), grid.max() - grid.min(), grid.notna().sum()
    rows = []
    for item in present:
        median, span = float(medians[item.id]), int(spans[item.id])
        pattern = (
            "varies between places"
            if span >= VARIES_SPAN
            else "weak everywhere"
            if median <= WEAK_MEDIAN
            else "similar"
        )
        rows.append(
            {
                "item": item.title,
                "domain": fw.domain(item.domain).title,
                **{name: int(counts[name][item.id]) for name in LEVEL_NAMES},
                "places": int(sizes[item.id]),
                "median": median,
                "span": span,
                "pattern": pattern,
            }
        )
    return pd.DataFrame(rows)


def rollup(domains: pd.DataFrame, rule: str, population: pd.Series | None = None) -> pd.DataFrame:
    """Places rolled up to their system per domain by a chosen rule, always with the spread behind it."""
    if rule not in ROLLUP_RULES:
        raise ValueError(f"roll-up rule {rule!r} is not one of {', '.join(ROLLUP_RULES)}")
    rows = []
    for domain in domains.columns:
        values = domains[domain].dropna()
        if values.empty:
            continue
        if rule == "median":
            value = float(values.median())
        elif rule == "minimum":
            value = float(values.min())
        else:
            weights = population.reindex(values.index) if population is not None else None
            if weights is None or weights.isna().any() or weights.sum() <= 0:
                raise ValueError(
                    "a population-weighted mean needs a population for every place: "
                    f"missing for {', '.join(values.index[weights.isna()]) if weights is not None else 'all places'}"
                )
            value = float(np.average(values, weights=weights))
        # Every place at the lowest value is named: picking one of several tied places would single it out.
        lowest = ", ".join(values.index[values == values.min()])
        rows.append(
            {
                "domain": domain,
                "rolled up": value,
                "lowest place": lowest,
                "lowest": float(values.min()),
                "highest": float(values.max()),
                "places": len(values),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class LearnFrom:
    """Who is doing well on one item: places the reader may read, by name, and how many others."""

    named: pd.DataFrame  # place, level: the reader's own places at Maturing or above, highest first
    elsewhere: int  # how many places the reader has no role for are at Maturing or above
    elsewhere_text: str  # that count as it may be shown ("fewer than 3" for a small group)


def learn_from(
    levels: pd.DataFrame, item_id: str, readable: set[str], exclude: str | None, minimum: int, limit: int = 3
) -> LearnFrom:
    """Places at Maturing or above on one item. Places the reader may read are named (up to `limit`); places
    they have no role for are only counted, and a count under `minimum` is said as "fewer than N", since one
    anonymised place's level is still one place's figure."""
    good = best_places_for(levels, item_id, exclude=exclude, limit=len(levels))
    mine = good[good["place"].isin(readable)].head(limit).reset_index(drop=True)
    others = int((~good["place"].isin(readable)).sum())
    text = f"fewer than {minimum}" if 0 < others < minimum else str(others)
    return LearnFrom(mine, others, text)


def best_places_for(levels: pd.DataFrame, item_id: str, exclude: str | None = None, limit: int = 3) -> pd.DataFrame:
    """The places scoring highest on one item (level 3+), to learn from."""
    if item_id not in levels.columns:
        return pd.DataFrame(columns=["place", "level"])
    values = levels[item_id].dropna()
    if exclude is not None:
        values = values.drop(exclude, errors="ignore")
    values = values[values >= 3].sort_values(ascending=False).head(limit)
    return pd.DataFrame({"place": values.index, "level": [LEVEL_NAMES[int(v)] for v in values]})

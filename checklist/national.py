"""The national view: systems compared by the spread of their places, the national distribution over time, and
a file of aggregates that could be published as open data.

Everything here is made to be published, so the minimum group (disclosure.min_group) applies whoever reads it:
a system with fewer places with results than that shows "fewer than N" instead of figures, and so does a period
with too few places, or a level held by too few places in a period. Only submitted rounds of places (never a
system's own whole-system rounds, never drafts) are counted; a place counts once per period, at its latest round
in it. A place's overall score is the mean of its domain scores, as on every other page.
"""

from __future__ import annotations

import io

import pandas as pd
import sqlite_utils

from checklist import analysis, disclosure, exports
from checklist.framework import LEVEL_NAMES, NATIONAL_ONLY_SQL, Framework
from checklist.scoring import band

SPREAD_COLUMNS = ["system", "places", "lowest", "lower quartile", "median", "upper quartile", "highest"]
FIGURES = SPREAD_COLUMNS[2:]


def place_rounds(db: sqlite_utils.Database, fw: Framework) -> pd.DataFrame:
    """Every submitted round of every active place: assessment_id, system_id, system, place_id, date, period
    ("2026 Q3") and overall score, in two queries whatever the number of rounds."""
    rounds = pd.DataFrame(
        db.execute(
            """SELECT a.id, a.system_id, s.name, a.place_id, a.assessment_date FROM assessments a
               JOIN places p ON p.id = a.place_id JOIN systems s ON s.id = a.system_id
               WHERE a.status = 'submitted' AND p.archived_at IS NULL AND s.archived_at IS NULL"""
        ).fetchall(),
        columns=["assessment_id", "system_id", "system", "place_id", "date"],
    )
    if rounds.empty:
        return rounds.assign(period=pd.Series(dtype=str), overall=pd.Series(dtype=float))
    levels = pd.DataFrame(
        db.execute(
            """SELECT r.assessment_id, r.item_id, r.level FROM responses r JOIN assessments a ON a.id = r.assessment_id
               JOIN places p ON p.id = a.place_id
               WHERE a.status = 'submitted' AND p.archived_at IS NULL AND r.level IS NOT NULL
               AND """
            + NATIONAL_ONLY_SQL  # a system's own items never enter national figures
        ).fetchall(),
        columns=["assessment_id", "item_id", "level"],
    )
    matrix = levels.pivot(index="assessment_id", columns="item_id", values="level").astype(float)
    overall = analysis.domain_matrix(fw, matrix).mean(axis=1, skipna=True)
    dates = pd.to_datetime(rounds["date"])
    return rounds.assign(
        period=dates.dt.year.astype(str) + " Q" + dates.dt.quarter.astype(str),
        overall=rounds["assessment_id"].map(overall),
    ).sort_values(["date", "assessment_id"])


def _spread(scores: pd.Series) -> dict[str, float]:
    return {
        "lowest": float(scores.min()),
        "lower quartile": float(scores.quantile(0.25)),
        "median": float(scores.median()),
        "upper quartile": float(scores.quantile(0.75)),
        "highest": float(scores.max()),
    }


def systems_spread(rounds: pd.DataFrame, minimum: int) -> pd.DataFrame:
    """One row per system: how many places have results (their latest round each) and how those places' overall
    scores spread (never one mean, which would hide a place far behind). A system with fewer places than
    `minimum` has no figures (None) and `shown` False."""
    latest = rounds.dropna(subset=["overall"]).drop_duplicates("place_id", keep="last")
    rows = []
    for (system_id, system), group in latest.groupby(["system_id", "system"], sort=False):
        held = disclosure.too_small(len(group), minimum)
        figures = dict.fromkeys(FIGURES) if held else _spread(group["overall"])
        rows.append({"system_id": system_id, "system": system, "places": len(group), **figures, "shown": not held})
    frame = pd.DataFrame(rows, columns=["system_id", *SPREAD_COLUMNS, "shown"])
    return frame.sort_values("system", key=lambda s: s.str.casefold()).reset_index(drop=True)


def national_trend(rounds: pd.DataFrame, minimum: int) -> pd.DataFrame:
    """One row per period (quarter): how many places, the spread of their overall scores, and how many places'
    overall score is nearest each level. Each place counts once a period (its latest round in it). A period with
    fewer places than `minimum` has no figures; a level held by fewer than `minimum` places has its count
    withheld (None) and `withheld` names it."""
    scored = rounds.dropna(subset=["overall"]).drop_duplicates(["period", "place_id"], keep="last")
    rows = []
    for period, group in scored.groupby("period", sort=True):
        places = len(group)
        if disclosure.too_small(places, minimum):
            rows.append({"period": period, "places": places, **dict.fromkeys(FIGURES),
                         **dict.fromkeys(LEVEL_NAMES), "shown": False, "withheld": ""})  # fmt: skip
            continue
        bands = group["overall"].map(band).value_counts()
        counts = {name: int(bands.get(name, 0)) for name in LEVEL_NAMES}
        withheld = withheld_counts(counts, minimum)
        counts.update(dict.fromkeys(withheld))
        rows.append({"period": period, "places": places, **_spread(group["overall"]), **counts, "shown": True,
                     "withheld": ", ".join(withheld)})  # fmt: skip
    return pd.DataFrame(rows, columns=["period", "places", *FIGURES, *LEVEL_NAMES, "shown", "withheld"])


def withheld_counts(counts: dict[str, int], minimum: int) -> list[str]:
    """The counts of a row (whose total is shown) to withhold: every count of fewer than `minimum`, and then the
    smallest others until at least two are withheld and together they hold at least `minimum` places, since
    one withheld count is the total less the rest (complementary suppression)."""
    withheld = [name for name, n in counts.items() if disclosure.too_small(n, minimum)]
    while withheld and (len(withheld) < 2 or sum(counts[n] for n in withheld) < minimum):
        rest = [name for name, n in counts.items() if n > 0 and name not in withheld]
        if not rest:
            break
        withheld.append(min(rest, key=lambda name: (counts[name], LEVEL_NAMES.index(name))))
    return [name for name in LEVEL_NAMES if name in withheld]


def as_published(frame: pd.DataFrame, columns: list[str], minimum: int) -> pd.DataFrame:
    """A table as it may be shown or published: scores to two decimals, counts whole, and "fewer than N" in
    place of every figure held back."""
    out = frame[columns].copy().astype(object)
    for column in columns:
        if column in FIGURES:
            out[column] = [disclosure.fewer_than(minimum) if pd.isna(v) else f"{v:.2f}" for v in frame[column]]
        elif column in LEVEL_NAMES:
            out[column] = [disclosure.fewer_than(minimum) if pd.isna(v) else str(int(v)) for v in frame[column]]
        elif column == "places":
            out[column] = [
                disclosure.fewer_than(minimum) if disclosure.too_small(int(v), minimum) else str(int(v))
                for v in frame[column]
            ]
    return out


def open_data_csv(spread: pd.DataFrame, trend: pd.DataFrame, minimum: int) -> bytes:
    """The aggregates as one tidy CSV (table, unit, measure, value) that could be published as open data: the
    same suppression as the page, every text cell neutralised against spreadsheet formulas."""
    rows = []
    shown_spread = as_published(spread, SPREAD_COLUMNS, minimum)
    for record in shown_spread.to_dict("records"):
        for measure in SPREAD_COLUMNS[1:]:
            rows.append({"table": "systems: spread of places' overall scores (latest round each)",
                         "unit": record["system"], "measure": measure, "value": record[measure]})  # fmt: skip
    shown_trend = as_published(trend, ["period", "places", *FIGURES, *LEVEL_NAMES], minimum)
    for record in shown_trend.to_dict("records"):
        for measure in ["places", *FIGURES, *LEVEL_NAMES]:
            name = f"places nearest {measure}" if measure in LEVEL_NAMES else measure
            rows.append({"table": "national: places' overall scores by quarter", "unit": record["period"],
                         "measure": name, "value": record[measure]})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["table", "unit", "measure", "value"])
    buffer = io.StringIO()
    frame.map(exports.neutralise).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")

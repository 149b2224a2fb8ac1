"""How a group's ratings of one item come together: counts, median, range, sectors, agreed or split.

Plain data in, plain data out; used for live workshop votes and for answers collected before a
workshop. The rules (also in docs/guides/facilitators.md):

- A rating is a level 0-4. "Don't know" is counted but is not a rating.
- The median and range are over the ratings. A sector's median is over that sector's ratings.
- An item is **split** when two or more ratings lie more than one level from the median, or when
  two sectors' medians are two or more levels apart. With fewer than three ratings an item has
  **too few** ratings to judge. Otherwise it is **agreed**.
- The level a group agrees by default is its median rounded down (2.5 -> 2), the same cautious
  rounding the bands use for an exact half.
- An item has **many don't-knows** when at least a quarter of its votes are "don't know" and at
  least two people said so: one voice is not "many", even in a room of three.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from checklist.framework import LEVEL_NAMES, LEVEL_VALUES

SECTORS: dict[str, str] = {
    "health": "Health and care",
    "sport": "Sport, physical activity and leisure",
    "vcse": "Voluntary and community (VCSE)",
    "local_authority": "Local authority or public health",
    "lived_experience": "Lived experience (disabled person or carer)",
    "other": "Other",
}
LIVED_EXPERIENCE = "lived_experience"
# What a shared screen or a summary shows in place of sectors with too few people in the room to be shown on
# their own (disclosure.min_group): the small ones together, or, when even together they are too few, the room.
FOLDED = "folded"
WHOLE_ROOM = "room"
SECTOR_LABELS: dict[str, str] = {
    **SECTORS,
    FOLDED: "Other sectors",
    WHOLE_ROOM: "The whole room (too few people in each sector to show sectors)",
}

AGREED = "agreed"
SPLIT = "split"
TOO_FEW = "too few"
MIN_RATINGS = 3  # fewer ratings than this are too few to call agreed or split
FAR = 1  # a rating more than this many levels from the median is far from it
SPLIT_FAR_RATINGS = 2  # this many far ratings make an item split
SPLIT_SECTOR_GAP = 2  # sector medians this many levels apart make an item split
MANY_DONT_KNOW_SHARE = 0.25
MANY_DONT_KNOW_AT_LEAST = 2
STATUS_WORDS = {AGREED: "agreed", SPLIT: "split", TOO_FEW: "too few ratings to call agreed or split"}
SPLIT_RULE = (
    "An item is split when two or more ratings lie more than one level from the median, or two sectors' "
    "medians are two or more levels apart; with fewer than three ratings there are too few to tell. "
    "Otherwise it is agreed."
)


DONT_KNOW_LABEL = "Don't know"


def answer_label(level: int | None) -> str:
    """How a vote or an agreed answer reads everywhere: '2 · Developing', or "Don't know" for None."""
    return DONT_KNOW_LABEL if level is None else f"{level} · {LEVEL_NAMES[level]}"


ANSWER_LABELS = (*(answer_label(v) for v in LEVEL_VALUES), DONT_KNOW_LABEL)  # in level order, don't know last


@dataclass(frozen=True)
class Tally:
    """Every vote on one item, summarised."""

    item_id: str
    counts: tuple[int, ...]  # ratings per level 0..4
    dont_know: int
    by_sector: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # sector -> ratings per level
    sector_dont_know: Mapping[str, int] = field(default_factory=dict)
    # Set when small sectors were folded together: the gap between the room's own sectors, so the verdict
    # (agreed or split) is the room's, whatever the screen may show of its sectors.
    unfolded_sector_gap: float | None = field(default=None, compare=False)

    @property
    def ratings(self) -> list[int]:
        return [level for level, n in zip(LEVEL_VALUES, self.counts, strict=True) for _ in range(n)]

    @property
    def rated(self) -> int:
        return sum(self.counts)

    @property
    def votes(self) -> int:
        return self.rated + self.dont_know

    @property
    def median(self) -> float | None:
        ratings = self.ratings
        return float(statistics.median(ratings)) if ratings else None

    @property
    def low(self) -> int | None:
        ratings = self.ratings
        return min(ratings) if ratings else None

    @property
    def high(self) -> int | None:
        ratings = self.ratings
        return max(ratings) if ratings else None

    @property
    def median_text(self) -> str:
        return "" if self.median is None else f"{self.median:g}"

    @property
    def range_text(self) -> str:
        """'1–3', or '2' when every rating is the same, or '' with no ratings."""
        if self.low is None:
            return ""
        return f"{self.low}" if self.low == self.high else f"{self.low}–{self.high}"

    @property
    def far(self) -> int:
        """How many ratings lie more than one level from the median."""
        median = self.median
        return 0 if median is None else sum(1 for r in self.ratings if abs(r - median) > FAR)

    @property
    def sector_medians(self) -> dict[str, float]:
        out = {}
        for sector, counts in self.by_sector.items():
            ratings = [level for level, n in zip(LEVEL_VALUES, counts, strict=True) for _ in range(n)]
            if ratings:
                out[sector] = float(statistics.median(ratings))
        return out

    @property
    def sector_gap(self) -> float:
        if self.unfolded_sector_gap is not None:
            return self.unfolded_sector_gap
        medians = self.sector_medians
        return max(medians.values()) - min(medians.values()) if len(medians) > 1 else 0.0

    @property
    def status(self) -> str:
        if self.rated < MIN_RATINGS:
            return TOO_FEW
        if self.far >= SPLIT_FAR_RATINGS or self.sector_gap >= SPLIT_SECTOR_GAP:
            return SPLIT
        return AGREED

    @property
    def suggested_level(self) -> int | None:
        median = self.median
        return None if median is None else math.floor(median + 1e-9)

    @property
    def many_dont_know(self) -> bool:
        return self.dont_know >= MANY_DONT_KNOW_AT_LEAST and self.dont_know / self.votes >= MANY_DONT_KNOW_SHARE

    def _levels(self) -> str:
        """The ratings' range and median, levels named (the one rule: a level is its number and name):
        'levels 1–3 (Emerging to Maturing), median 2 · Developing'; one level alone is 'level 3 · Maturing'."""
        low, high, median = self.low, self.high, self.median
        if low == high:
            return f"level {low} · {LEVEL_NAMES[low]}"
        if median == int(median):
            middle = f"{int(median)} · {LEVEL_NAMES[int(median)]}"
        else:
            middle = f"{median:g} (between {LEVEL_NAMES[int(median)]} and {LEVEL_NAMES[int(median) + 1]})"
        return f"levels {low}–{high} ({LEVEL_NAMES[low]} to {LEVEL_NAMES[high]}), median {middle}"

    def describe(self) -> str:
        """One line for evidence and summaries:
        '12 votes; levels 1–3 (Emerging to Maturing), median 2 · Developing; 1 don't know; split'."""
        if self.votes == 0:
            return "no votes"
        parts = [f"{self.votes} vote{'s' if self.votes != 1 else ''}"]
        if self.rated:
            parts.append(self._levels())
        if self.dont_know:
            parts.append(f"{self.dont_know} don't know")
        parts.append(STATUS_WORDS[self.status])
        return "; ".join(parts)


def tally(item_id: str, votes: Iterable[tuple[str, int | None]]) -> Tally:
    """Summarise (sector, level or None for don't know) pairs for one item."""
    return tally_counted(item_id, ((sector, level, 1) for sector, level in votes))


def tally_counted(item_id: str, groups: Iterable[tuple[str, int | None, int]]) -> Tally:
    """The same summary from (sector, level or None, how many voted so) rows: a room's votes counted by the
    database rather than read one by one."""
    counts = [0] * len(LEVEL_VALUES)
    dont_know = 0
    by_sector: dict[str, list[int]] = {}
    sector_dk: dict[str, int] = {}
    for sector, level, n in groups:
        if sector not in SECTORS:
            raise ValueError(f"sector {sector!r} is not one of {', '.join(SECTORS)}")
        if level is None:
            dont_know += n
            sector_dk[sector] = sector_dk.get(sector, 0) + n
            continue
        if level not in LEVEL_VALUES:
            raise ValueError(f"level {level!r} is out of range; expected 0 to 4")
        counts[level] += n
        by_sector.setdefault(sector, [0] * len(LEVEL_VALUES))[level] += n
    ordered = {s: tuple(by_sector[s]) for s in SECTORS if s in by_sector}
    return Tally(item_id, tuple(counts), dont_know, ordered, {s: sector_dk[s] for s in SECTORS if s in sector_dk})


def tally_rows(t: Tally) -> list[dict]:
    """The votes behind one item as rows (sector x answer), for a chart and its table alternative."""
    rows = []
    sectors = [s for s in SECTOR_LABELS if s in t.by_sector or s in t.sector_dont_know]
    for sector in sectors:
        counts = t.by_sector.get(sector, (0,) * len(LEVEL_VALUES))
        label = SECTOR_LABELS[sector]
        for level, n in zip(LEVEL_VALUES, counts, strict=True):
            if n:
                rows.append({"sector": label, "answer": answer_label(level), "votes": n})
        if t.sector_dont_know.get(sector):
            rows.append({"sector": label, "answer": DONT_KNOW_LABEL, "votes": t.sector_dont_know[sector]})
    return rows


def small_sectors(sizes: Mapping[str, int], minimum: int) -> set[str]:
    """The sectors to fold together, given how many people of each are in the room: every sector with fewer
    than `minimum`, and then the next smallest until the folded group itself has at least `minimum` people
    (so "other sectors" never hides just one person), or until every sector is folded."""
    present = {s: n for s, n in sizes.items() if n > 0}
    small = {s for s, n in present.items() if n < minimum}
    while small and sum(present[s] for s in small) < minimum and len(small) < len(present):
        small.add(min((s for s in present if s not in small), key=lambda s: (present[s], s)))
    return small


def people_by_sector(sizes: Mapping[str, int], minimum: int) -> dict[str, int]:
    """How many people of each sector took part, as a shared screen or summary may say it: the small sectors
    (small_sectors) counted together, labelled as fold_sectors labels them. A minimum of 1 folds nothing."""
    small = small_sectors(sizes, minimum)
    present = {s for s, n in sizes.items() if n > 0}
    into = WHOLE_ROOM if small and present <= small else FOLDED
    out: dict[str, int] = {}
    for sector in SECTOR_LABELS:
        if sizes.get(sector, 0) > 0:
            key = into if sector in small else sector
            out[SECTOR_LABELS[key]] = out.get(SECTOR_LABELS[key], 0) + sizes[sector]
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def fold_sectors(t: Tally, sizes: Mapping[str, int], minimum: int) -> Tally:
    """The tally as a shared screen or a summary may show it: sectors with too few people in the room
    (small_sectors) counted together as "other sectors", or as the whole room when every sector is too small,
    so nobody can tell how one person voted. Totals, median, range and the verdict (agreed or split, which says
    nothing about any one person) are unchanged."""
    small = small_sectors(sizes, minimum) | {s for s in (*t.by_sector, *t.sector_dont_know) if sizes.get(s, 0) <= 0}
    if not small:
        return t
    present = {s for s, n in sizes.items() if n > 0}
    into = WHOLE_ROOM if present <= small else FOLDED
    by_sector: dict[str, tuple[int, ...]] = {}
    dont_know: dict[str, int] = {}
    for sector, counts in t.by_sector.items():
        key = into if sector in small else sector
        before = by_sector.get(key, (0,) * len(LEVEL_VALUES))
        by_sector[key] = tuple(a + b for a, b in zip(before, counts, strict=True))
    for sector, n in t.sector_dont_know.items():
        key = into if sector in small else sector
        dont_know[key] = dont_know.get(key, 0) + n
    order = list(SECTOR_LABELS)
    return replace(
        t,
        unfolded_sector_gap=t.sector_gap,
        by_sector=dict(sorted(by_sector.items(), key=lambda kv: order.index(kv[0]))),
        sector_dont_know=dict(sorted(dont_know.items(), key=lambda kv: order.index(kv[0]))),
    )


@dataclass(frozen=True)
class SectorGap:
    item_id: str
    high_sector: str
    high_median: float
    low_sector: str
    low_median: float

    @property
    def gap(self) -> float:
        return self.high_median - self.low_median

    def sentence(self, item_title: str) -> str:
        return (
            f"{item_title}: {SECTOR_LABELS[self.high_sector]} rated it {self.high_median:g} (median), "
            f"{SECTOR_LABELS[self.low_sector]} {self.low_median:g}; {self.gap:g} level{'s' if self.gap != 1 else ''} "
            "apart"
        )


def sector_gaps(tallies: Sequence[Tally], minimum: float = 1.0) -> list[SectorGap]:
    """Items where sectors' medians differ by at least `minimum` levels, widest gap first."""
    gaps = []
    for t in tallies:
        medians = t.sector_medians
        if len(medians) < 2:
            continue
        high = max(medians, key=lambda s: (medians[s], s == LIVED_EXPERIENCE))
        low = min(medians, key=lambda s: (medians[s], s != LIVED_EXPERIENCE))
        if medians[high] - medians[low] >= minimum:
            gaps.append(SectorGap(t.item_id, high, medians[high], low, medians[low]))
    return sorted(gaps, key=lambda g: -g.gap)


def lived_experience_gaps(tallies: Sequence[Tally]) -> list[tuple[str, float, float]]:
    """(item, median of everyone else, median of people with lived experience) where those differ."""
    out = []
    for t in tallies:
        medians = t.sector_medians
        lived = medians.get(LIVED_EXPERIENCE)
        others = [r for s, counts in t.by_sector.items() if s != LIVED_EXPERIENCE
                  for r, n in zip(LEVEL_VALUES, counts, strict=True) for _ in range(n)]  # fmt: skip
        if lived is None or not others:
            continue
        rest = float(statistics.median(others))
        if rest != lived:
            out.append((t.item_id, rest, lived))
    return sorted(out, key=lambda row: -abs(row[1] - row[2]))

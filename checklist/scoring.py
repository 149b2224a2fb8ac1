"""Maturity scores: item level -> domain score -> overall score. Plain data in, plain data out.

The rules (also in docs/framework.md, "How scores are computed"):
- An item scores its level, 0-4. Unanswered, "don't know" and "not applicable" items have no
  score: they are left out of every average, never counted as 0.
- A domain's score is the mean level of its scored items; with none scored it has no score.
- The overall score is the mean of the domain scores that exist, so every domain weighs the
  same however many items it holds. A system's own local items are scored as their own domain but never
  counted in the overall score, which stays the national framework's, comparable between systems.
- A band is the level a score is nearest to, an exact half going to the lower level (the cautious
  way, as the workshop's agreed level does): 0.51 to 1.50 is "Emerging". A mean
  of 0.99 from items that are mostly Emerging is headlined Emerging, not "Not started". Pages and
  reports show the spread of item levels beside the band (`level_counts`), so a band never stands
  for items that are far from it.
- A projected score is what the round would score if every open action (not done, not dropped)
  reached the level it aims for: each scored item takes the higher of its level and the highest
  aim of its open actions, then domains and overall are averaged as usual. Items without a score
  (unanswered, don't know, not applicable) stay without one, so a projection never falls below the
  current score.
- Completion counts every answer given (a level, don't know, or not applicable) over the items
  in scope.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from checklist.framework import LEVEL_NAMES, LEVEL_VALUES, Framework

LEVEL = "level"
DONT_KNOW = "dont_know"
NOT_APPLICABLE = "not_applicable"
ANSWER_KINDS = (LEVEL, DONT_KNOW, NOT_APPLICABLE)
MAX_LEVEL = LEVEL_VALUES[-1]


@dataclass(frozen=True)
class Answer:
    """What was said about one item. `level` is set only when kind == 'level'."""

    kind: str
    level: int | None = None
    target: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"answer kind {self.kind!r} is not one of {', '.join(ANSWER_KINDS)}")
        if self.kind == LEVEL:
            check_level(self.level, "level")
        elif self.level is not None:
            raise ValueError(f"a {self.kind!r} answer has no level (got {self.level!r})")
        if self.target is not None:
            check_level(self.target, "target level")


def check_level(value: object, what: str = "level") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in LEVEL_VALUES:
        raise ValueError(f"{what} {value!r} is out of range; expected a whole number from 0 to {MAX_LEVEL}")
    return value


def band(score: float | None) -> str | None:
    """The level a score is nearest to (an exact half goes down), by name; None when there is no score."""
    if score is None or score != score:
        return None
    return LEVEL_NAMES[min(MAX_LEVEL, max(0, math.ceil(score - 0.5 - 1e-9)))]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    domain_id: str
    kind: str | None  # None = unanswered
    level: int | None
    target: int | None

    @property
    def scored(self) -> bool:
        return self.level is not None

    @property
    def gap(self) -> int | None:
        """Levels still to climb to reach the target (0 when met or passed)."""
        if self.level is None or self.target is None:
            return None
        return max(0, self.target - self.level)


@dataclass(frozen=True)
class DomainScore:
    domain_id: str
    score: float | None
    total: int
    answered: int
    scored: int
    dont_know: int
    not_applicable: int

    @property
    def band(self) -> str | None:
        return band(self.score)


@dataclass(frozen=True)
class AssessmentScore:
    overall: float | None
    items: tuple[ItemScore, ...]
    domains: tuple[DomainScore, ...]

    @property
    def band(self) -> str | None:
        return band(self.overall)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.kind is not None)

    @property
    def completion(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @property
    def dont_know(self) -> int:
        return sum(1 for i in self.items if i.kind == DONT_KNOW)

    @property
    def level_counts(self) -> tuple[int, ...]:
        """How many items sit at each level, 0 to 4 (the spread shown beside the band)."""
        counts = [0] * len(LEVEL_VALUES)
        for i in self.items:
            if i.level is not None:
                counts[i.level] += 1
        return tuple(counts)

    @property
    def unanswered(self) -> tuple[str, ...]:
        return tuple(i.item_id for i in self.items if i.kind is None)

    def item(self, item_id: str) -> ItemScore:
        for i in self.items:
            if i.item_id == item_id:
                return i
        raise KeyError(item_id)

    def domain(self, domain_id: str) -> DomainScore:
        for d in self.domains:
            if d.domain_id == domain_id:
                return d
        raise KeyError(domain_id)


def score_assessment(
    framework: Framework, answers: Mapping[str, Answer], include_workforce: bool = False, include_enablers: bool = False
) -> AssessmentScore:
    """Score the items in scope (the core, and the optional modules chosen); other answers are ignored."""
    items: list[ItemScore] = []
    domains: list[DomainScore] = []
    for domain in framework.domains_for(include_workforce, include_enablers):
        domain_items = framework.items_in(domain.id)
        scores = []
        for item in domain_items:
            answer = answers.get(item.id)
            scores.append(
                ItemScore(
                    item_id=item.id,
                    domain_id=domain.id,
                    kind=answer.kind if answer else None,
                    level=answer.level if answer and answer.kind == LEVEL else None,
                    target=answer.target if answer else None,
                )
            )
        items.extend(scores)
        levels = [float(s.level) for s in scores if s.level is not None]
        domains.append(
            DomainScore(
                domain_id=domain.id,
                score=_mean(levels),
                total=len(scores),
                answered=sum(1 for s in scores if s.kind is not None),
                scored=len(levels),
                dont_know=sum(1 for s in scores if s.kind == DONT_KNOW),
                not_applicable=sum(1 for s in scores if s.kind == NOT_APPLICABLE),
            )
        )
    overall = _mean([d.score for d in domains if d.score is not None and not framework.is_local(d.domain_id)])
    return AssessmentScore(overall=overall, items=tuple(items), domains=tuple(domains))


def projected_answers(answers: Mapping[str, Answer], aims: Mapping[str, int]) -> dict[str, Answer]:
    """The answers as they would be if each item's open actions reached the level they aim for.

    `aims` maps an item to the highest level its open actions aim for. Only items with a level move,
    and only upwards; every other answer is kept as it is.
    """
    out = dict(answers)
    for item_id, aim in aims.items():
        answer = answers.get(item_id)
        if answer is not None and answer.kind == LEVEL and aim is not None and aim > answer.level:
            out[item_id] = Answer(LEVEL, check_level(aim, "aim of an action"), answer.target)
    return out


@dataclass(frozen=True)
class Change:
    """Movement of one item or domain since the previous round."""

    key: str
    before: float | None
    after: float | None
    wording_changed: bool = False

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def direction(self) -> str:
        d = self.delta
        if d is None:
            return "no comparison"
        if abs(d) < 1e-9:
            return "no change"
        return "up" if d > 0 else "down"


@dataclass(frozen=True)
class Comparison:
    overall: Change
    items: tuple[Change, ...]
    domains: tuple[Change, ...]

    @property
    def wording_changed(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.items if c.wording_changed)


def compare(
    current: AssessmentScore, previous: AssessmentScore, wording: Mapping[str, str] | None = None
) -> Comparison:
    """Change since the previous round of the same unit.

    `wording` is framework.wording_changes(previous_version, current_version); an item whose
    wording changed is flagged, and a domain holding one is flagged too, so nobody reads a
    difference of wording as a difference of practice.
    """
    # Only an item whose wording changed is flagged: an item the earlier round did not have (a newer version's new
    # item, or a system's local items added since) has no earlier level to misread.
    wording = {k: v for k, v in (wording or {}).items() if v == "changed"}
    prev_items = {i.item_id: i for i in previous.items}
    items = tuple(
        Change(
            key=i.item_id,
            before=float(prev_items[i.item_id].level)
            if i.item_id in prev_items and prev_items[i.item_id].level is not None
            else None,
            after=float(i.level) if i.level is not None else None,
            wording_changed=i.item_id in wording,
        )
        for i in current.items
    )
    changed_domains = {i.domain_id for i in current.items if i.item_id in wording}
    prev_domains = {d.domain_id: d for d in previous.domains}
    domains = tuple(
        Change(
            key=d.domain_id,
            before=prev_domains[d.domain_id].score if d.domain_id in prev_domains else None,
            after=d.score,
            wording_changed=d.domain_id in changed_domains,
        )
        for d in current.domains
    )
    overall = Change("overall", previous.overall, current.overall, wording_changed=bool(changed_domains))
    return Comparison(overall=overall, items=items, domains=domains)

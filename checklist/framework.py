"""The maturity framework: TOML files in checklist/frameworks/, loaded into frozen dataclasses.

Every version of the framework ever published stays in that folder, so an assessment made
with an older version still loads and scores with the wording its answers were given against.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

FRAMEWORKS_DIR = Path(__file__).parent / "frameworks"
LEVEL_VALUES = (0, 1, 2, 3, 4)
LEVEL_NAMES = ("Not started", "Emerging", "Developing", "Maturing", "Thriving")
CORE_MODULE = "core"
WORKFORCE_MODULE = "workforce"
ENABLERS_MODULE = "enablers"
# A system's own local items (checklist/local_items.py) join a round as this module and domain, with item ids
# "local-1", "local-2", …: no published framework may use the prefix, so a local answer never meets a national one.
LOCAL_MODULE = "local"
LOCAL_PREFIX = "local-"
NATIONAL_ONLY_SQL = f"r.item_id NOT LIKE '{LOCAL_PREFIX}%'"  # a responses row `r` of a national item
LOCAL_NOTE = "(local items: not in the overall score)"  # beside a system's own domain wherever domains are listed
REPORT_LABEL = "In the report"
SOURCE_LABEL = "In the source"
# How a scale's quantity words are read. 1.0 and 1.1 define bands ('some' = at least one and no more than
# half); from 1.2 the words are thresholds ('more than half' includes every one), so levels nest.
SCALE_BANDS = "bands"
SCALE_THRESHOLDS = "thresholds"
# Where an item is judged (Item.unit): for the system as a whole, for the area a round covers (the system
# or one place), or across the neighbourhood teams of that area.
UNIT_SYSTEM = "system"
UNIT_PLACE = "place"
UNIT_NEIGHBOURHOOD = "neighbourhood"
ASSESSMENT_UNITS = (UNIT_SYSTEM, UNIT_PLACE, UNIT_NEIGHBOURHOOD)


class FrameworkError(ValueError):
    """A framework file is malformed; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Level:
    value: int
    name: str
    summary: str
    easy_read: str


@dataclass(frozen=True)
class SourceDocument:
    """A source outside the report (a module's own source), cited by its own title and publisher."""

    id: str
    title: str
    publisher: str
    kind: str
    note: str

    @property
    def citation(self) -> str:
        return f"{self.publisher}, “{self.title}” ({self.kind})"


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    optional: bool
    description: str
    sources: tuple[str, ...] = ()
    documents: tuple[SourceDocument, ...] = ()
    local: bool = False  # a system's own items: its own domain, never in national comparisons or the overall score


@dataclass(frozen=True)
class Domain:
    id: str
    module: str
    title: str
    description: str
    easy_read: str


@dataclass(frozen=True)
class CaseStudy:
    id: str
    title: str
    section: str
    summary: str


@dataclass(frozen=True)
class Reference:
    """A pointer to the report's section (source empty) or to a part of a module's own source document."""

    section: str
    note: str
    source: str = ""

    @property
    def label(self) -> str:
        return SOURCE_LABEL if self.source else REPORT_LABEL


_JUST_ABOVE = 1e-6  # a share just above a 'more than' bound: one unit out of a very large number


@dataclass(frozen=True)
class ScaleTerm:
    """A defined quantity word: a band of shares (1.0, 1.1: 'some', 'most', 'all') or, from 1.2, a threshold
    ('at least one', 'more than half', 'every one') that every larger share also meets."""

    word: str
    meaning: str
    easy_read: str
    up_to_percent: float = 100.0  # bands only: the upper bound of the band
    inclusive: bool = True  # bands only: whether the upper bound itself is in the band
    more_than_percent: float | None = None  # thresholds only: met by any share above this
    at_least_percent: float | None = None  # thresholds only: met by this share or any above it

    @property
    def is_threshold(self) -> bool:
        return self.more_than_percent is not None or self.at_least_percent is not None

    def covers(self, percent: float) -> bool:
        """Bands: whether `percent` is at or below the band's upper bound. Thresholds: whether it is met."""
        if self.is_threshold:
            return self.is_met_by(percent)
        return percent <= self.up_to_percent if self.inclusive else percent < self.up_to_percent

    def is_met_by(self, percent: float) -> bool:
        """Whether a share of `percent` meets this threshold (a band word is never a threshold)."""
        if self.more_than_percent is not None:
            return percent > self.more_than_percent
        if self.at_least_percent is not None:
            return percent >= self.at_least_percent
        raise ValueError(f"{self.word!r} is a band, not a threshold; use covers()")

    @property
    def smallest_share(self) -> float:
        """The smallest share (in percent) that meets this threshold: just above a 'more than' bound."""
        if self.at_least_percent is not None:
            return self.at_least_percent
        if self.more_than_percent is not None:
            return self.more_than_percent + _JUST_ABOVE
        raise ValueError(f"{self.word!r} is a band, not a threshold")


@dataclass(frozen=True)
class Scale:
    """How to read the levels: the cumulative rule and the defined quantity words.

    `kind` is SCALE_BANDS (1.0, 1.1: each share has exactly one word) or SCALE_THRESHOLDS (from 1.2: a share
    meets every threshold at or below it, so 'every one' also meets 'more than half' and 'at least one')."""

    rule: str
    easy_rule: str
    counting: str
    terms: tuple[ScaleTerm, ...]
    kind: str = SCALE_BANDS

    def term_for(self, count: int, total: int) -> str:
        """The defined word for `count` out of `total` (e.g. 3 of 5 places is 'most'); bands only."""
        if self.kind == SCALE_THRESHOLDS:
            raise ValueError("a threshold scale gives a share every word it meets; use met_terms(count, total)")
        percent = _percent(count, total)
        for term in self.terms:
            if term.covers(percent):
                return term.word
        raise ValueError(f"no defined word covers {percent:.1f}%")  # unreachable for a validated scale

    def met_terms(self, count: int, total: int) -> tuple[str, ...]:
        """Every threshold word that `count` out of `total` meets, weakest first (none for a share of 0)."""
        percent = _percent(count, total)
        return tuple(t.word for t in self.terms if t.is_met_by(percent))

    def meets(self, word: str, percent: float) -> bool:
        """Whether a share of `percent` meets the threshold `word`."""
        return self.term(word).is_met_by(percent)

    def term(self, word: str) -> ScaleTerm:
        for term in self.terms:
            if term.word == word:
                return term
        raise KeyError(f"the scale defines no word {word!r}")


def _percent(count: int, total: int) -> float:
    if total <= 0 or not 0 <= count <= total:
        raise ValueError(f"a count of {count} out of {total} is not a share; expected 0 <= count <= total > 0")
    return 100 * count / total


@dataclass(frozen=True)
class AssessmentUnit:
    """Where an item is judged (system, place or neighbourhood), with what that means for a round."""

    id: str
    name: str
    meaning: str
    easy_read: str


@dataclass(frozen=True)
class Fact:
    """One condition an item's levels may require, worded so a reviewer can check it ('people can refer
    themselves'). `implies` names facts that always hold with it; `holds_from_share` names the threshold
    word from which the counted share alone makes it hold (a written route in one team means referral happens)."""

    id: str
    means: str
    implies: tuple[str, ...] = ()
    holds_from_share: str = ""


@dataclass(frozen=True)
class LevelRequirement:
    """What one level of an item needs on its own: a share of what the item counts (a threshold word, or
    '' when no share is needed) and the facts that must hold."""

    share: str = ""
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criteria:
    """An item's five levels as data (framework 1.2 on): the facts they use and what each level needs, so a
    program can say which level a described state meets and check that the levels nest."""

    share_of: str  # what the share counts, in a few words ('' when no level needs a share)
    facts: tuple[Fact, ...]
    requirements: tuple[LevelRequirement, ...]  # one per level, 0 to 4; level 0 needs nothing

    def fact(self, fact_id: str) -> Fact:
        for fact in self.facts:
            if fact.id == fact_id:
                return fact
        raise KeyError(f"no fact {fact_id!r}; expected one of: {', '.join(f.id for f in self.facts)}")

    @property
    def uses_share(self) -> bool:
        return any(r.share for r in self.requirements)

    def state(self, facts: Iterable[str], percent: float | None, scale: Scale) -> frozenset[str]:
        """The facts that hold in a state: those given, those the share makes hold, and all they imply."""
        held = set(facts)
        if percent is not None:
            held |= {f.id for f in self.facts if f.holds_from_share and scale.meets(f.holds_from_share, percent)}
        todo = list(held)
        while todo:
            for implied in self.fact(todo.pop()).implies:
                if implied not in held:
                    held.add(implied)
                    todo.append(implied)
        return frozenset(held)

    def meets(self, level: int, facts: Iterable[str], percent: float | None, scale: Scale) -> bool:
        """Whether a state meets `level`'s own requirement (not the levels below it)."""
        need = self.requirements[level]
        if need.share and (percent is None or not scale.meets(need.share, percent)):
            return False
        return set(need.needs) <= self.state(facts, percent, scale)

    def level(self, facts: Iterable[str], percent: float | None, scale: Scale) -> int:
        """The level a state sits at by the cumulative rule: the highest level met along with every level below."""
        facts = tuple(facts)
        reached = 0
        for level in LEVEL_VALUES[1:]:
            if not self.meets(level, facts, percent, scale):
                break
            reached = level
        return reached


@dataclass(frozen=True)
class Item:
    id: str
    domain: str
    title: str
    statement: str
    evidence_prompt: str
    why_it_matters: str
    learn_from: str
    levels: tuple[str, ...]
    easy_statement: str
    easy_levels: tuple[str, ...]
    checklist_point: int | None = None
    case_studies: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    counted: str = ""
    change_note: str = ""
    easy_evidence_prompt: str = ""
    # Framework 1.2 on (empty in 1.0 and 1.1):
    unit: str = ""
    """Where the item is judged: UNIT_SYSTEM, UNIT_PLACE or UNIT_NEIGHBOURHOOD (see Framework.units)."""
    evidence_examples: tuple[str, ...] = ()
    """One example of evidence per level, 0 to 4 (the Assess page and the Excel template show them)."""
    criteria: Criteria | None = None
    """The levels as data: the share and facts each level needs (see Framework.defined_level)."""

    def evidence_example(self, level: int) -> str:
        """The example of evidence for `level`, or '' if this item gives none."""
        return self.evidence_examples[level] if self.evidence_examples else ""

    @property
    def fingerprint(self) -> str:
        """A short hash of the wording a level is judged against (statement and descriptors)."""
        text = "\x1f".join((self.title, self.statement, *self.levels))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def descriptor(self, level: int, easy_read: bool = False) -> str:
        return (self.easy_levels if easy_read else self.levels)[level]


@dataclass(frozen=True)
class Source:
    title: str
    publisher: str
    date: str
    section: str
    note: str

    @property
    def citation(self) -> str:
        return f"{self.publisher}, “{self.title}”, research report, {self.date}, section {self.section}"


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    title: str
    summary: str
    source: Source
    levels: tuple[Level, ...]
    modules: tuple[Module, ...]
    domains: tuple[Domain, ...]
    items: tuple[Item, ...]
    case_studies: tuple[CaseStudy, ...]
    caveat: str = ""
    changes: str = ""
    scale: Scale | None = None
    easy_ui: Mapping[str, str] = field(default_factory=dict, compare=False)
    units: tuple[AssessmentUnit, ...] = ()  # framework 1.2 on: what each Item.unit means
    local_version: int = 0  # the version of the system's local items this round uses (0: none)
    _item_index: Mapping[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def item(self, item_id: str) -> Item:
        try:
            return self._item_index[item_id]
        except KeyError:
            raise KeyError(
                f"unknown item id {item_id!r} in framework {self.version}; "
                f"expected one of: {', '.join(self._item_index)}"
            ) from None

    def has_item(self, item_id: str) -> bool:
        return item_id in self._item_index

    def domain(self, domain_id: str) -> Domain:
        for domain in self.domains:
            if domain.id == domain_id:
                return domain
        raise KeyError(f"unknown domain id {domain_id!r}")

    def case_study(self, case_id: str) -> CaseStudy:
        for case in self.case_studies:
            if case.id == case_id:
                return case
        raise KeyError(f"unknown case study id {case_id!r}")

    def modules_for(self, include_workforce: bool, include_enablers: bool = False) -> tuple[str, ...]:
        """The modules a round covers: every required module, plus the optional ones it chose."""
        chosen = {WORKFORCE_MODULE} if include_workforce else set()
        if include_enablers:
            chosen.add(ENABLERS_MODULE)
        return tuple(m.id for m in self.modules if not m.optional or m.id in chosen)

    def domains_for(self, include_workforce: bool, include_enablers: bool = False) -> tuple[Domain, ...]:
        wanted = self.modules_for(include_workforce, include_enablers)
        return tuple(d for d in self.domains if d.module in wanted)

    def items_for(self, include_workforce: bool, include_enablers: bool = False) -> tuple[Item, ...]:
        wanted = {d.id for d in self.domains_for(include_workforce, include_enablers)}
        return tuple(i for i in self.items if i.domain in wanted)

    def items_of(self, assessment: Mapping[str, Any]) -> tuple[Item, ...]:
        """The items a round covers, from the optional modules it chose."""
        return self.items_for(bool(assessment.get("include_workforce")), bool(assessment.get("include_enablers")))

    def has_module(self, module_id: str) -> bool:
        return any(m.id == module_id for m in self.modules)

    def is_local(self, domain_id: str) -> bool:
        """Whether a domain holds a system's own items (scored as its own domain, never in the overall score)."""
        return domain_id == LOCAL_MODULE and any(m.local for m in self.modules)

    def domain_label(self, domain_id: str) -> str:
        """A domain's title as scores list it: a system's own items' domain says it is not in the overall score."""
        title = self.domain(domain_id).title
        return f"{title} {LOCAL_NOTE}" if self.is_local(domain_id) else title

    @property
    def local_title(self) -> str:
        """The title of the system's own items in this round, or '' when it has none."""
        return next((m.title for m in self.modules if m.local), "")

    def source_document(self, source_id: str) -> SourceDocument:
        for module in self.modules:
            for doc in module.documents:
                if doc.id == source_id:
                    return doc
        raise KeyError(f"unknown source document {source_id!r}")

    def cite(self, ref: Reference) -> str:
        """A reference as a reader sees it: the report's section, or a module source's publisher and title."""
        if not ref.source:
            return f"{ref.section} — {ref.note}"
        doc = self.source_document(ref.source)
        return f"{doc.publisher}, “{doc.title}”, {ref.section} — {ref.note}"

    def easy(self, key: str, standard: str) -> str:
        """The Easy Read wording of an interface text (a button, a choice), or `standard` if none is defined."""
        return self.easy_ui.get(key, standard)

    def items_in(self, domain_id: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.domain == domain_id)

    def level_name(self, value: int) -> str:
        return self.levels[value].name

    def level_label(self, value: int, easy: bool = False) -> str:
        """A level as a choice reads: '2 · Developing', or in Easy Read the framework's own words for it (its
        [easy_read] level_2), else 'Step 2' (Easy Read speaks of steps: "Which step do you want next?")."""
        if easy:
            return self.easy(f"level_{value}", f"Step {value}")
        return f"{value} · {self.level_name(value)}"

    def unit(self, unit_id: str) -> AssessmentUnit:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise KeyError(f"unknown unit {unit_id!r} in framework {self.version}")

    def defined_level(
        self, item_id: str, facts: Iterable[str] = (), count: int | None = None, total: int | None = None
    ) -> int:
        """The level an item's definitions give a state: the facts that hold and, where the item counts,
        `count` out of `total` (e.g. 9 of 9 neighbourhood teams). Raises ValueError for a framework
        without criteria (1.0, 1.1)."""
        item = self.item(item_id)
        if item.criteria is None or self.scale is None:
            raise ValueError(f"item {item_id!r} of framework {self.version} has no criteria to compute a level from")
        unknown = sorted(set(facts) - {f.id for f in item.criteria.facts})
        if unknown:
            raise ValueError(f"item {item_id!r} has no fact(s) {', '.join(unknown)}")
        if (count is None) != (total is None):
            raise ValueError("give both count and total, or neither")
        percent = None if count is None or total is None else _percent(count, total)
        return item.criteria.level(facts, percent, self.scale)


# --- loading and validation -------------------------------------------------------------


class _Entry:
    """Reads one TOML table strictly, naming the entry in every error."""

    def __init__(self, where: str, data: Any, allowed: Iterable[str]):
        if not isinstance(data, dict):
            raise FrameworkError(f"{where}: expected a table, got {type(data).__name__}")
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise FrameworkError(f"{where}: unknown key(s) {', '.join(unknown)}; expected only: {', '.join(allowed)}")
        self.where = where
        self.data = data

    def text(self, key: str, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise FrameworkError(f"{self.where}: '{key}' must be a non-empty string")
        return value.strip()

    def texts(self, key: str, count: int | None = None) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise FrameworkError(f"{self.where}: '{key}' must be a list of non-empty strings")
        if count is not None and len(value) != count:
            raise FrameworkError(
                f"{self.where}: '{key}' has {len(value)} entries; expected exactly {count} "
                f"(one per level, {LEVEL_VALUES[0]} to {LEVEL_VALUES[-1]})"
            )
        return tuple(v.strip() for v in value)

    def table(self, key: str) -> Any:
        if key not in self.data:
            raise FrameworkError(f"{self.where}: missing table '{key}'")
        return self.data[key]

    def tables(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise FrameworkError(f"{self.where}: expected at least one [[{key}]] entry")
        return value


def _unique(where: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise FrameworkError(f"{where}: id {ident!r} is used more than once")
        seen.add(ident)


def parse_framework(data: dict[str, Any], origin: str = "framework") -> Framework:
    """Validate a framework read from TOML and build it; raises FrameworkError naming the entry."""
    top = _Entry(
        origin,
        data,
        ("framework", "scale", "units", "easy_read", "levels", "modules", "domains", "case_studies", "items"),
    )
    head = _Entry(
        f"{origin} [framework]",
        top.table("framework"),
        ("id", "version", "title", "summary", "caveat", "changes", "source"),
    )
    src = _Entry(
        f"{origin} [framework.source]",
        head.table("source"),
        ("title", "publisher", "date", "section", "note"),
    )
    source = Source(src.text("title"), src.text("publisher"), src.text("date"), src.text("section"), src.text("note"))

    levels: list[Level] = []
    raw_levels = top.tables("levels")
    if len(raw_levels) != len(LEVEL_VALUES):
        raise FrameworkError(f"{origin}: {len(raw_levels)} [[levels]] entries; expected exactly {len(LEVEL_VALUES)}")
    for n, raw in enumerate(raw_levels):
        entry = _Entry(f"{origin} [[levels]] #{n + 1}", raw, ("value", "name", "summary", "easy_read"))
        if raw.get("value") != n:
            raise FrameworkError(f"{entry.where}: 'value' is {raw.get('value')!r}; expected {n} (levels in order)")
        levels.append(Level(n, entry.text("name"), entry.text("summary"), entry.text("easy_read")))

    scale = _scale(origin, data["scale"]) if "scale" in data else None
    easy_ui = _easy_ui(origin, data["easy_read"]) if "easy_read" in data else {}
    units = _units(origin, data["units"]) if "units" in data else ()
    unit_ids = [u.id for u in units]

    modules: list[Module] = []
    for n, raw in enumerate(top.tables("modules")):
        entry = _Entry(f"{origin} [[modules]] #{n + 1}", raw, ("id", "title", "optional", "description", "sources"))
        optional = raw.get("optional", False)
        if not isinstance(optional, bool):
            raise FrameworkError(f"{entry.where}: 'optional' must be true or false")
        documents = _documents(entry)
        sources = tuple(d.citation for d in documents) if documents else entry.texts("sources")
        modules.append(
            Module(entry.text("id"), entry.text("title"), optional, entry.text("description"), sources, documents)
        )
    _unique(f"{origin} [[modules]]", [m.id for m in modules])
    module_ids = {m.id for m in modules}
    if LOCAL_MODULE in module_ids:
        raise FrameworkError(f"{origin} [[modules]]: the id {LOCAL_MODULE!r} is kept for a system's own items")
    document_ids = [d.id for m in modules for d in m.documents]
    _unique(f"{origin} module sources", document_ids)

    domains: list[Domain] = []
    for n, raw in enumerate(top.tables("domains")):
        entry = _Entry(f"{origin} [[domains]] #{n + 1}", raw, ("id", "module", "title", "description", "easy_read"))
        domain = Domain(
            entry.text("id"),
            entry.text("module"),
            entry.text("title"),
            entry.text("description"),
            entry.text("easy_read"),
        )
        if domain.module not in module_ids:
            raise FrameworkError(
                f"{origin} domain {domain.id!r}: module {domain.module!r} is not defined; "
                f"expected one of: {', '.join(sorted(module_ids))}"
            )
        domains.append(domain)
    _unique(f"{origin} [[domains]]", [d.id for d in domains])
    domain_ids = {d.id for d in domains}

    cases: list[CaseStudy] = []
    for n, raw in enumerate(data.get("case_studies", [])):
        entry = _Entry(f"{origin} [[case_studies]] #{n + 1}", raw, ("id", "title", "section", "summary"))
        cases.append(CaseStudy(entry.text("id"), entry.text("title"), entry.text("section"), entry.text("summary")))
    _unique(f"{origin} [[case_studies]]", [c.id for c in cases])
    case_ids = {c.id for c in cases}

    items: list[Item] = []
    allowed = (
        "id", "domain", "checklist_point", "title", "statement", "evidence_prompt", "why_it_matters",
        "learn_from", "levels", "case_studies", "references", "easy_read", "counted", "change_note",
        "unit", "evidence_examples", "criteria",
    )  # fmt: skip
    for n, raw in enumerate(top.tables("items")):
        ident = raw.get("id") if isinstance(raw, dict) else None
        entry = _Entry(f"{origin} item {ident!r}" if ident else f"{origin} [[items]] #{n + 1}", raw, allowed)
        item_id = entry.text("id")
        if not all(c.isalnum() or c == "-" for c in item_id) or item_id != item_id.lower():
            raise FrameworkError(f"{entry.where}: id must be lower-case letters, digits and hyphens")
        if item_id.startswith(LOCAL_PREFIX):
            raise FrameworkError(f"{entry.where}: ids starting {LOCAL_PREFIX!r} are kept for a system's own items")
        domain_id = entry.text("domain")
        if domain_id not in domain_ids:
            raise FrameworkError(
                f"{entry.where}: domain {domain_id!r} is not defined; expected one of: {', '.join(sorted(domain_ids))}"
            )
        point = raw.get("checklist_point")
        if point is not None and (not isinstance(point, int) or isinstance(point, bool) or point < 1):
            raise FrameworkError(f"{entry.where}: 'checklist_point' must be a positive whole number")
        easy = _Entry(f"{entry.where} easy_read", entry.table("easy_read"), ("statement", "levels", "evidence_prompt"))
        studies = entry.texts("case_studies")
        for case in studies:
            if case not in case_ids:
                raise FrameworkError(
                    f"{entry.where}: case study {case!r} is not defined; expected one of: {', '.join(sorted(case_ids))}"
                )
        refs: list[Reference] = []
        for k, ref in enumerate(raw.get("references", [])):
            ref_entry = _Entry(f"{entry.where} reference #{k + 1}", ref, ("section", "note", "source"))
            source_id = ref_entry.text("source", required=False)
            if source_id and source_id not in document_ids:
                raise FrameworkError(
                    f"{ref_entry.where}: source {source_id!r} is not defined; "
                    f"expected one of: {', '.join(sorted(document_ids)) or '(no module defines sources)'}"
                )
            refs.append(Reference(ref_entry.text("section"), ref_entry.text("note"), source_id))
        unit = entry.text("unit", required=bool(units)) if units or "unit" in raw else ""
        if unit and unit not in unit_ids:
            raise FrameworkError(
                f"{entry.where}: unit {unit!r} is not defined; expected one of: "
                f"{', '.join(unit_ids) or '(this framework defines no [[units]])'}"
            )
        examples = entry.texts("evidence_examples")
        if examples and len(examples) != len(LEVEL_VALUES):
            raise FrameworkError(
                f"{entry.where}: 'evidence_examples' has {len(examples)} entries; expected exactly "
                f"{len(LEVEL_VALUES)} (one per level, {LEVEL_VALUES[0]} to {LEVEL_VALUES[-1]}) or none"
            )
        criteria = None
        if "criteria" in raw:
            criteria = _criteria(entry.where, raw["criteria"], scale)
        elif scale is not None and scale.kind == SCALE_THRESHOLDS:
            raise FrameworkError(
                f"{entry.where}: missing table 'criteria'; a framework whose scale words are thresholds "
                "must say, for every item, what share and facts each level needs"
            )
        counted = entry.text("counted", required=False)
        if criteria is not None and criteria.uses_share and not counted:
            raise FrameworkError(f"{entry.where}: its levels need a share, so 'counted' must say what is counted")
        items.append(
            Item(
                id=item_id,
                domain=domain_id,
                title=entry.text("title"),
                statement=entry.text("statement"),
                evidence_prompt=entry.text("evidence_prompt"),
                why_it_matters=entry.text("why_it_matters"),
                learn_from=entry.text("learn_from"),
                levels=entry.texts("levels", len(LEVEL_VALUES)),
                easy_statement=easy.text("statement"),
                easy_levels=easy.texts("levels", len(LEVEL_VALUES)),
                checklist_point=point,
                case_studies=studies,
                references=tuple(refs),
                counted=counted,
                change_note=entry.text("change_note", required=False),
                easy_evidence_prompt=easy.text("evidence_prompt", required=False),
                unit=unit,
                evidence_examples=examples,
                criteria=criteria,
            )
        )
    _unique(f"{origin} [[items]]", [i.id for i in items])
    points = [i.checklist_point for i in items if i.checklist_point is not None]
    _unique(f"{origin} checklist_point", [str(p) for p in points])
    for domain in domains:
        if not any(i.domain == domain.id for i in items):
            raise FrameworkError(f"{origin} domain {domain.id!r}: has no items")

    version = head.text("version")
    return Framework(
        id=head.text("id"),
        version=version,
        title=head.text("title"),
        summary=head.text("summary"),
        source=source,
        levels=tuple(levels),
        modules=tuple(modules),
        domains=tuple(domains),
        items=tuple(items),
        case_studies=tuple(cases),
        caveat=head.text("caveat", required=False),
        changes=head.text("changes", required=False),
        scale=scale,
        easy_ui=easy_ui,
        units=units,
        _item_index={i.id: i for i in items},
    )


def _documents(entry: _Entry) -> tuple[SourceDocument, ...]:
    """A module's sources: plain titles (framework 1.0) or tables naming title, publisher and kind."""
    raw = entry.data.get("sources", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw) or not raw:
        return ()
    docs = []
    for k, table in enumerate(raw):
        doc = _Entry(f"{entry.where} source #{k + 1}", table, ("id", "title", "publisher", "kind", "note"))
        docs.append(
            SourceDocument(doc.text("id"), doc.text("title"), doc.text("publisher"), doc.text("kind"), doc.text("note"))
        )
    return tuple(docs)


def _scale(origin: str, raw: Any) -> Scale:
    """The scale's reading rule and its defined words: bands that cover 0-100% with no gap or overlap
    (1.0, 1.1), or thresholds from weakest to strongest, the strongest being every one (from 1.2)."""
    entry = _Entry(f"{origin} [scale]", raw, ("kind", "rule", "easy_rule", "counting", "terms"))
    kind = entry.text("kind", required=False) or SCALE_BANDS
    if kind not in (SCALE_BANDS, SCALE_THRESHOLDS):
        raise FrameworkError(f"{entry.where}: 'kind' must be {SCALE_BANDS!r} or {SCALE_THRESHOLDS!r}, not {kind!r}")
    terms = _thresholds(origin, entry) if kind == SCALE_THRESHOLDS else _bands(origin, entry)
    _unique(f"{origin} [[scale.terms]]", [t.word for t in terms])
    return Scale(entry.text("rule"), entry.text("easy_rule"), entry.text("counting"), tuple(terms), kind)


def _percent_value(where: str, table: dict, key: str) -> float:
    value = table.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 100:
        raise FrameworkError(f"{where}: '{key}' must be a number from 0 to 100")
    return float(value)


def _bands(origin: str, entry: _Entry) -> list[ScaleTerm]:
    terms: list[ScaleTerm] = []
    for n, table in enumerate(entry.tables("terms")):
        term = _Entry(
            f"{origin} [[scale.terms]] #{n + 1}", table, ("word", "meaning", "easy_read", "up_to_percent", "inclusive")
        )
        bound, inclusive = _percent_value(term.where, table, "up_to_percent"), table.get("inclusive")
        if not isinstance(inclusive, bool):
            raise FrameworkError(f"{term.where}: 'inclusive' must be true or false")
        terms.append(ScaleTerm(term.text("word"), term.text("meaning"), term.text("easy_read"), bound, inclusive))
    # Ordered bounds, each strictly wider than the one before, from exactly 0% to exactly 100%:
    # then every share falls under exactly one word.
    first, last = terms[0], terms[-1]
    if (first.up_to_percent, first.inclusive) != (0, True) or (last.up_to_percent, last.inclusive) != (100, True):
        raise FrameworkError(
            f"{origin} [scale]: the first word must cover exactly 0% and the last exactly 100% (inclusive)"
        )
    for before, after in zip(terms, terms[1:], strict=False):
        widens = after.up_to_percent > before.up_to_percent or (
            after.up_to_percent == before.up_to_percent and after.inclusive and not before.inclusive
        )
        if not widens:
            raise FrameworkError(f"{origin} [scale]: {after.word!r} does not start where {before.word!r} ends")
    return terms


def _thresholds(origin: str, entry: _Entry) -> list[ScaleTerm]:
    terms: list[ScaleTerm] = []
    keys = ("word", "meaning", "easy_read", "more_than_percent", "at_least_percent")
    for n, table in enumerate(entry.tables("terms")):
        term = _Entry(f"{origin} [[scale.terms]] #{n + 1}", table, keys)
        given = [k for k in ("more_than_percent", "at_least_percent") if k in table]
        if len(given) != 1:
            raise FrameworkError(f"{term.where}: give exactly one of 'more_than_percent' or 'at_least_percent'")
        bound = _percent_value(term.where, table, given[0])
        terms.append(
            ScaleTerm(
                term.text("word"),
                term.text("meaning"),
                term.text("easy_read"),
                more_than_percent=bound if given[0] == "more_than_percent" else None,
                at_least_percent=bound if given[0] == "at_least_percent" else None,
            )
        )
    # Weakest first, each strictly stronger than the one before, the last met only by every one (100%):
    # then a share that meets a word meets every word before it.
    for before, after in zip(terms, terms[1:], strict=False):
        if not after.smallest_share > before.smallest_share:
            raise FrameworkError(f"{origin} [scale]: {after.word!r} is not stronger than {before.word!r}")
    if terms[-1].at_least_percent != 100:
        raise FrameworkError(f"{origin} [scale]: the last word must mean every one ('at_least_percent = 100')")
    if terms[0].more_than_percent != 0:  # the weakest word is met by a single one of any number
        raise FrameworkError(f"{origin} [scale]: the first word must be met by a single one ('more_than_percent = 0')")
    return terms


def _units(origin: str, raw: Any) -> tuple[AssessmentUnit, ...]:
    if not isinstance(raw, list) or not raw:
        raise FrameworkError(f"{origin}: expected at least one [[units]] entry")
    units: list[AssessmentUnit] = []
    for n, table in enumerate(raw):
        entry = _Entry(f"{origin} [[units]] #{n + 1}", table, ("id", "name", "meaning", "easy_read"))
        unit = AssessmentUnit(entry.text("id"), entry.text("name"), entry.text("meaning"), entry.text("easy_read"))
        if unit.id not in ASSESSMENT_UNITS:
            raise FrameworkError(f"{entry.where}: id {unit.id!r} must be one of: {', '.join(ASSESSMENT_UNITS)}")
        units.append(unit)
    _unique(f"{origin} [[units]]", [u.id for u in units])
    return tuple(units)


def _criteria(where: str, raw: Any, scale: Scale | None) -> Criteria:
    """An item's levels as data. Checked here: every name is defined, and the levels nest (a state that
    meets a level meets every level below it) with each level asking for more than the one below."""
    where = f"{where} criteria"
    if scale is None or scale.kind != SCALE_THRESHOLDS:
        raise FrameworkError(f"{where}: criteria need a [scale] whose kind is {SCALE_THRESHOLDS!r}")
    words = [t.word for t in scale.terms]
    entry = _Entry(where, raw, ("share_of", "facts", "levels"))
    facts: list[Fact] = []
    for n, table in enumerate(entry.tables("facts")):
        fact = _Entry(f"{where} fact #{n + 1}", table, ("id", "means", "implies", "holds_from_share"))
        fact_id = fact.text("id")
        if not all(c.isalnum() or c == "-" for c in fact_id) or fact_id != fact_id.lower():
            raise FrameworkError(f"{fact.where}: id must be lower-case letters, digits and hyphens")
        from_share = fact.text("holds_from_share", required=False)
        if from_share and from_share not in words:
            raise FrameworkError(f"{fact.where}: 'holds_from_share' must be one of: {', '.join(words)}")
        facts.append(Fact(fact_id, fact.text("means"), fact.texts("implies"), from_share))
    fact_ids = [f.id for f in facts]
    _unique(f"{where} facts", fact_ids)
    for fact in facts:
        for implied in fact.implies:
            if implied not in fact_ids:
                raise FrameworkError(f"{where} fact {fact.id!r}: implies {implied!r}, which is not defined")
    raw_levels = entry.data.get("levels")
    if not isinstance(raw_levels, list) or len(raw_levels) != len(LEVEL_VALUES):
        raise FrameworkError(
            f"{where}: 'levels' must list exactly {len(LEVEL_VALUES)} requirements, one per level "
            f"({LEVEL_VALUES[0]} to {LEVEL_VALUES[-1]}); level 0's is {{}}"
        )
    requirements: list[LevelRequirement] = []
    for level, table in enumerate(raw_levels):
        need = _Entry(f"{where} level {level}", table, ("share", "needs"))
        share = need.text("share", required=False)
        if share and share not in words:
            raise FrameworkError(f"{need.where}: 'share' must be one of: {', '.join(words)}")
        needs = need.texts("needs")
        for fact_id in needs:
            if fact_id not in fact_ids:
                raise FrameworkError(f"{need.where}: needs {fact_id!r}, which is not a fact of this item")
        if level == 0 and (share or needs):
            raise FrameworkError(f"{need.where}: Not started needs nothing; write {{}}")
        requirements.append(LevelRequirement(share, needs))
    share_of = entry.text("share_of", required=any(r.share for r in requirements))
    criteria = Criteria(share_of, tuple(facts), tuple(requirements))
    _check_nested(where, criteria, scale)
    return criteria


def _check_nested(where: str, criteria: Criteria, scale: Scale) -> None:
    """Meeting a level is monotone (more facts or a larger share never un-meets it), so it is enough to
    look at the smallest state that meets each level: it must meet the level below and not the level above."""
    for level in LEVEL_VALUES[1:]:
        need = criteria.requirements[level]
        percent = scale.term(need.share).smallest_share if need.share else 0.0
        smallest = criteria.state(need.needs, percent, scale)
        if not criteria.meets(level, smallest, percent, scale):
            raise FrameworkError(f"{where} level {level}: cannot be met")  # unreachable: a state meets its own needs
        if not criteria.meets(level - 1, smallest, percent, scale):
            below = criteria.requirements[level - 1]
            raise FrameworkError(
                f"{where} level {level}: does not include level {level - 1}: a state with "
                f"{need.share or 'no share'} and {', '.join(sorted(smallest)) or 'no facts'} meets level {level} "
                f"but not level {level - 1} (which needs {below.share or 'no share'} and "
                f"{', '.join(below.needs) or 'no facts'})"
            )
        if level < LEVEL_VALUES[-1] and criteria.meets(level + 1, smallest, percent, scale):
            raise FrameworkError(
                f"{where} level {level + 1}: asks for nothing more than level {level}; each level must add a "
                "larger share or a fact"
            )


def _easy_ui(origin: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise FrameworkError(f"{origin} [easy_read]: every entry must be a non-empty string")
    return {k: v.strip() for k, v in raw.items()}


def load_framework_file(path: Path) -> Framework:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{path.name}: not valid TOML ({exc})") from None
    return parse_framework(data, origin=path.name)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        raise FrameworkError(f"framework version {version!r} must be numbers separated by dots, e.g. 1.0") from None


class FrameworkRegistry:
    """Every framework version in a folder, newest last."""

    def __init__(self, folder: Path = FRAMEWORKS_DIR):
        files = sorted(folder.glob("*.toml"))
        if not files:
            raise FrameworkError(f"no framework files (*.toml) found in {folder}")
        by_version: dict[str, Framework] = {}
        self._files: dict[str, Path] = {}
        for path in files:
            fw = load_framework_file(path)
            if fw.version in by_version:
                raise FrameworkError(f"framework version {fw.version} is defined by more than one file in {folder}")
            by_version[fw.version] = fw
            self._files[fw.version] = path
        self._by_version = dict(sorted(by_version.items(), key=lambda kv: _version_key(kv[0])))

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self._by_version)

    @property
    def current(self) -> Framework:
        """The newest version (by version number, not file name): the one new rounds use."""
        return next(reversed(self._by_version.values()))

    @property
    def current_file(self) -> Path:
        return self._files[self.current.version]

    def file_for(self, version: str) -> Path:
        self.get(version)
        return self._files[version]

    def get(self, version: str) -> Framework:
        try:
            return self._by_version[version]
        except KeyError:
            raise FrameworkError(
                f"framework version {version!r} is not available; this app knows: {', '.join(self.versions)}"
            ) from None


@lru_cache(maxsize=4)
def _registry_for(folder: Path) -> FrameworkRegistry:
    return FrameworkRegistry(folder)


def registry() -> FrameworkRegistry:
    """The framework versions this app knows (FRAMEWORKS_DIR is read at call time, for tests)."""
    return _registry_for(FRAMEWORKS_DIR)


def current_framework() -> Framework:
    return registry().current


def framework_for(version: str) -> Framework:
    return registry().get(version)


def wording_changes(older: Framework, newer: Framework) -> dict[str, str]:
    """Items whose wording differs between two versions: 'changed', 'added' or 'removed'."""
    if older.version == newer.version and older.local_version == newer.local_version:
        return {}
    changes: dict[str, str] = {}
    for item in newer.items:
        if not older.has_item(item.id):
            changes[item.id] = "added"
        elif older.item(item.id).fingerprint != item.fingerprint:
            changes[item.id] = "changed"
    for item in older.items:
        if not newer.has_item(item.id):
            changes[item.id] = "removed"
    return changes


@dataclass(frozen=True)
class ItemChange:
    """One item that differs between two versions, with the newer version's note on what changed."""

    item_id: str
    title: str
    kind: str  # "changed", "added" or "removed"
    note: str


def change_log(older: Framework, newer: Framework) -> tuple[ItemChange, ...]:
    """Every item whose wording differs between two versions, in the newer version's order, removed items last."""
    changes = wording_changes(older, newer)
    out: list[ItemChange] = []
    for item in newer.items:
        if item.id in changes:
            out.append(ItemChange(item.id, item.title, changes[item.id], item.change_note))
    for item in older.items:
        if changes.get(item.id) == "removed":
            out.append(ItemChange(item.id, item.title, "removed", f"Not in version {newer.version}."))
    return tuple(out)


@dataclass(frozen=True)
class CarryOver:
    """What moving a draft's answers from one version to another keeps, flags and drops."""

    kept: tuple[str, ...]  # same wording in both versions: carried over as they are
    review: tuple[str, ...]  # carried over, but the wording changed: someone must look again
    dropped: tuple[str, ...]  # the item no longer exists in the newer version


def carry_over(older: Framework, newer: Framework, answered: Iterable[str]) -> CarryOver:
    """Plan moving a draft's answered items from `older` to `newer`; nothing is changed here."""
    changes = wording_changes(older, newer)
    kept: list[str] = []
    review: list[str] = []
    dropped: list[str] = []
    for item_id in answered:
        if not newer.has_item(item_id):
            dropped.append(item_id)
        elif changes.get(item_id) == "changed":
            review.append(item_id)
        else:
            kept.append(item_id)
    return CarryOver(tuple(kept), tuple(review), tuple(dropped))

"""A system's own local items: its priorities written in the framework's shape, beside the national items.

Systems adapt a national checklist to local priorities. A system admin writes a module of local items (each
with a title, a statement, five level descriptors and an evidence prompt, with Easy Read optional), on the
Manage page or in a workbook made from the app's template, and publishes it as a numbered version. A round
started afterwards includes the version published then, as the domain "local" with item ids "local-1",
"local-2", …; an item keeps its id from version to version, so a changed wording is flagged as it is for the
national items.

Local items are scored as their own domain and appear in the system's own pages, exports and reports. They
never count in the overall score, and national comparisons, roll-ups and benchmarks never read them: those
compare like with like (scoring.score_assessment; analysis and national read the national framework only).

This module is plain data: validating rows, the stored JSON, and the framework a round is scored against.
Storing drafts and versions is checklist/store/local_modules.py; the workbook is checklist/local_workbook.py.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from checklist.framework import (
    ASSESSMENT_UNITS,
    LEVEL_NAMES,
    LEVEL_VALUES,
    LOCAL_MODULE,
    LOCAL_PREFIX,
    Domain,
    Framework,
    Item,
    Module,
    framework_for,
)

MAX_ITEMS = 40
TITLE_LONGEST = 120
MODULE_TITLE_LONGEST = 80
TEXT_LONGEST = 1000  # statement, a level, a prompt, a reason
DEFAULT_TITLE = "Our local priorities"
# Each field of an item as a person writes it: (key, words on the page and in the workbook, required).
FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("title", "Title", True),
    ("statement", "What good looks like", True),
    *((f"level_{v}", f"{v} · {n}", True) for v, n in enumerate(LEVEL_NAMES)),
    ("evidence_prompt", "Evidence prompt", True),
    ("why_it_matters", "Why it matters", False),
    ("unit", "Judged for", False),
    ("easy_statement", "Easy Read: what good looks like", False),
    *((f"easy_level_{v}", f"Easy Read: step {v}", False) for v in LEVEL_VALUES),
)
FIELD_KEYS = tuple(f[0] for f in FIELDS)
FIELD_WORDS = {f[0]: f[1] for f in FIELDS}
LEVEL_KEYS = tuple(f"level_{v}" for v in LEVEL_VALUES)
EASY_KEYS = ("easy_statement", *(f"easy_level_{v}" for v in LEVEL_VALUES))


class LocalItemsError(ValueError):
    """Local items that cannot be kept: `problems` names each row and field that is wrong and what was expected."""

    def __init__(self, message: str, problems: Iterable[str] = ()):
        self.problems = tuple(problems)
        super().__init__(message if not self.problems else f"{message}: " + "; ".join(self.problems))


@dataclass(frozen=True)
class LocalItem:
    """One local item as written: its id ('local-3') and every field of FIELDS as text ('' when not given)."""

    id: str
    fields: Mapping[str, str]

    def __getitem__(self, key: str) -> str:
        return self.fields.get(key, "")

    @property
    def title(self) -> str:
        return self["title"]

    @property
    def has_easy_read(self) -> bool:
        return all(self[k] for k in EASY_KEYS)


@dataclass(frozen=True)
class LocalModule:
    """A system's local items: a title, a description and the items, as one version (0 for a draft)."""

    title: str
    description: str
    items: tuple[LocalItem, ...]
    version: int = 0

    def to_json(self) -> str:
        return json.dumps([{"id": i.id, **{k: i[k] for k in FIELD_KEYS if i[k]}} for i in self.items])


def _number(item_id: str) -> int:
    tail = item_id[len(LOCAL_PREFIX) :]
    return int(tail) if item_id.startswith(LOCAL_PREFIX) and tail.isdigit() else 0


def _text(value: Any) -> str:
    """A cell or field as tidy text: None and NaN are empty; control characters but line breaks are dropped."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or (ord(c) >= 32 and ord(c) != 127))
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def clean_title(value: Any) -> str:
    title = " ".join(_text(value).split())
    if not title:
        raise LocalItemsError("the local items need a title, such as 'Our local priorities'")
    if len(title) > MODULE_TITLE_LONGEST:
        raise LocalItemsError(f"the title is {len(title)} characters long; expected at most {MODULE_TITLE_LONGEST}")
    return title


def validate(
    rows: Iterable[Mapping[str, Any]],
    title: Any,
    description: Any = "",
    earlier: Iterable[str] = (),
    first_row: int = 1,
    complete: bool = True,
) -> LocalModule:
    """Local items from rows (one mapping per item, keyed by FIELD_KEYS, with an optional 'id'), checked whole.

    With complete=False (a draft, saved on every change while it is written) empty fields are allowed; lengths,
    counts, ids and the rest are checked all the same. Every problem is named with its row (counted from
    `first_row`, as the page or workbook shows them), its field and what was expected; nothing is kept unless
    every row is right. A row with an id keeps it (so a changed wording is flagged on the next round); a new row
    gets the next free number, never one used before (`earlier` lists every id of the earlier versions). Blank
    rows are skipped."""
    problems: list[str] = []
    try:
        module_title = clean_title(title if complete or _text(title) else DEFAULT_TITLE)
    except LocalItemsError as exc:
        problems.append(str(exc))
        module_title = ""
    about = _text(description)
    if len(about) > TEXT_LONGEST:
        problems.append(f"the description is {len(about)} characters long; expected at most {TEXT_LONGEST}")
    used = {_number(i) for i in earlier}
    given: list[tuple[int, str, dict[str, str]]] = []
    for n, row in enumerate(rows, start=first_row):
        fields = {k: _text(row.get(k)) for k in FIELD_KEYS}
        ident = _text(row.get("id")).lower()
        if not ident and not any(fields.values()):
            continue
        n = int(row.get("row") or n)  # a workbook's rows say where they were
        where = f"row {n}"
        for key, words, required in FIELDS:
            value = fields[key]
            if required and complete and not value:
                problems.append(f"{where}: '{words}' is empty; every item needs it")
            longest = TITLE_LONGEST if key == "title" else TEXT_LONGEST
            if len(value) > longest:
                problems.append(f"{where}: '{words}' is {len(value)} characters long; expected at most {longest}")
        fields["title"] = " ".join(fields["title"].split())
        unit = fields["unit"].lower()
        if unit not in ASSESSMENT_UNITS and unit:
            problems.append(
                f"{where}: 'Judged for' is {fields['unit']!r}; expected system, place, neighbourhood or blank"
            )
        fields["unit"] = unit
        easy = [fields[k] for k in EASY_KEYS]
        if complete and any(easy) and not all(easy):
            missing = [FIELD_WORDS[k] for k in EASY_KEYS if not fields[k]]
            problems.append(
                f"{where}: Easy Read is given in part; also fill {', '.join(missing)}, or leave it all blank"
            )
        if ident and not (ident.startswith(LOCAL_PREFIX) and _number(ident) > 0):
            problems.append(f"{where}: id {ident!r} is not a local item id; expected one like 'local-3', or blank")
            ident = ""
        given.append((n, ident, fields))
    if complete and not given and not problems:
        problems.append("there are no items; write at least one")
    if len(given) > MAX_ITEMS:
        problems.append(f"there are {len(given)} items; expected at most {MAX_ITEMS}")
    seen_ids: dict[str, int] = {}
    seen_titles: dict[str, int] = {}
    for n, ident, fields in given:
        if ident in seen_ids:
            problems.append(f"row {n}: id {ident!r} is also on row {seen_ids[ident]}; each item appears once")
        elif ident:
            seen_ids[ident] = n
        key = fields["title"].casefold()
        if key in seen_titles:
            problems.append(f"row {n}: the title {fields['title']!r} is also on row {seen_titles[key]}")
        elif key:
            seen_titles[key] = n
    if problems:
        raise LocalItemsError("the local items were not kept", problems)
    following = max(used | {_number(i) for i in seen_ids}, default=0)
    items = []
    for _, ident, fields in given:
        if not ident:
            following += 1
            ident = f"{LOCAL_PREFIX}{following}"
        items.append(LocalItem(ident, {k: v for k, v in fields.items() if v}))
    return LocalModule(module_title, about, tuple(items))


def from_json(title: str, description: str, items_json: str, version: int = 0) -> LocalModule:
    """A stored version or draft back as a LocalModule (stored ones were validated when kept)."""
    rows = json.loads(items_json or "[]")
    return LocalModule(
        title,
        description or "",
        tuple(LocalItem(r["id"], {k: r[k] for k in FIELD_KEYS if r.get(k)}) for r in rows),
        version,
    )


def rows_of(module: LocalModule) -> list[dict[str, str]]:
    """The items as rows (id and every field), for the page's table and the workbook."""
    return [{"id": i.id, **{k: i[k] for k in FIELD_KEYS}} for i in module.items]


def _item(local: LocalItem, units: Iterable[str]) -> Item:
    """A local item as a framework item; where it is judged is kept when the round's framework defines it (1.2 on)."""
    levels = tuple(local[k] for k in LEVEL_KEYS)
    easy = local.has_easy_read
    return Item(
        id=local.id,
        domain=LOCAL_MODULE,
        title=local.title,
        statement=local["statement"],
        evidence_prompt=local["evidence_prompt"],
        why_it_matters=local["why_it_matters"],
        learn_from="",
        levels=levels,
        easy_statement=local["easy_statement"] if easy else local["statement"],
        easy_levels=tuple(local[f"easy_{k}"] for k in LEVEL_KEYS) if easy else levels,
        unit=local["unit"] if local["unit"] in set(units) else "",
    )


@lru_cache(maxsize=256)
def _joined(version: str, title: str, description: str, items_json: str, local_version: int) -> Framework:
    national = framework_for(version)
    local = from_json(title, description, items_json, local_version)
    about = description or "Items this system added to the national framework for its own priorities."
    module = Module(LOCAL_MODULE, local.title, False, about, local=True)
    domain = Domain(LOCAL_MODULE, LOCAL_MODULE, local.title, about, "Things our area chose to look at too.")
    units = [u.id for u in national.units]
    items = national.items + tuple(_item(i, units) for i in local.items)
    return dataclasses.replace(
        national,
        modules=(*national.modules, module),
        domains=(*national.domains, domain),
        items=items,
        local_version=local_version,
        _item_index={i.id: i for i in items},
    )


def with_local(framework_version: str, module: LocalModule | None) -> Framework:
    """The framework a round is answered and scored against: the national version, plus the system's local items
    as their own module and domain when the round includes a version of them."""
    if module is None or not module.items:
        return framework_for(framework_version)
    return _joined(framework_version, module.title, module.description, module.to_json(), module.version)


def of_round(assessment: Mapping[str, Any]) -> Framework:
    """The framework of a round read with its local items (store.get_assessment's local_* columns)."""
    items = assessment.get("local_items")
    if assessment.get("local_module_id") and "local_items" not in assessment:
        # A round read without its local items would be scored without them, silently: never.
        raise ValueError("this round includes local items; read it with store.get_assessment (LOCAL_COLUMNS)")
    if not items:
        return framework_for(assessment["framework_version"])
    return _joined(
        assessment["framework_version"],
        assessment.get("local_title") or DEFAULT_TITLE,
        assessment.get("local_description") or "",
        items,
        int(assessment.get("local_version") or 0),
    )

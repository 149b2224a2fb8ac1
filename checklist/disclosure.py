"""Small groups are never identifiable: the minimum group size, and the rules that hold figures back.

A figure about fewer than `min_group()` places (or people) outside the reader's own units is shown as
"fewer than N" instead (`suppressed`); a sector with fewer people in a room than that is folded into
"other sectors" on shared screens and in summaries (consensus.fold_sectors); anonymised places carry
nothing beside their letter that could single one out (no round date, label or population). The national
view and its open-data file apply the rule to everything, whoever reads them, as they are made to be published.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from checklist.errors import StoreError

MIN_GROUP_VAR = "CHECKLIST_MIN_GROUP"
DEFAULT_MIN_GROUP = 3


def min_group() -> int:
    """The smallest group a figure may describe (CHECKLIST_MIN_GROUP, default 3; 1 turns suppression off)."""
    raw = os.environ.get(MIN_GROUP_VAR, "").strip()
    if not raw:
        return DEFAULT_MIN_GROUP
    if not raw.isdigit() or int(raw) < 1:
        raise StoreError(
            f"{MIN_GROUP_VAR}={raw!r} is not a group size; expected a whole number of 1 or more, such as 3"
        )
    return int(raw)


def fewer_than(minimum: int | None = None) -> str:
    """What is shown instead of a figure about too small a group."""
    return f"fewer than {min_group() if minimum is None else minimum}"


def too_small(size: int, minimum: int | None = None) -> bool:
    """True when a group of this size must not be shown on its own (an empty group has nothing to show)."""
    return 0 < size < (min_group() if minimum is None else minimum)


def held_back(sizes: Mapping[Any, int], own: Iterable[Any], minimum: int | None = None) -> set[Any]:
    """The units (keys of `sizes`: systems, say, with how many places each figure describes) whose figures must
    not be shown to this reader: too small a group, and not one of the reader's own units."""
    mine = set(own)
    return {unit for unit, size in sizes.items() if unit not in mine and too_small(int(size), minimum)}

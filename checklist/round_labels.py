"""Round labels a unit does not have yet: the new-round form suggests one, and names the clash when a label is taken.

A unit's labels are unique regardless of case and surrounding spaces (as store.create_assessment checks).
The suggestion starts from the calendar quarter (store.suggest_round_label, "2026 Q4"); when the unit
already has that round, the next free "2026 Q4 round 2", "2026 Q4 round 3", ... is offered instead.
"""

from __future__ import annotations

from collections.abc import Iterable


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


def taken_as(label: str, taken: Iterable[str]) -> str | None:
    """The unit's existing label that `label` would clash with (as the unit has it), or None."""
    wanted = _key(label)
    return next((existing for existing in taken if _key(existing) == wanted), None)


def free_label(suggested: str, taken: Iterable[str]) -> str:
    """`suggested` if the unit has no round called that, else the first free '<suggested> round N' (N from 2)."""
    have = {_key(label) for label in taken}
    if _key(suggested) not in have:
        return suggested
    n = 2
    while _key(f"{suggested} round {n}") in have:
        n += 1
    return f"{suggested} round {n}"

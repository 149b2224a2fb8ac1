"""The app's one clock: every "now" and "today" the domain uses comes from here.

Tests freeze it (``frozen``) so nothing depends on the real date: a frozen clock starts at a fixed
moment and advances by one microsecond each time it is read, so timestamps stay strictly ordered.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current moment, timezone-aware UTC (the frozen moment under test)."""
    return _source() if _source is not None else datetime.now(UTC)


def today() -> date:
    return now().date()


def iso_now() -> str:
    return now().isoformat(timespec="microseconds")


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Run with the clock fixed at `at` (ticking one microsecond per read), then restore it."""
    global _source
    if at.tzinfo is None:
        raise ValueError("a frozen clock needs a timezone-aware moment")
    ticks = itertools.count()
    lock = threading.Lock()

    def _tick() -> datetime:
        with lock:
            return at + timedelta(microseconds=next(ticks))

    previous, _source = _source, _tick
    try:
        yield
    finally:
        _source = previous

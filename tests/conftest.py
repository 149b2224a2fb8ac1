"""Shared fixtures: a frozen clock, a fresh migrated database, the current framework, a demo database file."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checklist import clock, demo, store
from checklist.framework import Framework, current_framework

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
ACTOR = "test user"
# Every test sees this moment as "now" (ticking a microsecond per read), so no test depends on the
# real date. Browser tests (marked e2e) are the exception: they share data with a real server
# process, which runs on the real clock, so both sides must agree on the time.
FROZEN_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock(request):
    if request.node.get_closest_marker("e2e"):
        yield
        return
    with clock.frozen(FROZEN_AT):
        yield


@pytest.fixture
def fresh_db():
    db = store.connect(":memory:")
    yield db
    db.close()


@pytest.fixture
def fw() -> Framework:
    return current_framework()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = store.connect(path)
    demo.create_demo(db)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def demo_path(_demo_template, tmp_path) -> Path:
    """A private copy of the demo database (made once per session, copied per test)."""
    path = tmp_path / "demo.db"
    shutil.copy(_demo_template, path)
    return path


@pytest.fixture
def unit(fresh_db):
    """A system with one place; returns (db, system_id, place_id)."""
    system_id = store.create_system(fresh_db, "Test ICS", ACTOR)
    place_id = store.create_place(fresh_db, system_id, "Test Place", ACTOR)
    return fresh_db, system_id, place_id


@pytest.fixture
def draft(unit):
    """A draft place assessment without the workforce module; returns (db, assessment_id)."""
    db, system_id, place_id = unit
    return db, store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR)

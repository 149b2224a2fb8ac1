"""Shared fixtures: a frozen clock, a fresh migrated database (on SQLite, and on PostgreSQL too for the modules in
BOTH_BACKENDS), the current framework, a demo database file."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checklist import clock, demo, store
from checklist.db import postgres
from checklist.framework import Framework, current_framework
from tests import pgserver

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
ACTOR = "test user"
# Every test sees this moment as "now" (ticking a microsecond per read), so no test depends on the
# real date. Browser tests (marked e2e) are the exception: they share data with a real server
# process, which runs on the real clock, so both sides must agree on the time.
FROZEN_AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@contextmanager
def serving(app) -> Iterator[int]:  # noqa: ANN001
    """An ASGI app served by a real uvicorn on 127.0.0.1 in a thread, as app.py is: uvicorn's own proxy-header
    handling kept off the raw peer (web.edge.keep_raw_peer) while it loads. Yields the port."""
    import uvicorn
    import uvicorn.config
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from web import edge

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        number = sock.getsockname()[1]
    edge.keep_raw_peer()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=number, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    uvicorn.config.ProxyHeadersMiddleware = ProxyHeadersMiddleware  # loaded: the rest of the session as it was
    try:
        yield number
    finally:
        server.should_exit = True
        thread.join(10)


def signed_in(email: str, issued_ago: float = 60, lasts: float = 3600) -> dict:
    """What Streamlit's st.user holds for someone signed in through OpenID Connect: the ID token's claims,
    issued `issued_ago` seconds before the frozen now and ending `lasts` seconds after it was issued."""
    issued = FROZEN_AT.timestamp() - issued_ago
    return {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "iat": int(issued),
        "exp": int(issued + lasts),
    }


@pytest.fixture(autouse=True)
def _frozen_clock(request):
    if request.node.get_closest_marker("e2e"):
        yield
        return
    with clock.frozen(FROZEN_AT):
        yield


# The modules whose every database test runs on both backends: the store, who may do what, imports, exports,
# privacy, the live room and workshops, reviews, backups. The rest run on SQLite (the default) alone.
BOTH_BACKENDS = {
    "test_store", "test_access", "test_imports", "test_exports", "test_privacy", "test_erasure", "test_live",
    "test_workshops", "test_reviews", "test_backup", "test_postgres", "test_sign_off", "test_concurrent_edits",
    "test_bulk", "test_cycles", "test_reminders", "test_evidence_files", "test_local_items",
}  # fmt: skip


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        backends = ["sqlite", "postgresql"] if module in BOTH_BACKENDS else ["sqlite"]
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    """One PostgreSQL server for the whole run, with a migrated template database. Skipped where PostgreSQL is not
    installed, except in CI, which installs it (.ci/run) and must run every test."""
    if pgserver.bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/run installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="checklist-pg-"))
    server = pgserver.start(folder)
    try:
        template = server.create(name="migrated")
        with clock.frozen(FROZEN_AT):
            store.connect(template).close()
        postgres.close_pools()
        yield server
    finally:
        postgres.close_pools()
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_address(pg_server) -> Iterator[str]:
    """The address of a new, migrated PostgreSQL database of this test's own (dropped afterwards)."""
    address = pg_server.create(template="migrated")
    yield address
    postgres.close_pools()
    pg_server.drop(address.rsplit("/", 1)[1])


@pytest.fixture
def db_target(backend, tmp_path, request):
    """Where this test's database lives: a SQLite file, or a PostgreSQL address (--db and CHECKLIST_DB take both)."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_address")
    return tmp_path / "test.db"


@pytest.fixture
def fresh_db(backend, request):
    db = store.connect(request.getfixturevalue("pg_address") if backend == "postgresql" else ":memory:")
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

"""Shared fixtures: a frozen clock, a fresh migrated database, the current framework, a demo database file."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    return {"is_logged_in": True, "email": email, "iat": int(issued), "exp": int(issued + lasts)}


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

"""Browser tests: the real app under `streamlit run`, driven in Debian's headless Chromium by Playwright.

One server per session (and one on an empty database, started only if a test asks for it). Every test
saves a screenshot of what the page showed at the end under test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Flags for a closed network: without them Chromium keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 30_000

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Server:
    url: str
    db_path: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(db_path: Path, log_path: Path, port: int | None = None, env: dict | None = None, args: tuple = ()):
    """Start the whole server (streamlit run app.py) on 127.0.0.1; returns (process, url) once healthy."""
    port = port or _free_port()
    env = {**os.environ, "CHECKLIST_DB": str(db_path), **(env or {})}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *args,
    ]  # fmt: skip
    log = log_path.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"streamlit did not become healthy in 90 s: {log_path.read_text()}")


def _serve(db_path: Path, tmp: Path):
    process, url = _start(db_path, tmp / "streamlit.log")
    try:
        yield Server(url, db_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def server(_demo_template, tmp_path_factory):
    """The app on a private copy of the demo database."""
    tmp = tmp_path_factory.mktemp("e2e-demo")
    db_path = tmp / "e2e.db"
    shutil.copy(_demo_template, db_path)
    yield from _serve(db_path, tmp)


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory):
    """The app on an empty database, as a new user first meets it."""
    tmp = tmp_path_factory.mktemp("e2e-empty")
    yield from _serve(tmp / "empty.db", tmp)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            "Debian's chromium is needed for the browser tests: apt-get install -y chromium (make test does it)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return page


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def page(browser, request):
    page = new_page(browser)
    yield page
    screenshot(page, request.node.name)
    page.context.close()


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished the current run (its 'running' indicator has gone)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stApp\"]')?.dataset?.teststate !== 'running'"
    )


def open_app(page: Page, server: Server, path: str = "", heading: str | None = None) -> None:
    page.goto(f"{server.url}/{path}")
    target = page.get_by_role("heading", level=1) if heading is None else page.get_by_role("heading", name=heading)
    expect(target.first).to_be_visible()
    wait_idle(page)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option in a Streamlit selectbox by its label.

    A rerun that lands just after the click can close the list again, so the list is reopened until
    the option shows (bounded), then clicked.
    """
    box = page.get_by_role("combobox", name=label, exact=True)
    expect(box).to_be_enabled()
    wanted = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        wait_idle(page)
        box.click()
        try:
            wanted.wait_for(state="visible", timeout=4000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    wanted.click()
    wait_idle(page)

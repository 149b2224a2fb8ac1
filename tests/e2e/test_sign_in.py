"""Shared mode, signed in for real: a real OpenID Connect provider on 127.0.0.1 and the app in Chromium.

The provider is panva's `oidc-provider` (npm), the certified Node.js implementation of OpenID Connect,
run with its development login form (any login is accepted; the login is the account's e-mail).
The app is configured against it through `[auth]` secrets, exactly as against Microsoft Entra ID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from checklist import access, store
from tests.e2e.conftest import TIMEOUT_MS, _free_port, _start, screenshot

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "checklist-app", "test-only-client-secret"


def _wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited early: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in 60 s: {log.read_text()}")


@pytest.fixture(scope="module")
def shared_server(_demo_template, tmp_path_factory):
    """The app in shared mode on a copy of the demo, with a real provider; yields (url, db path, drafts)."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
        pytest.fail("the sign-in test needs Node.js and `npm ci` in tests/e2e/oidc (make test does it)")
    tmp = tmp_path_factory.mktemp("e2e-shared")
    db_path = tmp / "shared.db"
    shutil.copy(_demo_template, db_path)
    db = store.connect(db_path)
    systems = store.list_systems(db)
    system_id = int(systems["id"].iloc[0])
    places = store.list_places(db, system_id)
    place_a, place_b = (int(places["id"].iloc[n]) for n in (0, 1))
    names = {place_a: str(places["name"].iloc[0]), place_b: str(places["name"].iloc[1])}
    drafts = {p: store.create_assessment(db, system_id, p, "Sign-in round", "2026-11-20", "e2e") for p in names}
    for email, place in (("lead.a@example.nhs.uk", place_a), ("lead.b@example.nhs.uk", place_b)):
        access.grant(db, "e2e", access.add_user(db, "e2e", email, email.split("@")[0]), access.LEAD, system_id, place)
    db.close()

    app_port, provider_port = _free_port(), _free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    provider_log = tmp / "provider.log"
    provider = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), str(provider_port), CLIENT_ID, CLIENT_SECRET, f"{app_url}/oauth2callback"],
        cwd=HERE, stdout=provider_log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        issuer = f"http://127.0.0.1:{provider_port}"
        _wait_for(f"{issuer}/.well-known/openid-configuration", provider, provider_log)
        secrets = tmp / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{os.urandom(24).hex()}"\n'
            f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
            "[auth.client_kwargs]\n"
            'scope = "openid profile email"\nprompt = "login"\n'
        )
        process, url = _start(db_path, tmp / "streamlit.log", port=app_port, env={"CHECKLIST_MODE": "shared"},
                              args=("--secrets.files", str(secrets)))  # fmt: skip
        try:
            yield url, db_path, drafts, names
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        provider.terminate()
        provider.wait(timeout=10)


def _sign_in(page: Page, url: str, email: str) -> None:
    _log_in(page, url, email)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(f"Signed in as {email.split('@')[0]}")


def _log_in(page: Page, url: str, email: str) -> None:
    """Through the provider's own login form and consent screen, back to the app."""
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()
    # The provider's own login form, then its consent screen.
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    consent = page.locator("button[type=submit]", has_text="Continue")
    consent.or_(page.locator('[data-testid="stApp"]')).first.wait_for()
    if consent.count():
        consent.click()


def _sign_out(page: Page) -> None:
    """Sign out of the app and, when the provider asks, of the provider too (so the next login is fresh)."""
    page.get_by_role("button", name="Sign out").click()
    confirm = page.get_by_role("button", name="Yes, sign me out")
    signed_out = page.get_by_role("heading", name="Sign in")
    confirm.or_(signed_out).first.wait_for()
    if confirm.count():
        confirm.click()
    expect(signed_out).to_be_visible()


def test_each_person_sees_what_their_role_allows_and_no_more(browser: Browser, shared_server):
    url, db_path, drafts, names = shared_server
    place_a, place_b = list(drafts)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        # Before signing in, only the sign-in page; joining a workshop stays open to anyone with a code.
        page.goto(f"{url}/manage")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_role("link", name="Manage")).to_have_count(0)

        # A lead of place A sees and edits A.
        _sign_in(page, url, "lead.a@example.nhs.uk")
        expect(page.get_by_role("link", name="Manage")).to_have_count(0)
        page.goto(f"{url}/assess?assessment={drafts[place_a]}")
        expect(page.get_by_role("heading", name=f"{names[place_a]} · Sign-in round")).to_be_visible()
        expect(page.get_by_text("Draft: every change is saved as you make it")).to_be_visible()
        group = page.get_by_role("radiogroup", name="Governance: which level fits today?")
        group.get_by_text("3 · Maturing", exact=True).click()
        deadline = time.monotonic() + 30
        db = store.connect(db_path)
        while time.monotonic() < deadline and "governance" not in store.responses(db, drafts[place_a]):
            time.sleep(0.2)
        assert store.responses(db, drafts[place_a])["governance"]["updated_by"] == "lead.a"
        screenshot(page, "sign-in-lead-a")
        _sign_out(page)

        # A lead of place B cannot open A's draft by its address.
        _sign_in(page, url, "lead.b@example.nhs.uk")
        page.goto(f"{url}/assess?assessment={drafts[place_a]}")
        expect(page.get_by_text(f"Assessment {drafts[place_a]} is not one you may open")).to_be_visible()
        expect(page.get_by_role("heading", name=f"{names[place_a]} · Sign-in round")).to_have_count(0)
        screenshot(page, "sign-in-lead-b-refused")
        _sign_out(page)

        # Someone the app does not know sees only "ask your administrator".
        _log_in(page, url, "stranger@example.nhs.uk")
        expect(page.get_by_role("heading", name="Ask your administrator for access")).to_be_visible()
        expect(page.get_by_role("link", name="Assess")).to_have_count(0)
        screenshot(page, "sign-in-unknown")
        _sign_out(page)
    finally:
        context.close()

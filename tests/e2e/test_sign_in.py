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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from checklist import access, store
from tests.e2e.conftest import TIMEOUT_MS, _free_port, _start, screenshot, wait_idle

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


def _provider(node: str, tmp: Path, name: str, app_url: str, id_token_seconds: int) -> tuple[subprocess.Popen, str]:
    """One provider on a free port of 127.0.0.1; returns the process and its issuer address once it answers."""
    port = _free_port()
    log = tmp / f"provider-{name}.log"
    process = subprocess.Popen(
        [node, str(HERE / "provider.mjs"), str(port), CLIENT_ID, CLIENT_SECRET, f"{app_url}/oauth2callback",
         str(id_token_seconds)],
        cwd=HERE, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    issuer = f"http://127.0.0.1:{port}"
    _wait_for(f"{issuer}/.well-known/openid-configuration", process, log)
    return process, issuer


KWARGS = '[{section}.client_kwargs]\nscope = "openid profile email"\nprompt = "login"\n'


def _provider_lines(issuer: str) -> str:
    return (
        f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
    )


@contextmanager
def _shared_app(
    db_path: Path, tmp: Path, id_token_seconds: int = 3600, providers: dict[str, str] | None = None
) -> Iterator[str]:
    """The app in shared mode on db_path, signing in through real providers started for it; yields its address.

    With `providers` ({name: label}), one provider each, configured side by side as [auth.<name>]; else one,
    as [auth] itself."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").exists():
        pytest.fail("the sign-in test needs Node.js and `npm ci` in tests/e2e/oidc (make test does it)")
    app_port = _free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    started: list[subprocess.Popen] = []
    try:
        config = f'[auth]\nredirect_uri = "{app_url}/oauth2callback"\ncookie_secret = "{os.urandom(24).hex()}"\n'
        if not providers:
            process, issuer = _provider(node, tmp, "default", app_url, id_token_seconds)
            started.append(process)
            config += _provider_lines(issuer) + KWARGS.format(section="auth")
        for name, label in (providers or {}).items():
            process, issuer = _provider(node, tmp, name, app_url, id_token_seconds)
            started.append(process)
            config += (
                f'[auth.{name}]\nlabel = "{label}"\n' + _provider_lines(issuer)
                + KWARGS.format(section=f"auth.{name}")
            )  # fmt: skip
        secrets = tmp / "secrets.toml"
        secrets.write_text(config)
        process, url = _start(db_path, tmp / "streamlit.log", port=app_port, env={"CHECKLIST_MODE": "shared"},
                              args=("--secrets.files", str(secrets)))  # fmt: skip
        try:
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        for provider in started:
            provider.terminate()
            provider.wait(timeout=10)


@pytest.fixture(scope="module")
def shared_server(_demo_template, tmp_path_factory):
    """The app in shared mode on a copy of the demo, with a real provider; yields (url, db path, drafts, names).

    Place A has a lead and a reviewer, place B a lead; each place has a draft, and place A a complete one
    ready to submit (drafts["ready"])."""
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
    for email, role, place in (("lead.a@example.nhs.uk", access.LEAD, place_a),
                               ("lead.b@example.nhs.uk", access.LEAD, place_b),
                               ("reviewer.a@example.nhs.uk", access.REVIEWER, place_a)):  # fmt: skip
        access.grant(db, "e2e", access.add_user(db, "e2e", email, email.split("@")[0]), role, system_id, place)
    ready = store.create_assessment(db, system_id, place_a, "Ready round", "2026-11-21", "e2e")
    round_ = store.get_assessment(db, ready)
    for item in store.framework_of(round_).items_of(round_):
        store.save_response(db, ready, item.id, "e2e", answer="level", level=2)
    drafts["ready"] = ready
    db.close()
    with _shared_app(db_path, tmp) as url:
        yield url, db_path, drafts, names


def _sign_in(page: Page, url: str, email: str) -> None:
    _log_in(page, url, email)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(f"Signed in as {email.split('@')[0]}")


def _log_in(page: Page, url: str, email: str, button: str = "Sign in") -> None:
    """Through the provider's own login form and consent screen, back to the app."""
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("button", name=button, exact=True).click()
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
    place_a, place_b = list(drafts)[:2]
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        # Before signing in, only the sign-in page; joining a workshop stays open to anyone with a code.
        page.goto(f"{url}/manage")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_role("link", name="Manage")).to_have_count(0)
        expect(page.get_by_text("Page not found")).to_have_count(0)  # every address answers with the sign-in

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
        # An evidence file, attached and downloaded signed in (the download is made outside the page's run).
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            {"name": "minutes.txt", "mimeType": "text/plain", "buffer": b"Board minutes, 3 March\n"}
        )
        expect(page.get_by_text("minutes.txt · plain text, 1 KB")).to_be_visible()
        with page.expect_download() as got:
            page.get_by_role("button", name="Download").click()
        assert open(got.value.path(), "rb").read() == b"Board minutes, 3 March\n"
        screenshot(page, "sign-in-lead-a")
        _sign_out(page)

        # A lead of place B cannot open A's draft by its address.
        _sign_in(page, url, "lead.b@example.nhs.uk")
        page.goto(f"{url}/assess?assessment={drafts[place_a]}")
        expect(page.get_by_text(f"Assessment {drafts[place_a]} cannot be opened")).to_be_visible()
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


def _context(browser: Browser):  # noqa: ANN202
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _wait_until(check, what: str, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {seconds} s")
        time.sleep(0.2)


def test_signing_out_ends_a_copied_session_at_its_next_request(browser: Browser, shared_server):
    url, db_path, drafts, names = shared_server
    place_a = next(p for p in drafts if p != "ready")
    expect.set_options(timeout=TIMEOUT_MS)
    mine, copied = _context(browser), _context(browser)
    try:
        page = mine.new_page()
        _sign_in(page, url, "lead.a@example.nhs.uk")
        copied.add_cookies(mine.cookies())  # someone copies the identity cookie
        thief = copied.new_page()
        thief.goto(f"{url}/assess?assessment={drafts[place_a]}")
        expect(thief.locator('[data-testid="stSidebar"]')).to_contain_text("Signed in as lead.a")
        group = thief.get_by_role("radiogroup", name="Governance: which level fits today?")
        expect(group).to_be_visible()

        db = store.connect(db_path)
        before = store.responses(db, drafts[place_a]).get("governance", {}).get("level")
        _sign_out(page)  # the owner signs out: every copy of the session ends
        group.get_by_text("1 · Emerging", exact=True).click()  # the copy's page was still open
        expect(thief.get_by_role("heading", name="Sign in again")).to_be_visible()
        expect(thief.get_by_text("You signed out of this session")).to_be_visible()
        after = store.responses(db, drafts[place_a]).get("governance", {}).get("level")
        assert after == before != 1, "nothing saved from an ended session"
        thief.goto(f"{url}/manage")
        expect(thief.get_by_role("heading", name="Sign in again")).to_be_visible()
        expect(thief.get_by_text("Page not found")).to_have_count(0)
        screenshot(thief, "sign-in-copied-session-refused")

        _sign_in(page, url, "lead.a@example.nhs.uk")  # signing in again starts a new, good session
        page.goto(f"{url}/assess?assessment={drafts[place_a]}")
        expect(page.get_by_text("Draft: every change is saved as you make it")).to_be_visible()
        _sign_out(page)
    finally:
        mine.close()
        copied.close()


def test_a_person_disabled_while_their_page_is_open_cannot_save(browser: Browser, shared_server):
    url, db_path, drafts, names = shared_server
    place_b = list(drafts)[1]
    expect.set_options(timeout=TIMEOUT_MS)
    context = _context(browser)
    try:
        page = context.new_page()
        _sign_in(page, url, "lead.b@example.nhs.uk")
        page.goto(f"{url}/assess?assessment={drafts[place_b]}")
        group = page.get_by_role("radiogroup", name="Governance: which level fits today?")
        expect(group).to_be_visible()
        db = store.connect(db_path)
        uid = db.execute("SELECT id FROM users WHERE email = 'lead.b@example.nhs.uk'").fetchone()[0]
        access.disable_user(db, "e2e", uid)
        group.get_by_text("2 · Developing", exact=True).click()
        expect(page.get_by_text("access to this tool has been turned off").first).to_be_visible()
        assert "governance" not in store.responses(db, drafts[place_b]), "nothing saved by a disabled person"
        screenshot(page, "sign-in-disabled-refused")
        access.add_user(db, "e2e", "lead.b@example.nhs.uk")  # enabled again for the other tests
    finally:
        context.close()


def test_sign_off_is_the_reviewers_own_act_and_reopening_withdraws_it(browser: Browser, shared_server):
    url, db_path, drafts, names = shared_server
    ready = drafts["ready"]
    expect.set_options(timeout=TIMEOUT_MS)
    context = _context(browser)
    page = context.new_page()
    try:
        # The lead submits with a note naming someone: it is a note, never a sign-off.
        _sign_in(page, url, "lead.a@example.nhs.uk")
        page.goto(f"{url}/assess?assessment={ready}")
        page.get_by_role("tab", name="Review and submit").click()
        note = page.get_by_role("textbox", name="Note at submission (optional)")
        note.fill("Signed off by Rita Reviewer")
        note.press("Control+Enter")
        page.get_by_role("button", name="Submit and lock").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("Your note: Signed off by Rita Reviewer")).to_be_visible()
        expect(dialog.get_by_text("a note is not a sign-off")).to_be_visible()
        dialog.get_by_role("button", name="Submit and lock").click()
        expect(dialog).to_have_count(0)
        page.get_by_role("tab", name="Review and submit").click()
        expect(page.get_by_text("This assessment is locked", exact=False)).to_be_visible()
        expect(page.get_by_text("you submitted this round, so another reviewer signs it off")).to_be_visible()
        expect(page.get_by_text("Signed off by Rita Reviewer").first).to_be_visible()  # shown as the lead's note
        expect(page.get_by_text("Signed off by lead.a")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign off this round")).to_have_count(0)
        screenshot(page, "sign-off-lead-note")
        _sign_out(page)

        # The reviewer signs it off, in their own name.
        _sign_in(page, url, "reviewer.a@example.nhs.uk")
        page.goto(f"{url}/assess?assessment={ready}")
        page.get_by_role("tab", name="Review and submit").click()
        page.get_by_role("button", name="Sign off this round").click()
        expect(page.get_by_text("Signed off by reviewer.a on")).to_be_visible()
        db = store.connect(db_path)
        reviewer = db.execute("SELECT id FROM users WHERE email = 'reviewer.a@example.nhs.uk'").fetchone()[0]
        assert store.get_assessment(db, ready)["signed_off_user_id"] == reviewer
        screenshot(page, "sign-off-reviewer")
        _sign_out(page)

        # The lead reopens it: the sign-off is withdrawn, and the page no longer claims one.
        _sign_in(page, url, "lead.a@example.nhs.uk")
        page.goto(f"{url}/assess?assessment={ready}")
        page.get_by_role("tab", name="Review and submit").click()
        page.get_by_text("Reopen for changes").click()
        reason = page.get_by_label("Why is it being reopened? (kept in the history)")
        reason.fill("One more change")
        reason.press("Tab")  # the box keeps its text once it loses focus
        # A click that lands while a rerun is in flight can be dropped: click once the page is idle, and again
        # only while the database shows the round still submitted.
        for _ in range(4):
            wait_idle(page)
            page.get_by_role("button", name="Reopen assessment").click()
            try:
                _wait_until(lambda: store.get_assessment(db, ready)["status"] == store.DRAFT, "the reopen")
                break
            except AssertionError:
                continue
        assert store.get_assessment(db, ready)["status"] == store.DRAFT
        expect(page.get_by_text("Draft: every change is saved as you make it")).to_be_visible(timeout=60_000)
        assert store.get_assessment(db, ready)["signed_off_at"] is None
        expect(page.get_by_text("Signed off by reviewer.a")).to_have_count(0)
        _sign_out(page)
    finally:
        context.close()


@pytest.fixture(scope="module")
def short_lived_server(_demo_template, tmp_path_factory):
    """Shared mode against a provider whose ID tokens last 8 seconds."""
    tmp = tmp_path_factory.mktemp("e2e-expiry")
    db_path = tmp / "expiry.db"
    shutil.copy(_demo_template, db_path)
    db = store.connect(db_path)
    access.grant(db, "e2e", access.add_user(db, "e2e", "viewer@example.nhs.uk", "viewer"), access.VIEWER)
    db.close()
    with _shared_app(db_path, tmp, id_token_seconds=8) as url:
        yield url


def test_an_identity_past_its_expiry_is_refused(browser: Browser, short_lived_server):
    url = short_lived_server
    expect.set_options(timeout=TIMEOUT_MS)
    context = _context(browser)
    try:
        page = context.new_page()
        _sign_in(page, url, "viewer@example.nhs.uk")
        ended = page.get_by_role("heading", name="Sign in again")
        # Each visit is a new request; once the token's exp has passed, the next one is refused.
        deadline = time.monotonic() + 60
        while not ended.count():
            assert time.monotonic() < deadline, "an expired identity was still accepted after a minute"
            page.goto(f"{url}/dashboard")
            page.get_by_role("heading", name="Sign in again").or_(
                page.get_by_role("link", name="Dashboard")
            ).first.wait_for()
        expect(page.get_by_text("Your sign-in has expired")).to_be_visible()
        screenshot(page, "sign-in-expired")
    finally:
        context.close()


def test_partners_sign_in_through_their_own_providers_and_are_known_by_their_verified_address(
    browser: Browser, _demo_template, tmp_path
):
    """Two real providers side by side: the sign-in page offers each by its label; the same person coming through
    either is the same person (matched by verified e-mail); an address a provider did not verify is turned away."""
    db_path = tmp_path / "partners.db"
    shutil.copy(_demo_template, db_path)
    db = store.connect(db_path)
    system_id = int(store.list_systems(db)["id"].iloc[0])
    pat = access.add_user(db, "e2e", "pat@council.gov.uk", "Pat Partner")
    access.grant(db, "e2e", pat, access.VIEWER, system_id)
    access.grant(db, "e2e", access.add_user(db, "e2e", "unverified.sam@charity.org.uk", "Sam"), access.VIEWER,
                 system_id)  # fmt: skip
    db.close()
    labels = {"nhs": "NHS staff (nhs.net)", "council": "Council and charity staff"}
    with _shared_app(db_path, tmp_path, providers=labels) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        try:
            page.goto(url)
            for label in labels.values():
                expect(page.get_by_role("button", name=f"Sign in with {label}")).to_be_visible()
            screenshot(page, "sign-in-two-providers")
            for label in labels.values():  # the same person through either provider
                _log_in(page, url, "pat@council.gov.uk", button=f"Sign in with {label}")
                expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Signed in as Pat Partner")
                _sign_out(page)
            _log_in(page, url, "unverified.sam@charity.org.uk", button=f"Sign in with {labels['council']}")
            expect(page.get_by_role("heading", name="Your e-mail address was not confirmed")).to_be_visible()
            expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
        finally:
            context.close()

"""The projected presenter screen on the projectors a facilitator meets (1024×768, 1280×720, 1920×1080): all of it
on screen without scrolling, nothing overlapping, a QR code of the address phones can open, and a count of the
phones in the room now, not of everyone who ever joined."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Browser, Page, expect

from checklist import store, workshops
from tests.e2e.conftest import TIMEOUT_MS, Server, _start, open_app, screenshot

pytestmark = pytest.mark.e2e

PUBLIC_URL = "http://10.0.0.5:8501"  # what CHECKLIST_PUBLIC_URL names: the address phones in the room open
PROJECTORS = [(1280, 720), (1024, 768), (1920, 1080)]
LEVEL_NAMES = ("0 · Not started", "1 · Emerging", "2 · Developing", "3 · Maturing", "4 · Thriving")
# Every run of text on the page (one rectangle per line), and the QR code: no two may overlap.
_OVERLAPS = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, owner = 0;
  while ((node = walker.nextNode())) {
    const text = node.textContent.trim();
    if (!text || node.parentElement.closest(".visually-hidden, script, style, [hidden]")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 1 && r.height > 1) boxes.push({owner, text: text.slice(0, 40), r});
    }
    owner++;
  }
  for (const img of document.querySelectorAll("img")) boxes.push({owner: owner++, text: "<img>",
    r: img.getBoundingClientRect()});
  const found = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.owner === b.owner) continue;
    const across = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const down = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    if (across > 1 && down > 1) found.push([a.text, b.text]);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def public_server(_demo_template, tmp_path_factory):
    """The app with CHECKLIST_PUBLIC_URL set, as a facilitator whose laptop phones can reach would run it."""
    tmp = tmp_path_factory.mktemp("e2e-public")
    db_path = tmp / "public.db"
    shutil.copy(_demo_template, db_path)
    process, url = _start(db_path, tmp / "streamlit.log", env={"CHECKLIST_PUBLIC_URL": PUBLIC_URL})
    try:
        yield Server(url, db_path)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _window(browser: Browser, width: int, height: int, mobile: bool = False) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _workshop(server: Server, votes: dict[str, int | None]) -> tuple[dict, object]:
    """A live workshop on its longest item (the hardest to fit), with votes already cast from these sectors."""
    db = store.connect(server.db_path)
    system_id = store.create_system(db, f"Projector ICS {len(store.list_systems(db))}", "e2e")
    aid = store.create_assessment(db, system_id, None, "Projector round", "2026-11-23", "e2e")
    w = workshops.start_workshop(db, aid, "e2e")
    items = workshops.items_of(db, w)
    longest = max(items, key=lambda i: len(i.title) + len(i.statement) + sum(len(level) for level in i.levels))
    workshops.set_current_item(db, w["id"], longest.id, "e2e")
    for sector, level in votes.items():
        workshops.cast_vote(db, workshops.join(db, w["code"], sector)["token"], longest.id, level)
    db.close()
    return w, longest


def _open_screen(page: Page, server: Server, workshop: dict) -> None:
    db = store.connect(server.db_path)
    key = workshops.presenter_key(db, workshop["id"])
    db.close()
    page.goto(f"{server.url}/present/{workshop['id']}/screen?key={key}")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    expect(page.locator("#room")).not_to_have_text("Counting who is in the room…")  # the stream's first count


def _px(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def _inside(page: Page, selector: str) -> None:
    size = page.viewport_size
    for box in [page.locator(selector).nth(n).bounding_box() for n in range(page.locator(selector).count())]:
        assert box is not None and box["height"] > 0, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1, (selector, box, size)
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1, (selector, box, size)


def _all_on_screen(page: Page) -> None:
    """No scrolling; the item, its five levels, the count, the controls and how to join all inside the window;
    no text over other text."""
    height, inner = page.evaluate("() => [document.scrollingElement.scrollHeight, innerHeight]")
    assert height <= inner + 1, f"the screen scrolls: {height} px of content in a {inner} px window"
    width = page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth + 1")
    assert width, "the screen scrolls sideways"
    for level, name in enumerate(LEVEL_NAMES):
        expect(page.get_by_role("rowheader", name=name)).to_be_visible()
        _inside(page, f"#level-{level}")
    for selector in ("#title", "#statement", "#room", "#status", ".controls button", "#join-address", ".join .code"):
        _inside(page, selector)
    assert page.evaluate(_OVERLAPS) == []


@pytest.mark.parametrize(("width", "height"), PROJECTORS, ids=[f"{w}x{h}" for w, h in PROJECTORS])
def test_the_presenter_screen_fits_the_projector_with_a_qr_code_to_join(browser, public_server, width, height):
    w, item = _workshop(public_server, {"health": 2, "lived_experience": 3, "vcse": None, "local_authority": 2})
    page = _window(browser, width, height)
    try:
        _open_screen(page, public_server, w)
        expect(page.locator("#title")).to_have_text(item.title)
        for level in range(5):
            expect(page.locator(f"#descriptor-{level}")).to_have_text(item.levels[level])
        # The QR code and the address it holds (CHECKLIST_PUBLIC_URL's, not the one this window opened).
        qr = page.get_by_role("img", name="QR code: scan to join")
        expect(qr).to_be_visible()
        assert qr.get_attribute("src").startswith("data:image/svg+xml")
        expect(page.locator(".join-address")).to_have_text(f"Scan, or open 10.0.0.5:8501/join with code {w['code']}")
        expect(page.locator("#cannot-join")).to_have_count(0)
        _all_on_screen(page)
        body = _px(page, "#descriptor-0")
        # Large enough to read from the back: 18 px or more even on the smallest projector with the longest item.
        assert body >= (28 if height >= 1080 else 18), f"body text {body} px at {width}×{height}"
        assert _px(page, "#room") >= body and _px(page, ".controls button") >= 16
        screenshot(page, f"presenter-screen-{width}x{height}")

        # Revealed, the votes join each level's row, and it all still fits.
        page.get_by_role("button", name="Reveal results").click()
        expect(page.locator("#result-2 .count")).to_have_text("2 votes")
        expect(page.get_by_role("button", name="Hide results")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#summary")).to_have_text(re.compile(r"^4 votes; "))
        _all_on_screen(page)
        assert _px(page, "#descriptor-0") >= 16 and _px(page, "#result-2 .count") >= 16
        screenshot(page, f"presenter-screen-{width}x{height}-revealed")
        page.get_by_role("button", name="Hide results").click()
        expect(page.locator("#result-2 .bar")).to_have_count(0)
    finally:
        page.context.close()


def test_on_this_computers_own_address_the_screen_says_how_to_let_phones_join(browser, server):
    """The default set-up (127.0.0.1, no CHECKLIST_PUBLIC_URL): no QR code phones could not open, but steps."""
    w, _ = _workshop(server, {})
    page = _window(browser, 1280, 720)
    try:
        _open_screen(page, server, w)
        expect(page.get_by_role("img", name="QR code: scan to join")).to_have_count(0)
        expect(page.locator("#cannot-join")).to_have_text(
            "Phones cannot open this address: it only works on this computer. Stop the app, start it for the "
            "network with make run ADDRESS=0.0.0.0, then open the Network URL it shows."
        )
        expect(page.locator(".join-address")).to_contain_text("/join with code")
        _inside(page, "#cannot-join")
        _all_on_screen(page)
        screenshot(page, "presenter-screen-phones-cannot-join-1280x720")
    finally:
        page.context.close()


def _join_on_a_phone(browser: Browser, server: Server, code: str, sector: str) -> Page:
    phone = _window(browser, 390, 844, mobile=True)
    phone.goto(f"{server.url}/join?code={code}")
    phone.get_by_text(sector, exact=True).click()
    phone.get_by_role("button", name="Join").click()
    expect(phone.get_by_role("button", name="2 · Developing", exact=True)).to_be_visible()
    return phone


def test_the_count_is_of_the_phones_in_the_room_and_who_still_has_to_vote(browser, public_server):
    # Someone joined earlier and has gone: counted among those who joined, not among those in the room.
    w, _ = _workshop(public_server, {"health": 4})
    screen = _window(browser, 1280, 720)
    phones: list[Page] = []
    try:
        _open_screen(screen, public_server, w)
        expect(screen.locator("#room")).to_have_text("No phones are in the room yet")
        phones = [
            _join_on_a_phone(browser, public_server, w["code"], sector) for sector in ("Other", "Health and care")
        ]
        expect(screen.locator("#room")).to_have_text("0 of 2 in the room have voted · 2 still to vote")
        expect(screen.locator("#status")).to_contain_text("1 vote in all from 3 who joined")

        phones[0].get_by_role("button", name="2 · Developing", exact=True).click()
        expect(phones[0].get_by_text("Your vote is in: 2 · Developing.")).to_be_visible()
        expect(screen.locator("#room")).to_have_text("1 of 2 in the room has voted · 1 still to vote")
        screenshot(screen, "presenter-screen-room-count")

        # The second phone leaves (its page closes, and with it its event stream): after a short grace for a
        # reconnecting phone, the room is one, who has voted.
        phones.pop().context.close()
        expect(screen.locator("#room")).to_have_text("Everyone in the room has voted (1 of 1)", timeout=45_000)
        expect(screen.locator("#status")).to_contain_text("2 votes in all from 3 who joined")
        _all_on_screen(screen)
    finally:
        for page in [screen, *phones]:
            page.context.close()


def test_the_workshop_page_shows_the_whole_presenter_screen_label_at_1366(browser, server):
    w, item = _workshop(server, {})
    page = _window(browser, 1366, 768)
    try:
        open_app(page, server, f"workshop?workshop={w['id']}", heading=item.title)
        link = page.get_by_role("link", name="Open presenter screen")
        expect(link).to_be_visible()
        expect(link).to_have_text(re.compile("Open presenter screen$"))
        cut = link.evaluate(
            "a => [a, ...a.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1 &&"
            " getComputedStyle(e).overflow !== 'visible').map(e => e.outerHTML.slice(0, 80))"
        )
        assert cut == [], f"the label is cut short: {cut}"
        box, size = link.bounding_box(), page.viewport_size
        assert box is not None and box["x"] + box["width"] <= size["width"]
        screenshot(page, "workshop-presenter-screen-button-1366")
    finally:
        page.context.close()

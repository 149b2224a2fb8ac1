"""A live workshop in two browsers: the facilitator's shared screen and a participant's phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from checklist import store, workshops
from tests.conftest import ROOT
from tests.e2e.conftest import TIMEOUT_MS, choose, open_app, screenshot, wait_idle
from tests.e2e.test_accessibility import _blocking
from tests.e2e.test_journeys import _poll

pytestmark = pytest.mark.e2e


def _context(browser: Browser, width: int, height: int, mobile: bool = False):
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def test_a_vote_on_the_phone_appears_on_the_shared_screen_and_the_agreed_level_lands(browser, server):
    db = store.connect(server.db_path)
    system_id = store.create_system(db, "Workshop ICS", "e2e")
    aid = store.create_assessment(db, system_id, None, "Workshop round", "2026-11-23", "e2e")

    presenter_context, presenter = _context(browser, 1600, 1100)
    phone_context, phone = _context(browser, 390, 844, mobile=True)
    try:
        # The facilitator starts a live workshop; the join address and code are on screen.
        open_app(presenter, server, "workshop", heading="Workshop")
        choose(presenter, "System (ICS)", "Workshop ICS")
        # Start only once the page shows this system's round (a loaded machine can still be drawing the last one).
        expect(presenter.get_by_role("combobox", name="Round in progress")).to_have_value("Workshop round")
        wait_idle(presenter)
        presenter.get_by_role("button", name="Start a live workshop").click()
        expect(presenter.get_by_role("heading", name="Governance", exact=True)).to_be_visible()
        _poll(lambda: not workshops.list_workshops(db, aid).empty, "the workshop to be started")
        workshop = workshops.list_workshops(db, aid).iloc[0]
        link = presenter.locator('[data-testid="stCode"]').inner_text().strip()
        assert link == f"{server.url}/join?code={workshop['code']}"
        expect(presenter.get_by_text(f"Code {workshop['code']}", exact=True)).to_be_visible()
        expect(presenter.get_by_text("Scan to join", exact=True)).to_be_visible()
        live_count = presenter.frame_locator('[data-testid="stIFrame"]')
        expect(live_count.locator("#votes")).to_have_text("0")
        screenshot(presenter, "workshop-presenter-start")

        # The participant follows the join link on a phone, says where they come from, and votes.
        phone.goto(link)
        expect(phone.get_by_role("heading", name="Join a workshop")).to_be_visible()
        expect(phone.get_by_role("textbox", name="Workshop code")).to_have_value(workshop["code"])
        phone.get_by_role("textbox", name="Your name (optional)").fill("Priya")
        phone.get_by_text("Lived experience (disabled person or carer)", exact=True).click()
        phone.get_by_role("button", name="Join").click()
        expect(phone.get_by_role("heading", name="Governance", exact=True)).to_be_visible()
        # The last answer is below the fold on a phone: its confirmation still shows on screen. Then a change of mind.
        phone.get_by_role("button", name="Don't know", exact=True).click()
        expect(phone.get_by_text("Your vote is in: Don't know.")).to_be_in_viewport()
        phone.get_by_role("button", name="3 · Maturing", exact=True).click()
        expect(phone.get_by_text("Your vote is in: 3 · Maturing.")).to_be_visible()
        screenshot(phone, "workshop-phone-voted")

        # Without a reload, the shared screen's count is pushed the vote by the server.
        expect(live_count.locator("#votes")).to_have_text("1")
        expect(live_count.locator("#joined")).to_have_text("1")
        expect(live_count.get_by_text("Everyone has voted.")).to_be_visible()
        presenter.get_by_text("Reveal results", exact=True).click()
        expect(live_count.get_by_role("table", name="Votes by level and sector")).to_be_visible()
        expect(live_count.locator("#summary")).to_have_text(
            "1 vote; level 3 · Maturing; too few ratings to call agreed or split."
        )

        # The facilitator records the agreed level; it becomes the assessment's answer.
        presenter.get_by_role("radiogroup", name="Agreed level").get_by_role("radio", name="3 · Maturing").click()
        wait_idle(presenter)
        presenter.get_by_role("textbox", name=re.compile("^Notes: why the room settled here")).fill(
            "Partnership board minutes show it; the lived-experience panel agreed."
        )
        presenter.get_by_role("button", name="Record the agreed level").click()
        expect(presenter.get_by_text(re.compile("^Recorded: 3 · Maturing"))).to_be_visible()
        _poll(lambda: store.responses(db, aid).get("governance", {}).get("level") == 3, "the agreed level saved")
        evidence = store.responses(db, aid)["governance"]["evidence"]
        assert f"[Workshop {workshop['code']}," in evidence and "Room: 1 vote; level 3" in evidence
        screenshot(presenter, "workshop-presenter-agreed")

        # Typing Page Down in the notes box scrolls the text, it does not move the room on.
        notes = presenter.get_by_role("textbox", name=re.compile("^Notes: why the room settled here"))
        notes.focus()
        presenter.keyboard.press("PageDown")
        wait_idle(presenter)
        assert workshops.get_workshop(db, int(workshop["id"]))["current_item"] == "governance"

        # Next item by the presentation clicker's key (Page Down): the phone follows by itself.
        presenter.get_by_role("heading", name="The level the room agreed").click()  # focus off the text box
        presenter.evaluate("() => document.activeElement && document.activeElement.blur()")
        # A key pressed while a rerun is in flight (the page also looks every few seconds whether the presenter
        # screen moved the room) can be dropped: press once it is idle, and again only if the database shows the
        # room has not moved, so a slow move is never mistaken for a lost press (which would skip an item).
        for _ in range(5):
            wait_idle(presenter)
            # The key goes to whatever holds focus: make it the page itself, not the live panel's frame.
            presenter.evaluate("() => { document.activeElement && document.activeElement.blur(); window.focus(); }")
            presenter.keyboard.press("PageDown")
            try:
                _poll(lambda: workshops.get_workshop(db, int(workshop["id"]))["current_item"] != "governance",
                      "the room to move on", timeout=30)  # fmt: skip
                break
            except AssertionError:
                continue
        assert workshops.get_workshop(db, int(workshop["id"]))["current_item"] == "shared-vision", "one press, one item"
        # One press moves the room one item; on a loaded machine the rerun that shows it can take a while.
        expect(presenter.get_by_role("heading", name="Shared vision", exact=True)).to_be_visible(timeout=90_000)
        expect(phone.get_by_role("heading", name="Shared vision", exact=True)).to_be_visible(timeout=15_000)
        expect(phone.get_by_text("Your vote is in")).to_have_count(0)
        screenshot(phone, "workshop-phone-next-item")
    finally:
        presenter_context.close()
        phone_context.close()


PRESENTER_ARTIFACTS = ROOT / "test-artifacts" / "presenter"
LEVEL_NAMES = ("0 · Not started", "1 · Emerging", "2 · Developing", "3 · Maturing", "4 · Thriving")


def _save(page: Page, name: str) -> None:
    """What the screen shows, exactly as large as the screen (no scrolling, so no full-page capture)."""
    PRESENTER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PRESENTER_ARTIFACTS / f"{name}.png"))


def _px(locator: Locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def _on_screen(page: Page, locator: Locator) -> None:
    """The element is drawn wholly inside the viewport, with the page not scrolled."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and box["height"] > 0, locator
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (locator, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (locator, box)


def _fits_without_scrolling(page: Page) -> None:
    extent = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight, innerWidth, innerHeight]"
    )
    assert extent[0] <= extent[2] and extent[1] <= extent[3], f"the page scrolls: {extent}"


def test_the_presenter_screen_reads_from_the_back_of_the_room(browser, server):
    db = store.connect(server.db_path)
    system_id = store.create_system(db, "Presenter ICS", "e2e")
    aid = store.create_assessment(db, system_id, None, "Presenter round", "2026-11-23", "e2e")
    w = workshops.start_workshop(db, aid, "e2e")
    items = workshops.items_of(db, w)
    first, second = items[0], items[1]
    # Someone from another sector has already voted Don't know, so the chart shows two sectors.
    workshops.cast_vote(db, workshops.join(db, w["code"], "health")["token"], first.id, None)

    facilitator_context, facilitator = _context(browser, 1600, 1100)
    screen_context, screen = _context(browser, 1920, 1080)
    phone_context, phone = _context(browser, 390, 844, mobile=True)
    try:
        # The Workshop page offers the presenter screen; the projector opens it in its own window.
        open_app(facilitator, server, f"workshop?workshop={w['id']}", heading=first.title)
        link = facilitator.get_by_role("link", name=re.compile("Open presenter screen"))
        expect(link).to_be_visible()
        href = link.get_attribute("href")
        assert re.fullmatch(rf".*/present/{w['id']}/screen\?key=[\w-]+", href), href
        screen.goto(href if href.startswith("http") else f"{server.url}{href}")
        expect(screen.locator("body[data-ready='1']")).to_have_count(1)

        # A participant joins on a phone and votes; the screen's count follows.
        phone.goto(f"{server.url}/join?code={w['code']}")
        phone.get_by_text("Lived experience (disabled person or carer)", exact=True).click()
        phone.get_by_role("button", name="Join").click()
        expect(phone.get_by_role("heading", name=first.title, exact=True)).to_be_visible()
        phone.get_by_role("button", name="2 · Developing", exact=True).click()
        expect(phone.get_by_text("Your vote is in: 2 · Developing.")).to_be_visible()
        fits = phone.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        assert fits, "the phone's page never scrolls sideways at 390 px"
        assert _px(phone.locator("#item-statement")) >= 16 and _px(phone.locator(".describe").first) >= 16
        phone.evaluate("() => window.scrollTo(0, 0)")  # the item and the confirmation, as the phone first shows them
        _save(phone, "phone-vote-390x844")
        expect(screen.locator("#votes")).to_have_text("2")
        expect(screen.locator("#joined")).to_have_text("2")

        # The statement and all five levels, in large type, inside the screen without scrolling.
        expect(screen.get_by_role("heading", level=1)).to_have_text(first.title)
        expect(screen.locator("#statement")).to_have_text(first.statement)
        _on_screen(screen, screen.get_by_role("heading", level=1))
        _on_screen(screen, screen.locator("#statement"))
        for level, name in enumerate(LEVEL_NAMES):
            expect(screen.get_by_role("rowheader", name=name)).to_be_visible()
            descriptor = screen.locator(f"#descriptor-{level}")
            expect(descriptor).to_have_text(first.levels[level])
            _on_screen(screen, screen.get_by_role("rowheader", name=name))
            _on_screen(screen, descriptor)
            assert _px(descriptor) >= 28, "body text is 28 px or more"
        assert _px(screen.locator("#statement")) >= 28
        _fits_without_scrolling(screen)
        for chrome in ("stSidebar", "stHeader", "stToolbar", "stApp"):
            expect(screen.locator(f'[data-testid="{chrome}"]')).to_have_count(0)
        expect(screen.locator("#result-2 .bar")).to_have_count(0)  # results stay hidden until revealed
        assert _blocking(screen) == []
        _save(screen, "presenter-1920x1080")

        # Reveal from the facilitator's window: the projected screen draws the chart.
        facilitator.get_by_text("Reveal results", exact=True).click()
        expect(screen.locator("#result-2 .count")).to_have_text("1 vote")
        # Two people in the room, each under the minimum group of 3: the shared screen shows the whole room, never
        # one person's vote as their sector's (CHECKLIST_MIN_GROUP; tests/test_disclosure.py).
        expect(screen.locator("#result-2 .sectors")).to_have_text("The whole room 1")
        expect(screen.locator("#result-dont_know .count")).to_have_text("1 vote")
        expect(screen.get_by_role("rowheader", name="Don't know")).to_be_visible()
        expect(screen.locator("#result-4 .count")).to_have_text("0 votes")
        expect(screen.locator("#summary")).to_have_text(re.compile(r"^2 votes; level 2 · Developing; 1 don't know"))
        expect(screen.get_by_role("button", name="Hide results")).to_have_attribute("aria-pressed", "true")
        for label in ("#result-2 .count", "#result-2 .sectors", "#result-dont_know .count"):
            assert _px(screen.locator(label)) >= 20, "chart labels are 20 px or more"
        _on_screen(screen, screen.locator("#result-2 .bar"))
        _on_screen(screen, screen.locator("#descriptor-4"))
        _fits_without_scrolling(screen)
        assert _blocking(screen) == []
        _save(screen, "presenter-1920x1080-revealed")

        # The screen's own button hides them again; the Workshop page follows by itself.
        screen.get_by_role("button", name="Hide results").click()
        expect(screen.locator("#result-2 .bar")).to_have_count(0)
        expect(facilitator.get_by_role("switch", name="Reveal results")).not_to_be_checked()

        # A presentation clicker's Page Down on the projected screen moves the room on; Page Up comes back.
        screen.keyboard.press("PageDown")
        expect(screen.get_by_role("heading", level=1)).to_have_text(second.title)
        expect(screen.locator("#descriptor-0")).to_have_text(second.levels[0])
        expect(screen.locator("#position")).to_have_text(re.compile(rf"^Item 2 of {len(items)} · "))
        expect(phone.get_by_role("heading", name=second.title, exact=True)).to_be_visible()
        expect(facilitator.get_by_role("heading", name=second.title, exact=True)).to_be_visible()
        assert workshops.get_workshop(db, w["id"])["current_item"] == second.id
        screen.keyboard.press("PageUp")
        expect(screen.get_by_role("heading", level=1)).to_have_text(first.title)
        expect(screen.get_by_role("button", name="Previous")).to_be_disabled()
    finally:
        facilitator_context.close()
        screen_context.close()
        phone_context.close()

"""A live workshop in two browsers: the facilitator's shared screen and a participant's phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from checklist import store, workshops
from tests.e2e.conftest import TIMEOUT_MS, choose, open_app, screenshot, wait_idle
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
        presenter.get_by_role("button", name="Start a live workshop").click()
        expect(presenter.get_by_role("heading", name="Governance", exact=True)).to_be_visible()
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
            "1 vote; level 3, median 3; too few ratings to call agreed or split."
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
        wait_idle(presenter)  # a key pressed while a rerun is in flight can be dropped: press once it is idle
        presenter.keyboard.press("PageDown")
        # One press moves the room one item; on a loaded machine the rerun that shows it can take a while.
        expect(presenter.get_by_role("heading", name="Shared vision", exact=True)).to_be_visible(timeout=90_000)
        expect(phone.get_by_role("heading", name="Shared vision", exact=True)).to_be_visible(timeout=15_000)
        expect(phone.get_by_text("Your vote is in")).to_have_count(0)
        screenshot(phone, "workshop-phone-next-item")
    finally:
        presenter_context.close()
        phone_context.close()

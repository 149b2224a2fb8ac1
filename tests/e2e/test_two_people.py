"""Two people at once, in real browsers: a stale save is refused with both versions shown, and text typed
but never blurred is saved within moments and survives a reload."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from checklist import store
from tests.e2e.conftest import TIMEOUT_MS, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _until(check, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _tab(browser: Browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return context, page


@pytest.fixture
def draft(server):
    db = store.connect(server.db_path)
    system_id = store.create_system(db, f"Two People ICS {time.time_ns()}", "e2e")
    aid = store.create_assessment(db, system_id, None, "Two people", "2026-11-20", "e2e")
    store.save_response(db, aid, "governance", "e2e", evidence="Board minutes")
    return db, aid


def test_two_tabs_on_one_item_the_stale_save_is_refused_and_merged(browser: Browser, server, draft):
    db, aid = draft
    (context_a, tab_a), (context_b, tab_b) = _tab(browser), _tab(browser)
    try:
        for tab in (tab_a, tab_b):
            open_app(tab, server, f"assess?assessment={aid}&item=governance", heading="Governance")
        box_a, box_b = (t.get_by_role("textbox", name="Evidence", exact=True) for t in (tab_a, tab_b))
        expect(box_a).to_have_value("Board minutes")
        box_b.fill("Board minutes; terms of reference")
        box_b.blur()
        _until(lambda: store.responses(db, aid)["governance"]["evidence"].endswith("terms of reference"), "B's save")
        box_a.fill("Board minutes; annual report")
        box_a.blur()
        dialog = tab_a.get_by_role("dialog")
        expect(dialog).to_contain_text("changed the evidence for Governance")
        expect(dialog).to_contain_text("Board minutes; terms of reference")
        expect(dialog).to_contain_text("Board minutes; annual report")
        screenshot(tab_a, "two-tabs-conflict")
        assert store.responses(db, aid)["governance"]["evidence"] == "Board minutes; terms of reference"
        dialog.get_by_role("button", name="Save merged").click()
        _until(lambda: "annual report" in store.responses(db, aid)["governance"]["evidence"], "the merged save")
        evidence = store.responses(db, aid)["governance"]["evidence"]
        assert "terms of reference" in evidence and "annual report" in evidence
        expect(tab_a.get_by_role("dialog")).to_have_count(0)
    finally:
        context_a.close()
        context_b.close()


def test_text_typed_and_not_blurred_is_saved_and_survives_a_reload(browser: Browser, server, draft):
    db, aid = draft
    context, page = _tab(browser)
    try:
        open_app(page, server, f"assess?assessment={aid}&item=governance", heading="Governance")
        box = page.get_by_role("textbox", name="Evidence", exact=True)
        box.click()
        box.press("End")
        box.type("; partnership board terms", delay=20)  # typed, focus never leaves the box
        _until(lambda: store.responses(db, aid)["governance"]["evidence"].endswith("partnership board terms"),
               "the typed text to be saved without leaving the box")  # fmt: skip
        expect(page.get_by_text("Saved at")).to_be_visible()
        page.reload()
        wait_idle(page)
        expect(page.get_by_role("textbox", name="Evidence", exact=True)).to_have_value(
            "Board minutes; partnership board terms"
        )
    finally:
        context.close()

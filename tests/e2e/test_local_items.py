"""A system's own local items through the browser: a workbook with a broken row is refused naming the row, a good one
becomes the draft, a title typed into the table is saved, the draft is published, and a new round answers the local
item on Assess."""

from __future__ import annotations

import io
import subprocess
import time

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from checklist import local_items, local_workbook, store
from checklist.framework import LEVEL_NAMES
from tests.conftest import ACTOR
from tests.e2e.conftest import TIMEOUT_MS, _start, screenshot, wait_idle

pytestmark = pytest.mark.e2e


def _workbook(rows: list[dict[str, str]]) -> bytes:
    book = load_workbook(io.BytesIO(local_workbook.template_xlsx()))
    for row in rows:
        book.worksheets[0].append([row.get(k, "") for k in ("id", *local_items.FIELD_KEYS)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _item(title: str, **changes: str) -> dict[str, str]:
    return {
        "title": title,
        "statement": f"{title} that disabled people can reach and use.",
        **{f"level_{v}": f"{title}: {n.lower()}." for v, n in enumerate(LEVEL_NAMES)},
        "evidence_prompt": "An audit of routes and facilities.",
        **changes,
    }


def _until(check, seconds: float = 20) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_local_items_are_uploaded_edited_published_and_answered(browser: Browser, tmp_path):
    db_path = tmp_path / "local.db"
    db = store.connect(db_path)
    system_id = store.create_system(db, "Riverside ICS", ACTOR)
    place_id = store.create_place(db, system_id, "Upper Vale", ACTOR)
    process, url = _start(db_path, tmp_path / "streamlit.log")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        page.goto(f"{url}/manage")
        expect(page.get_by_text("Local items", exact=True)).to_be_visible()
        wait_idle(page)
        page.get_by_text("Use a workbook instead").click()
        uploader = page.get_by_label("Upload the filled-in template").get_by_test_id("stFileUploaderDropzoneInput")
        broken = _workbook([_item("Green spaces"), _item("Pools", level_3="")])
        uploader.set_input_files({"name": "local.xlsx", "mimeType": "application/octet-stream", "buffer": broken})
        replace = page.get_by_role("button", name="Replace the draft with the workbook's items")
        expect(replace).to_be_visible()  # drawn once the file has arrived
        wait_idle(page)  # a click during a run can be lost when the run redraws the button
        replace.click()
        expect(page.get_by_text("row 3: '3 · Maturing' is empty; every item needs it")).to_be_visible()
        expect(page.get_by_text("Nothing was changed.", exact=False)).to_be_visible()
        assert not store.local_modules.editing(db, system_id).is_draft, "a refused workbook changes nothing"
        screenshot(page, "local-items-refused")
        wait_idle(page)
        good = _workbook([_item("Green spaces"), _item("Pools")])
        uploader.set_input_files({"name": "local.xlsx", "mimeType": "application/octet-stream", "buffer": good})
        # The new file's run has happened once the refusal is gone: only then does the button use the new file.
        expect(page.get_by_text("Nothing was changed.", exact=False)).to_have_count(0)
        wait_idle(page)
        replace.click()
        expect(page.get_by_text("Draft saved with 2 items: publish it when it is ready")).to_be_visible()
        assert [i.title for i in store.local_modules.editing(db, system_id).module.items] == ["Green spaces", "Pools"]
        wait_idle(page)
        # Typed into the table: the title of the first item, saved as the draft at once.
        grid = page.locator('[data-testid="stDataFrame"]').first.get_by_test_id("data-grid-canvas")
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()  # a 36-pixel header, then 35-pixel rows: row markers, Item id, Title, …
        page.mouse.click(box["x"] + 60, box["y"] + 36 + 17)  # the first row's id cell, then one to the right: Title
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # opens the cell's editor, as a keyboard user opens it
        editor = page.locator("textarea.gdg-input")
        expect(editor).to_be_visible()
        editor.fill("Parks and green spaces")
        screenshot(page, "local-items-typing")
        editor.press("Enter")
        assert _until(
            lambda: store.local_modules.editing(db, system_id).module.items[0].title == "Parks and green spaces"
        ), "the edit was saved as the draft"
        wait_idle(page)
        screenshot(page, "local-items-draft")
        page.get_by_role("button", name="Publish as version 1").click()
        expect(page.get_by_text("Published version 1: rounds started from now on include it")).to_be_visible()
        assert store.local_modules.editing(db, system_id).latest_version == 1
        screenshot(page, "local-items-published")

        aid = store.create_assessment(db, system_id, place_id, "2027 Q1", "2027-01-15", ACTOR)
        page.goto(f"{url}/assess?assessment={aid}&item=local-1")
        expect(page.get_by_role("heading", name="Parks and green spaces")).to_be_visible()
        wait_idle(page)
        page.get_by_text("3 · Maturing", exact=True).click()
        assert _until(lambda: (store.responses(db, aid).get("local-1") or {}).get("level") == 3)
        screenshot(page, "local-item-answered")
    finally:
        page.context.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

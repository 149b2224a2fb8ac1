"""What a first-time reader meets, in Chromium at 1366×768 (a common NHS laptop): long text in a table is shown
whole, wrapped, never cut at a column's edge; a confirmation never covers a control; the last item points on.

Each table is planted with long text (400 characters of evidence and of a workshop note; the history's longest
sentence, which quotes up to 160 characters; a 120-character place name, the most a name may hold) and measured
in the page: no
cell's content is wider or taller than its box, and every character of the text is in the page's visible text
(a grid, st.dataframe, draws on a canvas and clips; it would fail here).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from checklist import history_text, store, workshops
from checklist.formatting import WORD_JOINER
from checklist.framework import current_framework
from tests.conftest import ACTOR
from tests.e2e.conftest import TIMEOUT_MS, Server, _serve, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1366, "height": 768}
FILLER = " **bold** <b>x</b> [link](http://example.org) steering group minutes, March 2026;"


def _long(start: str, length: int = 400) -> str:
    """Text of exactly `length` characters with Markdown, HTML and an address in it, which must read as typed."""
    return (start + FILLER * 12)[: length - 1] + "."


EVIDENCE = _long("Evidence for referrals:")
NOTE = _long("The room said:")
SYSTEM = "Reading ICS"
PLACE = "Reading Place"
# The most a place's name may hold (120 characters, with "N " in front to keep each name its own).
LONG_PLACE = ("Upper Vale, Lower Vale and the villages along the River Wend: Ashby, Coldharbour, Easton Magna, Fenwick"
              + " and Hale" * 3)[:118]  # fmt: skip

# Every cell of every static table: is its content wider or taller than the box it sits in (cut short)?
CLIPPED = """() => {
  const out = [];
  for (const table of document.querySelectorAll('[data-testid="stTable"] table')) {
    for (const cell of table.querySelectorAll('th, td')) {
      for (const el of [cell, ...cell.querySelectorAll('*')]) {
        if (!el.clientWidth) continue;  // inline elements have no box of their own
        if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
          out.push([el.tagName, cell.innerText.slice(0, 50), el.scrollWidth, el.clientWidth, el.scrollHeight,
                    el.clientHeight]);
      }
    }
  }
  return out;
}"""


@dataclass(frozen=True)
class Planted:
    server: Server
    assessment_id: int
    spare_place_id: int
    workshop_id: int


@pytest.fixture(scope="module")
def planted(_demo_template, tmp_path_factory) -> Iterator[Planted]:
    """The demo, plus a place whose draft holds 400 characters of evidence (every other item answered, workforce
    diversity lowest), a workshop on it with a 400-character note, and the demo's places under 120-character names."""
    tmp = tmp_path_factory.mktemp("e2e-reading")
    path = tmp / "reading.db"
    shutil.copy(_demo_template, path)
    db = store.connect(path)
    fw = current_framework()
    system_id = store.create_system(db, SYSTEM, ACTOR)
    place_id = store.create_place(db, system_id, PLACE, ACTOR)
    spare_id = store.create_place(db, system_id, "Spare place", ACTOR)
    aid = store.create_assessment(db, system_id, place_id, "2026 Q4", "2026-11-01", ACTOR)
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, level=0 if item.id == "workforce-diversity" else 3)
    store.save_response(db, aid, "referrals", ACTOR, level=1, target_level=3)
    store.save_response(db, aid, "referrals", ACTOR, evidence=EVIDENCE)  # alone: the history quotes it at length
    workshop = workshops.start_workshop(db, aid, ACTOR)
    workshops.record_agreement(db, workshop["id"], "governance", ACTOR, 3, notes=NOTE)
    demo_system = int(store.list_systems(db).query("name == 'Northmoor and Vale ICS'")["id"].iloc[0])
    for n, place in enumerate(store.list_places(db, demo_system).itertuples()):
        store.rename_place(db, int(place.id), f"{n} {LONG_PLACE}", ACTOR)
    serving = _serve(path, tmp)
    server = next(serving)
    try:
        yield Planted(server, aid, spare_id, int(workshop["id"]))
    finally:
        next(serving, None)  # stops the server


@pytest.fixture
def page(browser: Browser, request) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield page
    screenshot(page, f"reading-{request.node.name}")
    context.close()


def _visible_text(page: Page) -> str:
    """The page's text as a reader sees it (the invisible word joiner that keeps addresses plain taken out)."""
    return " ".join(page.locator('[data-testid="stMain"]').inner_text().replace(WORD_JOINER, "").split())


def _assert_whole(page: Page, text: str) -> None:
    """Every static table fits its cells, and all of `text` is on the page."""
    expect(page.locator('[data-testid="stTable"]').first).to_be_visible()
    wait_idle(page)
    assert page.evaluate(CLIPPED) == [], "a table cell's text is cut short"
    assert " ".join(text.split()) in _visible_text(page)


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


def _no_toast_over(page: Page, control: str) -> None:
    """No pop-up lies on the control (none at all is the answer here: confirmations are inline)."""
    box = page.get_by_role("button", name=control, exact=True).bounding_box()
    toasts = page.locator('[data-testid="stToast"]')
    for n in range(toasts.count()):
        toast = toasts.nth(n).bounding_box()
        assert toast is None or not _overlaps(toast, box), f"a pop-up covers {control}"


def test_the_review_table_shows_400_characters_of_evidence_whole(planted, page):
    aid = planted.assessment_id
    open_app(page, planted.server, f"assess?assessment={aid}", heading=f"{PLACE} · 2026 Q4")
    page.get_by_role("tab", name="Review and submit").click()
    panel = page.get_by_role("tabpanel", name="Review and submit")
    expect(panel.get_by_role("columnheader", name="Evidence")).to_be_visible()
    _assert_whole(page, EVIDENCE)
    assert panel.locator('[data-testid="stDataFrame"]').count() == 0
    link = panel.locator(f'[data-testid="stTable"] a[href="?assessment={aid}&item=referrals"]')
    expect(link).to_have_text("Open")
    screenshot(page, "reading-assess-review-1366")


def test_the_history_shows_what_changed_whole(planted, page):
    aid = planted.assessment_id
    open_app(page, planted.server, f"assess?assessment={aid}", heading=f"{PLACE} · 2026 Q4")
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_role("columnheader", name="What changed")).to_be_visible()
    db = store.connect(planted.server.db_path)
    said = history_text.table(store.history(db, aid), current_framework())["What changed"]
    evidence_line = next(s for s in said if s.startswith("Added the evidence for Referrals"))
    assert len(evidence_line) > 150, "the longest sentence the history writes"
    _assert_whole(page, evidence_line)
    screenshot(page, "reading-assess-history-1366")


def test_the_compare_roll_up_shows_a_long_lowest_place_whole(planted, page):
    open_app(page, planted.server, f"compare?cmp_system={quote_plus('Northmoor and Vale ICS')}",
             heading="Compare places")  # fmt: skip
    heading = page.get_by_role("heading", name="Roll-up from places to the system")
    heading.scroll_into_view_if_needed()
    table = page.locator('[data-testid="stTable"]').filter(has_text="Lowest place")
    expect(table).to_be_visible()
    wait_idle(page)
    assert page.evaluate(CLIPPED) == []
    cells = [c.replace(WORD_JOINER, "").strip() for c in table.locator("td").all_inner_texts()]
    lowest = [c for c in cells if LONG_PLACE[:60] in c]
    assert lowest and all(LONG_PLACE in c for c in lowest), "every lowest place named in full"
    screenshot(page, "reading-compare-rollup-1366")


def test_a_saved_action_is_confirmed_inline_and_never_covers_choose_another(planted, page):
    aid = planted.assessment_id
    open_app(page, planted.server, f"assess?assessment={aid}&item=referrals", heading="Referrals")
    page.get_by_role("textbox", name="What will be done").fill("Pilot an online referral form")
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_text("Saved: action “Pilot an online referral form” added")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="Next item →")).to_be_visible()
    _no_toast_over(page, "Choose another")
    assert page.locator('[data-testid="stToast"]').count() == 0


def test_archiving_a_place_is_confirmed_inline_and_never_covers_a_button(planted, page):
    open_app(page, planted.server, "manage", heading="Manage systems and places")
    find = page.get_by_role("textbox", name="Find a system or place")
    find.fill(SYSTEM)
    find.press("Enter")
    wait_idle(page)  # the list before the search leaves once the run ends
    # During a rerun Streamlit may hold the button twice for a moment (the one being replaced and the new one):
    # the one to press is the one a person sees.
    archive = page.locator(f".st-key-manage_place_archive_{planted.spare_place_id} button").filter(visible=True).last
    expect(page.locator(f".st-key-manage_place_archive_{planted.spare_place_id}").first).to_be_attached()
    # The one system found opens by itself, unless the browser still holds the closed state of the expander
    # drawn at that place before the search: then open it, as a person would.
    details = page.locator("details").filter(has=page.locator("summary", has_text=SYSTEM)).first
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    expect(archive).to_be_visible()
    db = store.connect(planted.server.db_path)

    def archived() -> bool:
        row = db.execute("SELECT archived_at FROM places WHERE id = ?", [planted.spare_place_id]).fetchone()
        return row[0] is not None

    # A click that lands while a rerun is in flight can be dropped: click once the page is idle, and again only
    # while the database shows the place not archived.
    for _ in range(6):
        wait_idle(page)
        if archived():
            break
        if details.get_attribute("open") is None:  # a rerun may draw the system's expander closed again
            details.locator("summary").first.click()
            wait_idle(page)
        try:
            archive.click(timeout=5_000)
        except PlaywrightTimeoutError:  # hidden or behind a rerun just then: look again
            continue
        deadline = time.monotonic() + 15
        while not archived() and time.monotonic() < deadline:
            time.sleep(0.2)  # polling the database, not waiting for the page
        if archived():
            break
    assert archived(), "the place was archived"
    wait_idle(page)
    if details.get_attribute("open") is None:  # the message sits at the top of the system's places
        details.locator("summary").first.click()
    expect(page.get_by_text("Archived the place Spare place")).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stToast"]').count() == 0
    _no_toast_over(page, "Archive system")
    expect(page.get_by_role("heading", name="People and roles")).to_be_visible()
    screenshot(page, "reading-manage-1366")


def test_the_last_item_opens_review_and_submit(planted, page):
    aid = planted.assessment_id
    last = current_framework().items_for(False)[-1]
    open_app(page, planted.server, f"assess?assessment={aid}&item={last.id}", heading=last.title)
    expect(page.get_by_role("button", name="Next item →")).to_have_count(0)
    page.get_by_role("button", name="Review and submit →").click()
    expect(page.get_by_role("tab", name="Review and submit")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("button", name="Submit and lock")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Evidence")).to_be_visible()
    wait_idle(page)
    screenshot(page, "reading-assess-last-item-1366")


def test_priorities_name_an_item_like_its_domain_once(planted, page):
    open_app(page, planted.server, f"dashboard?dash_system={quote_plus(SYSTEM)}&dash_place={quote_plus(PLACE)}",
             heading="Dashboard")  # fmt: skip
    priorities = page.get_by_role("heading", name="Strengths and priorities")
    expect(priorities).to_be_visible()
    wait_idle(page)
    text = _visible_text(page)
    assert "Workforce diversity: at Not started" in text
    assert "Workforce diversity (Workforce diversity)" not in text
    priorities.scroll_into_view_if_needed()
    wait_idle(page)
    screenshot(page, "reading-dashboard-1366")


def test_the_workshop_summary_shows_a_400_character_note_whole(planted, page):
    open_app(page, planted.server, f"workshop?workshop={planted.workshop_id}")
    page.get_by_role("tab", name="Summary").click()
    expect(page.get_by_role("tabpanel", name="Summary").get_by_text("items agreed")).to_be_visible(timeout=10_000)
    wait_idle(page)
    expect(page.locator('[data-testid="stTable"]').filter(has_text="Notes")).to_have_count(1)  # a static table
    _assert_whole(page, NOTE)

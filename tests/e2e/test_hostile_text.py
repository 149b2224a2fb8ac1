"""Hostile text everywhere a user can type it, shown on every page in a real browser: always as text.

No request leaves for a foreign address (a Markdown image or HTML <img> in a name would make every
viewer's browser fetch it), no link or image to it appears, no script runs, and the text reads as typed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Browser, Page, expect

from checklist import store, workshops
from checklist.formatting import _ADDRESS, WORD_JOINER
from checklist.framework import current_framework
from tests.e2e.conftest import TIMEOUT_MS, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e

EVIL = "evil.example"
PAYLOADS = {
    "markdown image": f"![x](http://{EVIL}/md.png)",
    "html image": f"<img src=http://{EVIL}/h.png onerror=window.__pwned=1>",
    "script": "<script>window.__pwned=1</script>",
    "markdown link": f"[click me](http://{EVIL}/link)",
    "formatting": "**bold** _italic_ :red[red] :material/warning: $x^2$",
    "rtl override": "\u202eevil\u202c name",
    "long": "L" * 110,
    "control": "bell\x07 tab\t end",
}
SYSTEM = f"{PAYLOADS['markdown image']} ICS"
PLACE = f"{PAYLOADS['html image']}"
ROUND = PAYLOADS["script"][:60]
EVERYTHING = "\n".join(PAYLOADS.values())


def shown(text: str) -> str:
    """How a name reads on the page: exactly as typed, with an invisible word joiner that keeps addresses
    from being turned into links."""
    return _ADDRESS.sub(lambda m: m.group(0) + WORD_JOINER, text)


@pytest.fixture(scope="module")
def hostile(server):
    db = store.connect(server.db_path)
    system_id = store.create_system(db, SYSTEM, "e2e")
    place = store.create_place(db, system_id, PLACE, "e2e")
    other = store.create_place(db, system_id, PAYLOADS["formatting"], "e2e")
    # The system's own local items are user text too: every field of them hostile, in every round below.
    local = {
        "title": PAYLOADS["markdown link"],
        "statement": EVERYTHING,
        "evidence_prompt": PAYLOADS["html image"],
        "why_it_matters": PAYLOADS["script"],
        **{f"level_{v}": list(PAYLOADS.values())[v] for v in range(5)},
    }
    revision = store.local_modules.save_draft(db, "e2e", system_id, [local], PAYLOADS["formatting"])
    store.local_modules.publish(db, "e2e", system_id, revision)
    items = current_framework().items_for(False)
    for place_id, label in ((place, ROUND), (other, "R0")):
        aid = store.create_assessment(db, system_id, place_id, label, "2026-10-01", "e2e", participants=EVERYTHING)
        for n, item in enumerate(store.framework_of(store.get_assessment(db, aid)).items_for(False)):
            store.save_response(db, aid, item.id, "e2e", answer="level", level=n % 5, evidence=EVERYTHING,
                                evidence_links=PAYLOADS["markdown link"], target_level=4)  # fmt: skip
        store.add_action(db, aid, items[0].id, "e2e", PAYLOADS["markdown image"], owner=PAYLOADS["html image"])
        store.submit_assessment(db, aid, "e2e", note=PAYLOADS["markdown link"])
    draft = store.create_assessment(db, system_id, place, PAYLOADS["markdown link"][:60], "2026-11-01", "e2e")
    store.save_response(db, draft, items[0].id, "e2e", answer="level", level=2, evidence=EVERYTHING)
    store.add_action(db, draft, items[0].id, "e2e", PAYLOADS["formatting"], owner=PAYLOADS["markdown image"])
    room = workshops.start_workshop(db, draft, "e2e")
    for sector, name in (("health", PAYLOADS["html image"][:60]), ("lived_experience", PAYLOADS["markdown image"])):
        token = workshops.join(db, room["code"], sector, name)["token"]
        workshops.cast_vote(db, token, room["current_item"], 3)
    workshops.set_revealed(db, room["id"], True, "e2e")
    workshops.add_note(db, draft, "quote", EVERYTHING, "e2e", item_id=items[0].id, workshop_id=room["id"])
    return {"system": system_id, "place": place, "draft": draft, "workshop": room["id"], "code": room["code"]}


PAGES = [
    ("home", "", None),
    ("assess-draft", "assess?assessment={draft}&item=governance", "Governance"),
    ("dashboard", "dashboard", "Dashboard"),
    ("compare", "compare", "Compare places"),
    ("workshop", "workshop?workshop={workshop}", "Governance"),
    ("manage", "manage", "Manage systems and places"),
    ("assess-local-item", "assess?assessment={draft}&item=local-1", shown(PAYLOADS["markdown link"])),
    ("framework", "framework", "The framework"),
    ("join", "join?code={code}", "Join a workshop"),
]


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_hostile_text_is_shown_as_text_and_fetches_nothing(browser: Browser, server, hostile, name, path, heading):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if "127.0.0.1" not in r.url and not r.url.startswith(
        ("data:", "blob:", "about:")) else None)  # fmt: skip
    try:
        open_app(page, server, path.format(**hostile), heading=heading)
        if name in ("dashboard", "compare"):
            box = page.get_by_role("combobox", name="System (ICS)", exact=True)
            box.click()
            page.get_by_role("option", name=SYSTEM, exact=True).click()
            wait_idle(page)
            if name == "dashboard":
                unit = page.get_by_role("combobox", name="Whole system or one place", exact=True)
                unit.click()
                page.get_by_role("option", name=PLACE, exact=True).click()
                wait_idle(page)
                expect(page.get_by_role("heading", name=shown(f"{PLACE} · {ROUND}"))).to_be_visible()
            else:
                expect(page.get_by_text("Places compared:")).to_be_visible()
                # Nothing is formatted: the Markdown, colour, icon and LaTeX in a place's name read as typed.
                expect(page.get_by_text(PAYLOADS["formatting"]).first).to_be_visible()
        if name == "framework":  # the system's local items, opened
            page.get_by_text(shown(PAYLOADS["markdown link"]), exact=True).first.click()
            expect(page.get_by_text(shown(PAYLOADS["html image"])).first).to_be_visible()
        if name == "assess-draft":
            title = shown(f"{PLACE} · {PAYLOADS['markdown link'][:60]}")
            expect(page.get_by_role("heading", name=title)).to_be_visible()
        page.wait_for_load_state("networkidle")
        screenshot(page, f"hostile-{name}")
        for frame in page.frames:
            assert frame.evaluate("() => window.__pwned === undefined"), f"a script ran in {name}"
            assert (
                frame.locator(f'img[src*="{EVIL}"], a[href*="{EVIL}"], script:not([src])', has_text="pwned").count()
                == 0
            )
            assert frame.locator(f'img[src*="{EVIL}"]').count() == 0, f"an image from a foreign host on {name}"
            assert frame.locator(f'a[href*="{EVIL}"]').count() == 0, f"a link to a foreign host on {name}"
        assert foreign == [], f"{name} fetched {foreign}"
    finally:
        context.close()


def test_names_read_exactly_as_typed(browser: Browser, server, hostile):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        open_app(page, server, "manage", heading="Manage systems and places")
        expect(page.get_by_text(shown(SYSTEM), exact=True).first).to_be_visible()
        open_app(page, server, f"assess?assessment={hostile['draft']}&item=governance", heading="Governance")
        expect(page.get_by_role("radiogroup", name="Governance: which level fits today?")).to_be_visible()
        expect(page.get_by_text(shown(f"Which level describes {PLACE} today?"), exact=True)).to_be_visible()
    finally:
        context.close()


# --- HTML and Markdown in the headline figure and in plotly's drawings -------------------------------------
# st.metric renders Markdown in its label and delta, and plotly draws <a href> as a clickable SVG link (and
# <b>, <i>, <br> as formatting) in every text. A beacon server on this machine counts every request a page
# makes to it: a round label that is a Markdown image would reach it from every viewer's browser.
PLOTLY_OR_METRIC_LINKS = '.js-plotly-plot svg a, [data-testid="stMetric"] a'


class _Beacon(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the test reports the hits itself


@pytest.fixture(scope="module")
def beacon() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def linked(server, beacon) -> dict[str, str]:
    """A place called with an HTML link, with three submitted rounds: an HTML link, a Markdown image pointing at
    the beacon, and a plain latest round (so the Dashboard's headline change is "since" the image)."""
    port = beacon.server_address[1]
    link = f'<a href="http://127.0.0.1:{port}/evil">link</a><b>bold</b>'
    image = f"![x](http://127.0.0.1:{port}/beacon.png)"
    db = store.connect(server.db_path)
    system_id = store.create_system(db, "Beacon ICS", "e2e")
    items = current_framework().items_for(False)
    rounds = ((link, "2026-01-15"), (image, "2026-04-15"), ("2026 Q3", "2026-07-15"))
    for place, labels in ((link, rounds), ("Plain Place", (("R1", "2026-02-01"),))):
        place_id = store.create_place(db, system_id, place, "e2e")
        for step, (label, day) in enumerate(labels):
            aid = store.create_assessment(db, system_id, place_id, label, day, "e2e")
            for n, item in enumerate(items):
                store.save_response(db, aid, item.id, "e2e", answer="level", level=(n + step) % 5)
            store.submit_assessment(db, aid, "e2e")
    return {"link": link, "image": image, "system": "Beacon ICS"}


def _no_links_drawn(page: Page, where: str) -> None:
    assert page.locator(PLOTLY_OR_METRIC_LINKS).count() == 0, f"a link drawn in a chart or metric on {where}"
    assert page.locator("svg.main-svg b, svg.main-svg i").count() == 0, f"formatting drawn in a chart on {where}"


def _chart_text(page: Page, text: str):
    """Text plotly drew in any chart's SVG (ticks, labels, legends, titles, hover)."""
    return page.locator("svg.main-svg text", has_text=text)


def test_metric_and_charts_draw_hostile_round_labels_as_text(browser: Browser, server, beacon, linked):
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    link, image = linked["link"], linked["image"]
    unit = f"dashboard?dash_system={quote_plus(linked['system'])}&dash_place={quote_plus(link)}"
    try:
        # The latest round: its change is "since" the Markdown image round, and the progress chart has all three.
        open_app(page, server, unit, heading="Dashboard")
        expect(page.get_by_role("heading", name=shown(f"{link} · 2026 Q3"))).to_be_visible()
        overall = page.get_by_test_id("stMetric").filter(has_text="Overall score")
        expect(overall.get_by_test_id("stMetricDelta")).to_contain_text(f"since {shown(image)}")
        expect(_chart_text(page, "Progress over submitted rounds")).to_be_visible()
        expect(_chart_text(page, '<a href="http://127.0.0.1:').first).to_be_visible()  # the x axis, literally
        page.wait_for_load_state("networkidle")
        # Hover the first point (the link round): the label names its line and round, both as text.
        progress = page.locator(".js-plotly-plot").filter(has=_chart_text(page, "Progress over submitted rounds"))
        progress.scroll_into_view_if_needed()
        point = progress.locator("g.trace.scatter path.point").first.bounding_box()
        assert point
        page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
        hover = re.compile(r"\w · " + re.escape(link) + r": \d\.\d\d")  # "<line> · <round>: <score>"
        expect(progress.locator(".hoverlayer text", has_text=hover)).to_be_visible()
        _no_links_drawn(page, "the Dashboard")
        screenshot(page, "hostile-dashboard-chart-text")
        page.mouse.move(0, 0)
        # The image round itself: its change is "since" the link round.
        open_app(page, server, f"{unit}&dash_round={quote_plus(image)}", heading="Dashboard")
        expect(page.get_by_role("heading", name=shown(f"{link} · {image}"))).to_be_visible()
        expect(overall.get_by_test_id("stMetricDelta")).to_contain_text(f"since {shown(link)}")
        expect(overall.get_by_text('<a href="http://', exact=False)).to_be_visible()
        page.wait_for_load_state("networkidle")
        _no_links_drawn(page, "the Dashboard on the image round")
        overall.scroll_into_view_if_needed()
        screenshot(page, "hostile-dashboard-metric-text")
        assert beacon.hits == [], f"the Dashboard made viewers fetch {beacon.hits}"  # type: ignore[attr-defined]
    finally:
        page.context.close()


def test_compare_heatmap_draws_hostile_place_names_as_text(browser: Browser, server, beacon, linked):
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        open_app(page, server, f"compare?cmp_system={quote_plus(linked['system'])}", heading="Compare places")
        heatmap = page.locator(".js-plotly-plot").filter(has=_chart_text(page, "Places × domains"))
        row = heatmap.locator("g.ytick text", has_text='<a href="http://127.0.0.1:')
        expect(row).to_be_visible()
        expect(row).to_have_text(linked["link"])  # every character as typed, nothing formatted away
        # Hover a cell in that place's row: the hover label shows the name as text too.
        heatmap.scroll_into_view_if_needed()
        cells = heatmap.locator(".nsewdrag").first.bounding_box()
        label = row.bounding_box()
        assert cells and label
        page.mouse.move(cells["x"] + cells["width"] / 2, label["y"] + label["height"] / 2)
        expect(heatmap.locator(".hoverlayer text", has_text='<a href="http://127.0.0.1:')).to_be_visible()
        page.wait_for_load_state("networkidle")
        _no_links_drawn(page, "Compare")
        screenshot(page, "hostile-compare-chart-text")
        page.mouse.move(0, 0)
        assert beacon.hits == [], f"Compare made viewers fetch {beacon.hits}"  # type: ignore[attr-defined]
    finally:
        page.context.close()

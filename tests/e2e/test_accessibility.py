"""axe-core in the real page: no serious or critical violations on any page in its main states."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from checklist import store, workshops
from tests.e2e.conftest import choose, new_page, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e
BLOCKING = {"serious", "critical"}

# Violations that come from Streamlit's own markup and cannot be fixed from the app: rule id -> reason.
# Each entry is matched only against nodes inside Streamlit's chrome (the selectors listed), never our content.
STREAMLIT_OWN: dict[str, tuple[str, tuple[str, ...]]] = {}


def _blocking(page: Page) -> list[str]:
    results = Axe().run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        reason, chrome = STREAMLIT_OWN.get(violation["id"], ("", ()))
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            if chrome and any(selector in target for selector in chrome):
                continue
            problems.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {target} — {node['html'][:120]}"
            )
    return problems


STATES = [
    ("home", "", "Supporting disabled people into physical activity", None),
    ("assess-choose", "assess", "Assess", None),
    ("assess-draft-item", "assess?assessment=8&item=referrals", "Referrals", None),
    ("assess-easy-read", "assess?assessment=8&item=care-plans", "Care plans", "Easy Read wording"),
    ("assess-results", "assess?assessment=32", "Westcliff · 2026 Q3", None),
    ("assess-review", "assess?assessment=8", "Ashby Vale · 2026 Q4", "tab:Review and submit"),
    ("assess-history", "assess?assessment=8", "Ashby Vale · 2026 Q4", "tab:History"),
    ("dashboard", "dashboard", "Dashboard", "system:Northmoor and Vale ICS"),
    ("compare", "compare", "Compare places", "system:Northmoor and Vale ICS"),
    ("compare-items", "compare", "Compare places", "radio:Items"),
    ("workshop-choose", "workshop", "Workshop", None),
    ("join-form", "join", "Join a workshop", None),
    ("framework", "framework", "The framework", None),
    ("manage", "manage", "Manage systems and places", None),
    ("accessibility-statement", "accessibility", "Accessibility statement", None),
]


@pytest.mark.parametrize(("name", "path", "heading", "action"), STATES, ids=[s[0] for s in STATES])
def test_no_serious_violations(page: Page, server, name, path, heading, action):
    open_app(page, server, path, heading=heading)
    if action and action.startswith("tab:"):
        page.get_by_role("tab", name=action[4:]).click()
        expect(page.get_by_role("tab", name=action[4:])).to_have_attribute("aria-selected", "true")
    elif action and action.startswith("system:"):
        choose(page, "System (ICS)", action[7:])  # other tests add systems: never rely on the default
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
    elif action and action.startswith("radio:"):
        page.get_by_text(action[6:], exact=True).click()
        expect(page.get_by_role("radio", name=action[6:])).to_be_checked()
    elif action:
        page.get_by_text(action, exact=True).click()  # a person clicks the label; the input sits beneath it
        expect(page.get_by_role("switch", name=action)).to_be_checked()
    _settled(page)
    screenshot(page, f"a11y-{name}")
    assert _blocking(page) == []


def _settled(page: Page) -> None:
    """Streamlit fades elements while a run is in flight and fades them back after: judge contrast once the page
    shows no skeleton, no faded element and no fade still playing."""
    wait_idle(page)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


@pytest.fixture(scope="module")
def running_workshop(server):
    """A live workshop with votes from two sectors and its results revealed, plus a participant's private link."""
    db = store.connect(server.db_path)
    system_id = store.create_system(db, "Accessible Workshop ICS", "a11y")
    aid = store.create_assessment(db, system_id, None, "A11y round", "2026-11-23", "a11y")
    w = workshops.start_workshop(db, aid, "a11y")
    token = workshops.join(db, w["code"], "lived_experience", "Sam")["token"]
    workshops.cast_vote(db, token, w["current_item"], 2)
    workshops.cast_vote(db, workshops.join(db, w["code"], "health")["token"], w["current_item"], 3)
    workshops.set_revealed(db, w["id"], True, "a11y")
    workshops.add_note(db, aid, "parking", "Transport to venues", "a11y", workshop_id=w["id"])
    return w, token


@pytest.mark.parametrize("tab", ["Present", "Notes and parking lot", "Summary"])
def test_the_presenter_view_has_no_serious_violations(page: Page, server, running_workshop, tab):
    w, _ = running_workshop
    open_app(page, server, f"workshop?workshop={w['id']}", heading="Governance")
    page.get_by_role("tab", name=tab).click()
    expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
    if tab == "Present":
        frame = page.frame_locator('[data-testid="stIFrame"]')
        expect(frame.get_by_role("table", name="Votes by level and sector")).to_be_visible()
    _settled(page)  # the page refreshes its live parts every few seconds: judge it between two refreshes
    screenshot(page, f"a11y-workshop-{tab.split()[0].lower()}")
    assert _blocking(page) == []


def test_the_participant_view_has_no_serious_violations(browser, server, running_workshop):
    w, token = running_workshop
    page = new_page(browser)
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.context.add_cookies([{"name": "workshop_pass", "value": token, "url": server.url}])
        open_app(page, server, "join", heading="Governance")
        expect(page.get_by_text("Your vote is in: 2 · Developing.")).to_be_visible()
        screenshot(page, "a11y-join-voting")
        assert _blocking(page) == []
    finally:
        page.context.close()


def test_empty_database_home_has_no_serious_violations(page: Page, empty_server):
    open_app(page, empty_server, "", heading="Supporting disabled people into physical activity")
    expect(page.get_by_role("button", name="Load demo data")).to_be_visible()
    screenshot(page, "a11y-home-empty")
    assert _blocking(page) == []


def test_the_check_catches_a_planted_violation(page: Page, server):
    """Guards the guard: a button with no accessible name, added to the live page, is reported."""
    open_app(page, server, "framework", heading="The framework")
    page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]').appendChild(document.createElement('button'))"
    )
    problems = _blocking(page)
    assert any(p.startswith("button-name (critical)") for p in problems), problems

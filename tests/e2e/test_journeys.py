"""What an ICS lead does, in a real browser: set up, assess item by item, reload half-way, submit, read results."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from checklist import store
from checklist.framework import current_framework
from checklist.scoring import Answer, score_assessment
from tests.e2e.conftest import _serve, choose, new_page, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e
FW = current_framework()
CORE = FW.items_for(include_workforce=False)


def _poll(predicate, what: str, timeout: float = 20.0) -> None:
    """Wait until the database shows what the page says it saved (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _level_option(page: Page, item_title: str, level: int):
    group = page.get_by_role("radiogroup", name=f"{item_title}: which level fits today?")
    return group.get_by_text(f"{level} · {FW.level_name(level)}", exact=True)


def _expected(levels: dict[str, int]):
    return score_assessment(FW, {i: Answer("level", v) for i, v in levels.items()})


def test_set_up_assess_reload_submit_and_read_results(page: Page, server):
    # Manage: a new system and place
    open_app(page, server, "manage", heading="Manage systems and places")
    page.get_by_role("textbox", name="System name").fill("Journey ICS")
    page.get_by_role("button", name="Add system").click()
    expander = page.locator('[data-testid="stExpander"]', has_text="Journey ICS")
    expect(expander).to_be_visible()
    wait_idle(page)
    if expander.locator("details").first.get_attribute("open") is None:  # the only match is shown open
        expander.locator("summary").first.click()
    expander.get_by_role("textbox", name="New place name").fill("Journey Place")
    expander.get_by_role("button", name="Add place").click()
    setup = store.connect(server.db_path)
    _poll(lambda: "Journey Place" in store.list_places(setup, _system_named(setup, "Journey ICS"))["name"].tolist(),
          "the place to be added")  # fmt: skip
    place = expander.get_by_role("textbox", name="Place", exact=True)
    for _ in range(5):  # a rerun under load can redraw the list with this system folded: open it again
        wait_idle(page)
        if expander.locator("details").first.get_attribute("open") is None:
            expander.locator("summary").first.click()
        try:
            place.wait_for(state="visible", timeout=5000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(place).to_have_value("Journey Place")
    screenshot(page, "journey-manage")

    # Assess: choose the unit and start a round
    page.get_by_role("link", name="Assess").click()
    expect(page.get_by_role("heading", name="Assess", exact=True)).to_be_visible()
    choose(page, "System (ICS)", "Journey ICS")
    choose(page, "Whole system or one place", "Journey Place")
    expect(page.get_by_text("No rounds yet for this unit.")).to_be_visible()
    page.get_by_role("textbox", name="Round label").fill("Journey round")
    page.get_by_role("button", name="Start assessment").click()
    expect(page.get_by_role("heading", name="Journey Place · Journey round")).to_be_visible()
    screenshot(page, "journey-assess-start")

    db = store.connect(server.db_path)
    assessment_id = int(page.url.split("assessment=")[1].split("&")[0])
    levels = {item.id: (n * 3) % 5 for n, item in enumerate(CORE)}
    halfway = CORE[8]
    for n, item in enumerate(CORE):
        expect(page.get_by_role("heading", name=item.title, exact=True)).to_be_visible()
        expect(page.get_by_text("Which level describes Journey Place today?")).to_be_visible()
        _level_option(page, item.title, levels[item.id]).click()
        expect(page.get_by_text(f"{n + 1} of {len(CORE)} items answered")).to_be_visible()
        if item is halfway:
            evidence = page.get_by_role("textbox", name="Evidence", exact=True)
            evidence.fill("Steering group minutes, March 2026")
            evidence.press("Tab")  # leaving the field saves it
            _poll(
                lambda i=item.id: (
                    store.responses(db, assessment_id).get(i, {}).get("evidence")
                    == "Steering group minutes, March 2026"
                ),
                "the evidence to be saved",
            )
            page.reload()
            expect(page.get_by_role("heading", name=item.title, exact=True)).to_be_visible()
            expect(page.get_by_text(f"{n + 1} of {len(CORE)} items answered")).to_be_visible()
            expect(page.get_by_role("textbox", name="Evidence", exact=True)).to_have_value(
                "Steering group minutes, March 2026"
            )
            radio = page.get_by_role("radiogroup", name=f"{item.title}: which level fits today?")
            expect(radio.locator("input[type=radio]:checked")).to_have_value(str(levels[item.id]))
            # every earlier answer survived too: look at one through the jump list
            screenshot(page, "journey-assess-after-reload")
        if n + 1 < len(CORE):
            page.get_by_role("button", name="Next item →").click()

    page.get_by_role("tab", name="Review and submit").click()
    page.get_by_role("textbox", name="Note at submission (optional)").fill("Discussed at the partnership board")
    page.get_by_role("button", name="Submit and lock").click()
    # Submit asks first, naming what is about to be locked; only the dialog's own button submits.
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Submit and lock this round?")).to_be_visible()
    expect(page.get_by_text("Submitted (locked)", exact=False)).to_have_count(0)
    dialog.get_by_role("button", name="Submit and lock").click()
    # A submitted round opens on its results; its caption says it is locked.
    expect(page.get_by_text("Submitted (locked)", exact=False)).to_be_visible()
    expect(page.get_by_role("tab", name="Results")).to_have_attribute("aria-selected", "true")
    expected = _expected(levels)
    results = page.get_by_role("tabpanel", name="Results")
    expect(results.get_by_text(f"{expected.overall:.2f}", exact=True)).to_be_visible()
    expect(results.get_by_text(expected.band, exact=True).first).to_be_visible()
    expect(results.get_by_text("Strengths")).to_be_visible()
    screenshot(page, "journey-results")
    assert store.get_assessment(db, assessment_id)["status"] == store.SUBMITTED
    assert {i: r["level"] for i, r in store.responses(db, assessment_id).items()} == levels


ACTIVE = """() => { const e = document.activeElement; if (!e) return {};
  const g = e.closest('[role=radiogroup]'); const b = e.closest('button,[role=tab]');
  return {group: g ? g.getAttribute('aria-label') : null, role: e.getAttribute('role'),
          text: b ? b.innerText.trim() : '', tag: e.tagName, label: e.getAttribute('aria-label'),
          value: e.type === 'radio' ? e.value : null}; }"""


def _tab_until(page: Page, wanted, key: str = "Tab", limit: int = 80) -> dict:
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        active = page.evaluate(ACTIVE)
        seen.append(f"{active.get('tag')}:{active.get('label') or active.get('text')}")
        if wanted(active):
            return active
    print(" > ".join(seen))
    raise AssertionError(f"keyboard focus never reached the target after {limit} presses of {key}; at {active}")


def _system_named(db, name: str) -> int:  # noqa: ANN001
    systems = store.list_systems(db)
    return int(systems[systems["name"] == name]["id"].iloc[0])


def _saved_choice(db, assessment_id: int, item_id: str) -> int | None:
    """The saved answer as the radio's option index: a level 0-4, 5 don't know, 6 not applicable."""
    row = store.responses(db, assessment_id).get(item_id) or {}
    return {"level": row.get("level"), "dont_know": 5, "not_applicable": 6}.get(row.get("answer"))


def test_an_assessment_can_be_completed_by_keyboard_alone(page: Page, server):
    db = store.connect(server.db_path)
    system_id = store.create_system(db, "Keyboard ICS", "e2e setup")
    assessment_id = store.create_assessment(db, system_id, None, "Keys 2026", "2026-11-01", "e2e setup")
    open_app(page, server, f"assess?assessment={assessment_id}", heading="Keyboard ICS (whole system) · Keys 2026")
    levels = {}
    for n, item in enumerate(CORE):
        group = f"{item.title}: which level fits today?"
        expect(page.get_by_role("heading", name=item.title, exact=True)).to_be_visible()
        expect(page.get_by_role("radiogroup", name=group)).to_be_visible()
        # the first item is reached from the top of the page; later ones back up from the Next button
        entered = _tab_until(page, lambda a, g=group: a.get("group") == g, key="Tab" if n == 0 else "Shift+Tab")
        radios = page.get_by_role("radiogroup", name=group)
        # Arrow keys move to and pick the neighbouring level; Space picks the focused one. Like a person,
        # wait for each choice to be saved and shown before the next key.
        focused, target = int(entered["value"]), n % 5
        step = -1 if focused > target else 1
        keys = ["Space"] if focused == target else ["ArrowUp" if step < 0 else "ArrowDown"] * abs(focused - target)
        value = focused
        for key in keys:
            page.keyboard.press(key)
            value += 0 if key == "Space" else step
            expect(radios.locator("input[type=radio]:checked")).to_have_value(str(value))
            _poll(lambda i=item.id, v=value: _saved_choice(db, assessment_id, i) == v, f"choice {value} to be saved")
            wait_idle(page)
        levels[item.id] = n % 5
        expect(page.get_by_text(f"{n + 1} of {len(CORE)} items answered")).to_be_visible()
        if n + 1 < len(CORE):
            _tab_until(page, lambda a: a.get("text") == "Next item →")
            page.keyboard.press("Enter")
    _tab_until(page, lambda a: a.get("role") == "tab", key="Shift+Tab", limit=120)
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Review and submit")).to_have_attribute("aria-selected", "true")
    wait_idle(page)
    _tab_until(page, lambda a: a.get("text") == "Submit and lock")
    page.keyboard.press("Enter")
    # The confirmation opens with focus inside it: Tab reaches its own Submit and lock.
    expect(page.get_by_role("dialog")).to_be_visible()
    _tab_until(page, lambda a: (a.get("text") or "").endswith("Submit and lock"))  # after its lock icon
    page.keyboard.press("Enter")
    expect(page.get_by_text("Submitted (locked)", exact=False)).to_be_visible()
    assert store.get_assessment(db, assessment_id)["status"] == store.SUBMITTED
    assert {i: r["level"] for i, r in store.responses(db, assessment_id).items()} == levels


def test_home_resumes_a_draft(page: Page, server):
    open_app(page, server, "", heading="Supporting disabled people into physical activity")
    link = page.get_by_role("link", name="Resume Ashby Vale · 2026 Q4", exact=False)
    link.click()
    expect(page.get_by_role("heading", name="Ashby Vale · 2026 Q4")).to_be_visible()
    expect(page.get_by_text("Draft: every change is saved as you make it", exact=False)).to_be_visible()


def test_a_deep_link_as_a_servers_first_request_goes_through_the_router(browser, demo_path, tmp_path):
    """A bookmarked link opened right after the server starts shows the app's own navigation."""
    for server in _serve(demo_path, tmp_path):
        page = new_page(browser)
        try:
            open_app(page, server, "assess?assessment=8&item=referrals", heading="Ashby Vale · 2026 Q4")
            nav = page.locator('[data-testid="stSidebarNav"]')
            expect(nav.get_by_text("The framework", exact=True)).to_be_visible()
            expect(nav.get_by_text("pages", exact=True)).to_have_count(0)
            expect(page.get_by_role("heading", name="Referrals", exact=True)).to_be_visible()
            screenshot(page, "deep-link-first-request")
        finally:
            page.context.close()


def test_dashboard_and_compare_read_at_a_glance(page: Page, server):
    """A lead reads the weakest domain and the change since last round; a commissioner compares places."""
    open_app(page, server, "dashboard", heading="Dashboard")
    choose(page, "System (ICS)", "Northmoor and Vale ICS")  # other journeys add systems: never rely on the default
    choose(page, "Whole system or one place", "Dunmere")
    expect(page.get_by_role("heading", name="Dunmere · 2026 Q3")).to_be_visible()
    expect(page.get_by_text("Weakest domain:")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^[+-]\d\.\d\d since 2025 Q4$"))).to_be_visible()  # the headline change
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    page.get_by_text("Data behind this chart (domain scores)").click()
    expect(page.get_by_role("button", name="Download as CSV").first).to_be_visible()
    screenshot(page, "journey-dashboard")

    page.get_by_role("link", name="Compare places").click()
    expect(page.get_by_role("heading", name="Compare places")).to_be_visible()
    choose(page, "System (ICS)", "Northmoor and Vale ICS")
    heatmap = page.locator(".js-plotly-plot").first
    expect(heatmap.get_by_text("Dunmere")).to_be_visible()
    page.get_by_text("Anonymise places", exact=True).click()
    expect(heatmap.get_by_text("Place A")).to_be_visible()
    expect(heatmap.get_by_text("Dunmere")).to_have_count(0)
    expect(page.get_by_text("Weak everywhere: a system-level priority")).to_be_visible()
    screenshot(page, "journey-compare")


def test_export_read_back_then_back_up_and_restore(page: Page, server, tmp_path):
    import pandas as pd

    open_app(page, server, "manage", heading="Manage systems and places")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export everything (CSV)").click()
    csv_path = tmp_path / "export.csv"
    info.value.save_as(csv_path)
    exported = pd.read_csv(csv_path, encoding="utf-8-sig", keep_default_na=False)
    db = store.connect(server.db_path)
    assessments = store.list_assessments(db)
    assert len(exported) == int(assessments["total"].sum())  # one row per assessment × item
    dunmere = exported[(exported["place"] == "Dunmere") & (exported["round"] == "2026 Q3")]
    saved = store.responses(
        db, int(assessments.query("place_name == 'Dunmere' and round_label == '2026 Q3'")["id"].iloc[0])
    )
    assert {r.item_id: int(r.level) for r in dunmere.itertuples() if r.level != ""} == {
        i: r["level"] for i, r in saved.items() if r["level"] is not None
    }

    with page.expect_download() as info:
        page.get_by_role("button", name="Download a backup (.db)").click()
    backup_path = tmp_path / "backup.db"
    info.value.save_as(backup_path)
    assert store.check_backup(backup_path)["assessments"] == len(assessments)

    page.get_by_text("Restore from a backup").click()
    page.get_by_label("Backup file (.db)").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        str(backup_path)
    )
    expect(
        page.get_by_text(f"is a sound backup with {len(store.list_systems(db))} system(s)", exact=False)
    ).to_be_visible()
    page.get_by_role("button", name="Restore this backup").click()
    expect(page.get_by_text("Restored. The previous data is kept in", exact=False)).to_be_visible()
    assert len(store.list_assessments(store.connect(server.db_path))) == len(assessments)
    assert list((server.db_path.parent / "backups").glob("before-restore-*.db"))
    assert not list((server.db_path.parent / "backups").glob("uploaded-*.db"))
    expect(page.get_by_role("button", name="Restore this backup")).to_have_count(0)  # not offered twice
    screenshot(page, "journey-backup-restore")


def test_import_a_spreadsheet_with_a_preview(page: Page, server, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("system,place,round,date,governance\nNorthmoor and Vale ICS,Dunmere,2027 Q1,2027-02-30,9\n")
    good = tmp_path / "good.csv"
    good.write_text(
        "system,place,round,date,governance,referrals\nNorthmoor and Vale ICS,Dunmere,2027 Q1,2027-02-01,"
        "Developing,don't know\n"
    )
    open_app(page, server, "manage", heading="Manage systems and places")
    page.get_by_text("Import assessments from CSV or Excel").click()
    uploader = page.get_by_label("File to import").get_by_test_id("stFileUploaderDropzoneInput")
    uploader.set_input_files(str(bad))
    refusal = page.get_by_text("2 problem(s) found; nothing was imported")
    expect(refusal).to_be_visible()
    refusal.scroll_into_view_if_needed()
    screenshot(page, "journey-import-refused")
    uploader.set_input_files(str(good))
    expect(page.get_by_text("Preview (wide layout): 1 assessment(s)")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Imported: 1 created, 0 replaced, 0 skipped")).to_be_visible()
    db = store.connect(server.db_path)
    rounds = store.list_assessments(db, status=store.DRAFT)
    (new,) = rounds[rounds["round_label"] == "2027 Q1"].itertuples()
    saved = store.responses(db, int(new.id))
    assert (saved["governance"]["level"], saved["referrals"]["answer"]) == (2, "dont_know")

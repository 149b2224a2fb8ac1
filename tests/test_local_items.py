"""A system's own local items: written or uploaded, checked row by row, versioned, answered, scored as their own
domain, in the system's exports and reports, and never in the overall score or any comparison (both backends)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from checklist import access, analysis, exports, local_items, local_workbook, national, reports, store, workshops
from checklist.framework import LEVEL_NAMES, LOCAL_MODULE, current_framework, framework_for
from checklist.local_items import LocalItemsError
from checklist.scoring import Answer
from checklist.store.local_modules import LocalDraftChanged
from tests.conftest import ACTOR, FROZEN_AT

TITLE = "Our local priorities"


def row(title: str = "Green spaces", **changes: str) -> dict[str, str]:
    base = {
        "title": title,
        "statement": f"{title}: parks and paths that disabled people can reach and use.",
        **{f"level_{v}": f"{title} at {n.lower()}." for v, n in enumerate(LEVEL_NAMES)},
        "evidence_prompt": "An audit of routes and facilities.",
    }
    return {**base, **changes}


def easy(title: str = "Green spaces") -> dict[str, str]:
    return {"easy_statement": "Parks are easy to use.", **{f"easy_level_{v}": f"Step {v} words." for v in range(5)}}


# --- checking what was written ----------------------------------------------------------------


def test_complete_rows_become_items_with_ids_that_are_never_used_again():
    module = local_items.validate([row("Green spaces"), row("Leisure centres", unit="Place")], TITLE)
    assert [i.id for i in module.items] == ["local-1", "local-2"]
    assert module.items[1]["unit"] == "place"
    # An id kept from an earlier version stays; a new item never takes an id an earlier version used.
    again = local_items.validate([{"id": "local-2", **row("Leisure centres")}, row("Walking groups")], TITLE,
                                 earlier=["local-1", "local-2"])  # fmt: skip
    assert [i.id for i in again.items] == ["local-2", "local-3"]


def test_every_problem_is_named_with_its_row_and_field_and_nothing_is_kept():
    rows = [
        row("Green spaces", statement=""),
        row("Green spaces"),
        row("Pools", unit="county"),
        {**row("Trails"), "easy_statement": "Only part of the Easy Read."},
        row("x" * 200),
        {"id": "national-1", **row("Buses")},
    ]
    with pytest.raises(LocalItemsError) as caught:
        local_items.validate(rows, TITLE)
    problems = caught.value.problems
    assert "row 1: 'What good looks like' is empty; every item needs it" in problems
    assert "row 2: the title 'Green spaces' is also on row 1" in problems
    assert any(p.startswith("row 3: 'Judged for' is 'county'; expected system, place, neighbourhood") for p in problems)
    assert any(p.startswith("row 4: Easy Read is given in part; also fill") for p in problems)
    assert "row 5: 'Title' is 200 characters long; expected at most 120" in problems
    assert any(p.startswith("row 6: id 'national-1' is not a local item id") for p in problems)
    with pytest.raises(LocalItemsError, match="expected at most 40"):
        local_items.validate([row(f"Item {n}") for n in range(41)], TITLE)
    with pytest.raises(LocalItemsError, match="no items"):
        local_items.validate([{}, {"title": " "}], TITLE)
    with pytest.raises(LocalItemsError, match="need a title"):
        local_items.validate([row()], "  ")


def test_a_draft_may_be_unfinished_but_not_too_long():
    module = local_items.validate([{"title": "Half written"}], "", complete=False)
    assert module.title == local_items.DEFAULT_TITLE and module.items[0].id == "local-1"
    with pytest.raises(LocalItemsError, match="expected at most 1000"):
        local_items.validate([{"title": "Long", "statement": "x" * 1001}], TITLE, complete=False)


def test_local_items_are_their_own_domain_and_never_count_in_the_overall_score():
    module = local_items.validate([row("Green spaces"), {**row("Pools"), **easy()}], TITLE)
    fw = local_items.with_local(current_framework().version, module)
    national_fw = current_framework()
    assert fw.is_local(LOCAL_MODULE) and fw.local_title == TITLE and not national_fw.is_local(LOCAL_MODULE)
    assert [i.id for i in fw.items_in(LOCAL_MODULE)] == ["local-1", "local-2"]
    assert fw.item("local-2").easy_levels[0] == "Step 0 words."
    assert fw.item("local-1").easy_levels == fw.item("local-1").levels  # no Easy Read given: the standard words
    assert framework_for(fw.version) is national_fw and not national_fw.local_title  # the national one, untouched
    answers = {i.id: Answer("level", 2) for i in national_fw.items_for(False)}
    answers |= {"local-1": Answer("level", 4), "local-2": Answer("level", 4)}
    from checklist.scoring import score_assessment

    with_local = score_assessment(fw, answers)
    without = score_assessment(national_fw, answers)
    assert with_local.domain(LOCAL_MODULE).score == 4
    assert with_local.overall == without.overall == 2  # the local domain's 4 is not in the overall
    assert with_local.total == without.total + 2


# --- kept, versioned and used (both backends) ------------------------------------------------------------


@pytest.fixture
def system(unit):
    db, system_id, place_id = unit
    return db, system_id, place_id


def _publish(db, system_id, rows, title=TITLE, actor=ACTOR) -> int:
    revision = store.local_modules.editing(db, system_id).revision
    revision = store.local_modules.save_draft(db, actor, system_id, rows, title, based_on=revision)
    return store.local_modules.publish(db, actor, system_id, revision, note="first set")


def test_a_draft_is_saved_on_every_change_refused_when_stale_and_published_as_versions(system):
    db, system_id, _ = system
    assert store.local_modules.editing(db, system_id).module.items == ()
    first = store.local_modules.save_draft(db, ACTOR, system_id, [{"title": "Half"}], TITLE, based_on=0)
    second = store.local_modules.save_draft(db, ACTOR, system_id, [row("Green spaces")], TITLE, based_on=first)
    with pytest.raises(LocalDraftChanged, match="not saved over theirs"):
        store.local_modules.save_draft(db, ACTOR, system_id, [row("Mine")], TITLE, based_on=first)
    assert store.local_modules.editing(db, system_id).module.items[0].title == "Green spaces"
    kept = store.local_modules.changes(db, system_id)
    assert list(kept["field"]) == ["draft", "draft", "draft (not saved: changed meanwhile)"]
    assert store.local_modules.publish(db, ACTOR, system_id, second) == 1
    editing = store.local_modules.editing(db, system_id)
    assert not editing.is_draft and editing.latest_version == 1 and editing.module.version == 1
    # An unfinished draft is refused at publishing, naming the row; the draft and version 1 are untouched.
    revision = store.local_modules.save_draft(db, ACTOR, system_id, [row("Green spaces"), {"title": "Pools"}],
                                              TITLE, based_on=0)  # fmt: skip
    with pytest.raises(store.StoreError, match="row 2: 'What good looks like' is empty"):
        store.local_modules.publish(db, ACTOR, system_id, revision)
    assert len(store.local_modules.versions(db, system_id)) == 1
    store.local_modules.discard_draft(db, ACTOR, system_id, revision)
    assert store.local_modules.editing(db, system_id).module.version == 1
    # Discarding is undone while nothing else has been saved: the draft comes back as it was.
    assert [i.title for i in store.local_modules.discarded(db, system_id).items] == ["Green spaces", "Pools"]
    store.local_modules.bring_back(db, ACTOR, system_id)
    back = store.local_modules.editing(db, system_id)
    assert back.is_draft and [i.title for i in back.module.items] == ["Green spaces", "Pools"]
    assert store.local_modules.discarded(db, system_id) is None
    with pytest.raises(store.StoreError, match="no discarded draft"):
        store.local_modules.bring_back(db, ACTOR, system_id)


def test_only_whoever_manages_the_system_writes_its_local_items(system):
    db, system_id, _ = system
    lead = access.add_user(db, ACTOR, "lead@example.nhs.uk", "Lee")
    access.grant(db, ACTOR, lead, access.LEAD, system_id, None)
    other = store.create_system(db, "Other ICS", ACTOR)
    admin = access.add_user(db, ACTOR, "admin@example.nhs.uk", "Ada")
    access.grant(db, ACTOR, admin, access.ADMIN, other, None)
    for who in ("lead@example.nhs.uk", "admin@example.nhs.uk"):
        with pytest.raises(access.PermissionDenied):
            store.local_modules.save_draft(db, access.find_user(db, who), system_id, [row()], TITLE, based_on=0)
    assert store.local_modules.save_draft(db, access.find_user(db, "admin@example.nhs.uk"), other, [row()], TITLE) == 1


def test_a_round_includes_the_version_published_when_it_started_and_is_answered_scored_and_voted_on(system):
    db, system_id, place_id = system
    before = store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR)
    _publish(db, system_id, [row("Green spaces"), row("Pools")])
    aid = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    without = store.create_assessment(db, system_id, None, "2026 Q2", "2026-06-30", ACTOR, include_local=False)
    assert not store.framework_of(store.get_assessment(db, before)).local_version
    assert not store.framework_of(store.get_assessment(db, without)).local_version
    fw = store.framework_of(store.get_assessment(db, aid))
    assert fw.local_version == 1 and fw.item("local-2").title == "Pools"
    with pytest.raises(store.StoreError, match="unknown item id 'local-1'"):
        store.save_response(db, before, "local-1", ACTOR, answer="level", level=3)
    store.save_response(db, aid, "local-1", ACTOR, answer="level", level=4)
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=1)
    result = store.score(db, aid)
    assert result.domain(LOCAL_MODULE).score == 4 and result.overall == 1
    listed = store.list_assessments(db, system_id=system_id, place_id=place_id)
    assert listed.set_index("id").loc[aid, "total"] == len(current_framework().items_for(False)) + 2
    # A later version does not change a round already started.
    _publish(db, system_id, [{"id": "local-1", **row("Green spaces", statement="Reworded.")}])
    assert store.framework_of(store.get_assessment(db, aid)).item("local-1").statement != "Reworded."
    # Participants vote on a local item as on any other.
    room = workshops.start_workshop(db, aid, ACTOR, mode=workshops.INDEPENDENT)
    voter = workshops.join(db, room["code"], "health")
    assert workshops.cast_vote(db, voter["token"], "local-2", 3)["level"] == 3
    with pytest.raises(store.StoreError):
        workshops.cast_vote(db, voter["token"], "local-9", 3)


def test_exports_and_the_board_report_hold_the_local_items_and_comparisons_never_do(system):
    db, system_id, place_id = system
    _publish(db, system_id, [row("Green spaces")])
    aid = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    store.save_response(db, aid, "local-1", ACTOR, answer="level", level=4, evidence="Audit 2026")
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=1)
    frame = exports.export_frame(db, [aid])
    local = frame[frame["item_id"] == "local-1"].iloc[0]
    assert (local["domain"], local["level"], local["evidence"]) == (TITLE, 4, "Audit 2026")
    scores = exports.scores_frame(db, [aid]).set_index("domain")
    assert scores.loc[TITLE, "score"] == 4 and scores.loc["Overall", "score"] == 1
    html = reports.assessment_html(db, aid, FROZEN_AT.date(), with_chart=False)
    assert "Green spaces" in html and f"with {TITLE} (local items, version 1)" in html
    workbook = load_workbook(io.BytesIO(exports.xlsx_bytes(db, [aid])), read_only=True)
    cells = [str(c) for sheet in workbook.worksheets for r in sheet.iter_rows(values_only=True) for c in r]
    assert "Green spaces" in cells and TITLE in cells


def test_comparisons_and_national_figures_read_national_items_only(system, monkeypatch):
    db, system_id, place_id = system
    _publish(db, system_id, [row("Green spaces")])
    for name in ("North", "South"):
        place = store.create_place(db, system_id, name, ACTOR)
        aid = store.create_assessment(db, system_id, place, "2026 Q2", "2026-06-30", ACTOR)
        for item in store.framework_of(store.get_assessment(db, aid)).items_for(False):
            store.save_response(db, aid, item.id, ACTOR, answer="level", level=2, evidence="seen")
        store.save_response(db, aid, "local-1", ACTOR, answer="level", level=4, evidence="seen")
        store.submit_assessment(db, aid, ACTOR)
    levels, _ = analysis.place_levels(db, system_id)
    assert not [c for c in levels.columns if c.startswith("local-")] and len(levels) == 2
    everywhere, _ = analysis.latest_levels_everywhere(db)
    assert not [c for c in everywhere.columns if c.startswith("local-")]
    rounds = national.place_rounds(db, current_framework())
    assert set(rounds["overall"].dropna()) == {2.0}  # the local items' 4 is nowhere in the national figures


# --- the workbook -----------------------------------------------------------------------------------------


def test_the_template_round_trips_and_a_wrong_workbook_changes_nothing(system):
    db, system_id, _ = system
    module = local_items.validate([row("Green spaces"), {**row("=HYPERLINK(1)"), **easy()}], TITLE)
    data = local_workbook.template_xlsx(module)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.cell(row=3, column=2).value == "'=HYPERLINK(1)"  # a formula is kept as text
    rows = local_workbook.read_xlsx(data, "local.xlsx")
    again = local_items.validate(rows, TITLE)
    assert again.items == module.items
    # Not the template: its missing columns are named; a blank template row is left out.
    book = Workbook()
    book.active.append(["Title", "Statement"])
    book.active.append(["Green spaces", "x"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(LocalItemsError, match="missing the column"):
        local_workbook.read_xlsx(out.getvalue(), "other.xlsx")
    with pytest.raises(LocalItemsError, match=r"expected the Excel workbook \(\.xlsx\)"):
        local_workbook.read_xlsx(b"title,statement\n", "local.csv")
    with pytest.raises(LocalItemsError, match="holds no items; expected one item per row"):
        local_workbook.read_xlsx(local_workbook.template_xlsx(), "empty.xlsx")
    with pytest.raises(store.StoreError, match="not an Excel"):
        local_workbook.read_xlsx(b"not a zip", "local.xlsx")
    # A row left incomplete in the workbook is named by the row the spreadsheet shows.
    broken = local_items.rows_of(module)
    broken[1]["level_3"] = ""
    data = local_workbook.template_xlsx(local_items.LocalModule(TITLE, "", ()))
    book = load_workbook(io.BytesIO(data))
    for r in broken:
        book.worksheets[0].append([r[k] for k in ("id", *local_items.FIELD_KEYS)])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(LocalItemsError, match=r"row 3: '3 · Maturing' is empty"):
        local_items.validate(local_workbook.read_xlsx(out.getvalue(), "local.xlsx"), TITLE)


def test_a_draft_round_moves_to_newer_local_items_keeping_what_still_exists(system):
    db, system_id, place_id = system
    _publish(db, system_id, [row("Green spaces"), row("Pools")])
    aid = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    store.save_response(db, aid, "local-1", ACTOR, answer="level", level=3)
    store.save_response(db, aid, "local-2", ACTOR, answer="level", level=2)
    assert store.local_items_move(db, store.get_assessment(db, aid)) is None  # it has the newest
    _publish(db, system_id, [{"id": "local-1", **row("Green spaces", statement="Parks, reworded.")}, row("Trails")])
    newest, plan = store.local_items_move(db, store.get_assessment(db, aid))
    assert newest["version"] == 2 and plan.review == ("local-1",) and plan.dropped == ("local-2",)
    store.move_to_local_items(db, aid, ACTOR)
    fw = store.framework_of(store.get_assessment(db, aid))
    assert fw.local_version == 2 and [i.id for i in fw.items_in(LOCAL_MODULE)] == ["local-1", "local-3"]
    saved = store.responses(db, aid)
    assert saved["local-1"]["level"] == 3 and "local-2" not in saved
    removed = store.history(db, aid, "local-2")
    assert removed.iloc[-1]["field"] == "removed (not in the newer local items)"
    with pytest.raises(store.StoreError, match="already includes"):
        store.move_to_local_items(db, aid, ACTOR)


# --- the pages ---------------------------------------------------------------------------------------------

HOSTILE = "Parks [click me](https://example.com/x) ![](https://example.com/t.png) **loud**"


def _hostile_system(path):
    db = store.connect(path)
    system_id = store.create_system(db, "Test ICS", ACTOR)
    place_id = store.create_place(db, system_id, "Test Place", ACTOR)
    _publish(db, system_id, [row("Green spaces", statement=HOSTILE, level_2=HOSTILE)], title="Local *priorities*")
    return db, system_id, place_id


def test_assess_shows_a_local_item_as_written_as_its_own_domain_and_scores_it_apart(tmp_path, monkeypatch):
    from tests.test_pages import _app, _shown, _tab

    db, system_id, place_id = _hostile_system(tmp_path / "l.db")
    aid = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    store.save_response(db, aid, "local-1", ACTOR, answer="level", level=4)
    at = _app(tmp_path / "l.db", monkeypatch, "pages/assess.py", assessment=str(aid), item="local-1")
    assert not at.exception
    statement = next(m.value for m in at.markdown if "click me" in m.value)
    assert "](" not in statement.replace("\\]\\(", "") and _shown(statement) == HOSTILE  # text, never a link
    assert any(_shown(c.value).startswith("Local *priorities* · item") for c in at.caption)
    captions = at.radio(key=f"assess_answer_{aid}_local-1").proto.captions
    assert _shown(captions[2]) == HOSTILE and "](" not in captions[2].replace("\\]\\(", "")
    at = _tab(at, aid, "Results")
    domains = next(t.value for t in at.table if "Domain" in t.value.columns)
    local = domains[domains["Domain"].str.contains("priorities")].iloc[0]
    assert _shown(local["Domain"]) == "Local *priorities* (local items: not in the overall score)"
    assert local["Score (0–4)"] == 4  # its own domain, scored
    # Charted as its own domain: the radar has a spoke for it, named with its note (drawn as text).
    from checklist import charts

    current, previous, _ = analysis.rounds_around(db, aid)
    radar = charts.radar(analysis.domain_table(current, previous), "Domain scores")
    spokes = [str(t).replace("<br>", " ") for trace in radar.data for t in (trace.theta or [])]
    assert "Local *priorities* (local items: not in the overall score)" in spokes
    # The overall score leaves the local domain out: nothing national is answered, so there is none.
    assert store.score(db, aid).overall is None


def test_manage_shows_the_local_items_publishes_the_draft_and_a_new_round_includes_them(tmp_path, monkeypatch):
    from tests.test_pages import _app, _shown, _texts

    db, system_id, place_id = _hostile_system(tmp_path / "l.db")
    store.local_modules.save_draft(db, ACTOR, system_id, [row("Green spaces"), row("Pools")], "Local *priorities*")
    at = _app(tmp_path / "l.db", monkeypatch, "pages/manage.py")
    assert not at.exception
    text = _shown(_texts(at))
    assert "Local items" in text and "Published: version 1 (1 item)" in text and "not yet published" in text
    at.button(key=f"local_{system_id}_1_1_publish").click().run()
    assert not at.exception
    assert "Published version 2: rounds started from now on include it" in _shown(_texts(at))
    assert store.local_modules.editing(db, system_id).latest_version == 2
    frame = next(df.value for df in at.dataframe if "Version" in df.value.columns)
    assert list(frame["Version"]) == [2, 1] and list(frame["Items"]) == [2, 1]
    # A new round on Assess includes them unless its lead turns them off.
    at = _app(tmp_path / "l.db", monkeypatch, "pages/assess.py")
    toggle = at.toggle(key="assess_new_local")
    assert toggle.value is True and "Local \\*priorities\\* (version 2)" in toggle.label


def test_an_export_with_local_answers_imports_back_to_the_system_that_has_those_items(system):
    from checklist import imports

    db, system_id, place_id = system
    _publish(db, system_id, [row("Green spaces")])
    aid = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    store.save_response(db, aid, "local-1", ACTOR, answer="level", level=4, evidence="Audit 2026")
    store.save_response(db, aid, "governance", ACTOR, answer="level", level=1)
    frame = exports.export_frame(db, [aid])
    frame["round"] = "2026 Q3"  # the same answers, as another round
    counts = imports.import_bytes(db, exports.csv_bytes(frame), "again.csv", ACTOR)
    assert counts["created"] == 1
    new = int(store.list_assessments(db, system_id=system_id, place_id=place_id)["id"].max())
    again = store.get_assessment(db, new)
    assert again["local_version"] == 1 and store.responses(db, new)["local-1"]["evidence"] == "Audit 2026"
    assert store.score(db, new).domain(LOCAL_MODULE).score == 4
    # Another system has no such items: the row is refused, naming what it has, and nothing is imported.
    other = store.create_system(db, "Other ICS", ACTOR)
    store.create_place(db, other, "Test Place", ACTOR)
    frame["system"] = "Other ICS"
    with pytest.raises(imports.ImportRefused) as refused:
        imports.import_bytes(db, exports.csv_bytes(frame), "other.csv", ACTOR)
    assert any("Other ICS's local items (it has none yet" in p.expected for p in refused.value.problems)
    assert store.list_assessments(db, system_id=other).empty


def test_the_framework_page_shows_each_readable_systems_local_items_as_written(tmp_path, monkeypatch):
    from tests.test_pages import _app, _shown, _texts

    _hostile_system(tmp_path / "l.db")
    at = _app(tmp_path / "l.db", monkeypatch, "pages/framework.py")
    assert not at.exception
    text = _shown(_texts(at))
    assert "Systems' own local items" in text and "Test ICS: Local *priorities* (version 1)" in text
    assert f"**What good looks like:** {HOSTILE}" in text
    assert not any("](" in m.value.replace("\\]\\(", "") for m in at.markdown)  # never a link or an image


def test_assess_offers_a_draft_the_newer_local_items_and_moves_it_on_request(tmp_path, monkeypatch):
    from tests.test_pages import _app, _shown, _texts

    db, system_id, place_id = _hostile_system(tmp_path / "l.db")
    aid = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    store.save_response(db, aid, "local-1", ACTOR, answer="level", level=3)
    _publish(db, system_id, [{"id": "local-1", **row("Green spaces")}, row("Pools")], title="Local *priorities*")
    at = _app(tmp_path / "l.db", monkeypatch, "pages/assess.py", assessment=str(aid))
    label = next(e.label for e in at.expander if "published" in e.label)
    assert _shown(label) == "Your system published Local *priorities* version 2 (this draft has version 1)"
    assert store.framework_of(store.get_assessment(db, aid)).local_version == 1  # nothing moves by itself
    at.button(key=f"assess_move_local_{aid}").click().run()
    assert not at.exception
    assert "Moved to Local *priorities* version 2: 1 answer(s) kept, 1 to look at again" in _shown(_texts(at))
    assert store.framework_of(store.get_assessment(db, aid)).local_version == 2
    assert store.responses(db, aid)["local-1"]["level"] == 3


def test_a_first_draft_begun_before_a_newer_version_was_published_is_refused_not_saved_over_it(system):
    db, system_id, _ = system
    _publish(db, system_id, [row("Green spaces")])
    seen = store.local_modules.editing(db, system_id)  # one admin opens version 1
    _publish(db, system_id, [row("Green spaces"), row("Pools")])  # another publishes version 2 meanwhile
    with pytest.raises(LocalDraftChanged):
        store.local_modules.save_draft(db, ACTOR, system_id, [row("Mine")], TITLE, based_on=seen.revision,
                                       from_version=seen.latest_version)  # fmt: skip
    assert not store.local_modules.editing(db, system_id).is_draft
    assert store.local_modules.changes(db, system_id)["field"].iloc[-1] == "draft (not saved: changed meanwhile)"


def test_manage_discards_a_draft_and_brings_it_back(tmp_path, monkeypatch):
    from tests.test_pages import _app, _shown, _texts

    db, system_id, _ = _hostile_system(tmp_path / "l.db")
    store.local_modules.save_draft(db, ACTOR, system_id, [row("Pools")], "Local *priorities*")
    at = _app(tmp_path / "l.db", monkeypatch, "pages/manage.py")
    at.button(key=f"local_{system_id}_1_1_discard").click().run()
    assert "Draft discarded: bring it back" in _shown(_texts(at))
    assert not store.local_modules.editing(db, system_id).is_draft
    at.button(key=f"local_{system_id}_0_1_bring_back").click().run()
    assert not at.exception and "The discarded draft is back" in _shown(_texts(at))
    assert [i.title for i in store.local_modules.editing(db, system_id).module.items] == ["Pools"]


def test_local_items_added_since_the_last_round_are_not_read_as_reworded(system):
    db, system_id, place_id = system
    first = store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR)
    for item in store.framework_of(store.get_assessment(db, first)).items_for(False):
        store.save_response(db, first, item.id, ACTOR, answer="level", level=2, evidence="seen")
    store.submit_assessment(db, first, ACTOR)
    _publish(db, system_id, [row("Green spaces")])
    second = store.create_assessment(db, system_id, place_id, "2026 Q2", "2026-06-30", ACTOR)
    store.save_response(db, second, "local-1", ACTOR, answer="level", level=4)
    _, previous, change = analysis.rounds_around(db, second)
    assert previous is not None and change.wording_changed == ()
    assert not change.overall.wording_changed and not any(d.wording_changed for d in change.domains)

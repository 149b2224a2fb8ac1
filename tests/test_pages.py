"""Every page through AppTest: renders on the demo and on an empty database, and does what a user expects."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from checklist import formatting, store
from checklist.scoring import DONT_KNOW, LEVEL
from tests.conftest import ACTOR

APP = str(Path(__file__).resolve().parent.parent / "router.py")
PAGES = [
    "pages/home.py",
    "pages/assess.py",
    "pages/dashboard.py",
    "pages/compare.py",
    "pages/national.py",
    "pages/framework.py",
    "pages/manage.py",
    "pages/workshop.py",
    "pages/accessibility.py",
]


def _app(db_path: Path, monkeypatch, page: str | None = None, **params: str) -> AppTest:
    monkeypatch.setenv(store.DB_ENV_VAR, str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page:
        at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _tab(at: AppTest, assessment_id: int, name: str) -> AppTest:
    """Open one of an assessment's tabs (only the open tab is drawn), as a click on it does."""
    at.session_state[f"assess_tab_{assessment_id}"] = name
    return at.run()


def _shown(markdown: str) -> str:
    """What a reader sees of Markdown source: backslash escapes and character references resolved."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown)).replace("\u2060", "")


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error",
                                  "success") for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("database", ["demo", "empty"])
def test_every_page_renders(page, database, demo_path, tmp_path, monkeypatch):
    path = demo_path if database == "demo" else tmp_path / "empty.db"
    at = _app(path, monkeypatch, page)
    assert not at.exception
    assert at.title, "every page has a title"


def test_home_cites_the_report_and_lists_recent_assessments(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch)
    text = _texts(at)
    assert "Activity Alliance" in text and "February 2025" in text and "7.3.2" in text
    links = at.get("page_link")
    assert any("Resume" in str(link.proto.label) for link in links)
    # Recent assessments open with one click: a link each, straight to the round, with status, date and completion.
    recent = store.recent_assessments(store.connect(demo_path), limit=10)
    opened = {link.proto.query_string: str(link.proto.label) for link in links}
    for row in recent.itertuples():
        label = opened[f"assessment={row.id}"]
        assert row.status.capitalize() in label and formatting.percent(row.completion) + " answered" in label


def test_home_offers_the_demo_on_an_empty_database(tmp_path, monkeypatch):
    path = tmp_path / "fresh.db"
    at = _app(path, monkeypatch)
    assert "The database is empty" in _texts(at)
    at.button(key="home_load_demo").click().run()
    assert not at.exception
    assert len(store.list_systems(store.connect(path))) == 2
    assert sum("answered" in str(link.proto.label) for link in at.get("page_link")) >= 10


def _draft(path: Path, include_workforce: bool = False) -> int:
    db = store.connect(path)
    system_id = store.create_system(db, "Page ICS", ACTOR)
    place_id = store.create_place(db, system_id, "Page Place", ACTOR)
    return store.create_assessment(db, system_id, place_id, "2026 Q4", "2026-11-01", ACTOR, include_workforce)


def test_starting_a_round_opens_it(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    _draft(path)
    at = _app(path, monkeypatch, "pages/assess.py")
    label = next(w for w in at.text_input if w.label == "Round label")
    label.set_value("2027 Q1")
    at.button(key="FormSubmitter:assess_new_round-Start assessment").click().run()
    assert not at.exception
    assert _shown(at.title[0].value) == "Page ICS (whole system) · 2027 Q1"  # the whole system is the default unit
    assert len(store.list_assessments(store.connect(path))) == 2


def test_a_clashing_round_label_is_refused_with_a_message(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    _draft(path)
    at = _app(path, monkeypatch, "pages/assess.py")
    at.selectbox(key="assess_place").set_value(at.selectbox(key="assess_place").options[1]).run()
    next(w for w in at.text_input if w.label == "Round label").set_value("2026 q4")
    at.button(key="FormSubmitter:assess_new_round-Start assessment").click().run()
    assert "Page Place already has a round called '2026 Q4'" in _shown(at.error[0].value)
    assert len(store.list_assessments(store.connect(path))) == 1


def test_answering_an_item_saves_it_at_once(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="referrals")
    assert at.title[0].value == "Page Place · 2026 Q4"
    level = at.radio(key=f"assess_answer_{aid}_referrals")
    level.set_value(2).run()
    at.text_area(key=f"assess_evidence_{aid}_referrals").input("Online form live in two places").run()
    at.selectbox(key=f"assess_target_{aid}_referrals").set_value(4).run()
    at.radio(key=f"assess_confidence_{aid}_referrals").set_value("documented").run()
    assert not at.exception
    row = store.responses(store.connect(path), aid)["referrals"]
    assert (row["answer"], row["level"], row["evidence"], row["target_level"], row["confidence"]) == (
        LEVEL, 2, "Online form live in two places", 4, "documented"
    )  # fmt: skip
    assert "1 of 17 items answered" in str(at.get("progress")[0].proto.text)


def test_a_fresh_session_shows_every_saved_answer(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    store.save_response(db, aid, "governance", ACTOR, level=3, evidence="Partnership board minutes")
    store.save_response(db, aid, "shared-vision", ACTOR, answer=DONT_KNOW)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="governance")
    assert at.radio(key=f"assess_answer_{aid}_governance").value == 3
    assert at.text_area(key=f"assess_evidence_{aid}_governance").value == "Partnership board minutes"
    at.button(key="assess_next").click().run()
    assert at.radio(key=f"assess_answer_{aid}_shared-vision").value == DONT_KNOW
    assert at.query_params["item"] == "shared-vision"


def test_level_choices_show_the_descriptors_and_easy_read_switches_them(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="referrals")
    radio = at.radio(key=f"assess_answer_{aid}_referrals")
    assert radio.options[:5] == [f"{v} · {fw.level_name(v)}" for v in range(5)]
    item = fw.item("referrals")
    assert item.statement in _shown(_texts(at))  # item wording is shown as written (escaped Markdown)
    at.toggle(key="assess_easy").set_value(True).run()
    assert item.easy_statement in _shown(_texts(at)) and item.statement not in _shown(_texts(at))


def test_an_action_is_added_to_the_item(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="referrals")
    next(w for w in at.text_input if w.label == "What will be done").input("Pilot an online referral form")
    next(w for w in at.text_input if w.label == "Owner").input("PA lead")
    at.button(key=f"FormSubmitter:assess_add_action_{aid}_referrals-Add action").click().run()
    assert not at.exception
    actions = store.list_actions(store.connect(path), aid)
    assert actions[["item_id", "description", "owner"]].values.tolist() == [
        ["referrals", "Pilot an online referral form", "PA lead"]
    ]


def test_submit_lists_the_unanswered_then_locks(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    store.save_response(db, aid, "governance", ACTOR, level=3)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    at.button(key=f"assess_submit_{aid}").click().run()
    shown = _shown(at.error[0].value)
    assert "16 items need an answer" in shown and "Referrals: not answered" in shown
    assert store.get_assessment(db, aid)["status"] == store.DRAFT
    for n, item in enumerate(fw.items_for(False)):
        store.save_response(db, aid, item.id, ACTOR, level=n % 5)
    at.run()
    at.text_area(key=f"assess_note_{aid}").input("Seen by the director of strategy")
    at.button(key=f"assess_submit_{aid}").click().run()
    assert store.get_assessment(db, aid)["status"] == store.DRAFT, "the first click only asks to confirm"
    at.button(key=f"assess_submit_confirm_{aid}").click().run()
    assert not at.exception
    assert store.get_assessment(db, aid)["status"] == store.SUBMITTED
    result = store.score(db, aid)
    _tab(at, aid, "Results")
    assert any(m.label == "Overall band" and m.value == result.band for m in at.metric)
    _tab(at, aid, "Answer")
    assert at.radio(key=f"assess_answer_{aid}_governance").disabled


def test_a_locked_assessment_cannot_be_edited(demo_path, monkeypatch):
    db = store.connect(demo_path)
    aid = int(store.list_assessments(db).query("status == 'submitted'")["id"].iloc[0])
    before = store.responses(db, aid)
    at = _app(demo_path, monkeypatch, "pages/assess.py", assessment=str(aid), item="referrals")
    assert [t.label for t in at.tabs] == ["Answer", "Review and submit", "Results", "History"]
    assert at.metric, "a submitted round opens on its results"
    _tab(at, aid, "Answer")
    widget = at.radio(key=f"assess_answer_{aid}_referrals")
    assert widget.disabled
    assert at.text_area(key=f"assess_evidence_{aid}_referrals").disabled
    assert at.selectbox(key=f"assess_target_{aid}_referrals").disabled
    with pytest.raises(Exception, match="disabled"):
        widget.set_value(4)
    at.run()
    assert store.responses(db, aid) == before


def test_reopening_is_an_explicit_recorded_step(demo_path, monkeypatch):
    db = store.connect(demo_path)
    aid = int(store.list_assessments(db).query("status == 'submitted'")["id"].iloc[-1])
    at = _tab(_app(demo_path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    at.text_input(key=f"assess_reopen_reason_{aid}").input("Recheck referrals")
    at.button(key=f"assess_reopen_{aid}").click().run()
    assert store.get_assessment(db, aid)["status"] == store.DRAFT
    assert store.history(db, aid)["new_value"].iloc[-1] == "Recheck referrals"
    _tab(at, aid, "Answer")
    assert not at.radio(key=f"assess_answer_{aid}_governance").disabled


def test_results_show_change_since_the_previous_round(demo_path, monkeypatch):
    db = store.connect(demo_path)
    rounds = store.list_assessments(db, place_id=int(store.list_places(db, 1)["id"].iloc[0]))
    latest = int(rounds.query("status == 'submitted'")["id"].iloc[-1])
    at = _app(demo_path, monkeypatch, "pages/assess.py", assessment=str(latest))
    overall = next(m for m in at.metric if m.label == "Overall score (0–4)")
    assert overall.value == f"{store.score(db, latest).overall:.2f}"
    assert "since 2025 Q4" in str(overall.proto.delta)


def test_an_unknown_assessment_id_says_so(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "pages/assess.py", assessment="99999")
    assert "Assessment 99999 cannot be opened: there is no such assessment" in _shown(at.warning[0].value)
    assert at.title[0].value == "Assess"


def test_manage_adds_renames_archives_and_refuses_duplicates(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    at = _app(path, monkeypatch, "pages/manage.py")
    next(w for w in at.text_input if w.label == "System name").input("Riverside ICS")
    at.button(key="FormSubmitter:manage_add_system-Add system").click().run()
    db = store.connect(path)
    system_id = int(store.list_systems(db)["id"].iloc[0])
    next(w for w in at.text_input if w.label == "System name").input("riverside ics")
    at.button(key="FormSubmitter:manage_add_system-Add system").click().run()
    assert "a system called 'riverside ics' already exists" in _shown(at.error[0].value)
    at.text_input(key=f"manage_new_place_{system_id}").input("Upper Valley")
    at.button(key=f"FormSubmitter:manage_add_place_{system_id}-Add place").click().run()
    place_id = int(store.list_places(db, system_id)["id"].iloc[0])
    at.text_input(key=f"manage_place_name_{place_id}").input("Upper Vale")
    at.button(key=f"manage_place_rename_{place_id}").click().run()
    assert store.get_place(db, place_id)["name"] == "Upper Vale"
    at.button(key=f"manage_place_archive_{place_id}").click().run()
    assert store.list_places(db, system_id).empty
    at.toggle(key="manage_show_archived").set_value(True).run()
    at.button(key=f"manage_place_restore_{place_id}").click().run()
    assert store.list_places(db, system_id)["name"].tolist() == ["Upper Vale"]
    assert not at.exception


def test_manage_prepares_the_excel_export_with_progress_then_offers_it(demo_path, monkeypatch, tmp_path):
    """A national workbook takes minutes, so it is written first (with a progress bar) and then offered; the
    page names no database path except in the backup section, where the administrator needs it."""
    monkeypatch.setenv("CHECKLIST_DB", str(tmp_path / "copy.db"))
    (tmp_path / "copy.db").write_bytes(demo_path.read_bytes())
    at = _app(tmp_path / "copy.db", monkeypatch, "pages/manage.py")
    assert "copy.db" not in at.caption[0].value
    at.button(key="manage_export_prepare").click().run()
    assert not at.exception
    ready = at.session_state["manage_export_ready"]
    assert ready.data[:2] == b"PK" and len(ready.data) > 10_000
    assert any(b.label == "Download the Excel export" for b in at.get("download_button"))
    at.button(key="manage_export_again").click().run()
    assert any(b.label == "Export everything (Excel)" for b in at.button)


def test_manage_refuses_a_round_label_the_unit_already_has(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    first = _draft(path)
    db = store.connect(path)
    second = store.create_assessment(db, 1, 1, "2027 Q1", "2027-01-15", ACTOR)
    at = _app(path, monkeypatch, "pages/manage.py")
    at.text_input(key=f"manage_round_{second}").input("2026 Q4")
    at.button(key=f"manage_round_save_{second}").click().run()
    assert "already has a round called '2026 Q4'" in _shown(at.error[0].value)
    assert store.get_assessment(db, second)["round_label"] == "2027 Q1"
    assert store.get_assessment(db, first)["round_label"] == "2026 Q4"


def test_framework_page_lists_every_item_with_its_levels(tmp_path, monkeypatch, fw):
    at = _app(tmp_path / "f.db", monkeypatch, "pages/framework.py")
    titles = [e.label for e in at.expander]
    for item in fw.items:
        assert any(t.startswith(item.title) for t in titles), item.title
    assert any("checklist point 17" in t for t in titles)
    at.toggle(key="framework_easy").set_value(True).run()
    assert fw.item("referrals").easy_statement in _texts(at)


def test_user_text_is_shown_as_typed_never_as_markup(tmp_path, monkeypatch):
    path = tmp_path / "x.db"
    db = store.connect(path)
    system_id = store.create_system(db, "<b>Bold</b> *Vale* [link](http://x)", ACTOR)
    aid = store.create_assessment(db, system_id, None, "`R1`", "2026-01-01", ACTOR)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid))
    title = at.title[0].value
    # every Markdown and HTML character is escaped, so the page shows the name literally
    assert r"\<b\>Bold\</b\> \*Vale\* \[link\]\(http\:/" in title and r"\`R1\`" in title
    assert _shown(title) == "<b>Bold</b> *Vale* [link](http://x) (whole system) · `R1`"
    assert "<b>" not in title.replace(r"\<b\>", "")


def test_round_details_can_be_corrected_and_are_recorded(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    at.text_area(key=f"assess_participants_{aid}").input("PA lead; VCSE alliance; two carers").run()
    at.date_input(key=f"assess_date_{aid}").set_value(date(2026, 11, 5)).run()
    db = store.connect(path)
    assessment = store.get_assessment(db, aid)
    assert (assessment["participants"], assessment["assessment_date"]) == (
        "PA lead; VCSE alliance; two carers",
        "2026-11-05",
    )
    assert store.history(db, aid)["field"].tolist()[-2:] == ["participants", "assessment_date"]


def _charts(at: AppTest) -> list[dict]:
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_dashboard_shows_the_latest_submitted_round_and_its_weakest_domain(demo_path, monkeypatch):
    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])  # Ashby Vale: 3 submitted rounds and a draft
    at = _app(demo_path, monkeypatch, "pages/dashboard.py")
    at.selectbox(key="dash_place").set_value(place_id).run()
    assert not at.exception
    latest = store.list_assessments(db, place_id=place_id, status=store.SUBMITTED).iloc[-1]
    assert _shown(at.header[0].value) == f"Ashby Vale · {latest.round_label}"
    overall = next(m for m in at.metric if m.label == "Overall score (0–4)")
    assert overall.value == f"{store.score(db, int(latest.id)).overall:.2f}"
    result = store.score(db, int(latest.id))
    weakest = min((d for d in result.domains if d.score is not None), key=lambda d: d.score)
    from checklist.framework import current_framework

    weakest_title = current_framework().domain(weakest.domain_id).title
    assert any(f"Weakest domain: {weakest_title}" in i.value for i in at.info)
    titles = [c["layout"]["title"]["text"] for c in _charts(at)]
    assert titles == ["Domain scores: now, last round and target", "Progress over submitted rounds",
                      "Every item's level, by domain"]  # fmt: skip
    assert any(e.label.startswith("Data behind this chart") for e in at.expander)


def test_dashboard_reads_its_choice_from_the_address_and_shows_the_projection_and_spread(demo_path, monkeypatch):
    """A bookmarked /dashboard?dash_place=Ashby+Vale opens on that place; the headline shows the projected score
    (open actions reaching their aims) and how many items sit at each level beside the band."""
    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])
    at = _app(demo_path, monkeypatch, "pages/dashboard.py", dash_place="Ashby Vale")
    assert not at.exception
    assert _shown(at.header[0].value).startswith("Ashby Vale · ")
    latest = int(store.list_assessments(db, place_id=place_id, status=store.SUBMITTED).iloc[-1].id)
    projected = next(m for m in at.metric if m.label == "Projected score")
    assert projected.value == f"{store.projected_score(db, latest).overall:.2f}"
    assert float(projected.value) >= store.score(db, latest).overall
    counts = store.score(db, latest).level_counts
    assert any(c.value.startswith("Items by level: ") and f"{counts[1]} Emerging" in c.value for c in at.caption)


def test_dashboard_marks_a_draft_as_provisional(demo_path, monkeypatch):
    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])
    draft = store.list_assessments(db, place_id=place_id, status=store.DRAFT).iloc[0]
    at = _app(demo_path, monkeypatch, "pages/dashboard.py")
    at.selectbox(key="dash_place").set_value(place_id).run()
    at.selectbox(key="dash_round").set_value(int(draft.id)).run()
    assert "draft" in at.warning[0].value and "provisional" in at.warning[0].value
    from streamlit.proto.Metric_pb2 import Metric

    overall = next(m for m in at.metric if m.label == "Overall score (0–4)")
    assert (
        overall.delta.endswith("(provisional)") and overall.proto.color == Metric.MetricColor.GRAY
    )  # grey: not a rise or fall


def test_dashboard_with_little_data_explains_instead_of_breaking(tmp_path, monkeypatch, fw):
    path = tmp_path / "thin.db"
    aid = _draft(path)
    at = _app(path, monkeypatch, "pages/dashboard.py")
    assert "has no assessment rounds yet" in _shown(at.info[0].value)  # the whole system has none
    place_id = at.selectbox(key="dash_place").options[1]
    at.selectbox(key="dash_place").set_value(at.selectbox(key="dash_place").options[1]).run()
    assert not at.exception and place_id
    assert "provisional" in at.warning[0].value
    assert "No item in this round has a level yet" in at.info[0].value
    db = store.connect(path)
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, answer=DONT_KNOW)
    store.submit_assessment(db, aid, ACTOR)
    at.run()
    assert not at.exception and "No item in this round has a level yet" in at.info[0].value
    store.reopen_assessment(db, aid, ACTOR, "add levels")
    store.save_response(db, aid, "governance", ACTOR, level=2)
    store.submit_assessment(db, aid, ACTOR)
    at.run()
    assert not at.exception
    assert any("two submitted rounds" in i.value for i in at.info)  # one round: no progress chart yet
    assert len(_charts(at)) == 2


def test_compare_heatmap_has_every_place_and_anonymises(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "pages/compare.py")
    assert not at.exception
    heat = _charts(at)[0]["data"][0]
    assert sorted(heat["y"]) == ["Ashby Vale", "Brackenridge", "Castlemoor", "Dunmere", "Eastwick Coast"]
    at.toggle(key="cmp_anonymise").set_value(True).run()
    heat = _charts(at)[0]["data"][0]
    assert sorted(heat["y"]) == ["Place A", "Place B", "Place C", "Place D", "Place E"]
    assert "Ashby Vale" not in " ".join(c.value for c in at.caption)
    at.radio(key="cmp_detail").set_value("Items").run()
    from checklist.framework import current_framework

    assert len(_charts(at)[0]["data"][0]["x"]) == len(current_framework().items_for(include_workforce=True))
    titles = [c["layout"]["title"]["text"] for c in _charts(at)]
    assert "Systems × domains (median of places)" in titles


def test_compare_rollup_names_places_far_behind(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "pages/compare.py")
    at.radio(key="cmp_rule").set_value("minimum").run()
    assert not at.exception
    at.radio(key="cmp_rule").set_value("population-weighted mean").run()
    assert not at.exception
    assert at.warning and all("a level or more below the population-weighted mean" in w.value for w in at.warning)


def test_compare_without_submitted_places_says_so(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    _draft(path)
    at = _app(path, monkeypatch, "pages/compare.py")
    assert "No place in this system has a submitted assessment" in at.info[0].value


def test_manage_saves_a_places_population_for_weighted_roll_ups(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    _draft(path)
    at = _app(path, monkeypatch, "pages/manage.py")
    at.number_input(key="manage_place_population_1").set_value(245000).run()
    assert not at.exception
    assert store.get_place(store.connect(path), 1)["population"] == 245000


def test_manage_finds_a_persons_data_with_extra_terms_then_erases_them_by_number(tmp_path, monkeypatch):
    path = tmp_path / "people.db"
    db = store.connect(path)
    sid = store.create_system(db, "Test ICS", ACTOR)
    aid = store.create_assessment(db, sid, None, "R1", "2026-11-01", ACTOR)
    store.save_response(db, aid, "governance", "Priya Shah", answer="level", level=2,
                        evidence="Ask Priya Shah on 07700 900123")  # fmt: skip
    at = _app(path, monkeypatch, "pages/manage.py")
    at.text_input(key="manage_privacy_who").input("Priya Shah")
    at.text_area(key="manage_privacy_also").input("07700 900123")
    at.button(key="FormSubmitter:manage_privacy_find-Find what is held about them").click().run()
    assert not at.exception
    found = "Found: 3 changes in the history made by them, and 6 stored values"
    assert any(c.value.startswith(found) for c in at.caption)
    at.checkbox(key="manage_privacy_confirm").check().run()
    at.button(key="manage_privacy_erase").click().run()
    assert not at.exception
    evidence = store.responses(db, aid)["governance"]["evidence"]
    assert "Priya" not in evidence and "900123" not in evidence and "Erased person" in evidence
    assert db.execute("SELECT count(*) FROM erasures").fetchone()[0] == 1


def test_the_accessibility_statement_has_the_sections_the_regulations_expect(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKLIST_ACCESSIBILITY_CONTACT", "access@example-ics.nhs.uk <b>or</b> 0113 *496* 0000")
    at = _app(tmp_path / "a.db", monkeypatch, "pages/accessibility.py")
    assert not at.exception and at.title[0].value == "Accessibility statement"
    said = "\n".join(m.value for m in at.markdown)
    for heading in ("How accessible this tool is", "Feedback and contact information",
                    "Reporting accessibility problems", "Enforcement procedure", "Compliance status",
                    "Non-accessible content", "Preparation of this accessibility statement"):  # fmt: skip
        assert f"## {heading}" in said or f"### {heading}" in said, heading
    assert "partially compliant with the Web Content Accessibility Guidelines version 2.2 AA" in said
    shown = _shown(said)
    assert "access@example-ics.nhs.uk <b>or</b> 0113 *496* 0000" in shown, "the contact shows exactly as set"
    assert "{" not in said, "every blank is filled"


def test_the_accessibility_statement_is_open_before_signing_in(demo_path, monkeypatch):
    from ui import identity

    monkeypatch.setenv(identity.MODE_VAR, identity.SHARED)
    monkeypatch.setenv(store.DB_ENV_VAR, str(demo_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    at.switch_page("pages/accessibility.py").run()
    assert not at.exception and [t.value for t in at.title] == ["Accessibility statement"]


def test_an_item_says_where_it_is_judged_and_shows_evidence_for_each_level(tmp_path, monkeypatch):
    path = tmp_path / "ev.db"
    db = store.connect(path)
    sid = store.create_system(db, "Test ICS", ACTOR)
    aid = store.create_assessment(db, sid, None, "R1", "2026-11-01", ACTOR)
    fw = store.framework_of(store.get_assessment(db, aid))
    item = fw.item("referrals")
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="referrals"), aid, "Answer")
    captions = [c.value for c in at.caption]
    judged = [c for c in captions if c.startswith("Judged for")]
    assert len(judged) == 1 and judged[0].count("Judged for") == 1, "said once, never twice over"
    shown = "\n".join(m.value for m in at.markdown)
    for value in range(5):
        assert item.evidence_example(value)[:40] in shown


# --- reading: long text shown whole, confirmations said where they cannot cover a control ---------


def _long(start: str) -> str:
    """400 characters as a person might paste them: Markdown, HTML and an address that must stay plain text."""
    filler = " **bold** <b>x</b> [link](http://example.org) steering group minutes, March 2026;"
    return (start + filler * 10)[:399] + "."


def _table_with(at: AppTest, column: str):  # noqa: ANN202
    """The static table (st.table: it wraps) that has this column; a grid (st.dataframe) would cut the text."""
    assert not [d for d in at.dataframe if column in d.value.columns], f"{column} is in a grid, which clips text"
    return next(t.value for t in at.table if column in t.value.columns)


def test_the_review_table_shows_long_evidence_whole_and_as_typed(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    evidence = _long("Referrals:")
    store.save_response(store.connect(path), aid, "referrals", ACTOR, level=1, evidence=evidence, target_level=3)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    table = _table_with(at, "Evidence")
    assert list(table.columns) == ["Item", "Answer", "Target", "Gap to target", "Evidence", "How sure", "Open"]
    row = table.set_index("Item").loc["Referrals"]
    assert _shown(row["Evidence"]) == evidence, "every character, never cut"
    assert "\\*\\*bold\\*\\*" in row["Evidence"] and "\\<b\\>" in row["Evidence"], "escaped: shown as typed"
    assert (row["Answer"], _shown(row["Target"]), row["Gap to target"]) == ("1 · Emerging", "3 · Maturing",
                                                                           "2 levels to go")  # fmt: skip
    assert row["Open"] == f"[Open](?assessment={aid}&item=referrals)", "our own link, opening the item"
    at.toggle(key="assess_easy").set_value(True).run()
    assert "What shows it" in _table_with(at, "What shows it").columns


def test_the_history_shows_what_changed_whole(tmp_path, monkeypatch, fw):
    from checklist import history_text

    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    store.save_response(db, aid, "referrals", "Priya Shah", evidence=_long("History:"))
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "History")
    table = _table_with(at, "What changed")
    expected = history_text.table(store.history(db, aid), fw)
    assert [_shown(c) for c in table["What changed"]] == list(expected["What changed"])
    assert any(_shown(c).startswith("Added the evidence for Referrals: “History: **bold** <b>x</b>") for c in
               table["What changed"])  # fmt: skip
    assert "Priya Shah" in set(table["Who"])


def test_the_compare_roll_up_shows_the_lowest_place_whole(demo_path, monkeypatch):
    at = _app(demo_path, monkeypatch, "pages/compare.py")
    table = _table_with(at, "Lowest place")
    assert {"Domain", "Rolled up", "Lowest", "Lowest place", "Highest"} <= set(table.columns)
    assert all(_shown(p) for p in table["Lowest place"]), "every domain names its lowest place"


def test_an_action_is_confirmed_beside_the_actions_never_as_a_pop_up(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    aid = _draft(path)
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item="referrals")
    next(w for w in at.text_input if w.label == "What will be done").input("Pilot a *referral* form")
    at.button(key=f"FormSubmitter:assess_add_action_{aid}_referrals-Add action").click().run()
    assert not at.toast, "a toast covers the controls at the top right of the page"
    assert [_shown(s.value) for s in at.success] == ["Saved: action “Pilot a *referral* form” added"]
    at.run()
    assert not at.success, "said once, not on every later run"


def test_after_submitting_the_status_line_says_submitted_and_locked(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    for n, item in enumerate(fw.items_for(False)):
        store.save_response(db, aid, item.id, ACTOR, level=n % 5)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    at.text_area(key=f"assess_note_{aid}").input("Seen by the board").run()
    assert "Round details: note at submission" in _shown(_texts(at)), "a field save says what it saved"
    at.button(key=f"assess_submit_{aid}").click().run()
    at.button(key=f"assess_submit_confirm_{aid}").click().run()
    assert store.get_assessment(db, aid)["status"] == store.SUBMITTED
    shown = _shown(_texts(at))
    assert "Assessment submitted and locked at 10:00" in shown
    assert "Round details" not in shown and "Saved at" not in shown, "not the last field saved before it"
    assert not at.toast
    _tab(at, aid, "Answer")
    assert "Assessment submitted and locked at 10:00" in _shown(_texts(at))
    _tab(at, aid, "Review and submit")
    at.text_input(key=f"assess_reopen_reason_{aid}").input("Recheck referrals")
    at.button(key=f"assess_reopen_{aid}").click().run()
    shown = _shown(_texts(at))
    assert "Round reopened for changes" in shown and "submitted and locked at" not in shown


def test_the_last_item_offers_review_and_submit(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    last = fw.items_for(False)[-1].id
    at = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item=last)
    keys = [b.key for b in at.button]
    assert "assess_next" not in keys, "no greyed-out Next on the last item"
    go = at.button(key="assess_to_review")
    assert go.label == "Review and submit →"
    go.click().run()
    assert at.session_state[f"assess_tab_{aid}"] == "Review and submit"
    assert at.button(key=f"assess_submit_{aid}").label == "Submit and lock"
    first = _app(path, monkeypatch, "pages/assess.py", assessment=str(aid), item=fw.items_for(False)[0].id)
    assert not first.button(key="assess_next").disabled and "assess_to_review" not in [b.key for b in first.button]


@pytest.mark.parametrize(
    ("title", "domain", "line"),
    [
        ("Workforce diversity", "Workforce diversity", "**Workforce diversity**: at Not started"),
        ("Workforce diversity", "workforce Diversity", "**Workforce diversity**: at Not started"),
        ("Referrals", "Pathways", "**Referrals** (Pathways): at Not started"),
    ],
)
def test_a_strength_or_priority_names_an_item_like_its_domain_once(title, domain, line):
    from checklist import presentation

    assert presentation.highlight(title, domain, "at Not started") == line


def test_priorities_name_workforce_diversity_once_on_results_and_dashboard(tmp_path, monkeypatch, fw):
    path = tmp_path / "a.db"
    aid = _draft(path)
    db = store.connect(path)
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, ACTOR, level=0 if item.id == "workforce-diversity" else 3)
    at = _tab(_app(path, monkeypatch, "pages/assess.py", assessment=str(aid)), aid, "Results")
    shown = _texts(at)
    assert "- **Workforce diversity**: at Not started" in shown
    assert "Workforce diversity (Workforce diversity)" not in shown
    dash = _app(path, monkeypatch, "pages/dashboard.py")
    dash.selectbox(key="dash_place").set_value(store.get_assessment(db, aid)["place_id"]).run()
    shown = _texts(dash)
    assert "- **Workforce diversity**: at Not started" in shown
    assert "(Workforce diversity)" not in shown


def test_manage_names_its_people_section_and_says_what_each_save_saved(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    _draft(path)
    db = store.connect(path)
    at = _app(path, monkeypatch, "pages/manage.py")
    assert "People and roles" in [h.value for h in at.header]
    labels = {b.key: b.label for b in at.button}
    assert labels["manage_sys_rename_1"] == "Save system name"
    assert labels["manage_place_rename_1"] == "Save place name"
    assert labels["manage_round_save_1"] == "Save round label"
    assert labels["manage_person_save"] == "Save person and role"
    at.number_input(key="manage_place_population_1").set_value(245000).run()
    assert store.get_place(db, 1)["population"] == 245000
    assert [_shown(s.value) for s in at.success] == ["Saved: Page Place's population is now 245,000"]
    assert not at.toast
    at.text_input(key="manage_place_name_1").input("Upper Vale")
    at.button(key="manage_place_rename_1").click().run()
    assert [_shown(s.value) for s in at.success] == ["Saved: the place Page Place is now called Upper Vale"]
    at.button(key="manage_place_archive_1").click().run()
    assert _shown(at.success[0].value).startswith("Archived the place Upper Vale: turn on Show archived")
    at.text_input(key="manage_person_email").input("ana@example.nhs.uk")
    at.text_input(key="manage_person_name").input("Ana Ruiz")
    at.button(key="manage_person_save").click().run()
    assert [_shown(s.value) for s in at.success] == [
        "Saved: Ana Ruiz can sign in now (give them a role to do anything)"
    ]

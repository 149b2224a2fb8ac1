"""The board report: holds the unit's name and figures, escapes user text, and renders as a tagged PDF."""

from __future__ import annotations

import re
import subprocess
import zlib
from datetime import date

import pytest

from checklist import reports, store
from tests.conftest import ACTOR


def _alt_texts(pdf: bytes) -> list[str]:
    """The /Alt entries of a PDF's structure tree (WeasyPrint keeps them in compressed object streams)."""
    found = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found += [t.decode("latin-1") for t in re.findall(rb"/Alt \((.*?)\)>>", zlib.decompress(stream))]
        except zlib.error:
            continue
    return found


@pytest.fixture
def latest(demo_path):
    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])  # Ashby Vale
    aid = int(store.list_assessments(db, place_id=place_id, status=store.SUBMITTED)["id"].iloc[-1])
    return db, aid


def test_html_report_holds_the_figures_and_every_section(latest):
    db, aid = latest
    result = store.score(db, aid)
    document = reports.assessment_html(db, aid, date(2026, 11, 23), with_chart=False)
    assert "<title>Ashby Vale · 2026 Q3: physical activity maturity</title>" in document
    assert f"Overall score <strong>{result.overall:.2f}</strong> out of 4: <strong>{result.band}</strong>" in document
    assert "since 2025 Q4" in document
    for heading in ("Headline", "Domains: score now, change, projected and target", "Top five gaps to target",
                    "Evidence and overdue actions", "Domain scores", "Strengths and priorities", "Every item",
                    "Items not applicable", "Action plan", "About this assessment", "Method"):  # fmt: skip
        assert f"<h2>{heading}</h2>" in document
    assert "fully reached" not in document and "rounded down" not in document
    assert "nearest to" in document
    assert "25 September 2026" in document and "2026-09-25" not in document  # dates in words
    assert "<td>▲ up 0.50</td>" in document  # Governance and shared vision, with its arrow and words
    assert "Activity Alliance" in document and "February 2025" in document
    assert "<html lang='en-GB'>" in document


def test_a_first_round_report_heads_no_change_and_says_which_domains_its_overall_target_counts(fresh_db):
    sid = store.create_system(fresh_db, "First ICS", ACTOR)
    aid = store.create_assessment(fresh_db, sid, None, "R1", "2026-01-01", ACTOR)
    store.save_response(fresh_db, aid, "referrals", ACTOR, level=1, target_level=3)  # one domain has a target
    store.save_response(fresh_db, aid, "governance", ACTOR, level=2)
    document = reports.assessment_html(fresh_db, aid, date(2026, 1, 2), with_chart=False)
    assert "<h2>Domains: score now, projected and target</h2>" in document and "Change since" not in document
    domains = len(store.score(fresh_db, aid).domains)
    assert f"the mean of the domain targets of the 1 domains that have one ({domains - 1} have none" in document


def test_user_text_is_escaped_in_the_report(fresh_db):
    sid = store.create_system(fresh_db, "<script>alert(1)</script> ICS", ACTOR)
    aid = store.create_assessment(fresh_db, sid, None, "R1", "2026-01-01", ACTOR, participants="<b>us</b>")
    store.save_response(fresh_db, aid, "referrals", ACTOR, level=1, evidence="<img src=x onerror=alert(1)>")
    document = reports.assessment_html(fresh_db, aid, date(2026, 1, 2), with_chart=False)
    assert "<script>" not in document and "<img src=x" not in document and "<b>us</b>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ICS" in document and "&lt;img src=x onerror=alert(1)&gt;" in document
    assert "<strong>Draft:</strong>" in document


def test_pdf_is_tagged_titled_and_holds_the_figures(latest, tmp_path):
    db, aid = latest
    result = store.score(db, aid)
    path = tmp_path / "report.pdf"
    path.write_bytes(reports.pdf_bytes(reports.assessment_html(db, aid, date(2026, 11, 23))))
    assert [a for a in _alt_texts(path.read_bytes()) if a.startswith("Radar chart of domain scores. Weakest domain:")]
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "Title:           Ashby Vale · 2026 Q3: physical activity maturity" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 4
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Ashby Vale" in text and f"Overall score {result.overall:.2f} out of 4: {result.band}" in text
    assert "Radar chart" not in text  # the chart's alt text is not body text; its caption is
    assert "Weakest domain:" in text


def test_comparison_report_names_places_median_and_patterns(demo_path, tmp_path):
    db = store.connect(demo_path)
    document = reports.comparison_html(db, 1, None, date(2026, 11, 23))
    for place in ("Ashby Vale", "Brackenridge", "Castlemoor", "Dunmere", "Eastwick Coast"):
        assert f"<th scope='row' class=nowrap>{place}</th>" in document
    for heading in (
        "Places × domains",
        "Each place against the system median",
        "Weak everywhere: a system-level priority",
    ):
        assert f"<h2>{heading}</h2>" in document
    hidden = reports.comparison_html(db, 1, "2026 Q3", date(2026, 11, 23), anonymise=True)
    assert "Ashby Vale" not in hidden and "<th scope='row' class=nowrap>Place A</th>" in hidden
    path = tmp_path / "compare.pdf"
    path.write_bytes(reports.pdf_bytes(hidden))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info and "595.276 pts (A4)" in info  # landscape: the table fits
    assert "Heatmap of 5 places by 7 domains, coloured by band. The table below gives every value." in _alt_texts(
        path.read_bytes()
    )
    empty = reports.comparison_html(db, 1, "1999 Q1", date(2026, 11, 23))
    assert "No place in this system has a submitted assessment" in empty


def test_the_comparison_report_shows_what_the_page_shows_items_and_the_chosen_roll_up(demo_path):
    db = store.connect(demo_path)
    items = reports.comparison_html(db, 1, None, date(2026, 11, 23), detail="Items", rule="minimum")
    assert "<h2>Places × items</h2>" in items and "<h2>Places × domains</h2>" not in items
    assert "Heatmap of 10 items by 5 places, coloured by band." in items  # 28 items, in parts of 10
    assert "<th scope='row' class=nowrap>Governance</th>" in items  # an item per row, each place's level across
    assert "<h2>Roll-up to the system (minimum), with the place furthest behind</h2>" in items
    assert "<th scope='col' class=number>Minimum</th>" in items
    weighted = reports.comparison_html(db, 1, None, date(2026, 11, 23), rule="population-weighted mean")
    assert "<th scope='col' class=number>Population-weighted mean</th>" in weighted  # every demo place has one
    place_id = int(store.list_places(db, 1)["id"].iloc[0])
    store.set_population(db, "places", place_id, None, ACTOR)
    missing = reports.comparison_html(db, 1, None, date(2026, 11, 23), rule="population-weighted mean")
    roll_up = missing.split("Roll-up to the system (population-weighted mean)", 1)[1]
    assert "Add populations on the Manage page, or choose another rule." in roll_up, "the page's own message"


def test_the_report_shows_workshops_quotes_notes_and_the_parking_lot_escaped(draft):
    from checklist import workshops

    db, aid = draft
    w = workshops.start_workshop(db, aid, ACTOR)
    token = workshops.join(db, w["code"], "lived_experience")["token"]
    workshops.cast_vote(db, token, "governance", 1)
    workshops.record_agreement(db, w["id"], "governance", ACTOR, 1)
    workshops.add_note(db, aid, "quote", "<b>Nobody asked us</b>", ACTOR, item_id="governance")
    workshops.add_note(db, aid, "parking", "Bus routes to the pool", ACTOR)
    removed = workshops.add_note(db, aid, "note", "A note taken back", ACTOR)
    workshops.set_note_deleted(db, removed, True, ACTOR)
    document = reports.assessment_html(db, aid, date(2026, 11, 23), with_chart=False)
    assert "<h2>Workshops and what the room said</h2>" in document
    assert f"Live workshop {w['code']}" in document and "1 taking part, 1 vote, 1 level agreed" in document
    assert "<li>Governance: &lt;b&gt;Nobody asked us&lt;/b&gt;</li>" in document
    assert "<li>Bus routes to the pool</li>" in document
    assert "A note taken back" not in document
    assert f"[Workshop {w['code']}," in document  # the agreed level's evidence line, in the item table


def test_a_report_without_workshops_has_no_workshop_section(latest):
    db, aid = latest
    assert "Workshops and what the room said" not in reports.assessment_html(db, aid, date(2026, 11, 23), False)

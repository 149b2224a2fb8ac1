"""The reports as a board sees them: both PDFs built from the demo, every page rendered to PNG and read.

The PNGs are written to test-artifacts/reports/ (board-report-page-1.png …, comparison-report-page-1.png …)
so a person can look at them. Every date is fixed: nothing here depends on today's date.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, ImageChops

from checklist import analysis, clock, formatting, report_charts, reports, store
from checklist.framework import LEVEL_NAMES, current_framework
from checklist.palette import LEVEL_COLOURS, contrast_ratio
from tests.conftest import ACTOR, FROZEN_AT, ROOT

TODAY = date(2026, 11, 24)
ARTIFACTS = ROOT / "test-artifacts" / "reports"
PAGE_SPLIT = "\f"


def _pdftotext(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def _page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _render(path: Path, name: str) -> list[Path]:
    """Every page of a PDF to test-artifacts/reports/<name>-page-N.png at 60 dpi."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-page-*.png"):
        old.unlink()
    out = []
    for page in range(1, _page_count(path) + 1):
        target = ARTIFACTS / f"{name}-page-{page}"
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(page), "-l", str(page), "-singlefile", str(path),
                        str(target)], check=True)  # fmt: skip
        out.append(target.with_suffix(".png"))
    return out


def _ink(png: Path) -> float:
    """The share of a page's pixels that are not near-white."""
    grey = Image.open(png).convert("L")
    histogram = grey.histogram()
    return sum(histogram[:230]) / (grey.width * grey.height)


def _coloured(png: Path) -> int:
    """How many pixels are clearly coloured (not grey): the spread of their channels is wide."""
    image = Image.open(png).convert("RGB")
    red, green, blue = image.split()
    spread = ImageChops.subtract(ImageChops.lighter(ImageChops.lighter(red, green), blue),
                                 ImageChops.darker(ImageChops.darker(red, green), blue))  # fmt: skip
    return sum(spread.histogram()[61:])


@pytest.fixture(scope="module")
def built(_demo_template, tmp_path_factory):
    """Both reports from a copy of the demo (Ashby Vale's latest submitted round, and the system's places)."""
    folder = tmp_path_factory.mktemp("reports")
    path = folder / "demo.db"
    shutil.copy(_demo_template, path)
    with clock.frozen(FROZEN_AT):
        db = store.connect(path)
        place_id = int(store.list_places(db, 1)["id"].iloc[0])  # Ashby Vale
        rounds = store.list_assessments(db, place_id=place_id, status=store.SUBMITTED)
        aid, previous_id = int(rounds["id"].iloc[-1]), int(rounds["id"].iloc[-2])
        board_html = reports.assessment_html(db, aid, TODAY)
        comparison_html = reports.comparison_html(db, 1, None, TODAY)
        (folder / "board.pdf").write_bytes(reports.pdf_bytes(board_html))
        (folder / "comparison.pdf").write_bytes(reports.pdf_bytes(comparison_html))
        facts = {
            "result": store.score(db, aid),
            "previous": store.score(db, previous_id),
            "projected": store.projected_score(db, aid),
            "actions": store.list_actions(db, aid),
        }
        db.close()
    return {
        "board_html": board_html,
        "comparison_html": comparison_html,
        "board": folder / "board.pdf",
        "comparison": folder / "comparison.pdf",
        **facts,
    }


def test_the_first_page_is_the_executive_summary(built):
    page = _pdftotext(built["board"], 1)
    result, previous, projected = built["result"], built["previous"], built["projected"]
    assert "Ashby Vale" in page and "Round 2026 Q3" in page and "assessed 25 September 2026" in page
    assert "Submitted, not yet signed off" in page and "Director of strategy" not in page  # a note never signs off
    change = result.overall - previous.overall
    assert f"Overall score {formatting.score(result.overall)} out of 4: {result.band}" in page
    assert f"up {formatting.score(change)} since 2025 Q4 ({formatting.score(previous.overall)})" in page
    # The spread of item levels beside the band: a row of levels and a row of counts.
    assert re.search(r"Level\s+" + r"\s+".join(formatting.level(v) for v in range(len(LEVEL_NAMES))), page)
    assert re.search(r"Items\s+" + r"\s+".join(str(n) for n in result.level_counts) + r"\n", page)
    assert "▲ up" in page  # domain arrows carry words too
    assert "Top five gaps to target" in page
    assert "Shared vision" in page and "0 · Not started" in page and "2 · Developing" in page
    open_ = built["actions"][built["actions"]["status"].isin(["not started", "in progress"])]
    overdue = open_[pd.to_datetime(open_["due_date"]).dt.date < TODAY]
    assert f"{len(overdue)} of {len(open_)} open actions are overdue" in page
    assert "15 July 2025" in page  # the longest overdue, its date in words
    assert f"Projected score {formatting.score(projected.overall)} ({projected.band})" in page
    assert "Evidence (notes or links) is recorded for" in page
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page)  # no raw ISO dates


def test_every_page_has_the_footer_with_page_numbers_and_the_round(built):
    for name, label in (("board", "Ashby Vale · 2026 Q3"), ("comparison", "Northmoor and Vale ICS · places compared")):
        total = _page_count(built[name])
        assert total >= 2
        for page in range(1, total + 1):
            text = _pdftotext(built[name], page)
            assert f"Page {page} of {total}" in text, f"{name} page {page}"
            assert label in text, f"{name} page {page}"


def test_every_page_renders_and_none_is_blank(built):
    for name, pdf in (("board-report", built["board"]), ("comparison-report", built["comparison"])):
        pngs = _render(pdf, name)
        assert pngs and all(p.exists() for p in pngs)
        for png in pngs:
            assert _ink(png) > 0.02, f"{png.name} is nearly blank"


def test_the_comparison_heatmap_is_drawn_in_colour_in_the_tables_order(built):
    document = built["comparison_html"]
    images = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", document)
    assert len(images) == 1
    svg = base64.b64decode(images[0]).decode("utf-8")
    for colour in (LEVEL_COLOURS[0], LEVEL_COLOURS[1], LEVEL_COLOURS[2]):  # bands present in the demo
        assert f'fill="{colour}"' in svg
    table_order = re.findall(
        r"<tr><th scope='row'(?: class=nowrap)?>([^<]+)</th>", document.split("<h2>Each place against")[0]
    )
    assert table_order == ["Eastwick Coast", "Ashby Vale", "Dunmere", "Castlemoor", "Brackenridge"]
    drawn = [name for name in re.findall(r'font-weight="bold" fill="#0B0C0C">([^<]+)</text>', svg)
             if name in table_order]  # fmt: skip
    assert drawn == table_order
    caption = "Places × domains: each cell is a place's domain score in its latest submitted round"
    assert f"<figcaption>{html.escape(caption)}" in document
    assert "alt='Heatmap of 5 places by 7 domains" in document
    png = _render(built["comparison"], "comparison-report")[0]
    assert _coloured(png) > 2000  # the heatmap's cells, in colour on the page


@pytest.mark.parametrize("order", ["score", "name"])
def test_the_heatmap_keeps_the_compare_pages_order_anonymised_or_not(demo_path, order):
    db = store.connect(demo_path)
    fw = current_framework()
    levels, _ = analysis.place_levels(db, 1, "2026 Q3")
    mapping = analysis.anonymised(list(analysis.order_rows(analysis.domain_matrix(fw, levels), "score").index))
    expected = list(analysis.order_rows(analysis.domain_matrix(fw, levels.rename(index=mapping)), order).index)
    document = reports.comparison_html(db, 1, "2026 Q3", TODAY, anonymise=True, order=order)
    svg = base64.b64decode(re.findall(r"base64,([A-Za-z0-9+/=]+)", document)[0]).decode("utf-8")
    assert [n for n in re.findall(r">(Place [A-Z])</text>", svg)] == expected
    table = document.split("<h2>Each place against")[0]
    assert re.findall(r"<tr><th scope='row'(?: class=nowrap)?>([^<]+)</th>", table) == expected
    assert ("by name" in document) == (order == "name")


def test_heatmap_cells_are_coloured_by_nearest_band_labelled_and_blank_without_a_score():
    frame = pd.DataFrame({"A domain": [0.99, 2.5, None], "Another": [3.51, 0.5, 4.0]}, index=["P1", "P2", "P3"])
    svg = report_charts.heatmap_svg(frame)
    cells = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="28" fill="(#[0-9A-F]+)"', svg)
    assert cells == [LEVEL_COLOURS[1], LEVEL_COLOURS[4], LEVEL_COLOURS[2], LEVEL_COLOURS[0], "#FFFFFF",
                     LEVEL_COLOURS[4]]  # fmt: skip
    for label in ("0.99", "2.50", "3.51", "0.50", "4.00", "—"):
        assert f">{label}</text>" in svg
    for colour in LEVEL_COLOURS:  # the label's colour is whichever of white and black contrasts more
        ink = report_charts.text_colour(colour)
        other = "#000000" if ink == "#FFFFFF" else "#FFFFFF"
        assert contrast_ratio(ink, colour) >= contrast_ratio(other, colour)
    for value, name in enumerate(LEVEL_NAMES):
        assert f"{value} · {name}" in svg  # the legend


def _boxes(document: str):  # noqa: ANN202
    from weasyprint import HTML

    for number, page in enumerate(HTML(string=document).render().pages, start=1):
        yield number, page._page_box


def test_tables_fit_the_page_and_no_row_is_split_across_pages(built):
    from weasyprint.formatting_structure.boxes import TableRowGroupBox

    for name in ("board_html", "comparison_html"):
        assert "tr { break-inside: avoid;" in built[name] and "thead { display: table-header-group; }" in built[name]
        seen: dict[int, int] = {}
        for number, page_box in _boxes(built[name]):
            right = page_box.content_box_x() + page_box.width + 0.5
            for box in page_box.descendants():
                if box.element_tag in ("table", "img", "figure"):
                    assert box.position_x + box.margin_width() <= right, f"{name}: a {box.element_tag} on page {number}"
                if isinstance(box, TableRowGroupBox) and not box.is_header:
                    for row in box.children:
                        first = seen.setdefault(id(row.element), number)
                        assert first == number, f"{name}: a row split across pages {first} and {number}"


def test_a_first_round_without_targets_says_so_and_lists_not_applicable_reasons(draft):
    db, aid = draft
    store.save_response(db, aid, "governance", ACTOR, level=2)
    store.save_response(db, aid, "shared-vision", ACTOR, level=1, evidence="Minutes of the March board")
    store.save_response(db, aid, "referrals", ACTOR, answer="not_applicable", na_reason="No <referral> route here")
    document = reports.assessment_html(db, aid, TODAY)
    assert "This is the first submitted round for this unit, so there is no earlier score to compare with." in document
    assert "<strong>Draft:</strong> these figures are provisional" in document
    assert "data-footer='Test Place · 2026 Q1 (draft) · physical activity maturity'" in document
    assert "No targets have been set for this round, so there are no gaps to show." in document
    caption = re.search(r"<figcaption>([^<]*solid blue[^<]*)</figcaption>", document).group(1)
    assert "previous" not in caption and "target" not in caption
    assert "Change since" not in document  # no change column in a first round, and no target column without targets
    assert "<th scope='col'>Projected</th></tr>" in document
    assert "<th scope='col'>Band</th><th scope='col'>Answered</th>" in document
    assert "<h2>Items not applicable</h2>" in document and "No &lt;referral&gt; route here" in document
    assert "Evidence (notes or links) is recorded for 1 of the 3 answered items (33%)" in document
    assert "Not applicable: 1 item." in document
    for internal in ("level_name", "dont_know", "not_applicable", "signed_off_by", "na_reason"):
        assert internal not in document.replace("answer=", "")
    assert not re.search(r">\d{4}-\d{2}-\d{2}<", document) and "31 March 2026" in document


def test_a_draft_shows_falls_and_domains_without_a_score_in_words(demo_path):
    db = store.connect(demo_path)
    place_id = int(store.list_places(db, 1)["id"].iloc[0])  # Ashby Vale; its 2026 Q4 round is a draft
    aid = int(store.list_assessments(db, place_id=place_id, status=store.DRAFT)["id"].iloc[-1])
    document = reports.assessment_html(db, aid, TODAY, with_chart=False)
    assert "<strong>Draft:</strong> these figures are provisional" in document
    assert "since 2026 Q3" in document and "<td>▼ down 1.00</td>" in document and "<td>▶ no change</td>" in document
    assert "<td>– no score now</td>" in document  # the workforce module is not answered yet in the draft
    assert "data-footer='Ashby Vale · 2026 Q4 (draft) · physical activity maturity'" in document

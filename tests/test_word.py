"""The board report in Word: the PDF's content as a real Word document (headings, tables with repeated header rows,
lists, the chart as a picture with alt text), read back with python-docx and opened by LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date

import docx
import pytest
from docx.oxml.ns import qn

from checklist import reports, store
from checklist.cli import main
from tests.conftest import ACTOR

TODAY = date(2026, 11, 23)
HOSTILE = '<b>bold?</b> =HYPERLINK("http://x") & more'


@pytest.fixture
def report_round(demo_path):
    """A submitted demo round, with hostile evidence text on its first item."""
    db = store.connect(demo_path)
    aid = int(store.list_assessments(db, status=store.SUBMITTED)["id"].iloc[0])
    store.reopen_assessment(db, aid, ACTOR, "to add evidence")
    store.save_response(db, aid, "governance", ACTOR, evidence=HOSTILE)
    store.submit_assessment(db, aid, ACTOR)
    return db, aid


def _document(db, aid, tmp_path) -> docx.document.Document:  # noqa: ANN001
    path = tmp_path / "report.docx"
    path.write_bytes(reports.file_bytes(reports.assessment_html(db, aid, TODAY), "docx"))
    return docx.Document(str(path))


def test_the_word_report_has_the_pdfs_content_as_real_headings_tables_and_lists(report_round, tmp_path):
    db, aid = report_round
    document = _document(db, aid, tmp_path)
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    names = [text for _, text in headings]
    for wanted in ("Domain scores", "Strengths and priorities", "Every item", "Items not applicable", "Action plan",
                   "About this assessment", "Method"):  # fmt: skip
        assert wanted in names, wanted
    assert ("Heading 2", "Domain scores") in headings and ("Heading 3", "Strengths") in headings
    unit = store.get_assessment(db, aid)["unit_name"]
    assert headings[0] == ("Heading 1", unit)
    # Every table's first row is a header Word repeats on each page.
    assert document.tables
    for table in document.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
    # Lists stay lists; the text typed is shown as typed, never as formatting or a formula.
    assert any(p.style.name == "List Bullet" for p in document.paragraphs)
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert HOSTILE in cells
    # The document says it is British English and what it is.
    assert document.core_properties.title.startswith(unit)
    lang = document.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang is not None and lang.get(qn("w:val")) == "en-GB"


def test_the_chart_is_a_picture_with_its_alt_text(report_round, tmp_path):
    db, aid = report_round
    document = _document(db, aid, tmp_path)
    assert len(document.inline_shapes) == 1
    described = document.inline_shapes[0]._inline.docPr.get("descr")
    assert described.startswith("Radar chart of domain scores.")


def test_libreoffice_opens_the_word_report(report_round, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed; .ci/run installs Debian's libreoffice-writer-nogui")
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-writer-nogui)")
    db, aid = report_round
    path = tmp_path / "report.docx"
    path.write_bytes(reports.file_bytes(reports.assessment_html(db, aid, TODAY), "docx"))
    profile = tmp_path / "profile"  # its own settings folder: never the user's, never shared between runs
    done = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path), str(path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0 and (tmp_path / "report.pdf").exists(), done.stdout + done.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True).stdout
    unit = store.get_assessment(db, aid)["unit_name"]
    assert unit in text and "Domain scores" in text and "Action plan" in text


def test_the_command_line_writes_the_word_report(report_round, demo_path, tmp_path, capsys):
    _, aid = report_round
    out = tmp_path / "board.docx"
    command = ["report", "--db", str(demo_path), "--assessment", str(aid), "--format", "docx", "--out", str(out)]
    assert main(command) == 0
    assert f"report written to {out}" in capsys.readouterr().out
    assert "Every item" in [p.text for p in docx.Document(str(out)).paragraphs]

"""The board report in Word: the same HTML the PDF is printed from, written as a real Word document.

Headings stay Word headings (so the navigation pane and a screen reader can follow them), tables get a header
row that repeats on every page, lists stay lists, and the radar chart becomes a picture with its alt text (the
table of the same figures follows it). A board secretary can then edit the paper as any other.

Building from the report's own HTML keeps the two formats the same content: one place says what the report
holds (reports.assessment_html), this module only says how Word shows it.
"""

from __future__ import annotations

import base64
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from lxml import html as lxml_html

LANGUAGE = "en-GB"
PICTURE_WIDTH = Cm(15)
CONTAINERS = {"body", "section", "div", "main", "article", "header", "footer"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
SVG_PREFIX = "data:image/svg+xml;base64,"


def _svg_png(svg: bytes) -> bytes | None:
    """An SVG drawn as a PNG (through WeasyPrint's PDF and PDFium), or None when it cannot be drawn here."""
    try:
        import pypdfium2 as pdfium
        from weasyprint import HTML

        page_css = "@page { size: 640px 480px; margin: 0 } body { margin: 0 } img { width: 640px; height: 480px }"
        source = base64.b64encode(svg).decode("ascii")
        pdf = HTML(string=f"<html><head><style>{page_css}</style></head><body><img src='{SVG_PREFIX}{source}'>"
                   "</body></html>").write_pdf()  # fmt: skip
        document = pdfium.PdfDocument(pdf)
        try:
            image = document[0].render(scale=2).to_pil()
        finally:
            document.close()
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()
    except Exception:  # noqa: BLE001 - a chart that cannot be drawn leaves its alt text and the table beside it
        return None


def _inline(paragraph: Paragraph, element, bold: bool = False, italic: bool = False) -> None:  # noqa: ANN001
    """An element's text and inline children as runs: <strong>/<b> bold, <em>/<i> italic, <br> a line break."""
    if element.text:
        run = paragraph.add_run(element.text)
        run.bold, run.italic = bold or None, italic or None
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            paragraph.add_run().add_break()
        else:
            _inline(paragraph, child, bold or tag in ("strong", "b", "th"), italic or tag in ("em", "i"))
        if child.tail:
            run = paragraph.add_run(child.tail)
            run.bold, run.italic = bold or None, italic or None


def _repeat_header(row) -> None:  # noqa: ANN001
    """Mark a table row as the header Word repeats at the top of each page (and announces as headers)."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _table(document, element) -> None:  # noqa: ANN001
    rows = element.xpath("./thead/tr|./tbody/tr|./tr")
    if not rows:
        return
    width = max(len(r.xpath("./th|./td")) for r in rows)
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for tr in rows:
        cells = tr.xpath("./th|./td")
        row = table.add_row()
        if tr.getparent().tag == "thead":
            _repeat_header(row)
        for index, cell in enumerate(cells):
            paragraph = row.cells[index].paragraphs[0]
            _inline(paragraph, cell, bold=cell.tag == "th")
    document.add_paragraph()


def _figure(document, element) -> None:  # noqa: ANN001
    image = element.find(".//img")
    caption = element.find(".//figcaption")
    alt = image.get("alt", "") if image is not None else ""
    source = image.get("src", "") if image is not None else ""
    png = _svg_png(base64.b64decode(source[len(SVG_PREFIX) :])) if source.startswith(SVG_PREFIX) else None
    if png is not None:
        document.add_picture(io.BytesIO(png), width=PICTURE_WIDTH)
        picture = document.inline_shapes[-1]._inline.docPr
        picture.set("descr", alt)  # the picture's alt text, as Word's "Describe this picture" holds it
        picture.set("title", (caption.text_content() if caption is not None else "Chart")[:200])
    elif alt:
        document.add_paragraph(f"Chart: {alt}")
    if caption is not None:
        document.add_paragraph(caption.text_content(), style="Caption")


def _blocks(document, element) -> None:  # noqa: ANN001
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in CONTAINERS:
            _blocks(document, child)
        elif tag in HEADINGS:
            document.add_heading(child.text_content().strip(), level=HEADINGS[tag])
        elif tag == "p":
            _inline(document.add_paragraph(), child)
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            for item in child.xpath("./li"):
                _inline(document.add_paragraph(style=style), item)
        elif tag == "table":
            _table(document, child)
        elif tag == "figure":
            _figure(document, child)
        elif tag and child.text_content().strip():
            _inline(document.add_paragraph(), child)


def _language(document) -> None:  # noqa: ANN001
    """British English for spelling and for a screen reader's voice, on every style that inherits Normal."""
    properties = document.styles["Normal"].element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), LANGUAGE)
    properties.append(lang)


def docx_bytes(document_html: str) -> bytes:
    """The report's HTML (reports.assessment_html) as a .docx file's bytes."""
    page = lxml_html.document_fromstring(document_html)
    document = Document()
    _language(document)
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(11)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.left_margin = section.right_margin = Cm(2)
    title = page.findtext(".//title") or "Board report"
    document.core_properties.title = title
    document.core_properties.language = LANGUAGE
    body = page.find(".//body")
    footer = body.get("data-footer") if body is not None else None
    if footer:
        section.footer.paragraphs[0].text = footer
    if body is not None:
        _blocks(document, body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

"""Board-ready report for one assessment: a self-contained HTML file and an accessible (tagged) PDF.

Every piece of user text is HTML-escaped. The domain chart is embedded as SVG with alt text and a
caption, and its data is always also given as a table; when no browser is available to draw the
chart, the table stands alone.
"""

from __future__ import annotations

import base64
import html
from datetime import date

import sqlite_utils

from checklist import analysis, charts, summary
from checklist.framework import LEVEL_NAMES

CSS = """
@page { size: A4; margin: 18mm 16mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 9pt; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #0B0C0C; font-size: 10.5pt; line-height: 1.4; }
h1 { font-size: 22pt; margin: 0 0 6pt; } h2 { font-size: 15pt; margin: 18pt 0 6pt; border-bottom: 2px solid #1F5F99; }
.title-page { page-break-after: always; } .meta { color: #333; } .headline { font-size: 14pt; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; } th, td { border: 1px solid #999; padding: 3pt 5pt;
text-align: left; vertical-align: top; } th { background: #E8EEF5; }
figure { margin: 8pt 0; } figcaption { font-size: 9pt; }
img { max-width: 100%; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _score(value: float | None) -> str:
    return "no score" if value is None else f"{value:.2f}"


def _radar_svg(domains) -> str | None:  # noqa: ANN001
    """The domain radar as SVG, drawn without a browser (the table beside it carries the same data)."""
    return charts.radar_svg(domains)


def _workshop_section(db: sqlite_utils.Database, assessment_id: int, fw) -> list[str]:  # noqa: ANN001
    """Workshops held on this assessment, and what the room said: notes and quotes per item, the parking lot."""
    from checklist import workshops

    held = workshops.list_workshops(db, assessment_id)
    notes = workshops.list_notes(db, assessment_id)
    if held.empty and notes.empty:
        return []
    parts = ["<h2>Workshops and what the room said</h2>"]
    if not held.empty:
        parts.append("<ul>")
        for row in held.iloc[::-1].itertuples():
            kind = "Live workshop" if row.mode == workshops.LIVE else "Answers collected beforehand"
            parts.append(
                f"<li>{kind} {_e(row.code)}, {_e(row.created_at[:10])}: {row.participants} taking part, "
                f"{summary.plural(row.votes, 'vote')}, {summary.plural(row.agreed, 'level')} agreed.</li>"
            )
        parts.append("</ul><p>Each agreed level is in the item's evidence above, with the votes behind it.</p>")
    titles = {i.id: i.title for i in fw.items}
    for kind, heading in (("quote", "Quotes"), ("note", "Notes"), ("parking", "Parking lot")):
        rows = notes[notes["kind"] == kind] if not notes.empty else notes
        if rows.empty:
            continue
        parts.append(f"<p><strong>{heading}</strong></p><ul>")
        for row in rows.itertuples():
            about = f"{_e(titles.get(row.item_id, row.item_id))}: " if isinstance(row.item_id, str) else ""
            parts.append(f"<li>{about}{_e(row.text)}</li>")
        parts.append("</ul>")
    return parts


def assessment_html(db: sqlite_utils.Database, assessment_id: int, today: date, with_chart: bool = True) -> str:
    """The whole report as one HTML document (inline CSS and images, nothing fetched)."""
    from checklist import store

    a = store.get_assessment(db, assessment_id)
    current, previous, change = analysis.rounds_around(db, assessment_id)
    fw, result = current.framework, current.result
    domains = analysis.domain_table(current, previous)
    items = analysis.item_table(current, previous)
    unit = a["unit_name"]

    parts = [
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<title>{_e(unit)} · {_e(a['round_label'])}: physical activity maturity</title>"
        f"<style>{CSS}</style></head><body>"
    ]
    parts.append(
        f"<section class='title-page'><h1>{_e(unit)}</h1><p class='headline'>Supporting disabled people into physical "
        f"activity: maturity self-assessment, round {_e(a['round_label'])}</p>"
        f"<p class='meta'>System: {_e(a['system_name'])}<br>Assessment date: {_e(a['assessment_date'])}<br>"
        f"Status: {_e(a['status'])}<br>Who took part: {_e(a['participants'] or 'not recorded')}<br>"
        f"Signed off by: {_e(a['signed_off_by'] or 'not yet')}<br>Framework version {_e(fw.version)} · report made "
        f"{today.isoformat()}</p></section>"
    )
    delta = change.overall.delta if change else None
    moved = (
        ""
        if delta is None
        else f"; {'up' if delta > 0 else 'down' if delta < 0 else 'no change'} "
        f"{abs(delta):.2f} since {_e(previous.label)}"
    )
    parts.append(
        f"<h2>Headline</h2><p class='headline'>Overall score <strong>{_score(result.overall)}</strong> out of 4: "
        f"<strong>{_e(result.band or 'no score yet')}</strong>{moved}.</p>"
        f'<p>{result.answered} of {result.total} items answered; {result.dont_know} answered "don\'t know".</p>'
    )
    if a["status"] != store.SUBMITTED:
        parts.append("<p><strong>Draft:</strong> these figures are provisional.</p>")
    if change and change.wording_changed:
        reworded = ", ".join(_e(fw.item(i).title) for i in change.wording_changed)
        parts.append(
            f"<p><strong>Framework wording changed</strong> between {_e(previous.label)} (version "
            f"{_e(previous.framework.version)}) and this round (version {_e(fw.version)}) for: {reworded}. Their "
            "change may reflect the new wording rather than new practice.</p>"
        )
    scored = domains.dropna(subset=["current"])
    summary_text = "No domain has a score yet."
    if not scored.empty:
        low, high = scored.loc[scored["current"].idxmin()], scored.loc[scored["current"].idxmax()]
        summary_text = (
            f"Weakest domain: {low['domain']} ({_score(low['current'])}). "
            f"Strongest: {high['domain']} ({_score(high['current'])})."
        )
    parts.append("<h2>Domain scores</h2>")
    svg = _radar_svg(domains) if with_chart and not scored.empty else None
    if svg:
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        parts.append(
            f"<figure><img src='data:image/svg+xml;base64,{data}' alt='Radar chart of domain scores. "
            f"{_e(summary_text)} The table below gives every value.'><figcaption>{_e(summary_text)} "
            "Solid: this round; dashed: previous round; dotted: targets.</figcaption></figure>"
        )
    else:
        parts.append(f"<p>{_e(summary_text)}</p>")
    parts.append(
        "<table><thead><tr><th scope='col'>Domain</th><th scope='col'>Score</th><th scope='col'>Band</th>"
        "<th scope='col'>Previous round</th><th scope='col'>Target (mean)</th></tr></thead><tbody>"
    )
    for row in domains.itertuples():
        band = LEVEL_NAMES[min(4, int(row.current))] if row.current == row.current and row.current is not None else "—"
        parts.append(
            f"<tr><td>{_e(row.domain)}</td><td>{_score(row.current if row.current == row.current else None)}"
            f"</td><td>{_e(band)}</td><td>{_score(row.previous if row.previous == row.previous else None)}</td>"
            f"<td>{_score(row.target if row.target == row.target else None)}</td></tr>"
        )
    parts.append("</tbody></table>")

    parts.append("<h2>Strengths and priorities</h2><p><strong>Strengths</strong></p><ul>")
    parts += [f"<li>{_e(h.title)} ({_e(h.domain)}): {_e(h.why)}</li>" for h in summary.strengths(fw, result)]
    parts.append("</ul><p><strong>Priorities</strong></p><ul>")
    for h in summary.priorities(fw, result):
        parts.append(
            f"<li>{_e(h.title)} ({_e(h.domain)}): {_e(h.why)}. What works: {_e(fw.item(h.item_id).learn_from)}</li>"
        )
    parts.append("</ul>")

    parts.append(
        "<h2>Every item</h2><table><thead><tr><th scope='col'>Domain</th><th scope='col'>Item</th>"
        "<th scope='col'>Level</th><th scope='col'>Target</th><th scope='col'>Evidence</th></tr></thead><tbody>"
    )
    for row in items.itertuples():
        saved = current.responses.get(row.item_id) or {}
        level = (
            f"{int(row.level)} · {row.level_name}"
            if row.level == row.level and row.level is not None
            else row.level_name
        )
        target = (
            ""
            if row.target is None or row.target != row.target
            else f"{int(row.target)} · {LEVEL_NAMES[int(row.target)]}"
        )
        parts.append(
            f"<tr><td>{_e(row.domain)}</td><td>{_e(row.item)}</td><td>{_e(level)}</td><td>{_e(target)}</td>"
            f"<td>{_e(saved.get('evidence') or '')}</td></tr>"
        )
    parts.append("</tbody></table>")

    plan = analysis.action_plan(db, current, today)
    parts.append("<h2>Action plan</h2>")
    if plan.empty:
        parts.append("<p>No actions recorded.</p>")
    else:
        parts.append(
            "<table><thead><tr><th scope='col'>Item</th><th scope='col'>Action</th><th scope='col'>Owner</th>"
            "<th scope='col'>Due</th><th scope='col'>Status</th></tr></thead><tbody>"
        )
        for row in plan.itertuples():
            overdue = " (overdue)" if row.overdue else ""
            parts.append(
                f"<tr><td>{_e(row.item)}</td><td>{_e(row.action)}</td><td>{_e(row.owner)}</td>"
                f"<td>{_e(row.due)}{overdue}</td><td>{_e(row.status)}</td></tr>"
            )
        parts.append("</tbody></table>")

    parts += _workshop_section(db, assessment_id, fw)

    parts.append(
        "<h2>Method</h2><p>Each item is rated on five levels: "
        + "; ".join(f"{lv.value} {_e(lv.name)} ({_e(lv.summary)})" for lv in fw.levels)
        + '. "Don\'t know" and "not applicable" answers, and unanswered items, are left out of every average, never '
        "counted as 0. A domain's score is the mean level of its scored items; the overall score is the mean of the "
        "domain scores; a band is the level a score is nearest to (an exact half goes to the lower level).</p>"
        f"<p>The framework builds on the checklist in {_e(fw.source.citation)}, written in our own words.</p>"
        "</body></html>"
    )
    return "".join(parts)


def pdf_bytes(document: str) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, title and language from the HTML)."""
    from weasyprint import HTML

    return HTML(string=document).write_pdf(pdf_variant="pdf/ua-1")


def _table(frame, index_label: str) -> str:  # noqa: ANN001
    """A DataFrame as an accessible HTML table (scoped headers), every cell escaped; floats to 2 places."""
    head = "".join(f"<th scope='col'>{_e(c)}</th>" for c in [index_label, *frame.columns])
    rows = []
    for index, row in frame.iterrows():
        cells = "".join(
            f"<td>{'—' if v is None or v != v else (f'{v:.2f}' if isinstance(v, float) else _e(v))}</td>" for v in row
        )
        rows.append(f"<tr><th scope='row'>{_e(index)}</th>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def comparison_html(
    db: sqlite_utils.Database, system_id: int, round_label: str | None, today: date, anonymise: bool = False
) -> str:
    """A commissioner's report: a system's places side by side for one round (or each place's latest)."""
    from checklist import store
    from checklist.framework import current_framework

    fw = current_framework()
    system = store.get_system(db, system_id)
    levels, facts = analysis.place_levels(db, system_id, round_label)
    which = f"round {round_label}" if round_label else "the latest submitted round of each place"
    parts = [
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>{_e(system['name'])}: places "
        f"compared</title><style>{CSS} @page {{ size: A4 landscape; }} table {{ font-size: 9pt; }}</style></head>"
        f"<body><h1>{_e(system['name'])}: places compared</h1>"
        f"<p class='meta'>Submitted assessments only, for {_e(which)} · report made {today.isoformat()}</p>"
    ]
    if levels.empty:
        parts.append("<p>No place in this system has a submitted assessment for this choice yet.</p></body></html>")
        return "".join(parts)
    if anonymise:
        mapping = analysis.anonymised(list(analysis.order_rows(analysis.domain_matrix(fw, levels), "score").index))
        levels, facts = levels.rename(index=mapping), facts.rename(index=mapping)
    domains = analysis.order_rows(analysis.domain_matrix(fw, levels), "score")
    versions, reworded = analysis.reworded_across(facts)
    if len(versions) > 1:
        parts.append(
            f"<p><strong>Framework versions {_e(', '.join(versions))}</strong> were used by these rounds. The wording "
            f"of these items differs between them, so compare them with care: {_e(', '.join(reworded))}.</p>"
        )
    parts.append("<h2>Places × domains</h2><p>Each place's domain scores (0 Not started to 4 Thriving).</p>")
    parts.append(_table(domains, "Place"))
    if len(domains) > 1:
        against = analysis.against_median(domains)
        parts.append("<h2>Each place against the system median</h2>")
        parts.append(_table(against, "Place"))
        rolled = analysis.rollup(domains, "median")
        parts.append("<h2>Roll-up to the system (median), with the place furthest behind</h2>")
        parts.append(_table(rolled.set_index("domain"), "Domain"))
    spread = analysis.item_spread(fw, levels)
    for pattern, heading in (
        ("weak everywhere", "Weak everywhere: a system-level priority"),
        ("varies between places", "Varies between places: learning to share"),
    ):
        names = spread[spread["pattern"] == pattern]["item"].tolist()
        parts.append(f"<h2>{heading}</h2><p>{_e(', '.join(names) or 'None')}</p>")
    parts.append(
        f"<h2>Method</h2><p>Domain scores are the mean level of each domain's scored items. Weak everywhere: "
        f"the median place is at Emerging or below; varies: places span {analysis.VARIES_SPAN} levels or more. "
        f"The framework builds on the checklist in {_e(fw.source.citation)}.</p></body></html>"
    )
    return "".join(parts)

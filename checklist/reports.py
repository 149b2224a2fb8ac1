"""Board-ready reports: one assessment (the board report) and a system's places side by side (the
comparison report), each a self-contained HTML file that renders as an accessible (tagged) PDF.

The board report's first page is the executive summary a board reads: score, band and trend, the
spread of item levels, domains with their change, the largest gaps to target, evidence coverage,
overdue actions and the projected score. Every number, level and date is written by
checklist.formatting. Every piece of user text is HTML-escaped. Charts are SVG drawn without a
browser, embedded with alt text and a caption that says what is drawn, and their data is always
also given as a table.
"""

from __future__ import annotations

import base64
import html
from datetime import date

import pandas as pd
import sqlite_utils

from checklist import analysis, charts, evidence_files, formatting, report_charts, summary
from checklist.palette import LEVEL_COLOURS
from checklist.scoring import NOT_APPLICABLE, AssessmentScore, band

FOOTER_FONT = '"DejaVu Sans", Arial, sans-serif'
CSS = f"""
@page {{ size: A4; margin: 13mm 15mm 18mm;
        @bottom-left {{ content: string(footer); font-family: {FOOTER_FONT}; font-size: 8.5pt; color: #333; }}
        @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-family: {FOOTER_FONT};
                        font-size: 8.5pt; color: #333; }} }}
body {{ font-family: "DejaVu Sans", Arial, sans-serif; color: #0B0C0C; font-size: 10pt; line-height: 1.35; }}
h1 {{ font-size: 19pt; margin: 0 0 2pt; line-height: 1.15; }}
h2 {{ font-size: 13pt; margin: 14pt 0 4pt; border-bottom: 2px solid #1F5F99; break-after: avoid; }}
h3 {{ font-size: 11pt; margin: 8pt 0 3pt; break-after: avoid; }}
p {{ margin: 3pt 0 5pt; }} ul {{ margin: 3pt 0 6pt; padding-left: 16pt; }}
.subtitle {{ font-size: 12pt; margin: 0 0 4pt; }} .meta {{ color: #333; margin: 0; }}
.headline {{ font-size: 13pt; margin: 4pt 0; }} .note {{ font-size: 8.5pt; color: #333; }}
.draft {{ border-left: 4px solid #B2182B; padding: 2pt 6pt; background: #FBEFF0; }}
.summary {{ break-after: page; }} .summary h2 {{ margin-top: 8pt; }} .summary .meta {{ font-size: 9pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 4pt 0 6pt; table-layout: fixed; }}
thead {{ display: table-header-group; }} tr {{ break-inside: avoid; page-break-inside: avoid; }}
th, td {{ border: 1px solid #999; padding: 2.5pt 4pt; text-align: left; vertical-align: top;
         overflow-wrap: break-word; word-wrap: break-word; }}
th {{ background: #E8EEF5; }} thead th {{ overflow-wrap: normal; }} tbody th {{ background: #F3F6FA; }}
td.number, th.number {{ text-align: right; }}
table tr.total td, table tr.total th {{ font-weight: bold; border-top: 2px solid #0B0C0C; }}
.compact {{ font-size: 8.8pt; }} .compact th, .compact td {{ padding: 1.5pt 4pt; }}
.compact tbody th {{ font-weight: normal; }}
figure {{ margin: 6pt 0; break-inside: avoid; }} table.keep {{ break-inside: avoid; }}
figcaption {{ font-size: 8.8pt; margin-top: 2pt; }}
img {{ max-width: 100%; }} body {{ string-set: footer attr(data-footer); }}
th.nowrap {{ white-space: nowrap; }}
"""
ARROWS = {"up": "▲", "down": "▼", "no change": "▶"}
TOP_GAPS = 5
OVERDUE_ON_SUMMARY = 5
KEEP_WHOLE_ROWS = 20  # a comparison table this short is never split across pages


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _value(value: object) -> float | None:
    """A number from a DataFrame cell, None for a blank (None or NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)  # type: ignore[arg-type]


def _svg_image(svg: str, alt: str, caption: str, width: str = "100%") -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f"<figure><img src='data:image/svg+xml;base64,{data}' style='width: {width}' alt='{_e(alt)}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _body(footer: str) -> str:
    """The body tag, carrying the running footer's text (unit and round) for every page's footer."""
    return f"<body data-footer='{_e(footer)}'>"


def _radar_svg(domains) -> str | None:  # noqa: ANN001
    """The domain radar as SVG, drawn without a browser (the table beside it carries the same data)."""
    return charts.radar_svg(domains)


def _change(before: float | None, after: float | None) -> str:
    """An arrow and the words for a change of score: '▲ up 0.50'."""
    if after is None:
        return "– no score now"
    if before is None:
        return "– no earlier score"
    delta = after - before
    if abs(delta) < 0.005:
        return f"{ARROWS['no change']} no change"
    way = "up" if delta > 0 else "down"
    return f"{ARROWS[way]} {way} {formatting.score(abs(delta))}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _status_line(a: dict, store) -> str:  # noqa: ANN001
    if a["status"] == store.SUBMITTED:
        # Only a reviewer's recorded sign-off counts; a note at submission never reads as one.
        if a.get("signed_off_at"):
            return f"Submitted, signed off by {_e(a['signed_off_by'])} on {formatting.day(a['signed_off_at'])}"
        return "Submitted, not yet signed off"
    return "Draft"


def _named(h) -> str:  # noqa: ANN001
    """An item named once when its domain has the same title ('Workforce diversity', not twice)."""
    return _e(h.title) if h.title.casefold() == h.domain.casefold() else f"{_e(h.title)} ({_e(h.domain)})"


def _items(n: int) -> str:
    return "none" if n == 0 else summary.plural(n, "item")


def _spread_table(result: AssessmentScore) -> str:
    """How many items sit at each level: the spread behind the band. Level headings are coloured by level and
    labelled, so colour is not the only cue."""
    heads = "".join(
        f"<th scope='col' style='background: {colour}; color: {report_charts.text_colour(colour)}'>"
        f"{_e(formatting.level(level))}</th>"
        for level, colour in enumerate(LEVEL_COLOURS)
    )
    counts = "".join(f"<td class='number'>{formatting.count(n)}</td>" for n in result.level_counts)
    return (
        "<table class='compact spread'><colgroup><col style='width: 15%'>"
        + "<col style='width: 17%'>" * len(LEVEL_COLOURS)
        + f"</colgroup><thead><tr><th scope='col'>Level</th>{heads}</tr></thead>"
        f"<tbody><tr><th scope='row'>Items</th>{counts}</tr></tbody></table>"
    )


def _executive_summary(
    db: sqlite_utils.Database,
    a: dict,
    current: analysis.Round,
    previous: analysis.Round | None,
    change,  # noqa: ANN001
    projected: AssessmentScore,
    plan: pd.DataFrame,
    today: date,
    with_chart: bool,
) -> list[str]:
    from checklist import store

    result = current.result
    unit = a["unit_name"]
    parts = [
        "<section class='summary'>",
        f"<h1>{_e(unit)}</h1>",
        f"<p class='subtitle'>Round {_e(a['round_label'])} · physical activity maturity self-assessment</p>",
        f"<p class='meta'>{_e(a['system_name'])} · assessed {formatting.day(a['assessment_date'])} · "
        f"{_status_line(a, store)} · report made {formatting.day(today)}</p>",
    ]
    if a["status"] != store.SUBMITTED:
        parts.append(
            "<p class='draft'><strong>Draft:</strong> these figures are provisional. They may change "
            "until the round is submitted.</p>"
        )

    # Headline: score, band, trend, spread, projection.
    delta = change.overall.delta if change else None
    if previous is None:
        trend = " This is the first submitted round for this unit, so there is no earlier score to compare with."
    elif delta is None:
        trend = f" The previous submitted round, {_e(previous.label)}, has no overall score to compare with."
    else:
        moved = "no change" if abs(delta) < 0.005 else f"{'up' if delta > 0 else 'down'} {formatting.score(abs(delta))}"
        trend = f"; {moved} since {_e(previous.label)} ({formatting.score(previous.result.overall)})."
    parts.append("<h2>Headline</h2>")
    if result.overall is None:
        parts.append("<p class='headline'>Overall score: <strong>no score yet</strong> (no item has a level).</p>")
    else:
        ending = trend if trend.startswith(";") else "." + trend
        parts.append(
            f"<p class='headline'>Overall score <strong>{formatting.score(result.overall)}</strong> out of 4: "
            f"<strong>{_e(result.band)}</strong>{ending}</p>"
        )
    parts.append(_spread_table(result))
    if projected.overall is not None and result.overall is not None:
        if projected.overall - result.overall >= 0.005:
            parts.append(
                f"<p><strong>Projected score {formatting.score(projected.overall)}</strong> "
                f"({_e(projected.band)}) if every open action reaches the level it aims for.</p>"
            )
        else:
            parts.append(
                f"<p><strong>Projected score {formatting.score(projected.overall)}</strong>: no open action aims "
                "above an item's current level, so meeting them would not change the score.</p>"
            )

    # Domains: now, change, projected, target.
    domains = analysis.domain_table(current, previous)
    has_targets = domains["target"].notna().any()
    heads = ["Domain", "Score now", "Band"]
    widths = [40, 9, 13]
    if previous is not None:
        heads.append(f"Change since {previous.label}")
        widths.append(15)
    heads.append("Projected")
    widths.append(12)
    if has_targets:
        heads.append("Target")
        widths.append(11)
    shown = ["score now", *(["change"] if previous is not None else []), "projected"]
    shown += ["target"] if has_targets else []
    parts.append(f"<h2>Domains: {', '.join(shown[:-1])} and {shown[-1]}</h2>")
    parts.append(_table_open(heads, widths, compact=True))
    projected_by = {d.domain_id: d.score for d in projected.domains}
    changes = {c.key: c for c in change.domains} if change else {}
    targets: list[float] = []
    for d, row in zip(result.domains, domains.itertuples(), strict=True):
        target = _value(row.target)
        if target is not None:
            targets.append(target)
        cells = [formatting.score(d.score), _e(d.band or "No score")]
        if previous is not None:
            moved = changes.get(d.domain_id)
            cells.append(_change(moved.before if moved else None, d.score))
        cells.append(formatting.score(projected_by.get(d.domain_id)))
        if has_targets:
            cells.append(formatting.score(target))
        parts.append(_row(_e(row.domain), cells))
    cells = [formatting.score(result.overall), _e(result.band or "No score")]
    if previous is not None:
        cells.append(_change(previous.result.overall, result.overall))
    cells.append(formatting.score(projected.overall))
    if has_targets:
        cells.append(formatting.score(_mean(targets)))
    parts.append(_row("Overall", cells, total=True))
    parts.append("</tbody></table>")
    notes = ["Projected: if every open action reached the level it aims for."]
    if has_targets:
        unset = len(result.domains) - len(targets)
        notes.append(
            "Target: the mean of the item targets set in each domain; overall, the mean of the domain targets"
            + (f" of the {len(targets)} domains that have one ({unset} have none, and count for nothing)." if unset
               else ".")
        )  # fmt: skip
    parts.append(f"<p class='note'>{' '.join(notes)}</p>")

    # Top gaps to target.
    items = analysis.item_table(current, previous)
    parts.append(f"<h2>Top {'five' if TOP_GAPS == 5 else TOP_GAPS} gaps to target</h2>")
    if items["target"].isna().all():
        parts.append("<p>No targets have been set for this round, so there are no gaps to show.</p>")
    else:
        # analysis.gaps_to_target's order (largest gap, then lowest level), with the level kept as a number.
        below = items[items["gap"].fillna(0) > 0]
        gaps = below.sort_values(["gap", "level"], ascending=[False, True], kind="stable").head(TOP_GAPS)
        if gaps.empty:
            parts.append("<p>Every item with a target and a level has reached its target.</p>")
        else:
            if len(gaps) < TOP_GAPS:
                parts.append(f"<p>Only {summary.plural(len(gaps), 'item')} below target.</p>")
            parts.append(_table_open(["Item", "Level now", "Target", "Gap"], [46, 20, 20, 14], compact=True))
            for g in gaps.itertuples():
                cells = [
                    _e(formatting.level(g.level)),
                    _e(formatting.level(g.target)),
                    summary.plural(int(g.gap), "level"),
                ]
                parts.append(_row(_e(g.item), cells))
            parts.append("</tbody></table>")

    # Evidence coverage and overdue actions.
    answered = [i for i in result.items if i.kind is not None]
    evidenced = [
        i
        for i in answered
        if ((current.responses.get(i.item_id) or {}).get("evidence") or "").strip()
        or ((current.responses.get(i.item_id) or {}).get("evidence_links") or "").strip()
    ]
    not_applicable = sum(1 for i in result.items if i.kind == NOT_APPLICABLE)
    parts.append("<h2>Evidence and overdue actions</h2>")
    coverage = (
        f"Evidence (notes or links) is recorded for {len(evidenced)} of the {len(answered)} answered items "
        f"({formatting.percent(len(evidenced) / len(answered))}). "
        if answered
        else "No item has been answered yet. "
    )
    parts.append(
        f"<p>{coverage}Don't know: {_items(result.dont_know)}. Not applicable: {_items(not_applicable)}. "
        f"Not answered: {_items(len(result.unanswered))}.</p>"
    )
    overdue = plan[plan["overdue"]] if not plan.empty else plan
    open_count = int((~plan["status"].isin(["done", "dropped"])).sum()) if not plan.empty else 0
    if overdue.empty:
        parts.append(
            f"<p><strong>No action is overdue</strong> ({summary.plural(open_count, 'open action')} in all).</p>"
        )
    else:
        rest = len(overdue) - OVERDUE_ON_SUMMARY
        shown = f" (the {OVERDUE_ON_SUMMARY} longest overdue shown here)" if rest > 0 else ""
        parts.append(
            f"<p><strong>{len(overdue)} of {summary.plural(open_count, 'open action')} "
            f"{'is' if len(overdue) == 1 else 'are'} overdue</strong>{shown}; all actions are listed in the action "
            "plan.</p>"
        )
        parts.append(_table_open(["Item the action is for", "Owner", "Was due"], [46, 32, 22], compact=True))
        for row in overdue.head(OVERDUE_ON_SUMMARY).itertuples():
            parts.append(_row(_e(row.item), [_e(row.owner), formatting.day(row.due)]))
        parts.append("</tbody></table>")
    parts.append("</section>")
    return parts


def _table_open(heads: list[str], widths: list[float], compact: bool = False) -> str:
    """A table's start: fixed column widths (so it fits the page) and scoped headers that repeat on each page.

    `widths` are relative: they are scaled to fill the page's width exactly, whichever columns are shown.
    """
    whole = sum(widths)
    cols = "".join(f"<col style='width: {100 * w / whole:.2f}%'>" for w in widths)
    cells = "".join(f"<th scope='col'>{_e(h)}</th>" for h in heads)
    return (
        f"<table{' class=compact' if compact else ''}><colgroup>{cols}</colgroup><thead><tr>{cells}</tr></thead><tbody>"
    )


def _row(head: str, cells: list[str], total: bool = False) -> str:
    """A row whose first cell heads it (already escaped); the other cells are already escaped."""
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f"<tr{' class=total' if total else ''}><th scope='row'>{head}</th>{tds}</tr>"


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
                f"<li>{kind} {_e(row.code)}, {formatting.day(row.created_at)}: {row.participants} taking part, "
                f"{summary.plural(row.votes, 'vote')}, {summary.plural(row.agreed, 'level')} agreed.</li>"
            )
        parts.append("</ul><p>Each agreed level is in the item's evidence above, with the votes behind it.</p>")
    titles = {i.id: i.title for i in fw.items}
    for kind, heading in (("quote", "Quotes"), ("note", "Notes"), ("parking", "Parking lot")):
        rows = notes[notes["kind"] == kind] if not notes.empty else notes
        if rows.empty:
            continue
        parts.append(f"<h3>{heading}</h3><ul>")
        for row in rows.itertuples():
            about = f"{_e(titles.get(row.item_id, row.item_id))}: " if isinstance(row.item_id, str) else ""
            parts.append(f"<li>{about}{_e(row.text)}</li>")
        parts.append("</ul>")
    return parts


def _radar_caption(domains: pd.DataFrame, current: analysis.Round, previous: analysis.Round | None) -> str:
    """What the radar draws, and only that: the series present and what each line style means."""
    drawn = [f"solid blue shape: this round, {current.label}"]
    if previous is not None and domains["previous"].notna().any():
        drawn.append(f"dashed grey line: the previous submitted round, {previous.label}")
    if domains["target"].notna().any():
        drawn.append("dotted red line: the targets (mean of each domain's item targets)")
    text = "Domain scores on a 0 to 4 scale, one axis per domain; " + "; ".join(drawn) + "."
    if domains["current"].isna().any():
        text += " A domain with no score is drawn at 0."
    return text + " The table below gives every value."


def assessment_html(db: sqlite_utils.Database, assessment_id: int, today: date, with_chart: bool = True) -> str:
    """The whole report as one HTML document (inline CSS and images, nothing fetched)."""
    from checklist import store

    a = store.get_assessment(db, assessment_id)
    current, previous, change = analysis.rounds_around(db, assessment_id)
    fw, result = current.framework, current.result
    domains = analysis.domain_table(current, previous)
    items = analysis.item_table(current, previous)
    projected = store.projected_score(db, assessment_id)
    plan = analysis.action_plan(db, current, today)
    unit = a["unit_name"]
    draft = a["status"] != store.SUBMITTED
    footer = f"{unit} · {a['round_label']}{' (draft)' if draft else ''} · physical activity maturity"

    parts = [
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<title>{_e(unit)} · {_e(a['round_label'])}: physical activity maturity</title>"
        f"<style>{CSS}</style></head>{_body(footer)}",
    ]
    parts += _executive_summary(db, a, current, previous, change, projected, plan, today, with_chart)

    if change and change.wording_changed:
        reworded = ", ".join(_e(fw.item(i).title) for i in change.wording_changed)
        parts.append(
            f"<p><strong>Framework wording changed</strong> between {_e(previous.label)} (version "
            f"{_e(previous.framework.version)}) and this round (version {_e(fw.version)}) for: {reworded}. Their "
            "change may reflect the new wording rather than new practice.</p>"
        )

    # Domain scores in detail: the radar and its table.
    scored = domains.dropna(subset=["current"])
    summary_text = "No domain has a score yet."
    if not scored.empty:
        low, high = scored.loc[scored["current"].idxmin()], scored.loc[scored["current"].idxmax()]
        summary_text = (
            f"Weakest domain: {low['domain']} ({formatting.score(low['current'])}). "
            f"Strongest: {high['domain']} ({formatting.score(high['current'])})."
        )
    parts.append("<h2>Domain scores</h2>")
    svg = _radar_svg(domains) if with_chart and not scored.empty else None
    parts.append(f"<p>{_e(summary_text)}</p>")
    if svg:
        parts.append(
            _svg_image(
                svg,
                f"Radar chart of domain scores. {summary_text} The table below gives every value.",
                _radar_caption(domains, current, previous),
                width="90%",
            )
        )
    has_previous = previous is not None and domains["previous"].notna().any()
    has_targets = domains["target"].notna().any()
    heads, widths = ["Domain", "Score", "Band"], [34, 9, 13]
    if has_previous:
        heads.append(f"Previous round ({previous.label})")
        widths.append(14)
    if has_targets:
        heads.append("Target")
        widths.append(10)
    heads += ["Answered", "Don't know"]
    widths += [11, 10]
    parts.append(_table_open(heads, widths, compact=True))
    for d, row in zip(result.domains, domains.itertuples(), strict=True):
        cells = [formatting.score(_value(row.current)), _e(band(_value(row.current)) or "No score")]
        if has_previous:
            cells.append(formatting.score(_value(row.previous)))
        if has_targets:
            cells.append(formatting.score(_value(row.target)))
        cells += [f"{d.answered} of {d.total}", formatting.count(d.dont_know)]
        parts.append(_row(_e(row.domain), cells))
    parts.append("</tbody></table>")

    parts.append("<h2>Strengths and priorities</h2><h3>Strengths</h3><ul>")
    parts += [f"<li>{_named(h)}: {_e(h.why)}</li>" for h in summary.strengths(fw, result)]
    parts.append("</ul><h3>Priorities</h3><ul>")
    for h in summary.priorities(fw, result):
        parts.append(f"<li>{_named(h)}: {_e(h.why)}. What works: {_e(fw.item(h.item_id).learn_from)}</li>")
    parts.append("</ul>")

    attached = evidence_files.names_by_item(db, assessment_id)
    parts.append("<h2>Every item</h2>")
    for domain, rows in items.groupby("domain", sort=False):
        parts.append(f"<h3>{_e(domain)}</h3>")
        parts.append(_table_open(["Item", "Level", "Target", "Evidence"], [24, 16, 16, 44], compact=True))
        for row in rows.itertuples():
            saved = current.responses.get(row.item_id) or {}
            level = formatting.level(_value(row.level), none=row.level_name)
            target = formatting.level(_value(row.target), none="Not set")
            evidence = _e((saved.get("evidence") or "").strip())
            links = (saved.get("evidence_links") or "").split()
            if links:
                evidence += "".join(f"<br>{_e(link)}" for link in links)
            if row.item_id in attached:
                evidence += ("<br>" if evidence else "") + "Files: " + _e("; ".join(attached[row.item_id]))
            parts.append(_row(_e(row.item), [_e(level), _e(target), evidence or "None recorded"]))
        parts.append("</tbody></table>")

    parts.append("<h2>Items not applicable</h2>")
    not_applicable = [i for i in result.items if i.kind == NOT_APPLICABLE]
    if not not_applicable:
        parts.append("<p>No item was marked not applicable in this round.</p>")
    else:
        parts.append(
            "<p>These items are left out of every score. The reason given for each:</p>"
            + _table_open(["Item", "Domain", "Reason given"], [30, 25, 45], compact=True)
        )
        for i in not_applicable:
            reason = ((current.responses.get(i.item_id) or {}).get("na_reason") or "").strip()
            parts.append(
                _row(
                    _e(fw.item(i.item_id).title),
                    [_e(fw.domain(i.domain_id).title), _e(reason) if reason else "No reason recorded"],
                )
            )
        parts.append("</tbody></table>")

    parts.append("<h2>Action plan</h2>")
    if plan.empty:
        parts.append("<p>No actions recorded.</p>")
    else:
        aims = store.list_actions(db, assessment_id)["target_level"]
        parts.append(
            _table_open(
                ["Item", "Action", "Owner", "Due", "Status", "Aims for"],
                [17, 27, 18, 15, 10, 13],
                compact=True,
            )
        )
        for index, row in zip(plan.index, plan.itertuples(), strict=True):
            due = formatting.day(row.due) + (" <strong>(overdue)</strong>" if row.overdue else "")
            aim = aims.get(index)
            parts.append(
                _row(
                    _e(row.item),
                    [
                        _e(row.action),
                        _e(row.owner),
                        due,
                        _e(str(row.status).capitalize()),
                        _e(formatting.level(_value(aim), none="Not set")),
                    ],
                )
            )
        parts.append("</tbody></table>")

    parts += _workshop_section(db, assessment_id, fw)

    parts.append(
        "<h2>About this assessment</h2><p>"
        f"Unit: {_e(unit)} ({_e(a['system_name'])}). Round {_e(a['round_label'])}, assessed "
        f"{formatting.day(a['assessment_date'])}. Status: {_status_line(a, store)}.<br>"
        f"Who took part: {_e(a['participants'] or 'not recorded')}.<br>"
        + (f"Lead's note at submission: {_e(a['submit_note'])}.<br>" if a.get("submit_note") else "")
        + f"Framework version {_e(fw.version)}"
        + (f", with {_e(fw.local_title)} (local items, version {fw.local_version})" if fw.local_title else "")
        + f". Report made {formatting.day(today)}.</p>"
    )
    parts.append(
        "<h2>Method</h2><p>Each item is rated on five levels:</p><ul>"
        + "".join(f"<li>{_e(formatting.level(lv.value))}: {_e(lv.summary)}</li>" for lv in fw.levels)
        + "</ul><p>“Don't know” and “not applicable” answers, and unanswered items, are left out of every "
        "average, never counted as 0. A domain's score is the mean level of its scored items; the overall score "
        "is the mean of the domain scores; a band is the level a score is nearest to (an exact half goes to the "
        "lower level). The projected score gives each item the higher of its level and the highest level its "
        "open actions (not done, not dropped) aim for, then averages as above; items with no level keep none.</p>"
        f"<p>The framework builds on the checklist in {_e(fw.source.citation)}, written in our own words.</p>"
        "</body></html>"
    )
    return "".join(parts)


FORMATS = ("pdf", "docx", "html")


def file_bytes(document: str, file_format: str) -> bytes:
    """A report (its HTML) as a file: a tagged PDF, a Word document, or the HTML itself."""
    if file_format == "pdf":
        return pdf_bytes(document)
    if file_format == "docx":
        from checklist import word

        return word.docx_bytes(document)
    if file_format == "html":
        return document.encode("utf-8")
    raise ValueError(f"report format {file_format!r} is not one of {', '.join(FORMATS)}")


def pdf_bytes(document: str) -> bytes:
    """A tagged PDF (PDF/UA-1: structure tree, title and language from the HTML)."""
    from weasyprint import HTML

    return HTML(string=document).write_pdf(pdf_variant="pdf/ua-1")


def _cell(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return formatting.NONE
    if kind == "delta":
        return formatting.delta(float(value))
    if kind == "count":
        return formatting.count(int(value))
    if kind == "level":
        return _e(formatting.level(int(value)))
    if isinstance(value, float):
        return formatting.score(value)
    return _e(value)


NOWRAP_UP_TO = 24  # a row's name this short is kept on one line; longer ones wrap rather than widen the table


def _table(frame, index_label: str, kinds: dict[str, str] | None = None, keep: bool = False) -> str:  # noqa: ANN001
    """A DataFrame as an accessible HTML table (scoped headers), every cell escaped and numbers formatted.

    `kinds` names columns that are not scores: 'delta' (signed change), 'count' or 'level'. `keep` keeps a short
    table on one page (it moves to the next page whole rather than leave a row or two behind).
    """
    kinds = kinds or {}
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    head = f"<th scope='col'>{_e(index_label)}</th>" + "".join(
        f"<th scope='col'{' class=number' if n else ''}>{_e(c)}</th>"
        for c, n in zip(frame.columns, numeric, strict=True)
    )
    rows = []
    for index, row in frame.iterrows():
        cells = "".join(
            f"<td{' class=number' if n else ''}>{_cell(v, kinds.get(c, 'score'))}</td>"
            for c, v, n in zip(frame.columns, row, numeric, strict=True)
        )
        short = " class=nowrap" if len(str(index)) <= NOWRAP_UP_TO else ""  # "Place A" on one line, never two
        rows.append(f"<tr><th scope='row'{short}>{_e(index)}</th>{cells}</tr>")
    whole = " class=keep" if keep and len(rows) <= KEEP_WHOLE_ROWS else ""
    return f"<table{whole}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


ITEM_ROWS_PER_PART = 10  # items per heatmap part: the first fits under the report's heading on its first page


def _heatmap_figures(grid: pd.DataFrame, when: str, order: str, levels: bool = False) -> list[str]:
    """The places × domains heatmap (places down the side), or with `levels` the items × places one (items down
    the side, the places across in the page's order: 28 items would not fit across), in parts that each fit a
    page, with alt text and a caption."""
    rows, columns = ("items", "places") if levels else ("places", "domains")
    value = "level on the item" if levels else "domain score"
    placed = "across, left to right" if levels else "down the side"
    parts = []
    size = report_charts.HEATMAP_ROWS_PER_PART if not levels else ITEM_ROWS_PER_PART
    chunks = [grid.iloc[k : k + size] for k in range(0, len(grid), size)]
    blank = bool(grid.isna().to_numpy().any())
    for n, chunk in enumerate(chunks):
        part = f" ({rows} {n * size + 1} to {n * size + len(chunk)} of {len(grid)})" if len(chunks) > 1 else ""
        caption = (
            f"{rows.capitalize()} × {columns}{part}: each cell is a place's {value} {when}, coloured by its band "
            f"(the level the score is nearest to) and labelled with it. Places are {placed} in the order of the "
            f"table below, {'by name' if order == 'name' else 'highest overall score first'}."
            + (" A blank cell marked — has no score." if blank else "")
        )
        alt = (
            f"Heatmap of {len(chunk)} {rows} by {len(grid.columns)} {columns}, coloured by band. "
            "The table below gives every value."
        )
        parts.append(_svg_image(report_charts.heatmap_svg(chunk, levels=levels), alt, caption))
    return parts


def comparison_html(
    db: sqlite_utils.Database,
    system_id: int,
    round_label: str | None,
    today: date,
    anonymise: bool = False,
    order: str = "score",
    with_chart: bool = True,
    detail: str = "Domains",
    rule: str = "median",
) -> str:
    """A commissioner's report: a system's places side by side for one round (or each place's latest).

    It shows what the Compare page shows with the same choices: `order` ("score" or "name") for the heatmap and
    every table, `anonymise` (Place A, B, … in score order), `detail` ("Domains", or "Items": each place's level
    on every item) and the roll-up `rule` (analysis.ROLLUP_RULES: the population-weighted one needs every
    place's population).
    """
    from checklist import store
    from checklist.framework import current_framework

    fw = current_framework()
    system = store.get_system(db, system_id)
    levels, facts = analysis.place_levels(db, system_id, round_label)
    which = f"round {round_label}" if round_label else "each place's latest submitted round"
    footer = f"{system['name']} · places compared · {round_label or 'latest submitted rounds'}"
    parts = [
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>{_e(system['name'])}: places "
        f"compared</title><style>{CSS} @page {{ size: A4 landscape; margin: 14mm 15mm 18mm; }} "
        f"table {{ font-size: 9pt; table-layout: auto; }}</style></head>"
        f"{_body(footer)}<h1>{_e(system['name'])}: places compared</h1>"
        f"<p class='meta'>Submitted assessments only, for {_e(which)} · report made {formatting.day(today)}</p>"
    ]
    if levels.empty:
        parts.append("<p>No place in this system has a submitted assessment for this choice yet.</p></body></html>")
        return "".join(parts)
    if anonymise:
        # Letters follow the score order, not the names' alphabetical order, which would give names away.
        mapping = analysis.anonymised(list(analysis.order_rows(analysis.domain_matrix(fw, levels), "score").index))
        levels, facts = levels.rename(index=mapping), facts.rename(index=mapping)
    domains = analysis.order_rows(analysis.domain_matrix(fw, levels), order)
    parts.append(f"<p class='meta'>{_e(analysis.places_compared(facts.reindex(domains.index), anonymise))}</p>")
    versions, reworded = analysis.reworded_across(facts)
    if len(versions) > 1:
        parts.append(
            f"<p><strong>Framework versions {_e(', '.join(versions))}</strong> were used by these rounds. The wording "
            f"of these items differs between them, so compare them with care: {_e(', '.join(reworded))}.</p>"
        )
    when = f"in round {round_label}" if round_label else "in its latest submitted round"
    if detail == "Items":
        titles = {i.id: i.title for i in fw.items}
        grid = levels[[c for c in titles if c in levels.columns]].rename(columns=titles).reindex(domains.index)
        parts.append("<h2>Places × items</h2><p>Each place's level on every item, from 0 (Not started) to 4 "
                     "(Thriving).</p>")  # fmt: skip
        by_item = grid.T.rename_axis(None)  # an item a row, the places across in the page's order
        if with_chart:
            parts += _heatmap_figures(by_item, when, order, levels=True)
            parts.append("<h3>Places × items: the levels behind the colours</h3>")
        parts.append(_table(by_item, "Item", {p: "level" for p in grid.index}))
    else:
        parts.append("<h2>Places × domains</h2><p>Each place's domain scores, from 0 (Not started) to 4 "
                     "(Thriving).</p>")  # fmt: skip
        if with_chart:
            parts += _heatmap_figures(domains, when, order)
            parts.append("<h3>Places × domains: the scores behind the colours</h3>")
        parts.append(_table(domains, "Place", keep=True))
    if len(domains) > 1:
        against = analysis.against_median(domains).rename(
            columns={
                "overall": "Overall",
                "vs median": "Compared with the median",
                "lowest domain": "Lowest domain",
                "highest domain": "Highest domain",
            }
        )
        parts.append("<h2>Each place against the system median</h2>")
        parts.append(_table(against, "Place", {"Compared with the median": "delta"}, keep=True))
        parts.append(f"<h2>Roll-up to the system ({_e(rule)}), with the place furthest behind</h2>")
        try:
            rolled = analysis.rollup(domains, rule, facts["population"].reindex(domains.index))
        except ValueError as exc:
            parts.append(f"<p>{_e(str(exc))}. Add populations on the Manage page, or choose another rule.</p>")
        else:
            rolled = rolled.rename(
                columns={
                    "rolled up": rule.capitalize(),
                    "lowest place": "Place furthest behind",
                    "lowest": "Lowest",
                    "highest": "Highest",
                    "places": "Places",
                }
            )
            parts.append(_table(rolled.set_index("domain"), "Domain", {"Places": "count"}, keep=True))
    spread = analysis.item_spread(fw, levels)
    for pattern, heading in (
        ("weak everywhere", "Weak everywhere: a system-level priority"),
        ("varies between places", "Varies between places: learning to share"),
    ):
        names = spread[spread["pattern"] == pattern]["item"].tolist() if not spread.empty else []
        parts.append(f"<h2>{heading}</h2><p>{_e(', '.join(names) or 'None')}</p>")
    parts.append(
        f"<h2>Method</h2><p>Domain scores are the mean level of each domain's scored items; a band is the level a "
        f"score is nearest to (an exact half goes to the lower level). Weak everywhere: the median place is at "
        f"{formatting.level(1)} or below; varies: places span {analysis.VARIES_SPAN} levels or more. "
        f"The framework builds on the checklist in {_e(fw.source.citation)}.</p></body></html>"
    )
    return "".join(parts)

"""Dashboard: one system or place, its latest round read at a glance, and its progress over rounds."""

from __future__ import annotations

from functools import partial

import streamlit as st

from checklist import (
    access,
    analysis,
    charts,
    clock,
    cycles,
    disclosure,
    exports,
    formatting,
    presentation,
    store,
    summary,
)
from checklist.scoring import DONT_KNOW
from ui import data
from ui.common import actor, chart, choose_unit, ensure_router, headline, open_db, open_fresh, plain, text_table

ensure_router()
db = open_db()
# Column widths that fit every table in the page's width at 1366 px, so nothing needs sideways scrolling.
WIDTHS = {
    "Item": st.column_config.TextColumn(width=220),
    "Domain": st.column_config.TextColumn(width=260),
    "Now": st.column_config.TextColumn(width=150),
    "Target": st.column_config.TextColumn(width=150),
    "Gap (levels)": st.column_config.NumberColumn(width=100),
}


def _unit_export(kind: str, user: access.User, system_id: int, place_id: int | None) -> bytes:
    """Every round of this unit (a system's includes its places) in the export's own layout; runs off the
    script thread when the button is pressed, so it is given the user rather than reading the session."""
    conn = open_fresh()
    ids = access.exportable_assessment_ids(conn, user, system_id, place_id)
    return exports.xlsx_bytes(conn, ids) if kind == "xlsx" else exports.csv_bytes(exports.export_frame(conn, ids))


st.title("Dashboard")
st.write("How one system or place stands now, what changed since its last round, and where to act next.")

chosen = choose_unit(db, "dash", in_url=True)
if chosen is None:
    st.stop()
system_id, place_id, unit = chosen
if (cycle := cycles.unit_cycle(db, clock.today(), system_id, place_id)) is not None:
    st.caption(f"Review cycle: {cycles.describe(cycle)}")  # when the unit's next round is due
rounds = data.unit_rounds(data.version(), system_id, place_id)
if not rounds:
    st.info(f"{plain(unit)} has no assessment rounds yet. Start one on the Assess page.", icon=":material/info:")
    st.page_link("pages/assess.py", label="Go to Assess", icon=":material/checklist:")
    st.stop()

labels = {r.id: f"{r.label}{'' if r.submitted else ' (draft)'}" for r in rounds}
submitted = [r for r in rounds if r.submitted]
default = (submitted or rounds)[-1].id
round_id = st.selectbox(
    "Round",
    list(reversed(labels)),
    index=list(reversed(labels)).index(default),
    format_func=labels.get,
    key="dash_round",
    bind="query-params",
)
current, previous, change = analysis.with_previous(rounds, round_id)
fw = current.framework
result = current.result

if not current.submitted:
    st.warning(
        "This round is a **draft**: its figures are provisional and are not mixed into submitted results.",
        icon=":material/edit_note:",
    )

# --- headline ---------------------------------------------------------------------------------
st.header(f"{plain(unit)} · {plain(current.label)}")
st.caption(
    f"Assessed {formatting.day(current.assessment['assessment_date'])} · "
    f"{current.assessment['status'].capitalize()} · "
    f"framework {fw.version}" + (f" · compared with {plain(previous.label)}" if previous else " · no earlier round")
)
projected = store.projected_score(db, current.id)
headline(
    fw, result, change, previous.label if previous else None, projected=projected, provisional=not current.submitted
)


if access.can(actor(), access.EXPORT, system_id, place_id):
    slug = unit.replace(" ", "-")
    e1, e2, _ = st.columns(3)  # wide enough for the whole label at 1366 px
    for column, kind, mime in (
        (e1, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (e2, "csv", "text/csv"),
    ):
        column.download_button(
            f"Download every round ({'Excel' if kind == 'xlsx' else 'CSV'})",
            partial(_unit_export, kind, actor(), system_id, place_id),
            file_name=f"{slug}-rounds.{kind}",
            mime=mime,
            icon=":material/download:",
            key=f"dash_export_{kind}",
            on_click="ignore",  # a download changes nothing: no rerun
        )
delta = change.overall.delta if change else None

domains = analysis.domain_table(current, previous)
scored = domains.dropna(subset=["current"])
if scored.empty:
    st.info("No item in this round has a level yet, so there are no scores to chart.")
    st.stop()
weakest = scored.loc[scored["current"].idxmin()]
strongest = scored.loc[scored["current"].idxmax()]
direction = (
    ""
    if delta is None
    else f" Overall it has {'risen' if delta > 0 else 'fallen' if delta < 0 else 'not moved'}"
    f"{f' by {formatting.score(abs(delta))}' if delta else ''} since {plain(previous.label)}."
)
st.info(
    f"**Weakest domain: {plain(weakest['domain'])}** ({charts.level_label(weakest['current'])}). "
    f"Strongest: {plain(strongest['domain'])} ({charts.level_label(strongest['current'])}).{direction}",
    icon=":material/insights:",
)

# --- charts ---------------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    chart(
        charts.radar(domains, "Domain scores: now, last round and target"),
        presentation.domain_scores(domains),
        "domain-scores",
        "Each spoke is a domain, scored 0 (Not started) to 4 (Thriving). Solid: this round"
        + ("; dashed: the previous round" if previous else "")
        + ("; dotted: the mean of the item targets" if domains["target"].notna().any() else "")
        + ".",
    )
with right:
    progress = analysis.progress_table(rounds, fw)
    if progress["round"].nunique() < 2:
        st.info("Progress over time appears once this unit has two submitted rounds.")
    else:
        chart(
            charts.progress(progress, "Progress over submitted rounds"),
            progress.pivot_table(index="round", columns="series", values="score", sort=False)
            .map(formatting.score)
            .rename_axis(index="Round", columns=None)
            .reset_index(),
            "progress",
            "One line per domain across submitted rounds; the thick black line is the overall score.",
        )
items = analysis.item_table(current, previous)
chart(
    charts.item_levels(items, "Every item's level, by domain"),
    presentation.item_levels(items),
    "item-levels",
    "Each bar is an item, labelled with its level; hover for what that level means. Grey bars have no score "
    "(don't know or not applicable).",
)

# --- in plain words --------------------------------------------------------------------------------
st.subheader("Now, if the open actions succeed, and the targets")
st.caption(
    "If every open action reached the level it aims for, each item would rise to that level; domains and the "
    "overall score are then averaged as usual. Items without a level stay without one."
)
st.dataframe(
    presentation.domains_now_projected_target(domains, projected, {d.id: d.title for d in fw.domains}),
    hide_index=True,
)

st.header("Strengths and priorities")
s1, s2 = st.columns(2)
with s1:
    st.markdown("**Strengths**")
    for h in summary.strengths(fw, result):
        st.markdown("- " + presentation.highlight(h.title, h.domain, h.why))
    gains, falls = analysis.movers(items)
    if not gains.empty:
        st.markdown("**Biggest gains since last round**")
        for row in gains.itertuples():
            st.markdown(f"- **{plain(row.item)}**: up {int(row.change)} to {row.level_name}")
with s2:
    st.markdown("**Priorities**")
    priorities = summary.priorities(fw, result)
    for h in priorities:
        st.markdown("- " + presentation.highlight(h.title, h.domain, h.why))
    if not falls.empty:
        st.markdown("**Falls since last round**")
        for row in falls.itertuples():
            st.markdown(f"- **{plain(row.item)}**: down {int(abs(row.change))} to {row.level_name}")

st.subheader("Gap to target")
gaps = presentation.gaps(items)
if gaps.empty:
    st.write("Every item with a target has reached it.")
else:
    st.dataframe(gaps, hide_index=True, column_config=WIDTHS, height=min(38 + 35 * len(gaps), 560))  # all rows
st.subheader("Evidence gaps")
evidence = presentation.evidence(items, DONT_KNOW)
if evidence.empty:
    st.write("Every answered item has evidence recorded.")
else:
    st.dataframe(evidence, hide_index=True, column_config=WIDTHS)

st.subheader("Action plan")
plan = analysis.action_plan(db, current, clock.today())
if plan.empty:
    st.write("No actions recorded for this round.")
else:
    overdue = int(plan["overdue"].sum())
    if overdue:
        st.warning(f"{overdue} {'action is' if overdue == 1 else 'actions are'} overdue.", icon=":material/schedule:")
    text_table(presentation.actions(plan))  # wraps long actions

st.subheader("Actions from the previous round: planned against achieved")
followed = analysis.planned_vs_achieved(db, current, previous)
if followed.empty:
    st.write("No actions were set in the previous round." if previous else "There is no earlier round to follow up.")
else:
    met = followed["met"].dropna()
    st.caption(f"{int(met.sum())} of {len(met)} actions with an aim reached the level they aimed for.")
    text_table(presentation.followed_up(followed))

# --- where to learn from -----------------------------------------------------------------------------
st.header("Where to learn from")
anonymise = st.toggle(
    "Anonymise other places",
    key="dash_anonymise",
    help="Your own places are shown as Place A, B, … Places you have no role for are only ever counted.",
)
levels = data.every_place_levels(data.version())
this_place = None if place_id is None else f"{unit} ({store.get_system(db, system_id)['name']})"
# Places the user may read are named (or lettered, with the toggle); the rest are only counted, and a count of
# fewer than the minimum group is not given as a figure.
readable = access.readable_place_labels(db, actor())
coded = analysis.anonymised(list(analysis.order_rows(levels, "score").index)) if not levels.empty else {}
minimum = disclosure.min_group()
for h in priorities:
    item = fw.item(h.item_id)
    if fw.is_local(item.domain):
        continue  # a system's own item: no other place answers the same one
    with st.expander(f"{plain(h.title)}: what works", expanded=False):
        st.markdown(item.learn_from)
        for case_id in item.case_studies:
            case = fw.case_study(case_id)
            st.markdown(f"- **{case.title}** (report section {case.section}): {case.summary}")
        found = analysis.learn_from(levels, h.item_id, readable, this_place, minimum)
        if found.named.empty and not found.elsewhere:
            st.write("No other place is at Maturing or above on this item yet.")
        if not found.named.empty:
            st.markdown(
                "Places to learn from: "
                + "; ".join(
                    f"{plain(coded.get(p, p) if anonymise else p)} ({lvl})"
                    for p, lvl in zip(found.named["place"], found.named["level"], strict=True)
                )
            )
        if found.elsewhere:
            one = found.elsewhere_text == "1"
            st.markdown(
                f"Elsewhere: {found.elsewhere_text} {'place' if one else 'places'} you have no role for "
                f"{'is' if one else 'are'} at Maturing or above on this item. Ask your ICS lead or the service's "
                "administrators to put you in touch."
            )

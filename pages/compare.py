"""Compare places: a system's places side by side, rolled up with a visible rule, and systems compared."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import access, analysis, charts, clock, disclosure, formatting, reports, store, summary
from ui import data
from ui.common import actor, chart, ensure_router, framework, open_db, open_fresh, plain, text_table

ensure_router()
db = open_db()
fw = framework()
LATEST = "Latest submitted round of each place"


def _scores(frame: pd.DataFrame, rows: str = "Place") -> pd.DataFrame:
    """A table of scores as the page shows them: two decimals, a dash for no score, places as a column."""
    return frame.map(formatting.score).rename_axis(rows).reset_index()


st.title("Compare places")
st.write("Where each place stands, what is weak everywhere, what varies, and how places roll up to their system.")

systems = store.list_systems(db)
if systems.empty:
    st.info("There are no systems yet. Add one on the Manage page, or load the demo from Home.")
    st.stop()
all_names = dict(zip(systems["id"], systems["name"], strict=True))
# Comparing a system's places needs a role for the whole system (a place's lead sees only their place).
names = {s: n for s, n in all_names.items() if access.can(actor(), access.READ, int(s), None)}
if not names:
    st.info("Comparing places needs a role for a whole system. Ask an administrator if you need one.")
    st.stop()
c1, c2 = st.columns(2)
# Every choice is kept in the address, so a comparison can be bookmarked and shared.
system_id = c1.selectbox("System (ICS)", list(names), format_func=names.get, key="cmp_system", bind="query-params")
version = data.version()
round_label = c2.selectbox(
    "Round", [LATEST, *data.submitted_round_labels(version, system_id)], key="cmp_round", bind="query-params"
)
o1, o2, o3 = st.columns(3)
detail = o1.radio("Show", ["Domains", "Items"], horizontal=True, key="cmp_detail", bind="query-params")
order = o2.radio(
    "Order places by", ["score", "name"], format_func=str.capitalize, horizontal=True, key="cmp_order",
    bind="query-params",
)  # fmt: skip
anonymise = o3.toggle(
    "Anonymise places", key="cmp_anonymise", bind="query-params", help="Show places as Place A, B, … in score order."
)

levels, facts = data.place_levels(version, system_id, None if round_label == LATEST else round_label)
if levels.empty:
    st.info("No place in this system has a submitted assessment for this choice yet. Drafts are never compared.")
    st.stop()
if anonymise:
    # Letters follow the score order, not the names' alphabetical order, which would give names away.
    mapping = analysis.anonymised(list(analysis.order_rows(analysis.domain_matrix(fw, levels), "score").index))
    levels, facts = levels.rename(index=mapping), facts.rename(index=mapping)
domains = analysis.domain_matrix(fw, levels)
# One order of places for every view on this page (heatmap, ranking, tables, the list below), anonymised or not.
places = list(analysis.order_rows(domains, order).index)
domains = domains.reindex(places)
facts = facts.reindex(places)
st.caption(plain(analysis.places_compared(facts, anonymise)))
versions, reworded = analysis.reworded_across(facts)
if len(versions) > 1:
    st.info(
        f"These places' rounds used framework versions {', '.join(versions)}. The wording of these items differs "
        f"between them, so compare them with care: {', '.join(reworded)}.",
        icon=":material/published_with_changes:",
    )
st.download_button(
    "Comparison report (PDF)",
    lambda: reports.pdf_bytes(
        reports.comparison_html(
            open_fresh(),
            system_id,
            None if round_label == LATEST else round_label,
            clock.today(),
            anonymise,
            order=order,
            detail=detail,
            rule=st.session_state.get("cmp_rule") or analysis.ROLLUP_RULES[0],  # its radio is further down
        )
    ),
    file_name=f"places-compared-{names[system_id]}.pdf".replace(" ", "-"),
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    key="cmp_report",
    on_click="ignore",  # a download changes nothing: no rerun
)

if detail == "Domains":
    grid = domains
    chart(
        charts.heatmap(grid, "Places × domains"),
        _scores(grid),
        "places-by-domain",
        "Each cell is a place's domain score (0–4), coloured by band and labelled with its value; a blank cell "
        "has no score (not assessed, or the workforce module not included).",
    )
else:
    titles = {i.id: i.title for i in fw.items}
    grid = levels[[c for c in titles if c in levels.columns]].rename(columns=titles).reindex(places)
    chart(
        charts.heatmap(grid, "Places × items", levels=True),
        grid.map(lambda v: formatting.level(v, "No score")).rename_axis("Place").reset_index(),
        "places-by-item",
        "Each cell is a place's level on one item, coloured by band and labelled; a blank cell has no score.",
    )

if len(domains) < 2:
    st.info("Ranking and spread need at least two places with submitted results.")
    st.stop()

st.header("Each place against the system median")
against = analysis.against_median(domains).reindex(places)
chart(
    charts.ranking(against),
    _scores(against.rename(columns=str.capitalize)),
    "places-against-median",
    "Diamonds are each place's overall score; the grey bar runs from its lowest to its highest domain; the dashed "
    "line is the system median.",
)

st.header("Item by item: weak everywhere, or varies?")
spread = analysis.item_spread(fw, levels)
weak = spread[spread["pattern"] == "weak everywhere"]["item"].tolist()
varies = spread[spread["pattern"] == "varies between places"]["item"].tolist()
w1, w2 = st.columns(2)
w1.markdown("**Weak everywhere: a system-level priority**\n\n" + ("\n".join(f"- {i}" for i in weak) or "None"))
w2.markdown("**Varies between places: learning to share**\n\n" + ("\n".join(f"- {i}" for i in varies) or "None"))
st.caption(
    f"Weak everywhere: the median place is at Emerging or below. Varies: places span {analysis.VARIES_SPAN} "
    "levels or more."
)
chart(
    charts.distribution(spread),
    spread.rename(
        columns={
            "item": "Item",
            "domain": "Domain",
            "places": "Places",
            "median": "Median",
            "span": "Span (levels)",
            "pattern": "Pattern",
        }
    ),  # fmt: skip
    "item-spread",
    "For each item, how many places sit at each level.",
)

st.header("Roll-up from places to the system")
rule = st.radio(
    "Rule", analysis.ROLLUP_RULES, format_func=str.capitalize, horizontal=True, key="cmp_rule", bind="query-params"
)
try:
    rolled = analysis.rollup(domains, rule, facts["population"])
except ValueError as exc:
    st.error(plain(str(exc)) + ". Add populations on the Manage page, or choose another rule.")
else:
    # A static table that wraps: a long place name is read whole, never cut at the column's edge.
    text_table(
        rolled.assign(**{c: rolled[c].map(formatting.score) for c in ("rolled up", "lowest", "highest")}).rename(
            columns=str.capitalize
        )
    )
    # An average must never hide a place far behind: name every place a level or more below the roll-up.
    for _, row in rolled[rolled["rolled up"] - rolled["lowest"] >= 1].iterrows():
        st.warning(
            f"{row['domain']}: {plain(row['lowest place'])} is at {formatting.score(row['lowest'])}, a level or "
            f"more below the {rule} ({formatting.score(row['rolled up'])}).",
            icon=":material/warning:",
        )

if len(all_names) > 1:
    st.header("Systems compared")
    minimum = disclosure.min_group()
    st.caption(
        "Each system's places (latest submitted round each), rolled up by the median; below it, the score of each "
        f"system's lowest place on each domain. Systems you have no role for are shown as System A, B, … in score "
        f"order, and only when they have at least {minimum} places with results."
    )
    every_levels, every_facts = data.latest_everywhere(version)  # one read for every system, cached
    medians, lowest = analysis.systems_compared(fw, every_levels, every_facts)
    held = disclosure.held_back(every_facts.groupby("system_id").size().to_dict(), own=names)
    others = [s for s in medians.mean(axis=1).sort_values(ascending=False).index if s not in names and s not in held]
    shown = {**names, **analysis.anonymised_systems(others)}
    rows = {shown[s]: medians.loc[s] for s in medians.index if s in shown}
    lows = {shown[s]: lowest.loc[s] for s in lowest.index if s in shown}
    if held:
        st.caption(
            f"Not shown: {summary.plural(len(held), 'other system')} with {disclosure.fewer_than(minimum)} places "
            "with results, as a figure about so few places could identify one."
        )
    if len(rows) > 1:
        grid = pd.DataFrame(rows).T
        chart(
            charts.heatmap(grid, "Systems × domains (median of places)"),
            _scores(grid, "System"),
            "systems-by-domain",
            "Median of each system's places per domain.",
        )
        st.markdown("**Score of the lowest place on each domain, by system**")
        text_table(_scores(pd.DataFrame(lows).T, "System"))  # headers wrap

"""National view: systems compared by the spread of their places, the national trend, and an open-data file.

Made to be published: a figure about fewer places than the minimum group is "fewer than N" here, whoever reads it.
"""

from __future__ import annotations

import streamlit as st

from checklist import charts, clock, disclosure, national
from checklist.framework import LEVEL_NAMES
from ui import data
from ui.common import chart, ensure_router, plain, text_table

ensure_router()
minimum = disclosure.min_group()
hidden = disclosure.fewer_than(minimum)

st.title("National view")
st.write(
    "How systems compare and how the country is moving, from each place's submitted rounds. Every figure here is "
    f"safe to publish: a figure about {hidden} places is never shown, and only places are counted, never people."
)
rounds = data.national_rounds(data.version())
if rounds.empty:
    st.info("No place has a submitted round yet. Figures appear here once places submit their rounds.")
    st.stop()

spread = national.systems_spread(rounds, minimum)
trend = national.national_trend(rounds, minimum)
st.download_button(
    "Download the aggregates as open data (CSV)",
    national.open_data_csv(spread, trend, minimum),
    file_name=f"national-aggregates-{clock.today().isoformat()}.csv",
    mime="text/csv",
    icon=":material/public:",
    key="national_csv",
    on_click="ignore",
)

st.header("Systems compared by the spread of their places")
st.caption(
    "Each box is one system's places at their latest submitted round: the line across it is the median place, the "
    "box holds the middle half of places, the whiskers reach the lowest and highest. A system is never reduced to "
    "one average, which would hide a place far behind."
)
held = spread[~spread["shown"]]
if spread["shown"].any():
    chart(
        charts.systems_spread(spread),
        national.as_published(spread, national.SPREAD_COLUMNS, minimum).rename(columns=str.capitalize),
        "systems-spread",
        f"One box per system with at least {minimum} places with results; the table lists every system.",
    )
if not held.empty:
    st.caption("Figures not shown (" + hidden + " places with results): " + "; ".join(plain(s) for s in held["system"]))

st.header("The national picture over time")
st.caption(
    "Each quarter counts every place once, at its latest submitted round in that quarter. The line is the median "
    "place; the shading holds the middle half of places."
)
if trend["shown"].any():
    chart(
        charts.national_trend(trend),
        national.as_published(trend, ["period", "places", *national.FIGURES], minimum).rename(columns=str.capitalize),
        "national-trend",
        "The median place's overall score by quarter, with the middle half of places around it.",
    )
st.markdown("**How many places' overall score is nearest each level, by quarter**")
text_table(national.as_published(trend, ["period", "places", *LEVEL_NAMES], minimum).rename(columns={
    "period": "Quarter", "places": "Places"}))  # fmt: skip
st.caption(
    f"'{hidden}' stands for a count or figure about so few places that it could identify one; "
    f"the minimum group is {minimum} (CHECKLIST_MIN_GROUP)."
)

"""Workshop: what the room agreed and where it disagreed, and answers collected beforehand as they stand."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import consensus, workshops
from checklist.consensus import AGREED, SPLIT
from checklist.summary import plural
from ui.common import (
    csv_download,
    open_db,
    plain,
    text_table,
)
from ui.workshop.acting import REFRESH_SECONDS


def summary_panel(workshop: dict, items: list, private: bool) -> None:
    result = workshops.summary(open_db(), workshop["id"], private)
    titles = {i.id: plain(i.title) for i in items}  # for Markdown lists: a system's own items are user text
    agreed = (result.agreed["agreed"] != "Not yet agreed").sum()
    st.markdown(
        f"**{agreed} of {len(items)} items agreed** with {plural(len(result.participants), 'person', 'people')} "
        "taking part."
    )
    table = result.agreed.rename(
        columns={
            "item": "Item",
            "agreed": "Agreed level",
            "votes": "Votes",
            "median": "Median",
            "range": "Range",
            "dont_know": "Don't know",
            "status": "Were the votes agreed or split?",
            "notes": "Notes",
        }
    ).drop(columns=["item_id"])
    text_table(table)  # wraps: the notes are read whole
    st.caption(
        "The agreed level is what the room settled on; the next columns describe the votes behind it. "
        + consensus.SPLIT_RULE
    )
    csv_download(
        table, f"workshop-{workshop['code']}", f"ws_summary_csv_{workshop['id']}", "Download the summary (CSV)"
    )
    left, right = st.columns(2)
    with left:
        st.subheader("Where sectors disagreed most", anchor=False)
        if result.sector_gaps:
            st.markdown("\n".join(f"- {g.sentence(titles[g.item_id])}" for g in result.sector_gaps[:6]))
        else:
            st.write("No item had sectors a level or more apart.")
        if result.lived_experience:
            st.markdown(
                "**People with lived experience compared with everyone else** (medians):\n"
                + "\n".join(
                    f"- {titles[i]}: lived experience {lived:g}, everyone else {rest:g}"
                    for i, rest, lived in result.lived_experience[:6]
                )
            )
    with right:
        st.subheader("Many don't knows", anchor=False)
        if result.dont_know:
            st.markdown(
                "\n".join(f"- {titles[t.item_id]}: {t.dont_know} of {t.votes} votes" for t in result.dont_know)
                + "\n\nThese are evidence gaps: find out before the next round."
            )
        else:
            st.write("No item had a quarter or more don't knows.")
        st.subheader("Who took part", anchor=False)
        if result.participants.empty:
            st.write("Nobody has joined yet.")
        else:
            people = pd.DataFrame({"Sector": list(result.people), "People": list(result.people.values())})
            st.dataframe(people, hide_index=True)
    st.page_link(
        "pages/assess.py",
        label="Open the assessment's results",
        icon=":material/checklist:",
        query_params={"assessment": str(workshop["assessment_id"])},
    )


@st.fragment(run_every=REFRESH_SECONDS * 2)
def collected_panel(workshop_id: int, private: bool) -> None:
    """How the answers collected beforehand stand, item by item: refreshed on its own."""
    conn = open_db()
    table = workshops.collected_table(conn, workshop_id, private)
    counts = table["Agreed or split"].value_counts()
    st.markdown(
        f"**{plural(workshops.participant_count(conn, workshop_id), 'respondent')}** · "
        f"{plural(counts.get(AGREED, 0), 'item')} agreed · {plural(counts.get(SPLIT, 0), 'item')} split · "
        f"{plural(counts.get(consensus.TOO_FEW, 0), 'item')} with too few answers · "
        f"{plural(counts.get('no answers yet', 0), 'item')} not answered yet"
    )
    st.dataframe(table, hide_index=True)
    st.caption("Refreshes every few seconds. Sector columns are medians. " + consensus.SPLIT_RULE)

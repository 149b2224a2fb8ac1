"""Workshop: choosing a round in progress and starting a live workshop or collecting answers beforehand."""

from __future__ import annotations

import streamlit as st

from checklist import formatting, store, workshops
from ui.common import (
    choose_unit,
    open_db,
    plain,
)
from ui.workshop.acting import KIND_LABEL, begin_workshop, open_workshop


def choose() -> None:
    st.title("Workshop")
    st.write(
        "Agree each level with the people who see the system from different sides: health and care, sport and "
        "leisure, the voluntary sector, the local authority and, above all, disabled people and carers. Show one "
        "item at a time on a shared screen; everyone votes from their own phone or laptop with a short code; you "
        "record the level the room agrees, and it is saved as the assessment's answer."
    )
    unit = choose_unit(open_db(), "ws")
    if unit is None:
        return
    system_id, place_id, unit_name = unit
    drafts = store.list_assessments(open_db(), system_id, place_id, whole_system=place_id is None, status=store.DRAFT)
    if drafts.empty:
        st.info(
            f"{plain(unit_name)} has no round in progress. Start one on the Assess page first: a workshop saves the "
            "levels it agrees as that round's answers.",
            icon=":material/info:",
        )
        st.page_link("pages/assess.py", label="Go to Assess", icon=":material/checklist:")
        return
    rounds = dict(zip(drafts["id"], drafts["round_label"], strict=True))
    assessment_id = st.selectbox("Round in progress", list(rounds), format_func=rounds.get, key="ws_round")
    left, right = st.columns(2)
    left.button(
        "Start a live workshop",
        type="primary",
        icon=":material/co_present:",
        on_click=begin_workshop,
        args=(int(assessment_id), workshops.LIVE),
        key="ws_start_live",
        help="One item at a time on a shared screen; people vote on each item as you go.",
    )
    right.button(
        "Collect answers before the workshop",
        icon=":material/forward_to_inbox:",
        on_click=begin_workshop,
        args=(int(assessment_id), workshops.INDEPENDENT),
        key="ws_start_independent",
        help="Send a code to the people coming; each answers every item alone beforehand. "
        "The workshop then spends its time on the items where they disagree.",
    )
    existing = workshops.list_workshops(open_db(), int(assessment_id))
    if existing.empty:
        st.caption("No workshops for this round yet.")
        return
    st.subheader("Workshops for this round")
    for row in existing.itertuples():
        with st.container(border=True):
            text, buttons = st.columns([3, 2], vertical_alignment="center")
            status = workshops.state({"status": row.status, "expires_at": row.expires_at})
            text.markdown(
                f"**{KIND_LABEL[row.mode]} · code {row.code}** · {status} · "
                f"started {formatting.day(row.created_at)}  \n"
                f"{row.participants} joined · {row.votes} votes · {row.agreed} levels agreed"
            )
            buttons.button("Open", key=f"ws_open_{row.id}", on_click=open_workshop, args=(int(row.id),))
            if row.mode == workshops.INDEPENDENT:
                buttons.button(
                    "Start a live workshop from these answers",
                    key=f"ws_seed_{row.id}",
                    on_click=begin_workshop,
                    args=(int(assessment_id), workshops.LIVE, int(row.id)),
                )

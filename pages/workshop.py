"""Workshop: a facilitator runs an assessment with a room on a shared screen; people vote from their own devices.

Without ?workshop=ID: choose a draft round and start a live workshop, or collect answers before one.
With it: the presenter view (one item at a time, live vote count, reveal, the agreed level) or,
for answers collected beforehand, how they stand. The live parts refresh in st.fragment blocks, so
the facilitator's controls are never disturbed by the refresh.
"""

from __future__ import annotations

import streamlit as st

from checklist import access, disclosure, formatting, store, workshops
from ui.common import (
    ACTING,
    actor,
    cannot_open,
    ensure_router,
    open_db,
    plain,
    show_error,
    show_flashes,
)
from ui.workshop.acting import KIND_LABEL, act, begin_workshop, open_workshop
from ui.workshop.choose import choose
from ui.workshop.notes import notes_panel
from ui.workshop.present import PRESENTER_CSS, join_panel, present
from ui.workshop.summary import collected_panel, summary_panel

ensure_router()
show_flashes()
db = open_db()


def run(workshop: dict) -> None:
    assessment = store.get_assessment(db, workshop["assessment_id"])
    fw = store.framework_of(assessment)
    items = list(fw.items_of(assessment))
    status = workshops.state(workshop)
    is_open = status == workshops.OPEN
    title, back = st.columns([4, 1], vertical_alignment="bottom")
    title.title(f"{plain(assessment['unit_name'])} · {plain(assessment['round_label'])}")
    back.button("All workshops", key="ws_back", on_click=open_workshop, args=(None,), icon=":material/arrow_back:")
    st.caption(
        f"{KIND_LABEL[workshop['mode']]} · code {workshop['code']} · "
        f"{'open until ' + formatting.moment(workshop['expires_at']) if is_open else status}"
        + (
            f" · started from the answers collected beforehand (code "
            f"{workshops.get_workshop(db, workshop['seeded_from'])['code']})"
            if workshop["seeded_from"]
            else ""
        )
    )
    error_slot = st.empty()
    if message := st.session_state.pop("ws_error", None):
        error_slot.error(plain(message), icon=":material/error:")
    if assessment["status"] != store.DRAFT and is_open:
        st.warning("The assessment has been submitted, so agreed levels cannot be saved until it is reopened.")
    if is_open:
        join_panel(workshop, assessment, expanded=workshops.participant_count(db, workshop["id"]) == 0)
    else:
        st.info(
            f"This workshop is {status}: its code no longer works. Reopen it to take votes again "
            "(with a fresh time limit); votes, agreed levels and notes are all kept."
        )

    minimum = disclosure.min_group()
    private = minimum > 1 and st.toggle(
        f"Show every sector here, even one with fewer than {minimum} people",
        key=f"ws_private_{workshop['id']}",
        help=f"For your eyes only, not for a shared screen. Elsewhere (the projector, the summary) a sector with fewer "
        f"than {minimum} people in the room is counted with others as 'Other sectors', so nobody can tell how one "
        "person voted.",
    )
    if workshop["mode"] == workshops.LIVE:
        tabs = st.tabs(["Present", "Notes and parking lot", "Summary"], default="Present" if is_open else "Summary")
        with tabs[0]:
            if is_open:
                present(workshop, items, {d.id: d.title for d in fw.domains}, private)
            else:
                st.write("Reopen the workshop to present and vote again; the summary shows what was agreed.")
        with tabs[1]:
            notes_panel(workshop, items)
        with tabs[2]:
            summary_panel(workshop, items, private)
    else:
        tabs = st.tabs(["Answers so far", "Notes and parking lot"])
        with tabs[0]:
            collected_panel(workshop["id"], private)
            st.button(
                "Start a live workshop from these answers",
                type="primary",
                key=f"ws_seed_run_{workshop['id']}",
                on_click=begin_workshop,
                args=(workshop["assessment_id"], workshops.LIVE, workshop["id"]),
            )
        with tabs[1]:
            notes_panel(workshop, items)

    st.divider()
    if is_open:
        st.button(
            "Close the workshop",
            key="ws_close",
            icon=":material/lock:",
            on_click=act,
            args=(workshops.close_workshop, workshop["id"], ACTING),
            kwargs={"message": "Workshop closed: its code no longer works. You can reopen it."},
            help="Stops voting; the code stops working. Votes, agreed levels and notes are kept.",
        )
    else:
        st.button(
            "Reopen the workshop",
            key="ws_reopen",
            icon=":material/lock_open:",
            on_click=act,
            args=(workshops.reopen_workshop, workshop["id"], ACTING),
            kwargs={"message": "Workshop reopened"},
        )


st.html(PRESENTER_CSS)
raw_id = st.query_params.get("workshop")
chosen = None
if raw_id:
    try:
        chosen = workshops.get_workshop(db, int(raw_id))
    except (ValueError, store.NotFoundError):
        cannot_open("workshop", raw_id)
if chosen is not None:
    owner = store.get_assessment(db, chosen["assessment_id"])
    if not access.can(actor(), access.RUN_WORKSHOP, owner["system_id"], owner["place_id"]):
        cannot_open("workshop", raw_id)
        chosen = None
if chosen is None:
    if message := st.session_state.pop("ws_error", None):
        show_error(store.StoreError(message))
    choose()
else:
    run(chosen)

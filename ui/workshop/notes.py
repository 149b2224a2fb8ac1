"""Workshop: notes, quotes and the parking lot."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import store, workshops
from ui.common import (
    ACTING,
    actor,
    flash,
    open_db,
    plain,
)
from ui.workshop.acting import act


def _add_note(assessment_id: int, workshop_id: int, kind_key: str, about_key: str, text_key: str) -> None:
    try:
        workshops.add_note(
            open_db(),
            assessment_id,
            st.session_state[kind_key],
            st.session_state[text_key],
            actor(),
            item_id=st.session_state[about_key],
            workshop_id=workshop_id,
        )
    except store.StoreError as exc:
        st.session_state["ws_error"] = str(exc)
        return
    st.session_state[text_key] = ""
    flash("Note saved")


def notes_panel(workshop: dict, items: list) -> None:
    wid, aid = workshop["id"], workshop["assessment_id"]
    st.write(
        "Capture what the room says: notes and quotes about an item, and a parking lot for issues raised that "
        "belong somewhere else. They are saved with the assessment and appear in its report."
    )
    titles = {i.id: f"{n}. {i.title}" for n, i in enumerate(items, 1)}
    kind_key, about_key, text_key = f"ws_note_kind_{wid}", f"ws_note_about_{wid}", f"ws_note_text_{wid}"
    seen_key = f"ws_note_about_seen_{wid}"
    if st.session_state.get(seen_key) != workshop["current_item"]:
        # Follow the room: a note is about the item on screen unless the facilitator picks another.
        st.session_state[about_key] = workshop["current_item"]
        st.session_state[seen_key] = workshop["current_item"]
    kind_col, about_col = st.columns([2, 3])
    kind_col.radio(
        "Kind", list(workshops.NOTE_KINDS), format_func=workshops.NOTE_KINDS.get, key=kind_key, horizontal=True
    )
    about_col.selectbox(
        "About",
        [None, *titles],
        format_func=lambda i: "The workshop as a whole" if i is None else titles[i],
        key=about_key,
    )
    st.text_area("What was said", key=text_key, max_chars=workshops.MAX_NOTE)
    st.button(
        "Save note",
        key=f"ws_note_add_{wid}",
        icon=":material/note_add:",
        on_click=_add_note,
        args=(aid, wid, kind_key, about_key, text_key),
    )

    notes = workshops.list_notes(open_db(), aid, include_deleted=True)
    kept = notes[notes["deleted_at"].isna()] if not notes.empty else notes
    removed = notes[notes["deleted_at"].notna()] if not notes.empty else notes
    if kept.empty:
        st.caption("No notes yet.")
    for kind in ("parking", "quote", "note"):
        rows = kept[kept["kind"] == kind] if not kept.empty else kept
        if rows.empty:
            continue
        st.subheader(
            workshops.NOTE_KINDS[kind] if kind == "parking" else f"{workshops.NOTE_KINDS[kind]}s", anchor=False
        )
        for row in rows.itertuples():
            text, remove = st.columns([6, 1], vertical_alignment="center")
            about = (
                ""
                if row.item_id is None or pd.isna(row.item_id)
                else f"**{plain(titles.get(row.item_id, row.item_id))}:** "
            )
            text.markdown(f"{about}{plain(row.text)}")
            remove.button(
                "Remove",
                key=f"ws_note_rm_{row.id}",
                type="tertiary",
                on_click=act,
                args=(workshops.set_note_deleted, int(row.id), True, ACTING),
                kwargs={"message": "Note removed: restore it from Removed notes"},
            )
    if not removed.empty:
        with st.expander(f"Removed notes ({len(removed)})"):
            for row in removed.itertuples():
                text, restore = st.columns([6, 1], vertical_alignment="center")
                text.markdown(plain(row.text))
                restore.button(
                    "Restore",
                    key=f"ws_note_restore_{row.id}",
                    type="tertiary",
                    on_click=act,
                    args=(workshops.set_note_deleted, int(row.id), False, ACTING),
                )

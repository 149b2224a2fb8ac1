"""Assess: every change to a round, in plain words."""

from __future__ import annotations

import streamlit as st

from checklist import (
    formatting,
    history_text,
    store,
)
from checklist.framework import Framework
from ui.common import (
    open_db,
    text_table,
)


def history_panel(assessment: dict, fw: Framework) -> None:
    frame = store.history(open_db(), assessment["id"])
    if frame.empty:
        st.write("No changes recorded yet.")
        return
    room = frame["entity"].isin(["vote", "participant"])
    if room.any() and not st.toggle(
        f"Show workshop votes and joins ({formatting.count(int(room.sum()))})",
        key=f"assess_history_votes_{assessment['id']}",
        help="Each vote cast in a workshop on this assessment, with who cast it. Hidden by default: there can be many.",
    ):
        frame = frame[~room]
    table = history_text.table(frame, fw)
    st.caption(f"{formatting.count(len(table))} changes, newest first. Times are UK time.")
    text_table(table)  # wraps: "What changed" is read whole, never cut at a column's edge

"""Workshop: what the facilitator's buttons do (start, open, act on a workshop), and the shared words."""

from __future__ import annotations

import streamlit as st

from checklist import live, store, workshops
from checklist.consensus import answer_label
from checklist.framework import LEVEL_VALUES
from checklist.scoring import DONT_KNOW
from ui.common import (
    acting,
    actor,
    db_path,
    flash,
    open_db,
)

REFRESH_SECONDS = 3


AGREE_OPTIONS = (*LEVEL_VALUES, DONT_KNOW)


KIND_LABEL = {workshops.LIVE: "Live workshop", workshops.INDEPENDENT: "Answers before the workshop"}


def agreed_label(value: int | str | None) -> str:
    """A widget option (a level, or DONT_KNOW since a widget cannot offer None) as people read it."""
    return answer_label(None if value == DONT_KNOW else value)


def open_workshop(workshop_id: int | None) -> None:
    if workshop_id is None:
        st.query_params.pop("workshop", None)
    else:
        st.query_params["workshop"] = str(workshop_id)


def begin_workshop(assessment_id: int, mode: str, seeded_from: int | None = None) -> None:
    try:
        started = workshops.start_workshop(open_db(), assessment_id, actor(), mode=mode, seeded_from=seeded_from)
    except store.StoreError as exc:
        st.session_state["ws_error"] = str(exc)
        return
    flash(f"{KIND_LABEL[mode]} started: the code is {started['code']}")
    open_workshop(started["id"])


def act(fn, *args, message: str | None = None, **kwargs) -> None:  # noqa: ANN001
    """Run a store write from a callback; a refusal is shown on the next run instead of raising."""
    try:
        fn(open_db(), *acting(args), **kwargs)
    except store.StoreError as exc:
        st.session_state["ws_error"] = str(exc)
    else:
        live.nudge(db_path())  # phones hear of the change now, not at the watcher's next look
        if message:
            flash(message)

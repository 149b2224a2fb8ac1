"""Assess: choose a unit and round, then answer item by item. Every change is saved as it is made.

The assessment and item being worked on live in the URL (?assessment=ID&item=ID), so a reload or
a dropped connection comes back to the same place with every saved answer.
"""

from __future__ import annotations

import streamlit as st

from checklist import (
    access,
    formatting,
    store,
)
from ui.assess.answer import item_panel
from ui.assess.choose import TAB_KEY, TABS, choose_assessment, local_items_panel, open_round, version_panel
from ui.assess.history import history_panel
from ui.assess.results import results_panel
from ui.assess.review import review_panel
from ui.assess.saving import show_status, take_status
from ui.assess.wording import remember_easy, worded
from ui.common import (
    actor,
    cannot_open,
    ensure_router,
    open_db,
    plain,
    show_flashes,
)

ensure_router()
show_flashes()
db = open_db()


def show_assessment(assessment: dict) -> None:
    fw = store.framework_of(assessment)
    saved = store.responses(db, assessment["id"])
    may_edit = access.can(actor(), access.EDIT, assessment["system_id"], assessment["place_id"])
    locked = assessment["status"] == store.SUBMITTED or not may_edit
    items = fw.items_of(assessment)
    answered = sum(1 for i in items if (saved.get(i.id) or {}).get("answer") is not None)
    chosen_modules = fw.modules_for(assessment["include_workforce"], assessment.get("include_enablers", False))

    if "assess_easy" not in st.session_state:
        st.session_state["assess_easy"] = st.query_params.get("easy") == "1"
    easy = bool(st.session_state["assess_easy"])  # the switch below: the words above it follow it too
    state = (worded(fw, easy, "draft_state", "Draft: every change is saved as you make it") if may_edit
             else worded(fw, easy, "read_only_state", "Draft, read only"))  # fmt: skip
    if assessment["status"] == store.SUBMITTED:
        state = worded(fw, easy, "submitted_state", "Submitted (locked)")
    top, switch = st.columns([5, 1], vertical_alignment="bottom")
    top.title(f"{plain(assessment['unit_name'])} · {plain(assessment['round_label'])}")
    switch.button("Choose another", on_click=open_round, args=(None,), key="assess_choose_another")
    assessed = worded(fw, easy, "assessed_on", "assessed {day}").format(
        day=formatting.day(assessment["assessment_date"])
    )
    st.caption(
        f"{plain(assessment['system_name'])} · {assessed} · {state} · framework {fw.version}"
        + "".join(f" · with the module {m.title}" for m in fw.modules if m.optional and m.id in chosen_modules)
        + (f" · with {plain(fw.local_title)} (local items, version {fw.local_version})" if fw.local_title else "")
    )
    progress = worded(fw, easy, "answered", "{answered} of {count} items answered")
    st.progress(answered / len(items), text=progress.format(answered=answered, count=len(items)))
    status_slot = st.empty()  # always present, for the same reason as the caption above the answers
    easy = st.toggle(
        "Easy Read wording",
        key="assess_easy",
        on_change=remember_easy,
        help="Short sentences and everyday words, for workshops. Kept in the address, so a reload keeps it.",
    )
    version_panel(assessment, fw, may_edit)
    local_items_panel(assessment, fw, may_edit)
    status = take_status(assessment["id"])

    # Only the open tab runs (a tab change reruns the page): an answer saved on the Answer tab does not
    # recompute the results, the review table and the history, which made each answer slow at scale.
    reviewing = not may_edit and access.can(actor(), access.REVIEW, assessment["system_id"], assessment["place_id"])
    first = "Review and submit" if reviewing else "Results" if locked else "Answer"
    answer_tab, review_tab, results_tab, history_tab = st.tabs(
        TABS, default=first, key=f"{TAB_KEY}{assessment['id']}", on_change="rerun"
    )
    # The save state shows once: beside the answers on the Answer tab, under the progress bar elsewhere.
    show_status(status_slot, None if answer_tab.open else status, True, fw, easy)
    if answer_tab.open:
        with answer_tab:
            if not may_edit:
                st.info("You can read this round; only a lead of this system or place can change it.")
            elif locked:
                st.info("This assessment is submitted and locked. Reopen it from **Review and submit** to change it.")
            item_panel(assessment, fw, saved, easy, locked, status)
    if review_tab.open:
        with review_tab:
            review_panel(assessment, fw, saved, locked, easy)
    if results_tab.open:
        with results_tab:
            results_panel(assessment, fw)
    if history_tab.open:
        with history_tab:
            history_panel(assessment, fw)


raw_id = st.query_params.get("assessment")
chosen = None
if raw_id:
    try:
        chosen = store.get_assessment(db, int(raw_id))
    except (ValueError, store.NotFoundError):
        cannot_open("assessment", raw_id)
if chosen is not None and not access.can(actor(), access.READ, chosen["system_id"], chosen["place_id"]):
    cannot_open("assessment", raw_id)
    chosen = None
if chosen is None:
    choose_assessment()
else:
    show_assessment(chosen)

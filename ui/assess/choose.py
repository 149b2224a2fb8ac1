"""Assess: choosing a unit and a round (or starting one), and moving a draft to a newer framework."""

from __future__ import annotations

import streamlit as st

from checklist import (
    access,
    clock,
    formatting,
    round_labels,
    store,
)
from checklist.framework import ENABLERS_MODULE, WORKFORCE_MODULE, Framework, carry_over
from checklist.summary import plural
from ui.assess.saving import save_failed, say_saved
from ui.autosave import SAVE_FAILURES
from ui.common import (
    actor,
    choose_unit,
    framework,
    open_db,
    plain,
)

TABS = ("Answer", "Review and submit", "Results", "History")


TAB_KEY = "assess_tab_"  # + the assessment id: which tab is open (tests choose one the same way)


def open_tab(assessment_id: int, tab: str) -> None:
    """Open one of the assessment's tabs, as a click on it does (before the tabs are drawn: a callback)."""
    st.session_state[f"{TAB_KEY}{assessment_id}"] = tab


def open_round(assessment_id: int | None) -> None:
    st.query_params.clear()
    if assessment_id is not None:
        st.query_params["assessment"] = str(assessment_id)


def _move(assessment_id: int, move, to: str) -> None:  # noqa: ANN001
    """Move a draft (store.move_to_framework or store.move_to_local_items) and say what the move kept."""
    try:
        plan = move(open_db(), assessment_id, actor())
    except SAVE_FAILURES as exc:
        save_failed(exc)
    else:
        say_saved(
            f"Moved to {to}: {len(plan.kept) + len(plan.review)} answer(s) kept, "
            f"{len(plan.review)} to look at again, {len(plan.dropped)} removed (kept in the history)"
        )


def version_panel(assessment: dict, fw: Framework, may_edit: bool) -> None:
    """A draft on an older framework: what moving it would do, and the button; after a move, what to look at."""
    if assessment["status"] != store.DRAFT:
        return
    newest = framework()
    if to_review := store.moved_items_to_review(open_db(), assessment):
        st.warning(
            "Moved from an earlier framework: the wording of "
            f"{plural(len(to_review), 'answered item')} changed. Look at them again: "
            + "; ".join(plain(fw.item(i).title) for i in to_review)
            + ".",
            icon=":material/published_with_changes:",
        )
    if fw.version == newest.version or not may_edit:
        return
    newest = store.framework_of({**assessment, "framework_version": newest.version})  # its local items kept
    plan = carry_over(fw, newest, list(store.responses(open_db(), assessment["id"])))
    with st.expander(f"This draft uses framework {fw.version}; version {newest.version} is current"):
        st.write(
            f"Moving it keeps every answer whose item still exists in {newest.version}. Nothing moves unless you "
            "press the button, and the history keeps the version it came from."
        )
        st.markdown(f"- Kept as they are: {len(plan.kept)}")
        st.markdown(
            f"- Kept, but the wording changed, so look again: {len(plan.review)}"
            + (" (" + "; ".join(plain(newest.item(i).title) for i in plan.review) + ")" if plan.review else "")
        )
        st.markdown(
            f"- Removed, because {newest.version} no longer has the item: {len(plan.dropped)}"
            + (" (" + "; ".join(plain(fw.item(i).title) for i in plan.dropped) + ")" if plan.dropped else "")
        )
        st.button(
            f"Move this draft to framework {newest.version}",
            key=f"assess_move_version_{assessment['id']}",
            on_click=_move,
            args=(assessment["id"], store.move_to_framework, f"framework {newest.version}"),
        )


def local_items_panel(assessment: dict, fw: Framework, may_edit: bool) -> None:
    """A draft whose system published newer local items since it started: what moving would do, and the button."""
    move = store.local_items_move(open_db(), assessment) if may_edit else None
    if move is None:
        return
    newest, plan = move
    title = plain(newest["title"])
    had = f"version {fw.local_version}" if fw.local_title else "none"
    with st.expander(f"Your system published {title} version {newest['version']} (this draft has {had})"):
        st.write(
            "Moving keeps every answer whose local item is still there. Nothing moves unless you press the button, "
            "and the history keeps what it came from."
        )
        st.markdown(f"- Kept as they are: {len(plan.kept)}")
        st.markdown(f"- Kept, but the wording changed, so look again: {len(plan.review)}")
        st.markdown(f"- Removed, because the newer version no longer has the item: {len(plan.dropped)}")
        st.button(
            f"Move this draft to {title} version {newest['version']}",
            key=f"assess_move_local_{assessment['id']}",
            on_click=_move,
            args=(assessment["id"], store.move_to_local_items, f"{title} version {newest['version']}"),
        )


def choose_assessment() -> None:
    st.title("Assess")
    st.write("Choose the system or place being assessed, then resume one of its rounds or start a new one.")
    chosen = choose_unit(open_db(), "assess")
    if chosen is None:
        return
    system_id, place_id, unit_name = chosen
    may_edit = access.can(actor(), access.EDIT, system_id, place_id)
    rounds = store.list_assessments(open_db(), system_id=system_id, place_id=place_id, whole_system=place_id is None)
    st.header("Rounds")
    if rounds.empty:
        st.write("No rounds yet for this unit.")
    for row in rounds.iloc[::-1].itertuples():
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(
                f"**{plain(row.round_label)}** · assessed {formatting.day(row.assessment_date)} · "
                f"{row.status.capitalize()} · {formatting.count(row.answered)} of {formatting.count(row.total)} "
                "items answered"
            )
            verb = "Resume" if row.status == store.DRAFT and may_edit else "Open" if may_edit else "View"
            right.button(verb, key=f"assess_open_{row.id}", on_click=open_round, args=(int(row.id),))

    if not may_edit:
        st.caption("You can read this unit's rounds; its lead starts and answers them.")
        return
    st.header("Start a new round")
    taken = rounds["round_label"].tolist()
    # The quarter's label, or the next one the unit does not have yet ("2026 Q4 round 2"): never a clash.
    suggested = round_labels.free_label(store.suggest_round_label(clock.today()), taken)
    with st.form("assess_new_round"):
        label = st.text_input(
            "Round label",
            value=suggested,
            help="A name this unit's rounds do not have yet, for example the quarter: 2026 Q4",
        )
        when = st.date_input("Assessment date", value=clock.today(), format="DD/MM/YYYY")
        # One switch per optional module of the framework new rounds use, in its own words.
        optional = {m.id: m for m in framework().modules if m.optional}
        chosen = {
            module_id: st.toggle(
                f"Include the optional module: {module.title}", help=module.description, key=f"assess_new_{module_id}"
            )
            for module_id, module in optional.items()
        }
        local = store.local_modules.latest(open_db(), system_id)
        include_local = local is not None and st.toggle(
            f"Include this system's local items: {plain(local['title'])} (version {local['version']})",
            value=True,
            help="Your system's own items, scored as their own domain and never in the overall score or comparisons",
            key="assess_new_local",
        )
        participants = st.text_area(
            "Who is taking part", placeholder="Roles or organisations: health, leisure, VCSE, lived experience…"
        )
        if st.form_submit_button("Start assessment", type="primary"):
            if existing := round_labels.taken_as(label, taken):
                clash = rounds[rounds["round_label"] == existing].iloc[0]
                st.error(
                    f"Not started: {plain(unit_name)} already has a round called '{plain(existing)}' "
                    f"({clash['status']}, assessed {formatting.day(clash['assessment_date'])}). Choose another "
                    f"label, for example '{plain(round_labels.free_label(existing, taken))}', or resume "
                    "that round above.",
                    icon=":material/error:",
                )
                return
            try:
                new_id = store.create_assessment(
                    open_db(),
                    system_id,
                    place_id,
                    label,
                    when,
                    actor(),
                    include_workforce=chosen.get(WORKFORCE_MODULE, False),
                    participants=participants,
                    include_enablers=chosen.get(ENABLERS_MODULE, False),
                    include_local=include_local,
                )
            except SAVE_FAILURES as exc:
                st.error(f"Not started: {plain(store.explain(exc))}", icon=":material/error:")
            else:
                open_round(new_id)
                st.rerun()

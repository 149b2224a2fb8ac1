"""Assess: an item's actions: add, change status, remove and restore."""

from __future__ import annotations

import streamlit as st

from checklist import (
    formatting,
    store,
)
from checklist.framework import Framework
from checklist.scoring import LEVEL_VALUES
from ui.assess.saving import as_sentence, base_key, save_failed, say_saved, seed, set_later
from ui.assess.wording import worded
from ui.autosave import SAVE_FAILURES
from ui.common import (
    ACTING,
    acting,
    actor,
    flash,
    open_db,
    plain,
    show_flashes,
)

ACTIONS_NOTE = "assess_actions"  # where a change to an action is confirmed (ui.common.flash)


def _action_call(fn, *args: object, done: str = "", about: str = "", **kwargs: object) -> bool:  # noqa: ANN001
    """Change an action; `done` says what was saved, with {} where the action's own words (`about`) go."""
    try:
        fn(open_db(), *acting(args), **kwargs)
    except SAVE_FAILURES as exc:
        save_failed(exc, done.format(plain(about)))
        return False
    say_saved(done.format(plain(about)))
    # The actions sit below the status line, often out of sight: said again beside them (never a pop-up).
    flash("Saved: " + done.format(about), where=ACTIONS_NOTE)
    return True


def _set_action_status(action_id: int, key: str, description: str) -> None:
    status = st.session_state[key]
    if not _action_call(store.update_action, action_id, ACTING, status=status,
                        done=f"action “{{}}” is now {status}", about=description):  # fmt: skip
        set_later(key, st.session_state.get(base_key(key)))  # show the status that is stored


def actions_panel(assessment: dict, fw: Framework, item_id: str, locked: bool, easy: bool = False) -> None:
    aid = assessment["id"]
    title = fw.item(item_id).title
    mine = store.list_actions(
        open_db(), aid, include_deleted=True, item_id=item_id
    )  # this item's only: read on each answer
    live = mine[mine["deleted_at"].isna()]
    deleted = mine[mine["deleted_at"].notna()]
    st.markdown(f"**{worded(fw, easy, 'actions_heading', 'Actions for this item')}** ({len(live)})")
    show_flashes(ACTIONS_NOTE)  # what was just done to an action, here beside them
    for action in live.itertuples():
        with st.container(border=True):
            text, status, remove = st.columns([4, 2, 1], vertical_alignment="center")
            due_words = worded(fw, easy, "action_due_is", "due {due}")
            due = f" · {due_words.format(due=formatting.day(action.due_date))}" if action.due_date else ""
            owner_words = worded(fw, easy, "action_owner_is", "owner: {owner}")
            owner = f" · {owner_words.format(owner=plain(action.owner))}" if action.owner else ""
            aim = (
                ""
                if action.target_level is None or action.target_level != action.target_level
                else " · "
                + worded(fw, easy, "action_aims_for", "aims for {level}").format(
                    level=fw.level_label(int(action.target_level), easy)
                )
            )
            text.markdown(f"{plain(action.description)}{owner}{due}{aim}")
            status_key = seed(f"assess_action_status_{action.id}", action.status)
            status.selectbox(
                worded(fw, easy, "action_status", "Status"),
                store.ACTION_STATUSES,
                format_func=lambda v: worded(fw, easy, f"action_{v}", v.capitalize()),
                key=status_key,
                on_change=_set_action_status,
                args=(int(action.id), status_key, action.description),
                disabled=locked,
            )
            remove.button(
                "Delete",
                key=f"assess_action_delete_{action.id}",
                on_click=_action_call,
                args=(store.set_action_deleted, int(action.id), True, ACTING),
                kwargs={"done": "action “{}” deleted (it can be restored below)", "about": action.description},
                disabled=locked,
                help=worded(fw, easy, "action_delete_help", "Deleted actions can be restored below."),
            )
    if not deleted.empty and not locked:
        with st.expander(
            worded(fw, easy, "deleted_actions", "Deleted actions ({count}): restore").format(count=len(deleted))
        ):
            for action in deleted.itertuples():
                cols = st.columns([4, 1], vertical_alignment="center")
                cols[0].markdown(plain(action.description))
                cols[1].button(
                    worded(fw, easy, "restore", "Restore"),
                    key=f"assess_action_restore_{action.id}",
                    on_click=_action_call,
                    args=(store.set_action_deleted, int(action.id), False, ACTING),
                    kwargs={"done": "action “{}” restored", "about": action.description},
                )
    if locked:
        return
    with st.form(f"assess_add_action_{aid}_{item_id}", clear_on_submit=True):
        st.markdown(f"**{worded(fw, easy, 'action_add', 'Add an action')}**")
        description = st.text_input(worded(fw, easy, "action_what", "What will be done"))
        c1, c2, c3 = st.columns(3)
        owner = c1.text_input(worded(fw, easy, "action_owner", "Owner"))
        due = c2.date_input(worded(fw, easy, "action_due", "Due date"), value=None, format="DD/MM/YYYY")
        aim = c3.selectbox(
            worded(fw, easy, "action_aim", "Level it aims for"),
            [None, *LEVEL_VALUES],
            format_func=lambda v: (
                worded(fw, easy, "no_aim", "No level chosen") if v is None else fw.level_label(v, easy)
            ),
        )
        if st.form_submit_button(worded(fw, easy, "action_submit", "Add action")):
            try:
                store.add_action(
                    open_db(), aid, item_id, actor(), description, owner=owner, due_date=due, target_level=aim
                )
            except SAVE_FAILURES as exc:
                # Here, beside the button: the form has emptied itself, so the words are repeated to copy back.
                st.error(
                    f"Not saved: the action “{plain(description.strip())}” was not added. "
                    f"{plain(as_sentence(store.explain(exc)))}",
                    icon=":material/error:",
                )
            else:
                say_saved(f"{title}: action “{plain(description.strip())}” added")
                flash(f"Saved: action “{description.strip()}” added", where=ACTIONS_NOTE)
                st.rerun()

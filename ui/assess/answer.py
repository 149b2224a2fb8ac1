"""Assess: answering one item (its level, evidence, how sure, target), with the jump list and next/previous."""

from __future__ import annotations

import streamlit as st

from checklist import (
    formatting,
    store,
)
from checklist.framework import Framework
from checklist.scoring import LEVEL, LEVEL_VALUES, NOT_APPLICABLE
from ui.assess.actions import actions_panel
from ui.assess.choose import open_tab
from ui.assess.files import files_panel
from ui.assess.review import item_comments
from ui.assess.saving import conflict_dialog, save_answer, save_field, seed, show_status
from ui.assess.wording import (
    ANSWER_OPTIONS,
    CONFIDENCE_HELP,
    answer_caption,
    answer_label,
    level_question,
    why_it_matters,
    worded,
)
from ui.common import (
    plain,
)


def item_panel(
    assessment: dict, fw: Framework, saved: dict, easy: bool, locked: bool, status: tuple[str, str] | None = None
) -> None:
    aid = assessment["id"]
    items = fw.items_of(assessment)
    ids = [i.id for i in items]
    jump_key = f"assess_item_{aid}"
    if jump_key not in st.session_state:
        wanted = st.query_params.get("item")
        st.session_state[jump_key] = wanted if wanted in ids else ids[0]

    def _move(step: int) -> None:
        here = ids.index(st.session_state[jump_key])
        st.session_state[jump_key] = ids[max(0, min(len(ids) - 1, here + step))]

    # Labels must not change while the page is open: Streamlit sends a selectbox's choice back as its
    # label, so a status mark that flips when an item is answered would no longer match its option.
    st.selectbox(
        worded(fw, easy, "jump", "Jump to item"),
        ids,
        format_func=lambda i: f"{ids.index(i) + 1}. {fw.item(i).title} — {fw.domain(fw.item(i).domain).title}",
        key=jump_key,
    )
    # Always drawn, whatever it says: an element that appears above the answer widgets would shift
    # Streamlit's element positions, remount them and drop a keyboard user's focus.
    unanswered = [fw.item(i).title for i in ids if (saved.get(i) or {}).get("answer") is None]
    if not unanswered:
        st.caption(worded(fw, easy, "all_answered", "Every item has an answer."))
    elif len(unanswered) <= 5:
        st.caption(worded(fw, easy, "still_to_answer", "Still to answer: {items}").format(items=", ".join(unanswered)))
    else:
        st.caption(worded(fw, easy, "many_to_answer", "{count} items still to answer.").format(count=len(unanswered)))
    current = st.session_state[jump_key]
    st.query_params["item"] = current
    item = fw.item(current)
    row = saved.get(item.id) or {}
    position = ids.index(current) + 1

    where = worded(fw, easy, "position", "item {position} of {count}").format(position=position, count=len(ids))
    # Item wording is shown as written: a system's own local items are user text.
    st.caption(f"{plain(fw.domain(item.domain).title)} · {where}")
    st.header(plain(item.title))
    st.markdown(plain(item.easy_statement if easy else item.statement))
    if item.unit:
        unit = fw.unit(item.unit)
        judged = unit.meaning  # newer versions' meaning says "Judged for …" itself: never said twice
        if not judged.startswith("Judged for"):
            judged = f"Judged for: {unit.name.lower()}. {judged}"
        st.caption(unit.easy_read if easy else judged)
    if item.counted and not easy:
        by_share = not item.counted.lower().startswith("not counted")
        st.caption(f"What is counted: {item.counted}" if by_share else item.counted)
    if not easy:  # the report's reasons and examples exist in standard wording only, as the evidence examples do
        why_it_matters(fw, item)

    if conflict := st.session_state.get("assess_conflict"):
        conflict_dialog(conflict)
    # Saved, or not saved and why, right above what was changed. Always drawn (see the caption above).
    show_status(st.empty(), status, locked, fw, easy)
    # Each widget's starting value is seeded once from the database and never passed as index= or
    # value=: a parameter that changes after a save would make Streamlit remount the widget and
    # drop keyboard focus mid-answer.
    answer_key = seed(
        f"assess_answer_{aid}_{item.id}", row.get("level") if row.get("answer") == LEVEL else row.get("answer")
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        # The unit's name is shown as escaped Markdown above; the radio group's own label (which screen
        # readers read raw, escapes and all, and which Streamlit also renders as Markdown) holds only our text.
        question = worded(fw, easy, "level_question", "Which level describes {unit} today?")
        st.markdown(f"**{question.format(unit=plain(assessment['unit_name']))}**")
        choice = st.radio(
            level_question(formatting.name_text(item.title), easy),  # hidden: the radio group's accessible name
            ANSWER_OPTIONS,
            label_visibility="collapsed",
            format_func=lambda v: answer_label(fw, v, easy),
            captions=[plain(answer_caption(fw, item, v, easy)) for v in ANSWER_OPTIONS],
            key=answer_key,
            on_change=save_answer,
            args=(aid, item.id, answer_key, item.title),
            disabled=locked,
        )
        if choice == NOT_APPLICABLE:
            reason_key = seed(f"assess_na_{aid}_{item.id}", row.get("na_reason", ""))
            st.text_input(
                worded(fw, easy, "not_applicable_help", "Why does this item not apply? (needed before submitting)"),
                key=reason_key,
                on_change=save_field,
                args=(aid, item.id, "na_reason", reason_key, item.title),
                disabled=locked,
            )
    with right:
        evidence_key = seed(f"assess_evidence_{aid}_{item.id}", row.get("evidence", ""))
        prompt = (
            (item.easy_evidence_prompt or fw.easy("evidence_prompt", item.evidence_prompt))
            if easy
            else (item.evidence_prompt)
        )
        st.text_area(
            worded(fw, easy, "evidence", "Evidence"),
            placeholder=prompt,
            help=plain(prompt),
            key=evidence_key,
            on_change=save_field,
            args=(aid, item.id, "evidence", evidence_key, item.title),
            disabled=locked,
        )
        if item.evidence_examples and not easy:
            with st.expander("What evidence looks like at each level"):
                st.markdown("\n".join(f"- **{formatting.level(v)}**: {item.evidence_example(v)}" for v in LEVEL_VALUES))
        links_key = seed(f"assess_links_{aid}_{item.id}", row.get("evidence_links", ""))
        st.text_input(
            worded(fw, easy, "evidence_links", "Links to evidence (optional)"),
            key=links_key,
            on_change=save_field,
            args=(aid, item.id, "evidence_links", links_key, item.title),
            disabled=locked,
        )
        files_panel(assessment, fw, item.id, locked, easy)
        confidence_key = seed(f"assess_confidence_{aid}_{item.id}", row.get("confidence"))
        st.radio(
            worded(fw, easy, "confidence", "How sure is that evidence?"),
            store.CONFIDENCE_LEVELS,
            format_func=lambda c: fw.easy(f"confidence_{c}", c.capitalize()) if easy else c.capitalize(),
            horizontal=True,
            help=None if easy else CONFIDENCE_HELP,  # in Easy Read each choice says it in its own words
            key=confidence_key,
            on_change=save_field,
            args=(aid, item.id, "confidence", confidence_key, item.title),
            disabled=locked,
        )
        target_key = seed(f"assess_target_{aid}_{item.id}", row.get("target_level"))
        st.selectbox(
            worded(fw, easy, "target", "Target level for the next round"),
            [None, *LEVEL_VALUES],
            format_func=lambda v: (
                worded(fw, easy, "no_target", "No target set") if v is None else fw.level_label(v, easy)
            ),
            key=target_key,
            on_change=save_field,
            args=(aid, item.id, "target_level", target_key, item.title),
            disabled=locked,
        )

    item_comments(assessment, fw, item.id)
    actions_panel(assessment, fw, item.id, locked, easy)

    back, _, forward = st.columns([1, 3, 1])
    back.button(
        worded(fw, easy, "previous_item", "← Previous item"), on_click=_move, args=(-1,), disabled=position == 1,
        key="assess_prev",
    )  # fmt: skip
    if position < len(ids):
        forward.button(worded(fw, easy, "next_item", "Next item →"), on_click=_move, args=(1,), key="assess_next")
    else:  # the last item: the next step is the review, not a greyed-out Next
        forward.button(
            worded(fw, easy, "review_and_submit", "Review and submit →"), key="assess_to_review", type="primary",
            on_click=open_tab, args=(aid, "Review and submit"),
        )  # fmt: skip

"""Assess: review and submit: every answer in one table, reviewers' comments, submitting, reopening and sign-off."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from checklist import (
    access,
    clock,
    evidence_files,
    exports,
    formatting,
    reviews,
    store,
)
from checklist.framework import Framework
from checklist.scoring import DONT_KNOW, LEVEL
from checklist.summary import plural
from ui.assess.saving import as_sentence, save_details, save_failed, say_saved, seed
from ui.assess.wording import answer_label, worded
from ui.autosave import SAVE_FAILURES
from ui.common import (
    ACTING,
    acting,
    actor,
    open_db,
    plain,
    text_table,
)


def _review_call(fn, *args: object, done: str = "") -> None:  # noqa: ANN001
    try:
        fn(open_db(), *acting(args))
    except SAVE_FAILURES as exc:
        save_failed(exc)
    else:
        if done:
            say_saved(done)


def _add_comment(assessment_id: int, key: str) -> None:
    item_id = st.session_state.get(f"{key}_item")
    _review_call(reviews.add_comment, assessment_id, st.session_state.get(f"{key}_text", ""), ACTING,
                 item_id or None, done="Comment added")  # fmt: skip
    if "assess_error" not in st.session_state:
        st.session_state[f"{key}_text"] = ""


def _comment_line(fw: Framework, comment: pd.Series) -> str:
    about = fw.item(comment["item_id"]).title if isinstance(comment["item_id"], str) else "The round as a whole"
    line = (
        f"**{plain(about)}**: {plain(comment['text'])}  \n{plain(comment['created_by'])}, "
        f"{formatting.day(comment['created_at'])}"
    )
    if isinstance(comment["addressed_at"], str):
        line += f" · addressed by {plain(comment['addressed_by'])} on {formatting.day(comment['addressed_at'])}"
    return line


def item_comments(assessment: dict, fw: Framework, item_id: str) -> None:
    """Open reviewer comments on one item, where the lead answers it."""
    here = reviews.comments(open_db(), assessment["id"], item_id=item_id, open_only=True)
    user = actor()
    may_answer = access.can(user, access.EDIT, assessment["system_id"], assessment["place_id"])
    for _, comment in here.iterrows():
        st.warning("Reviewer's comment: " + _comment_line(fw, comment), icon=":material/rate_review:")
        if may_answer:
            st.button(
                "Mark this comment addressed",
                key=f"assess_item_comment_addressed_{int(comment['id'])}",
                on_click=_review_call,
                args=(reviews.set_addressed, int(comment["id"]), True, ACTING),
                kwargs={"done": "Comment marked addressed"},
            )


def comments_panel(assessment: dict, fw: Framework, saved: dict) -> None:
    """The reviewer's step: comments on evidence (answered by the lead), and evidence marked verified."""
    aid = assessment["id"]
    user = actor()
    unit = (assessment["system_id"], assessment["place_id"])
    may_review = access.can(user, access.REVIEW, *unit)
    may_answer = access.can(user, access.EDIT, *unit) or may_review
    found = reviews.comments(open_db(), aid)
    waiting = int(found["addressed_at"].isna().sum()) if not found.empty else 0
    st.subheader(f"Reviewer's comments ({waiting} open)" if waiting else "Reviewer's comments")
    if found.empty:
        st.caption(
            "No comments yet. A reviewer comments on evidence here; the lead answers them and marks them addressed."
        )
    for _, comment in found.iterrows():
        text, buttons = st.columns([5, 2], vertical_alignment="center")
        text.markdown(_comment_line(fw, comment))
        cid = int(comment["id"])
        if may_answer:
            addressed = isinstance(comment["addressed_at"], str)
            buttons.button(
                "Open again" if addressed else "Mark addressed",
                key=f"assess_comment_addressed_{cid}",
                on_click=_review_call,
                args=(reviews.set_addressed, cid, not addressed, ACTING),
                kwargs={"done": "Comment opened again" if addressed else "Comment marked addressed"},
            )
        if may_review and comment["created_by"].casefold() == user.name.casefold():
            buttons.button(
                "Withdraw",
                key=f"assess_comment_withdraw_{cid}",
                on_click=_review_call,
                args=(reviews.withdraw, cid, ACTING),
                kwargs={"done": "Comment withdrawn (kept in the history)"},
            )
    if not may_review:
        return
    items = fw.items_of(assessment)
    key = f"assess_comment_{aid}"
    with st.expander("As reviewer: comment on evidence, or mark it verified", expanded=not user.local):
        st.selectbox(
            "About",
            [None, *(i.id for i in items)],
            format_func=lambda i: "The round as a whole" if i is None else fw.item(i).title,
            key=f"{key}_item",
        )
        st.text_area("Comment", max_chars=reviews.MAX_COMMENT, key=f"{key}_text")
        st.button("Add comment", key=f"{key}_add", on_click=_add_comment, args=(aid, key))
        unverified = [
            i.id
            for i in items
            if ((saved.get(i.id) or {}).get("evidence") or "").strip()
            and (saved.get(i.id) or {}).get("confidence") != reviews.VERIFIED
        ]
        if assessment.get("signed_off_at"):
            st.caption("Signed off: reopen the round to review its evidence again.")
        elif unverified:
            chosen = st.selectbox(
                "Evidence checked and found to stand",
                unverified,
                format_func=lambda i: fw.item(i).title,
                key=f"{key}_verify_item",
            )
            st.button(
                "Mark evidence verified",
                key=f"{key}_verify",
                on_click=_review_call,
                args=(reviews.verify_evidence, aid, chosen, ACTING),
                kwargs={"done": "Evidence marked verified"},
            )
        else:
            st.caption("Every item with evidence is marked verified.")


def _gap_words(level: object, target: object) -> str:
    if not isinstance(level, int) or target is None:
        return formatting.NONE
    gap = int(target) - level
    if gap <= 0:
        return "Met"
    return f"{gap} level{'s' if gap > 1 else ''} to go"


def review_table(assessment: dict, fw: Framework, saved: dict, easy: bool) -> None:
    """Every item: answer, target and gap, the evidence itself, and a link that opens the item."""
    words = {
        key: worded(fw, easy, key, standard)
        for key, standard in (("col_item", "Item"), ("col_answer", "Answer"),
                              ("col_target", "Target"), ("col_gap", "Gap to target"), ("col_evidence", "Evidence"),
                              ("col_confidence", "How sure"), ("col_link", "Open"))
    }  # fmt: skip
    rows = []
    files = evidence_files.names_by_item(open_db(), assessment["id"])
    for item in fw.items_of(assessment):
        row = saved.get(item.id) or {}
        answer = row.get("answer")
        level = row.get("level") if answer == LEVEL else None
        evidence = " ".join((row.get("evidence") or "").split())
        if item.id in files:
            evidence = (evidence + " " if evidence else "") + "Files: " + "; ".join(files[item.id])
        rows.append(
            {
                "item": item.title,
                "answer": "Not answered" if answer is None else answer_label(fw, level if answer == LEVEL else answer),
                "target": formatting.level(row.get("target_level"), none="No target"),
                "gap": _gap_words(level, row.get("target_level")),
                "evidence": evidence or "None recorded",
                "confidence": (row.get("confidence") or "").capitalize() or formatting.NONE,
                # Relative to the page's own address, so it works under any base path; opens the item to answer.
                "link": f"[{plain(words['col_link'])}](?assessment={assessment['id']}&item={item.id})",
            }
        )
    # A static table that wraps: the evidence is read here in full, never cut at a column's edge (a grid clips it).
    text_table(
        pd.DataFrame(rows).rename(columns=lambda key: words[f"col_{key}"]),
        markdown=(words["col_link"],),
    )


def _titles(fw: Framework, items: list) -> str:  # noqa: ANN001
    return "\n".join(f"- {plain(fw.item(i).title)}" for i in items)


def _cancel_submit() -> None:
    st.session_state.pop("assess_confirm_submit", None)


@st.dialog("Submit and lock this round?", width="large", on_dismiss=_cancel_submit)
def submit_dialog(assessment: dict, fw: Framework, saved: dict, note: str, easy: bool) -> None:
    """What is about to be locked, named item by item, then Submit or Go back."""
    aid = assessment["id"]
    items = [i.id for i in fw.items_of(assessment)]
    rows = {i: saved.get(i) or {} for i in items}
    dont_know = [i for i in items if rows[i].get("answer") == DONT_KNOW]
    with_level = [i for i in items if rows[i].get("answer") == LEVEL]
    no_evidence = [i for i in with_level if not (rows[i].get("evidence") or "").strip()]
    no_target = [i for i in with_level if rows[i].get("target_level") is None]
    st.write(
        f"Submitting locks {plain(assessment['unit_name'])} · {plain(assessment['round_label'])}: its answers, "
        "evidence, targets and actions can no longer be changed unless the round is reopened (the history records "
        "who reopened it and why). Check these first:"
    )
    for found, heading, meaning in (
        (dont_know, "Don't know", "These stay evidence gaps and are left out of the scores."),
        (no_evidence, "No evidence recorded", "These levels rest on nothing written down."),
        (no_target, "No target set", "These items have a level but no target for the next round."),
    ):
        if found:
            st.markdown(f"**{heading} ({len(found)})**: {meaning}\n{_titles(fw, found)}")
        else:
            st.markdown(f"**{heading}**: none.")
    st.markdown(f"**Your note**: {plain(note.strip())}" if note.strip() else "**Your note**: none.")
    st.caption("A reviewer signs the round off after it is submitted, in their own name; a note is not a sign-off.")
    back, go = st.columns(2)
    if back.button("Go back", key=f"assess_submit_back_{aid}", icon=":material/arrow_back:", width="stretch"):
        _cancel_submit()
        st.rerun()
    if go.button(worded(fw, easy, "submit", "Submit and lock"), key=f"assess_submit_confirm_{aid}", type="primary",
                 icon=":material/lock:", width="stretch"):  # fmt: skip
        try:
            store.submit_assessment(open_db(), aid, actor(), note=note)
        except store.IncompleteError as exc:
            st.error(f"Not submitted: {plain(str(exc))}:\n" + "\n".join(f"- {plain(p)}" for p in exc.problems))
        except SAVE_FAILURES as exc:
            st.error(f"Not submitted: {plain(as_sentence(store.explain(exc)))}", icon=":material/error:")
        else:
            _cancel_submit()
            done = worded(fw, easy, "submit_confirmed", "Assessment submitted and locked")
            # The status line now says this, not the last field saved before it (a note typed a moment ago).
            st.session_state.pop("assess_last_saved", None)
            st.session_state["assess_submitted"] = (aid, formatting.time_of_day(clock.now()), done)
            st.rerun()


def review_panel(assessment: dict, fw: Framework, saved: dict, locked: bool, easy: bool = False) -> None:
    aid = assessment["id"]
    review_table(assessment, fw, saved, easy)
    comments_panel(assessment, fw, saved)
    may_edit = access.can(actor(), access.EDIT, assessment["system_id"], assessment["place_id"])
    if assessment["status"] == store.DRAFT and not may_edit:
        st.info("This round is still a draft: its lead submits it when every item is answered.")
        return
    if locked:
        st.success(
            f"Submitted on {formatting.day(assessment['submitted_at'])} by {plain(assessment['submitted_by'])}"
            + ". This assessment is locked."
            + (
                f" The lead's note at submission: {plain(assessment['submit_note'])}"
                if assessment["submit_note"]
                else ""
            )
        )
        sign_off_panel(assessment)
        if not may_edit:
            return
        with st.expander("Reopen for changes"):
            reason = st.text_input("Why is it being reopened? (kept in the history)", key=f"assess_reopen_reason_{aid}")
            if st.button("Reopen assessment", key=f"assess_reopen_{aid}"):
                try:
                    store.reopen_assessment(open_db(), aid, actor(), reason)
                except SAVE_FAILURES as exc:
                    st.error(f"Not reopened: {plain(as_sentence(store.explain(exc)))}", icon=":material/error:")
                else:
                    say_saved("Round reopened for changes")
                    st.rerun()
        return
    st.download_button(
        "Download a blank Excel template for this round (fill offline, import on Manage)",
        lambda: exports.template_xlsx(
            fw,
            assessment["system_name"],
            assessment["place_name"] or "",
            assessment["round_label"],
            assessment["assessment_date"],
            assessment["include_workforce"],
            include_enablers=assessment["include_enablers"],
        ),
        file_name=f"template-{assessment['round_label']}.xlsx".replace(" ", "-"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"assess_template_{aid}",
        on_click="ignore",  # a download changes nothing: no rerun
    )
    with st.expander("Round details: date and who took part"):
        date_key = seed(f"assess_date_{aid}", date.fromisoformat(assessment["assessment_date"]))
        st.date_input(
            "Assessment date",
            format="DD/MM/YYYY",
            key=date_key,
            on_change=save_details,
            args=(aid, "assessment_date", date_key),
        )
        people_key = seed(f"assess_participants_{aid}", assessment["participants"])
        st.text_area(
            "Who took part (roles or organisations)",
            key=people_key,
            on_change=save_details,
            args=(aid, "participants", people_key),
        )
    problems = store.completeness_problems(open_db(), aid)
    if problems:
        st.warning(
            f"{plural(len(problems), 'item')} {'needs' if len(problems) == 1 else 'need'} attention "
            "before submitting:\n" + "\n".join(f"- {plain(p)}" for p in problems)
        )
    # Saved as it is typed, like the details above: a note written and then left for another tab is not lost.
    # Never a sign-off: a reviewer gives that after submission, in their own name.
    note_key = seed(f"assess_note_{aid}", assessment["submit_note"])
    note = st.text_area(
        "Note at submission (optional)",
        key=note_key,
        max_chars=store.MAX_SUBMIT_NOTE,
        on_change=save_details,
        args=(aid, "submit_note", note_key),
        help="Anything a reader should know about this round. It is not a sign-off: once the round is submitted, "
        "a reviewer signs it off in their own name.",
    )
    if st.button(worded(fw, easy, "submit", "Submit and lock"), type="primary", key=f"assess_submit_{aid}"):
        if problems:
            st.error(
                f"Not submitted: {plural(len(problems), 'item')} {'needs' if len(problems) == 1 else 'need'} an answer "
                "before this assessment can be submitted:\n" + "\n".join(f"- {plain(p)}" for p in problems)
            )
        else:
            # Nothing is locked yet: the dialog says what would be, and only its Submit button submits.
            st.session_state["assess_confirm_submit"] = {"aid": aid, "note": note}
    pending = st.session_state.get("assess_confirm_submit")
    if pending and pending["aid"] == aid and not st.session_state.get("assess_conflict"):
        submit_dialog(assessment, fw, saved, pending["note"], easy)


def _sign_off(assessment_id: int) -> None:
    try:
        store.sign_off(open_db(), assessment_id, actor())
    except SAVE_FAILURES as exc:
        save_failed(exc)
    else:
        say_saved("Round signed off")


def sign_off_panel(assessment: dict) -> None:
    """A submitted round's sign-off: who and when, or, for a reviewer, the button to give it.

    Only a signed-in reviewer can sign off, by their own act. Local mode has one user, who cannot be
    their own second pair of eyes, so it has no sign-off.
    """
    if assessment["status"] != store.SUBMITTED:
        return
    if assessment.get("signed_off_at"):
        st.success(
            f"Signed off by {plain(assessment['signed_off_by'])} on {formatting.day(assessment['signed_off_at'])}.",
            icon=":material/verified:",
        )
    elif actor().local:
        st.caption("Not signed off: a reviewer signs a round off, in their own name, on a shared copy of the tool.")
    elif assessment.get("submitted_by_user_id") == actor().id:
        st.caption("Not signed off yet: you submitted this round, so another reviewer signs it off.")
    elif access.can(actor(), access.REVIEW, assessment["system_id"], assessment["place_id"]):
        st.button(
            "Sign off this round",
            key=f"assess_sign_off_{assessment['id']}",
            icon=":material/verified:",
            on_click=_sign_off,
            args=(assessment["id"],),
            help="Confirms, as reviewer, that the answers and evidence stand. Whoever submitted it cannot sign it off.",
        )

"""Assess: the words the answering screen uses, in standard or Easy Read wording."""

from __future__ import annotations

import streamlit as st

from checklist import formatting
from checklist.framework import Framework
from checklist.scoring import DONT_KNOW, LEVEL_VALUES, NOT_APPLICABLE

ANSWER_OPTIONS = (*LEVEL_VALUES, DONT_KNOW, NOT_APPLICABLE)


CONFIDENCE_HELP = (
    "How sure is the evidence? **Asserted**: we believe it, nothing written down. "
    "**Documented**: papers, plans or data show it. **Verified**: checked by someone independent "
    "or by people with lived experience."
)


# Easy Read wording for the page's own words where the framework file has none yet (a framework's
# [easy_read] table overrides any of these by key, as it does for the answering words).
EASY_WORDS = {
    "col_item": "Question", "col_answer": "Our answer", "col_target": "Next step we want",
    "col_gap": "Steps to go", "col_evidence": "What shows it", "col_confidence": "How sure", "col_link": "Open it",
    "actions_heading": "Things to do", "action_add": "Plan something to do", "action_what": "What will you do?",
    "action_owner": "Who will do it?", "action_due": "When by?", "action_aim": "Which step will it reach?",
    "action_submit": "Add the thing to do", "action_status": "How is it going?",
    "level_question": "Which step is {unit} at now?", "jump": "Go to a question", "evidence": "What shows it",
    "evidence_links": "Links to what shows it (you do not have to add these)", "no_target": "No next step chosen",
    "all_answered": "Every question has an answer.", "still_to_answer": "Questions still to answer: {items}",
    "many_to_answer": "{count} questions still to answer.", "no_aim": "No step chosen",
    "position": "question {position} of {count}", "autosave": "We save each change straight away.",
    "action_owner_is": "who: {owner}", "action_due_is": "when by: {due}", "action_aims_for": "aims for {level}",
    "action_not started": "Not started yet", "action_in progress": "Started", "action_done": "Done",
    "action_dropped": "Stopped", "action_delete_help": "You can bring it back below.",
    "deleted_actions": "Things you deleted ({count}): bring one back", "restore": "Bring back",
    "assessed_on": "looked at on {day}", "draft_state": "Not sent yet: we save each change straight away",
    "read_only_state": "Not sent yet. You can read it but not change it", "submitted_state": "Sent. It is locked",
    "answered": "{answered} of {count} questions answered",
    "files_heading": "Files that show it", "file_download": "Get the file", "file_remove": "Take it away",
    "attach_file": "Add a file that shows it (PDF, Word, Excel, PowerPoint, a picture or text)",
}  # fmt: skip


def why_it_matters(fw: Framework, item) -> None:  # noqa: ANN001
    if not (item.why_it_matters or item.learn_from or item.case_studies or item.references):
        return  # a system's own item may give none of these: no empty panel
    with st.expander("Why this matters, and where it already works"):
        if item.why_it_matters:  # a system's own item may leave it out
            st.markdown(formatting.markdown_text(item.why_it_matters))
        if item.learn_from:
            st.markdown(f"**What works:** {formatting.markdown_text(item.learn_from)}")
        for case_id in item.case_studies:
            case = fw.case_study(case_id)
            st.markdown(f"- **{case.title}** (report section {case.section}): {case.summary}")
        for label in dict.fromkeys(r.label for r in item.references):
            refs = [("section " if not r.source else "") + fw.cite(r) for r in item.references if r.label == label]
            st.markdown(f"**{label}:** " + "; ".join(refs))


def level_question(item_title: str, easy: bool = False) -> str:
    """The level radio's accessible name: the item, never user text."""
    return f"{item_title}: which step is it at now?" if easy else f"{item_title}: which level fits today?"


def answer_label(fw: Framework, value: object, easy: bool = False) -> str:
    if value == DONT_KNOW:
        return fw.easy("dont_know", "Don't know") if easy else "Don't know"
    if value == NOT_APPLICABLE:
        return fw.easy("not_applicable", "Not applicable") if easy else "Not applicable"
    return fw.level_label(int(value), easy)


def answer_caption(fw: Framework, item, value: object, easy: bool) -> str:  # noqa: ANN001
    if value == DONT_KNOW:
        standard = "We cannot say yet. Recorded as an evidence gap; left out of the scores."
        return fw.easy("dont_know_help", standard) if easy else standard
    if value == NOT_APPLICABLE:
        standard = "This item does not apply here. Give a reason; left out of the scores."
        return fw.easy("not_applicable_help", standard) if easy else standard
    return item.descriptor(int(value), easy_read=easy)


def worded(fw: Framework, easy: bool, key: str, standard: str) -> str:
    """Interface wording: the framework's Easy Read version when the switch is on, else the standard one."""
    return fw.easy(key, EASY_WORDS.get(key, standard)) if easy else standard


def remember_easy() -> None:
    # Kept in the address, so a reload or a shared link keeps the wording the reader chose.
    if st.session_state.get("assess_easy"):
        st.query_params["easy"] = "1"
    else:
        st.query_params.pop("easy", None)

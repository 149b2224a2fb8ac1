"""Assess: choose a unit and round, then answer item by item. Every change is saved as it is made.

The assessment and item being worked on live in the URL (?assessment=ID&item=ID), so a reload or
a dropped connection comes back to the same place with every saved answer.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from checklist import (
    access,
    analysis,
    clock,
    exports,
    formatting,
    history_text,
    presentation,
    reports,
    reviews,
    round_labels,
    store,
    summary,
)
from checklist.framework import ENABLERS_MODULE, WORKFORCE_MODULE, Framework, carry_over, framework_for
from checklist.scoring import DONT_KNOW, LEVEL, LEVEL_VALUES, NOT_APPLICABLE
from checklist.summary import plural
from ui.autosave import SAVE_FAILURES
from ui.common import (
    ACTING,
    acting,
    actor,
    cannot_open,
    choose_unit,
    ensure_router,
    flash,
    framework,
    headline,
    open_db,
    open_fresh,
    plain,
    show_flashes,
    text_table,
)

ensure_router()

ANSWER_OPTIONS = (*LEVEL_VALUES, DONT_KNOW, NOT_APPLICABLE)
TABS = ("Answer", "Review and submit", "Results", "History")
ACTIONS_NOTE = "assess_actions"  # where a change to an action is confirmed (ui.common.flash)
TAB_KEY = "assess_tab_"  # + the assessment id: which tab is open (tests choose one the same way)
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
}  # fmt: skip

show_flashes()
db = open_db()


def why_it_matters(fw: Framework, item) -> None:  # noqa: ANN001
    with st.expander("Why this matters, and where it already works"):
        st.markdown(item.why_it_matters)
        st.markdown(f"**What works:** {item.learn_from}")
        for case_id in item.case_studies:
            case = fw.case_study(case_id)
            st.markdown(f"- **{case.title}** (report section {case.section}): {case.summary}")
        for label in dict.fromkeys(r.label for r in item.references):
            refs = [("section " if not r.source else "") + fw.cite(r) for r in item.references if r.label == label]
            st.markdown(f"**{label}:** " + "; ".join(refs))


def level_question(item_title: str, easy: bool = False) -> str:
    """The level radio's accessible name: the item, never user text."""
    return f"{item_title}: which step is it at now?" if easy else f"{item_title}: which level fits today?"


def _base_key(key: str) -> str:
    return f"{key}__base"


QUICK_SECONDS = 10


def _age_seconds(at: str | None) -> float:
    try:
        return (clock.now() - datetime.fromisoformat(at)).total_seconds() if at else float("inf")
    except ValueError:
        return float("inf")


def _widget_value(row: dict, fields: dict) -> object:
    """A stored response as the widget for these fields holds it (a level, an answer kind, or the field)."""
    if "answer" in fields:
        return row.get("level") if row.get("answer") == LEVEL else row.get("answer")
    return row.get(next(iter(fields)))


def _saved(note: str) -> None:
    """Say, on the next run, what was just saved (`note` is Markdown: user text in it is escaped with plain)."""
    st.session_state.pop("assess_error", None)
    st.session_state["assess_saved"] = note


def _failed(exc: BaseException, note: str = "") -> None:
    """Say, on the next run, that a change was not saved, which, and why (never a claim that it was)."""
    st.session_state.pop("assess_saved", None)
    st.session_state["assess_error"] = (note, store.explain(exc))


def _sentence(text: str) -> str:
    """A store message as a sentence: capital first letter, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _answer_words(value: object) -> str:
    if value is None:
        return "answer cleared"
    if isinstance(value, int):
        return formatting.level(value)
    return history_text.ANSWER_WORDS.get(value, str(value))


def _field_note(title: str, field: str, value: object) -> str:
    """What a saved field was, in words: 'Referrals: 2 · Developing', 'Referrals: target 4 · Thriving'."""
    if field == "answer":
        return f"{title}: {_answer_words(value)}"
    if field == "target_level":
        return f"{title}: " + ("no target" if value is None else f"target {formatting.level(value)}")
    if field == "confidence":
        return f"{title}: how sure, " + ("not set" if value is None else str(value).capitalize())
    words = {"evidence": "evidence", "evidence_links": "evidence links", "na_reason": "why it does not apply"}
    return f"{title}: {words.get(field, field)}"


def _save(assessment_id: int, item_id: str, key: str, based_on: dict, note: str, **fields: object) -> None:
    """Save what a widget now holds, saying which stored value the change started from."""
    for attempt in range(2):
        try:
            store.save_response(open_db(), assessment_id, item_id, actor(), based_on=based_on, **fields)
        except store.StaleSaveError as exc:
            current = store.responses(open_db(), assessment_id).get(item_id, {})
            own = _widget_value(current, based_on) == st.session_state.get(f"{key}__saved", object())
            # Arrow keys move a level choice several steps in a second; a step's save can land while the
            # page still holds the step before. The same person's level saved moments ago is that, not
            # someone else's work. (Text, and anyone else's change, always asks.)
            moments_ago = "answer" in based_on and exc.by == actor().name and _age_seconds(exc.at) < QUICK_SECONDS
            if attempt == 0 and (own or moments_ago):
                based_on = {k: current.get(k) for k in based_on}
                continue
            st.session_state.pop("assess_saved", None)
            st.session_state["assess_conflict"] = {
                "aid": assessment_id,
                "item": item_id,
                "key": key,
                "field": exc.field,
                "message": str(exc),
                "theirs": exc.theirs,
                "yours": exc.yours,
                "yours_value": st.session_state[key],  # as the widget holds it (a level, or text)
                "note": note,
            }
        except SAVE_FAILURES as exc:
            _failed(exc, note)
            if not isinstance(st.session_state[key], str):
                # A choice goes back to what is stored, so the page never shows an unsaved level as if it
                # were saved; typed text stays in its box, to try again or copy somewhere safe.
                _set_later(key, st.session_state.get(_base_key(key)))
        else:
            st.session_state[_base_key(key)] = st.session_state[f"{key}__saved"] = st.session_state[key]
            _saved(note)
        return


def _answer_fields(value: object) -> dict:
    if value is None:
        return {"answer": None}
    if isinstance(value, int):
        return {"answer": LEVEL, "level": value}
    return {"answer": value}


def _save_answer(assessment_id: int, item_id: str, key: str, title: str) -> None:
    base = _answer_fields(st.session_state.get(_base_key(key)))
    value = st.session_state[key]
    _save(assessment_id, item_id, key, {"answer": base.get("answer"), "level": base.get("level")},
          _field_note(title, "answer", value), **_answer_fields(value))  # fmt: skip


def _save_field(assessment_id: int, item_id: str, field: str, key: str, title: str) -> None:
    value = st.session_state[key]
    _save(assessment_id, item_id, key, {field: st.session_state.get(_base_key(key))},
          _field_note(title, field, value), **{field: value})  # fmt: skip


def _save_details(assessment_id: int, field: str, key: str) -> None:
    try:
        store.update_assessment_details(open_db(), assessment_id, actor(), **{field: st.session_state[key]})
    except SAVE_FAILURES as exc:
        _failed(exc)
    else:
        words = {
            "assessment_date": "assessment date",
            "participants": "who took part",
            "submit_note": "note at submission",
        }
        _saved(f"Round details: {words.get(field, field)}")


def _seed(key: str, value: object) -> str:
    """Give a widget its saved value, and remember that value as what a change by this user starts from.

    The first time it is drawn in this session it takes the stored value. Later, if someone else has
    saved a new value and nothing has been changed here, it follows theirs; if both changed it, the
    save says so (see _save) rather than either overwriting the other. Returns the key.
    """
    base = _base_key(key)
    settled = st.session_state.get("assess_set", {})
    if key in settled:  # a conflict was just settled: show what was kept
        st.session_state[key] = st.session_state[base] = settled.pop(key)
        return key
    if key not in st.session_state:
        st.session_state[key] = st.session_state[base] = value
    elif st.session_state.get(base) != value and st.session_state[key] == st.session_state.get(base):
        st.session_state[key] = st.session_state[base] = value
    return key


def _set_later(key: str, value: object) -> None:
    """Give a widget a new value (and base) on the next full run, before it is drawn."""
    st.session_state.setdefault("assess_set", {})[key] = value


def _resolve(conflict: dict, choice: str, merged: str | None = None) -> None:
    """Settle a conflicting save: keep theirs, keep yours, or save the merged text."""
    st.session_state.pop("assess_conflict", None)
    key, field = conflict["key"], conflict["field"]
    current = store.responses(open_db(), conflict["aid"]).get(conflict["item"], {})
    if field in ("answer", "level"):
        stored = current.get("level") if current.get("answer") == LEVEL else current.get("answer")
        base = {"answer": current.get("answer"), "level": current.get("level")}
    else:
        stored = current.get(field)
        base = {field: stored}
    if choice == "theirs":
        _set_later(key, stored)
        return
    value = merged if choice == "merged" else conflict["yours_value"]
    fields = _answer_fields(value) if field in ("answer", "level") else {field: value}
    try:
        store.save_response(open_db(), conflict["aid"], conflict["item"], actor(), based_on=base, **fields)
    except SAVE_FAILURES as exc:
        _failed(exc)
        _set_later(key, stored)
    else:
        _saved(conflict.get("note") or "Your version")
        _set_later(key, value)


@st.dialog("Someone else changed this while you were editing", width="large")
def conflict_dialog(conflict: dict) -> None:
    st.write(plain(conflict["message"]))
    theirs_col, yours_col = st.columns(2)
    for col, title, value in ((theirs_col, "Their version (saved)", conflict["theirs"]),
                              (yours_col, "Your version (not saved yet)", conflict["yours"])):  # fmt: skip
        col.markdown(f"**{title}**")
        col.text("(blank)" if value in (None, "") else str(value))
    text = all(isinstance(v, str) for v in (conflict["theirs"], conflict["yours"])) and conflict["field"] not in (
        "answer", "confidence")  # fmt: skip
    merged = None
    if text:
        merged = st.text_area("Merged (edit as you like)", value=f"{conflict['theirs']}\n\n{conflict['yours']}".strip(),
                              key="assess_conflict_merged")  # fmt: skip
    b1, b2, b3 = st.columns(3)
    choice = None
    if b1.button("Keep theirs", key="assess_keep_theirs", width="stretch"):
        choice = "theirs"
    if b2.button("Keep mine", key="assess_keep_mine", width="stretch"):
        choice = "mine"
    if text and b3.button("Save merged", key="assess_keep_merged", type="primary", width="stretch"):
        choice = "merged"
    if choice:
        _resolve(conflict, choice, merged)
        st.rerun()  # closes the dialog and redraws the page with the settled value


def _open_tab(assessment_id: int, tab: str) -> None:
    """Open one of the assessment's tabs, as a click on it does (before the tabs are drawn: a callback)."""
    st.session_state[f"{TAB_KEY}{assessment_id}"] = tab


def _open(assessment_id: int | None) -> None:
    st.query_params.clear()
    if assessment_id is not None:
        st.query_params["assessment"] = str(assessment_id)


def _answer_label(fw: Framework, value: object, easy: bool = False) -> str:
    if value == DONT_KNOW:
        return fw.easy("dont_know", "Don't know") if easy else "Don't know"
    if value == NOT_APPLICABLE:
        return fw.easy("not_applicable", "Not applicable") if easy else "Not applicable"
    return fw.level_label(int(value), easy)


def _answer_caption(fw: Framework, item, value: object, easy: bool) -> str:  # noqa: ANN001
    if value == DONT_KNOW:
        standard = "We cannot say yet. Recorded as an evidence gap; left out of the scores."
        return fw.easy("dont_know_help", standard) if easy else standard
    if value == NOT_APPLICABLE:
        standard = "This item does not apply here. Give a reason; left out of the scores."
        return fw.easy("not_applicable_help", standard) if easy else standard
    return item.descriptor(int(value), easy_read=easy)


def _words(fw: Framework, easy: bool, key: str, standard: str) -> str:
    """Interface wording: the framework's Easy Read version when the switch is on, else the standard one."""
    return fw.easy(key, EASY_WORDS.get(key, standard)) if easy else standard


def _remember_easy() -> None:
    # Kept in the address, so a reload or a shared link keeps the wording the reader chose.
    if st.session_state.get("assess_easy"):
        st.query_params["easy"] = "1"
    else:
        st.query_params.pop("easy", None)


def _move_version(assessment_id: int) -> None:
    try:
        plan = store.move_to_framework(open_db(), assessment_id, actor())
    except SAVE_FAILURES as exc:
        _failed(exc)
    else:
        _saved(
            f"Moved to framework {framework().version}: {len(plan.kept) + len(plan.review)} answer(s) kept, "
            f"{len(plan.review)} to look at again, {len(plan.dropped)} removed (kept in the history)"
        )


def version_panel(assessment: dict, fw: Framework, may_edit: bool) -> None:
    """A draft on an older framework: what moving it would do, and the button; after a move, what to look at."""
    if assessment["status"] != store.DRAFT:
        return
    newest = framework()
    if to_review := store.moved_items_to_review(db, assessment):
        st.warning(
            "Moved from an earlier framework: the wording of "
            f"{plural(len(to_review), 'answered item')} changed. Look at them again: "
            + "; ".join(fw.item(i).title for i in to_review)
            + ".",
            icon=":material/published_with_changes:",
        )
    if fw.version == newest.version or not may_edit:
        return
    plan = carry_over(fw, newest, list(store.responses(db, assessment["id"])))
    with st.expander(f"This draft uses framework {fw.version}; version {newest.version} is current"):
        st.write(
            f"Moving it keeps every answer whose item still exists in {newest.version}. Nothing moves unless you "
            "press the button, and the history keeps the version it came from."
        )
        st.markdown(f"- Kept as they are: {len(plan.kept)}")
        st.markdown(
            f"- Kept, but the wording changed, so look again: {len(plan.review)}"
            + (" (" + "; ".join(newest.item(i).title for i in plan.review) + ")" if plan.review else "")
        )
        st.markdown(
            f"- Removed, because {newest.version} no longer has the item: {len(plan.dropped)}"
            + (" (" + "; ".join(fw.item(i).title for i in plan.dropped) + ")" if plan.dropped else "")
        )
        st.button(
            f"Move this draft to framework {newest.version}",
            key=f"assess_move_version_{assessment['id']}",
            on_click=_move_version,
            args=(assessment["id"],),
        )


# --- choose or start ------------------------------------------------------------------------


def choose_assessment() -> None:
    st.title("Assess")
    st.write("Choose the system or place being assessed, then resume one of its rounds or start a new one.")
    chosen = choose_unit(db, "assess")
    if chosen is None:
        return
    system_id, place_id, unit_name = chosen
    may_edit = access.can(actor(), access.EDIT, system_id, place_id)
    rounds = store.list_assessments(db, system_id=system_id, place_id=place_id, whole_system=place_id is None)
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
            right.button(verb, key=f"assess_open_{row.id}", on_click=_open, args=(int(row.id),))

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
                    db,
                    system_id,
                    place_id,
                    label,
                    when,
                    actor(),
                    include_workforce=chosen.get(WORKFORCE_MODULE, False),
                    participants=participants,
                    include_enablers=chosen.get(ENABLERS_MODULE, False),
                )
            except SAVE_FAILURES as exc:
                st.error(f"Not started: {plain(store.explain(exc))}", icon=":material/error:")
            else:
                _open(new_id)
                st.rerun()


# --- one assessment -------------------------------------------------------------------------


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
        _words(fw, easy, "jump", "Jump to item"),
        ids,
        format_func=lambda i: f"{ids.index(i) + 1}. {fw.item(i).title} — {fw.domain(fw.item(i).domain).title}",
        key=jump_key,
    )
    # Always drawn, whatever it says: an element that appears above the answer widgets would shift
    # Streamlit's element positions, remount them and drop a keyboard user's focus.
    unanswered = [fw.item(i).title for i in ids if (saved.get(i) or {}).get("answer") is None]
    if not unanswered:
        st.caption(_words(fw, easy, "all_answered", "Every item has an answer."))
    elif len(unanswered) <= 5:
        st.caption(_words(fw, easy, "still_to_answer", "Still to answer: {items}").format(items=", ".join(unanswered)))
    else:
        st.caption(_words(fw, easy, "many_to_answer", "{count} items still to answer.").format(count=len(unanswered)))
    current = st.session_state[jump_key]
    st.query_params["item"] = current
    item = fw.item(current)
    row = saved.get(item.id) or {}
    position = ids.index(current) + 1

    where = _words(fw, easy, "position", "item {position} of {count}").format(position=position, count=len(ids))
    st.caption(f"{fw.domain(item.domain).title} · {where}")
    st.header(item.title)
    st.markdown(item.easy_statement if easy else item.statement)
    if item.unit:
        unit = fw.unit(item.unit)
        st.caption(unit.easy_read if easy else f"Judged for: {unit.name.lower()}. {unit.meaning}")
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
    answer_key = _seed(
        f"assess_answer_{aid}_{item.id}", row.get("level") if row.get("answer") == LEVEL else row.get("answer")
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        # The unit's name is shown as escaped Markdown above; the radio group's own label (which screen
        # readers read raw, escapes and all, and which Streamlit also renders as Markdown) holds only our text.
        question = _words(fw, easy, "level_question", "Which level describes {unit} today?")
        st.markdown(f"**{question.format(unit=plain(assessment['unit_name']))}**")
        choice = st.radio(
            level_question(item.title, easy),
            ANSWER_OPTIONS,
            label_visibility="collapsed",
            format_func=lambda v: _answer_label(fw, v, easy),
            captions=[_answer_caption(fw, item, v, easy) for v in ANSWER_OPTIONS],
            key=answer_key,
            on_change=_save_answer,
            args=(aid, item.id, answer_key, item.title),
            disabled=locked,
        )
        if choice == NOT_APPLICABLE:
            reason_key = _seed(f"assess_na_{aid}_{item.id}", row.get("na_reason", ""))
            st.text_input(
                _words(fw, easy, "not_applicable_help", "Why does this item not apply? (needed before submitting)"),
                key=reason_key,
                on_change=_save_field,
                args=(aid, item.id, "na_reason", reason_key, item.title),
                disabled=locked,
            )
    with right:
        evidence_key = _seed(f"assess_evidence_{aid}_{item.id}", row.get("evidence", ""))
        prompt = (
            (item.easy_evidence_prompt or fw.easy("evidence_prompt", item.evidence_prompt))
            if easy
            else (item.evidence_prompt)
        )
        st.text_area(
            _words(fw, easy, "evidence", "Evidence"),
            placeholder=prompt,
            help=prompt,
            key=evidence_key,
            on_change=_save_field,
            args=(aid, item.id, "evidence", evidence_key, item.title),
            disabled=locked,
        )
        if item.evidence_examples and not easy:
            with st.expander("What evidence looks like at each level"):
                st.markdown("\n".join(f"- **{formatting.level(v)}**: {item.evidence_example(v)}" for v in LEVEL_VALUES))
        links_key = _seed(f"assess_links_{aid}_{item.id}", row.get("evidence_links", ""))
        st.text_input(
            _words(fw, easy, "evidence_links", "Links to evidence (optional)"),
            key=links_key,
            on_change=_save_field,
            args=(aid, item.id, "evidence_links", links_key, item.title),
            disabled=locked,
        )
        confidence_key = _seed(f"assess_confidence_{aid}_{item.id}", row.get("confidence"))
        st.radio(
            _words(fw, easy, "confidence", "How sure is that evidence?"),
            store.CONFIDENCE_LEVELS,
            format_func=lambda c: fw.easy(f"confidence_{c}", c.capitalize()) if easy else c.capitalize(),
            horizontal=True,
            help=None if easy else CONFIDENCE_HELP,  # in Easy Read each choice says it in its own words
            key=confidence_key,
            on_change=_save_field,
            args=(aid, item.id, "confidence", confidence_key, item.title),
            disabled=locked,
        )
        target_key = _seed(f"assess_target_{aid}_{item.id}", row.get("target_level"))
        st.selectbox(
            _words(fw, easy, "target", "Target level for the next round"),
            [None, *LEVEL_VALUES],
            format_func=lambda v: (
                _words(fw, easy, "no_target", "No target set") if v is None else fw.level_label(v, easy)
            ),
            key=target_key,
            on_change=_save_field,
            args=(aid, item.id, "target_level", target_key, item.title),
            disabled=locked,
        )

    item_comments(assessment, fw, item.id)
    actions_panel(assessment, fw, item.id, locked, easy)

    back, _, forward = st.columns([1, 3, 1])
    back.button(
        _words(fw, easy, "previous_item", "← Previous item"), on_click=_move, args=(-1,), disabled=position == 1,
        key="assess_prev",
    )  # fmt: skip
    if position < len(ids):
        forward.button(_words(fw, easy, "next_item", "Next item →"), on_click=_move, args=(1,), key="assess_next")
    else:  # the last item: the next step is the review, not a greyed-out Next
        forward.button(
            _words(fw, easy, "review_and_submit", "Review and submit →"), key="assess_to_review", type="primary",
            on_click=_open_tab, args=(aid, "Review and submit"),
        )  # fmt: skip


def _action_call(fn, *args: object, done: str = "", about: str = "", **kwargs: object) -> bool:  # noqa: ANN001
    """Change an action; `done` says what was saved, with {} where the action's own words (`about`) go."""
    try:
        fn(open_db(), *acting(args), **kwargs)
    except SAVE_FAILURES as exc:
        _failed(exc, done.format(plain(about)))
        return False
    _saved(done.format(plain(about)))
    # The actions sit below the status line, often out of sight: said again beside them (never a pop-up).
    flash("Saved: " + done.format(about), where=ACTIONS_NOTE)
    return True


def _set_action_status(action_id: int, key: str, description: str) -> None:
    status = st.session_state[key]
    if not _action_call(store.update_action, action_id, ACTING, status=status,
                        done=f"action “{{}}” is now {status}", about=description):  # fmt: skip
        _set_later(key, st.session_state.get(_base_key(key)))  # show the status that is stored


def actions_panel(assessment: dict, fw: Framework, item_id: str, locked: bool, easy: bool = False) -> None:
    aid = assessment["id"]
    title = fw.item(item_id).title
    mine = store.list_actions(db, aid, include_deleted=True, item_id=item_id)  # this item's only: read on each answer
    live = mine[mine["deleted_at"].isna()]
    deleted = mine[mine["deleted_at"].notna()]
    st.markdown(f"**{_words(fw, easy, 'actions_heading', 'Actions for this item')}** ({len(live)})")
    show_flashes(ACTIONS_NOTE)  # what was just done to an action, here beside them
    for action in live.itertuples():
        with st.container(border=True):
            text, status, remove = st.columns([4, 2, 1], vertical_alignment="center")
            due_words = _words(fw, easy, "action_due_is", "due {due}")
            due = f" · {due_words.format(due=formatting.day(action.due_date))}" if action.due_date else ""
            owner_words = _words(fw, easy, "action_owner_is", "owner: {owner}")
            owner = f" · {owner_words.format(owner=plain(action.owner))}" if action.owner else ""
            aim = (
                ""
                if action.target_level is None or action.target_level != action.target_level
                else " · "
                + _words(fw, easy, "action_aims_for", "aims for {level}").format(
                    level=fw.level_label(int(action.target_level), easy)
                )
            )
            text.markdown(f"{plain(action.description)}{owner}{due}{aim}")
            status_key = _seed(f"assess_action_status_{action.id}", action.status)
            status.selectbox(
                _words(fw, easy, "action_status", "Status"),
                store.ACTION_STATUSES,
                format_func=lambda v: _words(fw, easy, f"action_{v}", v.capitalize()),
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
                help=_words(fw, easy, "action_delete_help", "Deleted actions can be restored below."),
            )
    if not deleted.empty and not locked:
        with st.expander(
            _words(fw, easy, "deleted_actions", "Deleted actions ({count}): restore").format(count=len(deleted))
        ):
            for action in deleted.itertuples():
                cols = st.columns([4, 1], vertical_alignment="center")
                cols[0].markdown(plain(action.description))
                cols[1].button(
                    _words(fw, easy, "restore", "Restore"),
                    key=f"assess_action_restore_{action.id}",
                    on_click=_action_call,
                    args=(store.set_action_deleted, int(action.id), False, ACTING),
                    kwargs={"done": "action “{}” restored", "about": action.description},
                )
    if locked:
        return
    with st.form(f"assess_add_action_{aid}_{item_id}", clear_on_submit=True):
        st.markdown(f"**{_words(fw, easy, 'action_add', 'Add an action')}**")
        description = st.text_input(_words(fw, easy, "action_what", "What will be done"))
        c1, c2, c3 = st.columns(3)
        owner = c1.text_input(_words(fw, easy, "action_owner", "Owner"))
        due = c2.date_input(_words(fw, easy, "action_due", "Due date"), value=None, format="DD/MM/YYYY")
        aim = c3.selectbox(
            _words(fw, easy, "action_aim", "Level it aims for"),
            [None, *LEVEL_VALUES],
            format_func=lambda v: (
                _words(fw, easy, "no_aim", "No level chosen") if v is None else fw.level_label(v, easy)
            ),
        )
        if st.form_submit_button(_words(fw, easy, "action_submit", "Add action")):
            try:
                store.add_action(db, aid, item_id, actor(), description, owner=owner, due_date=due, target_level=aim)
            except SAVE_FAILURES as exc:
                # Here, beside the button: the form has emptied itself, so the words are repeated to copy back.
                st.error(
                    f"Not saved: the action “{plain(description.strip())}” was not added. "
                    f"{plain(_sentence(store.explain(exc)))}",
                    icon=":material/error:",
                )
            else:
                _saved(f"{title}: action “{plain(description.strip())}” added")
                flash(f"Saved: action “{description.strip()}” added", where=ACTIONS_NOTE)
                st.rerun()


def results_panel(assessment: dict, fw: Framework) -> None:
    current, previous, comparison = analysis.rounds_around(db, assessment["id"])
    result = current.result
    if assessment["status"] == store.DRAFT:
        st.info("Provisional: this assessment is still a draft. Scores will change as answers are added.")
    headline(  # with the spread of levels by the band
        fw, result, comparison, previous.label if previous else None, provisional=assessment["status"] == store.DRAFT
    )
    r1, r2 = st.columns(2)
    aid = assessment["id"]
    name = f"report-{assessment['unit_name']}-{assessment['round_label']}".replace(" ", "-")
    r1.download_button(
        "Board report (PDF)",
        lambda: reports.pdf_bytes(reports.assessment_html(open_fresh(), aid, clock.today())),
        file_name=f"{name}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"assess_report_pdf_{aid}",
        on_click="ignore",  # a download changes nothing: no rerun
    )
    r2.download_button(
        "Board report (HTML)",
        lambda: reports.assessment_html(open_fresh(), aid, clock.today()),
        file_name=f"{name}.html",
        mime="text/html",
        icon=":material/description:",
        key=f"assess_report_html_{aid}",
        on_click="ignore",  # a download changes nothing: no rerun
    )
    st.markdown("**Domain scores**")
    domains = summary.domain_table(fw, result, comparison)
    # The one number rule (checklist.formatting): two decimals, a sign on changes, a dash where there is none.
    st.table(
        domains.style.format(
            {"Score (0–4)": formatting.score, "Change since last round": formatting.delta}, na_rep=formatting.NONE
        ).hide(axis="index")
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Strengths**")
        for h in summary.strengths(fw, result):
            st.markdown("- " + presentation.highlight(h.title, h.domain, h.why))
    with right:
        st.markdown("**Priorities**")
        for h in summary.priorities(fw, result):
            st.markdown("- " + presentation.highlight(h.title, h.domain, h.why))


def _review_call(fn, *args: object, done: str = "") -> None:  # noqa: ANN001
    try:
        fn(open_db(), *acting(args))
    except SAVE_FAILURES as exc:
        _failed(exc)
    else:
        if done:
            _saved(done)


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
    here = reviews.comments(db, assessment["id"], item_id=item_id, open_only=True)
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
    found = reviews.comments(db, aid)
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
        key: _words(fw, easy, key, standard)
        for key, standard in (("col_item", "Item"), ("col_answer", "Answer"),
                              ("col_target", "Target"), ("col_gap", "Gap to target"), ("col_evidence", "Evidence"),
                              ("col_confidence", "How sure"), ("col_link", "Open"))
    }  # fmt: skip
    rows = []
    for item in fw.items_of(assessment):
        row = saved.get(item.id) or {}
        answer = row.get("answer")
        level = row.get("level") if answer == LEVEL else None
        evidence = (row.get("evidence") or "").strip()
        rows.append(
            {
                "item": item.title,
                "answer": "Not answered" if answer is None else _answer_label(fw, level if answer == LEVEL else answer),
                "target": formatting.level(row.get("target_level"), none="No target"),
                "gap": _gap_words(level, row.get("target_level")),
                "evidence": " ".join(evidence.split()) or "None recorded",
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
    if go.button(_words(fw, easy, "submit", "Submit and lock"), key=f"assess_submit_confirm_{aid}", type="primary",
                 icon=":material/lock:", width="stretch"):  # fmt: skip
        try:
            store.submit_assessment(open_db(), aid, actor(), note=note)
        except store.IncompleteError as exc:
            st.error(f"Not submitted: {plain(str(exc))}:\n" + "\n".join(f"- {plain(p)}" for p in exc.problems))
        except SAVE_FAILURES as exc:
            st.error(f"Not submitted: {plain(_sentence(store.explain(exc)))}", icon=":material/error:")
        else:
            _cancel_submit()
            done = _words(fw, easy, "submit_confirmed", "Assessment submitted and locked")
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
                    store.reopen_assessment(db, aid, actor(), reason)
                except SAVE_FAILURES as exc:
                    st.error(f"Not reopened: {plain(_sentence(store.explain(exc)))}", icon=":material/error:")
                else:
                    _saved("Round reopened for changes")
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
        date_key = _seed(f"assess_date_{aid}", date.fromisoformat(assessment["assessment_date"]))
        st.date_input(
            "Assessment date",
            format="DD/MM/YYYY",
            key=date_key,
            on_change=_save_details,
            args=(aid, "assessment_date", date_key),
        )
        people_key = _seed(f"assess_participants_{aid}", assessment["participants"])
        st.text_area(
            "Who took part (roles or organisations)",
            key=people_key,
            on_change=_save_details,
            args=(aid, "participants", people_key),
        )
    problems = store.completeness_problems(db, aid)
    if problems:
        st.warning(
            f"{plural(len(problems), 'item')} {'needs' if len(problems) == 1 else 'need'} attention "
            "before submitting:\n" + "\n".join(f"- {plain(p)}" for p in problems)
        )
    # Saved as it is typed, like the details above: a note written and then left for another tab is not lost.
    # Never a sign-off: a reviewer gives that after submission, in their own name.
    note_key = _seed(f"assess_note_{aid}", assessment["submit_note"])
    note = st.text_area(
        "Note at submission (optional)",
        key=note_key,
        max_chars=store.MAX_SUBMIT_NOTE,
        on_change=_save_details,
        args=(aid, "submit_note", note_key),
        help="Anything a reader should know about this round. It is not a sign-off: once the round is submitted, "
        "a reviewer signs it off in their own name.",
    )
    if st.button(_words(fw, easy, "submit", "Submit and lock"), type="primary", key=f"assess_submit_{aid}"):
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


def history_panel(assessment: dict, fw: Framework) -> None:
    frame = store.history(db, assessment["id"])
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


def _sign_off(assessment_id: int) -> None:
    try:
        store.sign_off(open_db(), assessment_id, actor())
    except SAVE_FAILURES as exc:
        _failed(exc)
    else:
        _saved("Round signed off")


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


def _take_status(assessment_id: int) -> tuple[str, str, str] | None:
    """What the last change did: ("error" | "conflict" | "saved" | "submitted", what, detail), or None before any
    change."""
    if conflict := st.session_state.get("assess_conflict"):
        return "conflict", conflict.get("note", ""), conflict["message"]
    if note := st.session_state.pop("assess_saved", None):
        st.session_state["assess_last_saved"] = (assessment_id, formatting.time_of_day(clock.now()), note)
        st.session_state.pop("assess_submitted", None)  # a later change (a sign-off, a reopening) says itself
    if failed := st.session_state.get("assess_error"):  # stays until a later change saves
        return "error", *failed
    submitted = st.session_state.get("assess_submitted")
    if submitted and submitted[0] == assessment_id:
        return "submitted", submitted[2], submitted[1]
    last = st.session_state.get("assess_last_saved")
    if last and last[0] == assessment_id:
        return "saved", last[2], last[1]
    return None


def show_status(slot, status: tuple[str, str, str] | None, locked: bool, fw: Framework | None = None,  # noqa: ANN001
                easy: bool = False) -> None:  # fmt: skip
    """The save state in one line: saved (what, and when), or not saved and why. Nothing on a locked round."""
    kind, what, detail = status or ("", "", "")
    if kind == "error":
        slot.error(
            f"**Your change was not saved**{f' ({what})' if what else ''}. {plain(_sentence(detail))}",
            icon=":material/error:",
        )
    elif kind == "conflict":
        slot.error(
            f"**Your change was not saved yet**{f' ({what})' if what else ''}: someone else changed it "
            "while you were editing. Choose which version to keep in the box that opened.",
            icon=":material/sync_problem:",
        )
    elif kind == "submitted":
        slot.markdown(
            f":small[:green[:material/lock: **{plain(what)} at {detail}**] · to change it, reopen it from "
            "**Review and submit**]"
        )
    elif kind == "saved":
        saved = fw.easy("saved", "Saved.").rstrip(".") if easy and fw else "Saved"
        # Markdown in the text colour, not a caption: the saved state must be as legible as the answers.
        slot.markdown(f":small[:green[:material/check_circle: **{saved} at {detail}**] · {what}]")
    elif not locked:
        autosave = (
            _words(fw, easy, "autosave", "Each change is saved the moment you make it.")
            if fw
            else ("Each change is saved the moment you make it.")
        )
        slot.markdown(f":small[:material/cloud_done: {autosave}]")
    else:
        slot.empty()


def show_assessment(assessment: dict) -> None:
    fw = framework_for(assessment["framework_version"])
    saved = store.responses(db, assessment["id"])
    may_edit = access.can(actor(), access.EDIT, assessment["system_id"], assessment["place_id"])
    locked = assessment["status"] == store.SUBMITTED or not may_edit
    items = fw.items_of(assessment)
    answered = sum(1 for i in items if (saved.get(i.id) or {}).get("answer") is not None)
    chosen_modules = fw.modules_for(assessment["include_workforce"], assessment.get("include_enablers", False))

    if "assess_easy" not in st.session_state:
        st.session_state["assess_easy"] = st.query_params.get("easy") == "1"
    easy = bool(st.session_state["assess_easy"])  # the switch below: the words above it follow it too
    state = (_words(fw, easy, "draft_state", "Draft: every change is saved as you make it") if may_edit
             else _words(fw, easy, "read_only_state", "Draft, read only"))  # fmt: skip
    if assessment["status"] == store.SUBMITTED:
        state = _words(fw, easy, "submitted_state", "Submitted (locked)")
    top, switch = st.columns([5, 1], vertical_alignment="bottom")
    top.title(f"{plain(assessment['unit_name'])} · {plain(assessment['round_label'])}")
    switch.button("Choose another", on_click=_open, args=(None,), key="assess_choose_another")
    assessed = _words(fw, easy, "assessed_on", "assessed {day}").format(
        day=formatting.day(assessment["assessment_date"])
    )
    st.caption(
        f"{plain(assessment['system_name'])} · {assessed} · {state} · framework {fw.version}"
        + "".join(f" · with the module {m.title}" for m in fw.modules if m.optional and m.id in chosen_modules)
    )
    progress = _words(fw, easy, "answered", "{answered} of {count} items answered")
    st.progress(answered / len(items), text=progress.format(answered=answered, count=len(items)))
    status_slot = st.empty()  # always present, for the same reason as the caption above the answers
    easy = st.toggle(
        "Easy Read wording",
        key="assess_easy",
        on_change=_remember_easy,
        help="Short sentences and everyday words, for workshops. Kept in the address, so a reload keeps it.",
    )
    version_panel(assessment, fw, may_edit)
    status = _take_status(assessment["id"])

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

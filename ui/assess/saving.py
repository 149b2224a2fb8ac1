"""Assess: every change saved as it is made, what the save line says, and a change someone else made meanwhile."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from checklist import (
    clock,
    formatting,
    history_text,
    store,
)
from checklist.framework import Framework
from checklist.scoring import LEVEL
from ui.assess.wording import worded
from ui.autosave import SAVE_FAILURES
from ui.common import (
    actor,
    open_db,
    plain,
)


def base_key(key: str) -> str:
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


def say_saved(note: str) -> None:
    """Say, on the next run, what was just saved (`note` is Markdown: user text in it is escaped with plain)."""
    st.session_state.pop("assess_error", None)
    st.session_state["assess_saved"] = note


def save_failed(exc: BaseException, note: str = "") -> None:
    """Say, on the next run, that a change was not saved, which, and why (never a claim that it was)."""
    st.session_state.pop("assess_saved", None)
    st.session_state["assess_error"] = (note, store.explain(exc))


def as_sentence(text: str) -> str:
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
    """What a saved field was, in words: 'Referrals: 2 · Developing', 'Referrals: target 4 · Thriving' (Markdown: the
    item's title shown as written, since a system's own items are user text)."""
    title = plain(title)
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
            save_failed(exc, note)
            if not isinstance(st.session_state[key], str):
                # A choice goes back to what is stored, so the page never shows an unsaved level as if it
                # were saved; typed text stays in its box, to try again or copy somewhere safe.
                set_later(key, st.session_state.get(base_key(key)))
        else:
            st.session_state[base_key(key)] = st.session_state[f"{key}__saved"] = st.session_state[key]
            say_saved(note)
        return


def _answer_fields(value: object) -> dict:
    if value is None:
        return {"answer": None}
    if isinstance(value, int):
        return {"answer": LEVEL, "level": value}
    return {"answer": value}


def save_answer(assessment_id: int, item_id: str, key: str, title: str) -> None:
    base = _answer_fields(st.session_state.get(base_key(key)))
    value = st.session_state[key]
    _save(assessment_id, item_id, key, {"answer": base.get("answer"), "level": base.get("level")},
          _field_note(title, "answer", value), **_answer_fields(value))  # fmt: skip


def save_field(assessment_id: int, item_id: str, field: str, key: str, title: str) -> None:
    value = st.session_state[key]
    _save(assessment_id, item_id, key, {field: st.session_state.get(base_key(key))},
          _field_note(title, field, value), **{field: value})  # fmt: skip


def save_details(assessment_id: int, field: str, key: str) -> None:
    try:
        store.update_assessment_details(open_db(), assessment_id, actor(), **{field: st.session_state[key]})
    except SAVE_FAILURES as exc:
        save_failed(exc)
    else:
        words = {
            "assessment_date": "assessment date",
            "participants": "who took part",
            "submit_note": "note at submission",
        }
        say_saved(f"Round details: {words.get(field, field)}")


def seed(key: str, value: object) -> str:
    """Give a widget its saved value, and remember that value as what a change by this user starts from.

    The first time it is drawn in this session it takes the stored value. Later, if someone else has
    saved a new value and nothing has been changed here, it follows theirs; if both changed it, the
    save says so (see _save) rather than either overwriting the other. Returns the key.
    """
    base = base_key(key)
    settled = st.session_state.get("assess_set", {})
    if key in settled:  # a conflict was just settled: show what was kept
        st.session_state[key] = st.session_state[base] = settled.pop(key)
        return key
    if key not in st.session_state:
        st.session_state[key] = st.session_state[base] = value
    elif st.session_state.get(base) != value and st.session_state[key] == st.session_state.get(base):
        st.session_state[key] = st.session_state[base] = value
    return key


def set_later(key: str, value: object) -> None:
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
        set_later(key, stored)
        return
    value = merged if choice == "merged" else conflict["yours_value"]
    fields = _answer_fields(value) if field in ("answer", "level") else {field: value}
    try:
        store.save_response(open_db(), conflict["aid"], conflict["item"], actor(), based_on=base, **fields)
    except SAVE_FAILURES as exc:
        save_failed(exc)
        set_later(key, stored)
    else:
        say_saved(conflict.get("note") or "Your version")
        set_later(key, value)


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


def take_status(assessment_id: int) -> tuple[str, str, str] | None:
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
            f"**Your change was not saved**{f' ({what})' if what else ''}. {plain(as_sentence(detail))}",
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
            worded(fw, easy, "autosave", "Each change is saved the moment you make it.")
            if fw
            else ("Each change is saved the moment you make it.")
        )
        slot.markdown(f":small[:material/cloud_done: {autosave}]")
    else:
        slot.empty()

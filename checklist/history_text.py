"""A round's history in plain words: each recorded change as one sentence a person can read.

store.history keeps one row per field changed, with JSON old and new values and the field's column
name. People do not think in columns: an answer and its level are one choice, a round submitted with
its sign-off is one step, a reopening comes with its reason. Rows written in one step (the same moment,
person and thing changed) are read together as one change, and each change becomes a sentence:
"Priya Shah changed Referrals from 1 · Emerging to 2 · Developing".

Values are written by checklist.formatting (levels with their names, dates as "24 November 2026"), text
is quoted, and no column name, JSON or database id reaches the sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from checklist import formatting
from checklist.framework import Framework, registry
from checklist.scoring import DONT_KNOW, LEVEL, NOT_APPLICABLE

COLUMNS = ("When", "Who", "What changed")
QUOTE_LIMIT = 160  # characters of typed text quoted in a sentence; the Review tab shows the whole text
SHORT_QUOTE = 40  # the same, for text saved along with other fields in one step
REFUSED = " (not saved: changed meanwhile)"  # how store marks a save refused because someone changed it first
REMOVED = "removed (not in framework "

ANSWER_WORDS = {DONT_KNOW: "Don't know", NOT_APPLICABLE: "Not applicable"}
# What each stored field is, as a person would say it (in "the evidence for Referrals").
RESPONSE_WORDS = {
    "answer": "the answer to", "level": "the answer to", "na_reason": "the reason it does not apply for",
    "evidence": "the evidence for", "evidence_links": "the evidence links for",
    "confidence": "how sure the evidence is for", "target_level": "the target for",
}  # fmt: skip
# The same fields, shortest, for one step that saved several of them ("Referrals: 2 · Developing; target ...").
RESPONSE_SHORT = {
    "answer": "answer", "na_reason": "reason it does not apply", "evidence": "evidence",
    "evidence_links": "evidence links", "confidence": "how sure", "target_level": "target",
}  # fmt: skip
ACTION_WORDS = {
    "description": "the wording", "owner": "the owner", "due_date": "the due date", "status": "the status",
    "target_level": "the level it aims for",
}  # fmt: skip
ROUND_WORDS = {
    "round_label": "the round label", "assessment_date": "the assessment date", "participants": "who took part",
    "signed_off_by": "the name given as sign-off (not a recorded sign-off)",
    "submit_note": "the note at submission", "framework_version": "the framework version",
}  # fmt: skip
WORKSHOP_WORDS = {"current_item": "the item on screen", "code": "the workshop code", "expires_at": "when it closes"}
NOTE_KINDS = {"note": "a note", "quote": "a quote", "parking": "a parking-lot note"}


@dataclass(frozen=True)
class Change:
    """One change to a round: when, by whom, and what, as words ("changed Referrals from ... to ...")."""

    at: str
    who: str
    what: str
    item_id: str | None = None

    @property
    def sentence(self) -> str:
        return f"{self.who} {self.what}"


def _quote(text: Any, limit: int = QUOTE_LIMIT) -> str:
    words = " ".join(str(text).split())
    if len(words) > limit:
        words = words[: limit - 1].rstrip() + "…"
    return f"“{words}”"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _answer(value: Any) -> str:
    """An answer as shown on the page: '2 · Developing', "Don't know", 'Not applicable'."""
    if isinstance(value, bool) or value is None:
        return formatting.NONE
    if isinstance(value, int | float):
        return formatting.level(value)
    return ANSWER_WORDS.get(value, str(value).capitalize())


def _value(field: str, value: Any, limit: int = QUOTE_LIMIT) -> str:
    """Any recorded value in words, by what the field holds."""
    if field in ("level", "target_level", "answer"):
        return _answer(value)
    if field in ("due_date", "assessment_date"):
        return formatting.day(value)
    if field in ("confidence", "status"):
        return str(value).capitalize()
    if field == "framework_version":
        return f"version {value}"
    if isinstance(value, str):
        return _quote(value, limit)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return formatting.count(value)
    return _quote(value)


def _set_phrase(what: str, field: str, old: Any, new: Any) -> str:
    """'set X to A', 'changed X from A to B', 'removed X (was A)'."""
    if _blank(old):
        return f"set {what} to {_value(field, new)}"
    if _blank(new):
        return f"removed {what} (was {_value(field, old)})"
    return f"changed {what} from {_value(field, old)} to {_value(field, new)}"


class _Reader:
    """Reads one round's history rows, oldest first, keeping what later sentences need (action wording)."""

    def __init__(self, fw: Framework) -> None:
        self.fw = fw
        self.actions: dict[str, str] = {}

    def title(self, item_id: str | None) -> str:
        if not item_id:
            return "the round"
        for framework in (self.fw, *reversed([registry().get(v) for v in registry().versions])):
            if framework.has_item(item_id):
                return framework.item(item_id).title
        return "an item no longer in the framework"

    # --- one change -------------------------------------------------------------------------

    def describe(self, rows: list[Mapping[str, Any]]) -> str:
        entity = rows[0]["entity"]
        handler: Callable[[list[Mapping[str, Any]]], str] = getattr(self, f"_{entity}", self._other)
        return handler(rows)

    def _response(self, rows: list[Mapping[str, Any]]) -> str:
        title = self.title(rows[0]["item_id"])
        fields = {r["field"]: r for r in rows}
        for r in rows:
            if r["field"].endswith(REFUSED):
                return self._refused(r, RESPONSE_WORDS, title)
            if r["field"].startswith(REMOVED):
                version = r["field"][len(REMOVED) :].rstrip(")")
                old = r["old_value"] if isinstance(r["old_value"], dict) else {}
                was = _answer(old.get("level") if old.get("answer") == LEVEL else old.get("answer"))
                return f"removed the answer to {title} (was {was}): framework {version} no longer has this item"
        parts: list[tuple[str, Any, Any]] = []  # (field, old, new), the answer and its level read as one
        if "answer" in fields or "level" in fields:
            answer, level = fields.get("answer"), fields.get("level")
            old_kind = answer["old_value"] if answer else LEVEL
            new_kind = answer["new_value"] if answer else LEVEL
            old_level = level["old_value"] if level else None
            new_level = level["new_value"] if level else None
            parts.append(("answer", old_level if old_kind == LEVEL else old_kind,
                          new_level if new_kind == LEVEL else new_kind))  # fmt: skip
        # The level first, then what was aimed for and how sure, then the words: the short facts lead.
        order = ("target_level", "confidence", "na_reason", "evidence", "evidence_links")
        rest = sorted((r for r in rows if r["field"] not in ("answer", "level")),
                      key=lambda r: order.index(r["field"]) if r["field"] in order else len(order))  # fmt: skip
        parts += [(r["field"], r["old_value"], r["new_value"]) for r in rest]
        parts = [p for p in parts if not (_blank(p[1]) and _blank(p[2]))]
        if not parts:
            return f"saved {title} with nothing changed"
        if len(parts) == 1:
            return self._response_part(title, *parts[0])
        listed = []
        for field, old, new in parts:
            name = RESPONSE_SHORT.get(field, field.replace("_", " "))
            shown = "none" if _blank(new) else _value(field, new, SHORT_QUOTE)
            listed.append(f"{name} {shown}" + ("" if _blank(old) else f" (was {_value(field, old, SHORT_QUOTE)})"))
        return f"saved {title}: " + "; ".join(listed)

    def _response_part(self, title: str, field: str, old: Any, new: Any) -> str:
        if field == "answer":
            if _blank(old):
                return f"answered {title}: {_answer(new)}"
            if _blank(new):
                return f"cleared the answer to {title} (was {_answer(old)})"
            return f"changed {title} from {_answer(old)} to {_answer(new)}"
        if field == "confidence" and new == "verified":
            return f"marked the evidence for {title} verified"
        what = f"{RESPONSE_WORDS.get(field, field.replace('_', ' ') + ' for')} {title}"
        if field in ("evidence", "evidence_links", "na_reason"):
            if _blank(old):
                return f"added {what}: {_quote(new)}"
            if _blank(new):
                return f"removed {what} (was {_quote(old)})"
            return f"changed {what} to {_quote(new)} (was {_quote(old)})"
        return _set_phrase(what, field, old, new)

    def _refused(self, row: Mapping[str, Any], words: Mapping[str, str], title: str) -> str:
        field = row["field"][: -len(REFUSED)]
        what = f"{words.get(field, field.replace('_', ' '))} {title}".strip()
        return (
            f"tried to change {what} to {_value(field, row['new_value'])}, but someone had changed it meanwhile, "
            f"so it was not saved (theirs stayed: {_value(field, row['old_value'])})"
        )

    def _action(self, rows: list[Mapping[str, Any]]) -> str:
        key = str(rows[0]["entity_id"])
        title = self.title(rows[0]["item_id"])
        parts = []
        for r in rows:
            field, old, new = r["field"], r["old_value"], r["new_value"]
            name = _quote(self.actions.get(key, "an action"))
            if field == "created":
                fields = new if isinstance(new, dict) else {}
                self.actions[key] = fields.get("description", "")
                extra = [f"owner {fields['owner']}" if fields.get("owner") else "",
                         f"due {formatting.day(fields['due_date'])}" if fields.get("due_date") else "",
                         f"aims for {_answer(fields['target_level'])}" if fields.get("target_level") is not None
                         else ""]  # fmt: skip
                extra = [e for e in extra if e]
                parts.append(f"added the action {_quote(self.actions[key])} for {title}"
                             + (f" ({', '.join(extra)})" if extra else ""))  # fmt: skip
            elif field.endswith(REFUSED):
                parts.append(self._refused(r, {k: f"{v} of the action {name}" for k, v in ACTION_WORDS.items()}, ""))
            elif field == "deleted_at":
                parts.append(f"{'restored' if _blank(new) else 'deleted'} the action {name} for {title}")
            elif field == "description":
                self.actions[key] = new or ""
                parts.append(f"reworded the action {name} for {title} to {_quote(new)}")
            else:
                parts.append(_set_phrase(f"{ACTION_WORDS.get(field, field.replace('_', ' '))} of the action {name}",
                                         field, old, new))  # fmt: skip
        return "; ".join(parts)

    def _assessment(self, rows: list[Mapping[str, Any]]) -> str:
        fields = {r["field"]: r for r in rows}
        status = fields.get("status")
        if status is not None and status["new_value"] == "submitted":
            # Before sign-off was a reviewer's own act, a lead could type a name here: it was never a sign-off.
            named = fields.get("signed_off_by")
            note = fields.get("submit_note")
            return (
                "submitted and locked the round"
                + (
                    f", naming {_quote(named['new_value'])} as sign-off (not a recorded sign-off)"
                    if named and not _blank(named["new_value"])
                    else ""
                )
                + (f", with the note {_quote(note['new_value'])}" if note and not _blank(note["new_value"]) else "")
            )
        if status is not None and status["new_value"] == "draft":
            reason = fields.get("reopen_reason")
            withdrawn = ", withdrawing its sign-off" if "signed_off_at" in fields else ""
            return (
                "reopened the round for changes"
                + withdrawn
                + (f": {_quote(reason['new_value'])}" if reason and not _blank(reason["new_value"]) else "")
            )
        parts = []
        for r in rows:
            field, old, new = r["field"], r["old_value"], r["new_value"]
            if field == "created":
                parts.append(f"started the round {_quote(new)}")
            elif field.endswith(REFUSED):
                parts.append(self._refused(r, {k: f"{v} of" for k, v in ROUND_WORDS.items()}, "this round"))
            elif field == "signed_off_by" and not _blank(new) and new == r["actor"]:
                # A reviewer's own sign-off (older rounds recorded it by this field alone); said once.
                if "signed_off_at" not in fields:
                    parts.append("signed off the round")
            elif field == "signed_off_at":
                parts.append("withdrew the round's sign-off" if _blank(new) else "signed off the round")
            elif field == "reopen_reason":
                parts.append(f"gave the reason for reopening: {_quote(new)}")
            elif field == "framework_version":
                parts.append(f"moved the round from framework {old} to framework {new}")
            elif field == "participants" and not _blank(old) and not _blank(new):
                parts.append(f"changed who took part to {_quote(new)} (was {_quote(old)})")
            else:
                parts.append(_set_phrase(ROUND_WORDS.get(field, field.replace("_", " ")), field, old, new))
        return "; ".join(parts)

    def _workshop(self, rows: list[Mapping[str, Any]]) -> str:
        fields = {r["field"]: r for r in rows}
        if "started" in fields:
            return "started a workshop on this round"
        if "status" in fields:
            return "closed the workshop" if fields["status"]["new_value"] == "closed" else "reopened the workshop"
        parts = []
        for r in rows:
            field, old, new = r["field"], r["old_value"], r["new_value"]
            if field == "current_item":
                parts.append(f"moved the workshop on to {self.title(new)}")
            elif field == "revealed":
                parts.append("showed the room's votes" if new else "hid the room's votes")
            elif field in ("closed_at", "item_started_at"):
                continue
            else:
                parts.append(_set_phrase(f"{WORKSHOP_WORDS.get(field, field.replace('_', ' '))} of the workshop",
                                         field, old, new))  # fmt: skip
        return "; ".join(parts) or "changed the workshop"

    def _participant(self, rows: list[Mapping[str, Any]]) -> str:
        return "joined the workshop"

    def _vote(self, rows: list[Mapping[str, Any]]) -> str:
        r = rows[0]
        title = self.title(r["item_id"])
        if _blank(r["old_value"]):
            return f"voted {_answer(r['new_value'])} on {title}"
        return f"changed their vote on {title} from {_answer(r['old_value'])} to {_answer(r['new_value'])}"

    def _agreement(self, rows: list[Mapping[str, Any]]) -> str:
        r = rows[0]
        return f"recorded the workshop's agreed answer for {self.title(r['item_id'])}: {_answer(r['new_value'])}"

    def _note(self, rows: list[Mapping[str, Any]]) -> str:
        r = rows[0]
        about = f" on {self.title(r['item_id'])}" if r["item_id"] else ""
        if r["field"] == "created":
            new = r["new_value"] if isinstance(r["new_value"], dict) else {}
            return f"added {NOTE_KINDS.get(new.get('kind'), 'a note')}{about}: {_quote(new.get('text', ''))}"
        return f"{'restored' if _blank(r['new_value']) else 'removed'} a workshop note{about}"

    def _review_comment(self, rows: list[Mapping[str, Any]]) -> str:
        r = rows[0]
        about = self.title(r["item_id"])
        if r["field"] == "text":
            return f"commented on {about}: {_quote(r['new_value'])}"
        if r["field"] == "addressed":
            return f"marked a comment on {about} addressed" if r["new_value"] else f"opened a comment on {about} again"
        if r["field"] == "withdrawn":
            return f"withdrew a comment on {about}"
        return self._other(rows)

    def _other(self, rows: list[Mapping[str, Any]]) -> str:
        """Anything else recorded against a round, still in words (never a column name or JSON)."""
        parts = []
        for r in rows:
            field = r["field"]
            if field == "created":
                parts.append(f"added {r['entity'].replace('_', ' ')} {_value(field, r['new_value'])}")
            else:
                parts.append(_set_phrase(f"the {r['entity'].replace('_', ' ')}'s {field.replace('_', ' ')}", field,
                                         r["old_value"], r["new_value"]))  # fmt: skip
        return "; ".join(parts)


def _same_step(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(a[k] == b[k] for k in ("at", "actor", "entity", "entity_id"))


def changes(rows: Iterable[Mapping[str, Any]], fw: Framework) -> list[Change]:
    """History rows (store.history's columns, oldest first) as changes, one per step, oldest first."""
    reader = _Reader(fw)
    out: list[Change] = []
    step: list[Mapping[str, Any]] = []

    def finish() -> None:
        if step:
            first = step[0]
            item = first["item_id"] if isinstance(first["item_id"], str) else None
            out.append(Change(first["at"], first["actor"], reader.describe(step), item))

    for row in rows:
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in dict(row).items()}  # NaN: none
        if step and not _same_step(step[0], row):
            finish()
            step = []
        step.append(row)
    finish()
    return out


def table(frame: pd.DataFrame, fw: Framework, newest_first: bool = True) -> pd.DataFrame:
    """store.history's frame as When / Who / What changed, one row per change."""
    found = changes(frame.to_dict("records"), fw)
    if newest_first:
        found.reverse()
    return pd.DataFrame(
        [(formatting.moment(c.at), c.who, c.what[:1].upper() + c.what[1:]) for c in found], columns=list(COLUMNS)
    )

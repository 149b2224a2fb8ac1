"""Personal data: participant names kept only as long as needed, and one person's data exported or erased.

What the app holds about people (docs/information-governance.md says it in full):
- users: e-mail address and name of everyone who may sign in, and their roles;
- names in the record of work: who created, changed, submitted and signed off each round, answer,
  action and note (history.actor, assessments.created_by/submitted_by/signed_off_by,
  responses.updated_by, agreements.agreed_by, notes.created_by), and action owners;
- workshop participants: an optional name and their sector (votes are kept by participant number);
- free text (evidence, notes, agreed levels' notes, actions, review comments, submit notes, and every
  earlier version of each in history) that may name people or hold their phone number.

Export and erasure share one scan (`_scan`): every text value in every column of every table, found
from the schema itself, so a table added later is covered without a change here, and the two can never
disagree about what is held. A term is found as whole words in any case ("Priya Shah", "PRIYA\nshah"),
a phone number by its digits however it is spaced, and inside JSON that escapes it.

History is append-only; erasure is the one deliberate exception. It lifts the update guard inside one
transaction, rewrites, puts the guard back exactly as it was, and records the erasure by number in an
erasure register (when, by whom, how many rows and fields; never the terms). To re-apply an erasure when
an older backup is restored, the register keeps each term as a salted SHA-256 digest, not as text: the
database and every later backup then hold nothing anyone can read back as the person (see the document
for why, and what a digest does not protect against).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from checklist import access, clock
from checklist.db import (
    DRIVER_ERRORS,
    compact,
    dialect,
    erasing_securely,
    history_unlocked,
    insert_row,
    record,
    table_keys,
    write_transaction,
)
from checklist.store import StoreError, authorise

NAME_DAYS_VAR = "CHECKLIST_PARTICIPANT_NAME_DAYS"
DEFAULT_NAME_DAYS = 30

# Shorter terms would match ordinary words ("Al" in "Al fresco") or numbers (a level, a year): such a name is
# erased only where it is a whole value (history's actor "Al"), and an extra term that short is refused.
MIN_WORD_CHARACTERS = 3
MIN_DIGITS = 6
PLACEHOLDER = "Erased person {number}"
# Tables no person's data can be in: SQLite's own, and the record of which migrations ran (written by code).
NOT_SCANNED = ("_sqlite_migrations",)

_WORD = re.compile(r"\w+")
# Digits are ASCII digits, as SQLite's LIKE sees them.
_DIGIT_GROUP = re.compile(r"[0-9]+")
# What may separate the digit groups of one phone number: "07700 900123", "07700-900-123", "(07700) 900123".
_DIGIT_SEPARATORS = " \t-.()/\u00a0"
_GAP_CLASS = f"[{re.escape(_DIGIT_SEPARATORS)}]"
_DIGIT_GAP = re.compile(f"{_GAP_CLASS}{{1,3}}")
_PHONE_LIKE = re.compile(f"\\+?[0-9{re.escape(_DIGIT_SEPARATORS)}]+")


def participant_name_days() -> int:
    """How many days after a workshop ends its participants' names are kept (CHECKLIST_PARTICIPANT_NAME_DAYS)."""
    raw = os.environ.get(NAME_DAYS_VAR, str(DEFAULT_NAME_DAYS)).strip()
    if not raw.isdigit():
        raise StoreError(f"{NAME_DAYS_VAR}={raw!r} is not a number of days; expected a whole number such as 30")
    return int(raw)


def forget_participant_names(
    db: sqlite_utils.Database, actor: access.User | str, days: int | None = None, now: datetime | None = None
) -> int:
    """Blank the names of participants of workshops that ended more than `days` ago; returns how many.

    Votes stay, by participant number and sector. Run at every server start and by `privacy forget-names`.
    """
    name = authorise(db, actor, access.MANAGE_SERVICE, what="remove participant names")
    days = participant_name_days() if days is None else days
    cutoff = ((now or clock.now()) - timedelta(days=days)).isoformat(timespec="microseconds")
    rows = db.execute(
        """SELECT p.id, p.workshop_id, p.sector FROM participants p JOIN workshops w ON w.id = p.workshop_id
           WHERE p.name != '' AND ((w.status = 'closed' AND w.closed_at < ?) OR w.expires_at < ?)""",
        [cutoff, cutoff],
    ).fetchall()
    if not rows:
        return 0
    from checklist.consensus import SECTORS

    with write_transaction(db), history_unlocked(db):
        for participant_id, _, sector in rows:
            db.execute("UPDATE participants SET name = '' WHERE id = ?", [participant_id])
            # Earlier versions named participants in history's actor column; give those rows the sector instead.
            db.execute(
                "UPDATE history SET actor = ? WHERE actor LIKE ? AND entity IN ('vote', 'participant')",
                [f"participant {participant_id} ({SECTORS[sector]})", f"participant {participant_id} (%"],
            )
        for workshop_id in sorted({w for _, w, _ in rows}):
            count = sum(1 for _, w, _ in rows if w == workshop_id)
            record(db, name, "workshop", workshop_id, "participant names removed", None,
                   {"participants": count, "after days": days})  # fmt: skip
    return len(rows)


# --- finding a person's terms in text --------------------------------------------------------------------------

WORDS, DIGITS, VALUE = "words", "digits", "value"


def _lower(token: str) -> str:
    # lower(), not casefold(): casefold turns "ß" into "ss" and a dozen other letters into plain ones, which SQLite's
    # LIKE (the cheap first test, ASCII case only) could not follow. Spelled variants are given as extra terms.
    return token.lower()


def _term(text: str) -> tuple[str, str]:
    """How one term is looked for: (kind, normalised key).

    words: its words in order, any case, anything but letters and digits between them;
    digits: a phone-like number, by its digits alone; value: too short for either, so only a whole value.
    """
    cleaned = " ".join((text or "").split())
    if _PHONE_LIKE.fullmatch(cleaned):
        digits = re.sub(r"[^0-9]", "", cleaned)
        return (DIGITS, digits) if len(digits) >= MIN_DIGITS else (VALUE, _lower(cleaned))
    tokens = [_lower(t) for t in _WORD.findall(cleaned)]
    if sum(len(t) for t in tokens) >= MIN_WORD_CHARACTERS:
        return WORDS, " ".join(tokens)
    return VALUE, _lower(cleaned)


def _value_key(text: str) -> str:
    return _lower(" ".join(text.split()))


def _shape(kind: str, key: str) -> tuple[int, ...]:
    """The lengths that say where a term could be (each word's, or the digits'), without saying what it is."""
    return tuple(len(t) for t in key.split(" ")) if kind == WORDS else (len(key),)


def _pack(shape: tuple[int, ...]) -> bytes:
    # Bytes, not text: no erasure ever rewrites the register's own keys.
    return b"".join(n.to_bytes(2, "big") for n in shape)


def _unpack(packed: bytes) -> tuple[int, ...]:
    return tuple(int.from_bytes(packed[i : i + 2], "big") for i in range(0, len(packed), 2))


def _digest(salt: bytes, kind: str, key: str) -> bytes:
    return hashlib.sha256(salt + kind.encode() + b"\x00" + key.encode()).digest()


def _like_needle(kind: str, key: str) -> str | None:
    """A LIKE pattern every text holding the term matches (so SQLite can skip the rest), or None if there is none.

    LIKE ignores the case of ASCII letters only, and JSON may escape anything else, so the needle is the longest
    run of plain letters and digits in the term, without "i" and "k" ("İ" and the Kelvin sign lower-case to
    them). A phone number's digits must appear in order, whatever lies between.
    """
    if kind == DIGITS:
        return "%" + "%".join(key) + "%"
    best = max(re.findall(r"[0-9a-hjl-z]+", key), key=len, default="")
    return f"%{best}%" if best else None


def _lengths(keys: Iterable[tuple[str, str]]) -> dict[str, set[int]]:
    lengths: dict[str, set[int]] = {WORDS: set(), DIGITS: set(), VALUE: set()}
    for kind, key in keys:
        lengths[kind].add(len(key))
    return lengths


def _quick(shapes: Iterable[tuple[str, tuple[int, ...]]]) -> re.Pattern[str] | None:
    """A regular expression every text holding a term of these shapes matches: words of those lengths in a row,
    or that many digits with short gaps. Far cheaper than the exact test, which it spares most values."""
    patterns = [
        r"(?<!\w)" + r"\W+".join(f"\\w{{{n}}}" for n in shape) + r"(?!\w)"
        if kind == WORDS
        else f"(?<![0-9])[0-9](?:{_GAP_CLASS}{{0,3}}[0-9]){{{shape[0] - 1}}}(?![0-9])"
        for kind, shape in sorted(set(shapes))
        if kind != VALUE
    ]
    return re.compile("|".join(patterns)) if patterns else None


@dataclass
class Terms:
    """What to look for, and what each find is labelled with (its erasure's number, for the placeholder).

    Built from plain terms (`of`: an erasure or an export) or from the register's digests (`from_register`:
    re-applying after a restore). Both look at text the same way (`spans`), so a term is found after a restore
    exactly where it would have been found before.
    """

    lookup: Callable[[str, str], str | None]  # (kind, key) -> label, or None
    lengths: dict[str, set[int]]  # the key lengths worth checking, per kind: most text is never hashed
    needles: list[str] | None = None  # LIKE patterns, one of which every holding text matches; None: no such test
    quick: re.Pattern[str] | None = None  # a fast test every holding text passes, before the exact one

    @classmethod
    def of(cls, terms: Iterable[str], label: str = "") -> Terms:
        keys = {_term(t) for t in terms if t and t.strip()}
        needles: list[str] | None = [n for kind, key in keys if (n := _like_needle(kind, key))]
        if len(needles) < len(keys):
            needles = None  # a term no LIKE can narrow down: every value is looked at
        return cls(lambda kind, key: label if (kind, key) in keys else None, _lengths(keys), needles,
                   _quick({(kind, _shape(kind, key)) for kind, key in keys}))  # fmt: skip

    @classmethod
    def from_register(cls, entries: Sequence[dict[str, Any]]) -> Terms:
        """Terms from the register's digests; each find is labelled with its erasure's number."""
        by_shape: dict[tuple[str, int], list[tuple[bytes, set[bytes], str]]] = {}
        shapes: set[tuple[str, tuple[int, ...]]] = set()
        for entry in entries:
            digests: dict[tuple[str, int], set[bytes]] = {}
            for kind, shape, digest in entry["terms"]:
                shapes.add((kind, shape))
                length = sum(shape) + len(shape) - 1 if kind == WORDS else shape[0]
                digests.setdefault((kind, length), set()).add(digest)
            for key_shape, found in digests.items():
                by_shape.setdefault(key_shape, []).append((entry["salt"], found, str(entry["number"])))

        def lookup(kind: str, key: str) -> str | None:
            for salt, found, number in by_shape.get((kind, len(key)), ()):
                if _digest(salt, kind, key) in found:
                    return number
            return None

        lengths: dict[str, set[int]] = {WORDS: set(), DIGITS: set(), VALUE: set()}
        for (kind, length), _ in by_shape.items():
            lengths[kind].add(length)
        return cls(lookup, lengths, None, _quick(shapes))

    def __bool__(self) -> bool:
        return any(self.lengths.values())

    def might_hold(self, text: str) -> bool:
        """False only when the text cannot hold a term: a cheap test before looking word by word."""
        if self.lengths[VALUE] and len(_value_key(text)) in self.lengths[VALUE]:
            return True
        if "\\" in text or "İ" in text:  # JSON escapes, and the one letter lower() lengthens
            return True
        return self.quick is not None and self.quick.search(text) is not None

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where the terms are in the text: (start, end, label), in order, never overlapping."""
        found: list[tuple[int, int, str]] = []
        if self.lengths[VALUE]:
            key = _value_key(text)
            if len(key) in self.lengths[VALUE] and (label := self.lookup(VALUE, key)) is not None:
                return [(0, len(text), label)]
        if self.lengths[WORDS]:
            longest = max(self.lengths[WORDS])
            tokens = list(_WORD.finditer(text))
            lowered = [_lower(t.group()) for t in tokens]
            for i in range(len(tokens)):
                key = lowered[i]
                for j in range(i, len(tokens)):
                    if j > i:
                        key = f"{key} {lowered[j]}"
                    if len(key) > longest:
                        break
                    if len(key) in self.lengths[WORDS] and (label := self.lookup(WORDS, key)) is not None:
                        found.append((tokens[i].start(), tokens[j].end(), label))
        if self.lengths[DIGITS]:
            longest = max(self.lengths[DIGITS])
            groups = list(_DIGIT_GROUP.finditer(text))
            for i in range(len(groups)):
                digits = ""
                for j in range(i, len(groups)):
                    if j > i and not _DIGIT_GAP.fullmatch(text, groups[j - 1].end(), groups[j].start()):
                        break
                    digits += groups[j].group()
                    if len(digits) > longest:
                        break
                    if len(digits) in self.lengths[DIGITS] and (label := self.lookup(DIGITS, digits)) is not None:
                        found.append((groups[i].start(), groups[j].end(), label))
        merged: list[tuple[int, int, str]] = []
        for start, end, label in sorted(found):
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2])
            else:
                merged.append((start, end, label))
        return merged

    def _replaced(self, text: str, placeholder: Callable[[str], str]) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts, last = [], 0
        for start, end, label in spans:
            parts += [text[last:start], placeholder(label)]
            last = end
        return "".join(parts + [text[last:]])

    def rewrite(self, text: str, placeholder: Callable[[str], str]) -> str:
        """The text with every find replaced by its label's placeholder.

        A JSON value (history's old and new values) is rewritten string by string and encoded again, so a find
        can never straddle its punctuation and leave it unreadable, and text its escapes hide ("Zo\\u00eb") is
        found. Without a backslash and without a find in the raw text, there is nothing to decode.
        """
        if text[:1] in '"[{' and ("\\" in text or self.spans(text)):
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = None
            if isinstance(decoded, str | list | dict):
                walked = _walk(decoded, lambda s: self._replaced(s, placeholder))
                return text if walked == decoded else json.dumps(walked, ensure_ascii=False)
        return self._replaced(text, placeholder)

    def replace(self, text: str, replacement: str) -> str:
        """The text with every find replaced by `replacement` (one placeholder for every term)."""
        return self.rewrite(text, lambda _label: replacement)

    def held_in(self, text: str) -> bool:
        return self.rewrite(text, lambda label: "\x00") != text


def _walk(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    if isinstance(value, dict):
        return {change(k): _walk(v, change) for k, v in value.items()}
    return value


# --- the scan export and erasure share -------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(db: sqlite_utils.Database) -> list[tuple[str, str, list[str]]]:
    """Every table a person's data could be in: its name, what identifies a row, and every column that can hold
    text, read from the database's own catalogue (checklist/db: `table_keys`)."""
    return [(name, key, columns) for name, key, columns in table_keys(db) if name not in NOT_SCANNED]


@dataclass(frozen=True)
class Cell:
    """One value holding a term: where it is and what it is."""

    table: str
    row: Any  # what identifies the row: its id (SQLite's rowid), or its key columns' values
    column: str
    value: str


def _scan(db: sqlite_utils.Database, terms: Terms) -> Iterator[Cell]:
    """Every text value, in every column of every table, that holds one of the terms."""
    if not terms:
        return
    shortest = min(length for lengths in terms.lengths.values() for length in lengths)
    sql = dialect(db)
    for table, key, columns in _tables(db):
        if terms.needles is not None:
            # Plain terms: LIKE picks the rows worth reading (every holding row matches one needle).
            where = " OR ".join(f"{_ident(c)} {sql.like_any_case} ?" for c in columns for _ in terms.needles)
            listed = ", ".join(_ident(c) for c in columns)
            cursor = db.execute(f"SELECT {key}, {listed} FROM {_ident(table)} WHERE {where} ORDER BY 1",
                                [n for _ in columns for n in terms.needles])  # fmt: skip
            width = len(key.split(","))
            for found_row in cursor:
                rowid, values = _row_key(found_row[:width]), found_row[width:]
                for column, value in zip(columns, values, strict=True):
                    if isinstance(value, str) and terms.might_hold(value) and terms.held_in(value):
                        yield Cell(table, rowid, column, value)
            continue
        # Digests (or a term no LIKE narrows): each distinct value is looked at once, then the rows holding those
        # found are read in one pass. Columns repeat values (names, fields, levels), so this is far less work.
        for column in columns:
            found = [
                value
                for (value,) in db.execute(
                    f"SELECT DISTINCT {_ident(column)} FROM {_ident(table)} WHERE {sql.is_text(_ident(column))}"
                    f" AND length({_ident(column)}) >= ?",
                    [shortest],
                )
                if terms.might_hold(value) and terms.held_in(value)
            ]
            if found:
                for *rowid, value in db.execute(
                    f"SELECT {key}, {_ident(column)} FROM {_ident(table)} WHERE {_ident(column)} IN"
                    f" (SELECT value FROM ({sql.rows_of('?')}) AS found) ORDER BY 1",
                    [json.dumps(found, ensure_ascii=False)],
                ):
                    yield Cell(table, _row_key(rowid), column, value)


# --- export ---------------------------------------------------------------------------------------------------


def _people(db: sqlite_utils.Database, who: str) -> tuple[dict[str, Any] | None, set[str]]:
    """The user signing in as `who` (an e-mail or a name) if any, and every name they appear under."""
    who = (who or "").strip()
    if not who:
        raise StoreError("say whose data: their e-mail address or their name as history shows it")
    rows = db.execute(
        "SELECT id, email, name FROM users WHERE lower(email) = lower(?) OR lower(name) = lower(?)", [who, who]
    ).fetchall()
    if len(rows) > 1:
        raise StoreError(
            f"{len(rows)} users are called {who!r}; give the e-mail address of the one you mean, so nobody else's "
            "record is changed"
        )
    user = None if not rows else {"id": rows[0][0], "email": rows[0][1], "name": rows[0][2]}
    names = {who}
    if user:
        names |= {user["email"], user["name"]} - {""}
    return user, names


def _extra_terms(also: Sequence[str]) -> list[str]:
    """Terms the person typed (a phone number, another spelling): refused when too short to find safely."""
    extra = [" ".join(t.split()) for t in also if t and t.strip()]
    for term in extra:
        if _term(term)[0] == VALUE:
            raise StoreError(
                f"{term!r} is too short to erase safely: it would match ordinary words or numbers; give at least "
                f"{MIN_WORD_CHARACTERS} letters (a whole name) or a phone number's {MIN_DIGITS} or more digits"
            )
    return extra


def personal_data(
    db: sqlite_utils.Database, actor: access.User | str, who: str, also: Sequence[str] = ()
) -> dict[str, Any]:
    """Everything the app holds about one person (a subject access request), as plain data.

    "everything held about them" is every value erasure would change, found by the same scan, with the
    value itself; other keys group it for reading. Review it before sending: free text may name others too.
    """
    authorise(db, actor, access.MANAGE_SERVICE, what="export a person's data")
    user, names = _people(db, who)
    terms = [*names, *_extra_terms(also)]
    found: dict[str, Any] = {"person": who, "user": user, "roles": [], "names": sorted(terms)}
    if user:
        found["roles"] = [dict(zip(("role", "system_id", "place_id"), r, strict=True)) for r in db.execute(
            "SELECT role, system_id, place_id FROM grants WHERE user_id = ?", [user["id"]]).fetchall()]  # fmt: skip
    cells = list(_scan(db, Terms.of(terms)))
    whole = {_value_key(t) for t in terms}
    acted = [c.row for c in cells if c.table == "history" and c.column == "actor"]
    cursor = db.execute(
        "SELECT id, at, entity, entity_id, assessment_id, item_id, field FROM history WHERE id IN"
        f" (SELECT value FROM ({dialect(db).ints_of('?')}) AS acted) ORDER BY id",
        [json.dumps(acted)],
    )
    columns = [c[0] for c in cursor.description]
    found["changes"] = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    for cell in cells:
        found.setdefault(f"{cell.table}.{cell.column}", []).append(cell.row)
    participants = [c.row for c in cells if (c.table, c.column) == ("participants", "name")]
    found["workshop participants"] = [
        {"participant": r[0], "workshop": r[1], "sector": r[2]}
        for r in db.execute(
            "SELECT id, workshop_id, sector FROM participants WHERE id IN"
            f" (SELECT value FROM ({dialect(db).ints_of('?')}) AS found) ORDER BY id",
            [json.dumps(participants)],
        ).fetchall()
    ]
    # Kept under its earlier name (the Manage page counts it): values where they are part of a longer text.
    found["free text mentioning them (review by hand)"] = [
        {"table": c.table, "row": c.row, "column": c.column} for c in cells if _value_key(c.value) not in whole
    ]
    found["everything held about them"] = [
        {"table": c.table, "row": c.row, "column": c.column, "value": c.value} for c in cells
    ]
    # Files whose text names them: erasure empties these (their content is in the database, not in this file).
    named = _files_naming(db, Terms.of(terms))
    found["evidence files naming them"] = [
        dict(zip(("file", "assessment_id", "item_id", "name", "kind"), r, strict=True))
        for r in db.execute(
            "SELECT id, assessment_id, item_id, name, kind FROM evidence_files WHERE id IN"
            f" (SELECT value FROM ({dialect(db).ints_of('?')}) AS named) ORDER BY id",
            [json.dumps(sorted(named))],
        ).fetchall()
    ]
    return found


# --- erasure --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: its number in the register, and how much it changed (never what it removed)."""

    number: int
    placeholder: str
    rows: int
    fields: int
    columns: dict[str, int] = field(default_factory=dict)
    file_compacted: bool = True


def _rewrite(db: sqlite_utils.Database, terms: Terms, placeholder: Callable[[str], str]) -> dict[str, Counter]:
    """Replace every find in every table, inside the caller's transaction; returns per label, per table.column,
    how many values changed, plus a count of the distinct rows."""
    changes: dict[str, dict[tuple[str, str], list[tuple[int, str]]]] = {}
    for cell in list(_scan(db, terms)):
        labels: list[str] = []

        def marked(label: str, labels: list[str] = labels) -> str:
            labels.append(label)  # which erasure found it: a restore re-applies several at once
            return placeholder(label)

        new = terms.rewrite(cell.value, marked)
        if (cell.table, cell.column) == ("users", "email"):
            # The person stops being able to sign in; the address is unique, so each row gets its own.
            new = f"erased-{cell.row}@invalid"
            db.execute("UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?",
                       [clock.iso_now(), cell.row])  # fmt: skip
            db.execute("DELETE FROM grants WHERE user_id = ?", [cell.row])
        elif (cell.table, cell.column) == ("participants", "name"):
            new = ""  # a participant is their sector and number, as after the retention period
        changes.setdefault(min(labels), {}).setdefault((cell.table, cell.column), []).append((cell.row, new))
    counted: dict[str, Counter] = {}
    touches_history = any(table == "history" for found in changes.values() for table, _ in found)
    keys = {table: key for table, key, _ in _tables(db)}
    with history_unlocked(db) if touches_history else _nothing():
        for label, found in changes.items():
            counts: Counter = Counter()
            rows = set()
            # A column that is part of a row's key is changed last, so the rows' other changes still find them.
            for (table, column), values in sorted(found.items(), key=lambda kv: _ident(kv[0][1]) in keys[kv[0][0]]):
                key = keys[table]
                try:
                    db.conn.executemany(
                        f"UPDATE {_ident(table)} SET {_ident(column)} = ? WHERE ({key}) = ({_marks(key)})",
                        [(new, *_parts(row)) for row, new in values],
                    )
                except DRIVER_ERRORS as exc:
                    if "constraint" not in str(exc).lower() and "unique" not in str(exc).lower():
                        raise
                    raise StoreError(
                        f"erasing would break a rule of {table}.{column} ({exc}): a term matched a value that column "
                        "must keep (a fixed word, or one that must be unique); give a longer, more exact term. "
                        "Nothing was changed."
                    ) from None
                counts[f"{table}.{column}"] += len(values)
                rows |= {(table, row) for row, _ in values}
            counts["_rows"] = len(rows)
            counted[label] = counts
    for label, emptied in _erase_in_files(db, terms).items():
        counts = counted.setdefault(label, Counter())
        counts["evidence_files.content"] += len(emptied)
        counts["_rows"] += len(emptied)
    return counted


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _files_naming(db: sqlite_utils.Database, terms: Terms) -> dict[int, str]:
    """The evidence files whose text holds a term, with the label of the first find (one file at a time)."""
    found: dict[int, str] = {}
    ids = [r[0] for r in db.execute("SELECT id FROM evidence_files WHERE size > 0").fetchall()]
    for file_id in ids:
        data = bytes(db.execute("SELECT content FROM evidence_files WHERE id = ?", [file_id]).fetchone()[0])
        labels: list[str] = []
        for text in (data.decode("utf-8", "ignore"), data.decode("utf-16-le", "ignore")):
            terms.rewrite(text, lambda label, labels=labels: labels.append(label) or "")
        if labels:
            found[file_id] = min(labels)
    return found


def _erase_in_files(db: sqlite_utils.Database, terms: Terms) -> dict[str, list[int]]:
    """Evidence files whose text names a term: their content is emptied and the file marked removed (its name and
    who added it are text, erased like any other). The text of a file is what it holds as UTF-8 or UTF-16; text
    inside compressed files (most PDFs and Office files) cannot be read this way, so the subject-access export
    lists every file a person added, to be checked by hand. One file at a time, never all in memory."""
    found: dict[str, list[int]] = {}
    for file_id, label in _files_naming(db, terms).items():
        found.setdefault(label, []).append(file_id)
        db.execute(
            "UPDATE evidence_files SET content = ?, size = 0, sha256 = ?, removed_at = coalesce(removed_at, ?) "
            "WHERE id = ?",
            [b"", EMPTY_SHA256, clock.iso_now(), file_id],
        )
    return found


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _row_key(parts: Sequence[Any]) -> Any:
    """A row's identity: its id alone, or its key columns' values together."""
    return parts[0] if len(parts) == 1 else tuple(parts)


def _parts(row: Any) -> tuple:
    return tuple(row) if isinstance(row, tuple | list) else (row,)


def _marks(key: str) -> str:
    return ", ".join("?" for _ in key.split(","))


def _summary(counts: Counter) -> dict[str, Any]:
    columns = {k: v for k, v in sorted(counts.items()) if not k.startswith("_")}
    return {"rows": counts["_rows"], "fields": sum(columns.values()), "columns": columns}


def _record_erasure(db: sqlite_utils.Database, actor: str, number: int, summary: dict[str, Any]) -> None:
    """The readable record of an erasure: its number and how much changed, in the register and in history."""
    db.execute("UPDATE erasures SET rows_changed = ?, fields_changed = ? WHERE id = ?",
               [summary["rows"], summary["fields"], number])  # fmt: skip
    record(db, actor, "person", number, "erased", None, summary)


def erase_person(db: sqlite_utils.Database, actor: access.User | str, who: str, also: Sequence[str] = ()) -> Erasure:
    """Remove one person from every table and every stored text, history included, and stop them signing in.

    `who` is their e-mail address or their name as recorded; `also` adds text they typed (a phone number,
    another spelling of their name). Every occurrence becomes "Erased person N", N the erasure's number in the
    register; the register keeps the terms only as digests, for re-applying after a restore. One transaction.
    """
    name = authorise(db, actor, access.MANAGE_SERVICE, what="erase a person's data")
    user, names = _people(db, who)
    terms = [*names, *_extra_terms(also)]
    search = Terms.of(terms)
    acting = access.as_user(actor)
    if any(search.held_in(n) or _value_key(n) in {_value_key(t) for t in terms} for n in {name, acting.email} if n):
        raise StoreError("you cannot erase yourself (one of the terms names you); ask another administrator")
    if user is None and next(_scan(db, search), None) is None:
        raise StoreError(
            f"nobody called {who.strip()!r} is known here: no user, and nothing recorded under that name or address"
        )
    salt = secrets.token_bytes(16)
    with erasing_securely(db):  # what is freed is zeroed, not left in the file's free space
        with write_transaction(db):
            number = int(db.execute(
                "INSERT INTO erasures (at, erased_by, rows_changed, fields_changed, salt) VALUES (?, ?, 0, 0, ?)"
                " RETURNING id", [clock.iso_now(), name, salt]).fetchone()[0])  # fmt: skip
            db.conn.executemany(
                "INSERT INTO erasure_terms (erasure_id, kind, shape, digest) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(number, kind, _pack(_shape(kind, key)), _digest(salt, kind, key))
                 for kind, key in {_term(t) for t in terms}],
            )  # fmt: skip
            placeholder = PLACEHOLDER.format(number=number)
            counted = _rewrite(db, Terms.of(terms, label=str(number)), lambda _label: placeholder)
            if user:  # found by name with no address among the terms' finds: still stop them signing in
                db.execute("UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?",
                           [clock.iso_now(), user["id"]])  # fmt: skip
                db.execute("DELETE FROM grants WHERE user_id = ?", [user["id"]])
            summary = _summary(counted.get(str(number), Counter()))
            _record_erasure(db, name, number, summary)
    compacted = compact(db)
    return Erasure(number, placeholder, summary["rows"], summary["fields"], summary["columns"], compacted)


# --- the register, and re-applying it after a restore -----------------------------------------------------------


def erasure_register(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The readable record of every erasure: number, when, by whom, how many rows and fields it changed."""
    rows = db.execute("SELECT id, at, erased_by, rows_changed, fields_changed FROM erasures ORDER BY id").fetchall()
    return [dict(zip(("number", "at", "by", "rows", "fields"), r, strict=True)) for r in rows]


def erasure_records(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The whole register, digests included, as plain data: what a restore carries into the restored database."""
    records = []
    for number, at, by, rows, fields, salt in db.execute(
        "SELECT id, at, erased_by, rows_changed, fields_changed, salt FROM erasures ORDER BY id"
    ).fetchall():
        terms = db.execute(
            "SELECT kind, shape, digest FROM erasure_terms WHERE erasure_id = ? ORDER BY kind, digest", [number]
        ).fetchall()
        records.append({"number": number, "at": at, "by": by, "rows": rows, "fields": fields, "salt": salt,
                        "terms": [(kind, _unpack(shape), digest) for kind, shape, digest in terms]})  # fmt: skip
    return records


def reapply_erasures(db: sqlite_utils.Database, records: Sequence[dict[str, Any]], actor: str) -> dict[int, int]:
    """Bring the register `records` into `db` (a restored database) and erase again whatever they name there.

    Erasures the restored database lacks are added under their own numbers (a new one if that number is taken by
    a different erasure); each that changed anything is recorded in history. Returns fields changed per number.
    """
    with write_transaction(db):
        known = {row[0] for row in db.execute("SELECT salt FROM erasures").fetchall()}
        for entry in records:
            if entry["salt"] in known:
                continue
            taken = db.execute("SELECT 1 FROM erasures WHERE id = ?", [entry["number"]]).fetchone()
            row = {"id": entry["number"], "at": entry["at"], "erased_by": entry["by"], "rows_changed": entry["rows"],
                   "fields_changed": entry["fields"], "salt": entry["salt"]}  # fmt: skip
            if taken:
                del row["id"]  # a new number
            number = insert_row(db, "erasures", row)
            db.conn.executemany(
                "INSERT INTO erasure_terms (erasure_id, kind, shape, digest) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(number, kind, _pack(shape), digest) for kind, shape, digest in entry["terms"]],
            )
        search = Terms.from_register(erasure_records(db))
        if not search:
            return {}
        counted = _rewrite(db, search, lambda label: PLACEHOLDER.format(number=label))
        for label, counts in sorted(counted.items()):
            record(db, actor, "person", label, "erased again after a restore", None, _summary(counts))
    # A backup carries its unused space too, which may still hold text deleted before it was made (SQLite built
    # without SQLITE_SECURE_DELETE leaves it there): rebuilt, only what is in the tables goes on.
    compact(db)
    return {int(label): _summary(counts)["fields"] for label, counts in counted.items()}

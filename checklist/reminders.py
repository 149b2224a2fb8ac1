"""Reminders by e-mail: a daily digest per person, sent exactly once, saying nothing they could not see signed in.

Who gets what (each line links to the exact page):

- everyone: their own open actions (the action's owner is their e-mail address) due within DUE_WITHIN_DAYS or
  overdue;
- leads (who may edit a unit): rounds due or overdue on its review cycle, reviewers' comments still to address,
  and actions due or overdue whose owner is not a person in the app (nobody else would be told);
- reviewers: submitted rounds waiting for their sign-off (never one they submitted);
- system admins: a count of what is overdue in each of their systems.

Exactly once: `send_due` first records a row per person for the day (one row per person and day, whatever runs
it), then claims rows one at a time under the write lock, sends, and marks each sent. A second run finds the
rows sent; a second server finds them claimed; a mail server that refuses or drops the connection leaves the
row failed, retried by the next run (up to MAX_ATTEMPTS) and reported. The mail's Message-ID is the same on
every attempt, so a mail sent just before a crash, and sent again after the claim lapses, is the same mail.
Content is built when the mail is sent, from what the person may read then.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

import pandas as pd
import sqlite_utils

from checklist import access, clock, cycles, formatting, mailer, store
from checklist.db import query_frame, write_transaction

NOTIFY_AT_VAR = "CHECKLIST_NOTIFY_AT"
DUE_WITHIN_DAYS = 14
MAX_ATTEMPTS = 5
CLAIM = timedelta(minutes=10)


@dataclass(frozen=True)
class Line:
    text: str
    link: str


@dataclass
class Digest:
    """One person's mail for one day: sections of lines, each with the page it is about."""

    person: access.User
    sections: dict[str, list[Line]] = field(default_factory=dict)

    def add(self, heading: str, line: Line) -> None:
        self.sections.setdefault(heading, []).append(line)

    @property
    def empty(self) -> bool:
        return not any(self.sections.values())

    @property
    def count(self) -> int:
        return sum(len(lines) for lines in self.sections.values())


@dataclass(frozen=True)
class Outcome:
    sent: int
    skipped: int
    failed: list[str]  # "name@org: why" for each that failed this run

    def describe(self) -> str:
        parts = [f"{self.sent} sent", f"{self.skipped} with nothing to say"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed (retried at the next run): " + "; ".join(self.failed))
        return ", ".join(parts)


class Everything:
    """What the digests are made from, read once per run (one trip per job, whatever the number of people)."""

    def __init__(self, db: sqlite_utils.Database, today: date) -> None:
        self.today = today
        soon = (today + timedelta(days=DUE_WITHIN_DAYS)).isoformat()
        self.actions = query_frame(
            db,
            """SELECT x.id, x.assessment_id, x.item_id, x.description, x.owner, x.due_date, a.system_id, a.place_id,
                      coalesce(p.name, s.name || ' (whole system)') AS unit_name, a.round_label
               FROM actions x JOIN assessments a ON a.id = x.assessment_id JOIN systems s ON s.id = a.system_id
               LEFT JOIN places p ON p.id = a.place_id
               WHERE x.deleted_at IS NULL AND x.status NOT IN ('done', 'dropped') AND x.due_date IS NOT NULL
                 AND x.due_date <= ? ORDER BY x.due_date, x.id""",
            [soon],
        )
        self.people = query_frame(db, "SELECT id, lower(email) AS email FROM users WHERE disabled_at IS NULL")
        known = set(self.people["email"])
        self.actions["owner_key"] = self.actions["owner"].fillna("").str.strip().str.casefold()
        self.actions["owner_known"] = self.actions["owner_key"].isin(known)
        self.due = cycles.due_rounds(db, today)
        self.due = self.due[self.due["state"].isin([cycles.OVERDUE, cycles.DUE])]
        self.waiting = store.awaiting_sign_off(db)
        self.comments = query_frame(
            db,
            """SELECT c.assessment_id, count(*) AS open, a.system_id, a.place_id, a.round_label,
                      coalesce(p.name, s.name || ' (whole system)') AS unit_name
               FROM review_comments c JOIN assessments a ON a.id = c.assessment_id JOIN systems s ON s.id = a.system_id
               LEFT JOIN places p ON p.id = a.place_id
               WHERE c.addressed_at IS NULL AND c.withdrawn_at IS NULL
               GROUP BY c.assessment_id, a.system_id, a.place_id, a.round_label, p.name, s.name""",
        )
        self.systems = dict(db.execute("SELECT id, name FROM systems").fetchall())


def _unit(row: object) -> tuple[int, int | None]:
    place = getattr(row, "place_id", None)
    return int(row.system_id), None if place is None or pd.isna(place) else int(place)  # type: ignore[attr-defined]


def _link(base: str, path: str = "", **params: object) -> str:
    return f"{base.rstrip('/')}/{path}" + (f"?{urlencode(params)}" if params else "")


def _when(due: str, today: date) -> str:
    day = date.fromisoformat(due)
    return f"overdue since {formatting.day(day)}" if day < today else f"due {formatting.day(day)}"


def digest(everything: Everything, person: access.User, base: str) -> Digest:
    """What this person is told today; only about units they may read, in the roles they hold there."""
    today, out = everything.today, Digest(person)
    mine = everything.actions[everything.actions["owner_key"] == person.email.strip().casefold()]
    for row in mine.itertuples():
        if access.can(person, access.READ, *_unit(row)):
            words = f"{row.description} ({row.unit_name} · {row.round_label}): {_when(row.due_date, today)}"
            out.add("Your actions", Line(words, _link(base, "assess", assessment=row.assessment_id, item=row.item_id)))
    for row in everything.due.itertuples():
        if access.can(person, access.EDIT, *_unit(row)):
            out.add("Rounds due", Line(f"{row.unit_name}: {cycles.describe(row._asdict()).lower()}", _link(base)))
    for row in everything.comments.itertuples():
        if access.can(person, access.EDIT, *_unit(row)):
            out.add("Review comments to address", Line(
                f"{row.unit_name} · {row.round_label}: {row.open} open comment{'s' if row.open != 1 else ''}",
                _link(base, "assess", assessment=row.assessment_id)))  # fmt: skip
    orphans = everything.actions[~everything.actions["owner_known"]]
    for row in orphans.itertuples():
        if access.can(person, access.EDIT, *_unit(row)):
            owner = row.owner.strip() or "no owner named"
            words = f"{row.description} (owner: {owner}; {row.unit_name} · {row.round_label}): " + _when(
                row.due_date, today
            )
            link = _link(base, "assess", assessment=row.assessment_id, item=row.item_id)
            out.add("Actions whose owner is not in the app", Line(words, link))
    for row in everything.waiting.itertuples():
        if access.can(person, access.REVIEW, *_unit(row)) and (row.submitted_by or "") != person.name:
            out.add("Waiting for your sign-off", Line(f"{row.unit_name} · {row.round_label}",
                                                      _link(base, "assess", assessment=row.id)))  # fmt: skip
    for system_id in sorted(person.admin_systems):
        overdue_rounds = int(((everything.due["system_id"] == system_id)
                              & (everything.due["state"] == cycles.OVERDUE)).sum())  # fmt: skip
        late = everything.actions[(everything.actions["system_id"] == system_id)
                                  & (everything.actions["due_date"] < today.isoformat())]  # fmt: skip
        if overdue_rounds or len(late):
            out.add("Your systems", Line(
                f"{everything.systems.get(system_id, system_id)}: {formatting.count(overdue_rounds)} round(s) overdue, "
                f"{formatting.count(len(late))} action(s) overdue", _link(base, "manage")))  # fmt: skip
    return out


def subject(d: Digest) -> str:
    return f"Physical activity maturity: {d.count} thing{'s' if d.count != 1 else ''} for you"


def bodies(d: Digest, base: str) -> tuple[str, str]:
    """The mail as plain text and as HTML (every text escaped): the sections, then how to turn reminders off."""
    off = _link(base, "", reminders="off")
    text = [f"Hello {d.person.name},", "", "Here is what needs you in the physical activity maturity tool.", ""]
    parts = [f"<p>Hello {html.escape(d.person.name)},</p><p>Here is what needs you in the physical activity "
             "maturity tool.</p>"]  # fmt: skip
    for heading, lines in d.sections.items():
        text += [heading, *(f"- {line.text}\n  {line.link}" for line in lines), ""]
        items = "".join(f'<li><a href="{html.escape(line.link)}">{html.escape(line.text)}</a></li>' for line in lines)
        parts.append(f"<h2>{html.escape(heading)}</h2><ul>{items}</ul>")
    text += ["You get this because you have a role in the tool. To stop these reminders, sign in and turn them off:",
             off]  # fmt: skip
    parts.append(f"<p>You get this because you have a role in the tool. <a href=\"{html.escape(off)}\">Turn these "
                 "reminders off</a> (you will be asked to sign in).</p>")  # fmt: skip
    return "\n".join(text), '<html lang="en-GB"><body>' + "".join(parts) + "</body></html>"


# --- on a schedule ------------------------------------------------------------------------------------------------


def notify_at() -> time | None:
    """CHECKLIST_NOTIFY_AT: the UK time each day the server sends reminders itself ("07:30"), or None (off)."""
    raw = os.environ.get(NOTIFY_AT_VAR, "").strip()
    if not raw:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise store.StoreError(f"{NOTIFY_AT_VAR}={raw!r} is not a time of day; expected HH:MM, e.g. 07:30") from None


def seconds_until(now: datetime, at: time) -> float:
    """How long from `now` until the next `at` in UK time (today's, or tomorrow's once it has passed)."""
    here = now.astimezone(formatting.LOCAL_TIME)
    moment = datetime.combine(here.date(), at, tzinfo=formatting.LOCAL_TIME)
    if moment <= here:
        moment = datetime.combine(here.date() + timedelta(days=1), at, tzinfo=formatting.LOCAL_TIME)
    return (moment - here).total_seconds()


# --- who wants them -------------------------------------------------------------------------------------------


def reminders_on(db: sqlite_utils.Database, user_id: int) -> bool:
    return db.execute("SELECT 1 FROM reminder_optouts WHERE user_id = ?", [user_id]).fetchone() is None


def set_reminders(db: sqlite_utils.Database, actor: access.User | str, user_id: int, on: bool) -> None:
    """Turn a person's reminders off or on again: their own choice (or a service admin's, on their behalf)."""
    from checklist.db import record

    acting = access.current(db, access.as_user(actor))
    if acting.id != user_id and not access.can(acting, access.MANAGE_SERVICE):
        raise access.PermissionDenied(f"{acting.name} may turn only their own reminders off or on")
    with write_transaction(db):
        if on:
            db.execute("DELETE FROM reminder_optouts WHERE user_id = ?", [user_id])
        else:
            db.execute("INSERT INTO reminder_optouts (user_id, off_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                       [user_id, clock.iso_now()])  # fmt: skip
        record(db, acting.name, "user", user_id, "reminders", None, "on" if on else "off")


def _people(db: sqlite_utils.Database) -> list[access.User]:
    rows = db.execute(
        """SELECT u.id FROM users u WHERE u.disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM reminder_optouts o WHERE o.user_id = u.id) ORDER BY u.id"""
    ).fetchall()
    return [access.current(db, access.User(name="", id=int(r[0]))) for r in rows]


# --- the ledger: exactly once ------------------------------------------------------------------------------------


def _claim(db: sqlite_utils.Database, day: str, now: datetime) -> tuple[int, int] | None:
    """Take the next reminder of the day nobody holds (pending, or claimed long enough ago to be lost)."""
    with write_transaction(db):
        row = db.execute(
            """UPDATE reminders SET state = 'sending', attempts = attempts + 1, claimed_until = ?
               WHERE id = (SELECT id FROM reminders WHERE day = ? AND attempts < ?
                             AND (state = 'pending' OR (state = 'sending' AND claimed_until < ?))
                           ORDER BY id LIMIT 1)
               RETURNING id, user_id""",
            [(now + CLAIM).isoformat(), day, MAX_ATTEMPTS, now.isoformat()],
        ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def _mark(db: sqlite_utils.Database, reminder_id: int, state: str, error: str = "", at: str | None = None) -> None:
    with write_transaction(db):
        db.execute("UPDATE reminders SET state = ?, last_error = ?, sent_at = ?, claimed_until = NULL WHERE id = ?",
                   [state, error, at, reminder_id])  # fmt: skip


def send_due(
    db: sqlite_utils.Database,
    base: str,
    today: date | None = None,
    connect: Callable[[], mailer.Connection] | None = None,
    sender: str | None = None,
) -> Outcome:
    """Record today's digest for everyone who has something to hear (and has not turned reminders off), then send
    each one not yet sent. Safe to run twice, from two servers at once, or after a crash."""
    if not base.startswith(("http://", "https://")):
        raise store.StoreError("reminders link to the app, so CHECKLIST_PUBLIC_URL must be its address, e.g. "
                               "https://maturity.example.nhs.uk")  # fmt: skip
    today = today or clock.today()
    day, everything = today.isoformat(), Everything(db, today)
    people = {p.id: p for p in _people(db)}
    with write_transaction(db):
        # What failed at an earlier run is tried again now (a failure in this run waits for the next).
        db.execute("UPDATE reminders SET state = 'pending' WHERE day = ? AND state = 'failed' AND attempts < ?",
                   [day, MAX_ATTEMPTS])  # fmt: skip
        for person in people.values():
            if not digest(everything, person, base).empty:
                db.execute("INSERT INTO reminders (user_id, day, state, created_at) VALUES (?, ?, 'pending', ?) "
                           "ON CONFLICT DO NOTHING", [person.id, day, clock.iso_now()])  # fmt: skip
    connection = (connect or (lambda: mailer.Connection(mailer.server_from_env())))()
    sender = sender or mailer.sender_from_env()
    host = sender.split("@", 1)[1]
    sent = skipped = 0
    failed: list[str] = []
    try:
        while (claimed := _claim(db, day, clock.now())) is not None:
            reminder_id, user_id = claimed
            person = people.get(user_id)
            found = None if person is None else digest(everything, person, base)
            if found is None or found.empty:  # turned off, disabled, or nothing left to say since it was recorded
                _mark(db, reminder_id, "skipped")
                skipped += 1
                continue
            text, page = bodies(found, base)
            mail = mailer.message(sender, person.email, subject(found), text, page, f"<reminder-{reminder_id}@{host}>")
            try:
                connection.send(mail)
            except mailer.MailProblem as exc:
                _mark(db, reminder_id, "failed", str(exc))
                failed.append(f"{person.email}: {exc}")
                if not exc.delivered_others:  # no server to talk to: the rest wait for the next run
                    break
                continue
            _mark(db, reminder_id, "sent", at=clock.iso_now())
            sent += 1
    finally:
        connection.close()
    return Outcome(sent, skipped, failed)

"""Reminders by e-mail, against a real SMTP server on 127.0.0.1 (aiosmtpd): who gets what, each day's digest
exactly once (run twice, two runs at once, a server that refuses, drops the connection mid-message or is not
there), turning reminders off, and the settings refused plainly."""

from __future__ import annotations

import email
import threading
from datetime import UTC, datetime, time
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from checklist import access, cycles, mailer, reminders, store
from checklist.cli import main
from checklist.framework import current_framework
from tests.conftest import ACTOR, FROZEN_AT
from tests.e2e.conftest import _free_port
from tests.test_access import _as, shared_demo  # noqa: F401 - fixture

BASE = "https://maturity.example.nhs.uk"
TODAY = FROZEN_AT.date()


class Inbox:
    """An SMTP server's handler: keeps what it accepts; can refuse recipients or drop the connection mid-message."""

    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []
        self.behaviour = "accept"
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001, ANN201, N802
        if self.behaviour == "refuse":
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        if self.behaviour == "drop":
            server.transport.close()  # gone before saying the message was accepted
            return "421 closing"
        self.mails.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = inbox.port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv(mailer.SMTP_URL_VAR, f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv(mailer.MAIL_FROM_VAR, "maturity-tool@example.nhs.uk")
    monkeypatch.delenv(mailer.PASSWORD_VAR, raising=False)
    yield inbox
    controller.stop()


@pytest.fixture
def people(db_target):
    """A place with a lead who owns an action due soon, an overdue action whose owner is nobody in the app, an
    overdue review cycle, and a reviewer with a round waiting for sign-off; a viewer of another place."""
    db = store.connect(db_target)
    system = store.create_system(db, "Remind ICS", ACTOR)
    place, other = (store.create_place(db, system, name, ACTOR) for name in ("Ashby", "Brook"))
    ids = {}
    for email_address, role, unit in (("lee@remind.nhs.uk", access.LEAD, place),
                                      ("rae@remind.nhs.uk", access.REVIEWER, place),
                                      ("vic@remind.nhs.uk", access.VIEWER, other)):  # fmt: skip
        ids[role] = access.add_user(db, ACTOR, email_address, email_address.split("@")[0].capitalize())
        access.grant(db, ACTOR, ids[role], role, system, unit)
    draft = store.create_assessment(db, system, place, "2026 Q3", "2026-09-01", ACTOR)
    store.add_action(db, draft, "governance", ACTOR, "Book <b>the</b> room", owner="LEE@remind.nhs.uk",
                     due_date="2026-11-30")  # fmt: skip
    store.add_action(db, draft, "referrals", ACTOR, "Map referral routes", owner="PA lead", due_date="2026-11-01")
    ready = store.create_assessment(db, system, None, "2026 Q2", "2026-06-01", ACTOR)
    for item in current_framework().items_for(False):
        store.save_response(db, ready, item.id, ACTOR, answer="level", level=2)
    store.submit_assessment(db, ready, ACTOR)
    access.grant(db, ACTOR, ids[access.REVIEWER], access.REVIEWER, system)
    carr = store.create_place(db, system, "Carr", ACTOR)  # Lee leads it too; it is on a cycle, never assessed
    access.grant(db, ACTOR, ids[access.LEAD], access.LEAD, system, carr)
    cycles.set_cycle(db, ACTOR, system, carr, None, "2026-10-01")
    cycles.set_cycle(db, ACTOR, system, other, 6, "2026-10-01")  # Brook's: for nobody above to hear about
    return db, ids


def _sections(mail) -> dict[str, str]:  # noqa: ANN001
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return {"text": text, "html": mail.get_body(preferencelist=("html",)).get_content()}


def test_each_person_gets_one_digest_of_what_they_may_see_with_links(people, smtp):
    db, ids = people
    outcome = reminders.send_due(db, BASE, TODAY)
    assert (outcome.sent, outcome.failed) == (2, [])
    by_person = {m["To"]: m for m in smtp.mails}
    assert set(by_person) == {"lee@remind.nhs.uk", "rae@remind.nhs.uk"}, "the viewer of Brook has nothing to hear"
    lee = _sections(by_person["lee@remind.nhs.uk"])
    for heading in ("Your actions", "Rounds due", "Actions whose owner is not in the app"):
        assert heading in lee["text"]
    assert "Book <b>the</b> room (Ashby · 2026 Q3): due 30 November 2026" in lee["text"]
    assert "Map referral routes (owner: PA lead; Ashby · 2026 Q3): overdue since 1 November 2026" in lee["text"]
    assert f"{BASE}/assess?assessment=" in lee["text"] and "item=governance" in lee["text"]
    assert "Book &lt;b&gt;the&lt;/b&gt; room" in lee["html"] and "<b>the</b>" not in lee["html"]
    assert "Carr: overdue since 1 october 2026" in lee["text"]
    assert "Brook" not in lee["text"], "a unit Lee has no role for is never mentioned"
    rae = _sections(by_person["rae@remind.nhs.uk"])
    assert "Waiting for your sign-off" in rae["text"] and "Remind ICS (whole system) · 2026 Q2" in rae["text"]
    assert f"{BASE}/?reminders=off" in rae["text"]
    assert by_person["lee@remind.nhs.uk"]["Auto-Submitted"] == "auto-generated"


def test_a_second_run_and_two_runs_at_once_send_nothing_twice(people, smtp, db_target):
    db, _ = people
    path = db_target
    results = []

    def run() -> None:
        results.append(reminders.send_due(store.connect(path), BASE, TODAY))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.sent for r in results) == 2 and len(smtp.mails) == 2
    assert reminders.send_due(db, BASE, TODAY).sent == 0 and len(smtp.mails) == 2
    states = db.execute("SELECT state, count(*) FROM reminders GROUP BY state").fetchall()
    assert states == [("sent", 2)]


@pytest.mark.parametrize("behaviour", ["refuse", "drop"])
def test_a_server_that_refuses_or_drops_the_message_is_reported_and_the_next_run_sends_it_once(people, smtp,
                                                                                             behaviour):  # fmt: skip
    db, _ = people
    smtp.behaviour = behaviour
    outcome = reminders.send_due(db, BASE, TODAY)
    assert outcome.sent == 0 and outcome.failed and not smtp.mails
    said = "refused the recipient (code 550)" if behaviour == "refuse" else "closed the connection"
    assert said in outcome.describe() and "retried at the next run" in outcome.describe()
    smtp.behaviour = "accept"
    again = reminders.send_due(db, BASE, TODAY)
    assert again.sent == 2 and len(smtp.mails) == 2
    ids = {m["Message-ID"] for m in smtp.mails}
    assert len(ids) == 2, "each person's one message"
    assert reminders.send_due(db, BASE, TODAY).sent == 0


def test_a_server_that_is_not_there_stops_the_run_plainly_and_loses_nothing(people, smtp, monkeypatch):
    db, _ = people
    monkeypatch.setenv(mailer.SMTP_URL_VAR, f"smtp://127.0.0.1:{_free_port()}")  # nobody listens there
    outcome = reminders.send_due(db, BASE, TODAY)
    assert outcome.sent == 0 and len(outcome.failed) == 1 and "cannot be reached" in outcome.failed[0]
    monkeypatch.setenv(mailer.SMTP_URL_VAR, f"smtp://127.0.0.1:{smtp.port}")
    assert reminders.send_due(db, BASE, TODAY).sent == 2


def test_a_person_turns_reminders_off_and_on_again_only_for_themselves(people, smtp):
    db, ids = people
    lee = access.find_user(db, "lee@remind.nhs.uk")
    with pytest.raises(access.PermissionDenied, match="only their own reminders"):
        reminders.set_reminders(db, lee, ids[access.REVIEWER], False)
    reminders.set_reminders(db, lee, lee.id, False)
    assert reminders.send_due(db, BASE, TODAY).sent == 1 and [m["To"] for m in smtp.mails] == ["rae@remind.nhs.uk"]
    reminders.set_reminders(db, lee, lee.id, True)
    assert reminders.send_due(db, BASE, TODAY).sent == 1, "on again: today's digest for Lee, still only once"


@pytest.mark.parametrize(
    ("url", "problem"),
    [("", "is not set"), ("http://relay:25", "is not a mail server address"),
     ("smtp://user:secret@relay:25", "has a password in it"), ("smtp://relay:port", "port that is not a number")],
)  # fmt: skip
def test_mail_settings_that_cannot_work_are_refused_plainly(monkeypatch, url, problem):
    monkeypatch.setenv(mailer.SMTP_URL_VAR, url)
    with pytest.raises(mailer.MailProblem, match=problem):
        mailer.server_from_env()


def test_reminders_need_the_apps_public_address_for_their_links(people, smtp):
    db, _ = people
    with pytest.raises(store.StoreError, match="CHECKLIST_PUBLIC_URL"):
        reminders.send_due(db, "", TODAY)
    assert not smtp.mails


def test_the_notify_command_sends_and_says_how_it_went(people, smtp, db_target, monkeypatch, capsys):
    monkeypatch.setenv("CHECKLIST_PUBLIC_URL", BASE)
    assert main(["notify", "--db", str(db_target)]) == 0
    assert "reminders: 2 sent, 0 with nothing to say" in capsys.readouterr().out
    assert main(["notify", "--db", str(db_target)]) == 0
    assert "reminders: 0 sent" in capsys.readouterr().out and len(smtp.mails) == 2


@pytest.mark.parametrize(
    ("now", "at", "seconds"),
    [
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), time(7, 30), 90 * 60),  # GMT: 07:30 UK is 07:30 UTC
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), time(7, 30), (23 * 60 + 30) * 60),  # passed: tomorrow's
        (datetime(2026, 6, 1, 6, 0, tzinfo=UTC), time(7, 30), 30 * 60),  # BST: 07:30 UK is 06:30 UTC
    ],
)
def test_the_server_sends_reminders_at_the_uk_time_set(monkeypatch, now, at, seconds):
    monkeypatch.setenv(reminders.NOTIFY_AT_VAR, at.strftime("%H:%M"))
    assert reminders.notify_at() == at
    assert reminders.seconds_until(now, at) == seconds


@pytest.mark.parametrize("raw", ["7.30am", "25:00", "daily"])
def test_a_send_time_that_is_not_a_time_of_day_is_refused_plainly(monkeypatch, raw):
    monkeypatch.setenv(reminders.NOTIFY_AT_VAR, raw)
    with pytest.raises(store.StoreError, match="expected HH:MM"):
        reminders.notify_at()


def test_home_turns_a_persons_reminders_off_and_on_from_the_link_in_the_mail(shared_demo):  # noqa: F811
    db, *_ = shared_demo
    lead = access.find_user(db, "lead@example.nhs.uk")
    at = _as("lead@example.nhs.uk", None, reminders="off")
    assert any("You followed the link in a reminder" in i.value for i in at.info)
    toggle = at.toggle(key="home_reminders")
    assert toggle.value is True
    toggle.set_value(False).run()
    assert not reminders.reminders_on(db, lead.id)
    at.toggle(key="home_reminders").set_value(True).run()
    assert reminders.reminders_on(db, lead.id)

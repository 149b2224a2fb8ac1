"""Sending mail through the organisation's own SMTP server (an NHSmail relay, a council's, any).

CHECKLIST_SMTP_URL says where: `smtp://relay.example.nhs.uk:25` (STARTTLS whenever the server offers it),
`smtps://user@host:465` (TLS from the start). A user name may be in the address; a password never is (it is read
from CHECKLIST_SMTP_PASSWORD, or a file named by CHECKLIST_SMTP_PASSWORD_FILE, a mounted secret). Every mail
has a plain-text and an HTML part; the HTML part is built from escaped text only.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from checklist.errors import StoreError

SMTP_URL_VAR = "CHECKLIST_SMTP_URL"
MAIL_FROM_VAR = "CHECKLIST_MAIL_FROM"
PASSWORD_VAR = "CHECKLIST_SMTP_PASSWORD"
PASSWORD_FILE_VAR = "CHECKLIST_SMTP_PASSWORD_FILE"
TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailProblem(StoreError):
    """The mail server could not be reached, refused, or dropped the message: said plainly, nothing marked sent.

    `delivered_others` is False when there was no working session at all (unreachable, refused sign-in), so a run
    stops rather than trying every remaining mail against a server that is not there."""

    def __init__(self, message: str, delivered_others: bool = True) -> None:
        super().__init__(message)
        self.delivered_others = delivered_others


@dataclass(frozen=True)
class Server:
    scheme: str
    host: str
    port: int
    user: str
    password: str

    def describe(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def server_from_env() -> Server:
    """The SMTP server from the settings; refused with what is wrong and what was expected."""
    raw = os.environ.get(SMTP_URL_VAR, "").strip()
    if not raw:
        raise MailProblem(f"{SMTP_URL_VAR} is not set; expected the mail server, e.g. smtp://relay.example.nhs.uk:25")
    parts = urlsplit(raw)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise MailProblem(f"{SMTP_URL_VAR}={raw!r} is not a mail server address; expected smtp://host:port or "
                          "smtps://user@host:465")  # fmt: skip
    if parts.password:
        raise MailProblem(f"{SMTP_URL_VAR} has a password in it; put it in {PASSWORD_VAR} or a file named by "
                          f"{PASSWORD_FILE_VAR} instead")  # fmt: skip
    password = os.environ.get(PASSWORD_VAR, "")
    if not password and os.environ.get(PASSWORD_FILE_VAR):
        path = Path(os.environ[PASSWORD_FILE_VAR])
        try:
            password = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MailProblem(f"the mail password file {path} cannot be read ({exc.strerror or exc})") from None
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise MailProblem(f"{SMTP_URL_VAR}={raw!r} has a port that is not a number") from None
    return Server(parts.scheme, parts.hostname, port, unquote(parts.username or ""), password)


def sender_from_env() -> str:
    sender = os.environ.get(MAIL_FROM_VAR, "").strip()
    if "@" not in sender:
        raise MailProblem(f"{MAIL_FROM_VAR} is not set to an address; expected e.g. maturity-tool@example.nhs.uk")
    return sender


def message(sender: str, to: str, subject: str, text: str, html: str, message_id: str) -> EmailMessage:
    """A mail with a plain-text part and an HTML alternative; `message_id` names it the same on every attempt."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id
    mail["Auto-Submitted"] = "auto-generated"  # no out-of-office replies to a reminder
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def _problem(exc: BaseException, server: Server) -> MailProblem:
    """An SMTP failure in words, with the server's code but never its text (which can quote the address)."""
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({c for c, _ in exc.recipients.values()})
        return MailProblem(f"{server.describe()} refused the recipient (code {', '.join(map(str, codes))})")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailProblem(f"{server.describe()} did not accept the user name and password (code {code})")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailProblem(f"{server.describe()} closed the connection before the message was accepted")
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailProblem(f"{server.describe()} refused the message (code {code})")
    if isinstance(exc, ssl.SSLError):
        return MailProblem(f"{server.describe()}: the secure connection failed ({exc.reason or 'TLS error'})")
    if isinstance(exc, OSError):
        return MailProblem(f"{server.describe()} cannot be reached ({exc.strerror or type(exc).__name__})")
    return MailProblem(f"{server.describe()}: {type(exc).__name__}")


class Connection:
    """One SMTP session for a run of mails (a digest each), opened on first use and closed at the end."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        try:
            if server.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
                )
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password)
        except (smtplib.SMTPException, OSError) as exc:
            problem = _problem(exc, server)
            problem.delivered_others = False
            raise problem from None
        return smtp

    def send(self, mail: EmailMessage) -> None:
        """Hand one mail to the server; returns once the server has accepted it, else raises MailProblem."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()  # a session that failed is not reused
            raise _problem(exc, self.server) from None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None

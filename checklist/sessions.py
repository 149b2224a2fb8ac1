"""Whether a signed-in session may still act, and the secret that makes sign-in cookies unforgeable.

Streamlit keeps the signed-in identity in a cookie signed with `[auth] cookie_secret` and carrying the
ID token's claims for 30 days. On its own it would accept a cookie copied before sign-out, a token past
its expiry and a person an admin has since disabled. So shared mode asks `session_problem` on every run
and before every write: the token must not have expired, the person must still be enabled, and the
token must have been issued after their last sign-out (signing out ends every copy of the session).
Anyone who knows the cookie secret can mint an identity, so shared mode refuses to start with a
missing, short or published one (`cookie_secret_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from checklist import clock
from checklist.db import write_transaction

MIN_SECRET_LENGTH = 32
# The placeholder in .streamlit/secrets.example.toml: public, so never a secret.
EXAMPLE_SECRET_MARKERS = ("a long random string", "python -c", "xxx", "changeme", "change me")
MAKE_ONE = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"

SIGNED_OUT = "You signed out of this session. Sign in again to continue."
EXPIRED = "Your sign-in has expired. Sign in again to continue."
DISABLED = "Your access to this tool has been turned off. Ask your administrator if you need it back."
NOT_SIGNED_IN = "You are not signed in."
NO_EXPIRY = "Your sign-in did not say when it ends, so it cannot be trusted. Sign in again."


def cookie_secret_problem(secret: Any) -> str | None:
    """Why this `[auth] cookie_secret` cannot protect sign-in cookies, or None when it can."""
    if not isinstance(secret, str) or not secret.strip():
        return f"[auth] cookie_secret is missing from .streamlit/secrets.toml; {MAKE_ONE}"
    lowered = secret.strip().lower()
    if any(marker in lowered for marker in EXAMPLE_SECRET_MARKERS):
        return f"[auth] cookie_secret is the example's placeholder, which anyone can read; {MAKE_ONE}"
    if len(secret.strip()) < MIN_SECRET_LENGTH:
        return (
            f"[auth] cookie_secret is {len(secret.strip())} characters long; expected at least "
            f"{MIN_SECRET_LENGTH} random characters; {MAKE_ONE}"
        )
    return None


def _epoch(value: Any) -> float | None:
    """A claim's time (seconds since 1970, as ID tokens carry them), or None when it has none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _iso_epoch(value: str | None) -> float | None:
    return None if not value else datetime.fromisoformat(value).astimezone(UTC).timestamp()


UNVERIFIED = (
    "Your account did not come with an e-mail address its provider has confirmed, so this tool cannot tell who "
    "you are. Sign in with another account, or ask your organisation's IT team to confirm the address."
)


def email_verified(claims: Mapping[str, Any]) -> bool:
    """True when the provider vouched for the e-mail address: OpenID Connect's `email_verified` claim, or
    Microsoft Entra ID's `xms_edov` (the e-mail's domain is verified by its tenant). Anything else, absent
    included, is not trusted: an address a provider merely passes on could be anyone's."""
    return any(claims.get(name) is True or str(claims.get(name)).lower() == "true" for name in ("email_verified",
                                                                                               "xms_edov"))  # fmt: skip


def identity_of(claims: Mapping[str, Any]) -> str | None:
    """The verified e-mail address the identity provider vouched for, or None when nobody is signed in or the
    address is not verified. People are matched by this address whichever provider they come through, so a
    provider's subject (unique only within that provider) is never used."""
    if not claims.get("is_logged_in") or not email_verified(claims):
        return None
    return str(claims.get("email") or "").strip() or None


def unverified_sign_in(claims: Mapping[str, Any]) -> bool:
    """Signed in with a provider, but without an e-mail address it has confirmed."""
    return bool(claims.get("is_logged_in")) and identity_of(claims) is None


def session_problem(db: sqlite_utils.Database, claims: Mapping[str, Any]) -> str | None:
    """Why this signed-in identity may not act now (a sentence for the person), or None when it may.

    An identity nobody has added is not a session problem: `access.find_user` answers that.
    """
    who = identity_of(claims)
    if who is None:
        return NOT_SIGNED_IN
    now = clock.now().timestamp()
    expires = _epoch(claims.get("exp"))
    if expires is None:
        return NO_EXPIRY
    if expires <= now:
        return EXPIRED
    row = db.execute("SELECT disabled_at, sessions_ended_at FROM users WHERE lower(email) = lower(?)", [who]).fetchone()
    if row is None:
        return None
    disabled_at, ended_at = row
    if disabled_at is not None:
        return DISABLED
    ended = _iso_epoch(ended_at)
    if ended is not None:
        issued = _epoch(claims.get("iat"))
        # Token times are whole seconds: a token issued in the second of the sign-out is older than it.
        if issued is None or issued < int(ended) + 1:
            return SIGNED_OUT
    return None


def end_sessions(db: sqlite_utils.Database, email: str) -> None:
    """Sign this person out everywhere: every identity issued until now stops working at its next request.

    Not a change to anyone's data, and only ever the person's own sessions (the caller is signing out),
    so it needs no role; it is kept with the user so every app server sees it.
    """
    with write_transaction(db):
        db.execute(
            "UPDATE users SET sessions_ended_at = ? WHERE lower(email) = lower(?)", [clock.iso_now(), email.strip()]
        )

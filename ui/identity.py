"""Who is using the app: the one interface around Streamlit's sign-in (st.user, st.login, st.logout).

Local mode (the default): no sign-in, one user who may do everything, on this computer.
Shared mode (CHECKLIST_MODE=shared, with [auth] in .streamlit/secrets.toml): every page needs
sign-in through OpenID Connect, with one provider ([auth] itself) or several side by side ([auth.<name>]
each, offered by its `label`); the e-mail address a provider has verified is matched to a user an admin
has added, whichever provider it came through, and their roles decide what they may do.
AppTest injects a user by setting `at.user`, so every role can be tried without a network.
"""

from __future__ import annotations

import os
import sys

import streamlit as st

from checklist import access, sessions, store

MODE_VAR = "CHECKLIST_MODE"
LOCAL = "local"
SHARED = "shared"


def mode() -> str:
    value = os.environ.get(MODE_VAR, LOCAL).strip().lower() or LOCAL
    if value not in (LOCAL, SHARED):
        raise ValueError(f"{MODE_VAR}={value!r} is not a mode; expected {LOCAL!r} or {SHARED!r}")
    return value


def shared() -> bool:
    return mode() == SHARED


def _claims() -> dict:
    return st.user.to_dict() if hasattr(st.user, "to_dict") else dict(st.user)


def signed_in_as() -> str | None:
    """The e-mail (or subject) the identity provider vouched for, or None when nobody is signed in."""
    return sessions.identity_of(_claims())


def session_ended(db) -> str | None:  # noqa: ANN001
    """Why this browser's sign-in may no longer act (signed out elsewhere, expired, disabled), or None."""
    if not shared() or signed_in_as() is None:
        return None
    return sessions.session_problem(db, _claims())


def current_user(db) -> access.User | None:  # noqa: ANN001
    """The acting user: the local user in local mode; in shared mode the known, enabled user signed in with a
    session still good (not signed out, not expired), else None. Asked afresh on every run and every write."""
    if not shared():
        return access.LOCAL
    who = signed_in_as()
    if who is None or sessions.session_problem(db, _claims()) is not None:
        return None
    return access.find_user(db, who)


PROVIDER_KEYS = ("client_id", "server_metadata_url")


def providers() -> list[tuple[str, str]]:
    """The identity providers configured, as (name for st.login, label for the sign-in page): [auth] itself
    ("default") when it names a client, then each [auth.<name>] section that does, in the order written."""
    try:
        section = st.secrets.get("auth") or {}
    except (FileNotFoundError, OSError, ValueError):
        return []
    found = []
    if all(section.get(key) for key in PROVIDER_KEYS):
        found.append(("default", str(section.get("label") or "your organisation's account")))
    for name, value in section.items():
        if hasattr(value, "get") and all(value.get(key) for key in PROVIDER_KEYS):
            found.append((name, str(value.get("label") or name.replace("-", " ").capitalize())))
    return found


def sign_in(provider: str = "default") -> None:
    st.login(provider)


def unverified() -> bool:
    """Signed in, but the provider did not confirm the e-mail address: never trusted as anyone."""
    return shared() and sessions.unverified_sign_in(_claims())


def sign_out() -> None:
    """End this person's sessions everywhere (a copied cookie stops working too), then sign out here."""
    who = signed_in_as()
    try:
        if who is not None:
            db = store.connect(store.default_db_path(), apply_migrations=False)
            try:
                sessions.end_sessions(db, who)
            finally:
                db.close()
    finally:
        st.logout()


def ended_page(reason: str) -> None:
    """What a browser whose sign-in has ended sees instead of any page: why, and the way back in."""
    st.title("Sign in again")
    st.info(reason, icon=":material/lock_clock:")  # one of sessions' own sentences, never user text
    st.button("Sign in", type="primary", icon=":material/login:", on_click=sign_in, key="sign_in_again")
    st.page_link("pages/accessibility.py", label="Accessibility statement", icon=":material/accessibility:")


def refuse_unsafe_start() -> None:
    """Shared mode never starts with a cookie secret someone else could know: with it anyone can mint an
    identity cookie for any person (an admin included). Called when the server loads app.py."""
    if not shared():
        return
    try:
        secret = (st.secrets.get("auth") or {}).get("cookie_secret")
    except (FileNotFoundError, OSError, ValueError):  # no secrets file, or one that is not TOML
        secret = None
    problem = sessions.cookie_secret_problem(secret)
    if problem is not None:
        print(f"error: shared mode will not start: {problem}", file=sys.stderr)
        raise SystemExit(2)

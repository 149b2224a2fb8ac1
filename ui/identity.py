"""Who is using the app: the one interface around Streamlit's sign-in (st.user, st.login, st.logout).

Local mode (the default): no sign-in, one user who may do everything, on this computer.
Shared mode (CHECKLIST_MODE=shared, with [auth] in .streamlit/secrets.toml): every page needs
sign-in through OpenID Connect; the signed-in e-mail address (or the provider's subject when it sends
no e-mail) is matched to a user an admin has added, and their roles decide what they may do.
AppTest injects a user by setting `at.user`, so every role can be tried without a network.
"""

from __future__ import annotations

import os

import streamlit as st

from checklist import access

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


def signed_in_as() -> str | None:
    """The e-mail (or subject) the identity provider vouched for, or None when nobody is signed in."""
    user = st.user
    if not user.get("is_logged_in"):
        return None
    return (user.get("email") or user.get("sub") or "").strip() or None


def current_user(db) -> access.User | None:  # noqa: ANN001
    """The acting user: the local user in local mode; in shared mode the known user signed in, else None."""
    if not shared():
        return access.LOCAL
    who = signed_in_as()
    if who is None:
        return None
    return access.find_user(db, who)


def sign_in() -> None:
    st.login()


def sign_out() -> None:
    st.logout()

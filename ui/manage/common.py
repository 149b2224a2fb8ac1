"""Manage: where each change is confirmed, and making a change that says what it saved."""

from __future__ import annotations

import streamlit as st

from checklist import store
from ui.common import flash, open_db, show_error

SYSTEMS_NOTE = "manage_systems"  # where a change to a system is confirmed: above the list of systems
PEOPLE_NOTE = "manage_people"
PRIVACY_NOTE = "manage_privacy"
IMPORT_NOTE = "manage_import"


def place_note(place_id: int) -> str:
    """Where a change to one place is confirmed: under its row."""
    return f"manage_place_{place_id}"


def system_note(system_id: int) -> str:
    """Where a change to a system's places or rounds is confirmed: at the top of its places."""
    return f"manage_system_{system_id}"


def attempt(fn, *args: object, done: str, where: str = "page") -> None:  # noqa: ANN001
    """Make a change, then say what was saved where `where` shows it (or show why it was not)."""
    try:
        fn(open_db(), *args)
    except store.StoreError as exc:
        show_error(exc)
    else:
        flash(done, where=where)
        st.rerun()

"""Per-run database access, the acting user, and small rendering helpers shared by pages."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
import streamlit as st

from checklist import store
from checklist.framework import Framework, current_framework

ACTOR = store.LOCAL_USER  # replaced by the signed-in user once sign-in exists


@st.cache_resource(show_spinner=False)
def _migrated(path: str) -> bool:
    """Bring the schema up to date once per database path per server process."""
    store.connect(path).close()
    return True


def db_path() -> Path:
    return store.default_db_path()


def open_db() -> sqlite_utils.Database:
    """A fresh connection for this script run (sqlite3 connections must stay on one thread)."""
    path = str(db_path())
    _migrated(path)
    return store.connect(path, apply_migrations=False)


def actor() -> str:
    return ACTOR


def framework() -> Framework:
    return current_framework()


def level_label(framework: Framework, value: int) -> str:
    return f"{value} · {framework.level_name(value)}"


def show_error(exc: Exception) -> None:
    st.error(str(exc), icon=":material/error:")


def flash(message: str, icon: str = ":material/check_circle:") -> None:
    """Show a toast on the next run (survives the rerun a callback triggers)."""
    st.session_state.setdefault("_flash", []).append((message, icon))


def show_flashes() -> None:
    for message, icon in st.session_state.pop("_flash", []):
        st.toast(message, icon=icon)


_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~:$"


def plain(text: str | None) -> str:
    """Escape user text for st.markdown so it shows as typed, never as formatting or HTML."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in (text or ""))

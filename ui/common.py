"""Per-run database access, the acting user, and small rendering helpers shared by pages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import sqlite_utils
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from checklist import access, exports, formatting, presentation, store
from checklist.framework import Framework, current_framework


@st.cache_resource(show_spinner=False)
def _migrated(path: str) -> bool:
    """Bring the schema up to date once per database path per server process."""
    store.connect(path).close()
    return True


def ensure_router() -> None:
    """Make sure this page runs inside app.py's st.navigation, even on a server's first request.

    Streamlit sets a process-wide flag when a pages/ folder sits beside the entry script and only
    clears it when st.navigation is called. If the first request after start-up is a deep link
    (a bookmarked /assess?assessment=7), the page runs as an old-style page without app.py (no
    page config, raw file names in the sidebar) and the whole server stays in that mode. Clearing
    the flag and rerunning sends the same request through the router.

    Only a session's first run can meet that state on a real server, so the guard acts once per
    session (AppTest resets the flag before every run; rerunning there would drop each click).
    """
    first_run = not st.session_state.get("_router_checked", False)
    st.session_state["_router_checked"] = True
    if first_run and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def db_path() -> Path:
    return store.default_db_path()


def open_db() -> sqlite_utils.Database:
    """A fresh connection for this script run (sqlite3 connections must stay on one thread)."""
    path = str(db_path())
    _migrated(path)
    return store.connect(path, apply_migrations=False)


def open_fresh() -> sqlite_utils.Database:
    """A connection for code that runs off the script thread (download callables): no Streamlit calls."""
    return store.connect(db_path(), apply_migrations=False)


def actor() -> access.User:
    """Who is acting in this run (set by the router after sign-in; the local user in local mode)."""
    return st.session_state.get("_user") or access.LOCAL


def framework() -> Framework:
    return current_framework()


def show_error(exc: Exception) -> None:
    st.error(plain(str(exc)), icon=":material/error:")


def flash(message: str, icon: str = ":material/check_circle:") -> None:
    """Show a toast on the next run (survives the rerun a callback triggers)."""
    st.session_state.setdefault("_flash", []).append((message, icon))


def show_flashes() -> None:
    for message, icon in st.session_state.pop("_flash", []):
        st.toast(plain(message), icon=icon)


_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~:$"
# Markdown turns bare web and e-mail addresses into links even when every character is escaped (the
# link detection runs on the text after escapes are resolved). An invisible word joiner after "://",
# "www" and "@" keeps them plain text that reads exactly the same.
_ADDRESS = re.compile(r"(://|www(?=\.)|@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(text: str | None) -> str:
    """Escape user text for st.markdown (and widget labels) so it shows exactly as typed: never formatting,
    HTML, a link or an image."""
    text = _ADDRESS.sub(lambda m: m.group(0) + WORD_JOINER, text or "")
    return "".join("&amp;" if c == "&" else "\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


def chart(fig, data: pd.DataFrame, name: str, summary: str) -> None:  # noqa: ANN001
    """A chart with its text summary, the data behind it as a table, and a CSV of exactly that data."""
    st.plotly_chart(fig, config={"displaylogo": False, "toImageButtonOptions": {"filename": name}})
    st.caption(summary)
    with st.expander(f"Data behind this chart ({name.replace('-', ' ')})"):
        st.dataframe(data, hide_index=isinstance(data.index, pd.RangeIndex))  # a bare 0, 1, 2 … means nothing
        csv_download(data, name, f"csv_{name}")


def text_table(frame: pd.DataFrame) -> None:
    """A static table that wraps long text (st.table), with every text cell shown exactly as typed: st.table renders
    Markdown in cells, so user text is escaped like any other (`plain`)."""
    shown = frame.map(lambda v: plain(v) if isinstance(v, str) else v)
    st.table(shown, hide_index=True, border="horizontal")


def csv_download(data: pd.DataFrame, name: str, key: str, label: str = "Download as CSV") -> None:
    """A formula-safe CSV of exactly this table; downloading does not rerun the page."""
    st.download_button(label, exports.csv_bytes(data), file_name=f"{name}.csv", mime="text/csv", key=key,
                       on_click="ignore")  # fmt: skip


def choose_unit(db: sqlite_utils.Database, prefix: str, in_url: bool = False) -> tuple[int, int | None, str] | None:
    """System and unit pickers; returns (system_id, place_id or None for the whole system, unit name).

    With in_url the choice is kept in the address (?dash_system=…&dash_place=…), so a view can be
    bookmarked and shared; a name the reader may not see is ignored, as the options are only theirs.
    """
    bind = "query-params" if in_url else None
    user = actor()
    systems = store.list_systems(db)
    if systems.empty:
        st.info("There are no systems yet. Add your system and its places first.", icon=":material/info:")
        if access.can(user, access.MANAGE):
            st.page_link("pages/manage.py", label="Go to Manage", icon=":material/settings:")
        return None
    names = {s: n for s, n in zip(systems["id"], systems["name"], strict=True) if access.can_read_any_of(user, int(s))}
    if not names:
        st.info(
            "You have no systems or places to work on yet. Ask an administrator for a role.", icon=":material/info:"
        )
        return None
    system_id = st.selectbox("System (ICS)", list(names), format_func=names.get, key=f"{prefix}_system", bind=bind)
    places = store.list_places(db, system_id)
    place_names = {
        p: n for p, n in zip(places["id"], places["name"], strict=True) if access.can(user, access.READ, system_id, p)
    }
    whole = [None] if access.can(user, access.READ, system_id, None) else []
    place_id = st.selectbox(
        "Whole system or one place",
        [*whole, *place_names],
        format_func=lambda p: "Whole system" if p is None else place_names[p],
        key=f"{prefix}_place",
        bind=bind,
    )
    unit = f"{names[system_id]} (whole system)" if place_id is None else place_names[place_id]
    return int(system_id), None if place_id is None else int(place_id), unit


def headline(  # noqa: ANN001
    fw: Framework, result, change, previous_label: str | None, projected=None, provisional: bool = False
) -> None:
    """The headline figures of a scored round (with the projection from open actions when given), the spread
    of item levels beside the band, and a warning when item wording changed since the last round."""
    columns = st.columns(5 if projected is not None else 4)
    delta = change.overall.delta if change else None
    columns[0].metric(
        "Overall score (0–4)",
        formatting.score(result.overall),
        # A draft's change is not yet a rise or fall: grey, and said to be provisional.
        delta=None
        if delta is None
        else f"{formatting.delta(delta)} since {previous_label}" + (" (provisional)" if provisional else ""),
        delta_color="off" if provisional else "normal",
    )
    columns[1].metric("Overall band", result.band or "No score yet", help="The level the score is nearest to.")
    columns[2].metric("Answered", f"{result.answered} of {result.total}")
    columns[3].metric(
        "Don't know", formatting.count(result.dont_know), help="Items nobody could answer: gaps in the evidence."
    )
    if projected is not None:
        columns[4].metric(
            "Projected score",
            formatting.score(projected.overall),
            help="The overall score if every open action reached the level it aims for (README: projected score).",
        )
    st.caption(f"Items by level: {presentation.levels_spread(result)}")
    if change and change.wording_changed:
        st.warning(
            "The wording of these items changed since the previous round, so their change may reflect the new "
            "wording rather than new practice: " + ", ".join(fw.item(i).title for i in change.wording_changed)
        )

"""Per-run database access, the acting user, and small rendering helpers shared by pages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlite_utils
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from checklist import access, exports, formatting, presentation, store
from checklist.framework import Framework, current_framework


@st.cache_resource(show_spinner=False)
def _migrated(path: str) -> bool:
    """Bring the schema up to date once per database path per server process."""
    store.connect(path).close()
    return True


def ensure_router(public: bool = False) -> None:
    """Make sure this page runs inside app.py's st.navigation, even on a server's first request.

    Streamlit sets a process-wide flag when a pages/ folder sits beside the entry script and only
    clears it when st.navigation is called. If the first request after start-up is a deep link
    (a bookmarked /assess?assessment=7), the page runs as an old-style page without app.py (no
    page config, raw file names in the sidebar) and the whole server stays in that mode. Clearing
    the flag and rerunning sends the same request through the router.

    Only a session's first run can meet that state on a real server, so the guard acts once per
    session (AppTest resets the flag before every run; rerunning there would drop each click).

    It also stops a page whose sign-in has ended (signed out elsewhere, expired, disabled): behind the
    router that is already settled for this run, but a page run on its own must not draw for nobody.
    """
    first_run = not st.session_state.get("_router_checked", False)
    st.session_state["_router_checked"] = True
    if first_run and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    if public:  # open to everyone (the accessibility statement): no sign-in to check
        return
    try:
        actor()  # the router has checked this run already (a memo); a page run on its own checks here
    except access.PermissionDenied as exc:
        from ui import identity

        identity.ended_page(str(exc))
        st.stop()


def db_path() -> Path | str:
    return store.default_db_path()


def open_db() -> sqlite_utils.Database:
    """A fresh connection for this script run (sqlite3 connections must stay on one thread)."""
    path = str(db_path())
    _migrated(path)
    return store.connect(path, apply_migrations=False)


def open_fresh() -> sqlite_utils.Database:
    """A connection for code that runs off the script thread (download callables): no Streamlit calls."""
    return store.connect(db_path(), apply_migrations=False)


ACTOR_KEY = "_user"  # (this run, the person acting as checked in it)


def _this_run() -> object | None:
    """Something that is the same object for the whole of one script run and new for the next (or None)."""
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.cursors  # Streamlit makes a new dict at the start of every run


def remember_actor(user: access.User) -> None:
    """The router's check of this run: actor() answers from it until the run ends."""
    st.session_state[ACTOR_KEY] = (_this_run(), user)


def actor() -> access.User:
    """Who is acting now: the local user in local mode; in shared mode the signed-in person, checked in this run.

    A widget's callback runs at the start of the next run, before the router's check, so it must not trust
    the last run's answer: unless this very run has checked, the session (signed out elsewhere? expired?
    disabled?) and the person's current roles are read afresh, and a session that has ended acts as nobody.
    """
    from ui import identity  # identity is the one place that reads the sign-in; it does not import this module

    if not identity.shared():
        return access.LOCAL
    run = _this_run()
    held = st.session_state.get(ACTOR_KEY)
    if run is not None and isinstance(held, tuple) and held[0] is run:
        return held[1]
    db = open_db()
    user = identity.current_user(db)
    if user is None:
        raise access.PermissionDenied(
            identity.session_ended(db) or "You are not signed in as someone this tool knows. Sign in again."
        )
    st.session_state[ACTOR_KEY] = (run, user)
    return user


class _Acting:
    """Stands in a callback's arguments for whoever is acting when it runs (see `acting`)."""

    def __repr__(self) -> str:
        return "ACTING"


ACTING = _Acting()


def acting(args: tuple) -> tuple:
    """A callback's arguments with ACTING replaced by actor() now: a person captured when the page was drawn
    may have signed out, expired or lost a role since, so callbacks ask at the moment they act."""
    return tuple(actor() if a is ACTING else a for a in args)


def cannot_open(kind: str, raw_id: str) -> None:
    """The one answer for an address naming something this person cannot open, whether it exists or not: two
    different messages would tell a stranger which ids exist."""
    st.warning(
        f"{kind.capitalize()} {plain(raw_id)} cannot be opened: there is no such {kind}, or it is not one you may "
        "open. Choose one below, or ask an administrator if you need access.",
        icon=":material/lock:",
    )


def framework() -> Framework:
    return current_framework()


def show_error(exc: Exception) -> None:
    st.error(plain(str(exc)), icon=":material/error:")


def flash(message: str, icon: str = ":material/check_circle:", where: str = "page") -> None:
    """Say, on the next run, what was just done, inline where the page calls `show_flashes(where)`.

    Never a toast: Streamlit draws toasts over the top right of the page, on the very buttons people press next
    (Choose another, Archive). A message nobody shows in the next two runs is dropped, never shown late.
    """
    st.session_state.setdefault("_flash", []).append((message, icon, where, 0))


def show_flashes(where: str = "page") -> None:
    """Show the messages meant for this place as one inline note (user text in them shown as typed).

    The note's slot is drawn whether or not there is a message, so the elements after it keep their places:
    a message appearing must not remount the widgets below it and drop a keyboard user's focus. The page-level
    call, made first in every run, also ages the messages meant elsewhere on the page.
    """
    slot = st.empty()
    shown, kept = [], []
    for entry in st.session_state.pop("_flash", []):
        message, icon, place, age = (*entry, "page", 0)[:4]  # (message, icon) alone is meant for the page
        if place == where:
            shown.append((message, icon))
        elif where != "page" or age < 1:
            kept.append((message, icon, place, age + 1 if where == "page" else age))
    if kept:
        st.session_state["_flash"] = kept
    if shown:
        slot.success("\n\n".join(plain(message) for message, _ in shown), icon=shown[-1][1])


plain = formatting.markdown_text  # user text for st.markdown and widget labels, shown exactly as typed


def chart(fig, data: pd.DataFrame, name: str, summary: str) -> None:  # noqa: ANN001
    """A chart with its text summary, the data behind it as a table, and a CSV of exactly that data."""
    st.plotly_chart(fig, config={"displaylogo": False, "toImageButtonOptions": {"filename": name}})
    st.caption(summary)
    with st.expander(f"Data behind this chart ({name.replace('-', ' ')})"):
        st.dataframe(data, hide_index=isinstance(data.index, pd.RangeIndex))  # a bare 0, 1, 2 … means nothing
        csv_download(data, name, f"csv_{name}")


def text_table(frame: pd.DataFrame, markdown: tuple[str, ...] = ()) -> None:
    """A static table that wraps long text (st.table), with every text cell shown exactly as typed: st.table renders
    Markdown in cells, so user text is escaped like any other (`plain`). Columns named in `markdown` hold the page's
    own Markdown (a link built from ids), never user text, and are left as they are."""
    shown = frame.copy()
    for column in shown.columns:
        if column not in markdown:
            shown[column] = shown[column].map(lambda v: plain(v) if isinstance(v, str) else v)
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
        # A draft's change is not yet a rise or fall: grey, and said to be provisional. A metric's delta is
        # Markdown, so the round label (user text) is escaped; the number is not, as Streamlit reads its sign.
        delta=None
        if delta is None
        else f"{formatting.delta(delta)} since {plain(previous_label)}" + (" (provisional)" if provisional else ""),
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
            help="The overall score if every open action reached the level it aims for.",
        )
    st.caption(f"Items by level: {presentation.levels_spread(result)}")
    if change and change.wording_changed:
        st.warning(
            "The wording of these items changed since the previous round, so their change may reflect the new "
            "wording rather than new practice: " + ", ".join(fw.item(i).title for i in change.wording_changed)
        )

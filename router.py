"""Router: page config, the sign-in gate and navigation (the Streamlit script app.py serves).

Each page is a thin script in pages/. The pages listed are the ones the user may use: in local mode
all of them; in shared mode only what the user's roles allow (a viewer never sees Manage), and
nothing but a sign-in page until they sign in.
"""

import sqlite3
from pathlib import Path

import streamlit as st

from checklist import access, sessions, store
from ui import identity
from ui.autosave import autosave_typing
from ui.common import open_db, plain, remember_actor

st.set_page_config(
    page_title="ICS physical activity maturity",
    page_icon="♿",  # an emoji needs no network; a :material: favicon is fetched from a font CDN
    layout="wide",
)
st.html(Path(__file__).with_name("ui") / "theme.css")  # the NHS-style header, buttons and focus state

HOME = st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)
ASSESS = st.Page("pages/assess.py", title="Assess", icon=":material/checklist:", url_path="assess")
DASHBOARD = st.Page("pages/dashboard.py", title="Dashboard", icon=":material/monitoring:", url_path="dashboard")
COMPARE = st.Page("pages/compare.py", title="Compare places", icon=":material/compare_arrows:", url_path="compare")
WORKSHOP = st.Page("pages/workshop.py", title="Workshop", icon=":material/co_present:", url_path="workshop")
FRAMEWORK = st.Page("pages/framework.py", title="The framework", icon=":material/menu_book:", url_path="framework")
NATIONAL = st.Page("pages/national.py", title="National view", icon=":material/public:", url_path="national")
MANAGE = st.Page("pages/manage.py", title="Manage", icon=":material/settings:", url_path="manage")
ACCESSIBILITY = st.Page(
    "pages/accessibility.py", title="Accessibility", icon=":material/accessibility:", url_path="accessibility"
)
NATIONAL_VIEW = "national view"  # not an action on a unit: whoever reads every system (access.reads_every_system)
# Which action makes a page worth listing (the pages themselves check again per unit).
NEEDS = [
    (HOME, None),
    (ASSESS, access.READ),
    (DASHBOARD, access.READ),
    (COMPARE, access.READ),
    (NATIONAL, NATIONAL_VIEW),
    (WORKSHOP, access.RUN_WORKSHOP),
    (FRAMEWORK, None),
    (MANAGE, access.MANAGE_USERS),
    (ACCESSIBILITY, None),
]


def _offered(user: access.User, action: str | None) -> bool:
    if action == NATIONAL_VIEW:
        return access.reads_every_system(user)
    return action is None or access.can(user, action)


def pages_for(user: access.User) -> list:
    return [page for page, action in NEEDS if _offered(user, action)]


def _sign_in_page() -> None:
    st.title("Sign in")
    st.write(
        "This is the shared ICS physical activity maturity tool. Sign in with your organisation's account to "
        "continue: whichever account you use, the tool knows you by its e-mail address."
    )
    offered = identity.providers()
    if len(offered) <= 1:
        st.button("Sign in", type="primary", icon=":material/login:", on_click=identity.sign_in, key="sign_in",
                  args=(offered[0][0] if offered else "default",))  # fmt: skip
    for name, label in offered if len(offered) > 1 else []:
        st.button(f"Sign in with {plain(label)}", icon=":material/login:", on_click=identity.sign_in,
                  args=(name,), key=f"sign_in_{name}")  # fmt: skip
    st.caption("Joining a workshop as a participant needs no account: open the address on the shared screen.")
    st.page_link(ACCESSIBILITY, label="Accessibility statement", icon=":material/accessibility:")


def _unknown_user_page() -> None:
    st.title("Ask your administrator for access")
    st.write(
        f"You are signed in as {plain(identity.signed_in_as())}, but this copy of the tool does not know "
        "you yet. Ask your administrator to add you with the role you need (lead, reviewer or viewer) "
        "for your system or place, then sign in again."
    )
    st.button("Sign out", icon=":material/logout:", on_click=identity.sign_out, key="sign_out_unknown")


def _unverified_page() -> None:
    st.title("Your e-mail address was not confirmed")
    st.write(sessions.UNVERIFIED)
    st.button("Sign out", icon=":material/logout:", on_click=identity.sign_out, key="sign_out_unverified")


def _unavailable(exc: Exception) -> None:
    """A database that cannot be used gets a clear page, never a traceback."""
    st.title("The data cannot be reached just now")
    st.error(plain(store.explain(exc, store.default_db_path())), icon=":material/database:")
    st.caption("Nothing has been changed. Reload the page once the cause is fixed.")


try:
    db = open_db()
    user = identity.current_user(db)
    ended = identity.session_ended(db) if user is None else None
except (store.StoreError, sqlite3.Error, OSError) as exc:
    problem = exc

    def unavailable() -> None:
        _unavailable(problem)

    st.navigation([st.Page(unavailable, title="Unavailable", default=True)]).run()
    st.stop()
if user is None:
    if ended is not None:

        def gate() -> None:
            identity.ended_page(ended)

    else:
        gate = (
            _unverified_page
            if identity.unverified()
            else _sign_in_page
            if identity.signed_in_as() is None
            else _unknown_user_page
        )
    # Every page's address answers with the gate (a bookmarked /assess?assessment=7 asks to sign in, with no
    # "page not found" over it), and signing in brings the person back to the address they asked for.
    at_every_address = [st.Page(gate, title="Sign in", icon=":material/login:", default=True), ACCESSIBILITY] + [
        st.Page(gate, title="Sign in", icon=":material/login:", url_path=page.url_path)
        for page, _ in NEEDS
        if page.url_path and page is not ACCESSIBILITY  # the statement is open to everyone
    ]
    st.navigation(at_every_address, position="hidden").run()
    st.stop()

with st.sidebar:
    if user.local:
        st.caption("Local mode: anyone using this computer can change everything.")
    else:
        st.caption(f"Signed in as {plain(user.name)} ({plain(user.email)})")
        st.button("Sign out", icon=":material/logout:", on_click=identity.sign_out, key="sign_out", type="tertiary")
autosave_typing()  # same place on every page, so it never shifts the widgets below it
remember_actor(user)  # checked afresh on every run (and by every callback before it): sessions end when they should
listed = pages_for(user)
st.session_state["_pages"] = [page.title for page in listed]  # what this person was offered
try:
    st.navigation(listed).run()
except (store.DatabaseUnavailable, sqlite3.Error, OSError) as exc:
    _unavailable(exc)

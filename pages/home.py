"""Home: what the tool is, a quick start, recent assessments, and buttons to start or resume."""

import pandas as pd
import streamlit as st

from checklist import access, clock, cycles, demo, formatting, reminders, round_labels, store
from ui.common import actor, ensure_router, flash, framework, open_db, plain, show_error, show_flashes

ensure_router()

show_flashes()
fw = framework()
db = open_db()

st.title("Supporting disabled people into physical activity")
st.markdown(
    "A maturity self-assessment for Integrated Care Systems and their places: see how well your "
    "system supports disabled people to be active, agree where to improve, and track progress round by round. "
    "It builds on the 17-point checklist for local integrated care systems in Activity Alliance's research."
)
st.caption(f"Source: {fw.source.citation}. The framework's wording is our own, version {fw.version}.")

systems = store.list_systems(db)
if systems.empty:
    st.info(
        "The database is empty. Load the demo to explore with realistic example data, "
        "or go to **Manage** to add your own system and places.",
        icon=":material/info:",
    )
    if access.can(actor(), access.MANAGE_SERVICE) and st.button(
        "Load demo data", type="primary", icon=":material/dataset:", key="home_load_demo"
    ):
        try:
            summary = demo.create_demo(db)
        except store.StoreError as exc:
            show_error(exc)
        else:
            flash(f"Demo loaded: {summary.systems} systems, {summary.places} places, {summary.assessments} assessments")
            st.rerun()

with st.container(border=True):
    st.header("Quick start")
    st.markdown(
        "1. **Manage** — add your system (ICS) and its places, if they are not listed yet.\n"
        "2. **Assess** — choose the system or a place and start a round (for example *2026 Q4*). "
        "Work through the items: for each, pick the level whose description fits best, note the evidence, "
        "set a target and add actions. Every answer is saved as you give it.\n"
        "3. **Submit** when every item has an answer, and read the results: overall band, domain scores, "
        "strengths and priorities."
    )
    left, right = st.columns(2)
    if access.can(actor(), access.READ):  # someone with no role yet has no Assess page
        left.page_link("pages/assess.py", label="Start or resume an assessment", icon=":material/checklist:")
    right.page_link("pages/framework.py", label="Read the framework and its levels", icon=":material/menu_book:")

user = actor()
MAX_LISTED = 10


def _allowed(frame: pd.DataFrame, action: str) -> pd.DataFrame:
    """The rows (each with system_id and place_id) whose unit the user may take this action on."""
    if frame.empty:
        return frame
    keep = [
        access.can(user, action, int(s), None if pd.isna(p) else int(p))
        for s, p in zip(frame["system_id"], frame["place_id"], strict=True)
    ]
    return frame[keep]


def _set_reminders(user_id: int) -> None:
    try:
        reminders.set_reminders(open_db(), actor(), user_id, bool(st.session_state["home_reminders"]))
    except store.StoreError as exc:
        st.session_state["home_error"] = str(exc)
    else:
        flash("Saved: you will get reminders by e-mail" if st.session_state["home_reminders"]
              else "Saved: no more reminders by e-mail (turn them on again here)")  # fmt: skip


def _start_due(system_id: int, place_id: int | None) -> None:
    """Start the round a cycle says is due, labelled by the quarter (never a label the unit has), dated today."""
    conn = open_db()
    taken = store.list_assessments(conn, system_id=system_id, place_id=place_id, whole_system=place_id is None)
    label = round_labels.free_label(store.suggest_round_label(clock.today()), taken["round_label"])
    try:
        new_id = store.create_assessment(conn, system_id, place_id, label, clock.today().isoformat(), actor())
    except store.StoreError as exc:
        st.session_state["home_error"] = str(exc)
    else:
        st.session_state["home_started"] = new_id  # opened below: a page switch cannot happen in a callback


if user.admin_systems and not user.is_service_admin:
    # A system admin's first visits: the steps that make a new system usable, each ticked once done.
    for system in store.setup_progress(db, sorted(user.admin_systems)).itertuples():
        if system.places and system.people > 1 and system.rounds:
            continue
        with st.container(border=True):
            st.header(f"Set up {plain(system.name)}")
            steps = [
                (system.places > 0, f"Add its places ({system.places} so far)", "pages/manage.py"),
                (
                    system.people > 1,
                    f"Add the people who will assess and review, with their roles "
                    f"({system.people - 1} so far besides you)",
                    "pages/manage.py",
                ),  # fmt: skip
                (system.rounds > 0, "Start the first round for the system or one of its places", "pages/assess.py"),
            ]
            for number, (done, words, page) in enumerate(steps, start=1):
                mark = ":material/check_circle:" if done else ":material/radio_button_unchecked:"
                st.page_link(page, label=f"{number}. {words}{' ✓ done' if done else ''}", icon=mark)

if not user.local:
    # My work: what this person can act on, most pressing first.
    st.header("My work")
    roles = access.own_roles(db, user)
    if roles:
        st.caption("Your roles: " + "; ".join(plain(r) for r in roles))
    if st.query_params.get("reminders") == "off":
        st.info("You followed the link in a reminder: turn reminders off (or on again) here.", icon=":material/mail:")
    st.toggle(
        "Send me a daily e-mail of what needs me (actions due, rounds due, sign-offs)",
        value=reminders.reminders_on(db, user.id),
        key="home_reminders",
        on_change=_set_reminders,
        args=(user.id,),
    )
    owed = store.open_actions_owned_by(db, [user.name, user.email])
    owed = _allowed(owed, access.EDIT)
    today = clock.today().isoformat()
    if owed.empty:
        st.write("No open actions are assigned to you.")
    for row in owed.head(MAX_LISTED).itertuples():
        late = isinstance(row.due_date, str) and row.due_date < today
        st.page_link(
            "pages/assess.py",
            label=f"{'Overdue: ' if late else ''}{plain(row.description)} · {plain(row.unit_name)} · "
            f"{plain(row.round_label)}"
            f"{' · due ' + formatting.day(row.due_date) if isinstance(row.due_date, str) else ''}",
            icon=":material/warning:" if late else ":material/task:",
            query_params={"assessment": str(row.assessment_id), "item": row.item_id},
        )
    waiting = _allowed(store.awaiting_sign_off(db), access.REVIEW)
    waiting = waiting[waiting["submitted_by"].fillna("") != user.name]  # four eyes: not their own
    for row in waiting.head(MAX_LISTED).itertuples():
        st.page_link(
            "pages/assess.py",
            label=f"Waiting for your sign-off: {plain(row.unit_name)} · {plain(row.round_label)}",
            icon=":material/verified:",
            query_params={"assessment": str(row.id)},
        )


if (started := st.session_state.pop("home_started", None)) is not None:
    st.switch_page("pages/assess.py", query_params={"assessment": str(started)})
due = cycles.due_rounds(db, clock.today())
due = _allowed(due[due["state"].isin([cycles.OVERDUE, cycles.DUE])], access.EDIT)
if not due.empty:
    st.header("Rounds due")
    if message := st.session_state.pop("home_error", None):
        show_error(store.StoreError(message))
    for n, row in enumerate(due.head(MAX_LISTED).itertuples()):
        words, start = st.columns([4, 1], vertical_alignment="center")
        words.markdown(f"**{plain(row.unit_name)}** · {cycles.describe(row._asdict())}")
        start.button("Start the round", key=f"home_start_due_{n}", on_click=_start_due,
                     args=(int(row.system_id), None if pd.isna(row.place_id) else int(row.place_id)))  # fmt: skip

drafts = store.list_assessments(db, status=store.DRAFT)
drafts = _allowed(drafts, access.EDIT)
if not drafts.empty:
    st.header("In progress")
    drafts = drafts.iloc[::-1]
    if len(drafts) > MAX_LISTED:
        wanted = st.text_input("Find a round in progress", key="home_find", placeholder="Place, system or round")
        if wanted:
            text = wanted.casefold()
            drafts = drafts[drafts["unit_name"].str.casefold().str.contains(text, regex=False)
                            | drafts["round_label"].str.casefold().str.contains(text, regex=False)]  # fmt: skip
        st.caption(f"Showing {min(MAX_LISTED, len(drafts))} of {len(drafts)}, most recent first.")
    for row in drafts.head(MAX_LISTED).itertuples():
        st.page_link(
            "pages/assess.py",
            label=f"Resume {plain(row.unit_name)} · {plain(row.round_label)} — {row.answered} of {row.total} answered",
            icon=":material/play_arrow:",
            query_params={"assessment": str(row.id)},
        )

st.header("Recent assessments")
recent = _allowed(store.recent_assessments(db, limit=200), access.READ).head(MAX_LISTED)
if recent.empty:
    st.write("No assessments yet.")
for row in recent.itertuples():
    # One click opens the round: its results once submitted, where the work stands while a draft.
    st.page_link(
        "pages/assess.py",
        label=f"{plain(row.unit_name)} · {plain(row.round_label)} — {row.status.capitalize()} · "
        f"assessed {formatting.day(row.assessment_date)} · {formatting.percent(row.completion)} answered",
        icon=":material/task_alt:" if row.status != store.DRAFT else ":material/edit_note:",
        query_params={"assessment": str(row.id)},
    )

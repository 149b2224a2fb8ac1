"""Join a workshop: a participant's own phone or laptop. Enter the code, say where you come from, vote.

No account is needed. Joining puts a private link in the address (?code=…&p=…), so a reload or a
phone that went to sleep comes back to the same place and the same votes. In a live workshop the
item follows the facilitator's screen, checked every couple of seconds.
"""

from __future__ import annotations

import streamlit as st

from checklist import store, workshops
from checklist.consensus import SECTORS, answer_label
from checklist.framework import LEVEL_VALUES
from checklist.scoring import DONT_KNOW
from ui.common import ensure_router, open_db, plain, show_flashes

ensure_router()
show_flashes()
db = open_db()

REFRESH_SECONDS = 2
# Static CSS only (never user text): a phone-sized page title, so the item and buttons come first.
PHONE_CSS = "<style>h1 { font-size: 1.6rem !important; line-height: 1.25 !important; }</style>"
ANSWERS = (*LEVEL_VALUES, DONT_KNOW)


def _sentence(message: str) -> str:
    text = message[:1].upper() + message[1:]
    return plain(text if text.endswith((".", "?", "!")) else f"{text}.")


def _answer_label(value: int | str | None) -> str:
    """A button's value (a level, or DONT_KNOW, stored as a vote with no level) as people read it."""
    return answer_label(None if value == DONT_KNOW else value)


def _join() -> None:
    sector = st.session_state.get("join_sector")
    if sector is None:
        st.session_state["join_error"] = "Choose which part of the system you come from, then press Join."
        return
    try:
        code, name = st.session_state.get("join_code", ""), st.session_state.get("join_name", "")
        joined = workshops.join(open_db(), code, sector, name)
    except store.StoreError as exc:
        st.session_state["join_error"] = str(exc)
        return
    st.query_params["code"] = joined["workshop"]["code"]
    st.query_params["p"] = joined["token"]


def _leave() -> None:
    st.query_params.pop("p", None)
    st.query_params.pop("code", None)
    st.session_state.pop("join_code", None)


def _vote(token: str, item_id: str, value: int | str, next_item: str | None = None) -> None:
    try:
        workshops.cast_vote(open_db(), token, item_id, None if value == DONT_KNOW else int(value))
    except store.StoreError as exc:
        st.session_state["vote_error"] = str(exc)
        return
    st.session_state.pop("vote_error", None)
    word = "Answer saved" if next_item is not None or st.session_state.get("join_alone") else "Vote received"
    st.session_state["vote_toast"] = f"{word}: {_answer_label(value)}"
    if next_item is not None:
        st.session_state["join_item"] = next_item


def join_form() -> None:
    st.title("Join a workshop")
    st.write("Vote on each item from your own phone or laptop. You do not need an account.")
    if "join_code" not in st.session_state:
        st.session_state["join_code"] = st.query_params.get("code", "")
    st.text_input("Workshop code", key="join_code", max_chars=12, help="The letters and numbers on the shared screen")
    st.text_input("Your name (optional)", key="join_name", max_chars=workshops.MAX_NAME)
    st.radio(
        "Which part of the system do you come from?",
        list(SECTORS),
        format_func=SECTORS.get,
        index=None,
        key="join_sector",
        help="Lets the room see where views differ between sectors. Pick the one closest to you.",
    )
    st.button("Join", type="primary", icon=":material/login:", on_click=_join, key="join_button")
    if message := st.session_state.pop("join_error", None):
        st.error(_sentence(message), icon=":material/error:")


def show_item(item, position: int, total: int, easy: bool) -> None:  # noqa: ANN001
    st.caption(f"Item {position} of {total}")
    st.subheader(item.title, anchor=False)
    st.markdown(item.easy_statement if easy else item.statement)


def vote_buttons(token: str, item, mine: dict, easy: bool, next_item: str | None = None) -> None:  # noqa: ANN001
    """One big button per level (with its description) and one for don't know; the chosen one is highlighted."""
    chosen = None
    if item.id in mine:
        chosen = DONT_KNOW if mine[item.id] is None else mine[item.id]
        word = "answer" if st.session_state.get("join_alone") else "vote"
        st.success(
            f"Your {word} is in: **{_answer_label(chosen)}**. Press another to change it.", icon=":material/task_alt:"
        )
    if message := st.session_state.pop("vote_error", None):
        st.error(_sentence(message), icon=":material/error:")
    if message := st.session_state.pop("vote_toast", None):
        st.toast(message, icon=":material/how_to_vote:")  # seen wherever the page is scrolled to
    for value in ANSWERS:
        with st.container(border=True):
            st.button(
                _answer_label(value),
                key=f"vote_{item.id}_{value}",
                type="primary" if chosen == value else "secondary",
                width="stretch",
                on_click=_vote,
                args=(token, item.id, value, next_item),
            )
            if value != DONT_KNOW:
                st.caption(item.descriptor(value, easy_read=easy))


@st.fragment(run_every=REFRESH_SECONDS)
def live_vote(token: str, easy: bool) -> None:
    """The item on the facilitator's screen and this participant's vote on it, refreshed on its own."""
    conn = open_db()
    try:
        me = workshops.participant(conn, token)
    except store.StoreError:
        st.rerun()  # the workshop ended or expired: the whole page says so
    items = workshops.items_of(conn, me["workshop"])
    current = me["workshop"]["current_item"]
    position = next(n for n, i in enumerate(items, 1) if i.id == current)
    seen = st.session_state.get("join_seen_item")
    st.session_state["join_seen_item"] = current
    if seen is not None and seen != current:
        # Seen wherever the page is scrolled to, so nobody votes on the new item thinking it is the old one.
        st.toast(f"Now item {position}: {items[position - 1].title}", icon=":material/arrow_upward:")
    show_item(items[position - 1], position, len(items), easy)
    vote_buttons(token, items[position - 1], workshops.my_votes(conn, token), easy)
    st.caption("The item changes when the facilitator moves on.")


def answer_alone(token: str, workshop: dict, easy: bool) -> None:
    """Answers collected before a workshop: every item, in any order, at the respondent's own pace."""
    items = workshops.items_of(db, workshop)
    mine = workshops.my_votes(db, token)
    ids = [i.id for i in items]
    st.progress(len(mine) / len(items), text=f"{len(mine)} of {len(items)} items answered")
    if len(mine) == len(items):
        st.success("Thank you: every item is answered. You can change any answer until the lead closes this.")
    if "join_item" not in st.session_state:
        st.session_state["join_item"] = next((i for i in ids if i not in mine), ids[0])
    titles = {i.id: f"{n}. {i.title}" for n, i in enumerate(items, 1)}
    st.selectbox("Item", ids, format_func=titles.get, key="join_item")
    current = st.session_state["join_item"]
    position = ids.index(current) + 1
    show_item(items[position - 1], position, len(items), easy)
    later = [i for i in ids[position:] + ids[: position - 1] if i not in mine]
    vote_buttons(token, items[position - 1], mine, easy, next_item=later[0] if later else None)


st.html(PHONE_CSS)
token = st.query_params.get("p")
if not token:
    join_form()
    st.stop()
try:
    me = workshops.participant(db, token)
except store.StoreError as exc:
    ended = workshops.workshop_for_token(db, token)
    st.title("Join a workshop")
    if ended is None:
        st.error(_sentence(str(exc)), icon=":material/error:")
    elif ended["mode"] == workshops.INDEPENDENT:
        st.info("Answers are now closed, so nothing more can be changed. Thank you for taking part.")
    else:
        st.info("This workshop has ended. Thank you for taking part.", icon=":material/celebration:")
    st.button("Join another workshop", on_click=_leave, key="join_again")
    st.stop()

workshop = me["workshop"]
assessment = store.get_assessment(db, workshop["assessment_id"])
st.title(f"{plain(assessment['unit_name'])} · {plain(assessment['round_label'])}")
who = f"as {plain(me['name'])} ({SECTORS[me['sector']]})" if me["name"] else f"from {SECTORS[me['sector']]}"
st.caption(f"Workshop {workshop['code']} · you joined {who}")
st.session_state["join_alone"] = workshop["mode"] == workshops.INDEPENDENT
easy_read = st.toggle("Easy Read wording", key="join_easy", help="Short sentences and everyday words")
if workshop["mode"] == workshops.LIVE:
    live_vote(token, easy_read)
else:
    answer_alone(token, workshop, easy_read)

"""Workshop: presenting one item at a time: how to join, the live count, reveal, next, and the level agreed."""

from __future__ import annotations

from datetime import datetime, time

import streamlit as st

from checklist import clock, consensus, formatting, invitations, workshops
from checklist.consensus import SECTOR_LABELS, SPLIT, answer_label
from checklist.framework import LEVEL_VALUES
from checklist.scoring import DONT_KNOW
from checklist.summary import plural
from ui.common import (
    ACTING,
    open_db,
    plain,
)
from ui.workshop.acting import AGREE_OPTIONS, REFRESH_SECONDS, act, agreed_label

# Static CSS only (never user text): large type for the shared screen, and the keyboard-shortcut badge on
# the primary Next button drawn white on blue (Streamlit's own grey badge fails axe's contrast check).
PRESENTER_CSS = """<style>
h1 { font-size: 2rem !important; }
.st-key-presenter p, .st-key-presenter li { font-size: 1.4rem; line-height: 1.5; }
.st-key-presenter h2 { font-size: 2.3rem; }
[data-testid="stBaseButton-primary"] kbd { color: #FFFFFF; background: transparent; border: 1px solid #FFFFFF;
  opacity: 1; }
.st-key-join_code p { font-size: 2.6rem; font-weight: 700; letter-spacing: 0.15em; margin: 0; }
</style>"""


def invitation(workshop: dict, assessment: dict, link: str) -> None:
    """A calendar invitation (.ics) for the workshop, with the join address and code, to send to the room."""
    wid = workshop["id"]
    d, t, m = st.columns(3)
    day = d.date_input("Invitation: date", value=clock.today(), key=f"ws_invite_day_{wid}", format="DD/MM/YYYY")
    start = t.time_input("Start (UK time)", value=time(10, 0), key=f"ws_invite_time_{wid}", step=900)
    minutes = m.number_input("Minutes", min_value=invitations.SHORTEST, max_value=invitations.LONGEST, value=120,
                             step=15, key=f"ws_invite_minutes_{wid}")  # fmt: skip
    st.download_button(
        "Calendar invitation (.ics)",
        lambda: invitations.workshop_invitation(
            workshop,
            assessment["unit_name"],
            assessment["round_label"],
            link,
            datetime.combine(day, start),
            int(minutes),
            clock.now(),
        ),  # fmt: skip
        file_name=f"workshop-{workshop['code']}.ics",
        mime="text/calendar",
        icon=":material/event:",
        key=f"ws_invite_{wid}",
        on_click="ignore",
    )


def join_panel(workshop: dict, assessment: dict, expanded: bool) -> None:
    link = workshops.phones_join_at(st.context.url or "", workshop["code"])
    with st.expander("How to join", expanded=expanded, icon=":material/qr_code_2:"):
        qr, words = st.columns([1, 3], vertical_alignment="center")
        qr.image(workshops.qr_png(link), width=220, caption="Scan to join")
        with words:
            st.markdown("On your phone or laptop, open this address, or scan the QR code:")
            st.code(link, language=None)
            with st.container(key="join_code"):
                st.markdown(f"Code {workshop['code']}")
            st.caption("No account needed. Say which part of the system you come from; your name is optional.")
            if workshops.is_local_only(link):
                # Plain steps, the same as the presenter screen shows (web/live.py PHONES_CANNOT_JOIN).
                st.warning(
                    "Phones cannot open this address: it only works on this computer. Stop the app, start it for "
                    "the network with `make run ADDRESS=0.0.0.0`, then open the Network URL it shows.",
                    icon=":material/wifi_off:",
                )
        invitation(workshop, assessment, link)


def _item_label(items: list, item_id: str, seed: dict) -> str:
    position = [i.id for i in items].index(item_id) + 1
    title = next(i.title for i in items if i.id == item_id)
    flag = f" ({seed[item_id].status})" if seed else ""
    return f"{position}. {title}{flag}"


def live_panel(workshop_id: int) -> None:
    """Timer, vote count and (once revealed) the results, pushed by the server as votes arrive.

    It is the live room's own page (web/live.py) in a frame: it follows the room's event stream, so a
    vote shows within moments and this page never reruns to fetch it.
    """
    key = workshops.presenter_key(open_db(), workshop_id)
    st.iframe(f"/present/{workshop_id}?key={key}", height=460, alt="Live vote count and, once revealed, results")


def presenter_screen_url(workshop_id: int) -> str:
    """The projected presenter screen (web/live.py), opened with the workshop's presenter key."""
    key = workshops.presenter_key(open_db(), workshop_id)
    return f"/present/{workshop_id}/screen?key={key}"


@st.fragment(run_every=REFRESH_SECONDS)
def follow_room(workshop_id: int, item: str, revealed: bool) -> None:
    """Rerun the page when the room moved on elsewhere (the presenter screen's own controls), so Previous,
    Next and the reveal switch start from what the room sees. One indexed read per tick, and only on this page."""
    now = workshops.get_workshop(open_db(), workshop_id)
    if (now["current_item"], now["revealed"]) != (item, bool(revealed)):
        st.rerun()


def _go(workshop_id: int, item_id: str) -> None:
    act(workshops.set_current_item, workshop_id, item_id, ACTING)


def _jump(workshop_id: int, key: str) -> None:
    _go(workshop_id, st.session_state[key])


def _reveal(workshop_id: int, key: str) -> None:
    act(workshops.set_revealed, workshop_id, st.session_state[key], ACTING)


def _agree(workshop_id: int, item_id: str, level_key: str, notes_key: str) -> None:
    choice = st.session_state.get(level_key)
    if choice is None:
        st.session_state["ws_error"] = "Choose the level the room agreed first (or Don't know)."
        return
    level = None if choice == DONT_KNOW else int(choice)
    act(
        workshops.record_agreement,
        workshop_id,
        item_id,
        ACTING,
        level,
        notes=st.session_state.get(notes_key, ""),
        message=f"Agreed level saved to the assessment: {agreed_label(choice)}",
    )


def present(workshop: dict, items: list, domain_titles: dict[str, str], private: bool) -> None:
    wid = workshop["id"]
    ids = [i.id for i in items]
    seed = workshops.shown_tallies(open_db(), workshop["seeded_from"], private) if workshop["seeded_from"] else {}
    done = workshops.agreements(open_db(), wid)
    order = ids
    if seed:
        split_first = st.toggle(
            "Split items first",
            key=f"ws_split_first_{wid}",
            help="Put the items where the answers given beforehand were split at the front of the list.",
        )
        if split_first:
            order = sorted(ids, key=lambda i: seed[i].status != SPLIT)
        waiting = workshops.agreed_beforehand(open_db(), wid)
        if waiting:
            st.button(
                f"Record the level agreed beforehand for {plural(len(waiting), 'item')}",
                key=f"ws_accept_{wid}",
                icon=":material/done_all:",
                on_click=act,
                args=(workshops.accept_agreed, wid, ACTING),
                kwargs={"message": "Levels agreed beforehand recorded"},
                help="Each item whose answers beforehand were agreed gets their median (rounded down); "
                "you can still change any of them.",
            )
    current = workshop["current_item"]
    position = order.index(current)
    jump_key = f"ws_jump_{wid}"
    st.session_state[jump_key] = current  # follow the room's item, whoever moved it
    # On its own line, above the room's controls, so its whole label shows at any width (in a quarter of the
    # controls' row it was cut to "Open presenter scr..." at 1366 px).
    st.link_button(
        "Open presenter screen",
        presenter_screen_url(wid),
        icon=":material/open_in_new:",
        help="For the projector, in a new window: the item, its five levels and, once revealed, the votes, in "
        "large type with no sidebar, a QR code to join and how many in the room still have to vote. Its own "
        "Previous, Next and Reveal buttons and Page Up / Page Down move the room; this page follows.",
    )
    # Room for each button's label and its key badge at 1366 px (narrower columns squeezed the label out).
    back, forward, jump, _ = st.columns([2, 2, 3, 2], vertical_alignment="bottom")
    back.button(
        "Previous",
        icon=":material/arrow_back:",
        key=f"ws_prev_{wid}",
        disabled=position == 0,
        on_click=_go,
        args=(wid, order[max(0, position - 1)]),
        shortcut="PageUp",  # what a presentation clicker sends
        help="Keyboard or presentation clicker: Page Up",
    )
    forward.button(
        "Next",
        icon=":material/arrow_forward:",
        key=f"ws_next_{wid}",
        disabled=position == len(order) - 1,
        on_click=_go,
        args=(wid, order[min(len(order) - 1, position + 1)]),
        type="primary",
        shortcut="PageDown",
        help="Keyboard or presentation clicker: Page Down",
    )
    jump.selectbox(
        "Jump to item",
        order,
        format_func=lambda i: _item_label(items, i, seed),
        key=jump_key,
        on_change=_jump,
        args=(wid, jump_key),
    )
    follow_room(wid, current, workshop["revealed"])

    item = next(i for i in items if i.id == current)
    show, side = st.columns([3, 2], gap="large")
    with show.container(key="presenter"):
        # Item wording is shown as written: a system's own local items are user text.
        st.caption(f"Item {position + 1} of {len(order)} · {plain(domain_titles.get(item.domain, item.domain))}")
        st.header(plain(item.title), anchor=False)
        st.markdown(plain(item.statement))
        st.markdown("\n".join(f"- **{answer_label(v)}**: {plain(item.levels[v])}" for v in LEVEL_VALUES))
        if seed:
            before = seed[current]
            if not workshop["revealed"]:
                # Only whether to spend time here: the levels wait for the reveal, like the room's own votes.
                st.markdown(
                    f"**Before the workshop:** {before.votes} answer{'s' if before.votes != 1 else ''}, "
                    f"{consensus.STATUS_WORDS[before.status]}. The levels show with the results."
                )
            else:
                st.markdown(f"**Before the workshop:** {before.describe()}.")
                medians = before.sector_medians
                if medians:
                    by_sector = "; ".join(f"{SECTOR_LABELS[s]} {m:g}" for s, m in medians.items())
                    st.markdown(f"By sector (median): {by_sector}")
    with side:
        st.markdown(f"**Join with code {workshop['code']}** at the address under *How to join*")
        reveal_key = f"ws_reveal_{wid}_{current}"
        st.session_state[reveal_key] = workshop["revealed"]
        st.toggle(
            "Reveal results",
            key=reveal_key,
            on_change=_reveal,
            args=(wid, reveal_key),
            help="Hidden by default on every item, so people vote before they see how others voted.",
        )
        live_panel(wid)
        st.button(
            "Restart the timer",
            key=f"ws_timer_{wid}",
            icon=":material/timer:",
            type="tertiary",
            on_click=act,
            args=(workshops.restart_timer, wid, ACTING),
        )

    st.subheader("The level the room agreed", anchor=False)
    agreement = done.get(current)
    if agreement:
        st.success(
            f"Recorded: {agreed_label(agreement['level'])}, by {plain(agreement['agreed_by'])} at "
            f"{formatting.time_of_day(agreement['agreed_at'])}. It is the assessment's answer for this item; "
            "record again to change it.",
            icon=":material/task_alt:",
        )
    level_key, notes_key = f"ws_agree_{wid}_{current}", f"ws_agree_notes_{wid}_{current}"
    if level_key not in st.session_state and agreement:
        st.session_state[level_key] = DONT_KNOW if agreement["level"] is None else agreement["level"]
        st.session_state[notes_key] = agreement["notes"]
    st.segmented_control(
        "Agreed level",
        AGREE_OPTIONS,
        format_func=agreed_label,
        key=level_key,
        help="Saved as the assessment's answer for this item, with the votes summarised as evidence.",
    )
    st.text_area(
        "Notes: why the room settled here, and the range of views where it differed",
        key=notes_key,
        max_chars=workshops.MAX_NOTE,
    )
    st.button(
        "Record the agreed level",
        type="primary",
        icon=":material/gavel:",
        key=f"ws_agree_btn_{wid}_{current}",
        on_click=_agree,
        args=(wid, current, level_key, notes_key),
    )

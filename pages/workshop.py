"""Workshop: a facilitator runs an assessment with a room on a shared screen; people vote from their own devices.

Without ?workshop=ID: choose a draft round and start a live workshop, or collect answers before one.
With it: the presenter view (one item at a time, live vote count, reveal, the agreed level) or,
for answers collected beforehand, how they stand. The live parts refresh in st.fragment blocks, so
the facilitator's controls are never disturbed by the refresh.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import access, consensus, disclosure, formatting, live, store, workshops
from checklist.consensus import AGREED, SECTOR_LABELS, SECTORS, SPLIT, answer_label
from checklist.framework import LEVEL_VALUES, framework_for
from checklist.scoring import DONT_KNOW
from checklist.summary import plural
from ui.common import (
    ACTING,
    acting,
    actor,
    cannot_open,
    choose_unit,
    csv_download,
    db_path,
    ensure_router,
    flash,
    open_db,
    plain,
    show_error,
    show_flashes,
    text_table,
)

ensure_router()
show_flashes()
db = open_db()

REFRESH_SECONDS = 3
AGREE_OPTIONS = (*LEVEL_VALUES, DONT_KNOW)
KIND_LABEL = {workshops.LIVE: "Live workshop", workshops.INDEPENDENT: "Answers before the workshop"}
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


def _answer_label(value: int | str | None) -> str:
    """A widget option (a level, or DONT_KNOW since a widget cannot offer None) as people read it."""
    return answer_label(None if value == DONT_KNOW else value)


def _open(workshop_id: int | None) -> None:
    if workshop_id is None:
        st.query_params.pop("workshop", None)
    else:
        st.query_params["workshop"] = str(workshop_id)


def _start(assessment_id: int, mode: str, seeded_from: int | None = None) -> None:
    try:
        started = workshops.start_workshop(open_db(), assessment_id, actor(), mode=mode, seeded_from=seeded_from)
    except store.StoreError as exc:
        st.session_state["ws_error"] = str(exc)
        return
    flash(f"{KIND_LABEL[mode]} started: the code is {started['code']}")
    _open(started["id"])


def _act(fn, *args, message: str | None = None, **kwargs) -> None:  # noqa: ANN001
    """Run a store write from a callback; a refusal is shown on the next run instead of raising."""
    try:
        fn(open_db(), *acting(args), **kwargs)
    except store.StoreError as exc:
        st.session_state["ws_error"] = str(exc)
    else:
        live.nudge(db_path())  # phones hear of the change now, not at the watcher's next look
        if message:
            flash(message)


def choose() -> None:
    st.title("Workshop")
    st.write(
        "Agree each level with the people who see the system from different sides: health and care, sport and "
        "leisure, the voluntary sector, the local authority and, above all, disabled people and carers. Show one "
        "item at a time on a shared screen; everyone votes from their own phone or laptop with a short code; you "
        "record the level the room agrees, and it is saved as the assessment's answer."
    )
    unit = choose_unit(db, "ws")
    if unit is None:
        return
    system_id, place_id, unit_name = unit
    drafts = store.list_assessments(db, system_id, place_id, whole_system=place_id is None, status=store.DRAFT)
    if drafts.empty:
        st.info(
            f"{plain(unit_name)} has no round in progress. Start one on the Assess page first: a workshop saves the "
            "levels it agrees as that round's answers.",
            icon=":material/info:",
        )
        st.page_link("pages/assess.py", label="Go to Assess", icon=":material/checklist:")
        return
    rounds = dict(zip(drafts["id"], drafts["round_label"], strict=True))
    assessment_id = st.selectbox("Round in progress", list(rounds), format_func=rounds.get, key="ws_round")
    left, right = st.columns(2)
    left.button(
        "Start a live workshop",
        type="primary",
        icon=":material/co_present:",
        on_click=_start,
        args=(int(assessment_id), workshops.LIVE),
        key="ws_start_live",
        help="One item at a time on a shared screen; people vote on each item as you go.",
    )
    right.button(
        "Collect answers before the workshop",
        icon=":material/forward_to_inbox:",
        on_click=_start,
        args=(int(assessment_id), workshops.INDEPENDENT),
        key="ws_start_independent",
        help="Send a code to the people coming; each answers every item alone beforehand. "
        "The workshop then spends its time on the items where they disagree.",
    )
    existing = workshops.list_workshops(db, int(assessment_id))
    if existing.empty:
        st.caption("No workshops for this round yet.")
        return
    st.subheader("Workshops for this round")
    for row in existing.itertuples():
        with st.container(border=True):
            text, buttons = st.columns([3, 2], vertical_alignment="center")
            status = workshops.state({"status": row.status, "expires_at": row.expires_at})
            text.markdown(
                f"**{KIND_LABEL[row.mode]} · code {row.code}** · {status} · "
                f"started {formatting.day(row.created_at)}  \n"
                f"{row.participants} joined · {row.votes} votes · {row.agreed} levels agreed"
            )
            buttons.button("Open", key=f"ws_open_{row.id}", on_click=_open, args=(int(row.id),))
            if row.mode == workshops.INDEPENDENT:
                buttons.button(
                    "Start a live workshop from these answers",
                    key=f"ws_seed_{row.id}",
                    on_click=_start,
                    args=(int(assessment_id), workshops.LIVE, int(row.id)),
                )


# --- running one -----------------------------------------------------------------------------------


def join_panel(workshop: dict, expanded: bool) -> None:
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
    _act(workshops.set_current_item, workshop_id, item_id, ACTING)


def _jump(workshop_id: int, key: str) -> None:
    _go(workshop_id, st.session_state[key])


def _reveal(workshop_id: int, key: str) -> None:
    _act(workshops.set_revealed, workshop_id, st.session_state[key], ACTING)


def _agree(workshop_id: int, item_id: str, level_key: str, notes_key: str) -> None:
    choice = st.session_state.get(level_key)
    if choice is None:
        st.session_state["ws_error"] = "Choose the level the room agreed first (or Don't know)."
        return
    level = None if choice == DONT_KNOW else int(choice)
    _act(
        workshops.record_agreement,
        workshop_id,
        item_id,
        ACTING,
        level,
        notes=st.session_state.get(notes_key, ""),
        message=f"Agreed level saved to the assessment: {_answer_label(choice)}",
    )


def present(workshop: dict, items: list, domain_titles: dict[str, str], private: bool) -> None:
    wid = workshop["id"]
    ids = [i.id for i in items]
    seed = workshops.shown_tallies(db, workshop["seeded_from"], private) if workshop["seeded_from"] else {}
    done = workshops.agreements(db, wid)
    order = ids
    if seed:
        split_first = st.toggle(
            "Split items first",
            key=f"ws_split_first_{wid}",
            help="Put the items where the answers given beforehand were split at the front of the list.",
        )
        if split_first:
            order = sorted(ids, key=lambda i: seed[i].status != SPLIT)
        waiting = workshops.agreed_beforehand(db, wid)
        if waiting:
            st.button(
                f"Record the level agreed beforehand for {plural(len(waiting), 'item')}",
                key=f"ws_accept_{wid}",
                icon=":material/done_all:",
                on_click=_act,
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
        st.caption(f"Item {position + 1} of {len(order)} · {domain_titles.get(item.domain, item.domain)}")
        st.header(item.title, anchor=False)
        st.markdown(item.statement)
        st.markdown("\n".join(f"- **{answer_label(v)}**: {item.levels[v]}" for v in LEVEL_VALUES))
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
            on_click=_act,
            args=(workshops.restart_timer, wid, ACTING),
        )

    st.subheader("The level the room agreed", anchor=False)
    agreement = done.get(current)
    if agreement:
        st.success(
            f"Recorded: {_answer_label(agreement['level'])}, by {plain(agreement['agreed_by'])} at "
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
        format_func=_answer_label,
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


def _add_note(assessment_id: int, workshop_id: int, kind_key: str, about_key: str, text_key: str) -> None:
    try:
        workshops.add_note(
            open_db(),
            assessment_id,
            st.session_state[kind_key],
            st.session_state[text_key],
            actor(),
            item_id=st.session_state[about_key],
            workshop_id=workshop_id,
        )
    except store.StoreError as exc:
        st.session_state["ws_error"] = str(exc)
        return
    st.session_state[text_key] = ""
    flash("Note saved")


def notes_panel(workshop: dict, items: list) -> None:
    wid, aid = workshop["id"], workshop["assessment_id"]
    st.write(
        "Capture what the room says: notes and quotes about an item, and a parking lot for issues raised that "
        "belong somewhere else. They are saved with the assessment and appear in its report."
    )
    titles = {i.id: f"{n}. {i.title}" for n, i in enumerate(items, 1)}
    kind_key, about_key, text_key = f"ws_note_kind_{wid}", f"ws_note_about_{wid}", f"ws_note_text_{wid}"
    seen_key = f"ws_note_about_seen_{wid}"
    if st.session_state.get(seen_key) != workshop["current_item"]:
        # Follow the room: a note is about the item on screen unless the facilitator picks another.
        st.session_state[about_key] = workshop["current_item"]
        st.session_state[seen_key] = workshop["current_item"]
    kind_col, about_col = st.columns([2, 3])
    kind_col.radio(
        "Kind", list(workshops.NOTE_KINDS), format_func=workshops.NOTE_KINDS.get, key=kind_key, horizontal=True
    )
    about_col.selectbox(
        "About",
        [None, *titles],
        format_func=lambda i: "The workshop as a whole" if i is None else titles[i],
        key=about_key,
    )
    st.text_area("What was said", key=text_key, max_chars=workshops.MAX_NOTE)
    st.button(
        "Save note",
        key=f"ws_note_add_{wid}",
        icon=":material/note_add:",
        on_click=_add_note,
        args=(aid, wid, kind_key, about_key, text_key),
    )

    notes = workshops.list_notes(db, aid, include_deleted=True)
    kept = notes[notes["deleted_at"].isna()] if not notes.empty else notes
    removed = notes[notes["deleted_at"].notna()] if not notes.empty else notes
    if kept.empty:
        st.caption("No notes yet.")
    for kind in ("parking", "quote", "note"):
        rows = kept[kept["kind"] == kind] if not kept.empty else kept
        if rows.empty:
            continue
        st.subheader(
            workshops.NOTE_KINDS[kind] if kind == "parking" else f"{workshops.NOTE_KINDS[kind]}s", anchor=False
        )
        for row in rows.itertuples():
            text, remove = st.columns([6, 1], vertical_alignment="center")
            about = (
                ""
                if row.item_id is None or pd.isna(row.item_id)
                else f"**{plain(titles.get(row.item_id, row.item_id))}:** "
            )
            text.markdown(f"{about}{plain(row.text)}")
            remove.button(
                "Remove",
                key=f"ws_note_rm_{row.id}",
                type="tertiary",
                on_click=_act,
                args=(workshops.set_note_deleted, int(row.id), True, ACTING),
                kwargs={"message": "Note removed: restore it from Removed notes"},
            )
    if not removed.empty:
        with st.expander(f"Removed notes ({len(removed)})"):
            for row in removed.itertuples():
                text, restore = st.columns([6, 1], vertical_alignment="center")
                text.markdown(plain(row.text))
                restore.button(
                    "Restore",
                    key=f"ws_note_restore_{row.id}",
                    type="tertiary",
                    on_click=_act,
                    args=(workshops.set_note_deleted, int(row.id), False, ACTING),
                )


def summary_panel(workshop: dict, items: list, private: bool) -> None:
    result = workshops.summary(db, workshop["id"], private)
    titles = {i.id: i.title for i in items}
    agreed = (result.agreed["agreed"] != "Not yet agreed").sum()
    st.markdown(
        f"**{agreed} of {len(items)} items agreed** with {plural(len(result.participants), 'person', 'people')} "
        "taking part."
    )
    table = result.agreed.rename(
        columns={
            "item": "Item",
            "agreed": "Agreed level",
            "votes": "Votes",
            "median": "Median",
            "range": "Range",
            "dont_know": "Don't know",
            "status": "Were the votes agreed or split?",
            "notes": "Notes",
        }
    ).drop(columns=["item_id"])
    text_table(table)  # wraps: the notes are read whole
    st.caption(
        "The agreed level is what the room settled on; the next columns describe the votes behind it. "
        + consensus.SPLIT_RULE
    )
    csv_download(
        table, f"workshop-{workshop['code']}", f"ws_summary_csv_{workshop['id']}", "Download the summary (CSV)"
    )
    left, right = st.columns(2)
    with left:
        st.subheader("Where sectors disagreed most", anchor=False)
        if result.sector_gaps:
            st.markdown("\n".join(f"- {g.sentence(titles[g.item_id])}" for g in result.sector_gaps[:6]))
        else:
            st.write("No item had sectors a level or more apart.")
        if result.lived_experience:
            st.markdown(
                "**People with lived experience compared with everyone else** (medians):\n"
                + "\n".join(
                    f"- {titles[i]}: lived experience {lived:g}, everyone else {rest:g}"
                    for i, rest, lived in result.lived_experience[:6]
                )
            )
    with right:
        st.subheader("Many don't knows", anchor=False)
        if result.dont_know:
            st.markdown(
                "\n".join(f"- {titles[t.item_id]}: {t.dont_know} of {t.votes} votes" for t in result.dont_know)
                + "\n\nThese are evidence gaps: find out before the next round."
            )
        else:
            st.write("No item had a quarter or more don't knows.")
        st.subheader("Who took part", anchor=False)
        if result.participants.empty:
            st.write("Nobody has joined yet.")
        else:
            sizes = result.participants["sector"].value_counts().to_dict()
            small = set() if private else consensus.small_sectors(sizes, disclosure.min_group())
            folded = consensus.SECTOR_LABELS[consensus.FOLDED if small != set(sizes) else consensus.WHOLE_ROOM]
            counts = result.participants["sector"].map(lambda s: folded if s in small else SECTORS[s]).value_counts()
            st.dataframe(counts.rename_axis("Sector").reset_index(name="People"), hide_index=True)
    st.page_link(
        "pages/assess.py",
        label="Open the assessment's results",
        icon=":material/checklist:",
        query_params={"assessment": str(workshop["assessment_id"])},
    )


@st.fragment(run_every=REFRESH_SECONDS * 2)
def collected_panel(workshop_id: int, private: bool) -> None:
    """How the answers collected beforehand stand, item by item: refreshed on its own."""
    conn = open_db()
    table = workshops.collected_table(conn, workshop_id, private)
    counts = table["Agreed or split"].value_counts()
    st.markdown(
        f"**{plural(workshops.participant_count(conn, workshop_id), 'respondent')}** · "
        f"{plural(counts.get(AGREED, 0), 'item')} agreed · {plural(counts.get(SPLIT, 0), 'item')} split · "
        f"{plural(counts.get(consensus.TOO_FEW, 0), 'item')} with too few answers · "
        f"{plural(counts.get('no answers yet', 0), 'item')} not answered yet"
    )
    st.dataframe(table, hide_index=True)
    st.caption("Refreshes every few seconds. Sector columns are medians. " + consensus.SPLIT_RULE)


def run(workshop: dict) -> None:
    assessment = store.get_assessment(db, workshop["assessment_id"])
    fw = framework_for(assessment["framework_version"])
    items = list(fw.items_of(assessment))
    status = workshops.state(workshop)
    is_open = status == workshops.OPEN
    title, back = st.columns([4, 1], vertical_alignment="bottom")
    title.title(f"{plain(assessment['unit_name'])} · {plain(assessment['round_label'])}")
    back.button("All workshops", key="ws_back", on_click=_open, args=(None,), icon=":material/arrow_back:")
    st.caption(
        f"{KIND_LABEL[workshop['mode']]} · code {workshop['code']} · "
        f"{'open until ' + formatting.moment(workshop['expires_at']) if is_open else status}"
        + (
            f" · started from the answers collected beforehand (code "
            f"{workshops.get_workshop(db, workshop['seeded_from'])['code']})"
            if workshop["seeded_from"]
            else ""
        )
    )
    error_slot = st.empty()
    if message := st.session_state.pop("ws_error", None):
        error_slot.error(plain(message), icon=":material/error:")
    if assessment["status"] != store.DRAFT and is_open:
        st.warning("The assessment has been submitted, so agreed levels cannot be saved until it is reopened.")
    if is_open:
        join_panel(workshop, expanded=workshops.participant_count(db, workshop["id"]) == 0)
    else:
        st.info(
            f"This workshop is {status}: its code no longer works. Reopen it to take votes again "
            "(with a fresh time limit); votes, agreed levels and notes are all kept."
        )

    minimum = disclosure.min_group()
    private = minimum > 1 and st.toggle(
        f"Show every sector here, even one with fewer than {minimum} people",
        key=f"ws_private_{workshop['id']}",
        help=f"For your eyes only, not for a shared screen. Elsewhere (the projector, the summary) a sector with fewer "
        f"than {minimum} people in the room is counted with others as 'Other sectors', so nobody can tell how one "
        "person voted.",
    )
    if workshop["mode"] == workshops.LIVE:
        tabs = st.tabs(["Present", "Notes and parking lot", "Summary"], default="Present" if is_open else "Summary")
        with tabs[0]:
            if is_open:
                present(workshop, items, {d.id: d.title for d in fw.domains}, private)
            else:
                st.write("Reopen the workshop to present and vote again; the summary shows what was agreed.")
        with tabs[1]:
            notes_panel(workshop, items)
        with tabs[2]:
            summary_panel(workshop, items, private)
    else:
        tabs = st.tabs(["Answers so far", "Notes and parking lot"])
        with tabs[0]:
            collected_panel(workshop["id"], private)
            st.button(
                "Start a live workshop from these answers",
                type="primary",
                key=f"ws_seed_run_{workshop['id']}",
                on_click=_start,
                args=(workshop["assessment_id"], workshops.LIVE, workshop["id"]),
            )
        with tabs[1]:
            notes_panel(workshop, items)

    st.divider()
    if is_open:
        st.button(
            "Close the workshop",
            key="ws_close",
            icon=":material/lock:",
            on_click=_act,
            args=(workshops.close_workshop, workshop["id"], ACTING),
            kwargs={"message": "Workshop closed: its code no longer works. You can reopen it."},
            help="Stops voting; the code stops working. Votes, agreed levels and notes are kept.",
        )
    else:
        st.button(
            "Reopen the workshop",
            key="ws_reopen",
            icon=":material/lock_open:",
            on_click=_act,
            args=(workshops.reopen_workshop, workshop["id"], ACTING),
            kwargs={"message": "Workshop reopened"},
        )


st.html(PRESENTER_CSS)
raw_id = st.query_params.get("workshop")
chosen = None
if raw_id:
    try:
        chosen = workshops.get_workshop(db, int(raw_id))
    except (ValueError, store.NotFoundError):
        cannot_open("workshop", raw_id)
if chosen is not None:
    owner = store.get_assessment(db, chosen["assessment_id"])
    if not access.can(actor(), access.RUN_WORKSHOP, owner["system_id"], owner["place_id"]):
        cannot_open("workshop", raw_id)
        chosen = None
if chosen is None:
    if message := st.session_state.pop("ws_error", None):
        show_error(store.StoreError(message))
    choose()
else:
    run(chosen)

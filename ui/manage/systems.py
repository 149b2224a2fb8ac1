"""Manage: adding a system (the service's step), and each system's places, populations and rounds."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import access, clock, cycles, formatting, store, summary
from ui.common import actor, flash, open_db, plain, show_flashes, text_table
from ui.manage.common import SYSTEMS_NOTE, attempt, place_note, system_note
from ui.manage.local import local_items_panel


def _save_population(place_id: int, place_name: str, key: str) -> None:
    value = st.session_state[key]
    try:
        store.set_population(open_db(), "places", place_id, None if value is None else int(value), actor())
    except store.StoreError as exc:
        st.session_state["manage_error"] = str(exc)
    else:
        flash(
            f"Saved: {place_name}'s population is now {formatting.count(int(value))}"
            if value is not None
            else f"Saved: {place_name} has no population now (the weighted roll-up leaves it out)",
            where=place_note(place_id),
        )


def add_system(service: bool) -> None:
    """The service's form for a new system and its first admin; a system admin is told what is theirs."""
    if service:
        with st.form("manage_add_system", clear_on_submit=True):
            st.markdown("**Add a system (ICS)**, and its first admin, who then runs it: its places, people and rounds")
            name = st.text_input("System name", placeholder="e.g. Northmoor and Vale ICS")
            a1, a2 = st.columns(2)
            admin_email = a1.text_input("First admin's e-mail address (optional)", placeholder="name@organisation")
            admin_name = a2.text_input("First admin's name (optional)")
            if st.form_submit_button("Add system"):
                st.session_state["manage_find"] = (
                    name.strip()
                )  # show the new system (or the one it clashes with) at once
                with_admin = f", run by {admin_email.strip()}" if admin_email.strip() else ""
                attempt(store.create_system, name, actor(), None, admin_email, admin_name,
                         done=f"Added system {name.strip()}{with_admin}", where=SYSTEMS_NOTE)  # fmt: skip
    else:
        st.caption(
            "You run the systems listed below: their places, populations, people and roles. Adding systems, "
            "backups and other systems stay with the service's administrators."
        )


SYSTEMS_PER_PAGE = 10


def system_panel(system, show_archived: bool, expanded: bool, service: bool, due: pd.DataFrame) -> None:  # noqa: ANN001
    """One system's expander: rename or archive it, its places, and its rounds (drafts renamable)."""
    archived = isinstance(system.archived_at, str)
    label = f"{plain(system.name)}{' (archived)' if archived else ''}"
    with st.expander(label, expanded=expanded):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        new_name = c1.text_input("Rename system", value=system.name, key=f"manage_sys_name_{system.id}")
        if c2.button("Save system name", key=f"manage_sys_rename_{system.id}"):
            attempt(store.rename_system, system.id, new_name, actor(), where=SYSTEMS_NOTE,
                     done=f"Saved: the system {system.name} is now called {new_name.strip()}")  # fmt: skip
        if not service:
            pass  # a whole organisation leaving or coming back is the service's step
        elif archived:
            if st.button("Restore system", key=f"manage_sys_restore_{system.id}"):
                attempt(store.set_archived, "systems", system.id, False, actor(), where=SYSTEMS_NOTE,
                         done=f"Restored the system {system.name}")  # fmt: skip
        elif st.button(
            "Archive system", key=f"manage_sys_archive_{system.id}", help="Hides it from pickers; restorable"
        ):
            attempt(store.set_archived, "systems", system.id, True, actor(), where=SYSTEMS_NOTE,
                     done=f"Archived the system {system.name}: turn on Show archived systems and places to "
                     "restore it")  # fmt: skip

        st.markdown("**Places**")
        show_flashes(system_note(system.id))
        places = store.list_places(open_db(), system.id, include_archived=show_archived)
        for place in places.itertuples():
            place_archived = isinstance(place.archived_at, str)
            p1, p4, p2, p3 = st.columns([3, 2, 1.6, 1], vertical_alignment="bottom")
            people_key = f"manage_place_population_{place.id}"
            if people_key not in st.session_state:
                st.session_state[people_key] = None if pd.isna(place.population) else int(place.population)
            p4.number_input(
                "Population (for weighted roll-ups)",
                min_value=0,
                step=1000,
                key=people_key,
                on_change=_save_population,
                args=(int(place.id), place.name, people_key),
            )
            renamed = p1.text_input(
                f"Place{' (archived)' if place_archived else ''}", value=place.name, key=f"manage_place_name_{place.id}"
            )
            if p2.button("Save place name", key=f"manage_place_rename_{place.id}"):
                attempt(store.rename_place, place.id, renamed, actor(), where=place_note(place.id),
                         done=f"Saved: the place {place.name} is now called {renamed.strip()}")  # fmt: skip
            if place_archived:
                if p3.button("Restore", key=f"manage_place_restore_{place.id}"):
                    attempt(store.set_archived, "places", place.id, False, actor(), where=place_note(place.id),
                             done=f"Restored the place {place.name}")  # fmt: skip
            elif p3.button("Archive", key=f"manage_place_archive_{place.id}"):
                attempt(store.set_archived, "places", place.id, True, actor(), where=system_note(system.id),
                         done=f"Archived the place {place.name}: turn on Show archived systems and places to "
                         "restore it")  # fmt: skip
            show_flashes(place_note(place.id))  # under the row that changed
        with st.form(f"manage_add_place_{system.id}", clear_on_submit=True):
            place_name = st.text_input("New place name", key=f"manage_new_place_{system.id}")
            if st.form_submit_button("Add place"):
                attempt(store.create_place, system.id, place_name, actor(), where=system_note(system.id),
                         done=f"Added the place {place_name.strip()}")  # fmt: skip

        review_cycles(system, places, due[due["system_id"] == int(system.id)])
        local_items_panel(system)

        st.markdown("**Rounds**")
        rounds = store.list_assessments(open_db(), system_id=system.id)
        if rounds.empty:
            st.write("No rounds yet.")
        drafts = rounds[rounds["status"] == store.DRAFT]
        for row in drafts.itertuples():
            r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
            relabel = r1.text_input(
                f"Round label — {plain(row.unit_name)} (draft)", value=row.round_label, key=f"manage_round_{row.id}"
            )
            if r2.button("Save round label", key=f"manage_round_save_{row.id}"):
                attempt(
                    lambda d, i, v: store.update_assessment_details(d, i, actor(), round_label=v),
                    int(row.id),
                    relabel,
                    done=f"Saved: {row.unit_name}'s round {row.round_label} is now called {relabel.strip()}",
                    where=system_note(system.id),
                )
        locked = rounds[rounds["status"] != store.DRAFT]
        if not locked.empty:
            # One table, not a line per round: a system can hold hundreds of submitted rounds.
            st.caption(
                f"{summary.plural(len(locked), 'submitted round')}, locked "
                "(reopen one on the Assess page to change it):"
            )
            st.dataframe(
                pd.DataFrame(
                    {
                        "Place or system": locked["unit_name"],
                        "Round": locked["round_label"],
                        "Date": locked["assessment_date"].map(formatting.day),
                    }
                ),
                hide_index=True,
                height=min(400, 38 + 35 * len(locked)),
            )


def _save_cycle(system_id: int, keys: dict[str, str]) -> None:
    state = st.session_state
    place_id, months, due = state.get(keys["unit"]), state.get(keys["months"]), state.get(keys["date"])
    try:
        cycles.set_cycle(open_db(), actor(), system_id, place_id, None if months is None else int(months), due)
    except store.StoreError as exc:
        state["manage_error"] = str(exc)
    else:
        what = "no review cycle now" if months is None and due is None else (
            " and ".join(([f"a round every {int(months)} months"] if months else [])
                         + ([f"a round by {formatting.day(due)}"] if due else []))
        )  # fmt: skip
        flash(f"Saved: {what}", where=system_note(system_id))


def review_cycles(system, places: pd.DataFrame, found: pd.DataFrame) -> None:  # noqa: ANN001
    """How often the system and each place assess themselves (`found`: their rows of cycles.due_rounds), when
    each is next due, and setting it."""
    st.markdown("**Review cycle**")
    if found.empty:
        st.caption("No review cycle yet: set one so Home shows when rounds are due and overdue.")
    else:
        text_table(
            pd.DataFrame({"Unit": found["unit_name"], "When": [cycles.describe(r) for _, r in found.iterrows()]})
        )
    names = {None: f"{system.name} (whole system)", **dict(zip(places["id"], places["name"], strict=True))}
    keys = {k: f"manage_cycle_{k}_{system.id}" for k in ("unit", "months", "date")}
    c1, c2, c3, c4 = st.columns([2.6, 1.8, 1.8, 1.8], vertical_alignment="bottom")
    c1.selectbox("For", list(names), format_func=names.get, key=keys["unit"])
    c2.number_input("Every (months)", min_value=1, max_value=cycles.LONGEST_CYCLE, value=None, step=1,
                    key=keys["months"], placeholder="No interval")  # fmt: skip
    c3.date_input("Or by (date)", value=None, key=keys["date"], format="DD/MM/YYYY")
    c4.button("Save review cycle", key=f"manage_cycle_save_{system.id}", on_click=_save_cycle,
              args=(int(system.id), keys))  # fmt: skip


def systems_list(user: access.User, service: bool) -> None:
    """Find a system or place; the systems this person runs, ten a page, each in its panel."""
    db = open_db()
    show_archived = st.toggle("Show archived systems and places", key="manage_show_archived")
    find = st.text_input(
        "Find a system or place", key="manage_find", placeholder="Part of a name", help="Any part of a name, any case"
    )
    overview = store.systems_overview(db, include_archived=show_archived, find=find)
    if not service:
        overview = overview[overview["id"].isin(user.admin_systems)]
    show_flashes(SYSTEMS_NOTE)  # a system added, renamed, archived or restored: said here, above the list
    if overview.empty:
        st.info(
            f"No system or place has {plain(find.strip())!s} in its name." if find.strip()
            else "No systems yet: add one above, or load the demo from Home."
        )  # fmt: skip
    else:
        pages = -(-len(overview) // SYSTEMS_PER_PAGE)
        page = min(st.session_state.get("manage_page", 1), pages)
        if pages > 1:
            n1, n2, n3 = st.columns([1, 2, 1], vertical_alignment="center")
            n1.button("← Previous", key="manage_prev", disabled=page == 1,
                      on_click=lambda: st.session_state.update(manage_page=page - 1))  # fmt: skip
            n3.button("Next →", key="manage_next", disabled=page == pages,
                      on_click=lambda: st.session_state.update(manage_page=page + 1))  # fmt: skip
            first = (page - 1) * SYSTEMS_PER_PAGE
            n2.caption(
                f"Systems {first + 1}–{min(first + SYSTEMS_PER_PAGE, len(overview))} of {len(overview)}, by name"
            )
        shown = overview.iloc[(page - 1) * SYSTEMS_PER_PAGE : page * SYSTEMS_PER_PAGE]
        due = cycles.due_rounds(open_db(), clock.today(), [int(s) for s in shown["id"]])  # one read for the page
        for system in shown.itertuples():
            system_panel(system, show_archived, expanded=len(overview) == 1, service=service, due=due)
        with st.expander(f"All {summary.plural(len(overview), 'system')} at a glance"):
            st.dataframe(
                overview.assign(archived=overview["archived_at"].notna().map({True: "Archived", False: ""})).rename(
                    columns={
                        "name": "System",
                        "places": "Places",
                        "rounds": "Rounds",
                        "drafts": "Drafts",
                        "archived": "Archived",
                    }  # fmt: skip
                )[["System", "Places", "Rounds", "Drafts", "Archived"]],
                hide_index=True,
            )

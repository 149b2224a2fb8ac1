"""Manage: people and roles: who may sign in, with which roles, and where."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import access, store
from ui import identity
from ui.common import actor, flash, open_db, plain, show_error, show_flashes, text_table
from ui.manage.common import PEOPLE_NOTE, attempt


def _add_person(keys: dict[str, str]) -> None:
    state = st.session_state
    role = state.get(keys["role"])
    if not role and not access.can(actor(), access.MANAGE_SERVICE):
        state["manage_people_error"] = "Choose a role and where it applies: a person you add works in your system"
        return
    try:
        conn = open_db()
        user_id = access.add_user(conn, actor(), state.get(keys["email"], ""), state.get(keys["name"], ""))
        if role:
            system_id = state.get(keys["system"])
            place_id = state.get(keys["place"]) if system_id is not None else None
            access.grant(conn, actor(), user_id, role, system_id, place_id)
    except store.StoreError as exc:
        state["manage_people_error"] = str(exc)
    else:
        who = state.get(keys["name"], "").strip() or state.get(keys["email"], "").strip()
        flash(
            f"Saved: {who} can sign in now"
            + (f" as {access.ROLE_WORDS.get(role, role)}" if role else " (give them a role to do anything)"),
            where=PEOPLE_NOTE,
        )
        for key in ("email", "name"):
            state[keys[key]] = ""


def people_section(user: access.User, service: bool) -> None:
    """Everyone this admin manages, adding a person with a role, and each person's roles and access."""
    db = open_db()
    st.header("People and roles")
    show_flashes(PEOPLE_NOTE)
    if identity.shared():
        st.caption("People sign in with their organisation's account; the address they sign in with must match.")
    else:
        st.caption(
            "These take effect in shared mode (sign-in). In local mode everyone using this computer may do everything."
        )
    people = access.list_users(db, user)  # a system admin sees the people of their own systems
    if people:
        text_table(  # wraps: a person with many roles has them all in view
            pd.DataFrame(
                [
                    {
                        "Name": p["name"],
                        "Signs in as": p["email"],
                        "Roles": "; ".join(text for _, text in p["roles"]) or "none yet",
                        "Can sign in": "No (disabled)" if p["disabled"] else "Yes",
                    }
                    for p in people
                ]
            )
        )
    else:
        st.write("Nobody has been added yet. In shared mode, add yourself as an admin first (or use the command line).")
    if message := st.session_state.pop("manage_people_error", None):
        show_error(store.StoreError(message))
    with st.expander("Add a person or give a role", icon=":material/person_add:"):
        keys = {k: f"manage_person_{k}" for k in ("email", "name", "role", "system", "place")}
        st.text_input("E-mail address they sign in with", key=keys["email"])
        st.text_input("Name, as history shows it", key=keys["name"])
        st.selectbox("Role", access.ROLES, format_func=access.ROLE_WORDS.get, index=None, key=keys["role"],
                     placeholder="No role yet")  # fmt: skip
        every = store.list_systems(db)
        system_names = {
            s: n for s, n in zip(every["id"], every["name"], strict=True) if service or s in user.admin_systems
        }
        chosen_system = st.selectbox(
            "For",
            [None, *system_names] if service else list(system_names),
            key=keys["system"],
            format_func=lambda s: "Every system" if s is None else system_names[s],
        )
        if chosen_system is not None:
            places = store.list_places(db, chosen_system)
            place_names = dict(zip(places["id"], places["name"], strict=True))
            st.selectbox(
                "Where",
                [None, *place_names],
                key=keys["place"],
                format_func=lambda p: "The whole system and its places" if p is None else place_names[p],
            )
        st.button("Save person and role", type="primary", key="manage_person_save", on_click=_add_person, args=(keys,))
    for person in people:
        if not person["roles"] and person["disabled"]:
            continue
        with st.expander(
            f"{plain(person['name'] or person['email'])}: change roles or access", icon=":material/badge:"
        ):
            for grant_id, text in person["roles"]:
                g1, g2 = st.columns([3, 1], vertical_alignment="center")
                g1.text(text)
                if g2.button("Remove role", key=f"manage_revoke_{grant_id}"):
                    attempt(access.revoke, actor(), grant_id, where=PEOPLE_NOTE,
                             done=f"Removed the role {text} from {person['name'] or person['email']}")  # fmt: skip
            if not person["disabled"] and st.button(
                "Stop them signing in",
                key=f"manage_disable_{person['id']}",
                help=None
                if service
                else "Only for someone who works in your systems alone; remove the roles of others",
            ):
                attempt(
                    access.disable_user, actor(), person["id"], where=PEOPLE_NOTE,
                    done=f"{person['name'] or person['email']} can no longer sign in; history keeps their work",
                )  # fmt: skip

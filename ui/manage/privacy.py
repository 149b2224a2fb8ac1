"""Manage: information governance: one person's data exported or erased, and old participants' names removed."""

from __future__ import annotations

import json

import streamlit as st

from checklist import privacy, store
from checklist.summary import plural
from ui.common import actor, flash, open_db, show_error, show_flashes
from ui.manage.common import PRIVACY_NOTE, attempt


def privacy_section() -> None:
    db = open_db()
    with st.expander("A person's data: export or erase (information governance)", icon=":material/policy:"):
        show_flashes(PRIVACY_NOTE)
        st.write(
            "Everything the app holds about one person, as a file, or removed: their name, address and any other "
            'text you add below become "Erased person N" in every table and every stored text, history included. '
            "The export lists exactly what erasure would change."
        )
        with st.form("manage_privacy_find"):
            who = st.text_input("Their e-mail address, or their name as the history shows it", key="manage_privacy_who")
            extra = st.text_area(
                "Other text that identifies them, one per line (optional)",
                key="manage_privacy_also",
                help="For example a phone number or another spelling of their name that people typed into evidence or "
                "notes. Phone numbers are found however they are spaced.",
            )
            looked = st.form_submit_button("Find what is held about them")
        also = [line.strip() for line in (extra or "").splitlines() if line.strip()]
        if looked:
            # The search reads every stored text: run on request, not on every rerun of the page.
            st.session_state.pop("manage_privacy_found", None)
            if who.strip():
                try:
                    st.session_state["manage_privacy_found"] = (
                        who,
                        also,
                        privacy.personal_data(db, actor(), who, also),
                    )
                except store.StoreError as exc:
                    show_error(exc)
        held = st.session_state.get("manage_privacy_found")
        if held and held[0] == who and held[1] == also:
            found = held[2]
            everything = found["everything held about them"]
            st.caption(
                f"Found: {plural(len(found['changes']), 'change')} in the history made by them, and "
                f"{plural(len(everything), 'stored value')} that name them (each listed in the download)."
            )
            st.download_button(
                "Download their data (JSON)",
                json.dumps(found, indent=2, ensure_ascii=False).encode("utf-8"),
                file_name="personal-data.json",
                mime="application/json",
                key="manage_privacy_export",
                on_click="ignore",
            )
            confirm = st.checkbox("I understand this cannot be undone", key="manage_privacy_confirm")
            if st.button("Erase this person", disabled=not confirm, key="manage_privacy_erase"):
                try:
                    done = privacy.erase_person(db, actor(), who, also)
                except store.StoreError as exc:
                    show_error(exc)
                else:
                    st.session_state.pop("manage_privacy_found", None)
                    flash(
                        f"Erasure #{done.number}: {plural(done.fields, 'stored value')} now say '{done.placeholder}'"
                        + ("" if done.file_compacted else "; the file could not be compacted yet (run: python -m "
                           "checklist privacy compact)"),
                        where=PRIVACY_NOTE,
                    )  # fmt: skip
                    st.rerun()
            st.caption(
                "Backups made before the erasure still hold them until they age out; restoring one applies every "
                "erasure again. See docs/information-governance.md."
            )
        days = privacy.participant_name_days()
        st.caption(
            f"Workshop participants' names are removed {days} days after the workshop ends "
            "(checked each time the app starts)."
        )
        if st.button("Remove old participants' names now", key="manage_privacy_forget"):
            attempt(
                privacy.forget_participant_names, actor(), done="Old participants' names removed", where=PRIVACY_NOTE
            )

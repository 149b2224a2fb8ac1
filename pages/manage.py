"""Manage: systems, places and populations; people and roles; and, for the service's admins, information
governance, backups, exports of everything, restores and imports. A system admin sees only their own systems."""

from __future__ import annotations

import streamlit as st

from checklist import access, store
from ui.common import actor, ensure_router, show_error, show_flashes
from ui.manage import files, people, privacy, systems

ensure_router()
show_flashes()

st.title("Manage systems and places")
st.caption("Nothing is deleted here: archived systems and places can be restored.")
user = actor()
service = access.can(user, access.MANAGE_SERVICE)  # the whole service; else a system admin, for their systems
systems.add_system(service)
if error := st.session_state.pop("manage_error", None):
    show_error(store.StoreError(error))
systems.systems_list(user, service)
people.people_section(user, service)
if not service:
    st.stop()  # information governance, backups, exports of everything and restores are the service's
privacy.privacy_section()
files.backup_and_exports()
files.restore_section()
files.import_section()

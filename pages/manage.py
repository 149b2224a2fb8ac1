"""Manage: add, rename, archive and restore systems and places; rename rounds."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from checklist import access, clock, downloads, exports, formatting, imports, privacy, restoring, store, summary
from checklist.summary import plural
from ui import identity
from ui.common import actor, db_path, ensure_router, flash, open_db, plain, show_error, show_flashes, text_table

ensure_router()

show_flashes()
db = open_db()


SYSTEMS_NOTE = "manage_systems"  # where a change to a system is confirmed: above the list of systems
PEOPLE_NOTE = "manage_people"
PRIVACY_NOTE = "manage_privacy"
IMPORT_NOTE = "manage_import"


def _place_note(place_id: int) -> str:
    """Where a change to one place is confirmed: under its row."""
    return f"manage_place_{place_id}"


def _system_note(system_id: int) -> str:
    """Where a change to a system's places or rounds is confirmed: at the top of its places."""
    return f"manage_system_{system_id}"


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
            where=_place_note(place_id),
        )


def _attempt(fn, *args: object, done: str, where: str = "page") -> None:  # noqa: ANN001
    """Make a change, then say what was saved where `where` shows it (or show why it was not)."""
    try:
        fn(db, *args)
    except store.StoreError as exc:
        show_error(exc)
    else:
        flash(done, where=where)
        st.rerun()


st.title("Manage systems and places")
st.caption("Nothing is deleted here: archived systems and places can be restored.")
user = actor()
service = access.can(user, access.MANAGE_SERVICE)  # the whole service; else a system admin, for their systems

if service:
    with st.form("manage_add_system", clear_on_submit=True):
        st.markdown("**Add a system (ICS)**, and its first admin, who then runs it: its places, people and rounds")
        name = st.text_input("System name", placeholder="e.g. Northmoor and Vale ICS")
        a1, a2 = st.columns(2)
        admin_email = a1.text_input("First admin's e-mail address (optional)", placeholder="name@organisation")
        admin_name = a2.text_input("First admin's name (optional)")
        if st.form_submit_button("Add system"):
            st.session_state["manage_find"] = name.strip()  # show the new system (or the one it clashes with) at once
            with_admin = f", run by {admin_email.strip()}" if admin_email.strip() else ""
            _attempt(store.create_system, name, actor(), None, admin_email, admin_name,
                     done=f"Added system {name.strip()}{with_admin}", where=SYSTEMS_NOTE)  # fmt: skip
else:
    st.caption(
        "You run the systems listed below: their places, populations, people and roles. Adding systems, "
        "backups and other systems stay with the service's administrators."
    )

if error := st.session_state.pop("manage_error", None):
    show_error(store.StoreError(error))

SYSTEMS_PER_PAGE = 10


def _system_panel(system, show_archived: bool, expanded: bool) -> None:  # noqa: ANN001
    """One system's expander: rename or archive it, its places, and its rounds (drafts renamable)."""
    archived = isinstance(system.archived_at, str)
    label = f"{plain(system.name)}{' (archived)' if archived else ''}"
    with st.expander(label, expanded=expanded):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        new_name = c1.text_input("Rename system", value=system.name, key=f"manage_sys_name_{system.id}")
        if c2.button("Save system name", key=f"manage_sys_rename_{system.id}"):
            _attempt(store.rename_system, system.id, new_name, actor(), where=SYSTEMS_NOTE,
                     done=f"Saved: the system {system.name} is now called {new_name.strip()}")  # fmt: skip
        if not service:
            pass  # a whole organisation leaving or coming back is the service's step
        elif archived:
            if st.button("Restore system", key=f"manage_sys_restore_{system.id}"):
                _attempt(store.set_archived, "systems", system.id, False, actor(), where=SYSTEMS_NOTE,
                         done=f"Restored the system {system.name}")  # fmt: skip
        elif st.button(
            "Archive system", key=f"manage_sys_archive_{system.id}", help="Hides it from pickers; restorable"
        ):
            _attempt(store.set_archived, "systems", system.id, True, actor(), where=SYSTEMS_NOTE,
                     done=f"Archived the system {system.name}: turn on Show archived systems and places to "
                     "restore it")  # fmt: skip

        st.markdown("**Places**")
        show_flashes(_system_note(system.id))
        places = store.list_places(db, system.id, include_archived=show_archived)
        for place in places.itertuples():
            place_archived = isinstance(place.archived_at, str)
            p1, p4, p2, p3 = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
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
                _attempt(store.rename_place, place.id, renamed, actor(), where=_place_note(place.id),
                         done=f"Saved: the place {place.name} is now called {renamed.strip()}")  # fmt: skip
            if place_archived:
                if p3.button("Restore", key=f"manage_place_restore_{place.id}"):
                    _attempt(store.set_archived, "places", place.id, False, actor(), where=_place_note(place.id),
                             done=f"Restored the place {place.name}")  # fmt: skip
            elif p3.button("Archive", key=f"manage_place_archive_{place.id}"):
                _attempt(store.set_archived, "places", place.id, True, actor(), where=_system_note(system.id),
                         done=f"Archived the place {place.name}: turn on Show archived systems and places to "
                         "restore it")  # fmt: skip
            show_flashes(_place_note(place.id))  # under the row that changed
        with st.form(f"manage_add_place_{system.id}", clear_on_submit=True):
            place_name = st.text_input("New place name", key=f"manage_new_place_{system.id}")
            if st.form_submit_button("Add place"):
                _attempt(store.create_place, system.id, place_name, actor(), where=_system_note(system.id),
                         done=f"Added the place {place_name.strip()}")  # fmt: skip

        st.markdown("**Rounds**")
        rounds = store.list_assessments(db, system_id=system.id)
        if rounds.empty:
            st.write("No rounds yet.")
        drafts = rounds[rounds["status"] == store.DRAFT]
        for row in drafts.itertuples():
            r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
            relabel = r1.text_input(
                f"Round label — {plain(row.unit_name)} (draft)", value=row.round_label, key=f"manage_round_{row.id}"
            )
            if r2.button("Save round label", key=f"manage_round_save_{row.id}"):
                _attempt(
                    lambda d, i, v: store.update_assessment_details(d, i, actor(), round_label=v),
                    int(row.id),
                    relabel,
                    done=f"Saved: {row.unit_name}'s round {row.round_label} is now called {relabel.strip()}",
                    where=_system_note(system.id),
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
        n2.caption(f"Systems {first + 1}–{min(first + SYSTEMS_PER_PAGE, len(overview))} of {len(overview)}, by name")
    shown = overview.iloc[(page - 1) * SYSTEMS_PER_PAGE : page * SYSTEMS_PER_PAGE]
    for system in shown.itertuples():
        _system_panel(system, show_archived, expanded=len(overview) == 1)
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

st.header("People and roles")
show_flashes(PEOPLE_NOTE)
if identity.shared():
    st.caption("People sign in with their organisation's account; the address they sign in with must match.")
else:
    st.caption(
        "These take effect in shared mode (sign-in). In local mode everyone using this computer may do everything."
    )


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
    system_names = {s: n for s, n in zip(every["id"], every["name"], strict=True) if service or s in user.admin_systems}
    chosen_system = st.selectbox("For", [None, *system_names] if service else list(system_names), key=keys["system"],
                                 format_func=lambda s: "Every system" if s is None else system_names[s])  # fmt: skip
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
    with st.expander(f"{plain(person['name'] or person['email'])}: change roles or access", icon=":material/badge:"):
        for grant_id, text in person["roles"]:
            g1, g2 = st.columns([3, 1], vertical_alignment="center")
            g1.text(text)
            if g2.button("Remove role", key=f"manage_revoke_{grant_id}"):
                _attempt(access.revoke, actor(), grant_id, where=PEOPLE_NOTE,
                         done=f"Removed the role {text} from {person['name'] or person['email']}")  # fmt: skip
        if not person["disabled"] and st.button(
            "Stop them signing in",
            key=f"manage_disable_{person['id']}",
            help=None if service else "Only for someone who works in your systems alone; remove the roles of others",
        ):
            _attempt(
                access.disable_user, actor(), person["id"], where=PEOPLE_NOTE,
                done=f"{person['name'] or person['email']} can no longer sign in; history keeps their work",
            )  # fmt: skip

if not service:
    st.stop()  # information governance, backups, exports of everything and restores are the service's

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
                st.session_state["manage_privacy_found"] = (who, also, privacy.personal_data(db, actor(), who, also))
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
        _attempt(privacy.forget_participant_names, actor(), done="Old participants' names removed", where=PRIVACY_NOTE)

st.header("Back up, export and restore")
path = db_path()
st.caption(f"The database on this server: {store.describe(path)}")  # for the administrator who backs up the server


def _fresh():
    # Download callables run on their own thread: each opens its own connection.
    return store.connect(path, apply_migrations=False)


d1, d2, d3 = st.columns(3)
stamp = clock.today().isoformat()
d1.download_button(
    "Download a backup (.db)",
    lambda: store.backup_bytes(_fresh()),
    file_name=f"maturity-backup-{stamp}.db",
    mime="application/vnd.sqlite3",
    icon=":material/backup:",
    key="manage_backup",
    on_click="ignore",  # a download changes nothing: no rerun
)
downloads.sweep(path)  # workbooks earlier versions left beside the database, and uploads nobody restored


def _drop_export() -> None:
    st.session_state.pop("manage_export_ready", None)


# A workbook of everything holds every evidence text and name: it lives in this session only until it is
# downloaded or downloads.KEEP_FOR has passed, and never as a file on the server.
prepared = st.session_state.get("manage_export_ready")
if prepared is not None and prepared.expired():
    _drop_export()
    prepared = None
    d2.caption(
        f"The Excel export was dropped after {downloads.KEEP_FOR.seconds // 60} minutes without being downloaded, "
        "so no copy of it waits on the server. Make a fresh one."
    )
if prepared is not None:
    d2.download_button(
        "Download the Excel export",
        prepared.data,
        file_name=f"maturity-export-{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="manage_export_xlsx",
        on_click=_drop_export,  # the browser has it now: the server lets its copy go
    )
    d2.button("Make a fresh export", key="manage_export_again", type="tertiary", on_click=_drop_export)
elif d2.button("Export everything (Excel)", icon=":material/table_view:", key="manage_export_prepare"):
    # A national workbook takes minutes: it is made here, in memory, with progress shown, then offered.
    bar = d2.progress(0.0, text="Starting the Excel export…")
    titles = ["Summary", "Responses", "Scores", "Actions", "Workshop notes", "Workshop votes"]

    def _report(sheet: str, rows: int) -> None:
        base = sheet.split(" (")[0]
        step = titles.index(base) if base in titles else len(titles) - 1
        bar.progress(min(0.99, (step + 0.5) / len(titles)),
                     text=f"Writing {sheet}: {formatting.count(rows)} rows so far")  # fmt: skip

    try:
        st.session_state["manage_export_ready"] = downloads.excel_export(_fresh(), progress=_report)
    except (store.StoreError, OSError) as exc:
        show_error(exc)
    else:
        st.rerun()
d3.download_button(
    "Export everything (CSV)",
    lambda: exports.csv_bytes(exports.export_frame(_fresh(), exports.assessment_ids(_fresh()))),
    file_name=f"maturity-export-{stamp}.csv",
    mime="text/csv",
    icon=":material/csv:",
    key="manage_export_csv",
    on_click="ignore",  # a download changes nothing: no rerun
)

with st.expander("Restore from a backup"):
    st.write(
        "The file is checked first. The current database is then backed up beside it, so a restore can be "
        "undone by restoring that copy."
    )
    # A new key after each restore empties the uploader, so the same file is not offered for restoring again.
    upload_key = f"manage_restore_file_{st.session_state.get('manage_restores', 0)}"
    upload = st.file_uploader("Backup file (.db)", type=["db", "sqlite", "sqlite3"], key=upload_key)
    if upload is not None:
        staged = store.backups_folder(path) / f"uploaded-{upload.file_id}.db"
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(upload.getvalue())
        try:
            counts = store.check_backup(staged)
        except store.StoreError as exc:
            staged.unlink(missing_ok=True)
            show_error(exc)
        else:
            st.info(
                f"{plain(upload.name)} is a sound backup with {counts['systems']} system(s), {counts['places']} "
                f"place(s) and {counts['assessments']} assessment(s). Restoring replaces everything now in the app."
            )
            if st.button("Restore this backup", type="primary", key="manage_restore"):
                try:
                    safety = restoring.restore(db, staged, store.backups_folder(path), actor())
                except store.StoreError as exc:
                    show_error(exc)
                else:
                    staged.unlink(missing_ok=True)
                    st.session_state["manage_restores"] = st.session_state.get("manage_restores", 0) + 1
                    flash(f"Restored. The previous data is kept in {safety.name}: restore it to undo.")
                    st.rerun()

with st.expander("Import assessments from CSV or Excel"):
    show_flashes(IMPORT_NOTE)
    st.write(
        "Either the export's layout, or one row per unit and round with columns system, place, round, date and one "
        'column per item id (a level 0–4 or its name, "don\'t know" or "n/a"). The file is checked first: if any '
        "row is wrong, nothing is imported and every problem is listed."
    )
    imports_key = f"manage_import_file_{st.session_state.get('manage_imports', 0)}"
    file = st.file_uploader("File to import", type=["csv", "xlsx"], key=imports_key)
    create_missing = st.checkbox("Create systems and places that do not exist yet", key="manage_import_create")
    if file is not None:
        try:
            with st.spinner(f"Checking {plain(file.name)}: every row is read before anything is imported…"):
                plan = imports.plan_import(db, imports.read_table(file.getvalue(), file.name), create_missing)
        except imports.ImportRefused as exc:
            show_error(exc)
            st.dataframe(
                pd.DataFrame([vars(p) for p in exc.problems])[["row", "column", "value", "expected"]].rename(
                    columns=str.capitalize
                ),
                hide_index=True,
            )
        except store.StoreError as exc:
            show_error(exc)
        else:
            st.markdown(f"**Preview** ({plan.layout} layout): {len(plan.assessments)} assessment(s)")
            if plan.new_systems or plan.new_places:
                st.info(
                    "Will be created: "
                    + "; ".join(
                        [
                            *(plain(s) for s in plan.new_systems),
                            *(f"{plain(p)} in {plain(s)}" for s, p in plan.new_places),
                        ]
                    )
                )
            st.dataframe(plan.preview(), hide_index=True)
            choice = imports.SKIP
            if plan.clashes:
                choice = st.radio(
                    f"{len(plan.clashes)} round(s) already exist. What should happen to them?",
                    (imports.SKIP, imports.REPLACE),
                    format_func={
                        imports.SKIP: "Skip them (keep what is there)",
                        imports.REPLACE: "Replace them (the old answers stay in their history)",
                    }.get,
                    key="manage_import_choice",
                )
            if st.button("Import", type="primary", key="manage_import_go"):
                bar = st.progress(0.0, text="Importing…")
                try:
                    counts = imports.apply_plan(
                        db, plan, actor(), choice,
                        progress=lambda done, total: bar.progress(
                            done / total if total else 1.0,
                            text=f"Importing: {formatting.count(done)} of {formatting.count(total)} rounds",
                        ),
                    )  # fmt: skip
                except store.StoreError as exc:
                    show_error(exc)
                else:
                    st.session_state["manage_imports"] = st.session_state.get("manage_imports", 0) + 1
                    flash(
                        f"Imported: {counts['created']} created, {counts['replaced']} replaced, "
                        f"{counts['skipped']} skipped",
                        where=IMPORT_NOTE,
                    )
                    st.rerun()

"""Manage: the whole database as a backup, an Excel or CSV export, a restore, and an import."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import clock, downloads, exports, formatting, imports, restoring, store
from ui.common import actor, db_path, flash, open_db, plain, show_error, show_flashes
from ui.manage.common import IMPORT_NOTE


def _fresh():
    # Download callables run on their own thread: each opens its own connection.
    return store.connect(db_path(), apply_migrations=False)


def _drop_export() -> None:
    st.session_state.pop("manage_export_ready", None)


def backup_and_exports() -> None:
    """A backup, and everything as Excel (made with progress, then offered once) or CSV."""
    path = db_path()
    st.header("Back up, export and restore")
    path = db_path()
    st.caption(f"The database on this server: {store.describe(path)}")  # for the administrator who backs up the server
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


def restore_section() -> None:
    db, path = open_db(), db_path()
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


def import_section() -> None:
    db = open_db()
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

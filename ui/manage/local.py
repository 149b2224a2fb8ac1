"""Manage: a system's own local items: write them in a table (saved on every change as a draft), or fill in the
template workbook and upload it; publish the draft as the next version; see every version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import formatting, local_items, local_workbook, store, summary
from checklist.framework import ASSESSMENT_UNITS
from checklist.local_items import FIELDS, LocalItemsError
from ui.common import actor, flash, open_db, plain, show_error, show_flashes

COLUMNS = {"id": "Item id", **{key: words for key, words, _ in FIELDS}}


def _note(system_id: int) -> str:
    return f"manage_local_{system_id}"


def _frame(module: local_items.LocalModule) -> pd.DataFrame:
    rows = local_items.rows_of(module)
    return pd.DataFrame(rows, columns=list(COLUMNS)).fillna("").astype(str)


def _rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The table's rows as text, without rows left wholly blank (a row just added, not yet written in)."""
    rows = [
        {k: ("" if v is None or (isinstance(v, float) and v != v) else str(v).strip()) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]
    return [r for r in rows if any(r.values())]


def _save(system_id: int, rows: list[dict[str, str]], title: str, description: str, seen) -> None:  # noqa: ANN001
    """Save the draft, based on what the page showed (`seen`: store.local_modules.Editing)."""
    try:
        store.local_modules.save_draft(open_db(), actor(), system_id, rows, title, description,
                                       based_on=seen.revision, from_version=seen.latest_version)  # fmt: skip
    except store.StoreError as exc:
        st.session_state[f"local_error_{system_id}"] = str(exc)
    else:
        flash(
            f"Draft saved with {summary.plural(len(rows), 'item')}: publish it when it is ready", where=_note(system_id)
        )  # rows are never blank: the table drops them, and so does a workbook's reading
    st.rerun()


def local_items_panel(system) -> None:  # noqa: ANN001
    """The local items of one system, in its Manage panel (the caller has checked the person manages it)."""
    db = open_db()
    system_id = int(system.id)
    st.markdown("**Local items**")
    st.caption(
        "Add your own items beside the national ones, written in the same shape. They are scored as their own "
        "domain and appear in this system's pages, exports and reports, but never in the overall score or in any "
        "comparison between places or systems. Rounds started after you publish include them."
    )
    editing = store.local_modules.editing(db, system_id)
    versions = store.local_modules.versions(db, system_id)
    key = f"local_{system_id}_{editing.revision}_{editing.latest_version}"
    if editing.latest_version:
        newest = versions.iloc[0]
        st.write(
            f"Published: version {editing.latest_version} ({summary.plural(int(newest['item_count']), 'item')}), "
            f"{formatting.moment(newest['published_at'])} by {plain(newest['published_by'])}."
        )
    if editing.is_draft:
        st.caption(
            f"Draft saved {formatting.moment(editing.saved_at)} by {plain(editing.saved_by)}, not yet published."
        )
    if editing.discarded is not None:  # said next to what is published, where a person looks for it
        st.caption(
            f"A discarded draft ({summary.plural(len(editing.discarded.items), 'item')}) can still be brought back."
        )
        if st.button("Bring back the discarded draft", key=f"{key}_bring_back"):
            try:
                store.local_modules.bring_back(db, actor(), system_id)
            except store.StoreError as exc:
                show_error(exc)
            else:
                flash("The discarded draft is back", where=_note(system_id))
                st.rerun()
    show_flashes(_note(system_id))
    if error := st.session_state.pop(f"local_error_{system_id}", None):
        show_error(store.StoreError(error))
    module = editing.module
    title = st.text_input("Title of your local items", value=module.title, key=f"{key}_title", max_chars=80)
    about = st.text_area("What they cover (optional)", value=module.description, key=f"{key}_about", max_chars=1000)
    st.caption(
        "One row per item. Type in a cell and press Enter: each change is saved as a draft at once. Add an item with "
        "the + above the table's top right corner; remove one by ticking its row and pressing the bin."
    )
    base = _frame(module)
    config = {
        "id": st.column_config.TextColumn(COLUMNS["id"], disabled=True, help="Given by the app; kept between versions"),
        "unit": st.column_config.SelectboxColumn(COLUMNS["unit"], options=["", *ASSESSMENT_UNITS]),
        **{
            k: st.column_config.TextColumn(w, max_chars=local_items.TITLE_LONGEST if k == "title" else 1000)
            for k, w, _ in FIELDS
            if k != "unit"
        },
    }
    edited = st.data_editor(
        base, column_config=config, num_rows="dynamic", hide_index=True, key=f"{key}_table", width="stretch"
    )
    changed = title.strip() != module.title or about.strip() != module.description or _rows(edited) != _rows(base)
    if changed:  # saved on every change: each edit reruns the page, and lands here
        _save(system_id, _rows(edited), title, about, editing)

    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    note = c1.text_input("Note for this version (optional)", key=f"{key}_note", max_chars=500)
    if c2.button(
        f"Publish as version {editing.latest_version + 1}",
        key=f"{key}_publish",
        disabled=not editing.is_draft,
        type="primary",
    ):
        try:
            version = store.local_modules.publish(db, actor(), system_id, editing.revision, note)
        except store.StoreError as exc:
            show_error(exc)
        else:
            flash(f"Published version {version}: rounds started from now on include it", where=_note(system_id))
            st.rerun()
    if c3.button("Discard the draft", key=f"{key}_discard", disabled=not editing.is_draft,
                 help="Back to the published version; the draft stays in the history"):  # fmt: skip
        try:
            store.local_modules.discard_draft(db, actor(), system_id, editing.revision)
        except store.StoreError as exc:
            show_error(exc)
        else:
            flash("Draft discarded: bring it back with 'Bring back the discarded draft' until anything else is saved",
                  where=_note(system_id))  # fmt: skip
            st.rerun()

    with st.expander("Use a workbook instead"):
        st.download_button(
            "Download the template (Excel)",
            lambda: local_workbook.template_xlsx(module if module.items else None),  # made when asked for
            file_name="local-items-template.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_template",
            on_click="ignore",
        )
        upload = st.file_uploader(
            "Upload the filled-in template",
            type=["xlsx"],
            key=f"{key}_upload",
            max_upload_size=local_workbook.MAX_BYTES // 1048576,
        )
        if upload is not None and st.button("Replace the draft with the workbook's items", key=f"{key}_use"):
            try:
                rows = local_workbook.read_xlsx(upload.getvalue(), upload.name)
                local_items.validate(rows, title, about, complete=True)
            except (LocalItemsError, store.StoreError) as exc:
                problems = getattr(exc, "problems", ())
                st.error(plain(f"Nothing was changed. {upload.name}: " + (str(exc) if not problems else
                         "fix these and upload it again:")), icon=":material/error:")  # fmt: skip
                for problem in problems:
                    st.markdown(f"- {plain(problem)}")
            else:
                _save(system_id, rows, title, about, editing)

    if not versions.empty:
        st.caption("Every published version (rounds keep the version they started with):")
        st.dataframe(
            pd.DataFrame(
                {
                    "Version": versions["version"],
                    "Title": versions["title"],
                    "Items": versions["item_count"],
                    "Published": versions["published_at"].map(formatting.moment),
                    "By": versions["published_by"],
                    "Note": versions["note"],
                }
            ),
            hide_index=True,
        )

"""Assess: files attached to an item's evidence: attach (type checked from the content), download, remove, restore."""

from __future__ import annotations

import streamlit as st

from checklist import evidence_files, store
from checklist.framework import Framework
from ui.assess.saving import save_failed, say_saved
from ui.assess.wording import worded
from ui.common import actor, open_db, open_fresh, plain


def _upload(assessment_id: int, item_id: str, key: str, counter: str) -> None:
    upload = st.session_state.get(key)
    if upload is None:
        return
    try:
        evidence_files.attach(open_db(), actor(), assessment_id, item_id, upload.name, upload.getvalue())
    except store.StoreError as exc:
        st.session_state[f"assess_file_error_{assessment_id}_{item_id}"] = f"{upload.name} was not attached: {exc}"
    else:
        say_saved(f"Attached {upload.name}")
    st.session_state[counter] = st.session_state.get(counter, 0) + 1  # a fresh uploader: the file is not sent twice


def _removed(file_id: int, name: str, removed: bool) -> None:
    try:
        evidence_files.set_removed(open_db(), actor(), file_id, removed)
    except store.StoreError as exc:
        save_failed(exc, f"{name}")
    else:
        say_saved(f"{'Removed' if removed else 'Restored'} {name}")


def files_panel(assessment: dict, fw: Framework, item_id: str, locked: bool, easy: bool) -> None:
    """The item's files: each offered only as a download; attaching and removing while the round is a draft."""
    aid = assessment["id"]
    files = evidence_files.listed(open_db(), aid, include_removed=True)
    files = files[files["item_id"] == item_id]
    shown, gone = files[files["removed_at"].isna()], files[files["removed_at"].notna()]
    # Who is reading, as this run checked them: the download is made on its own thread, outside the page's run,
    # and content() asks again whether this person (with their roles as they stand then) may read the round.
    reader = actor()
    if not shown.empty:
        st.markdown(f"**{worded(fw, easy, 'files_heading', 'Files')}**")
    for row in shown.itertuples():
        st.text(f"{row.name} · {row.kind}, {evidence_files.size_words(int(row.size))}")
        button, remove = st.columns(2, vertical_alignment="center")
        file_id = int(row.id)
        button.download_button(
            worded(fw, easy, "file_download", "Download"),
            lambda file_id=file_id: evidence_files.content(open_fresh(), reader, file_id)[2],
            file_name=row.name,
            mime="application/octet-stream",  # served as a download, never opened in the browser
            key=f"assess_file_get_{file_id}",
            icon=":material/download:",
            on_click="ignore",
        )
        if not locked:
            remove.button(worded(fw, easy, "file_remove", "Remove"), key=f"assess_file_rm_{file_id}",
                          on_click=_removed, args=(file_id, row.name, True), type="tertiary")  # fmt: skip
    for row in gone.itertuples():
        words, back = st.columns([5, 1], vertical_alignment="center")
        words.caption(f"Removed: {plain(row.name)}")
        if not locked:
            back.button(worded(fw, easy, "restore", "Restore"), key=f"assess_file_back_{int(row.id)}",
                        on_click=_removed, args=(int(row.id), row.name, False), type="tertiary")  # fmt: skip
    if locked:
        return
    counter = f"assess_file_n_{aid}_{item_id}"
    key = f"assess_file_{aid}_{item_id}_{st.session_state.get(counter, 0)}"
    st.file_uploader(
        worded(fw, easy, "attach_file", "Attach a file (PDF, Word, Excel, PowerPoint, an image or text)"),
        key=key,
        on_change=_upload,
        args=(aid, item_id, key, counter),
        help=f"Up to {evidence_files.max_bytes() // 1048576} MB. The type is checked from the file itself.",
        max_upload_size=evidence_files.max_bytes() // 1048576,  # the browser refuses a bigger file before sending it
    )
    if message := st.session_state.pop(f"assess_file_error_{aid}_{item_id}", None):
        st.error(plain(message), icon=":material/error:")  # beside the uploader: what was wrong, what is allowed

"""Files for downloads never stay on the server: built in memory, dropped once downloaded or after a short time,
and what earlier versions left on disk is swept away."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from checklist import clock, downloads, exports, store
from tests.conftest import ACTOR

APP = str(Path(__file__).resolve().parent.parent / "router.py")


def _manage(db_path: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv(store.DB_ENV_VAR, str(db_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/manage.py")
    return at.run()


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_excel_export_is_built_in_memory_and_dropped_once_downloaded(demo_path, tmp_path, monkeypatch):
    home = tmp_path / "server"
    home.mkdir()
    (home / "copy.db").write_bytes(demo_path.read_bytes())
    at = _manage(home / "copy.db", monkeypatch)
    on_disk = _files(home)
    at.button(key="manage_export_prepare").click().run()
    assert not at.exception
    assert _files(home) == on_disk, "nothing written beside the database"
    ready = at.session_state["manage_export_ready"]
    assert ready.data[:2] == b"PK" and len(ready.data) > 10_000, "the workbook, in memory"
    button = next(b for b in at.get("download_button") if b.label == "Download the Excel export")
    button.click().run()  # the browser has the file now
    assert "manage_export_ready" not in at.session_state
    assert any(b.label == "Export everything (Excel)" for b in at.button)


def test_an_export_nobody_downloads_is_dropped_after_a_short_time(demo_path, tmp_path, monkeypatch):
    (tmp_path / "copy.db").write_bytes(demo_path.read_bytes())
    at = _manage(tmp_path / "copy.db", monkeypatch)
    at.button(key="manage_export_prepare").click().run()
    assert at.session_state["manage_export_ready"]
    with clock.frozen(clock.now() + downloads.KEEP_FOR + timedelta(seconds=1)):
        at.run()
    assert "manage_export_ready" not in at.session_state
    assert any("was dropped" in c.value for c in at.caption), "the page says why the download went"


def test_files_earlier_versions_left_for_downloads_are_swept(tmp_path):
    db_path = tmp_path / "maturity.db"
    exports_dir, backups_dir = tmp_path / "exports", tmp_path / "backups"
    exports_dir.mkdir()
    backups_dir.mkdir()
    (exports_dir / "maturity-export-2026-11-01.xlsx").write_bytes(b"PK old workbook")
    (exports_dir / "maturity-export-2026-11-01.xlsx.partial").write_bytes(b"PK half")
    stale_upload, fresh_upload = backups_dir / "uploaded-abc.db", backups_dir / "uploaded-def.db"
    stale_upload.write_bytes(b"SQLite format 3\x00 someone's data")
    fresh_upload.write_bytes(b"SQLite format 3\x00 being restored now")
    keep = backups_dir / "before-restore-20261101T000000000000Z.db"
    keep.write_bytes(b"SQLite format 3\x00 an undo")
    old = time.time() - downloads.KEEP_FOR.total_seconds() - 60
    os.utime(stale_upload, (old, old))

    now = datetime.fromtimestamp(time.time(), UTC)  # files carry the real clock's times, not the frozen one
    removed = downloads.sweep(db_path, now)

    names = ["maturity-export-2026-11-01.xlsx", "maturity-export-2026-11-01.xlsx.partial", "uploaded-abc.db"]
    assert sorted(p.name for p in removed) == names
    assert not exports_dir.exists() and fresh_upload.exists() and keep.exists()
    assert downloads.sweep(db_path, now) == [], "a second sweep finds nothing"


def test_the_backup_download_is_built_in_memory(tmp_path, monkeypatch):
    db = store.connect(tmp_path / "live.db")
    store.create_system(db, "Backed up ICS", ACTOR)

    def no_files(*_args, **_kwargs):
        raise AssertionError("a download must not write a file")

    for name in ("TemporaryDirectory", "NamedTemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, no_files)
    data = store.backup_bytes(db)
    copy = tmp_path / "downloaded.db"
    copy.write_bytes(data)
    assert data[18:20] == b"\x01\x01", "a self-contained file, not one that needs a write-ahead log beside it"
    assert store.check_backup(copy)["systems"] == 1
    assert sqlite3.connect(copy).execute("SELECT name FROM systems").fetchall() == [("Backed up ICS",)]


def test_an_export_stopped_half_way_leaves_no_rows_in_the_temporary_folder(demo_path, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    db = store.connect(demo_path)

    def stop(sheet: str, rows: int) -> None:
        if rows:
            raise KeyboardInterrupt("the browser tab was closed")

    monkeypatch.setattr(exports, "PROGRESS_ROWS", 10)
    with pytest.raises(KeyboardInterrupt):
        exports.write_xlsx(db, exports.assessment_ids(db), tmp_path / "out.xlsx", progress=stop)
    assert _files(scratch) == []

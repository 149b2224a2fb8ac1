"""A database that cannot be used (busy, full, damaged, unreachable, mistyped) gets one clear line in the
CLI (exit 1, no traceback) and a clear page in the app; nothing already saved is damaged, and it recovers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from checklist import store
from tests.conftest import ACTOR, ROOT
from tests.test_pages import APP


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checklist", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=60)  # fmt: skip


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "data.db"
    db = store.connect(path)
    store.create_system(db, "Safe ICS", ACTOR)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


def _one_line_error(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")
    assert words in result.stderr, result.stderr


def test_a_database_busy_past_the_timeout_says_so_and_works_once_free(saved):
    holder = sqlite3.connect(saved)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = _cli("users", "add", "a@example.nhs.uk", "--db", str(saved), env={"CHECKLIST_BUSY_TIMEOUT_MS": "300"})
        _one_line_error(result, "is busy: another program has held it")
    finally:
        holder.rollback()
        holder.close()
    assert _cli("list", "--db", str(saved)).returncode == 0, "recovers when the other program lets go"


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda p: p.write_bytes(b"this is not a database at all" * 100), "is damaged and cannot be read"),
        (lambda p: p.write_bytes(p.read_bytes()[:1500]), "is damaged and cannot be read"),
    ],
    ids=["scribbled", "truncated"],
)
def test_a_damaged_file_is_reported_not_overwritten(saved, damage, words):
    damage(saved)
    before = saved.read_bytes()
    _one_line_error(_cli("list", "--db", str(saved)), words)
    _one_line_error(_cli("demo", "--db", str(saved)), words)
    assert saved.read_bytes() == before, "nothing was written to the damaged file"


def test_a_path_under_a_regular_file_or_a_mistyped_path_creates_nothing(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    _one_line_error(_cli("demo", "--db", str(blocker / "data.db")), "cannot be opened")
    typo = tmp_path / "dtaa" / "maturity.db"
    _one_line_error(_cli("list", "--db", str(typo)), "there is no database at")
    assert not typo.parent.exists(), "a read command never creates folders or an empty database"


def test_a_full_disk_is_said_plainly_and_keeps_what_was_saved(saved):
    db = store.connect(saved)
    db.execute("PRAGMA max_page_count = " + str(db.execute("PRAGMA page_count").fetchone()[0]))
    with pytest.raises(store.DatabaseUnavailable, match="is full. Nothing was saved"):
        for n in range(2000):
            store.create_system(db, f"Filler {n} " + "x" * 100, ACTOR)
    db.close()
    assert "Safe ICS" in store.list_systems(store.connect(saved))["name"].tolist()


def test_the_app_shows_a_clear_page_for_a_damaged_database(saved, monkeypatch):
    saved.write_bytes(b"scribbled" * 500)
    monkeypatch.setenv(store.DB_ENV_VAR, str(saved))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["The data cannot be reached just now"]
    assert "is damaged and cannot be read" in at.error[0].value


def _read_only_mount_works() -> bool:
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(
    not _read_only_mount_works(), reason="needs a private mount namespace (root) for a read-only folder"
)
def test_a_read_only_folder_still_reads_and_refuses_writes_plainly(saved):
    # The folder is bind-mounted read-only in a private mount namespace: even root cannot write there.
    folder = saved.parent
    script = (
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
        f"{sys.executable} -m checklist list --db {saved}; echo EXIT $?; "
        f"{sys.executable} -m checklist users add a@example.nhs.uk --db {saved}; echo EXIT $?"
    )
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)  # fmt: skip
    assert "EXIT 0" in result.stdout, "reading still works"
    assert "EXIT 1" in result.stdout and "Traceback" not in result.stderr
    assert "cannot be written (read-only). Reading still works" in result.stderr
    assert store.list_systems(store.connect(saved))["name"].tolist() == ["Safe ICS"], "nothing was lost"

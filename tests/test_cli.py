"""The command line: every command documented in --help, usable in scripts (exit codes, one-line errors)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from checklist import store
from checklist.cli import COMMANDS_HELP, main
from tests.conftest import ROOT


def _run(*args: str, env_db=None) -> subprocess.CompletedProcess:
    env = None
    if env_db is not None:
        import os

        env = {**os.environ, store.DB_ENV_VAR: str(env_db)}
    return subprocess.run([sys.executable, "-m", "checklist", *args], capture_output=True, text=True, cwd=ROOT, env=env)


def test_help_lists_every_command():
    result = _run("--help")
    assert result.returncode == 0
    for command in COMMANDS_HELP:
        assert command in result.stdout


@pytest.mark.parametrize("command", list(COMMANDS_HELP))
def test_each_command_has_help(command):
    result = _run(command, "--help")
    assert result.returncode == 0 and "usage: python -m checklist" in result.stdout


def test_demo_then_list_then_score(tmp_path, capsys):
    db = tmp_path / "cli.db"
    assert main(["demo", "--db", str(db)]) == 0
    assert "2 systems, 8 places, 32 assessments" in capsys.readouterr().out
    assert main(["list", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "Ashby Vale" in listing and "2026 Q4" in listing and "draft" in listing
    assert main(["score", "1", "--db", str(db)]) == 0
    expected = store.score(store.connect(db), 1)
    assert f"overall {expected.overall:.2f} {expected.band}" in capsys.readouterr().out


def test_demo_if_empty_leaves_data_alone(tmp_path, capsys):
    db = tmp_path / "cli.db"
    main(["demo", "--db", str(db)])
    capsys.readouterr()
    assert main(["demo", "--if-empty", "--db", str(db)]) == 0
    assert "already holds data; demo not added" in capsys.readouterr().out
    assert main(["demo", "--db", str(db)]) == 1


def test_environment_variable_chooses_the_database(tmp_path):
    db = tmp_path / "env.db"
    result = _run("init", env_db=db)
    assert result.returncode == 0 and str(db) in result.stdout
    assert db.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "9999"], "error: no assessment with id 9999"),
        (["score", "seven"], "invalid int value: 'seven'"),
        (["explode"], "invalid choice: 'explode'"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(tmp_path, args, message):
    store.connect(tmp_path / "x.db").close()
    result = _run(*args, "--db", str(tmp_path / "x.db")) if args[0] != "explode" else _run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_framework_command_lists_every_item():
    result = _run("framework")
    assert result.returncode == 0
    assert "version 1.0: 7 domains, 25 items" in result.stdout
    assert "workforce-diversity" in result.stdout and "(optional module)" in result.stdout


def test_export_backup_and_restore_round(tmp_path, capsys):
    db = tmp_path / "cli.db"
    main(["demo", "--db", str(db)])
    assert main(["export", "--db", str(db), "--place", "2", "--out", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("system,place,round,date,status,framework_version,item_id")
    assert main(["export", "--db", str(db), "--format", "xlsx", "--out", str(tmp_path / "all.xlsx")]) == 0
    assert (tmp_path / "all.xlsx").read_bytes()[:2] == b"PK"
    assert main(["backup", "--db", str(db), "--out", str(tmp_path / "snap.db")]) == 0
    fresh = tmp_path / "fresh.db"
    assert main(["restore", "--db", str(fresh), str(tmp_path / "snap.db")]) == 0
    assert "restore that to undo" in capsys.readouterr().out
    assert len(store.list_assessments(store.connect(fresh))) == 32
    assert list((tmp_path / "backups").glob("before-restore-*.db"))


def test_failed_commands_leave_no_file_behind(tmp_path):
    store.connect(tmp_path / "x.db").close()
    result = _run("export", "--db", str(tmp_path / "x.db"), "--assessment", "42", "--out", str(tmp_path / "o.csv"))
    assert result.returncode == 1 and "no assessment with id 42" in result.stderr
    assert list(tmp_path.glob("o.csv*")) == []
    result = _run("restore", "--db", str(tmp_path / "x.db"), str(tmp_path / "missing.db"))
    assert result.returncode == 1 and "does not exist" in result.stderr


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00" * 40, b'x"y\rz,w"\r,v\x01\x02' * 40, bytes(range(1, 256)) * 8],
    ids=["png", "bare-carriage-return", "every-byte"],
)
def test_a_binary_file_renamed_csv_gets_one_line_not_a_traceback(tmp_path, data):
    store.connect(tmp_path / "x.db").close()
    (tmp_path / "photo.csv").write_bytes(data)
    result = _run("import", "--db", str(tmp_path / "x.db"), str(tmp_path / "photo.csv"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: photo.csv:") and len(result.stderr.strip().splitlines()) == 1
    assert store.list_assessments(store.connect(tmp_path / "x.db")).empty


def test_import_is_all_or_nothing_and_says_why(tmp_path, capsys):
    db = tmp_path / "cli.db"
    main(["demo", "--db", str(db)])
    main(["export", "--db", str(db), "--out", str(tmp_path / "all.csv")])
    fresh = tmp_path / "fresh.db"
    result = _run("import", "--db", str(fresh), str(tmp_path / "all.csv"))
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    rows = len(pd.read_csv(tmp_path / "all.csv"))  # one unknown unit per row
    assert first.startswith(f"error: {rows} problem(s) found; nothing was imported") and "create-missing" in first
    assert f"… and {rows - 20} more" in result.stderr
    assert store.list_assessments(store.connect(fresh)).empty
    assert main(["import", "--db", str(fresh), "--create-missing", str(tmp_path / "all.csv")]) == 0
    assert "32 created, 0 replaced, 0 skipped" in capsys.readouterr().out
    assert main(["import", "--db", str(fresh), "--existing", "replace", str(tmp_path / "all.csv")]) == 0
    assert "0 created, 32 replaced, 0 skipped" in capsys.readouterr().out


def test_report_writes_a_pdf(tmp_path):
    db = tmp_path / "cli.db"
    main(["demo", "--db", str(db)])
    assert (
        main(["report", "--db", str(db), "--assessment", "1", "--format", "html", "--out", str(tmp_path / "r.html")])
        == 0
    )
    assert "<h2>Headline</h2>" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert main(["report", "--db", str(db), "--assessment", "1", "--out", str(tmp_path / "r.pdf")]) == 0
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_the_first_admin_is_made_from_the_command_line_and_roles_name_real_units(tmp_path, capsys):
    db = tmp_path / "users.db"
    assert main(["demo", "--db", str(db)]) == 0
    capsys.readouterr()
    assert (
        main(["users", "add", "admin@example.nhs.uk", "--name", "Ada Admin", "--role", "admin", "--db", str(db)]) == 0
    )
    assert main(["users", "add", "lead@example.nhs.uk", "--role", "lead", "--system", "northmoor and vale ics",
                 "--place", "Nowhere", "--db", str(db)]) == 1  # fmt: skip
    assert "has no place called 'Nowhere'" in capsys.readouterr().err
    assert main(["users", "list", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "admin@example.nhs.uk\tAda Admin\tadmin · every system" in listing
    assert "lead@example.nhs.uk" not in listing, "a typo in the unit adds nobody"
    assert main(["users", "disable", "admin@example.nhs.uk", "--db", str(db)]) == 0
    assert main(["users", "list", "--db", str(db)]) == 0
    assert "(disabled)" in capsys.readouterr().out


def test_privacy_commands_export_and_erase_a_person(tmp_path, capsys):
    db = tmp_path / "privacy.db"
    assert main(["demo", "--db", str(db)]) == 0
    out = tmp_path / "person.json"
    assert main(["privacy", "export", "demo data", "--out", str(out), "--db", str(db)]) == 0
    found = json.loads(out.read_text(encoding="utf-8"))
    assert found["person"] == "demo data" and len(found["changes"]) > 100, "the demo's author made every change"
    assert main(["privacy", "erase", "nobody-at-all", "--db", str(db)]) == 1
    assert "nobody called 'nobody-at-all'" in capsys.readouterr().err
    assert main(["privacy", "forget-names", "--days", "0", "--db", str(db)]) == 0
    assert "removed the names of" in capsys.readouterr().out

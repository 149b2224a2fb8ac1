"""The command line: every command documented in --help, usable in scripts (exit codes, one-line errors).

Most tests run the installed `checklist` script (what `make install` puts in .venv/bin), as a user does.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from checklist import store
from checklist.cli import COMMANDS_HELP, EXIT_PIPE_CLOSED, main
from checklist.framework import current_framework
from tests.conftest import ACTOR, ROOT
from tests.test_imports import copy_local_items

# The script pip writes beside the Python running the tests (.venv/bin/checklist).
CHECKLIST = Path(sys.executable).parent / "checklist"


def _run(*args: str, env_db=None) -> subprocess.CompletedProcess:
    assert CHECKLIST.exists(), f"no {CHECKLIST}: run `make install` (pip install -e .) to install the command"
    env = None
    if env_db is not None:
        env = {**os.environ, store.DB_ENV_VAR: str(env_db)}
    return subprocess.run([str(CHECKLIST), *args], capture_output=True, text=True, cwd=ROOT, env=env)


def test_help_lists_every_command():
    result = _run("--help")
    assert result.returncode == 0
    for command in COMMANDS_HELP:
        assert command in result.stdout


@pytest.mark.parametrize("command", list(COMMANDS_HELP))
def test_each_command_has_help(command):
    result = _run(command, "--help")
    assert result.returncode == 0 and f"usage: checklist {command}" in result.stdout


def test_python_dash_m_is_the_same_command():
    installed = _run("--help")
    module = subprocess.run([sys.executable, "-m", "checklist", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert module.returncode == installed.returncode == 0
    assert module.stdout == installed.stdout


def test_a_python_without_the_apps_libraries_says_which_to_use():
    """The first-time user's `python -m checklist --help` with the system's Python: one line naming the fix."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # -S leaves out site-packages: this Python then finds the project's code (the current folder) but no libraries.
    result = subprocess.run([sys.executable, "-S", "-m", "checklist", "--help"], capture_output=True, text=True,
                            cwd=ROOT, env=env)  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and "is not installed for" in result.stderr
    assert "make install" in result.stderr and ".venv/bin/checklist" in result.stderr


def test_demo_then_list_then_score(tmp_path, capsys):
    db = tmp_path / "cli.db"
    assert main(["demo", "--db", str(db)]) == 0
    assert "2 systems, 8 places, 32 assessments" in capsys.readouterr().out
    assert main(["list", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "Ashby Vale" in listing and "2026 Q4" in listing and "draft" in listing
    assert main(["score", "1", "--db", str(db)]) == 0
    expected = store.score(store.connect(db), 1)
    assert f"Overall score {expected.overall:.2f} · {expected.band}" in capsys.readouterr().out


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
    copy_local_items(store.connect(db), store.connect(fresh))  # the local items its answers belong to
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
    assert "admin@example.nhs.uk\tAda Admin\tservice admin · every system" in listing
    assert not any(line.startswith("lead@example.nhs.uk\t") for line in listing.splitlines()), "a typo adds nobody"
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


# A system whose name is longer than any column once was (the list cut "Northmoor and Vale ICS (whole syste"),
# two places of one name in different systems, a name with an accent, and more places than an error lists.
LONG_SYSTEM = "Northmoor and Vale Integrated Care System (the partnership of the moorland districts and river valleys)"
OTHER_SYSTEM = "Southdown Coast ICS"
MORE_PLACES = [f"Outlying Place {n}" for n in range(1, 12)]


@pytest.fixture
def units(tmp_path) -> SimpleNamespace:
    """A database of the units above, each with one round (dates fixed), as the CLI sees them."""
    path = tmp_path / "units.db"
    db = store.connect(path)
    long_id = store.create_system(db, LONG_SYSTEM, ACTOR)
    other_id = store.create_system(db, OTHER_SYSTEM, ACTOR)
    fenwick_long = store.create_place(db, long_id, "Fenwick Moor", ACTOR)
    ynys_mon = store.create_place(db, long_id, "Ynys Môn", ACTOR)
    fenwick_other = store.create_place(db, other_id, "Fenwick Moor", ACTOR)
    for name in MORE_PLACES:
        store.create_place(db, other_id, name, ACTOR)
    rounds = {
        unit: store.create_assessment(db, system_id, place_id, "2026 Q1", "2026-03-31", ACTOR)
        for unit, system_id, place_id in [("whole", long_id, None), ("fenwick_long", long_id, fenwick_long),
                                          ("ynys_mon", long_id, ynys_mon), ("fenwick_other", other_id, fenwick_other),
                                          ("other_whole", other_id, None)]
    }  # fmt: skip
    db.close()
    return SimpleNamespace(path=path, long_id=long_id, other_id=other_id, fenwick_long=fenwick_long,
                           ynys_mon=ynys_mon, fenwick_other=fenwick_other, rounds=rounds)  # fmt: skip


def test_list_has_a_header_whole_names_and_the_ids_of_systems_and_places(units):
    result = _run("list", "--db", str(units.path))
    assert result.returncode == 0 and result.stderr == ""
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "Round", "Date", "Status", "Answered", "System", "(ID)", "Place", "(ID)"]
    assert set(rule) == {"-", " "}
    expected = {
        "whole": f"{LONG_SYSTEM} ({units.long_id})  (whole system)",
        "fenwick_long": f"{LONG_SYSTEM} ({units.long_id})  Fenwick Moor ({units.fenwick_long})",
        "ynys_mon": f"{LONG_SYSTEM} ({units.long_id})  Ynys Môn ({units.ynys_mon})",
        "fenwick_other": f"{OTHER_SYSTEM} ({units.other_id})",
        "other_whole": f"{OTHER_SYSTEM} ({units.other_id})",
    }
    assert len(rows) == len(units.rounds)
    for unit, assessment_id in units.rounds.items():
        row = next(r for r in rows if r.split()[0] == str(assessment_id))
        assert expected[unit] in row and "2026 Q1  2026-03-31  draft" in row
        assert row.index("draft") == header.index("Status"), "every row's columns line up under the header"
    assert f"Fenwick Moor ({units.fenwick_other})" in result.stdout


def test_score_names_every_domain_and_item_with_its_answer(units):
    framework = current_framework()
    assessment_id = units.rounds["fenwick_long"]
    first, second, third, *rest = framework.items_for(False)
    db = store.connect(units.path)
    store.save_response(db, assessment_id, first.id, ACTOR, level=3, target_level=4)
    store.save_response(db, assessment_id, second.id, ACTOR, answer="dont_know")
    store.save_response(db, assessment_id, third.id, ACTOR, answer="not_applicable", na_reason="No such service")
    expected = store.score(db, assessment_id)
    db.close()
    result = _run("score", str(assessment_id), "--db", str(units.path))
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"Fenwick Moor, {LONG_SYSTEM} · 2026 Q1 · 2026-03-31 · draft (framework {framework.version})"
    assert lines[1] == (f"Overall score {expected.overall:.2f} · {expected.band}; "
                        f"3 of {expected.total} items answered (1 don't know, 1 not applicable)")  # fmt: skip

    def line_of(title: str, indent: str = "") -> str:
        found = [line for line in lines if line.startswith(indent + title + "  ") or line == indent + title]
        assert len(found) == 1, f"{title!r} is not on a line of its own, whole"
        return found[0]

    for domain in framework.domains_for(False):
        assert domain.title in result.stdout
        assert "-" not in domain.id or domain.id not in result.stdout, "internal ids such as governance-vision stay in"
    assert re.split(r" {2,}", line_of(first.title, "  ").strip()) == [first.title, "3 · Maturing", "4 · Thriving"]
    assert line_of(second.title, "  ").rstrip().endswith("Don't know")
    assert line_of(third.title, "  ").rstrip().endswith("Not applicable")
    for item in rest:
        assert line_of(item.title, "  ").rstrip().endswith("Not answered")
    domain_rows = [re.split(r" {2,}", line) for line in lines if "/" in line]
    for domain in expected.domains:
        assert [framework.domain(domain.domain_id).title, f"{domain.score:.2f}" if domain.score is not None else "—",
                domain.band or "—", f"{domain.answered}/{domain.total}"] in domain_rows  # fmt: skip


EXPORTS_BY_NAME = [
    # (arguments, the units whose rounds are exported)
    (["--place", "fenwick moor", "--system", LONG_SYSTEM.upper()], {"fenwick_long"}),
    (["--place", "FENWICK_OTHER"], {"fenwick_other"}),  # an id, filled in below
    (["--place", "YNYS MÔN"], {"ynys_mon"}),
    (["--place", "  Ynys   Môn "], {"ynys_mon"}),
    (["--system", "southdown coast ics"], {"fenwick_other", "other_whole"}),
    (["--system", "LONG_ID"], {"whole", "fenwick_long", "ynys_mon"}),
]


def _with_ids(args: list[str], units: SimpleNamespace) -> list[str]:
    ids = {"FENWICK_OTHER": units.fenwick_other, "LONG_ID": units.long_id}
    return [str(ids.get(a, a)) for a in args]


@pytest.mark.parametrize(("args", "exported"), EXPORTS_BY_NAME)
def test_places_and_systems_are_named_by_name_or_id(units, tmp_path, args, exported):
    out = tmp_path / "out.csv"
    result = _run("export", "--db", str(units.path), *_with_ids(args, units), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"exported {len(exported)} assessment(s)")
    frame = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    names = {"whole": (LONG_SYSTEM, ""), "fenwick_long": (LONG_SYSTEM, "Fenwick Moor"),
             "ynys_mon": (LONG_SYSTEM, "Ynys Môn"), "fenwick_other": (OTHER_SYSTEM, "Fenwick Moor"),
             "other_whole": (OTHER_SYSTEM, "")}  # fmt: skip
    assert set(zip(frame["system"], frame["place"], strict=True)) == {names[unit] for unit in exported}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--place", "Fenwick Moor"], f"error: 'Fenwick Moor' names 2 places: Fenwick Moor in {LONG_SYSTEM} (id "
                                      "FENWICK_LONG); Fenwick Moor in Southdown Coast ICS (id FENWICK_OTHER); give its "
                                      "id, or the system with --system"),
        (["--place", "Fenwik Moor"], "error: no place called 'Fenwik Moor'; did you mean 'Fenwick Moor'? expected a "
                                     "place's name or id (`checklist list` shows them)"),
        (["--place", "999"], "error: no place with id 999; "),
        (["--system", "Northmoor"], f"error: no system called 'Northmoor'; expected one of: {LONG_SYSTEM} (id "
                                    "LONG_ID); Southdown Coast ICS (id OTHER_ID)"),
        (["--system", "Southdown Coast ICS", "--place", "Ynys Môn"], "error: Southdown Coast ICS has no place called "
                                                                     "'Ynys Môn'; expected one of: Fenwick Moor (id "
                                                                     "FENWICK_OTHER); Outlying Place 1 (id"),
        (["--system", "LONG_ID", "--place", "FENWICK_OTHER"], f"error: {LONG_SYSTEM} has no place with id "
                                                              "FENWICK_OTHER; expected one of: Fenwick Moor (id "
                                                              "FENWICK_LONG); Ynys Môn (id YNYS_MON)"),
        (["--assessment", "1", "--place", "1"], "error: --assessment names one round already"),
    ],
)  # fmt: skip
def test_an_unknown_or_ambiguous_unit_gets_one_line_saying_what_was_expected(units, tmp_path, args, message):
    ids = {"FENWICK_LONG": units.fenwick_long, "FENWICK_OTHER": units.fenwick_other, "LONG_ID": units.long_id,
           "OTHER_ID": units.other_id, "YNYS_MON": units.ynys_mon}  # fmt: skip
    for key, value in ids.items():
        message = message.replace(key, str(value))
    args = [str(ids.get(a, a)) for a in args]
    result = _run("export", "--db", str(units.path), *args, "--out", str(tmp_path / "out.csv"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert list(tmp_path.glob("out.csv*")) == []


def test_report_and_users_take_names_or_ids_too(demo_path, tmp_path, capsys):
    out = tmp_path / "comparison.html"
    assert main(["report", "--db", str(demo_path), "--system", "southdown coast ics", "--format", "html",
                 "--out", str(out)]) == 0  # fmt: skip
    page = out.read_text(encoding="utf-8")
    assert "Southdown Coast ICS" in page and "Harbourside" in page and "Ashby Vale" not in page
    assert main(["report", "--db", str(demo_path), "--system", "2", "--format", "html", "--out", str(out)]) == 0
    assert main(["report", "--db", str(demo_path), "--system", "Nowhere", "--out", str(out)]) == 1
    assert "no system called 'Nowhere'; expected one of: Northmoor and Vale ICS (id 1)" in capsys.readouterr().err
    assert main(["users", "add", "lead@example.nhs.uk", "--role", "lead", "--system", "1", "--place", "ASHBY VALE",
                 "--db", str(demo_path)]) == 0  # fmt: skip
    assert main(["users", "list", "--db", str(demo_path)]) == 0
    assert "lead@example.nhs.uk\t\tlead · Ashby Vale" in capsys.readouterr().out


def _rounds_of_one_long_named_unit(path: Path, count: int) -> None:
    db = store.connect(path)
    system_id = store.create_system(db, LONG_SYSTEM, ACTOR)
    for n in range(count):
        store.create_assessment(db, system_id, None, f"Round {n + 1}", "2026-03-31", ACTOR)
    db.close()


PIPE_PAGE = 4096  # the smallest pipe Linux makes (one page)


@pytest.mark.parametrize("command", ["framework", "list"])
def test_a_reader_that_stops_after_one_line_ends_the_command_quietly(tmp_path, command):
    """`checklist framework | head -1`: no message, and the exit code a shell gives a program ended by SIGPIPE."""
    args = [command]
    if command == "list":
        _rounds_of_one_long_named_unit(tmp_path / "many.db", 40)
        args += ["--db", str(tmp_path / "many.db")]
    whole = _run(*args)
    assert whole.returncode == 0
    # The pipe holds one page and the reader takes one line: the command is still writing when the reader goes,
    # however fast or loaded the machine (a test that ended before the reader did would prove nothing).
    assert len(whole.stdout.encode()) > PIPE_PAGE + 2 * len(whole.stdout.splitlines()[0].encode())
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_PAGE)
    with subprocess.Popen([str(CHECKLIST), *args], stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT) as proc:
        os.close(write_end)
        first = b""
        while not first.endswith(b"\n"):
            first += os.read(read_end, 1)  # a byte at a time: the reader takes the first line and nothing more
        os.close(read_end)
        errors = proc.stderr.read()
        assert proc.wait(timeout=60) == EXIT_PIPE_CLOSED
    assert first.decode() == whole.stdout.splitlines(keepends=True)[0]
    assert errors == b""

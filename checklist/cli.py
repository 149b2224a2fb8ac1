"""Command line: `checklist COMMAND [--db PATH]` (installed with the package; `python -m checklist` is the same).
A thin layer over checklist.store."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import unicodedata
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checklist import (
    access,
    clock,
    demo,
    exports,
    formatting,
    imports,
    privacy,
    reminders,
    reports,
    restoring,
    store,
    workshops,
)
from checklist.framework import FrameworkError, current_framework, registry
from checklist.scoring import DONT_KNOW, NOT_APPLICABLE
from checklist.store import DRIVER_ERRORS

if TYPE_CHECKING:
    import sqlite_utils

PROG = "checklist"
# What a shell reports for a program ended by SIGPIPE (128 + 13): a reader that stopped early (`| head`).
EXIT_PIPE_CLOSED = 141

COMMANDS_HELP = {
    "init": "create the database (or bring its schema up to date) and say where it is",
    "demo": "fill an empty database with the deterministic demo systems, places and rounds",
    "framework": "check every framework version loads, and list its domains and items",
    "list": "list assessments with their unit, round, status and completion",
    "score": "print the item, domain and overall scores of one assessment",
    "export": "write assessments as tidy CSV (one row per assessment and item) or an Excel workbook",
    "import": "read assessments from CSV or Excel (the export's layout, or one row per unit and round); all or nothing",
    "template": "write a blank Excel workbook for one assessment, to fill offline and import back",
    "report": "write the board report of one assessment, or a comparison of a system's places, as PDF, Word or HTML",
    "backup": "write a consistent snapshot of the whole database to a file",
    "restore": "replace the database with a checked backup, keeping a backup of what was there first",
    "notify": "send today's reminder digests by e-mail, each person's once (for cron; safe to run again)",
    "systems": "list the systems, or add one with its first system admin (who then runs it from the app)",
    "users": "list, add or disable the people who may sign in (shared mode), and give them roles",
    "privacy": "forget participants' names after the retention period, or export or erase one person's data",
}


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=store.db_argument,
        default=None,
        help=f"SQLite database file or postgresql:// address (default: ${store.DB_ENV_VAR} or data/maturity.db)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="ICS physical activity maturity framework: database and framework tools.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in COMMANDS_HELP.items():
        cmd = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        if name != "framework":
            _db_arg(cmd)
        if name == "demo":
            cmd.add_argument("--seed", type=int, default=demo.DEMO_SEED, help="random seed (default: %(default)s)")
            cmd.add_argument(
                "--if-empty",
                action="store_true",
                help="do nothing (and succeed) when the database already holds data",
            )
        if name == "score":
            cmd.add_argument("assessment_id", type=int, metavar="ID", help="the assessment's id (see `list`)")
        if name == "export":
            cmd.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="default: %(default)s")
            cmd.add_argument("--out", type=Path, required=True, help="file to write")
            cmd.add_argument("--assessment", type=int, metavar="ID", help="one assessment, by its id (see `list`)")
            cmd.add_argument("--place", metavar="NAME|ID", help="every round of one place (with --system: its place)")
            cmd.add_argument("--system", metavar="NAME|ID", help="every assessment in one system")
        if name == "import":
            cmd.add_argument("file", type=Path, help="a .csv or .xlsx file")
            cmd.add_argument(
                "--existing",
                choices=("skip", "replace"),
                default="skip",
                help="what to do with a round the unit already has (default: %(default)s; replace keeps history)",
            )
            cmd.add_argument("--create-missing", action="store_true", help="create systems and places not yet known")
        if name == "template":
            cmd.add_argument("--system", required=True, help="the system's name")
            cmd.add_argument("--place", default="", help="the place's name (leave out for the whole system)")
            cmd.add_argument("--round", required=True, help="the round label, e.g. 2026 Q4")
            cmd.add_argument("--date", required=True, help="the assessment date, YYYY-MM-DD")
            cmd.add_argument("--workforce", action="store_true", help="include the optional workforce module")
            cmd.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
        if name == "report":
            which = cmd.add_mutually_exclusive_group(required=True)
            which.add_argument("--assessment", type=int, metavar="ID", help="one assessment's board report")
            which.add_argument("--system", metavar="NAME|ID", help="a commissioner's comparison of the system's places")
            cmd.add_argument("--round", default=None, help="with --system: one round label (default: latest of each)")
            cmd.add_argument("--anonymise", action="store_true", help="with --system: Place A, B, … instead of names")
            cmd.add_argument("--format", choices=reports.FORMATS, default="pdf",
                             help="pdf, docx (Word) or html; default: %(default)s")  # fmt: skip
            cmd.add_argument("--out", type=Path, required=True, help="file to write")
        if name == "backup":
            cmd.add_argument("--out", type=Path, required=True, help="file to write the snapshot to")
        if name == "restore":
            cmd.add_argument("file", type=Path, help="a backup made by `backup` (or the app's download)")
        if name == "privacy":
            cmd.add_argument("action", choices=("forget-names", "export", "erase", "erasures", "compact"),
                             help="what to do (erasures: list the erasure register; compact: rebuild the file so "
                                  "nothing erased stays in its unused space)")  # fmt: skip
            cmd.add_argument("who", nargs="?", help="with export or erase: their e-mail address, or name as recorded")
            cmd.add_argument("--also", action="append", default=[], metavar="TEXT",
                             help="with export or erase: more text that is them, e.g. a phone number they typed "
                                  "(repeat for each)")  # fmt: skip
            cmd.add_argument("--days", type=int, help="with forget-names: days to keep names (default: the setting)")
            cmd.add_argument("--out", type=Path, help="with export: the JSON file to write")
        if name == "systems":
            cmd.add_argument("action", choices=("list", "add"), help="what to do")
            cmd.add_argument("name", nargs="?", help="with add: the system's name")
            cmd.add_argument("--admin", metavar="EMAIL", default="", help="with add: its first system admin")
            cmd.add_argument("--admin-name", default="", help="with --admin: their name, as history shows it")
            cmd.add_argument("--population", type=int, help="with add: the system's population")
        if name == "users":
            cmd.add_argument("action", choices=("list", "add", "disable"), help="what to do")
            cmd.add_argument("email", nargs="?", help="with add or disable: the address they sign in with")
            cmd.add_argument("--name", default="", help="with add: their name, as history shows it")
            cmd.add_argument("--role", choices=access.ROLES, help="with add: a role to give them")
            cmd.add_argument("--system", metavar="NAME|ID", help="with --role: the system (leave out for every system)")
            cmd.add_argument("--place", metavar="NAME|ID", help="with --role and --system: one of its places")
    return parser


# --- systems and places by name or id --------------------------------------------------------

CHOICES_NAMED = 12  # an unknown name lists the choices when there are no more than this; else suggests close ones


def _choice(what: str, given: str, units: Sequence[tuple[int, str, str]], owner: str = "") -> int:
    """The id of the one unit `given` names: its id, or its whole name in any case. `units` are (id, name, how an
    error names it); `owner` is the system a place was looked for in, if any. Anything else is a one-line error."""
    wanted = " ".join(given.split())  # names are stored with their spaces tidied the same way
    number = int(wanted) if wanted.isascii() and wanted.isdigit() else None
    found = [u for u in units if u[0] == number or u[1].casefold() == wanted.casefold()]
    if len(found) == 1:
        return found[0][0]
    if found:
        which = "give its id" + (", or the system with --system" if what == "place" and not owner else "")
        raise store.StoreError(f"{given!r} names {len(found)} {what}s: {'; '.join(u[2] for u in found)}; {which}")
    missing = f"{owner} has no {what}" if owner else f"no {what}"
    missing += f" with id {number}" if number is not None else f" called {given!r}"
    if not units:
        raise store.NotFoundError(f"{missing}; there are no {what}s yet")
    if len(units) <= CHOICES_NAMED:
        raise store.NotFoundError(f"{missing}; expected one of: {'; '.join(u[2] for u in units)}")
    close = difflib.get_close_matches(wanted, list(dict.fromkeys(u[1] for u in units)), n=3)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise store.NotFoundError(f"{missing}; {hint}expected a {what}'s name or id (`{PROG} list` shows them)")


def _system_id(db: sqlite_utils.Database, given: str) -> int:
    """A system named by name (any case) or id; archived ones too, since their rounds are still there."""
    systems = store.list_systems(db, include_archived=True)
    units = [(int(i), n, f"{n} (id {i})") for i, n in zip(systems["id"], systems["name"], strict=True)]
    return _choice("system", given, units)


def _place_id(db: sqlite_utils.Database, given: str, system_id: int | None = None) -> int:
    """A place named by name (any case) or id, in one system or in any (archived ones too)."""
    systems = store.list_systems(db, include_archived=True)
    if system_id is not None:
        systems = systems[systems["id"] == system_id]
    units: list[tuple[int, str, str]] = []
    for sid, system in zip(systems["id"], systems["name"], strict=True):
        places = store.list_places(db, int(sid), include_archived=True)
        where = "" if system_id is not None else f" in {system}"
        units += [(int(i), n, f"{n}{where} (id {i})") for i, n in zip(places["id"], places["name"], strict=True)]
    owner = str(systems["name"].iloc[0]) if system_id is not None and not systems.empty else ""
    return _choice("place", given, units, owner)


# --- tables on a terminal ---------------------------------------------------------------------

# Bidirectional overrides and isolates: a name holding one would make the rest of its line read backwards.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _shown(value: object) -> str:
    """Text as a terminal should get it: control characters (an escape sequence in an imported name) become \ufffd."""
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS else c for c in str(value))


def _columns(text: str) -> int:
    """How many terminal columns the text takes: a wide (East Asian) character two, a combining mark none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Collection[int] = ()) -> None:
    """A header, a rule, then the rows; every column as wide as its widest cell, so no name is ever cut.
    Columns numbered in `right` (numbers) are aligned right."""
    cells = [[_shown(c) for c in row] for row in [headers, *rows]]
    widths = [max(_columns(row[i]) for row in cells) for i in range(len(headers))]
    cells.insert(1, ["-" * w for w in widths])
    for row in cells:
        padded = (
            " " * (w - _columns(text)) + text if i in right else text + " " * (w - _columns(text))
            for i, (text, w) in enumerate(zip(row, widths, strict=True))
        )
        print("  ".join(padded).rstrip())


def _cmd_init(args: argparse.Namespace) -> int:
    db = store.connect(args.db)
    where = store.describe(args.db or store.default_db_path())
    print(f"database ready: {where} (schema step {store.schema_version(db)})")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    db = store.connect(args.db)
    if args.if_empty and db.execute("SELECT count(*) FROM systems").fetchone()[0]:
        print(f"{store.describe(args.db or store.default_db_path())} already holds data; demo not added")
        return 0
    summary = demo.create_demo(db, seed=args.seed)
    print(
        f"demo added to {store.describe(args.db or store.default_db_path())}: {summary.systems} systems, "
        f"{summary.places} places, {summary.assessments} assessments"
    )
    return 0


def _cmd_framework(_args: argparse.Namespace) -> int:
    reg = registry()
    for version in reg.versions:
        fw = reg.get(version)
        print(f"{fw.title} — version {fw.version}: {len(fw.domains)} domains, {len(fw.items)} items")
        for domain in fw.domains:
            module = next(m for m in fw.modules if m.id == domain.module)
            print(f"  {domain.title}{' (optional module)' if module.optional else ''}")
            for item in fw.items_in(domain.id):
                print(f"    {item.id:32} {item.title}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    frame = store.list_assessments(store.connect(args.db, must_exist=True))
    if frame.empty:
        print("no assessments yet")
        return 0
    rows = [
        (
            row.id,
            row.round_label,
            row.assessment_date,
            row.status,
            f"{row.answered}/{row.total}",
            f"{row.system_name} ({row.system_id})",
            f"{row.place_name} ({int(row.place_id)})" if isinstance(row.place_name, str) else "(whole system)",
        )
        for row in frame.itertuples()
    ]
    # The names come last, so a narrow terminal wraps them rather than the columns a script or reader scans.
    _print_table(("ID", "Round", "Date", "Status", "Answered", "System (ID)", "Place (ID)"), rows, right={0})
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    assessment = store.get_assessment(db, args.assessment_id)
    result = store.score(db, args.assessment_id)
    framework = store.framework_of(assessment)
    unit = assessment["unit_name"]
    if assessment["place_name"] is not None:
        unit = f"{unit}, {assessment['system_name']}"
    details = (assessment["round_label"], assessment["assessment_date"], assessment["status"])
    print(_shown(f"{unit} · {' · '.join(details)} (framework {framework.version})"))
    not_applicable = sum(i.kind == NOT_APPLICABLE for i in result.items)
    unscored = [
        f"{n} {words}" for n, words in ((result.dont_know, "don't know"), (not_applicable, "not applicable")) if n
    ]
    print(
        f"Overall score {formatting.score(result.overall)} · {result.band or 'no score yet'}; "
        f"{result.answered} of {result.total} items answered" + (f" ({', '.join(unscored)})" if unscored else "")
    )
    print()
    domains = [
        (framework.domain(d.domain_id).title, formatting.score(d.score), d.band or formatting.NONE,
         f"{d.answered}/{d.total}") for d in result.domains
    ]  # fmt: skip
    _print_table(("Domain", "Score", "Band", "Answered"), domains, right={1})
    print()
    items: list[tuple[str, str, str]] = []
    for domain in result.domains:
        items.append((framework.domain(domain.domain_id).title, "", ""))
        items += [
            (f"  {framework.item(i.item_id).title}", _answer_words(i.kind, i.level), formatting.level(i.target, ""))
            for i in result.items
            if i.domain_id == domain.domain_id
        ]
    _print_table(("Domain and item", "Level", "Target"), items)
    return 0


def _answer_words(kind: str | None, level: int | None) -> str:
    """An item's answer as a reader says it: '2 · Developing', Don't know, Not applicable or Not answered."""
    if kind is None:
        return "Not answered"
    if kind == DONT_KNOW:
        return "Don't know"
    if kind == NOT_APPLICABLE:
        return "Not applicable"
    return formatting.level(level)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def _cmd_export(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    if args.assessment is not None and (args.place or args.system):
        raise store.StoreError("--assessment names one round already; leave out --place and --system")
    system_id = None if args.system is None else _system_id(db, args.system)
    place_id = None if args.place is None else _place_id(db, args.place, system_id)
    ids = exports.assessment_ids(db, system_id=system_id, place_id=place_id, assessment_id=args.assessment)
    # Written straight to a file beside the target, then renamed: a national workbook never sits in memory,
    # and a failed export leaves nothing half-written.
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial")
    try:
        if args.format == "csv":
            exports.write_csv(exports.export_frame(db, ids), partial)
        else:
            exports.write_xlsx(db, ids, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(args.out)
    print(f"exported {len(ids)} assessment(s) to {args.out}")
    return 0


PROBLEMS_SHOWN = 20


def _cmd_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise store.StoreError(f"{args.file} does not exist; expected a .csv or .xlsx file")
    db = store.connect(args.db)
    try:
        counts = imports.import_bytes(
            db, args.file.read_bytes(), args.file.name, store.LOCAL_USER, args.existing, args.create_missing
        )
    except imports.ImportRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        for problem in exc.problems[:PROBLEMS_SHOWN]:
            print(f"  {problem}", file=sys.stderr)
        if len(exc.problems) > PROBLEMS_SHOWN:
            print(f"  … and {len(exc.problems) - PROBLEMS_SHOWN} more", file=sys.stderr)
        return 1
    print(
        f"imported {args.file}: {counts['created']} created, {counts['replaced']} replaced, {counts['skipped']} skipped"
    )
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    when = store.parse_date(args.date)
    data = exports.template_xlsx(current_framework(), args.system, args.place, args.round, when, args.workforce)
    _write_atomically(args.out, data)
    print(f"template written to {args.out}: fill the level column, then `{PROG} import {args.out}`")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    if args.system is not None:
        system_id = _system_id(db, args.system)
        document = reports.comparison_html(db, system_id, args.round, clock.today(), args.anonymise)
    else:
        document = reports.assessment_html(db, args.assessment, clock.today())
    _write_atomically(args.out, reports.file_bytes(document, args.format))
    print(f"report written to {args.out}")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    path = store.backup(store.connect(args.db, must_exist=True), args.out)
    print(f"backup written to {path}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    db_path = args.db or store.default_db_path()
    db = store.connect(db_path)
    safety = restoring.restore(db, args.file, store.backups_folder(db_path), store.LOCAL_USER)
    print(
        f"restored {args.file} into {store.describe(db_path)}; the previous contents are in {safety} "
        "(restore that to undo)"
    )
    if erasures := len(privacy.erasure_register(db)):
        print(f"{erasures} erasure(s) on record were applied again to what was restored, so nobody erased is back")
    return 0


def _cmd_users(args: argparse.Namespace) -> int:
    db = store.connect(args.db)
    if args.action == "list":
        for user in access.list_users(db):
            roles = ", ".join(text for _, text in user["roles"]) or "no roles"
            state = " (disabled)" if user["disabled"] else ""
            print(f"{user['email']}\t{user['name']}\t{roles}{state}")
        return 0
    if not args.email:
        raise store.StoreError(f"users {args.action} needs the person's e-mail address")
    if args.action == "disable":
        found = access.find_user(db, args.email)
        if found is None:
            raise store.NotFoundError(f"no enabled user signs in as {args.email}")
        access.disable_user(db, store.LOCAL_USER, found.id)
        print(f"{args.email} can no longer sign in; their history stays")
        return 0
    system_id = place_id = None
    if args.role:  # find the unit first, so a typo adds nobody
        if args.system:
            system_id = _system_id(db, args.system)
            if args.place:
                place_id = _place_id(db, args.place, system_id)
        elif args.place:
            raise store.StoreError("--place needs --system too")
    user_id = access.add_user(db, store.LOCAL_USER, args.email, args.name)
    if args.role:
        access.grant(db, store.LOCAL_USER, user_id, args.role, system_id, place_id)
    print(f"{args.email} added" + (f" as {args.role}" if args.role else " (no role yet)"))
    return 0


def _cmd_notify(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    outcome = reminders.send_due(db, os.environ.get(workshops.PUBLIC_URL_VAR, ""))
    print(f"reminders: {outcome.describe()}")
    return 1 if outcome.failed else 0


def _cmd_systems(args: argparse.Namespace) -> int:
    db = store.connect(args.db)
    if args.action == "list":
        for system in store.systems_overview(db, include_archived=True).itertuples():
            state = " (archived)" if isinstance(system.archived_at, str) else ""
            print(f"{system.id}\t{system.name}{state}\t{system.places} places\t{system.rounds} rounds")
        return 0
    if not args.name:
        raise store.StoreError("systems add needs the system's name")
    if args.admin_name and not args.admin:
        raise store.StoreError("--admin-name needs --admin EMAIL too")
    system_id = store.create_system(db, args.name, store.LOCAL_USER, args.population, args.admin, args.admin_name)
    run_by = f", run by {args.admin.strip()} (system admin)" if args.admin else ""
    print(f"added system {store.get_system(db, system_id)['name']} (id {system_id}){run_by}")
    return 0


def _cmd_privacy(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    if args.action == "forget-names":
        count = privacy.forget_participant_names(db, store.LOCAL_USER, args.days)
        print(f"removed the names of {count} participant(s) of workshops that ended long enough ago")
        return 0
    if args.action == "compact":
        if not privacy.compact(db):
            raise store.StoreError("another program is using the database; stop the app, then run this again")
        print(f"{store.describe(args.db or store.default_db_path())} rebuilt: no erased text stays in its unused space")
        return 0
    if args.action == "erasures":
        for entry in privacy.erasure_register(db):
            print(f"erasure #{entry['number']}\t{entry['at']}\tby {entry['by']}\t"
                  f"{entry['fields']} field(s) in {entry['rows']} row(s)")  # fmt: skip
        return 0
    if not args.who:
        raise store.StoreError(f"privacy {args.action} needs the person's e-mail address or name")
    if args.action == "export":
        if args.out is None:
            raise store.StoreError("privacy export needs --out FILE.json")
        found = privacy.personal_data(db, store.LOCAL_USER, args.who, also=args.also)
        _write_atomically(args.out, json.dumps(found, indent=2, ensure_ascii=False).encode("utf-8"))
        print(f"wrote everything held about {args.who} to {args.out}")
        return 0
    done = privacy.erase_person(db, store.LOCAL_USER, args.who, also=args.also)
    print(f"erased {args.who} as erasure #{done.number}: {done.fields} value(s) in {done.rows} row(s) now say "
          f"'{done.placeholder}'")  # fmt: skip
    if not done.file_compacted:
        print("the database is in use, so old copies may stay in its unused space: stop the app, then run "
              f"`{PROG} privacy compact`")  # fmt: skip
    print("backups made before now still hold them until they expire; restoring one applies this erasure again")
    return 0


HANDLERS = {
    "init": _cmd_init,
    "demo": _cmd_demo,
    "framework": _cmd_framework,
    "list": _cmd_list,
    "score": _cmd_score,
    "export": _cmd_export,
    "import": _cmd_import,
    "template": _cmd_template,
    "report": _cmd_report,
    "backup": _cmd_backup,
    "restore": _cmd_restore,
    "notify": _cmd_notify,
    "systems": _cmd_systems,
    "users": _cmd_users,
    "privacy": _cmd_privacy,
}


def _run(args: argparse.Namespace) -> int:
    try:
        return HANDLERS[args.command](args)
    except BrokenPipeError:  # an OSError, but not the database's: main() ends quietly
        raise
    except (store.StoreError, FrameworkError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (*DRIVER_ERRORS, OSError) as exc:  # a busy, read-only, full or damaged database: one line, not a traceback
        print(f"error: {store.explain(exc, getattr(args, 'db', None))}", file=sys.stderr)
        return 1


def _stdout_to_devnull() -> None:
    """Point standard output at /dev/null, so the flush at exit has nowhere to fail (Python's recipe for a closed
    pipe: the signal module's "Note on SIGPIPE")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test capturing output): nothing to flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (the `checklist` script and `python -m checklist`)."""
    try:
        try:
            return _run(build_parser().parse_args(argv))
        finally:
            # Flushed here rather than at exit, so a reader that stopped early (`checklist framework | head`) is
            # met below, --help included, instead of in a message from the interpreter's shutdown.
            sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_PIPE_CLOSED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Command line: `python -m checklist COMMAND [--db PATH]`. A thin layer over checklist.store."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from checklist import access, clock, demo, exports, imports, privacy, reports, store
from checklist.framework import FrameworkError, current_framework, registry

COMMANDS_HELP = {
    "init": "create the database (or bring its schema up to date) and say where it is",
    "demo": "fill an empty database with the deterministic demo systems, places and rounds",
    "framework": "check every framework version loads, and list its domains and items",
    "list": "list assessments with their unit, round, status and completion",
    "score": "print the item, domain and overall scores of one assessment",
    "export": "write assessments as tidy CSV (one row per assessment and item) or an Excel workbook",
    "import": "read assessments from CSV or Excel (the export's layout, or one row per unit and round); all or nothing",
    "template": "write a blank Excel workbook for one assessment, to fill offline and import back",
    "report": "write the board report of one assessment, or a comparison of a system's places, as HTML or PDF",
    "backup": "write a consistent snapshot of the whole database to a file",
    "restore": "replace the database with a checked backup, keeping a backup of what was there first",
    "users": "list, add or disable the people who may sign in (shared mode), and give them roles",
    "privacy": "forget participants' names after the retention period, or export or erase one person's data",
}


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"SQLite database file (default: ${store.DB_ENV_VAR} or data/maturity.db)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checklist",
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
            cmd.add_argument("assessment_id", type=int, help="the assessment's id (see `list`)")
        if name == "export":
            cmd.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="default: %(default)s")
            cmd.add_argument("--out", type=Path, required=True, help="file to write")
            scope = cmd.add_mutually_exclusive_group()
            scope.add_argument("--assessment", type=int, help="one assessment")
            scope.add_argument("--place", type=int, help="every round of one place")
            scope.add_argument("--system", type=int, help="every assessment in one system")
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
            which.add_argument("--assessment", type=int, help="one assessment's board report (see `list` for ids)")
            which.add_argument("--system", type=int, help="a commissioner's comparison of the system's places")
            cmd.add_argument("--round", default=None, help="with --system: one round label (default: latest of each)")
            cmd.add_argument("--anonymise", action="store_true", help="with --system: Place A, B, … instead of names")
            cmd.add_argument("--format", choices=("pdf", "html"), default="pdf", help="default: %(default)s")
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
        if name == "users":
            cmd.add_argument("action", choices=("list", "add", "disable"), help="what to do")
            cmd.add_argument("email", nargs="?", help="with add or disable: the address they sign in with")
            cmd.add_argument("--name", default="", help="with add: their name, as history shows it")
            cmd.add_argument("--role", choices=access.ROLES, help="with add: a role to give them")
            cmd.add_argument("--system", help="with --role: the system's name (leave out for every system)")
            cmd.add_argument("--place", help="with --role and --system: one place's name")
    return parser


def _cmd_init(args: argparse.Namespace) -> int:
    db = store.connect(args.db)
    print(f"database ready: {args.db or store.default_db_path()} (schema step {store.schema_version(db)})")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    db = store.connect(args.db)
    if args.if_empty and db.execute("SELECT count(*) FROM systems").fetchone()[0]:
        print(f"{args.db or store.default_db_path()} already holds data; demo not added")
        return 0
    summary = demo.create_demo(db, seed=args.seed)
    print(
        f"demo added to {args.db or store.default_db_path()}: {summary.systems} systems, "
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
    for row in frame.itertuples():
        print(
            f"{row.id:>5}  {row.unit_name:35.35}  {row.round_label:10}  {row.assessment_date}  "
            f"{row.status:9}  {row.answered}/{row.total}"
        )
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    assessment = store.get_assessment(db, args.assessment_id)
    result = store.score(db, args.assessment_id)
    fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
    print(f"{assessment['unit_name']} · {assessment['round_label']} ({assessment['status']})")
    print(f"overall {fmt(result.overall)} {result.band or 'no score'}; answered {result.answered}/{result.total}")
    for domain in result.domains:
        print(f"  {domain.domain_id:22} {fmt(domain.score):>5} {domain.band or ''}")
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def _cmd_export(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    ids = exports.assessment_ids(db, system_id=args.system, place_id=args.place, assessment_id=args.assessment)
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
    when = store._parse_date(args.date)
    data = exports.template_xlsx(current_framework(), args.system, args.place, args.round, when, args.workforce)
    _write_atomically(args.out, data)
    print(f"template written to {args.out}: fill the level column, then `python -m checklist import {args.out}`")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    db = store.connect(args.db, must_exist=True)
    if args.system is not None:
        document = reports.comparison_html(db, args.system, args.round, clock.today(), args.anonymise)
    else:
        document = reports.assessment_html(db, args.assessment, clock.today())
    _write_atomically(args.out, reports.pdf_bytes(document) if args.format == "pdf" else document.encode("utf-8"))
    print(f"report written to {args.out}")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    path = store.backup(store.connect(args.db, must_exist=True), args.out)
    print(f"backup written to {path}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    db_path = Path(args.db) if args.db else store.default_db_path()
    db = store.connect(db_path)
    safety = store.restore(db, args.file, db_path.parent / "backups", store.LOCAL_USER)
    print(f"restored {args.file} into {db_path}; the previous contents are in {safety} (restore that to undo)")
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
            match = store.list_systems(db, include_archived=True)
            match = match[match["name"].str.casefold() == args.system.strip().casefold()]
            if match.empty:
                raise store.NotFoundError(f"no system called {args.system!r}; see `list` for the names")
            system_id = int(match["id"].iloc[0])
            if args.place:
                places = store.list_places(db, system_id, include_archived=True)
                places = places[places["name"].str.casefold() == args.place.strip().casefold()]
                if places.empty:
                    raise store.NotFoundError(f"{args.system} has no place called {args.place!r}")
                place_id = int(places["id"].iloc[0])
        elif args.place:
            raise store.StoreError("--place needs --system too")
    user_id = access.add_user(db, store.LOCAL_USER, args.email, args.name)
    if args.role:
        access.grant(db, store.LOCAL_USER, user_id, args.role, system_id, place_id)
    print(f"{args.email} added" + (f" as {args.role}" if args.role else " (no role yet)"))
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
        print(f"{args.db or store.default_db_path()} rebuilt: no erased text stays in its unused space")
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
              "`python -m checklist privacy compact`")  # fmt: skip
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
    "users": _cmd_users,
    "privacy": _cmd_privacy,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return HANDLERS[args.command](args)
    except (store.StoreError, FrameworkError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as exc:  # a busy, read-only, full or damaged database: one line, not a traceback
        print(f"error: {store.explain(exc, getattr(args, 'db', None))}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

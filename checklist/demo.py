"""A realistic, deterministic demo: two fictional systems, their places, and rounds whose scores move.

Everything is written through the same store functions a user's answers go through, so the demo
also exercises history, validation and submission.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from checklist import access, store, workshops
from checklist.db import write_transaction
from checklist.framework import Framework, current_framework, framework_for
from checklist.scoring import DONT_KNOW, LEVEL, MAX_LEVEL, NOT_APPLICABLE

DEMO_ACTOR = "demo data"
DEMO_SEED = 2025

# Fictional systems and places; population in thousands is used for weighted roll-ups.
SYSTEMS = (
    ("Northmoor and Vale ICS", (("Ashby Vale", 310), ("Brackenridge", 245), ("Castlemoor", 180),
                                ("Dunmere", 402), ("Eastwick Coast", 150))),
    ("Southdown Coast ICS", (("Harbourside", 280), ("Kingsmead", 220), ("Westcliff", 195))),
)  # fmt: skip
ROUNDS = (("2025 Q1", date(2025, 3, 28)), ("2025 Q4", date(2025, 12, 12)), ("2026 Q3", date(2026, 9, 25)))
DRAFT_ROUND = ("2026 Q4", date(2026, 11, 20))
# The first round of every unit was made with framework 1.0, the later ones with the current version,
# so the demo shows rounds of two versions side by side (with the items whose wording changed named).
FIRST_ROUND_VERSION = "1.0"
# The random draws follow this version's items, so items a later version adds (which the demo never answers:
# they are optional enablers) leave every demo figure where it was.
PROFILE_VERSION = "1.1"

EVIDENCE = {
    0: "Nothing found when we looked; raised at the last partnership meeting.",
    1: "A few individual examples from staff; nothing written down yet.",
    2: "Pilot running in two places; terms of reference and a pilot report on the shared drive.",
    3: "In routine use across most places; quarterly data report to the partnership board.",
    4: "System-wide and reviewed each year with the lived-experience steering group; data shows gains.",
}
LINKS = "https://example.org/partnership-board-papers"
# Two owners are people in the app, known by their e-mail address (so reminders reach them, and a new user can try
# `checklist notify` against any local SMTP server); the rest are roles, listed to their unit's lead instead.
OWNERS = ("pa.lead@example.nhs.uk", "commissioning@example.nhs.uk", "VCSE alliance chair", "Public health consultant",
          "Workforce lead", "Active partnership manager")  # fmt: skip
# The first system's own local items (an example of what a system adds for its own priorities), published before
# its draft rounds, which include them; its submitted rounds came before them.
LOCAL_TITLE = "Northmoor and Vale's local priorities"
LOCAL_ITEMS = (
    {
        "title": "Green and blue spaces",
        "statement": "Disabled people can reach and use the area's parks, paths, waterside routes and open spaces: "
        "step-free routes, accessible toilets and places to rest.",
        "level_0": "Nobody has looked at how accessible the area's parks and open spaces are.",
        "level_1": "At least one park or open space has been checked for access with disabled people, and the gaps "
        "found are written down.",
        "level_2": "More than half of the main parks and open spaces have been checked with disabled people, and a "
        "plan with dates fixes the gaps found.",
        "level_3": "Every main park and open space has been checked with disabled people; the fixes due so far are "
        "done, and maps say what each site offers.",
        "level_4": "Every main park and open space is checked with disabled people each year; the review changes "
        "routes, facilities or information when it finds a need, and shows what changed.",
        "evidence_prompt": "Access checks of parks and open spaces, who took part in them, and the plan that follows.",
        "unit": "place",
        "easy_statement": "Disabled people can get to parks and use them.",
        "easy_level_0": "Nobody has checked the parks yet.",
        "easy_level_1": "One park has been checked with disabled people.",
        "easy_level_2": "Most big parks have been checked. There is a plan to fix problems.",
        "easy_level_3": "All big parks have been checked. Problems are being fixed.",
        "easy_level_4": "Parks are checked every year. Problems get fixed.",
    },
    {
        "title": "Active travel",
        "statement": "Walking, wheeling and cycling routes between homes, health services and activity venues work for "
        "disabled people, and partners plan them together.",
        "level_0": "Active travel plans do not consider disabled people.",
        "level_1": "At least one active travel scheme was planned with disabled people taking part.",
        "level_2": "More than half of new active travel schemes are planned with disabled people, and barriers on "
        "key routes are recorded.",
        "level_3": "Every new scheme is planned with disabled people, and the worst barriers on routes to health and "
        "activity venues are being removed to a published plan.",
        "level_4": "Every scheme is planned with disabled people, and a yearly review with them checks the routes "
        "and acts on what it finds.",
        "evidence_prompt": "Scheme plans, who was involved in them, and the record of barriers on key routes.",
        "unit": "system",
    },
)
PEOPLE = (("pa.lead@example.nhs.uk", "Priya Shah", "lead"), ("commissioning@example.nhs.uk", "Tom Reid", "reviewer"))
ACTION_TEXT = (
    "Agree a written plan with partners and bring it to the next board",
    "Pilot the approach in one neighbourhood team and report back",
    "Extend the pilot to every place and track uptake monthly",
    "Review with the lived-experience steering group and publish what changed",
)


# The room at the demo's workshop: (sector, how they introduced themselves; blank when they gave no name).
ROOM = (
    ("health", "Community physiotherapy lead"), ("health", "GP with a special interest"), ("health", ""),
    ("sport", "Active partnership officer"), ("sport", "Leisure centre manager"),
    ("vcse", "Disability forum coordinator"), ("vcse", ""),
    ("local_authority", "Public health registrar"), ("local_authority", ""),
    ("lived_experience", "Steering group member"), ("lived_experience", "Carer"), ("lived_experience", ""),
)  # fmt: skip
# How far each sector's votes lean from the level agreed, per item discussed: health sees the system's
# structures, people with lived experience see how it feels to use them.
LEAN = {"health": 1, "sport": 0, "vcse": 0, "local_authority": 0, "lived_experience": -1, "other": 0}
WORKSHOP_NOTES = (
    ("quote", "referrals", "My GP mentioned swimming once. Nobody asked me about it again, so I never went."),
    ("note", "governance", "Add the minutes of the last two partnership board meetings as evidence."),
    ("parking", None, "Accessible transport to leisure sites: raise with the council's transport team."),
    ("parking", None, "Changing Places toilets at the two main leisure centres: check the capital plan."),
)


def _workshop(db: sqlite_utils.Database, rng: random.Random, framework: Framework, assessment_id: int) -> None:
    """A closed live workshop on a draft: a room of twelve voted on four items and agreed three of them."""
    start = datetime.combine(DRAFT_ROUND[1], datetime.min.time(), UTC).replace(hour=10)
    room = workshops.start_workshop(db, assessment_id, DEMO_ACTOR, now=start)
    people = [workshops.join(db, room["code"], sector, name, now=start)["token"] for sector, name in ROOM]
    saved = store.responses(db, assessment_id)
    items = framework.items_of(store.get_assessment(db, assessment_id))[:4]
    for n, item in enumerate(items):
        moment = start + timedelta(minutes=12 * n)
        workshops.set_current_item(db, room["id"], item.id, DEMO_ACTOR, now=moment)
        answer = saved.get(item.id) or {}
        agreed = answer.get("level") if answer.get("answer") == LEVEL else None
        centre = 2 if agreed is None else agreed
        for token, (sector, _) in zip(people, ROOM, strict=True):
            if rng.random() < 0.12:
                vote = None  # don't know
            else:
                vote = max(0, min(MAX_LEVEL, centre + LEAN[sector] * (n % 2) + rng.choice((-1, 0, 0, 0, 1))))
            workshops.cast_vote(db, token, item.id, vote, now=moment + timedelta(minutes=3))
        if n < 3:  # the last item ran out of time
            workshops.record_agreement(
                db, room["id"], item.id, DEMO_ACTOR, agreed,
                notes="Settled after discussion; health colleagues rated higher than people with lived experience."
                if n % 2 else "Quick agreement.",
                now=moment + timedelta(minutes=10),
            )  # fmt: skip
    for kind, item_id, text in WORKSHOP_NOTES:
        workshops.add_note(db, assessment_id, kind, text, DEMO_ACTOR, item_id=item_id, workshop_id=room["id"],
                           now=start + timedelta(minutes=50))  # fmt: skip
    workshops.close_workshop(db, room["id"], DEMO_ACTOR, now=start + timedelta(hours=1))


@dataclass(frozen=True)
class DemoSummary:
    systems: int
    places: int
    assessments: int


def _profile(rng: random.Random, framework: Framework) -> dict[str, float]:
    """A place's starting maturity per item: some strengths, some gaps."""
    strength = rng.uniform(0.4, 1.6)
    return {item.id: max(0.0, min(3.0, rng.gauss(strength, 0.8))) for item in framework.items}


def _fill(
    db: sqlite_utils.Database,
    rng: random.Random,
    framework: Framework,
    assessment_id: int,
    levels: dict[str, float],
    include_workforce: bool,
    fraction: float = 1.0,
) -> None:
    items = framework.items_for(include_workforce)
    for n, item in enumerate(items):
        if n >= round(len(items) * fraction):
            break
        level = int(round(levels[item.id]))
        roll = rng.random()
        fields: dict = {"confidence": rng.choice(store.CONFIDENCE_LEVELS)}
        if roll < 0.05:
            fields["answer"] = DONT_KNOW
            fields["confidence"] = None
        elif roll < 0.07 and item.id == "equipment":
            fields["answer"] = NOT_APPLICABLE
            fields["na_reason"] = "Equipment is commissioned by the neighbouring system for this place."
        else:
            fields["answer"] = LEVEL
            fields["level"] = level
            fields["evidence"] = EVIDENCE[level]
            if level >= 2:
                fields["evidence_links"] = LINKS
        fields["target_level"] = min(MAX_LEVEL, level + rng.choice((1, 1, 2)))
        store.save_response(db, assessment_id, item.id, DEMO_ACTOR, **fields)
        if fields["answer"] == LEVEL and level <= 1 and rng.random() < 0.5:
            store.add_action(
                db,
                assessment_id,
                item.id,
                DEMO_ACTOR,
                ACTION_TEXT[min(level, len(ACTION_TEXT) - 1)],
                owner=rng.choice(OWNERS),
                due_date=(date(2025, 6, 30) + timedelta(days=rng.randrange(0, 540))).isoformat(),
                status=rng.choice(store.ACTION_STATUSES[:3]),
                target_level=fields["target_level"],
            )


def _progress(rng: random.Random, levels: dict[str, float], momentum: float) -> dict[str, float]:
    """Next round's levels: most items climb a little, a few slip back."""
    moved = {}
    for item_id, value in levels.items():
        step = rng.choice((0.0, 0.0, 0.5, 1.0)) * momentum
        if rng.random() < 0.08:
            step = -1.0
        moved[item_id] = max(0.0, min(float(MAX_LEVEL), value + step))
    return moved


def create_demo(db: sqlite_utils.Database, seed: int = DEMO_SEED) -> DemoSummary:
    """Fill an empty database with the demo. Refuses a database that already holds systems."""
    if db.execute("SELECT count(*) FROM systems").fetchone()[0]:
        raise store.StoreError(
            "this database already holds data; the demo is only added to an empty database "
            "(use --db to name a new file)"
        )
    rng = random.Random(seed)
    framework = current_framework()
    places = assessments = 0
    with write_transaction(db):
        for system_name, place_list in SYSTEMS:
            system_id = store.create_system(
                db, system_name, DEMO_ACTOR, population=sum(p for _, p in place_list) * 1000
            )
            units: list[int | None] = [None]
            for place_name, population in place_list:
                units.append(store.create_place(db, system_id, place_name, DEMO_ACTOR, population=population * 1000))
                places += 1
            if system_name == SYSTEMS[0][0]:
                revision = store.local_modules.save_draft(db, DEMO_ACTOR, system_id, LOCAL_ITEMS, LOCAL_TITLE)
                store.local_modules.publish(db, DEMO_ACTOR, system_id, revision, note="Agreed by the ICS board")
            for unit_index, place_id in enumerate(units):
                levels = _profile(rng, framework_for(PROFILE_VERSION))
                momentum = rng.uniform(0.5, 1.3)
                workforce = unit_index % 2 == 1
                for round_label, when in ROUNDS:
                    used = framework_for(FIRST_ROUND_VERSION) if round_label == ROUNDS[0][0] else framework
                    assessment_id = store.create_assessment(
                        db, system_id, place_id, round_label, when, DEMO_ACTOR, include_workforce=workforce,
                        participants="ICS physical activity lead; public health; active partnership; VCSE alliance; "
                        "two members of the lived-experience steering group", framework_version=used.version,
                        include_local=False,
                    )  # fmt: skip
                    _fill(db, rng, used, assessment_id, levels, workforce)
                    store.submit_assessment(
                        db, assessment_id, DEMO_ACTOR, note="Discussed with partners before submission."
                    )
                    assessments += 1
                    levels = _progress(rng, levels, momentum)
                if system_name == SYSTEMS[0][0] and unit_index in (0, 1):
                    assessment_id = store.create_assessment(
                        db, system_id, place_id, DRAFT_ROUND[0], DRAFT_ROUND[1], DEMO_ACTOR, include_workforce=workforce
                    )
                    _fill(db, rng, framework, assessment_id, levels, workforce, fraction=0.4)
                    store.save_response(db, assessment_id, "local-1", DEMO_ACTOR, answer=LEVEL, level=2,
                                        evidence="Access checks of four parks with the disability forum")  # fmt: skip
                    assessments += 1
                    if place_id is None:
                        _workshop(db, rng, framework, assessment_id)
        for email_address, name, role in PEOPLE:  # on every demo system, so their actions reach them
            user_id = access.add_user(db, DEMO_ACTOR, email_address, name)
            for system_id in (int(s) for s in store.list_systems(db)["id"]):
                access.grant(db, DEMO_ACTOR, user_id, role, system_id)
    return DemoSummary(systems=len(SYSTEMS), places=places, assessments=assessments)

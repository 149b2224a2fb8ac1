"""Benchmark: do one-unit reads stay flat as the database grows to national scale?

Builds a small database (1 system, 6 places) and a national one (42 systems, about 250 places), each
with a round a quarter for three years, then times the reads behind the pages. Every timing is
reported as a ratio to a floor measured in the same run (fetching one assessment row by primary key),
because the machines are shared and noisy. Writes bench/results/latest.json and prints a table.

    python bench/run.py [--places 250] [--systems 42] [--rounds 12] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checklist import analysis, store, workshops  # noqa: E402
from checklist.framework import current_framework  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "latest.json"


def build(path: Path, systems: int, places: int, rounds: int, seed: int = 7) -> dict:
    """A database of the given size, written in bulk (benchmark data, not user input)."""
    rng = random.Random(seed)
    fw = current_framework()
    items = [i.id for i in fw.items_for(False)]
    db = store.connect(path)
    now = "2026-01-01T00:00:00+00:00"
    start = date(2024, 1, 15)
    with store._write(db):
        db["systems"].insert_all(
            [{"id": s + 1, "name": f"System {s + 1:02d}", "created_at": now} for s in range(systems)]
        )
        db["places"].insert_all(
            [
                {
                    "id": p + 1,
                    "system_id": p % systems + 1,
                    "name": f"Place {p + 1:03d}",
                    "population": 150_000,
                    "created_at": now,
                }
                for p in range(places)
            ]  # fmt: skip
        )
        assessments, responses = [], []
        aid = 0
        for p in range(places):
            base = rng.uniform(0, 2)
            for r in range(rounds):
                aid += 1
                when = (start + timedelta(days=91 * r)).isoformat()
                assessments.append(
                    {"id": aid, "system_id": p % systems + 1, "place_id": p + 1, "round_label": f"R{r + 1:02d}",
                     "assessment_date": when, "framework_version": fw.version, "include_workforce": 0,
                     "status": "submitted", "created_at": now, "created_by": "bench", "updated_at": now}
                )  # fmt: skip
                for item in items:
                    level = max(0, min(4, round(base + r * 0.15 + rng.gauss(0, 0.7))))
                    responses.append(
                        {"assessment_id": aid, "item_id": item, "answer": "level", "level": level,
                         "target_level": min(4, level + 1), "evidence": "minutes", "updated_at": now,
                         "updated_by": "bench"}
                    )  # fmt: skip
        db["assessments"].insert_all(assessments, batch_size=2000)
        db["responses"].insert_all(responses, batch_size=5000)
    db.execute("ANALYZE")
    return {"systems": systems, "places": places, "assessments": len(assessments), "responses": len(responses)}


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds over `repeat` runs, after one warm-up."""
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def measure(path: Path, repeat: int) -> dict:
    db = store.connect(path)
    fw = current_framework()
    place_id = int(db.execute("SELECT max(id) FROM places").fetchone()[0])
    system_id = int(db.execute("SELECT system_id FROM places WHERE id = ?", [place_id]).fetchone()[0])
    assessment_id = int(db.execute("SELECT max(id) FROM assessments WHERE place_id = ?", [place_id]).fetchone()[0])
    floor = timed(lambda: store.get_assessment(db, assessment_id), repeat * 10)
    cases = {
        "score one assessment": lambda: store.score(db, assessment_id),
        "dashboard data for one place (all its rounds)": lambda: analysis.unit_rounds(db, system_id, place_id),
        "compare: latest round of every place in a system": lambda: analysis.domain_matrix(
            fw, analysis.place_levels(db, system_id)[0]
        ),
    }
    out = {"floor_ms": floor * 1000, "cases": {}}
    for name, fn in cases.items():
        seconds = timed(fn, repeat)
        out["cases"][name] = {"ms": seconds * 1000, "x_floor": seconds / floor}
    return out


def workshop_load(path: Path, voters: int, rounds: int = 5) -> dict:
    """A live workshop on the national database: `voters` people vote on the same item at once.

    Floors, measured in the same run: one vote cast with nobody else voting (for the burst) and one
    assessment fetched by primary key (for the presenter's refresh). Every burst is checked: the
    stored count must equal the voters, or the benchmark fails.
    """
    db = store.connect(path)
    system_id = int(db.execute("SELECT max(id) FROM systems").fetchone()[0])
    aid = store.create_assessment(db, system_id, None, "Workshop bench", "2026-11-23", "bench")
    w = workshops.start_workshop(db, aid, "bench")
    sectors = list(workshops.SECTORS)
    tokens = [workshops.join(db, w["code"], sectors[n % len(sectors)])["token"] for n in range(voters)]
    items = [i.id for i in current_framework().items_for(False)]
    solo = timed(lambda: workshops.cast_vote(db, tokens[0], items[0], 2), 20)
    read_floor = timed(lambda: store.get_assessment(db, aid), 300)

    def presenter() -> None:
        workshops.get_workshop(db, w["id"])
        workshops.participant_count(db, w["id"])
        workshops.item_tally(db, w["id"], w_item[0])

    bursts = []
    w_item = [items[0]]
    for k in range(rounds):
        item = items[(k + 1) % len(items)]
        workshops.set_current_item(db, w["id"], item, "bench")
        w_item[0] = item
        barrier = threading.Barrier(voters + 1)

        def vote(token: str, level: int, item: str = item, barrier: threading.Barrier = barrier) -> None:
            conn = store.connect(path, apply_migrations=False)
            barrier.wait()
            workshops.cast_vote(conn, token, item, level)
            conn.close()

        threads = [threading.Thread(target=vote, args=(t, n % 5)) for n, t in enumerate(tokens)]
        for thread in threads:
            thread.start()
        barrier.wait()
        t0 = time.perf_counter()
        for thread in threads:
            thread.join()
        bursts.append(time.perf_counter() - t0)
        stored = workshops.item_tally(db, w["id"], item).votes
        if stored != voters:
            raise SystemExit(f"workshop burst {k}: {stored} votes stored of {voters} sent")
    burst = statistics.median(bursts)
    live = timed(presenter, 100)
    return {
        "voters": voters,
        "solo_vote_ms": solo * 1000,
        "read_floor_ms": read_floor * 1000,
        "burst_ms": burst * 1000,
        "burst_x_solo_vote": burst / solo,
        "per_vote_in_burst_x_solo": burst / voters / solo,
        "presenter_refresh_ms": live * 1000,
        "presenter_refresh_x_floor": live / read_floor,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=42)
    parser.add_argument("--places", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--voters", type=int, default=60)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report: dict = {"when": time.strftime("%Y-%m-%d %H:%M"), "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for label, systems, places in (("small", 1, 6), ("national", args.systems, args.places)):
            path = Path(tmp) / f"{label}.db"
            size = build(path, systems, places, args.rounds)
            report["sizes"][label] = {**size, **measure(path, args.repeat)}
        report["workshop"] = workshop_load(Path(tmp) / "national.db", args.voters)
    small, national = report["sizes"]["small"], report["sizes"]["national"]
    print(f"{'read':52} {'small x floor':>14} {'national x floor':>17} {'growth':>7}")
    for name in national["cases"]:
        a, b = small["cases"][name]["x_floor"], national["cases"][name]["x_floor"]
        report.setdefault("growth", {})[name] = b / a
        print(f"{name:52} {a:14.1f} {b:17.1f} {b / a:7.2f}")
    print(
        f"floor (one assessment by primary key): small {small['floor_ms']:.3f} ms, "
        f"national {national['floor_ms']:.3f} ms"
    )
    print(f"national database: {national['assessments']} assessments, {national['responses']} responses")
    ws = report["workshop"]
    print(
        f"workshop: {ws['voters']} voters on one item at once, all stored in {ws['burst_ms']:.0f} ms = "
        f"{ws['burst_x_solo_vote']:.1f} x one vote alone ({ws['solo_vote_ms']:.2f} ms), "
        f"{ws['per_vote_in_burst_x_solo']:.2f} x per vote; presenter refresh {ws['presenter_refresh_ms']:.2f} ms = "
        f"{ws['presenter_refresh_x_floor']:.1f} x floor"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()

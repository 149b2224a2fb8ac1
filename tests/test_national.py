"""A national picture without a national server: each system's instance exports, and a national database
is built by importing those exports (systems kept apart, nothing overwritten, importing again changes nothing)."""

from __future__ import annotations

from checklist import analysis, exports, imports, store
from tests.conftest import ACTOR


def _instance(tmp_path, system: str, places: list[str], base_level: int):
    """One system's own database: two submitted rounds per place and a draft."""
    db = store.connect(tmp_path / f"{system}.db")
    sid = store.create_system(db, system, ACTOR)
    from checklist.framework import current_framework

    items = current_framework().items_for(False)
    for n, place in enumerate(places):
        pid = store.create_place(db, sid, place, ACTOR)
        for r, (label, day) in enumerate((("2026 Q1", "2026-03-31"), ("2026 Q2", "2026-06-30"))):
            aid = store.create_assessment(db, sid, pid, label, day, ACTOR)
            for item in items:
                store.save_response(db, aid, item.id, ACTOR, answer="level", level=min(4, base_level + n + r))
            store.submit_assessment(db, aid, ACTOR)
        store.create_assessment(db, sid, pid, "2026 Q3", "2026-09-30", ACTOR)
    return db


def test_three_systems_exports_make_one_national_database(tmp_path):
    instances = {
        "North ICS": _instance(tmp_path, "North ICS", ["Central", "Coast"], 0),
        "South ICS": _instance(tmp_path, "South ICS", ["Central", "Downs"], 1),  # a place name both share
        "East ICS": _instance(tmp_path, "East ICS", ["Fens"], 2),
    }
    files = {}
    for name, db in instances.items():
        files[name] = exports.csv_bytes(exports.export_frame(db, exports.assessment_ids(db)))
    national = store.connect(tmp_path / "national.db")
    for name, data in files.items():
        counts = imports.import_bytes(national, data, f"{name}.csv", ACTOR, create_missing=True)
        assert counts["created"] == sum(1 for _ in exports.assessment_ids(instances[name]))
    systems = store.list_systems(national)
    assert sorted(systems["name"]) == ["East ICS", "North ICS", "South ICS"]
    south = int(systems[systems["name"] == "South ICS"]["id"].iloc[0])
    north = int(systems[systems["name"] == "North ICS"]["id"].iloc[0])
    assert sorted(store.list_places(national, south)["name"]) == ["Central", "Downs"], "systems kept apart"
    assert sorted(store.list_places(national, north)["name"]) == ["Central", "Coast"]
    for name, db in instances.items():
        sid = int(store.list_systems(national)[lambda f, n=name: f["name"] == n]["id"].iloc[0])
        here, there = (
            analysis.place_levels(db, int(store.list_systems(db)["id"].iloc[0]))[0],
            analysis.place_levels(national, sid)[0],
        )
        assert here.sort_index().equals(there.sort_index()), f"{name}'s latest levels arrive unchanged"
    before = national.execute("SELECT count(*) FROM history").fetchone()[0]
    for name, data in files.items():
        again = imports.import_bytes(national, data, f"{name}.csv", ACTOR, create_missing=True)
        assert again["created"] == 0 and again["replaced"] == 0 and again["skipped"] > 0
    assert national.execute("SELECT count(*) FROM history").fetchone()[0] == before, "a second import changes nothing"

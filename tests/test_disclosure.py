"""Small groups are never identifiable: the minimum group setting, sectors folded on shared screens and in
summaries, other units' figures held back, anonymised places without what would single them out, and the
national view and its open-data file. Each with a small group planted in it."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklist import access, analysis, consensus, disclosure, imports, live, national, reports, store, workshops
from checklist.consensus import SECTOR_LABELS, SECTORS
from checklist.framework import LEVEL_NAMES, current_framework
from tests.conftest import ACTOR, FROZEN_AT
from tests.test_access import _as, shared_demo  # noqa: F401 - fixture
from tests.test_pages import _app, _shown, _texts
from ui import identity

ITEMS = [item.id for item in current_framework().items_for(False)]  # every core item: a round can be submitted


# --- the setting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("", 3), ("5", 5), (" 1 ", 1)])
def test_the_minimum_group_is_three_unless_set(monkeypatch, raw, expected):
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, raw)
    assert disclosure.min_group() == expected


@pytest.mark.parametrize("raw", ["0", "-2", "three", "2.5"])
def test_a_minimum_group_that_is_not_a_group_size_is_refused_plainly(monkeypatch, raw):
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, raw)
    with pytest.raises(store.StoreError, match="expected a whole number of 1 or more"):
        disclosure.min_group()


# --- sectors in a room ---------------------------------------------------------------------------------------

sizes_strategy = st.dictionaries(st.sampled_from(list(SECTORS)), st.integers(min_value=1, max_value=8), min_size=1)


@given(sizes=sizes_strategy, minimum=st.integers(min_value=1, max_value=5), data=st.data())
def test_folding_never_shows_a_sector_smaller_than_the_minimum_and_keeps_every_vote(sizes, minimum, data):
    votes = []
    for sector, people in sizes.items():
        for _ in range(people):
            votes.append((sector, data.draw(st.one_of(st.none(), st.integers(min_value=0, max_value=4)))))
    raw = consensus.tally("governance", votes)
    shown = consensus.fold_sectors(raw, sizes, minimum)
    assert (shown.counts, shown.dont_know, shown.median) == (raw.counts, raw.dont_know, raw.median)
    groups: dict[str, int] = {}
    for sector, people in sizes.items():
        key = sector if sector in shown.by_sector or sector in shown.sector_dont_know else None
        groups[key or "folded"] = groups.get(key or "folded", 0) + people
    for key in (*shown.by_sector, *shown.sector_dont_know):
        people = sum(n for s, n in sizes.items() if s == key) if key in SECTORS else groups["folded"]
        assert people >= minimum or key == consensus.WHOLE_ROOM, (key, sizes)
    assert sum(r["votes"] for r in consensus.tally_rows(shown)) == raw.votes


def test_one_disabled_person_in_a_room_is_counted_with_others_on_the_shared_screen(fresh_db, monkeypatch):
    monkeypatch.delenv(disclosure.MIN_GROUP_VAR, raising=False)
    db = fresh_db
    sid = store.create_system(db, "Room ICS", ACTOR)
    aid = store.create_assessment(db, sid, None, "R1", "2026-01-01", ACTOR)
    w = workshops.start_workshop(db, aid, ACTOR)
    planted = [("health", 3), ("health", 3), ("health", 4), ("sport", 2), ("sport", 2), ("sport", 3),
               ("lived_experience", 0)]  # fmt: skip
    for sector, level in planted:
        workshops.cast_vote(db, workshops.join(db, w["code"], sector)["token"], w["current_item"], level)
    workshops.set_revealed(db, w["id"], True, ACTOR)
    state = live.read_room(db, w["id"]).presenter()
    sectors = {row["sector"] for row in state["rows"]}
    assert SECTORS["lived_experience"] not in sectors, "one person's vote would show as theirs"
    assert sectors == {SECTORS["sport"], SECTOR_LABELS[consensus.FOLDED]}, "folded with the next smallest (health)"
    assert sum(row["votes"] for row in state["rows"]) == 7 and state["joined"] == 7
    # The summary and the answers-so-far table fold the same way; the facilitator may ask for every sector.
    result = workshops.summary(db, w["id"])
    assert all("Lived experience" not in g.sentence("x") for g in result.sector_gaps)
    private = workshops.summary(db, w["id"], private=True)
    assert any("Lived experience" in g.sentence("x") for g in private.sector_gaps)
    table = workshops.collected_table(db, w["id"])
    assert SECTORS["lived_experience"] not in table.columns and SECTORS["sport"] in table.columns
    assert SECTORS["lived_experience"] in workshops.collected_table(db, w["id"], private=True).columns
    # A service that sets the minimum to 1 shows every sector.
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, "1")
    rows = live.read_room(db, w["id"]).presenter()["rows"]
    assert SECTORS["lived_experience"] in {row["sector"] for row in rows}


# --- other units' figures ------------------------------------------------------------------------------------


def _plant_small_system(db, name: str = "Tiny ICS", places: int = 2, level: int | None = None) -> None:  # noqa: ANN001
    """A system with `places` places, each with a submitted round (through the importer, all at once), every
    item at `level` (or at the place's number)."""
    rows = [{"system": name, "place": f"{name} place {n}", "round": "R1", "date": f"2026-0{n + 1}-01",
             "status": "submitted", **dict.fromkeys(ITEMS, n % 5 if level is None else level)}
            for n in range(1, places + 1)]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    imports.import_bytes(db, buffer.getvalue().encode(), "tiny.csv", ACTOR, create_missing=True)


def test_learn_from_counts_places_the_reader_has_no_role_for_and_holds_back_a_small_count():
    levels = pd.DataFrame({"governance": [4.0, 3.0, 4.0, 1.0]}, index=["Mine (X)", "Theirs 1 (Y)", "Theirs 2 (Y)",
                                                                      "Low (Y)"])  # fmt: skip
    found = analysis.learn_from(levels, "governance", {"Mine (X)"}, None, minimum=3)
    assert list(found.named["place"]) == ["Mine (X)"]
    assert found.elsewhere == 2 and found.elsewhere_text == "fewer than 3"
    assert analysis.learn_from(levels, "governance", set(), None, minimum=2).elsewhere_text == "3"


def test_where_to_learn_from_only_counts_other_systems_places_and_not_when_they_are_few(tmp_path, monkeypatch):
    path = tmp_path / "learn.db"
    db = store.connect(path)
    _plant_small_system(db, "Home ICS", places=1, level=1)  # the reader's own place, weak everywhere
    _plant_small_system(db, "Tiny ICS", places=2, level=4)  # two places elsewhere, thriving
    home = int(store.list_systems(db).set_index("name").loc["Home ICS", "id"])
    viewer = access.add_user(db, ACTOR, "viewer@home.nhs.uk", "Vi")
    access.grant(db, ACTOR, viewer, access.VIEWER, home)
    monkeypatch.setenv(store.DB_ENV_VAR, str(path))
    monkeypatch.setenv(identity.MODE_VAR, identity.SHARED)
    place = "Home ICS place 1"  # a bookmarked choice names the place
    at = _as("viewer@home.nhs.uk", "pages/dashboard.py", dash_system="Home ICS", dash_place=place)
    text = _shown(_texts(at))
    assert "Elsewhere: fewer than 3 places you have no role for are at Maturing or above" in text
    assert "Tiny ICS" not in str(at) and "Place A" not in text
    _plant_small_system(db, "Third ICS", places=1, level=4)  # three places elsewhere now: a count may be given
    text = _shown(_texts(_as("viewer@home.nhs.uk", "pages/dashboard.py", dash_system="Home ICS", dash_place=place)))
    assert "Elsewhere: 3 places you have no role for are at Maturing or above" in text


def test_systems_compared_holds_back_a_system_with_too_few_places(shared_demo):  # noqa: F811
    db, *_ = shared_demo
    _plant_small_system(db)
    viewer = access.find_user(db, "viewer@example.nhs.uk")
    sid = int(store.list_systems(db).set_index("name").loc["Northmoor and Vale ICS", "id"])
    uid = viewer.id
    access.grant(db, ACTOR, uid, access.VIEWER, sid)
    at = _as("viewer@example.nhs.uk", "pages/compare.py")
    text = _shown(_texts(at))
    assert "Not shown: 1 other system with fewer than 3 places with results" in text
    grid = next(d.value for d in at.dataframe if "System" in d.value.columns)
    assert "Northmoor and Vale ICS" in set(grid["System"]) and "System B" not in set(grid["System"])
    assert "Tiny ICS" not in str(at)
    # Their own system is theirs to see whatever its size: a lead of Tiny ICS sees it by name.
    tiny = int(store.list_systems(db).set_index("name").loc["Tiny ICS", "id"])
    access.grant(db, ACTOR, uid, access.VIEWER, tiny)
    grid = next(d.value for d in _as("viewer@example.nhs.uk", "pages/compare.py").dataframe
                if "System" in d.value.columns)  # fmt: skip
    assert "Tiny ICS" in set(grid["System"])


def test_anonymised_places_show_no_round_or_date_that_would_single_one_out(demo_path, monkeypatch):
    db = store.connect(demo_path)
    sid = int(store.list_systems(db)["id"].iloc[0])
    at = _app(demo_path, monkeypatch, "pages/compare.py", cmp_system=str(sid), cmp_anonymise="true")
    caption = next(c.value for c in at.caption if "places compared" in c.value)
    assert "Place A" not in caption and "2026" in caption and "no place's round or date is shown" in caption
    levels, facts = analysis.place_levels(db, sid)
    for date in facts["date"]:
        assert str(date) not in caption
    html = reports.comparison_html(db, sid, None, FROZEN_AT.date(), anonymise=True)
    assert "no place&#x27;s round or date is shown" in html or "no place's round or date is shown" in html
    assert not any(name in html for name in facts.index)


# --- the national view ---------------------------------------------------------------------------------------


def test_the_national_view_holds_back_small_systems_periods_and_levels(demo_path, fw):
    db = store.connect(demo_path)
    _plant_small_system(db)
    rounds = national.place_rounds(db, fw)
    spread = national.systems_spread(rounds, 3)
    tiny = spread.set_index("system").loc["Tiny ICS"]
    assert not tiny["shown"] and pd.isna(tiny["median"]) and tiny["places"] == 2
    big = spread[spread["shown"]]
    assert (big["places"] >= 3).all() and (big["lowest"] <= big["median"]).all()
    trend = national.national_trend(rounds, 3)
    for row in trend.itertuples():
        assert row.shown == (row.places >= 3)
    shown = national.as_published(trend, ["period", "places", *list(LEVEL_NAMES)], 3)
    for column in list(LEVEL_NAMES):
        for value in shown[column]:
            assert value == "fewer than 3" or value == "0" or int(value) >= 3
    published = national.open_data_csv(spread, trend, 3).decode()
    lines = list(csv.DictReader(io.StringIO(published)))
    tiny_rows = [r for r in lines if r["unit"] == "Tiny ICS"]
    assert {r["value"] for r in tiny_rows} == {"fewer than 3"}, "nothing about Tiny ICS but that it is small"
    assert not any(r["value"] not in ("fewer than 3",) and r["value"].startswith(("=", "+", "@")) for r in lines)


@pytest.mark.parametrize(
    ("counts", "withheld"),
    [
        ({"Emerging": 6, "Developing": 2}, ["Emerging", "Developing"]),  # 2 would be 8 less 6: both withheld
        ({"Emerging": 5, "Developing": 3}, []),
        ({"Emerging": 4, "Developing": 1, "Maturing": 4}, ["Emerging", "Developing"]),
        ({"Emerging": 1, "Developing": 1, "Maturing": 9}, ["Emerging", "Developing", "Maturing"]),  # 1 + 1 < 3
    ],
)
def test_a_withheld_count_cannot_be_worked_out_from_the_total(counts, withheld):
    full = {name: counts.get(name, 0) for name in LEVEL_NAMES}
    assert national.withheld_counts(full, 3) == withheld


def test_the_national_page_is_for_the_service_and_national_viewers_only(shared_demo):  # noqa: F811
    db, *_ = shared_demo
    _plant_small_system(db)
    national_viewer = access.add_user(db, ACTOR, "national@example.gov.uk", "Nat")
    access.grant(db, ACTOR, national_viewer, access.VIEWER)
    at = _as("national@example.gov.uk", "pages/national.py")
    assert not at.exception and "National view" in at.session_state["_pages"]
    text = _shown(_texts(at))
    assert "Figures not shown (fewer than 3 places with results): Tiny ICS" in text
    table = next(d.value for d in at.dataframe if "System" in d.value.columns)
    assert table.set_index("System").loc["Tiny ICS", "Median"] == "fewer than 3"
    assert "National view" not in _as("viewer@example.nhs.uk").session_state["_pages"]
    assert "National view" not in _as("lead@example.nhs.uk").session_state["_pages"]

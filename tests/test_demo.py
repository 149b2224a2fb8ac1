"""The demo: deterministic, realistic enough that every page has something to show, and only for empty databases."""

import pytest

from checklist import demo, store


def _fingerprint(db):
    frame = store.list_assessments(db)
    return [
        (r.unit_name, r.round_label, r.status, r.answered, store.score(db, int(r.id)).overall)
        for r in frame.itertuples()
    ]


def test_demo_is_deterministic():
    first, second = store.connect(":memory:"), store.connect(":memory:")
    demo.create_demo(first)
    demo.create_demo(second)
    assert _fingerprint(first) == _fingerprint(second)


def test_demo_has_systems_places_and_three_rounds_that_move(demo_path):
    db = store.connect(demo_path)
    systems = store.list_systems(db)
    assert len(systems) == 2
    northmoor = int(systems[systems["name"] == "Northmoor and Vale ICS"]["id"].iloc[0])
    places = store.list_places(db, northmoor)
    assert len(places) == 5
    for place_id in places["id"]:
        rounds = store.list_assessments(db, place_id=int(place_id))
        submitted = rounds[rounds["status"] == store.SUBMITTED]
        assert len(submitted) == 3
        scores = [store.score(db, int(i)).overall for i in submitted["id"]]
        assert all(s is not None for s in scores)
        assert len(set(scores)) > 1  # scores move between rounds
    drafts = store.list_assessments(db)
    assert (drafts["status"] == store.DRAFT).sum() == 2
    actions = sum(len(store.list_actions(db, int(i))) for i in drafts["id"])
    assert actions > 0, "the demo includes an action plan"


def test_demo_refuses_a_database_with_data(demo_path):
    with pytest.raises(store.StoreError, match="already holds data"):
        demo.create_demo(store.connect(demo_path))


def test_demo_includes_a_closed_workshop_whose_agreed_levels_match_the_draft(demo_path):
    from checklist import workshops

    db = store.connect(demo_path)
    draft = store.list_assessments(db, status=store.DRAFT)
    whole = draft[draft["place_id"].isna()]
    aid = int(whole["id"].iloc[0])
    held = workshops.list_workshops(db, aid)
    assert held[["status", "participants", "votes", "agreed"]].values.tolist() == [["closed", 12, 48, 3]]
    saved = store.responses(db, aid)
    for item_id, agreement in workshops.agreements(db, int(held["id"].iloc[0])).items():
        assert saved[item_id]["level"] == agreement["level"]
        assert f"[Workshop {held['code'].iloc[0]}," in saved[item_id]["evidence"]
    kinds = workshops.list_notes(db, aid)["kind"].tolist()
    assert sorted(kinds) == ["note", "parking", "parking", "quote"]

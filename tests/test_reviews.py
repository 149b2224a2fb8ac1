"""The reviewer's step: comments on evidence answered by the lead, evidence verified, all in history,
refused for anyone without the role (domain layer), and the same on the Assess page (AppTest)."""

from __future__ import annotations

import pytest

from checklist import access, privacy, reviews, store
from checklist.access import LEAD, REVIEWER, VIEWER, PermissionDenied
from tests.conftest import ACTOR
from tests.test_access import _as, shared_db, shared_demo  # noqa: F401 - fixtures
from tests.test_pages import _tab, _texts


def test_a_reviewer_comments_the_lead_addresses_and_history_keeps_both(shared_db):  # noqa: F811
    db, _, place_a, _, drafts, people = shared_db
    aid = drafts[place_a]
    cid = reviews.add_comment(db, aid, "  Which minutes show this?  ", people[REVIEWER], "governance")
    general = reviews.add_comment(db, aid, "Dates missing throughout", people[REVIEWER])
    assert reviews.open_count(db, aid) == 2
    reviews.set_addressed(db, cid, True, people[LEAD])
    found = reviews.comments(db, aid)
    assert list(found["id"]) == [general, cid], "open comments first"
    addressed = found.set_index("id").loc[cid]
    assert addressed["text"] == "Which minutes show this?" and addressed["addressed_by"] == "A lead"
    assert reviews.open_count(db, aid) == 1
    reviews.set_addressed(db, cid, False, people[REVIEWER])  # the reviewer is not satisfied: open again
    assert reviews.open_count(db, aid) == 2
    changes = store.history(db, aid)
    mine = changes[changes["entity"] == "review_comment"]
    assert list(mine["actor"]) == ["A reviewer", "A reviewer", "A lead", "A reviewer"]
    assert list(mine["field"]) == ["text", "text", "addressed", "addressed"]


def test_comments_are_refused_to_anyone_without_the_role_and_to_bad_input(shared_db):  # noqa: F811
    db, _, place_a, place_b, drafts, people = shared_db
    for who in (people[LEAD], people[VIEWER]):
        with pytest.raises(PermissionDenied, match="comment on this round"):
            reviews.add_comment(db, drafts[place_a], "Looks fine", who)
    with pytest.raises(PermissionDenied):
        reviews.add_comment(db, drafts[place_b], "Not my place", people[REVIEWER])
    with pytest.raises(store.StoreError, match="empty"):
        reviews.add_comment(db, drafts[place_a], "   ", people[REVIEWER])
    with pytest.raises(store.StoreError, match="at most 2000"):
        reviews.add_comment(db, drafts[place_a], "x" * 2001, people[REVIEWER])
    with pytest.raises(store.StoreError, match="unknown item id 'nonsense'"):
        reviews.add_comment(db, drafts[place_a], "Hm", people[REVIEWER], "nonsense")
    cid = reviews.add_comment(db, drafts[place_a], "Check this", people[REVIEWER])
    with pytest.raises(PermissionDenied):
        reviews.set_addressed(db, cid, True, people[VIEWER])
    with pytest.raises(PermissionDenied):
        reviews.withdraw(db, cid, people[LEAD])
    with pytest.raises(store.NotFoundError, match="no review comment with id 999"):
        reviews.set_addressed(db, 999, True, people[LEAD])
    assert reviews.open_count(db, drafts[place_a]) == 1 and reviews.open_count(db, drafts[place_b]) == 0


def test_a_reviewer_withdraws_only_their_own_comment_and_it_stays_in_history(shared_db):  # noqa: F811
    db, sid, place_a, _, drafts, people = shared_db
    uid = access.add_user(db, ACTOR, "second@example.nhs.uk", "Second reviewer")
    access.grant(db, ACTOR, uid, REVIEWER, sid, place_a)
    second = access.find_user(db, "second@example.nhs.uk")
    cid = reviews.add_comment(db, drafts[place_a], "Source please", people[REVIEWER])
    with pytest.raises(PermissionDenied, match="only their own comments"):
        reviews.withdraw(db, cid, second)
    reviews.withdraw(db, cid, people[REVIEWER])
    assert reviews.comments(db, drafts[place_a]).empty
    kept = reviews.comments(db, drafts[place_a], include_withdrawn=True)
    assert kept["text"].tolist() == ["Source please"] and kept["withdrawn_at"].notna().all()
    with pytest.raises(store.StoreError, match="withdrawn"):
        reviews.set_addressed(db, cid, True, people[LEAD])


def test_evidence_is_verified_by_a_reviewer_after_submission_but_not_once_signed_off(shared_db, fw):  # noqa: F811
    db, _, place_a, _, drafts, people = shared_db
    aid = drafts[place_a]
    with pytest.raises(store.StoreError, match="no evidence recorded"):
        reviews.verify_evidence(db, aid, "governance", people[REVIEWER])
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, people[LEAD], answer="level", level=2, evidence="Board minutes")
    store.submit_assessment(db, aid, people[LEAD])
    with pytest.raises(PermissionDenied, match="mark evidence verified"):
        reviews.verify_evidence(db, aid, "governance", people[LEAD])
    assert reviews.verify_evidence(db, aid, "governance", people[REVIEWER]) is True
    assert reviews.verify_evidence(db, aid, "governance", people[REVIEWER]) is False, "already verified"
    assert store.responses(db, aid)["governance"]["confidence"] == "verified"
    assert store.responses(db, aid)["governance"]["level"] == 2, "the answer itself is untouched"
    last = store.history(db, aid).iloc[-1]
    assert (last["actor"], last["field"], last["new_value"]) == ("A reviewer", "confidence", "verified")
    store.sign_off(db, aid, people[REVIEWER])
    with pytest.raises(store.StoreError, match="already signed off"):
        reviews.verify_evidence(db, aid, fw.items_for(False)[1].id, people[REVIEWER])


def test_a_reviewers_comments_are_part_of_their_personal_data_and_erased_with_it(shared_db):  # noqa: F811
    db, _, place_a, _, drafts, people = shared_db
    cid = reviews.add_comment(db, drafts[place_a], "Ask A lead for the minutes", people[REVIEWER])
    found = privacy.personal_data(db, ACTOR, "reviewer@example.nhs.uk")
    assert found["review_comments.created_by"] == [cid]
    about_lead = privacy.personal_data(db, ACTOR, "lead@example.nhs.uk")
    assert {"table": "review_comments", "row": cid, "column": "text"} in about_lead[
        "free text mentioning them (review by hand)"
    ]
    privacy.erase_person(db, ACTOR, "reviewer@example.nhs.uk")
    assert "A reviewer" not in set(reviews.comments(db, drafts[place_a])["created_by"])


# --- on the Assess page ---------------------------------------------------------------------------


def test_the_reviewer_comments_on_the_page_and_the_lead_sees_it_on_the_item(shared_demo):  # noqa: F811
    db, sid, place_a, _, draft_of = shared_demo
    aid = draft_of[place_a]
    lead = access.find_user(db, "lead@example.nhs.uk")
    store.save_response(db, aid, "governance", lead, answer="level", level=2, evidence="Terms of reference")
    at = _as("reviewer@example.nhs.uk", "pages/assess.py", assessment=str(aid))
    assert "Reviewer's comments" in [s.value for s in at.subheader]
    at.selectbox(key=f"assess_comment_{aid}_item").set_value("governance")
    at.text_area(key=f"assess_comment_{aid}_text").input("Which meeting agreed these? **urgent**")
    at.button(key=f"assess_comment_{aid}_add").click().run()
    assert not at.exception
    assert "Reviewer's comments (1 open)" in [s.value for s in at.subheader]
    assert at.text_area(key=f"assess_comment_{aid}_text").value == "", "the box is cleared for the next comment"
    at.selectbox(key=f"assess_comment_{aid}_verify_item").set_value("governance")
    at.button(key=f"assess_comment_{aid}_verify").click().run()
    assert store.responses(db, aid)["governance"]["confidence"] == "verified"
    comment = reviews.comments(db, aid).iloc[0]
    assert (comment["item_id"], comment["created_by"]) == ("governance", "The reviewer")

    at = _as("lead@example.nhs.uk", "pages/assess.py", assessment=str(aid), item="governance")
    shown = [w.value for w in at.warning]
    assert any("Which meeting agreed these? \\*\\*urgent\\*\\*" in w for w in shown), "user text shown as text"
    at.button(key=f"assess_item_comment_addressed_{int(comment['id'])}").click().run()
    assert reviews.open_count(db, aid) == 0
    assert "Comment marked addressed" in _texts(at)
    assert not [k for k in (b.key or "" for b in at.button) if k.startswith(f"assess_comment_{aid}")], (
        "a lead gets no reviewer's controls"
    )
    _tab(at, aid, "History")
    history = next(t.value for t in at.table if "Who" in t.value.columns)
    assert {"The lead", "The reviewer"} <= set(history["Who"]), "the History view names people, not ids"


def test_a_viewer_reads_comments_but_gets_no_buttons(shared_demo):  # noqa: F811
    db, sid, place_a, _, draft_of = shared_demo
    aid = draft_of[place_a]
    reviews.add_comment(db, aid, "Please add dates", access.find_user(db, "reviewer@example.nhs.uk"))
    at = _tab(_as("viewer@example.nhs.uk", "pages/assess.py", assessment=str(aid)), aid, "Review and submit")
    assert not at.exception and "Please add dates" in _texts(at)
    assert not [b for b in at.button if (b.key or "").startswith("assess_comment")]

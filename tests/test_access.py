"""Shared mode: the permission matrix cell by cell, writes refused by the domain layer, and every role
through the pages (AppTest with an injected signed-in user)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from checklist import access, store, workshops
from checklist.access import ADMIN, LEAD, REVIEWER, VIEWER, Grant, PermissionDenied, User
from tests.conftest import ACTOR, signed_in
from tests.test_pages import APP, _shown, _tab, _texts
from ui import identity

A, B, OTHER_SYSTEM = 1, 2, 99  # place ids in system 1 (A, B); a second system
SYSTEM = 1
MATRIX = {  # action -> roles allowed on their own unit (the README's table)
    access.READ: {ADMIN, LEAD, REVIEWER, VIEWER},
    access.EXPORT: {ADMIN, LEAD, REVIEWER, VIEWER},
    access.EDIT: {ADMIN, LEAD},
    access.RUN_WORKSHOP: {ADMIN, LEAD},
    access.REVIEW: {ADMIN, REVIEWER},
    access.MANAGE: {ADMIN},
    access.MANAGE_USERS: {ADMIN},
    access.BACKUP: {ADMIN},
    access.RESTORE: {ADMIN},
}


def _user(role: str, system_id: int | None = SYSTEM, place_id: int | None = A) -> User:
    if role == ADMIN:
        system_id = place_id = None
    return User(name=f"{role} person", email=f"{role}@example.nhs.uk", grants=(Grant(role, system_id, place_id),))


@pytest.mark.parametrize("action", access.ACTIONS)
@pytest.mark.parametrize("role", access.ROLES)
def test_each_cell_of_the_matrix(role, action):
    user = _user(role)
    assert access.can(user, action, SYSTEM, A) == (role in MATRIX[action])
    # Never on another place or system than their own (unit actions), whatever the role but admin.
    unit_action = action not in access.GLOBAL_ACTIONS
    if role != ADMIN and unit_action:
        assert not access.can(user, action, SYSTEM, B)
        assert not access.can(user, action, OTHER_SYSTEM, None)


@pytest.mark.parametrize("role", access.ROLES)
def test_a_participant_is_never_a_user_and_nobody_without_a_role_may_do_anything(role):
    nobody = User(name="someone", email="someone@example.nhs.uk")
    assert not any(access.can(nobody, action, SYSTEM, A) for action in access.ACTIONS)


def test_a_role_on_a_system_covers_its_places_and_one_on_every_system_covers_all():
    system_lead = User("lead", grants=(Grant(LEAD, SYSTEM, None),))
    assert access.can(system_lead, access.EDIT, SYSTEM, A) and access.can(system_lead, access.EDIT, SYSTEM, None)
    assert not access.can(system_lead, access.EDIT, OTHER_SYSTEM, None)
    everywhere = User("viewer", grants=(Grant(VIEWER),))
    assert access.can(everywhere, access.READ, OTHER_SYSTEM, 7) and not access.can(everywhere, access.EDIT, SYSTEM)


@pytest.fixture
def shared_db(fresh_db):
    """Two places in one system, a draft for each, and a lead, a reviewer and a viewer of place A."""
    db = fresh_db
    sid = store.create_system(db, "Shared ICS", ACTOR)
    place_a = store.create_place(db, sid, "Place A", ACTOR)
    place_b = store.create_place(db, sid, "Place B", ACTOR)
    drafts = {p: store.create_assessment(db, sid, p, "R1", "2026-01-01", ACTOR) for p in (place_a, place_b)}
    people = {}
    for role in (LEAD, REVIEWER, VIEWER):
        uid = access.add_user(db, ACTOR, f"{role}@example.nhs.uk", f"A {role}")
        access.grant(db, ACTOR, uid, role, sid, place_a)
        people[role] = access.find_user(db, f"{role.upper()}@EXAMPLE.NHS.UK")  # any case
    return db, sid, place_a, place_b, drafts, people


def test_writes_are_refused_by_the_domain_layer_for_the_wrong_role_or_unit(shared_db):
    db, sid, place_a, place_b, drafts, people = shared_db
    lead, reviewer, viewer = people[LEAD], people[REVIEWER], people[VIEWER]
    assert store.save_response(db, drafts[place_a], "governance", lead, answer="level", level=2)
    for who, aid in ((lead, drafts[place_b]), (viewer, drafts[place_a]), (reviewer, drafts[place_a])):
        with pytest.raises(PermissionDenied, match="ask an administrator"):
            store.save_response(db, aid, "governance", who, answer="level", level=3)
    with pytest.raises(PermissionDenied):
        store.create_system(db, "Rogue ICS", lead)
    with pytest.raises(PermissionDenied):
        store.create_assessment(db, sid, place_b, "R2", "2026-02-01", lead)
    with pytest.raises(PermissionDenied):
        workshops.start_workshop(db, drafts[place_b], lead)
    with pytest.raises(PermissionDenied):
        access.add_user(db, lead, "friend@example.nhs.uk")
    with pytest.raises(PermissionDenied):
        store.add_action(db, drafts[place_a], "governance", viewer, "Do more")
    assert store.responses(db, drafts[place_b]) == {}, "nothing was written"
    names = set(store.history(db, drafts[place_a])["actor"])
    assert "A lead" in names, "history records the real person"


def test_only_a_reviewer_marks_evidence_verified(shared_db):
    db, _, place_a, _, drafts, people = shared_db
    with pytest.raises(PermissionDenied, match="mark evidence verified"):
        store.save_response(db, drafts[place_a], "governance", people[LEAD], evidence="Minutes", confidence="verified")
    assert store.save_response(db, drafts[place_a], "governance", people[REVIEWER], confidence="verified")


def test_sign_off_needs_a_second_pair_of_eyes_and_reopening_withdraws_it(shared_db, fw):
    db, sid, place_a, _, drafts, people = shared_db
    aid = drafts[place_a]
    for item in fw.items_for(False):
        store.save_response(db, aid, item.id, people[LEAD], answer="level", level=2)
    with pytest.raises(store.StoreError, match="still a draft"):
        store.sign_off(db, aid, people[REVIEWER])
    store.submit_assessment(db, aid, people[LEAD])
    # Four eyes by identity: the submitter, given a reviewer's role and renamed, is still the submitter.
    lead = people[LEAD]
    access.grant(db, ACTOR, lead.id, REVIEWER, sid, place_a)
    access.add_user(db, ACTOR, lead.email, "Someone Else Entirely")
    with pytest.raises(PermissionDenied, match="someone else must sign it off"):
        store.sign_off(db, aid, access.find_user(db, lead.email))
    with pytest.raises(PermissionDenied):
        store.sign_off(db, aid, people[VIEWER])
    store.sign_off(db, aid, people[REVIEWER])
    signed = store.get_assessment(db, aid)
    assert signed["signed_off_by"] == "A reviewer" and signed["signed_off_at"]
    store.reopen_assessment(db, aid, people[LEAD], "A correction")
    reopened = store.get_assessment(db, aid)
    assert (reopened["signed_off_at"], reopened["signed_off_by"], reopened["signed_off_user_id"]) == (None, "", None)


def test_users_are_added_once_disabled_and_enabled_again(fresh_db):
    db = fresh_db
    uid = access.add_user(db, ACTOR, "Sam@Example.nhs.uk", "Sam")
    assert access.add_user(db, ACTOR, "sam@example.nhs.uk") == uid
    with pytest.raises(PermissionDenied, match="not an e-mail address"):
        access.add_user(db, ACTOR, "sam")
    access.disable_user(db, ACTOR, uid)
    assert access.find_user(db, "sam@example.nhs.uk") is None
    access.add_user(db, ACTOR, "sam@example.nhs.uk")
    assert access.find_user(db, "sam@example.nhs.uk").name == "Sam"


# --- the pages, per role (AppTest, shared mode, an injected signed-in user) ---------------------------

ALL_PAGES = ["Home", "Assess", "Dashboard", "Compare places", "Workshop", "The framework", "Manage", "Accessibility"]
PAGES_BY_ROLE = {
    ADMIN: ALL_PAGES,
    LEAD: ["Home", "Assess", "Dashboard", "Compare places", "Workshop", "The framework", "Accessibility"],
    REVIEWER: ["Home", "Assess", "Dashboard", "Compare places", "The framework", "Accessibility"],
    VIEWER: ["Home", "Assess", "Dashboard", "Compare places", "The framework", "Accessibility"],
}


@pytest.fixture
def shared_demo(demo_path, monkeypatch):
    """The demo in shared mode, with a lead, reviewer and viewer of its first place and an admin."""
    monkeypatch.setenv(store.DB_ENV_VAR, str(demo_path))
    monkeypatch.setenv(identity.MODE_VAR, identity.SHARED)
    db = store.connect(demo_path)
    systems = store.list_systems(db)
    sid = int(systems["id"].iloc[0])
    places = store.list_places(db, sid)
    place_a, place_b = int(places["id"].iloc[0]), int(places["id"].iloc[1])
    for role in access.ROLES:
        uid = access.add_user(db, ACTOR, f"{role}@example.nhs.uk", f"The {role}")
        access.grant(db, ACTOR, uid, role, None if role == ADMIN else sid, None if role == ADMIN else place_a)
    draft_of = {p: store.create_assessment(db, sid, p, "Shared round", "2026-11-01", ACTOR) for p in (place_a, place_b)}
    return db, sid, place_a, place_b, draft_of


def _as(email: str | None, page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": False} if email is None else signed_in(email)
    at.run()
    if not page and not params:
        return at
    if page:
        at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("role", access.ROLES)
def test_each_role_gets_the_pages_the_matrix_gives_it(shared_demo, role):
    at = _as(f"{role}@example.nhs.uk")
    assert not at.exception
    assert at.session_state["_pages"] == PAGES_BY_ROLE[role]
    assert any(c.value.startswith(f"Signed in as The {role} (") for c in at.sidebar.caption)


@pytest.mark.parametrize("page", ["pages/manage.py", "pages/workshop.py"])
def test_a_page_not_listed_cannot_be_reached_by_switching_to_it(shared_demo, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = signed_in("viewer@example.nhs.uk")
    at.run()
    with pytest.raises(Exception):  # noqa: B017, PT011 - Streamlit refuses a page not in the navigation
        at.switch_page(page).run()


def test_nobody_signed_in_sees_only_the_sign_in_page(shared_demo):
    at = _as(None)
    assert [t.value for t in at.title] == ["Sign in"]
    assert at.button(key="sign_in").label == "Sign in"


def test_an_unknown_person_is_told_to_ask_their_administrator(shared_demo):
    at = _as("stranger@example.nhs.uk")
    assert [t.value for t in at.title] == ["Ask your administrator for access"]
    assert "You are signed in as stranger@example.nhs.uk," in _shown(_texts(at))


def test_a_lead_of_one_place_cannot_open_another_places_draft_by_address(shared_demo):
    db, sid, place_a, place_b, draft_of = shared_demo
    at = _as("lead@example.nhs.uk", "pages/assess.py", assessment=str(draft_of[place_b]))
    refused = _shown(at.warning[0].value)
    assert "cannot be opened: there is no such assessment, or it is not one you may open" in refused
    missing = _as("lead@example.nhs.uk", "pages/assess.py", assessment="99999")
    # The same answer whether the round exists or not: nobody learns which ids exist.
    assert _shown(missing.warning[0].value).replace("99999", "N") == refused.replace(str(draft_of[place_b]), "N")
    at = _as("lead@example.nhs.uk", "pages/assess.py", assessment=str(draft_of[place_a]))
    assert not at.exception and "Draft: every change is saved" in _texts(at)


def test_a_viewer_reads_a_draft_but_cannot_change_it(shared_demo):
    db, sid, place_a, place_b, draft_of = shared_demo
    at = _as("viewer@example.nhs.uk", "pages/assess.py", assessment=str(draft_of[place_a]))
    assert not at.exception and at.metric, "a reader opens a round on its results"
    at = _tab(at, draft_of[place_a], "Answer")
    assert "Draft, read only" in _texts(at) and "only a lead of this system or place can change it" in _texts(at)
    at = _tab(at, draft_of[place_a], "Review and submit")
    assert not at.exception
    assert "its lead submits it when every item is answered" in _texts(at)


def test_local_mode_needs_no_sign_in_and_says_so(demo_path, monkeypatch):
    monkeypatch.setenv(store.DB_ENV_VAR, str(demo_path))
    monkeypatch.delenv(identity.MODE_VAR, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [c.value for c in at.sidebar.caption] == ["Local mode: anyone using this computer can change everything."]


def test_an_unknown_workshop_and_one_you_may_not_run_get_the_same_answer(shared_demo):
    db, sid, place_a, place_b, draft_of = shared_demo
    theirs = workshops.start_workshop(db, draft_of[place_b], ACTOR)["id"]
    refused = _as("lead@example.nhs.uk", "pages/workshop.py", workshop=str(theirs))
    missing = _as("lead@example.nhs.uk", "pages/workshop.py", workshop="99999")
    said = [_shown(at.warning[0].value) for at in (refused, missing)]
    assert "cannot be opened: there is no such workshop, or it is not one you may open" in said[0]
    assert said[0].replace(str(theirs), "N") == said[1].replace("99999", "N")

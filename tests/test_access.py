"""Shared mode: the permission matrix cell by cell, writes refused by the domain layer, and every role
through the pages (AppTest with an injected signed-in user)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from checklist import access, demo, store, workshops
from checklist.access import ADMIN, LEAD, REVIEWER, VIEWER, Grant, PermissionDenied, User
from tests.conftest import ACTOR, signed_in
from tests.test_pages import APP, _shown, _tab, _texts
from ui import identity

A, B, OTHER_SYSTEM = 1, 2, 99  # place ids in system 1 (A, B); a second system
SYSTEM = 1
SERVICE_ADMIN, SYSTEM_ADMIN = "service admin", "system admin"  # the admin role with no system, and on one
COLUMNS = (SERVICE_ADMIN, SYSTEM_ADMIN, LEAD, REVIEWER, VIEWER)  # the roles table (admins' guide), left to right
MATRIX = {  # action -> who may take it on their own unit (the roles table)
    access.READ: {SERVICE_ADMIN, SYSTEM_ADMIN, LEAD, REVIEWER, VIEWER},
    access.EXPORT: {SERVICE_ADMIN, SYSTEM_ADMIN, LEAD, REVIEWER, VIEWER},
    access.EDIT: {SERVICE_ADMIN, SYSTEM_ADMIN, LEAD},
    access.RUN_WORKSHOP: {SERVICE_ADMIN, SYSTEM_ADMIN, LEAD},
    access.REVIEW: {SERVICE_ADMIN, SYSTEM_ADMIN, REVIEWER},
    access.MANAGE: {SERVICE_ADMIN, SYSTEM_ADMIN},
    access.MANAGE_USERS: {SERVICE_ADMIN, SYSTEM_ADMIN},
    access.MANAGE_SERVICE: {SERVICE_ADMIN},
    access.BACKUP: {SERVICE_ADMIN},
    access.RESTORE: {SERVICE_ADMIN},
}


def _user(column: str) -> User:
    """Someone in one column of the table: a service admin, an admin of SYSTEM, or a role on its place A."""
    grant = {SERVICE_ADMIN: Grant(ADMIN), SYSTEM_ADMIN: Grant(ADMIN, SYSTEM)}.get(column) or Grant(column, SYSTEM, A)
    return User(name=f"{column} person", email=f"{column.replace(' ', '.')}@example.nhs.uk", grants=(grant,))


@pytest.mark.parametrize("action", access.ACTIONS)
@pytest.mark.parametrize("column", COLUMNS)
def test_each_cell_of_the_matrix(column, action):
    user = _user(column)
    assert access.can(user, action, SYSTEM, A) == (column in MATRIX[action])
    if action in access.GLOBAL_ACTIONS:
        assert access.can(user, action) == (column == SERVICE_ADMIN), "the service's steps: a service admin's alone"
        return
    # Never on another system than their own, whatever the role but a service admin's; a system admin holds
    # every place of their system, the others only their own place.
    assert access.can(user, action, OTHER_SYSTEM, None) == (column == SERVICE_ADMIN and column in MATRIX[action])
    assert access.can(user, action, SYSTEM, B) == (column in (SERVICE_ADMIN, SYSTEM_ADMIN) and column in MATRIX[action])


def test_the_roles_table_in_the_docs_is_the_matrix():
    """Each row of the roles table in the admins' guide has a tick in exactly the columns this test's MATRIX gives."""
    from tests.test_docs import DOCS

    rows = {}
    for line in (DOCS / "guides" / "admins.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and "(`" in line and "`)" in line:
            action = line.split("(`", 1)[1].split("`)", 1)[0]
            cells = [c.strip() for c in line.strip().strip("|").split("|")][1:]
            for name in action.split("`, `"):
                rows[name] = cells
    for action, allowed in MATRIX.items():
        cells = rows[action]
        assert [c != "–" for c in cells[: len(COLUMNS)]] == [c in allowed for c in COLUMNS], action


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

ALL_PAGES = ["Home", "Assess", "Dashboard", "Compare places", "National view", "Workshop", "The framework", "Manage",
             "Accessibility"]  # fmt: skip
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


# --- many organisations: a system admin runs their own system, and nothing else ---------------------------


@pytest.fixture
def two_systems(fresh_db):
    """Two systems, each made with its first system admin in one step, and a person with roles in both."""
    db = fresh_db
    north = store.create_system(db, "North ICS", ACTOR, admin_email="nadia@north.nhs.uk", admin_name="Nadia")
    south = store.create_system(db, "South ICS", ACTOR, admin_email="sol@south.nhs.uk", admin_name="Sol")
    places = {s: store.create_place(db, s, f"{name} Town", ACTOR) for s, name in ((north, "North"), (south, "South"))}
    both = access.add_user(db, ACTOR, "pat@council.gov.uk", "Pat")
    access.grant(db, ACTOR, both, LEAD, north, places[north])
    access.grant(db, ACTOR, both, VIEWER, south)
    nadia = access.find_user(db, "nadia@north.nhs.uk")
    return db, north, south, places, nadia, both


def test_a_system_and_its_first_admin_are_one_step_and_that_admin_runs_only_their_system(two_systems):
    db, north, south, places, nadia, _ = two_systems
    assert nadia.admin_systems == {north} and not nadia.is_service_admin
    # Their own system: places, populations, people and roles.
    ashby = store.create_place(db, north, "Ashby", nadia)
    store.set_population(db, "places", ashby, 120_000, nadia)
    store.set_archived(db, "places", ashby, True, nadia)
    store.rename_system(db, north, "North and Vale ICS", nadia)
    lee = access.add_user(db, nadia, "lee@north.nhs.uk", "Lee")
    access.grant(db, nadia, lee, LEAD, north, places[north])
    access.grant(db, nadia, lee, ADMIN, north)  # a co-admin of their own system
    # Never another system, the service's steps, or a role everywhere.
    refused = [
        lambda: store.create_place(db, south, "Elsewhere", nadia),
        lambda: store.rename_system(db, south, "Mine now", nadia),
        lambda: store.set_population(db, "places", places[south], 5, nadia),
        lambda: store.set_archived(db, "places", places[south], True, nadia),
        lambda: store.set_archived(db, "systems", north, True, nadia),
        lambda: store.create_system(db, "Third ICS", nadia),
        lambda: access.grant(db, nadia, lee, LEAD, south),
        lambda: access.grant(db, nadia, lee, VIEWER),  # every system
        lambda: access.grant(db, nadia, lee, ADMIN),  # a service admin
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied):
            attempt()
    assert not access.can(nadia, access.BACKUP) and not access.can(nadia, access.RESTORE)
    with pytest.raises(store.StoreError, match="whole system"):
        access.grant(db, ACTOR, lee, ADMIN, north, places[north])
    assert [s for s in store.list_systems(db)["name"]] == ["North and Vale ICS", "South ICS"]


def test_a_system_admin_sees_and_changes_only_their_own_people(two_systems):
    db, north, south, places, nadia, both = two_systems
    seen = {p["email"]: [text for _, text in p["roles"]] for p in access.list_users(db, nadia)}
    assert set(seen) == {"nadia@north.nhs.uk", "pat@council.gov.uk"}, "South's admin is not North's to see"
    assert seen["pat@council.gov.uk"] == ["lead · North Town (North ICS)"], "only the roles in their own system"
    everyone = {p["email"] for p in access.list_users(db, access.LOCAL)}
    assert "sol@south.nhs.uk" in everyone
    # Pat also works in South: North's admin can remove Pat from North, not stop Pat signing in, nor rename Pat.
    with pytest.raises(PermissionDenied, match="roles outside the systems you run"):
        access.disable_user(db, nadia, both)
    assert access.add_user(db, nadia, "PAT@council.gov.uk", "Renamed By North") == both
    assert access.find_user(db, "pat@council.gov.uk").name == "Pat"
    south_grant = db.execute("SELECT id FROM grants WHERE user_id = ? AND system_id = ?", [both, south]).fetchone()[0]
    with pytest.raises(PermissionDenied):
        access.revoke(db, nadia, south_grant)
    north_grant = db.execute("SELECT id FROM grants WHERE user_id = ? AND system_id = ?", [both, north]).fetchone()[0]
    access.revoke(db, nadia, north_grant)
    assert access.find_user(db, "pat@council.gov.uk").grants == (Grant(VIEWER, south, None),)
    # Someone who works only in North is North's to stop signing in; one the service stopped stays stopped.
    lee = access.add_user(db, nadia, "lee@north.nhs.uk", "Lee")
    access.grant(db, nadia, lee, REVIEWER, north)
    access.disable_user(db, nadia, lee)
    assert access.find_user(db, "lee@north.nhs.uk") is None
    access.disable_user(db, ACTOR, both)
    with pytest.raises(PermissionDenied, match="ask a service administrator"):
        access.add_user(db, nadia, "pat@council.gov.uk")
    # Someone with no role anywhere yet is the service's: a system admin can neither stop nor rename them.
    loose = access.add_user(db, ACTOR, "new@service.nhs.uk", "New Person")
    with pytest.raises(PermissionDenied, match="roles outside the systems you run"):
        access.disable_user(db, nadia, loose)
    access.add_user(db, nadia, "new@service.nhs.uk", "Renamed")
    assert access.find_user(db, "new@service.nhs.uk").name == "New Person"
    # A person's data, erasure and the participant-name sweep are the service's (they reach every system).
    from checklist import privacy

    for attempt in (lambda: privacy.erase_person(db, nadia, "pat@council.gov.uk", []),
                    lambda: privacy.personal_data(db, nadia, "pat@council.gov.uk", []),
                    lambda: privacy.forget_participant_names(db, nadia)):  # fmt: skip
        with pytest.raises(PermissionDenied):
            attempt()


def test_someone_in_two_systems_holds_each_role_where_it_is(two_systems):
    db, north, south, places, _, both = two_systems
    pat = access.find_user(db, "pat@council.gov.uk")
    assert access.own_roles(db, pat) == ["lead · North Town (North ICS)", "viewer · South ICS (whole system)"]
    assert access.can(pat, access.EDIT, north, places[north]) and not access.can(pat, access.EDIT, south)
    assert access.can(pat, access.READ, south, places[south]) and not access.can(pat, access.READ, north, None)


def test_a_system_admin_gets_manage_for_their_own_system_only_and_a_new_system_shows_its_set_up(shared_demo):
    db, sid, place_a, _, _ = shared_demo
    own = store.get_system(db, sid)["name"]
    other = next(n for n in store.list_systems(db)["name"] if n != own)
    fresh = store.create_system(db, "Fresh Start ICS", ACTOR, admin_email="fresh@example.nhs.uk", admin_name="Fay")
    uid = access.find_user(db, "fresh@example.nhs.uk").id
    access.grant(db, ACTOR, uid, ADMIN, sid)  # Fay runs a set-up system and a new, empty one
    home = _as("fresh@example.nhs.uk")
    assert not home.exception
    assert "Manage" in home.session_state["_pages"]
    texts = _texts(home)
    assert "Set up Fresh Start ICS" in texts and f"Set up {own}" not in texts, "only the system still to set up"
    steps = [link.label for link in home.get("page_link") if link.label[:2] in ("1.", "2.", "3.")]
    assert steps[0].startswith("1. Add its places (0 so far)") and steps[2].startswith("3. Start the first round")
    assert any("system admin · Fresh Start ICS" in c.value for c in home.caption), "Home lists each of their roles"

    manage = _as("fresh@example.nhs.uk", "pages/manage.py")
    assert not manage.exception
    panels = [e.label for e in manage.expander]
    assert any("Fresh Start ICS" in p for p in panels) and any(own in p for p in panels)
    assert not any(other in p for p in panels), "another system is not theirs to manage"
    assert not [f for f in manage.get("form") if "manage_add_system" in str(f.proto)], "adding systems is the service's"
    buttons = {b.label for b in manage.button} | {b.label for b in manage.get("download_button")}
    assert not buttons & {"Download a backup (.db)", "Export everything (Excel)", "Restore this backup",
                          "Erase this person", "Archive system"}, buttons  # fmt: skip
    people = {_shown(e) for e in next(t.value for t in manage.table if "Signs in as" in t.value.columns)["Signs in as"]}
    demo_people = {email_address for email_address, _, _ in demo.PEOPLE}  # roles on every demo system
    assert people <= {"fresh@example.nhs.uk", "lead@example.nhs.uk", "reviewer@example.nhs.uk",
                      "viewer@example.nhs.uk", *demo_people}, "the people of their systems only"  # fmt: skip
    assert "admin@example.nhs.uk" not in people
    # The new system's first place, added from the page they were sent to.
    panel = next(e for e in manage.expander if "Fresh Start ICS" in e.label)
    panel.text_input(key=f"manage_new_place_{fresh}").input("Harbour")
    next(b for b in panel.get("form_submit_button") if b.label == "Add place").click()
    manage.run()
    assert list(store.list_places(db, fresh)["name"]) == ["Harbour"]


def test_the_service_admin_adds_a_system_and_its_admin_in_one_step(shared_demo):
    db, *_ = shared_demo
    at = _as("admin@example.nhs.uk", "pages/manage.py")
    form = next(f for f in at.get("form") if "manage_add_system" in str(f.proto))
    inputs = {t.label: t for t in at.text_input}
    inputs["System name"].input("Coastal ICS")
    inputs["First admin's e-mail address (optional)"].input("cara@coastal.nhs.uk")
    inputs["First admin's name (optional)"].input("Cara")
    next(b for b in form.get("form_submit_button") if b.label == "Add system").click()
    at.run()
    assert not at.exception
    cara = access.find_user(db, "cara@coastal.nhs.uk")
    coastal = int(store.list_systems(db).set_index("name").loc["Coastal ICS", "id"])
    assert cara.name == "Cara" and cara.admin_systems == {coastal}

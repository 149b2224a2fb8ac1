"""Sessions end when they should: signed out (every copy), expired, or the person disabled; and the cookie
secret that signs identities is never one anyone can read.

The browser version, with a real OpenID Connect provider, is tests/e2e/test_sign_in.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from checklist import access, clock, sessions, store
from checklist.access import LEAD
from tests.conftest import ACTOR, FROZEN_AT, ROOT, signed_in
from tests.test_access import shared_demo  # noqa: F401 - fixture
from tests.test_pages import APP, _tab, _texts
from ui import identity

EMAIL = "lead@example.nhs.uk"


@pytest.fixture
def person(fresh_db):
    sid = store.create_system(fresh_db, "Test ICS", ACTOR)
    uid = access.add_user(fresh_db, ACTOR, EMAIL, "A lead")
    access.grant(fresh_db, ACTOR, uid, LEAD, sid)
    return fresh_db, uid


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("a long random string: python -c 'import secrets; print(secrets.token_urlsafe(48))'", "placeholder"),
        ("xxx", "placeholder"),
        ("short-but-not-an-example", "24 characters long; expected at least 32"),
        ("k3y" * 11, None),
    ],
)
def test_the_cookie_secret_must_be_long_and_not_the_examples(secret, problem):
    found = sessions.cookie_secret_problem(secret)
    if problem is None:
        assert found is None
    else:
        assert problem in found and "secrets.token_urlsafe(48)" in found


def test_the_shipped_example_secret_is_refused():
    import tomllib

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text())
    assert sessions.cookie_secret_problem(example["auth"]["cookie_secret"]) is not None


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        (signed_in(EMAIL), None),
        (signed_in(EMAIL, issued_ago=3601), sessions.EXPIRED),  # its exp has passed
        ({**signed_in(EMAIL), "exp": None}, sessions.NO_EXPIRY),
        ({**signed_in(EMAIL), "exp": "soon"}, sessions.NO_EXPIRY),
        ({"is_logged_in": False}, sessions.NOT_SIGNED_IN),
        (signed_in("someone.unknown@example.nhs.uk"), None),  # not a session problem: access says who is known
    ],
)
def test_a_session_is_good_until_its_token_expires(person, claims, problem):
    db, _ = person
    assert sessions.session_problem(db, claims) == problem


def test_signing_out_ends_every_copy_of_the_session_but_not_a_later_sign_in(person):
    db, _ = person
    copied = signed_in(EMAIL, issued_ago=600)
    assert sessions.session_problem(db, copied) is None
    sessions.end_sessions(db, EMAIL.upper())  # any case, as people type it
    assert sessions.session_problem(db, copied) == sessions.SIGNED_OUT
    assert sessions.session_problem(db, {**copied, "iat": None}) == sessions.SIGNED_OUT
    later = {**copied, "iat": int(FROZEN_AT.timestamp()) + 5, "exp": int(FROZEN_AT.timestamp()) + 3600}
    assert sessions.session_problem(db, later) is None


def test_a_disabled_person_is_refused_and_their_writes_too(person):
    db, uid = person
    held = access.find_user(db, EMAIL)  # what an open page holds
    access.disable_user(db, ACTOR, uid)
    assert sessions.session_problem(db, signed_in(EMAIL)) == sessions.DISABLED
    with pytest.raises(access.PermissionDenied, match="turned off"):
        store.create_system(db, "Another ICS", held)


def test_every_write_checks_the_roles_the_person_holds_now(person):
    db, uid = person
    sid = int(store.list_systems(db)["id"].iloc[0])
    held = access.find_user(db, EMAIL)
    aid = store.create_assessment(db, sid, None, "R1", "2026-11-01", held)
    grant_id = db.execute("SELECT id FROM grants WHERE user_id = ?", [uid]).fetchone()[0]
    access.revoke(db, ACTOR, grant_id)
    with pytest.raises(access.PermissionDenied):
        store.save_response(db, aid, "governance", held, answer="level", level=3)
    assert "governance" not in store.responses(db, aid)


# --- the pages, as Streamlit runs them -------------------------------------------------------------


@pytest.fixture
def shared_app(demo_path, monkeypatch):
    monkeypatch.setenv(store.DB_ENV_VAR, str(demo_path))
    monkeypatch.setenv(identity.MODE_VAR, identity.SHARED)
    db = store.connect(demo_path)
    sid = int(store.list_systems(db)["id"].iloc[0])
    place = int(store.list_places(db, sid)["id"].iloc[0])
    uid = access.add_user(db, ACTOR, EMAIL, "A lead")
    access.grant(db, ACTOR, uid, LEAD, sid, place)
    aid = store.create_assessment(db, sid, place, "Session round", "2026-11-01", ACTOR)
    return db, uid, aid


def _open(claims: dict, aid: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = claims
    at.run()
    at.switch_page("pages/assess.py")
    at.query_params["assessment"] = str(aid)
    return at.run()


@pytest.mark.parametrize(
    ("end", "says"),
    [
        ("sign out elsewhere", sessions.SIGNED_OUT),
        ("expire", sessions.EXPIRED),
        ("disable", sessions.DISABLED),
    ],
)
def test_an_open_page_cannot_save_once_its_session_has_ended(shared_app, end, says):
    db, uid, aid = shared_app
    claims = signed_in(EMAIL, issued_ago=3000)
    at = _tab(_open(claims, aid), aid, "Answer")
    assert "Draft: every change is saved" in _texts(at)
    if end == "sign out elsewhere":
        sessions.end_sessions(db, EMAIL)
    elif end == "disable":
        access.disable_user(db, ACTOR, uid)
    group = at.radio(key=f"assess_answer_{aid}_governance")
    if end == "expire":
        with clock.frozen(FROZEN_AT.replace(hour=11)):  # an hour on: the token's exp has passed
            at = group.set_value(3).run()
    else:
        at = group.set_value(3).run()
    assert "governance" not in store.responses(db, aid), "nothing is saved from a session that has ended"
    assert [t.value for t in at.title] == ["Sign in again"]
    assert says in _texts(at)
    assert at.button(key="sign_in_again").label == "Sign in"


@pytest.mark.parametrize(
    "secrets",
    [
        None,  # no secrets file at all
        (ROOT / ".streamlit" / "secrets.example.toml").read_text(),  # the shipped example, as copied
        '[auth]\ncookie_secret = "too-short"\n',
    ],
    ids=["missing", "the-example", "short"],
)
def test_shared_mode_refuses_to_start_with_a_secret_anyone_could_know(tmp_path, secrets):
    args = []
    if secrets is not None:
        (tmp_path / "secrets.toml").write_text(secrets)
        args = ["--secrets.files", str(tmp_path / "secrets.toml")]
    from tests.e2e.conftest import _free_port

    env = {**os.environ, "CHECKLIST_MODE": "shared", "CHECKLIST_DB": str(tmp_path / "x.db"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(_free_port()),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    said = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("error:")]
    assert len(said) == 1 and "shared mode will not start" in said[0]
    assert "secrets.token_urlsafe(48)" in said[0], "the one line says how to make a secret"


# --- several providers, matched by verified e-mail ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "who"),
    [
        ({"is_logged_in": True, "email": "a@x.org", "email_verified": True}, "a@x.org"),
        ({"is_logged_in": True, "email": "a@x.org", "email_verified": "true"}, "a@x.org"),
        ({"is_logged_in": True, "email": "a@x.org", "xms_edov": True}, "a@x.org"),  # Microsoft Entra ID's own claim
        ({"is_logged_in": True, "email": "a@x.org", "email_verified": False}, None),
        ({"is_logged_in": True, "email": "a@x.org"}, None),  # a provider that does not say is not trusted
        ({"is_logged_in": True, "sub": "a@x.org", "email_verified": True}, None),  # a subject is never an address
        ({"is_logged_in": False, "email": "a@x.org", "email_verified": True}, None),
    ],
)
def test_only_an_email_address_the_provider_verified_says_who_someone_is(claims, who):
    assert sessions.identity_of(claims) == who
    assert sessions.unverified_sign_in(claims) == (claims["is_logged_in"] and who is None)


def test_the_sign_in_page_offers_each_provider_by_its_label_and_an_unverified_address_is_turned_away(
    shared_demo,  # noqa: F811
):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "s" * 40,
        "nhs": {"client_id": "a", "client_secret": "b", "server_metadata_url": "http://idp1/x", "label": "NHS staff"},
        "council": {"client_id": "c", "client_secret": "d", "server_metadata_url": "http://idp2/x"},
    }
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with NHS staff", "Sign in with Council"]
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {**signed_in("lead@example.nhs.uk"), "email_verified": False}
    at.run()
    assert at.title[0].value == "Your e-mail address was not confirmed"
    assert [b.label for b in at.button] == ["Sign out"], "nothing but the way out"

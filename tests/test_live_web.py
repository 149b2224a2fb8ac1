"""The participant's voting page and the live streams over real HTTP (uvicorn on 127.0.0.1), without a browser."""

from __future__ import annotations

import html
import http.client
import json
import socket
import threading
import time
from urllib.parse import urlencode

import pytest
import uvicorn
from markupsafe import escape
from starlette.applications import Starlette

from checklist import live, store, workshops
from checklist.framework import framework_for
from tests.conftest import ACTOR
from web import live as web_live


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def port():
    """The live routes alone, served by uvicorn in a thread, as st.App serves them beside Streamlit."""
    number = _free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=web_live.routes()), host="127.0.0.1", port=number,
                                           log_level="warning", lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield number
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A database the server uses, with a live workshop on a system whose name is hostile markup."""
    path = tmp_path / "web.db"
    monkeypatch.setenv(store.DB_ENV_VAR, str(path))
    web_live.WRONG_CODES._seen.clear()
    db = store.connect(path)
    system_id = store.create_system(db, "<img src=x onerror=alert(1)> ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "**Round** one", "2026-11-23", ACTOR)
    yield db, workshops.start_workshop(db, aid, ACTOR)
    live.close_all()
    db.close()


def _call(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = dict(headers or {})
    payload = None
    if isinstance(body, dict):
        payload = urlencode(body).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif body is not None:
        payload = json.dumps(body[0]).encode()
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read().decode()


def _join(port, code, sector="lived_experience", name="Sam"):
    status, headers, _ = _call(port, "POST", "/join", {"code": code, "sector": sector, "name": name})
    assert status == 303, status
    return headers["set-cookie"].split(";")[0]


def test_the_join_form_fills_in_the_code_from_the_qr_link(port, room):
    status, _, page = _call(port, "GET", "/join?code=ABC123")
    assert status == 200 and 'value="ABC123"' in page and "Which part of the system do you come from?" in page


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"code": "ZZZZZZ", "sector": "health"}, 404, "No workshop has the code ZZZZZZ"),
        ({"code": "AB", "sector": "health"}, 404, "is not a workshop code"),
        ({"code": "{code}"}, 400, "Choose which part of the system you come from"),
        ({"code": "{code}", "sector": "health", "name": "x" * 61}, 400, "expected at most 60"),
    ],
)
def test_a_wrong_join_says_what_is_wrong(port, room, form, status, message):
    _, w = room
    form = {k: v.replace("{code}", w["code"]) for k, v in form.items()}
    got, headers, page = _call(port, "POST", "/join", form)
    assert got == status and message in page and "set-cookie" not in {k.lower() for k in headers}


def test_wrong_codes_are_limited_per_device(port, room):
    _, w = room
    for _ in range(web_live.WRONG_CODE_LIMIT):
        assert _call(port, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"})[0] == 404
    status, _, page = _call(port, "POST", "/join", {"code": w["code"], "sector": "health"})
    assert status == 429 and "Too many wrong codes have been tried here" in page, "even the right code waits"


def test_a_participant_joins_votes_and_changes_their_vote(port, room):
    db, w = room
    cookie = _join(port, w["code"].lower())
    assert "HttpOnly" in _call(port, "POST", "/join", {"code": w["code"], "sector": "vcse"})[1]["set-cookie"]
    status, _, page = _call(port, "GET", "/join", headers={"Cookie": cookie})
    assert status == 200 and '<h2 id="item-title">Governance</h2>' in page
    assert "&lt;img src=x onerror=alert(1)&gt; ICS (whole system) · **Round** one" in page, "names shown as text"
    assert "<img src=x" not in page
    assert "you joined as Sam (Lived experience (disabled person or carer))" in page
    for level, label in ((3, "3 · Maturing"), ("dont_know", "Don't know")):
        status, _, body = _call(port, "POST", "/join/vote", ({"item": "governance", "level": str(level)},),
                                {"Cookie": cookie})  # fmt: skip
        assert status == 200 and json.loads(body)["label"] == label
    token = cookie.split("=", 1)[1]
    assert workshops.my_votes(db, token) == {"governance": None}
    page = _call(port, "GET", "/join", headers={"Cookie": cookie})[2]
    assert "Your vote is in: Don&#39;t know. Press another to change it." in page


def test_easy_read_on_the_phone_uses_the_frameworks_own_words_for_the_buttons_too(port, room):
    db, w = room
    fw = framework_for(store.get_assessment(db, w["assessment_id"])["framework_version"])
    cookie = _join(port, w["code"])
    item = fw.item("governance")
    _call(port, "POST", "/join/vote", ({"item": "governance", "level": "dont_know"},), {"Cookie": cookie})
    page = html.unescape(_call(port, "GET", "/join?easy=1", headers={"Cookie": cookie})[2])
    assert item.easy_statement in page and item.easy_levels[2] in page
    assert f">{fw.easy('dont_know', '')}</button>" in page
    assert f"Your vote is in: {fw.easy('dont_know', '')}." in page
    data = json.loads(page.split('id="room-data">')[1].split("</script>")[0])
    assert data["saved_easy"] == fw.easy("vote_confirmed", "") and data["easy"] is True
    plain = html.unescape(_call(port, "GET", "/join", headers={"Cookie": cookie})[2])
    assert ">Don't know</button>" in plain and item.statement in plain


@pytest.mark.parametrize(
    ("vote", "status", "message"),
    [
        ({"item": "shared-vision", "level": "2"}, 409, "The room has moved on"),
        ({"item": "nope", "level": "2"}, 409, "Unknown item id"),
        ({"item": "governance", "level": "7"}, 400, "is not one of the levels 0 to 4"),
        ({"item": "governance", "level": True}, 400, "is not one of the levels 0 to 4"),
    ],
)
def test_a_refused_vote_says_why_and_stores_nothing(port, room, vote, status, message):
    db, w = room
    cookie = _join(port, w["code"])
    got, _, body = _call(port, "POST", "/join/vote", (vote,), {"Cookie": cookie})
    assert got == status and message in json.loads(body)["error"]
    assert workshops.my_votes(db, cookie.split("=", 1)[1]) == {}


def test_a_vote_without_a_pass_or_from_another_site_is_refused(port, room):
    db, w = room
    got, _, body = _call(port, "POST", "/join/vote", ({"item": "governance", "level": "2"},))
    assert got == 410 and "not recognised" in json.loads(body)["error"]
    cookie = _join(port, w["code"])
    got, _, _ = _call(port, "POST", "/join/vote", ({"item": "governance", "level": "2"},),
                      {"Cookie": cookie, "Origin": "http://evil.example"})  # fmt: skip
    assert got == 403 and workshops.my_votes(db, cookie.split("=", 1)[1]) == {}


def test_a_plain_form_vote_works_without_javascript(port, room):
    db, w = room
    cookie = _join(port, w["code"])
    status, headers, _ = _call(port, "POST", "/join/vote", {"item": "governance", "level": "1"}, {"Cookie": cookie})
    assert status == 303 and "said=Your+vote+is+in" in headers["location"]
    assert workshops.my_votes(db, cookie.split("=", 1)[1]) == {"governance": 1}


def _events(port, path, cookie=""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("content-type").startswith("text/event-stream")

    def next_event():
        while True:
            line = response.fp.readline()
            if line.startswith(b"data: "):
                return json.loads(line[6:])

    return connection, next_event


def test_the_event_stream_follows_the_room_and_says_when_it_ends(port, room):
    db, w = room
    cookie = _join(port, w["code"])
    connection, next_event = _events(port, "/join/events", cookie)
    assert next_event() == {"v": 1, "status": "open", "item": "governance"}
    workshops.set_current_item(db, w["id"], "referrals", ACTOR)
    assert next_event()["item"] == "referrals"
    workshops.close_workshop(db, w["id"], ACTOR)
    assert next_event()["status"] == "closed"
    connection.close()
    page = _call(port, "GET", "/join", headers={"Cookie": cookie})[2]
    assert "This workshop has ended. Thank you for taking part." in page


def test_the_presenter_stream_needs_its_key_and_shows_results_only_when_revealed(port, room):
    db, w = room
    key = workshops.presenter_key(db, w["id"])
    assert _call(port, "GET", f"/present/{w['id']}/events?key=wrong")[0] == 403
    assert _call(port, "GET", f"/present/{w['id']}?key=")[0] == 403
    connection, next_event = _events(port, f"/present/{w['id']}/events?key={key}")
    first = next_event()
    assert (first["joined"], first["votes"], first["revealed"]) == (0, 0, False) and "rows" not in first
    cookie = _join(port, w["code"])
    _call(port, "POST", "/join/vote", ({"item": "governance", "level": "4"},), {"Cookie": cookie})
    state = next_event()
    while state["votes"] < 1:
        state = next_event()
    assert "rows" not in state
    workshops.set_revealed(db, w["id"], True, ACTOR)
    while "rows" not in state:
        state = next_event()
    assert state["rows"] == [{"sector": "Lived experience (disabled person or carer)", "answer": "4 · Thriving",
                              "votes": 1}]  # fmt: skip
    connection.close()
    status, _, page = _call(port, "GET", f"/present/{w['id']}?key={key}")
    assert status == 200 and "Votes on this item" in page


def test_answers_beforehand_go_item_by_item_in_any_order(port, room):
    db, w = room
    collection = workshops.start_workshop(db, w["assessment_id"], ACTOR, mode=workshops.INDEPENDENT)
    cookie = _join(port, collection["code"], "sport")
    _call(port, "POST", "/join/vote", ({"item": "referrals", "level": "2"},), {"Cookie": cookie})
    page = _call(port, "GET", "/join?item=care-plans", headers={"Cookie": cookie})[2]
    assert '<h2 id="item-title">Care plans</h2>' in page and "1 of 17 items answered" in page
    assert workshops.my_votes(db, cookie.split("=", 1)[1]) == {"referrals": 2}


def test_wrong_codes_from_many_devices_together_are_limited_too(port, room, monkeypatch):
    _, w = room
    monkeypatch.setattr(web_live, "WRONG_CODES_FROM_EVERYONE", 5)
    for n in range(5):  # five devices, one wrong code each: each under its own limit
        web_live.WRONG_CODES.add(f"10.0.0.{n}")
    status, _, page = _call(port, "POST", "/join", {"code": w["code"], "sector": "health"})
    assert status == 429 and "Too many wrong codes" in page


def _control(port, workshop_id, key, action, origin=None):
    headers = {"Origin": origin} if origin else {}
    status, _, body = _call(port, "POST", f"/present/{workshop_id}/control", ({"key": key, "action": action},), headers)
    return status, json.loads(body) if body.startswith("{") else body


def test_the_presenter_screen_shows_the_item_and_its_five_levels_as_text(port, room):
    db, w = room
    key = workshops.presenter_key(db, w["id"])
    assert _call(port, "GET", f"/present/{w['id']}/screen?key=wrong")[0] == 403
    status, headers, page = _call(port, "GET", f"/present/{w['id']}/screen?key={key}")
    assert status == 200 and headers["cache-control"] == "no-store"
    item = framework_for(store.get_assessment(db, w["assessment_id"])["framework_version"]).item("governance")
    assert '<h1 id="title">Governance</h1>' in page and str(escape(item.statement)) in page
    for level, name in enumerate(("Not started", "Emerging", "Developing", "Maturing", "Thriving")):
        assert f"{level} · {name}</th>" in page and str(escape(item.levels[level])) in page
    assert f'with code <strong class="code">{w["code"]}</strong>' in page
    assert "<img src=x" not in page, "the unit's name is shown as text"
    assert "&lt;img src=x onerror=alert(1)&gt; ICS" in page


def test_the_presenter_screen_moves_the_room_and_reveals_with_its_key_only(port, room):
    db, w = room
    key = workshops.presenter_key(db, w["id"])
    assert _control(port, w["id"], "wrong", "next")[0] == 403
    assert _control(port, w["id"], key, "next", origin="http://elsewhere.example")[0] == 403
    assert _control(port, w["id"], key, "jump")[0] == 409
    assert workshops.get_workshop(db, w["id"])["current_item"] == "governance", "nothing moved"
    assert _control(port, w["id"], key, "previous") == (200, {"ok": True, "item": "governance", "revealed": False})
    assert _control(port, w["id"], key, "reveal") == (200, {"ok": True, "item": "governance", "revealed": True})
    assert _control(port, w["id"], key, "next") == (200, {"ok": True, "item": "shared-vision", "revealed": False})
    assert _control(port, w["id"], key, "hide")[1]["revealed"] is False
    history = db.execute("SELECT actor FROM history WHERE entity = 'workshop' AND field = 'current_item'").fetchall()
    assert history == [(workshops.PRESENTER_SCREEN,)], "history names the presenter screen"
    workshops.close_workshop(db, w["id"], ACTOR)
    status, body = _control(port, w["id"], key, "next")
    assert status == 403 and "closed" in body["error"]

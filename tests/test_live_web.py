"""The participant's voting page and the live streams over real HTTP (uvicorn on 127.0.0.1), without a browser."""

from __future__ import annotations

import html
import http.client
import json
import socket
import threading
import time
from unittest.mock import ANY
from urllib.parse import urlencode

import pytest
from markupsafe import escape
from starlette.applications import Starlette
from starlette.middleware import Middleware

from checklist import disclosure, live, store, workshops
from tests.conftest import ACTOR, serving
from web import edge
from web import live as web_live


@pytest.fixture(scope="module")
def port():
    """The live routes alone, served by uvicorn in a thread, as st.App serves them beside Streamlit (app.py):
    behind the edge middleware, with uvicorn's own proxy-header handling kept off the raw peer."""
    with serving(Starlette(routes=web_live.routes(), middleware=[Middleware(edge.EdgeMiddleware)])) as number:
        yield number


@pytest.fixture
def room(tmp_path, monkeypatch):
    """A database the server uses, with a live workshop on a system whose name is hostile markup."""
    path = tmp_path / "web.db"
    monkeypatch.setenv(store.DB_ENV_VAR, str(path))
    monkeypatch.delenv(edge.TRUSTED_PROXIES_VAR, raising=False)
    web_live.WRONG_CODES._seen.clear()
    db = store.connect(path)
    system_id = store.create_system(db, "<img src=x onerror=alert(1)> ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "**Round** one", "2026-11-23", ACTOR)
    yield db, workshops.start_workshop(db, aid, ACTOR)
    live.close_all()
    db.close()


def _call(port, method, path, body=None, headers=None, source="127.0.0.1"):
    """One request from `source` (any 127.x.y.z address is this machine: a different peer for the server)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
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


def _join(port, code, sector="lived_experience", name="Sam", source="127.0.0.1"):
    status, headers, _ = _call(port, "POST", "/join", {"code": code, "sector": sector, "name": name}, source=source)
    assert status == 303, status
    return headers["set-cookie"].split(";")[0]


def test_the_join_form_fills_in_the_code_from_the_qr_link(port, room):
    status, _, page = _call(port, "GET", "/join?code=ABC123")
    assert status == 200 and 'value="ABC123"' in page and "Which part of the system do you come from?" in page


def test_the_join_page_links_to_the_accessibility_statement(port):
    status, _, body = _call(port, "GET", "/join")
    assert status == 200 and '<a href="/accessibility">Accessibility statement</a>' in body


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
    fw = store.framework_of(store.get_assessment(db, w["assessment_id"]))
    cookie = _join(port, w["code"])
    item = fw.item("governance")
    _call(port, "POST", "/join/vote", ({"item": "governance", "level": "dont_know"},), {"Cookie": cookie})
    page = html.unescape(_call(port, "GET", "/join?easy=1", headers={"Cookie": cookie})[2])
    assert item.easy_statement in page and item.easy_levels[2] in page
    assert f">{fw.easy('dont_know', '')}</button>" in page and ">Step 2</button>" in page  # steps, as on Assess
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


def test_a_phone_hears_of_a_new_item_or_the_end_not_of_each_vote_and_join(port, room):
    """A room of thousands wakes each phone for what its page shows, not for every vote in between."""
    db, w = room
    cookie = _join(port, w["code"])
    connection, next_event = _events(port, "/join/events", cookie)
    assert next_event()["item"] == "governance"
    key = workshops.presenter_key(db, w["id"])
    presenter, next_count = _events(port, f"/present/{w['id']}/events?key={key}")
    for level in range(4):  # others join and vote: the presenter's count moves each time
        other = _join(port, w["code"])
        _call(port, "POST", "/join/vote", ({"item": "governance", "level": str(level)},), {"Cookie": other})
        state = next_count()
        while state["votes"] < level + 1:
            state = next_count()
    workshops.set_current_item(db, w["id"], "referrals", ACTOR)
    assert next_event() == {"v": ANY, "status": "open", "item": "referrals"}, "the next event is the new item"
    workshops.close_workshop(db, w["id"], ACTOR)
    assert next_event()["status"] == "closed"
    connection.close()
    presenter.close()


def test_the_presenter_stream_needs_its_key_and_shows_results_only_when_revealed(port, room, monkeypatch):
    monkeypatch.setenv(disclosure.MIN_GROUP_VAR, "1")  # every sector shown (folding: tests/test_disclosure.py)
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
    status, _, page = _call(port, "GET", f"/present/{w['id']}", headers={"Cookie": f"presenter_key={key}"})
    assert status == 200 and "Votes on this item" in page


def test_answers_beforehand_go_item_by_item_in_any_order(port, room):
    db, w = room
    collection = workshops.start_workshop(db, w["assessment_id"], ACTOR, mode=workshops.INDEPENDENT)
    cookie = _join(port, collection["code"], "sport")
    _call(port, "POST", "/join/vote", ({"item": "referrals", "level": "2"},), {"Cookie": cookie})
    page = _call(port, "GET", "/join?item=care-plans", headers={"Cookie": cookie})[2]
    assert '<h2 id="item-title">Care plans</h2>' in page and "1 of 17 items answered" in page
    assert workshops.my_votes(db, cookie.split("=", 1)[1]) == {"referrals": 2}


def test_wrong_codes_from_everyone_slow_only_those_who_guessed(port, room, monkeypatch):
    """Many wrong codes from everyone together tighten each guesser's own limit; a phone that made no wrong
    guess still joins with the right code."""
    _, w = room
    monkeypatch.setattr(web_live, "WRONG_CODES_FROM_EVERYONE", 5)
    for n in range(5):  # five phones, one wrong code each: each under its own limit
        assert _call(port, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"}, source=f"127.0.1.{n}")[0] == 404
    assert _join(port, w["code"], source="127.0.1.99").startswith(web_live.PASS_COOKIE)
    for _ in range(web_live.WRONG_CODE_LIMIT_UNDER_ATTACK - 1):
        _call(port, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"}, source="127.0.1.0")
    status, _, page = _call(port, "POST", "/join", {"code": w["code"], "sector": "health"}, source="127.0.1.0")
    assert status == 429 and "Too many wrong codes" in page


def test_a_guesser_never_locks_another_phone_out(port, room):
    _, w = room
    for _ in range(web_live.WRONG_CODE_LIMIT):
        assert _call(port, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"}, source="127.0.2.1")[0] == 404
    assert _call(port, "POST", "/join", {"code": w["code"], "sector": "health"}, source="127.0.2.1")[0] == 429
    assert _join(port, w["code"], source="127.0.2.2").startswith(web_live.PASS_COOKIE)


def test_forged_forwarded_for_does_not_make_a_guesser_someone_else(port, room):
    _, w = room
    for n in range(web_live.WRONG_CODE_LIMIT):
        forged = {"X-Forwarded-For": f"10.9.8.{n}"}
        assert (
            _call(port, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"}, forged, source="127.0.3.1")[0] == 404
        )
    right = {"code": w["code"], "sector": "health"}
    assert _call(port, "POST", "/join", right, {"X-Forwarded-For": "10.9.9.9"}, source="127.0.3.1")[0] == 429


def test_behind_a_trusted_proxy_each_phone_is_its_own_client(port, room, monkeypatch):
    _, w = room
    monkeypatch.setenv(edge.TRUSTED_PROXIES_VAR, "127.0.0.1")
    for _ in range(web_live.WRONG_CODE_LIMIT):  # one phone's typos, through the proxy
        assert _call(port, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"},
                     {"X-Forwarded-For": "203.0.113.5"})[0] == 404  # fmt: skip
    next_phone = {"X-Forwarded-For": "203.0.113.6"}
    assert _call(port, "POST", "/join", {"code": w["code"], "sector": "health"}, next_phone)[0] == 303
    forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}  # the typist again, with a forged address in front
    assert _call(port, "POST", "/join", {"code": w["code"], "sector": "health"}, forged)[0] == 429


@pytest.mark.parametrize(
    ("proxies", "source", "proto", "secure"),
    [("127.0.0.1", "127.0.0.1", "https", True), ("", "127.0.0.1", "https", False),
     ("127.0.0.1", "127.0.4.1", "https", False), ("127.0.0.1", "127.0.0.1", "http", False)],
)  # fmt: skip
def test_the_pass_is_secure_when_the_phone_used_https(port, room, monkeypatch, proxies, source, proto, secure):
    _, w = room
    monkeypatch.setenv(edge.TRUSTED_PROXIES_VAR, proxies)
    _, headers, _ = _call(port, "POST", "/join", {"code": w["code"], "sector": "health"},
                          {"X-Forwarded-Proto": proto}, source=source)  # fmt: skip
    assert ("secure" in headers["set-cookie"].lower()) is secure


# --- bounded bodies ---------------------------------------------------------------------------------------------


def _offer(port: int, head: str, megabytes: int) -> tuple[bytes, int]:
    """Send a request head, then offer a chunked body of `megabytes` from another thread while this one waits for
    the answer; returns the status line and how many body bytes the server let in before it answered."""
    sent = [0]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())

        def offer() -> None:
            block = b"x" * 65536
            try:
                for _ in range(megabytes * 16):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(block), block))
                    sent[0] += len(block)
                sock.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the server answered and closed before taking it all: that is the point

        sender = threading.Thread(target=offer, daemon=True)
        sender.start()
        status = sock.makefile("rb").readline()
        sock.shutdown(socket.SHUT_RDWR)
        sender.join(30)
    return status, sent[0]


@pytest.mark.parametrize("path", ["/join", "/join/vote", "/join/leave", "/present/{id}/control"])
def test_a_body_past_the_limit_is_refused_with_413_without_reading_it_all(port, room, path):
    _, w = room
    target = path.replace("{id}", str(w["id"]))
    # No length declared: the server counts what it reads and stops at the limit (of 200 MB offered).
    head = (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    status, sent = _offer(port, head, 200)
    assert status.startswith(b"HTTP/1.1 413"), status
    assert sent < 50 * 1024 * 1024, f"{sent} bytes went in before the refusal"
    # A declared length past the limit is refused before a byte of the body is read.
    head = (f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n")  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        assert sock.makefile("rb").readline().startswith(b"HTTP/1.1 413")


def test_a_body_just_under_the_limit_is_read(port, room):
    db, w = room
    cookie = _join(port, w["code"])
    padded = {"item": "governance", "level": "2", "pad": "x" * (web_live.MAX_BODY_BYTES - 100)}
    status, _, body = _call(port, "POST", "/join/vote", (padded,), {"Cookie": cookie})
    assert status == 200 and json.loads(body)["ok"]


DEEP = "[" * 2000 + "]" * 2000


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/join/vote", '{"item": ' + DEEP + "}"),
        ("/join/vote", "{not json"),
        ("/join/vote", "[1, 2]"),
        ("/present/{id}/control", DEEP),
        ("/present/{id}/control", "\xff\xfe"),
    ],
)
def test_a_malformed_json_body_is_a_400_with_a_plain_message(port, room, path, body):
    db, w = room
    cookie = _join(port, w["code"])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path.replace("{id}", str(w["id"])), body=body.encode("latin-1"),
                       headers={"Content-Type": "application/json", "Cookie": cookie})  # fmt: skip
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert response.status == 400 and answer["ok"] is False and "could not be read" in answer["error"]


# --- one device, one participant -----------------------------------------------------------------------------------


def test_a_device_that_kept_its_pass_rejoins_as_the_same_participant(port, room):
    db, w = room
    cookie = _join(port, w["code"])
    for _ in range(15):
        status, headers, _ = _call(port, "POST", "/join", {"code": w["code"], "sector": "health"}, {"Cookie": cookie})
        assert status == 303 and headers.get("set-cookie", cookie).split(";")[0] == cookie
        _call(port, "POST", "/join/vote", ({"item": "governance", "level": "3"},), {"Cookie": cookie})
    assert workshops.participant_count(db, w["id"]) == 1
    assert workshops.item_tally(db, w["id"], "governance").votes == 1


# --- event streams ------------------------------------------------------------------------------------------------


def _open_stream(port, path, cookie="", source="127.0.0.1"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    if response.status == 200:
        response.fp.readline()  # the stream is open (its first line has arrived)
    return connection, response


def test_event_streams_are_capped_per_pass_per_client_and_in_all(port, room, monkeypatch):
    _, w = room
    monkeypatch.setattr(web_live, "STREAMS_PER_CLIENT", 6)
    monkeypatch.setattr(web_live.STREAMS, "budget", 9)
    opened = []
    try:
        cookie = _join(port, w["code"], source="127.0.5.1")
        for _ in range(web_live.STREAMS_PER_PASS):
            opened.append(_open_stream(port, "/join/events", cookie, source="127.0.5.1"))
            assert opened[-1][1].status == 200
        connection, response = _open_stream(port, "/join/events", cookie, source="127.0.5.1")
        assert response.status == 429 and "already has" in json.loads(response.read())["error"]
        connection.close()
        # Another pass from the same address: up to the per-client number.
        other = _join(port, w["code"], source="127.0.5.1")
        for _ in range(2):
            opened.append(_open_stream(port, "/join/events", other, source="127.0.5.1"))
            assert opened[-1][1].status == 200
        connection, response = _open_stream(port, "/join/events", other, source="127.0.5.1")
        assert response.status == 429 and response.getheader("retry-after")
        connection.close()
        # Other clients up to the server's budget, then nobody more.
        for n in range(3):
            third = _join(port, w["code"], source=f"127.0.6.{n}")
            opened.append(_open_stream(port, "/join/events", third, source=f"127.0.6.{n}"))
            assert opened[-1][1].status == 200
        last = _join(port, w["code"], source="127.0.7.1")
        connection, response = _open_stream(port, "/join/events", last, source="127.0.7.1")
        assert response.status == 429 and "busy" in json.loads(response.read())["error"]
        connection.close()
        # A stream that closes gives its place back.
        opened.pop()[0].close()
        _wait_for(lambda: web_live.STREAMS.total < 9)
        connection, response = _open_stream(port, "/join/events", last, source="127.0.7.1")
        assert response.status == 200
        opened.append((connection, response))
    finally:
        for connection, _ in opened:
            connection.close()


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the server did not notice in time"
        time.sleep(0.02)


@pytest.mark.parametrize(("limit", "streams"), [(1024, 448), (256, 64), (65536, 32704), (100, 0)])
def test_the_stream_budget_follows_the_file_limit(limit, streams):
    assert web_live.stream_budget(limit) == streams


# --- security headers and the presenter key -----------------------------------------------------------------------


def test_the_pages_carry_a_policy_their_own_scripts_and_styles_fit(port, room):
    db, w = room
    cookie = _join(port, w["code"])
    key = workshops.presenter_key(db, w["id"])
    screen_cookie = _call(port, "GET", f"/present/{w['id']}/screen?key={key}")[1]["set-cookie"].split(";")[0]
    pages = {
        "/join?code=ABC": ("", "'none'"),
        "/join": (cookie, "'none'"),
        f"/present/{w['id']}": (screen_cookie, "'self'"),
        f"/present/{w['id']}/screen": (screen_cookie, "'self'"),
    }
    for path, (sent, ancestors) in pages.items():
        status, headers, page = _call(port, "GET", path, headers={"Cookie": sent} if sent else {})
        assert status == 200, path
        policy = headers["content-security-policy"]
        assert f"frame-ancestors {ancestors}" in policy and "script-src 'self'" in policy, path
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"], path
        # No inline script runs: every <script> is a file of this site or a JSON data block.
        for tag in page.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert ' src="/join/static/' in head or 'type="application/json"' in head, (path, head)
        assert " style=" not in page, f"{path} has an inline style attribute the policy would block"
        for block in page.split("<style")[1:]:
            nonce = block.split(">", 1)[0].split('nonce="')[1].split('"')[0]
            assert f"'nonce-{nonce}'" in policy, path


def test_the_presenter_key_leaves_the_address_at_first_use(port, room):
    db, w = room
    key = workshops.presenter_key(db, w["id"])
    for page in ("", "/screen"):
        status, headers, _ = _call(port, "GET", f"/present/{w['id']}{page}?large=1&key={key}")
        assert status == 303 and headers["location"] == f"/present/{w['id']}{page}?large=1"
        cookie = headers["set-cookie"]
        assert cookie.startswith(f"{web_live.PRESENTER_COOKIE}={key};")
        for flag in ("HttpOnly", "SameSite=strict", f"Path=/present/{w['id']}"):
            assert flag.lower() in cookie.lower(), (flag, cookie)
        status, _, html_page = _call(port, "GET", f"/present/{w['id']}{page}", headers={"Cookie": cookie.split(";")[0]})
        assert status == 200 and key not in html_page, "the key is nowhere in the page, nor in the addresses it uses"
        assert _call(port, "GET", f"/present/{w['id']}{page}")[0] == 403, "without the cookie, nothing"
        wrong = _call(port, "GET", f"/present/{w['id']}{page}?key=", headers={"Cookie": cookie.split(";")[0]})
        assert wrong[0] == 403 and "set-cookie" not in wrong[1], "a key in the address is that key, even empty"
    sent = {"Cookie": f"{web_live.PRESENTER_COOKIE}={key}"}
    status, _, body = _call(port, "POST", f"/present/{w['id']}/control", ({"action": "next"},), sent)
    assert status == 200 and json.loads(body)["item"] == "shared-vision", "the screen's buttons work by the cookie"
    connection, response = _open_stream(port, f"/present/{w['id']}/events", sent["Cookie"])
    assert response.status == 200
    connection.close()


def test_a_reopened_workshop_has_a_new_presenter_key(port, room):
    db, w = room
    old = workshops.presenter_key(db, w["id"])
    workshops.close_workshop(db, w["id"], ACTOR)
    workshops.reopen_workshop(db, w["id"], ACTOR)
    new = workshops.presenter_key(db, w["id"])
    assert new != old
    assert _control(port, w["id"], old, "next")[0] == 403
    assert _call(port, "GET", f"/present/{w['id']}/screen", headers={"Cookie": f"presenter_key={old}"})[0] == 403
    assert _control(port, w["id"], new, "next")[0] == 200


def _control(port, workshop_id, key, action, origin=None):
    headers = {"Origin": origin} if origin else {}
    status, _, body = _call(port, "POST", f"/present/{workshop_id}/control", ({"key": key, "action": action},), headers)
    return status, json.loads(body) if body.startswith("{") else body


def test_the_presenter_screen_shows_the_item_and_its_five_levels_as_text(port, room):
    db, w = room
    key = workshops.presenter_key(db, w["id"])
    assert _call(port, "GET", f"/present/{w['id']}/screen?key=wrong")[0] == 403
    status, headers, page = _call(port, "GET", f"/present/{w['id']}/screen", headers={"Cookie": f"presenter_key={key}"})
    assert status == 200 and headers["cache-control"] == "no-store"
    item = store.framework_of(store.get_assessment(db, w["assessment_id"])).item("governance")
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


# --- the presenter screen: how to join, and who is in the room ----------------------------------------------------


def _screen(port, db, w):
    key = workshops.presenter_key(db, w["id"])
    return _call(port, "GET", f"/present/{w['id']}/screen", headers={"Cookie": f"presenter_key={key}"})


def test_the_presenter_screen_shows_a_qr_code_of_the_address_phones_open(port, room, monkeypatch):
    import segno

    db, w = room
    monkeypatch.setenv(workshops.PUBLIC_URL_VAR, "http://10.0.0.5:8501/")
    status, _, page = _screen(port, db, w)
    qr = segno.make(f"http://10.0.0.5:8501/join?code={w['code']}", error="m").svg_data_uri(border=2, omitsize=True)
    assert status == 200 and f'<img id="join-qr" class="qr" src="{escape(qr)}" alt="QR code: scan to join">' in page
    assert 'Scan, or open <strong id="join-address">10.0.0.5:<wbr>8501<wbr>/join</strong> with code' in page
    assert "Phones cannot open" not in page


def test_on_this_computers_own_address_the_screen_says_what_to_do_instead_of_a_qr_code(port, room, monkeypatch):
    db, w = room
    monkeypatch.delenv(workshops.PUBLIC_URL_VAR, raising=False)
    status, _, page = _screen(port, db, w)  # opened at 127.0.0.1, as on the facilitator's own laptop
    assert status == 200 and 'id="join-qr"' not in page
    assert f'Join at <strong id="join-address">127.0.0.1:<wbr>{port}<wbr>/join</strong>' in page
    steps = str(escape(web_live.PHONES_CANNOT_JOIN)).replace(
        "make run ADDRESS=0.0.0.0", '<strong class="command">make run ADDRESS=0.0.0.0</strong>'
    )
    assert steps in page, "what to do, in plain words"
    assert "CHECKLIST_PUBLIC_URL" not in page and "README" not in page, "steps, not developer settings"


def test_the_presenter_stream_counts_the_phones_in_the_room_not_everyone_who_joined(port, room, monkeypatch):
    db, w = room
    monkeypatch.setattr(web_live, "IN_ROOM", web_live._InRoom())  # workshop ids repeat across these tests
    monkeypatch.setattr(web_live, "ROOM_GRACE_SECONDS", 0.2)
    key = workshops.presenter_key(db, w["id"])
    connection, next_event = _events(port, f"/present/{w['id']}/events?key={key}")

    def until(room_now):
        state = next_event()
        while state["room"] != room_now:
            state = next_event()
        return state

    assert next_event()["room"] == {"here": 0, "voted": 0}
    _join(port, w["code"], name="Gone")  # joined earlier, page closed: not in the room
    ana, ben = _join(port, w["code"], name="Ana"), _join(port, w["code"], name="Ben")
    streams = [_open_stream(port, "/join/events", cookie)[0] for cookie in (ana, ben, ben)]  # Ben in two tabs
    until({"here": 2, "voted": 0})
    _call(port, "POST", "/join/vote", ({"item": "governance", "level": "2"},), {"Cookie": ana})
    assert until({"here": 2, "voted": 1})["joined"] == 3
    streams[1].close()  # one of Ben's tabs: he is still in the room
    streams[2].close()  # and the other: he has left (once the grace for a reconnecting phone has passed)
    state = until({"here": 1, "voted": 1})
    assert (state["votes"], state["joined"]) == (1, 3)
    workshops.set_current_item(db, w["id"], "shared-vision", ACTOR)  # a new item: Ana has still to vote on it
    until({"here": 1, "voted": 0})
    streams[0].close()
    connection.close()


def test_a_phone_that_reconnects_within_the_grace_never_leaves_the_room(monkeypatch):
    import asyncio
    import concurrent.futures

    monkeypatch.setattr(web_live, "ROOM_GRACE_SECONDS", 0.05)

    async def reconnect_then_leave() -> list[int]:
        here = web_live._InRoom()
        here.enter(7, 1)
        seen = [here.count(7, set())["here"]]
        here.leave(7, 1)
        here.enter(7, 1)  # a reload: the page's stream closes and opens again
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(here.changed(7).wait(), 0.2)
        seen.append(here.count(7, set())["here"])
        here.leave(7, 1)
        seen.append(here.count(7, set())["here"])  # gone, but within the grace
        await asyncio.wait_for(here.changed(7).wait(), 2)
        seen.append(here.count(7, set())["here"])
        return seen

    # Its own thread: a browser test's Playwright may hold an event loop open in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, reconnect_then_leave()).result() == [1, 1, 1, 0]


def test_the_presenter_counts_phones_another_app_server_holds_once_each():
    here = web_live._InRoom()
    here.enter(7, 1)
    here.enter(7, 2)
    here.set_elsewhere({7: {2, 3, 4}})
    assert here.count(7, {3})["here"] == 2, "what other servers say is read only for rooms presented here"
    here.presenting(7, +1)
    before = here.version(7)
    here.set_elsewhere({7: {2, 3, 4}})
    assert here.version(7) > before, "the presenter hears of it"
    assert here.count(7, {3, 9}) == {"here": 4, "voted": 1}, "phone 2, on both servers, counted once"
    assert here.here_now() == {7: {1, 2}}, "this server says only what it holds itself"
    here.presenting(7, -1)
    assert here.count(7, set())["here"] == 2 and here.presented() == []

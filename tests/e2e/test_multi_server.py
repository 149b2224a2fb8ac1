"""Two app servers over one PostgreSQL database behind the shipped deploy/nginx.conf (TLS, sticky routing): a live
room whose phones are spread over both servers keeps going when one server is killed mid-vote.

The phones speak the app's own HTTP (bench/live_load.py's client: join, the voting page, the event stream, votes),
each reconnecting its stream when the server closes it, as a browser's EventSource does.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from checklist import store, workshops
from checklist.db import postgres
from tests.e2e.conftest import _free_port, _start, screenshot
from tests.e2e.test_proxy import NGINX, _nginx_config, _wait_until_listening

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import live_load  # noqa: E402

pytestmark = pytest.mark.e2e
PHONES = 24
FOLLOW_AGAIN_S = 5.0


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


async def _keep_following(phone: live_load.Phone, stop: asyncio.Event) -> int:
    """Reopen the phone's stream whenever the server closes it; returns how many times it reconnected."""
    reconnects = 0
    while not stop.is_set():
        ended = asyncio.create_task(phone.stream.ended.wait())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
        ended.cancel()
        stopping.cancel()
        if stop.is_set():
            break
        await asyncio.sleep(0.2)  # a browser waits a moment before reconnecting
        try:
            await phone.stream.open()
            reconnects += 1
        except (OSError, RuntimeError, ssl.SSLError, TimeoutError):
            await asyncio.sleep(0.3)  # nginx has not yet marked the server down: try again
            phone.stream.ended.set()
    return reconnects


async def _vote_until_acknowledged(port: int, phone: live_load.Phone, item: str, level: int, tls) -> int:
    """Vote, trying again while the answer is an error (a server gone mid-request); returns the tries it took."""
    for attempt in range(1, 21):
        try:
            if await live_load._vote("127.0.0.1", port, phone, item, level, tls):
                return attempt
        except (OSError, ValueError, ssl.SSLError, TimeoutError):
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"phone {phone.number}'s vote on {item} was never acknowledged")


def test_a_room_spread_over_two_servers_survives_killing_one_mid_vote(pg_server, tmp_path, browser):
    if not NGINX.exists():
        pytest.fail("this test needs Debian's nginx-light (apt-get install -y nginx-light)")
    address = pg_server.create(template="migrated")
    db = store.connect(address)
    system_id = store.create_system(db, "Two-server ICS", "e2e")
    aid = store.create_assessment(db, system_id, None, "Resilient round", "2026-11-23", "e2e")
    workshop = workshops.start_workshop(db, aid, "e2e")
    wid, code = workshop["id"], workshop["code"]
    listed = workshops.items_of(db, workshop)[:3]
    items, titles = [i.id for i in listed], [i.title for i in listed]
    key = workshops.presenter_key(db, wid)

    env = {"CHECKLIST_TRUSTED_PROXIES": "127.0.0.1"}
    ports = [_free_port(), _free_port()]
    servers = [_start(address, tmp_path / f"app{n}.log", port=p, env=env)[0] for n, p in enumerate(ports)]
    tls_port, plain_port = _free_port(), _free_port()
    config = _nginx_config(tmp_path, ports[0], tls_port, plain_port)
    one = f"server 127.0.0.1:{ports[0]} max_fails=1 fail_timeout=10s;"
    text = config.read_text()
    assert one in text, "the shipped upstream changed shape"
    config.write_text(text.replace(one, f"{one}\n    server 127.0.0.1:{ports[1]} max_fails=1 fail_timeout=10s;"))
    checked = subprocess.run([str(NGINX), "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([str(NGINX), "-p", str(tmp_path), "-c", str(config), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=(tmp_path / "nginx.out").open("w"))  # fmt: skip
    tls = _tls()
    facilitator = browser.new_context(viewport={"width": 1280, "height": 900}, ignore_https_errors=True).new_page()
    facilitator.set_default_timeout(60_000)
    try:
        _wait_until_listening(tls_port, nginx, tmp_path / "error.log")
        facilitator.goto(f"https://127.0.0.1:{tls_port}/workshop?workshop={wid}")
        expect(facilitator.get_by_role("heading", name=titles[0])).to_be_visible(timeout=60_000)
        with ThreadPoolExecutor(1) as phones:  # the browser's driver holds this thread's event loop
            figures = phones.submit(asyncio.run, _room(tls_port, tls, db, wid, code, items, key, servers)).result()
        # One server is gone: the facilitator's reload lands on the other, at the item the room is on.
        facilitator.reload()
        expect(facilitator.get_by_role("heading", name=titles[2])).to_be_visible(timeout=60_000)
        screenshot(facilitator, "multi_server_facilitator_after_losing_a_server")
    finally:
        screenshot(facilitator, "multi_server_facilitator_last_seen")
        facilitator.context.close()
        nginx.terminate()
        nginx.wait(timeout=10)
        for process in servers:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)

    print(f"two servers, one killed mid-vote: {figures}")  # seen with pytest -s
    on_killed = figures["reconnected"]
    assert 0 < on_killed < PHONES, f"phones were spread over both servers ({on_killed} of {PHONES} on the killed one)"
    assert figures["missed"] == [], f"phones that did not follow the room again: {figures['missed']}"
    assert max(figures["followed_s"]) <= FOLLOW_AGAIN_S, figures["followed_s"]
    stored = db.execute(
        "SELECT item_id, participant_id, level FROM votes WHERE workshop_id = ? ORDER BY item_id, participant_id", [wid]
    ).fetchall()
    assert len(stored) == len({(i, p) for i, p, _ in stored}) == 2 * PHONES, "every acknowledged vote, once each"
    assert {(i, lvl) for i, _, lvl in stored} >= {(items[0], 1), (items[1], 2)}
    assert all(lvl == {items[0]: 1, items[1]: 2}[i] for i, _, lvl in stored), "each vote as the phone sent it"
    db.close()
    postgres.close_pools()


async def _room(port, tls, db, wid, code, items, key, servers) -> dict:
    host = "127.0.0.1"
    presenter = live_load.EventStream(host, port, f"/present/{wid}/events?key={key}", tls=tls)
    await presenter.open()
    phones = [live_load.Phone(n) for n in range(PHONES)]
    await asyncio.gather(*(live_load._join(host, port, code, p, tls) for p in phones))
    stop = asyncio.Event()
    followers = [asyncio.create_task(_keep_following(p, stop)) for p in phones]

    # The presenter's screen, served by one server, counts the phones in the room on both.
    everyone = await presenter.wait_for(lambda d: d.get("room", {}).get("here", 0) >= PHONES, time.perf_counter() + 15)
    assert everyone is not None, "in the room now: every phone, whichever server holds its stream"

    # Item 1 on both servers: every vote acknowledged and counted on the presenter's screen.
    await asyncio.gather(*(_vote_until_acknowledged(port, p, items[0], 1, tls) for p in phones))
    counted = await presenter.wait_for(
        lambda d: d.get("item") == items[0] and d.get("votes", 0) >= PHONES and d["room"]["voted"] >= PHONES,
        time.perf_counter() + 15,
    )
    assert counted is not None, "the presenter counted every vote, whichever server took it"

    # Item 2, with one server killed while the votes are arriving.
    workshops.set_current_item(db, wid, items[1], "e2e")
    moved = time.perf_counter() + 15
    assert all(await asyncio.gather(*(p.stream.wait_for(lambda d: d.get("item") == items[1], moved) for p in phones)))
    voting = [asyncio.create_task(_vote_until_acknowledged(port, p, items[1], 2, tls)) for p in phones]
    await asyncio.sleep(0.05)
    killed_at = time.perf_counter()
    servers[0].kill()
    await asyncio.gather(*voting)

    # The facilitator moves on: every phone, on whichever server is left, follows within seconds of the loss.
    workshops.set_current_item(db, wid, items[2], "e2e")
    seen = await asyncio.gather(*(
        p.stream.wait_for(lambda d: d.get("item") == items[2], killed_at + FOLLOW_AGAIN_S + 10) for p in phones
    ))  # fmt: skip
    stop.set()
    reconnected = await asyncio.gather(*followers)
    for p in phones:
        await p.stream.close()
    await presenter.close()
    return {
        "reconnected": sum(1 for r in reconnected if r),
        "missed": [p.number for p, at in zip(phones, seen, strict=True) if at is None],
        "followed_s": [round(at - killed_at, 2) for at in seen if at is not None] or [0.0],
        "pid": os.getpid(),
    }

"""A small live room under the load generator (bench/live_load.py): ten phones over the app's real HTTP and
event streams against the running server. No timing is asserted here; the benchmark reports timings."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.live_load import run_room

pytestmark = pytest.mark.e2e


def test_ten_simulated_phones_follow_the_room_and_every_vote_is_stored_once(server):
    # Its own thread and event loop: Playwright's sync API may hold this thread's loop.
    with ThreadPoolExecutor(1) as pool:
        room = pool.submit(asyncio.run, run_room(server.url, server.db_path, participants=10, items=3, time_limit=120))
        result = room.result()
    assert result["missed_item_changes"] == 0, result
    assert (result["votes_refused"], result["votes_lost"], result["votes_doubled"]) == (0, 0, 0), result
    assert result["item_change_ms"]["max"] is not None and result["vote_to_presenter_ms"]["max"] is not None

"""Acknowledged saves survive a killed server: a child process saves (and votes) as fast as it can, printing
each acknowledgement; it is killed with SIGKILL mid-stream; every acknowledged change is then on disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from checklist import store, workshops
from tests.conftest import ACTOR, ROOT

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from checklist import clock, live, store
    frozen = clock.frozen(datetime(2026, 11, 23, 10, 30, tzinfo=UTC))  # the test's own frozen day
    frozen.__enter__()
    path, aid, token, item = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    db = store.connect(path)
    writer = live.VoteWriter(path)
    n = 0
    while True:
        n += 1
        store.save_response(db, aid, "referrals", "killer", evidence=f"save {n}")
        print(f"save {n}", flush=True)
        writer.cast(token, item, n % 5)
        print(f"vote {n % 5}", flush=True)
    """
)


def test_every_acknowledged_save_and_vote_survives_kill_9(tmp_path):
    path = tmp_path / "durable.db"
    db = store.connect(path)
    system_id = store.create_system(db, "Durable ICS", ACTOR)
    aid = store.create_assessment(db, system_id, None, "R1", "2026-11-01", ACTOR)
    room = workshops.start_workshop(db, aid, ACTOR)  # the child runs on the same frozen day
    token = workshops.join(db, room["code"], "health")["token"]
    db.close()
    for _ in range(3):  # killed at a different moment each time
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(aid), token, room["current_item"]],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        acknowledged = []
        for line in child.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) >= 200:
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL, child.stderr.read()[-800:]
        check = store.connect(path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last_save = max(int(a.split()[1]) for a in acknowledged if a.startswith("save"))
        stored = int(store.responses(check, aid)["referrals"]["evidence"].split()[1])
        assert stored >= last_save, "the last acknowledged save is on disk (or a later one)"
        history = check.execute(
            "SELECT count(*) FROM history WHERE field = 'evidence' AND actor = 'killer'"
        ).fetchone()[0]
        assert history >= last_save
        votes = check.execute("SELECT count(*) FROM history WHERE entity = 'vote'").fetchone()[0]
        assert votes >= sum(1 for a in acknowledged if a.startswith("vote"))
        check.close()

"""Load test of the live room: N simulated phones against a running server on 127.0.0.1.

Each simulated participant does what the phone's page does, over its own TCP connections and the
app's real HTTP: POST /join with the code and a sector (taking the pass cookie), GET /join to load
the voting page, opens GET /join/events (server-sent events) and keeps it open, and POSTs
/join/vote as JSON when an item comes up. One simulated facilitator's screen follows
/present/{id}/events. The room is moved from item to item through checklist.workshops, as the
Workshop page does.

Measured: item change -> every participant's stream (p50, p95, max); vote sent -> the presenter's
count including it (p50, p95, max); votes lost or doubled (from the database afterwards); server
CPU (share of one core while the room runs) and RSS. Bounded in count and time: it stops by itself.

    python bench/live_load.py --url http://127.0.0.1:8501 --db data/maturity.db --pid PID -n 300
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import ssl
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checklist import store, workshops  # noqa: E402

SECTORS = ("health", "sport", "vcse", "local_authority", "lived_experience", "other")
TIMEOUT = 60.0


async def _request(host: str, port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None,
                   tls: ssl.SSLContext | None = None):  # fmt: skip
    """One HTTP/1.1 request on its own connection (over TLS when `tls` is given); returns (status, headers, body)."""
    client = Client(host, port, tls)
    try:
        return await client.request(method, path, body, headers)
    finally:
        await client.close()


class Client:
    """One phone's HTTP/1.1 connection, kept open between requests as a browser keeps it (so a vote does not pay
    for a new connection); opened again when the server has closed it while idle, as a browser does."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.tls = host, port, tls
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        """(status, headers, body) of one request on the kept connection."""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Origin: {'https' if self.tls else 'http'}://{self.host}:{self.port}",
        ]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            fresh = self._writer is None
            if fresh:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port, ssl=self.tls)
            try:
                self._writer.write(message)
                await self._writer.drain()
                return await asyncio.wait_for(self._response(), TIMEOUT)
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                await self.close()  # the server closed the idle connection before reading this: send it again once
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self):
        reader = self._reader
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        found: dict[str, list[str]] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            key, _, value = line.decode("latin-1").partition(":")
            found.setdefault(key.strip().lower(), []).append(value.strip())
        if "chunked" in ",".join(found.get("transfer-encoding", [])):
            payload = b""
            while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
                payload += await reader.readexactly(size + 2)
                payload = payload[:-2]
            await reader.readline()
        elif "content-length" in found:
            payload = await reader.readexactly(int(found["content-length"][0]))
        else:
            payload = await reader.read()
        chunked = "chunked" in ",".join(found.get("transfer-encoding", []))
        closing = "close" in ",".join(found.get("connection", [])).lower()
        if closing or ("content-length" not in found and not chunked):
            await self.close()
        return int(status_line.split()[1]), found, payload

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            if self.tls:
                with contextlib.suppress(OSError, ssl.SSLError):
                    await writer.wait_closed()


class EventStream:
    """A server-sent-events stream on a raw socket, as a browser's EventSource keeps one."""

    def __init__(self, host: str, port: int, path: str, cookie: str = "", tls: ssl.SSLContext | None = None) -> None:
        self.host, self.port, self.path, self.cookie, self.tls = host, port, path, cookie, tls
        self.events: list[tuple[float, dict]] = []
        self.changed = asyncio.Event()
        self.ended = asyncio.Event()  # the server closed the stream (a browser's EventSource would reconnect)
        self._task: asyncio.Task | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.ended.clear()
        reader, self._writer = await asyncio.open_connection(self.host, self.port, ssl=self.tls)
        headers = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: text/event-stream"]
        if self.cookie:
            headers.append(f"Cookie: {self.cookie}")
        self._writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
        await self._writer.drain()
        status = await asyncio.wait_for(reader.readline(), TIMEOUT)
        if b" 200 " not in status:
            raise RuntimeError(f"event stream {self.path} answered {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        self._task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        # Chunked transfer: chunk-size lines and blank lines are skipped, "data:" lines parsed.
        while True:
            try:
                line = await reader.readline()
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                line = b""
            if not line:
                self.ended.set()
                self.changed.set()
                return
            if line.startswith(b"data: "):
                self.events.append((time.perf_counter(), json.loads(line[6:])))
                self.changed.set()

    async def wait_for(self, predicate, deadline: float) -> float | None:
        """When the first event matching predicate arrived (perf_counter), waiting until deadline."""
        while True:
            for at, data in self.events:
                if predicate(data):
                    return at
            self.changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                return None

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        if self._writer:
            self._writer.close()


@dataclass
class Phone:
    number: int
    cookie: str = ""
    stream: EventStream | None = None
    vote_sent: dict[str, float] = field(default_factory=dict)
    client: Client | None = None  # its kept-open connection for pages and votes (the stream has its own)

    def connection(self, host: str, port: int, tls: ssl.SSLContext | None) -> Client:
        if self.client is None:
            self.client = Client(host, port, tls)
        return self.client


async def _join(host: str, port: int, code: str, phone: Phone, tls: ssl.SSLContext | None = None) -> None:
    body = urlencode({"code": code, "sector": SECTORS[phone.number % len(SECTORS)], "name": f"Load {phone.number}"})
    client = phone.connection(host, port, tls)
    status, headers, _ = await client.request("POST", "/join", body.encode(),
                                              {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    if status != 303:
        raise RuntimeError(f"phone {phone.number} could not join: HTTP {status}")
    # The app's pass cookie (a proxy may set its own cookies beside it).
    phone.cookie = next(c for c in headers["set-cookie"] if not c.startswith("checklist_route=")).split(";")[0]
    status, _, page = await client.request("GET", "/join", headers={"Cookie": phone.cookie})
    if status != 200 or b"room-data" not in page:
        raise RuntimeError(f"phone {phone.number} did not get the voting page: HTTP {status}")
    phone.stream = EventStream(host, port, "/join/events", phone.cookie, tls)
    await phone.stream.open()


async def _vote(host: str, port: int, phone: Phone, item: str, level: int | None,
                tls: ssl.SSLContext | None = None, delay: float = 0.0) -> bool:  # fmt: skip
    if delay:
        await asyncio.sleep(delay)  # the person reads the item, thinks, taps
    body = json.dumps({"item": item, "level": "dont_know" if level is None else str(level)}).encode()
    phone.vote_sent[item] = time.perf_counter()
    status, _, answer = await phone.connection(host, port, tls).request(
        "POST", "/join/vote", body, {"Content-Type": "application/json", "Cookie": phone.cookie}
    )
    return status == 200 and json.loads(answer).get("ok") is True


async def _ticks(lags: list[float], every: float = 0.02) -> None:
    """How late the event loop wakes for a tick (its lag): what every timestamp taken on it may be late by."""
    while True:
        due = time.perf_counter() + every
        await asyncio.sleep(every)
        lags.append(max(0.0, time.perf_counter() - due))


def open_files_as_allowed() -> None:
    """Raise this process's open-file limit to the most the system allows (a room of thousands needs it)."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": round(statistics.median(ordered) * 1000, 1), "p95": round(p95 * 1000, 1),
            "max": round(ordered[-1] * 1000, 1)}  # fmt: skip


class Phones:
    """Some of the room's phones on this process's event loop: joining, following the room, voting."""

    def __init__(self, url: str, numbers: range, spread: float, seed: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.tls = ssl.create_default_context() if parts.scheme == "https" else None
        if self.tls is not None:  # the tests' own certificate
            self.tls.check_hostname, self.tls.verify_mode = False, ssl.CERT_NONE
        self.phones = [Phone(n) for n in numbers]
        self.spread = spread
        self.rng = random.Random(seed)
        self.lags: list[float] = []
        self._ticker: asyncio.Task | None = None
        self._own = (0.0, 0.0)

    async def join(self, code: str) -> int:
        for start in range(0, len(self.phones), 50):  # in waves, as a room does when the code goes up
            await asyncio.gather(*(_join(self.host, self.port, code, p, self.tls)
                                   for p in self.phones[start : start + 50]))  # fmt: skip
        self._own = (time.process_time(), time.perf_counter())
        self._ticker = asyncio.create_task(_ticks(self.lags))
        return len(self.phones)

    async def watch(self, item: str, deadline: float) -> list[float | None]:
        """When each phone heard the room move to `item` (perf_counter: one clock for every process here)."""
        return list(await asyncio.gather(*(
            p.stream.wait_for(lambda d, item=item: d.get("item") == item, deadline) for p in self.phones
        )))  # fmt: skip

    async def vote(self, item: str, n: int) -> tuple[int, list[float]]:
        """Every phone votes on `item` (each after its own pause, with a spread); (refused, when each was sent)."""
        oks = await asyncio.gather(*(
            _vote(self.host, self.port, p, item, (p.number + n) % 5, self.tls, delay=self.rng.uniform(0, self.spread))
            for p in self.phones
        ))  # fmt: skip
        return sum(1 for ok in oks if not ok), [p.vote_sent[item] for p in self.phones]

    async def close(self) -> dict:
        """Streams closed; this process's own load: its share of a core and its event loop's lag."""
        if self._ticker is not None:
            self._ticker.cancel()
        cpu = (time.process_time() - self._own[0]) / max(1e-9, time.perf_counter() - self._own[1])
        for p in self.phones:
            await p.stream.close()
            if p.client is not None:
                await p.client.close()
        return {"cpu": cpu, "lags": self.lags}


def _phones_process(pipe: Any, url: str, numbers: range, spread: float, seed: int) -> None:
    """A process of its own holding some phones, doing what the room's coordinator asks over `pipe`."""

    async def serve() -> None:
        phones = Phones(url, numbers, spread, seed)
        loop = asyncio.get_running_loop()
        while True:
            command, *args = await loop.run_in_executor(None, pipe.recv)
            result = await getattr(phones, command)(*args)
            pipe.send(result)
            if command == "close":
                return

    asyncio.run(serve())


class PhonesElsewhere:
    """The same as Phones, in another process (so the load generator has more than one core's event loop)."""

    def __init__(self, url: str, numbers: range, spread: float, seed: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=_phones_process, args=(theirs, url, numbers, spread, seed), daemon=True)
        self.process.start()
        self._lock = asyncio.Lock()

    async def _ask(self, command: str, *args: Any) -> Any:
        async with self._lock:
            self.pipe.send((command, *args))
            return await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)

    async def join(self, code: str) -> int:
        return await self._ask("join", code)

    async def watch(self, item: str, deadline: float) -> list[float | None]:
        return await self._ask("watch", item, deadline)

    async def vote(self, item: str, n: int) -> tuple[int, list[float]]:
        return await self._ask("vote", item, n)

    async def close(self) -> dict:
        result = await self._ask("close")
        self.process.join(timeout=30)
        return result


async def run_room(url: str, db_path: Path, participants: int, items: int = 3, pid: int | list[int] | None = None,
                   time_limit: float = 240.0, spread: float = 0.0, processes: int = 1) -> dict:  # fmt: skip
    """Open a workshop, join N phones, move through `items` items with everyone voting; return the figures.

    With `spread` 0 every phone votes the moment the item arrives (the worst case: a room pressing in the same
    instant); otherwise each at a moment drawn evenly from the `spread` seconds after it (people read, think, tap),
    the same moments every run. `processes` > 1 shares the phones among that many processes, so no one event
    loop stamps thousands of arrivals: figures that do not change with it are the server's, not the generator's.
    `pid` is the server's process id (or several servers' ids: their CPU is summed)."""
    pids = [pid] if isinstance(pid, int) else list(pid or [])
    parts = urlsplit(url)
    tls = ssl.create_default_context() if parts.scheme == "https" else None
    if tls is not None:
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    started = time.perf_counter()
    deadline = started + time_limit
    db = store.connect(db_path)
    system_id = store.create_system(db, f"Load room {os.getpid()} {time.time_ns()}", "load test")
    aid = store.create_assessment(db, system_id, None, "Load round", "2026-11-23", "load test")
    workshop = workshops.start_workshop(db, aid, "load test")
    wid, code = workshop["id"], workshop["code"]
    ids = [i.id for i in workshops.items_of(db, workshop)][:items]
    presenter = EventStream(parts.hostname, parts.port, f"/present/{wid}/events?key={workshops.presenter_key(db, wid)}",
                            tls=tls)  # fmt: skip
    await presenter.open()
    shares = [range(k, participants, processes) for k in range(processes)]
    groups: list[Any] = [Phones(url, shares[0], spread, participants)] + [
        PhonesElsewhere(url, share, spread, participants + k) for k, share in enumerate(shares[1:], 1)
    ]
    await asyncio.gather(*(g.join(code) for g in groups))
    cpu_before, wall_before = [_cpu_seconds(p) for p in pids], time.perf_counter()
    change_latency: list[float] = []
    vote_latency: list[float] = []
    refused = 0
    missed_changes = 0
    for n, item in enumerate(ids):
        if n:
            moved = time.perf_counter()
            workshops.set_current_item(db, wid, item, "load test")
            seen = [at for g in await asyncio.gather(*(g.watch(item, min(deadline, moved + 30)) for g in groups))
                    for at in g]  # fmt: skip
            missed_changes += sum(1 for at in seen if at is None)
            change_latency += [at - moved for at in seen if at is not None]
        voted = await asyncio.gather(*(g.vote(item, n) for g in groups))
        refused += sum(r for r, _ in voted)
        sent = sorted(at for _, times in voted for at in times)
        for rank, at in enumerate(sent, 1):
            shown = await presenter.wait_for(
                lambda d, item=item, rank=rank: d.get("item") == item and d.get("votes", 0) >= rank,
                min(deadline, time.perf_counter() + 30),
            )
            if shown is not None:
                vote_latency.append(max(0.0, shown - at))
        if time.perf_counter() > deadline:
            break
    wall = time.perf_counter() - wall_before
    server_cpu = [(_cpu_seconds(p) - before) / wall for p, before in zip(pids, cpu_before, strict=True)]
    stored = db.execute(
        "SELECT item_id, count(*), count(DISTINCT participant_id) FROM votes WHERE workshop_id = ? GROUP BY item_id",
        [wid],
    ).fetchall()
    per_item = {item: (total, distinct) for item, total, distinct in stored}
    expected = {item: participants for item in ids[: len(per_item) or 1]}
    lost = sum(max(0, participants - per_item.get(item, (0, 0))[1]) for item in expected)
    doubled = sum(total - distinct for total, distinct in per_item.values())
    workshops.close_workshop(db, wid, "load test")
    own = await asyncio.gather(*(g.close() for g in groups))
    await presenter.close()
    db.close()
    return {
        "participants": participants,
        "items": len(expected),
        "votes_spread_s": spread,
        "item_change_ms": _percentiles(change_latency),
        "vote_to_presenter_ms": _percentiles(vote_latency),
        "missed_item_changes": missed_changes,
        "votes_refused": refused,
        "votes_lost": lost,
        "votes_doubled": doubled,
        "server_cpu_cores": round(sum(server_cpu), 3) if pids else None,
        "server_cpu_cores_each": [round(c, 3) for c in server_cpu],
        "server_rss_mb": round(sum(_rss_mb(p) for p in pids), 1) if pids else None,
        # The load generator's own share of a core per process, and how late its event loops ran a 20 ms tick: near
        # a whole core, or lags near the latencies above, would mean it, not the server, set the figures.
        "load_generator_processes": processes,
        "load_generator_cpu_cores": round(max(o["cpu"] for o in own), 3),
        "load_generator_lag_ms": _percentiles([lag for o in own for lag in o["lags"]]),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the running server, e.g. http://127.0.0.1:8501")
    parser.add_argument("--db", required=True, type=store.db_argument, help="the database (file or address) it uses")
    parser.add_argument("--pid", type=int, nargs="*", help="the server's process id(s), to measure CPU and memory")
    parser.add_argument("-n", "--participants", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1, help="processes sharing the phones (default 1)")
    parser.add_argument("--spread", type=float, default=0.0,
                        help="seconds over which an item's votes arrive (0: all at once, the worst case)")  # fmt: skip
    args = parser.parse_args(argv)
    open_files_as_allowed()  # thousands of phones hold thousands of connections; the servers started inherit it
    for n in args.participants:
        figures = run_room(args.url, args.db, n, args.items, args.pid, spread=args.spread, processes=args.processes)
        print(json.dumps(asyncio.run(figures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

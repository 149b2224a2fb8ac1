"""The live room on one app server and on two, over one PostgreSQL database, behind the shipped deploy/nginx.conf.

Starts PostgreSQL (Debian's, fsync on), one or two app servers (`streamlit run app.py`) and nginx with the shipped
config (TLS, sticky routing, only its addresses, certificate, logs and connection limits swapped for this run),
then runs bench/live_load.py's room of N phones through nginx, as phones reach a hosted service. Reports, per run,
the room's figures, each app server's share of a core, and the load generator's own share and event-loop lag.

    python bench/scale_out.py --phones 3000 --servers 1 2 --spread 5 --processes 3

Everything runs on this one machine: phones, nginx, PostgreSQL and every app server share its cores, so a second
server on the same two cores shows how the room's work divides between servers (each server's share), not a second
machine's capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from live_load import open_files_as_allowed, run_room  # noqa: E402

from checklist import store  # noqa: E402
from checklist.db import postgres  # noqa: E402
from tests import pgserver  # noqa: E402
from tests.e2e.conftest import _free_port, _start  # noqa: E402
from tests.e2e.test_proxy import NGINX, _nginx_config, _wait_until_listening  # noqa: E402


@contextlib.contextmanager
def _servers(address: str, count: int, folder: Path) -> Iterator[tuple[list[subprocess.Popen], int]]:
    """`count` app servers on one database behind nginx; yields (the servers, nginx's TLS port)."""
    env = {"CHECKLIST_TRUSTED_PROXIES": "127.0.0.1", "CHECKLIST_STREAMS_PER_CLIENT": "100000", "CI": "true"}
    ports = [_free_port() for _ in range(count)]
    servers = [_start(address, folder / f"app{n}.log", port=p, env=env)[0] for n, p in enumerate(ports)]
    tls_port, plain_port = _free_port(), _free_port()
    config = _nginx_config(folder, ports[0], tls_port, plain_port)
    one = f"server 127.0.0.1:{ports[0]} max_fails=1 fail_timeout=10s;"
    text = config.read_text()
    more = "".join(f"\n    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports[1:])
    text = text.replace(one, one + more)
    # A room of thousands: every phone holds two connections to nginx, and nginx one to an app server for each.
    text = re.sub(r"events \{ worker_connections \d+; \}", "events { worker_connections 40000; }", text)
    config.write_text("worker_rlimit_nofile 90000;\n" + text)
    nginx = subprocess.Popen([str(NGINX), "-p", str(folder), "-c", str(config), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=(folder / "nginx.out").open("w"))  # fmt: skip
    try:
        _wait_until_listening(tls_port, nginx, folder / "error.log")
        yield servers, tls_port
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        for process in servers:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, nargs="+", default=[3000])
    parser.add_argument("--servers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--items", type=int, default=3)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which an item's votes arrive")
    parser.add_argument("--processes", type=int, default=3, help="load-generator processes sharing the phones")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    open_files_as_allowed()  # thousands of phones hold thousands of connections; the servers started inherit it
    if not NGINX.exists() or pgserver.bin_dir() is None:
        raise SystemExit("needs Debian's nginx-light and postgresql (apt-get install -y nginx-light postgresql)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        server = pgserver.start(Path(tmp) / "postgresql", durable=True)
        try:
            for count in args.servers:
                for phones in args.phones:
                    folder = Path(tmp) / f"run-{count}-{phones}"
                    folder.mkdir()
                    address = server.create()
                    store.connect(address).close()
                    postgres.close_pools()
                    with _servers(address, count, folder) as (processes, port):
                        figures = asyncio.run(run_room(f"https://127.0.0.1:{port}", address, phones, args.items,
                                                       pid=[p.pid for p in processes], spread=args.spread,
                                                       processes=args.processes))  # fmt: skip
                    figures = {"app_servers": count, "backend": "postgresql", "behind": "nginx (TLS)", **figures}
                    print(json.dumps(figures), flush=True)
                    results.append(figures)
                    postgres.close_pools()
                    time.sleep(2)  # the closed sockets' ports are free again before the next run
        finally:
            postgres.close_pools()
            server.stop()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()

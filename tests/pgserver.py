"""A real PostgreSQL server for the tests, started on 127.0.0.1 from Debian's `postgresql` (as the `postgres` user
when the tests run as root, since initdb refuses root), with one empty database per test made from a migrated
template in a few milliseconds.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

USER = "app"


def bin_dir() -> Path | None:
    """Where Debian put PostgreSQL's server programs (the newest version installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Server:
    folder: Path
    port: int
    bin: Path
    _names: Iterator[int] = itertools.count(1)

    def address(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.address("postgres"), autocommit=True)

    def create(self, template: str | None = None, name: str | None = None) -> str:
        """A new database (a copy of `template`, if given); returns its address."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.address(name)

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_owner([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "stop"]),
                       capture_output=True, check=False, timeout=60)  # fmt: skip

    def start(self) -> None:
        data = self.folder / "data"
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        subprocess.run(
            _as_owner([str(self.bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"),
                       "-w", "-t", "60", "start"]),
            capture_output=True, check=True, timeout=90,
        )  # fmt: skip


def start(folder: Path) -> Server:
    """Make a cluster in `folder` and start it; the caller stops it."""
    programs = bin_dir()
    if programs is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (folder, *folder.parents):
            if path == Path("/") or path.stat().st_mode & 0o001:
                break
            with contextlib.suppress(OSError):
                path.chmod(path.stat().st_mode | 0o011)  # let postgres pass through the test's folders
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    subprocess.run(
        _as_owner([str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8",
                   "--locale=C", "--no-sync"]),
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    server = Server(folder, _free_port(), programs)
    server.start()
    return server

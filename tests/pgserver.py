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

    durable: bool = False  # fsync on (a benchmark), or off (tests: faster, and no test needs a power cut survived)
    options: str = ""  # more server settings ("-c name=value ...")

    def start(self) -> None:
        data = self.folder / "data"
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off"
        if self.options:
            options += " " + self.options
        subprocess.run(
            _as_owner([str(self.bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "log"),
                       "-w", "-t", "60", "start"]),
            capture_output=True, check=True, timeout=90,
        )  # fmt: skip


def start(folder: Path, durable: bool = False, tls: bool = False) -> Server:
    """Make a cluster in `folder` and start it; the caller stops it."""
    programs = bin_dir()
    if programs is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (Debian: apt-get install postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in folder.parents:
            if path != Path("/") and not path.stat().st_mode & 0o001:
                with contextlib.suppress(OSError):
                    path.chmod(path.stat().st_mode | 0o001)  # let postgres pass through the test's folders
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    subprocess.run(
        _as_owner([str(programs / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8",
                   "--locale=C", "--no-sync"]),
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    options = ""
    if tls:  # a self-signed certificate, as a managed service's (the client is not asked to check it here)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(data / "server.key"),
                        "-out", str(data / "server.crt"), "-days", "2", "-subj", "/CN=127.0.0.1"],
                       check=True, capture_output=True)  # fmt: skip
        if os.geteuid() == 0:
            for name in ("server.key", "server.crt"):
                os.chown(data / name, owner.pw_uid, owner.pw_gid)
        (data / "server.key").chmod(0o600)
        options = "-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
    server = Server(folder, _free_port(), programs, durable=durable, options=options)
    server.start()
    return server

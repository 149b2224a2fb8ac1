"""The production set-up: the container recipe, the server config and the proxy examples say what the README says.

Docker's daemon is not on every machine: where it is, the image is built and started and answers its
health check; everywhere, the files are checked line by line (a dry lint).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib

import pytest

from checklist import store
from tests.conftest import ROOT

# Continuation lines joined, so each instruction is one line.
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")


def _instructions(name: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.startswith(name + " ")]


def test_the_image_runs_as_a_non_root_user_with_the_database_on_a_volume():
    assert _instructions("USER") == ["app"], "the app never runs as root"
    assert _instructions("VOLUME") == ['["/data"]']
    env = " ".join(_instructions("ENV"))
    assert "CHECKLIST_DB=/data/maturity.db" in env and "CHECKLIST_MODE=shared" in env
    assert _instructions("HEALTHCHECK") and "/_stcore/health" in _instructions("HEALTHCHECK")[0]
    assert _instructions("FROM")[0].startswith("python:3.11")


def test_the_image_says_how_to_trust_its_proxy_and_hold_a_large_room():
    header = "".join(line for line in DOCKERFILE.splitlines() if line.startswith("#"))
    assert "CHECKLIST_TRUSTED_PROXIES=" in header and "--ulimit nofile=" in header


def test_the_image_carries_no_secret_and_every_part_of_the_app():
    copied = " ".join(_instructions("COPY"))
    assert "secrets.toml" not in copied, "secrets are mounted at run time, never built in"
    for part in ("checklist", "pages", "ui", "web", "app.py", "router.py", "pyproject.toml"):
        assert part in copied, f"the image lacks {part}"
    for folder in ("checklist", "pages", "ui", "web"):
        assert (ROOT / folder).is_dir()


def test_the_server_config_is_safe_for_a_network():
    config = tomllib.loads((ROOT / "deploy" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["headless"] and config["server"]["enableXsrfProtection"]
    assert 1 <= config["server"]["maxUploadSize"] <= 200
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "none"


def test_the_proxies_pass_websockets_and_do_not_buffer_event_streams():
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_set_header Upgrade $http_upgrade" in nginx and "proxy_buffering off" in nginx
    assert re.search(r"location ~ \^/\(join/events\|present/\[0-9\]\+/events\)\$", nginx)
    assert "ssl_certificate" in nginx and "return 301 https://" in nginx
    caddy = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy 127.0.0.1:8501" in caddy and "flush_interval -1" in caddy


def test_the_nightly_backup_keeps_a_set_number_and_lets_old_undo_copies_go(tmp_path):
    db_path = tmp_path / "maturity.db"
    store.connect(db_path).close()
    backups = tmp_path / "backups"
    backups.mkdir()
    old, recent = backups / "before-restore-20261101T000000Z.db", backups / "before-restore-20261206T000000Z.db"
    ages_in_days = {old: 5, recent: 0.1, **{backups / f"maturity-2026110{d}T021500Z.db": 4 - d for d in (1, 2, 3)}}
    for path, days in ages_in_days.items():
        path.write_bytes(b"x")
        os.utime(path, (time.time() - days * 86400,) * 2)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"  # the script calls `python` as cron finds it on PATH: here, the app's own
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CHECKLIST_DB": str(db_path),
           "BACKUP_DIR": str(backups), "KEEP": "2", "PYTHONPATH": str(ROOT)}  # fmt: skip
    subprocess.run(["sh", str(ROOT / "deploy" / "backup.sh")], env=env, check=True, capture_output=True, timeout=120)
    snapshots = sorted(p.name for p in backups.glob("maturity-*.db"))
    assert len(snapshots) == 2 and "maturity-20261101T021500Z.db" not in snapshots, "the newest KEEP are kept"
    assert not old.exists() and recent.exists(), "an undo copy goes once KEEP days old, not before"


def _docker_daemon() -> bool:
    docker = shutil.which("docker")
    return bool(docker) and subprocess.run([docker, "info"], capture_output=True, timeout=20).returncode == 0


@pytest.mark.skipif(not _docker_daemon(), reason="no Docker daemon on this machine; the dry lint above stands in")
def test_the_image_builds_and_answers_its_health_check():  # pragma: no cover - needs a Docker daemon
    subprocess.run(["docker", "build", "-t", "ics-maturity-test", str(ROOT)], check=True, timeout=900)
    run = subprocess.run(["docker", "run", "--rm", "-d", "-e", "CHECKLIST_MODE=local", "-p", "127.0.0.1::8501",
                          "ics-maturity-test"], check=True, capture_output=True, text=True)  # fmt: skip
    container = run.stdout.strip()
    try:
        port = subprocess.run(["docker", "port", container, "8501"], capture_output=True, text=True).stdout
        assert port.strip()
    finally:
        subprocess.run(["docker", "stop", container], capture_output=True)

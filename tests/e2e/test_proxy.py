"""The whole server as deployed: `streamlit run app.py` behind the shipped deploy/nginx.conf (TLS on 127.0.0.1),
talked to over real HTTP from real source addresses (every 127.x.y.z is this machine, each a different peer).

Two servers: one in shared mode behind nginx, trusting nginx's forwarded headers (CHECKLIST_TRUSTED_PROXIES);
one in local mode trusting nobody, started with a small file limit (256) to show the live room's streams never
run the process out of files.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import expect

from checklist import access, sessions, store, workshops
from tests.conftest import ROOT
from tests.e2e.conftest import TIMEOUT_MS, _free_port, _start
from web import live as web_live

pytestmark = pytest.mark.e2e

NGINX = Path("/usr/sbin/nginx")
SECRET = os.urandom(24).hex()
LEAD = "lead@example.nhs.uk"
FILE_LIMIT = 256


@dataclass(frozen=True)
class Site:
    app_port: int  # the app itself, plain HTTP
    tls_port: int  # nginx, TLS
    db_path: Path
    code: str
    workshop_id: int


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}: {log.read_text() if log.exists() else ''}")


def _nginx_config(tmp: Path, app_port: int, tls_port: int, plain_port: int) -> Path:
    """deploy/nginx.conf as shipped, with only its addresses, certificate and log paths swapped for the test's."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp / "key.pem"),
                    "-out", str(tmp / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)  # fmt: skip
    shipped = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    site = (
        shipped.replace("server 127.0.0.1:8501 ", f"server 127.0.0.1:{app_port} ")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;")
        .replace("listen 80;", f"listen 127.0.0.1:{plain_port};")
        .replace("/etc/ssl/certs/maturity.pem", str(tmp / "cert.pem"))
        .replace("/etc/ssl/private/maturity.key", str(tmp / "key.pem"))
    )
    site = re.sub(r"/var/log/nginx/[\w.]+", str(tmp / "access.log"), site)
    assert str(app_port) in site and str(tls_port) in site and "cert.pem" in site, "the shipped config changed shape"
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"{name}_temp_path {tmp / name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = tmp / "nginx.conf"
    config.write_text(
        f"{user}worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} warn;\n"
        f"events {{ worker_connections 1024; }}\nhttp {{\n{temp}{site}\n}}\n"
    )
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    if not NGINX.exists():
        pytest.fail("the proxy tests need Debian's nginx-light (apt-get install -y nginx-light)")
    tmp = tmp_path_factory.mktemp("proxy")
    db_path = tmp / "proxy.db"
    db = store.connect(db_path)
    system_id = store.create_system(db, "Proxy ICS", "e2e")
    aid = store.create_assessment(db, system_id, None, "Proxy round", "2026-11-23", "e2e")
    workshop = workshops.start_workshop(db, aid, "e2e")
    access.add_user(db, "e2e", LEAD, "Lead")
    access.add_user(db, "e2e", "disabled@example.nhs.uk", "Gone")
    db.close()
    app_port, tls_port, plain_port = _free_port(), _free_port(), _free_port()
    secrets = tmp / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "https://127.0.0.1:{tls_port}/oauth2callback"\n'
        f'cookie_secret = "{SECRET}"\nclient_id = "proxy-test"\nclient_secret = "not-used"\n'
        'server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n'
    )
    env = {"CHECKLIST_MODE": "shared", "CHECKLIST_TRUSTED_PROXIES": "127.0.0.1"}
    process, _ = _start(db_path, tmp / "streamlit.log", port=app_port, env=env, args=("--secrets.files", str(secrets)))
    config = _nginx_config(tmp, app_port, tls_port, plain_port)
    checked = subprocess.run([str(NGINX), "-t", "-p", str(tmp), "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([str(NGINX), "-p", str(tmp), "-c", str(config), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=(tmp / "nginx.out").open("w"))  # fmt: skip
    try:
        _wait_until_listening(tls_port, nginx, tmp / "error.log")
        yield Site(app_port, tls_port, db_path, workshop["code"], workshop["id"])
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        process.terminate()
        process.wait(timeout=10)


def _tls(site: Site, source: str) -> http.client.HTTPSConnection:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return http.client.HTTPSConnection("127.0.0.1", site.tls_port, context=context, timeout=30,
                                       source_address=(source, 0))  # fmt: skip


def _plain(port: int, source: str) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))


def _ask(connection: http.client.HTTPConnection, method: str, path: str, form: dict | None = None,
         headers: dict | None = None) -> tuple[int, http.client.HTTPMessage, str]:  # fmt: skip
    body = None
    headers = dict(headers or {})
    if form is not None:
        body = "&".join(f"{k}={v}" for k, v in form.items())
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.headers, response.read().decode("utf-8", "replace")


# --- who the client is -------------------------------------------------------------------------------------------


def test_through_nginx_a_guesser_with_forged_addresses_locks_out_only_itself(site):
    guesser = _tls(site, "127.0.8.1")
    statuses = []
    for n in range(1010):  # as in the review: 1,010 wrong codes, each claiming another address
        forged = {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.1"}
        statuses.append(_ask(guesser, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"}, forged)[0])
    assert statuses[: web_live.WRONG_CODE_LIMIT] == [404] * web_live.WRONG_CODE_LIMIT
    assert set(statuses[web_live.WRONG_CODE_LIMIT :]) == {429}, "the forged addresses changed nothing"
    assert _ask(guesser, "POST", "/join", {"code": site.code, "sector": "health"})[0] == 429
    # Every other phone, one of them after an honest typo, still joins with the right code.
    for n in range(12):
        phone = _tls(site, f"127.0.9.{n}")
        if n % 2:
            assert _ask(phone, "POST", "/join", {"code": "ZZZZZY", "sector": "health"})[0] == 404
        status, headers, _ = _ask(phone, "POST", "/join", {"code": site.code, "sector": "health"})
        assert status == 303, n
        assert "secure" in headers["set-cookie"].lower(), "the phone used https: its pass is Secure"


def test_the_streamlit_identity_cookie_is_secure_behind_tls_and_not_on_plain_http(site):
    """Streamlit's own /oauth2callback clears a bad identity cookie: the middleware wraps it like every route."""
    bad = {"Cookie": "_streamlit_user=not-a-signed-value"}
    status, headers, _ = _ask(_tls(site, "127.0.8.20"), "GET", "/oauth2callback?state=nope", headers=bad)
    cookies = headers.get_all("set-cookie") or []
    assert status in (302, 303, 307) and any(c.startswith("_streamlit_user=") for c in cookies), cookies
    assert all("secure" in c.lower() for c in cookies), cookies
    # The same route, to the app directly over plain HTTP: nothing says https, so nothing is marked Secure.
    for source, said in (("127.0.0.1", {}), ("127.0.8.21", {"X-Forwarded-Proto": "https"})):
        _, headers, _ = _ask(_plain(site.app_port, source), "GET", "/oauth2callback?state=nope",
                             headers={**bad, **said})  # fmt: skip
        cookies = headers.get_all("set-cookie") or []
        assert cookies and not any("secure" in c.lower() for c in cookies), (source, cookies)


@pytest.mark.parametrize(
    ("path", "ancestors"),
    [("/", "'self'"), ("/oauth2callback?state=nope", "'self'"), ("/join", "'none'"), ("/_stcore/health", "'self'")],
)
def test_streamlits_pages_and_the_apps_own_carry_the_security_headers(site, path, ancestors):
    _, headers, _ = _ask(_tls(site, "127.0.8.30"), "GET", path)
    assert f"frame-ancestors {ancestors}" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] in (
        "same-origin",
        "no-referrer",
    )
    assert "max-age" in headers["strict-transport-security"], "nginx asks browsers to stay on https"


def test_the_presenter_key_is_not_in_nginxs_log(site):
    db = store.connect(site.db_path)
    key = workshops.presenter_key(db, site.workshop_id)
    db.close()
    status, headers, _ = _ask(_tls(site, "127.0.8.40"), "GET", f"/present/{site.workshop_id}/screen?key={key}")
    assert status == 303 and "secure" in headers["set-cookie"].lower()
    log = Path(site.db_path).parent / "access.log"
    deadline = time.monotonic() + 10
    while f"/present/{site.workshop_id}/screen" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "nginx logged nothing"
        time.sleep(0.05)
    assert key not in log.read_text()


def test_the_live_pages_run_under_their_policy_in_a_browser(site, browser):
    """Chromium through nginx over TLS: the join form, the voting page, the presenter screen and Streamlit's own
    page work, and the Content-Security-Policy blocks nothing of theirs (no violation is reported)."""
    db = store.connect(site.db_path)
    key = workshops.presenter_key(db, site.workshop_id)
    db.close()
    base = f"https://127.0.0.1:{site.tls_port}"
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        page.goto(f"{base}/join?code={site.code}")
        page.get_by_text("Health and care", exact=True).click()
        page.get_by_role("button", name="Join").click()
        expect(page.locator("body[data-ready='1']")).to_have_count(1)  # vote.js ran
        page.get_by_role("button", name="2 · Developing", exact=True).click()
        expect(page.get_by_text("Your vote is in: 2 · Developing.")).to_be_visible()
        page.goto(f"{base}/present/{site.workshop_id}/screen?key={key}")
        expect(page.locator("body[data-ready='1']")).to_have_count(1)  # screen.js ran, after the key left the URL
        assert "key=" not in page.url
        swatch = page.locator("#level-0 .swatch").evaluate("e => getComputedStyle(e).backgroundColor")
        assert swatch not in ("rgba(0, 0, 0, 0)", "transparent"), "the levels' colours (nonce'd style) apply"
        page.get_by_role("button", name="Reveal results").click()
        expect(page.get_by_role("button", name="Hide results")).to_be_visible()  # the control POST by cookie
        expect(page.locator("#result-2 .count")).to_have_text(re.compile(r"^\d+ votes?$"))
        page.get_by_role("button", name="Hide results").click()
        expect(page.get_by_role("button", name="Reveal results")).to_be_visible()
        # Streamlit's own page through the same proxy: its websocket (wss, Origin checked against Host) works.
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert blocked == []
    finally:
        context.close()


# --- /media needs a live sign-in in shared mode -------------------------------------------------------------------


def _identity(email: str, issued: float, expires: float, secret: str = SECRET) -> str:
    claims = {"email": email, "email_verified": True, "is_logged_in": True, "iat": int(issued), "exp": int(expires),
              "origin": "https://127.0.0.1", "provider": "default"}  # fmt: skip
    return "_streamlit_user=" + URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(json.dumps(claims))


def _media(site: Site, cookie: str | None) -> int:
    headers = {"Cookie": cookie} if cookie else {}
    return _ask(_plain(site.app_port, "127.0.8.50"), "GET", f"/media/{'ab' * 28}.csv", headers=headers)[0]


def test_media_files_need_a_sign_in_that_is_still_good(site):
    """403 is the edge refusing; 404 is Streamlit answering (there is no such file): the request got through."""
    now = time.time()  # the server runs on the real clock, as does this test (marked e2e): no date is assumed
    fresh = _identity(LEAD, now - 5, now + 3600)
    assert _media(site, None) == 403
    assert _media(site, fresh) == 404
    assert _media(site, _identity(LEAD, now - 5, now + 3600, secret="another-secret-of-the-same-length-00")) == 403
    assert _media(site, _identity(LEAD, now - 7200, now - 60)) == 403, "expired"
    assert _media(site, _identity("stranger@example.nhs.uk", now - 5, now + 3600)) == 403, "nobody added them"
    db = store.connect(site.db_path)
    try:
        gone = next(u for u in access.list_users(db) if u["email"] == "disabled@example.nhs.uk")
        access.disable_user(db, "e2e", gone["id"])
        assert _media(site, _identity("disabled@example.nhs.uk", now - 5, now + 3600)) == 403, "disabled"
        sessions.end_sessions(db, LEAD)  # signed out: every copy of the cookie issued before now stops working
        assert _media(site, fresh) == 403
        later = time.time() + 2
        assert _media(site, _identity(LEAD, later, later + 3600)) == 404, "a new sign-in works again"
    finally:
        db.close()


# --- a small file limit -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limited:
    port: int
    db_path: Path
    code: str
    pid: int
    log: Path


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[Limited]:
    """The app in local mode, trusting no proxy, in a process allowed only FILE_LIMIT open files."""
    tmp = tmp_path_factory.mktemp("limited")
    db_path = tmp / "limited.db"
    db = store.connect(db_path)
    system_id = store.create_system(db, "Limited ICS", "e2e")
    aid = store.create_assessment(db, system_id, None, "Limited round", "2026-11-23", "e2e")
    code = workshops.start_workshop(db, aid, "e2e")["code"]
    db.close()
    port = _free_port()
    log = tmp / "streamlit.log"
    env = {**os.environ, "CHECKLIST_DB": str(db_path)}
    env.pop("CHECKLIST_TRUSTED_PROXIES", None)
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]  # fmt: skip

    def small_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))

    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               preexec_fn=small_file_limit)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if _ask(_plain(port, "127.0.0.1"), "GET", "/_stcore/health")[2] == "ok":
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield Limited(port, db_path, code, process.pid, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_uvicorn_does_not_believe_forwarded_for_from_127_0_0_1_behind_the_apps_back(limited):
    """uvicorn, as streamlit starts it, trusts X-Forwarded-For from 127.0.0.1; the app reads the raw peer instead."""
    guesser = _plain(limited.port, "127.0.0.1")
    for n in range(web_live.WRONG_CODE_LIMIT):
        forged = {"X-Forwarded-For": f"10.7.7.{n}"}
        assert _ask(guesser, "POST", "/join", {"code": "ZZZZZZ", "sector": "health"}, forged)[0] == 404
    forged = {"X-Forwarded-For": "10.7.8.1"}
    assert _ask(guesser, "POST", "/join", {"code": limited.code, "sector": "health"}, forged)[0] == 429


def _stream(port: int, source: str, cookie: str) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    sock.sendall(f"GET /join/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
    status = sock.makefile("rb").readline()
    return sock, status


def test_a_small_file_limit_caps_the_streams_and_the_server_keeps_answering(limited):
    budget = web_live.stream_budget(FILE_LIMIT)
    assert budget == (FILE_LIMIT - web_live.FILES_RESERVED) // web_live.FILES_PER_STREAM
    phones = budget // web_live.STREAMS_PER_PASS + 1
    passes = []
    for n in range(phones):
        status, headers, _ = _ask(_plain(limited.port, f"127.0.10.{n}"), "POST", "/join",
                                  {"code": limited.code, "sector": "health"})  # fmt: skip
        assert status == 303
        passes.append(headers["set-cookie"].split(";")[0])
    opened: list[socket.socket] = []
    try:
        # One pass opens far more streams than it may: 4 are let in, the rest told to wait.
        for _ in range(web_live.STREAMS_PER_PASS + 20):
            sock, status = _stream(limited.port, "127.0.10.0", passes[0])
            (opened.append(sock) if status.startswith(b"HTTP/1.1 200") else sock.close())
        assert len(opened) == web_live.STREAMS_PER_PASS
        # Every phone opens its tabs until the server's budget is spent; past it, 429.
        refused = 0
        for n, cookie in enumerate(passes[1:], 1):
            for _ in range(web_live.STREAMS_PER_PASS):
                sock, status = _stream(limited.port, f"127.0.10.{n}", cookie)
                if status.startswith(b"HTTP/1.1 200"):
                    opened.append(sock)
                else:
                    assert status.startswith(b"HTTP/1.1 429"), status
                    refused += 1
                    sock.close()
        assert len(opened) == budget and refused > 0

        # Every phone with an open stream votes at once: each vote needs a file of its own, and has one.
        def vote(n: int) -> int:
            connection = _plain(limited.port, f"127.0.10.{n}")
            body = json.dumps({"item": "governance", "level": "2"})
            connection.request("POST", "/join/vote", body=body, headers={"Content-Type": "application/json",
                                                                         "Cookie": passes[n]})  # fmt: skip
            return connection.getresponse().status

        with ThreadPoolExecutor(32) as pool:
            assert set(pool.map(vote, range(phones - 1))) == {200}
        # Another person's page and Streamlit's own health check still answer at once.
        assert _ask(_plain(limited.port, "127.0.11.1"), "GET", "/join")[0] == 200
        assert _ask(_plain(limited.port, "127.0.11.1"), "GET", "/_stcore/health")[2] == "ok"
        files = len(os.listdir(f"/proc/{limited.pid}/fd"))
        assert files < FILE_LIMIT - web_live.FILES_PER_STREAM, f"{files} files open of {FILE_LIMIT}"
    finally:
        for sock in opened:
            sock.close()
    log = limited.log.read_text()
    assert "Too many open files" not in log and "EMFILE" not in log


@pytest.mark.skipif(shutil.which("caddy") is None, reason="Caddy is not installed (Debian: apt-get install caddy)")
def test_the_shipped_caddyfile_is_valid():
    checked = subprocess.run(["caddy", "validate", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter",
                              "caddyfile"], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0 and "Valid configuration" in checked.stdout + checked.stderr, checked.stderr

"""The app's edge (web/edge.py): who the client is, what scheme it used, and what every response carries.

The table tests say what is believed from which headers; the rest run a real uvicorn on 127.0.0.1 with the
edge middleware around a small Starlette app and talk to it over HTTP from real source addresses
(Linux answers on every 127.x.y.z address, so 127.0.0.7 is a different peer from 127.0.0.1).
"""

from __future__ import annotations

import http.client
import json

import pytest
import uvicorn
import uvicorn.config
from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tests.conftest import serving
from web import edge

LOCAL = "127.0.0.1,::1"


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "proto", "tls", "trusted", "client", "scheme"),
    [
        # Nothing is believed from a peer that is not a trusted proxy, whatever it sends.
        ("203.0.113.9", ["6.6.6.6"], "https", False, LOCAL, "203.0.113.9", "http"),
        ("127.0.0.1", ["6.6.6.6"], "https", False, "", "127.0.0.1", "http"),
        # A trusted proxy's word is taken for the address it appended (the rightmost), not for what the client wrote.
        ("127.0.0.1", ["198.51.100.4"], "https", False, LOCAL, "198.51.100.4", "https"),
        ("127.0.0.1", ["6.6.6.6, 198.51.100.4"], "http", False, LOCAL, "198.51.100.4", "http"),
        ("127.0.0.1", ["6.6.6.6", "198.51.100.4"], None, False, LOCAL, "198.51.100.4", "http"),
        # A chain of trusted proxies is walked from the connecting peer leftwards to the first untrusted hop.
        (
            "127.0.0.1",
            ["6.6.6.6, 198.51.100.4, 10.1.2.3"],
            "https",
            False,
            "127.0.0.1,10.0.0.0/8",
            "198.51.100.4",
            "https",
        ),  # fmt: skip
        ("127.0.0.1", ["10.0.0.8, 10.1.2.3"], None, False, "127.0.0.1,10.0.0.0/8", "10.0.0.8", "http"),
        # A trusted proxy that sent no X-Forwarded-For is itself the client.
        ("127.0.0.1", [], "https", False, LOCAL, "127.0.0.1", "https"),
        # Dual-stack sockets report IPv4 peers as IPv4-mapped IPv6; ports and brackets are not part of an address.
        ("::ffff:127.0.0.1", ["198.51.100.4:5123"], None, False, "127.0.0.1", "198.51.100.4", "http"),
        ("::1", ["[2001:db8::7]:443"], None, False, LOCAL, "2001:db8::7", "http"),
        # Whatever a proxy said, a TLS connection is https; an untrusted X-Forwarded-Proto is ignored.
        ("203.0.113.9", [], "http", True, LOCAL, "203.0.113.9", "https"),
        ("203.0.113.9", [], "https", False, LOCAL, "203.0.113.9", "http"),
        # What a trusted proxy wrote that is no address is still what it said (it is never a forged left entry).
        ("127.0.0.1", ["6.6.6.6, unknown"], None, False, LOCAL, "unknown", "http"),
    ],
)
def test_who_the_client_is(peer, forwarded_for, proto, tls, trusted, client, scheme):
    seen = edge.believe(peer, forwarded_for, proto, tls, edge.parse_proxies(trusted))
    assert (seen.client, seen.scheme) == (client, scheme)
    assert seen.secure is (scheme == "https")


@pytest.mark.parametrize(
    ("client", "key"),
    [
        ("198.51.100.4", "198.51.100.4"),
        # One IPv6 host holds a whole /64: its addresses are one client for every limit.
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        ("unknown", "unknown"),
    ],
)
def test_limits_count_an_ipv6_host_once(client, key):
    assert edge.Edge(peer=client, client=client, scheme="http").client_key == key


@pytest.mark.parametrize("setting", ["localhost", "10.0.0.0/33", "127.0.0.1, nonsense"])
def test_a_trusted_proxies_setting_that_is_not_addresses_is_refused_with_a_plain_message(setting):
    with pytest.raises(ValueError, match=f"{edge.TRUSTED_PROXIES_VAR}: .* is not an address or network"):
        edge.parse_proxies(setting)


def test_by_default_no_proxy_is_trusted(monkeypatch):
    monkeypatch.delenv(edge.TRUSTED_PROXIES_VAR, raising=False)
    assert edge.trusted_proxies() == ()


def test_uvicorn_no_longer_rewrites_the_client_once_the_app_keeps_the_raw_peer(monkeypatch):
    """uvicorn wraps the app it loads in ProxyHeadersMiddleware (trusting 127.0.0.1 by default); app.py stops that."""

    async def app(scope, receive, send):  # pragma: no cover - never called
        pass

    monkeypatch.setattr(uvicorn.config, "ProxyHeadersMiddleware", ProxyHeadersMiddleware)
    before = uvicorn.Config(app, proxy_headers=True)
    before.load()
    assert type(before.loaded_app).__name__ == "ProxyHeadersMiddleware", "uvicorn's default, as streamlit runs it"
    edge.keep_raw_peer()
    after = uvicorn.Config(app, proxy_headers=True)
    after.load()
    assert after.loaded_app is app


# --- over HTTP ---------------------------------------------------------------------------------------------------


async def _who(request: Request) -> Response:
    seen = edge.of(request)
    return JSONResponse({"peer": seen.peer, "client": seen.client, "scheme": seen.scheme,
                         "request_client": request.client.host, "url_scheme": request.url.scheme})  # fmt: skip


async def _cookie(request: Request) -> Response:
    response = Response("set")
    response.set_cookie("plain", "1")
    response.set_cookie("already", "1", secure=True)
    return response


async def _page(request: Request) -> Response:
    return Response("<p>page</p>", media_type="text/html")


@pytest.fixture(scope="module")
def port():
    """A small app behind the edge middleware, served by a real uvicorn with its default proxy handling."""
    routes = [Route("/who", _who), Route("/cookie", _cookie), Route("/join", _page), Route("/present/3", _page),
              Route("/dashboard", _page)]  # fmt: skip
    with serving(Starlette(routes=routes, middleware=[Middleware(edge.EdgeMiddleware)])) as number:
        yield number


def _get(port: int, path: str, headers: dict | None = None, source: str = "127.0.0.1"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response.status, response.headers, body


def test_forged_forwarded_headers_change_nothing_without_a_trusted_proxy(port, monkeypatch):
    monkeypatch.delenv(edge.TRUSTED_PROXIES_VAR, raising=False)
    _, _, body = _get(port, "/who", {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"})
    assert json.loads(body) == {"peer": "127.0.0.1", "client": "127.0.0.1", "scheme": "http",
                                "request_client": "127.0.0.1", "url_scheme": "http"}  # fmt: skip


def test_a_trusted_proxy_is_believed_and_everything_inside_sees_the_client(port, monkeypatch):
    monkeypatch.setenv(edge.TRUSTED_PROXIES_VAR, "127.0.0.1")
    _, _, body = _get(port, "/who", {"X-Forwarded-For": "6.6.6.6, 198.51.100.4", "X-Forwarded-Proto": "https"})
    assert json.loads(body) == {"peer": "127.0.0.1", "client": "198.51.100.4", "scheme": "https",
                                "request_client": "198.51.100.4", "url_scheme": "https"}  # fmt: skip
    # Another peer on the same machine is not the proxy: its headers are its own word only.
    _, _, body = _get(port, "/who", {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https"}, source="127.0.0.7")
    assert json.loads(body)["client"] == "127.0.0.7" and json.loads(body)["scheme"] == "http"


def test_every_cookie_is_secure_when_the_client_used_https(port, monkeypatch):
    monkeypatch.setenv(edge.TRUSTED_PROXIES_VAR, "127.0.0.1")
    _, headers, _ = _get(port, "/cookie", {"X-Forwarded-Proto": "https"})
    cookies = headers.get_all("set-cookie")
    assert len(cookies) == 2 and all("secure" in c.lower() for c in cookies), cookies
    assert all(c.lower().count("secure") == 1 for c in cookies), "never twice"
    _, headers, _ = _get(port, "/cookie", {"X-Forwarded-Proto": "https"}, source="127.0.0.8")
    assert [("secure" in c.lower()) for c in headers.get_all("set-cookie")] == [False, True], "untrusted: as set"


@pytest.mark.parametrize(
    ("path", "ancestors"),
    [("/join", "'none'"), ("/present/3", "'self'"), ("/dashboard", "'self'"), ("/who", "'self'")],
)
def test_every_response_carries_the_security_headers(port, path, ancestors):
    _, headers, _ = _get(port, path)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("same-origin", "no-referrer")
    policy = headers["content-security-policy"]
    assert f"frame-ancestors {ancestors}" in policy
    if path.startswith(("/join", "/present")):
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "base-uri 'none'" in policy


# --- the identity cookie, decoded as Streamlit decodes it ----------------------------------------------------------

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def _sign(name: str, value: str, secret: str = SECRET) -> str:
    return URLSafeTimedSerializer(secret, salt=name).dumps(value)


def _cookie_jar(claims: dict, chunk: int | None = None) -> dict[str, str]:
    text = json.dumps(claims)
    if chunk is None:
        return {"_streamlit_user": _sign("_streamlit_user", text)}
    parts = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    jar = {"_streamlit_user": _sign("_streamlit_user", f"chunks-{len(parts)}")}
    jar.update({f"_streamlit_user_{n}": _sign(f"_streamlit_user_{n}", p) for n, p in enumerate(parts, 1)})
    return jar


CLAIMS = {"email": "lead@example.nhs.uk", "email_verified": True, "is_logged_in": True, "exp": 2, "iat": 1,
          "origin": "https://x"}  # fmt: skip


@pytest.mark.parametrize(
    ("jar", "expected"),
    [
        (_cookie_jar(CLAIMS), CLAIMS),
        (_cookie_jar(CLAIMS, chunk=20), CLAIMS),  # a large token is split over several cookies, each signed
        ({}, None),
        ({"_streamlit_user": _sign("_streamlit_user", json.dumps(CLAIMS), secret="another-secret")}, None),
        ({"_streamlit_user": _sign("_streamlit_user_tokens", json.dumps(CLAIMS))}, None),  # another cookie's salt
        ({"_streamlit_user": _sign("_streamlit_user", json.dumps(CLAIMS))[:-2] + "xx"}, None),
        ({**_cookie_jar(CLAIMS, chunk=20), "_streamlit_user_2": "tampered"}, None),
        ({"_streamlit_user": _sign("_streamlit_user", "[1, 2]")}, None),
    ],
)
def test_the_identity_cookie_is_read_only_with_the_secret(jar, expected):
    assert edge.identity_claims(jar, SECRET) == expected

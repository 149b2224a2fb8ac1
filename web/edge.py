"""The app's edge: who is on the other end of a request, which scheme they used, and what every response carries.

One ASGI middleware (`EdgeMiddleware`, registered in app.py with st.App(middleware=[...])) wraps every route,
Streamlit's own included (/, /_stcore/*, /media/*, /oauth2callback) and the live room's (/join, /present):

- **Who the client is.** The connecting peer is the client unless it is a trusted proxy
  (CHECKLIST_TRUSTED_PROXIES: addresses or networks, comma-separated; none by default). From a trusted
  proxy, X-Forwarded-For is walked from the right (the address that proxy appended) leftwards past any other
  trusted proxy; the first address that is not one is the client. What a client wrote into the header
  itself sits further left and is never reached. X-Forwarded-Proto is believed from a trusted proxy only.
  Every limit, cookie flag and log line uses this (`of(request)`), and everything inside (Streamlit's
  st.context.ip_address, authlib, Starlette's request.url) sees the believed client and scheme.
- **Security headers** on every response: a Content-Security-Policy (the live pages' own strict one; for
  Streamlit's pages only where it may be framed), X-Content-Type-Options and Referrer-Policy.
- **Secure cookies**: when the client used https (a trusted proxy said so, or the connection is TLS), every
  Set-Cookie is marked Secure, Streamlit's sign-in cookie included (Streamlit never marks it).
- **Media needs a live sign-in**: in shared mode, /media/* (download buttons' files, images) is served only
  to a request carrying a valid Streamlit identity cookie whose session is still good
  (`checklist.sessions.session_problem`) for a person the app knows.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LOG = logging.getLogger(__name__)

TRUSTED_PROXIES_VAR = "CHECKLIST_TRUSTED_PROXIES"
SCOPE_KEY = "checklist.edge"  # where the believed Edge of a request is kept in its ASGI scope
IPV6_CLIENT_PREFIX = 64  # one IPv6 host holds a whole /64, so a /64 is one client for every limit
MAX_FORWARDED_HOPS = 20  # no real chain of proxies is longer; a longer header is not walked further

# Streamlit's identity cookie (streamlit/web/server/starlette/starlette_server_config.py): signed with
# itsdangerous, the cookie's own name as the salt, [auth] cookie_secret as the key, 30 days plus a day's grace.
IDENTITY_COOKIE = "_streamlit_user"
IDENTITY_MAX_AGE = (30 + 1) * 24 * 60 * 60
MAX_IDENTITY_CHUNKS = 20  # a large token is split over _streamlit_user_1.._n; more than this is not a real one

MEDIA_REFUSED = "Sign in to open this file."

# The live room's pages (web/templates) load only their own scripts and styles; their data is inline JSON
# (never run). /join must not be framed by anyone; /present/{id} is framed by the Workshop page (same origin).
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'{styles}; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
)
# Streamlit's own pages: its front end needs inline styles and more, so only where it may be framed is said.
STREAMLIT_POLICY = "frame-ancestors 'self'; object-src 'none'"
REFERRER_POLICY = "same-origin"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


# --- who the client is ---------------------------------------------------------------------------------------------


def parse_proxies(text: str) -> tuple[Network, ...]:
    """The trusted proxies in a setting like '127.0.0.1, 10.0.0.0/8, ::1'; a wrong entry is a plain error."""
    networks = []
    for part in (text or "").split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{TRUSTED_PROXIES_VAR}: {entry!r} is not an address or network; expected addresses or networks "
                "of your proxies, comma-separated, such as 127.0.0.1 or 10.0.0.0/8"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _proxies_from(text: str) -> tuple[Network, ...]:
    return parse_proxies(text)


def trusted_proxies() -> tuple[Network, ...]:
    """The proxies whose forwarded headers are believed, from CHECKLIST_TRUSTED_PROXIES (read each time, cached)."""
    return _proxies_from(os.environ.get(TRUSTED_PROXIES_VAR, ""))


def _address(text: str) -> Address | None:
    """An address as a proxy or a socket writes it ('1.2.3.4', '1.2.3.4:80', '[::1]:80', '::ffff:1.2.3.4')."""
    value = text.strip().strip('"')
    if value.startswith("["):
        end = value.find("]")
        value = value[1:end] if end > 0 else value
    elif value.count(":") == 1:  # IPv4 with a port; a bare IPv6 address has two colons or more
        value = value.split(":", 1)[0]
    try:
        found = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d: the same client as a.b.c.d.
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _canonical(text: str) -> str:
    found = _address(text)
    return str(found) if found is not None else text.strip()[:100]


def _trusted(text: str, proxies: tuple[Network, ...]) -> bool:
    found = _address(text)
    return found is not None and any(found in network for network in proxies)


@dataclass(frozen=True)
class Edge:
    """One request as the app believes it: the connecting peer, the client behind it, the scheme it used."""

    peer: str  # the address that connected (the socket's word, never a header's)
    client: str  # who the client is
    scheme: str  # "https" or "http"

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def client_key(self) -> str:
        """The client for limits: its address, or its /64 for IPv6 (one host, many addresses)."""
        found = _address(self.client)
        if isinstance(found, ipaddress.IPv6Address):
            return str(ipaddress.ip_network(f"{found}/{IPV6_CLIENT_PREFIX}", strict=False))
        return self.client


def believe(
    peer: str, forwarded_for: Iterable[str], forwarded_proto: str | None, tls: bool, proxies: tuple[Network, ...]
) -> Edge:
    """Who the client is and which scheme it used, believing forwarded headers only from trusted proxies."""
    client = _canonical(peer)
    scheme = "https" if tls else "http"
    if not _trusted(peer, proxies):
        return Edge(peer=client, client=client, scheme=scheme)
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops[-MAX_FORWARDED_HOPS:]):
        client = _canonical(hop)  # appended by a trusted proxy, so believed
        if not _trusted(hop, proxies):
            break  # the first hop that is not a proxy is the client; anything left of it is its own word
    if not tls and forwarded_proto:
        # The nearest proxy's word: the last value, when a chain of proxies each added theirs.
        said = forwarded_proto.split(",")[-1].strip().lower()
        scheme = "https" if said in ("https", "wss") else "http"
    return Edge(peer=_canonical(peer), client=client, scheme=scheme)


def from_scope(scope: Scope) -> Edge:
    """The believed Edge of a request (worked out once, then kept in its scope)."""
    found = scope.get(SCOPE_KEY)
    if isinstance(found, Edge):
        return found
    connected = scope.get("client")
    peer = connected[0] if connected else "unknown"
    forwarded_for, forwarded_proto = [], None
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
        elif name == b"x-forwarded-proto":
            forwarded_proto = value.decode("latin-1")
    if connected and connected[1] == 0 and forwarded_for:
        _warn_once(
            "the connecting address has port 0, which no socket has: a server in front of the app (uvicorn's "
            "ProxyHeadersMiddleware) rewrote it from X-Forwarded-For. Start the app through app.py, or set "
            "FORWARDED_ALLOW_IPS='' for uvicorn, so the app sees the real peer."
        )
    tls = scope.get("scheme") in ("https", "wss")
    edge = believe(peer, forwarded_for, forwarded_proto, tls, trusted_proxies())
    scope[SCOPE_KEY] = edge
    return edge


def of(request: HTTPConnection) -> Edge:
    """The believed Edge of a Starlette request or websocket."""
    return from_scope(request.scope)


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        _LOG.warning(message)


def _untouched(app: Any, trusted_hosts: Any = None) -> Any:
    return app


def keep_raw_peer() -> None:
    """Stop uvicorn rewriting the client's address from X-Forwarded-For before the app can see the real peer.

    `streamlit run app.py` starts uvicorn with `uvicorn.Config("app:app", ...)`, leaving `proxy_headers` on and
    `forwarded_allow_ips` at FORWARDED_ALLOW_IPS or '127.0.0.1,::1' (streamlit's starlette_server offers no way to
    change either). uvicorn then wraps the app in ProxyHeadersMiddleware, which replaces scope["client"] with an
    address taken from X-Forwarded-For whenever the peer is 127.0.0.1, and the real peer is lost. It does so in
    Config.load(), right after importing this app, looking the class up in uvicorn.config at that moment: so
    app.py calls this while it is being imported, and uvicorn leaves the app unwrapped. The edge middleware then
    does the job with the operator's own list of proxies (CHECKLIST_TRUSTED_PROXIES), walking from the right.
    """
    try:
        import uvicorn.config
    except ImportError:  # served by something else: that server's own settings apply
        return
    uvicorn.config.ProxyHeadersMiddleware = _untouched  # type: ignore[attr-defined,assignment]


# --- security headers and secure cookies ---------------------------------------------------------------------------


def page_policy(frame_ancestors: str, style_nonce: str | None = None) -> str:
    """The live room's pages' Content-Security-Policy; a nonce lets one page's own <style> element through."""
    styles = f" 'nonce-{style_nonce}'" if style_nonce else ""
    return _PAGE_POLICY.format(styles=styles, ancestors=frame_ancestors)


def _live_path(path: str) -> str | None:
    """'join' or 'present' for the live room's addresses, else None (Streamlit's)."""
    for prefix in ("join", "present"):
        if path == f"/{prefix}" or path.startswith(f"/{prefix}/"):
            return prefix
    return None


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers a response to `path` carries unless it set its own."""
    live = _live_path(path)
    if live == "join":
        policy, frame = page_policy("'none'"), b"DENY"
    elif live == "present":
        policy, frame = page_policy("'self'"), b"SAMEORIGIN"
    else:
        policy, frame = STREAMLIT_POLICY, b"SAMEORIGIN"
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", REFERRER_POLICY.encode()),
        (b"x-frame-options", frame),  # for browsers too old for frame-ancestors
    ]


_SECURE = re.compile(rb";\s*secure\s*(;|$)", re.IGNORECASE)


def _with_secure(value: bytes) -> bytes:
    return value if _SECURE.search(value) else value + b"; Secure"


def _finish_headers(message: Message, path: str, edge: Edge) -> None:
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in security_headers(path) if name not in present]
    if edge.secure:
        headers = [(name, _with_secure(value) if name.lower() == b"set-cookie" else value) for name, value in headers]
    message["headers"] = headers


# --- /media needs a live sign-in in shared mode ---------------------------------------------------------------------


def identity_claims(cookies: Mapping[str, str], secret: str) -> dict[str, Any] | None:
    """The claims in Streamlit's identity cookie, checked as Streamlit checks them, or None when it has none.

    As streamlit/auth_util.py (get_cookie_with_chunks) and starlette_app_utils.py (decode_signed_value): each
    cookie is an itsdangerous URLSafeTimedSerializer value salted with its own name; a large one is split, the
    main cookie then saying 'chunks-N' and _streamlit_user_1 .. _N holding the parts of the JSON.
    """
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    def one(name: str) -> str | None:
        raw = cookies.get(name)
        if raw is None:
            return None
        try:
            value = URLSafeTimedSerializer(secret, salt=name).loads(raw, max_age=IDENTITY_MAX_AGE)
        except (BadSignature, UnicodeDecodeError):  # BadSignature covers an expired signature too
            return None
        return value if isinstance(value, str) else None

    text = one(IDENTITY_COOKIE)
    if text is None:
        return None
    chunked = re.fullmatch(r"chunks-(\d+)", text)
    if chunked:
        count = int(chunked.group(1))
        parts = [one(f"{IDENTITY_COOKIE}_{n}") for n in range(1, count + 1)] if count <= MAX_IDENTITY_CHUNKS else [None]
        if any(part is None for part in parts):
            return None
        text = "".join(part or "" for part in parts)
    try:
        claims = json.loads(text)
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def cookie_secret() -> str | None:
    """[auth] cookie_secret from Streamlit's secrets (st.secrets: .streamlit/secrets.toml or --secrets.files)."""
    import streamlit as st

    try:
        auth = st.secrets.get("auth")
    except FileNotFoundError:  # Streamlit's StreamlitSecretNotFoundError: no secrets file, or one it cannot parse
        return None
    secret = auth.get("cookie_secret") if auth else None
    return secret if isinstance(secret, str) and secret else None


def _shared_mode() -> bool:
    from ui import identity

    return identity.shared()


def _media_path(path: str) -> bool:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return path.startswith(f"/{base}/media/" if base else "/media/")


def _session_refusal(claims: dict[str, Any]) -> str | None:
    """Why this identity may not have a media file now (a sentence), or None when it may. Fails closed."""
    from checklist import access, sessions, store

    try:
        db = store.connect(store.default_db_path(), apply_migrations=False)
    except (store.StoreError, *store.DRIVER_ERRORS, OSError) as exc:
        _LOG.error("a media request was refused: the database could not be opened: %s", exc)
        return "The sign-in could not be checked just now. Try again in a minute."
    try:
        problem = sessions.session_problem(db, claims)
        if problem:
            return problem
        who = sessions.identity_of(claims) or ""
        if access.find_user(db, who) is None:  # signed in with the organisation, but not added to this tool
            return MEDIA_REFUSED
        return None
    except (store.StoreError, *store.DRIVER_ERRORS) as exc:
        _LOG.error("a media request was refused: the sign-in could not be checked: %s", exc)
        return "The sign-in could not be checked just now. Try again in a minute."
    finally:
        db.close()


async def media_refusal(scope: Scope) -> str | None:
    """In shared mode: why this /media request is refused (no live sign-in), or None to serve it."""
    secret = cookie_secret()
    cookies = HTTPConnection(scope).cookies  # parsed as Streamlit's own routes parse them
    claims = identity_claims(cookies, secret) if secret else None
    if not claims or not claims.get("is_logged_in"):
        return MEDIA_REFUSED
    return await asyncio.to_thread(_session_refusal, claims)


async def _refuse(send: Send, path: str, edge: Edge, status: int, message: str) -> None:
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")],
    }
    _finish_headers(start, path, edge)
    await send(start)
    await send({"type": "http.response.body", "body": message.encode()})


# --- the middleware -----------------------------------------------------------------------------------------------


class EdgeMiddleware:
    """Believe the client and scheme once per request, refuse media without a live sign-in, finish the headers.

    Plain ASGI (not BaseHTTPMiddleware), so event streams and websockets pass through unbuffered.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        edge = from_scope(scope)
        # Everything inside sees the believed client and scheme (Streamlit's st.context.ip_address, authlib,
        # request.url), as uvicorn's proxy handling would have set them, but by the operator's list of proxies.
        if scope.get("client"):
            scope["client"] = (edge.client, scope["client"][1])
        if edge.secure:
            scope["scheme"] = "wss" if scope["type"] == "websocket" else "https"
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if _media_path(path) and _shared_mode():
            refusal = await media_refusal(scope)
            if refusal:
                _LOG.info("media refused to %s: %s", edge.client, refusal)
                await _refuse(send, path, edge, 403, refusal)
                return

        async def finishing(message: Message) -> None:
            if message["type"] == "http.response.start":
                _finish_headers(message, path, edge)
            await send(message)

        await self.app(scope, receive, finishing)

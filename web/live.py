"""The participant's voting page and the live room's event streams, served beside Streamlit by st.App.

A phone in the room never runs a Streamlit script: it loads one small HTML page, opens one
server-sent-events stream that says when the room changes (the item on screen, closed), and posts
its votes, which the group-commit writer stores. Waiting costs the server nothing but an open
connection, and one change reaches every phone at once.

Routes (all under /join, except the facilitator's live panel and presenter screen under /present):
- GET  /join                 the join form, or, with a valid pass, the voting page (works without JS)
- POST /join                 join with a code, a sector and an optional name; sets the pass cookie
- POST /join/vote            one vote (JSON from the page's script, or a plain form post)
- GET  /join/events          the room's changes as server-sent events
- POST /join/leave           forget the pass (join another workshop)
- GET  /present/{id}         the facilitator's live count and (once revealed) results, for an iframe
- GET  /present/{id}/events  the same as server-sent events, with how many phones are in the room now (IN_ROOM)
- GET  /present/{id}/screen  the projected presenter screen: the item, its levels, the results once revealed,
                             and a QR code of the address phones open (or what to do when they cannot)
- POST /present/{id}/control the presenter screen's Previous, Next, Reveal and Hide (allowed by the key)

What keeps one client from spoiling the room for everyone else:
- Who a client is comes from web/edge.py (the connecting peer, or what a trusted proxy says): every limit,
  cookie flag and log line here uses it.
- Wrong join codes are limited per client (an IPv6 client by its /64). When very many wrong codes arrive from
  everyone together (guessing spread over many addresses), each client that has guessed wrong is allowed
  fewer; a client that has made no wrong guess is never stopped, so the right code always works for it.
- Every body is read with a cap (MAX_BODY_BYTES): past it, 413; malformed JSON or forms, 400 and a sentence.
- Event streams are capped per pass, per client and in all; the total follows the process's file limit, so
  the server never runs out of file handles (see `stream_budget`).
- The presenter key is exchanged for a cookie on first use, so it leaves the address bar and later addresses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import socket
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import time as datetime_time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from checklist import clock, downloads, formatting, live, privacy, reminders, store, workshops
from checklist.consensus import DONT_KNOW_LABEL, SECTORS, answer_label
from checklist.framework import LEVEL_VALUES
from checklist.palette import DONT_KNOW_COLOUR, LEVEL_COLOURS
from web import edge

try:  # Unix: the process's own limit on open files decides how many event streams it can hold
    import resource
except ImportError:  # pragma: no cover - Windows has no such limit to read
    resource = None  # type: ignore[assignment]

_LOG = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
PASS_COOKIE = "workshop_pass"
PASS_MAX_AGE = 60 * 60 * 24 * 22  # longer than any workshop's lifetime
PRESENTER_COOKIE = "presenter_key"
PRESENTER_MAX_AGE = int(workshops.LIFETIME[workshops.LIVE].total_seconds())
KEEPALIVE_SECONDS = 15
# Wrong join codes, per client in a sliding window. With 31^6 possible codes and 10 tries in 10 minutes, one
# client guessing without a pause would take about 170 years on average to hit one of ten open workshops.
# When WRONG_CODES_FROM_EVERYONE wrong codes have arrived from everyone in the window (guessing spread over
# many real addresses), each client that has itself guessed wrong is allowed WRONG_CODE_LIMIT_UNDER_ATTACK:
# a phone with no wrong guess is never stopped.
WRONG_CODE_LIMIT = 10
WRONG_CODE_LIMIT_UNDER_ATTACK = 3
WRONG_CODES_FROM_EVERYONE = 1000
WRONG_CODE_WINDOW = 600.0
MAX_TRACKED_CLIENTS = 100_000  # the wrong-code memory forgets the quietest clients past this
EVERYONE = "*"
# Bodies: a join, a vote or a press on the presenter screen is well under 1 KB.
MAX_BODY_BYTES = 4096
MAX_FORM_FIELDS = 20
# Event streams. Each open stream holds one file (its socket), and the phone holding it needs a second while it
# sends a vote, so a stream is budgeted two files; FILES_RESERVED are kept for everything else (Python, SQLite,
# Streamlit's own connections, logs). With the common default file limit of 1024 that is (1024 - 128) // 2 =
# 448 streams: 448 phones, one stream each, facilitators' screens included. Raise the limit to hold more
# (LimitNOFILE=65536 in systemd, `ulimit -n 65536`, or docker run --ulimit nofile=65536): 32,704 streams.
STREAMS_PER_PASS = 4  # one phone's tabs
PRESENTER_STREAMS = 8  # per workshop: the Workshop page's panel, the projected screen, a co-facilitator's
STREAMS_PER_CLIENT_VAR = "CHECKLIST_STREAMS_PER_CLIENT"
FILES_RESERVED = 128
FILES_PER_STREAM = 2
UNLIMITED_FILES = 1_048_576  # what an unlimited file limit is taken to mean
STREAM_RETRY_SECONDS = 30


def _whole_number(var: str, default: int) -> int:
    """A setting that is a whole number of 1 or more (its default when unset); anything else stops the server."""
    text = os.environ.get(var, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{var}={text!r} is not a whole number of 1 or more")
    return int(text)


# A venue's Wi-Fi puts a whole room behind one address: this many phones may share one.
STREAMS_PER_CLIENT = _whole_number(STREAMS_PER_CLIENT_VAR, 200)
LEVEL_LABELS = [formatting.level(v) for v in LEVEL_VALUES]
# What the presenter screen says instead of a QR code when the app is open at an address only this computer can
# reach (the Workshop page's How to join says the same).
NETWORK_COMMAND = "make run ADDRESS=0.0.0.0"
PHONES_CANNOT_JOIN = (
    "Phones cannot open this address: it only works on this computer. Stop the app, start it for the network "
    f"with {NETWORK_COMMAND}, then open the Network URL it shows."
)

TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _db_path() -> Path | str:
    return store.default_db_path()


def _room() -> live.LiveRoom:
    return live.live_room(_db_path())


def _open() -> Any:
    return store.connect(_db_path(), apply_migrations=False)


def _sentence(message: str) -> str:
    text = message[:1].upper() + message[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script type="application/json"> element (no way to close the element)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def _render(template: str, status: int = 200, frame_ancestors: str = "'none'", **context: Any) -> HTMLResponse:
    """A page with its own Content-Security-Policy: only this site's scripts and styles, plus the one <style>
    element a page may carry (marked with this response's nonce)."""
    nonce = secrets.token_urlsafe(16)
    html = TEMPLATES.get_template(template).render(sectors=SECTORS, style_nonce=nonce, **context)
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": edge.page_policy(frame_ancestors, nonce)}
    return HTMLResponse(html, status_code=status, headers=headers)


def _same_origin(request: Request) -> bool:
    """Refuse posts from other sites (the pass is a cookie): the Origin, when sent, must be this host."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


class _WrongCodes:
    """Wrong join codes per client in a sliding window, and from everyone together."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, who: str) -> deque[float]:
        stamps = self._seen.setdefault(who, deque())
        cutoff = time.monotonic() - WRONG_CODE_WINDOW
        while stamps and stamps[0] < cutoff:
            stamps.popleft()
        return stamps

    def blocked_for(self, who: str) -> int:
        """Seconds until this client may try a code again (0: it may try now).

        Only this client's own wrong codes can stop it: many from everyone lower its allowance, never below
        WRONG_CODE_LIMIT_UNDER_ATTACK, so a client without a wrong guess always gets its code looked at.
        """
        mine = self._recent(who)
        limit = WRONG_CODE_LIMIT
        if len(self._recent(EVERYONE)) >= WRONG_CODES_FROM_EVERYONE:
            limit = min(limit, WRONG_CODE_LIMIT_UNDER_ATTACK)
        if len(mine) < limit:
            return 0
        # It may try again once enough of its own wrong codes have left the window.
        freed_at = mine[len(mine) - limit] + WRONG_CODE_WINDOW
        return max(1, int(freed_at - time.monotonic()) + 1)

    def add(self, who: str) -> int:
        """Count a wrong code from this client; returns how many it has made in the window."""
        now = time.monotonic()
        mine = self._recent(who)
        mine.append(now)
        self._recent(EVERYONE).append(now)
        if len(self._seen) > MAX_TRACKED_CLIENTS:
            self._forget_quietest()
        return len(mine)

    def _forget_quietest(self) -> None:
        """Bound the memory: drop clients with nothing in the window, then the longest quiet, down to half."""
        for who in [w for w in self._seen if w != EVERYONE and not self._recent(w)]:
            del self._seen[who]
        if len(self._seen) > MAX_TRACKED_CLIENTS:
            by_last = sorted((s[-1], w) for w, s in self._seen.items() if w != EVERYONE)
            for _, who in by_last[: len(by_last) - MAX_TRACKED_CLIENTS // 2]:
                del self._seen[who]


WRONG_CODES = _WrongCodes()


def _client(request: Request) -> str:
    """The client every limit counts (web/edge.py: the peer, or what a trusted proxy says; an IPv6 host's /64)."""
    return edge.of(request).client_key


_LOGGED: dict[tuple[str, str], float] = {}
LOG_QUIET_SECONDS = 60.0


def _log_refusal(what: str, who: str, detail: str = "") -> None:
    """Say in the log that a client was refused, once a minute per client and kind, so refusals cannot flood it."""
    now = time.monotonic()
    if now - _LOGGED.get((what, who), -LOG_QUIET_SECONDS) < LOG_QUIET_SECONDS:
        return
    if len(_LOGGED) > 10_000:
        _LOGGED.clear()
    _LOGGED[(what, who)] = now
    _LOG.warning("live room: %s refused to %s%s", what, who, f" ({detail})" if detail else "")


# --- bodies ------------------------------------------------------------------------------------------------------


class BodyProblem(Exception):
    """A request body the live routes will not read: too large (413) or malformed (400)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


TOO_LARGE = f"The request is too large; expected at most {MAX_BODY_BYTES:,} bytes."


async def _body(request: Request) -> bytes:
    """The request's body, read with a cap: a declared length past it is refused unread, and a body without one
    (chunked) is refused as soon as it passes it, so no client can make the server hold more."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BodyProblem(400, "The request's length could not be read.")
        if int(declared) > MAX_BODY_BYTES:
            raise BodyProblem(413, TOO_LARGE)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_BODY_BYTES:
            raise BodyProblem(413, TOO_LARGE)
    return bytes(received)


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    """A JSON object, or a 400 that says what was expected (never a 500: deep nesting is refused too)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        data = None
    if not isinstance(data, dict):
        raise BodyProblem(400, f"The request could not be read; expected {what} as a JSON object.")
    return data


def _form(body: bytes) -> dict[str, str]:
    """A posted form (application/x-www-form-urlencoded, as every form here posts), first value of each field."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise BodyProblem(400, "The form could not be read; send it again from the page.") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


# --- what the page shows ---------------------------------------------------------------------


def _item_data(items: list) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "title": item.title,
            "statement": item.statement,
            "easy_statement": item.easy_statement,
            "levels": list(item.levels),
            "easy_levels": list(item.easy_levels),
        }
        for item in items
    ]


ANSWERS = [{"value": str(v), "label": answer_label(v)} for v in LEVEL_VALUES] + [
    {"value": "dont_know", "label": DONT_KNOW_LABEL}
]


def _answers(fw: Any) -> list[dict[str, str]]:
    """The voting buttons, each with its Easy Read label from the round's framework (the same where it has none)."""
    return [
        {**a, "easy_label": fw.easy("dont_know", a["label"]) if a["value"] == "dont_know"
         else fw.level_label(int(a["value"]), easy=True)}
        for a in ANSWERS
    ]  # fmt: skip


def _participant_page(request: Request, db: Any, me: dict[str, Any], message: str = "") -> HTMLResponse:
    workshop = me["workshop"]
    assessment = store.get_assessment(db, workshop["assessment_id"])
    items = workshops.items_of(db, workshop)
    votes = workshops.my_votes(db, me["token"])
    mine = {item: "dont_know" if level is None else str(level) for item, level in votes.items()}
    state = _room().watcher.state(workshop["id"])
    easy = request.query_params.get("easy") == "1"
    fw = store.framework_of(assessment)
    answers = _answers(fw)
    ids = [i.id for i in items]
    if workshop["mode"] == workshops.LIVE:
        current = state.current_item or ids[0]
    else:
        wanted = request.query_params.get("item")
        current = wanted if wanted in ids else next((i for i in ids if i not in mine), ids[0])
    data = {
        "mode": workshop["mode"],
        "code": workshop["code"],
        "version": state.version,
        "current": current,
        "items": _item_data(items),
        "answers": answers,
        "mine": mine,
        "easy": easy,
        "saved_easy": fw.easy("vote_confirmed", ""),
    }
    return _render(
        "vote.html",
        unit=assessment["unit_name"],
        round_label=assessment["round_label"],
        code=workshop["code"],
        name=me["name"],
        sector=SECTORS[me["sector"]],
        live=workshop["mode"] == workshops.LIVE,
        items=items,
        position=ids.index(current) + 1,
        item=items[ids.index(current)],
        answers=answers,
        mine=mine,
        answered=len(mine),
        easy=easy,
        message=message,
        data=_json_for_script(data),
    )


def _me(db: Any, request: Request) -> dict[str, Any] | None:
    token = request.cookies.get(PASS_COOKIE)
    if not token:
        return None
    me = workshops.participant(db, token)
    me["token"] = token
    return me


# --- routes ------------------------------------------------------------------------------------


async def join_page(request: Request) -> Response:
    return await asyncio.to_thread(_join_page, request)


def _join_page(request: Request) -> Response:
    db = _open()
    try:
        token = request.cookies.get(PASS_COOKIE)
        if token:
            try:
                return _participant_page(request, db, _me(db, request), request.query_params.get("said", ""))
            except workshops.WorkshopCodeError as exc:
                ended = workshops.workshop_for_token(db, token)
                independent = bool(ended and ended["mode"] == workshops.INDEPENDENT)
                return _render("ended.html", ended=ended, independent=independent, message=_sentence(str(exc)))
        return _render("join.html", code=request.query_params.get("code", ""), name="", sector=None, error="")
    finally:
        db.close()


async def join_submit(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused", status_code=403)
    try:
        form = _form(await _body(request))
    except BodyProblem as exc:
        return _render("join.html", status=exc.status, code="", name="", sector=None, error=exc.message)
    code = form.get("code", "")[:40]
    name = form.get("name", "")[:200]
    sector = form.get("sector", "") or None
    who = _client(request)
    wait = WRONG_CODES.blocked_for(who)
    if wait:
        _log_refusal("joining", who, "too many wrong codes")
        minutes = max(1, round(wait / 60))
        error = (
            f"Too many wrong codes have been tried here. Wait about {minutes} minute{'s' if minutes != 1 else ''}, "
            "then check the code on the facilitator's screen and try again."
        )
        return _render("join.html", status=429, code=code, name=name, sector=sector, error=error)
    if sector not in SECTORS:
        error = "Choose which part of the system you come from, then press Join."
        return _render("join.html", status=400, code=code, name=name, sector=None, error=error)
    held = request.cookies.get(PASS_COOKIE) or None

    def _join() -> dict[str, Any]:
        db = _open()
        try:
            return workshops.join(db, code, sector, name, token=held)
        finally:
            db.close()

    try:
        joined = await asyncio.to_thread(_join)
    except workshops.WorkshopCodeError as exc:
        if WRONG_CODES.add(who) == WRONG_CODE_LIMIT:
            _log_refusal("joining", who, f"{WRONG_CODE_LIMIT} wrong codes in {WRONG_CODE_WINDOW / 60:.0f} minutes")
        return _render("join.html", status=404, code=code, name=name, sector=sector, error=_sentence(str(exc)))
    except store.StoreError as exc:
        return _render("join.html", status=400, code=code, name=name, sector=sector, error=_sentence(str(exc)))
    _room().watcher.poke()
    response = RedirectResponse("/join", status_code=303)
    response.set_cookie(PASS_COOKIE, joined["token"], max_age=PASS_MAX_AGE, httponly=True, samesite="lax",
                        path="/", secure=edge.of(request).secure)  # fmt: skip
    return response


def _parse_level(raw: Any) -> int | None | str:
    """A vote's answer as sent: '0'..'4', or 'dont_know'. Returns the level, None, or an error message."""
    if raw == "dont_know":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= 4:
        return raw
    if isinstance(raw, str) and raw in {"0", "1", "2", "3", "4"}:
        return int(raw)
    return f"the answer {str(raw)[:20]!r} is not one of the levels 0 to 4 or don't know"


async def vote(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused", status_code=403)
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    token = request.cookies.get(PASS_COOKIE, "")
    try:
        raw_body = await _body(request)
        body = _json_object(raw_body, "an item and a level") if wants_json else _form(raw_body)
    except BodyProblem as exc:
        if wants_json or exc.status == 413:
            return JSONResponse({"ok": False, "error": exc.message}, exc.status)
        return _back(exc.message)
    item_id, raw = str(body.get("item", ""))[:80], body.get("level")
    level = _parse_level(raw)
    if isinstance(level, str):
        error = _sentence(level)
        return JSONResponse({"ok": False, "error": error}, 400) if wants_json else _back(error)
    try:
        stored = await asyncio.wrap_future(_room().writer.submit(token, item_id, level))
    except workshops.WorkshopCodeError as exc:
        error = _sentence(str(exc))
        return JSONResponse({"ok": False, "ended": True, "error": error}, 410) if wants_json else _back(error)
    except store.StoreError as exc:
        error = _sentence(str(exc))
        return JSONResponse({"ok": False, "error": error}, 409) if wants_json else _back(error)
    label = answer_label(stored["level"])
    if wants_json:
        return JSONResponse({"ok": True, "item": stored["item_id"], "level": stored["level"], "label": label,
                             "replaced": stored["replaced"]})  # fmt: skip
    return _back(f"Your vote is in: {label}.", item=stored["item_id"])


def _back(message: str, item: str | None = None) -> Response:
    query = {"said": message, **({"item": item} if item else {})}
    return RedirectResponse(f"/join?{urlencode(query)}", status_code=303)


async def leave(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused", status_code=403)
    try:
        await _body(request)  # nothing is needed from it, but nothing past the cap is taken either
    except BodyProblem as exc:
        return PlainTextResponse(exc.message, exc.status)
    response = RedirectResponse("/join", status_code=303)
    response.delete_cookie(PASS_COOKIE, path="/")
    return response


class _Channel:
    """One room's latest state inside the event loop, and a way for any number of streams to await the next."""

    def __init__(self, loop: asyncio.AbstractEventLoop, workshop_id: int) -> None:
        watcher = _room().watcher
        self.state = watcher.state(workshop_id)
        self._changed = asyncio.Event()
        self._shown_changed = asyncio.Event()  # set only when what a phone shows changes (not every vote count)
        self.streams = 0
        self.unwatch = watcher.watch(workshop_id, lambda s: loop.call_soon_threadsafe(self._publish, s))

    def _publish(self, state: live.RoomState) -> None:
        if state.version <= self.state.version:
            return
        shown_changed = _phone_view(state) != _phone_view(self.state)
        self.state = state
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        if shown_changed:
            changed, self._shown_changed = self._shown_changed, asyncio.Event()
            changed.set()

    async def next_shown(self, shown: dict[str, Any] | None, timeout: float) -> live.RoomState | None:
        """The state once what a phone shows differs from `shown`, or None when `timeout` passes first. A room's
        phones wake for a new item or its end, not for each of the thousands of votes in between."""
        return await self._once(_phone_view(self.state) != shown, self._shown_changed, timeout)

    async def next(self, version: int, timeout: float) -> live.RoomState | None:
        """The state once it is newer than `version`, or None when `timeout` passes first."""
        return await self._once(self.state.version > version, self._changed, timeout)

    async def _once(self, already: bool, event: asyncio.Event, timeout: float) -> live.RoomState | None:
        if already:
            return self.state
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return None
        return self.state


def _phone_view(state: live.RoomState) -> dict[str, Any]:
    """What a phone's page shows of the room (its status and item), without the version number."""
    return {k: v for k, v in state.public().items() if k != "v"}


_CHANNELS: dict[int, _Channel] = {}


@asynccontextmanager
async def _channel(workshop_id: int) -> AsyncIterator[_Channel]:
    channel = _CHANNELS.get(workshop_id)
    if channel is None:
        made = await asyncio.to_thread(_Channel, asyncio.get_running_loop(), workshop_id)
        channel = _CHANNELS.setdefault(workshop_id, made)
        if channel is not made:  # another stream made one meanwhile
            made.unwatch()
    channel.streams += 1
    try:
        yield channel
    finally:
        channel.streams -= 1
        if channel.streams == 0 and _CHANNELS.get(workshop_id) is channel:
            del _CHANNELS[workshop_id]
            channel.unwatch()


# --- event streams -------------------------------------------------------------------------------------------


def stream_budget(file_limit: int | None = None) -> int:
    """How many event streams this process may hold at once, from its limit on open files (FILES_RESERVED kept
    back, FILES_PER_STREAM per stream): 448 with the common default of 1024."""
    if file_limit is None:
        file_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0] if resource is not None else 1024
    if resource is not None and file_limit == resource.RLIM_INFINITY:
        file_limit = UNLIMITED_FILES
    return max(0, (file_limit - FILES_RESERVED) // FILES_PER_STREAM)


class _Streams:
    """Open event streams by pass, by client and in all, counted in the event loop (one thread: no lock)."""

    def __init__(self) -> None:
        self.total = 0
        self.by_pass: Counter[str] = Counter()
        self.by_client: Counter[str] = Counter()
        self.budget: int | None = None  # set when the server starts; worked out on first use otherwise

    def admit(self, holder: str, client: str, per_holder: int) -> str | None:
        """Count one more stream, or say (a sentence) why it may not open."""
        if self.budget is None:
            self.budget = stream_budget()
        if self.by_pass[holder] >= per_holder:
            return (
                f"This pass already has {per_holder} live connections open (other tabs or windows). "
                "Close one, then reload this page."
            )
        if self.by_client[client] >= STREAMS_PER_CLIENT:
            return f"{STREAMS_PER_CLIENT} live connections are already open from your network. Try again shortly."
        if self.total >= self.budget:
            return "The server is busy with as many live connections as it can hold. Try again in a minute."
        self.total += 1
        self.by_pass[holder] += 1
        self.by_client[client] += 1
        return None

    def release(self, holder: str, client: str) -> None:
        self.total -= 1
        for counts, key in ((self.by_pass, holder), (self.by_client, client)):
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]


STREAMS = _Streams()


ROOM_GRACE_SECONDS = 15.0
# Several app servers share a room through the database: each says every PRESENCE_SECONDS who is in its rooms
# (when that changed, and at least every PRESENCE_HEARTBEAT_SECONDS), and reads what the others said for the
# rooms whose presenter screen it serves (checklist.workshops.publish_presence / presence_elsewhere).
PRESENCE_SECONDS = 2.0
PRESENCE_HEARTBEAT_SECONDS = 6.0
SERVER_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class _InRoom:
    """Who is in the room now, per workshop: the participants whose voting page holds an event stream open, or
    closed its last one under ROOM_GRACE_SECONDS ago (a reload or a dropped connection reconnects within seconds).
    Not everyone who ever joined: a phone that has left drops out. Counted in the event loop (one thread: no lock).
    """

    def __init__(self) -> None:
        self._open: dict[int, Counter[int]] = {}  # workshop -> participant -> open streams
        self._left: dict[int, dict[int, float]] = {}  # workshop -> participant -> when its last stream closed
        self._versions: Counter[int] = Counter()  # grows with every change to who is in a workshop's room
        self._changed: dict[int, asyncio.Event] = {}
        self._elsewhere: dict[int, set[int]] = {}  # workshop -> participants other app servers have in the room
        self._presenters: Counter[int] = Counter()  # workshop -> presenter streams open here

    def enter(self, workshop_id: int, participant_id: int) -> None:
        was_in = self._is_in(workshop_id, participant_id)
        self._open.setdefault(workshop_id, Counter())[participant_id] += 1
        self._left.get(workshop_id, {}).pop(participant_id, None)
        if not was_in:
            self._tell(workshop_id)

    def leave(self, workshop_id: int, participant_id: int) -> None:
        streams = self._open.get(workshop_id)
        if streams is None or participant_id not in streams:
            return
        streams[participant_id] -= 1
        if streams[participant_id] > 0:
            return
        del streams[participant_id]
        if not streams:
            self._open.pop(workshop_id, None)
        stamp = time.monotonic()
        self._left.setdefault(workshop_id, {})[participant_id] = stamp
        asyncio.get_running_loop().call_later(ROOM_GRACE_SECONDS, self._gone, workshop_id, participant_id, stamp)

    def _gone(self, workshop_id: int, participant_id: int, stamp: float) -> None:
        left = self._left.get(workshop_id, {})
        if left.get(participant_id) != stamp:  # back in the room since, or gone already
            return
        del left[participant_id]
        if not left:
            self._left.pop(workshop_id, None)
        self._tell(workshop_id)

    def _is_in(self, workshop_id: int, participant_id: int) -> bool:
        return participant_id in self._open.get(workshop_id, ()) or participant_id in self._left.get(workshop_id, ())

    def _tell(self, workshop_id: int) -> None:
        self._versions[workshop_id] += 1
        changed = self._changed.pop(workshop_id, None)
        if changed is not None:
            changed.set()

    def version(self, workshop_id: int) -> int:
        return self._versions[workshop_id]

    def changed(self, workshop_id: int) -> asyncio.Event:
        """An event set when someone next comes into the room or leaves it."""
        return self._changed.setdefault(workshop_id, asyncio.Event())

    def here_now(self) -> dict[int, set[int]]:
        """Per room, the participants in it on this server (streams open, or closed within the grace period)."""
        rooms = set(self._open) | set(self._left)
        return {w: set(self._open.get(w, ())) | set(self._left.get(w, ())) for w in rooms}

    def presenting(self, workshop_id: int, change: int) -> None:
        """A presenter stream here opened (+1) or closed (-1) on this room."""
        self._presenters[workshop_id] += change
        if self._presenters[workshop_id] <= 0:
            del self._presenters[workshop_id]
            self._elsewhere.pop(workshop_id, None)

    def presented(self) -> list[int]:
        return list(self._presenters)

    def set_elsewhere(self, found: dict[int, set[int]]) -> None:
        """What the other app servers say is in the rooms presented here; tells the presenters of any change."""
        for workshop_id, participants in found.items():
            if workshop_id in self._presenters and self._elsewhere.get(workshop_id, set()) != participants:
                self._elsewhere[workshop_id] = participants
                self._tell(workshop_id)

    def count(self, workshop_id: int, voters: set[int]) -> dict[str, int]:
        """How many are in the room, on any app server, and how many of them have voted (voters: who has voted on
        the item)."""
        here = set(self._open.get(workshop_id, ())) | set(self._left.get(workshop_id, ()))
        here |= self._elsewhere.get(workshop_id, set())
        return {"here": len(here), "voted": len(here & voters)}


IN_ROOM = _InRoom()


class _CountedStream(StreamingResponse):
    """An event stream that gives its place back when it ends, however it ends (even before its first byte)."""

    def __init__(self, body: AsyncIterator[str], holder: str, client: str, in_room: tuple[int, int] | None) -> None:
        super().__init__(body, media_type="text/event-stream",
                         headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})  # fmt: skip
        self._holder, self._client, self._in_room = holder, client, in_room

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            STREAMS.release(self._holder, self._client)
            if self._in_room is not None:
                IN_ROOM.leave(*self._in_room)


def _voters(workshop_id: int, item_id: str | None) -> set[int]:
    db = _open()
    try:
        return workshops.voters(db, workshop_id, item_id)
    finally:
        db.close()


def _share_presence(rooms: dict[int, set[int]] | None, presented: list[int]) -> dict[int, set[int]]:
    """Say who is in this server's rooms (unless `rooms` is None: nothing new to say), and read what the other
    servers say about the rooms presented here."""
    db = _open()
    try:
        if rooms is not None:
            workshops.publish_presence(db, SERVER_ID, rooms)
        return workshops.presence_elsewhere(db, SERVER_ID, presented)
    finally:
        db.close()


async def _presence_loop() -> None:
    """Keep this server's word on who is in its rooms fresh in the database, and the other servers' in IN_ROOM."""
    said: dict[int, set[int]] | None = None
    said_at = 0.0
    while True:
        await asyncio.sleep(PRESENCE_SECONDS)
        rooms = IN_ROOM.here_now()
        due = rooms != said or (rooms and time.monotonic() - said_at >= PRESENCE_HEARTBEAT_SECONDS)
        presented = IN_ROOM.presented()
        if not due and not presented:
            continue
        try:
            found = await asyncio.to_thread(_share_presence, rooms if due else None, presented)
        except (store.StoreError, *store.DRIVER_ERRORS):
            _LOG.warning("who is in the room could not be shared with the other servers; trying again", exc_info=True)
            continue
        if due:
            said, said_at = rooms, time.monotonic()
        IN_ROOM.set_elsewhere(found)


async def _next_change(channel: _Channel, workshop_id: int, version: int, seen: int) -> bool:
    """Wait until the room's state passes `version` or who is in it passes `seen`; False when neither did within
    KEEPALIVE_SECONDS."""
    waits = [asyncio.ensure_future(channel.next(version, KEEPALIVE_SECONDS)),
             asyncio.ensure_future(IN_ROOM.changed(workshop_id).wait())]  # fmt: skip
    try:
        await asyncio.wait(waits, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    return channel.state.version > version or IN_ROOM.version(workshop_id) != seen


async def _presenter_events(channel: _Channel, workshop_id: int) -> AsyncIterator[str]:
    """The presenter's view of the room, with who is in it now and how many of them have voted on the item."""
    IN_ROOM.presenting(workshop_id, +1)  # so this server reads who the other servers have in the room
    try:
        async for event in _presenter_changes(channel, workshop_id):
            yield event
    finally:
        IN_ROOM.presenting(workshop_id, -1)


async def _presenter_changes(channel: _Channel, workshop_id: int) -> AsyncIterator[str]:
    version, seen, voters = -1, -1, set()
    while True:
        if channel.state.version <= version and IN_ROOM.version(workshop_id) == seen:
            if not await _next_change(channel, workshop_id, version, seen):
                yield ": keep-alive\n\n"  # proxies close silent connections
            continue
        state, seen = channel.state, IN_ROOM.version(workshop_id)
        if state.version != version:
            voters = await asyncio.to_thread(_voters, workshop_id, state.current_item)
            version = state.version
        payload = {**state.presenter(), "room": IN_ROOM.count(workshop_id, voters)}
        yield f"id: {version}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _stream(request: Request, workshop_id: int, view: str, holder: str, per_holder: int,
            participant_id: int | None = None) -> Response:  # fmt: skip
    """The room's changes as server-sent events, if this pass, this client and the server have room for one more.
    A participant's stream counts them in the room (IN_ROOM) while it is open."""
    who = _client(request)
    refusal = STREAMS.admit(holder, who, per_holder)  # no await between this and the response: nothing leaks
    if refusal:
        _log_refusal("an event stream", who, refusal)
        return JSONResponse({"ok": False, "error": refusal}, 429, headers={"Retry-After": str(STREAM_RETRY_SECONDS)})
    in_room = None if participant_id is None else (workshop_id, participant_id)
    if in_room is not None:
        IN_ROOM.enter(*in_room)

    async def events() -> AsyncIterator[str]:
        async with _channel(workshop_id) as channel:
            yield "retry: 2000\n\n"
            if view == "presenter":
                async for event in _presenter_events(channel, workshop_id):
                    yield event
                return
            shown = None
            while True:
                state = await channel.next_shown(shown, KEEPALIVE_SECONDS)
                if state is None:
                    yield ": keep-alive\n\n"  # proxies close silent connections
                    continue
                shown = _phone_view(state)
                yield f"id: {state.version}\ndata: {json.dumps(state.public(), ensure_ascii=False)}\n\n"
                if state.status != workshops.OPEN:
                    return

    return _CountedStream(events(), holder, who, in_room)


async def participant_events(request: Request) -> Response:
    token = request.cookies.get(PASS_COOKIE, "")

    def _who() -> tuple[int, int]:
        db = _open()
        try:
            me = workshops.participant(db, token)
            return me["workshop"]["id"], me["id"]
        finally:
            db.close()

    try:
        workshop_id, participant_id = await asyncio.to_thread(_who)
    except store.StoreError as exc:
        return JSONResponse({"ok": False, "ended": True, "error": _sentence(str(exc))}, 410)
    return _stream(request, workshop_id, "public", f"pass:{token}", STREAMS_PER_PASS, participant_id)


# --- the presenter's panel and screen --------------------------------------------------------------------------


def _presenter_key(request: Request, sent: str = "") -> str:
    """The presenter key a request carries: one it sends itself (a control's body, or the address on first use,
    even empty) before the cookie it was exchanged for."""
    if sent:
        return sent
    if "key" in request.query_params:
        return request.query_params["key"]
    return request.cookies.get(PRESENTER_COOKIE, "")


def _presenter_workshop(request: Request) -> dict[str, Any]:
    db = _open()
    try:
        workshop_id = int(request.path_params["workshop_id"])
        return workshops.workshop_for_presenter(db, workshop_id, _presenter_key(request))
    finally:
        db.close()


def _key_to_cookie(request: Request) -> Response:
    """Take the presenter key out of the address: the same address without it, and the key in a cookie only this
    workshop's /present addresses get (HttpOnly, SameSite=Strict; Secure over https)."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name != "key"]
    address = request.url.path + (f"?{urlencode(kept)}" if kept else "")
    response = RedirectResponse(address, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(PRESENTER_COOKIE, request.query_params["key"], max_age=PRESENTER_MAX_AGE, httponly=True,
                        samesite="strict", path=f"/present/{request.path_params['workshop_id']}",
                        secure=edge.of(request).secure)  # fmt: skip
    return response


async def presenter_panel(request: Request) -> Response:
    try:
        workshop = await asyncio.to_thread(_presenter_workshop, request)
    except store.StoreError as exc:
        return HTMLResponse(f"<p>{_sentence(str(exc))}</p>", status_code=403)
    if "key" in request.query_params:
        return _key_to_cookie(request)
    state = _room().watcher.state(workshop["id"])
    return _render("present.html", frame_ancestors="'self'", state=_json_for_script(state.presenter()),
                   workshop_id=workshop["id"], large=request.query_params.get("large") == "1")  # fmt: skip


def _screen_page(request: Request) -> Response:
    db = _open()
    try:
        workshop_id = int(request.path_params["workshop_id"])
        try:
            workshop = workshops.workshop_for_presenter(db, workshop_id, _presenter_key(request))
        except store.StoreError as exc:
            return _render("screen.html", status=403, frame_ancestors="'self'", error=_sentence(str(exc)))
        if "key" in request.query_params:
            return _key_to_cookie(request)
        assessment = store.get_assessment(db, workshop["assessment_id"])
        fw = store.framework_of(assessment)
        items = workshops.items_of(db, workshop)
        domains = {d.id: d.title for d in fw.domains}
    finally:
        db.close()
    state = _room().watcher.state(workshop["id"])
    # The address phones open, as on the Workshop page's How to join. A QR code only where phones can open it.
    join = workshops.phones_join_at(str(request.url), workshop["code"])
    reachable = not workshops.is_local_only(join)
    data = {
        "code": workshop["code"],
        "items": [
            {**row, "domain": domains.get(item.domain, item.domain)}
            for row, item in zip(_item_data(items), items, strict=True)
        ],  # fmt: skip
        "levels": LEVEL_LABELS,
        "dont_know": DONT_KNOW_LABEL,
        "state": state.presenter(),
        "control": f"/present/{workshop['id']}/control",
        "stream": f"/present/{workshop['id']}/events",
    }
    ids = [i.id for i in items]
    current = state.current_item if state.current_item in ids else ids[0]
    item = items[ids.index(current)]
    return _render(
        "screen.html",
        frame_ancestors="'self'",
        unit=assessment["unit_name"],
        round_label=assessment["round_label"],
        code=workshop["code"],
        # The address without its scheme, in parts a narrow screen may break it at (after a colon, before a slash).
        join_address_parts=re.split(r"(?<=:)|(?=/)", join.split("://", 1)[-1].split("?", 1)[0]),
        join_qr=segno.make(join, error="m").svg_data_uri(border=2, omitsize=True) if reachable else "",
        phones_cannot_join=PHONES_CANNOT_JOIN.partition(NETWORK_COMMAND) if not reachable else (),
        item=item,
        domain=domains.get(item.domain, item.domain),
        position=ids.index(current) + 1,
        count=len(ids),
        levels=LEVEL_LABELS,
        level_colours=LEVEL_COLOURS,
        dont_know=DONT_KNOW_LABEL,
        dont_know_colour=DONT_KNOW_COLOUR,
        data=_json_for_script(data),
    )


async def presenter_screen(request: Request) -> Response:
    """The projected screen: the item, its five levels and, once revealed, how the room voted, in large type."""
    return await asyncio.to_thread(_screen_page, request)


async def presenter_control(request: Request) -> Response:
    """A press on the presenter screen's controls (or its Page Up / Page Down): JSON {action}, allowed by the
    presenter cookie (or a "key" in the body, for other clients)."""
    if not _same_origin(request):
        return Response("Cross-site request refused", status_code=403)
    try:
        body = _json_object(await _body(request), "an action")
    except BodyProblem as exc:
        return JSONResponse({"ok": False, "error": exc.message}, exc.status)
    key = _presenter_key(request, str(body.get("key") or "")[:200])
    action = str(body.get("action", ""))[:20]
    workshop_id = int(request.path_params["workshop_id"])

    def _control() -> dict[str, Any]:
        db = _open()
        try:
            return workshops.screen_control(db, workshop_id, key, action)
        finally:
            db.close()

    try:
        workshop = await asyncio.to_thread(_control)
    except workshops.WorkshopCodeError as exc:
        return JSONResponse({"ok": False, "error": _sentence(str(exc))}, 403)
    except store.StoreError as exc:
        return JSONResponse({"ok": False, "error": _sentence(str(exc))}, 409)
    _room().watcher.poke()  # the room hears now, not at the watcher's next look
    return JSONResponse({"ok": True, "item": workshop["current_item"], "revealed": workshop["revealed"]})


async def presenter_events(request: Request) -> Response:
    try:
        workshop = await asyncio.to_thread(_presenter_workshop, request)
    except store.StoreError as exc:
        return JSONResponse({"ok": False, "error": _sentence(str(exc))}, 403)
    return _stream(request, workshop["id"], "presenter", f"presenter:{workshop['id']}", PRESENTER_STREAMS)


def _forget_old_names() -> None:
    db = _open()
    try:
        privacy.forget_participant_names(db, "retention rule")
    except store.StoreError as exc:  # a bad setting must not stop the server; it is said in the log
        logging.getLogger(__name__).error("participant names were not removed: %s", exc)
    finally:
        db.close()


def _send_reminders() -> None:
    """Today's reminder digests (the ledger makes it safe on every server at once); how it went, in the log."""
    db = _open()
    try:
        outcome = reminders.send_due(db, os.environ.get(workshops.PUBLIC_URL_VAR, ""))
        (_LOG.warning if outcome.failed else _LOG.info)("reminders: %s", outcome.describe())
    except store.StoreError as exc:  # settings or a database that cannot be used: said, and tried again tomorrow
        _LOG.error("reminders were not sent: %s", exc)
    finally:
        db.close()


async def _reminder_loop(at: datetime_time) -> None:
    """Send reminders each day at CHECKLIST_NOTIFY_AT (UK time), for as long as the server runs."""
    while True:
        await asyncio.sleep(reminders.seconds_until(clock.now(), at))
        await asyncio.to_thread(_send_reminders)


def routes() -> list:
    return [
        Route("/join", join_page, methods=["GET"]),
        Route("/join", join_submit, methods=["POST"]),
        Route("/join/vote", vote, methods=["POST"]),
        Route("/join/events", participant_events, methods=["GET"]),
        Route("/join/leave", leave, methods=["POST"]),
        Mount("/join/static", app=StaticFiles(directory=HERE / "static"), name="join-static"),
        Route("/present/{workshop_id:int}", presenter_panel, methods=["GET"]),
        Route("/present/{workshop_id:int}/events", presenter_events, methods=["GET"]),
        Route("/present/{workshop_id:int}/screen", presenter_screen, methods=["GET"]),
        Route("/present/{workshop_id:int}/control", presenter_control, methods=["POST"]),
    ]


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Start the live room with the server, so the first phone does not wait; stop it with the server.

    Each start also applies the retention rule for participants' names (information governance).
    """
    edge.trusted_proxies()  # a wrong CHECKLIST_TRUSTED_PROXIES stops the server here, with its message
    await asyncio.to_thread(_room)
    await asyncio.to_thread(_forget_old_names)
    await asyncio.to_thread(downloads.sweep, _db_path())  # files an earlier run left for downloads
    STREAMS.budget = stream_budget()
    presence = asyncio.create_task(_presence_loop())
    at = reminders.notify_at()  # a wrong CHECKLIST_NOTIFY_AT stops the server here, with its message
    scheduled = asyncio.create_task(_reminder_loop(at)) if at is not None else None
    _LOG.info("live room: up to %d event streams at once (file limit %s), %d per client, %d per pass",
              STREAMS.budget, resource.getrlimit(resource.RLIMIT_NOFILE)[0] if resource else "unknown",
              STREAMS_PER_CLIENT, STREAMS_PER_PASS)  # fmt: skip
    try:
        yield
    finally:
        presence.cancel()
        if scheduled is not None:
            scheduled.cancel()
        _CHANNELS.clear()
        await asyncio.to_thread(live.close_all)

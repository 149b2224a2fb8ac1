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
- GET  /present/{id}/events  the same as server-sent events
- GET  /present/{id}/screen  the projected presenter screen: the item, its levels, the results once revealed
- POST /present/{id}/control the presenter screen's Previous, Next, Reveal and Hide (allowed by the key)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from checklist import formatting, live, privacy, store, workshops
from checklist.consensus import DONT_KNOW_LABEL, SECTORS, answer_label
from checklist.framework import LEVEL_VALUES, framework_for
from checklist.palette import DONT_KNOW_COLOUR, LEVEL_COLOURS

HERE = Path(__file__).resolve().parent
PASS_COOKIE = "workshop_pass"
PASS_MAX_AGE = 60 * 60 * 24 * 22  # longer than any workshop's lifetime
KEEPALIVE_SECONDS = 15
# Wrong join codes: at most this many per client address in the window, and this many from everyone
# together (against guessing spread over many addresses), so codes cannot be guessed.
WRONG_CODE_LIMIT = 10
WRONG_CODES_FROM_EVERYONE = 1000
WRONG_CODE_WINDOW = 600.0
EVERYONE = "*"
PUBLIC_URL_VAR = "CHECKLIST_PUBLIC_URL"  # the address people should open, as on the Workshop page
LEVEL_LABELS = [formatting.level(v) for v in LEVEL_VALUES]

TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _db_path() -> Path:
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


def _render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(sectors=SECTORS, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _same_origin(request: Request) -> bool:
    """Refuse posts from other sites (the pass is a cookie): the Origin, when sent, must be this host."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


class _WrongCodes:
    """Wrong join codes per client address in a sliding window."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, who: str) -> deque[float]:
        stamps = self._seen.setdefault(who, deque())
        cutoff = time.monotonic() - WRONG_CODE_WINDOW
        while stamps and stamps[0] < cutoff:
            stamps.popleft()
        return stamps

    def blocked_for(self, who: str) -> int:
        """Seconds until this client may try again (0: it may try now)."""
        for key, limit in ((who, WRONG_CODE_LIMIT), (EVERYONE, WRONG_CODES_FROM_EVERYONE)):
            stamps = self._recent(key)
            if len(stamps) >= limit:
                return max(1, int(stamps[0] + WRONG_CODE_WINDOW - time.monotonic()) + 1)
        return 0

    def add(self, who: str) -> None:
        now = time.monotonic()
        self._recent(who).append(now)
        self._recent(EVERYONE).append(now)


WRONG_CODES = _WrongCodes()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
        {**a, "easy_label": fw.easy("dont_know", a["label"]) if a["value"] == "dont_know" else a["label"]}
        for a in ANSWERS
    ]


def _participant_page(request: Request, db: Any, me: dict[str, Any], message: str = "") -> HTMLResponse:
    workshop = me["workshop"]
    assessment = store.get_assessment(db, workshop["assessment_id"])
    items = workshops.items_of(db, workshop)
    votes = workshops.my_votes(db, me["token"])
    mine = {item: "dont_know" if level is None else str(level) for item, level in votes.items()}
    state = _room().watcher.state(workshop["id"])
    easy = request.query_params.get("easy") == "1"
    fw = framework_for(assessment["framework_version"])
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
    form = await request.form()
    code = str(form.get("code", ""))[:40]
    name = str(form.get("name", ""))[:200]
    sector = str(form.get("sector", "")) or None
    who = _client(request)
    wait = WRONG_CODES.blocked_for(who)
    if wait:
        minutes = max(1, round(wait / 60))
        error = (
            f"Too many wrong codes have been tried here. Wait about {minutes} minute{'s' if minutes != 1 else ''}, "
            "then check the code on the facilitator's screen and try again."
        )
        return _render("join.html", status=429, code=code, name=name, sector=sector, error=error)
    if sector not in SECTORS:
        error = "Choose which part of the system you come from, then press Join."
        return _render("join.html", status=400, code=code, name=name, sector=None, error=error)

    def _join() -> dict[str, Any]:
        db = _open()
        try:
            return workshops.join(db, code, sector, name)
        finally:
            db.close()

    try:
        joined = await asyncio.to_thread(_join)
    except workshops.WorkshopCodeError as exc:
        WRONG_CODES.add(who)
        return _render("join.html", status=404, code=code, name=name, sector=sector, error=_sentence(str(exc)))
    except store.StoreError as exc:
        return _render("join.html", status=400, code=code, name=name, sector=sector, error=_sentence(str(exc)))
    _room().watcher.poke()
    response = RedirectResponse("/join", status_code=303)
    response.set_cookie(PASS_COOKIE, joined["token"], max_age=PASS_MAX_AGE, httponly=True, samesite="lax",
                        path="/", secure=request.url.scheme == "https")  # fmt: skip
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
        body = await request.json() if wants_json else dict(await request.form())
        item_id, raw = str(body.get("item", ""))[:80], body.get("level")
    except (ValueError, AttributeError):
        return JSONResponse({"ok": False, "error": "The vote could not be read; expected an item and a level."}, 400)
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
    from urllib.parse import urlencode

    query = {"said": message, **({"item": item} if item else {})}
    return RedirectResponse(f"/join?{urlencode(query)}", status_code=303)


async def leave(request: Request) -> Response:
    if not _same_origin(request):
        return Response("Cross-site request refused", status_code=403)
    response = RedirectResponse("/join", status_code=303)
    response.delete_cookie(PASS_COOKIE, path="/")
    return response


class _Channel:
    """One room's latest state inside the event loop, and a way for any number of streams to await the next."""

    def __init__(self, loop: asyncio.AbstractEventLoop, workshop_id: int) -> None:
        watcher = _room().watcher
        self.state = watcher.state(workshop_id)
        self._changed = asyncio.Event()
        self.streams = 0
        self.unwatch = watcher.watch(workshop_id, lambda s: loop.call_soon_threadsafe(self._publish, s))

    def _publish(self, state: live.RoomState) -> None:
        if state.version <= self.state.version:
            return
        self.state = state
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def next(self, version: int, timeout: float) -> live.RoomState | None:
        """The state once it is newer than `version`, or None when `timeout` passes first."""
        if self.state.version > version:
            return self.state
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return None
        return self.state


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


def _stream(workshop_id: int, view: str) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        async with _channel(workshop_id) as channel:
            version = -1
            yield "retry: 2000\n\n"
            while True:
                state = await channel.next(version, KEEPALIVE_SECONDS)
                if state is None:
                    yield ": keep-alive\n\n"  # proxies close silent connections
                    continue
                version = state.version
                payload = state.public() if view == "public" else state.presenter()
                yield f"id: {version}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
                if state.status != workshops.OPEN and view == "public":
                    return

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def participant_events(request: Request) -> Response:
    token = request.cookies.get(PASS_COOKIE, "")

    def _who() -> int:
        db = _open()
        try:
            return workshops.participant(db, token)["workshop"]["id"]
        finally:
            db.close()

    try:
        workshop_id = await asyncio.to_thread(_who)
    except store.StoreError as exc:
        return JSONResponse({"ok": False, "ended": True, "error": _sentence(str(exc))}, 410)
    return _stream(workshop_id, "public")


def _presenter_workshop(request: Request) -> dict[str, Any]:
    db = _open()
    try:
        workshop_id = int(request.path_params["workshop_id"])
        return workshops.workshop_for_presenter(db, workshop_id, request.query_params.get("key", ""))
    finally:
        db.close()


async def presenter_panel(request: Request) -> Response:
    try:
        workshop = await asyncio.to_thread(_presenter_workshop, request)
    except store.StoreError as exc:
        return HTMLResponse(f"<p>{_sentence(str(exc))}</p>", status_code=403)
    state = _room().watcher.state(workshop["id"])
    return _render("present.html", state=_json_for_script(state.presenter()), key=request.query_params["key"],
                   workshop_id=workshop["id"], large=request.query_params.get("large") == "1")  # fmt: skip


def _screen_page(request: Request) -> Response:
    db = _open()
    try:
        workshop_id = int(request.path_params["workshop_id"])
        key = request.query_params.get("key", "")
        try:
            workshop = workshops.workshop_for_presenter(db, workshop_id, key)
        except store.StoreError as exc:
            return _render("screen.html", status=403, error=_sentence(str(exc)))
        assessment = store.get_assessment(db, workshop["assessment_id"])
        fw = framework_for(assessment["framework_version"])
        items = workshops.items_of(db, workshop)
        domains = {d.id: d.title for d in fw.domains}
    finally:
        db.close()
    state = _room().watcher.state(workshop["id"])
    base = os.environ.get(PUBLIC_URL_VAR) or workshops.base_url(str(request.url))
    join = workshops.join_link(base, workshop["code"])
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
        "stream": f"/present/{workshop['id']}/events?key={quote(key)}",
    }
    ids = [i.id for i in items]
    current = state.current_item if state.current_item in ids else ids[0]
    item = items[ids.index(current)]
    return _render(
        "screen.html",
        unit=assessment["unit_name"],
        round_label=assessment["round_label"],
        code=workshop["code"],
        join_address=join.split("://", 1)[-1].split("?", 1)[0],
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
    """A press on the presenter screen's controls (or its Page Up / Page Down): JSON {key, action}."""
    if not _same_origin(request):
        return Response("Cross-site request refused", status_code=403)
    try:
        body = await request.json()
        key, action = str(body.get("key", ""))[:200], str(body.get("action", ""))[:20]
    except (ValueError, AttributeError):
        return JSONResponse({"ok": False, "error": "The request could not be read; expected a key and an action."}, 400)
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
    return _stream(workshop["id"], "presenter")


def _forget_old_names() -> None:
    db = _open()
    try:
        privacy.forget_participant_names(db, "retention rule")
    except store.StoreError as exc:  # a bad setting must not stop the server; it is said in the log
        logging.getLogger(__name__).error("participant names were not removed: %s", exc)
    finally:
        db.close()


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
    await asyncio.to_thread(_room)
    await asyncio.to_thread(_forget_old_names)
    try:
        yield
    finally:
        _CHANNELS.clear()
        await asyncio.to_thread(live.close_all)

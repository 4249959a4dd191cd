"""Input channels that always answer safely (REST and socket.io).

Both wrap Rasa's own channels with a guard around message handling:
- a message that is too long, or too many messages in a row, gets a Danish answer instead
  of being processed;
- if handling fails, times out (action server down or slow) or produces no reply at all,
  the person still gets `utter_safe_error`, which contains 112 and the hotlines;
- nothing the person wrote is logged;
- a tracker store (database) error is raised instead of Rasa's silent fallback to an empty
  in-memory conversation, so the person gets the safe reply and the error is logged.
The REST channel also answers malformed requests (bad JSON or UTF-8, too large, missing
fields) with a 4xx and a Danish message instead of an error page.

Configured in credentials.yml; the REST path stays POST /webhooks/rest/webhook.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import uuid
import warnings
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint, response
from sanic.request import Request

from assistant.config import PROJECT_ROOT, load_settings, normalize_origin

logger = logging.getLogger(__name__)

MAX_CHARS = 4000
MAX_BODY_BYTES = 64 * 1024
BURST = 12  # messages …
BURST_WINDOW = 10.0  # … per this many seconds per conversation
SENDER_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
# Control characters, and lone surrogates (they cannot be encoded: spaCy fails on them).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
REPLY_BUDGET = float(os.environ.get("REPLY_BUDGET_SECONDS", "2.7"))
ACTION_TIMEOUT = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "1.5"))

Handler = Callable[[UserMessage], Awaitable[Any]]

# Rasa warns about a message it cannot parse as an intent payload ("/intent{…}") with the
# whole message in the warning; never print what a person wrote (tests/robustness).
warnings.filterwarnings("ignore", message=r"Failed to parse arguments in line",
                        category=UserWarning)

# Fields of Rasa's structured log lines that hold what a person wrote (or what was answered).
_PERSONAL_LOG_FIELDS = frozenset({
    "text", "user_text", "message", "user_message", "parse_data_text", "response_text",
    "json_message", "tracker_latest_message", "parse_data_entities", "entity", "slot_candidates",
})


class _NoMessageText(logging.Filter):
    """Rasa's structlog lines are JSON; some carry the message text even at ERROR level
    (e.g. `rest.message.received.timeout` when a client disconnects). Blank those fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if isinstance(msg, str) and msg.startswith("{") and record.name.startswith("rasa"):
            try:
                data = json.loads(msg)
            except ValueError:
                return True
            if isinstance(data, dict) and _PERSONAL_LOG_FIELDS & data.keys():
                for key in _PERSONAL_LOG_FIELDS & data.keys():
                    data[key] = "[removed]"
                record.msg = json.dumps(data, ensure_ascii=False)
                record.args = ()
        return True


def _install_log_filter() -> None:
    flt = _NoMessageText()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _NoMessageText) for f in handler.filters):
            handler.addFilter(flt)
    for name in ("rasa.core.channels.rest", "rasa.core.channels.socketio",
                 "rasa.shared.core.training_data.story_reader.yaml_story_reader"):
        named = logging.getLogger(name)
        if not any(isinstance(f, _NoMessageText) for f in named.filters):
            named.addFilter(flt)


def _domain_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, variants in (data.get("responses") or {}).items():
            texts[key] = variants[0]["text"]
    return texts


class _Texts:
    """Danish texts for the guard, read from the domain once (at first use)."""

    _cache: dict[str, str] | None = None

    @classmethod
    def get(cls, key: str) -> str:
        if cls._cache is None:
            cls._cache = _domain_texts()
        return cls._cache[key]


class CountingOutput(OutputChannel):
    """Delegates to the real output channel and counts what was sent."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.count = 0

    @classmethod
    def name(cls) -> str:
        return "counting"

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.count += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


class _Burst:
    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def too_fast(self, sender: str) -> bool:
        now = time.monotonic()
        seen = self._seen[sender]
        while seen and now - seen[0] > BURST_WINDOW:
            seen.popleft()
        seen.append(now)
        if len(self._seen) > 10000:  # forget idle conversations
            for key in [k for k, v in self._seen.items() if not v or now - v[-1] > 60]:
                del self._seen[key]
        return len(seen) > BURST


def _limit_action_timeout() -> None:
    """Rasa waits up to 5 minutes for the action server; we wait ACTION_TIMEOUT."""
    import rasa.core.actions.action as rasa_action

    rasa_action.DEFAULT_REQUEST_TIMEOUT = ACTION_TIMEOUT  # type: ignore[attr-defined]


def _raise_tracker_store_error(error: Exception) -> None:
    raise error


def _surface_tracker_store_errors(bp: Blueprint) -> None:
    """Rasa wraps the tracker store in a FailSafeTrackerStore that, when the database fails,
    logs the error (its SQL parameters can hold what the person wrote) and goes on with a
    fresh in-memory conversation. Make it raise instead: the guard then sends the safe reply
    and logs only the error's class. Runs after Rasa's own start-up listener loaded the agent.
    """

    @bp.listener("after_server_start")
    async def _surface(app: Any, _loop: Any) -> None:
        from rasa.core.tracker_store import FailSafeTrackerStore

        store = getattr(getattr(app.ctx, "agent", None), "tracker_store", None)
        if isinstance(store, FailSafeTrackerStore):
            store._on_tracker_store_error = _raise_tracker_store_error


def guard(on_new_message: Handler, burst: _Burst) -> Handler:
    async def guarded(message: UserMessage) -> None:
        output = CountingOutput(message.output_channel)
        message.output_channel = output
        sender = message.sender_id or "-"
        text = CONTROL_RE.sub("", message.text or "").strip()
        if not text:
            await output.send_text_message(sender, _Texts.get("utter_error_empty"))
            return
        if len(text) > MAX_CHARS:
            await output.send_text_message(sender, _Texts.get("utter_error_too_long"))
            return
        if burst.too_fast(sender):
            await output.send_text_message(sender, _Texts.get("utter_error_too_fast"))
            return
        message.text = text
        try:
            await asyncio.wait_for(on_new_message(message), timeout=REPLY_BUDGET)
        except asyncio.TimeoutError:
            logger.error("reply budget of %.1fs exceeded; sent the safe reply", REPLY_BUDGET)
        except Exception as err:  # noqa: BLE001 - the person must always get an answer
            logger.error("message handling failed: %s", _describe(err))
        if output.count == 0:
            await output.send_text_message(sender, _Texts.get("utter_safe_error"))

    return guarded


def _describe(err: BaseException) -> str:
    """Exception class names down the cause chain and a graph node's name – never the
    message text itself, which may hold what the person wrote."""
    names = []
    seen: BaseException | None = err
    while seen is not None and len(names) < 5:
        names.append(seen.__class__.__name__)
        seen = seen.__cause__ or seen.__context__
    node = re.search(r"for node '?([\w.-]+)", str(err))
    return " <- ".join(names) + (f" (node {node.group(1)})" if node else "")


def _error(status: int, key: str) -> response.HTTPResponse:
    return response.json({"error": _Texts.get(key)}, status=status)


class SafeRestInput(RestInput):
    """POST /webhooks/rest/webhook with input checks and the safety guard."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        _limit_action_timeout()
        _install_log_filter()
        bp = super().blueprint(guard(on_new_message, _Burst()))
        _surface_tracker_store_errors(bp)

        @bp.middleware("request")
        async def check_request(request: Request) -> response.HTTPResponse | None:
            if request.method != "POST":
                return None
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(413, "utter_error_too_long")
            try:
                body = json.loads((request.body or b"").decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return _error(400, "utter_error_invalid")
            if not isinstance(body, dict):
                return _error(400, "utter_error_invalid")
            sender, message = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not SENDER_RE.match(sender):
                return _error(400, "utter_error_invalid")
            if not isinstance(message, str):
                return _error(400, "utter_error_invalid")
            if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
                return _error(400, "utter_error_invalid")
            request.ctx.checked = True
            return None

        return bp


class OriginCheck:
    """The socket.io handshake's Origin check (python-engineio `cors_allowed_origins`).

    Rasa creates its socket.io server with `cors_allowed_origins=[]`, which switches the
    check off: any web site could open a conversation in its visitors' browsers. This allows
    only CORS_ORIGINS (assistant/config.py; by default the web chat server's own origins).
    "*" is never honoured here. A handshake without an Origin header (not from a browser)
    is not checked by engineio: only browsers send one, and only browsers need stopping.
    """

    def __init__(self, origins: Iterable[str]) -> None:
        wanted = {normalize_origin(o) for o in origins}
        if "*" in wanted:
            logger.warning("CORS_ORIGINS contains '*': ignored for socket.io; "
                           "list the web sites' origins instead")
            wanted.discard("*")
        self.origins = frozenset(wanted)

    def __call__(self, origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        return bool(origin) and normalize_origin(str(origin)) in self.origins


def session_id_ok(value: Any) -> bool:
    """A client's session id names the whole conversation (session_persistence): the same
    characters as REST senders, and at least 16 of them (the widget sends 32 random hex)."""
    return isinstance(value, str) and len(value) >= 16 and bool(SENDER_RE.match(value))


class SafeSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with the same safety guard, an Origin check on the
    handshake, and sessions that work with python-socketio 5.

    With `session_persistence: true` the client's random session id (sent in
    `session_request`) is the conversation id, so a reconnect continues the conversation
    and the quick exit deletes all of it. Rasa 3.6 calls `sio.enter_room()` without
    awaiting it, and python-socketio 5 made it a coroutine: the socket never joined the
    session's room and no reply arrived. Here the room is entered properly, the session id
    is checked, and it is bound to the socket: a message on that socket always belongs to
    the session it requested (a `session_id` in the message itself is not trusted).
    """

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        _limit_action_timeout()
        _install_log_filter()
        bp = super().blueprint(guard(on_new_message, _Burst()))
        _surface_tracker_store_errors(bp)
        sio = self.sio
        assert sio is not None  # set by SocketIOInput.blueprint
        sio.eio.cors_allowed_origins = OriginCheck(load_settings().cors_origins)
        namespace = self.namespace or "/"
        rasa_handle_message = sio.handlers[namespace][self.user_message_evt]
        sessions: dict[str, str] = {}  # socket id -> session id
        self.sessions = sessions

        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if session_id_ok(requested) else uuid.uuid4().hex
            previous = sessions.get(sid)
            if self.session_persistence:
                if previous and previous != session_id:
                    await sio.leave_room(sid, previous, namespace=namespace)
                await sio.enter_room(sid, session_id, namespace=namespace)
            sessions[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                session_id = sessions.get(sid)
                if session_id is None:
                    logger.warning("socket.io message before session_request: ignored")
                    return
                data = {**data, "session_id": session_id}
            await rasa_handle_message(sid, data)

        async def disconnect(sid: str, *_reason: Any) -> None:
            sessions.pop(sid, None)

        sio.on("session_request", session_request, namespace=namespace)
        sio.on(self.user_message_evt, handle_message, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        return bp


def safe_reply_text() -> str:
    return _Texts.get("utter_safe_error")


__all__ = ["SafeRestInput", "SafeSocketIOInput", "CountingOutput", "OriginCheck", "guard"]

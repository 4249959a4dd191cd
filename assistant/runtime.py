"""Process-wide runtime state: the knowledge-base snapshot for the action server, created
on first use, and the speed-ups the launcher installs in the Rasa server process
(:func:`speed_up_rasa`).

Nothing happens at import time. Tests call :func:`use_knowledge_base` with a snapshot of a
temporary database.
"""

from __future__ import annotations

import threading
from typing import Any

from assistant.config import load_settings
from assistant.kb.db import make_engine
from assistant.kb.repository import KnowledgeBase

_lock = threading.Lock()
_kb: KnowledgeBase | None = None


def knowledge_base() -> KnowledgeBase:
    global _kb
    if _kb is None:
        with _lock:
            if _kb is None:
                engine = make_engine(load_settings().database_url)
                try:
                    _kb = KnowledgeBase.from_engine(engine)
                finally:
                    engine.dispose()
    return _kb


def use_knowledge_base(kb: KnowledgeBase | None) -> None:
    """Replace the snapshot (tests; reload after `assistant kb load`)."""
    global _kb
    with _lock:
        _kb = kb


# --- Rasa server speed-ups (measured with `make bench`, docs/performance.md) -------------
# Installed in the Rasa server process by `python -m assistant.launcher rasa run …` (the
# launcher's own command), before Rasa starts. Behaviour is unchanged; only work is saved.

ACTION_KEEPALIVE_SECONDS = 4.0  # < Sanic's 5 s keep-alive on the action server
_originals: list[tuple[type, str, Any]] = []
_undo: list[Any] = []


def _cached_action_result_validation() -> None:
    """Rasa validates every action server response with `jsonschema.validate`, which checks
    the schema itself on every call: a third of the Rasa server's CPU per message in the
    profile. Check the schema once and keep the validator; same errors, same message."""
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_assistant_cached", False):
        return
    _originals.append((RemoteAction, "_validate_action_result",
                       RemoteAction.__dict__["_validate_action_result"]))
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions")
        raise error

    _validate_action_result._assistant_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


class _KeptSession:
    """`async with` on a shared aiohttp session that is not closed at the end."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *_exc: object) -> None:
        return None


def _kept_alive_endpoint_sessions() -> None:
    """Rasa opens a new HTTP session, and so a new TCP connection, for every call to the
    action server. Keep one session per endpoint and event loop, with idle connections
    kept for ACTION_KEEPALIVE_SECONDS (below the action server's own keep-alive, so Rasa
    never reuses a connection the server is closing). Timeouts are unchanged: Rasa passes
    its (our) action timeout with every request."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig.session, "_assistant_kept", False):
        return
    make_session = EndpointConfig.session
    _originals.append((EndpointConfig, "session", make_session))

    def session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return make_session(self)
        kept: dict[int, Any] = self.__dict__.setdefault("_assistant_sessions", {})
        current = kept.get(id(loop))
        if current is None or current.closed or current._loop is not loop:
            fresh = make_session(self)
            connector = aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_SECONDS)
            current = aiohttp.ClientSession(
                headers=fresh.headers, auth=fresh.auth, timeout=fresh.timeout,
                connector=connector)
            loop.create_task(fresh.close())
            kept[id(loop)] = current
        return _KeptSession(current)

    session._assistant_kept = True  # type: ignore[attr-defined]
    EndpointConfig.session = session  # type: ignore[method-assign]


def _sqlite_write_ahead_log() -> None:
    """SQLite conversation store in WAL mode: one fsync per commit instead of the rollback
    journal's several, and readers (staff tools) no longer block the writer. synchronous
    stays FULL, so a committed turn (or a deletion) is as durable as before. Only SQLite
    engines in this process (the Rasa server's tracker store) are affected."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if event.contains(Engine, "connect", _wal_on_connect):
        return
    event.listen(Engine, "connect", _wal_on_connect)
    _undo.append(lambda: event.remove(Engine, "connect", _wal_on_connect))


def _wal_on_connect(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith(("sqlite3", "pysqlite")):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
        finally:
            cursor.close()


def _pooled_sqlite_tracker_store() -> None:
    """Rasa's SQL tracker store gets SQLAlchemy 1.4's default for SQLite files, NullPool:
    a new connection (open the file, read the schema, close; in WAL mode a checkpoint) for
    every read and every write of a conversation. Keep the connections in a pool instead.
    Every checkout checks that the path still holds the file the connection opened, so a
    database moved or deleted while serving still fails loudly (tests/robustness)."""
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import Pool, QueuePool

    original = tracker_store.create_engine_kwargs
    if getattr(original, "_assistant_pooled", False):
        return

    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = original(url)
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "",
                                                                               ":memory:"):
            kwargs.update(poolclass=QueuePool, pool_size=1, max_overflow=4,
                          connect_args={"check_same_thread": False})
        return kwargs

    create_engine_kwargs._assistant_pooled = True  # type: ignore[attr-defined]
    _originals.append((tracker_store, "create_engine_kwargs", original))  # type: ignore[arg-type]
    tracker_store.create_engine_kwargs = create_engine_kwargs  # type: ignore[assignment]
    event.listen(Pool, "connect", _remember_sqlite_file)
    event.listen(Pool, "checkout", _check_sqlite_file)
    _undo.append(lambda: event.remove(Pool, "connect", _remember_sqlite_file))
    _undo.append(lambda: event.remove(Pool, "checkout", _check_sqlite_file))


def _sqlite_file_id(path: str) -> tuple[int, int]:
    import os

    status = os.stat(path)
    return status.st_dev, status.st_ino


def _remember_sqlite_file(dbapi_connection: Any, record: Any) -> None:
    if not type(dbapi_connection).__module__.startswith(("sqlite3", "pysqlite")):
        return
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    path = next((row[2] for row in rows if row[1] == "main"), "")
    if path:
        record.info["sqlite_file"] = (path, _sqlite_file_id(path))


def _check_sqlite_file(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    from sqlalchemy.exc import DisconnectionError

    known = record.info.get("sqlite_file")
    if not known:
        return
    path, file_id = known
    try:
        same = _sqlite_file_id(path) == file_id
    except OSError:
        same = False
    if not same:  # moved, deleted or replaced: drop the connection, connect anew
        raise DisconnectionError(f"the SQLite file {path} changed")


SPEEDUPS = {
    "schema": _cached_action_result_validation,
    "keepalive": _kept_alive_endpoint_sessions,
    "sqlite_wal": _sqlite_write_ahead_log,
    "sqlite_pool": _pooled_sqlite_tracker_store,
}


def speed_up_rasa(which: str = "1") -> list[str]:
    """Install the speed-ups above (idempotent): "1" all, "0" none, or SPEEDUPS names
    separated by "," or "+" (RASA_SPEEDUPS, to measure each). Returns the names installed."""
    names = list(SPEEDUPS) if which.strip() in ("", "1") else [
        n.strip() for n in which.replace("+", ",").split(",") if n.strip() in SPEEDUPS]
    for name in names:
        SPEEDUPS[name]()
    return names


def undo_speed_ups() -> None:
    """Remove every installed speed-up (tests)."""
    while _originals:
        owner, name, original = _originals.pop()
        setattr(owner, name, original)
    while _undo:
        _undo.pop()()

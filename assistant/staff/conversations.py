"""Conversations as the privacy tracker store wrote them, read with SQLAlchemy Core.

The tracker store (`assistant.privacy.store.PrivacyTrackerStore`, table `events`) holds one
row per Rasa event, already redacted. A conversation here is one `sender_id`. Only portable
SQL is used (selects, IN, GROUP BY, HAVING, MIN/MAX), so the same code runs on SQLite and
PostgreSQL; dates, hours and JSON are handled in Python, in Danish time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql import Select

from assistant.dialogue.answers import TOPIC_INTENTS

TZ = ZoneInfo("Europe/Copenhagen")
LOW_CONFIDENCE = 0.5
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback")
CRISIS_INTENTS = ("emergency", "suicidal_crisis")
MUNICIPALITY_SLOT = "municipality"
UNKNOWN_MUNICIPALITY = "ukendt"  # the slot value when the person would rather not say
NOT_GIVEN = "ikke-oplyst"  # filter value: no municipality in the conversation
BATCH = 200

# Flag id -> Danish label. The ids are used on the command line and in the web form.
FLAGS: dict[str, str] = {
    "fallback": "Forstod ikke (fallback)",
    "low-confidence": "Lav sikkerhed (under 0,5)",
    "thumbs-down": "👎 Svaret hjalp ikke",
    "crisis": "Krise (112-svar)",
}
INTENT_TOPICS = {intent: topic for intent, topic in TOPIC_INTENTS.items()}
TOPIC_INTENT = {topic: intent for intent, topic in TOPIC_INTENTS.items()}

_metadata = MetaData()
EVENTS = Table(
    "events", _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def local(ts: float) -> datetime:
    """A Unix timestamp as Danish local time."""
    return datetime.fromtimestamp(ts, TZ)


def day_start(day: date) -> float:
    return datetime.combine(day, time(0), TZ).timestamp()


def day_bounds(since: date | None, until: date | None) -> tuple[float | None, float | None]:
    """[start of `since`, start of the day after `until`) as timestamps (Danish time)."""
    low = day_start(since) if since else None
    high = day_start(until + timedelta(days=1)) if until else None
    return low, high


@dataclass
class UserMessage:
    """One message from the person (redacted text, the NLU result)."""

    event_id: int
    sender_id: str
    timestamp: float
    text: str
    intent: str | None
    confidence: float | None
    ranking: list[tuple[str, float]] = field(default_factory=list)
    feedback: str | None = None  # "up" / "down" for the web chat's 👍/👎

    @property
    def is_payload(self) -> bool:
        """A button or the widget sent it (`/intent{…}`), not typed by the person."""
        return self.text.startswith("/")

    @property
    def is_fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT

    @property
    def is_low_confidence(self) -> bool:
        return (not self.is_payload and self.confidence is not None
                and self.confidence < LOW_CONFIDENCE)

    @property
    def is_crisis(self) -> bool:
        return self.intent in CRISIS_INTENTS

    def _guess(self) -> tuple[str | None, float | None]:
        """The intent to start annotating from and its confidence: for `nlu_fallback`, the
        classifier's best real intent."""
        if self.intent != FALLBACK_INTENT:
            return self.intent, self.confidence
        return next(((name, confidence) for name, confidence in self.ranking
                     if name != FALLBACK_INTENT), (None, None))

    @property
    def best_guess(self) -> str | None:
        return self._guess()[0]

    @property
    def guess_confidence(self) -> float | None:
        return self._guess()[1]

    @property
    def flags(self) -> set[str]:
        found = set()
        if self.is_fallback:
            found.add("fallback")
        if self.is_low_confidence:
            found.add("low-confidence")
        if self.feedback == "down":
            found.add("thumbs-down")
        if self.is_crisis:
            found.add("crisis")
        return found


@dataclass
class Turn:
    kind: str  # "user" | "bot" | "municipality" | "fallback"
    timestamp: float
    text: str = ""
    message: UserMessage | None = None
    buttons: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    sender_id: str
    started: float
    ended: float
    turns: list[Turn] = field(default_factory=list)
    municipality: str | None = None
    fallback_actions: int = 0

    @property
    def messages(self) -> list[UserMessage]:
        return [t.message for t in self.turns if t.message is not None]

    @property
    def typed_messages(self) -> list[UserMessage]:
        return [m for m in self.messages if not m.is_payload]

    @property
    def topics(self) -> list[str]:
        """Topics asked about, in order (from the intents, e.g. ask_housing -> housing)."""
        seen: dict[str, None] = {}
        for message in self.messages:
            topic = INTENT_TOPICS.get(message.intent or "")
            if topic:
                seen.setdefault(topic, None)
        return list(seen)

    @property
    def flags(self) -> set[str]:
        found: set[str] = set()
        for message in self.messages:
            found |= message.flags
        if self.fallback_actions:
            found.add("fallback")
        return found

    @property
    def feedback(self) -> dict[str, int]:
        counts = {"up": 0, "down": 0, "other": 0}
        for message in self.messages:
            if message.intent == "feedback":
                counts[message.feedback if message.feedback in ("up", "down") else "other"] += 1
        return counts

    @property
    def short_id(self) -> str:
        return self.sender_id[:8]


@dataclass(frozen=True)
class Filters:
    """What to list: conversations that started in [since, until] (Danish dates), about
    `topic`, in `municipality` (or NOT_GIVEN / "ukendt"), with at least one of `flags`."""

    since: date | None = None
    until: date | None = None
    topic: str | None = None
    municipality: str | None = None
    flags: frozenset[str] = frozenset()

    def matches(self, conversation: Conversation) -> bool:
        if self.topic and self.topic not in conversation.topics:
            return False
        if self.municipality:
            wanted = self.municipality.casefold()
            have = conversation.municipality
            if wanted == NOT_GIVEN:
                if have:
                    return False
            elif not have or have.casefold() != wanted:
                return False
        return not self.flags or bool(self.flags & conversation.flags)


def _user_message(row: Any, data: dict[str, Any]) -> UserMessage:
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [(str(r.get("name")), float(r.get("confidence") or 0.0))
               for r in parse.get("intent_ranking") or [] if r.get("name")]
    feedback = None
    if row.intent_name == "feedback":
        for entity in parse.get("entities") or data.get("entities") or []:
            if entity.get("entity") == "value" and entity.get("value") in ("up", "down"):
                feedback = entity["value"]
    confidence = intent.get("confidence")
    return UserMessage(
        event_id=int(row.id), sender_id=row.sender_id, timestamp=float(row.timestamp or 0),
        text=str(data.get("text") or ""), intent=row.intent_name or intent.get("name"),
        confidence=float(confidence) if confidence is not None else None,
        ranking=ranking, feedback=feedback)


def _bot_buttons(data: dict[str, Any]) -> list[str]:
    buttons = (data.get("data") or {}).get("buttons") or []
    return [str(b.get("title")) for b in buttons if isinstance(b, dict) and b.get("title")]


class ConversationStore:
    """Read-only queries on the tracker store's `events` table."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        if isinstance(url_or_engine, Engine):
            self.engine = url_or_engine
            self._owns_engine = False
        else:
            from assistant.kb.db import make_engine

            self._missing_file = _missing_sqlite_file(url_or_engine)
            self.engine = make_engine(url_or_engine)
            self._owns_engine = True
        self.table = EVENTS

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def has_events(self) -> bool:
        if getattr(self, "_missing_file", False) and _missing_sqlite_file(str(self.engine.url)):
            return False
        return inspect(self.engine).has_table("events")

    # --- queries ------------------------------------------------------------------------

    def conversation_bounds(self, filters: Filters = Filters()) -> Select:
        """SELECT sender_id, start, end for conversations that may match `filters`, newest
        first. Topic and the flags that have a column are narrowed in SQL."""
        ev = self.table
        start = func.min(ev.c.timestamp)
        query = (select(ev.c.sender_id, start.label("started"),
                        func.max(ev.c.timestamp).label("ended"))
                 .group_by(ev.c.sender_id)
                 .order_by(start.desc(), ev.c.sender_id))
        low, high = day_bounds(filters.since, filters.until)
        if low is not None:
            query = query.having(start >= low)
        if high is not None:
            query = query.having(start < high)
        if filters.topic:
            intent = TOPIC_INTENT.get(filters.topic, f"ask_{filters.topic}")
            query = query.where(ev.c.sender_id.in_(
                select(ev.c.sender_id).where(ev.c.type_name == "user",
                                             ev.c.intent_name == intent)))
        if filters.municipality and filters.municipality.casefold() != NOT_GIVEN:
            query = query.where(ev.c.sender_id.in_(
                select(ev.c.sender_id).where(ev.c.type_name == "slot",
                                             ev.c.action_name == MUNICIPALITY_SLOT)))
        flag_condition = _flag_prefilter(filters.flags)
        if flag_condition is not None:
            query = query.where(ev.c.sender_id.in_(select(ev.c.sender_id).where(flag_condition)))
        return query

    def events_query(self, sender_ids: Iterable[str]) -> Select:
        """The rows a conversation is built from: messages, municipality, fallbacks."""
        ev = self.table
        return (select(ev.c.id, ev.c.sender_id, ev.c.type_name, ev.c.timestamp,
                       ev.c.intent_name, ev.c.action_name, ev.c.data)
                .where(ev.c.sender_id.in_(list(sender_ids)))
                .where(or_(
                    ev.c.type_name.in_(("user", "bot")),
                    and_(ev.c.type_name == "slot", ev.c.action_name == MUNICIPALITY_SLOT),
                    and_(ev.c.type_name == "action", ev.c.action_name.in_(FALLBACK_ACTIONS)),
                ))
                .order_by(ev.c.id))

    def iter_conversations(self, filters: Filters = Filters()) -> Iterator[Conversation]:
        """Matching conversations, newest first, loaded in batches."""
        if not self.has_events():
            return
        with self.engine.connect() as connection:
            bounds = connection.execute(self.conversation_bounds(filters)).all()
            for begin in range(0, len(bounds), BATCH):
                chunk = bounds[begin:begin + BATCH]
                built = self._build(connection, chunk)
                for sender_id, started, ended in chunk:
                    conversation = built.get(sender_id) or Conversation(
                        sender_id, float(started or 0), float(ended or 0))
                    if filters.matches(conversation):
                        yield conversation

    def conversations(self, filters: Filters = Filters(), limit: int | None = None,
                      offset: int = 0) -> list[Conversation]:
        found = []
        for index, conversation in enumerate(self.iter_conversations(filters)):
            if index < offset:
                continue
            if limit is not None and len(found) >= limit:
                break
            found.append(conversation)
        return found

    def user_messages(self, event_ids: Iterable[int]) -> list[UserMessage]:
        """User messages by event id (for exporting a selection), in the given order."""
        ids = sorted({int(i) for i in event_ids})
        if not ids or not self.has_events():
            return []
        ev = self.table
        found: dict[int, UserMessage] = {}
        with self.engine.connect() as connection:
            for begin in range(0, len(ids), 500):
                rows = connection.execute(
                    select(ev.c.id, ev.c.sender_id, ev.c.timestamp, ev.c.intent_name,
                           ev.c.data)
                    .where(ev.c.id.in_(ids[begin:begin + 500]), ev.c.type_name == "user"))
                for row in rows:
                    found[int(row.id)] = _user_message(row, _json(row.data))
        return [found[i] for i in ids if i in found]

    def municipalities(self) -> list[str]:
        """Municipality values stored in conversations (for the filter list)."""
        if not self.has_events():
            return []
        ev = self.table
        values: set[str] = set()
        with self.engine.connect() as connection:
            rows = connection.execute(select(ev.c.data).where(
                ev.c.type_name == "slot", ev.c.action_name == MUNICIPALITY_SLOT))
            for row in rows:
                value = _json(row.data).get("value")
                if isinstance(value, str) and value:
                    values.add(value)
        return sorted(values, key=str.casefold)

    # --- building -----------------------------------------------------------------------

    def _build(self, connection: Any, bounds: list[Any]) -> dict[str, Conversation]:
        conversations = {sender: Conversation(sender, float(started or 0), float(ended or 0))
                         for sender, started, ended in bounds}
        for row in connection.execute(self.events_query(conversations)):
            conversation = conversations[row.sender_id]
            data = _json(row.data)
            ts = float(row.timestamp or 0)
            if row.type_name == "user":
                message = _user_message(row, data)
                conversation.turns.append(Turn("user", ts, message.text, message))
            elif row.type_name == "bot":
                conversation.turns.append(Turn("bot", ts, str(data.get("text") or ""),
                                               buttons=_bot_buttons(data)))
            elif row.type_name == "slot":
                value = data.get("value")
                conversation.municipality = value if isinstance(value, str) and value else None
                if conversation.municipality:
                    conversation.turns.append(Turn("municipality", ts,
                                                   conversation.municipality))
            elif row.type_name == "action":
                conversation.fallback_actions += 1
                conversation.turns.append(Turn("fallback", ts, row.action_name or ""))
        return conversations


def _flag_prefilter(flags: frozenset[str]) -> Any:
    """A necessary SQL condition for "at least one of `flags`", or None when a flag can only
    be decided from the JSON (low confidence)."""
    if not flags:
        return None
    ev = EVENTS
    parts = []
    for flag in flags:
        if flag == "fallback":
            parts.append(or_(and_(ev.c.type_name == "user", ev.c.intent_name == FALLBACK_INTENT),
                             and_(ev.c.type_name == "action",
                                  ev.c.action_name.in_(FALLBACK_ACTIONS))))
        elif flag == "crisis":
            parts.append(and_(ev.c.type_name == "user", ev.c.intent_name.in_(CRISIS_INTENTS)))
        elif flag == "thumbs-down":
            parts.append(and_(ev.c.type_name == "user", ev.c.intent_name == "feedback"))
        else:
            return None
    return or_(*parts)


def _json(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _missing_sqlite_file(url: str) -> bool:
    """True for a SQLite URL whose file does not exist (nothing stored yet)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by the engine
        return False
    if not parsed.drivername.startswith("sqlite"):
        return False
    database = parsed.database or ""
    return bool(database) and database != ":memory:" and not Path(database).exists()


def payload_label(text: str, feedback: str | None = None) -> str:
    """A button press or other payload ("/inform_municipality{...}") as staff read it."""
    if feedback == "up":
        return "👍 Svaret hjalp"
    if feedback == "down":
        return "👎 Svaret hjalp ikke"
    intent, _, rest = text.lstrip("/").partition("{")
    values = _json("{" + rest) if rest else {}
    if intent == "inform_municipality" and values.get("municipality"):
        return f"knap: kommune {values['municipality']}"
    if intent == "dont_know":
        return "knap: vil ikke sige"
    shown = ", ".join(str(v) for v in values.values())
    return f"knap: {intent}" + (f" ({shown})" if shown else "")

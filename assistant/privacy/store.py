"""A SQL tracker store that never persists personal data and deletes on request.

Configured in endpoints.yml (`type: assistant.privacy.store.PrivacyTrackerStore`, `url:`
any SQLAlchemy URL). Before events are written, user text (and any text that echoes it) is
redacted with :func:`assistant.privacy.redact.redact`. When a turn ran
`action_delete_conversation` ("slet samtale", the web chat's quick exit), every stored event
of that conversation is deleted instead.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from assistant.privacy.redact import redact

logger = logging.getLogger(__name__)
DELETE_ACTION = "action_delete_conversation"


def redact_event_data(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a serialised event with personal data removed."""
    data = copy.deepcopy(data)
    kind = data.get("event")
    if kind == "user":
        data["text"] = redact(data.get("text") or "")
        parse = data.get("parse_data") or {}
        if "text" in parse:
            parse["text"] = redact(parse["text"] or "")
        for entity in [*(data.get("entities") or []), *(parse.get("entities") or [])]:
            if isinstance(entity.get("value"), str):
                entity["value"] = redact(entity["value"])
        if "input_channel" in data and data.get("metadata"):
            data["metadata"] = {}
    elif kind == "bot":
        data["text"] = redact(data.get("text") or "", phones=False)
    elif kind == "slot" and isinstance(data.get("value"), str):
        data["value"] = redact(data["value"])
    return data


class PrivacyTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Domain | None = None, host: str | None = None,
                 event_broker: EventBroker | None = None, url: str | None = None,
                 **kwargs: Any) -> None:
        target = url or host or "sqlite:///var/tracker.db"
        parsed = make_url(target)
        if parsed.drivername.startswith("sqlite") and parsed.database:
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            domain=domain, dialect=parsed.drivername, host=parsed.host, port=parsed.port,
            db=parsed.database or "", username=parsed.username, password=parsed.password,
            event_broker=event_broker, query=dict(parsed.query) or None,
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            if any(isinstance(e, ActionExecuted) and e.action_name == DELETE_ACTION
                   for e in new_events):
                session.execute(delete(self.SQLEvent).where(
                    self.SQLEvent.sender_id == tracker.sender_id))
                session.commit()
                logger.info("conversation deleted on request")
                return
            for event in new_events:
                data = redact_event_data(event.as_dict())
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()

    def delete_conversation(self, sender_id: str) -> int:
        with self.session_scope() as session:
            result = session.execute(delete(self.SQLEvent).where(
                self.SQLEvent.sender_id == sender_id))
            session.commit()
            return int(result.rowcount or 0)

    def purge_older_than(self, days: float, now: float | None = None) -> int:
        """Delete conversations whose newest event is older than `days`; returns count."""
        cutoff = (now or time.time()) - days * 86400
        with self.session_scope() as session:
            latest = (select(self.SQLEvent.sender_id)
                      .group_by(self.SQLEvent.sender_id)
                      .having(func.max(self.SQLEvent.timestamp) < cutoff))
            senders = [row[0] for row in session.execute(latest)]
            for start in range(0, len(senders), 500):
                chunk = senders[start:start + 500]
                session.execute(delete(self.SQLEvent).where(
                    self.SQLEvent.sender_id.in_(chunk)))
            session.commit()
            return len(senders)

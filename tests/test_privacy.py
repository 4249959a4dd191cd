"""The privacy tracker store: what reaches the database, deletion and retention."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.privacy.redact import redact
from assistant.privacy.store import PrivacyTrackerStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain"))


@pytest.fixture
def store(tmp_path: Path, domain: Domain) -> tuple[PrivacyTrackerStore, Path]:
    db = tmp_path / "tracker.db"
    return PrivacyTrackerStore(domain=domain, url=f"sqlite:///{db}"), db


def rows(db: Path) -> list[tuple[str, str, dict]]:
    with sqlite3.connect(db) as con:
        return [(s, t, json.loads(d)) for s, t, d in
                con.execute("SELECT sender_id, type_name, data FROM events ORDER BY id")]


def save(store: PrivacyTrackerStore, tracker: DialogueStateTracker) -> None:
    asyncio.run(store.save(tracker))


@pytest.mark.parametrize(("text", "leaked", "marker"), [
    ("mit cpr er 010190-1234", "010190", "[CPR]"),
    ("cpr 0101901234 tak", "0101901234", "[CPR]"),
    ("ring til mig på 20 30 40 50", "20 30 40 50", "[telefon]"),
    ("mit nummer er +45 2030 4050", "2030 4050", "[telefon]"),
    ("skriv til anne.b@example.dk", "anne.b@example.dk", "[e-mail]"),
    ("jeg bor på Vestergade 12, 2. th, 8900 Randers", "Vestergade 12", "[adresse]"),
])
def test_redact_replaces_personal_data(text: str, leaked: str, marker: str) -> None:
    out = redact(text)
    assert leaked not in out and marker in out


def test_redact_keeps_ordinary_text() -> None:
    text = "jeg har 2 børn på 10 og 12 år og 3000 kr i gæld, hvad gør jeg"
    assert redact(text) == text


def test_stored_rows_hold_no_personal_data(store, domain: Domain) -> None:
    tracker_store, db = store
    tracker = DialogueStateTracker.from_events("abc", [
        UserUttered("mit cpr er 010190-1234 og min mail er x@y.dk",
                    intent={"name": "ask_economy", "confidence": 0.9},
                    parse_data={"text": "mit cpr er 010190-1234 og min mail er x@y.dk",
                                "intent": {"name": "ask_economy", "confidence": 0.9},
                                "entities": []}),
        SlotSet("municipality", "Strandvejen 4"),
        BotUttered("Ring til Den Sociale Retshjælp på 70 22 93 30."),
    ], slots=domain.slots)
    save(tracker_store, tracker)
    stored = json.dumps([r[2] for r in rows(db)], ensure_ascii=False)
    assert "010190" not in stored and "x@y.dk" not in stored and "Strandvejen 4" not in stored
    assert "[CPR]" in stored and "[e-mail]" in stored
    assert "70 22 93 30" in stored  # the assistant's own hotline numbers are kept
    assert "ask_economy" in stored  # the rest of the event survives


def test_delete_conversation_removes_every_event(store, domain: Domain) -> None:
    tracker_store, db = store
    keep = DialogueStateTracker.from_events("other", [UserUttered("hej")], slots=domain.slots)
    save(tracker_store, keep)
    tracker = DialogueStateTracker.from_events("me", [UserUttered("hej")], slots=domain.slots)
    save(tracker_store, tracker)
    assert {r[0] for r in rows(db)} == {"me", "other"}
    tracker.update(UserUttered("slet samtale"))
    tracker.update(ActionExecuted("action_delete_conversation"))
    save(tracker_store, tracker)
    assert {r[0] for r in rows(db)} == {"other"}
    assert asyncio.run(tracker_store.retrieve("me")) is None


def test_purge_deletes_only_expired_conversations(store, domain: Domain) -> None:
    tracker_store, db = store
    old = DialogueStateTracker.from_events(
        "old", [UserUttered("hej", timestamp=time.time() - 40 * 86400)], slots=domain.slots)
    new = DialogueStateTracker.from_events("new", [UserUttered("hej")], slots=domain.slots)
    save(tracker_store, old)
    save(tracker_store, new)
    assert tracker_store.purge_older_than(30) == 1
    assert {r[0] for r in rows(db)} == {"new"}
    assert tracker_store.purge_older_than(30) == 0

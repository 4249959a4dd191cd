"""Realistic conversations for the staff tools' tests, saved through the real
PrivacyTrackerStore.save with realistic Rasa events (the shapes `rasa run` stores: parse
data with intent ranking, form slot events, action_fallback, the widget's /feedback).

`seeded` holds six conversations at fixed Danish times; EXPECTED describes them, and every
test compares against it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.privacy.store import PrivacyTrackerStore
from assistant.staff.conversations import TZ

D1, D2, D3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)


def at(day: date, hour: int, minute: int = 0, second: float = 0.0) -> float:
    """A timestamp at Danish local time."""
    return datetime(day.year, day.month, day.day, hour, minute, int(second),
                    int((second % 1) * 1e6), tzinfo=TZ).timestamp()


@dataclass
class Conversation:
    """Builds the events one Rasa turn at a time, like the Rasa server stores them."""

    sender: str
    clock: float
    events: list[Event] = field(default_factory=list)

    def _tick(self) -> float:
        self.clock += 0.5
        return self.clock

    def start(self) -> Conversation:
        self.events.append(ActionExecuted("action_session_start", timestamp=self._tick()))
        self.events.append(ActionExecuted("action_listen", timestamp=self._tick()))
        return self

    def user(self, text: str, intent: str, confidence: float = 0.97,
             ranking: list[tuple[str, float]] | None = None,
             entities: list[dict[str, Any]] | None = None) -> Conversation:
        ranking = ranking or [(intent, confidence), ("out_of_scope", 0.01)]
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        }
        self.events.append(UserUttered(text, intent=parse["intent"], entities=entities or [],
                                       parse_data=parse, input_channel="rest",
                                       timestamp=self._tick()))
        return self

    def action(self, name: str) -> Conversation:
        self.events.append(ActionExecuted(name, policy="RulePolicy", confidence=1.0,
                                          timestamp=self._tick()))
        return self

    def bot(self, text: str, response: str = "utter_x",
            buttons: list[dict[str, str]] | None = None) -> Conversation:
        self.action(response)
        self.events.append(BotUttered(text, data={"buttons": buttons} if buttons else {},
                                      metadata={"utter_action": response},
                                      timestamp=self._tick()))
        return self.action("action_listen")

    def slot(self, name: str, value: Any) -> Conversation:
        self.events.append(SlotSet(name, value, timestamp=self._tick()))
        return self


def municipality_form(c: Conversation, answer: str, value: str | None) -> Conversation:
    """The municipality question and its answer, as the form stores them."""
    c.action("municipality_form").slot("requested_slot", "municipality")
    c.bot("Hvilken kommune bor du i?", "utter_ask_municipality",
          buttons=[{"title": "Randers", "payload": '/inform_municipality{"municipality":'
                                                    '"Randers"}'}])
    entities = [{"entity": "municipality", "value": value, "start": 0, "end": len(answer)}] \
        if value and value != "ukendt" else []
    intent = "dont_know" if value == "ukendt" else "inform_municipality"
    c.user(answer, intent, 0.99, entities=entities)
    c.slot("municipality", value).action("municipality_form")
    c.slot("municipality", value).slot("requested_slot", None)
    return c


def build_seed() -> list[Conversation]:
    housing = Conversation("bolig-randers-0001", at(D1, 10, 5)).start()
    housing.user("hej", "greet", 0.96).bot("Hej, og velkommen.", "utter_greet")
    housing.user("jeg er blevet smidt ud af min lejlighed", "ask_housing", 0.99)
    housing.action("action_set_topic").slot("topic", "housing")
    municipality_form(housing, "Randers", "Randers")
    housing.bot("Randers Kommune: Housing First.", "utter_municipal_statement")
    housing.user('/feedback{"value":"up"}', "feedback", 1.0,
                 entities=[{"entity": "value", "value": "up"}])
    housing.bot("Tak for din tilbagemelding.", "utter_feedback_thanks")

    fallback = Conversation("fallback-ned-0002", at(D1, 14, 30)).start()
    fallback.user("kan jeg få noget", "nlu_fallback", 0.3,
                  ranking=[("nlu_fallback", 0.3), ("ask_human", 0.1), ("ask_loneliness", 0.08)])
    fallback.action("action_fallback")
    fallback.bot("Det her har jeg fundet, som måske kan hjælpe.", "utter_fallback_suggest",
                 buttons=[{"title": "Tal med et menneske", "payload": "/ask_human"}])
    fallback.user('/feedback{"value":"down"}', "feedback", 1.0,
                  entities=[{"entity": "value", "value": "down"}])
    fallback.bot("Tak for din tilbagemelding.", "utter_feedback_thanks")

    crisis = Conversation("krise-0003", at(D2, 22, 10)).start()
    crisis.user("jeg vil ikke leve mere", "suicidal_crisis", 1.0)
    crisis.bot("Ring 112. Livslinien 70 201 201.", "utter_suicidal_crisis")

    # 00:30 Danish time on D3 is 23:30 UTC on D2: it must count as D3.
    economy = Conversation("oekonomi-0004", at(D3, 0, 30)).start()
    economy.user("bil og penge", "ask_economy", 0.42,
                 ranking=[("ask_economy", 0.42), ("ask_housing", 0.2)])
    economy.action("action_set_topic").slot("topic", "economy")
    municipality_form(economy, "det vil jeg ikke sige", "ukendt")
    economy.bot("Gratis rådgivning om gæld.", "utter_topic_economy")

    violence = Conversation("vold-aarhus-0005", at(D3, 9, 30)).start()
    violence.user("min mand slår mig, mit cpr er 010190-1234", "ask_violence", 0.95)
    violence.bot("Lev Uden Vold: 1888.", "utter_topic_violence")
    violence.user("han står udenfor med en kniv", "emergency", 1.0)
    violence.bot("Ring 112.", "utter_emergency")
    violence.user("jeg bor i Aarhus", "inform_municipality", 0.98,
                  entities=[{"entity": "municipality", "value": "Aarhus"}])
    violence.slot("municipality", "Aarhus").action("action_municipality_changed")

    greeting = Conversation("hilsen-0006", at(D3, 9, 45)).start()
    greeting.user("hej", "greet", 0.96).bot("Hej, og velkommen.", "utter_greet")
    greeting.user("hvad med det andet", "ask_anonymity", 0.34,
                  ranking=[("ask_anonymity", 0.34), ("ask_capabilities", 0.23)])
    greeting.bot("Samtalen er anonym.", "utter_anonymity")
    return [housing, fallback, crisis, economy, violence, greeting]


# What the six conversations are, for assertions.
EXPECTED = {
    "bolig-randers-0001": {"flags": set(), "topics": ["housing"], "municipality": "Randers"},
    "fallback-ned-0002": {"flags": {"fallback", "low-confidence", "thumbs-down"},
                          "topics": [], "municipality": None},
    "krise-0003": {"flags": {"crisis"}, "topics": [], "municipality": None},
    "oekonomi-0004": {"flags": {"low-confidence"}, "topics": ["economy"],
                      "municipality": "ukendt"},
    "vold-aarhus-0005": {"flags": {"crisis"}, "topics": ["violence"], "municipality": "Aarhus"},
    "hilsen-0006": {"flags": {"low-confidence"}, "topics": [], "municipality": None},
}
NEWEST_FIRST = ["hilsen-0006", "vold-aarhus-0005", "oekonomi-0004", "krise-0003",
                "fallback-ned-0002", "bolig-randers-0001"]


def save_all(store: PrivacyTrackerStore, conversations: list[Conversation],
             domain: Domain) -> None:
    for conversation in conversations:
        tracker = DialogueStateTracker.from_events(conversation.sender, conversation.events,
                                                   slots=domain.slots)
        asyncio.run(store.save(tracker))

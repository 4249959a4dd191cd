"""Two-stage fallback: knowledge-base answer or likely topics first, then a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import SafeAction, send
from assistant.dialogue.answers import TOPIC_INTENTS, Phrases, Reply, known_municipality
from assistant.kb.topic_prior import prior_from_intents
from assistant.runtime import knowledge_base

KB_ANSWER_MIN_SCORE = 6.0
MAX_SUGGESTIONS = 3


def _previous_user_intent(tracker: Tracker) -> str | None:
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    return (users[-2].get("parse_data") or {}).get("intent", {}).get("name")


class ActionFallback(SafeAction):
    def name(self) -> str:
        return "action_fallback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        if _previous_user_intent(tracker) == "nlu_fallback":
            send(dispatcher, [Reply("utter_fallback_human")])
            return []
        kb = knowledge_base()
        text = tracker.latest_message.get("text") or ""
        municipality = known_municipality(tracker.get_slot("municipality"))
        # The NLU's intent ranking as the topic prior: it ranks topic intents low for an
        # off-topic message, which then stays below the answer threshold as before.
        prior = prior_from_intents(tracker.latest_message.get("intent_ranking") or [],
                                   TOPIC_INTENTS)
        hits = kb.search(text, municipality=municipality, k=1, topic_prior=prior)
        buttons = self._topic_buttons(tracker, kb, Phrases(domain))
        if hits and hits[0].score >= KB_ANSWER_MIN_SCORE:
            p = hits[0].passage
            send(dispatcher, [Reply("utter_kb_answer", {
                "title": p.title, "statement": p.text, "citation": p.citation}, buttons)])
        else:
            send(dispatcher, [Reply("utter_fallback_suggest", buttons=buttons)])
        return []

    @staticmethod
    def _topic_buttons(tracker: Tracker, kb: Any, phrases: Phrases) -> list[dict[str, str]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        buttons = []
        for entry in ranking:
            intent = entry.get("name")
            topic = TOPIC_INTENTS.get(intent or "")
            if topic and topic in kb.topics:
                buttons.append({"title": kb.topics[topic].name, "payload": f"/{intent}"})
            if len(buttons) == MAX_SUGGESTIONS:
                break
        buttons.append({"title": phrases.get("utter_fallback_topic_button"),
                        "payload": "/ask_human"})
        return buttons

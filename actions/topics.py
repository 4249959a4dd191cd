"""Topic questions: remember the topic, then answer from the knowledge base."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import SafeAction, send
from assistant.dialogue import answers
from assistant.dialogue.about import about_someone_else
from assistant.dialogue.hours import now
from assistant.runtime import knowledge_base


def _mentioned_municipalities(tracker: Tracker) -> list[str]:
    values = [e.get("value") for e in tracker.latest_message.get("entities", [])
              if e.get("entity") == "municipality"]
    return list(dict.fromkeys(v for v in values if v))


class ActionSetTopic(SafeAction):
    """Stores the topic of a topic intent and whether the person writes about someone else."""

    def name(self) -> str:
        return "action_set_topic"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        topic = answers.TOPIC_INTENTS.get(intent or "")
        text = tracker.latest_message.get("text") or ""
        events = [SlotSet("about_other", about_someone_else(text))]
        if topic:
            events.append(SlotSet("topic", topic))
        return events


class ActionAnswer(SafeAction):
    """Answers the current topic for the person's municipality (or national help)."""

    def name(self) -> str:
        return "action_answer"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        kb = knowledge_base()
        phrases = answers.Phrases(domain)
        topic = tracker.get_slot("topic") or "general"
        municipality = tracker.get_slot("municipality")
        question = _last_user_question(tracker)
        if topic == "human":
            replies = answers.handoff_answer(kb, municipality, phrases, now())
        elif topic == "general":
            replies = answers.policy_answer(kb, municipality, question)
        elif topic == "violence":
            replies = answers.violence_answer(kb, municipality, phrases)
        else:
            named = _mentioned_in_question(tracker)
            if len(named) > 1:
                replies = [answers.Reply(f"utter_topic_{topic}"),
                           *answers.compare_answer(kb, topic, named),
                           *answers.services_part(kb, topic, None, phrases),
                           answers.Reply(f"utter_next_{topic}")]
            else:
                replies = answers.topic_answer(kb, topic, municipality,
                                               bool(tracker.get_slot("about_other")), phrases)
        send(dispatcher, replies)
        return []


class ActionAnswerViolence(SafeAction):
    """Violence (not acute) is answered at once, without asking where the person lives."""

    def name(self) -> str:
        return "action_answer_violence"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        replies = answers.violence_answer(knowledge_base(), tracker.get_slot("municipality"),
                                          answers.Phrases(domain))
        send(dispatcher, replies)
        return [SlotSet("topic", "violence")]


def _user_events(tracker: Tracker) -> list[dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def _last_user_question(tracker: Tracker) -> str:
    """The text of the latest topic question (not the municipality answer after it)."""
    for event in reversed(_user_events(tracker)):
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent in answers.TOPIC_INTENTS:
            return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


def _mentioned_in_question(tracker: Tracker) -> list[str]:
    for event in reversed(_user_events(tracker)):
        parse = event.get("parse_data") or {}
        if parse.get("intent", {}).get("name") in answers.TOPIC_INTENTS:
            values = [e.get("value") for e in parse.get("entities", [])
                      if e.get("entity") == "municipality"]
            return list(dict.fromkeys(v for v in values if v))
    return _mentioned_municipalities(tracker)

"""Asking for, validating and changing the person's municipality."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SafeAction
from actions.topics import ActionAnswer
from assistant.dialogue.answers import DECLINED
from assistant.nlu.municipality import default_matcher


def _buttons(names: list[str]) -> list[dict[str, str]]:
    return [{"title": n, "payload": f'/inform_municipality{{"municipality":"{n}"}}'}
            for n in names]


def resolve(value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """Official name for `value`, or None after telling the person what went wrong."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return None
    if value == DECLINED:
        return DECLINED
    matcher = default_matcher()
    name = matcher.normalise(value)
    if name:
        return name
    shown = value.strip()[:60]
    suggestions = matcher.suggest(value)
    if suggestions:
        dispatcher.utter_message(response="utter_municipality_did_you_mean",
                                 buttons=_buttons(suggestions), value=shown)
    else:
        dispatcher.utter_message(response="utter_municipality_unknown", value=shown)
    return None


class ValidateMunicipalityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_municipality_form"

    def validate_municipality(self, slot_value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        name = resolve(slot_value, dispatcher)
        if name == DECLINED:
            dispatcher.utter_message(response="utter_municipality_declined")
        return {"municipality": name}


class ActionMunicipalityChanged(SafeAction):
    """"Jeg bor faktisk i Aarhus": note the new municipality and re-answer the topic."""

    def name(self) -> str:
        return "action_municipality_changed"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        entities = [e.get("value") for e in tracker.latest_message.get("entities", [])
                    if e.get("entity") == "municipality"]
        value = entities[-1] if entities else tracker.latest_message.get("text")
        name = resolve(value, dispatcher)
        if not name or name == DECLINED:
            return []
        dispatcher.utter_message(response="utter_municipality_noted", municipality=name)
        events: list[dict[str, Any]] = [SlotSet("municipality", name)]
        if tracker.get_slot("topic"):
            updated = tracker.copy()
            updated.slots["municipality"] = name
            ActionAnswer().act(dispatcher, updated, domain)
        return events

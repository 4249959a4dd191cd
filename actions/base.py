"""Shared action base: failure-safe, and the replies → dispatcher plumbing."""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant.dialogue.answers import Reply

logger = logging.getLogger(__name__)


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(response=reply.response, buttons=reply.buttons or [],
                                 **reply.values)


class SafeAction(Action, abc.ABC):
    """Runs `act`; on any error the person still gets 112 and the hotlines.

    Abstract, so the SDK does not register it as an action. The error is logged without
    the user's text.
    """

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return self.act(dispatcher, tracker, domain)
        except Exception as err:  # noqa: BLE001 - any failure must still help the person
            logger.error("action %s failed: %s", self.name(), err.__class__.__name__,
                         exc_info=logger.isEnabledFor(logging.DEBUG))
            dispatcher.messages.clear()
            dispatcher.utter_message(response="utter_safe_error")
            return []

""""Slet samtale": the privacy tracker store deletes the stored conversation when it sees
this action (see assistant.privacy); here the person is told and the session restarts."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted
from rasa_sdk.executor import CollectingDispatcher


class ActionDeleteConversation(Action):
    def name(self) -> str:
        return "action_delete_conversation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_conversation_deleted")
        return [Restarted()]

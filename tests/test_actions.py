"""Custom actions against the real domain and a real temporary knowledge base."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallback
from actions.municipality import ActionMunicipalityChanged, ValidateMunicipalityForm
from actions.privacy import ActionDeleteConversation
from actions.topics import ActionAnswer, ActionAnswerViolence, ActionSetTopic
from assistant import runtime
from assistant.kb.db import make_engine
from assistant.kb.loader import load_knowledge
from assistant.kb.repository import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain")).as_dict()


@pytest.fixture(scope="module")
def action_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}")
    load_knowledge(engine, ROOT / "data" / "knowledge")
    kb = KnowledgeBase.from_engine(engine)
    engine.dispose()
    return kb


@pytest.fixture(autouse=True)
def use_kb(action_kb: KnowledgeBase):
    runtime.use_knowledge_base(action_kb)
    yield
    runtime.use_knowledge_base(None)


def user_event(text: str, intent: str, entities: list[dict] | None = None,
               ranking: list[dict] | None = None) -> dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9},
             "entities": entities or [], "intent_ranking": ranking or []}
    return {"event": "user", "text": text, "parse_data": parse}


def tracker(*events: dict[str, Any], **slots: Any) -> Tracker:
    users = [e for e in events if e["event"] == "user"]
    latest = users[-1]["parse_data"] if users else {}
    return Tracker("test", slots, latest, list(events), False, None, None, "action_listen")


def run(action: Any, t: Tracker, domain: dict) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, domain)
    return dispatcher.messages, events


def keys(messages: list[dict]) -> list[str]:
    return [m["response"] for m in messages]


def test_every_response_an_action_sends_exists(domain: dict) -> None:
    t = tracker(user_event("jeg er hjemløs", "ask_housing"), topic="housing",
                municipality="Randers", about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    assert messages
    assert set(keys(messages)) <= set(domain["responses"])


def test_housing_answer_for_randers_cites_the_policy(domain: dict) -> None:
    t = tracker(user_event("hvad gør I for hjemløse", "ask_housing"), topic="housing",
                municipality="Randers", about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    assert keys(messages)[0] == "utter_topic_housing"
    statements = [m for m in messages if m["response"] == "utter_municipal_statement"]
    assert statements and all("Randers" in m["citation"] for m in statements)
    assert all("afsnit" in m["citation"] for m in statements)
    assert keys(messages)[-1] == "utter_next_housing"


def test_unknown_municipality_gets_national_help_only(domain: dict) -> None:
    t = tracker(user_event("jeg har gæld", "ask_economy"), topic="economy",
                municipality="ukendt", about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    assert "utter_municipal_statement" not in keys(messages)
    lines = " ".join(m.get("lines", "") for m in messages)
    assert "70 22 93 30" in lines  # Den Sociale Retshjælp


def test_municipality_without_policy_is_told_honestly(domain: dict) -> None:
    t = tracker(user_event("jeg er ensom", "ask_loneliness"), topic="loneliness",
                municipality="Aarhus", about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    assert "utter_municipality_not_in_kb" in keys(messages)
    assert "utter_service_list" in keys(messages)


def test_relative_framing(domain: dict) -> None:
    t = tracker(user_event("min søn drikker", "ask_addiction"), topic="addiction",
                municipality="Norddjurs", about_other=True)
    messages, _ = run(ActionAnswer(), t, domain)
    assert keys(messages)[:2] == ["utter_topic_addiction", "utter_relative_intro"]


def test_set_topic_notices_someone_else(domain: dict) -> None:
    t = tracker(user_event("min veninde er blevet smidt ud", "ask_housing"))
    _, events = run(ActionSetTopic(), t, domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots == {"topic": "housing", "about_other": True}


def test_comparing_two_municipalities(domain: dict) -> None:
    ents = [{"entity": "municipality", "value": "Randers"},
            {"entity": "municipality", "value": "Sønderborg"}]
    t = tracker(user_event("hvad gør Randers og Sønderborg for hjemløse", "ask_housing", ents),
                topic="housing", municipality=None, about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    cited = {m["municipality"] for m in messages if m["response"] == "utter_municipal_statement"}
    assert cited == {"Randers", "Sønderborg"}


def test_violence_puts_the_hotline_first_and_asks_nothing(domain: dict) -> None:
    t = tracker(user_event("min kæreste slår mig", "ask_violence"), municipality=None)
    messages, events = run(ActionAnswerViolence(), t, domain)
    first_list = next(m for m in messages if m["response"] == "utter_service_list")
    assert "1888" in first_list["lines"].splitlines()[0]
    assert "utter_violence_quick_exit" in keys(messages)
    assert "utter_ask_municipality" not in keys(messages)
    assert {"event": "slot", "name": "topic", "value": "violence", "timestamp": None} in events


def test_policy_question_answers_with_a_citation(domain: dict) -> None:
    t = tracker(user_event("hvad er visionen i socialpolitikken", "ask_policy"),
                topic="general", municipality="Sønderborg", about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    assert keys(messages)[0] == "utter_policy_document"
    assert "Sønderborg" in messages[0]["citation"]


def test_handoff_without_known_contact_offers_24h_lines(domain: dict) -> None:
    t = tracker(user_event("kan jeg tale med et menneske", "ask_human"), topic="human",
                municipality="ukendt", about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    assert "utter_topic_human" in keys(messages)
    assert any("1888" in m.get("lines", "") for m in messages)


@pytest.mark.parametrize(("typed", "expected"), [
    ("sonderborg", "Sønderborg"), ("Høje Taastrup kommune", "Høje-Taastrup"),
    ("randres", "Randers"), ("ukendt", "ukendt"),
])
def test_form_accepts_municipalities_as_typed(domain: dict, typed: str, expected: str) -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateMunicipalityForm().validate_municipality(
        typed, dispatcher, tracker(), domain)
    assert result == {"municipality": expected}


def test_form_rejects_unknown_text_with_a_danish_message(domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateMunicipalityForm().validate_municipality(
        "xqzzy", dispatcher, tracker(), domain)
    assert result == {"municipality": None}
    assert dispatcher.messages[0]["response"] == "utter_municipality_unknown"


def test_form_suggests_close_names_as_buttons(domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateMunicipalityForm().validate_municipality(
        "sønder", dispatcher, tracker(), domain)
    assert result == {"municipality": None}
    message = dispatcher.messages[0]
    assert message["response"] == "utter_municipality_did_you_mean"
    assert "Sønderborg" in [b["title"] for b in message["buttons"]]


def test_changing_municipality_reanswers_the_topic(domain: dict) -> None:
    ents = [{"entity": "municipality", "value": "Halsnæs"}]
    t = tracker(user_event("jeg bor faktisk i Halsnæs", "inform_municipality", ents),
                topic="housing", municipality="Randers", about_other=False)
    messages, events = run(ActionMunicipalityChanged(), t, domain)
    assert keys(messages)[0] == "utter_municipality_noted"
    assert "utter_topic_housing" in keys(messages)
    assert any(m.get("municipality") == "Halsnæs" for m in messages[1:])
    assert events[0]["value"] == "Halsnæs"


def test_fallback_suggests_topics_then_offers_a_person(domain: dict) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4},
               {"name": "ask_economy", "confidence": 0.3},
               {"name": "ask_housing", "confidence": 0.2}]
    first = user_event("øhh det med pengene og lejligheden", "nlu_fallback", ranking=ranking)
    messages, _ = run(ActionFallback(), tracker(first), domain)
    buttons = messages[0]["buttons"]
    assert messages[0]["response"] in {"utter_fallback_suggest", "utter_kb_answer"}
    assert buttons[-1]["payload"] == "/ask_human"
    assert "/ask_economy" in [b["payload"] for b in buttons]
    second = user_event("ved ikke hvordan jeg skal sige det", "nlu_fallback", ranking=ranking)
    messages, _ = run(ActionFallback(), tracker(first, second), domain)
    assert keys(messages) == ["utter_fallback_human"]


def test_delete_conversation_restarts(domain: dict) -> None:
    messages, events = run(ActionDeleteConversation(), tracker(), domain)
    assert keys(messages) == ["utter_conversation_deleted"]
    assert events[0]["event"] == "restart"


def test_failure_still_gives_112_and_logs_no_user_text(
        domain: dict, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime.use_knowledge_base(None)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    secret = "mit cpr er 010190-1234 og jeg er hjemløs"
    t = tracker(user_event(secret, "ask_housing"), topic="housing", municipality="Randers")
    with caplog.at_level(logging.INFO):
        messages, events = run(ActionAnswer(), t, domain)
    assert keys(messages) == ["utter_safe_error"]
    text = domain["responses"]["utter_safe_error"][0]["text"]
    assert "112" in text and "1888" in text
    assert events == []
    assert "010190" not in caplog.text and "hjemløs" not in caplog.text
    assert "action_answer failed" in caplog.text


RESERVED = {"text", "buttons", "image", "elements", "attachment", "quick_replies", "custom",
            "response", "json_message"}


@pytest.mark.parametrize(("topic", "municipality"), [
    ("housing", "Randers"), ("general", "Halsnæs"), ("human", "Halsnæs"),
    ("economy", "Aarhus"), ("violence", "Norddjurs"),
])
def test_template_values_never_overwrite_message_fields(
        domain: dict, topic: str, municipality: str) -> None:
    """Rasa copies template values into the message: a value named `text` would replace
    the whole filled-in response."""
    t = tracker(user_event("hej", "ask_housing"), topic=topic, municipality=municipality,
                about_other=False)
    messages, _ = run(ActionAnswer(), t, domain)
    for message in messages:
        filled = {key for key, value in message.items() if value}
        assert not RESERVED & (filled - {"response", "buttons"}), message

"""Understanding with the real trained model (run by `make stories`, after training)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.launcher import latest_model

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def parse():
    from rasa.core.agent import Agent

    model = latest_model(ROOT / "models")
    if model is None:
        pytest.fail("no trained model in models/: run 'make train' first")
    agent = Agent.load(str(model))

    def run(text: str) -> dict:
        return asyncio.run(agent.parse_message(text))

    return run


@pytest.mark.parametrize(("text", "value"), [
    ("jeg bor i sonderborg", "Sønderborg"),
    ("Høje Taastrup Kommune", "Høje-Taastrup"),
    ("randres", "Randers"),
    ("vi bor på Bornholm", "Bornholm"),
])
def test_municipality_entity_is_normalised(parse, text: str, value: str) -> None:
    entities = [e for e in parse(text)["entities"] if e["entity"] == "municipality"]
    assert [e["value"] for e in entities] == [value]


@pytest.mark.parametrize(("text", "intent"), [
    ("hjælp han slår mig lige nu", "emergency"),
    ("han står udenfor døren med en kniv", "emergency"),
    ("jeg vil ikke leve mere", "suicidal_crisis"),
    ("min søn taler om at tage sit eget liv", "suicidal_crisis"),
])
def test_crisis_is_recognised(parse, text: str, intent: str) -> None:
    assert parse(text)["intent"]["name"] == intent


def test_lawn_mowing_is_not_a_crisis(parse) -> None:
    result = parse("kan kommunen hjælpe mig med at få slået græsset, jeg er 82")
    assert result["intent"]["name"] not in {"emergency", "suicidal_crisis", "ask_violence"}


@pytest.mark.parametrize(("text", "intent"), [
    ("jeg er hjemlos og sover i min bil", "ask_housing"),
    ("jeg har stor gaeld og kan ikke betale regningerne", "ask_economy"),
    ("min kæreste kontrollerer min telefon og mine penge", "ask_violence"),
    ("hvornår bliver mit storskrald hentet", "out_of_scope"),
])
def test_topics_without_aeoeaa(parse, text: str, intent: str) -> None:
    assert parse(text)["intent"]["name"] == intent


@pytest.mark.parametrize(("text", "intent"), [
    ("jeg bor i Randers", "inform_municipality"),
    ("Sønderborg kommune", "inform_municipality"),
    ("kan man gå til AA møder i Herning", "ask_addiction"),
    ("gældsrådgivning i Vejle kommune", "ask_economy"),
])
def test_a_municipality_with_a_question_is_the_question(parse, text: str, intent: str) -> None:
    result = parse(text)
    assert result["intent"]["name"] == intent
    assert [e["entity"] for e in result["entities"]] == ["municipality"]

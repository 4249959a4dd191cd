"""The classifier's crisis guess gives way on a reviewed false friend ("slå græsset"), and
its emergency guess on a message that says the danger is not now."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from assistant.nlu.components import CrisisPatternClassifier
from assistant.nlu.crisis import PATTERNS_FILE, CrisisDetector


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector.from_file(PATTERNS_FILE)


def classified(text: str, *ranking: tuple[str, float]) -> Message:
    entries = [{"name": n, "confidence": c} for n, c in ranking]
    return Message(data={"text": text, "intent": entries[0], "intent_ranking": entries})


@pytest.mark.parametrize("text", [
    "kan i komme og slaa graesset hos mig, jeg er 84 og kan ikke selv",
    "jeg dør af grin over jeres svar",
    "vi har et kursus om forebyggelse af selvmord blandt unge",
    "i can not find apartment please help",
])
def test_false_friends_are_recognised(detector, text):
    assert detector.false_friend(text)


@pytest.mark.parametrize("text", ["han slår mig", "jeg vil ikke leve mere", "hej",
                                  "need a place to stay now he hits me"])
def test_ordinary_messages_are_not_false_friends(detector, text):
    assert not detector.false_friend(text)


def test_a_crisis_guess_on_lawn_mowing_gives_way(detector):
    message = classified("kan i komme og slaa graesset hos mig, jeg er 84 og kan ikke selv",
                         ("emergency", 0.6), ("suicidal_crisis", 0.2), ("out_of_scope", 0.1))
    CrisisPatternClassifier(detector).process([message])
    assert message.get("intent")["name"] == "out_of_scope"
    assert [r["name"] for r in message.get("intent_ranking")] == [
        "out_of_scope", "emergency", "suicidal_crisis"]
    assert message.get("crisis_false_friend") is True


def test_a_pattern_match_wins_over_the_false_friend(detector):
    message = classified("han slår græsset og nu slår han mig", ("out_of_scope", 0.7))
    CrisisPatternClassifier(detector).process([message])
    assert message.get("intent")["name"] == "emergency"


def test_a_crisis_guess_without_a_false_friend_stays(detector):
    message = classified("jeg orker ikke noget som helst", ("suicidal_crisis", 0.5),
                         ("ask_mental_health", 0.4))
    CrisisPatternClassifier(detector).process([message])
    assert message.get("intent")["name"] == "suicidal_crisis"


@pytest.mark.parametrize("text", [
    "hvordan dræber man bladlus paa roserne",
    "maa man skyde fotos med drone over havnen",
    "jeg er ved at dø af kedsomhed i det her venteværelse",
])
def test_pests_photos_and_boredom_are_false_friends(detector, text):
    assert detector.detect(text) is None
    assert detector.false_friend(text)


@pytest.mark.parametrize("text", [
    "han følger efter mig og står udenfor min arbejdsplads flere gange om ugen",
    "min far truede min mor for mange år siden",
    "ikke lige nu",
    "der er vold hjemme hos os, men ikke lige nu, han sover",
    "min veninde har blåt øje hver anden uge og siger hun er faldet",
])
def test_an_emergency_guess_on_something_that_is_not_now_gives_way(detector, text):
    assert detector.detect(text) is None and detector.not_acute(text)
    message = classified(text, ("emergency", 0.6), ("ask_violence", 0.3))
    CrisisPatternClassifier(detector).process([message])
    assert message.get("intent")["name"] == "ask_violence"


@pytest.mark.parametrize("text", [
    "han står udenfor min dør lige nu og har gjort det flere gange",
    "det er sket flere gange, ring til politiet",
])
def test_now_words_keep_the_emergency_guess(detector, text):
    assert not detector.not_acute(text)


def test_a_suicidal_guess_is_never_changed_for_not_acute(detector):
    text = "jeg har tit tænkt at jeg ikke gider mere"
    assert detector.not_acute(text)
    message = classified(text, ("suicidal_crisis", 0.5), ("ask_mental_health", 0.4))
    CrisisPatternClassifier(detector).process([message])
    assert message.get("intent")["name"] == "suicidal_crisis"

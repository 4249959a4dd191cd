"""assistant.datacheck.check: which `rasa data validate` warnings are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.datacheck import check, responses_used_by_code

PREFIX = "/work/main/.venv/lib/python3.10/site-packages/rasa/validator.py:216: UserWarning: "


def unused(name: str) -> str:
    return f"{PREFIX}The utterance '{name}' is not used in any story or rule."


@pytest.fixture
def live_check():
    """check() must reject something, or 'accepted' below would mean nothing."""
    assert check(unused("utter_surely_not_sent_by_any_code"))
    return check


def test_code_references_are_found():
    names, prefixes = responses_used_by_code()
    # Sent by assistant/dialogue/answers.py and actions/*.py.
    assert {"utter_municipal_statement", "utter_service_list", "utter_human_open",
            "utter_part_phone", "utter_violence_quick_exit"} <= names
    assert {"utter_topic_", "utter_next_"} <= prefixes


@pytest.mark.parametrize("name", [
    "utter_municipal_statement",      # literal in answers.py
    "utter_municipality_not_in_kb",
    "utter_human_closed",
    "utter_part_anonymous",           # read through Phrases
    "utter_topic_housing",            # f"utter_topic_{topic}"
    "utter_next_economy",             # f"utter_next_{topic}"
    "utter_ask_municipality",         # a form question Rasa sends itself
    "utter_default",
])
def test_unused_warning_accepted_for_responses_sent_by_code(live_check, name):
    assert live_check(unused(name)) == []


@pytest.mark.parametrize("name", ["utter_forgotten_text", "utter_greet_old", "utter_topicx"])
def test_unused_warning_rejected_for_other_responses(name):
    problems = check(unused(name))
    assert len(problems) == 1
    assert name in problems[0]


@pytest.mark.parametrize("line, expected", [
    (f"{PREFIX}The intent 'ask_weather' is not used in any story or rule.", "ask_weather"),
    (f"{PREFIX}Found inconsistent slot mapping for slot 'municipality'.", "slot mapping"),
    ("2026-11-23 18:00:00 WARNING  rasa.validator  - Issue found in 'data/stories.yml': "
     "story 'x' uses action 'utter_nope'", "utter_nope"),
    ("2026-11-23 18:00:00 WARNING  rasa.shared.utils.common  - The UnexpecTEDIntentPolicy is "
     "currently experimental", "experimental"),
])
def test_other_warnings_are_rejected(line, expected):
    problems = check(line)
    assert len(problems) == 1
    assert expected in problems[0]


def test_noise_and_plain_output_are_ignored(live_check):
    output = "\n".join([
        "2026-11-23 18:00:00 INFO     rasa.validator  - Validating intents...",
        "/x/site-packages/pkg_resources/__init__.py:121: UserWarning: pkg_resources is "
        "deprecated as an API",
        "  rasa.shared.utils.io.raise_warning(",
        "",
    ])
    assert check(output) == []


def test_mixed_output_reports_only_the_real_problems():
    output = "\n".join([
        unused("utter_municipal_statement"),
        unused("utter_topic_violence"),
        unused("utter_orphan"),
        f"{PREFIX}The intent 'ask_weather' is not used in any story or rule.",
        "INFO     rasa.validator  - Validating utterances...",
    ])
    problems = check(output)
    assert len(problems) == 2
    assert any("utter_orphan" in p for p in problems)
    assert any("ask_weather" in p for p in problems)


def test_references_come_from_the_given_root(tmp_path: Path):
    (tmp_path / "actions").mkdir()
    (tmp_path / "assistant" / "dialogue").mkdir(parents=True)
    (tmp_path / "actions" / "a.py").write_text(
        'dispatcher.utter_message(response="utter_only_here")\n'
        'name = f"utter_family_{kind}"\n', encoding="utf-8")
    assert check(unused("utter_only_here"), root=tmp_path) == []
    assert check(unused("utter_family_x"), root=tmp_path) == []
    assert len(check(unused("utter_municipal_statement"), root=tmp_path)) == 1

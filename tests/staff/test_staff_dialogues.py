"""`make test-dialogues`: Rasa's failed_test_stories.yml read back into a plain Danish
summary. The unit tests use a file exactly as `rasa test core --e2e` wrote it; the model
test runs the real command on a new test file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.staff.dialogues import (
    domain_texts,
    nlu_files,
    parse_failed_stories,
    story_messages,
    summarise,
)

# Written by `rasa test core --e2e` (Rasa 3.6.21) for the stories in STORIES below.
FAILED = """\
version: "3.1"
stories:
- story: hilsen med forkert svar (/tmp/dialogues-x/test_01_mine.yml)
  steps:
  - intent: greet
  - action: utter_goodbye  # predicted: utter_greet
  - action: action_listen  # predicted: action_default_fallback
  - intent: thank
  - action: utter_thank
- story: 'farvel: forkert forstået (/tmp/dialogues-x/test_01_mine.yml)'
  steps:
  - intent: greet
  - action: utter_greet
  - intent: goodbye  # predicted: thank: tak for hjælpen, farvel
  - action: utter_goodbye
"""
STORIES = """\
version: "3.1"
stories:
  - story: hilsen med forkert svar
    steps:
      - user: |
          hej
        intent: greet
      - action: utter_goodbye
      - user: |
          tak
        intent: thank
      - action: utter_thank
  - story: "farvel: forkert forstået"
    steps:
      - user: |
          hej
        intent: greet
      - action: utter_greet
      - user: |
          tak for hjælpen, farvel
        intent: goodbye
      - action: utter_goodbye
  - story: bolig i [Randers]
    steps:
      - user: |
          jeg bor i [Randers]{"entity": "municipality"}
        intent: inform_municipality
      - action: action_municipality_changed
"""


def test_parse_wrong_actions_and_wrong_intents():
    failed = parse_failed_stories(FAILED)
    assert [s.name for s in failed] == ["hilsen med forkert svar", "farvel: forkert forstået"]
    assert failed[0].source == "/tmp/dialogues-x/test_01_mine.yml"
    first, second = failed[0].failures
    assert (first.kind, first.expected, first.predicted) == ("action", "utter_goodbye",
                                                             "utter_greet")
    assert first.message_index == 1 and not first.follow_on
    assert (second.expected, second.predicted, second.follow_on) == (
        "action_listen", "action_default_fallback", True)
    (intent,) = failed[1].failures
    assert (intent.kind, intent.expected, intent.predicted, intent.message_index) == (
        "intent", "goodbye", "thank", 2)


def test_no_failures():
    assert parse_failed_stories("# None of the test stories failed - all good!\n") == []


def test_original_messages_are_read_from_the_test_file(tmp_path: Path):
    path = tmp_path / "mine.yml"
    path.write_text(STORIES, encoding="utf-8")
    messages = story_messages(path)
    assert messages["farvel: forkert forstået"] == [("hej", "greet"),
                                                    ("tak for hjælpen, farvel", "goodbye")]
    assert messages["bolig i [Randers]"] == [("jeg bor i Randers", "inform_municipality")]


def test_danish_summary(tmp_path: Path):
    path = tmp_path / "mine.yml"
    path.write_text(STORIES, encoding="utf-8")
    text = summarise(parse_failed_stories(FAILED), 3, "tests/mine.yml", story_messages(path),
                     domain_texts(), nlu_files())
    lines = text.splitlines()
    assert lines[0] == "Testsamtaler i tests/mine.yml: 3 i alt, 1 bestået, 2 fejlet."
    assert "FEJL i testsamtalen «hilsen med forkert svar»:" in lines
    assert "  • Borgerens besked nr. 1: «hej»" in lines
    assert any(line.startswith("      Forventet handling: utter_goodbye («Pas godt på dig")
               for line in lines)
    assert any(line.startswith("      Faktisk handling:   utter_greet («Hej, og velkommen")
               for line in lines)
    assert ("      Faktisk handling:   action_default_fallback (standard-fallback – ingen "
            "regel passer her)") in lines
    assert any("følgefejl" in line for line in lines)
    assert "  • Borgerens besked nr. 2: «tak for hjælpen, farvel»" in lines
    assert "      Forventet: forstået som goodbye" in lines
    assert "      Faktisk:   forstået som thank" in lines
    assert any("eksempel under goodbye i data/nlu/basics.yml" in line for line in lines)
    assert lines[-1].startswith("Resultat: 2 testsamtaler fejlede.")


def test_summary_when_everything_passed():
    text = summarise([], 16, "tests/test_stories.yml", {}, {}, {})
    assert text.splitlines()[0] == ("Testsamtaler i tests/test_stories.yml: 16 i alt, "
                                    "16 bestået, 0 fejlet.")
    assert text.splitlines()[-1] == "Resultat: alle testsamtaler bestod."


def run_dialogues(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.staff.dialogues", *args],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)


def test_missing_and_broken_files_are_explained(tmp_path: Path):
    result = run_dialogues(str(tmp_path / "findes-ikke.yml"))
    assert result.returncode == 2 and "findes ikke" in result.stderr
    broken = tmp_path / "brudt.yml"
    broken.write_text("stories:\n  - story: x\n    steps:\n   - intent: greet\n",
                      encoding="utf-8")
    result = run_dialogues(str(broken))
    assert result.returncode == 2
    assert "er ikke gyldig YAML (linje 4" in result.stderr
    empty = tmp_path / "tom.yml"
    empty.write_text('version: "3.1"\n', encoding="utf-8")
    result = run_dialogues(str(empty))
    assert result.returncode == 2 and "ingen liste 'stories:'" in result.stderr


@pytest.mark.model
def test_real_run_on_a_new_file(tmp_path: Path):
    """A staff member's own file (not named test_*): one dialogue passes, one fails on the
    action, one on the understanding."""
    mine = tmp_path / "mine_samtaler.yml"
    mine.write_text("""\
version: "3.1"
stories:
  - story: krise først
    steps:
      - user: |
          jeg vil ikke leve mere
        intent: suicidal_crisis
      - action: utter_suicidal_crisis
  - story: robot svarer forkert
    steps:
      - user: |
          er du en robot
        intent: bot_challenge
      - action: utter_capabilities
  - story: farvel forstås ikke som tak
    steps:
      - user: |
          mange tak
        intent: goodbye
      - action: utter_goodbye
""", encoding="utf-8")
    out = tmp_path / "results"
    result = run_dialogues(str(mine), "--out", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    text = result.stdout
    assert "3 i alt, 1 bestået, 2 fejlet." in text
    assert "FEJL i testsamtalen «robot svarer forkert»:" in text
    assert "Forventet handling: utter_capabilities" in text
    assert "Faktisk handling:   utter_iamabot" in text
    assert "FEJL i testsamtalen «farvel forstås ikke som tak»:" in text
    assert "Borgerens besked nr. 1: «mange tak»" in text
    assert "Forventet: forstået som goodbye" in text
    assert "Faktisk:   forstået som thank" in text
    assert "krise først" not in text
    # Rasa's own report is kept beside it.
    failed = (out / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "# predicted: utter_iamabot" in failed
    assert (out / "story_report.json").is_file()

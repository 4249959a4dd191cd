"""Exporting user messages as Rasa NLU YAML: Rasa reads the file without warnings, every
message is under the predicted intent, nothing typed by buttons goes in."""

from __future__ import annotations

import warnings
from datetime import datetime
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from assistant.config import PROJECT_ROOT
from assistant.staff.conversations import TZ, ConversationStore, UserMessage
from assistant.staff.export import build_export, clean_text


def read_nlu(text: str, tmp_path: Path) -> dict[str, list[str]]:
    """Examples by intent as Rasa reads the file; a Rasa warning fails the test."""
    path = tmp_path / "export.yml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        data = RasaYAMLReader().read(str(path))
    found: dict[str, list[str]] = {}
    for example in data.intent_examples:
        found.setdefault(example.get("intent"), []).append(example.get("text"))
        assert not example.get("entities"), example.get("text")
    return found


@pytest.fixture
def messages(seeded: str) -> list[UserMessage]:
    with ConversationStore(seeded) as store:
        return [m for c in store.conversations() for m in c.messages]


def test_all_typed_messages_under_their_predicted_intent(messages, tmp_path):
    export = build_export(messages, now=datetime(2026, 11, 5, 12, 0, tzinfo=TZ))
    nlu = read_nlu(export.text, tmp_path)
    assert nlu["ask_housing"] == ["jeg er blevet smidt ud af min lejlighed"]
    assert nlu["ask_violence"] == ["min mand slår mig, mit cpr er [CPR]"]
    assert nlu["emergency"] == ["han står udenfor med en kniv"]
    assert nlu["suicidal_crisis"] == ["jeg vil ikke leve mere"]
    assert nlu["ask_economy"] == ["bil og penge"]
    assert nlu["greet"] == ["hej"]  # twice in the store, once in the file
    # Not understood (nlu_fallback): the classifier's best real intent, marked in a comment.
    assert nlu["ask_human"] == ["kan jeg få noget"]
    assert "nlu_fallback" not in nlu
    assert "# Forstod ikke (nlu_fallback). Bedste gæt: ask_human (sikkerhed 0,10)." \
        in export.text
    assert "  # Forstået som ask_economy (sikkerhed 0,42)." in export.text
    # Buttons (/feedback, …) are not exported; neither are duplicates.
    assert not any(t.startswith("/") for texts in nlu.values() for t in texts)
    assert export.examples == sum(len(v) for v in nlu.values()) == 11
    assert export.skipped == 3  # two /feedback messages and the second "hej"
    assert "eksporteret 2026-11-05 12:00" in export.text


def test_every_exported_intent_exists_in_the_domain(messages, tmp_path, domain):
    nlu = read_nlu(build_export(messages).text, tmp_path)
    assert set(nlu) <= set(domain.intents)


def test_selection_only(messages, tmp_path):
    chosen = [m for m in messages if m.text in ("bil og penge", "hej")]
    export = build_export(chosen)
    assert read_nlu(export.text, tmp_path) == {"ask_economy": ["bil og penge"],
                                               "greet": ["hej"]}


def test_nothing_selected_is_still_a_valid_file(tmp_path):
    export = build_export([])
    assert export.examples == 0
    assert read_nlu(export.text, tmp_path) == {}


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("ring på [telefon](nu)", "ring på [telefon] (nu)"),
    ("[CPR]{x} og [e-mail][adresse]", "[CPR] {x} og [e-mail] [adresse]"),
    ("to\nlinjer   og  mellemrum ", "to linjer og mellemrum"),
])
def test_text_that_looks_like_entity_markup_is_made_harmless(raw, cleaned, tmp_path):
    assert clean_text(raw) == cleaned
    message = UserMessage(1, "s", 0.0, raw, "ask_human", 0.8)
    assert read_nlu(build_export([message]).text, tmp_path) == {"ask_human": [cleaned]}


def test_export_can_be_added_to_the_training_data_folder(messages, tmp_path):
    """An exported file is a valid data/nlu file: Rasa's data importer reads it together
    with the project's own NLU files."""
    from rasa.shared.importers.importer import TrainingDataImporter

    export = tmp_path / "data" / "eksport.yml"
    export.parent.mkdir()
    export.write_text(build_export(messages).text, encoding="utf-8")
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(PROJECT_ROOT / "domain"), training_data_paths=[str(export.parent)])
    data = importer.get_nlu_data()
    assert {e.get("text") for e in data.intent_examples} >= {"bil og penge", "hej"}

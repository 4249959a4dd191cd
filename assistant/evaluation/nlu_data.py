"""Read Rasa NLU YAML into (text, intent, [(entity, value)]) examples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...]


def load_examples(paths: list[Path]) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for path in paths:
        data = load_data(str(path))
        for message in data.intent_examples:
            entities = tuple(
                (e["entity"], str(e.get("value", ""))) for e in message.get("entities", [])
            )
            examples.append(Example(message.get("text"), message.get("intent"), entities))
    return examples

"""The compact lemmatizer gives exactly spaCy's lookup lemmas, in a fraction of the memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy

from assistant.nlu.lemmas import FACTORY, CompactLemmas
from assistant.nlu.spacy_model import STAMP, build_spacy_model
from assistant.text import lemma_table

SENTENCES = [
    "jeg kan ikke betale gælden og børnene skal have mad",
    "min kæreste slog mig i går, hvor er krisecentrene",
    "Hjemløse mænd sover på herbergerne i Randers",
    "psykologbehandlingen hjalp ikke, jeg drikker for meget",
]


@pytest.fixture(scope="module")
def table() -> dict[str, str]:
    return lemma_table()


@pytest.fixture(scope="module")
def compact(table: dict[str, str]) -> CompactLemmas:
    return CompactLemmas.from_table(table)


def test_every_form_in_the_table_gets_its_lemma(table: dict[str, str],
                                                 compact: CompactLemmas) -> None:
    assert len(table) > 500_000
    wrong = [form for form, lemma in table.items() if compact.get(form, form) != lemma]
    assert wrong == []


def test_unknown_forms_are_their_own_lemma(compact: CompactLemmas) -> None:
    assert compact.get("xqzvwk") is None
    assert compact.lemmatize(["xqzvwk", "børnene"]) == ["xqzvwk", "barn"]


def test_identity_forms_are_not_stored(table: dict[str, str], compact: CompactLemmas) -> None:
    identities = sum(1 for form, lemma in table.items() if form == lemma)
    assert identities > 0
    assert len(compact) == len(table) - identities
    assert compact.hashes.dtype == np.uint64
    assert bool((compact.hashes[1:] > compact.hashes[:-1]).all())


def test_round_trip_on_disk(tmp_path: Path) -> None:
    small = CompactLemmas.from_table({"gælden": "gæld", "børn": "barn", "hus": "hus"})
    small.to_disk(tmp_path / "lemmas")
    again = CompactLemmas.from_disk(tmp_path / "lemmas")
    assert again.lemmatize(["gælden", "børn", "hus", "gæld"]) == ["gæld", "barn", "hus", "gæld"]
    assert len(again) == 2


def test_built_pipeline_matches_spacys_lookup_lemmatizer(tmp_path: Path) -> None:
    target = tmp_path / "da_lookup"
    assert build_spacy_model(target) is True
    assert build_spacy_model(target) is False  # up to date: not built again
    assert (target / STAMP).read_text(encoding="utf-8").endswith("compact-lemmatizer 1")
    ours = spacy.load(target)
    assert ours.pipe_names == [FACTORY]
    reference = spacy.blank("da")
    reference.add_pipe("lemmatizer", config={"mode": "lookup"})
    reference.initialize()
    for text in SENTENCES:
        expected = [t.lemma_ for t in reference(text)]
        assert [t.lemma_ for t in ours(text)] == expected
    assert [t.lemma_ for t in ours("gælden børnene")] == ["gæld", "barn"]

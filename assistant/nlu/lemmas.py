"""A compact Danish lemma lookup for the spaCy pipeline Rasa loads.

spaCy's lookup lemmatizer keeps spacy-lookups-data's 553,000 Danish word forms in a Python
dict (about 200 MB in every Rasa server). :class:`CompactLemmas` holds the same table as a
sorted array of 64-bit hashes of the word forms and, for each, an index into the list of
distinct lemmas: about 15 MB, looked up by binary search in microseconds. The component
``compact_lemmatizer`` gives tokens exactly the lemmas spaCy's ``lemmatizer`` in lookup
mode would (the form itself when it is not in the table); `assistant nlu build-spacy`
builds it and `tests/test_lemmas.py` checks the two agree.
"""

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.strings import hash_string
from spacy.tokens import Doc

FACTORY = "compact_lemmatizer"
_HASHES = "hashes.npy"
_INDEX = "lemma_index.npy"
_LEMMAS = "lemmas.json"


class CompactLemmas:
    """Word form -> lemma, stored as sorted hashes and lemma indices."""

    def __init__(self, hashes: np.ndarray, index: np.ndarray, lemmas: list[str]) -> None:
        if len(hashes) != len(index):
            raise ValueError("hashes and lemma index differ in length")
        self.hashes = hashes
        self.index = index
        self.lemmas = lemmas

    @classmethod
    def from_table(cls, table: Mapping[str, str]) -> "CompactLemmas":
        """From a form -> lemma mapping; forms that are their own lemma are left out
        (a form not in the table is its own lemma anyway)."""
        pairs = [(hash_string(form), lemma) for form, lemma in table.items() if form != lemma]
        lemmas = sorted({lemma for _, lemma in pairs})
        position = {lemma: i for i, lemma in enumerate(lemmas)}
        pairs.sort(key=lambda pair: pair[0])
        hashes = np.fromiter((h for h, _ in pairs), dtype=np.uint64, count=len(pairs))
        index = np.fromiter((position[lemma] for _, lemma in pairs), dtype=np.uint32,
                            count=len(pairs))
        if len(hashes) > 1 and bool((hashes[1:] == hashes[:-1]).any()):
            raise ValueError("two word forms share a 64-bit hash")
        return cls(hashes, index, lemmas)

    def __len__(self) -> int:
        return len(self.hashes)

    def get(self, form: str, default: str | None = None) -> str | None:
        key = np.uint64(hash_string(form))
        at = int(np.searchsorted(self.hashes, key))
        if at < len(self.hashes) and self.hashes[at] == key:
            return self.lemmas[int(self.index[at])]
        return default

    def lemmatize(self, forms: Iterable[str]) -> list[str]:
        return [self.get(form, form) or form for form in forms]

    def to_disk(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / _HASHES, self.hashes)
        np.save(path / _INDEX, self.index)
        (path / _LEMMAS).write_text(json.dumps(self.lemmas, ensure_ascii=False),
                                    encoding="utf-8")

    @classmethod
    def from_disk(cls, path: Path) -> "CompactLemmas":
        return cls(np.load(path / _HASHES), np.load(path / _INDEX),
                   json.loads((path / _LEMMAS).read_text(encoding="utf-8")))


class CompactLemmatizer:
    """spaCy pipeline component: sets ``token.lemma_`` from a :class:`CompactLemmas`."""

    def __init__(self, lemmas: CompactLemmas | None = None) -> None:
        self.lemmas = lemmas or CompactLemmas(np.zeros(0, np.uint64), np.zeros(0, np.uint32),
                                              [])

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            token.lemma_ = self.lemmas.get(token.text) or token.text
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        self.lemmas.to_disk(Path(path))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()
                  ) -> "CompactLemmatizer":
        self.lemmas = CompactLemmas.from_disk(Path(path))
        return self


@Language.factory(FACTORY)
def make_compact_lemmatizer(nlp: Language, name: str) -> "CompactLemmatizer":
    return CompactLemmatizer()

"""Build the local Danish spaCy pipeline: `spacy.blank("da")` + lookup lemmatizer.

No Danish model can be downloaded here, so the pipeline Rasa's SpacyNLP loads is built
from spaCy's Danish tokenizer and the lemma table in spacy-lookups-data, held by the
compact lemmatizer (assistant/nlu/lemmas.py: the same lemmas in ~15 MB instead of ~200 MB).
"""

from __future__ import annotations

import shutil
from pathlib import Path

STAMP = "built-with.txt"
FORMAT = "compact-lemmatizer 1"


def build_spacy_model(target: Path, force: bool = False) -> bool:
    """Write the pipeline to `target`; return False if an up-to-date one is there."""
    import spacy
    import spacy_lookups_data

    from assistant.nlu.lemmas import FACTORY, CompactLemmas
    from assistant.text import lemma_table

    version = (f"spacy {spacy.__version__}, spacy-lookups-data "
               f"{spacy_lookups_data.__version__}, {FORMAT}")
    stamp = target / STAMP
    if not force and stamp.exists() and stamp.read_text(encoding="utf-8") == version:
        return False
    nlp = spacy.blank("da")
    nlp.add_pipe(FACTORY).lemmas = CompactLemmas.from_table(lemma_table())
    nlp.meta["name"] = "da_lookup"
    nlp.meta["description"] = ("spacy.blank('da') + the lemma lookup table of "
                               "spacy-lookups-data (compact lemmatizer)")
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(tmp)
    (tmp / STAMP).write_text(version, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return True

"""The topic prior (P(topic | question) from the NLU examples) and how search uses it,
plus the genitive reading of unknown query words ("lokks" -> "lokk")."""

from __future__ import annotations

from pathlib import Path

from assistant.kb.search import BM25Index, Passage
from assistant.kb.topic_prior import TopicPrior, read_nlu_examples, topic_examples

EXAMPLES = [
    ("jeg har ingen bolig", "housing"), ("jeg er hjemløs", "housing"),
    ("jeg bliver sat ud af min lejlighed", "housing"), ("hvor kan jeg sove i nat", "housing"),
    ("jeg har stor gæld", "economy"), ("jeg kan ikke betale mine regninger", "economy"),
    ("pengene slår ikke til", "economy"), ("jeg skylder penge", "economy"),
]


def _ids(hits) -> list[str]:
    return [h.passage.id for h in hits]


class _Fixed:
    """A topic model that always gives the same prior (and counts its calls)."""

    def __init__(self, prior: dict[str, float]) -> None:
        self.prior = prior
        self.calls = 0

    def predict(self, text: str) -> dict[str, float]:
        self.calls += 1
        return dict(self.prior)


# Two passages with the same wording but different topics: only a prior can order them.
TWINS = [
    Passage("statement", "a-housing", "Rådgivning", "Du kan få rådgivning hos kommunen.",
            ("housing",), "Randers", "cit-a"),
    Passage("statement", "b-economy", "Rådgivning", "Du kan få rådgivning hos kommunen.",
            ("economy",), "Randers", "cit-b"),
]


def test_prior_is_fitted_lazily_and_predicts_the_topic():
    calls = []

    def examples():
        calls.append(1)
        return EXAMPLES

    prior = TopicPrior(examples)
    assert calls == []  # nothing read or fitted at construction
    probs = prior.predict("min gæld vokser og jeg skylder penge")
    assert calls == [1]
    assert max(probs, key=probs.get) == "economy"
    assert abs(sum(probs.values()) - 1.0) < 1e-6
    assert prior.predict("jeg er blevet sat ud og er hjemløs")["housing"] > 0.5
    prior.predict("noget andet")
    assert calls == [1]  # fitted once
    assert prior.predict("") == {}


def test_nlu_examples_are_read_with_entities_as_plain_text(tmp_path: Path):
    (tmp_path / "a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: ask_housing\n  examples: |\n'
        "    - jeg bor i [Randers](municipality) og er hjemløs\n"
        "    - ingen bolig\n- intent: greet\n  examples: |\n    - hej\n", encoding="utf-8")
    examples = read_nlu_examples(tmp_path)
    assert ("jeg bor i Randers og er hjemløs", "ask_housing") in examples
    assert topic_examples(examples, {"ask_housing": "housing"}) == [
        ("jeg bor i Randers og er hjemløs", "housing"), ("ingen bolig", "housing")]
    # emergency examples count as violence even though topics.yml maps no intent so
    assert topic_examples([("hjælp han slår", "emergency")], {}) == [
        ("hjælp han slår", "violence")]


def test_prior_orders_passages_the_words_cannot():
    index = BM25Index(TWINS)
    assert _ids(index.search("rådgivning", k=2)) == ["a-housing", "b-economy"]  # by id
    assert _ids(index.search("rådgivning", k=2, topic_prior={"economy": 0.9,
                                                              "housing": 0.1}))[0] == "b-economy"
    # The index's own topic model is asked when no prior is given; {} switches it off.
    model = _Fixed({"economy": 1.0})
    index = BM25Index(TWINS, topic_model=model)
    assert _ids(index.search("rådgivning", k=1)) == ["b-economy"]
    assert model.calls == 1
    assert _ids(index.search("rådgivning", k=1, topic_prior={})) == ["a-housing"]
    assert model.calls == 1


def test_prior_reorders_but_never_adds_passages():
    index = BM25Index(TWINS, topic_model=_Fixed({"economy": 1.0}))
    assert index.search("fodbold") == []


def test_genitive_s_reads_as_the_name():
    passages = [
        Passage("service", "lokk", "LOKK", "Landsorganisation af kvindekrisecentre.",
                ("violence",), None, "x"),
        Passage("service", "other", "Telefonrådgivning", "Ring og tal om det.", ("health",),
                None, "y"),
    ]
    index = BM25Index(passages)
    name = index.search("lokk", k=1)
    genitive = index.search("lokks", k=1)
    assert _ids(genitive) == _ids(name) == ["lokk"]
    assert genitive[0].score > 0.85 * name[0].score  # the name itself, not a near spelling
    # A word the index knows keeps its "s": "kvindekrisecentres" is no genitive of it.
    assert index.search("randers", k=1) == []


def test_real_knowledge_base_has_an_nlu_topic_prior(kb):
    model = kb.index.topic_model
    assert model is not None
    probs = model.predict("jeg skylder penge til skat og kan ikke betale min husleje")
    assert max(probs, key=probs.get) == "economy"
    assert set(probs) <= set(kb.topics)
    probs = model.predict("min kæreste truer mig og jeg tør ikke tage hjem")
    assert max(probs, key=probs.get) == "violence"


def test_without_nlu_files_search_runs_without_a_prior(tmp_path: Path):
    prior = TopicPrior.from_nlu({"ask_housing": "housing"}, nlu_dir=tmp_path)
    assert prior.predict("jeg er hjemløs") == {}
    index = BM25Index(TWINS, topic_model=prior)
    assert _ids(index.search("rådgivning", k=1)) == ["a-housing"]


def test_action_server_warm_up_fits_the_topic_prior(kb_engine) -> None:
    """The first person must not wait for the prior to be fitted: warm_up does it."""
    from assistant import runtime
    from assistant.action_server import warm_up
    from assistant.kb.repository import KnowledgeBase

    fresh = KnowledgeBase.from_engine(kb_engine)
    runtime.use_knowledge_base(fresh)
    try:
        warm_up()
        model = fresh.index.topic_model
        assert model is not None and model._fitted
        assert "housing" in model.topics
    finally:
        runtime.use_knowledge_base(None)


def test_crisis_topics_name_the_topic_of_the_forced_intent():
    from assistant.kb.topic_prior import CrisisTopics

    crisis = CrisisTopics({"emergency": "emergency", "suicidal_crisis": "suicide"})
    assert crisis.topic("min far er faldet om og trækker ikke vejret") == "emergency"
    assert crisis.topic("jeg vil ikke leve mere") == "suicide"
    assert crisis.topic("jeg har brug for hjælp til min gæld") is None
    # An intent without a topic names none.
    assert CrisisTopics({}).topic("jeg vil ikke leve mere") is None


def test_real_prior_knows_emergency_as_its_own_topic(kb):
    probs = kb.index.topic_model.predict("min bedstefar er faldet sammen i stuen og svarer ikke")
    assert max(probs, key=probs.get) == "emergency"

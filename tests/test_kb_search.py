"""Retrieval sanity on the real knowledge base (BM25 over folded Danish lemmas)."""

from __future__ import annotations

import pytest

from assistant.kb.analysis import analyse
from assistant.kb.search import BM25Index, Passage

SEED_MUNICIPALITIES = ["Brønderslev", "Halsnæs", "Norddjurs", "Randers", "Sønderborg"]


def _ids(hits) -> list[str]:
    return [h.passage.id for h in hits]


# --- analysis ---------------------------------------------------------------------------


def test_analyse_folds_and_lemmatises():
    assert analyse("økonomi") == analyse("okonomi") == analyse("oekonomi")
    assert analyse("gælden") == analyse("gæld")
    assert analyse("hvad kan jeg få af hjælp i kommunen") == []  # stop words only
    # Long compounds also index their 6-letter head, so "gældsrådgivning" shares a term
    # with "gældsrådgiver".
    heads = [t for t in analyse("gældsrådgivning") if t.endswith("*")]
    assert heads == ["galdsr*"]
    assert "galdsr*" in analyse("gældsrådgiver")


def test_index_on_handmade_passages_ranks_by_relevance():
    passages = [
        Passage("statement", "a", "Bolig", "Hjælp til at finde en bolig og beholde den.",
                ("housing",), "Randers", "cit-a"),
        Passage("statement", "b", "Gæld", "Gratis rådgivning om gæld og budget.",
                ("economy",), "Randers", "cit-b"),
        Passage("service", "c", "Herberg", "Et sted at sove i nat.", ("housing",), None, "x"),
    ]
    index = BM25Index(passages)
    assert _ids(index.search("gæld")) == ["b"]
    assert _ids(index.search("bolig"))[0] == "a"
    assert index.search("fodbold") == []
    assert _ids(index.search("bolig", kinds=["service"])) == []
    assert _ids(index.search("sove", municipality="Aarhus")) == ["c"]


# --- the real knowledge base ------------------------------------------------------------


def test_homeless_in_randers_finds_housing_help(kb):
    hits = kb.search("hjemløs", municipality="Randers", k=3)
    assert len(hits) == 3
    ok = [h for h in hits
          if "housing" in h.passage.topics
          and ((h.passage.kind == "statement" and h.passage.municipality == "Randers")
               or h.passage.kind == "service")]
    assert ok, [(h.passage.kind, h.passage.id) for h in hits]
    assert all(h.passage.municipality in (None, "Randers") for h in hits)


@pytest.mark.parametrize("municipality", SEED_MUNICIPALITIES)
def test_homeless_finds_the_municipality_s_own_housing_statement(kb, municipality):
    """"hjemløs" must reach statements that say "hjemløshed"/"hjemløse" in every seed
    municipality that writes about housing (used by policy_answer, kinds=statement)."""
    has_housing = [s for s in kb.statements
                   if s.municipality == municipality and "housing" in s.topics]
    assert has_housing
    hits = kb.search("hjemløs", municipality=municipality, kinds=("statement",), k=3)
    assert any(h.passage.municipality == municipality and "housing" in h.passage.topics
               for h in hits), (municipality, _ids(hits))


@pytest.mark.parametrize("query", ["okonomi", "oekonomi", "økonomi"])
def test_economy_without_special_letters(kb, query):
    hits = kb.search(query, k=3)
    assert hits
    assert "economy" in hits[0].passage.topics
    assert all("economy" in h.passage.topics for h in hits)


def test_folded_and_proper_spelling_rank_alike(kb):
    assert _ids(kb.search("okonomi", k=5)) == _ids(kb.search("økonomi", k=5))
    assert _ids(kb.search("gaeld", k=5)) == _ids(kb.search("gæld", k=5))


def test_debt_in_norddjurs(kb):
    hits = kb.search("gæld", municipality="Norddjurs", k=5)
    assert hits
    assert "economy" in hits[0].passage.topics
    assert all(h.passage.municipality in (None, "Norddjurs") for h in hits)


@pytest.mark.parametrize("topic", ["housing", "economy", "violence", "addiction"])
def test_topic_filter_is_respected(kb, topic):
    hits = kb.search("hjælp støtte rådgivning bolig gæld vold misbrug", topic=topic, k=100)
    assert hits
    assert all(topic in h.passage.topics for h in hits)


@pytest.mark.parametrize("municipality", SEED_MUNICIPALITIES)
def test_municipality_filter_keeps_own_and_national_only(kb, municipality):
    hits = kb.search("bolig hjemløshed ensomhed job misbrug handicap", municipality=municipality,
                     k=500)
    munis = {h.passage.municipality for h in hits}
    assert munis <= {None, municipality}
    assert municipality in munis  # the municipality's own statements are there
    assert any(h.passage.kind == "service" and h.passage.municipality is None for h in hits)
    assert any(h.passage.kind == "law" for h in hits)


def test_no_municipality_filter_searches_everything(kb):
    hits = kb.search("bolig hjemløshed", k=500)
    assert {h.passage.municipality for h in hits} >= {None, *SEED_MUNICIPALITIES} - {
        m for m in SEED_MUNICIPALITIES
        if not any("housing" in s.topics for s in kb.statements if s.municipality == m)}


def test_kinds_filter(kb):
    hits = kb.search("bolig", kinds=("law",), k=50)
    assert hits and all(h.passage.kind == "law" for h in hits)


def test_results_are_ranked_and_limited(kb):
    hits = kb.search("bolig hjemløs", k=7)
    assert len(hits) == 7
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)


def test_statement_citations_name_document_and_section(kb):
    hits = kb.search("bolig", municipality="Randers", kinds=("statement",), k=5)
    assert hits
    doc = kb.documents["Randers"]
    for hit in hits:
        statement = kb.get(hit.passage.id)
        assert doc.title in hit.passage.citation
        assert "Randers Kommune" in hit.passage.citation
        assert f"afsnit {statement.section}" in hit.passage.citation
        assert str(doc.year) in hit.passage.citation


def test_every_statement_citation(kb):
    for s in kb.statements:
        doc = kb.documents[s.municipality]
        assert s.citation == f"{doc.citation}, afsnit {s.section}"
        assert s.citation.startswith(kb.municipalities[s.municipality].official_name)


def test_service_and_law_citations_are_sources(kb):
    hits = kb.search("vold", kinds=("service", "law"), k=20)
    assert hits
    for hit in hits:
        assert hit.passage.citation.startswith(("http://", "https://"))


def test_nonsense_gives_nothing(kb):
    assert kb.search("bolig")  # control
    assert kb.search("xyzzy qwerty") == []
    assert kb.search("") == []


# --- paragraphs and light verbs -------------------------------------------------------------


def test_paragraph_letters_join_their_number():
    assert analyse("§ 85 a") == analyse("§85a") == analyse("85 A") == ["85a"]
    assert analyse("hvad er § 85") == ["85"]
    assert analyse("§ 107 og § 108") == ["107", "108"]
    # Only paragraph letters (a-h) join: "17 i dag" keeps "17" for the thesaurus ("jeg er 17").
    assert analyse("jeg er 17 i dag") == ["17", "dag"]


@pytest.mark.parametrize(("query", "law"), [("hvad er § 85", "sel-85"), ("§ 85 a", "sel-85a"),
                                            ("serviceloven §82b", "sel-82b")])
def test_paragraph_questions_find_that_paragraph_first(kb, query, law):
    assert _ids(kb.search(query, k=3))[0] == law


def test_light_verbs_count_only_inside_phrases(kb):
    from assistant.kb.thesaurus import SynonymGroup, Thesaurus

    # "slår" alone is no search term: "pengene slår ikke til" is about money ...
    assert analyse("pengene slår ikke til") == ["penge"]
    assert analyse("jeg vil tage min søn med") == ["son"]
    assert "economy" in kb.search("pengene slår ikke til", k=1)[0].passage.topics
    # ... but a thesaurus phrase with it still matches, and a lone one never does.
    thesaurus = Thesaurus([SynonymGroup("vold", ("slå", "slår mig"), ("violence",))])
    assert thesaurus.concepts("min mand slår mig") == {0: 1}
    assert not thesaurus.concepts("pengene slår ikke til")
    assert "violence" in kb.search("min kæreste slår mig", k=1)[0].passage.topics


# --- crisis messages and everyday words --------------------------------------------------------


@pytest.mark.parametrize("query", [
    "min mor er faldet om i køkkenet og trækker ikke vejret",  # pattern and prior
    "der er ild i lejligheden ovenpå og jeg kan ikke komme ud",  # pattern; prior says housing
    "min kollega har ondt i brystet og kan ikke få luft",  # everyday words, no pattern
])
def test_acute_emergencies_put_112_first(kb, query):
    hits = kb.search(query, municipality="Randers", k=3)
    assert _ids(hits)[0] == "alarm-112", _ids(hits)


def test_suicidal_message_gets_the_first_line_suicide_services(kb):
    hits = kb.search("jeg vil ikke leve mere", k=3)
    assert set(_ids(hits)[:2]) == {"alarm-112", "livslinien"}
    assert hits[0].score > hits[2].score


@pytest.mark.parametrize(("query", "reason"), [
    ("min kæreste slår mig og jeg er bange", "a violence pattern the prior reads as violence"),
    ("min datter skader sig selv, hvordan skal jeg tale med hende", "a relative asking"),
])
def test_crisis_patterns_read_as_violence_or_relatives_rank_as_usual(kb, query, reason):
    from assistant.kb.search import crisis_topic

    index = kb.index
    assert index.crisis_model.topic(query) is not None  # the pattern does match
    assert crisis_topic(index.crisis_model.topic(query),
                        index.topic_model.predict(query)) is None, reason
    assert _ids(kb.search(query, k=1)) != ["alarm-112"]


def test_crisis_services_respect_the_filters(kb):
    query = "min far er faldet om og trækker ikke vejret"
    assert _ids(kb.search(query, k=1)) == ["alarm-112"]
    assert "alarm-112" not in _ids(kb.search(query, kinds=("statement",), k=10))
    assert "alarm-112" not in _ids(kb.search(query, topic="housing", k=10))
    hits = kb.search(query, municipality="Halsnæs", k=10)
    assert _ids(hits)[0] == "alarm-112"
    assert {h.passage.municipality for h in hits} <= {None, "Halsnæs"}


def test_crisis_topic_rules():
    from assistant.kb.search import ACUTE_PRIOR_MIN, crisis_topic

    assert crisis_topic("suicide", None) == "suicide"  # no prior: the pattern decides
    assert crisis_topic("suicide", {}) == "suicide"
    assert crisis_topic("emergency", {"housing": 0.6, "emergency": 0.3}) == "emergency"
    assert crisis_topic("emergency", {"violence": 0.9, "emergency": 0.1}) is None
    assert crisis_topic("suicide", {"relatives": 0.9, "suicide": 0.05}) is None
    # Without a pattern only a confident emergency prior counts, never suicide.
    assert crisis_topic(None, {"emergency": ACUTE_PRIOR_MIN, "health": 0.2}) == "emergency"
    assert crisis_topic(None, {"emergency": ACUTE_PRIOR_MIN - 0.01}) is None
    assert crisis_topic(None, {"suicide": 0.9}) is None
    assert crisis_topic(None, {"health": 0.5, "emergency": 0.45}) is None
    assert crisis_topic(None, None) is None


def test_crisis_pins_first_line_services_even_without_shared_words():
    class Crisis:
        def topic(self, text: str) -> str | None:
            return "emergency" if "faldet om" in text else None

    passages = [
        Passage("service", "a-112", "Alarm 112", "Ring, hvis liv er i fare.",
                ("emergency",), None, "x", priority=1),
        Passage("service", "b-1813", "Akuttelefonen", "Ring ved akut sygdom.",
                ("emergency", "health"), None, "y", priority=2),
        Passage("statement", "c-family", "Pårørende", "Støtte til din far og din familie.",
                ("relatives",), "Randers", "z"),
    ]
    index = BM25Index(passages, crisis_model=Crisis())
    assert _ids(index.search("min far er faldet om", k=3)) == ["a-112", "c-family"]
    assert _ids(index.search("min far er faldet om", k=3, topic_prior={
        "relatives": 0.9})) == ["c-family"]  # the prior reads a relative: as usual
    assert _ids(index.search("min far har brug for støtte", k=3)) == ["c-family"]
    assert index.search("xyzzy") == []


@pytest.mark.parametrize("query", [
    "min søster bliver slået af sin kæreste, hvad kan jeg gøre",
    "min veninde har blå mærker og jeg tror hendes mand slår hende",
    "min kæreste har låst mig inde og taget min telefon",
])
def test_violence_against_someone_else_finds_violence_help(kb, query):
    hits = kb.search(query, k=3)
    assert hits and "violence" in hits[0].passage.topics, _ids(hits)


def test_policy_overview_words_find_the_overview(kb):
    hits = kb.search("hvilke emner handler politikken om", municipality="Norddjurs", k=3)
    assert "norddjurs-om-politikken" in _ids(hits)  # "Fem temaer"
    hits = kb.search("hvor gammel er politikken, er den blevet opdateret",
                     municipality="Randers", k=1)
    assert _ids(hits) == ["randers-baggrund"]


# --- numbers and ages in questions ------------------------------------------------------------


def test_query_numbers_keep_only_paragraph_and_phone_numbers():
    from assistant.kb.query_numbers import query_text as _query_text

    for kept in ("hvad er § 10", "hvad siger paragraf 10", "§ 85 a", "85a", "ring 112",
                 "hvad betyder paragraf 110", "stk. 2"):
        assert _query_text(kept) == kept
    for text in ("min søn på 17", "ringer 10 gange", "40.000 kr", "39,5 i feber",
                 "er 2 måneder bagud"):
        assert not any(c.isdigit() for c in _query_text(text)), text


def test_ages_and_counts_do_not_find_paragraphs(kb):
    assert _ids(kb.search("hvad siger paragraf 10", k=1)) == ["sel-10"]
    assert _ids(kb.search("hvad står der i § 10", k=1)) == ["sel-10"]
    # "10 gange" is a count, not § 10 of the Social Services Act.
    hits = kb.search("min mor ringer 10 gange om dagen, hvor kan jeg få råd", k=3)
    assert "sel-10" not in _ids(hits)


def test_age_words():
    from assistant.kb.query_numbers import age_words

    assert age_words("jeg er 15 og har ingen at tale med") == ["ung"]
    assert age_words("min datter paa 17") == age_words("han er 20 år") == ["ung"]
    assert age_words("en 17-årig") == ["ung"]
    assert age_words("min mormor på 85 er ensom") == ["ældre"]
    assert age_words("min søn på 8") == ["barn"]
    assert age_words("vores søn er 45") == []
    for text in ("er 2 måneder bagud", "min søn har 40 i feber", "jeg har 3 børn",
                 "for et par år siden", "for 2 uger siden", "en regning på 12.000"):
        assert age_words(text) == [], text


@pytest.mark.parametrize(("age", "service"), [("15", "headspace"), ("80", "aeldretelefonen")])
def test_an_age_finds_help_for_that_age_group(kb, age, service):
    hits = kb.search(f"jeg er {age} og har ingen at tale med", k=1)
    assert _ids(hits) == [service]


# --- thesaurus: possessives, relatives ----------------------------------------------------------


def test_first_person_possessives_are_one_word_for_the_thesaurus(kb):
    thesaurus = kb.index.thesaurus

    def concepts(text: str) -> set[str]:
        return {thesaurus.groups[g].id for g in thesaurus.concepts(text)}

    assert "familie" in concepts("vores søn drikker") == concepts("min søn drikker")
    assert "familie" in concepts("vores forældre er syge")


def test_a_family_member_is_no_relatives_support_question_of_its_own(kb):
    thesaurus = kb.index.thesaurus

    def concepts(text: str) -> set[str]:
        return {thesaurus.groups[g].id for g in thesaurus.concepts(text)}

    # Naming a family member is its own concept; asking as a relative is "paaroerende".
    assert "paaroerende" not in concepts("min søster har autisme")
    assert "familie" in concepts("min søster har autisme")
    assert "paaroerende" in concepts("hvad kan jeg gøre som forælder")
    assert "paaroerende" in concepts("jeg passer en ægtefælle med sklerose")
    # "pas" (a passport) is no longer read as the verb "passe" (to look after someone).
    assert "borgerservice" not in concepts("jeg passer min mor")
    assert "borgerservice" in concepts("jeg skal have nyt pas")


# --- regional services ------------------------------------------------------------------------


def test_service_region_comes_from_name_or_audience(kb):
    from assistant.kb.repository import service_region

    regions = sorted({m.region for m in kb.municipalities.values()})
    assert service_region(kb.service("akuttelefonen-1813"), regions) == "Region Hovedstaden"
    assert service_region(kb.service("vagtlaegen-region-syddanmark"),
                          regions) == "Region Syddanmark"
    assert service_region(kb.service("headspace"), regions) is None
    passages = {p.id: p for p in kb.index.passages}
    assert passages["akuttelefonen-1813"].region == "Region Hovedstaden"
    assert passages["alarm-112"].region is None


@pytest.mark.parametrize(("municipality", "first", "other"), [
    ("Halsnæs", "akuttelefonen-1813", "vagtlaegen-region-syddanmark"),
    ("Sønderborg", "vagtlaegen-region-syddanmark", "akuttelefonen-1813"),
])
def test_the_municipality_s_own_region_service_comes_first(kb, municipality, first, other):
    query = "jeg har feber og lægen har lukket, hvem ringer jeg til"
    ids = _ids(kb.search(query, municipality=municipality, k=10))
    assert ids[0] == first
    # Another region's service is ranked lower, never filtered out.
    assert other in ids
    assert other in _ids(kb.search(query, k=10))


# --- questions about the policy as a whole ----------------------------------------------------


def test_policy_level():
    from assistant.kb.search import policy_level

    assert policy_level({}, None) == 0.0
    assert policy_level({"general": 0.5}, {"general": 0.2, "housing": 0.8}) == 0.5
    assert policy_level({"housing": 1.0}, {"general": 0.7}) == 0.7
    assert policy_level({"housing": 1.0}, {}) == 0.0


def test_policy_questions_lift_only_the_chosen_policy_s_general_statements(monkeypatch):
    import assistant.kb.search as search
    from assistant.kb.thesaurus import SynonymGroup

    passages = [
        Passage("statement", "a-vision", "Vision", "Socialpolitikken vil et godt liv.",
                ("general",), "A", "cit"),
        Passage("statement", "b-vision", "Vision", "Socialpolitikken vil et godt liv.",
                ("general",), "B", "cit"),
        Passage("service", "law", "Loven", "Socialpolitik socialpolitik og et godt liv.",
                ("general",), None, "cit"),
    ]
    index = BM25Index(passages, synonyms=[SynonymGroup("politik", ("socialpolitik",),
                                                       ("general",))])

    def scores(municipality: str | None) -> dict[str, float]:
        return {h.passage.id: h.score for h in index.search(
            "socialpolitik", municipality=municipality, k=5, topic_prior={})}

    lifted = scores("A")
    monkeypatch.setattr(search, "POLICY_BOOST", 0.0)
    plain = scores("A")
    assert lifted["a-vision"] == pytest.approx(plain["a-vision"] * 1.5, rel=1e-4)
    assert lifted["law"] == plain["law"]  # a service, not the policy
    assert "b-vision" not in lifted  # the municipality filter still holds


@pytest.mark.parametrize(("municipality", "query"), [
    ("Randers", "hvad er formålet med jeres socialpolitik"),
    ("Halsnæs", "hvem er jeres politik for"),
    ("Norddjurs", "hvilke værdier bygger politikken på"),
])
def test_policy_questions_find_the_municipality_s_general_statements(kb, municipality, query):
    hits = kb.search(query, municipality=municipality, k=3)
    assert all(h.passage.kind == "statement" and h.passage.municipality == municipality
               and "general" in h.passage.topics for h in hits), _ids(hits)


# --- example questions ------------------------------------------------------------------


def _policy_passages(**questions: tuple[str, ...]) -> list[Passage]:
    return [
        Passage("statement", "vision", "Vision", "Alle skal have et godt og meningsfuldt liv.",
                ("general",), "Randers", "cit", questions=questions.get("vision", ())),
        Passage("statement", "medbestemmelse", "Borgeren i centrum",
                "Du er med til at træffe beslutningerne om din egen indsats.",
                ("general",), "Randers", "cit", questions=questions.get("medbestemmelse", ())),
    ]


def test_example_question_finds_a_passage_without_a_shared_word():
    query = "jeg gider ikke at andre bestemmer over min hverdag"
    assert _ids(BM25Index(_policy_passages()).search(query)) == []
    index = BM25Index(_policy_passages(
        medbestemmelse=("hvorfor skal andre bestemme over min hverdag", "kan jeg selv sige til")))
    assert _ids(index.search(query)) == ["medbestemmelse"]


def test_a_passage_scores_as_its_best_example_question():
    """More questions never dilute a close one: the best-matching question counts."""
    close = ("hvad drømmer byrådet om for de svageste borgere",)
    one = BM25Index(_policy_passages(vision=close))
    many = BM25Index(_policy_passages(vision=close + (
        "hvilken drøm har byrådet", "hvor vil i gerne hen", "hvad er meningen med politikken")))
    query = "byrådet drømmer om de svageste"
    first, second = one.search(query), many.search(query)
    assert _ids(first) == _ids(second) == ["vision"]
    assert first[0].score > 0 and second[0].score >= first[0].score * 0.8


def test_example_questions_on_the_real_knowledge_base(kb):
    """Every statement and service carries example questions."""
    for municipality in SEED_MUNICIPALITIES:
        statements = [s for s in kb.statements if s.municipality == municipality]
        assert all(len(s.questions) >= 4 for s in statements), municipality
    assert all(len(s.questions) >= 4 for s in kb.services)

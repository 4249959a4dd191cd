"""Answer composition with the real knowledge base and the real domain responses."""

from __future__ import annotations

import datetime as dt
import string

import pytest

from assistant.dialogue.about import about_someone_else
from assistant.dialogue.answers import (
    DECLINED,
    TOPIC_INTENTS,
    Phrases,
    Reply,
    compare_answer,
    handoff_answer,
    policy_answer,
    service_line,
    topic_answer,
    violence_answer,
)
from assistant.dialogue.hours import COPENHAGEN, danish_holidays, easter_sunday, is_open

SEEDS = ["Brønderslev", "Halsnæs", "Norddjurs", "Randers", "Sønderborg"]
HALSNAES_PHONE = "29 60 34 77"
# Topics answered by topic_answer (human/general/violence have their own composers).
PLAIN_TOPICS = sorted(set(TOPIC_INTENTS.values()) - {"human", "general", "violence"})


def at(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def keys(replies: list[Reply]) -> list[str]:
    return [r.response for r in replies]


def render(reply: Reply, domain: dict) -> str:
    template = domain["responses"][reply.response][0]["text"]
    return template.format(**reply.values)


def service_lists(replies: list[Reply], phrases: Phrases) -> dict[str, str]:
    """intro -> lines of every utter_service_list reply."""
    return {r.values["intro"]: r.values["lines"] for r in replies
            if r.response == "utter_service_list"}


def assert_replies_fit_domain(replies: list[Reply], domain: dict) -> None:
    """Each response exists, and the values fill every placeholder of every variant."""
    responses = domain["responses"]
    for reply in replies:
        assert reply.response in responses, f"{reply.response} is not in the domain"
        for variant in responses[reply.response]:
            fields = {name for _, name, _, _ in string.Formatter().parse(variant.get("text", ""))
                      if name}
            missing = fields - set(reply.values)
            assert not missing, f"{reply.response} lacks values for {missing}"
            variant["text"].format(**reply.values)


# --- topic answers ----------------------------------------------------------------------


def test_housing_randers_cites_randers_document(kb, phrases, domain_dict):
    replies = topic_answer(kb, "housing", "Randers", False, phrases)
    assert replies[0].response == "utter_topic_housing"
    assert replies[-1].response == "utter_next_housing"
    statements = [r for r in replies if r.response == "utter_municipal_statement"]
    assert statements
    doc = kb.documents["Randers"]
    for reply in statements:
        assert reply.values["municipality"] == "Randers"
        assert doc.title in reply.values["citation"]
        assert "Randers Kommune" in reply.values["citation"]
        assert "afsnit" in reply.values["citation"]
        statement_ids = {s.id for s in kb.statements_for("Randers", "housing", limit=5)}
        assert any(kb.get(i).text == reply.values["statement"] for i in statement_ids)
    text = "\n".join(render(r, domain_dict) for r in replies)
    assert "Kilde: Randers Kommune, Politik for borgere med særlige behov (2018)" in text
    lists = service_lists(replies, phrases)
    assert phrases.get("utter_local_help", municipality="Randers") in lists
    assert phrases.get("utter_national_help") in lists
    assert_replies_fit_domain(replies, domain_dict)


def test_non_seed_municipality_is_honest_and_keeps_national_help(kb, phrases, domain_dict):
    replies = topic_answer(kb, "housing", "Aarhus", False, phrases)
    assert "utter_municipality_not_in_kb" in keys(replies)
    assert "utter_municipal_statement" not in keys(replies)
    not_in_kb = next(r for r in replies if r.response == "utter_municipality_not_in_kb")
    assert not_in_kb.values == {"municipality": "Aarhus"}
    assert {"utter_municipality_website", "utter_municipality_no_website"} & set(keys(replies))
    lists = service_lists(replies, phrases)
    national = lists.get(phrases.get("utter_national_help"))
    assert national and national.count("•") >= 2
    assert_replies_fit_domain(replies, domain_dict)


@pytest.mark.parametrize("municipality", [DECLINED, None, ""])
def test_unknown_municipality_has_no_municipal_part(kb, phrases, domain_dict, municipality):
    replies = topic_answer(kb, "housing", municipality, False, phrases)
    municipal = {"utter_municipal_statement", "utter_municipality_not_in_kb",
                 "utter_municipal_nothing_on_topic", "utter_municipality_website",
                 "utter_municipality_no_website"}
    assert not municipal & set(keys(replies))
    lists = service_lists(replies, phrases)
    assert list(lists) == [phrases.get("utter_national_help")]
    assert "ukendt" not in "\n".join(render(r, domain_dict) for r in replies).lower()


def test_topic_without_statement_says_so(kb, phrases, domain_dict):
    # Pick a (seed municipality, topic) with no statement at all, from the data itself.
    pairs = [(m, t) for m in SEEDS for t in PLAIN_TOPICS if not kb.statements_for(m, t)]
    assert pairs
    municipality, topic = pairs[0]
    replies = topic_answer(kb, topic, municipality, False, phrases)
    nothing = next(r for r in replies if r.response == "utter_municipal_nothing_on_topic")
    assert nothing.values["topic_name"] == kb.topics[topic].name.lower()
    assert_replies_fit_domain(replies, domain_dict)


def test_about_someone_else_adds_relative_intro(kb, phrases):
    assert "utter_relative_intro" in keys(topic_answer(kb, "addiction", "Randers", True,
                                                        phrases))
    assert "utter_relative_intro" not in keys(topic_answer(kb, "addiction", "Randers", False,
                                                            phrases))
    assert "utter_relative_intro" not in keys(topic_answer(kb, "relatives", "Randers", True,
                                                            phrases))


@pytest.mark.parametrize("municipality", [*SEEDS, "Aarhus", DECLINED, None])
def test_every_reply_key_exists_in_the_domain(kb, phrases, domain_dict, municipality):
    replies: list[Reply] = []
    for topic in PLAIN_TOPICS:
        replies += topic_answer(kb, topic, municipality, True, phrases)
    replies += violence_answer(kb, municipality, phrases)
    replies += policy_answer(kb, municipality, "hvad gør kommunen for hjemløse")
    replies += policy_answer(kb, municipality, "")
    replies += handoff_answer(kb, municipality, phrases, at(2026, 11, 23, 10))
    replies += handoff_answer(kb, municipality, phrases, at(2026, 11, 22, 10))
    assert len(replies) > 30
    assert_replies_fit_domain(replies, domain_dict)


def test_compare_answer_covers_each_municipality(kb, domain_dict):
    replies = compare_answer(kb, "housing", ["Randers", "Sønderborg", "Aarhus"])
    munis = [r.values.get("municipality") for r in replies
             if r.response in ("utter_municipal_statement", "utter_municipality_not_in_kb")]
    assert munis == ["Randers", "Sønderborg", "Aarhus"]
    assert_replies_fit_domain(replies, domain_dict)


def test_policy_answer(kb, domain_dict):
    assert keys(policy_answer(kb, None, "x")) == ["utter_policy_unknown_municipality"]
    replies = policy_answer(kb, "Sønderborg", "hvad er visionen")
    assert replies[0].response == "utter_policy_document"
    assert replies[0].values["title"] == kb.documents["Sønderborg"].title
    assert "utter_municipal_statement" in keys(replies)
    assert_replies_fit_domain(replies, domain_dict)


# --- service lines ----------------------------------------------------------------------


def test_service_lines_show_the_contact(kb, phrases):
    with_phone = [s for s in kb.services if s.phone]
    assert len(with_phone) >= 10
    for service in kb.services:
        line = service_line(service, phrases)
        assert line.startswith("• " + service.name)
        if service.phone:
            assert f"ring {service.phone}" in line
        elif service.sms:
            assert service.sms in line
        elif service.url:
            assert service.url in line
        if service.hours:
            assert f"({service.hours})" in line
        assert "{" not in line and "}" not in line


def test_topic_answer_lists_phone_numbers(kb, phrases):
    replies = topic_answer(kb, "addiction", DECLINED, False, phrases)
    lines = "\n".join(service_lists(replies, phrases).values())
    shown = [s for s in kb.services_for("addiction", None, limit=4) if s.phone]
    assert shown
    for service in shown:
        if service.name in lines:
            assert service.phone in lines


# --- violence ---------------------------------------------------------------------------


@pytest.mark.parametrize("municipality", [*SEEDS, "Aarhus", DECLINED, None])
def test_violence_hotline_comes_before_anything_municipal(kb, phrases, municipality):
    replies = violence_answer(kb, municipality, phrases)
    local_intro = phrases.get("utter_local_help", municipality=municipality)

    def is_municipal(reply: Reply) -> bool:
        return (reply.response in ("utter_municipal_statement", "utter_municipality_not_in_kb")
                or (reply.response == "utter_service_list"
                    and reply.values["intro"] == local_intro))

    hotline = next(i for i, r in enumerate(replies) if r.response == "utter_service_list"
                   and "Lev Uden Vold – ring 1888" in r.values["lines"])
    municipal = [i for i, r in enumerate(replies) if is_municipal(r)]
    assert all(hotline < i for i in municipal), (
        f"{municipality}: Lev Uden Vold at {hotline}, municipal parts at {municipal}: "
        f"{keys(replies)}")
    assert replies[0].response == "utter_topic_violence"
    assert "utter_violence_quick_exit" in keys(replies)
    assert keys(replies)[-1] == "utter_next_violence"


def test_violence_answer_shows_112_before_anything_else(kb, phrases):
    """ "min mand slår mig" is answered as violence (not an emergency) unless the message says
    it is happening now; a person in danger must still see 112 first."""
    first = violence_answer(kb, None, phrases)[0]
    assert phrases.get(first.response).startswith("Er du i fare lige nu, så ring 112.")


def test_violence_includes_municipal_statement_for_seed(kb, phrases):
    for municipality in SEEDS:
        if kb.statements_for(municipality, "violence"):
            replies = violence_answer(kb, municipality, phrases)
            statements = [r for r in replies if r.response == "utter_municipal_statement"]
            assert len(statements) == 1
            assert kb.documents[municipality].title in statements[0].values["citation"]


# --- hand-off to a person ---------------------------------------------------------------


@pytest.mark.parametrize("when", [
    at(2026, 11, 23, 10),        # Monday 10:00
    at(2026, 11, 26, 16, 30),    # Thursday 16:30
    dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc),  # Tuesday 10:00 Danish time
    dt.datetime(2026, 7, 6, 8, 30, tzinfo=dt.timezone.utc),   # Monday 10:30 summer time
])
def test_halsnaes_open_on_weekday(kb, phrases, domain_dict, when):
    replies = handoff_answer(kb, "Halsnæs", phrases, when)
    assert keys(replies)[0] == "utter_topic_human"
    open_reply = next(r for r in replies if r.response == "utter_human_open")
    assert open_reply.values["phone"] == HALSNAES_PHONE
    assert HALSNAES_PHONE in render(open_reply, domain_dict)
    assert "utter_human_closed" not in keys(replies)
    assert_replies_fit_domain(replies, domain_dict)


@pytest.mark.parametrize("when", [
    at(2026, 11, 22, 10),        # Sunday
    at(2026, 11, 23, 20),        # Monday 20:00
    at(2026, 12, 24, 10),        # Christmas Eve (a Thursday)
    at(2026, 11, 27, 10),        # Friday: no phone hours
    at(2026, 4, 6, 10),          # 2. påskedag (Monday)
    dt.datetime(2026, 7, 6, 12, 45, tzinfo=dt.timezone.utc),  # Monday 14:45 summer time
])
def test_halsnaes_closed_lists_24_hour_services(kb, phrases, domain_dict, when):
    replies = handoff_answer(kb, "Halsnæs", phrases, when)
    closed = next(r for r in replies if r.response == "utter_human_closed")
    assert closed.values["phone"] == HALSNAES_PHONE
    assert "utter_human_open" not in keys(replies)
    lines = service_lists(replies, phrases).get(phrases.get("utter_human_24h_intro"), "")
    assert "Lev Uden Vold – ring 1888" in lines
    always = {s.name for s in kb.services if s.opening_hours == "always"}
    for line in lines.splitlines():
        assert any(line.startswith(f"• {name}") for name in always), line
    assert "112" in phrases.get("utter_human_24h_intro")
    assert_replies_fit_domain(replies, domain_dict)


def test_handoff_without_municipal_contact(kb, phrases, domain_dict):
    replies = handoff_answer(kb, "Aarhus", phrases, at(2026, 11, 23, 10))
    assert "utter_human_open" not in keys(replies)
    assert {"utter_human_no_contact", "utter_municipality_website"} & set(keys(replies))
    assert "1888" in "\n".join(service_lists(replies, phrases).values())
    assert_replies_fit_domain(replies, domain_dict)


def test_handoff_declined_municipality(kb, phrases):
    replies = handoff_answer(kb, DECLINED, phrases, at(2026, 11, 23, 10))
    assert keys(replies)[0] == "utter_topic_human" and keys(replies)[-1] == "utter_next_human"
    assert "1888" in "\n".join(service_lists(replies, phrases).values())
    assert not {"utter_human_open", "utter_human_closed", "utter_human_no_contact"} & set(
        keys(replies))


# --- opening hours and holidays -----------------------------------------------------------


@pytest.mark.parametrize("year, easter", [(2024, dt.date(2024, 3, 31)),
                                          (2025, dt.date(2025, 4, 20)),
                                          (2026, dt.date(2026, 4, 5)),
                                          (2027, dt.date(2027, 3, 28))])
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_danish_holidays_2026():
    days = danish_holidays(2026)
    for day in [dt.date(2026, 1, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 3),
                dt.date(2026, 4, 5), dt.date(2026, 4, 6),   # påske, 2. påskedag
                dt.date(2026, 5, 14),                       # Kristi himmelfartsdag
                dt.date(2026, 5, 24), dt.date(2026, 5, 25),  # pinse, 2. pinsedag
                dt.date(2026, 6, 5), dt.date(2026, 12, 24), dt.date(2026, 12, 25),
                dt.date(2026, 12, 26), dt.date(2026, 12, 31)]:
        assert day in days, day
    assert dt.date(2026, 5, 1) not in days  # would-be Store Bededag
    assert dt.date(2026, 4, 7) not in days
    assert len(days) == 13


def test_store_bededag_abolished_from_2024():
    assert dt.date(2023, 5, 5) in danish_holidays(2023)
    assert dt.date(2024, 4, 26) not in danish_holidays(2024)
    assert dt.date(2025, 5, 16) not in danish_holidays(2025)
    assert len(danish_holidays(2023)) == len(danish_holidays(2024)) + 1


def test_is_open_basics():
    hours = [{"days": "mon-wed", "from": "09:00", "to": "14:30"},
             {"days": "thu", "from": "09:00", "to": "17:00"}]
    assert is_open(None, at(2026, 11, 23)) is None
    assert is_open("always", at(2026, 12, 24, 3)) is True
    assert is_open(hours, at(2026, 11, 23, 9, 0)) is True    # opening minute counts
    assert is_open(hours, at(2026, 11, 23, 14, 30)) is False  # closing minute does not
    assert is_open(hours, at(2026, 11, 23, 8, 59)) is False
    assert is_open(hours, at(2026, 11, 26, 16, 59)) is True
    assert is_open(hours, at(2026, 11, 27, 10)) is False     # Friday
    assert is_open(hours, at(2026, 5, 14, 10)) is False      # Kristi himmelfart, Thursday
    assert is_open(hours, at(2026, 5, 1, 10)) is False       # a Friday anyway
    assert is_open([{"days": "fri", "from": "09:00", "to": "12:00"}], at(2026, 5, 1, 10)) \
        is True  # 1 May 2026, former Store Bededag: an ordinary working day


def test_is_open_until_midnight():
    hours = [{"days": "mon-sun", "from": "18:00", "to": "24:00"}]
    assert is_open(hours, at(2026, 11, 23, 23, 59)) is True
    assert is_open(hours, at(2026, 11, 23, 17, 59)) is False


# --- someone else -----------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "min søn drikker for meget",
    "jeg er bekymret for min veninde",
    "min bedste veninde bliver slået",
    "en ven af mig er hjemløs",
    "jeg er pårørende til en med skizofreni",
    "mine forældre slås hele tiden",
    "min datters kæreste truer hende",
    "vores søn har fået gæld",
    "Min mor er blevet ensom",
    "hans søster bor på et herberg",
])
def test_about_someone_else_true(text):
    assert about_someone_else(text) is True


@pytest.mark.parametrize("text", [
    "jeg har gæld",
    "jeg har brug for hjælp til min husleje",
    "jeg mistede mit job",
    "jeg føler mig ensom",
    "min økonomi er dårlig",
    "kan jeg være anonym",
    "jeg blev slået i min barndom",
    "min eksamen gik dårligt og nu er jeg stresset",
    "jeg har glemt min morgenmedicin",
    "min mandag er fyldt med aftaler",
])
def test_about_someone_else_false(text):
    assert about_someone_else(text) is False
    # Control: the same message with a clear relative in it is about someone else.
    assert about_someone_else(f"min søn siger: {text}") is True

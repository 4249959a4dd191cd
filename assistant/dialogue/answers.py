"""Compose answers from the knowledge base as a list of replies (response key + values).

No Danish text lives here: every word the person reads comes from a domain response
(`utter_*`) or from the knowledge base. Parts of a service line are domain responses too
(`utter_part_*`), read through :class:`Phrases`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.dialogue.hours import is_open
from assistant.kb.repository import KnowledgeBase, ServiceInfo

DECLINED = "ukendt"
TOPIC_INTENTS = {
    "ask_housing": "housing", "ask_economy": "economy", "ask_violence": "violence",
    "ask_addiction": "addiction", "ask_loneliness": "loneliness",
    "ask_employment": "employment", "ask_disability": "disability",
    "ask_mental_health": "mental_health", "ask_health": "health",
    "ask_relatives": "relatives", "ask_policy": "general", "ask_human": "human",
}


@dataclass
class Reply:
    response: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict[str, str]] | None = None


class Phrases:
    """Reads the short text parts (utter_part_*) from the domain's responses."""

    def __init__(self, domain: Mapping[str, Any]) -> None:
        self._responses = domain.get("responses", {}) if domain else {}

    def get(self, key: str, **values: Any) -> str:
        variants = self._responses.get(key) or [{"text": ""}]
        return str(variants[0].get("text", "")).format(**values)


def service_line(service: ServiceInfo, phrases: Phrases) -> str:
    contact = ""
    if service.phone:
        contact = phrases.get("utter_part_phone", phone=service.phone)
    elif service.sms:
        contact = phrases.get("utter_part_sms", sms=service.sms)
    elif service.url:
        contact = phrases.get("utter_part_url", url=service.url)
    elif service.address:
        contact = phrases.get("utter_part_address", address=service.address)
    hours = phrases.get("utter_part_hours", hours=service.hours) if service.hours else ""
    anonymity = phrases.get("utter_part_anonymous") if service.anonymous else ""
    return phrases.get("utter_part_service", name=service.name, contact=contact, hours=hours,
                       anonymity=anonymity, description=_first_sentence(service.description))


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def known_municipality(value: str | None) -> str | None:
    return value if value and value != DECLINED else None


def municipal_part(kb: KnowledgeBase, topic: str, municipality: str | None,
                   limit: int = 2) -> list[Reply]:
    """What the municipality's policy says on `topic`, honestly when it has nothing."""
    if not municipality or municipality not in kb.municipalities:
        return []
    info = kb.municipalities[municipality]
    if not kb.has_policy(municipality):
        website = ([Reply("utter_municipality_website",
                          {"official_name": info.official_name, "website": info.website})]
                   if info.website else
                   [Reply("utter_municipality_no_website", {"official_name": info.official_name})])
        return [Reply("utter_municipality_not_in_kb", {"municipality": municipality}), *website]
    statements = kb.statements_for(municipality, topic, limit=limit)
    if not statements:
        topic_name = kb.topics[topic].name.lower() if topic in kb.topics else topic
        return [Reply("utter_municipal_nothing_on_topic",
                      {"municipality": municipality, "topic_name": topic_name})]
    return [Reply("utter_municipal_statement", {"municipality": municipality, "title": s.title,
                                                "statement": s.text, "citation": s.citation})
            for s in statements]


def services_part(kb: KnowledgeBase, topic: str, municipality: str | None,
                  phrases: Phrases, limit: int = 3) -> list[Reply]:
    services = kb.services_for(topic, municipality, limit=limit + 1)
    local = [s for s in services if s.municipality][:2]
    national = [s for s in services if not s.municipality][: max(limit - len(local), 2)]
    replies = []
    if local:
        replies.append(Reply("utter_service_list", {
            "intro": phrases.get("utter_local_help", municipality=municipality),
            "lines": "\n".join(service_line(s, phrases) for s in local)}))
    if national:
        replies.append(Reply("utter_service_list", {
            "intro": phrases.get("utter_national_help"),
            "lines": "\n".join(service_line(s, phrases) for s in national)}))
    return replies


def topic_answer(kb: KnowledgeBase, topic: str, municipality: str | None, about_other: bool,
                 phrases: Phrases) -> list[Reply]:
    """The full answer to a topic question."""
    municipality = known_municipality(municipality)
    replies = [Reply(f"utter_topic_{topic}")]
    if about_other and topic != "relatives":
        replies.append(Reply("utter_relative_intro"))
    replies += municipal_part(kb, topic, municipality)
    replies += services_part(kb, topic, municipality, phrases)
    replies.append(Reply(f"utter_next_{topic}"))
    return replies


def violence_answer(kb: KnowledgeBase, municipality: str | None, phrases: Phrases
                    ) -> list[Reply]:
    """Violence (not acute): hotline first, never asks for details."""
    municipality = known_municipality(municipality)
    replies = [Reply("utter_topic_violence")]
    # The national hotline (1888) comes before anything local.
    parts = services_part(kb, "violence", municipality, phrases, limit=3)
    replies += sorted(parts, key=lambda r: r.values.get("intro")
                      != phrases.get("utter_national_help"))
    if municipality and kb.has_policy(municipality):
        replies += [r for r in municipal_part(kb, "violence", municipality, limit=1)
                    if r.response == "utter_municipal_statement"]
    replies += [Reply("utter_violence_advice"), Reply("utter_violence_quick_exit"),
                Reply("utter_next_violence")]
    return replies


def policy_answer(kb: KnowledgeBase, municipality: str | None, question: str) -> list[Reply]:
    """ask_policy: the best matching passage for a specific question, else an overview."""
    municipality = known_municipality(municipality)
    if not municipality:
        return [Reply("utter_policy_unknown_municipality")]
    if not kb.has_policy(municipality):
        return municipal_part(kb, "general", municipality)
    doc = kb.documents[municipality]
    replies = [Reply("utter_policy_document", {
        "municipality": municipality, "title": doc.title, "year": doc.year,
        "summary": doc.summary, "citation": doc.citation})]
    hits = kb.search(question, municipality=municipality, kinds=("statement",), k=1)
    chosen = [h.passage for h in hits if h.score >= 4.0 and h.passage.municipality]
    if not chosen:
        overview = kb.policy_overview(municipality)
        vision = [s for s in overview if s.kind == "vision"][:1]
        focus = [s for s in overview if s.kind == "focus_area"][:1]
        statements = vision + focus
        replies += [Reply("utter_municipal_statement", {
            "municipality": municipality, "title": s.title, "statement": s.text,
            "citation": s.citation}) for s in statements]
    else:
        p = chosen[0]
        replies.append(Reply("utter_municipal_statement", {
            "municipality": municipality, "title": p.title, "statement": p.text,
            "citation": p.citation}))
    replies.append(Reply("utter_next_general"))
    return replies


def compare_answer(kb: KnowledgeBase, topic: str, municipalities: list[str]) -> list[Reply]:
    """Several municipalities named at once: what each policy says on the topic."""
    replies: list[Reply] = []
    for municipality in municipalities:
        replies += municipal_part(kb, topic, municipality, limit=1)
    return replies


def handoff_answer(kb: KnowledgeBase, municipality: str | None, phrases: Phrases,
                   when: dt.datetime) -> list[Reply]:
    """ask_human: the municipality's own contact when known and open, else 24-hour lines."""
    municipality = known_municipality(municipality)
    replies = [Reply("utter_topic_human")]
    contacts = [c for c in kb.municipal_contacts(municipality) if c.phone]
    any_open = False
    for contact in contacts[:1]:
        state = is_open(contact.opening_hours, when)
        values = {"name": contact.name, "phone": contact.phone,
                  "hours": contact.hours or "-"}
        if state is False:
            replies.append(Reply("utter_human_closed", values))
        else:
            any_open = True
            replies.append(Reply("utter_human_open", values))
    if municipality and not contacts and municipality in kb.municipalities:
        info = kb.municipalities[municipality]
        if info.website:
            replies.append(Reply("utter_municipality_website", {
                "official_name": info.official_name, "website": info.website}))
        else:
            replies.append(Reply("utter_human_no_contact", {"official_name": info.official_name}))
    if not any_open:
        always = [s for s in kb.services if s.opening_hours == "always" and s.phone
                  and s.municipality is None and s.kind != "emergency"]
        if always:
            replies.append(Reply("utter_service_list", {
                "intro": phrases.get("utter_human_24h_intro"),
                "lines": "\n".join(service_line(s, phrases) for s in always[:3])}))
        else:
            replies.append(Reply("utter_human_24h"))
    replies.append(Reply("utter_next_human"))
    return replies

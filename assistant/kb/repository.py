"""Read-side of the knowledge base: an immutable in-memory snapshot of the SQL content.

The knowledge base is small and read on every turn, so it is read once (one query per
table) into plain dataclasses, with the search index built alongside. Actions and the CLI
use this class; nobody outside `assistant.kb` touches SQL sessions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from assistant.kb.models import (
    LawReference,
    Municipality,
    PolicyDocument,
    Service,
    Statement,
    Topic,
)
from assistant.kb.models import SynonymGroup as SynonymGroupRow
from assistant.kb.search import BM25Index, Passage, SearchHit, SynonymGroup
from assistant.kb.topic_prior import CrisisTopics, TopicPrior

POLICY_KINDS = ("vision", "value", "focus_area", "target_group")


@dataclass(frozen=True)
class TopicInfo:
    id: str
    name: str
    intent: str | None
    description: str


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    municipality: str
    title: str
    year: int
    period: str | None
    adopted: str | None
    source_file: str
    summary: str
    citation: str


@dataclass(frozen=True)
class StatementInfo:
    id: str
    document_id: str
    municipality: str
    section: str
    kind: str
    title: str
    text: str
    topics: tuple[str, ...]
    citation: str
    questions: tuple[str, ...] = ()  # staff-written example questions (searched, not shown)


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    kind: str
    description: str
    audience: str | None
    phone: str | None
    sms: str | None
    hours: str | None
    opening_hours: str | list[dict[str, str]] | None
    anonymous: bool | None
    url: str | None
    address: str | None
    municipality: str | None
    priority: int
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    source_date: str | None
    verified_on: str
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LawInfo:
    id: str
    paragraph: str
    title: str
    meaning: str
    topics: tuple[str, ...]
    sources: tuple[str, ...]
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class MunicipalityInfo:
    name: str
    official_name: str
    code: str
    region: str
    website: str | None
    aliases: tuple[str, ...]


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(filter(None, (text or "").split("\n")))


def service_region(service: ServiceInfo, regions: list[str]) -> str | None:
    """The region a national service is only for, when its name or audience names one
    ("Akuttelefonen 1813 (Region Hovedstaden)", "Borgere i Region Syddanmark"); None for
    a municipality's own services and for services for everyone."""
    if service.municipality:
        return None
    text = f"{service.name} {service.audience or ''}"
    return next((r for r in regions if r in text), None)


@dataclass
class KnowledgeBase:
    topics: dict[str, TopicInfo]
    municipalities: dict[str, MunicipalityInfo]
    documents: dict[str, DocumentInfo]  # by municipality name
    statements: list[StatementInfo]
    services: list[ServiceInfo]
    laws: list[LawInfo]
    _by_id: dict[str, object] = field(default_factory=dict, repr=False)
    synonyms: tuple[SynonymGroup, ...] = ()  # the search thesaurus (synonyms.yml)

    @classmethod
    def from_engine(cls, engine: Engine) -> KnowledgeBase:
        with Session(engine, future=True) as session:
            topics = {t.id: TopicInfo(t.id, t.name, t.intent, t.description)
                      for t in session.scalars(select(Topic))}
            munis = {m.name: MunicipalityInfo(m.name, m.official_name, m.code, m.region,
                                              m.website, tuple(filter(None, m.aliases.split("\n"))))
                     for m in session.scalars(select(Municipality).order_by(Municipality.name))}
            docs = session.scalars(select(PolicyDocument).options(
                selectinload(PolicyDocument.statements).selectinload(Statement.topics),
                selectinload(PolicyDocument.municipality))).all()
            documents: dict[str, DocumentInfo] = {}
            statements: list[StatementInfo] = []
            for d in docs:
                documents[d.municipality_name] = DocumentInfo(
                    d.id, d.municipality_name, d.title, d.year, d.period, d.adopted,
                    d.source_file, d.summary, d.citation)
                for s in d.statements:
                    statements.append(StatementInfo(
                        s.id, d.id, d.municipality_name, s.section, s.kind, s.title, s.text,
                        tuple(t.id for t in s.topics), s.citation, _lines(s.questions)))
            services = [
                ServiceInfo(
                    s.id, s.name, s.kind, s.description, s.audience, s.phone, s.sms, s.hours,
                    json.loads(s.opening_hours) if s.opening_hours else None, s.anonymous,
                    s.url, s.address, s.municipality_name, s.priority,
                    tuple(t.id for t in s.topics),
                    tuple(s.sources.split("\n")), s.source_date, s.verified_on,
                    _lines(s.questions))
                for s in session.scalars(select(Service).options(selectinload(Service.topics))
                                         .order_by(Service.priority, Service.id))
            ]
            laws = [
                LawInfo(law.id, law.paragraph, law.title, law.meaning,
                        tuple(t.id for t in law.topics), tuple(law.sources.split("\n")),
                        _lines(law.questions))
                for law in session.scalars(select(LawReference).options(
                    selectinload(LawReference.topics)).order_by(LawReference.id))
            ]
            synonyms: tuple[SynonymGroup, ...] = ()
            # A database not yet upgraded to the thesaurus schema simply has none.
            if inspect(session.connection()).has_table(SynonymGroupRow.__tablename__):
                synonyms = tuple(
                    SynonymGroup(g.id, tuple(filter(None, g.words.split("\n"))),
                                 tuple(t.id for t in g.topics))
                    for g in session.scalars(select(SynonymGroupRow).options(
                        selectinload(SynonymGroupRow.topics)).order_by(SynonymGroupRow.position))
                )
        kb = cls(topics, munis, documents, statements, services, laws, synonyms=synonyms)
        kb._by_id = {x.id: x for x in [*statements, *services, *laws]}
        return kb

    # --- lookups -------------------------------------------------------------------

    def get(self, item_id: str) -> object | None:
        return self._by_id.get(item_id)

    def has_policy(self, municipality: str | None) -> bool:
        return bool(municipality) and municipality in self.documents

    def topic_for_intent(self, intent: str) -> TopicInfo | None:
        return next((t for t in self.topics.values() if t.intent == intent), None)

    def statements_for(self, municipality: str, topic: str, limit: int = 2
                       ) -> list[StatementInfo]:
        """The municipality's statements on `topic`: specific ones before general ones."""
        found = [s for s in self.statements
                 if s.municipality == municipality and topic in s.topics]
        found.sort(key=lambda s: (s.kind != "topic", len(s.topics)))
        return found[:limit]

    def policy_overview(self, municipality: str) -> list[StatementInfo]:
        order = {k: i for i, k in enumerate(POLICY_KINDS)}
        found = [s for s in self.statements
                 if s.municipality == municipality and s.kind in order]
        return sorted(found, key=lambda s: order[s.kind])

    def services_for(self, topic: str, municipality: str | None = None, limit: int = 3
                     ) -> list[ServiceInfo]:
        """Services for `topic`: the municipality's own first, then national ones."""
        local = [s for s in self.services if topic in s.topics and s.municipality
                 and s.municipality == municipality]
        national = [s for s in self.services if topic in s.topics and s.municipality is None
                    and s.kind != "emergency"]
        # Never let local services crowd out the national ones (e.g. 1888).
        return local[: max(limit - 1, 1)] + national[: max(limit - len(local), 1)]

    def service(self, service_id: str) -> ServiceInfo | None:
        item = self._by_id.get(service_id)
        return item if isinstance(item, ServiceInfo) else None

    def municipal_contacts(self, municipality: str | None) -> list[ServiceInfo]:
        return [s for s in self.services
                if s.municipality == municipality and s.kind == "municipal_contact"]

    def laws_for(self, topic: str) -> list[LawInfo]:
        return [law for law in self.laws if topic in law.topics]

    # --- search --------------------------------------------------------------------

    @cached_property
    def index(self) -> BM25Index:
        passages: list[Passage] = []
        topic_names = {t.id: t.name for t in self.topics.values()}
        kind_words = {"vision": "vision", "value": "værdi", "focus_area": "fokusområde",
                      "target_group": "målgruppe"}

        def extra(*texts: str | None, topics: tuple[str, ...]) -> str:
            return " ".join(filter(None, [*texts, *(topic_names.get(t) for t in topics)]))

        for s in self.statements:
            passages.append(Passage(
                "statement", s.id, s.title, s.text, s.topics, s.municipality, s.citation,
                boost_text=extra(s.municipality, topics=s.topics),
                section=f"{s.section} {kind_words.get(s.kind, '')}".strip(),
                questions=s.questions))
        regions = sorted({m.region for m in self.municipalities.values()})
        for s in self.services:
            passages.append(Passage(
                "service", s.id, s.name, s.description, s.topics, s.municipality,
                s.sources[0] if s.sources else "",
                boost_text=extra(s.audience, s.municipality, topics=s.topics),
                priority=s.priority, region=service_region(s, regions), questions=s.questions))
        for law in self.laws:
            passages.append(Passage(
                "law", law.id, f"{law.paragraph} {law.title}", law.meaning, law.topics, None,
                law.sources[0] if law.sources else "",
                boost_text=extra(topics=law.topics), questions=law.questions))
        intent_topics = {t.intent: t.id for t in self.topics.values() if t.intent}
        return BM25Index(passages, synonyms=self.synonyms,
                         topic_model=TopicPrior.from_nlu(intent_topics),
                         crisis_model=CrisisTopics(intent_topics),
                         regions={m.name: m.region for m in self.municipalities.values()})

    def search(self, query: str, *, topic: str | None = None,
               municipality: str | None = None, kinds: tuple[str, ...] | None = None,
               k: int = 3, topic_prior: Mapping[str, float] | None = None
               ) -> list[SearchHit]:
        """Ranked passages; `topic_prior` (topic -> probability) overrides the index's own
        guess of what the question is about (`{}`: no prior)."""
        return self.index.search(query, topics=[topic] if topic else None,
                                 municipality=municipality, kinds=kinds, k=k,
                                 topic_prior=topic_prior)

"""Load validated knowledge-base YAML into SQL in one transaction.

A failed load (validation error, database error) leaves the previous content untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from assistant.kb.migrations import upgrade
from assistant.kb.models import (
    LawReference,
    Municipality,
    PolicyDocument,
    Service,
    Statement,
    SynonymGroup,
    Topic,
    law_topics,
    service_topics,
    statement_topics,
    synonym_group_topics,
)
from assistant.kb.validate import KnowledgeData, load_valid, parse_opening_hours


@dataclass(frozen=True)
class LoadReport:
    topics: int
    municipalities: int
    documents: int
    statements: int
    services: int
    laws: int
    synonym_groups: int = 0


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _id_list(value: object) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _questions(item: dict) -> str:
    """An entry's example questions, one per line (whitespace collapsed)."""
    return "\n".join(" ".join(q.split()) for q in item.get("questions") or [])


def _replace_all(session: Session, data: KnowledgeData) -> LoadReport:
    for table in (statement_topics, service_topics, law_topics, synonym_group_topics):
        session.execute(delete(table))
    for model in (Statement, PolicyDocument, Service, LawReference, SynonymGroup,
                  Municipality, Topic):
        session.execute(delete(model))
    session.flush()

    topics = {t["id"]: Topic(id=t["id"], name=t["name"].strip(), intent=t.get("intent"),
                             description=t["description"].strip()) for t in data.topics}
    session.add_all(topics.values())
    for m in data.municipalities:
        session.add(Municipality(
            name=m["name"], official_name=m["official_name"], code=str(m["code"]),
            region=m["region"], website=m.get("website"),
            aliases="\n".join(m.get("aliases") or []),
        ))
    session.flush()
    n_statements = 0
    for policy in data.policies:
        doc = policy["document"]
        document = PolicyDocument(
            id=doc["id"], municipality_name=policy["municipality"], title=doc["title"].strip(),
            year=doc["year"], period=_text(doc.get("period")), adopted=_text(doc.get("adopted")),
            source_file=doc["source_file"].strip(), summary=doc["summary"].strip(),
        )
        for position, s in enumerate(policy["statements"]):
            topic_ids = s["topics"] if isinstance(s["topics"], list) else [s["topics"]]
            document.statements.append(Statement(
                id=s["id"], position=position, section=s["section"].strip(), kind=s["kind"],
                title=s["title"].strip(), text=s["text"].strip(), questions=_questions(s),
                topics=[topics[t] for t in topic_ids],
            ))
            n_statements += 1
        session.add(document)
    for s in data.services:
        hours = parse_opening_hours(s.get("opening_hours"))
        session.add(Service(
            id=s["id"], name=s["name"].strip(), kind=s["kind"],
            description=s["description"].strip(),
            audience=_text(s.get("audience")), phone=_text(s.get("phone")), sms=_text(s.get("sms")),
            hours=_text(s.get("hours")),
            opening_hours=json.dumps(hours) if hours is not None else None,
            anonymous=s.get("anonymous"), url=_text(s.get("url")),
            address=_text(s.get("address")),
            municipality_name=s.get("municipality"), priority=s.get("priority", 5),
            sources="\n".join(src.strip() for src in s["sources"]),
            source_date=_text(str(s["source_date"])) if s.get("source_date") else None,
            verified_on=str(s["verified_on"]), questions=_questions(s),
            topics=[topics[t] for t in (s["topics"] if isinstance(s["topics"], list)
                                        else [s["topics"]])],
        ))
    for law in data.laws:
        session.add(LawReference(
            id=law["id"], paragraph=law["paragraph"].strip(), title=law["title"].strip(),
            meaning=law["meaning"].strip(), sources="\n".join(law["sources"]),
            questions=_questions(law),
            topics=[topics[t] for t in (law["topics"] if isinstance(law["topics"], list)
                                        else [law["topics"]])],
        ))
    for position, group in enumerate(data.synonyms):
        session.add(SynonymGroup(
            id=group["id"], position=position,
            words="\n".join(" ".join(str(w).split()) for w in group["words"]),
            topics=[topics[t] for t in _id_list(group.get("topics"))],
        ))
    session.flush()
    return LoadReport(
        topics=len(topics), municipalities=len(data.municipalities),
        documents=len(data.policies), statements=n_statements, services=len(data.services),
        laws=len(data.laws), synonym_groups=len(data.synonyms),
    )


def load_knowledge(engine: Engine, knowledge_dir: Path) -> LoadReport:
    """Validate `knowledge_dir` and replace the database content in one transaction.

    Raises :class:`assistant.kb.validate.ValidationFailed` before touching the database
    if any file has a problem.
    """
    data = load_valid(knowledge_dir)
    upgrade(engine)
    with Session(engine, future=True) as session, session.begin():
        return _replace_all(session, data)


def is_loaded(engine: Engine) -> bool:
    upgrade(engine)
    with Session(engine, future=True) as session:
        return session.execute(select(Municipality.name).limit(1)).first() is not None

"""SQLAlchemy models of the knowledge base.

Municipalities, their policy documents and the statements in them, support services,
topics and Social Services Act references, with the links between them; and the search
thesaurus (synonym groups) from synonyms.yml.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

statement_topics = Table(
    "statement_topics",
    Base.metadata,
    Column("statement_id", String(80), ForeignKey("statements.id", ondelete="CASCADE"),
           primary_key=True),
    Column("topic_id", String(40), ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

service_topics = Table(
    "service_topics",
    Base.metadata,
    Column("service_id", String(80), ForeignKey("services.id", ondelete="CASCADE"),
           primary_key=True),
    Column("topic_id", String(40), ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

synonym_group_topics = Table(
    "synonym_group_topics",
    Base.metadata,
    Column("group_id", String(80), ForeignKey("synonym_groups.id", ondelete="CASCADE"),
           primary_key=True),
    Column("topic_id", String(40), ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

law_topics = Table(
    "law_topics",
    Base.metadata,
    Column("law_id", String(80), ForeignKey("laws.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", String(40), ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(Base):
    __tablename__ = "topics"

    id = Column(String(40), primary_key=True)
    name = Column(String(120), nullable=False)
    intent = Column(String(60))
    description = Column(Text, nullable=False, default="")

    def __repr__(self) -> str:
        return f"Topic({self.id!r})"


class Municipality(Base):
    __tablename__ = "municipalities"

    name = Column(String(60), primary_key=True)
    official_name = Column(String(80), nullable=False)
    code = Column(String(4), nullable=False, unique=True)
    region = Column(String(60), nullable=False)
    website = Column(String(200))
    aliases = Column(Text, nullable=False, default="")  # newline-separated

    documents = relationship("PolicyDocument", back_populates="municipality")
    services = relationship("Service", back_populates="municipality")

    def __repr__(self) -> str:
        return f"Municipality({self.name!r})"


class PolicyDocument(Base):
    __tablename__ = "policy_documents"

    id = Column(String(80), primary_key=True)
    municipality_name = Column(String(60), ForeignKey("municipalities.name"), nullable=False)
    title = Column(String(200), nullable=False)
    year = Column(Integer, nullable=False)
    period = Column(String(40))
    adopted = Column(String(200))
    source_file = Column(String(200), nullable=False)
    summary = Column(Text, nullable=False)

    municipality = relationship("Municipality", back_populates="documents")
    statements = relationship(
        "Statement", back_populates="document", cascade="all, delete-orphan",
        order_by="Statement.position",
    )

    @property
    def citation(self) -> str:
        return f"{self.municipality.official_name}, {self.title} ({self.year})"


class Statement(Base):
    __tablename__ = "statements"

    id = Column(String(80), primary_key=True)
    document_id = Column(String(80), ForeignKey("policy_documents.id"), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    section = Column(String(200), nullable=False)
    kind = Column(String(20), nullable=False)
    title = Column(String(200), nullable=False)
    text = Column(Text, nullable=False)
    # Staff-written example questions this statement answers (newline-separated): searched,
    # never shown.
    questions = Column(Text, nullable=False, default="", server_default="")

    document = relationship("PolicyDocument", back_populates="statements")
    topics = relationship("Topic", secondary=statement_topics, order_by="Topic.id")

    @property
    def citation(self) -> str:
        return f"{self.document.citation}, afsnit {self.section}"


class Service(Base):
    __tablename__ = "services"

    id = Column(String(80), primary_key=True)
    name = Column(String(200), nullable=False)
    kind = Column(String(30), nullable=False)
    description = Column(Text, nullable=False)
    audience = Column(String(200))
    phone = Column(String(20))
    sms = Column(String(20))
    hours = Column(String(300))
    opening_hours = Column(Text)  # JSON: "always" or a list of {days, from, to}; NULL unknown
    anonymous = Column(Boolean)
    url = Column(String(300))
    address = Column(String(300))
    municipality_name = Column(String(60), ForeignKey("municipalities.name"))
    priority = Column(Integer, nullable=False, default=5)
    sources = Column(Text, nullable=False)  # newline-separated URLs
    source_date = Column(String(200))  # PostgreSQL enforces the length (SQLite does not)
    verified_on = Column(String(10), nullable=False)
    questions = Column(Text, nullable=False, default="", server_default="")  # as Statement

    municipality = relationship("Municipality", back_populates="services")
    topics = relationship("Topic", secondary=service_topics, order_by="Topic.id")


class LawReference(Base):
    __tablename__ = "laws"

    id = Column(String(80), primary_key=True)
    paragraph = Column(String(200), nullable=False)
    title = Column(String(200), nullable=False)
    meaning = Column(Text, nullable=False)
    sources = Column(Text, nullable=False)
    questions = Column(Text, nullable=False, default="", server_default="")  # as Statement

    topics = relationship("Topic", secondary=law_topics, order_by="Topic.id")


class SynonymGroup(Base):
    """One concept of the search thesaurus: words and phrases that mean the same."""

    __tablename__ = "synonym_groups"

    id = Column(String(80), primary_key=True)
    position = Column(Integer, nullable=False, default=0)
    words = Column(Text, nullable=False)  # newline-separated words and phrases

    topics = relationship("Topic", secondary=synonym_group_topics, order_by="Topic.id")

"""Loading data/knowledge into SQL: counts, replace semantics, all-or-nothing, migrations."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
import yaml
from project_paths import KNOWLEDGE_DIR
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from assistant.kb.loader import is_loaded, load_knowledge
from assistant.kb.migrations import upgrade
from assistant.kb.models import Base
from assistant.kb.repository import KnowledgeBase
from assistant.kb.validate import ValidationFailed

TABLES = ["topics", "municipalities", "policy_documents", "statements", "services", "laws",
          "statement_topics", "service_topics", "law_topics"]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def expected_counts(root: Path = KNOWLEDGE_DIR) -> dict[str, int]:
    """Row counts computed straight from the YAML files, independently of the loader."""
    policies = [_yaml(Path(p)) for p in sorted(glob.glob(str(root / "policies" / "*.yml")))]
    services = _yaml(root / "services.yml")["services"]
    laws = _yaml(root / "laws.yml")["laws"]
    statements = [s for p in policies for s in p["statements"]]
    return {
        "topics": len(_yaml(root / "topics.yml")["topics"]),
        "municipalities": len(_yaml(root / "municipalities.yml")["municipalities"]),
        "policy_documents": len(policies),
        "statements": len(statements),
        "services": len(services),
        "laws": len(laws),
        "statement_topics": sum(len(_as_list(s["topics"])) for s in statements),
        "service_topics": sum(len(_as_list(s["topics"])) for s in services),
        "law_topics": sum(len(_as_list(law["topics"])) for law in laws),
    }


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, for exact before/after comparisons."""
    with engine.connect() as conn:
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))
                for t in TABLES}


@pytest.fixture
def loaded_engine(fresh_engine):
    load_knowledge(fresh_engine, KNOWLEDGE_DIR)
    return fresh_engine


# --- counts ---------------------------------------------------------------------------


def test_load_report_and_rows_match_the_yaml(fresh_engine):
    expected = expected_counts()
    report = load_knowledge(fresh_engine, KNOWLEDGE_DIR)
    assert (report.topics, report.municipalities, report.documents, report.statements,
            report.services, report.laws) == (
        expected["topics"], expected["municipalities"], expected["policy_documents"],
        expected["statements"], expected["services"], expected["laws"])
    assert table_counts(fresh_engine) == expected
    assert expected["municipalities"] == 98 and expected["policy_documents"] == 5


def test_loaded_content_round_trips(loaded_engine):
    kb = KnowledgeBase.from_engine(loaded_engine)
    lev = kb.service("lev-uden-vold")
    assert lev is not None and lev.phone == "1888" and lev.opening_hours == "always"
    halsnaes = kb.service("halsnaes-aaben-raadgivning-for-voksne")
    assert halsnaes.municipality == "Halsnæs"
    assert halsnaes.opening_hours == [
        {"days": "mon-wed", "from": "09:00", "to": "14:30"},
        {"days": "thu", "from": "09:00", "to": "17:00"}]
    assert halsnaes.verified_on == "2026-11-23"
    statement = kb.get("randers-housing-first")
    assert statement.municipality == "Randers" and statement.topics == ("housing",)
    assert statement.citation == ("Randers Kommune, Politik for borgere med særlige behov "
                                  "(2018), afsnit Vision")
    # Statement order inside a document follows the YAML.
    randers = _yaml(KNOWLEDGE_DIR / "policies" / "randers.yml")
    assert [s.id for s in kb.statements if s.municipality == "Randers"] == [
        s["id"] for s in randers["statements"]]
    assert is_loaded(loaded_engine)


def test_example_questions_round_trip(loaded_engine):
    """Every entry's example questions come back from SQL in order, whitespace collapsed."""
    kb = KnowledgeBase.from_engine(loaded_engine)
    entries = [s for p in sorted((KNOWLEDGE_DIR / "policies").glob("*.yml"))
               for s in _yaml(p)["statements"]]
    entries += _yaml(KNOWLEDGE_DIR / "services.yml")["services"]
    entries += _yaml(KNOWLEDGE_DIR / "laws.yml")["laws"]
    with_questions = [e for e in entries if e.get("questions")]
    assert len(with_questions) >= 100
    for entry in entries:
        expected = tuple(" ".join(q.split()) for q in entry.get("questions") or [])
        assert kb.get(entry["id"]).questions == expected, entry["id"]


def test_is_loaded_false_on_an_empty_database(fresh_engine):
    assert is_loaded(fresh_engine) is False


# --- replace semantics ----------------------------------------------------------------


def test_second_load_replaces_without_duplicates(loaded_engine):
    before = snapshot(loaded_engine)
    load_knowledge(loaded_engine, KNOWLEDGE_DIR)
    assert snapshot(loaded_engine) == before
    assert table_counts(loaded_engine) == expected_counts()


def test_load_of_changed_content_removes_old_rows(loaded_engine, copy_knowledge, edit_yaml):
    root = copy_knowledge()

    def drop_danner(d):
        d["services"] = [s for s in d["services"] if s["id"] != "danner"]

    edit_yaml(root / "services.yml", drop_danner)
    (root / "policies" / "halsnaes.yml").unlink()
    load_knowledge(loaded_engine, root)
    kb = KnowledgeBase.from_engine(loaded_engine)
    assert kb.service("danner") is None
    assert "Halsnæs" not in kb.documents
    assert not [s for s in kb.statements if s.municipality == "Halsnæs"]
    assert table_counts(loaded_engine) == expected_counts(root)


# --- all or nothing -------------------------------------------------------------------


def _changed_copy(copy_knowledge, edit_yaml) -> Path:
    """A copy whose content differs visibly from the real one (so a partial load shows)."""
    root = copy_knowledge()

    def change(d):
        d["services"] = [s for s in d["services"] if s["id"] != "danner"]
        next(s for s in d["services"] if s["id"] == "lev-uden-vold")["name"] = "ÆNDRET"

    edit_yaml(root / "services.yml", change)
    return root


def test_validation_failure_leaves_previous_content(loaded_engine, copy_knowledge, edit_yaml):
    before = snapshot(loaded_engine)
    root = _changed_copy(copy_knowledge, edit_yaml)
    edit_yaml(root / "policies" / "randers.yml",
              lambda d: d["statements"][0].update(topics=["no_such_topic"]))
    with pytest.raises(ValidationFailed) as failed:
        load_knowledge(loaded_engine, root)
    assert any(p.field == "topics" for p in failed.value.problems)
    assert snapshot(loaded_engine) == before


def test_validation_failure_on_empty_database_creates_nothing(fresh_engine, copy_knowledge):
    root = copy_knowledge()
    (root / "topics.yml").write_text("topics: [", encoding="utf-8")
    with pytest.raises(ValidationFailed):
        load_knowledge(fresh_engine, root)
    # Validation comes before the database is touched at all.
    assert inspect(fresh_engine).get_table_names() == []


def test_database_error_rolls_back_completely(loaded_engine, copy_knowledge, edit_yaml):
    """A real DB-level failure late in the load (the laws insert, after everything else was
    deleted and re-inserted) must leave exactly the previous content."""
    before = snapshot(loaded_engine)
    root = _changed_copy(copy_knowledge, edit_yaml)
    with loaded_engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse_laws BEFORE INSERT ON laws "
                          "BEGIN SELECT RAISE(ABORT, 'laws are read-only today'); END"))
    with pytest.raises(IntegrityError, match="read-only today"):
        load_knowledge(loaded_engine, root)
    assert snapshot(loaded_engine) == before
    kb = KnowledgeBase.from_engine(loaded_engine)
    assert kb.service("danner") is not None
    assert kb.service("lev-uden-vold").name == "Lev Uden Vold"


def test_constraint_violation_from_the_data_rolls_back(loaded_engine, copy_knowledge,
                                                       edit_yaml):
    """A file the validator accepts but the schema refuses (a topic listed twice violates
    the statement_topics primary key) must not leave a half-loaded database."""
    before = snapshot(loaded_engine)
    root = _changed_copy(copy_knowledge, edit_yaml)
    edit_yaml(root / "policies" / "randers.yml", lambda d: next(
        s for s in d["statements"] if s["id"] == "randers-housing-first"
    ).update(topics=["housing", "housing"]))
    # Today this is an IntegrityError from the database; once the validator catches
    # duplicate topics it becomes a ValidationFailed. Either way nothing may change.
    with pytest.raises((IntegrityError, ValidationFailed)):
        load_knowledge(loaded_engine, root)
    assert snapshot(loaded_engine) == before


def test_failed_load_into_empty_database_leaves_it_empty(fresh_engine, copy_knowledge,
                                                        edit_yaml):
    upgrade(fresh_engine)
    with fresh_engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse_services BEFORE INSERT ON services "
                          "BEGIN SELECT RAISE(ABORT, 'no services'); END"))
    with pytest.raises(IntegrityError):
        load_knowledge(fresh_engine, KNOWLEDGE_DIR)
    assert set(table_counts(fresh_engine).values()) == {0}
    assert is_loaded(fresh_engine) is False


# --- migrations -----------------------------------------------------------------------


def test_upgrade_creates_schema_and_version_table(fresh_engine):
    upgrade(fresh_engine)
    tables = set(inspect(fresh_engine).get_table_names())
    assert set(TABLES) <= tables
    assert "kb_alembic_version" in tables
    assert "alembic_version" not in tables  # our own version table, not Rasa's default
    with fresh_engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM kb_alembic_version")).all()
    from alembic.script import ScriptDirectory

    from assistant.kb.migrations import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert versions == [(head,)]
    assert head != "0001"  # the thesaurus migration (0002) is applied on top


def test_upgrade_twice_is_idempotent(fresh_engine):
    upgrade(fresh_engine)
    insp = inspect(fresh_engine)
    first = {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names()}
    upgrade(fresh_engine)
    insp = inspect(fresh_engine)
    second = {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names()}
    assert first == second
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kb_alembic_version")).scalar_one() == 1


def test_upgrade_keeps_loaded_content(loaded_engine):
    before = snapshot(loaded_engine)
    upgrade(loaded_engine)
    assert snapshot(loaded_engine) == before


def test_questions_migration_keeps_older_rows(fresh_engine):
    """A database from before the example questions (0002) gets the column, empty."""
    upgrade(fresh_engine, "0002")
    with fresh_engine.begin() as conn:
        conn.execute(text("INSERT INTO laws (id, paragraph, title, meaning, sources) "
                          "VALUES ('sel-1', 'Serviceloven § 1', 'Formål', 'Loven...', 'x')"))
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        assert conn.execute(text("SELECT id, questions FROM laws")).all() == [("sel-1", "")]
    columns = {t: {c["name"] for c in inspect(fresh_engine).get_columns(t)}
               for t in ("statements", "services", "laws")}
    assert all("questions" in names for names in columns.values())


def test_migrations_match_the_models(fresh_engine):
    """The migration scripts build exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    diff = [d for d in diff
            if not (d[0] == "remove_table" and d[1].name == "kb_alembic_version")]
    assert diff == []


def test_foreign_keys_are_enforced(loaded_engine):
    with pytest.raises(IntegrityError), loaded_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO statements (id, document_id, position, section, kind, title, text) "
            "VALUES ('x', 'no-such-document', 0, 's', 'topic', 't', 'x')"))

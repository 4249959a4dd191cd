"""Shared fixtures: a real knowledge base in a temporary SQLite file, the real domain texts,
copies of data/knowledge for mutation tests, and settings pointing at temporary paths.

Nothing here mocks project code. The session-scoped `kb_engine`/`kb` hold the real
data/knowledge content and must not be mutated; tests that load or break data use
`fresh_engine` and `copy_knowledge` instead.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from project_paths import DOMAIN_DIR, KNOWLEDGE_DIR, MASSIVE_FILE  # noqa: E402

from assistant.config import Settings, load_settings


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def kb_engine(tmp_path_factory: pytest.TempPathFactory):
    """Engine on a temporary SQLite file holding the real data/knowledge (read-only use)."""
    from assistant.kb.db import make_engine
    from assistant.kb.loader import load_knowledge

    path = tmp_path_factory.mktemp("kb") / "knowledge.db"
    engine = make_engine(sqlite_url(path))
    load_knowledge(engine, KNOWLEDGE_DIR)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def kb(kb_engine):
    """Immutable KnowledgeBase snapshot of the real knowledge content."""
    from assistant.kb.repository import KnowledgeBase

    return KnowledgeBase.from_engine(kb_engine)


@pytest.fixture
def fresh_engine(tmp_path: Path):
    """Engine on an empty temporary SQLite file (for load/migration tests)."""
    from assistant.kb.db import make_engine

    engine = make_engine(sqlite_url(tmp_path / "fresh.db"))
    yield engine
    engine.dispose()


@pytest.fixture
def copy_knowledge(tmp_path: Path) -> Callable[..., Path]:
    """Factory: copy data/knowledge into tmp_path (or `dest`) and return the copy's path."""

    def _copy(dest: Path | None = None) -> Path:
        target = dest if dest is not None else tmp_path / "knowledge"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(KNOWLEDGE_DIR, target)
        return target

    return _copy


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _edit_yaml(path: Path, change: Callable[[Any], Any]) -> None:
    """Mutate the parsed YAML in place with `change` (its return value is ignored)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    change(data)
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


@pytest.fixture
def edit_yaml() -> Callable[[Path, Callable[[Any], Any]], None]:
    """edit_yaml(path, change): load a YAML file, let `change` mutate it in place, write it."""
    return _edit_yaml


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings rooted in tmp_path with DATABASE_URL on a temporary SQLite file."""
    env = {
        "DATABASE_URL": sqlite_url(tmp_path / "var" / "knowledge.db"),
        "KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
    }
    return load_settings(env=env, root=tmp_path)


@pytest.fixture(scope="session")
def domain_dict() -> dict[str, Any]:
    """The real Rasa domain (all domain/*.yml merged by Rasa itself) as a dict."""
    from rasa.shared.core.domain import Domain

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Domain.load(str(DOMAIN_DIR)).as_dict()


@pytest.fixture(scope="session")
def phrases(domain_dict):
    from assistant.dialogue.answers import Phrases

    return Phrases(domain_dict)


@pytest.fixture(scope="session")
def massive_texts() -> list[str]:
    """All texts of the MASSIVE da-DK training file (skips when the file is absent)."""
    import json

    if not MASSIVE_FILE.is_file():
        pytest.skip(f"{MASSIVE_FILE} not available")
    lines = MASSIVE_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]

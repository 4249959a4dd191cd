"""Fixtures for the staff tools' tests: a temporary tracker store filled through the real
PrivacyTrackerStore.save with the conversations of seed.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.privacy.store import PrivacyTrackerStore

from .seed import Conversation, build_seed, save_all

# The browser-test harness (tests/web/web_harness.py) is shared with tests/staff.
sys.path.insert(0, str(PROJECT_ROOT / "tests" / "web"))


@pytest.fixture(scope="session")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture
def tracker_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def seeded(tracker_url: str, domain: Domain) -> str:
    """A temporary tracker store holding the six conversations; returns its URL."""
    store = PrivacyTrackerStore(domain=domain, url=tracker_url)
    save_all(store, build_seed(), domain)
    store.engine.dispose()
    return tracker_url


@pytest.fixture
def staff_settings(tmp_path: Path, seeded: str) -> Settings:
    return load_settings(env={"TRACKER_STORE_URL": seeded,
                              "KNOWLEDGE_DIR": str(PROJECT_ROOT / "data" / "knowledge")},
                         root=tmp_path)


@pytest.fixture
def fill(domain: Domain) -> Callable[[str, list[Conversation]], None]:
    def _fill(url: str, conversations: list[Conversation]) -> None:
        store = PrivacyTrackerStore(domain=domain, url=url)
        save_all(store, conversations, domain)
        store.engine.dispose()

    return _fill

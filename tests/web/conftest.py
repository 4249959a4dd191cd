"""Fixtures for the browser tests (`pytest -m web`): one real assistant for the session,
and a fresh Chromium profile per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_harness import Assistant, SocketFrames, chromium, external


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The restart test stops and starts the shared assistant: run it last.
    items.sort(key=lambda item: "restart" in item.name)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    reuse = os.environ.get("WEB_TEST_EXTERNAL")
    if reuse:
        running = external(Path(reuse))
        if running is None:
            pytest.exit(f"WEB_TEST_EXTERNAL={reuse}: no ports.json (start it with "
                        "'python tests/web/web_harness.py serve DIR')")
        yield running
        return
    server = Assistant(tmp_path_factory.mktemp("assistant"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile") as context:
        yield context


@pytest.fixture
def page(browser_context: Any) -> Any:
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(20_000)
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


@pytest.fixture
def frames(page: Any) -> SocketFrames:
    return SocketFrames(page)

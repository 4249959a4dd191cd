"""Fixtures for the robustness tests (`pytest -m robust`, `make robust-test`).

- `assistant`: the whole assistant (`assistant run`: action server, Rasa server, web chat
  server) on free ports with its own temporary conversation store (tests/web/web_harness).
- `faulty_rasa`: a second Rasa server, started with the launcher's own command line and
  RASA_API_TOKEN set, whose action server address is a FaultProxy the test switches
  between "down" (connection refused) and "blackhole" (accepts, never answers).

Both start in parallel when a test session needs both (about a minute on 2 cores).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from robust_harness import FaultProxy, RasaServer, say
from web_harness import Assistant, external

# Hypothesis' own cache (unicode tables) under var/, not a .hypothesis/ in the checkout.
set_hypothesis_home_dir(str(Path(__file__).resolve().parents[2] / "var" / "hypothesis"))

API_TOKEN = secrets.token_hex(16)
_plan: dict[str, object] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    selected = [i for i in items if "robustness" in str(i.path)]
    _plan["faulty"] = any("faulty_rasa" in getattr(i, "fixturenames", ()) for i in selected)
    _plan["assistant"] = any("assistant" in getattr(i, "fixturenames", ()) for i in selected)
    # Tests that restart the assistant or break its database run last, in this order.
    order = {"restart": 1, "database_lost": 2}
    items.sort(key=lambda i: max([v for k, v in order.items() if k in i.name] or [0]))


def _make_faulty(base: Path) -> tuple[RasaServer, FaultProxy]:
    proxy = FaultProxy()
    server = RasaServer(base / "faulty", action_url=f"http://127.0.0.1:{proxy.port}/webhook",
                        extra_env={"RASA_API_TOKEN": API_TOKEN})
    return server, proxy


@pytest.fixture(scope="session")
def _servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    base = tmp_path_factory.mktemp("robust")
    made: dict[str, object] = {}
    faulty: tuple[RasaServer, FaultProxy] | None = None
    if _plan.get("faulty", True):
        faulty = _make_faulty(base)
        faulty[0].launch()  # loads while the assistant below starts
        made["faulty"] = faulty
    assistant = None
    try:
        reuse = os.environ.get("ROBUST_EXTERNAL")  # a `web_harness.py serve DIR` instance
        if reuse:
            made["assistant"] = external(Path(reuse))
        elif _plan.get("assistant", True):
            assistant = Assistant(base / "assistant")
            assistant.start()
            made["assistant"] = assistant
        if faulty is not None:
            faulty[0].wait_ready()
            # Like the launcher's warm-up: the first messages of a fresh server are slow.
            for text in ("hej", "jeg har gæld", "min kæreste slår mig"):
                say(faulty[0].port, "warmup", text)
        yield made
    finally:
        if assistant is not None:
            assistant.stop()
        if faulty is not None:
            faulty[0].stop()
            faulty[1].close()


@pytest.fixture(scope="session")
def assistant(_servers: dict[str, object]) -> Assistant:
    if "assistant" not in _servers:
        pytest.skip("assistant not started")
    return _servers["assistant"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def faulty_rasa(_servers: dict[str, object]) -> tuple[RasaServer, FaultProxy]:
    if "faulty" not in _servers:
        pytest.skip("faulty Rasa server not started")
    return _servers["faulty"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def api_token() -> str:
    return API_TOKEN

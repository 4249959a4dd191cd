"""The action server warms up everything the first message would otherwise wait for."""

from __future__ import annotations

from types import SimpleNamespace

import assistant.nlu.municipality as municipality
import assistant.runtime as runtime
from assistant.action_server import warm_up


def test_warm_up_fits_the_topic_prior_and_runs_one_search(monkeypatch) -> None:
    calls: list[str] = []
    topic_model = SimpleNamespace(predict=lambda text: calls.append(f"prior:{text}"))
    kb = SimpleNamespace(
        index=SimpleNamespace(topic_model=topic_model), services=[1, 2], statements=[3],
        search=lambda text, k: calls.append(f"search:{text}:{k}") or [])
    monkeypatch.setattr(runtime, "knowledge_base", lambda: kb)
    monkeypatch.setattr(municipality, "default_matcher", lambda: calls.append("matcher"))
    warm_up()
    assert calls[0] == "matcher"
    assert "prior:" in calls
    assert any(c.startswith("search:") and c.endswith(":1") for c in calls)

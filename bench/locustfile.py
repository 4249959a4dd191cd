"""Locust load test: realistic Danish conversations against the REST webhook.

Run by bench/run.py (headless, one process per load level); by hand:

    BENCH_SAMPLES=/tmp/s.json .venv/bin/locust -f bench/locustfile.py --headless \
        -u 8 -r 8 -t 60s --host http://127.0.0.1:5005

Each virtual user plays one conversation from bench/conversations.yml (picked by weight)
under a fresh sender id, then another, with no pause: the load is closed-loop, so the
throughput at N users is what the server manages with N conversations in flight.

Every reply is classified: `ok`; `safe` (the guard's safe reply with 112, sent when the
reply budget ran out or an action failed — it hides slowness, so it is counted apart);
`too_fast` (the channel's burst limit); `unexpected` (an answer, but not containing what
the step expects); `error` (HTTP error, timeout, no JSON). With BENCH_SAMPLES set, every
sample (start time, latency, kind, conversation) is written there as JSON at the end.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.conversations import ReplyClassifier, load_conversations, reply_texts  # noqa: E402

CONVERSATIONS = load_conversations()
WEIGHTS = [c.weight for c in CONVERSATIONS]
CLASSIFY = ReplyClassifier.from_domain()
WEBHOOK = "/webhooks/rest/webhook"
SAMPLES: list[tuple[float, float, str, str]] = []


class Citizen(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0

    @task
    def conversation(self) -> None:
        conv = random.choices(CONVERSATIONS, weights=WEIGHTS, k=1)[0]
        sender = f"bench-{uuid.uuid4().hex}"
        for step in conv.steps:
            started_wall = time.time()
            started = time.perf_counter()
            with self.client.post(WEBHOOK, json={"sender": sender, "message": step.say},
                                  name=conv.name, catch_response=True) as response:
                seconds = time.perf_counter() - started
                body = response.content or b""
                kind = CLASSIFY(response.status_code or 0, reply_texts(body), step)
                SAMPLES.append((round(started_wall, 3), round(seconds * 1000, 2), kind,
                                conv.name))
                if kind in ("safe", "too_fast", "error"):
                    response.failure(kind)
                else:
                    response.success()
            if kind == "error":
                return  # the conversation cannot go on sensibly


@events.quitting.add_listener
def _write_samples(environment: Any, **_kwargs: Any) -> None:
    target = os.environ.get("BENCH_SAMPLES")
    if target:
        Path(target).write_text(json.dumps({"samples": SAMPLES}), encoding="utf-8")

"""The benchmark's pure parts (bench/): conversation file format, reply classification,
statistics, ratios against Rasa's default configuration, the bar check, the report, the
profile summary and the training fingerprint. The load run itself is `make bench`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.conversations import (  # noqa: E402
    MAX_STEPS,
    ConversationFileError,
    ReplyClassifier,
    Step,
    load_conversations,
    parse_conversations,
    reply_texts,
)

# --- conversations.yml ---------------------------------------------------------------


def test_the_conversation_file_is_valid_and_covers_the_issue() -> None:
    conversations = load_conversations()
    names = [c.name for c in conversations]
    assert len(names) == len(set(names)) >= 6
    assert all(1 <= len(c.steps) <= MAX_STEPS for c in conversations)
    said = [s.say for c in conversations for s in c.steps]
    # a crisis, answered with 112
    assert any("112" in s.expect for c in conversations for s in c.steps)
    # municipality answers typed and as the web chat's button payload
    assert any(s.startswith("/inform_municipality{") for s in said)
    assert any("bor faktisk i" in s for s in said)  # a change of municipality
    # Danish text, not intent payloads, for most of the messages
    assert sum(not s.startswith("/") for s in said) > 0.9 * len(said)


@pytest.mark.parametrize("data, message", [
    ({"conversations": []}, "version: 1"),
    ({"version": 1, "conversations": []}, "non-empty list"),
    ({"version": 1, "conversations": [{"name": "a", "steps": [{"say": ""}]}]},
     "conversation 'a', step 1"),
    ({"version": 1, "conversations": [{"name": "a", "steps": [{"say": "hej", "x": 1}]}]},
     "only 'say' and 'expect'"),
    ({"version": 1, "conversations": [{"name": "a", "weight": 0, "steps": [{"say": "hej"}]}]},
     "'weight'"),
    ({"version": 1, "conversations": [{"name": "a", "steps": [{"say": "hej"}]},
                                      {"name": "a", "steps": [{"say": "hej"}]}]},
     "used twice"),
    ({"version": 1, "conversations": [
        {"name": "long", "steps": [{"say": "hej"}] * (MAX_STEPS + 1)}]}, "burst limit"),
])
def test_bad_conversation_files_are_named(data: object, message: str) -> None:
    with pytest.raises(ConversationFileError, match=message):
        parse_conversations(data)


def test_expect_accepts_a_single_text_and_matches_case_insensitively() -> None:
    [conv] = parse_conversations({"version": 1, "conversations": [
        {"name": "c", "steps": [{"say": "hej", "expect": "Kommune"}]}]})
    step = conv.steps[0]
    assert step.expect == ("Kommune",)
    assert step.matches("Hvilken KOMMUNE bor du i?")
    assert not step.matches("Hej!")
    assert Step("hej").matches("anything")


# --- reply classification --------------------------------------------------------------


def test_replies_are_classified_with_the_domains_texts() -> None:
    classify = ReplyClassifier.from_domain()
    assert "112" in classify.safe_reply  # the guard's real text
    step = Step("jeg har gæld", ("kommune",))
    assert classify(200, ["Hvilken kommune bor du i?"], step) == "ok"
    assert classify(200, ["Hej, hvad kan jeg hjælpe med?"], step) == "unexpected"
    assert classify(200, ["Før", classify.safe_reply], step) == "safe"
    assert classify(200, [classify.too_fast], step) == "too_fast"
    assert classify(500, ["Hvilken kommune"], step) == "error"
    assert classify(200, None, step) == "error"


def test_reply_texts_reads_the_rest_channels_json() -> None:
    body = json.dumps([{"recipient_id": "x", "text": "Hej"}, {"buttons": []}]).encode()
    assert reply_texts(body) == ["Hej", ""]
    assert reply_texts(b"<html>") is None
    assert reply_texts(b'{"error": "x"}') is None


# --- statistics, ratios, bar -------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))  # 1..100
    assert report.percentile(values, 50) == 50
    assert report.percentile(values, 95) == 95
    assert report.percentile(values, 99) == 99
    assert report.percentile([7.0], 99) == 7.0
    assert report.percentile([3, 1, 2], 50) == 2
    assert math.isnan(report.percentile([], 50))


def test_level_stats_count_safe_replies_apart_from_answers() -> None:
    samples = [(1000.0 + i, 100.0, "ok", "c") for i in range(8)]
    samples += [(1000.5, 2700.0, "safe", "c"), (1001.5, 50.0, "unexpected", "c")]
    stats = report.level_stats(4, samples, seconds=10.0, cpu_seconds={"rasa": 2.0})
    assert stats.requests == 10 and stats.answers == 9
    assert stats.counts["safe"] == 1 and stats.counts["error"] == 0
    assert stats.throughput == 0.9  # answers per second; the safe reply is not one
    assert stats.p50_ms == 100.0 and stats.p99_ms == 2700.0
    assert stats.rasa_cpu_ms_per_msg == 200.0 and stats.action_cpu_ms_per_msg is None
    assert stats.safe_share == pytest.approx(0.1)


def test_level_stats_window_defaults_to_first_start_to_last_end() -> None:
    stats = report.level_stats(1, [(10.0, 500.0, "ok", "c"), (12.0, 1000.0, "ok", "c")])
    assert stats.seconds == 3.0
    assert stats.throughput == pytest.approx(0.67, abs=0.01)


def _config(p50: float, p95: float, throughput: float, rss: float) -> dict:
    p50, p95, throughput = float(p50), float(p95), float(throughput)
    level = {"p50_ms": p50, "p95_ms": p95, "p99_ms": p95 * 1.5, "throughput": throughput,
             "rasa_cpu_ms_per_msg": p50}
    return {"levels": {"1": dict(level), "32": dict(level)},
            "rss_peak_mb": {"rasa": rss, "action": 200.0}}


def test_ratios_and_bar_pass_when_ours_is_twice_as_good() -> None:
    configs = {"ours": _config(20, 100, 90, 700), "default": _config(60, 400, 40, 1100)}
    ratios = report.compute_ratios(configs)
    assert ratios["levels"]["1"]["p50_ms"] == pytest.approx(0.333, abs=0.001)
    assert ratios["levels"]["32"]["throughput"] == 2.25
    assert ratios["rasa_rss"] == pytest.approx(0.636, abs=0.001)
    assert ratios["action_rss"] == 1.0
    bar = report.bar_check(ratios, train_seconds=120)
    assert [b.passed for b in bar] == [True] * 5


def test_bar_fails_each_check_that_misses() -> None:
    configs = {"ours": _config(40, 300, 60, 1000), "default": _config(60, 400, 40, 1100)}
    bar = report.bar_check(report.compute_ratios(configs), train_seconds=301)
    assert [b.passed for b in bar] == [False] * 5
    missing = report.bar_check({"levels": {}, "rasa_rss": None}, train_seconds=None)
    assert not any(b.passed for b in missing)


def test_markdown_report_shows_figures_ratios_and_verdict() -> None:
    configs = {"ours": _config(20, 100, 90, 700), "default": _config(60, 400, 40, 1100)}
    for cfg in configs.values():
        cfg.update({"label": "x", "model": "bench/.work/m.tar.gz", "train_seconds": 100.0,
                    "env": {}})
        for level in cfg["levels"].values():
            level.update({"requests": 10, "counts": {"safe": 2, "unexpected": 1}})
    ratios = report.compute_ratios(configs)
    bar = report.bar_check(ratios, 100.0)
    result = {"date": "2026-12-02", "command": "python -m bench.run", "duration_s": 60,
              "levels": [1, 32], "configs": configs, "ratios": {"ours": ratios},
              "machine": {"cpus": 2, "cpu_model": "cpu", "memory_gb": 24, "platform": "Linux",
                          "python": "3.10.13"},
              "bar": [{"name": b.name, "value": b.value, "limit": b.limit, "op": b.op,
                       "passed": b.passed} for b in bar],
              "profiles": {"ours": {"tool": "py-spy", "seconds": 30, "samples": 10,
                                    "svg": "reports/profile_ours.svg",
                                    "raw": "reports/profile_ours.txt",
                                    "top": [(50.0, "predict (rasa/x.py:1)")],
                                    "self": [(20.0, "do_commit (sql.py:1)")]}}}
    text = report.render_markdown(result)
    assert "| ours | 32 | 10 | 90.0 | 20 | 100 |" in text
    assert "| 1 | 0.33 | 0.25 |" in text
    assert "PASS" in text and "all checks pass" in text
    assert "50.0 % | `predict (rasa/x.py:1)`" in text
    assert "20.0 % | `do_commit (sql.py:1)`" in text


def test_top_functions_counts_inclusive_and_self_busy_samples() -> None:
    collapsed = "\n".join([
        "<module> (run.py:1);_run_code (runpy.py:86);handle (rasa/a.py:5);predict (tf/b.py:9) 6",
        "<module> (run.py:1);_run_code (runpy.py:86);handle (rasa/a.py:5);save (sql/c.py:2) 3",
        "<module> (run.py:1);serve (sanic/server/runners.py:155) 50",
        "<module> (run.py:1);_worker (concurrent/futures/thread.py:81) 40",
        "garbage line",
    ])
    busy, top, own = report.top_functions(collapsed)
    assert busy == 9  # the idle event loop and thread-pool waits are left out
    assert top[0] == (100.0, "handle (rasa/a.py:5)")
    assert (66.7, "predict (tf/b.py:9)") in top
    assert own == [(66.7, "predict (tf/b.py:9)"), (33.3, "save (sql/c.py:2)")]
    assert not any(f.startswith("<module>") or "runpy.py" in f for _, f in top)
    assert report.top_functions("") == (0, [], [])


# --- runner helpers ----------------------------------------------------------------------


def test_variants_parse_name_config_and_env() -> None:
    from bench.run import parse_variant

    v = parse_variant("ours-tf1=ours:TF_INTRA_OP_PARALLELISM_THREADS=1,X=2")
    assert (v.name, v.config) == ("ours-tf1", "ours")
    assert v.env == {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "X": "2"}
    with pytest.raises(Exception, match="CONFIG one of"):
        parse_variant("x=nonsense")


def test_fingerprint_follows_training_inputs_only(tmp_path: Path) -> None:
    from bench.train import fingerprint, training_inputs

    for sub in ("domain", "data/nlu", "data/knowledge", "assistant/nlu"):
        (tmp_path / sub).mkdir(parents=True)
    config = tmp_path / "config.yml"
    config.write_text("pipeline: []\n")
    (tmp_path / "domain" / "core.yml").write_text("intents: [greet]\n")
    (tmp_path / "data" / "nlu" / "basics.yml").write_text("nlu: []\n")
    (tmp_path / "data" / "knowledge" / "services.yml").write_text("services: []\n")
    names = {p.name for p in training_inputs(config, tmp_path)}
    assert names == {"config.yml", "core.yml", "basics.yml"}
    first = fingerprint(config, tmp_path)
    (tmp_path / "data" / "knowledge" / "services.yml").write_text("services: [x]\n")
    assert fingerprint(config, tmp_path) == first  # the knowledge base is not trained on
    (tmp_path / "data" / "nlu" / "basics.yml").write_text("nlu: [x]\n")
    assert fingerprint(config, tmp_path) != first

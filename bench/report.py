"""Figures from raw samples, ratios against Rasa's default configuration, the bar check,
and reports/bench.md + reports/bench.json. Pure functions: tests/test_bench.py."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Reply kinds (bench/conversations.py ReplyClassifier). An answer is a real reply of the
# assistant; safe replies, "too fast" and errors are not answers.
ANSWER_KINDS = ("ok", "unexpected")
ALL_KINDS = ("ok", "unexpected", "safe", "too_fast", "error")

PRIMARY = "ours"
BASELINE = "default"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p % of values at or
    below it); NaN for no values."""
    if not values:
        return math.nan
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


@dataclass(frozen=True)
class LevelStats:
    """One configuration at one number of concurrent users."""

    users: int
    requests: int
    answers: int
    counts: dict[str, int]
    seconds: float
    throughput: float  # answers per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    rasa_cpu_ms_per_msg: float | None = None
    action_cpu_ms_per_msg: float | None = None

    @property
    def safe_share(self) -> float:
        return self.counts.get("safe", 0) / self.requests if self.requests else math.nan


def level_stats(users: int, samples: Iterable[Sequence[Any]], seconds: float | None = None,
                cpu_seconds: dict[str, float] | None = None) -> LevelStats:
    """Stats from samples `(start_epoch, latency_ms, kind, conversation)`.

    Latency percentiles are over every reply (a safe reply counts with its latency, which
    the reply budget caps); throughput counts answers only, per second of the run
    (`seconds`, else first start to last end).
    """
    rows = list(samples)
    counts = Counter(str(r[2]) for r in rows)
    latencies = [float(r[1]) for r in rows]
    if seconds is None:
        if rows:
            start = min(float(r[0]) for r in rows)
            end = max(float(r[0]) + float(r[1]) / 1000 for r in rows)
            seconds = max(end - start, 1e-9)
        else:
            seconds = 0.0
    answers = sum(counts.get(k, 0) for k in ANSWER_KINDS)
    cpu = cpu_seconds or {}

    def per_msg(role: str) -> float | None:
        if role not in cpu or not rows:
            return None
        return round(cpu[role] * 1000 / len(rows), 2)

    return LevelStats(
        users=users, requests=len(rows), answers=answers,
        counts={k: counts.get(k, 0) for k in ALL_KINDS}, seconds=round(seconds, 2),
        throughput=round(answers / seconds, 2) if seconds else math.nan,
        p50_ms=round(percentile(latencies, 50), 1), p95_ms=round(percentile(latencies, 95), 1),
        p99_ms=round(percentile(latencies, 99), 1),
        mean_ms=round(sum(latencies) / len(latencies), 1) if latencies else math.nan,
        rasa_cpu_ms_per_msg=per_msg("rasa"), action_cpu_ms_per_msg=per_msg("action"),
    )


def ratio(ours: float | None, default: float | None) -> float | None:
    if ours is None or default is None or not default or math.isnan(ours) \
            or math.isnan(default):
        return None
    return round(ours / default, 3)


@dataclass(frozen=True)
class BarItem:
    name: str
    value: float | None
    limit: float
    op: str  # "<=" or ">="

    @property
    def passed(self) -> bool:
        if self.value is None or math.isnan(self.value):
            return False
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit


def compute_ratios(configs: dict[str, dict[str, Any]], name: str = PRIMARY,
                   baseline: str = BASELINE) -> dict[str, Any]:
    """Ratios `name / baseline` per load level and for peak memory."""
    ours, base = configs[name], configs[baseline]
    levels: dict[str, dict[str, float | None]] = {}
    for users, stats in ours["levels"].items():
        other = base["levels"].get(users)
        if other is None:
            continue
        levels[users] = {
            key: ratio(stats[key], other[key])
            for key in ("p50_ms", "p95_ms", "p99_ms", "throughput", "rasa_cpu_ms_per_msg")
        }
    return {
        "levels": levels,
        "rasa_rss": ratio(ours["rss_peak_mb"].get("rasa"), base["rss_peak_mb"].get("rasa")),
        "action_rss": ratio(ours["rss_peak_mb"].get("action"),
                            base["rss_peak_mb"].get("action")),
    }


def bar_check(ratios: dict[str, Any], train_seconds: float | None, single: int = 1,
              many: int = 32) -> list[BarItem]:
    """The bar of issue #9 (all ratios from the same run)."""
    lone = ratios["levels"].get(str(single), {})
    busy = ratios["levels"].get(str(many), {})
    return [
        BarItem(f"p50 at {single} user: ours / default", lone.get("p50_ms"), 0.5, "<="),
        BarItem(f"throughput at {many} users: ours / default", busy.get("throughput"), 2.0,
                ">="),
        BarItem(f"p95 at {many} users: ours / default", busy.get("p95_ms"), 0.5, "<="),
        BarItem("Rasa server peak RSS: ours / default", ratios.get("rasa_rss"), 0.8, "<="),
        BarItem("full training of ours, seconds", train_seconds, 300.0, "<="),
    ]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render_markdown(result: dict[str, Any]) -> str:
    """reports/bench.md from the result written to reports/bench.json."""
    m = result["machine"]
    lines = [
        "# Performance benchmark",
        "",
        f"Date: {result['date']} · Machine: {m['cpus']} cores ({m['cpu_model']}), "
        f"{m['memory_gb']} GB RAM, {m['platform']}, Python {m['python']} · "
        f"Load average before/after: {result.get('loadavg_before', '–')} / "
        f"{result.get('loadavg_after', '–')}",
        "",
        f"Command: `{result['command']}` · {result['duration_s']} s per level, "
        f"closed loop (no think time), levels {', '.join(map(str, result['levels']))} users; "
        "order of configurations alternates per level.",
        "",
        "Each configuration runs as `assistant run` (REST webhook, SQLite tracker store in "
        "a temporary file, action server, knowledge base) with its own model; conversations "
        "from `bench/conversations.yml`. Latency is per message, client side, over every "
        "reply; throughput counts answers (not safe replies) per second; CPU ms/msg is "
        "the server process's CPU time divided by messages.",
        "",
        "## Configurations",
        "",
        "| name | configuration | model | trained in | env |",
        "|---|---|---|---|---|",
    ]
    for name, cfg in result["configs"].items():
        train = _fmt(cfg.get("train_seconds"), 0) + " s"
        if cfg.get("reused"):
            train += " (reused"
            train += "; training data changed since: stale)" if cfg.get("stale") else ")"
        env = ", ".join(f"{k}={v}" for k, v in (cfg.get("env") or {}).items()) or "–"
        lines.append(f"| {name} | {cfg['label']} | {Path(cfg['model']).name} "
                     f"({_fmt(cfg.get('model_mb'))} MB) | {train} | {env} |")
    lines += [
        "",
        "## Figures",
        "",
        "| config | users | msgs | answers/s | p50 ms | p95 ms | p99 ms | safe | too fast "
        "| unexpected | errors | Rasa CPU ms/msg | action CPU ms/msg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for users in map(str, result["levels"]):
        for name, cfg in result["configs"].items():
            s = cfg["levels"].get(users)
            if not s:
                continue
            c = s["counts"]
            lines.append(
                f"| {name} | {users} | {s['requests']} | {_fmt(s['throughput'])} | "
                f"{_fmt(s['p50_ms'], 0)} | {_fmt(s['p95_ms'], 0)} | {_fmt(s['p99_ms'], 0)} | "
                f"{c.get('safe', 0)} | {c.get('too_fast', 0)} | {c.get('unexpected', 0)} | "
                f"{c.get('error', 0)} | {_fmt(s.get('rasa_cpu_ms_per_msg'))} | "
                f"{_fmt(s.get('action_cpu_ms_per_msg'))} |")
    lines += ["", "Peak memory (RSS, process and its children, whole run):", "",
              "| config | Rasa server MB | action server MB |", "|---|---|---|"]
    for name, cfg in result["configs"].items():
        rss = cfg["rss_peak_mb"]
        lines.append(f"| {name} | {_fmt(rss.get('rasa'), 0)} | {_fmt(rss.get('action'), 0)} |")
    lines += ["", "## Ratios (same run)", ""]
    for name, ratios in result["ratios"].items():
        lines += [f"`{name}` / `{BASELINE}`:", "",
                  "| users | p50 | p95 | p99 | throughput | Rasa CPU/msg |",
                  "|---|---|---|---|---|---|"]
        for users, r in ratios["levels"].items():
            lines.append(f"| {users} | {_fmt(r['p50_ms'], 2)} | {_fmt(r['p95_ms'], 2)} | "
                         f"{_fmt(r['p99_ms'], 2)} | {_fmt(r['throughput'], 2)} | "
                         f"{_fmt(r['rasa_cpu_ms_per_msg'], 2)} |")
        lines += ["", f"Rasa server peak RSS: {_fmt(ratios['rasa_rss'], 2)} · action server "
                  f"peak RSS: {_fmt(ratios['action_rss'], 2)}", ""]
    lines += ["## Bar (issue #9)", "", "| check | value | bar | result |", "|---|---|---|---|"]
    for item in result["bar"]:
        lines.append(f"| {item['name']} | {_fmt(item['value'], 2)} | {item['op']} "
                     f"{_fmt(item['limit'], 2)} | {'PASS' if item['passed'] else 'FAIL'} |")
    verdict = "all checks pass" if all(i["passed"] for i in result["bar"]) else \
        "at least one check fails"
    lines += ["", f"Verdict: **{verdict}**.", ""]
    for name, prof in (result.get("profiles") or {}).items():
        lines += [f"## Profile: {prof.get('process', 'Rasa server')} of `{name}`, 1 user "
                  f"({prof['tool']}, {prof['seconds']} s, {prof['samples']} busy samples)",
                  "",
                  f"Flame graph: `{prof.get('svg', '–')}`; collapsed stacks: `{prof['raw']}`.",
                  "",
                  "| inclusive | function (with what it calls) |", "|---|---|"]
        for share, func in prof["top"]:
            lines.append(f"| {share:.1f} % | `{func}` |")
        lines += ["", "| self | function (own time) |", "|---|---|"]
        for share, func in prof.get("self", []):
            lines.append(f"| {share:.1f} % | `{func}` |")
        lines.append("")
    return "\n".join(lines) + "\n"


# Leaf frames of a thread that waits (py-spy --nonblocking cannot tell idle threads): the
# uvloop/asyncio event loop between requests, idle thread-pool workers.
IDLE_LEAVES = ("serve (sanic/server/runners.py", "run_forever (asyncio/", "select (selectors.py",
               "_worker (concurrent/futures/thread.py", "wait (threading.py",
               "_run_once (asyncio/")


# Frames every request passes through (start-up, server loop, task runner): left out of
# the tables, they only repeat the total.
PLUMBING = ("runpy.py", "rasa/__main__.py", "rasa/cli/", "rasa/api.py", "rasa/core/run.py",
            "sanic/app.py", "sanic/server/runners.py", "dask/", "assistant/launcher.py",
            "connection_task", "asyncio/", "threading.py", "concurrent/futures/")


def top_functions(collapsed: str, limit: int = 25, skip_idle: bool = True
                  ) -> tuple[int, list[tuple[float, str]], list[tuple[float, str]]]:
    """From py-spy's collapsed stacks (`frame;frame;…;leaf count` per line): the number of
    busy samples, the inclusive share of busy samples per function and the self share
    (as leaf). Samples whose leaf is an idle wait (IDLE_LEAVES) are left out."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if skip_idle and frames[-1].startswith(IDLE_LEAVES):
            continue
        busy += count
        own[frames[-1]] += count
        for frame in dict.fromkeys(frames):
            inclusive[frame] += count
    if not busy:
        return 0, [], []

    def ranked(counter: Counter[str]) -> list[tuple[float, str]]:
        rows = [(round(100 * n / busy, 1), f) for f, n in counter.most_common()]
        return [r for r in rows if not r[1].startswith(("<module>", "process "))
                and not any(f"({p}" in r[1] for p in PLUMBING)][:limit]

    return busy, ranked(inclusive), ranked(own)


def write_reports(result: dict[str, Any], json_path: Path, md_path: Path) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    md_path.write_text(render_markdown(result), encoding="utf-8")


def stats_dict(stats: LevelStats) -> dict[str, Any]:
    data = asdict(stats)
    data["safe_share"] = stats.safe_share
    return data

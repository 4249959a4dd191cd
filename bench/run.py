"""`make bench`: train (once per fingerprint), start, load and measure each configuration,
then write reports/bench.md and reports/bench.json.

    .venv/bin/python -m bench.run                       # ours vs Rasa's default, 1/8/32 users
    .venv/bin/python -m bench.run --users 1,8 --duration 20 --no-profile
    .venv/bin/python -m bench.run --variant ours-tf1=ours:TF_INTRA_OP_PARALLELISM_THREADS=1

Both configurations run as `assistant run` at the same time (an idle server costs no CPU)
on free ports, each with its model (RASA_MODEL) and its own temporary SQLite tracker store;
for every load level they are loaded one after the other, alternating the order, so the
ratios come from one run under the same background load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from assistant.config import PROJECT_ROOT
from bench import report
from bench.train import CONFIGS, WORK_DIR, ensure_model

sys.path.insert(0, str(PROJECT_ROOT / "tests" / "web"))
from web_harness import Assistant  # noqa: E402

BIN = Path(sys.executable).parent
LOCUSTFILE = PROJECT_ROOT / "bench" / "locustfile.py"


@dataclass
class BenchAssistant(Assistant):
    """`assistant run` (tests/web/web_harness.py) serving a given model with extra env."""

    model: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update({"RASA_MODEL": self.model, "LOG_LEVEL": "WARNING"})
        env.update(self.extra_env)
        return env


@dataclass(frozen=True)
class Variant:
    """A configuration as run: a name, the trained configuration it uses, extra env."""

    name: str
    config: str
    env: dict[str, str] = field(default_factory=dict)


def parse_variant(text: str) -> Variant:
    """`NAME=CONFIG[:KEY=VALUE,…]`, e.g. `ours-tf1=ours:TF_INTRA_OP_PARALLELISM_THREADS=1`."""
    name, _, rest = text.partition("=")
    config, _, env_text = rest.partition(":")
    if not name or config not in CONFIGS:
        raise argparse.ArgumentTypeError(f"variant {text!r}: NAME=CONFIG[:K=V,…] with "
                                         f"CONFIG one of {', '.join(CONFIGS)}")
    env = dict(item.split("=", 1) for item in env_text.split(",") if "=" in item)
    return Variant(name, config, env)


def roles(root_pid: int) -> dict[str, list[psutil.Process]]:
    """The Rasa server and the action server under `assistant run`, each with children."""
    found: dict[str, list[psutil.Process]] = {"rasa": [], "action": []}
    try:
        children = psutil.Process(root_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return found
    for proc in children:
        try:
            cmd = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if "rasa run" in cmd:
            found["rasa"] = [proc, *proc.children(recursive=True)]
        elif "assistant.action_server" in cmd:
            found["action"] = [proc, *proc.children(recursive=True)]
    return found


def _sum(procs: list[psutil.Process], what: str) -> float:
    total = 0.0
    for proc in procs:
        try:
            if what == "rss":
                total += proc.memory_info().rss
            else:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
    return total


class Sampler:
    """Peak RSS per role while running (every 0.2 s), and CPU seconds used in between."""

    def __init__(self, procs: dict[str, list[psutil.Process]]) -> None:
        self.procs = procs
        self.peak: dict[str, float] = {role: 0.0 for role in procs}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu_start = {role: _sum(p, "cpu") for role, p in procs.items()}
        self.cpu: dict[str, float] = {}

    def _sample(self) -> None:
        for role, procs in self.procs.items():
            self.peak[role] = max(self.peak[role], _sum(procs, "rss"))

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __enter__(self) -> Sampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.cpu = {role: _sum(p, "cpu") - self._cpu_start[role]
                    for role, p in self.procs.items()}


def run_locust(url: str, users: int, seconds: int, out_dir: Path, tag: str
               ) -> tuple[list[list[Any]], float]:
    """One headless locust run; returns the samples and the wall time it took."""
    samples = out_dir / f"{tag}.samples.json"
    samples.unlink(missing_ok=True)
    env = dict(os.environ, BENCH_SAMPLES=str(samples))
    command = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--only-summary",
               "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", url,
               "--exit-code-on-error", "0", "--loglevel", "WARNING",
               "--csv", str(out_dir / tag)]
    started = time.monotonic()
    with (out_dir / f"{tag}.locust.log").open("w", encoding="utf-8") as log:
        subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=True, timeout=seconds + 120)
    wall = time.monotonic() - started
    data = json.loads(samples.read_text(encoding="utf-8"))
    return data["samples"], wall


def play_once(assistant: Assistant) -> None:
    """Warm-up: every conversation once, one after the other (not measured)."""
    from bench.conversations import load_conversations

    for i, conv in enumerate(load_conversations()):
        sender = f"warmup{i}{os.urandom(4).hex()}"
        for step in conv.steps:
            assistant.rest(sender, step.say)


def profile(assistant: Assistant, name: str, seconds: int, out_dir: Path,
            reports_dir: Path) -> dict[str, Any]:
    """py-spy on the Rasa server and on the action server while one user talks: flame
    graphs (reports/`profile_<name>.svg`, `profile_<name>_actions.svg`) and collapsed
    stacks (`.txt`, in `out_dir`) with the top functions. Non-blocking sampling, all in
    the same locust run."""
    found = roles(assistant.process.pid) if assistant.process else {}
    py_spy = BIN / "py-spy"
    targets = {"rasa": f"profile_{name}", "action": f"profile_{name}_actions"}
    spies: list[tuple[str, str, Path, subprocess.Popen]] = []
    for role, stem in targets.items():
        if not found.get(role) or not py_spy.exists():
            continue
        pid = str(found[role][0].pid)
        # the SVG goes to reports/, the collapsed stacks (MBs) stay in bench/.work/run/
        for fmt, target in (("raw", out_dir / f"{stem}.txt"),
                            ("flamegraph", reports_dir / f"{stem}.svg")):
            target.unlink(missing_ok=True)
            spies.append((role, fmt, target, subprocess.Popen(
                [str(py_spy), "record", "--pid", pid, "--rate", "100", "--nonblocking",
                 "--duration", str(seconds), "--format", fmt, "-o", str(target)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    if not spies:
        return {}
    time.sleep(1)
    run_locust(assistant.rasa_url, 1, seconds, out_dir, f"profile-{name}")
    results: dict[str, Any] = {}
    for role, fmt, target, spy in spies:
        _, err = spy.communicate(timeout=seconds + 60)
        if spy.returncode != 0 or not target.exists():
            print(f"[bench] py-spy failed for {name}/{role}: {err.strip()[-300:]}", flush=True)
            continue
        entry = results.setdefault(targets[role], {
            "tool": "py-spy record --rate 100 --nonblocking", "seconds": seconds,
            "process": "Rasa server" if role == "rasa" else "action server"})
        entry["raw" if fmt == "raw" else "svg"] = shown(target)
        if fmt == "raw":
            busy, top, own = report.top_functions(target.read_text(encoding="utf-8"))
            entry.update({"samples": busy, "top": top, "self": own[:15]})
    return {k: v for k, v in results.items() if "raw" in v}


def shown(path: Path) -> str:
    """A path relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model,
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(terse=True),
            "python": platform.python_version()}


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_all(stack: ExitStack, variants: list[Variant], models: dict[str, str],
              run_dir: Path) -> dict[str, BenchAssistant]:
    """Start every variant's `assistant run` at once (they load in parallel); each is
    stopped when `stack` closes."""
    from concurrent.futures import ThreadPoolExecutor

    running: dict[str, BenchAssistant] = {}
    for v in variants:
        workdir = run_dir / v.name
        shutil.rmtree(workdir, ignore_errors=True)
        running[v.name] = BenchAssistant(workdir, model=models[v.name], extra_env=v.env)
        stack.callback(running[v.name].stop)
        print(f"[bench] starting {v.name} (Rasa on {running[v.name].rasa_url}) …", flush=True)
    with ThreadPoolExecutor(max_workers=len(variants)) as pool:
        for future in [pool.submit(a.start) for a in running.values()]:
            future.result()
    return running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="1,8,32",
                        help="concurrent users per level (default 1,8,32)")
    parser.add_argument("--duration", type=int, default=60, help="seconds per level")
    parser.add_argument("--configs", default="ours,default")
    parser.add_argument("--variant", action="append", type=parse_variant, default=[],
                        help="extra variant NAME=CONFIG[:K=V,…] run beside the others")
    parser.add_argument("--env", action="append", default=[],
                        help="K=V for every configuration (e.g. a TF threading setting)")
    parser.add_argument("--profile-seconds", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--retrain", action="store_true", help="train even if unchanged")
    parser.add_argument("--reuse-models", action="store_true",
                        help="use existing models even if the training data changed since "
                             "(marked stale in the report)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench.json")
    args = parser.parse_args(argv)

    levels = [int(u) for u in args.users.split(",") if u.strip()]
    common = dict(item.split("=", 1) for item in args.env if "=" in item)
    variants = [Variant(n, n, dict(common)) for n in args.configs.split(",") if n.strip()]
    variants += [Variant(v.name, v.config, {**common, **v.env}) for v in args.variant]
    names = [v.name for v in variants]
    if len(set(names)) != len(names) or not set(names) <= set(names) | {"ours", "default"}:
        parser.error("variant names must be unique")
    out_json: Path = args.out
    out_md = out_json.with_suffix(".md")
    reports_dir = out_json.parent
    run_dir = WORK_DIR / "run"
    run_dir.mkdir(parents=True, exist_ok=True)

    date = time.strftime("%Y-%m-%d %H:%M %Z")
    command = "python -m bench.run " + " ".join(shlex.quote(a) for a in
                                                (argv if argv is not None else sys.argv[1:]))
    trained = {name: ensure_model(CONFIGS[name], force=args.retrain,
                                  reuse_stale=args.reuse_models)
               for name in dict.fromkeys(v.config for v in variants)}

    result: dict[str, Any] = {"date": date, "command": command.strip(), "machine": machine(),
                              "duration_s": args.duration, "levels": levels,
                              "loadavg_before": loadavg(), "configs": {}}
    with ExitStack() as stack:
        running = start_all(stack, variants,
                            {v.name: str(trained[v.config]["model"]) for v in variants},
                            run_dir)
        procs = {}
        for v in variants:
            play_once(running[v.name])
            procs[v.name] = roles(running[v.name].process.pid)  # type: ignore[union-attr]
            missing = [r for r, p in procs[v.name].items() if not p]
            if missing:
                raise RuntimeError(f"{v.name}: no {', '.join(missing)} process found")
        peaks: dict[str, dict[str, float]] = {v.name: {"rasa": 0.0, "action": 0.0}
                                               for v in variants}
        level_results: dict[str, dict[str, Any]] = {v.name: {} for v in variants}
        for i, users in enumerate(levels):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for v in order:
                print(f"[bench] {v.name}: {users} users for {args.duration} s "
                      f"(load {loadavg()}) …", flush=True)
                with Sampler(procs[v.name]) as sampler:
                    samples, _wall = run_locust(running[v.name].rasa_url, users,
                                                args.duration, run_dir, f"{v.name}-{users}")
                stats = report.level_stats(users, samples, cpu_seconds=sampler.cpu)
                level_results[v.name][str(users)] = report.stats_dict(stats)
                for role, value in sampler.peak.items():
                    peaks[v.name][role] = max(peaks[v.name][role], value)
                print(f"[bench]   {stats.throughput} answers/s, p50 {stats.p50_ms} ms, "
                      f"p95 {stats.p95_ms} ms, safe {stats.counts['safe']}, "
                      f"unexpected {stats.counts['unexpected']}", flush=True)
        profiles: dict[str, Any] = {}
        if not args.no_profile:
            for v in variants:
                profiles.update(profile(running[v.name], v.name, args.profile_seconds,
                                        run_dir, reports_dir))
    result["loadavg_after"] = loadavg()
    for v in variants:
        info = trained[v.config]
        result["configs"][v.name] = {
            "label": CONFIGS[v.config].label, "config": v.config, "env": v.env,
            "model": shown(Path(str(info["model"]))),
            "model_mb": info.get("model_mb"), "train_seconds": info.get("train_seconds"),
            "reused": info.get("reused"), "fingerprint": info.get("fingerprint"),
            "stale": info.get("stale", False), "trained_at": info.get("trained_at"),
            "rss_peak_mb": {r: round(b / 2**20, 1) for r, b in peaks[v.name].items()},
            "levels": level_results[v.name],
        }
    result["ratios"] = {}
    if report.BASELINE in result["configs"]:
        for v in variants:
            if v.name != report.BASELINE:
                result["ratios"][v.name] = report.compute_ratios(result["configs"], v.name)
    bar: list[report.BarItem] = []
    if report.PRIMARY in result["ratios"]:
        bar = report.bar_check(result["ratios"][report.PRIMARY],
                               result["configs"][report.PRIMARY]["train_seconds"],
                               single=min(levels), many=max(levels))
    result["bar"] = [{"name": b.name, "value": b.value, "limit": b.limit, "op": b.op,
                      "passed": b.passed} for b in bar]
    result["profiles"] = profiles if not args.no_profile else {}
    report.write_reports(result, out_json, out_md)
    print(f"[bench] wrote {shown(out_md)} and {shown(out_json)}", flush=True)
    for item in bar:
        print(f"[bench] {'PASS' if item.passed else 'FAIL'} {item.name}: {item.value} "
              f"({item.op} {item.limit})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

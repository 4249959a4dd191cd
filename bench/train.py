"""Train one benchmark configuration into its private directory, once per fingerprint.

Every configuration gets `bench/.work/<name>/`: the model (`<name>-<fingerprint>.tar.gz`)
and `train.json` with the fingerprint and how long the training took. Training always
starts from an empty private Rasa cache (RASA_CACHE_DIRECTORY), so the time recorded is a
full training; an unchanged fingerprint reuses the model without training.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from assistant.config import PROJECT_ROOT

WORK_DIR = PROJECT_ROOT / "bench" / ".work"


@dataclass(frozen=True)
class BenchConfig:
    """A configuration under test: a name and the Rasa config file it is trained with."""

    name: str
    config: Path
    label: str


CONFIGS: dict[str, BenchConfig] = {
    "ours": BenchConfig("ours", PROJECT_ROOT / "config.yml", "this project (config.yml)"),
    "default": BenchConfig("default", PROJECT_ROOT / "eval" / "configs" / "rasa_default.yml",
                           "Rasa default (rasa init: DIET+ResponseSelector, Memo/Rule/"
                           "UnexpecTED/TED)"),
}


def training_inputs(config: Path, root: Path = PROJECT_ROOT) -> list[Path]:
    """Every file the trained model depends on: config, domain, training data, and our
    custom NLU components (they are part of our pipeline)."""
    files = [config]
    files += sorted((root / "domain").glob("*.yml"))
    # data/knowledge/ is the knowledge base, not Rasa training data (Rasa skips it).
    files += sorted(p for p in (root / "data").rglob("*.yml")
                    if p.is_file() and "knowledge" not in p.relative_to(root / "data").parts)
    files += sorted((root / "assistant" / "nlu").glob("*.py"))
    return files


def fingerprint(config: Path, root: Path = PROJECT_ROOT) -> str:
    """sha256 over the Rasa version, the environment knobs that change training, and the
    relative path and content of every training input."""
    digest = hashlib.sha256()
    digest.update(f"rasa={metadata.version('rasa')}\n".encode())
    digest.update(f"TF_DETERMINISTIC_OPS={os.environ.get('TF_DETERMINISTIC_OPS', '1')}\n"
                  .encode())
    for path in training_inputs(config, root):
        try:
            name = str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            name = str(path)
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def training_env(cache_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_DETERMINISTIC_OPS": env.get("TF_DETERMINISTIC_OPS", "1"),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "RASA_CACHE_DIRECTORY": str(cache_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                    env.get("PYTHONPATH", "")])),
    })
    return env


def ensure_model(cfg: BenchConfig, work_dir: Path = WORK_DIR, force: bool = False,
                 log: bool = True, reuse_stale: bool = False) -> dict[str, object]:
    """The model for `cfg`, trained if its fingerprint changed. Returns train.json's
    content: model path, fingerprint, training seconds, whether it was reused and whether
    it is stale (`reuse_stale`: keep an existing model although the inputs changed since,
    e.g. while others edit the training data; the report says so)."""
    out = work_dir / cfg.name
    out.mkdir(parents=True, exist_ok=True)
    fp = fingerprint(cfg.config)
    info_path = out / "train.json"
    if info_path.exists() and not force:
        info = json.loads(info_path.read_text())
        if Path(str(info.get("model"))).exists() and (
                info.get("fingerprint") == fp or reuse_stale):
            stale = info.get("fingerprint") != fp
            if log:
                state = "inputs changed since, reused as asked" if stale else "unchanged"
                print(f"[bench] {cfg.name}: model {str(info.get('fingerprint'))[:12]} "
                      f"({state}), not retrained", flush=True)
            return {**info, "reused": True, "stale": stale}
    name = f"{cfg.name}-{fp[:12]}"
    cache = Path(tempfile.mkdtemp(prefix=f"rasa-cache-{cfg.name}-", dir=work_dir))
    command = [sys.executable, "-m", "rasa", "train", "--domain", "domain", "--data", "data",
               "--config", str(cfg.config), "--out", str(out), "--fixed-model-name", name]
    if log:
        print(f"[bench] {cfg.name}: training ({' '.join(command[2:])}) …", flush=True)
    started = time.monotonic()
    try:
        with (out / "train.log").open("w", encoding="utf-8") as train_log:
            result = subprocess.run(command, cwd=PROJECT_ROOT, env=training_env(cache),
                                    stdout=train_log, stderr=subprocess.STDOUT)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    seconds = time.monotonic() - started
    model = out / f"{name}.tar.gz"
    if result.returncode != 0 or not model.exists():
        raise RuntimeError(f"training {cfg.name} failed (exit {result.returncode}); "
                           f"see {out / 'train.log'}")
    for old in out.glob("*.tar.gz"):  # only once the new model is there
        if old != model:
            old.unlink()
    info = {"config": cfg.name, "config_file": str(cfg.config.relative_to(PROJECT_ROOT)),
            "fingerprint": fp, "model": str(model), "train_seconds": round(seconds, 1),
            "trained_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "model_mb": round(model.stat().st_size / 1e6, 2)}
    info_path.write_text(json.dumps(info, indent=2))
    if log:
        print(f"[bench] {cfg.name}: trained in {seconds:.0f} s", flush=True)
    return {**info, "reused": False, "stale": False}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Train benchmark configurations")
    parser.add_argument("names", nargs="*", default=list(CONFIGS))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    for n in args.names:
        print(json.dumps(ensure_model(CONFIGS[n], force=args.force), indent=2))

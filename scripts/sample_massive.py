"""Write data/nlu/out_of_scope_massive.yml: a seeded, scenario-stratified sample of MASSIVE.

MASSIVE by Amazon, CC BY 4.0 (FitzGerald et al., 2022). Everyday Danish requests to a voice
assistant (alarms, music, weather …), none about social support. Lines with the wake word
"olly" are skipped. The evaluation checks a disjoint sample for false support hits.

Usage: python scripts/sample_massive.py [N] [path/to/massive_da-DK_train.jsonl]
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(n: int, source: Path) -> None:
    by_scenario: dict[str, list[str]] = defaultdict(list)
    for line in source.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = " ".join(row["text"].split())
        if "olly" in text or len(text.split()) < 2:
            continue
        by_scenario[row["scenario"]].append(text)
    rng = random.Random(2024)
    scenarios = sorted(by_scenario)
    per = max(1, n // len(scenarios))
    chosen: list[str] = []
    for scenario in scenarios:
        pool = sorted(set(by_scenario[scenario]))
        rng.shuffle(pool)
        chosen += pool[:per]
    chosen = sorted(set(chosen))
    lines = [
        'version: "3.1"',
        "",
        "# Everyday Danish requests as out_of_scope examples: a seeded sample (scripts/",
        "# sample_massive.py) of MASSIVE by Amazon, CC BY 4.0 (FitzGerald et al., 2022,",
        "# arXiv:2204.08582). Regenerate with the script; do not edit by hand.",
        "",
        "nlu:",
        "  - intent: out_of_scope",
        "    examples: |",
    ]
    lines += [f"      - {t}" for t in chosen]
    out = ROOT / "data" / "nlu" / "out_of_scope_massive.yml"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(chosen)} examples from {len(scenarios)} scenarios to {out}")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 180
    src = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT.parent / "shared" / "reference" / \
        "massive_da-DK_train.jsonl"
    main(count, src)

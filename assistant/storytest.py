"""Run the Rasa test stories end to end with --fail-on-prediction-errors.

Used by `make stories`. Results (Rasa's own report) go to results/stories/; a short
summary of failed stories is printed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT
from assistant.launcher import latest_model

STORIES = PROJECT_ROOT / "tests" / "test_stories.yml"
OUT = PROJECT_ROOT / "results" / "stories"


def main(stories: Path = STORIES) -> int:
    model = latest_model(PROJECT_ROOT / "models")
    if model is None:
        print("No trained model in models/; run 'make train'.", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "rasa", "test", "core", "--model", str(model),
               "--stories", str(stories), "--out", str(OUT), "--fail-on-prediction-errors",
               "--endpoints", "endpoints.yml"]
    result = subprocess.run(command, cwd=PROJECT_ROOT)
    failed = OUT / "failed_test_stories.yml"
    if result.returncode != 0 and failed.exists():
        print("\nFailed test stories (# predicted: shows what the assistant did instead):")
        print(failed.read_text(encoding="utf-8"))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else STORIES))

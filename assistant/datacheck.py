"""`rasa data validate` with warnings as failures – except one that is by design.

Rasa warns about every response that no story or rule names. Responses sent by custom
actions (`response="utter_…"`) are never named in stories, so that warning is accepted for
exactly the responses the action code refers to, and for nothing else.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT

UNUSED_RE = re.compile(r"The utterance '(utter_[A-Za-z0-9_]+)' is not used in any story or rule")
WARNING_RE = re.compile(r"UserWarning: (.*)|WARNING\s+rasa\.\S+\s+-\s+(.*)")
# Responses Rasa itself sends: form questions and the default fallback.
BUILT_IN = re.compile(r"^utter_ask_[a-z_]+$|^utter_default$")
# Noise from third-party packages, not about our data.
IGNORED = ("pkg_resources is deprecated",
           # about the environment (make sets it for reproducible training), not the data
           "You have set 'TF_DETERMINISTIC_OPS'")
CODE_PATHS = ("actions", "assistant/dialogue", "assistant/channels.py")
_LITERAL_RE = re.compile(r"[\"'](utter_[a-z0-9_]+)(\{)?")


def responses_used_by_code(root: Path = PROJECT_ROOT) -> tuple[set[str], set[str]]:
    """Response names and name prefixes (from f-strings) that the action code sends."""
    names: set[str] = set()
    prefixes: set[str] = set()
    for place in CODE_PATHS:
        target = root / place
        for path in ([target] if target.is_file() else target.rglob("*.py")):
            for name, brace in _LITERAL_RE.findall(path.read_text(encoding="utf-8")):
                (prefixes if brace else names).add(name)
    return names, prefixes


def check(output: str, root: Path = PROJECT_ROOT) -> list[str]:
    """Warnings in Rasa's output that are not accepted."""
    names, prefixes = responses_used_by_code(root)
    problems = []
    for line in output.splitlines():
        unused = UNUSED_RE.search(line)
        if unused:
            name = unused.group(1)
            if (name in names or BUILT_IN.match(name)
                    or any(name.startswith(p) for p in prefixes)):
                continue
            problems.append(f"response {name} is used by no story, rule or action")
            continue
        warning = WARNING_RE.search(line)
        if warning and not any(noise in line for noise in IGNORED):
            problems.append((warning.group(1) or warning.group(2)).strip())
    return problems


def main() -> int:
    command = [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain",
               "--data", "data"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    output = result.stdout + result.stderr
    problems = check(output)
    if result.returncode != 0:
        print(output, file=sys.stderr)
        print("rasa data validate failed.", file=sys.stderr)
        return result.returncode
    if problems:
        print("\n".join(f"- {p}" for p in problems), file=sys.stderr)
        print(f"rasa data validate: {len(problems)} warning(s).", file=sys.stderr)
        return 1
    print("rasa data validate: OK (no warnings besides responses sent by actions).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

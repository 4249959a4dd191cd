"""`make check`: every content check staff need after a change, with a short Danish verdict.

    1. Videnbasen          assistant kb load: validates data/knowledge/ and, only when it
                           has no errors, loads it (one transaction) for the test dialogues
    2. Træningsdata        rasa data validate, warnings are errors (assistant.datacheck)
    3. Træning             rasa train (only when the data changed; Rasa fingerprints it)
    4. Forståelse (NLU)    the NLU quality gate on the held-out test sets (assistant eval nlu
                           --gate: macro-F1 ≥ 0.90, every crisis message recognised)
    5. Testsamtaler        tests/test_stories.yml end to end (assistant.staff.dialogues)

A step that needs the model is skipped when an earlier step failed. Exit status 0 only when
every step passed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.config import PROJECT_ROOT, load_settings


@dataclass(frozen=True)
class Step:
    name: str
    command: tuple[str, ...]
    needs_model: bool = False
    show_output: bool = False  # print all output (already written for staff)
    keep: str = ""  # on failure, only lines matching this regex (default: the tail)
    hint: str = ""  # what to do, in Danish, when the step fails


PY = sys.executable
STEPS = (
    Step("Videnbasen (data/knowledge)", (PY, "-m", "assistant.cli", "kb", "load"),
         hint="Hver linje ovenfor nævner fil, post og felt. Ret dem i data/knowledge/."),
    Step("Træningsdata (rasa data validate)", (PY, "-m", "assistant.datacheck"),
         hint="Ret fejlen i data/ eller domain/ (fx et navn, der ikke findes, eller "
              "forkert indrykning)."),
    Step("Træning af modellen", (PY, "-m", "rasa", "train", "--domain", "domain", "--data",
                                 "data", "--config", "config.yml", "--out", "models"),
         hint="Rasa kunne ikke træne på data/: se fejlen ovenfor."),
    Step("Forståelse (NLU-test på testsættene)",
         (PY, "-m", "assistant.cli", "eval", "nlu", "--gate"), needs_model=True,
         keep=r"^\||^Held-out|FAILED|^Report:",
         hint="Forståelsen er under kvalitetskravet (macro-F1 mindst 0,90, og alle "
              "krisebeskeder i testsættene skal genkendes). Se reports/nlu_gate.md, og "
              "tilføj træningseksempler i data/nlu/ for de intents, der svigter."),
    Step("Testsamtaler (tests/test_stories.yml)",
         (PY, "-m", "assistant.staff.dialogues"), needs_model=True, show_output=True),
)
TAIL = 25


def run(steps: Sequence[Step] = STEPS) -> int:
    from assistant.launcher import service_env

    settings = load_settings()
    env = service_env(settings)
    failed: list[str] = []
    skipped: list[str] = []
    blocked = False  # the data or the training failed: model steps cannot run
    print("Kører alle kontroller. Det tager nogle minutter.\n", flush=True)
    for number, step in enumerate(steps, 1):
        title = f"[{number}/{len(steps)}] {step.name}"
        if blocked:
            print(f"{title}: SPRUNGET OVER (ret fejlen ovenfor først)\n", flush=True)
            skipped.append(step.name)
            continue
        print(f"{title} …", flush=True)
        started = time.monotonic()
        result = subprocess.run(step.command, cwd=PROJECT_ROOT, env=env, check=False,
                                capture_output=True, text=True)
        seconds = time.monotonic() - started
        output = (result.stdout + result.stderr).strip()
        if result.returncode == 0:
            print(f"{title}: OK ({seconds:.0f} s)")
            if step.show_output and output:
                print(_indent(output.splitlines()[-3:]))
        else:
            failed.append(step.name)
            blocked = blocked or not step.needs_model
            print(f"{title}: FEJL ({seconds:.0f} s)")
            lines = output.splitlines()
            if step.show_output:
                shown = lines
            elif step.keep:
                shown = [line for line in lines if re.search(step.keep, line)] \
                    or _relevant(lines)
            else:
                shown = _relevant(lines)
            print(_indent(shown))
            if step.hint:
                print(f"    Hvad nu: {step.hint}")
        print(flush=True)
    print("=" * 72)
    if not failed:
        print("KONKLUSION: Alt i orden. Alle kontroller bestod – ændringerne kan tages i brug "
              "(genstart med make run).")
        return 0
    print(f"KONKLUSION: Ikke i orden. {len(failed)} kontrol"
          f"{'ler' if len(failed) != 1 else ''} fejlede: {', '.join(failed)}.")
    if skipped:
        print(f"Sprunget over: {', '.join(skipped)}.")
    print("Ret det, der står under FEJL ovenfor, og kør make check igen. Se "
          "docs/personale.md.")
    return 1


def _relevant(lines: list[str]) -> list[str]:
    """The end of a failing command's output, without third-party warning noise."""
    noise = ("Warning", "warn(", "warnings.warn", "DeprecationWarning", "rasa.shared.utils.io",
             "tensorflow", "  return ", "  from ", "declare_namespace", "pkg_resources",
             "[debug", "parseString", "ParseAction", "resetCache", "  cli: click")
    kept = [line for line in lines if not any(n in line for n in noise)]
    return kept[-TAIL:]


def _indent(lines: Sequence[str]) -> str:
    return "\n".join(f"    {line}" for line in lines)


def main() -> int:
    return run()


if __name__ == "__main__":
    sys.exit(main())

"""Test dialogues for staff: run Rasa's test stories and explain failures in plain Danish.

    make test-dialogues                          tests/test_stories.yml
    make test-dialogues FILE=tests/mine.yml      another file (any name)
    python -m assistant.staff.dialogues FILE …   the same without make

Runs `rasa test core --e2e` on the newest model: the person's real text goes through the
NLU, so a test fails both when the assistant misunderstands a message (wrong intent) and
when it does the wrong thing (wrong action). Rasa's own report goes to results/dialogues/
(failed_test_stories.yml with "# predicted:" comments, story_report.json, confusion
matrices); this module reads failed_test_stories.yml and prints, for every failed step,
what was expected and what the assistant did instead, with the user's message it followed.
Exit status 0 when every dialogue passed, 1 when one failed, 2 when nothing could be run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.config import PROJECT_ROOT, load_settings

DEFAULT_FILE = PROJECT_ROOT / "tests" / "test_stories.yml"
OUT = PROJECT_ROOT / "results" / "dialogues"
PREDICTED = "# predicted:"

# What the actions do, in Danish (responses are described by their own text).
ACTIONS = {
    "action_listen": "vente på borgerens næste besked",
    "action_set_topic": "notere emnet",
    "municipality_form": "spørge, hvilken kommune borgeren bor i",
    "action_answer": "svare ud fra videnbasen",
    "action_answer_violence": "svare om vold (hotline først, ingen spørgsmål)",
    "action_municipality_changed": "notere den nye kommune",
    "action_fallback": "sige, at den ikke forstod (fallback)",
    "action_default_fallback": "standard-fallback – ingen regel passer her",
    "action_delete_conversation": "slette samtalen",
    "action_deactivate_loop": "holde op med at spørge om kommunen",
    "action_restart": "starte forfra",
}


@dataclass
class Failure:
    kind: str  # "intent" | "action" | "other"
    expected: str
    predicted: str
    message_index: int  # which user message of the story it follows (1-based, 0 = none)
    follow_on: bool = False  # the step before failed too
    raw: str = ""


@dataclass
class FailedStory:
    name: str
    source: str
    failures: list[Failure] = field(default_factory=list)


_STORY_LINE = re.compile(r"^- story:\s*(?P<value>.*)$")
_STORY = re.compile(r"^(?P<name>.*?)(?:\s+\((?P<source>[^()]*)\))?\s*$")
_STEP = re.compile(r"^\s*-\s*(?P<key>intent|action|user|slot_was_set|active_loop|checkpoint)"
                   r"\s*:\s*(?P<value>.*?)\s*$")


def parse_failed_stories(text: str) -> list[FailedStory]:
    """Failed stories and their wrong steps from Rasa's failed_test_stories.yml."""
    stories: list[FailedStory] = []
    current: FailedStory | None = None
    messages = 0
    previous_failed = False
    for line in text.splitlines():
        story_line = _STORY_LINE.match(line)
        if story_line:
            value = story_line.group("value")
            with contextlib.suppress(yaml.YAMLError):
                value = str(yaml.safe_load(value))  # names with ":" are quoted
            story = _STORY.match(value)
            assert story is not None
            current = FailedStory(story.group("name").strip(),
                                  (story.group("source") or "").strip())
            stories.append(current)
            messages, previous_failed = 0, False
            continue
        if current is None:
            continue
        body, _, comment = line.partition(PREDICTED)
        step = _STEP.match(body)
        if step and step.group("key") in ("intent", "user"):
            messages += 1
        if not comment:
            if step or body.strip().startswith("-"):
                previous_failed = False
            continue
        predicted = comment.strip()
        key = step.group("key") if step else ""
        expected = step.group("value").strip() if step else body.strip(" -")
        if key == "intent":
            # "# predicted: thank: tak for hjælpen" -> intent "thank"
            predicted = predicted.split(":", 1)[0].strip()
            kind = "intent"
        elif key == "action":
            predicted = predicted.split(" after ", 1)[0].strip()
            kind = "action"
        else:
            kind = "other"
        current.failures.append(Failure(kind, expected, predicted, messages,
                                        follow_on=previous_failed, raw=line.strip()))
        previous_failed = True
    return [s for s in stories if s.failures]


def story_messages(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Story name -> [(user text, intent)] in order, from a test stories file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    found: dict[str, list[tuple[str, str]]] = {}
    for story in data.get("stories") or []:
        if not isinstance(story, dict):
            continue
        steps = []
        for step in story.get("steps") or []:
            if isinstance(step, dict) and ("user" in step or "intent" in step):
                text = " ".join(str(step.get("user") or "").split())
                text = re.sub(r"\[([^\]]+)\]\{[^}]*\}|\[([^\]]+)\]\([^)]*\)",
                              lambda m: m.group(1) or m.group(2), text)
                steps.append((text, str(step.get("intent") or "")))
        found[str(story.get("story"))] = steps
    return found


def domain_texts(domain_dir: Path = PROJECT_ROOT / "domain") -> dict[str, str]:
    """Response name -> its first text, shortened (to describe utter_* actions)."""
    texts: dict[str, str] = {}
    for path in sorted(domain_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (data.get("responses") or {}).items():
            if variants and isinstance(variants[0], dict) and variants[0].get("text"):
                text = " ".join(str(variants[0]["text"]).split())
                texts[name] = textwrap.shorten(text, 70, placeholder=" …")
    return texts


def nlu_files(nlu_dir: Path = PROJECT_ROOT / "data" / "nlu") -> dict[str, str]:
    """Intent -> the data/nlu file that holds its examples."""
    found: dict[str, str] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        for match in re.finditer(r"^\s*-\s*intent:\s*([A-Za-z0-9_]+)",
                                 path.read_text(encoding="utf-8"), re.M):
            found.setdefault(match.group(1), f"data/nlu/{path.name}")
    return found


def describe_action(name: str, responses: dict[str, str]) -> str:
    if name in ACTIONS:
        return f"{name} ({ACTIONS[name]})"
    if name in responses:
        return f"{name} («{responses[name]}»)"
    return name


def summarise(failed: list[FailedStory], total: int | None, file_label: str,
              originals: dict[str, list[tuple[str, str]]], responses: dict[str, str],
              intent_files: dict[str, str]) -> str:
    """The plain Danish summary of a test run."""
    lines = []
    n_failed = len(failed)
    if total is not None:
        passed = max(0, total - n_failed)
        lines.append(f"Testsamtaler i {file_label}: {total} i alt, {passed} bestået, "
                     f"{n_failed} fejlet.")
    for story in failed:
        lines += ["", f"FEJL i testsamtalen «{story.name}»:"]
        messages = originals.get(story.name, [])
        for failure in story.failures:
            lines += _describe_failure(failure, messages, responses, intent_files)
    lines.append("")
    if n_failed:
        lines.append(f"Resultat: {n_failed} testsamtale{'r' if n_failed != 1 else ''} "
                     "fejlede. Ret assistenten (træningseksempler eller regler) eller "
                     "testen, og kør igen.")
    else:
        lines.append("Resultat: alle testsamtaler bestod.")
    return "\n".join(lines)


def _describe_failure(failure: Failure, messages: list[tuple[str, str]],
                      responses: dict[str, str], intent_files: dict[str, str]) -> list[str]:
    where = "I starten af samtalen"
    if failure.message_index and failure.message_index <= len(messages):
        text, intent = messages[failure.message_index - 1]
        shown = f"«{text}»" if text else f"(ingen tekst, kun intent {intent})"
        where = f"Borgerens besked nr. {failure.message_index}: {shown}"
    elif failure.message_index:
        where = f"Efter borgerens besked nr. {failure.message_index}"
    if failure.kind == "intent":
        file_hint = intent_files.get(failure.expected, "data/nlu/")
        return [
            f"  • {where}",
            f"      Forventet: forstået som {failure.expected}",
            f"      Faktisk:   forstået som {failure.predicted}",
            f"      Hvorfor: assistenten genkender beskeden som {failure.predicted}. Tilføj "
            f"den (eller lignende sætninger) som eksempel under {failure.expected} i "
            f"{file_hint} – eller ret testen, hvis {failure.predicted} er rigtigt.",
        ]
    if failure.kind == "action":
        if failure.follow_on:
            why = ("følgefejl: assistenten er kommet på et andet spor end testen på grund af "
                   "fejlen lige før.")
        elif failure.predicted == "action_default_fallback":
            why = ("ingen regel i data/rules.yml og ingen historie i data/stories.yml passer "
                   "til dette sted i samtalen.")
        else:
            why = (f"reglerne (data/rules.yml) og historierne (data/stories.yml) får "
                   f"assistenten til at gøre {failure.predicted} her. Er testen rigtig, skal "
                   "en regel rettes; ellers ret testen.")
        return [
            f"  • {where}",
            f"      Forventet handling: {describe_action(failure.expected, responses)}",
            f"      Faktisk handling:   {describe_action(failure.predicted, responses)}",
            f"      Hvorfor: {why}",
        ]
    return [f"  • {where}", f"      Afvigelse: {failure.raw}"]


def _test_copies(paths: Sequence[Path], workdir: Path) -> Path:
    """Rasa's --e2e only reads files named test_*.yml, and takes one path: copy the files
    into one directory under such names."""
    for number, path in enumerate(paths, 1):
        shutil.copyfile(path, workdir / f"test_{number:02d}_{path.name}")
    return workdir


def _check_file(path: Path) -> str | None:
    if not path.is_file():
        return f"Filen {path} findes ikke."
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        place = f" (linje {mark.line + 1}, kolonne {mark.column + 1})" if mark else ""
        return (f"{path} er ikke gyldig YAML{place}. Tjek indrykningen: hvert trin starter "
                "med '- ' under 'steps:'.")
    if not isinstance(data, dict) or not isinstance(data.get("stories"), list):
        return f"{path} har ingen liste 'stories:' med testsamtaler."
    return None


def run(files: Sequence[Path], out: Path = OUT, model: Path | None = None) -> int:
    from assistant.launcher import latest_model, service_env

    settings = load_settings()
    for path in files:
        problem = _check_file(path)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    model = model or latest_model(settings.root / "models")
    if model is None:
        print("Der er ingen trænet model i models/. Kør 'make train' først.", file=sys.stderr)
        return 2
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="dialogues-") as tmp:
        tests = _test_copies(files, Path(tmp))
        command = [sys.executable, "-m", "rasa", "test", "core", "--e2e", "--model", str(model),
                   "--out", str(out), "--endpoints", "endpoints.yml", "--stories", str(tests)]
        print(f"Kører {len(files)} fil(er) med testsamtaler mod {model.name} …", flush=True)
        log_path = out / "rasa.log"
        with log_path.open("w", encoding="utf-8") as log:
            result = subprocess.run(command, cwd=settings.root, env=service_env(settings),
                                    stdout=log, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        print("\n".join(tail), file=sys.stderr)
        print(f"\nRasa kunne ikke køre testsamtalerne (se fejlen ovenfor; hele loggen: "
              f"{log_path}). Typiske årsager: et navn på en intent eller handling, der ikke "
              "findes i domain/, eller forkert indrykning.", file=sys.stderr)
        return 2
    total = _total(out / "story_report.json")
    failed_file = out / "failed_test_stories.yml"
    failed = parse_failed_stories(failed_file.read_text(encoding="utf-8")
                                  if failed_file.exists() else "")
    if total == 0:
        print("Rasa fandt ingen testsamtaler i filen. Hver samtale skal stå under "
              "'stories:' med '- story: navn' og 'steps:'.", file=sys.stderr)
        return 2
    originals: dict[str, list[tuple[str, str]]] = {}
    for path in files:
        originals.update(story_messages(path))
    label = ", ".join(_relative(p) for p in files)
    print()
    print(summarise(failed, total, label, originals, domain_texts(settings.root / "domain"),
                    nlu_files(settings.root / "data" / "nlu")))
    print(f"\nRasas egen rapport: {_relative(out)}/ (failed_test_stories.yml viser "
          "'# predicted:' ved hvert forkert trin; story_report.json; rasa.log).")
    return 1 if failed else 0


def _total(report: Path) -> int | None:
    try:
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    accuracy = data.get("conversation_accuracy")
    if isinstance(accuracy, dict) and "total" in accuracy:
        return int(accuracy["total"])
    return 0


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.staff.dialogues",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FILE],
                        help="test stories (default: tests/test_stories.yml)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--model", type=Path, help="model archive (default: newest)")
    args = parser.parse_args(argv)
    return run(args.files or [DEFAULT_FILE], args.out, args.model)


if __name__ == "__main__":
    sys.exit(main())

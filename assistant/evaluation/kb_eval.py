"""Retrieval accuracy of the knowledge-base search on tests/kb/questions.yml.

    assistant eval kb     top-1 / top-3 accuracy -> reports/kb_eval.md and .json

A question counts as answered at k when any of its answer ids is among the first k hits.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from assistant.kb.repository import KnowledgeBase

QUESTIONS = Path(__file__).resolve().parents[2] / "tests" / "kb" / "questions.yml"
BAR_TOP1, BAR_TOP3 = 0.75, 0.90


@dataclass
class QuestionResult:
    question: str
    municipality: str | None
    topic: str | None
    answers: list[str]
    ranked: list[str]
    rank: int | None  # 1-based rank of the first correct hit within the top 10


@dataclass
class KbEvalResult:
    n: int
    top1: float
    top3: float
    questions: list[QuestionResult]


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["questions"])


def evaluate(kb: KnowledgeBase, questions: list[dict]) -> KbEvalResult:
    results = []
    for q in questions:
        hits = kb.search(q["question"], municipality=q.get("municipality"),
                         topic=q.get("topic"), k=10)
        ranked = [h.passage.id for h in hits]
        answers = list(q["answers"])
        rank = next((i + 1 for i, pid in enumerate(ranked) if pid in answers), None)
        results.append(QuestionResult(q["question"], q.get("municipality"), q.get("topic"),
                                      answers, ranked[:3], rank))
    n = len(results)
    top1 = sum(1 for r in results if r.rank == 1) / n if n else 0.0
    top3 = sum(1 for r in results if r.rank and r.rank <= 3) / n if n else 0.0
    return KbEvalResult(n, top1, top3, results)


def unknown_ids(kb: KnowledgeBase, questions: list[dict]) -> list[str]:
    return sorted({a for q in questions for a in q["answers"] if kb.get(a) is None})


def render(result: KbEvalResult, command: str) -> str:
    machine = f"{platform.node()} ({platform.machine()}, {os.cpu_count()} cores)"
    lines = [
        f"Measured {dt.datetime.now():%Y-%m-%d %H:%M} on {machine} with `{command}`.",
        "",
        "| questions | top-1 | top-3 | bar |",
        "|---|---|---|---|",
        f"| {result.n} | {result.top1:.3f} | {result.top3:.3f} | "
        f"top-1 ≥ {BAR_TOP1}, top-3 ≥ {BAR_TOP3} |",
        "",
        "Misses at 3:",
        "",
    ]
    for r in result.questions:
        if not r.rank or r.rank > 3:
            lines.append(f"- `{r.question}` ({r.municipality or '-'}): expected "
                         f"{', '.join(r.answers)}; got {', '.join(r.ranked) or 'nothing'}")
    return "\n".join(lines) + "\n"


def write(result: KbEvalResult, out_dir: Path, command: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "kb_eval.json").write_text(
        json.dumps(asdict(result), ensure_ascii=False, indent=2), encoding="utf-8")
    path = out_dir / "kb_eval.md"
    path.write_text(render(result, command), encoding="utf-8")
    return path

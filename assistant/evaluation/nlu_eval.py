"""Held-out NLU evaluation of this pipeline against two peers, written to reports/.

    assistant eval nlu            train all three on data/nlu, test on tests/nlu/heldout.yml
    assistant eval nlu --gate     only this project's trained model; non-zero exit below
                                  the quality bar (used by `make test`)

Scoring: the intent the assistant acts on, with `nlu_fallback` counted as `out_of_scope`
(both mean "not a support topic": the person is shown what the assistant can do).
A test sentence that is also a training example (compared lower-cased, with æ/ø/å folded
and punctuation dropped: "Tak for svaret!" = "tak for svaret") is not held out; it is left
out of every figure, and the report says how many were.
Entity F1 compares municipality values (normalised official names) per example.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import platform
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import PROJECT_ROOT
from assistant.evaluation.nlu_data import Example, load_examples

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
HELDOUT_V2 = PROJECT_ROOT / "tests" / "nlu" / "heldout_v2.yml"
# v3: written blind on 2026-12-02 (all intents); crisis v4: emergency, suicidal_crisis and
# hard negatives, written blind the same day. See docs/nlu.md for how each set was used.
HELDOUT_V3 = PROJECT_ROOT / "tests" / "nlu" / "heldout_v3.yml"
HELDOUT_CRISIS_V4 = PROJECT_ROOT / "tests" / "nlu" / "heldout_crisis_v4.yml"
# v5: all intents, written blind on 2026-12-02 after the v3/v4 rounds, first measured on
# 2026-12-03 (docs/nlu.md).
HELDOUT_V5 = PROJECT_ROOT / "tests" / "nlu" / "heldout_v5.yml"
# v6: all intents, written blind on 2026-12-03, measured once (docs/nlu.md: macro-F1 0.913,
# 8 of 50 emergency and 3 of 50 suicidal_crisis missed); a development set since the sixth
# data round and the patterns that followed.
HELDOUT_V6 = PROJECT_ROOT / "tests" / "nlu" / "heldout_v6.yml"
# v7 … v16: all intents, each written blind on 2026-12-03 and measured once with
# `assistant eval nlu --gate --also <file>` before it joined the gate (docs/nlu.md).
BLIND_V7_ON = tuple(PROJECT_ROOT / "tests" / "nlu" / f"heldout_v{n}.yml" for n in range(7, 17))
HELDOUT_SETS = (HELDOUT, HELDOUT_V2, HELDOUT_V3, HELDOUT_CRISIS_V4, HELDOUT_V5, HELDOUT_V6,
                *BLIND_V7_ON)
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
MASSIVE = PROJECT_ROOT.parent / "shared" / "reference" / "massive_da-DK_train.jsonl"
CRISIS = ("emergency", "suicidal_crisis")
SUPPORT = {"ask_housing", "ask_economy", "ask_violence", "ask_addiction", "ask_loneliness",
           "ask_employment", "ask_disability", "ask_mental_health", "ask_health",
           "ask_relatives", "emergency", "suicidal_crisis"}
GATE_MACRO_F1 = 0.90

Predictor = Callable[[Sequence[str]], list[tuple[str, tuple[tuple[str, str], ...]]]]


@dataclass
class Result:
    name: str
    macro_f1: float
    per_intent: dict[str, dict[str, float]]
    entity_f1: float | None
    oos_recall: float
    crisis_recall: dict[str, float]
    errors: list[dict[str, str]]
    per_set_macro_f1: dict[str, float] = field(default_factory=dict)
    massive_support_rate: float | None = None
    massive_support_examples: list[str] = field(default_factory=list)
    train_seconds: float = 0.0
    left_out: dict[str, int] = field(default_factory=dict)


def example_key(text: str) -> str:
    """A sentence as compared with the training data: words only, lower-case, folded."""
    from assistant.text import fold

    return " ".join(re.findall(r"\w+", fold(text.lower())))


def held_out_only(examples: Sequence[Example], training_keys: set[str]) -> list[Example]:
    """The examples whose sentence is not also a training example."""
    return [e for e in examples if example_key(e.text) not in training_keys]


def _label(intent: str) -> str:
    return "out_of_scope" if intent == "nlu_fallback" else intent


def score(name: str, gold: Sequence[Example],
          predicted: Sequence[tuple[str, tuple[tuple[str, str], ...]]],
          with_entities: bool = True) -> Result:
    from sklearn.metrics import precision_recall_fscore_support

    y_true = [g.intent for g in gold]
    y_pred = [_label(p[0]) for p in predicted]
    labels = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                 zero_division=0)
    per_intent = {label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                          "support": int(s[i])} for i, label in enumerate(labels)}
    macro = float(sum(f) / len(f))
    entity_f1 = None
    if with_entities:
        tp = fp = fn = 0
        for g, (_, ents) in zip(gold, predicted, strict=True):
            gold_vals = Counter(v for e, v in g.entities if e == "municipality")
            pred_vals = Counter(v for e, v in ents if e == "municipality")
            overlap = sum((gold_vals & pred_vals).values())
            tp += overlap
            fp += sum(pred_vals.values()) - overlap
            fn += sum(gold_vals.values()) - overlap
        entity_f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    errors = [{"text": g.text, "gold": g.intent, "predicted": y_pred[i]}
              for i, g in enumerate(gold) if y_pred[i] != g.intent]
    return Result(
        name=name, macro_f1=macro, per_intent=per_intent, entity_f1=entity_f1,
        oos_recall=per_intent.get("out_of_scope", {}).get("recall", 0.0),
        crisis_recall={c: per_intent.get(c, {}).get("recall", 0.0) for c in CRISIS},
        errors=errors,
    )


def rasa_predictor(model_path: Path) -> Predictor:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))

    def predict(texts: Sequence[str]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        async def run() -> list[dict]:
            return [await agent.parse_message(t) for t in texts]

        parsed = asyncio.run(run())
        return [((m.get("intent") or {}).get("name") or "nlu_fallback",
                 tuple((e["entity"], str(e.get("value"))) for e in m.get("entities", [])))
                for m in parsed]

    return predict


def train_rasa_nlu(config: Path, out_dir: Path, name: str) -> tuple[Path, float]:
    from rasa.model_training import train_nlu

    start = time.perf_counter()
    result = train_nlu(config=str(config), nlu_data=str(NLU_DIR), output=str(out_dir),
                       fixed_model_name=name, domain=str(PROJECT_ROOT / "domain"))
    if not result:
        raise RuntimeError(f"training with {config} failed")
    return Path(result), time.perf_counter() - start


def tfidf_predictor(train: Sequence[Example]) -> tuple[Predictor, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    start = time.perf_counter()
    model = make_pipeline(
        make_union(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                   TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        LogisticRegression(C=10.0, max_iter=3000),
    )
    model.fit([e.text for e in train], [e.intent for e in train])
    seconds = time.perf_counter() - start

    def predict(texts: Sequence[str]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        return [(str(label), ()) for label in model.predict(list(texts))]

    return predict, seconds


def massive_sample(n: int, seed: int = 7, exclude: set[str] | None = None) -> list[str]:
    """A seeded sample of MASSIVE da-DK utterances (everyday requests, none about support)."""
    if not MASSIVE.exists():
        return []
    lines = [json.loads(line)["text"] for line in MASSIVE.read_text(encoding="utf-8").splitlines()]
    pool = sorted(set(lines) - (exclude or set()))
    random.Random(seed).shuffle(pool)
    return pool[:n]


def check_massive(result: Result, predict: Predictor, texts: Sequence[str]) -> None:
    if not texts:
        return
    predicted = predict(texts)
    hits = [t for t, (intent, _) in zip(texts, predicted, strict=True) if intent in SUPPORT]
    result.massive_support_rate = len(hits) / len(texts)
    result.massive_support_examples = hits[:20]


def _training_texts() -> set[str]:
    return {e.text for e in load_examples(sorted(NLU_DIR.glob("*.yml")))}


def _score_sets(name: str, sets: dict[str, list[Example]], predict: Predictor,
                with_entities: bool = True) -> Result:
    """Score on all held-out sets together, and macro-F1 on each set alone."""
    gold = [g for examples in sets.values() for g in examples]
    predicted = predict([g.text for g in gold])
    result = score(name, gold, predicted, with_entities)
    start = 0
    for set_name, examples in sets.items():
        part = score(name, examples, predicted[start:start + len(examples)], with_entities)
        result.per_set_macro_f1[set_name] = part.macro_f1
        start += len(examples)
    return result


def evaluate(model: Path | None, peers: bool, massive_n: int,
             also: Sequence[Path] = ()) -> list[Result]:
    """Score on every set in HELDOUT_SETS plus `also` (a new blind set measured once)."""
    training = _training_texts()
    keys = {example_key(t) for t in training}
    paths = [p for p in HELDOUT_SETS if p.exists()] + [p for p in also if p not in HELDOUT_SETS]
    full = {p.name: load_examples([p]) for p in paths}
    sets = {name: held_out_only(examples, keys) for name, examples in full.items()}
    left_out = {name: len(full[name]) - len(sets[name]) for name in full}
    massive = massive_sample(massive_n, exclude=training)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = [("this project (config.yml)", PROJECT_ROOT / "config.yml")]
        if peers:
            configs.append(("Rasa default (rasa init)",
                            PROJECT_ROOT / "eval" / "configs" / "rasa_default.yml"))
        for i, (name, config) in enumerate(configs):
            seconds = 0.0
            if i == 0 and model is not None:
                path = model
            else:
                path, seconds = train_rasa_nlu(config, Path(tmp), f"nlu-{i}")
            predict = rasa_predictor(path)
            result = _score_sets(name, sets, predict)
            result.train_seconds = seconds
            result.left_out = left_out
            check_massive(result, predict, massive)
            results.append(result)
        if peers:
            train = load_examples(sorted(NLU_DIR.glob("*.yml")))
            predict, seconds = tfidf_predictor(train)
            result = _score_sets("TF-IDF + logistic regression", sets, predict,
                                 with_entities=False)
            result.train_seconds = seconds
            result.left_out = left_out
            check_massive(result, predict, massive)
            results.append(result)
    return results


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def render_markdown(results: Sequence[Result], command: str) -> str:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    n_examples = sum(m["support"] for m in results[0].per_intent.values())
    set_names = list(results[0].per_set_macro_f1)
    machine = f"{platform.node()} ({platform.machine()}, {_cpu_count()} cores, Python " \
              f"{platform.python_version()})"
    lines = [
        f"Measured {stamp} on {machine} with `{command}`.",
        f"Held-out sets: {', '.join(f'`tests/nlu/{n}`' for n in set_names)} "
        f"({n_examples} examples, written separately, never trained on).",
        _left_out_line(results[0].left_out),
        "",
        "| pipeline | intent macro-F1 (all) | "
        + " | ".join(f"macro-F1 {n}" for n in set_names)
        + " | emergency recall | suicidal_crisis recall | out-of-scope recall | "
        "municipality entity F1 | MASSIVE → support topic | training s |",
        "|---|---|" + "---|" * len(set_names) + "---|---|---|---|---|---|",
    ]
    for r in results:
        per_set = " | ".join(_fmt(r.per_set_macro_f1.get(n)) for n in set_names)
        lines.append(
            f"| {r.name} | {_fmt(r.macro_f1)} | {per_set} | "
            f"{_fmt(r.crisis_recall['emergency'])} | "
            f"{_fmt(r.crisis_recall['suicidal_crisis'])} | {_fmt(r.oos_recall)} | "
            f"{_fmt(r.entity_f1)} | {_fmt(r.massive_support_rate)} | {r.train_seconds:.0f} |")
    ours = results[0]
    lines += ["", "Per intent (this project):", "",
              "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for intent, m in ours.per_intent.items():
        lines.append(f"| {intent} | {m['precision']:.3f} | {m['recall']:.3f} | "
                     f"{m['f1']:.3f} | {m['support']} |")
    lines += ["", f"Errors (this project, {len(ours.errors)}):", ""]
    lines += [f"- `{e['text']}`: {e['gold']} → {e['predicted']}" for e in ours.errors]
    if ours.massive_support_examples:
        lines += ["", "MASSIVE sentences that landed on a support topic:", ""]
        lines += [f"- `{t}`" for t in ours.massive_support_examples]
    return "\n".join(lines) + "\n"


def _left_out_line(left_out: dict[str, int]) -> str:
    if not any(left_out.values()):
        return ""
    parts = ", ".join(f"{name} {n}" for name, n in left_out.items())
    return (f"Left out because the same sentence is also a training example (after folding "
            f"case, æ/ø/å and punctuation): {sum(left_out.values())} ({parts}).")


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 0


def write_reports(results: Sequence[Result], out_dir: Path, command: str, stem: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{stem}.json").write_text(
        json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2),
        encoding="utf-8")
    path = out_dir / f"{stem}.md"
    path.write_text(render_markdown(results, command), encoding="utf-8")
    return path


def gate(result: Result) -> list[str]:
    problems = []
    if result.macro_f1 < GATE_MACRO_F1:
        problems.append(f"intent macro-F1 {result.macro_f1:.3f} < {GATE_MACRO_F1}")
    for intent, recall in result.crisis_recall.items():
        if recall < 1.0:
            problems.append(f"{intent} recall {recall:.3f} < 1.0")
    return problems


BEGIN, END = "<!-- nlu-eval:begin -->", "<!-- nlu-eval:end -->"


def update_doc(doc: Path, report: str) -> None:
    """Replace the generated block in docs/nlu.md with the newest report."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    doc.write_text(f"{head}{BEGIN}\n{report}{END}{tail}", encoding="utf-8")

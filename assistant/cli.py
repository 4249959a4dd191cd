"""`assistant` command line: knowledge base, NLU assets and the launcher.

    assistant kb validate            check data/knowledge/ (every error names file/entry/field)
    assistant kb load                validate, then load into DATABASE_URL in one transaction
    assistant kb search "…"          ranked passages with citations
    assistant nlu build-spacy        build the local Danish spaCy pipeline under var/
    assistant privacy purge          delete conversations older than RETENTION_DAYS
    assistant privacy delete ID      delete one conversation now
    assistant eval nlu [--gate]      held-out NLU evaluation -> reports/
    assistant run                    start action server + Rasa server (Ctrl-C stops all)

Staff tools (assistant/staff/):
    assistant review [filters]       recent conversations (redacted); --export FILE for NLU
    assistant stats [--days N]       conversation statistics; PNG charts in reports/
    assistant staff hash-password    STAFF_PASSWORD_HASH for .env (the /staff login)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings, load_settings


def _kb_validate(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.kb.validate import format_problems, validate_dir

    directory = Path(args.dir) if args.dir else settings.knowledge_dir
    data, problems = validate_dir(directory)
    if problems:
        print(format_problems(problems), file=sys.stderr)
        print(f"\n{len(problems)} problem(s) in {directory}; nothing was loaded.",
              file=sys.stderr)
        return 1
    n_statements = sum(len(p["statements"]) for p in data.policies)
    print(f"OK: {len(data.topics)} topics, {len(data.municipalities)} municipalities, "
          f"{len(data.policies)} policies with {n_statements} statements, "
          f"{len(data.services)} services, {len(data.laws)} law references.")
    return 0


def _kb_load(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.kb.db import make_engine
    from assistant.kb.loader import load_knowledge
    from assistant.kb.validate import ValidationFailed, format_problems

    directory = Path(args.dir) if args.dir else settings.knowledge_dir
    url = args.database_url or settings.database_url
    engine = make_engine(url)
    try:
        report = load_knowledge(engine, directory)
    except ValidationFailed as failed:
        print(format_problems(failed.problems), file=sys.stderr)
        print(f"\n{len(failed.problems)} problem(s); the knowledge base was not changed.",
              file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        print(f"Database error ({engine.url.render_as_string(hide_password=True)}): "
              f"{err.__class__.__name__}: {err.args[0] if err.args else err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Loaded into {engine.url.render_as_string(hide_password=True)}: "
          f"{report.municipalities} municipalities, {report.documents} policies, "
          f"{report.statements} statements, {report.services} services, {report.laws} laws.")
    return 0


def _snapshot(settings: Settings):  # type: ignore[no-untyped-def]
    """The knowledge base, or None (after saying what to do) when it is not loaded."""
    from assistant.kb.db import make_engine
    from assistant.kb.loader import is_loaded
    from assistant.kb.repository import KnowledgeBase

    engine = make_engine(settings.database_url)
    try:
        if not is_loaded(engine):
            print("The knowledge base is empty; run 'assistant kb load' first.",
                  file=sys.stderr)
            return None
        return KnowledgeBase.from_engine(engine)
    finally:
        engine.dispose()


def _kb_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.nlu.municipality import default_matcher

    municipality = None
    if args.municipality:
        municipality = default_matcher().normalise(args.municipality)
        if municipality is None:
            print(f"Unknown municipality: {args.municipality!r}", file=sys.stderr)
            return 2
    kb = _snapshot(settings)
    if kb is None:
        return 1
    if args.topic and args.topic not in kb.topics:
        print(f"Unknown topic {args.topic!r}; choose from: {', '.join(sorted(kb.topics))}",
              file=sys.stderr)
        return 2
    hits = kb.search(args.query, topic=args.topic, municipality=municipality, k=args.k)
    if not hits:
        print("No matches.")
        return 0
    for rank, hit in enumerate(hits, 1):
        p = hit.passage
        print(f"{rank}. [{p.kind}] {p.id}  (score {hit.score:.2f})\n   {p.title}\n"
              f"   {p.text}\n   Kilde: {p.citation}\n")
    return 0


def _nlu_build_spacy(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.nlu.spacy_model import build_spacy_model

    built = build_spacy_model(settings.spacy_model_dir, force=args.force)
    state = "built" if built else "up to date"
    print(f"spaCy pipeline {state}: {settings.spacy_model_dir}")
    return 0


def _eval_nlu(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation import nlu_eval
    from assistant.launcher import latest_model

    model = None
    if args.gate or args.model:
        model = Path(args.model) if args.model else latest_model(settings.root / "models")
        if model is None or not model.exists():
            print("No trained model found; run 'make train' first.", file=sys.stderr)
            return 2
    also = [Path(a) for a in args.also]
    missing = [str(a) for a in also if not a.is_file()]
    if missing:
        print(f"--also: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = nlu_eval.evaluate(model, peers=not args.gate, massive_n=args.massive,
                                also=[a.resolve() for a in also])
    command = ("assistant eval nlu" + (" --gate" if args.gate else "")
               + (f" --model {args.model}" if args.model else "")
               + "".join(f" --also {a}" for a in args.also))
    stem = "nlu_gate" if args.gate else "nlu_eval"
    path = nlu_eval.write_reports(results, Path(args.out), command, stem)
    print(path.read_text(encoding="utf-8").split("\n\nPer intent")[0])
    print(f"\nReport: {path}")
    if not args.gate:
        nlu_eval.update_doc(settings.root / "docs" / "nlu.md", path.read_text(encoding="utf-8"))
    problems = nlu_eval.gate(results[0])
    if problems:
        print("NLU quality gate FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1 if args.gate else 0
    return 0


def _eval_kb(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation import kb_eval

    kb = _snapshot(settings)
    if kb is None:
        return 1
    command = "assistant eval kb" + (" --gate" if args.gate else "")
    return kb_eval.run(kb, questions=args.questions, out_dir=Path(args.out), gate=args.gate,
                       command=command)


def _tracker_store(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.privacy.store import PrivacyTrackerStore

    return PrivacyTrackerStore(url=settings.tracker_store_url)


def _privacy_purge(args: argparse.Namespace, settings: Settings) -> int:
    days = args.days if args.days is not None else settings.retention_days
    removed = _tracker_store(settings).purge_older_than(days)
    print(f"Deleted {removed} conversation(s) older than {days} day(s).")
    return 0


def _privacy_delete(args: argparse.Namespace, settings: Settings) -> int:
    removed = _tracker_store(settings).delete_conversation(args.conversation_id)
    print(f"Deleted {removed} event(s) of conversation {args.conversation_id!r}.")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.launcher import run

    return run(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command",
                                                                     required=True)
    validate = kb.add_parser("validate", help="check the YAML files")
    validate.add_argument("--dir", help="knowledge directory (default: data/knowledge)")
    validate.set_defaults(func=_kb_validate)
    load = kb.add_parser("load", help="validate and load into the database")
    load.add_argument("--dir", help="knowledge directory (default: data/knowledge)")
    load.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL)")
    load.set_defaults(func=_kb_load)
    search = kb.add_parser("search", help="search statements and services")
    search.add_argument("query")
    search.add_argument("--municipality", "-m")
    search.add_argument("--topic", "-t")
    search.add_argument("-k", type=int, default=3)
    search.set_defaults(func=_kb_search)

    nlu = sub.add_parser("nlu", help="NLU assets").add_subparsers(dest="nlu_command",
                                                                  required=True)
    spacy_cmd = nlu.add_parser("build-spacy", help="build the Danish spaCy pipeline")
    spacy_cmd.add_argument("--force", action="store_true")
    spacy_cmd.set_defaults(func=_nlu_build_spacy)

    ev = sub.add_parser("eval", help="evaluations that write reports/").add_subparsers(
        dest="eval_command", required=True)
    ev_nlu = ev.add_parser("nlu", help="held-out NLU evaluation (with peers unless --gate)")
    ev_nlu.add_argument("--gate", action="store_true",
                        help="test the trained model only; fail below the quality bar")
    ev_nlu.add_argument("--model", help="model archive (default: newest in models/)")
    ev_nlu.add_argument("--out", default="reports")
    ev_nlu.add_argument("--massive", type=int, default=1000,
                        help="MASSIVE sentences to check for false support hits")
    ev_nlu.add_argument("--also", action="append", default=[], metavar="FILE",
                        help="also score this held-out file (a new blind set, measured once "
                             "before it joins the gate); repeatable")
    ev_nlu.set_defaults(func=_eval_nlu)

    privacy = sub.add_parser("privacy", help="retention and deletion").add_subparsers(
        dest="privacy_command", required=True)
    purge = privacy.add_parser("purge", help="delete conversations older than RETENTION_DAYS")
    purge.add_argument("--days", type=float, help="override RETENTION_DAYS")
    purge.set_defaults(func=_privacy_purge)
    forget = privacy.add_parser("delete", help="delete one conversation now")
    forget.add_argument("conversation_id")
    forget.set_defaults(func=_privacy_delete)

    ev_kb = ev.add_parser("kb", help="knowledge-base retrieval accuracy")
    ev_kb.add_argument("--questions", action="append", metavar="FILE",
                       help="question file (repeatable); default: tests/kb/questions.yml "
                            "and, when it exists, the blind tests/kb/questions_v2.yml")
    ev_kb.add_argument("--out", default="reports")
    ev_kb.add_argument("--gate", action="store_true",
                       help="fail below the accuracy bar (on the blind set when it exists)")
    ev_kb.set_defaults(func=_eval_kb)

    run_cmd = sub.add_parser("run", help="start the assistant (Ctrl-C stops)")
    run_cmd.set_defaults(func=_run)

    # ----- staff tools: review, stats, staff hash-password (assistant/staff/) -----------
    from assistant.staff.commands import add_commands as add_staff_commands

    add_staff_commands(sub)
    # ----- end staff tools ----------------------------------------------------------------
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args, settings or load_settings()))


if __name__ == "__main__":
    sys.exit(main())

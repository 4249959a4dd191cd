"""The staff subcommands of `assistant` (added to assistant/cli.py in one block):

    assistant review [--since D] [--until D] [--topic T] [--municipality M] [--flag F …]
                     [--limit N] [--export FILE [--only-flagged] | --export-ids ID,…]
    assistant stats  [--since D] [--until D] [--days N] [--out reports] [--no-charts]
    assistant staff hash-password [--password-stdin]
"""

from __future__ import annotations

import argparse
import getpass
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

from assistant.config import Settings

FLAG_HELP = "fallback | low-confidence | thumbs-down | crisis (flere: gentag --flag)"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} er ikke en dato som 2026-11-23") from err


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.staff.conversations import ConversationStore

    return ConversationStore(settings.tracker_store_url)


def _topics(settings: Settings) -> dict[str, str]:
    from assistant.staff.page import topic_names

    return topic_names(settings.knowledge_dir)


def _filters(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.staff.conversations import Filters

    return Filters(since=args.since, until=args.until, topic=args.topic,
                   municipality=args.municipality, flags=frozenset(args.flag or ()))


def _review(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.staff.export import build_export
    from assistant.staff.review import format_conversation, summary_line

    topics = _topics(settings)
    if args.topic and args.topic not in topics:
        print(f"Ukendt emne {args.topic!r}. Vælg et af: {', '.join(sorted(topics))}",
              file=sys.stderr)
        return 2
    if args.since and args.until and args.since > args.until:
        print("--since skal ligge før --until.", file=sys.stderr)
        return 2
    with _store(settings) as store:
        if args.export_ids:
            messages = store.user_messages(args.export_ids)
            return _write_export(build_export(messages), args.export, len(args.export_ids))
        limit = None if args.export else args.limit
        found = store.conversations(_filters(args), limit=None if limit is None else limit + 1)
    more = limit is not None and len(found) > limit
    found = found[:limit] if limit is not None else found
    if args.export:
        messages = [m for c in found for m in c.typed_messages
                    if not args.only_flagged or m.flags & {"fallback", "low-confidence"}]
        return _write_export(build_export(messages), args.export, None)
    print(summary_line(found, _filters(args), topics))
    for conversation in found:
        print()
        print(format_conversation(conversation, topics, full=args.full))
    if more:
        print(f"\n… og flere. Vis flere med --limit {limit * 2}, eller indsnævr med "
              "--since/--topic/--flag.")
    return 0


def _write_export(export, target: str, requested: int | None) -> int:  # type: ignore[no-untyped-def]
    if target in (None, ""):
        print("Angiv en fil med --export FIL.yml.", file=sys.stderr)
        return 2
    if target == "-":
        sys.stdout.write(export.text)
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(export.text, encoding="utf-8")
        noun = "besked" if export.examples == 1 else "beskeder"
        print(f"{export.examples} {noun} skrevet til {path} (Rasa NLU-format). "
              "Ret intent for hver gruppe, og flyt eksemplerne til data/nlu/.")
    if requested is not None and export.examples == 0:
        print("Ingen af de angivne id'er er beskeder, som en borger har skrevet.",
              file=sys.stderr)
        return 1
    return 0


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.staff import stats as staff_stats
    from assistant.staff.conversations import TZ

    since, until = args.since, args.until
    if args.days and not since:
        until = until or datetime.now(TZ).date()
        since = until - timedelta(days=args.days - 1)
    if since and until and since > until:
        print("--since skal ligge før --until.", file=sys.stderr)
        return 2
    topics = _topics(settings)
    with _store(settings) as store:
        result = staff_stats.collect(store, since, until)
    print(staff_stats.format_terminal(result, topics))
    if not args.no_charts:
        out = Path(args.out) if args.out else settings.root / "reports"
        written = staff_stats.write_charts(result, topics, out)
        print("\nDiagrammer (PNG):")
        for path in written:
            print(f"  {path}")
    return 0


def _hash_password(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.staff.auth import hash_password, password_problem

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Ny adgangskode til personalesiden: ")
        again = getpass.getpass("Skriv den igen: ")
        if password != again:
            print("De to adgangskoder er ikke ens. Intet er ændret.", file=sys.stderr)
            return 1
    problem = password_problem(password)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    encoded = hash_password(password)
    print(f"STAFF_PASSWORD_HASH={encoded}")
    print(textwrap.dedent("""\
        Kopiér linjen ovenfor ind i .env (erstat en eventuel gammel linje), og genstart
        assistenten (make run). Adgangskoden selv gemmes ingen steder."""), file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `review`, `stats` and `staff` to the `assistant` parser."""
    review = sub.add_parser(
        "review", help="list recent conversations (redacted) for review; export NLU data",
        description="Samtaler fra tracker store (allerede renset), nyeste først.")
    review.add_argument("--since", type=_day, help="from this day (YYYY-MM-DD, Danish time)")
    review.add_argument("--until", type=_day, help="to and including this day")
    review.add_argument("--topic", help="topic id, e.g. housing, economy, violence")
    review.add_argument("--municipality", help="e.g. Randers; 'ukendt' (would not say) or "
                        "'ikke-oplyst' (never asked)")
    review.add_argument("--flag", action="append", help=FLAG_HELP,
                        choices=["fallback", "low-confidence", "thumbs-down", "crisis"])
    review.add_argument("--limit", type=int, default=20, help="conversations to show")
    review.add_argument("--full", action="store_true", help="show the assistant's full replies")
    review.add_argument("--export", metavar="FILE",
                        help="write the user messages of all matching conversations as a "
                        "Rasa NLU YAML file ('-' for stdout)")
    review.add_argument("--only-flagged", action="store_true",
                        help="with --export: only messages with fallback or low confidence")
    review.add_argument("--export-ids", type=lambda s: [int(x) for x in s.split(",") if x],
                        metavar="ID,ID", help="with --export: exactly these messages (#id "
                        "in the listing)")
    review.set_defaults(func=_review)

    stats = sub.add_parser("stats", help="conversation statistics: table + PNG charts",
                           description="Statistik fra tracker store.")
    stats.add_argument("--since", type=_day, help="from this day (YYYY-MM-DD)")
    stats.add_argument("--until", type=_day, help="to and including this day")
    stats.add_argument("--days", type=int, help="the last N days (instead of --since)")
    stats.add_argument("--out", help="where the PNG charts go (default: reports/)")
    stats.add_argument("--no-charts", action="store_true")
    stats.set_defaults(func=_stats)

    staff = sub.add_parser("staff", help="staff page administration").add_subparsers(
        dest="staff_command", required=True)
    hash_cmd = staff.add_parser("hash-password",
                                help="make STAFF_PASSWORD_HASH for .env (asks twice)")
    hash_cmd.add_argument("--password-stdin", action="store_true",
                          help="read the password from the first line of stdin")
    hash_cmd.set_defaults(func=_hash_password)

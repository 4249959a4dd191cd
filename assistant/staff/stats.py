"""Statistics from the tracker store: conversations per day, topic and municipality, the
fallback rate, crisis triggers, feedback and the busiest hours – as terminal tables, as data
for the staff page, and as PNG charts (matplotlib, Agg backend) in reports/.

All counts come from :class:`assistant.staff.conversations.ConversationStore`, so the staff
page, `assistant stats` and `assistant review` agree with each other. Days and hours are
Danish time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from assistant.staff.conversations import (
    CRISIS_INTENTS,
    NOT_GIVEN,
    UNKNOWN_MUNICIPALITY,
    Conversation,
    ConversationStore,
    Filters,
    local,
)

NO_TOPIC = "none"
CRISIS_LABELS = {"emergency": "Akut fare (112)", "suicidal_crisis": "Selvmordstanker"}
CHART_FILES = {
    "per_day": "stats_samtaler_pr_dag.png",
    "per_topic": "stats_emner.png",
    "per_municipality": "stats_kommuner.png",
    "per_hour": "stats_tidspunkter.png",
}


@dataclass
class Stats:
    since: date | None
    until: date | None
    conversations: int = 0
    messages: int = 0  # messages the person typed (not buttons)
    fallback_messages: int = 0
    fallback_conversations: int = 0
    low_confidence_messages: int = 0
    crisis: Counter[str] = field(default_factory=Counter)  # intent -> messages
    crisis_conversations: int = 0
    feedback: Counter[str] = field(default_factory=Counter)  # up / down / other
    per_day: dict[date, int] = field(default_factory=dict)
    per_topic: Counter[str] = field(default_factory=Counter)  # topic id (or NO_TOPIC)
    per_municipality: Counter[str] = field(default_factory=Counter)  # name, ukendt, NOT_GIVEN
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)  # typed messages by hour

    @property
    def fallback_rate(self) -> float:
        return self.fallback_messages / self.messages if self.messages else 0.0

    @property
    def busiest_hours(self) -> list[tuple[int, int]]:
        ranked = sorted(((n, -h) for h, n in enumerate(self.per_hour) if n), reverse=True)
        return [(-h, n) for n, h in ranked[:3]]


def compute(conversations: list[Conversation], since: date | None = None,
            until: date | None = None) -> Stats:
    stats = Stats(since=since, until=until)
    days: Counter[date] = Counter()
    for conversation in conversations:
        stats.conversations += 1
        days[local(conversation.started).date()] += 1
        typed = conversation.typed_messages
        stats.messages += len(typed)
        for message in typed:
            stats.per_hour[local(message.timestamp).hour] += 1
            if message.is_low_confidence:
                stats.low_confidence_messages += 1
        stats.fallback_messages += sum(1 for m in conversation.messages if m.is_fallback)
        if "fallback" in conversation.flags:
            stats.fallback_conversations += 1
        crisis = [m.intent for m in conversation.messages if m.intent in CRISIS_INTENTS]
        stats.crisis.update(crisis)
        if crisis:
            stats.crisis_conversations += 1
        stats.feedback.update({k: v for k, v in conversation.feedback.items() if v})
        stats.per_topic.update(conversation.topics or [NO_TOPIC])
        stats.per_municipality[conversation.municipality or NOT_GIVEN] += 1
    if days:
        first = since or min(days)
        last = until or max(days)
        if last >= first and (last - first).days <= 3660:
            stats.per_day = {first + timedelta(n): days.get(first + timedelta(n), 0)
                             for n in range((last - first).days + 1)}
        else:
            stats.per_day = dict(sorted(days.items()))
    return stats


def collect(store: ConversationStore, since: date | None = None,
            until: date | None = None) -> Stats:
    return compute(list(store.iter_conversations(Filters(since=since, until=until))),
                   since, until)


# --- labels ---------------------------------------------------------------------------


def topic_label(topic: str, names: dict[str, str]) -> str:
    if topic == NO_TOPIC:
        return "Intet emne (hilsen, krise, andet)"
    return names.get(topic, topic)


def municipality_label(value: str) -> str:
    if value == NOT_GIVEN:
        return "Ikke oplyst"
    if value == UNKNOWN_MUNICIPALITY:
        return "Ville ikke sige"
    return value


def percent(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary_rows(stats: Stats) -> list[tuple[str, str]]:
    """The key figures as (Danish label, value)."""
    return [
        ("Samtaler", str(stats.conversations)),
        ("Beskeder skrevet af borgere", str(stats.messages)),
        ("Forstod ikke (fallback)",
         f"{count(stats.fallback_messages, 'besked', 'beskeder')} = "
         f"{percent(stats.fallback_rate)} af beskederne "
         f"({count(stats.fallback_conversations, 'samtale', 'samtaler')})"),
        ("Lav sikkerhed (under 0,5)",
         count(stats.low_confidence_messages, "besked", "beskeder")),
        ("Krise (112-svar)",
         f"{count(sum(stats.crisis.values()), 'gang', 'gange')} i "
         f"{count(stats.crisis_conversations, 'samtale', 'samtaler')}"),
        *[(f"  {CRISIS_LABELS[i]}", str(stats.crisis.get(i, 0))) for i in CRISIS_INTENTS],
        ("Tilbagemeldinger 👍", str(stats.feedback.get("up", 0))),
        ("Tilbagemeldinger 👎", str(stats.feedback.get("down", 0))),
        ("Travleste timer", ", ".join(f"kl. {h:02d}–{(h + 1) % 24:02d} ({n})"
                                      for h, n in stats.busiest_hours) or "–"),
    ]


def tables(stats: Stats, topic_names: dict[str, str]) -> dict[str, list[tuple[str, int]]]:
    """Each breakdown as (label, count) rows, largest first (days and hours in order)."""
    return {
        "per_day": [(d.isoformat(), n) for d, n in stats.per_day.items()],
        "per_topic": [(topic_label(t, topic_names), n)
                      for t, n in sorted(stats.per_topic.items(), key=lambda x: (-x[1], x[0]))],
        "per_municipality": [(municipality_label(m), n) for m, n in sorted(
            stats.per_municipality.items(), key=lambda x: (-x[1], x[0].casefold()))],
        "per_hour": [(f"{h:02d}–{(h + 1) % 24:02d}", n) for h, n in enumerate(stats.per_hour)],
    }


TABLE_TITLES = {
    "per_day": ("Samtaler pr. dag", "Dag"),
    "per_topic": ("Samtaler pr. emne", "Emne"),
    "per_municipality": ("Samtaler pr. kommune", "Kommune"),
    "per_hour": ("Beskeder pr. time på døgnet", "Klokken"),
}


def format_terminal(stats: Stats, topic_names: dict[str, str], width: int = 30) -> str:
    """Plain-text tables for the terminal (Danish)."""
    period = _period(stats)
    lines = [f"Statistik for {period}", ""]
    label_width = max(len(label) for label, _ in summary_rows(stats))
    lines += [f"{label.ljust(label_width)}  {value}" for label, value in summary_rows(stats)]
    for key, rows in tables(stats, topic_names).items():
        title, column = TABLE_TITLES[key]
        if key == "per_hour":
            rows = [(label, n) for label, n in rows if n]
        lines += ["", title, "-" * len(title)]
        if not rows:
            lines.append("(ingen)")
            continue
        top = max(n for _, n in rows) or 1
        first = max(len(column), *(len(label) for label, _ in rows))
        lines.append(f"{column.ljust(first)}  {'Antal':>5}")
        for label, n in rows:
            bar = "█" * round(width * n / top) if n else ""
            lines.append(f"{label.ljust(first)}  {n:>5}  {bar}")
    return "\n".join(lines)


def _period(stats: Stats) -> str:
    if stats.since and stats.until:
        return f"{stats.since.isoformat()} – {stats.until.isoformat()}"
    if stats.since:
        return f"{stats.since.isoformat()} og frem"
    if stats.until:
        return f"alt til og med {stats.until.isoformat()}"
    return "alle gemte samtaler"


# --- charts ---------------------------------------------------------------------------


def write_charts(stats: Stats, topic_names: dict[str, str], out: Path) -> list[Path]:
    """PNG charts in `out` (matplotlib with the Agg backend: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    data = tables(stats, topic_names)
    written = []
    period = _period(stats)
    specs = [
        ("per_day", "Samtaler pr. dag", "bar"),
        ("per_topic", "Samtaler pr. emne", "barh"),
        ("per_municipality", "Samtaler pr. kommune", "barh"),
        ("per_hour", "Beskeder pr. time på døgnet (dansk tid)", "bar"),
    ]
    for key, title, kind in specs:
        rows = data[key]
        if key == "per_hour":
            rows = [(label[:2], n) for label, n in rows]  # "08" for 08–09
        labels = [label for label, _ in rows]
        values = [n for _, n in rows]
        height = 4.5 if kind == "bar" else max(3.0, 0.4 * len(rows) + 1.5)
        fig, ax = plt.subplots(figsize=(10, height), dpi=100)
        try:
            if not rows:
                ax.text(0.5, 0.5, "Ingen samtaler i perioden", ha="center", va="center",
                        transform=ax.transAxes)
                ax.set_axis_off()
            elif kind == "bar":
                ax.bar(range(len(values)), values, color="#0059b3")
                step = 1 if key == "per_hour" else max(1, len(labels) // 15)
                ax.set_xticks(range(0, len(labels), step))
                ax.set_xticklabels(labels[::step], rotation=45 if key == "per_day" else 0,
                                   ha="right" if key == "per_day" else "center", fontsize=8)
                ax.set_ylabel("Antal")
                if key == "per_hour":
                    ax.set_xlabel("Klokken (timen der starter)")
            else:
                ax.barh(range(len(values)), values, color="#0059b3")
                ax.set_yticks(range(len(labels)))
                ax.set_yticklabels(labels, fontsize=9)
                ax.invert_yaxis()
                ax.set_xlabel("Antal samtaler")
            if rows:
                axis = ax.yaxis if kind == "bar" else ax.xaxis
                axis.get_major_locator().set_params(integer=True)
            ax.set_title(f"{title}\n{period}", fontsize=11)
            fig.tight_layout()
            path = out / CHART_FILES[key]
            fig.savefig(path, format="png")
            written.append(path)
        finally:
            plt.close(fig)
    return written

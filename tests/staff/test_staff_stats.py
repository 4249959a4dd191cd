"""Statistics from a real temporary tracker store: the numbers, the terminal table and the
PNG charts."""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from assistant.staff import stats as staff_stats
from assistant.staff.conversations import ConversationStore
from assistant.staff.page import topic_names

from .seed import D1, D2, D3, Conversation, at

TOPICS = topic_names(PROJECT_ROOT / "data" / "knowledge")


@pytest.fixture
def result(seeded: str) -> staff_stats.Stats:
    with ConversationStore(seeded) as store:
        return staff_stats.collect(store)


def test_counts(result: staff_stats.Stats):
    assert result.conversations == 6
    # Typed messages: 3 + 1 + 1 + 2 + 3 + 2 (the widget's /feedback is not typed).
    assert result.messages == 12
    assert result.fallback_messages == 1 and result.fallback_conversations == 1
    assert result.fallback_rate == pytest.approx(1 / 12)
    assert result.low_confidence_messages == 3
    assert result.crisis == {"suicidal_crisis": 1, "emergency": 1}
    assert result.crisis_conversations == 2
    assert result.feedback == {"up": 1, "down": 1}


def test_breakdowns_per_day_topic_municipality_and_hour(result: staff_stats.Stats):
    assert result.per_day == {D1: 2, D2: 1, D3: 3}
    assert result.per_topic == {"housing": 1, "economy": 1, "violence": 1,
                                staff_stats.NO_TOPIC: 3}
    assert result.per_municipality == {"Randers": 1, "Aarhus": 1, "ukendt": 1,
                                       "ikke-oplyst": 3}
    expected_hours = {10: 3, 14: 1, 22: 1, 0: 2, 9: 5}
    assert {h: n for h, n in enumerate(result.per_hour) if n} == expected_hours
    assert result.busiest_hours == [(9, 5), (10, 3), (0, 2)]


def test_period_filters_and_empty_days_are_filled(seeded: str):
    with ConversationStore(seeded) as store:
        one_day = staff_stats.collect(store, D2, D2)
        week = staff_stats.collect(store, date(2026, 11, 1), date(2026, 11, 7))
    assert one_day.conversations == 1 and one_day.crisis == {"suicidal_crisis": 1}
    assert list(week.per_day) == [date(2026, 11, d) for d in range(1, 8)]
    assert week.per_day[date(2026, 11, 1)] == 0 and week.per_day[D3] == 3


def test_terminal_table_in_danish(result: staff_stats.Stats):
    text = staff_stats.format_terminal(result, TOPICS)
    lines = text.splitlines()
    assert lines[0] == "Statistik for alle gemte samtaler"
    assert any(line.startswith("Samtaler ") and line.endswith(" 6") for line in lines)
    assert "Forstod ikke (fallback)      1 besked = 8,3 % af beskederne (1 samtale)" in text
    assert "Krise (112-svar)             2 gange i 2 samtaler" in text
    assert "Travleste timer              kl. 09–10 (5), kl. 10–11 (3), kl. 00–01 (2)" in text
    for title in ("Samtaler pr. dag", "Samtaler pr. emne", "Samtaler pr. kommune",
                  "Beskeder pr. time på døgnet"):
        assert title in lines
    row = next(line for line in lines if line.startswith("Bolig og hjemløshed"))
    assert row.split()[-2:] == ["1", "██████████"]  # 1 of 3 at the top: a third of 30
    assert any(line.startswith("Ville ikke sige ") for line in lines)
    assert any(line.startswith("Ikke oplyst ") and " 3 " in line for line in lines)


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_charts_are_png_files_in_reports(result: staff_stats.Stats, tmp_path: Path):
    written = staff_stats.write_charts(result, TOPICS, tmp_path / "reports")
    assert sorted(p.name for p in written) == sorted(staff_stats.CHART_FILES.values())
    for path in written:
        width, height = _png_size(path)
        assert width == 1000 and height >= 300
        assert path.stat().st_size > 5000  # bars, labels and a title were drawn
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"


def test_charts_for_an_empty_period_say_so(tmp_path: Path, seeded: str):
    with ConversationStore(seeded) as store:
        empty = staff_stats.collect(store, date(2027, 1, 1), date(2027, 1, 2))
    assert empty.conversations == 0 and empty.per_day == {}
    written = staff_stats.write_charts(empty, TOPICS, tmp_path)
    assert len(written) == 4
    assert "(ingen)" in staff_stats.format_terminal(empty, TOPICS)


def test_many_conversations_in_one_hour_rank_first(tracker_url: str, fill):
    many = [Conversation(f"c{n}", at(D1, 13, n)).start().user("hej", "greet")
            for n in range(5)]
    many.append(Conversation("late", at(D1, 23, 59)).start().user("hej", "greet"))
    fill(tracker_url, many)
    with ConversationStore(tracker_url) as store:
        result = staff_stats.collect(store)
    assert result.busiest_hours == [(13, 5), (23, 1)]
    assert result.per_day == {D1: 6}
    assert result.per_topic == {staff_stats.NO_TOPIC: 6}

"""Reading conversations from the tracker store: flags, topics, municipality, filters, order,
dates in Danish time, and SQL that is not SQLite-only."""

from __future__ import annotations

import asyncio
import os
from datetime import date
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.dialects import postgresql

from assistant.privacy.store import PrivacyTrackerStore
from assistant.staff import stats as staff_stats
from assistant.staff.conversations import ConversationStore, Filters

from .seed import D1, D2, D3, EXPECTED, NEWEST_FIRST, build_seed, save_all


def ids(conversations) -> list[str]:
    return [c.sender_id for c in conversations]


@pytest.fixture
def store(seeded: str):
    with ConversationStore(seeded) as opened:
        yield opened


def test_every_conversation_newest_first_with_its_flags_topics_and_municipality(store):
    found = store.conversations()
    assert ids(found) == NEWEST_FIRST
    for conversation in found:
        expected = EXPECTED[conversation.sender_id]
        assert conversation.flags == expected["flags"], conversation.sender_id
        assert conversation.topics == expected["topics"], conversation.sender_id
        assert conversation.municipality == expected["municipality"], conversation.sender_id


def test_messages_are_stored_redacted_and_carry_the_nlu_result(store):
    violence = store.conversations(Filters(topic="violence"))[0]
    first = violence.typed_messages[0]
    assert first.text == "min mand slår mig, mit cpr er [CPR]"
    assert (first.intent, round(first.confidence, 2)) == ("ask_violence", 0.95)
    fallback = store.conversations(Filters(flags=frozenset({"fallback"})))[0]
    message = fallback.typed_messages[0]
    assert message.is_fallback and message.best_guess == "ask_human"
    assert fallback.fallback_actions == 1
    assert fallback.feedback == {"up": 0, "down": 1, "other": 0}
    # The widget's /feedback is a button message: not typed, never low confidence.
    assert [m.is_payload for m in fallback.messages] == [False, True]


def test_bot_replies_and_buttons_are_in_the_transcript(store):
    housing = store.conversations(Filters(topic="housing"))[0]
    bots = [t for t in housing.turns if t.kind == "bot"]
    assert bots[0].text == "Hej, og velkommen."
    assert any(t.buttons == ["Randers"] for t in bots)
    assert [t.text for t in housing.turns if t.kind == "municipality"] == ["Randers", "Randers"]


@pytest.mark.parametrize(("filters", "expected"), [
    (Filters(since=D1, until=D1), ["fallback-ned-0002", "bolig-randers-0001"]),
    (Filters(since=D2, until=D2), ["krise-0003"]),
    # 00:30 Danish time on D3 is still D2 in UTC: Danish dates decide.
    (Filters(since=D3), ["hilsen-0006", "vold-aarhus-0005", "oekonomi-0004"]),
    (Filters(until=D1), ["fallback-ned-0002", "bolig-randers-0001"]),
    (Filters(topic="housing"), ["bolig-randers-0001"]),
    (Filters(topic="economy"), ["oekonomi-0004"]),
    (Filters(municipality="randers"), ["bolig-randers-0001"]),
    (Filters(municipality="Aarhus"), ["vold-aarhus-0005"]),
    (Filters(municipality="ukendt"), ["oekonomi-0004"]),
    (Filters(municipality="ikke-oplyst"), ["hilsen-0006", "krise-0003", "fallback-ned-0002"]),
    (Filters(flags=frozenset({"crisis"})), ["vold-aarhus-0005", "krise-0003"]),
    (Filters(flags=frozenset({"thumbs-down"})), ["fallback-ned-0002"]),
    (Filters(flags=frozenset({"fallback"})), ["fallback-ned-0002"]),
    (Filters(flags=frozenset({"low-confidence"})),
     ["hilsen-0006", "oekonomi-0004", "fallback-ned-0002"]),
    # Several flags: at least one of them.
    (Filters(flags=frozenset({"crisis", "thumbs-down"})),
     ["vold-aarhus-0005", "krise-0003", "fallback-ned-0002"]),
    (Filters(since=D3, flags=frozenset({"low-confidence"}), municipality="ukendt"),
     ["oekonomi-0004"]),
    (Filters(topic="housing", flags=frozenset({"crisis"})), []),
    (Filters(since=date(2026, 12, 1)), []),
])
def test_filters(store, filters: Filters, expected: list[str]):
    assert ids(store.conversations(filters)) == expected


def test_limit_and_offset_page_through_newest_first(store):
    assert ids(store.conversations(limit=2)) == NEWEST_FIRST[:2]
    assert ids(store.conversations(limit=2, offset=2)) == NEWEST_FIRST[2:4]
    assert ids(store.conversations(limit=10, offset=5)) == NEWEST_FIRST[5:]


def test_user_messages_by_id_only_returns_user_messages(store):
    all_messages = [m for c in store.conversations() for m in c.messages]
    wanted = [m.event_id for m in all_messages[:3]]
    got = store.user_messages(wanted + [999999])
    assert [m.event_id for m in got] == sorted(wanted)
    assert {m.text for m in got} == {m.text for m in all_messages[:3]}
    housing = store.conversations(Filters(topic="housing"))[0]
    bot_turn_ids = [m.event_id + 1 for m in housing.messages]  # the rows after a message
    assert all(m.sender_id == "bolig-randers-0001" for m in store.user_messages(bot_turn_ids))


def test_municipality_list_for_the_filter(store):
    assert store.municipalities() == ["Aarhus", "Randers", "ukendt"]


def test_deleted_conversation_is_gone(seeded: str, domain):
    tracker_store = PrivacyTrackerStore(domain=domain, url=seeded)
    events = build_seed()[2].events  # krise-0003
    tracker = DialogueStateTracker.from_events("krise-0003", events, slots=domain.slots)
    tracker.update(ActionExecuted("action_delete_conversation"))
    asyncio.run(tracker_store.save(tracker))
    with ConversationStore(seeded) as store:
        assert "krise-0003" not in ids(store.conversations())
        assert len(store.conversations()) == 5


def test_missing_sqlite_file_is_empty_and_not_created(tmp_path: Path):
    path = tmp_path / "nothing" / "tracker.db"
    with ConversationStore(f"sqlite:///{path}") as store:
        assert store.conversations() == []
        assert store.municipalities() == []
        assert store.user_messages([1]) == []
        assert staff_stats.collect(store).conversations == 0
    assert not path.exists()


def test_the_sql_is_portable_to_postgresql(store):
    """The queries compile for PostgreSQL and use nothing SQLite-specific."""
    filters = Filters(since=D1, until=D3, topic="housing", municipality="Randers",
                      flags=frozenset({"fallback", "crisis", "thumbs-down"}))
    for query in (store.conversation_bounds(filters), store.events_query(["a", "b"])):
        sql = str(query.compile(dialect=postgresql.dialect())).lower()
        for sqlite_only in ("strftime", "julianday", "json_extract", "datetime(", "ifnull",
                            "glob", "->>"):
            assert sqlite_only not in sql
        assert "group by" in sql or "order by events.id" in sql


@pytest.mark.postgres
def test_same_results_on_postgresql(domain, seeded: str):
    """Fill a PostgreSQL tracker store the same way; review and stats must agree."""
    url = os.environ.get("POSTGRES_TEST_URL")
    if not url:
        pytest.skip("POSTGRES_TEST_URL is not set")
    tracker_store = PrivacyTrackerStore(domain=domain, url=url)
    with tracker_store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM events")
    save_all(tracker_store, build_seed(), domain)
    tracker_store.engine.dispose()
    with ConversationStore(url) as pg, ConversationStore(seeded) as lite:
        assert ids(pg.conversations()) == NEWEST_FIRST
        for filters in (Filters(since=D3), Filters(flags=frozenset({"crisis"})),
                        Filters(municipality="ukendt"), Filters(topic="housing")):
            assert ids(pg.conversations(filters)) == ids(lite.conversations(filters))
        assert staff_stats.collect(pg) == staff_stats.collect(lite)
    with PrivacyTrackerStore(domain=domain, url=url).engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM events")


def test_conversation_builder_matches_stored_shape(seeded: str):
    """The seed goes through PrivacyTrackerStore.save: intent_name/action_name columns are
    filled from the events, as `rasa run` fills them."""
    import sqlite3

    path = seeded.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT type_name, intent_name, action_name FROM events "
                          "WHERE sender_id = 'fallback-ned-0002' ORDER BY id").fetchall()
    assert ("user", "nlu_fallback", None) in rows
    assert ("action", None, "action_fallback") in rows
    assert ("user", "feedback", None) in rows
    assert ("slot", None, "municipality") not in rows  # never asked in this conversation


@pytest.mark.parametrize(("text", "feedback", "label"), [
    ('/inform_municipality{"municipality":"Randers"}', None, "knap: kommune Randers"),
    ("/dont_know", None, "knap: vil ikke sige"),
    ('/feedback{"value":"down"}', "down", "👎 Svaret hjalp ikke"),
    ("/ask_housing", None, "knap: ask_housing"),
    ("/broken{not json", None, "knap: broken"),
])
def test_payload_label_is_readable(text: str, feedback: str | None, label: str):
    from assistant.staff.conversations import payload_label

    assert payload_label(text, feedback) == label

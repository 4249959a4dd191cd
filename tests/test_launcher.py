"""Start-up checks of `assistant run`: unreachable databases stop it with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.launcher import check_databases, run

ROOT = Path(__file__).resolve().parent.parent


def settings_for(tmp_path: Path, **env: str):
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'kb.db'}",
            "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}"}
    return load_settings(env={**base, **env}, root=ROOT)


def test_unreachable_database_stops_start_up(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for(
        tmp_path, DATABASE_URL="postgresql+psycopg2://nobody:secret@127.0.0.1:1/none")
    assert run(settings) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "unreachable" in err
    assert "secret" not in err  # the password is never printed


def test_empty_knowledge_base_stops_start_up(tmp_path: Path) -> None:
    problem = check_databases(settings_for(tmp_path))
    assert problem is not None and "kb load" in problem.replace("make setup", "kb load")


def test_unreachable_tracker_store_is_named(tmp_path: Path, kb_engine) -> None:
    settings = settings_for(tmp_path, DATABASE_URL=str(kb_engine.url),
                            TRACKER_STORE_URL="postgresql+psycopg2://x@127.0.0.1:1/none")
    problem = check_databases(settings)
    assert problem is not None and problem.startswith("TRACKER_STORE_URL")


def test_loaded_databases_pass(tmp_path: Path, kb_engine) -> None:
    settings = settings_for(tmp_path, DATABASE_URL=str(kb_engine.url))
    assert check_databases(settings) is None


# --- Rasa's HTTP API: closed unless configured, then only with a token or JWT ---------


def _model() -> Path:
    return Path("models/x.tar.gz")


def test_rasa_http_api_is_off_by_default(tmp_path: Path) -> None:
    from assistant.launcher import rasa_server_command

    settings = settings_for(tmp_path)
    command = rasa_server_command(settings, _model())
    assert not settings.rasa_api_enabled
    assert "--enable-api" not in command
    assert "--auth-token" not in command and "--jwt-secret" not in command


def test_rasa_api_token_enables_the_api_with_that_token(tmp_path: Path) -> None:
    from assistant.launcher import rasa_server_command

    settings = settings_for(tmp_path, RASA_API_TOKEN="s3cret-token")
    command = rasa_server_command(settings, _model())
    assert "--enable-api" in command
    assert command[command.index("--auth-token") + 1] == "s3cret-token"
    assert "s3cret-token" not in repr(settings)  # never printed with the settings


def test_rasa_jwt_secret_enables_the_api_with_jwt(tmp_path: Path) -> None:
    from assistant.launcher import rasa_server_command

    settings = settings_for(tmp_path, RASA_JWT_SECRET="jwt-key", RASA_JWT_METHOD="HS512")
    command = rasa_server_command(settings, _model())
    assert "--enable-api" in command and "--auth-token" not in command
    assert command[command.index("--jwt-secret") + 1] == "jwt-key"
    assert command[command.index("--jwt-method") + 1] == "HS512"


def test_blank_token_keeps_the_api_off(tmp_path: Path) -> None:
    from assistant.launcher import rasa_server_command

    settings = settings_for(tmp_path, RASA_API_TOKEN="  ")
    assert "--enable-api" not in rasa_server_command(settings, _model())


def test_endpoints_file_is_configurable(tmp_path: Path) -> None:
    from assistant.launcher import rasa_server_command

    default = rasa_server_command(settings_for(tmp_path), _model())
    assert default[default.index("--endpoints") + 1] == "endpoints.yml"
    scaled = rasa_server_command(
        settings_for(tmp_path, RASA_ENDPOINTS="deploy/endpoints.scaled.yml"), _model())
    assert scaled[scaled.index("--endpoints") + 1] == "deploy/endpoints.scaled.yml"


def test_sanic_errors_are_json(tmp_path: Path) -> None:
    from assistant.launcher import service_env

    env = service_env(settings_for(tmp_path))
    assert env["SANIC_FALLBACK_ERROR_FORMAT"] == "json"
    assert env["SANIC_ACCESS_LOG"] == "false"


def test_assistant_run_with_unreachable_database_exits_non_zero(tmp_path: Path) -> None:
    """The real command, as an operator runs it: a clear message and a non-zero exit,
    before any server is started."""
    import os
    import subprocess
    import sys

    env = dict(os.environ,
               TRACKER_STORE_URL="postgresql+psycopg2://nobody:pw-secret@127.0.0.1:1/none",
               RASA_PORT="1", ACTION_PORT="1", WEB_PORT="1")
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "TRACKER_STORE_URL" in result.stderr and "unreachable" in result.stderr
    assert "pw-secret" not in result.stderr + result.stdout


# --- RASA_MODEL: serve a given model instead of the newest one in models/ ---------------


def test_rasa_model_chooses_the_model_to_serve(tmp_path: Path) -> None:
    from assistant.launcher import choose_model, rasa_server_command

    given = tmp_path / "bench-model.tar.gz"
    given.write_bytes(b"model")
    settings = settings_for(tmp_path, RASA_MODEL=str(given))
    assert choose_model(settings) == given
    command = rasa_server_command(settings, choose_model(settings))
    assert command[command.index("--model") + 1] == str(given)


def test_without_rasa_model_the_newest_in_models_is_served(tmp_path: Path) -> None:
    import os

    from assistant.config import load_settings
    from assistant.launcher import choose_model

    models = tmp_path / "models"
    models.mkdir()
    older, newer = models / "a.tar.gz", models / "b.tar.gz"
    older.write_bytes(b"1")
    newer.write_bytes(b"2")
    os.utime(older, (1_000_000, 1_000_000))
    settings = load_settings(env={}, root=tmp_path)
    assert settings.rasa_model == ""
    assert choose_model(settings) == newer


def test_missing_rasa_model_stops_start_up(tmp_path: Path, kb_engine,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for(tmp_path, DATABASE_URL=str(kb_engine.url),
                            RASA_MODEL=str(tmp_path / "nothing.tar.gz"))
    assert run(settings) == 2
    assert "RASA_MODEL" in capsys.readouterr().err


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_taken_port_stops_start_up_and_names_the_server(
        tmp_path: Path, kb_engine, capsys: pytest.CaptureFixture[str]) -> None:
    """Something else listens on WEB_PORT: `assistant run` refuses before starting anything,
    instead of taking the other program's /health answer for its own server."""
    import socket

    from assistant.launcher import busy_ports

    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not started")
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        taken = other.getsockname()[1]
        settings = settings_for(tmp_path, DATABASE_URL=str(kb_engine.url), RASA_MODEL=str(model),
                                WEB_PORT=str(taken), RASA_PORT=str(_free_port()),
                                ACTION_PORT=str(_free_port()))
        assert busy_ports(settings) == [
            f"port {taken} (the web chat server; set WEB_PORT in .env to move it)"]
        assert run(settings) == 2
    err = capsys.readouterr().err
    assert f"port {taken} (the web chat server; set WEB_PORT" in err
    assert busy_ports(settings) == []  # free again once the other program is gone


# --- Rasa server speed-ups (assistant.runtime.speed_up_rasa; docs/performance.md) --------


@pytest.fixture
def speed_ups():
    """The speed-ups installed for one test and removed again (they patch Rasa and
    SQLAlchemy process-wide)."""
    from assistant.runtime import speed_up_rasa, undo_speed_ups

    yield speed_up_rasa
    undo_speed_ups()


def test_rasa_is_started_through_the_launcher_with_the_speed_ups(tmp_path: Path) -> None:
    import sys

    from assistant.launcher import rasa_server_command

    command = rasa_server_command(settings_for(tmp_path), _model())
    assert command[:5] == [sys.executable, "-m", "assistant.launcher", "rasa", "run"]


def test_action_results_are_validated_as_before(speed_ups) -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    speed_ups()
    speed_ups()  # idempotent
    assert RemoteAction._validate_action_result is not original
    action = RemoteAction("action_answer", None)
    assert action._validate_action_result(
        {"events": [{"event": "slot", "name": "topic", "value": "housing"}],
         "responses": [{"response": "utter_topic_housing"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": 5}], "responses": []})
    with pytest.raises(ValidationError):
        action._validate_action_result({"responses": "not a list"})


def test_action_server_calls_reuse_one_connection(speed_ups) -> None:
    """Rasa opens a new connection per action call; with the speed-ups installed, calls
    share one kept-alive connection (and still get the JSON back)."""
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    speed_ups("keepalive")
    peers: list[object] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport
                     else None)
        return web.json_response({"events": [], "responses": [], "got": await request.json()})

    async def scenario() -> list[object]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        try:
            replies = [await endpoint.request(json={"n": n}, method="post", timeout=5)
                       for n in range(3)]
        finally:
            for session in endpoint.__dict__.get("_assistant_sessions", {}).values():
                await session.close()
            await runner.cleanup()
        return replies

    replies = asyncio.run(scenario())
    assert [r["got"]["n"] for r in replies] == [0, 1, 2]
    assert len(peers) == 3 and len(set(peers)) == 1  # one client port: one connection


def test_sqlite_conversation_store_runs_in_wal_mode_and_stays_durable(
        tmp_path: Path, speed_ups) -> None:
    from sqlalchemy import create_engine, text

    assert speed_ups("0") == []
    assert speed_ups("sqlite_wal,unknown") == ["sqlite_wal"]
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()

    from assistant.runtime import undo_speed_ups

    undo_speed_ups()
    plain = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    with plain.connect() as connection:  # removed again: other engines are left alone
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "delete"
    plain.dispose()


def test_sqlite_tracker_store_keeps_connections_and_still_notices_a_lost_file(
        tmp_path: Path, speed_ups) -> None:
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from assistant.privacy.store import PrivacyTrackerStore

    speed_ups("sqlite_wal+sqlite_pool")
    db = tmp_path / "tracker.db"
    store = PrivacyTrackerStore(domain=Domain.empty(), url=f"sqlite:///{db}")
    connects: list[object] = []
    event.listen(store.engine, "connect", lambda *_: connects.append(1))
    tracker = DialogueStateTracker.from_events(
        "s1", [UserUttered("ring 12345678"), SlotSet("municipality", "Randers")])
    for _ in range(3):
        asyncio.run(store.save(tracker))
        assert len(asyncio.run(store.retrieve_full_tracker("s1")).events) == 2
    assert len(connects) <= 1  # one pooled connection, not one per read and write
    stored = asyncio.run(store.retrieve("s1"))
    assert "12345678" not in str([e.as_dict() for e in stored.events])  # still redacted

    db.rename(tmp_path / "away.db")
    db.mkdir()  # the path exists but is no database
    with pytest.raises(OperationalError):
        asyncio.run(store.retrieve("s1"))
    db.rmdir()
    (tmp_path / "away.db").rename(db)
    back = asyncio.run(store.retrieve_full_tracker("s1"))  # nothing lost on the way
    assert [e.as_dict().get("value") for e in back.events][-1] == "Randers"
    store.engine.dispose()

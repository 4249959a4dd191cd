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

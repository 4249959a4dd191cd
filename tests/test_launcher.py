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

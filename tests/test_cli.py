"""The `assistant` command line, run in-process through assistant.cli.main."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from project_paths import KNOWLEDGE_DIR

from assistant.cli import main
from assistant.config import Settings


def _break_danner_phone(root: Path) -> None:
    path = root / "services.yml"
    text = path.read_text(encoding="utf-8")
    assert 'phone: "33 33 00 47"' in text
    path.write_text(text.replace('phone: "33 33 00 47"', 'phone: "33-33-00-47"'),
                    encoding="utf-8")


@pytest.fixture
def loaded(settings: Settings, capsys) -> Settings:
    assert main(["kb", "load"], settings=settings) == 0
    capsys.readouterr()
    return settings


# --- kb validate --------------------------------------------------------------------------


def test_validate_real_data(settings, capsys):
    assert main(["kb", "validate"], settings=settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK:")
    assert "98 municipalities" in out and "5 policies" in out


def test_validate_broken_copy(settings, capsys, copy_knowledge):
    root = copy_knowledge()
    _break_danner_phone(root)
    assert main(["kb", "validate", "--dir", str(root)], settings=settings) == 1
    captured = capsys.readouterr()
    assert "services.yml: danner: phone: " in captured.err
    assert "33-33-00-47" in captured.err
    assert "1 problem(s)" in captured.err
    assert "OK" not in captured.out


def test_validate_uses_settings_knowledge_dir(tmp_path, capsys, copy_knowledge):
    from assistant.config import load_settings

    root = copy_knowledge()
    _break_danner_phone(root)
    settings = load_settings(env={"KNOWLEDGE_DIR": str(root),
                                  "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, root=tmp_path)
    assert main(["kb", "validate"], settings=settings) == 1
    assert "danner: phone" in capsys.readouterr().err


# --- kb load --------------------------------------------------------------------------------


def test_load_prints_counts(settings, capsys):
    assert main(["kb", "load"], settings=settings) == 0
    out = capsys.readouterr().out
    assert settings.database_url in out
    assert re.search(r"98 municipalities, 5 policies, \d+ statements, \d+ services, \d+ laws",
                     out)
    n_services = len(yaml.safe_load((KNOWLEDGE_DIR / "services.yml").read_text(
        encoding="utf-8"))["services"])
    assert f"{n_services} services" in out
    assert Path(settings.database_url.split("///", 1)[1]).is_file()


def test_load_database_url_option(settings, capsys, tmp_path):
    other = tmp_path / "other.db"
    assert main(["kb", "load", "--database-url", f"sqlite:///{other}"], settings=settings) == 0
    assert str(other) in capsys.readouterr().out
    assert other.is_file()


def test_load_broken_copy_fails_and_changes_nothing(loaded, capsys, copy_knowledge):
    root = copy_knowledge()
    _break_danner_phone(root)
    assert main(["kb", "load", "--dir", str(root)], settings=loaded) == 1
    err = capsys.readouterr().err
    assert "services.yml: danner: phone" in err
    assert "not changed" in err
    # The earlier load is still there and still searchable.
    assert main(["kb", "search", "krisecenter", "-k", "1"], settings=loaded) == 0
    assert "Kilde:" in capsys.readouterr().out


# --- kb search ------------------------------------------------------------------------------


def test_search_debt_in_norddjurs(loaded, capsys):
    assert main(["kb", "search", "gæld", "-m", "Norddjurs"], settings=loaded) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. [")
    ranks = re.findall(r"^(\d+)\. \[(statement|service|law)\] (\S+)  \(score ([\d.]+)\)$", out,
                       re.MULTILINE)
    assert [int(r[0]) for r in ranks] == [1, 2, 3]
    scores = [float(r[3]) for r in ranks]
    assert scores == sorted(scores, reverse=True)
    assert out.count("Kilde:") == 3
    sources = re.findall(r"^   Kilde: (.*)$", out, re.MULTILINE)
    assert len(sources) == 3
    # Statements cite Norddjurs' own document; no other municipality's policy shows up.
    municipal = [s for s in sources if not s.startswith("http")]
    assert municipal and all(s.startswith("Norddjurs Kommune, ") for s in municipal)


def test_search_municipality_spelling_is_normalised(loaded, capsys):
    assert main(["kb", "search", "bolig", "-m", "randres", "-t", "housing", "-k", "5"],
                settings=loaded) == 0
    out = capsys.readouterr().out
    assert "Kilde: Randers Kommune" in out
    assert "afsnit" in out


def test_search_without_matches(loaded, capsys):
    assert main(["kb", "search", "xyzzy"], settings=loaded) == 0
    assert "No matches" in capsys.readouterr().out


def test_search_unknown_municipality(loaded, capsys):
    assert main(["kb", "search", "gæld", "-m", "Atlantis"], settings=loaded) == 2
    captured = capsys.readouterr()
    assert "Unknown municipality" in captured.err and "Atlantis" in captured.err
    assert captured.out == ""


def test_search_unknown_topic(loaded, capsys):
    assert main(["kb", "search", "gæld", "-t", "gardening"], settings=loaded) == 2
    captured = capsys.readouterr()
    assert "Unknown topic 'gardening'" in captured.err
    assert "housing" in captured.err  # lists the valid choices
    assert captured.out == ""


def test_search_before_any_load_is_a_clear_error(settings, capsys):
    """Searching an empty database should say 'run kb load' with a non-zero exit code,
    not crash with an SQL traceback (OperationalError: no such table: topics)."""
    try:
        code = main(["kb", "search", "gæld"], settings=settings)
    except Exception as err:  # noqa: BLE001
        pytest.fail(f"kb search on an empty database raised {type(err).__name__}: {err}")
    assert code != 0
    assert "load" in capsys.readouterr().err


def test_missing_subcommand_is_a_usage_error(settings, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["kb"], settings=settings)
    assert exit_info.value.code == 2
    assert "usage" in capsys.readouterr().err


# --- eval nlu -----------------------------------------------------------------------------


def test_eval_nlu_also_names_a_missing_file(settings, capsys, tmp_path):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not read: the missing file is reported first")
    code = main(["eval", "nlu", "--gate", "--model", str(model),
                 "--also", str(tmp_path / "heldout_v9.yml")], settings=settings)
    assert code == 2
    err = capsys.readouterr().err
    assert "--also: no such file:" in err and "heldout_v9.yml" in err


def test_eval_nlu_report_names_the_model_it_scored(settings, capsys, tmp_path, monkeypatch):
    from assistant.evaluation import nlu_eval

    model = tmp_path / "older-model.tar.gz"
    model.write_bytes(b"not loaded: evaluate is replaced below")
    scored = nlu_eval.Result(name="this project", macro_f1=0.95, per_intent={},
                             entity_f1=1.0, oos_recall=1.0,
                             crisis_recall={"emergency": 1.0, "suicidal_crisis": 1.0},
                             errors=[])
    seen: dict = {}
    monkeypatch.setattr(nlu_eval, "evaluate", lambda m, **kw: seen.update(model=m) or [scored])
    monkeypatch.setattr(nlu_eval, "write_reports",
                        lambda results, out, command, stem: seen.update(command=command)
                        or (out.mkdir(parents=True, exist_ok=True) or out / "r.md"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.md").write_text("report", encoding="utf-8")
    code = main(["eval", "nlu", "--gate", "--model", str(model), "--out",
                 str(tmp_path / "out")], settings=settings)
    assert code == 0
    assert seen["model"] == model
    assert seen["command"] == f"assistant eval nlu --gate --model {model}"

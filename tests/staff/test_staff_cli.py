"""`assistant review`, `assistant stats` and `assistant staff hash-password`, run in-process
through assistant.cli.main on a real temporary tracker store."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml

from assistant.cli import main
from assistant.staff.auth import check_hash_format, verify_password
from assistant.staff.stats import CHART_FILES

from .seed import NEWEST_FIRST


def listed(out: str) -> list[str]:
    return re.findall(r"^=== \S+ \S+  samtale (\S+)$", out, re.M)


def test_review_lists_newest_first_with_transcript(staff_settings, capsys):
    assert main(["review"], settings=staff_settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 samtaler (alle gemte samtaler), nyeste først.")
    assert listed(out) == [s[:8] for s in NEWEST_FIRST]
    assert "Borger: min mand slår mig, mit cpr er [CPR]" in out
    assert "→ nlu_fallback (0,30) [Forstod ikke (fallback)] [Lav sikkerhed (under 0,5)]" in out
    assert "Borger valgte: 👎" in out
    assert "Kommune: Ville ikke sige · Emner: Økonomi og gæld" in out
    assert "010190" not in out


@pytest.mark.parametrize(("args", "expected"), [
    (["--flag", "crisis"], ["vold-aar", "krise-00"]),
    (["--flag", "thumbs-down", "--flag", "crisis"], ["vold-aar", "krise-00", "fallback"]),
    (["--topic", "housing"], ["bolig-ra"]),
    (["--municipality", "Aarhus"], ["vold-aar"]),
    (["--municipality", "ikke-oplyst"], ["hilsen-0", "krise-00", "fallback"]),
    (["--since", "2026-11-03", "--until", "2026-11-03"], ["krise-00"]),
    (["--limit", "2"], ["hilsen-0", "vold-aar"]),
])
def test_review_filters(staff_settings, capsys, args: list[str], expected: list[str]):
    assert main(["review", *args], settings=staff_settings) == 0
    out = capsys.readouterr().out
    assert listed(out) == expected
    if "--limit" in args:
        assert "… og flere. Vis flere med --limit 4" in out


def test_review_with_nothing_found_and_bad_input(staff_settings, capsys):
    assert main(["review", "--since", "2027-01-01"], settings=staff_settings) == 0
    assert capsys.readouterr().out.startswith("Ingen samtaler (2027-01-01 – …).")
    assert main(["review", "--topic", "skrald"], settings=staff_settings) == 2
    assert "Ukendt emne 'skrald'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["review", "--since", "i går"], settings=staff_settings)
    with pytest.raises(SystemExit):
        main(["review", "--flag", "vigtig"], settings=staff_settings)


def test_review_export_of_the_filtered_conversations(staff_settings, capsys, tmp_path: Path):
    target = tmp_path / "ud" / "eksport.yml"
    assert main(["review", "--flag", "low-confidence", "--export", str(target)],
                settings=staff_settings) == 0
    assert "5 beskeder skrevet til" in capsys.readouterr().out
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    examples = {g["intent"]: g["examples"].splitlines() for g in data["nlu"]}
    assert examples == {
        "ask_anonymity": ["- hvad med det andet"],
        "ask_economy": ["- bil og penge"],
        "ask_human": ["- kan jeg få noget"],
        "dont_know": ["- det vil jeg ikke sige"],
        "greet": ["- hej"],
    }


def test_review_export_only_flagged_messages(staff_settings, capsys):
    assert main(["review", "--export", "-", "--only-flagged"], settings=staff_settings) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    texts = sorted(line for g in data["nlu"] for line in g["examples"].splitlines())
    assert texts == ["- bil og penge", "- hvad med det andet", "- kan jeg få noget"]


def test_review_export_by_id(staff_settings, capsys, tmp_path: Path):
    assert main(["review", "--topic", "economy"], settings=staff_settings) == 0
    ids = re.findall(r"#(\d+)\s+Borger: (.+)", capsys.readouterr().out)
    wanted = next(i for i, text in ids if text == "bil og penge")
    target = tmp_path / "en.yml"
    assert main(["review", "--export", str(target), "--export-ids", wanted],
                settings=staff_settings) == 0
    assert yaml.safe_load(target.read_text())["nlu"] == [
        {"intent": "ask_economy", "examples": "- bil og penge\n"}]
    capsys.readouterr()
    assert main(["review", "--export", str(target), "--export-ids", "999999"],
                settings=staff_settings) == 1
    assert "Ingen af de angivne id'er" in capsys.readouterr().err
    assert main(["review", "--export-ids", wanted], settings=staff_settings) == 2


def test_stats_table_and_charts(staff_settings, capsys, tmp_path: Path):
    out_dir = tmp_path / "reports"
    assert main(["stats", "--out", str(out_dir)], settings=staff_settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("Statistik for alle gemte samtaler")
    assert re.search(r"^Samtaler\s+6$", out, re.M)
    assert re.search(r"^Tilbagemeldinger 👍\s+1$", out, re.M)
    assert re.search(r"^Randers\s+1\s+█+$", out, re.M)
    for name in CHART_FILES.values():
        assert (out_dir / name).read_bytes()[:4] == b"\x89PNG"
        assert str(out_dir / name) in out


def test_stats_default_charts_go_to_reports_under_the_root(staff_settings, capsys):
    assert main(["stats", "--since", "2026-11-03", "--until", "2026-11-03"],
                settings=staff_settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("Statistik for 2026-11-03 – 2026-11-03")
    assert re.search(r"^Samtaler\s+1$", out, re.M)
    assert (staff_settings.root / "reports" / CHART_FILES["per_day"]).is_file()


def test_stats_last_days_and_no_charts(staff_settings, capsys, tmp_path: Path):
    assert main(["stats", "--days", "7", "--until", "2026-11-04", "--no-charts",
                 "--out", str(tmp_path / "x")], settings=staff_settings) == 0
    out = capsys.readouterr().out
    assert out.startswith("Statistik for 2026-10-29 – 2026-11-04")
    assert "Diagrammer" not in out and not (tmp_path / "x").exists()
    assert main(["stats", "--since", "2026-11-05", "--until", "2026-11-01"],
                settings=staff_settings) == 2


def test_hash_password_from_stdin(settings, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("korrekt hest batteri klips\n"))
    assert main(["staff", "hash-password", "--password-stdin"], settings=settings) == 0
    captured = capsys.readouterr()
    line = captured.out.strip()
    assert line.startswith("STAFF_PASSWORD_HASH=pbkdf2_sha256:600000:")
    encoded = line.split("=", 1)[1]
    check_hash_format(encoded)
    assert verify_password("korrekt hest batteri klips", encoded)
    assert "korrekt hest" not in captured.out + captured.err
    assert "Kopiér linjen ovenfor ind i .env" in captured.err


def test_hash_password_refuses_short_and_mismatched(settings, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert main(["staff", "hash-password", "--password-stdin"], settings=settings) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "mindst 12 tegn" in captured.err
    answers = iter(["korrekt hest batteri klips", "korrekt hest batteri klip"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["staff", "hash-password"], settings=settings) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "ikke ens" in captured.err


def test_hash_password_interactive(settings, capsys, monkeypatch):
    prompts = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return "Personale-2026 kode!"

    monkeypatch.setattr("getpass.getpass", ask)
    assert main(["staff", "hash-password"], settings=settings) == 0
    encoded = capsys.readouterr().out.strip().split("=", 1)[1]
    assert verify_password("Personale-2026 kode!", encoded)
    assert prompts == ["Ny adgangskode til personalesiden: ", "Skriv den igen: "]

"""`make check`: real checks run as subprocesses, a short Danish verdict, and steps that
need the model skipped when the data is broken."""

from __future__ import annotations

import sys

from assistant.staff.check import STEPS, Step, run

PY = sys.executable
KB_VALIDATE = (PY, "-m", "assistant.cli", "kb", "validate")


def test_the_default_steps_cover_every_content_check():
    commands = [" ".join(step.command[1:]) for step in STEPS]
    assert commands == [
        "-m assistant.cli kb load",
        "-m assistant.datacheck",
        "-m rasa train --domain domain --data data --config config.yml --out models",
        "-m assistant.cli eval nlu --gate",
        "-m assistant.staff.dialogues",
    ]
    assert [s.needs_model for s in STEPS] == [False, False, False, True, True]


def test_all_passed(capsys):
    assert run([Step("Videnbasen (data/knowledge)", KB_VALIDATE)]) == 0
    out = capsys.readouterr().out
    assert "[1/1] Videnbasen (data/knowledge): OK" in out
    assert out.rstrip().endswith("KONKLUSION: Alt i orden. Alle kontroller bestod – "
                                 "ændringerne kan tages i brug (genstart med make run).")


def test_broken_knowledge_base_fails_and_skips_the_model_steps(capsys, monkeypatch,
                                                               copy_knowledge):
    root = copy_knowledge()
    services = root / "services.yml"
    services.write_text(services.read_text(encoding="utf-8").replace(
        'phone: "33 33 00 47"', 'phone: "33-33-00-47"'), encoding="utf-8")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(root))
    steps = [
        Step("Videnbasen (data/knowledge)", KB_VALIDATE),
        Step("Træning af modellen", (PY, "-c", "raise SystemExit('must not run')")),
        Step("Testsamtaler", (PY, "-m", "assistant.staff.dialogues"), needs_model=True),
    ]
    assert run(steps) == 1
    out = capsys.readouterr().out
    assert "[1/3] Videnbasen (data/knowledge): FEJL" in out
    assert "services.yml: danner: phone:" in out  # the validator's own message is shown
    assert "[2/3] Træning af modellen: SPRUNGET OVER" in out
    assert "[3/3] Testsamtaler: SPRUNGET OVER" in out
    assert "KONKLUSION: Ikke i orden. 1 kontrol fejlede: Videnbasen (data/knowledge)." in out
    assert "Sprunget over: Træning af modellen, Testsamtaler." in out


def test_a_failing_model_step_does_not_stop_the_next(capsys, tmp_path):
    steps = [
        Step("Testsamtaler", (PY, "-m", "assistant.staff.dialogues",
                              str(tmp_path / "mangler.yml")), needs_model=True,
             show_output=True),
        Step("Videnbasen (data/knowledge)", KB_VALIDATE, needs_model=True),
    ]
    assert run(steps) == 1
    out = capsys.readouterr().out
    assert "[1/2] Testsamtaler: FEJL" in out
    assert f"    Filen {tmp_path / 'mangler.yml'} findes ikke." in out
    assert "[2/2] Videnbasen (data/knowledge): OK" in out
    assert "KONKLUSION: Ikke i orden. 1 kontrol fejlede: Testsamtaler." in out


def test_a_failing_step_shows_only_the_lines_that_matter_and_what_to_do(capsys):
    noisy = ("import sys; print('[debug] parse text=hej'); print('| pipeline | F1 |'); "
             "sys.exit('NLU quality gate FAILED: macro-F1 0.85 < 0.9')")
    step = Step("Forståelse", (PY, "-c", noisy), needs_model=True,
                keep=STEPS[3].keep, hint=STEPS[3].hint)
    assert run([step]) == 1
    out = capsys.readouterr().out
    assert "    | pipeline | F1 |" in out
    assert "    NLU quality gate FAILED: macro-F1 0.85 < 0.9" in out
    assert "[debug]" not in out
    assert "    Hvad nu: Forståelsen er under kvalitetskravet" in out

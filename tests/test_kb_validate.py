"""assistant.kb.validate on the real knowledge dir and on broken copies of it.

Every bad input must produce a Problem that names the file, the entry and the field, so
staff can find and fix it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from project_paths import KNOWLEDGE_DIR

from assistant.kb.validate import (
    Problem,
    ValidationFailed,
    format_problems,
    load_valid,
    parse_opening_hours,
    validate_dir,
)

SERVICES = "services.yml"
RANDERS = "policies/randers.yml"


def _service(data: dict, service_id: str) -> dict:
    return next(s for s in data["services"] if s["id"] == service_id)


def _statement(data: dict, statement_id: str) -> dict:
    return next(s for s in data["statements"] if s["id"] == statement_id)


def _real_laws() -> list[dict]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = (KNOWLEDGE_DIR / "laws.yml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=loader)["laws"]  # noqa: S506


def _matching(problems: list[Problem], file: str, entry: str, field: str) -> list[Problem]:
    return [p for p in problems if (p.file, p.entry, p.field) == (file, entry, field)]


def _assert_problem(problems: list[Problem], file: str, entry: str, field: str,
                    *words: str) -> Problem:
    found = _matching(problems, file, entry, field)
    assert found, (f"expected a problem for {file}: {entry}: {field}; got:\n"
                   + format_problems(problems))
    for word in words:
        assert any(word.lower() in p.message.lower() for p in found), (word, found)
    # The rendered line that staff read names all three, too.
    assert str(found[0]).startswith(f"{file}: {entry}: {field}: ")
    return found[0]


# --- the real content -------------------------------------------------------------------


def test_real_knowledge_dir_has_zero_problems():
    data, problems = validate_dir(KNOWLEDGE_DIR)
    assert problems == [], format_problems(problems)
    assert len(data.municipalities) == 98
    assert len(data.policies) == 5
    assert data.services and data.laws and data.topics


def test_load_valid_returns_the_parsed_data():
    data = load_valid(KNOWLEDGE_DIR)
    assert {p["municipality"] for p in data.policies} == {
        "Brønderslev", "Halsnæs", "Norddjurs", "Randers", "Sønderborg"}
    assert all(p["_file"].startswith("policies/") for p in data.policies)


def test_missing_directory_is_one_problem(tmp_path: Path):
    _, problems = validate_dir(tmp_path / "nope")
    assert len(problems) == 1
    assert "findes ikke" in problems[0].message


# --- one kind of bad input at a time ----------------------------------------------------


def test_missing_field(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES, lambda d: _service(d, "danner").pop("description"))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "danner", "description", "mangler")
    assert len(problems) == 1


def test_empty_field(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / RANDERS, lambda d: _statement(d, "randers-vision").update(text="   "))
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "randers-vision", "text", "tom")
    assert len(problems) == 1


def test_unknown_topic_on_service(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES,
              lambda d: _service(d, "danner").update(topics=["violence", "gardening"]))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "danner", "topics", "gardening")
    assert len(problems) == 1


def test_unknown_topic_on_statement(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / RANDERS,
              lambda d: _statement(d, "randers-housing-first").update(topics=["boliger"]))
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "randers-housing-first", "topics", "boliger")


def test_unknown_municipality_on_policy(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / RANDERS, lambda d: d.update(municipality="Randrs"))
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "-", "municipality", "Randrs")


def test_unknown_municipality_on_service(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES,
              lambda d: _service(d, "halsnaes-herberg").update(municipality="Halsnæs Kommune"))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "halsnaes-herberg", "municipality", "Halsnæs Kommune")
    assert len(problems) == 1


# Several bad values are tried in one copy: each goes on its own service, and each service
# must get its own problem (validate_dir is slow-ish, so one run covers all the cases).
SERVICE_IDS = ["alarm-112", "livslinien", "sind-raadgivning", "lev-uden-vold", "danner",
               "alkolinjen", "aeldretelefonen", "den-sociale-retshjaelp"]


def _spread(values: list, field: str):
    def change(d):
        for service_id, value in zip(SERVICE_IDS, values, strict=False):
            _service(d, service_id)[field] = value
    assert len(values) <= len(SERVICE_IDS)
    return change


def test_malformed_phone(copy_knowledge, edit_yaml):
    bad = ["33330047x", "33 33 0047 1", "+45 33 33 00 47", "12", "3333 00 47", "33-33-00-47"]
    root = copy_knowledge()
    edit_yaml(root / SERVICES, _spread(bad, "phone"))
    _, problems = validate_dir(root)
    for service_id, phone in zip(SERVICE_IDS, bad, strict=False):
        _assert_problem(problems, SERVICES, service_id, "phone", "telefonnummer", phone)
    assert len(problems) == len(bad)


def test_well_formed_phones_pass(copy_knowledge, edit_yaml):
    good = ["112", "1888", "70 201 201", "33 33 00 47", "7020 1201"]
    root = copy_knowledge()
    # One bad number as a control: exactly that one (and none of the good ones) is reported.
    edit_yaml(root / SERVICES, _spread([*good, "33 33 00 4"], "phone"))
    _, problems = validate_dir(root)
    assert [(p.entry, p.field) for p in problems] == [(SERVICE_IDS[len(good)], "phone")], (
        format_problems(problems))


def test_malformed_sms(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES, lambda d: _service(d, "headspace-family").update(sms="47-47-10-20"))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "headspace-family", "sms", "sms")


def test_malformed_url(copy_knowledge, edit_yaml):
    bad = ["www.danner.dk", "danner", "https://danner", "ftp://danner.dk", "https://dan ner.dk"]
    root = copy_knowledge()
    edit_yaml(root / SERVICES, _spread(bad, "url"))
    _, problems = validate_dir(root)
    for service_id, url in zip(SERVICE_IDS, bad, strict=False):
        _assert_problem(problems, SERVICES, service_id, "url", "URL", url)
    assert len(problems) == len(bad)


def test_malformed_source_url(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES,
              lambda d: _service(d, "danner").update(sources=["danner.dk om os"]))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "danner", "sources", "danner.dk om os")


def test_malformed_municipality_website(copy_knowledge, edit_yaml):
    root = copy_knowledge()

    def change(d):
        muni = next(m for m in d["municipalities"] if m["name"] == "Randers")
        muni["website"] = "randers.dk"

    edit_yaml(root / "municipalities.yml", change)
    _, problems = validate_dir(root)
    _assert_problem(problems, "municipalities.yml", "Randers", "website", "URL")


def test_duplicate_id_across_files(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    # A service that reuses the id of a Randers statement.
    edit_yaml(root / SERVICES, lambda d: _service(d, "danner").update(id="randers-vision"))
    _, problems = validate_dir(root)
    problem = _assert_problem(problems, SERVICES, "randers-vision", "id", "dubleret")
    assert RANDERS in problem.message  # says where the first one is


def test_duplicate_id_between_policy_files(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / "policies" / "soenderborg.yml",
              lambda d: d["statements"][0].update(id="randers-vision"))
    _, problems = validate_dir(root)
    problem = _assert_problem(problems, "policies/soenderborg.yml", "randers-vision", "id",
                              "dubleret")
    assert RANDERS in problem.message


def test_duplicate_municipality_code(copy_knowledge, edit_yaml):
    root = copy_knowledge()

    def change(d):
        muni = next(m for m in d["municipalities"] if m["name"] == "Randers")
        muni["code"] = "0101"  # København's

    edit_yaml(root / "municipalities.yml", change)
    _, problems = validate_dir(root)
    _assert_problem(problems, "municipalities.yml", "Randers", "code", "0101")


def test_statement_without_section(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / RANDERS, lambda d: _statement(d, "randers-housing-first").pop("section"))
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "randers-housing-first", "section", "mangler")
    assert len(problems) == 1


def test_statement_with_unknown_kind(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / RANDERS, lambda d: _statement(d, "randers-vision").update(kind="mission"))
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "randers-vision", "kind", "mission")


def test_statement_with_phone_number(copy_knowledge, edit_yaml):
    """Phone numbers belong in services.yml with a source, in any of the documented forms."""
    cases = {"randers-vision": "33 33 00 47", "randers-bolig": "70 201 201",
             "randers-housing-first": "7020 1201"}

    def change(d):
        for statement_id, phone in cases.items():
            _statement(d, statement_id)["text"] = (
                f"Ring til kommunen på {phone}, hvis du har brug for hjælp.")

    root = copy_knowledge()
    edit_yaml(root / RANDERS, change)
    _, problems = validate_dir(root)
    missed = [f"{sid} ({phone})" for sid, phone in cases.items()
              if not _matching(problems, RANDERS, sid, "text")]
    assert not missed, f"phone numbers in statement text not reported: {missed}"


@pytest.mark.parametrize("sources", [None, []])
def test_service_without_sources(copy_knowledge, edit_yaml, sources):
    root = copy_knowledge()
    edit_yaml(root / SERVICES, lambda d: _service(d, "lev-uden-vold").update(sources=sources))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "lev-uden-vold", "sources", "kilde")
    assert len(problems) == 1


def test_law_without_sources(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / "laws.yml", lambda d: d["laws"][0].pop("sources"))
    law_id = _real_laws()[0]["id"]
    _, problems = validate_dir(root)
    _assert_problem(problems, "laws.yml", law_id, "sources", "kilde")


def test_service_without_valid_verified_on(copy_knowledge, edit_yaml):
    values = ["__missing__", "", "23-11-2026", "2026-13-01", None]

    def change(d):
        for service_id, value in zip(SERVICE_IDS, values, strict=False):
            service = _service(d, service_id)
            if value == "__missing__":
                service.pop("verified_on")
            else:
                service["verified_on"] = value

    root = copy_knowledge()
    edit_yaml(root / SERVICES, change)
    _, problems = validate_dir(root)
    for service_id, value in zip(SERVICE_IDS, values, strict=False):
        words = ("mangler",) if value in ("__missing__", "", None) else ("dato", value)
        _assert_problem(problems, SERVICES, service_id, "verified_on", *words)
    assert len(problems) == len(values)


def test_service_without_any_contact_route(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES, lambda d: _service(d, "danner").update(
        phone=None, sms=None, url=None, address=None))
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "danner", "phone", "telefon")


def test_invalid_yaml_syntax_names_file_and_line(copy_knowledge):
    root = copy_knowledge()
    path = root / SERVICES
    lines = path.read_text(encoding="utf-8").splitlines()
    bad_line = len(lines) + 1
    lines.append("  - id: [unclosed, list")
    lines.append("    name: broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = validate_dir(root)
    yaml_problems = [p for p in problems if p.file == SERVICES and "YAML" in p.message]
    assert yaml_problems, format_problems(problems)
    entry = yaml_problems[0].entry
    assert entry.startswith("linje ")
    # The reported line is at (or just after) the broken line, not somewhere else.
    assert bad_line <= int(entry.split()[1]) <= bad_line + 2


def test_non_utf8_file(copy_knowledge):
    root = copy_knowledge()
    path = root / "laws.yml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    _, problems = validate_dir(root)
    utf8 = [p for p in problems if p.file == "laws.yml" and "UTF-8" in p.message]
    assert len(utf8) == 1, format_problems(problems)


def test_missing_file(copy_knowledge):
    root = copy_knowledge()
    (root / "laws.yml").unlink()
    _, problems = validate_dir(root)
    assert any(p.file == "laws.yml" and "findes ikke" in p.message for p in problems)


BAD_HOURS = [
    ([{"days": "monday", "from": "09:00", "to": "14:30"}], "dage"),
    ([{"days": "mon-fri", "from": "9:00", "to": "14:30"}], "tidsrum"),
    ([{"days": "mon-fri", "from": "25:00", "to": "26:00"}], "tidsrum"),
    ([{"days": "mon-fri", "from": "14:30", "to": "09:00"}], "tidsrum"),
    ([{"days": "mon-fri", "from": "09:00"}], "tidsrum"),
    (["mon-fri 09-14"], "periode"),
    ("weekdays", "always"),
    ([], "always"),
]


def test_malformed_opening_hours(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES, _spread([hours for hours, _ in BAD_HOURS], "opening_hours"))
    _, problems = validate_dir(root)
    for service_id, (_, word) in zip(SERVICE_IDS, BAD_HOURS, strict=False):
        _assert_problem(problems, SERVICES, service_id, "opening_hours", word)
    assert len(problems) == len(BAD_HOURS)


@pytest.mark.parametrize("hours, word", BAD_HOURS)
def test_parse_opening_hours_rejects(hours, word):
    with pytest.raises(ValueError, match=word):
        parse_opening_hours(hours)


def test_unquoted_yaml_times_are_caught(copy_knowledge):
    """`from: 09:00` without quotes is a base-60 integer in YAML 1.1; it must not pass."""
    root = copy_knowledge()
    path = root / SERVICES
    text = path.read_text(encoding="utf-8")
    quoted = '{days: mon-wed, from: "09:00", to: "14:30"}'
    assert quoted in text
    path.write_text(text.replace(quoted, "{days: mon-wed, from: 09:00, to: 14:30}"),
                    encoding="utf-8")
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "halsnaes-aaben-raadgivning-for-voksne",
                    "opening_hours")


def test_parse_opening_hours_normalises():
    assert parse_opening_hours(None) is None
    assert parse_opening_hours("always") == "always"
    assert parse_opening_hours([{"days": "mon-wed", "from": "09:00", "to": "14:30"}]) == [
        {"days": "mon-wed", "from": "09:00", "to": "14:30"}]
    assert parse_opening_hours([{"days": "sat", "from": "10:00", "to": "24:00"}])[0]["to"] \
        == "24:00"


def test_wrapping_day_range_is_rejected_or_understood():
    """`fri-mon` passes the pattern, but hours.is_open reads it as no days at all.

    Either the validator must reject a range that runs backwards, or is_open must treat it
    as Friday to Monday. Today neither happens, so such a service is always "closed".
    """
    import datetime as dt

    from assistant.dialogue.hours import COPENHAGEN, is_open

    periods = [{"days": "fri-mon", "from": "09:00", "to": "17:00"}]
    sunday_noon = dt.datetime(2026, 11, 22, 12, 0, tzinfo=COPENHAGEN)
    try:
        parsed = parse_opening_hours(periods)
    except ValueError:
        return  # rejected: fine
    assert is_open(parsed, sunday_noon) is True


# --- whole-file problems ------------------------------------------------------------------


def test_empty_files_are_problems(copy_knowledge):
    """A file emptied by mistake (or only comments) must not pass as 'nothing to load'."""
    names = ["services.yml", "laws.yml", "policies/halsnaes.yml"]
    root = copy_knowledge()
    for name in names:
        (root / name).write_text("# tom fil\n", encoding="utf-8")
    _, problems = validate_dir(root)
    silent = [name for name in names if not any(p.file == name for p in problems)]
    assert not silent, f"emptied files passed without a problem: {silent}"


def test_empty_topics_file_is_a_problem_of_its_own(copy_knowledge):
    root = copy_knowledge()
    (root / "topics.yml").write_text("", encoding="utf-8")
    _, problems = validate_dir(root)
    assert any(p.file == "topics.yml" for p in problems), (
        "an empty topics.yml is only noticed through unknown topics elsewhere")


def test_file_without_list_key(copy_knowledge):
    root = copy_knowledge()
    (root / SERVICES).write_text("tjenester:\n  - id: x\n", encoding="utf-8")
    _, problems = validate_dir(root)
    _assert_problem(problems, SERVICES, "-", "services", "services")


def test_entry_that_is_not_a_mapping(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / "laws.yml", lambda d: d["laws"].append("sel-999"))
    n = len(_real_laws()) + 1
    _, problems = validate_dir(root)
    _assert_problem(problems, "laws.yml", f"#{n}", "-", "mapping")


def test_duplicate_topic_in_a_list_is_reported(copy_knowledge, edit_yaml):
    """`topics: [housing, housing]` passes validation today and then breaks the load with
    a UNIQUE constraint error on statement_topics; the validator must catch it."""
    root = copy_knowledge()
    edit_yaml(root / RANDERS, lambda d: _statement(d, "randers-housing-first").update(
        topics=["housing", "housing"]))
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "randers-housing-first", "topics")


def test_several_problems_are_all_reported(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / SERVICES, lambda d: (_service(d, "danner").update(phone="x"),
                                          _service(d, "lev-uden-vold").pop("verified_on")))
    edit_yaml(root / RANDERS, lambda d: _statement(d, "randers-vision").pop("section"))
    _, problems = validate_dir(root)
    assert {(p.file, p.entry, p.field) for p in problems} == {
        (SERVICES, "danner", "phone"),
        (SERVICES, "lev-uden-vold", "verified_on"),
        (RANDERS, "randers-vision", "section"),
    }
    with pytest.raises(ValidationFailed) as failed:
        load_valid(root)
    assert len(failed.value.problems) == 3


# --- example questions ------------------------------------------------------------------


def test_example_questions_must_be_a_list_of_texts(copy_knowledge, edit_yaml):
    root = copy_knowledge()

    def change(d):
        _statement(d, "randers-vision")["questions"] = "hvad vil I med det hele"
        _statement(d, "randers-housing-first")["questions"] = ["hvor kan jeg bo", "  ", 42]

    edit_yaml(root / RANDERS, change)
    _, problems = validate_dir(root)
    _assert_problem(problems, RANDERS, "randers-vision", "questions", "liste")
    found = _matching(problems, RANDERS, "randers-housing-first", "questions")
    assert len(found) == 2 and all("tomt" in p.message for p in found)
    assert len(problems) == 3


def test_example_question_written_twice_is_reported(copy_knowledge, edit_yaml):
    """Twice after folding case, æ/ø/å and a final question mark is still twice."""
    root = copy_knowledge()
    edit_yaml(root / SERVICES, lambda d: _service(d, "lev-uden-vold").update(
        questions=["hvem kan jeg ringe til om vold", "Hvem kan jeg ringe til om vold?",
                   "min kæreste slår mig", "min kaereste slar mig"]))
    _, problems = validate_dir(root)
    found = _matching(problems, SERVICES, "lev-uden-vold", "questions")
    assert len(found) == 2 and all("to gange" in p.message for p in found)
    assert len(problems) == 2


def test_overlong_example_question_on_a_law(copy_knowledge, edit_yaml):
    root = copy_knowledge()
    edit_yaml(root / "laws.yml", lambda d: next(x for x in d["laws"] if x["id"] == "sel-85")
              .update(questions=["hvad betyder " + "rigtig " * 60 + "paragraf 85"]))
    _, problems = validate_dir(root)
    _assert_problem(problems, "laws.yml", "sel-85", "questions", "300 tegn")
    assert len(problems) == 1

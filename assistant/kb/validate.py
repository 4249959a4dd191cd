"""Validation of the knowledge-base YAML files.

Every problem is reported as a :class:`Problem` naming the file, the entry and the field,
so staff can find and fix it. Nothing is loaded while any problem remains.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.text import fold

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOPIC_ID_RE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
# Short numbers (112, 114, 1813, 1888) or eight digits written in groups.
PHONE_RE = re.compile(r"^(?:\d{3,4}|\d{2} \d{2} \d{2} \d{2}|\d{2} \d{3} \d{3}|\d{4} \d{4})$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$")
TIME_RE = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYS_RE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$")
SERVICE_KINDS = {
    "hotline", "counselling", "chat", "shelter", "treatment", "organisation", "emergency",
    "municipal_contact", "information",
}
STATEMENT_KINDS = {"vision", "value", "focus_area", "target_group", "topic"}


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.field}: {self.message}"


@dataclass
class KnowledgeData:
    """The parsed, validated content of a knowledge directory."""

    topics: list[dict[str, Any]] = field(default_factory=list)
    municipalities: list[dict[str, Any]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)  # with "_file"
    services: list[dict[str, Any]] = field(default_factory=list)
    laws: list[dict[str, Any]] = field(default_factory=list)
    synonyms: list[dict[str, Any]] = field(default_factory=list)  # search thesaurus groups


class ValidationFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the knowledge base")
        self.problems = problems


class _Checker:
    """Collects problems for one file while checking its entries."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, entry: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(self.file, entry, field_name, message))

    def text(self, item: dict, entry: str, name: str, *, required: bool = True) -> str | None:
        value = item.get(name)
        if value is None:
            if required:
                self.add(entry, name, "mangler (missing)")
            return None
        if not isinstance(value, str):
            self.add(entry, name, f"skal være tekst, fik {type(value).__name__}")
            return None
        if not value.strip():
            self.add(entry, name, "er tom (empty)")
            return None
        return value.strip()

    def matches(self, item: dict, entry: str, name: str, pattern: re.Pattern[str],
                what: str, *, required: bool = True) -> str | None:
        value = self.text(item, entry, name, required=required)
        if value is not None and not pattern.match(value):
            self.add(entry, name, f"ugyldig {what}: {value!r}")
            return None
        return value

    def id_list(self, item: dict, entry: str, name: str, known: set[str], what: str,
                *, required: bool = True) -> list[str]:
        value = item.get(name)
        if value is None or value == []:
            if required:
                self.add(entry, name, "mangler (missing)")
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.add(entry, name, "skal være en liste")
            return []
        good: list[str] = []
        for v in value:
            if v not in known:
                self.add(entry, name, f"ukendt {what}: {v!r}")
            elif v in good:
                self.add(entry, name, f"{what} står to gange: {v!r}")
            else:
                good.append(v)
        return good

    def unique_id(self, item: dict, entry: str, seen: dict[str, str],
                  pattern: re.Pattern[str] = ID_RE) -> str | None:
        value = self.matches(item, entry, "id", pattern, "id (små bogstaver, tal og bindestreg)")
        if value is None:
            return None
        if value in seen:
            self.add(entry, "id", f"dubleret id {value!r} (også i {seen[value]})")
            return None
        seen[value] = self.file
        return value


UNREADABLE = object()  # the file could not be read or parsed (the problem is recorded)


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(rel, "-", "-", "filen findes ikke (file not found)"))
        return UNREADABLE
    except UnicodeDecodeError as err:
        problems.append(Problem(rel, "-", "-", f"er ikke gyldig UTF-8: {err}"))
        return UNREADABLE
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"linje {mark.line + 1}" if mark else "-"
        problems.append(Problem(rel, where, "-", f"YAML-fejl: {getattr(err, 'problem', err)}"))
        return UNREADABLE


def _file_entries(raw: Any, key: str, check: _Checker) -> list[dict]:
    return [] if raw is UNREADABLE else _entries(raw, key, check)


def _entries(data: Any, key: str, check: _Checker) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        check.add("-", key, f"filen skal have en liste under '{key}:'")
        return []
    entries = []
    for index, item in enumerate(data[key], start=1):
        if not isinstance(item, dict):
            check.add(f"#{index}", "-", "skal være en mapping med felter")
        else:
            entries.append(item)
    return entries


def _label(item: dict, index: int) -> str:
    return str(item.get("id") or item.get("name") or f"#{index}")


def parse_opening_hours(value: Any) -> str | list[dict[str, str]] | None:
    """Return 'always', a normalised list of periods, or None; raise ValueError if malformed."""
    if value is None:
        return None
    if value == "always":
        return "always"
    if not isinstance(value, list) or not value:
        raise ValueError("skal være 'always', null eller en liste af {days, from, to}")
    periods = []
    for period in value:
        if not isinstance(period, dict):
            raise ValueError("hver periode skal have days, from og to")
        days, start, end = (str(period.get(k, "")) for k in ("days", "from", "to"))
        match = DAYS_RE.match(days)
        if not match:
            raise ValueError(f"ugyldige dage {days!r} (brug fx mon-fri)")
        if match.group(2) and DAYS.index(match.group(2)) < DAYS.index(match.group(1)):
            raise ValueError(f"ugyldige dage {days!r}: første dag skal komme før sidste")
        if not TIME_RE.match(start) or not TIME_RE.match(end) or start >= end:
            raise ValueError(f"ugyldigt tidsrum {start!r}-{end!r} (brug fx 09:00-14:30)")
        periods.append({"days": days, "from": start, "to": end})
    return periods


def _check_date(check: _Checker, item: dict, entry: str, name: str) -> None:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        check.add(entry, name, "mangler (missing): datoen for seneste kontrol")
        return
    if isinstance(value, dt.date):
        return
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        check.add(entry, name, f"ugyldig dato {value!r} (brug ÅÅÅÅ-MM-DD)")


def _check_sources(check: _Checker, item: dict, entry: str) -> None:
    sources = item.get("sources")
    if not sources:
        check.add(entry, "sources", "mangler: hver oplysning skal have en kilde")
        return
    if not isinstance(sources, list):
        check.add(entry, "sources", "skal være en liste af URL'er")
        return
    for src in sources:
        if not isinstance(src, str) or not URL_RE.match(src.strip()):
            check.add(entry, "sources", f"ugyldig kilde-URL: {src!r}")


QUESTION_MAX = 300  # characters in one example question


def _check_questions(check: _Checker, item: dict, entry: str) -> None:
    """`questions`: optional example questions the entry answers, as citizens ask them."""
    value = item.get("questions")
    if value is None:
        return
    if not isinstance(value, list):
        check.add(entry, "questions", "skal være en liste af spørgsmål")
        return
    seen: set[str] = set()
    for question in value:
        if not isinstance(question, str) or not question.strip():
            check.add(entry, "questions", f"tomt spørgsmål eller ikke tekst: {question!r}")
            continue
        text = " ".join(question.split())
        if len(text) > QUESTION_MAX:
            check.add(entry, "questions", f"spørgsmålet er over {QUESTION_MAX} tegn: "
                                          f"{text[:40]!r}…")
        key = fold(text).rstrip("?!. ")
        if key in seen:
            check.add(entry, "questions", f"spørgsmålet står to gange: {text!r}")
        seen.add(key)


def _check_topics(root: Path, data: KnowledgeData, problems: list[Problem]) -> set[str]:
    check = _Checker("topics.yml", problems)
    raw = _read_yaml(root / "topics.yml", root, problems)
    seen: dict[str, str] = {}
    for i, item in enumerate(_file_entries(raw, "topics", check), 1):
        entry = _label(item, i)
        check.unique_id(item, entry, seen, TOPIC_ID_RE)
        check.text(item, entry, "name")
        check.text(item, entry, "description")
        data.topics.append(item)
    return set(seen)


def _check_municipalities(root: Path, data: KnowledgeData, problems: list[Problem]) -> set[str]:
    check = _Checker("municipalities.yml", problems)
    raw = _read_yaml(root / "municipalities.yml", root, problems)
    names: set[str] = set()
    codes: set[str] = set()
    for i, item in enumerate(_file_entries(raw, "municipalities", check), 1):
        entry = _label(item, i)
        name = check.text(item, entry, "name")
        check.text(item, entry, "official_name")
        check.text(item, entry, "region")
        code = check.matches(item, entry, "code", re.compile(r"^\d{4}$"), "kommunekode")
        check.matches(item, entry, "website", URL_RE, "URL", required=False)
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            check.add(entry, "aliases", "skal være en liste af tekster")
        if name:
            if name in names:
                check.add(entry, "name", f"dubleret kommune {name!r}")
            names.add(name)
        if code:
            if code in codes:
                check.add(entry, "code", f"dubleret kommunekode {code!r}")
            codes.add(code)
        data.municipalities.append(item)
    return names


def _check_policies(root: Path, data: KnowledgeData, problems: list[Problem],
                    topics: set[str], municipalities: set[str], ids: dict[str, str]) -> None:
    for path in sorted((root / "policies").glob("*.yml")):
        rel = str(path.relative_to(root))
        check = _Checker(rel, problems)
        raw = _read_yaml(path, root, problems)
        if raw is UNREADABLE:
            continue
        if not isinstance(raw, dict):
            check.add("-", "-", "filen skal have municipality, document og statements")
            continue
        muni = check.text(raw, "-", "municipality")
        if muni and muni not in municipalities:
            check.add("-", "municipality", f"ukendt kommune {muni!r}")
        doc = raw.get("document")
        if not isinstance(doc, dict):
            check.add("document", "-", "mangler (missing)")
            doc = {}
        check.unique_id(doc, "document", ids)
        for name in ("title", "source_file", "summary"):
            check.text(doc, "document", name)
        if not isinstance(doc.get("year"), int) or not 1990 <= doc["year"] <= 2100:
            check.add("document", "year", f"skal være et årstal, fik {doc.get('year')!r}")
        for name in ("period", "adopted"):
            check.text(doc, "document", name, required=False)
        statements = _entries(raw, "statements", check)
        if not statements:
            check.add("-", "statements", "ingen udsagn (no statements)")
        for i, item in enumerate(statements, 1):
            entry = _label(item, i)
            check.unique_id(item, entry, ids)
            check.text(item, entry, "section")
            check.text(item, entry, "title")
            text = check.text(item, entry, "text")
            if text and re.search(r"(?<!\d)(?:\d ?){7}\d(?!\d)", text):
                check.add(entry, "text", "telefonnumre hører til under services.yml med kilde")
            kind = check.text(item, entry, "kind")
            if kind and kind not in STATEMENT_KINDS:
                allowed = ", ".join(sorted(STATEMENT_KINDS))
                check.add(entry, "kind", f"ukendt type {kind!r} ({allowed})")
            check.id_list(item, entry, "topics", topics, "emne")
            _check_questions(check, item, entry)
        data.policies.append({**raw, "_file": rel})


def _check_services(root: Path, data: KnowledgeData, problems: list[Problem],
                    topics: set[str], municipalities: set[str], ids: dict[str, str]) -> None:
    check = _Checker("services.yml", problems)
    raw = _read_yaml(root / "services.yml", root, problems)
    for i, item in enumerate(_file_entries(raw, "services", check), 1):
        entry = _label(item, i)
        check.unique_id(item, entry, ids)
        check.text(item, entry, "name")
        check.text(item, entry, "description")
        kind = check.text(item, entry, "kind")
        if kind and kind not in SERVICE_KINDS:
            check.add(entry, "kind", f"ukendt type {kind!r} ({', '.join(sorted(SERVICE_KINDS))})")
        check.id_list(item, entry, "topics", topics, "emne")
        check.matches(item, entry, "phone", PHONE_RE, "telefonnummer", required=False)
        check.matches(item, entry, "sms", PHONE_RE, "sms-nummer", required=False)
        check.matches(item, entry, "url", URL_RE, "URL", required=False)
        check.text(item, entry, "address", required=False)
        has_route = any(item.get(k) for k in ("phone", "sms", "url", "address"))
        if not has_route and kind != "information":
            check.add(entry, "phone", "en tjeneste skal have telefon, sms, url eller adresse "
                                      "(eller kind: information)")
        check.text(item, entry, "hours", required=False)
        check.text(item, entry, "audience", required=False)
        try:
            parse_opening_hours(item.get("opening_hours"))
        except ValueError as err:
            check.add(entry, "opening_hours", str(err))
        if item.get("anonymous") not in (True, False, None):
            check.add(entry, "anonymous", "skal være true, false eller null")
        muni = item.get("municipality")
        if muni is not None and muni not in municipalities:
            check.add(entry, "municipality", f"ukendt kommune {muni!r}")
        if not isinstance(item.get("priority", 5), int):
            check.add(entry, "priority", "skal være et heltal")
        _check_sources(check, item, entry)
        _check_date(check, item, entry, "verified_on")
        _check_questions(check, item, entry)
        data.services.append(item)


def _check_laws(root: Path, data: KnowledgeData, problems: list[Problem],
                topics: set[str], ids: dict[str, str]) -> None:
    check = _Checker("laws.yml", problems)
    raw = _read_yaml(root / "laws.yml", root, problems)
    for i, item in enumerate(_file_entries(raw, "laws", check), 1):
        entry = _label(item, i)
        check.unique_id(item, entry, ids)
        for name in ("paragraph", "title", "meaning"):
            check.text(item, entry, name)
        check.id_list(item, entry, "topics", topics, "emne")
        _check_sources(check, item, entry)
        _check_questions(check, item, entry)
        data.laws.append(item)


SYNONYM_FIELDS = {"id", "words", "topics"}
SYNONYM_WORD_RE = re.compile(r"^[0-9a-zæøåéüöä][0-9a-zæøåéüöä' -]*\*?$")


def _check_synonyms(root: Path, data: KnowledgeData, problems: list[Problem],
                    topics: set[str]) -> None:
    """synonyms.yml, the search thesaurus. Optional: without it search runs without one."""
    path = root / "synonyms.yml"
    if not path.exists():
        return
    from assistant.kb.analysis import stop_words  # spaCy's Danish stop words, loaded lazily

    check = _Checker("synonyms.yml", problems)
    raw = _read_yaml(path, root, problems)
    seen: dict[str, str] = {}
    stop = stop_words()
    for i, item in enumerate(_file_entries(raw, "groups", check), 1):
        entry = _label(item, i)
        check.unique_id(item, entry, seen)
        for key in sorted(set(item) - SYNONYM_FIELDS, key=str):
            check.add(entry, str(key), "ukendt felt (brug id, words og topics)")
        group_topics = check.id_list(item, entry, "topics", topics, "emne", required=False)
        value = item.get("words")
        if not isinstance(value, list) or not value:
            check.add(entry, "words", "mangler: en liste med mindst to ord eller udtryk"
                      if not value else "skal være en liste af ord og udtryk")
            data.synonyms.append(item)
            continue
        good: list[str] = []
        for word in value:
            if not isinstance(word, str | int) or isinstance(word, bool):
                check.add(entry, "words", f"skal være tekst, fik {word!r}")
                continue
            text = " ".join(str(word).lower().split())
            if not text:
                check.add(entry, "words", "tomt ord (empty)")
            elif not SYNONYM_WORD_RE.match(text):
                check.add(entry, "words", f"ugyldigt ord {word!r}: brug bogstaver, tal, "
                                          "mellemrum og bindestreg – og * kun til sidst")
            elif text.endswith("*") and len(text.split()[-1]) < 4:
                check.add(entry, "words", f"{word!r}: skriv mindst tre bogstaver før *")
            elif " " not in text and fold(text.rstrip("*")) in stop:
                check.add(entry, "words", f"{word!r} er et småord (stopord), der står i "
                                          "næsten alle spørgsmål – brug det i et udtryk")
            elif text in good:
                check.add(entry, "words", f"{word!r} står flere gange")
            else:
                good.append(text)
        if len(value) < 2 and not group_topics:
            check.add(entry, "words", "en gruppe skal have mindst to ord eller udtryk "
                                      "(eller ét ord og topics)")
        data.synonyms.append(item)


def validate_dir(root: Path) -> tuple[KnowledgeData, list[Problem]]:
    """Parse and check every file in the knowledge directory `root`."""
    problems: list[Problem] = []
    data = KnowledgeData()
    if not root.is_dir():
        return data, [Problem(str(root), "-", "-", "mappen findes ikke (directory not found)")]
    topics = _check_topics(root, data, problems)
    municipalities = _check_municipalities(root, data, problems)
    ids: dict[str, str] = {}
    _check_policies(root, data, problems, topics, municipalities, ids)
    _check_services(root, data, problems, topics, municipalities, ids)
    _check_laws(root, data, problems, topics, ids)
    _check_synonyms(root, data, problems, topics)
    return data, problems


def load_valid(root: Path) -> KnowledgeData:
    """Return the parsed data, or raise :class:`ValidationFailed` listing every problem."""
    data, problems = validate_dir(root)
    if problems:
        raise ValidationFailed(problems)
    return data


def format_problems(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)

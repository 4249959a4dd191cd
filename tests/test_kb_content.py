"""Consistency of the content: phone numbers, municipalities and policy sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from project_paths import DOMAIN_DIR, KNOWLEDGE_DIR, SHARED_SEEDS, SUPPORT_FACTS

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Eight-digit Danish numbers however they are grouped (33 33 00 47, 70 201 201, 7020 1201,
# 33330047), and short numbers (112, 1813, 1888 ...) when a phone word comes before them.
EIGHT_DIGITS = re.compile(r"(?<![\d§])(?:\d[ \u00a0]?){7}\d(?!\d)")
SHORT_AFTER_PHONE_WORD = re.compile(
    r"\b(?:ring|ringe|ringer|ring til|på|tlf\.?|telefon|nummer|sms)\s+(\d{3,4})\b",
    re.IGNORECASE)


def _yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def phone_numbers_in(text: str) -> set[str]:
    found = {digits(m.group()) for m in EIGHT_DIGITS.finditer(text)}
    found |= {m.group(1) for m in SHORT_AFTER_PHONE_WORD.finditer(text)}
    return found


def _services() -> list[dict]:
    return _yaml(KNOWLEDGE_DIR / "services.yml")["services"]


def _service_numbers() -> dict[str, str]:
    """digits -> service id, for every phone and sms number in services.yml."""
    numbers = {}
    for s in _services():
        for key in ("phone", "sms"):
            if s.get(key):
                numbers[digits(s[key])] = s["id"]
    return numbers


def _domain_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        for name, variants in (_yaml(path).get("responses") or {}).items():
            for variant in variants:
                texts.append((f"{path.name}:{name}", str(variant.get("text", ""))))
    return texts


def test_phone_finder_itself():
    sample = "Ring 112 eller Lev Uden Vold på 1888. Livslinien på 70 201 201, ellers 33330047."
    assert phone_numbers_in(sample) == {"112", "1888", "70201201", "33330047"}
    assert phone_numbers_in("serviceloven § 109 og højst 30 dage i 2026") == set()


def test_domain_phone_numbers_exist_in_services():
    phones = {digits(s["phone"]) for s in _services() if s.get("phone")}
    seen: dict[str, str] = {}
    for where, text in _domain_texts():
        for number in phone_numbers_in(text):
            seen[number] = where
    # The crisis texts must carry these at least; otherwise the finder found nothing.
    assert {"112", "1888", "70201201"} <= set(seen)
    unknown = {n: where for n, where in seen.items() if n not in phones}
    assert not unknown, f"phone numbers in domain responses but not in services.yml: {unknown}"


def test_service_numbers_are_in_the_fact_sheet():
    if not SUPPORT_FACTS.is_file():
        pytest.skip(f"{SUPPORT_FACTS} not available")
    facts = SUPPORT_FACTS.read_text(encoding="utf-8")
    numbers = _service_numbers()
    assert numbers
    missing = []
    for number, service_id in numbers.items():
        # Same digits, any grouping.
        pattern = r"(?<!\d)" + r"[ \u00a0]?".join(number) + r"(?!\d)"
        if not re.search(pattern, facts):
            missing.append(f"{service_id}: {number}")
    assert not missing, f"numbers not found in {SUPPORT_FACTS.name}: {missing}"


def test_no_statement_text_contains_a_phone_number():
    service_numbers = set(_service_numbers())
    offenders = []
    n_statements = 0
    for path in sorted((KNOWLEDGE_DIR / "policies").glob("*.yml")):
        for statement in _yaml(path)["statements"]:
            n_statements += 1
            text = statement["text"]
            found = {d for d in phone_numbers_in(text)}
            # Any known service number (also short ones like 1888) written anywhere.
            found |= {n for n in service_numbers
                      if re.search(r"(?<!\d)" + r"[ \u00a0]?".join(n) + r"(?!\d)", text)}
            if found:
                offenders.append(f"{path.name}: {statement['id']}: {sorted(found)}")
    assert n_statements > 100
    assert not offenders, offenders


def test_all_98_municipalities_with_unique_codes():
    municipalities = _yaml(KNOWLEDGE_DIR / "municipalities.yml")["municipalities"]
    assert len(municipalities) == 98
    names = [m["name"] for m in municipalities]
    codes = [m["code"] for m in municipalities]
    assert len(set(names)) == 98
    assert len(set(codes)) == 98
    assert all(isinstance(c, str) and re.fullmatch(r"\d{4}", c) for c in codes)
    assert all(m["official_name"].endswith(("Kommune", "Regionskommune")) for m in municipalities)
    for seed in ("Brønderslev", "Halsnæs", "Norddjurs", "Randers", "Sønderborg", "Høje-Taastrup",
                 "København", "Aarhus", "Bornholm"):
        assert seed in names


def test_municipalities_match_the_fact_sheet():
    if not SUPPORT_FACTS.is_file():
        pytest.skip(f"{SUPPORT_FACTS} not available")
    facts = _yaml(SUPPORT_FACTS)["section_d_all_98_municipalities"]["municipalities"]
    ours = {m["code"]: m for m in _yaml(KNOWLEDGE_DIR / "municipalities.yml")["municipalities"]}
    theirs = {str(m["code"]): m for m in facts}
    assert set(ours) == set(theirs)
    for code, m in theirs.items():
        assert ours[code]["name"] == m["short_name"], code
        assert ours[code]["official_name"] == m["official_name"], code


def test_every_policy_and_service_municipality_is_known():
    names = {m["name"] for m in _yaml(KNOWLEDGE_DIR / "municipalities.yml")["municipalities"]}
    policies = [_yaml(p) for p in sorted((KNOWLEDGE_DIR / "policies").glob("*.yml"))]
    assert {p["municipality"] for p in policies} <= names
    assert {s["municipality"] for s in _services() if s.get("municipality")} <= names


def test_each_policy_cites_an_existing_seed_file():
    policies = {p.name: _yaml(p) for p in sorted((KNOWLEDGE_DIR / "policies").glob("*.yml"))}
    assert len(policies) == 5
    source_files = [p["document"]["source_file"] for p in policies.values()]
    assert len(set(source_files)) == 5  # five different documents
    if not SHARED_SEEDS.is_dir():
        pytest.skip(f"{SHARED_SEEDS} not available")
    missing = [f"{name}: {p['document']['source_file']}" for name, p in policies.items()
               if not (SHARED_SEEDS / p["document"]["source_file"]).is_file()]
    assert not missing, missing


def test_policy_year_matches_its_source_file():
    for path in sorted((KNOWLEDGE_DIR / "policies").glob("*.yml")):
        document = _yaml(path)["document"]
        years = re.findall(r"(?:19|20)\d\d", document["source_file"])
        assert years, document["source_file"]
        assert str(document["year"]) == years[0], path.name


def test_national_24h_lines_are_marked_always_open():
    by_id = {s["id"]: s for s in _services()}
    assert by_id["lev-uden-vold"]["phone"] == "1888"
    assert by_id["lev-uden-vold"]["opening_hours"] == "always"
    assert by_id["alarm-112"]["phone"] == "112"
    assert by_id["alarm-112"]["kind"] == "emergency"

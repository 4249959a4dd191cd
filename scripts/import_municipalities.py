"""Write data/knowledge/municipalities.yml from the verified reference list.

Usage: python scripts/import_municipalities.py ../shared/reference/danish_support_facts.yml
Run once when the reference changes; staff then edit the YAML directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

EXTRA_ALIASES = {
    "København": ["Kbh", "Kbh.", "Kobenhavn", "Copenhagen"],
    "Aarhus": ["Århus", "Aarhus C"],
    "Bornholm": ["Bornholms Regionskommune", "Rønne"],
    "Frederiksberg": ["Frb"],
}


def main(source: str) -> None:
    facts = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    detail = {m["name"]: m for m in facts["section_c_municipalities"]}
    rows = []
    for m in facts["section_d_all_98_municipalities"]["municipalities"]:
        name = m["short_name"]
        row = {
            "name": name,
            "official_name": m["official_name"],
            "code": m["code"],
            "region": m["region_until_2026"],
        }
        extra = detail.get(name)
        if extra and "website" in extra.get("verified_fields", []):
            row["website"] = extra["website"]
        row["aliases"] = EXTRA_ALIASES.get(name, [])
        rows.append(row)
    assert len(rows) == 98, len(rows)
    header = (
        "# All 98 Danish municipalities (official names, codes, regions until 31 Dec 2026).\n"
        "# Source: shared/reference/danish_support_facts.yml, section_d (verified list) and\n"
        "# section_c (verified websites). Spellings without æøå and 'X Kommune' are added\n"
        "# automatically; put only extra spellings under aliases.\n"
    )
    out = Path(__file__).resolve().parent.parent / "data" / "knowledge" / "municipalities.yml"
    out.write_text(header + yaml.safe_dump({"municipalities": rows}, allow_unicode=True,
                                           sort_keys=False), encoding="utf-8")
    print(f"wrote {len(rows)} municipalities to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/danish_support_facts.yml")

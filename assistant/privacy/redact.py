"""Remove personal data from text before it is stored.

CPR numbers, phone numbers, e-mail addresses and Danish street addresses are replaced by a
neutral marker; the rest of the text is kept so conversations can still be reviewed.
"""

from __future__ import annotations

import re

CPR = re.compile(r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}[-\s]?\d{4}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Eight digits in any grouping ("20 30 40 50", "2030 4050", "70 201 201"), optional +45.
PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)45[\s-]?)?\d(?:[\s-]?\d){7}(?![\d])")
_STREET_SUFFIX = (
    r"vej|vejen|gade|gaden|allé|alle|alléen|vænge|vænget|stræde|strædet|plads|pladsen|"
    r"boulevard|torv|torvet|have|haven|parken|park|bakken|bakke|toften|stien|sti|engen|vangen|"
    r"løkke|løkken|hegn|hegnet|høj|højen|kvarter|kvarteret|skov|skoven|mark|marken|dal|dalen|"
    r"holm|holmen|bjerg|bjerget|gård|gården|brink|brinken|gyde|passage"
)
ADDRESS = re.compile(
    rf"\b[A-ZÆØÅa-zæøå][\wæøåÆØÅ.-]*(?:{_STREET_SUFFIX})\s+\d{{1,4}}\s?[A-Za-z]?\b"
    r"(?:,?\s*\d{1,2}\.?\s*(?:sal|th|tv|mf)\.?)?"
    r"(?:,?\s*\d{4}\s+[A-ZÆØÅ][\wæøå]+)?",
    re.IGNORECASE,
)
POSTCODE_TOWN = re.compile(r"\b[1-9]\d{3}\s+[A-ZÆØÅ][a-zæøå]+(?:\s[A-ZÆØÅ]\b)?")

MARKERS = {"cpr": "[CPR]", "email": "[e-mail]", "phone": "[telefon]", "address": "[adresse]"}


def redact(text: str, *, phones: bool = True) -> str:
    """Return `text` with personal data replaced. `phones=False` keeps phone numbers (used
    for the assistant's own messages, which quote hotline numbers)."""
    if not text:
        return text
    text = CPR.sub(MARKERS["cpr"], text)
    text = EMAIL.sub(MARKERS["email"], text)
    text = ADDRESS.sub(MARKERS["address"], text)
    text = POSTCODE_TOWN.sub(MARKERS["address"], text)
    if phones:
        text = PHONE.sub(MARKERS["phone"], text)
    return text

"""Numbers in a citizen's question, as the knowledge-base search reads them.

A paragraph reference ("§ 85", "paragraf 110", "85 a") or a phone number (three digits or
more: 112, 1813) is a search term; other one- or two-digit numbers are ages, counts and
amounts and are not (`query_text`). An age says who the help is for (`age_words`).
"""

from __future__ import annotations

import re

# A number in a question: "§ 85", "paragraf 110", "stk. 2" refer to a paragraph; "85 a" and
# numbers of three or more digits (112, 1813, § 110 typed without "§") are kept as they
# stand; other one- or two-digit numbers ("min søn på 17", "ringer 10 gange", "40.000 kr",
# "39,5 i feber") are ages, counts and amounts, no search terms of their own.
_QUERY_NUMBER_RE = re.compile(
    r"(?P<ref>(?:§|\bparagraf(?:fen|ferne)?|\bstk\.?)\s*)?"
    r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)*)(?![\w]|[.,]\d)"
    r"(?P<letter> ?[a-h](?![0-9a-zæøå]))?", re.IGNORECASE)


def query_text(text: str) -> str:
    """`text` without the numbers that are no paragraph or phone number (see above)."""
    if not any(c.isdigit() for c in text):
        return text

    def keep(match: re.Match[str]) -> str:
        num = match.group("num")
        if match.group("ref") or match.group("letter") or (num.isdigit() and len(num) >= 3):
            return match.group(0)
        return " "

    return _QUERY_NUMBER_RE.sub(keep, text)


# An age in a question ("jeg er 16", "min datter på 17", "paa 82", "han er 45 år") says who
# the help is for: a child, a young person or an older one. A number followed by a unit
# other than years ("2 måneder", "40 i feber", "3 børn", "10 gange") is no age.
_AGE_RE = re.compile(
    r"(?:\b(?:er|på|paa|pa)\s+(?P<a>\d{1,3})(?![\d.,])"
    r"(?!\s*(?:måned|maaned|maned|mdr|uge|dag|døgn|doegn|dogn|time|gang|kr|i\s|børn|boern|born"
    r"|%|procent|stk|x\b))"
    r"|\b(?P<b>\d{1,3})\s*(?:år|aar|ar)\b(?!\s*siden)|\b(?P<c>\d{1,3})-?årig)",
    re.IGNORECASE)


def age_words(text: str) -> list[str]:
    """The age group words for the ages in `text`: "barn" (under 12), "ung" (12–25),
    "ældre" (65 and over); nothing for other adults or when no age is given."""
    out = []
    for match in _AGE_RE.finditer(text):
        age = int(match.group("a") or match.group("b") or match.group("c"))
        if age < 12:
            out.append("barn")
        elif age <= 25:
            out.append("ung")
        elif 65 <= age <= 110:
            out.append("ældre")
    return sorted(set(out))

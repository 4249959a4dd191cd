"""Opening hours in Danish time, with Danish public holidays counted as closed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def danish_holidays(year: int) -> set[dt.date]:
    """Public holidays and the usual closing days (Christmas Eve, New Year's Eve, 5 June).

    Store Bededag is no longer a holiday from 2024.
    """
    easter = easter_sunday(year)
    offsets = [-3, -2, 0, 1, 39, 49, 50]  # Skærtorsdag … 2. pinsedag
    days = {easter + dt.timedelta(days=o) for o in offsets}
    if year < 2024:
        days.add(easter + dt.timedelta(days=26))  # Store Bededag
    days |= {dt.date(year, 1, 1), dt.date(year, 6, 5), dt.date(year, 12, 24),
             dt.date(year, 12, 25), dt.date(year, 12, 26), dt.date(year, 12, 31)}
    return days


def _days(spec: str) -> set[str]:
    first, _, last = spec.partition("-")
    start = DAY_NAMES.index(first)
    end = DAY_NAMES.index(last) if last else start
    return set(DAY_NAMES[start:end + 1])


def is_open(opening_hours: str | list[dict[str, str]] | None, when: dt.datetime) -> bool | None:
    """True/False for structured hours, None when the hours are unknown."""
    if opening_hours is None:
        return None
    if opening_hours == "always":
        return True
    local = when.astimezone(COPENHAGEN)
    if local.date() in danish_holidays(local.year):
        return False
    day = DAY_NAMES[local.weekday()]
    clock = local.strftime("%H:%M")
    return any(day in _days(p["days"]) and p["from"] <= clock < p["to"]
               for p in opening_hours)


def now() -> dt.datetime:
    return dt.datetime.now(tz=COPENHAGEN)

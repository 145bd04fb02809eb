"""Find a calendar date written in running text ("20 janvier 2020", "17.7.11", "Friday, December 23, 2016", ISO).

Month and weekday names come from dateparser's locale data, so any language dateparser knows
works; the matching itself is a handful of regular expressions (fast, deterministic, no
guessing from "yesterday" or bare numbers). Rules:

* day-first for numeric dates (``17.7.11``, ``11/04/2012``), except slash dates with
  ``lang="en"``, which are month-first when ambiguous (``03/04/2020`` → 4 March in English,
  3 April otherwise, including when the language is unknown);
* two-digit years pivot at 70: ``11`` → 2011, ``98`` → 1998 (the POSIX convention, not today's date);
* a time right after the date (``at 4:30 p.m.``, ``, 19:16 Uhr``) gives a naive ``datetime``,
  otherwise a ``date``; times are never invented; an ISO time with an offset is timezone-aware;
* years outside 1900–2100 and impossible days are skipped, and the search goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

DEFAULT_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")
_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")
_TIME = re.compile(
    r"\A(?:\s*(?:,|\||-|–|·|/|at|um|à|a las|alle|às|om)?\s*)(\d{1,2})[:h.](\d{2})(?!\d)"
    r"(?:\s*([ap])\.?\s?m\.?(?!\w))?",
    re.I,
)
_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_NUMERIC = re.compile(r"(?<![\d.,/])(\d{1,2})([./])\s?(\d{1,2})\2\s?(\d{4}|\d{2})(?![\d]|[.,/]\d)")


@lru_cache(maxsize=64)
def _month_names(langs: tuple[str, ...]) -> dict[str, int]:
    """Lower-case month name or abbreviation → month number, for the given languages."""
    from dateparser.languages.loader import default_loader

    names: dict[str, int] = {}
    for lang in langs:
        try:
            info = default_loader.get_locale(lang).info
        except (KeyError, ValueError, AttributeError):
            log.debug("no month names for language %r", lang)
            continue
        for number, key in enumerate(_MONTH_KEYS, start=1):
            for name in info.get(key, ()):
                name = name.lower().rstrip(".")
                if len(name) >= 3 and not name.isdigit():
                    names.setdefault(name, number)
    return names


@lru_cache(maxsize=64)
def _named_patterns(langs: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(day-month-year, month-day-year) patterns for the month names of ``langs``."""
    names = sorted(_month_names(langs), key=len, reverse=True)
    month = "(?P<month>" + "|".join(re.escape(n) for n in names) + r")\.?"
    day = r"(?P<day>\d{1,2})(?:\.|er|st|nd|rd|th|º|°)?"
    year = r"(?P<year>\d{4})(?!\d)"
    dmy = re.compile(rf"(?<![\w.])(?:{day})\s*(?:de\s+|of\s+)?{month}(?!\w),?\s*(?:de\s+|del\s+)?{year}", re.I)
    mdy = re.compile(rf"(?<![\w.]){month}(?!\w)\s+{day}(?!\d),?\s+{year}", re.I)
    return dmy, mdy


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _with_time(day: dt.date, rest: str) -> dt.date | dt.datetime:
    match = _TIME.match(rest[:24])
    if not match:
        return day
    hour, minute, half = int(match.group(1)), int(match.group(2)), (match.group(3) or "").lower()
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return day
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def _iso_datetime(day: dt.date, hour: int, minute: int, offset: str | None) -> dt.datetime:
    """An ISO date-time; timezone-aware when the text gave an offset ("Z", "+01:00")."""
    tz = None
    if offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset.lstrip("+-").replace(":", "")
        tz = dt.timezone.utc if offset == "Z" else dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _make(year: int, month: int, day: int) -> dt.date | None:
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, lang: str | None = None) -> list[tuple[int, int, dt.date | dt.datetime]]:
    """Every date in ``text`` as ``(start, end, value)``, in order of position."""
    langs = tuple(dict.fromkeys(([lang] if lang else []) + (["en"] if lang else list(DEFAULT_LANGUAGES))))
    found: list[tuple[int, int, dt.date | dt.datetime]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, value: dt.date | None) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, end, _with_time(value, text[end:])))

    for m in _ISO.finditer(text):
        value = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if value is not None and m.group(4) and int(m.group(4)) < 24 and int(m.group(5)) < 60:
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.end(), _iso_datetime(value, int(m.group(4)), int(m.group(5)), m.group(6))))
        else:
            add(m.start(), m.end(), value)
    months = _month_names(langs)
    for rx in _named_patterns(langs):
        for m in rx.finditer(text):
            month = months.get(m.group("month").lower().rstrip("."))
            if month:
                add(m.start(), m.end(), _make(int(m.group("year")), month, int(m.group("day"))))
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        month_first = m.group(2) == "/" and lang == "en" and a <= 12
        day, month = (b, a) if month_first else (a, b)
        add(m.start(), m.end(), _make(year, month, day))
    return sorted(found, key=lambda f: f[0])


def find_date(text: str, lang: str | None = None) -> dt.date | dt.datetime | None:
    """The first date written in ``text`` (in language ``lang`` if given, else common European ones), or None."""
    found = find_dates(text, lang)
    return found[0][2] if found else None

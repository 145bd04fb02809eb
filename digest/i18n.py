"""Localised theme strings (themes/*/i18n/{lang}.yaml), language names and dates, via Babel's CLDR data."""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Union

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time

from .config import SiteConfig
from .theme import i18n_dirs

log = logging.getLogger(__name__)
FALLBACK = "en"


@lru_cache(maxsize=None)
def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


@lru_cache(maxsize=1024)
def language_name(lang: str) -> str:
    """The language's own name, capitalised as a label: "Français", "English", "العربية" (Babel takes ~5 µs
    a call: a page's versions list names each language again)."""
    loc = _locale(lang)
    name = loc.get_display_name(loc) if loc else None
    return (name[:1].upper() + name[1:]) if name else lang


@lru_cache(maxsize=1024)
def text_direction(lang: str) -> str:
    loc = _locale(lang)
    return "rtl" if loc is not None and loc.text_direction == "rtl" else "ltr"


def format_day(day: date, lang: str, style: str = "full") -> str:
    """A date in the language's own words: "jeudi 30 mai 2024" (Babel styles full, long, medium, short)."""
    loc = _locale(lang) or _locale(FALLBACK)
    return format_date(day, format=style, locale=loc)


def format_when(moment: datetime, lang: str) -> str:
    """Date and time of day, as written in the language: "30 mai 2024, 09:15", "May 30, 2024, 9:15 AM"."""
    loc = _locale(lang) or _locale(FALLBACK)
    assert loc is not None
    clock = format_time(moment, "short", tzinfo=moment.tzinfo, locale=loc)
    day = format_date(moment.date(), "medium", locale=loc)
    return str(loc.datetime_formats["medium"]).replace("'", "").format(clock, day)


def format_month(day: date, lang: str) -> str:
    """Month and year as a heading: "May 2024", "Mai 2024", "مايو 2024"."""
    loc = _locale(lang) or _locale(FALLBACK)
    try:
        text = format_skeleton("yMMMM", day, locale=loc)
    except (KeyError, ValueError):  # pragma: no cover - locales without the skeleton
        text = format_date(day, "MMMM y", locale=loc)
    return text[:1].upper() + text[1:]


Entry = Union[str, dict[str, str]]


def _load_yaml(path: Path) -> dict[str, Entry]:
    """One strings file: ``key: text`` or, for counts, ``key: {one: …, other: …}`` (CLDR plural forms)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _parse_yaml(path, stamp)  # keyed by mtime so an edited file is read again under `digest serve`


@lru_cache(maxsize=256)
def _parse_yaml(path: Path, stamp: int) -> dict[str, Entry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        log.warning("%s: cannot be read (%s); English strings are used", path, exc)
        return {}
    if not isinstance(data, dict):
        log.warning("%s: must map keys to strings; English strings are used", path)
        return {}
    table: dict[str, Entry] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            table[str(key)] = {str(form): str(text) for form, text in value.items()}
        elif value is not None:
            table[str(key)] = str(value)
    return table


class Strings:
    """Theme strings for one language, falling back to English, then to the key itself.

    ``t("top_stories")`` → text; ``t("outlets", n=3)`` picks the language's plural form of a
    ``{one: …, few: …, other: …}`` entry for ``n`` (CLDR rules via Babel) and fills ``{n}``.
    """

    def __init__(self, table: dict[str, Entry], lang: str = FALLBACK) -> None:
        self._table = table
        self.lang = lang

    @classmethod
    def load(cls, lang: str, cfg: SiteConfig) -> "Strings":
        """English, then the base language, then the exact code; within each, the default theme then the site's."""
        table: dict[str, Entry] = {}
        codes = dict.fromkeys((FALLBACK, lang.split("-")[0], lang))
        for code in codes:
            for folder in reversed(i18n_dirs(cfg)):
                path = folder / f"{code}.yaml"
                if path.is_file():
                    table.update(_load_yaml(path))
        return cls(table, lang)

    def _plural(self, forms: dict[str, str], n: object) -> str:
        loc = _locale(self.lang)
        form = loc.plural_form(n) if loc is not None and isinstance(n, (int, float)) else "other"
        return forms.get(form) or forms.get("other") or next(iter(forms.values()), "")

    def __call__(self, key: str, **values: object) -> str:
        entry = self._table.get(key, key)
        text = self._plural(entry, values.get("n")) if isinstance(entry, dict) else entry
        if not values:
            return text
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            log.warning("theme string %r (%s) cannot be filled in (%s); shown as written", key, self.lang, exc)
            return text

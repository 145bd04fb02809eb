"""Localised theme strings (themes/*/i18n/{lang}.yaml), language names and dates, via Babel's CLDR data."""

from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date

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


def language_name(lang: str) -> str:
    """The language's own name, capitalised as a label: "Français", "English", "العربية"."""
    loc = _locale(lang)
    name = loc.get_display_name(loc) if loc else None
    return (name[:1].upper() + name[1:]) if name else lang


def text_direction(lang: str) -> str:
    loc = _locale(lang)
    return "rtl" if loc is not None and loc.text_direction == "rtl" else "ltr"


def format_day(day: date, lang: str, style: str = "full") -> str:
    loc = _locale(lang) or _locale(FALLBACK)
    return format_date(day, format=style, locale=loc)


@lru_cache(maxsize=None)
def _load_yaml(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        log.warning("%s: cannot be read (%s); English strings are used", path, exc)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class Strings:
    """Theme strings for one language, falling back to English, then to the key itself."""

    def __init__(self, table: dict[str, str]) -> None:
        self._table = table

    @classmethod
    def load(cls, lang: str, cfg: SiteConfig) -> "Strings":
        table: dict[str, str] = {}
        for folder in reversed(i18n_dirs(cfg)):
            for code in (FALLBACK, lang.split("-")[0], lang):
                path = folder / f"{code}.yaml"
                if path.is_file():
                    table.update(_load_yaml(path))
        return cls(table)

    def __call__(self, key: str, **values: object) -> str:
        text = self._table.get(key, key)
        return text.format(**values) if values else text

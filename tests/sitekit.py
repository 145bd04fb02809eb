"""Helpers for the site tests: a hand-made Site (no pipeline) to render, and a checker for built output."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from digest.config import SiteConfig
from digest.models import Article, Site, Story

TZ = timezone(timedelta(hours=2))


def article(path: str, lang: str, title: str, source: str | None, day: int, hour: int = 9, **kw) -> Article:
    """An Article as the pipeline would hand it to render (May 2024, +02:00)."""
    kw.setdefault("summary", f"Summary of {title}.")
    kw.setdefault("body_markdown", f"{title}.\n\nSecond paragraph.")
    kw.setdefault("paragraphs", (f"{title}.", "Second paragraph."))
    return Article(id=path, path=path, format=kw.pop("format", "md"), title=title, lang=lang,
                   date=datetime(2024, 5, day, hour, tzinfo=TZ), slug=Path(path).stem, source=source, **kw)


def sample_site(languages: tuple[str, ...] = ("en", "fr", "ar"), default: str = "en") -> Site:
    """Two days: a museum story in en (2 outlets) / fr / ar, and a German-only story the next day."""
    en1 = article("museum/en1.md", "en", "Museum painting stolen", "Harbour Gazette", 30)
    fr1 = article("museum/fr1.md", "fr", "Vol d'un tableau au musée", "Voix de Lorvine", 30, 10)
    en2 = article("museum/en2.md", "en", "Painting theft at the museum", "Meridian Post", 30, 11)
    ar1 = article("museum/ar1.md", "ar", "سرقة لوحة من المتحف", "الواحة", 30, 12)
    de1 = article("heat/de1.md", "de", "Hitzerekord im Mai", "Abendzeitung", 31)
    museum = Story("museum01", en1, (en1, fr1, ar1, en2), date(2024, 5, 30), 4.0)
    heat = Story("heat0001", de1, (de1,), date(2024, 5, 31), 1.0)
    return Site(articles=(en1, fr1, en2, ar1, de1), stories=(heat, museum), languages=languages,
                default_language=default, generated=datetime(2024, 6, 1, tzinfo=timezone.utc))


def config(root: Path, **kw) -> SiteConfig:
    kw.setdefault("title", "Test Digest")
    return replace(SiteConfig(root=root), **kw)


def write_files(out: Path, files: dict[str, bytes]) -> Path:
    """Stand-in for digest/write.py in tests of render alone."""
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return out


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.html_lang: str | None = None
        self.html_dir: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang, self.html_dir = a.get("lang"), a.get("dir")
        if a.get("id"):
            self.ids.add(a["id"] or "")
        for name in ("href", "src"):
            if a.get(name) is not None:
                self.links.append(a[name] or "")


def parse_html(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    return parser


def broken_links(out: Path, prefix: str = "/") -> list[str]:
    """Every internal href/src of every HTML page must name a file of ``out`` (and an existing #id).

    Links must be site-absolute under ``prefix`` (the base_url path); ``dir/`` means ``dir/index.html``.
    External links (with a scheme or host) are not followed.
    """
    pages = {p.relative_to(out).as_posix(): parse_html(p.read_text(encoding="utf-8")) for p in sorted(out.rglob("*.html"))}
    problems = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            if not parts.path:  # "#fragment" on the same page
                if parts.fragment and parts.fragment not in parsed.ids:
                    problems.append(f"{page}: {link} (no such id)")
                continue
            if not parts.path.startswith(prefix):
                problems.append(f"{page}: {link} (not under {prefix})")
                continue
            rel = unquote(parts.path[len(prefix):])
            target = rel + "index.html" if rel == "" or rel.endswith("/") else rel
            if not (out / target).is_file():
                problems.append(f"{page}: {link} (no file {target})")
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                problems.append(f"{page}: {link} (no id {parts.fragment} in {target})")
    return problems


LANG_ATTR = re.compile(r"<html\b[^>]*\blang=\"([^\"]+)\"")

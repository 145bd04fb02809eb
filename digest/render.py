"""Render a gathered Site into output files in memory ({path: bytes}) with the theme's Jinja2 templates."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from markupsafe import Markup, escape
from markdown_it import MarkdownIt

from .config import SiteConfig
from .errors import ThemeError
from .i18n import Strings, format_day, language_name, text_direction
from .models import Article, Site, Story
from .theme import static_files, template_dirs

log = logging.getLogger(__name__)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@dataclass(frozen=True)
class Version:
    """A link to one version of a story as shown on a page."""

    article: Article
    label: str  # the language's own name for other languages, the outlet for same-language versions
    other_language: bool


def article_path(a: Article) -> str:
    return f"articles/{a.lang}/{a.slug}/"


def story_path(s: Story) -> str:
    return f"stories/{s.id}/"


def day_path(lang: str, day: date) -> str:
    return f"{lang}/{day:%Y/%m/%d}/"


def render_body(a: Article) -> Markup:
    """Markdown with raw HTML disabled for .md; plain paragraphs (escaped, never Markdown) for .txt."""
    if a.format == "md":
        return Markup(_markdown.render(a.body_markdown))
    return Markup("\n".join(f"<p>{escape(p)}</p>" for p in a.paragraphs))


def versions_of(story: Story, shown: Article) -> tuple[Version, ...]:
    """Every other version: other languages first (labelled in their own language), then other outlets."""
    others = [a for a in story.articles if a is not shown]
    other_langs = [a for a in others if a.lang != shown.lang]
    same_lang = [a for a in others if a.lang == shown.lang]
    return tuple(
        [Version(a, language_name(a.lang), True) for a in other_langs]
        + [Version(a, a.source or a.title, False) for a in same_lang]
    )


class Renderer:
    """Holds the Jinja2 environment and the asset map for one build; ``pages()`` yields every output file."""

    def __init__(self, site: Site, cfg: SiteConfig) -> None:
        self.site = site
        self.cfg = cfg
        self.prefix = cfg.path_prefix
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(cfg)]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.assets = self._hash_assets()
        self._strings: dict[str, Strings] = {}
        self.env.globals.update(
            site=site,
            cfg=cfg,
            url=self.url,
            asset=self.asset_url,
            language_name=language_name,
            article_url=lambda a: self.url(article_path(a)),
            story_url=lambda s: self.url(story_path(s)),
            day_url=lambda lang, d: self.url(day_path(lang, d)),
            format_day=format_day,
            render_body=render_body,
            versions_of=versions_of,
        )

    # -- URLs and assets -------------------------------------------------------------------------
    def url(self, path: str = "") -> str:
        """Site-absolute URL path that honours the ``base_url`` sub-path."""
        return self.prefix + path.lstrip("/")

    def _hash_assets(self) -> dict[str, tuple[str, bytes]]:
        assets: dict[str, tuple[str, bytes]] = {}
        for rel, data in static_files(self.cfg):
            stem, dot, ext = rel.rpartition(".")
            digest = hashlib.sha256(data).hexdigest()[:10]
            hashed = f"{stem}.{digest}.{ext}" if dot else f"{rel}.{digest}"
            assets[rel] = (f"static/{hashed}", data)
        return assets

    def asset_url(self, rel: str) -> str:
        if rel not in self.assets:
            raise ThemeError(f"the theme has no static file {rel!r}")
        return self.url(self.assets[rel][0])

    # -- pages -------------------------------------------------------------------------------------
    def _page(self, template: str, lang: str, **ctx: Any) -> bytes:
        if lang not in self._strings:
            self._strings[lang] = Strings.load(lang, self.cfg)
        strings = self._strings[lang]
        try:
            html = self.env.get_template(template).render(
                lang=lang, dir=text_direction(lang), t=strings, **ctx
            )
        except TemplateError as exc:
            raise ThemeError(f"template {template}: {exc}") from exc
        return html.encode("utf-8")

    def edition_stories(self, lang: str, day: date) -> list[tuple[Story, Article]]:
        """The day's top stories, each shown in ``lang`` when a version exists, else canonical."""
        out = []
        for story in self.site.stories:
            if story.day != day:
                continue
            out.append((story, story.version_in(lang) or story.canonical))
            if len(out) >= self.cfg.top_stories:
                break
        return out

    def digest_page(self, lang: str, day: date, *, latest: bool) -> bytes:
        days = self.site.days
        i = days.index(day)
        return self._page(
            "digest.html",
            lang,
            day=day,
            items=self.edition_stories(lang, day),
            latest=latest,
            newer=days[i - 1] if i > 0 else None,
            older=days[i + 1] if i + 1 < len(days) else None,
            canonical_path=day_path(lang, day),
            alternates=[(lg, day_path(lg, day)) for lg in self.site.languages],
        )

    def pages(self) -> Iterable[tuple[str, bytes]]:
        site = self.site
        for rel, (hashed, data) in sorted(self.assets.items()):
            yield hashed, data
        latest = site.days[0] if site.days else None
        for lang in site.languages:
            if latest is None:
                yield f"{lang}/index.html", self._page("digest.html", lang, day=None, items=[], latest=True,
                                                       newer=None, older=None, canonical_path=f"{lang}/",
                                                       alternates=[(lg, f"{lg}/") for lg in site.languages])
                continue
            yield f"{lang}/index.html", self.digest_page(lang, latest, latest=True)
            for day in site.days:
                yield f"{day_path(lang, day)}index.html", self.digest_page(lang, day, latest=False)
        if latest is not None:
            yield "index.html", self.digest_page(site.default_language, latest, latest=True)
        for story in site.stories:
            shown = story.canonical
            yield f"{story_path(story)}index.html", self._page(
                "story.html", shown.lang, story=story, shown=shown, canonical_path=story_path(story), alternates=[]
            )
            for article in story.articles:
                yield f"{article_path(article)}index.html", self._page(
                    "article.html",
                    article.lang,
                    story=story,
                    article=article,
                    canonical_path=article_path(article),
                    alternates=[(a.lang, article_path(a)) for a in story.articles if a.lang != article.lang],
                )
        yield "404.html", self._page("404.html", site.default_language, canonical_path="404.html", alternates=[])
        yield "robots.txt", f"User-agent: *\nAllow: /\n".encode("utf-8")
        yield "api/stories.json", stories_json(site, self.url)


def stories_json(site: Site, url: Any) -> bytes:
    """``/api/stories.json`` with exactly the documented schema; every article in exactly one story."""
    stories = []
    for s in site.stories:
        stories.append(
            {
                "id": s.id,
                "date": s.day.isoformat(),
                "title": s.canonical.title,
                "canonical": s.canonical.id,
                "languages": list(s.languages),
                "sources": list(s.sources),
                "score": s.score,
                "articles": [
                    {
                        "id": a.id,
                        "path": a.path,
                        "lang": a.lang,
                        "title": a.title,
                        "source": a.source,
                        "date": a.date.isoformat(),
                        "url": url(article_path(a)),
                    }
                    for a in s.articles
                ],
            }
        )
    doc = {"generated": site.generated.isoformat(), "stories": stories}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_site(site: Site, cfg: SiteConfig) -> dict[str, bytes]:
    """Every output file of the site, in memory. No I/O besides reading the theme."""
    files: dict[str, bytes] = {}
    for path, data in Renderer(site, cfg).pages():
        if path in files:
            log.warning("two pages want %s; the later one is skipped", path)
            continue
        files[path] = data
    return files

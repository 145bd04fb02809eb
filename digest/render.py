"""Render a gathered Site into output files in memory ({path: bytes}) with the theme's Jinja2 templates.

Pure: reads the theme, writes nothing (``digest/write.py`` is the only writer). Every page gets
the same context: ``lang``/``dir`` of the page, ``t`` (theme strings in that language),
``edition`` (the edition its navigation belongs to), ``switch`` (the same page in every other
edition), ``canonical_url`` and ``alternates`` (hreflang versions of this page, x-default last).

Incremental rendering: :meth:`Renderer.jobs` lists every output file as a :class:`Page` with a
``key``, a fingerprint of everything its bytes depend on (the site-wide values below, and the
page's own stories and articles), so a rebuild re-renders only pages whose key changed. A story's
pair scores are in its key only when some template names ``pairs`` (the default theme does not show
them, and one edit moves many of them a little: see ``fingerprint.STORY_PAIRS``).
Site-wide values: the configuration, the theme's files, this code, the editions, the days,
``generated`` and the number of articles. A template that reads anything else from ``site``
(say ``site.stories``) is detected while rendering (``site`` is a recording proxy) and then every
page counts as depending on everything. Pages that summarise the whole site (archives, feeds,
``stories.json``, ``sitemap.xml``) have no key and are always rendered.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from jinja2 import BytecodeCache, Environment, StrictUndefined, TemplateError, select_autoescape
from jinja2.bccache import Bucket
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from .config import SiteConfig
from .errors import ThemeError
from .fingerprint import STORY_PAIRS
from .api import stories_json
from .feeds import atom_feed, first_seen, last_updated, lead
from .i18n import Strings, format_day, format_month, format_when, language_name, text_direction
from .models import Article, Site, Story
from .sitemap import alternate_groups, robots_txt, sitemap_xml
from .theme import i18n_dirs, static_files, template_dirs, template_loader
from .urls import (
    Urls,
    archive_path,
    article_path,
    day_path,
    edition_path,
    feed_path,
    not_found_path,
    output_file,
    story_path,
)

__all__ = ["Page", "Renderer", "Version", "article_path", "day_path", "render_site", "stories_json", "story_path"]

log = logging.getLogger(__name__)

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept in memory for the life of the process, by template name and source checksum
    (Jinja2 checks the checksum, so an edited template is compiled again): the dev server's rebuilds, which
    make a new environment each time, then skip parsing and compiling the theme (~0.1 s a build)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if len(self._code) > 256:  # many theme edits in one session: start again
            self._code.clear()
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


# what listing a story's pages gave: (story, site key, story key, ((out, key, path, lastmod, page-key entry), …))
StoryPages = tuple[Story, str, str, tuple[tuple[str, str | None, str, datetime | None, tuple[tuple, str]], ...]]


@dataclass(frozen=True)
class Version:
    """A link to one version of a story as shown on a page."""

    article: Article
    label: str  # the language's own name for other languages, the outlet for same-language versions
    other_language: bool
    note: str | None = None  # the outlet, when the label alone would not tell two versions apart


@dataclass(frozen=True)
class Switch:
    """One entry of the language switcher: the same page in edition ``lang``."""

    lang: str
    name: str
    href: str
    current: bool


def render_body(a: Article) -> Markup:
    """Markdown with raw HTML disabled for .md (headings moved one level down, under the page's h1);
    plain escaped paragraphs for .txt (never interpreted as Markdown)."""
    if a.format == "md":
        tokens = _markdown.parse(a.body_markdown)
        for tok in tokens:
            if tok.type in ("heading_open", "heading_close"):
                tok.tag = f"h{min(6, int(tok.tag[1:]) + 1)}"
        return Markup(_markdown.renderer.render(tokens, _markdown.options, {}))
    return Markup("\n".join(f"<p>{escape(p)}</p>" for p in a.paragraphs))


def external_url(value: str | None) -> str | None:
    """A content-provided link, only if it is plain http(s): never ``javascript:`` or ``data:``."""
    if not value:
        return None
    value = value.strip()
    return value if value.lower().startswith(("http://", "https://")) and " " not in value else None


def versions_of(story: Story, shown: Article, limit: int | None = None) -> tuple[Version, ...]:
    """Every other version: other languages first (labelled in their own language, grouped by language
    in story order), then other outlets of the shown version's language.

    With ``limit``, at most that many, in the same order: one version of each other language first, then
    other outlets of the shown version's language, then more versions of the other languages. Each page
    of a story listing all the others grows with the square of the story's size (a story of 829 versions
    at 100,000 articles: 686,000 links on its article pages) and reads as a wall of links; the story page
    lists them all."""
    others = [a for a in story.articles if a is not shown]
    order = {lang: i for i, lang in enumerate(dict.fromkeys(a.lang for a in others))}
    other_langs = sorted((a for a in others if a.lang != shown.lang), key=lambda a: order[a.lang])
    same_lang = [a for a in others if a.lang == shown.lang]
    if limit is not None and len(others) > limit:
        seen: set[str] = set()
        firsts = [a for a in other_langs if not (a.lang in seen or seen.add(a.lang))]  # each language's first
        kept: set[int] = set()
        for a in (*firsts, *same_lang, *other_langs):
            if len(kept) == limit:
                break
            kept.add(id(a))
        other_langs = [a for a in other_langs if id(a) in kept]
        same_lang = [a for a in same_lang if id(a) in kept]
    per_lang: dict[str, int] = {}
    for a in other_langs:
        per_lang[a.lang] = per_lang.get(a.lang, 0) + 1
    return tuple(
        [Version(a, language_name(a.lang), True, a.source if per_lang[a.lang] > 1 else None) for a in other_langs]
        + [Version(a, a.source or a.title, False) for a in same_lang]
    )


RENDER_MODULES = ("digest.render", "digest.feeds", "digest.sitemap", "digest.urls", "digest.i18n", "digest.theme",
                  "digest.models", "digest.fingerprint", "digest.api")
RENDER_PACKAGES = ("jinja2", "markupsafe", "markdown-it-py", "babel")
#: What templates may read from ``site`` without making every page depend on everything.
# Values of ``site`` that every page key covers. Anything else a page with a key reads from ``site``
# (its article count, its generation time, its articles) makes keys untrustworthy: every page is then
# rendered on every build. The default theme shows the article count only on archive pages, which
# have no key (they change with every new article and are rendered on every build anyway).
SITE_WIDE = frozenset({"languages", "default_language", "days"})


def templates_name(env: Environment, names: Iterable[str]) -> bool:
    """Whether any template of ``env`` names one of ``names`` inside its tags (an attribute, a variable or
    a string such as ``attr('score')``); text outside tags does not count. A template that cannot be read
    or lexed counts as naming them (the safe answer: keys then cover more)."""
    wanted = set(names)
    for name in env.list_templates():
        try:
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
            if any((value if kind == "name" else value[1:-1]) in wanted
                   for _, kind, value in env.lex(source) if kind in ("name", "string")):
                return True
        except Exception:  # noqa: BLE001 - any failure: assume the worst
            return True
    return False


_SHOWS_PAIRS: dict[str, bool] = {}  # theme files' fingerprint -> templates_name(..., pairs): one entry


def _shows_pairs(env: Environment, theme_files: str) -> bool:
    """Whether the theme's templates name a story's pairs; lexed once per state of the theme's files (~10 ms
    a time, and the dev server builds on every save)."""
    if theme_files not in _SHOWS_PAIRS:
        _SHOWS_PAIRS.clear()
        _SHOWS_PAIRS[theme_files] = templates_name(env, (STORY_PAIRS,))
    return _SHOWS_PAIRS[theme_files]


@dataclass(frozen=True)
class Page:
    """One output file: ``make()`` renders its bytes; ``key`` fingerprints its inputs (None: always render)."""

    out: str
    key: str | None
    make: Callable[[], bytes]


class _Count:
    """``site.articles`` as templates see it: its length is a site-wide value; anything more is recorded."""

    def __init__(self, items: tuple[Any, ...], seen: set[str]) -> None:
        self._items, self._seen = items, seen

    def __len__(self) -> int:
        self._seen.add("articles#")
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        self._seen.add("articles[]")
        return iter(self._items)

    def __getitem__(self, index: Any) -> Any:
        self._seen.add("articles[]")
        return self._items[index]


class _SiteView:
    """The ``site`` global of templates: records which parts of the site a template reads."""

    def __init__(self, site: Site, seen: set[str]) -> None:
        self._site, self._seen = site, seen

    def __getattr__(self, name: str) -> Any:
        if name == "articles":
            return _Count(self._site.articles, self._seen)
        self._seen.add(name)
        return getattr(self._site, name)


class Renderer:
    """Holds the Jinja2 environment, URLs and asset map for one build; ``jobs()`` lists every output file."""

    def __init__(self, site: Site, cfg: SiteConfig, *, article_keys: Mapping[str, str] | None = None,
                 story_keys: Mapping[str, tuple[Story, str]] | None = None,
                 page_keys: Mapping[str, tuple[tuple, str]] | None = None,
                 story_pages: Mapping[str, StoryPages] | None = None) -> None:
        from .fingerprint import article_keys_for, code_fingerprint, digest_of, files_fingerprint

        self.site = site
        self.cfg = cfg
        self.urls = Urls(cfg.base_url)
        self.prefix = self.urls.prefix
        self.default = site.default_language if site.default_language in site.languages else (
            site.languages[0] if site.languages else site.default_language
        )
        self.env = Environment(
            loader=template_loader(cfg),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # one environment per build: no need to stat the template files on every page
            bytecode_cache=_COMPILED,
        )
        self.assets = self._hash_assets()
        self.alternates = alternate_groups(site)
        self.by_day: dict[date, list[Story]] = {}  # site.stories is already ranked within each day
        for story in site.stories:
            self.by_day.setdefault(story.day, []).append(story)
        self._day_updated: dict[date, datetime | None] = {}
        self.indexable: list[tuple[str, datetime | None]] = []  # pages for sitemap.xml, in output order
        self._strings: dict[str, Strings] = {}
        self.site_reads: set[str] = set()  # what templates read from ``site`` (see SITE_WIDE)
        self.article_keys = article_keys_for(site.articles, article_keys)
        # story id → (story, key); ``story_keys`` are the last build's: a story that is the very same
        # object (the incremental build keeps the stories none of whose articles changed) keeps its key
        self._known_story_keys = story_keys or {}
        self.story_keys: dict[str, tuple[Story, str]] = {}
        # output path → (the inputs of its key, the key): the last build's, so an unchanged page's key is a
        # tuple comparison rather than a digest (12,000 digests are ~0.2 s of a dev-server rebuild)
        self._known_page_keys = page_keys or {}
        self.page_keys: dict[str, tuple[tuple, str]] = {}
        # story id → what listing its pages gave (the last build's): the very same story, with the same
        # site-wide values, has the very same pages; listing them again is then a copy (see story_pages)
        self._known_story_pages = story_pages or {}
        self.story_page_lists: dict[str, StoryPages] = {}
        theme_files = files_fingerprint([*template_dirs(cfg), *i18n_dirs(cfg)])
        self.story_pairs = _shows_pairs(self.env, theme_files)  # story keys cover pair scores only if shown
        self.site_key = digest_of(
            code_fingerprint(RENDER_MODULES, RENDER_PACKAGES), cfg.fingerprint(), sorted(self.assets),
            theme_files, site.languages, site.default_language,
            self.default, site.days,
        )
        self._digest = digest_of
        self.env.globals.update(
            site=_SiteView(site, self.site_reads),
            cfg=cfg,
            url=self.url,
            asset=self.asset_url,
            language_name=language_name,
            text_direction=text_direction,
            article_url=lambda a: self.url(article_path(a)),
            story_url=lambda s: self.url(story_path(s)),
            day_url=lambda lang, d: self.url(day_path(lang, d)),
            edition_url=lambda lang: self.url(edition_path(lang)),
            archive_url=lambda lang: self.url(archive_path(lang)),
            feed_url=lambda lang: self.url(feed_path(lang)),
            format_day=lru_cache(maxsize=4096)(format_day),  # Babel formatting is slow; values repeat a lot
            format_when=lru_cache(maxsize=65536)(format_when),
            format_month=lru_cache(maxsize=1024)(format_month),
            lead=lead,
            first_seen=first_seen,
            last_updated=last_updated,
            render_body=render_body,
            external_url=external_url,
            versions_of=versions_of,
        )

    @property
    def reads_whole_site(self) -> bool:
        """True once a template has read more of ``site`` than its site-wide values (keys then cannot be trusted)."""
        return bool(self.site_reads - SITE_WIDE)

    # -- URLs and assets -------------------------------------------------------------------------
    def url(self, path: str = "") -> str:
        """Site-absolute URL path that honours the ``base_url`` sub-path."""
        return self.urls.path(path)

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

    # -- page context ------------------------------------------------------------------------------
    def strings(self, lang: str) -> Strings:
        if lang not in self._strings:
            self._strings[lang] = Strings.load(lang, self.cfg)
        return self._strings[lang]

    def switch(self, current: str, target: Callable[[str], str]) -> list[Switch]:
        """The language switcher: ``target(edition)`` is the path of this page in that edition."""
        return [Switch(lg, language_name(lg), self.url(target(lg)), lg == current) for lg in self.site.languages]

    def story_key(self, story: Story) -> str:
        from .fingerprint import story_fingerprint

        known = self.story_keys.get(story.id) or self._known_story_keys.get(story.id)
        if known is None or known[0] is not story:
            known = (story, story_fingerprint(story, self.article_keys, pairs=self.story_pairs))
        self.story_keys[story.id] = known
        return known[1]

    def _page(self, template: str, lang: str, path: str, *, switch: Callable[[], list[Switch]], key: tuple | None,
              index: bool = True, lastmod: datetime | None = None, **ctx: Any) -> Page:
        """One HTML page served at ``path``; listed for sitemap.xml now, rendered when ``make()`` is called."""
        if index:
            self.indexable.append((path, lastmod))

        def make() -> bytes:
            try:
                html = self.env.get_template(template).render(
                    lang=lang,
                    dir=text_direction(lang),
                    t=self.strings(lang),
                    edition=lang if lang in self.site.languages else self.default,
                    page_path=path,
                    canonical_url=self.urls.absolute(path),
                    alternates=[(hl, self.urls.absolute(p)) for hl, p in self.alternates.get(path, ())],
                    switch=switch(),
                    noindex=not index,
                    **ctx,
                )
            except TemplateError as exc:
                where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
                raise ThemeError(f"template {getattr(exc, 'name', None) or template}{where}: {exc}") from exc
            return html.encode("utf-8")

        page_key = None
        if key is not None:
            inputs = (self.site_key, template, lang, path, index, repr(lastmod), key)
            known = self._known_page_keys.get(path)
            if known is not None and known[0] == inputs:
                page_key = known[1]
            else:
                page_key = self._digest(self.site_key, template, lang, path, index, lastmod, *key)
            self.page_keys[path] = (inputs, page_key)
        return Page(output_file(path), page_key, make)

    # -- editions --------------------------------------------------------------------------------
    def edition_stories(self, lang: str, day: date) -> list[tuple[Story, Article]]:
        """The day's top stories, each shown in ``lang`` when a version exists, else canonical."""
        top = self.by_day.get(day, [])[: self.cfg.top_stories]
        return [(story, story.version_in(lang) or story.canonical) for story in top]

    def day_updated(self, day: date) -> datetime | None:
        if day not in self._day_updated:  # asked by every edition's day page, the archive and the front page
            self._day_updated[day] = max((last_updated(s) for s in self.by_day.get(day, [])), default=None)
        return self._day_updated[day]

    def digest_page(self, lang: str, day: date | None, path: str, *, latest: bool) -> Page:
        days = self.site.days
        i = days.index(day) if day is not None else 0
        target: Callable[[str], str] = edition_path if latest else (lambda lg: day_path(lg, day))
        stories = tuple(self.story_key(s) for s in self.by_day.get(day, [])) if day is not None else ()
        return self._page(
            "digest.html",
            lang,
            path,
            switch=lambda: self.switch(lang, target),
            key=("digest", day, latest, stories),
            lastmod=self.day_updated(day) if day else None,
            day=day,
            items=self.edition_stories(lang, day) if day else [],
            latest=latest,
            newer=days[i - 1] if day is not None and i > 0 else None,
            older=days[i + 1] if day is not None and i + 1 < len(days) else None,
        )

    def archive_page(self, lang: str) -> Page:
        months: dict[tuple[int, int], list[tuple[date, int, list[Article]]]] = {}
        for day in self.site.days:
            items = self.edition_stories(lang, day)
            months.setdefault((day.year, day.month), []).append((day, len(items), [shown for _, shown in items[:3]]))
        newest = self.day_updated(self.site.days[0]) if self.site.days else None
        return self._page(
            "archive.html",
            lang,
            archive_path(lang),
            switch=lambda: self.switch(lang, archive_path),
            key=None,
            lastmod=newest,
            months=[(date(y, m, 1), days) for (y, m), days in months.items()],
        )

    def edition_pages(self, lang: str) -> Iterator[Page]:
        days = self.site.days
        yield self.digest_page(lang, days[0] if days else None, edition_path(lang), latest=True)
        for day in days:
            yield self.digest_page(lang, day, day_path(lang, day), latest=False)
        yield self.archive_page(lang)
        feed_items = [item for day in days for item in self.edition_stories(lang, day)]
        yield Page(feed_path(lang), None,
                   lambda: atom_feed(self.site, self.cfg, lang, feed_items, self.urls, self.strings(lang)))
        yield self._page("404.html", lang, not_found_path(lang), switch=lambda: self.switch(lang, edition_path),
                         key=("404",), index=False)

    # -- stories and articles --------------------------------------------------------------------
    def version_switch(self, story: Story, current: Article, here: str) -> list[Switch]:
        """Each edition: this story's version in its language, else that edition's front page."""
        def target(lg: str) -> str:
            if lg == current.lang:
                return here
            version = story.version_in(lg)
            return article_path(version) if version else edition_path(lg)

        return self.switch(current.lang, target)

    def story_pages(self, story: Story) -> Iterator[Page]:
        """The story's page and its articles' pages. A story that is the very same object as in the last build
        (with the same site-wide values) has the same pages with the same keys: they are listed from what the
        last build recorded, and rendered (if ever needed) from scratch."""
        known = self._known_story_pages.get(story.id)
        if known is not None and known[0] is story and known[1] == self.site_key:
            self.story_page_lists[story.id] = known
            self.story_keys[story.id] = (story, known[2])
            for n, (out, key, path, lastmod, entry) in enumerate(known[3]):
                self.indexable.append((path, lastmod))
                self.page_keys[path] = entry
                yield Page(out, key, partial(self._story_page_again, story, n))
            return
        listed = []
        for page, path, lastmod in self._story_pages(story):
            listed.append((page.out, page.key, path, lastmod, self.page_keys[path]))
            yield page
        self.story_page_lists[story.id] = (story, self.site_key, self.story_key(story), tuple(listed))

    def _story_pages(self, story: Story) -> Iterator[tuple[Page, str, datetime | None]]:
        shown = story.canonical
        key = ("story", self.story_key(story))
        path, lastmod = story_path(story), last_updated(story)
        yield self._page(
            "story.html", shown.lang, path,
            switch=lambda: self.version_switch(story, shown, story_path(story)),
            key=key, lastmod=lastmod, story=story, shown=shown,
        ), path, lastmod
        for article in story.articles:
            path = article_path(article)
            yield self._page(
                "article.html", article.lang, path,
                switch=lambda article=article: self.version_switch(story, article, article_path(article)),
                key=(*key, article.id), lastmod=article.date, story=story, article=article,
            ), path, article.date

    def _story_page_again(self, story: Story, n: int) -> bytes:
        """The ``n``-th page of ``story`` listed from the last build, rendered now (its file was deleted, say)."""
        listed = (self.indexable, self.page_keys)  # already recorded when the pages were listed
        self.indexable, self.page_keys = [], {}
        try:
            page = list(self._story_pages(story))[n][0]
        finally:
            self.indexable, self.page_keys = listed
        return page.make()

    # -- everything ------------------------------------------------------------------------------
    def jobs(self) -> Iterator[Page]:
        """Every output file in output order. Sitemap entries are gathered as the jobs are listed."""
        site = self.site
        for _rel, (hashed, data) in sorted(self.assets.items()):
            yield Page(hashed, None, lambda data=data: data)
        for lang in site.languages:
            yield from self.edition_pages(lang)
        yield self.digest_page(self.default, site.days[0] if site.days else None, "", latest=True)
        for story in site.stories:
            yield from self.story_pages(story)
        yield self._page("404.html", self.default, not_found_path(), switch=lambda: self.switch(self.default, edition_path),
                         key=("404",), index=False)
        yield Page("api/stories.json", None, lambda: stories_json(site, self.url))
        if self.urls.has_host:
            yield Page("sitemap.xml", None, lambda: sitemap_xml(self.indexable, self.alternates, self.urls))
        else:
            log.info("base_url %r has no scheme and host: no sitemap.xml, and feed links are root-relative "
                     "(set base_url to the full address, e.g. https://example.org%s)", self.cfg.base_url, self.prefix)
        yield Page("robots.txt", None, lambda: robots_txt(self.urls))

    def pages(self) -> Iterable[tuple[str, bytes]]:
        """(output file, bytes) of every page, rendered now."""
        for page in self.jobs():
            yield page.out, page.make()


def render_site(site: Site, cfg: SiteConfig) -> dict[str, bytes]:
    """Every output file of the site, in memory. No I/O besides reading the theme."""
    files: dict[str, bytes] = {}
    for path, data in Renderer(site, cfg).pages():
        if path in files:
            log.warning("two pages want %s; the later one is skipped", path)
            continue
        files[path] = data
    return files

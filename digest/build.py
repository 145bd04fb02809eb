"""The build pipeline: an explicit ordered list of stages from content/ to the files of output/.

Two ways to run it:

* :func:`build_site` — one full build (read, parse, group, render, write), as tests and tools use it;
* :class:`Builder` — the incremental build that ``digest build`` and ``digest serve`` use. It keeps
  the previous build's state (in memory, and on disk in ``.digest-cache/`` for the next process)
  so a rebuild does only what its changed inputs require, and gives byte-identical output to a
  clean build of the same inputs:

  1. **read** — every content file is stat'ed; one whose (mtime, ctime, size, inode) is unchanged
     is not read again; a changed one is read and hashed; same bytes → same result as before.
  2. **articles** — new bytes are parsed, or taken from the article cache (content hash + path +
     mtime + fingerprint of the parsing code and config: :mod:`digest.article_cache`); the
     boilerplate learned from all .txt files is only re-learned when a .txt file changed, and
     articles parsed with an older boilerplate are re-parsed only if it changed. Many files are
     parsed on every core (:mod:`digest.parallel`), in a deterministic order.
  3. **group** — skipped when the articles are the same as last time (same fingerprints); else
     run again over all articles, with embeddings from the cache (only new text is encoded).
  4. **render** — every page has a key over its inputs (:class:`digest.render.Page`); pages whose
     key is unchanged are not rendered (their bytes are already in output/). Rendered pages go
     straight to :class:`digest.write.OutputWriter`, which stages the changed ones on disk.
  5. **write** — the writer commits: only changed bytes are written, stale files are removed.

  When nothing changed at all (files, config, theme, and output/ as we left it), a build stops
  after step 1 and writes nothing.

  Grouping is global (every article's score depends on all the others), so a changed article
  costs a full grouping pass. For the dev server there is a two-step rebuild: ``build(cfg,
  changed=paths, quick=True)`` reads only ``paths``, keeps the previous stories (the changed
  article stays in its story, a new one stands alone) and writes the affected pages at once
  (``result.provisional``); a following ``build(cfg)`` groups again and makes the output exactly
  what a clean build gives.

  Usage (the dev server keeps one Builder for its life)::

      builder = Builder(include_drafts=False)
      result = builder.build(load_config(site))            # first build: cold or from .digest-cache/
      result = builder.build(load_config(site))            # after saves: only what changed is redone
      quick = builder.build(cfg, changed=[path], quick=True)  # serve: the saved page, current at once …
      exact = builder.build(cfg)                            # … then exact (regroups), reload again if written
      builder.close()

  ``Builder`` is callable like the serve loop's ``builder(cfg)``. ``progress`` (a
  :class:`digest.progress.Progress`) receives stage names and counts.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .config import SiteConfig
from .errors import BuildError, ContentError
from .models import Article, Problem, Site, SourceFile

if TYPE_CHECKING:
    from .article_cache import Parsed
    from .boilerplate import Boilerplate
    from .embed import Embedder

# The stages' modules (extraction, grouping with numpy, …) are imported when a stage runs: a build that
# finds nothing changed needs none of them, and importing them takes longer than that whole build.

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    """What a build did: the site it gathered, the files it wrote or removed, and how long each stage took.

    After a build that found nothing changed, ``site`` is loaded from the saved state on first use.
    """

    loaded_site: Site | None
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    timings: tuple[tuple[str, float], ...] = ()
    counts: tuple[int, int, int] | None = None  # articles, stories, languages
    saved_problems: tuple[Problem, ...] | None = None
    load_site: Callable[[], Site] | None = field(default=None, repr=False, compare=False)
    provisional: bool = False  # a quick build (see Builder.build): stories as last time, exact on the next build

    @property
    def site(self) -> Site:
        if self.loaded_site is None:
            assert self.load_site is not None
            object.__setattr__(self, "loaded_site", self.load_site())
        assert self.loaded_site is not None
        return self.loaded_site

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.saved_problems if self.saved_problems is not None else self.site.problems

    @property
    def summary(self) -> tuple[int, int, int]:
        """(articles, stories, languages) of the site, without loading it."""
        if self.counts is not None:
            return self.counts
        return len(self.site.articles), len(self.site.stories), len(self.site.languages)


@dataclass
class _State:
    """Mutable scratch space threaded through the stages of one build (never escapes build.py)."""

    cfg: SiteConfig
    embedder: Embedder
    include_drafts: bool
    parse_cache: bool = False  # parsed articles from (and into) the site's cache, parsed on every core
    sources: list[SourceFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    site: Site | None = None


def _stage_read(st: _State) -> None:
    from .read import read_content

    if not st.cfg.content_path.is_dir():
        raise BuildError(f"no content folder at {st.cfg.content_path}: create it and put article files (.txt, .md) in it")
    for item in read_content(st.cfg.content_path, st.problems):
        if isinstance(item, ContentError):
            st.problems.append(Problem(item.path, item.message, item.line, "error"))
        else:
            st.sources.append(item)


def _stage_articles(st: _State) -> None:
    from .articles import make_article
    from .extract import learn_boilerplate
    from .tokens import forget_lines

    boilerplate = learn_boilerplate([(s.path, s.body) for s in st.sources if s.format == "txt"])
    parsed = _parse_cached(st, boilerplate) if st.parse_cache else None
    for src in st.sources:
        if parsed is not None:
            p = parsed[src.path]
            st.problems.extend(p.problems)
            if p.error is not None:
                st.problems.append(p.error)
                continue
            assert p.article is not None
            article = p.article
        else:
            try:
                article = make_article(src, st.cfg, boilerplate, st.problems)
            except ContentError as err:
                st.problems.append(Problem(err.path, err.message, err.line, "error"))
                continue
        if article.draft and not st.include_drafts:
            log.info("%s: draft, not published (build with --drafts to include it)", src.path)
            continue
        st.articles.append(article)
    forget_lines()
    st.articles = _unique_slugs(st.articles)


def _parse_cached(st: _State, boilerplate: Boilerplate) -> dict[str, Parsed]:
    """Every source parsed, by path: from the site's article cache (what the last ``digest build`` parsed, under
    the same key), the others on every core and stored there. For the commands that report on a site
    (``digest stories``, ``digest check``): a clean build keeps to plain parsing, the reference the
    incremental build is checked against."""
    from functools import partial

    from .article_cache import ArticleCache, boilerplate_key, parse_source
    from .cache import Cache
    from .parallel import ordered_map

    bp_key = boilerplate_key(boilerplate)
    cache = ArticleCache(Cache(st.cfg.root / ".digest-cache"), st.cfg)
    try:
        found = cache.get_many(st.sources, bp_key)
        todo = [s for s in st.sources if s.path not in found]
        fresh = ordered_map(partial(parse_source, cfg=st.cfg, boilerplate=boilerplate, boilerplate_key=bp_key), todo)
        cache.put_many({s.path: (s, p) for s, p in zip(todo, fresh)})
    finally:
        cache.cache.close()
    log.debug("articles: %d parsed, %d from the article cache", len(todo), len(found))
    return {**found, **{s.path: p for s, p in zip(todo, fresh)}}


def _unique_slugs(articles: Sequence[Article], reuse: Mapping[str, tuple[Article, Article]] | None = None
                  ) -> list[Article]:
    """Two articles of one language never share a URL: later paths get -2, -3, … (the first suffix that no
    other article has, as its own slug or as a suffixed one).

    ``reuse`` (path → (article, its renamed copy), from an earlier call) gives the very same copy back
    for the very same article renamed alike."""
    ordered = sorted(articles, key=lambda a: a.path)
    wanted = {(a.lang, a.slug) for a in ordered}
    used: set[tuple[str, str]] = set()
    out = []
    for a in ordered:
        if (a.lang, a.slug) not in used:
            used.add((a.lang, a.slug))
            out.append(a)
            continue
        n = 2
        while (a.lang, f"{a.slug}-{n}") in used or (a.lang, f"{a.slug}-{n}") in wanted:
            n += 1
        slug = f"{a.slug}-{n}"
        used.add((a.lang, slug))
        before = reuse.get(a.path) if reuse else None
        out.append(before[1] if before is not None and before[0] is a and before[1].slug == slug
                   else a.with_slug(slug))
    return out


def site_languages(cfg: SiteConfig, articles: Sequence[Article]) -> tuple[str, ...]:
    """Configured languages in order, else the languages found (most articles first)."""
    if cfg.languages:
        return cfg.languages
    counts = Counter(a.lang for a in articles)
    return tuple(sorted(counts, key=lambda lang: (-counts[lang], lang))) or ("en",)


def generated_time(articles: Sequence[Article]) -> datetime:
    """SOURCE_DATE_EPOCH when set, else the newest article's date: never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return max((a.date for a in articles), default=datetime(1970, 1, 1, tzinfo=timezone.utc))


def _stage_group(st: _State) -> None:
    from .group import group_articles
    from .rank import assemble_stories

    languages = site_languages(st.cfg, st.articles)
    default = st.cfg.default_language or languages[0]
    grouping = group_articles(st.articles, st.cfg.grouping, st.embedder)
    stories = assemble_stories(st.articles, grouping, st.cfg, languages)
    st.site = Site(
        articles=tuple(st.articles),
        stories=stories,
        languages=languages,
        default_language=default,
        generated=generated_time(st.articles),
        problems=tuple(st.problems),
    )


GATHER_STAGES: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("read", _stage_read),
    ("articles", _stage_articles),
    ("group", _stage_group),
)


def gather_site(cfg: SiteConfig, *, embedder: Embedder | None = None, include_drafts: bool = False,
                timings: list[tuple[str, float]] | None = None, parse_cache: bool = False) -> Site:
    """Run every stage up to ranking; nothing is rendered or written. ``parse_cache``: parsed articles from
    the site's cache (see ``_parse_cached``)."""
    st = _State(cfg, embedder or default_embedder(cfg), include_drafts, parse_cache)
    for name, stage in GATHER_STAGES:
        start = time.perf_counter()
        stage(st)
        if timings is not None:
            timings.append((name, time.perf_counter() - start))
        log.debug("stage %s done in %.3fs", name, time.perf_counter() - start)
    assert st.site is not None
    log_problems(st.site.problems)
    return st.site


def log_problems(problems: Sequence[Problem]) -> None:
    """Each problem on the log, as an error or a warning (what a build shows of them)."""
    for problem in problems:
        (log.error if problem.level == "error" else log.warning)("%s", problem)


def collect_articles(cfg: SiteConfig, *, parse_cache: bool = False) -> tuple[tuple[Article, ...], tuple[Problem, ...]]:
    """Read and infer every article (no grouping): for tools and benchmarks of the reading stages."""
    from .embed import Embedder

    st = _State(cfg, Embedder(None), include_drafts=False, parse_cache=parse_cache)
    _stage_read(st)
    _stage_articles(st)
    return tuple(st.articles), tuple(st.problems)


def build_site(cfg: SiteConfig, *, embedder: Embedder | None = None, include_drafts: bool = False) -> BuildResult:
    """Gather, render in memory, then write output/ (the only writer). A failed build writes nothing."""
    from .render import render_site
    from .write import write_output

    timings: list[tuple[str, float]] = []
    site = gather_site(cfg, embedder=embedder, include_drafts=include_drafts, timings=timings)
    start = time.perf_counter()
    files = render_site(site, cfg)
    timings.append(("render", time.perf_counter() - start))
    start = time.perf_counter()
    report = write_output(cfg.output_path, files, site_root=cfg.root, content_dir=cfg.content_path)
    timings.append(("write", time.perf_counter() - start))
    return BuildResult(site, report.written, report.removed, report.unchanged, tuple(timings))


def default_embedder(cfg: SiteConfig) -> Embedder:
    """The site's embedder, one BLAS thread: a big batch of new text is encoded in one worker process per
    core (:mod:`digest.prewarm`), each with one thread; what is left to this process (a rebuild's few new
    texts, the dev server's) gains little from a second (1,000 headlines on an idle 2-core machine: 1.1 s
    with one, 0.9 s with two) and would take it from the other work of the process."""
    from .embed import Embedder

    return Embedder(cfg.root / ".digest-cache", threads=1)


from .incremental import Builder  # noqa: E402, F401  (re-exported; the incremental build uses the stages above)

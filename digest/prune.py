"""``digest build --gc``: drop the cache entries the current content no longer asks for, as ``hugo --gc`` does.

The cache (``.digest-cache/cache.sqlite3``) is keyed by content: an edited or deleted article, or
a new version of the parser, leaves entries nobody will read again (at 100,000 articles the file
grew from 2.0 to 2.5 GB after one parser change). Kept: the parse of every content file as it is
now, the embedding of every headline and lead the current articles give grouping, and the pages of
the last build.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .article_cache import NAMESPACE, ArticleCache
from .page_cache import NAMESPACE as PAGES
from .cache import Cache
from .config import SiteConfig
from .embed import Embedder
from .group_model import embedded_texts
from .models import Article, SourceFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PruneReport:
    removed: int  # entries deleted
    bytes_before: int
    bytes_after: int


def keys_in_use(cfg: SiteConfig, sources: Iterable[SourceFile], articles: Sequence[Article],
                pages: Iterable[str] = ()) -> dict[str, set[str]]:
    """The cache keys, by namespace, that building this content reads (``pages``: the SHA-256 of each page
    the last build wrote)."""
    parses = ArticleCache(Cache(None), cfg)  # only its keys
    embedder = Embedder(None)  # only its keys: the model is never loaded
    return {
        NAMESPACE: {parses.key(src) for src in sources},
        "embedding": {embedder.key(t) for t in embedded_texts(articles)},
        PAGES: set(pages),
    }


def prune_cache(cache_dir: Path, keep: dict[str, set[str]]) -> PruneReport:
    """Delete every entry of ``cache_dir``'s cache that is not in ``keep``, and compact the file."""
    cache = Cache(cache_dir)
    path = cache.path
    assert path is not None
    before = path.stat().st_size if path.exists() else 0
    try:
        removed = cache.retain(keep) if before else 0
    finally:
        cache.close()
    after = path.stat().st_size if path.exists() else 0
    return PruneReport(removed, before, after)

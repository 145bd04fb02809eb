"""Encode ahead: the texts grouping will embed, encoded on every core into the embedding cache first.

Grouping then finds every vector in the cache. Which texts: :func:`digest.group_model.embedded_texts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .models import Article
from .parallel import ordered_map
from .progress import Progress

if TYPE_CHECKING:
    from .embed import Embedder
    from .group_model import Texts

SAMPLE = 64  # texts looked up to tell whether the cache still holds the last build's vectors
_WORKER_EMBEDDERS: dict[str, Embedder] = {}  # one model per worker process, kept across its tasks


def _encode_chunk(texts: list[str], cache_dir: str, threads: int) -> int:
    """In a worker: encode ``texts`` into the shared on-disk cache (SQLite serialises the writers)."""
    from .embed import Embedder

    embedder = _WORKER_EMBEDDERS.get(cache_dir)
    if embedder is None:
        embedder = _WORKER_EMBEDDERS[cache_dir] = Embedder(Path(cache_dir), threads=threads)
    embedder.encode_half(texts)  # for the cache: no float32 copy of the vectors is needed
    return len(texts)


def prewarm_embeddings(articles: Sequence[Article], embedder: Embedder, workers: int | None,
                        progress: Progress, texts: Texts | None = None, fresh: int | None = None) -> None:
    """Encode the texts grouping will ask for on every core, into the embedding cache, before grouping runs.

    Which texts: :func:`digest.group_model.embedded_texts` (cleaned headlines, leads); ``texts``: the
    articles' ``embedding_texts`` when the caller has them. ``fresh``: how many of the articles are new or
    changed since the last build, when the caller knows. Fewer than a worker is worth, with a sample of the
    texts all cached (not a new encoder, not a lost cache): the whole cache is not looked through (at
    100,000 articles that took 13 s of a one-edit rebuild), and grouping encodes the few new texts itself.
    """
    from .group_model import embedded_texts
    from .parallel import MIN_ITEMS, worker_count

    folder = embedder.cache.folder
    if folder is None or worker_count(len(articles), workers) <= 1:
        return
    wanted = embedded_texts(articles, texts)
    if fresh is not None and fresh < MIN_ITEMS and wanted:
        sample = [embedder.key(t) for t in wanted[:: max(1, len(wanted) // SAMPLE)]]
        if len(embedder.cache.present("embedding", sample)) == len(set(sample)):
            return
    keys = [embedder.key(t) for t in wanted]
    stored = embedder.cache.present("embedding", keys)  # not the vectors: 200 MB at 100,000 articles
    missing = [t for t, k in zip(wanted, keys) if k not in stored]
    if len(missing) < MIN_ITEMS:
        return
    progress.stage("encode", len(missing))
    size = 256
    chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
    counts = ordered_map(partial(_encode_chunk, cache_dir=str(folder), threads=embedder.threads), chunks,
                         workers=workers, chunk=1, min_items=2)
    progress.advance(sum(counts))

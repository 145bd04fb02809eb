"""Rendered pages kept in the site's cache, by the SHA-256 of their bytes.

A page whose key is unchanged but whose file is gone from output/ (``rm -rf output``, a CI job that
restores ``.digest-cache/`` but not the output) is copied back from here instead of rendered again:
the key covers everything the page is made from, and the last build recorded the SHA-256 of the
bytes it wrote for that key. Stored zlib-compressed (HTML packs ~4×: a 10,000-article site's 117 MB of
pages take 27 MB); a blob that does not unpack to bytes with its SHA-256 is ignored and the page is
rendered, so the cache can only save work, never change a byte of the output.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .cache import Cache

NAMESPACE = "page"
LEVEL = 1  # zlib: level 6 packs 10% smaller at 1.5× the time
STEP = 2048  # pages read or written at a time (a page packs to ~2-3 KB)
AHEAD = 512  # pages unpacked ahead of the writer by ``read_ahead`` (a page is ~10 KB unpacked)


def pack(body: bytes) -> bytes:
    return zlib.compress(body, LEVEL)


class PageCache:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def put_many(self, packed: Mapping[str, bytes]) -> None:
        """Store packed pages (SHA-256 of the page → :func:`pack` of it)."""
        self.cache.put_many(NAMESPACE, packed)

    def each(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(sha, page) of those ``shas`` whose page is stored intact, one at a time (see ``Cache.each``)."""
        for sha, blob in self.cache.each(NAMESPACE, shas):
            try:
                body = zlib.decompress(blob)
            except zlib.error:
                continue
            if hashlib.sha256(body).hexdigest() == sha:
                yield sha, body


def read_ahead(folder: Path, steps: Sequence[Iterable[str]]) -> Iterator[list[tuple[str, bytes]]]:
    """For each step of SHA-256s, the (sha, page) pairs of :meth:`PageCache.each`, read one step ahead of the
    caller on a thread of its own, with its own connection to the cache in ``folder``. SQLite, unpacking and
    hashing let go of the GIL, as does creating files: the copy of a warm build reads while it writes."""
    reader = PageCache(Cache(folder))  # used on the reading thread only (a connection belongs to its thread)

    def read(shas: Iterable[str]) -> list[tuple[str, bytes]]:
        return list(reader.each(shas))

    with ThreadPoolExecutor(1, thread_name_prefix="page-cache") as pool:
        try:
            ahead = [pool.submit(read, step) for step in steps[:1]]
            for k in range(len(steps)):
                found = ahead.pop().result()
                if k + 1 < len(steps):
                    ahead.append(pool.submit(read, steps[k + 1]))
                yield found
        finally:
            pool.submit(reader.cache.close)  # after the step still in flight, if the caller stopped early

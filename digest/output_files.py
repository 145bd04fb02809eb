"""The output files of an incremental build, as the writer reads them: fresh bytes, or bytes already in output/.

Rendered bytes are held as they are until they add up to ``COMPRESS_AFTER``, then zlib-compressed
(HTML shrinks ~5x) so a 100,000-article site fits in memory until it is written. A page whose key
did not change is not rendered: its bytes are read from output/ if the writer asks, checked against
the hash we recorded, and rendered after all if they differ.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path


COMPRESS_AFTER = 256 * 1024 * 1024


class OutputFiles(Mapping[str, bytes]):
    """Every output file for the writer: rendered bytes, or (for pages whose key did not change) the bytes
    already in output/, read when asked and checked against the hash we wrote; rendered again if they differ."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.fresh: dict[str, bytes] = {}
        self.packed: set[str] = set()
        self.reused: dict[str, tuple[str, object]] = {}  # name → (sha256, Page)
        self.order: list[str] = []
        self.hashes: dict[str, str] = {}
        self.size = 0

    def add(self, name: str, data: bytes) -> str:
        self.order.append(name)
        self.hashes[name] = sha = hashlib.sha256(data).hexdigest()
        self.size += len(data)
        if self.size > COMPRESS_AFTER:
            self.fresh[name] = zlib.compress(data, 1)
            self.packed.add(name)
        else:
            self.fresh[name] = data
        return sha

    def reuse(self, name: str, sha: str, page: object) -> None:
        """A page not rendered: its bytes are in output/ (checked: same size and time as after the last write)."""
        self.order.append(name)
        self.hashes[name] = sha
        self.reused[name] = (sha, page)

    def __contains__(self, name: object) -> bool:
        return name in self.fresh or name in self.reused

    def __getitem__(self, name: str) -> bytes:
        if name in self.fresh:
            data = self.fresh[name]
            return zlib.decompress(data) if name in self.packed else data
        sha, page = self.reused[name]
        try:
            data = (self.out / name).read_bytes()
            if hashlib.sha256(data).hexdigest() == sha:
                return data
        except OSError:
            pass
        return page.make()  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[str]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)

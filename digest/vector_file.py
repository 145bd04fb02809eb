"""The vectors of the last build's headlines (or leads) in one flat file beside the cache, read in one pass.

A rebuild asks the embedder for every headline and lead again. From the SQLite cache that is one
B-tree lookup per text, in pages spread through a file that also holds parsed articles and pages:
the 200,000 vectors of the 100,000-article benchmark site took 3.1-3.5 s with the cache file in the
operating system's memory and 65 s when it was not (a 3.9 GB file). Here the same vectors lie in
one file in key order, found by a binary search over the keys and read in file order: 0.6-0.9 s,
1.4 s on a first read.

The file is an index, never the truth: it holds exactly the bytes the cache holds for those
keys (the keys name the model and the text), a file that does not read right is ignored, and it
is written whole to a temporary name, flushed to the disk and renamed, so a reader (after a crash too)
sees the old file or the new one.
It is rewritten when more than ``STALE_SHARE`` of the texts asked for were not in it (a one-edit
rebuild reads the edited headline from the cache and does not rewrite 200 MB).

Layout: ``MAGIC``, then the number of rows and the width as two little-endian int64, then the
keys (64 ASCII hex characters each, ascending), then the rows (float16, little-endian).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAGIC = b"NDVEC001"
_HEADER = len(MAGIC) + 16
KEY = np.dtype("S64")
STALE_SHARE = 0.01
LEFTOVER_SECONDS = 3600


def _path(folder: Path, name: str) -> Path:
    return folder / f"vectors-{name}.bin"


def lookup(folder: Path | None, name: str, keys: Sequence[str], into: np.ndarray) -> np.ndarray:
    """Copy the rows of those ``keys`` that are in the file into the same rows of ``into`` (len(keys), width),
    float16; return their positions (none without a usable file)."""
    none = np.zeros(0, dtype=np.int64)
    dim = into.shape[1]
    if folder is None or not keys:
        return none
    path = _path(folder, name)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEADER)
            size = os.fstat(fh.fileno()).st_size
    except OSError:
        return none
    if len(head) != _HEADER or head[: len(MAGIC)] != MAGIC:
        return none
    n, width = (int(x) for x in np.frombuffer(head[len(MAGIC):], dtype="<i8"))
    if width != dim or n < 1 or size != _HEADER + n * (KEY.itemsize + 2 * dim):
        log.debug("%s is not a vector file of this build (ignored)", path)
        return none
    try:
        stored = np.memmap(path, dtype=KEY, mode="r", offset=_HEADER, shape=(n,))
        rows = np.memmap(path, dtype="<f2", mode="r", offset=_HEADER + n * KEY.itemsize, shape=(n, dim))
        wanted = np.array(keys, dtype=KEY)
        at = np.minimum(np.searchsorted(stored, wanted), n - 1)
        found = np.flatnonzero(stored[at] == wanted)
        found = found[np.argsort(at[found], kind="stable")]  # read the rows in file order
        for start in range(0, len(found), 8192):  # (a gather of every row at once would be a second copy)
            part = found[start : start + 8192]
            into[part] = rows[at[part]]
    except (OSError, ValueError) as exc:
        log.debug("%s cannot be read (%s): ignored", path, exc)
        return none
    finally:
        stored = rows = None  # unmapped
    return found


def should_write(found: int, asked: int) -> bool:
    """Whether the file missed enough of ``asked`` texts to be written again."""
    return asked > 0 and asked - found > STALE_SHARE * asked


def write(folder: Path | None, name: str, keys: Sequence[str], rows: np.ndarray) -> None:
    """Replace the file with these keys (distinct) and their float16 rows; a failure only costs speed."""
    if folder is None or not keys:
        return
    ordered = np.array(keys, dtype=KEY)
    order = np.argsort(ordered, kind="stable")
    ordered = ordered[order]
    path = _path(folder, name)
    tmp: str | None = None
    try:
        # a temporary file of this writer's own (``digest serve`` and ``digest build`` may write at once), on
        # the disk before it is renamed: after a crash the file is the old one or the new one, whole
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=path.name + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + np.array([len(keys), rows.shape[1]], dtype="<i8").tobytes())
            fh.write(ordered.tobytes())
            fh.writelines(np.ascontiguousarray(rows[order[start : start + 8192]], dtype="<f2").tobytes()
                          for start in range(0, len(order), 8192))  # in steps: no second copy of every row
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        log.debug("vector file %s not written (%s)", path, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return
    _remove_leftovers(path)


def _remove_leftovers(path: Path) -> None:
    """Delete temporary copies of ``path`` that a writer killed before its rename left behind (up to 100 MB each
    at 100,000 articles); only those an hour old, so another writer's copy in progress stays."""
    old = time.time() - LEFTOVER_SECONDS
    for leftover in path.parent.glob(glob.escape(path.name) + ".*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < old:
                leftover.unlink()

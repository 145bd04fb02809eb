"""What a build remembers for the next one: per-file signatures and results, keys, and what it wrote.

Kept in memory by a long-lived :class:`digest.build.Builder` (``digest serve``) and saved under
``.digest-cache/`` for the next ``digest build`` in two pickles: a small *index* (file signatures,
problems, counts, what was written: enough to see that nothing changed) and the *data* (parsed
articles, boilerplate, stories, page keys), loaded only when something did change.
Both carry a version and the parse fingerprint; a file that is missing, unreadable or from another
version is ignored (the build then starts from the article cache).
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .article_cache import Parsed
from .fingerprint import digest_of
from .models import Grouping, Problem, Site, SourceFile, Story

log = logging.getLogger(__name__)

VERSION = 1
Signature = tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode


def signature(path: Path) -> Signature | None:
    """What must stay the same for a file to be taken as unchanged without reading it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


@dataclass
class FileEntry:
    """One content file as the last build saw it."""

    sig: Signature | None
    source: SourceFile | None  # without its body once parsed (bodies are re-read when needed)
    error: Problem | None  # read error: the file is unusable
    warnings: tuple[Problem, ...] = ()  # decoding warnings (logged on every build)
    parsed: Parsed | None = None


@dataclass
class Index:
    """The small half of the saved state."""

    version: int = VERSION
    parse_key: str = ""
    drafts: bool = False
    sigs: dict[str, Signature | None] = field(default_factory=dict)  # raw content-relative path → signature
    inputs_key: str = ""  # config, theme files, SOURCE_DATE_EPOCH, our code and libraries
    output: dict[str, tuple[int, int]] = field(default_factory=dict)  # file → (size, mtime_ns) after the write
    counts: tuple[int, int, int] = (0, 0, 0)  # articles, stories, languages
    problems: tuple[Problem, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()  # (level, message) log lines replayed on a no-change build


@dataclass
class Data:
    """The large half: everything needed to rebuild only what changed."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    boilerplate_key: str | None = None
    boilerplate: Any = None
    boilerplate_fp: str = ""
    group_key: str | None = None
    grouping_key: str | None = None  # what the grouping below was made from (``group_model.grouping_inputs``)
    grouping: Grouping | None = None
    stories: tuple[Story, ...] | None = None
    site: Site | None = None
    memo: dict[str, tuple[str, str]] = field(default_factory=dict)  # output file → (page key, sha256)


def state_paths(cache_dir: Path, output: Path) -> tuple[Path, Path]:
    tag = digest_of(str(output.resolve()))[:12]
    return cache_dir / f"build-{tag}.index", cache_dir / f"build-{tag}.data"


def load(path: Path, kind: type) -> Any:
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # another version, a damaged file: start again
        log.debug("build state %s ignored (%s)", path, exc)
        return None
    return obj if isinstance(obj, kind) else None


def save(path: Path, obj: object) -> None:
    """Atomically replace ``path`` (a failure only costs the next build some time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(obj, fh, protocol=5)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        log.warning("cannot save the build state to %s (%s): the next build will take longer", path, exc)


def output_signatures(out: Path, names: list[str] | tuple[str, ...], *, each: bool = False
                      ) -> dict[str, tuple[int, int]] | None:
    """(size, mtime_ns) of each output file and the manifest; None when one is missing
    (with ``each``: the files that are there, without the manifest)."""
    found: dict[str, tuple[int, int]] = {}
    base = os.fspath(out)  # string joins: pathlib costs more than the lstat for 100,000 files
    for name in (names if each else (*names, ".digest-manifest.json")):
        try:
            st = os.lstat(os.path.join(base, name))
        except OSError:
            if each:
                continue
            return None
        found[name] = (st.st_size, st.st_mtime_ns)
    return found

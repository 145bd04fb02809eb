"""Fingerprints for incremental builds: of code, of a theme's files, of articles and stories.

A fingerprint is a short hex digest that changes whenever what it stands for could change an
output byte. They are compared, never parsed; when in doubt a fingerprint covers more than
needed (a needless re-render costs time, a missed one would publish a stale page).
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from functools import lru_cache
from operator import attrgetter
from pathlib import Path

from .models import Article, PairScore, Story


def digest_of(*parts: object) -> str:
    """A stable digest of plain values (str, bytes, numbers, tuples of them; anything else by repr)."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


@lru_cache(maxsize=32)
def code_fingerprint(modules: tuple[str, ...], packages: tuple[str, ...] = ()) -> str:
    """Source bytes of our ``modules`` (by import name) and the installed versions of ``packages``."""
    from importlib.metadata import PackageNotFoundError, version

    parts: list[object] = [sys.version_info[:2]]
    for name in modules:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        try:
            parts.append((name, Path(origin).read_bytes() if origin else b""))
        except OSError:
            parts.append((name, None))
    for pkg in packages:
        try:
            parts.append((pkg, version(pkg)))
        except PackageNotFoundError:
            parts.append((pkg, None))
    return digest_of(*parts)


@lru_cache(maxsize=1)
def installed_code() -> str:
    """Every module of this package (source bytes) and the installed version of each library it requires.

    A build that finds no input changed must still redo its work when this changes (``pip install -U``,
    a checkout of another version): the new code may group or render differently.
    """
    from importlib.metadata import PackageNotFoundError, requires

    modules = tuple(sorted(f"{__package__}.{p.stem}" for p in Path(__file__).parent.glob("*.py")))
    try:
        wanted = requires("news-digest") or []
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        wanted = []
    names = tuple(sorted({re.split(r"[\s;<>=!~\[(]", r, maxsplit=1)[0] for r in wanted if "extra ==" not in r}))
    return code_fingerprint(modules, names)


def files_fingerprint(folders: Iterable[Path]) -> str:
    """Every file below ``folders`` (path, size, modification time): a theme or i18n edit changes it.
    Folders are resolved first: the same folder reached by another path is the same fingerprint."""
    parts: list[object] = []
    for folder in (f.resolve() for f in folders):
        if not folder.is_dir():
            parts.append((str(folder), None))
            continue
        for file in sorted(folder.rglob("*")):
            try:
                st = file.stat()
            except OSError:
                continue
            if file.is_file():
                parts.append((str(file), st.st_size, st.st_mtime_ns))
    return digest_of(*parts)


def article_fingerprint(article: Article) -> str:
    """Every field of the article (its pickle is deterministic: frozen dataclass of plain values)."""
    return hashlib.sha256(pickle.dumps(article, protocol=5)).hexdigest()[:32]


_PAIR_VALUES = attrgetter(*(f.name for f in fields(PairScore)))  # every field, should one be added


#: What a page of the default theme never shows of a story: the scores of the pairs that hold it together
#: (they fill ``stories.json``, which has no key, and ``digest stories``). After one edit many of them move
#: a little, the story unchanged otherwise (word weights are corpus-wide): re-rendering those stories' pages,
#: ~750 unchanged pages of a 10,000-article site, took 2 s of a 12 s rebuild. So story keys cover the
#: pairs only when some template names them.
STORY_PAIRS = "pairs"


def story_fingerprint(story: Story, article_keys: Mapping[str, str], *, pairs: bool = True) -> str:
    """A story's own fields and the fingerprints of its articles, in order; its pair scores with ``pairs``.

    Pickled as plain tuples rather than ``repr``'d: a big story has thousands of pair scores, and
    the dataclass reprs cost five times more (0.66 s against 0.13 s for a 10,000-article site).
    """
    plain: tuple = (story.id, story.day.isoformat(), story.score, story.score_parts, story.canonical.id,
                    tuple(article_keys[a.id] for a in story.articles))
    if pairs:
        plain += ([_PAIR_VALUES(p) for p in story.pairs],)
    return hashlib.sha256(pickle.dumps(plain, protocol=5)).hexdigest()[:32]


def article_keys_for(articles: Sequence[Article], known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Article id → fingerprint, reusing ``known`` ones (computed when the article was parsed)."""
    out: dict[str, str] = {}
    for a in articles:
        key = known.get(a.id) if known else None
        out[a.id] = key or article_fingerprint(a)
    return out

"""Cheap lexical evidence that crosses languages: folded word stems, numbers, outlet-free headlines.

Words are transliterated and accent-folded with ``anyascii`` (Kharkiv/Харків → kharkiv,
Guinée/Guiné → guine…), lower-cased and cut to a 5-letter stem, so names, numbers and
cognates match across languages and inflections (Obama/Obamy, inflation/inflace). Numbers keep
their digits only (3,1 % and 3.1% match; 2 600 and 2,600 match). Each feature is weighted by its
inverse document frequency over the articles being grouped, so "tokyo" in an Olympics corpus
counts for little and "cambage" for a lot.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from anyascii import anyascii

STEM = 5  # letters kept of each folded word
BODY_CHARS = 2000  # body text considered for lexical evidence (the lead carries the event)
MAX_FEATURES = 80  # rarest features kept per article vector (memory and time at scale)
_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,\u00a0\u202f ]\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
_NOT_LETTER = re.compile(r"[^a-z]+")
_SEP = re.compile(r"\s+(?:[|\-–—:]{1,2}|::)\s+|\s*\|\s*")
_fold_cache: dict[str, str] = {}

Vector = dict[str, float]


def _fold(word: str) -> str:
    folded = _fold_cache.get(word)
    if folded is None:
        folded = _NOT_LETTER.sub("", anyascii(word).lower())[:STEM]
        if len(_fold_cache) < 500_000:
            _fold_cache[word] = folded
    return folded


def features(text: str) -> set[str]:
    """The set of folded stems (3+ letters) and numbers (2+ digits, as ``#digits``) of ``text``."""
    out: set[str] = set()
    for match in _WORD.finditer(text):
        w = match.group(0)
        if w[0].isdigit():
            digits = "".join(c for c in w if c.isdigit())
            if len(digits) >= 2:
                out.add("#" + digits.lstrip("0")[:12] if digits.strip("0") else "#0")
            continue
        f = _fold(w)
        if len(f) >= 3:
            out.add(f)
    return out


def idf_weights(docs: Iterable[set[str]]) -> tuple[dict[str, float], int]:
    """Inverse document frequency of every feature, and the number of documents."""
    df: Counter[str] = Counter()
    n = 0
    for d in docs:
        df.update(d)
        n += 1
    return {f: math.log((n + 1) / (c + 0.5)) for f, c in df.items()}, n


def vectorize(doc: set[str], idf: dict[str, float], limit: int = 0) -> Vector:
    """An L2-normalised IDF vector (binary term frequency); with ``limit``, only the rarest features."""
    vec = {f: idf[f] for f in doc if idf.get(f, 0.0) > 0.0}
    if limit and len(vec) > limit:
        vec = dict(sorted(vec.items(), key=lambda fw: (-fw[1], fw[0]))[:limit])
    norm = math.sqrt(math.fsum(w * w for w in vec.values()))
    return {f: w / norm for f, w in vec.items()} if norm else {}


def cosine(a: Vector, b: Vector) -> float:
    common = a.keys() & b.keys()  # set order varies with the string hash seed: fsum is order-independent
    return math.fsum([a[f] * b[f] for f in common]) if common else 0.0


def shared(a: Vector, b: Vector, limit: int = 6) -> tuple[str, ...]:
    """The heaviest features two vectors share (for explanations)."""
    common = sorted((f for f in a if f in b), key=lambda f: (-a[f] * b[f], f))
    return tuple(common[:limit])


def _segments(title: str) -> list[str]:
    return [p.strip() for p in _SEP.split(title) if p.strip()]


def outlet_segments(titles: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Headline segments that recur as a prefix or suffix ("… | Reuters", "Sports News | …")."""
    tails: Counter[str] = Counter()
    heads: Counter[str] = Counter()
    for t in titles:
        parts = _segments(t)
        if len(parts) > 1:
            tails[parts[-1].lower()] += 1
            heads[parts[0].lower()] += 1
    return (frozenset(s for s, c in heads.items() if c >= 2 and len(s.split()) <= 3),
            frozenset(s for s, c in tails.items() if c >= 2))


def clean_title(title: str, heads: frozenset[str] = frozenset(), tails: frozenset[str] = frozenset()) -> str:
    """The headline without outlet names and section labels around it (keeps at least 3 words)."""
    parts = _segments(title)
    if len(parts) < 2:
        return title.strip()
    original = len(parts)
    while len(parts) > 1:
        last = parts[-1].lower()
        if last in tails or ("|" in title and len(last.split()) <= 4):
            if len(" ".join(parts[:-1]).split()) >= 3:
                parts = parts[:-1]
                continue
        if parts[0].lower() in heads and len(" ".join(parts[1:]).split()) >= 3:
            parts = parts[1:]
            continue
        break
    return title.strip() if len(parts) == original else " – ".join(parts)

"""Cheap lexical evidence that crosses languages: folded word stems, numbers, outlet-free headlines.

Words are transliterated and accent-folded with ``anyascii`` (Kharkiv/Харків → kharkiv,
Guinée/Guiné → guine…), lower-cased and cut to a 5-letter stem, so names, numbers and
cognates match across languages and inflections (Obama/Obamy, inflation/inflace). Numbers keep
their digits only (3,1 % and 3.1% match; 2 600 and 2,600 match). Each feature is weighted by its
inverse document frequency over the articles being grouped, so "tokyo" in an Olympics corpus
counts for little and "cambage" for a lot.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from anyascii import anyascii

STEM = 5  # letters kept of each folded word
_SCRATCH = 1 << 20  # values of the dense scratch table of ``SparseVectors.cosines`` (8 MB)
_BATCH = 1 << 16  # partner features ``SparseVectors.cosines`` looks up at once (a few MB of index arrays)
BODY_CHARS = 2000  # body text considered for lexical evidence (the lead carries the event)
MAX_FEATURES = 80  # rarest features kept per article vector (memory and time at scale)
_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,\u00a0\u202f ]\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
_NOT_LETTER = re.compile(r"[^a-z]+")
_SEP = re.compile(r"\s+(?:[|\-–—:]{1,2}|::)\s+|\s*\|\s*")
_fold_cache: dict[str, str] = {}


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
    for w in set(_WORD.findall(text)):  # each distinct word once: a body repeats many
        if w[0].isdigit():
            digits = "".join(c for c in w if c.isdigit())
            if len(digits) >= 2:
                out.add("#" + digits.lstrip("0")[:12] if digits.strip("0") else "#0")
            continue
        f = _fold(w)
        if len(f) >= 3:
            out.add(f)
    return out


def body_features(text: str) -> tuple[str, ...]:
    """The features of a body's first ``BODY_CHARS`` characters (what grouping weighs beside the headline's),
    sorted."""
    return tuple(sorted(features(text[:BODY_CHARS])))


class Vocabulary:
    """Feature strings → ids, as documents are read (so no document keeps its set of strings)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def ids(self, doc: Iterable[str]) -> np.ndarray:
        get = self._ids.setdefault
        return np.array([get(f, len(self._ids)) for f in doc], dtype=np.int32)

    def sorted(self, docs: Sequence[np.ndarray]) -> tuple[tuple[str, ...], list[np.ndarray]]:
        """The features in string order, and ``docs`` with ids renumbered to that order (ascending)."""
        words = list(self._ids)
        order = sorted(range(len(words)), key=words.__getitem__)
        rank = np.empty(len(words), dtype=np.int32)
        rank[order] = np.arange(len(words), dtype=np.int32)
        return tuple(words[k] for k in order), [np.sort(rank[d]) for d in docs]


@dataclass(frozen=True)
class SparseVectors:
    """L2-normalised IDF vectors (binary term frequency) of many documents, as one sparse table:
    row ``k``'s feature ids (ascending; ids follow the features' string order) and weights.
    A few bytes per feature, where a dict per document took ~100 (100,000 articles × 80 features)."""

    vocab: tuple[str, ...]
    indptr: np.ndarray  # (n + 1,) row k is ids[indptr[k]:indptr[k + 1]]
    ids: np.ndarray  # int32
    weights: np.ndarray  # float64
    idf: np.ndarray | None = None  # (len(vocab),) each feature's inverse document frequency (before normalising)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every feature of ``rows``: the position of its row in ``rows``, and its index into ``ids``/``weights``
        (by position, then ascending id)."""
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        return np.repeat(np.arange(len(rows), dtype=np.int64), lengths), ranges(self.indptr[rows], lengths)

    def shared(self, i: np.ndarray, j: np.ndarray, limit: int = 6) -> list[tuple[str, ...]]:
        """For every pair (i[k], j[k]), the heaviest features both rows have (by the product of their
        weights; ties: string order), at most ``limit``: what explanations show. All pairs at once: the
        intersection of their rows' (pair, id) keys, each row's ids being ascending."""
        if len(i) == 0:
            return []
        size = np.int64(len(self.vocab))
        (pi, ai), (pj, aj) = self._entries(np.asarray(i)), self._entries(np.asarray(j))
        ki, kj = pi * size + self.ids[ai], pj * size + self.ids[aj]
        common, xi, xj = np.intersect1d(ki, kj, assume_unique=True, return_indices=True)
        product = self.weights[ai[xi]] * self.weights[aj[xj]]
        pair, feature = np.divmod(common, size)
        order = np.lexsort((feature, -product, pair))  # ids follow the features' string order
        pair, feature = pair[order], feature[order]
        rank = np.arange(len(pair)) - np.searchsorted(pair, pair, side="left")
        keep = rank < limit
        out: list[list[str]] = [[] for _ in range(len(i))]
        for p, f in zip(pair[keep].tolist(), feature[keep].tolist()):
            out[p].append(self.vocab[f])
        return [tuple(x) for x in out]

    def rarest_unshared(self, i: np.ndarray, j: np.ndarray, block: int = 16384) -> np.ndarray:
        """For every pair (i[k], j[k]): the inverse document frequency of the rarest feature of row i[k] that row
        j[k] lacks, and the same the other way, the smaller of the two (0 when one row's features are all in the
        other): both headlines name something rare the other does not — two places, two people. ``block`` pairs
        at a time (each row's ids ascending, so each side's (pair, id) keys are too): ~8 MB of index arrays per
        thread; 65,536 pairs at a time added 40 MB to a one-edit rebuild's peak at 10,000 articles."""
        assert self.idf is not None
        out = np.zeros(len(i), dtype=np.float64)
        size = np.int64(len(self.vocab))
        for s in range(0, len(i), block):
            sides = []
            for rows in (np.asarray(i[s : s + block]), np.asarray(j[s : s + block])):
                pair, at = self._entries(rows)
                ids = self.ids[at]
                sides.append((pair, pair * size + ids, ids))
            rarest = []
            for (pair, key, ids), (_, other, _) in ((sides[0], sides[1]), (sides[1], sides[0])):
                at = np.searchsorted(other, key)
                alone = other[np.minimum(at, len(other) - 1)] != key if len(other) else np.ones(len(key), dtype=bool)
                top = np.zeros(min(block, len(i) - s), dtype=np.float64)
                np.maximum.at(top, pair[alone], self.idf[ids[alone]])
                rarest.append(top)
            out[s : s + block] = np.minimum(rarest[0], rarest[1])
        return out

    def heaviest(self, rows: np.ndarray, limit: int, block: int = 8192) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each of ``rows``' ``limit`` heaviest features (ties: string order): (row, id, weight) arrays,
        by ascending row. ``block`` rows at a time: every feature of 100,000 articles at once took
        ~330 MB of index arrays (measured), a block a few MB."""
        rows = np.sort(rows)
        parts = [self._heaviest(rows[s : s + block], limit) for s in range(0, len(rows), block)]
        if not parts:
            return self._heaviest(rows, limit)
        return tuple(np.concatenate(p) for p in zip(*parts))  # type: ignore[return-value]

    def _heaviest(self, rows: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        at = ranges(self.indptr[rows], lengths)
        row = np.repeat(rows, lengths)
        order = np.lexsort((self.ids[at], -self.weights[at], row))
        first = np.repeat(np.cumsum(lengths) - lengths, lengths)
        top = order[np.arange(len(order)) - first < limit]
        return row[top], self.ids[at][top], self.weights[at][top]

    def cosines(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """The cosine of rows i[k] and j[k] for every k: each distinct i is spread into a row of a dense
        scratch table once, and its partners' features are looked up in it. Distinct i's are taken a batch
        at a time (as many rows as ``_SCRATCH`` values hold, their partners' features up to ``_BATCH``),
        so numpy is called once per batch rather than once per distinct i; each pair's products are summed
        in the order of its j's features either way."""
        out = np.zeros(len(i), dtype=np.float64)
        if len(i) == 0:
            return out
        order = np.argsort(i, kind="stable")
        si, sj = i[order], j[order]
        bounds = runs(si)
        partners = np.cumsum(self.indptr[sj + 1] - self.indptr[sj]).tolist()  # features of j, cumulated
        most = max(1, _SCRATCH // max(1, len(self.vocab)))
        scratch = np.zeros((min(most, len(bounds)), len(self.vocab)), dtype=np.float64)
        b = 0
        while b < len(bounds):
            first = bounds[b][0]
            before = partners[first - 1] if first else 0
            end = b + 1
            while end < len(bounds) and end - b < most and partners[bounds[end][1] - 1] - before <= _BATCH:
                end += 1
            part, b = bounds[b:end], end
            rows = si[[s for s, _ in part]]
            lengths = self.indptr[rows + 1] - self.indptr[rows]
            at = ranges(self.indptr[rows], lengths)
            spread = (np.repeat(np.arange(len(rows)), lengths), self.ids[at])
            scratch[spread] = self.weights[at]
            s, e = part[0][0], part[-1][1]
            mine = np.repeat(np.arange(len(rows)), [stop - start for start, stop in part])  # each pair's scratch row
            js = sj[s:e]
            lengths = self.indptr[js + 1] - self.indptr[js]
            at = ranges(self.indptr[js], lengths)
            products = scratch[np.repeat(mine, lengths), self.ids[at]] * self.weights[at]
            out[order[s:e]] = np.bincount(np.repeat(np.arange(e - s), lengths), weights=products, minlength=e - s)
            scratch[spread] = 0.0
        return out


def runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of equal values in the sorted array ``values``."""
    cuts = (np.flatnonzero(np.diff(values)) + 1).tolist()
    return list(zip([0, *cuts], [*cuts, len(values)]))


def unique(values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """``np.unique`` of a 1-D array (sorted distinct values), by a sort and a comparison of neighbours:
    the same result, 8x sooner on millions of pair keys (numpy 2.4: 4,000,000 int64 in 2.1 s against 0.26 s).

    ``in_place``: ``values`` is the caller's scratch copy and is sorted where it is, not copied (for
    the candidate pair keys at 100,000 articles: 100 MB less at grouping's peak)."""
    if in_place:
        values.sort()
        v = values
    else:
        v = np.sort(values)
    new = np.empty(len(v), dtype=bool)
    new[:1] = True
    np.not_equal(v[1:], v[:-1], out=new[1:])
    return v[new]


def unique_of(parts: list[np.ndarray]) -> np.ndarray:
    """``unique`` of the concatenation of ``parts`` (int64 keys), emptying the list: only the joined
    copy is in memory while it is sorted."""
    if not parts:
        return np.zeros(0, dtype=np.int64)
    joined = np.concatenate(parts)
    parts.clear()
    return unique(joined, in_place=True)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of arange(s, s + l) for each start and length."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total)


def idf_vectors(docs: Sequence[np.ndarray], vocab: tuple[str, ...], limit: int = 0) -> SparseVectors:
    """Vectors of ``docs`` (each its ascending ids into the sorted ``vocab``) weighted by inverse
    document frequency over them; with ``limit``, only each document's rarest features.

    One document at a time (a lexsort over all features of 100,000 articles took ~1 GB)."""
    n = len(docs)
    df = np.zeros(len(vocab), dtype=np.int64)
    for d in docs:
        df[d] += 1  # ids are unique within a document
    idf = np.log((n + 1) / (df + 0.5))
    kept: list[np.ndarray] = []
    for d in docs:
        w = idf[d]
        d = d[w > 0.0]
        if limit and len(d) > limit:
            d = np.sort(d[np.lexsort((d, -idf[d]))[:limit]])
        kept.append(d.astype(np.int32))
    lengths = np.fromiter((len(d) for d in kept), dtype=np.int64, count=n)
    flat = np.concatenate(kept) if n else np.zeros(0, dtype=np.int32)
    del kept
    weights = idf[flat]
    row = np.repeat(np.arange(n, dtype=np.int32), lengths)
    norms = np.sqrt(np.bincount(row, weights=weights * weights, minlength=n))
    weights /= norms[row]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return SparseVectors(vocab, indptr, flat, weights, idf)


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

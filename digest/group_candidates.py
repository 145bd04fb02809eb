"""Candidate pairs for grouping: nearest neighbours within the time window, never all pairs.

Two sources, unioned: the ``k`` most similar articles by embedding (headline, and lead when
there is a body), searched in time-sorted blocks so each article is only compared with
articles inside its window; and lexical blocking, pairs of articles sharing rare folded
words or numbers (this is what finds the versions in languages the encoder does not cover).
Articles without a trusted date are compared with every article.

``k`` (``GroupingConfig.neighbours``) bounds how big a story can grow in average-link, which
counts a pair never scored as 0: with 20 per side, stories of a few hundred articles (a big event
in nine languages) stay in fragments. 40 groups them better (OG2021 development file, direct: B3 F1
0.668 → 0.679, cross-language pair F1 0.368 → 0.424; 30: 0.679 and 0.420; WMT up too) but scores
1.4-2x the pairs. Measured at 100,000 articles (the benchmark site, a one-change ``digest build``,
/usr/bin/time): peak 1,809 MiB with 20, 1,882-1,914 MiB with 30 — too close to the 2 GB budget
to make 30 the default; most of the rest is the saved build state and the grouping signals, not the pairs.
"""

from __future__ import annotations

import numpy as np

from .embed import HalfVectors
from .lexical import SparseVectors, ranges, runs, unique_of
from .parallel import thread_map

_BLOCK = 256  # query rows per matrix product: bounds memory to _BLOCK x window size
_KEYS = 12  # rarest features of an article used as blocking keys
_POSTING_CAP = 40  # a key shared with more articles inside one window is too common to block on


def _pair_key(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    return lo.astype(np.int64) * n + hi


def embedding_neighbours(vecs: HalfVectors | np.ndarray, hours: np.ndarray, active: np.ndarray, window_hours: float,
                         k: int, langs: np.ndarray, floor: float = 0.15, threads: int | None = 1) -> np.ndarray:
    """Keys (i*n+j, i<j) of each active article's nearest active neighbours inside the window:
    its ``k`` nearest in its own language and its ``k`` nearest in other languages (cross-language
    similarities run lower, so a shared top-k would be all same-language).

    Blocks of ``_BLOCK`` queries are independent: they run on ``threads`` threads (the work is numpy
    products and partitions, which release the GIL) and their keys are joined in block order, so
    the result does not depend on the number of threads."""
    n = len(vecs)
    idx = np.flatnonzero(active)
    if len(idx) < 2 or k < 1:
        return np.zeros(0, dtype=np.int64)
    dated = idx[~np.isnan(hours[idx])]
    undated = idx[np.isnan(hours[idx])]
    dated = dated[np.argsort(hours[dated], kind="stable")]
    dh = hours[dated]
    _, lang_id = np.unique(langs, return_inverse=True)
    everyone = np.concatenate([dated, undated])

    def search(queries: np.ndarray, pool: np.ndarray, lo: np.ndarray | None = None, hi: np.ndarray | None = None,
               n_window: int = 0) -> np.ndarray:
        """``pool`` starts with ``n_window`` time-sorted dated articles; query row r may only see
        pool[lo[r]:hi[r]] among them (its window), and every undated article after them."""
        if len(pool) == 0 or len(queries) == 0:
            return np.zeros(0, dtype=np.int64)
        sims = vecs[queries] @ vecs[pool].T
        if lo is not None and hi is not None:
            for r in range(len(queries)):
                sims[r, : lo[r]] = -np.inf
                sims[r, hi[r] : n_window] = -np.inf
        sims[queries[:, None] == pool[None, :]] = -np.inf
        same = lang_id[queries][:, None] == lang_id[pool][None, :]
        found: list[np.ndarray] = []
        for own_language in (True, False):  # one (queries x pool) copy at a time: a block per thread is in memory
            part = np.where(same, sims, -np.inf) if own_language else np.where(same, -np.inf, sims)
            kk = min(k, len(pool))
            top = np.argpartition(-part, kk - 1, axis=1)[:, :kk].copy() if kk < len(pool) else np.tile(np.arange(len(pool)), (len(queries), 1))
            rows = np.repeat(np.arange(len(queries)), top.shape[1])
            cols = top.ravel()
            keep = part[rows, cols] >= floor
            found.append(_pair_key(queries[rows[keep]], pool[cols[keep]], n))
        return np.concatenate(found)

    def dated_block(start: int) -> np.ndarray:
        q = dated[start : start + _BLOCK]
        if window_hours <= 0:
            return search(q, everyone)
        first = np.searchsorted(dh, dh[start] - window_hours, side="left")
        last = np.searchsorted(dh, dh[min(start + _BLOCK, len(dated)) - 1] + window_hours, side="right")
        qh = dh[start : start + _BLOCK]
        lo = np.searchsorted(dh, qh - window_hours, side="left") - first
        hi = np.searchsorted(dh, qh + window_hours, side="right") - first
        return search(q, np.concatenate([dated[first:last], undated]), lo, hi, last - first)

    def undated_block(start: int) -> np.ndarray:
        return search(undated[start : start + _BLOCK], everyone)

    blocks = [(dated_block, s) for s in range(0, len(dated), _BLOCK)] + [(undated_block, s) for s in range(0, len(undated), _BLOCK)]
    keys = thread_map(lambda task: task[0](task[1]), blocks, threads)
    return unique_of(keys)


def lexical_neighbours(vectors: SparseVectors, hours: np.ndarray, active: np.ndarray, window_hours: float,
                       k: int) -> np.ndarray:
    """Keys of pairs sharing rare features (each article's ``k`` best by shared weight).

    Each article's ``_KEYS`` heaviest (rarest) features are its blocking keys. Two articles
    sharing a key inside the window are a pair, unless more than ``_POSTING_CAP`` articles share
    that key around them (then it is too common there to mean anything). Pairs are scored by
    the summed products of their shared keys' weights, all in numpy arrays.
    """
    n = len(vectors)
    rows, feats, ws = vectors.heaviest(np.flatnonzero(active), _KEYS)
    hs = hours[rows]
    hs = np.where(np.isnan(hs), np.inf, hs)
    order = np.lexsort((rows, hs, feats))  # postings: by feature, then time (undated last), then article
    rows, feats, ws, hs = rows[order], feats[order], ws[order], hs[order]
    pair_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    for s, e in runs(feats):
        m = e - s
        if m < 2:
            continue
        h, ids, w = hs[s:e], rows[s:e], ws[s:e]
        dated = np.isfinite(h)
        nd = int(dated.sum())
        if window_hours > 0 and nd:
            # partners of each dated posting among later dated postings inside the window
            hd = h[:nd]
            end = np.searchsorted(hd, hd + window_hours, side="right")
            start = np.searchsorted(hd, hd - window_hours, side="left")
            crowded = (end - start - 1) > _POSTING_CAP
            counts = np.where(crowded, 0, end - np.arange(nd) - 1)
        else:
            counts = np.where(m - 1 > _POSTING_CAP, 0, nd - np.arange(nd) - 1) if nd else np.zeros(0, dtype=np.int64)
        if nd and counts.sum():
            a = np.repeat(np.arange(nd), counts)
            b = ranges(np.arange(nd) + 1, counts)  # each posting's partners: the next counts[p] ones
            pair_parts.append(_pair_key(ids[a], ids[b], n))
            weight_parts.append(w[a] * w[b])
        if nd < m and m <= _POSTING_CAP:  # undated postings pair with every other posting of a rare key
            ua, ub = np.triu_indices(m, 1)
            either = ~dated[ua] | ~dated[ub]
            pair_parts.append(_pair_key(ids[ua[either]], ids[ub[either]], n))
            weight_parts.append(w[ua[either]] * w[ub[either]])
    if not pair_parts:
        return np.zeros(0, dtype=np.int64)
    # sum each pair's weights (pairs sharing several keys come up once per key). A sort, then a
    # bincount in the original order within each pair: the sums of np.unique + bincount, with
    # less held at once (millions of pairs at 100,000 articles)
    keys = np.concatenate(pair_parts)
    del pair_parts
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    weights = np.concatenate(weight_parts)[order]
    del weight_parts, order
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    group = np.cumsum(new) - 1
    pk = keys[new]
    del keys, new
    pv = np.bincount(group, weights=weights, minlength=len(pk))
    del group, weights
    return _best_pairs(pk, pv, n, k)


def _best_pairs(pk: np.ndarray, pv: np.ndarray, n: int, k: int, slices: int = 8) -> np.ndarray:
    """The keys among ``pk`` that are one of the ``k`` best (by ``pv``, ties: smaller key) of either
    of their articles. Articles are taken in slices (each slice sees all of its articles' pairs),
    which gives the result of one sort over every pair end with an eighth of the memory."""
    lo, hi = pk // n, pk % n
    step = -(-n // slices)
    kept: list[np.ndarray] = []
    for s in range(0, n, step):
        a = (lo >= s) & (lo < s + step)
        b = (hi >= s) & (hi < s + step)
        ends = np.concatenate([lo[a], hi[b]])
        vals = np.concatenate([pv[a], pv[b]])
        both = np.concatenate([pk[a], pk[b]])
        del a, b
        order = np.lexsort((both, -vals, ends))
        ends, both = ends[order], both[order]
        del order, vals
        first = np.searchsorted(ends, ends, side="left")
        kept.append(both[np.arange(len(ends)) - first < k])
    return unique_of(kept)

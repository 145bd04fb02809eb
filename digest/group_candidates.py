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
_SPAN = 4  # consecutive blocks of dated queries that share one float32 copy of their pool's vectors
_GROUP = 32  # columns per group whose maximum bounds a row's k-th best (see ``_top_k``)

_KEYS = 12  # rarest features of an article used as blocking keys
_POSTING_CAP = 40  # a key shared with more articles inside one window is too common to block on


def _top_k(part: np.ndarray, k: int, floor: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of each row's ``k`` largest values among those reaching ``floor`` (ties: the smaller
    column first), ordered by row, then value (largest first).

    Not a partition of whole rows (at 100,000 articles a row is the ~13,000 articles of a window, and
    partitioning them was half of grouping's time). A row's columns are dealt into groups of ``_GROUP``
    (columns c, c + m, c + 2m, …: one vectorised maximum over ``_GROUP`` slices); the k-th largest group
    maximum is a bound the row's k-th largest value reaches (k groups each hold a value that big), so only
    the few values reaching it are sorted."""
    n_rows, n_cols = part.shape
    bound = np.full(n_rows, floor, dtype=part.dtype)
    m = n_cols // _GROUP  # groups
    if n_cols > k and m >= k:
        maxima = part[:, : m * _GROUP].reshape(n_rows, _GROUP, m).max(axis=1)
        np.maximum(bound, np.partition(maxima, m - k, axis=1)[:, m - k], out=bound)
    rows, cols = np.divmod(np.flatnonzero(part >= bound[:, None]), n_cols)
    values = part[rows, cols]
    order = np.lexsort((cols, -values, rows))
    rows, cols = rows[order], cols[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < k
    return rows[keep], cols[keep]


def _pair_key(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    return lo.astype(np.int64) * n + hi


def embedding_neighbours(vecs: HalfVectors | np.ndarray, hours: np.ndarray, active: np.ndarray, window_hours: float,
                         k: int, langs: np.ndarray, floor: float = 0.15, threads: int | None = 1) -> np.ndarray:
    """Keys (i*n+j, i<j) of each active article's nearest active neighbours inside the window:
    its ``k`` nearest in its own language and its ``k`` nearest in other languages (cross-language
    similarities run lower, so a shared top-k would be all same-language). Ties go to the earlier article
    (then the smaller index; undated articles last): a rule, not whatever order a partition leaves them in.

    Blocks of ``_BLOCK`` queries are independent: they run on ``threads`` threads (the work is numpy
    products and comparisons, which release the GIL) and their keys are joined in block order, so
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
    undated_vecs = vecs[undated]
    floor32 = np.float32(floor)

    def search(queries: np.ndarray, q_vecs: np.ndarray, pool: np.ndarray, p_vecs: np.ndarray, self_cols: np.ndarray,
               lo: np.ndarray | None = None, hi: np.ndarray | None = None, n_window: int = 0) -> np.ndarray:
        """``pool`` (vectors ``p_vecs``) starts with ``n_window`` time-sorted dated articles; query row r may
        only see pool[lo[r]:hi[r]] among them (its window), and every undated article after them; ``self_cols``:
        each query's own column in the pool."""
        if len(pool) == 0 or len(queries) == 0:
            return np.zeros(0, dtype=np.int64)
        sims = q_vecs @ p_vecs.T
        if lo is not None and hi is not None:
            for r in range(len(queries)):
                sims[r, : lo[r]] = -np.inf
                sims[r, hi[r] : n_window] = -np.inf
        sims[np.arange(len(queries)), self_cols] = -np.inf
        same = lang_id[queries][:, None] == lang_id[pool][None, :]
        found: list[np.ndarray] = []
        for own_language in (True, False):  # one (queries x pool) copy at a time: a block per thread is in memory
            part = np.where(same, sims, -np.inf) if own_language else np.where(same, -np.inf, sims)
            rows, cols = _top_k(part, k, floor32)
            found.append(_pair_key(queries[rows], pool[cols], n))
        return np.concatenate(found)

    def dated_span(first_block: int) -> list[np.ndarray]:
        """The blocks of dated queries from ``first_block``, ``_SPAN`` of them, their pools' vectors converted
        once (each block's pool is the articles inside the window of its first or last query: consecutive
        blocks' pools overlap almost entirely)."""
        starts = range(first_block, min(first_block + _SPAN * _BLOCK, len(dated)), _BLOCK)
        if window_hours <= 0:
            ends = [min(s + _BLOCK, len(dated)) for s in starts]
            return [search(dated[s:e], everyone_vecs[s:e], everyone, everyone_vecs, np.arange(s, e))
                    for s, e in zip(starts, ends)]
        bounds = []
        for s in starts:
            e = min(s + _BLOCK, len(dated))
            bounds.append((s, e, int(np.searchsorted(dh, dh[s] - window_hours, side="left")),
                           int(np.searchsorted(dh, dh[e - 1] + window_hours, side="right"))))
        lo_all, hi_all = bounds[0][2], max(b[3] for b in bounds)
        span_vecs = vecs[dated[lo_all:hi_all]]
        out = []
        for s, e, first, last in bounds:
            pool = np.concatenate([dated[first:last], undated])
            window = span_vecs[first - lo_all : last - lo_all]
            p_vecs = np.concatenate([window, undated_vecs]) if len(undated) else window
            qh = dh[s:e]
            lo = np.searchsorted(dh, qh - window_hours, side="left") - first
            hi = np.searchsorted(dh, qh + window_hours, side="right") - first
            out.append(search(dated[s:e], span_vecs[s - lo_all : e - lo_all], pool, p_vecs,
                              np.arange(s, e) - first, lo, hi, last - first))
        return out

    def undated_block(start: int) -> list[np.ndarray]:
        q = undated[start : start + _BLOCK]
        own = len(dated) + np.arange(start, start + len(q))
        return [search(q, everyone_vecs[own], everyone, everyone_vecs, own)]

    def run(tasks: list) -> list[np.ndarray]:
        return [part for parts in thread_map(lambda task: task[0](task[1]), tasks, threads) for part in parts]

    spans = [(dated_span, s) for s in range(0, len(dated), _SPAN * _BLOCK)]
    keys = run(spans) if window_hours > 0 else []
    # pools of every article (no time window, or undated queries) share one float32 copy of all the vectors,
    # made here once, not by each block (at 100,000 articles: 200 MB converted per block of 256 queries)
    rest = ([] if window_hours > 0 else spans) + [(undated_block, s) for s in range(0, len(undated), _BLOCK)]
    if rest:
        everyone_vecs = vecs[everyone]
        keys += run(rest)
        del everyone_vecs
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

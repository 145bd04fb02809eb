"""Average-link agglomerative clustering over a sparse graph of scored pairs.

Two clusters merge while the average pair score between them (pairs that were never
candidates count as 0) is at least the threshold, best pair first, so one strong pair
cannot chain two stories together. Ties are broken by cluster number, which makes the
result independent of dict and heap internals: same input, same clusters.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from .embed import HalfVectors
from .lexical import unique


def average_link(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    score: np.ndarray,
    threshold: float,
    forced: Iterable[Sequence[int]] = (),
) -> list[list[int]]:
    """Clusters (sorted index lists, ordered by smallest index) of ``n`` items.

    ``forced`` groups start out merged (translationKey). Items in no pair stay alone.

    Memory is a few numpy arrays, not a dict per cluster (100,000 articles have millions of
    scored pairs): each cluster's adjacency (neighbour id, summed score) is an array slice,
    written once when the cluster is made and never updated. Entries naming clusters merged
    since are mapped to the cluster that absorbed them (``current``) when read, and summed:
    sums of pair scores are additive, so the totals stay exact. A heap entry is current as long
    as both its clusters are alive (a total only changes when one of its clusters merges), and
    merges happen in the order of (-average, id, id) with ids allocated in merge order.
    """
    owner = np.arange(n, dtype=np.int32)
    groups = [g for g in (sorted(set(g)) for g in forced) if len(g) >= 2]
    ids = n + len(groups)  # initial clusters: singletons (their item), forced groups (n, n+1, …)
    cap = ids + n  # every merge makes one cluster out of two: at most n - 1 merges
    size = np.zeros(cap, dtype=np.int64)
    size[:n] = 1
    for k, g in enumerate(groups):
        owner[g] = n + k
        size[g] = 0
        size[n + k] = len(g)
    alive = bytearray((size > 0).tobytes())  # (a bytearray: the loop reads it millions of times)
    current = np.arange(cap, dtype=np.int32)  # what each id became (itself while alive)
    absorbed: dict[int, np.ndarray] = {}  # merged cluster → every id now mapped to it

    # initial adjacency, both directions, duplicates summed (forced groups), as one sorted table
    ca, cb = owner[i], owner[j]
    keep = (ca != cb) & (score > 0.0)
    lo, hi = np.minimum(ca[keep], cb[keep]), np.maximum(ca[keep], cb[keep])
    total = score[keep]  # each pair's own score, as given (float32 at 100,000 articles: half the memory) …
    del ca, cb, keep
    key = lo.astype(np.int64) * cap + hi
    if len(key) > 1 and not (key[1:] > key[:-1]).all():  # not already unique pairs in order
        key, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=total, minlength=len(key))  # … or sums of them, in float64
        lo, hi = (key // cap).astype(np.int32), (key % cap).astype(np.int32)
        del inverse
    del key

    # the initial candidates as a sorted array; merges push theirs on a heap; pop the smaller head
    avg = total / (size[lo] * size[hi])  # (float64: size is int64)
    ok = avg >= threshold
    first = np.lexsort((hi[ok], lo[ok], -avg[ok]))
    init_avg, init_a, init_b = -avg[ok][first], lo[ok][first], hi[ok][first]
    del avg, ok, first

    nbr, tot, starts = _adjacency(lo, hi, total, ids)
    del total, lo, hi
    adj: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # clusters made by merging

    def neighbours(c: int) -> tuple[np.ndarray, np.ndarray]:
        return adj[c] if c in adj else (nbr[starts[c] : starts[c + 1]], tot[starts[c] : starts[c + 1]])

    # a heap entry is one int that orders as (-average, a, b) does: ~2 million entries at 100,000
    # articles (stale ones stay until popped), ~48 bytes each instead of a tuple's, a float's and two
    # ints' ~130 (measured there: the loop's peak 212 MB lower)
    bits = max(cap - 1, 1).bit_length()
    mask = (1 << bits) - 1
    heap: list[int] = []
    init_order = _float_order(init_avg)
    del init_avg

    def initial() -> Iterator[int]:  # the initial candidates' entries, in order, made a slice at a time
        for s in range(0, len(init_order), 1 << 16):
            part = slice(s, s + (1 << 16))
            for o, x, y in zip(init_order[part].tolist(), init_a[part].tolist(), init_b[part].tolist()):
                yield o << 2 * bits | x << bits | y

    entries = initial()
    head = next(entries, None)
    next_id = ids
    while head is not None or heap:
        if heap and (head is None or heap[0] < head):
            ab = heapq.heappop(heap)
        else:
            assert head is not None
            ab = head
            head = next(entries, None)
        a, b = ab >> bits & mask, ab & mask
        if not (alive[a] and alive[b]):
            continue
        c = next_id
        next_id += 1
        alive[a] = alive[b] = 0
        alive[c] = 1
        size[c] = size[a] + size[b]
        merged = np.concatenate([absorbed.pop(a, np.array([a])), absorbed.pop(b, np.array([b])), [c]])
        current[merged] = c
        absorbed[c] = merged
        (na, ta), (nb_, tb) = neighbours(a), neighbours(b)
        adj.pop(a, None)
        adj.pop(b, None)
        xs = current[np.concatenate([na, nb_])]
        ts = np.concatenate([ta, tb])
        other = xs != c
        xs, inv = np.unique(xs[other], return_inverse=True)
        ts = np.bincount(inv, weights=ts[other], minlength=len(xs))
        adj[c] = (xs, ts)
        avgs = ts / (size[c] * size[xs])
        reach = avgs >= threshold
        for x, o in zip(xs[reach].tolist(), _float_order(-avgs[reach]).tolist()):
            heapq.heappush(heap, o << 2 * bits | x << bits | c)

    final = current[owner]  # each item's live cluster
    order = np.argsort(final, kind="stable")  # items by cluster, in index order within each
    cut = np.flatnonzero(np.diff(final[order])) + 1
    clusters = [part.tolist() for part in np.split(order, cut)] if n else []
    clusters.sort(key=lambda m: m[0])
    return clusters


def _float_order(x: np.ndarray) -> np.ndarray:
    """Unsigned 64-bit integers that sort as the float64 values ``x`` do (no NaN; -0.0 before 0.0)."""
    u = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    sign = np.uint64(1 << 63)
    return np.where(u & sign, ~u, u | sign)


def _adjacency(lo: np.ndarray, hi: np.ndarray, total: np.ndarray, ids: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of the pairs (lo[k], hi[k]) with weight total[k], lo ascending, as a table:
    cluster c's neighbours are ``nbr[starts[c]:starts[c + 1]]`` (weights in ``tot``), first those
    it is the lo of, in pair order, then those it is the hi of, in pair order — the order a stable
    sort of ``concatenate([lo, hi])`` gives, without that sort's index array and the concatenated
    copies (at 100,000 articles 13 million entries each, int64 and float64)."""
    m = len(lo)
    count_lo = np.bincount(lo, minlength=ids)
    count_hi = np.bincount(hi, minlength=ids)
    starts = np.zeros(ids + 1, dtype=np.int64)
    np.cumsum(count_lo + count_hi, out=starts[1:])
    nbr = np.empty(2 * m, dtype=np.int32)
    tot = np.empty(2 * m, dtype=total.dtype)
    pos_t = np.int32 if 2 * m < 2**31 else np.int64  # positions: int32 halves the temporaries
    # the lo half: lo is ascending, so cluster c's entries are a run; each moves by the same offset
    first = np.zeros(ids, dtype=np.int64)
    np.cumsum(count_lo[:-1], out=first[1:])
    shift = (starts[:-1] - first).astype(pos_t)
    dest = np.arange(m, dtype=pos_t)
    dest += shift[lo]
    nbr[dest] = hi
    tot[dest] = total
    # the hi half, in pair order within each cluster: after that cluster's lo entries
    by_hi = np.argsort(hi, kind="stable").astype(pos_t)
    first[:] = 0
    np.cumsum(count_hi[:-1], out=first[1:])
    shift = (starts[:-1] + count_lo - first).astype(pos_t)
    dest[:] = np.arange(m, dtype=pos_t)
    hi_sorted = hi[by_hi]
    dest += shift[hi_sorted]
    del hi_sorted
    nbr[dest] = lo[by_hi]
    tot[dest] = total[by_hi]
    return nbr, tot, starts


_SCREEN_SLACK = 1e-4  # float32 centroid cosines are this close to the exact float64 ones, and then some


def _maybe_close(a: np.ndarray, b: np.ndarray, units: np.ndarray, threshold: float,
                 chunk: int = 8192) -> np.ndarray:
    """Which cluster pairs (a[k], b[k]) may have a centroid cosine reaching ``threshold`` (``units``: each
    cluster's float32 unit centroid, a row per cluster id): a screen in float32 with some slack
    (``link_centroids`` then decides each survivor exactly)."""
    keep = np.zeros(len(a), dtype=bool)
    for s in range(0, len(a), chunk):
        ua, ub = units[a[s : s + chunk]], units[b[s : s + chunk]]
        keep[s : s + chunk] = np.einsum("ij,ij->i", ua, ub) >= threshold - _SCREEN_SLACK
    return keep


def link_centroids(
    clusters: Sequence[Sequence[int]],
    i: np.ndarray,
    j: np.ndarray,
    vecs: HalfVectors | np.ndarray,
    usable: np.ndarray,
    langs: Sequence[str],
    hours: np.ndarray,
    same_threshold: float,
    cross_threshold: float,
    window_hours: float,
) -> tuple[list[list[int]], list[tuple[int, int, float]]]:
    """Second stage: merge clusters whose normalised mean headline vectors are close.

    A story told in several languages often ends stage one as one cluster per language: each
    is coherent, but the average cross-language pair score stays low. Their centroids (means of
    many headlines) are much less noisy than single headlines, so clusters that share no language
    merge when the centroid cosine reaches ``cross_threshold``, clusters that share one at
    ``same_threshold``. Only clusters joined by some candidate pair are compared, only vectors
    of ``usable`` articles (languages the encoder covers) count, and clusters whose mean times
    are further apart than the window, or whose union would span more than two windows, never
    merge. Returns the clusters and the links made
    (smallest member of each side, cosine).
    """
    members: dict[int, list[int]] = {c: list(m) for c, m in enumerate(clusters)}
    owner = np.empty(len(vecs), dtype=np.int64)
    for c, m in members.items():
        owner[m] = c
    adj: dict[int, set[int]] = {c: set() for c in members}
    oa, ob = owner[i], owner[j]
    apart = oa != ob
    linked = unique(np.minimum(oa[apart], ob[apart]) * len(members) + np.maximum(oa[apart], ob[apart]))
    del oa, ob, apart
    for a, b in zip((linked // len(members)).tolist(), (linked % len(members)).tolist()):
        adj[a].add(b)
        adj[b].add(a)
    total: dict[int, np.ndarray | None] = {}
    norm: dict[int, float] = {}
    dim = vecs.shape[1]
    # float32 unit centroid of each cluster id (zeros without usable vectors), for screening: rows of one
    # array, so a merge's neighbours are screened with one gather (every link makes a new id: it grows)
    units = np.zeros((len(members) + 1024, dim), dtype=np.float32)
    # per cluster id too, for screening a merged cluster's neighbours in arrays: mean-time sums and counts
    # (``margin`` rejects most of them on time at 100,000 articles), and its languages as bits when there
    # are at most 64 (``margin`` rejects most of the rest: a shared language and a cosine under ``same``)
    times = np.zeros((len(units), 2), dtype=np.float64)
    bit = {lang: 1 << k for k, lang in enumerate(sorted(set(langs)))} if len(set(langs)) <= 64 else None
    lang_bits = np.zeros(len(units), dtype=np.uint64)
    lang_sets: dict[int, frozenset[str]] = {}
    time_sum: dict[int, tuple[float, int]] = {}
    span: dict[int, tuple[float, float]] = {}

    def describe(c: int, parts: tuple[int, int] | None = None) -> None:
        """Cluster ``c``'s sums and sets, from its members, or from the two clusters it was made of (``parts``,
        whose entries are then dropped): a big story absorbs small ones one link at a time, and summing its
        members' vectors again at each link was most of this stage at 100,000 articles."""
        nonlocal units, times, lang_bits
        if c >= len(units):
            grow = len(units) // 2
            units = np.concatenate([units, np.zeros((grow, dim), dtype=np.float32)])
            times = np.concatenate([times, np.zeros((grow, 2), dtype=np.float64)])
            lang_bits = np.concatenate([lang_bits, np.zeros(grow, dtype=np.uint64)])
        if parts is None:
            m = members[c]
            use = [x for x in m if usable[x]]
            t = total[c] = vecs[use].astype(np.float64).sum(axis=0) if use else None
            lang_sets[c] = frozenset(langs[x] for x in m)
            h = hours[m]
            h = h[~np.isnan(h)]
            time_sum[c] = (float(h.sum()), len(h))
            span[c] = (float(h.min()), float(h.max())) if len(h) else (np.inf, -np.inf)
        else:
            a, b = parts
            ta, tb = total.pop(a), total.pop(b)
            t = total[c] = tb if ta is None else ta if tb is None else ta + tb
            lang_sets[c] = lang_sets.pop(a) | lang_sets.pop(b)
            (sa, na), (sb, nb) = time_sum.pop(a), time_sum.pop(b)
            time_sum[c] = (sa + sb, na + nb)
            (lo_a, hi_a), (lo_b, hi_b) = span.pop(a), span.pop(b)
            span[c] = (min(lo_a, lo_b), max(hi_a, hi_b))
            norm.pop(a)
            norm.pop(b)
        norm[c] = float(np.linalg.norm(t)) if t is not None else 0.0
        units[c] = (t / norm[c]).astype(np.float32) if t is not None and norm[c] > 0 else 0.0
        times[c] = time_sum[c]
        if bit is not None:
            lang_bits[c] = sum(bit[lang] for lang in lang_sets[c])

    def margin(a: int, b: int) -> float | None:
        ta, tb = total[a], total[b]
        if ta is None or tb is None:
            return None
        (sa, na), (sb, nb) = time_sum[a], time_sum[b]
        if window_hours > 0 and na and nb:
            if abs(sa / na - sb / nb) > window_hours:
                return None
            if max(span[a][1], span[b][1]) - min(span[a][0], span[b][0]) > 2 * window_hours:
                return None  # a story may not drift across more than two windows
        cos = float(ta @ tb) / (norm[a] * norm[b] or 1.0)
        return cos - (same_threshold if lang_sets[a] & lang_sets[b] else cross_threshold)

    for c in members:
        describe(c)
    low = min(same_threshold, cross_threshold)
    heap: list[tuple[float, int, int]] = []
    # pairs are screened in arrays (millions at 100,000 articles), ``margin`` decides the survivors
    la, lb = linked // len(members), linked % len(members)
    close = _maybe_close(la, lb, units, low)
    for a, b in zip(la[close].tolist(), lb[close].tolist()):
        d = margin(a, b)
        if d is not None and d >= 0:
            heap.append((-d, a, b))
    del la, lb, close
    heapq.heapify(heap)
    links: list[tuple[int, int, float]] = []
    next_id = len(members)
    # neighbour sets are not rewritten when a neighbour merges (a big cluster has hundreds): an id in them
    # that has merged since is read as the cluster it became
    became: dict[int, int] = {}

    def live(x: int) -> int:
        path = []
        while x in became:
            path.append(x)
            x = became[x]
        for y in path[:-1]:
            became[y] = x
        return x

    while heap:
        neg, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue
        ta, tb = total[a], total[b]
        cos = float(ta @ tb) / (norm[a] * norm[b] or 1.0)  # type: ignore[operator]
        links.append((min(members[a]), min(members[b]), round(cos, 4)))
        c = next_id
        next_id += 1
        members[c] = members.pop(a) + members.pop(b)
        became[a] = became[b] = c
        adj[c] = {live(x) for x in adj.pop(a) | adj.pop(b)} - {c}
        describe(c, (a, b))
        xs = sorted(adj[c])
        if not xs:
            continue
        candidates = np.asarray(xs)
        # a screen, never a decision: it only drops pairs ``margin`` rejects (a cosine below the pair's threshold
        # by more than float32 can err; mean times further apart than the window, by the same float64 arithmetic)
        if bit is None:
            bar = low
        else:
            bar = np.where((lang_bits[candidates] & lang_bits[c]) != 0, same_threshold, cross_threshold)
        near = units[candidates] @ units[c] >= bar - _SCREEN_SLACK
        (sc, nc), (sx, nx) = times[c], times[candidates].T
        if window_hours > 0 and nc:
            dated = nx > 0
            means = np.divide(sx, nx, out=np.zeros(len(nx)), where=dated)
            near &= ~(dated & (np.abs(means - sc / nc) > window_hours))
        for x in candidates[near].tolist():
            d = margin(x, c)
            if d is not None and d >= 0:
                heapq.heappush(heap, (-d, x, c))
    out = [sorted(m) for m in members.values()]
    out.sort(key=lambda m: m[0])
    return out, links

"""Average-link agglomerative clustering over a sparse graph of scored pairs.

Two clusters merge while the average pair score between them (pairs that were never
candidates count as 0) is at least the threshold, best pair first, so one strong pair
cannot chain two stories together. Ties are broken by cluster number, which makes the
result independent of dict and heap internals: same input, same clusters.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

import numpy as np


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
    """
    members: dict[int, list[int]] = {}
    owner = list(range(n))
    next_id = n
    for group in forced:
        group = sorted(set(group))
        if len(group) < 2:
            continue
        cid = next_id
        next_id += 1
        members[cid] = group
        for x in group:
            owner[x] = cid
    for x in range(n):
        if owner[x] == x:
            members[x] = [x]

    adj: dict[int, dict[int, float]] = {c: {} for c in members}
    for a, b, s in zip(i.tolist(), j.tolist(), score.tolist()):
        ca, cb = owner[a], owner[b]
        if ca == cb or s <= 0.0:
            continue
        adj[ca][cb] = adj[ca].get(cb, 0.0) + s
        adj[cb][ca] = adj[cb].get(ca, 0.0) + s

    heap: list[tuple[float, int, int]] = []
    for a, nbrs in adj.items():
        for b, total in nbrs.items():
            if a < b:
                avg = total / (len(members[a]) * len(members[b]))
                if avg >= threshold:
                    heap.append((-avg, a, b))
    heapq.heapify(heap)

    while heap:
        neg, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue
        current = adj[a].get(b, 0.0) / (len(members[a]) * len(members[b]))
        if current != -neg:
            continue  # stale entry: the pair was re-pushed with its new average
        c = next_id
        next_id += 1
        members[c] = members.pop(a) + members.pop(b)
        na, nb = adj.pop(a), adj.pop(b)
        merged: dict[int, float] = {}
        for x, total in na.items():
            if x != b:
                merged[x] = merged.get(x, 0.0) + total
        for x, total in nb.items():
            if x != a:
                merged[x] = merged.get(x, 0.0) + total
        adj[c] = merged
        size = len(members[c])
        for x, total in merged.items():
            ax = adj[x]
            ax.pop(a, None)
            ax.pop(b, None)
            ax[c] = total
            avg = total / (size * len(members[x]))
            if avg >= threshold:
                heapq.heappush(heap, (-avg, x, c))

    clusters = [sorted(m) for m in members.values()]
    clusters.sort(key=lambda m: m[0])
    return clusters


def link_centroids(
    clusters: Sequence[Sequence[int]],
    i: np.ndarray,
    j: np.ndarray,
    vecs: np.ndarray,
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
    for a, b in zip(owner[i].tolist(), owner[j].tolist()):
        if a != b:
            adj[a].add(b)
            adj[b].add(a)
    total: dict[int, np.ndarray | None] = {}
    lang_sets: dict[int, frozenset[str]] = {}
    time_sum: dict[int, tuple[float, int]] = {}
    span: dict[int, tuple[float, float]] = {}

    def describe(c: int) -> None:
        m = members[c]
        use = [x for x in m if usable[x]]
        total[c] = vecs[use].astype(np.float64).sum(axis=0) if use else None
        lang_sets[c] = frozenset(langs[x] for x in m)
        h = hours[m]
        h = h[~np.isnan(h)]
        time_sum[c] = (float(h.sum()), len(h))
        span[c] = (float(h.min()), float(h.max())) if len(h) else (np.inf, -np.inf)

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
        cos = float(ta @ tb) / (float(np.linalg.norm(ta)) * float(np.linalg.norm(tb)) or 1.0)
        return cos - (same_threshold if lang_sets[a] & lang_sets[b] else cross_threshold)

    for c in members:
        describe(c)
    heap: list[tuple[float, int, int]] = []
    for a, nbrs in adj.items():
        for b in nbrs:
            if a < b:
                d = margin(a, b)
                if d is not None and d >= 0:
                    heap.append((-d, a, b))
    heapq.heapify(heap)
    links: list[tuple[int, int, float]] = []
    next_id = len(members)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if a not in members or b not in members:
            continue
        ta, tb = total[a], total[b]
        cos = float(ta @ tb) / (float(np.linalg.norm(ta)) * float(np.linalg.norm(tb)) or 1.0)  # type: ignore[operator]
        links.append((min(members[a]), min(members[b]), round(cos, 4)))
        c = next_id
        next_id += 1
        members[c] = members.pop(a) + members.pop(b)
        adj[c] = (adj.pop(a) | adj.pop(b)) - {a, b}
        for x in (a, b):
            total.pop(x)
            lang_sets.pop(x)
            time_sum.pop(x)
            span.pop(x)
        describe(c)
        for x in sorted(adj[c]):
            adj[x].discard(a)
            adj[x].discard(b)
            adj[x].add(c)
            d = margin(x, c)
            if d is not None and d >= 0:
                heapq.heappush(heap, (-d, x, c))
    out = [sorted(m) for m in members.values()]
    out.sort(key=lambda m: m[0])
    return out, links

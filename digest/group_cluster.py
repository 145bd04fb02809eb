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

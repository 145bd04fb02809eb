"""Average-link clustering over scored pairs, against the definition computed the slow way."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from digest.group_cluster import average_link


def reference(n: int, pairs: dict[tuple[int, int], float], threshold: float,
              forced: list[list[int]]) -> list[list[int]]:
    """Merge the two clusters with the highest average pair score (unscored pairs count 0) while it is at
    least ``threshold``; ties go to the pair of older clusters (ids: items, then forced groups, then merges
    in order)."""
    clusters: dict[int, list[int]] = {}
    grouped = {x for g in forced for x in g}
    for x in range(n):
        if x not in grouped:
            clusters[x] = [x]
    for k, g in enumerate(forced):
        clusters[n + k] = sorted(g)
    next_id = n + len(forced)
    while True:
        best = None
        for a, b in itertools.combinations(sorted(clusters), 2):
            total = sum(pairs.get((min(x, y), max(x, y)), 0.0) for x in clusters[a] for y in clusters[b])
            avg = total / (len(clusters[a]) * len(clusters[b]))
            if avg >= threshold and (best is None or (-avg, a, b) < best):
                best = (-avg, a, b)
        if best is None:
            break
        _, a, b = best
        clusters[next_id] = sorted(clusters.pop(a) + clusters.pop(b))
        next_id += 1
    return sorted(clusters.values(), key=lambda m: m[0])


def random_graph(seed: int, n: int) -> dict[tuple[int, int], float]:
    rng = random.Random(seed)
    pairs = {}
    for _ in range(n * 4):
        a, b = rng.sample(range(n), 2)
        pairs[(min(a, b), max(a, b))] = rng.randint(1, 8) / 8  # eighths: every sum exact, ties common
    return pairs


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("shuffled", [False, True])
def test_average_link_merges_as_defined(seed: int, shuffled: bool) -> None:
    n = 40
    pairs = random_graph(seed, n)
    forced = [[3, 17], [5, 6, 30]] if seed % 3 == 0 else []
    items = sorted(pairs.items())  # the build passes pairs in key order; other orders must give the same
    if shuffled:
        random.Random(seed).shuffle(items)
        items = [((b, a), s) if k % 2 else ((a, b), s) for k, ((a, b), s) in enumerate(items)]
    i = np.array([a for (a, _), _ in items], dtype=np.int32)
    j = np.array([b for (_, b), _ in items], dtype=np.int32)
    score = np.array([s for _, s in items], dtype=np.float32)
    for threshold in (0.3, 0.5):
        got = average_link(n, i, j, score, threshold, forced=forced)
        assert got == reference(n, pairs, threshold, forced)
        assert sorted(x for c in got for x in c) == list(range(n))  # every item once


def test_average_link_float64_scores_and_no_pairs() -> None:
    i, j = np.array([0, 1], dtype=np.int32), np.array([1, 2], dtype=np.int32)
    assert average_link(3, i, j, np.array([0.9, 0.2]), 0.5) == [[0, 1], [2]]
    # the forced group {1, 2} against 0: (0.9 + 0) / 2 < 0.5, so it stays apart; at 0.45 it joins
    assert average_link(3, i, j, np.array([0.9, 0.2]), 0.5, forced=[[1, 2]]) == [[0], [1, 2]]
    assert average_link(3, i, j, np.array([0.9, 0.2]), 0.45, forced=[[1, 2]]) == [[0, 1, 2]]
    empty = np.zeros(0, dtype=np.int32)
    assert average_link(2, empty, empty, np.zeros(0, dtype=np.float32), 0.5) == [[0], [1]]


@pytest.mark.parametrize("hours_apart", [0.0, 20.0])
def test_a_version_close_only_to_the_merged_story_is_linked(hours_apart: float) -> None:
    """Two English headlines link (cosine 0.81 >= 0.80); a French one is under the cross-language 0.70 to each
    (0.685) but over it to their merged centroid (0.72), and 20 hours from them inside a 48-hour window:
    it joins once they have merged. What the screen of a merged cluster's neighbours must not drop."""
    from digest.group_cluster import link_centroids

    theta, phi = np.arccos(0.9513), np.arccos(0.72)  # cos 2θ = 0.81; the French: cos φ · cos θ = 0.685
    vecs = np.array([[np.cos(theta), np.sin(theta), 0.0], [np.cos(theta), -np.sin(theta), 0.0],
                     [np.cos(phi), 0.0, np.sin(phi)]], dtype=np.float32)
    hours = np.array([1000.0, 1000.0, 1000.0 + hours_apart])
    i, j = np.array([0, 0, 1]), np.array([1, 2, 2])  # candidate pairs: each cluster is a neighbour of the others
    out, links = link_centroids([[0], [1], [2]], i, j, vecs, np.ones(3, dtype=bool), ("en", "en", "fr"), hours,
                                0.80, 0.70, 48.0)
    assert out == [[0, 1, 2]]
    assert [tuple(sorted((a, b))) for a, b, _ in links] == [(0, 1), (0, 2)] and links[1][2] >= 0.70
    # the same French headline two and a half days away is kept apart
    out, _ = link_centroids([[0], [1], [2]], i, j, vecs, np.ones(3, dtype=bool), ("en", "en", "fr"),
                            np.array([1000.0, 1000.0, 1060.0]), 0.80, 0.70, 48.0)
    assert out == [[0, 1], [2]]

"""Group articles into stories: candidate pairs, calibrated pair scores, average-link clustering; explanations.

Stages (each in its own module):

1. ``group_model.article_signals``: headline (outlet names removed) and lead embeddings,
   lexical vectors (folded stems, numbers), trusted publication times.
2. ``group_candidates``: each article's nearest neighbours inside the time window, by
   embedding and by rare shared words: never a dense all-pairs matrix.
3. ``group_model.score_pairs``: a probability per candidate pair, calibrated per pair kind
   (same language / cross-language / a language the encoder lacks; with or without bodies).
4. ``group_cluster.average_link``: merge while the average pair probability between two
   clusters reaches ``settings.threshold``.
5. ``group_cluster.link_centroids``: link the resulting clusters whose mean headline vectors
   are close (``link_cross`` across languages, ``link_same`` otherwise): one story reported in
   several languages often leaves stage 4 as one cluster per language.

Overrides: articles sharing a ``translation_key`` start in one cluster; ``groupable=False``
keeps an article alone (it also leaves any translation group).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .config import GroupingConfig
from .embed import DIM, Embedder, HalfVectors
from .gc_tuning import release_freed_memory
from .group_candidates import embedding_neighbours, lexical_neighbours
from .group_cluster import average_link, link_centroids
from .group_model import SIGNALS, Signals, Texts, article_signals, pair_features, pair_kinds, score_pairs
from .lexical import unique_of
from .models import Article, Grouping, PairScore
from .parallel import thread_map

log = logging.getLogger(__name__)

_EXPLAIN_CHUNK = 4096  # pairs whose explanations are made at once
EDGE_FLOOR = 0.01  # pair probabilities below this are dropped (they barely move an average)


@dataclass(frozen=True)
class ScoredPairs:
    """Candidate pairs (i < j) with their calibrated score and per-signal features (in a build's
    grouping only "lead": the others are recomputed for the pairs shown, see ``group_articles``)."""

    i: np.ndarray
    j: np.ndarray
    score: np.ndarray
    features: dict[str, np.ndarray]


def _allowed(sig: Signals, i: np.ndarray, j: np.ndarray, window_hours: float) -> np.ndarray:
    gap = np.abs(sig.hours[i] - sig.hours[j])
    return ~(gap > window_hours) if window_hours > 0 else np.ones(len(i), dtype=bool)  # NaN gap: undated, allowed


def score_candidates(sig: Signals, active: np.ndarray, settings: GroupingConfig, floor: float = EDGE_FLOOR,
                     chunk: int = 200_000, threads: int | None = None) -> ScoredPairs:
    """Find candidate pairs among ``active`` articles, score them, keep those scoring at least ``floor``.

    The neighbour searches and the chunks of pairs run on ``threads`` threads (default: one per core;
    the work is in numpy, which releases the GIL); results are joined in order, so they do not depend
    on the number of threads."""
    n = len(sig.titles)
    k, window = settings.neighbours, settings.window_hours
    langs = sig.lang_array
    keys = [
        embedding_neighbours(sig.title_vecs, sig.hours, active, window, k, langs, threads=threads),
        lexical_neighbours(sig.words, sig.hours, active, window, k),
    ]
    release_freed_memory()  # the lexical search frees many small arrays: their pages go back before the next search
    if sig.has_body.any():
        keys.append(embedding_neighbours(sig.lead_vecs, sig.hours, active & sig.has_body, window, k, langs,
                                         threads=threads))
    pairs = unique_of(keys)

    def score_chunk(start: int) -> ScoredPairs:  # bounded memory: features of one chunk at a time
        i, j = (x.astype(np.int32) for x in np.divmod(pairs[start : start + chunk], n))
        keep = _allowed(sig, i, j, window)
        i, j = i[keep], j[keep]
        feats = pair_features(sig, i, j)
        kind, body = pair_kinds(sig, i, j)
        score = score_pairs(feats, kind, body)
        strong = score >= floor
        return ScoredPairs(i[strong], j[strong], score[strong].astype(np.float32),
                           {"lead": feats["lead"][strong].astype(np.float32)})

    parts = thread_map(score_chunk, range(0, len(pairs), chunk), threads)
    if not parts:
        empty = np.zeros(0, dtype=np.int32)
        return ScoredPairs(empty, empty, np.zeros(0, dtype=np.float32), {"lead": np.zeros(0, dtype=np.float32)})
    return ScoredPairs(
        np.concatenate([p.i for p in parts]),
        np.concatenate([p.j for p in parts]),
        np.concatenate([p.score for p in parts]),
        {name: np.concatenate([p.features[name] for p in parts]) for name in parts[0].features},
    )


def _best_per_article(sp: ScoredPairs, mask: np.ndarray, n: int) -> np.ndarray:
    """Index of each article's best-scoring pair among ``mask`` (ties: the earlier pair)."""
    ks = np.flatnonzero(mask)
    if len(ks) == 0:
        return ks
    i, j, score = sp.i[ks], sp.j[ks], sp.score[ks]
    best = np.full(n, -np.inf, dtype=score.dtype)
    np.maximum.at(best, i, score)
    np.maximum.at(best, j, score)
    first = np.full(n, len(ks), dtype=np.int64)  # per article, the earliest pair reaching its best
    for end in (i, j):
        at = np.flatnonzero(score == best[end])
        np.minimum.at(first, end[at], at)
    return ks[np.unique(first[first < len(ks)])]


def _forced_groups(articles: Sequence[Article]) -> list[list[int]]:
    by_key: dict[str, list[int]] = {}
    for idx, a in enumerate(articles):
        if a.translation_key and a.groupable:
            by_key.setdefault(a.translation_key, []).append(idx)
    return [v for _, v in sorted(by_key.items()) if len(v) > 1]


def _pair_scores(articles: Sequence[Article], sig: Signals, sp: ScoredPairs, threshold: float,
                 joined: Sequence[bool]) -> tuple[PairScore, ...]:
    """A ``PairScore`` for each pair of ``sp``: its score, each signal that applies (4 decimals) and the
    heaviest words the two share. ``_EXPLAIN_CHUNK`` pairs at a time (200,000 pairs are shown at 100,000
    articles: their shared words at once took ~1 GB of index arrays)."""
    out = []
    for start in range(0, len(sp.i), _EXPLAIN_CHUNK):
        part = slice(start, start + _EXPLAIN_CHUNK)
        values = [[None if v != v else round(v, 4) for v in sp.features[name][part].astype(np.float64).tolist()]
                  for name in SIGNALS]  # as Python floats, rounded as Python rounds (NaN: does not apply)
        words = sig.words.shared(sp.i[part], sp.j[part])
        scores = sp.score[part].astype(np.float64).tolist()
        for k, (a, b, score) in enumerate(zip(sp.i[part].tolist(), sp.j[part].tolist(), scores)):
            signals = tuple((name, column[k]) for name, column in zip(SIGNALS, values) if column[k] is not None)
            if words[k]:
                signals += (("shared: " + " ".join(words[k]), 0.0),)
            out.append(PairScore(articles[a].id, articles[b].id, round(score, 4), signals, threshold,
                                 bool(joined[start + k])))
    return tuple(out)


def group_articles(articles: Sequence[Article], settings: GroupingConfig, embedder: Embedder,
                   threads: int | None = None, unload_encoder: bool = False, texts: Texts | None = None) -> Grouping:
    """Cluster ``articles`` into stories: every article in exactly one cluster, deterministic order.

    ``threads``: for the numpy-heavy candidate search and pair scoring (default: one per core); the
    result is the same for any number. ``unload_encoder``: once the texts are embedded, let the
    encoder's model go for the rest of grouping (a one-shot build: ~100 MB less at its peak). ``texts``:
    the articles' ``embedding_texts`` when the caller has them."""
    n = len(articles)
    if n == 0:
        return Grouping(clusters=(), threshold=settings.threshold)
    t0 = time.perf_counter()
    sig = article_signals(articles, embedder, texts)
    del texts
    if unload_encoder:
        embedder.unload()
    t1 = time.perf_counter()
    active = np.array([a.groupable for a in articles], dtype=bool)
    sp = score_candidates(sig, active, settings, threads=threads)
    # scored: the leads are done with (100 MB at 100,000 articles; a slice would be a view that keeps them)
    sig = replace(sig, lead_vecs=HalfVectors(np.zeros((0, DIM), dtype=np.float16)))
    release_freed_memory()
    t2 = time.perf_counter()
    clusters = average_link(n, sp.i, sp.j, sp.score, settings.threshold,
                            forced=_forced_groups(articles))
    clusters, links = link_centroids(clusters, sp.i, sp.j, sig.title_vecs, sig.covered, sig.langs, sig.hours,
                                     settings.link_same, settings.link_cross, settings.window_hours)
    t3 = time.perf_counter()
    cluster_of = np.empty(n, dtype=np.int64)
    for c, members in enumerate(clusters):
        cluster_of[members] = c
    # pairs worth showing: each article's strongest pair inside its story (what holds it there) and
    # outside it (the nearest it was kept apart from); every pair inside a story of hundreds would be
    # millions at scale, and a listing nobody reads
    inside = cluster_of[sp.i] == cluster_of[sp.j]
    shown = np.array(sorted(set(_best_per_article(sp, inside, n).tolist()) | set(_best_per_article(sp, ~inside, n).tolist())),
                     dtype=np.int64)
    # their signals, recomputed: every scored pair's five (4,700,000 pairs at 100,000 articles: 94 MB, twice while
    # the chunks were joined) were kept for these few; the same values (each pair's own, cast to float32 alike)
    i, j = sp.i[shown], sp.j[shown]
    feats = pair_features(sig, i, j, lead=sp.features["lead"][shown].astype(np.float64))
    shown_sp = ScoredPairs(i, j, sp.score[shown], {name: v.astype(np.float32) for name, v in feats.items()})
    pairs = _pair_scores(articles, sig, shown_sp, settings.threshold, inside[shown])
    scored = len(sp.i)
    del sp, sig, inside, cluster_of
    release_freed_memory()
    notes = []
    if links:
        notes.append(f"{len(links)} cluster link(s) by headline centroids (same language >= {settings.link_same:g}, "
                     f"across languages >= {settings.link_cross:g})")
    forced = _forced_groups(articles)
    if forced:
        notes.append(f"{len(forced)} translationKey group(s) kept together")
    alone = int((~active).sum())
    if alone:
        notes.append(f"{alone} article(s) with story: false kept alone")
    log.info("grouped %d articles into %d stories (%d scored pairs): signals %.1fs, pairs %.1fs, clustering %.1fs, "
             "explanations %.1fs", n, len(clusters), scored, t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3)
    return Grouping(
        clusters=tuple(tuple(c) for c in clusters),
        pairs=pairs,
        threshold=settings.threshold,
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class Explanation:
    """Why a story is what it is: every pair inside it and each member's nearest articles outside it."""

    article: int  # index of the article asked about
    members: tuple[int, ...]  # indices of its story's articles
    inside: tuple[PairScore, ...]  # every pair of members, with each signal
    outside: tuple[PairScore, ...]  # each member's ``nearest`` best-scoring non-members in the window
    threshold: float
    window_hours: float
    notes: tuple[str, ...] = ()


def explain(articles: Sequence[Article], article_id: str, settings: GroupingConfig, embedder: Embedder, *,
            grouping: Grouping | None = None, nearest: int = 3) -> Explanation:
    """Explain the story of the article ``article_id`` (pass the build's ``grouping`` to skip regrouping).

    Scores are computed exactly (not only for candidate pairs) between the story's members and
    every other groupable article inside the time window. Raises KeyError for an unknown id.
    """
    index = next((k for k, a in enumerate(articles) if a.id == article_id), None)
    if index is None:
        raise KeyError(article_id)
    grouping = grouping or group_articles(articles, settings, embedder)
    members = next(c for c in grouping.clusters if index in c)
    sig = article_signals(articles, embedder)
    n = len(articles)
    member_set = set(members)
    others = np.array([k for k in range(n) if k not in member_set and articles[k].groupable], dtype=np.int64)
    ii = [np.full(len(others), m, dtype=np.int64) for m in members]
    jj = [others for _ in members]
    inner = [(a, b) for x, a in enumerate(members) for b in members[x + 1:]]
    i = np.concatenate(ii + [np.array([a for a, _ in inner], dtype=np.int64)])
    j = np.concatenate(jj + [np.array([b for _, b in inner], dtype=np.int64)])
    keep = _allowed(sig, i, j, settings.window_hours) | np.isin(j, members)
    i, j = i[keep], j[keep]
    feats = pair_features(sig, i, j)
    kind, body = pair_kinds(sig, i, j)
    sp = ScoredPairs(i, j, score_pairs(feats, kind, body), feats)
    is_inside = np.isin(j, members)
    def subset(ks: np.ndarray) -> ScoredPairs:
        return ScoredPairs(sp.i[ks], sp.j[ks], sp.score[ks], {name: v[ks] for name, v in sp.features.items()})

    ks = np.flatnonzero(is_inside)
    inside = _pair_scores(articles, sig, subset(ks), settings.threshold, [True] * len(ks))
    near = []
    for m in members:
        ks = np.flatnonzero(~is_inside & (i == m))
        near.append(ks[np.lexsort((j[ks], -sp.score[ks]))][:nearest])
    ks = np.concatenate(near) if near else np.zeros(0, dtype=np.int64)
    outside = _pair_scores(articles, sig, subset(ks), settings.threshold, [False] * len(ks))
    notes = []
    if len({articles[m].translation_key for m in members if articles[m].translation_key}) == 1 and len(members) > 1:
        notes.append("kept together by translationKey")
    if not articles[index].groupable:
        notes.append("story: false: never grouped")
    return Explanation(index, tuple(members), inside, tuple(outside), settings.threshold, settings.window_hours,
                       tuple(notes))

"""Pair evidence for grouping: per-article signals, per-pair features, and their calibrated combination.

Every candidate pair gets a probability-like score ``p`` from a logistic model chosen by the
pair's *kind*: same language, cross-language with both languages covered by the encoder, or
cross-language with a language the encoder does not know (cs, hu, sl…: there the embeddings
carry little, and names, numbers and cognates carry the pair); and by whether both articles have
a body. Same-language and cross-language similarities are distributed differently, so each kind
has its own weights and offset. Across languages, two headlines that each name something rare the other
lacks (two places, two people: ``unshared``) count against the pair. The weights were fitted on the
development half of the evaluation data (``python benchmarks/grouping.py --fit`` reprints them).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .embed import DIM, Embedder, HalfVectors
from .lexical import (MAX_FEATURES, SparseVectors, Vocabulary, body_features, clean_title, features, idf_vectors,
                      outlet_segments)
from .models import Article

# Languages of USE multilingual v3 (the encoder is trained on these; others embed poorly).
COVERED = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
# Dates from these origins bound grouping by the time window; a date read from the body text or
# the file's modification time is too weak to keep two versions of one story apart.
TRUSTED_DATES = frozenset({"front matter", "path"})
# The lead sentence(s) of the body that are embedded. Leads are most of what a build encodes (10,000 benchmark
# articles: 489,000 lead tokens against 191,000 headline tokens at 240 characters; 227,000 at 120), and grouping
# does as well with short ones (WMT development file through the build, B3 F1 / cross-language pair F1, by
# characters: 80 .977/.965, 100 .978/.966, 120 .977/.965, 160 .975/.961, 200 .972/.957, 240 .976/.962).
LEAD_CHARS = 120
UNDATED_DAYS = 0.5  # time gap assumed for a pair whose dates are not both trusted

SIGNALS = ("title", "lead", "words", "title_words", "unshared", "days")
KINDS = ("same", "cross", "foreign")

# (kind, has_body) -> (weights per signal, intercept). Fitted with --fit; see the module docstring.
# Fitted on the pairs inside a 72-hour window; refitting at the 48-hour default moves each weight by
# less than 0.4 and was no better on split halves of the data, so these were kept. The two cross-language
# headline models were refitted at 48 hours with ``unshared`` (each headline names something rare the other
# lacks): OG2021-dev, two folds by story, fitted on one and grouped on the other, BCubed F1 0.696 -> 0.703 and
# 0.693 -> 0.710, cross-language pair F1 0.452 -> 0.502 and 0.434 -> 0.457; it does nothing for same-language
# pairs (held-out log-loss 0.2129 -> 0.2196), so that model is as it was.
COEFFICIENTS: dict[tuple[str, bool], tuple[dict[str, float], float]] = {
    ("same", False): ({"title": 6.75, "title_words": 6.5, "days": -1.63}, -5.13),
    ("cross", False): ({"title": 4.9, "title_words": 13.17, "unshared": -2.41, "days": -1.77}, -1.71),
    ("foreign", False): ({"title": 6.94, "title_words": 12.37, "unshared": -2.79, "days": -2.62}, -0.30),
    ("cross", True): ({"title": 10.3, "lead": 17.25, "words": 31.53, "days": -1.69}, -16.67),
    ("foreign", True): ({"title": 11.24, "lead": 2.79, "words": 178.65, "days": -2.24}, -10.00),
}


def lead_text(article: Article, limit: int = LEAD_CHARS) -> str:
    """The first sentence(s) of the body, up to ``limit`` characters, cut at a sentence end or word."""
    paragraphs = article.paragraphs
    text = _words_beyond(paragraphs, limit) if paragraphs else " ".join((article.summary or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if end > limit // 2:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0]


def _words_beyond(paragraphs: Sequence[str], limit: int) -> str:
    r"""The words of ``paragraphs`` joined by single spaces, as far as the first word that takes the text past
    ``limit`` characters: the start of ``" ".join("\n\n".join(paragraphs).split())``, all of it if no longer
    than ``limit``. (A body is a few thousand characters, a lead a sentence: 10,000 leads of 240 characters took
    0.43 s from the whole body, 0.2 s so.)"""
    words: list[str] = []
    length = -1
    for paragraph in paragraphs:
        for word in paragraph.split():
            words.append(word)
            length += len(word) + 1
            if length > limit:
                return " ".join(words)
    return " ".join(words)


@dataclass(frozen=True)
class Signals:
    """Everything grouping needs to know about each article, computed once per build."""

    titles: tuple[str, ...]  # headlines without outlet names
    title_vecs: HalfVectors  # (n, 512) embeddings of the cleaned headlines
    lead_vecs: HalfVectors  # (n, 512) embeddings of the leads (zero rows without body)
    has_body: np.ndarray  # (n,) bool
    hours: np.ndarray  # (n,) float hours since the epoch; NaN when the date is not trusted
    covered: np.ndarray  # (n,) bool: language known to the encoder
    langs: tuple[str, ...]
    words: SparseVectors  # IDF vectors of headline + body start (the rarest MAX_FEATURES)
    title_words: SparseVectors  # IDF vectors of the headline alone

    @cached_property
    def lang_array(self) -> np.ndarray:
        """``langs`` as an array, made once (every chunk of pairs compares their languages)."""
        return np.array(self.langs)


Texts = tuple[tuple[str, ...], list[str]]  # what ``embedding_texts`` gives


def embedding_texts(articles: Sequence[Article]) -> Texts:
    """The texts grouping embeds: cleaned headlines, and leads ("" without a body). A build computes them
    once and hands them to encoding ahead and to grouping (10,000 articles: 0.4 s each time)."""
    heads, tails = outlet_segments([a.title for a in articles])
    titles = tuple(clean_title(a.title, heads, tails) for a in articles)
    return titles, [lead_text(a) for a in articles]


def embedded_texts(articles: Sequence[Article], texts: Texts | None = None) -> list[str]:
    """Every distinct text ``article_signals`` asks the embedder for: each headline, each non-empty lead.

    For work around grouping that must agree with it: encoding ahead on several cores (prewarm),
    keeping those embeddings when the cache is pruned (``digest build --gc``).
    """
    titles, leads = texts or embedding_texts(articles)
    return list(dict.fromkeys([*titles, *(t for t in leads if t)]))


def grouping_inputs(articles: Sequence[Article], texts: Texts) -> str:
    """A digest of everything of ``articles`` that grouping reads (``article_signals`` and
    ``group.group_articles``), in order: equal inputs give equal groupings, so a rebuild after an edit that
    changes none of it (an outlet's name, a body past its lead and lexical evidence, a tag…) keeps the last
    grouping. ``texts``: their ``embedding_texts``. Body features are taken as stored (compressed), not
    unpacked (10,000 articles: 0.07 s instead of 0.25)."""
    packed = Article.__dict__["body_features"]
    titles, leads = texts
    h = hashlib.sha256()
    for a, title, lead in zip(articles, titles, leads):
        evidence: tuple[object, ...] = ()
        if lead:
            stored = packed.stored(a)
            evidence = (stored, "" if stored else a.text)  # no features: they are made from the text
        when = a.date.timestamp() if a.date_origin in TRUSTED_DATES else None
        h.update(repr((a.id, title, lead, evidence, when, a.lang, a.groupable, a.translation_key)).encode())
    return h.hexdigest()


def article_signals(articles: Sequence[Article], embedder: Embedder, texts: Texts | None = None) -> Signals:
    """Embed headlines and leads (cached), and build the lexical vectors of every article. ``texts``: their
    ``embedding_texts`` when already known."""
    titles, leads = texts or embedding_texts(articles)
    has_body = np.array([bool(x) for x in leads], dtype=bool)
    title_vecs = embedder.encode_half(titles, keep_as="headlines")
    leads_half = np.zeros((len(titles), DIM), dtype=np.float16)  # calloc: rows without body cost nothing
    if has_body.any():
        idx = np.flatnonzero(has_body)
        leads_half[idx] = embedder.encode_half([leads[i] for i in idx], keep_as="leads").half
    lead_vecs = HalfVectors(leads_half)
    vocab = Vocabulary()  # each article's features as ids at once: no set of strings per article is kept
    title_ids: list[np.ndarray] = []
    all_ids: list[np.ndarray] = []
    for a, title, body in zip(articles, titles, has_body.tolist()):
        tf = features(title)
        title_ids.append(vocab.ids(tf))
        if body:
            found = a.body_features or body_features(a.text)  # found when parsed, or (a hand-made article) now
            all_ids.append(vocab.ids(tf.union(found)))
        else:
            all_ids.append(title_ids[-1])
    names, docs = vocab.sorted(title_ids + all_ids)
    del title_ids, all_ids
    hours = np.array([a.date.timestamp() / 3600.0 if a.date_origin in TRUSTED_DATES else math.nan
                      for a in articles], dtype=np.float64)
    return Signals(
        titles=titles,
        title_vecs=title_vecs,
        lead_vecs=lead_vecs,
        has_body=has_body,
        hours=hours,
        covered=np.array([a.lang.split("-")[0] in COVERED for a in articles], dtype=bool),
        langs=tuple(a.lang.split("-")[0] for a in articles),
        words=idf_vectors(docs[len(articles):], names, MAX_FEATURES),
        title_words=idf_vectors(docs[: len(articles)], names),
    )


def rowwise_dot(vecs: HalfVectors, i: np.ndarray, j: np.ndarray, chunk: int = 65536, block: int = 1024) -> np.ndarray:
    """vecs[i[k]] . vecs[j[k]] for every k: ``block`` pairs' rows gathered at a time (4 MB, which stay in the
    processor's cache: 8,192 at a time took twice as long, waiting on memory), never a (pairs x 512) copy.

    When ``vecs`` converts rows on each read (large sites), each distinct row of a ``chunk`` of pairs is
    converted once: pairs come sorted by their first article, so when articles come in date order (content
    in dated folders) a chunk's ~1,300 first articles share most partners (its rows: ~30 MB at 100,000
    articles; grouping runs one chunk per thread). Each product is the same einsum of the same two float32
    rows whatever the chunking."""
    out = np.empty(len(i), dtype=np.float64)
    distinct = not vecs.keeps_float32
    for s in range(0, len(i), chunk):
        a, b = i[s : s + chunk], j[s : s + chunk]
        if distinct:
            rows, where = np.unique(np.concatenate([a, b]), return_inverse=True)
            got: HalfVectors | np.ndarray = vecs[rows]
            a, b = where[: len(a)], where[len(a) :]
        else:
            got = vecs
        for t in range(0, len(a), block):
            x, y = a[t : t + block], b[t : t + block]
            out[s + t : s + t + len(x)] = np.einsum("ij,ij->i", got[x], got[y])
    return out


def pair_features(sig: Signals, i: np.ndarray, j: np.ndarray, lead: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each signal for the pairs (i[k], j[k]); NaN where a signal does not apply. ``lead``: the lead
    similarities when already known (grouping keeps them, not the lead vectors, once pairs are scored)."""
    both_body = sig.has_body[i] & sig.has_body[j]
    if lead is None:
        lead = rowwise_dot(sig.lead_vecs, i, j)
        lead[~both_body] = np.nan
    words = sig.words.cosines(i, j)
    words[~both_body] = np.nan
    # each headline names something rare the other does not (two places, two people): how rare, the rarer side's
    # IDF over log(n + 1), 0 to ~1. Evidence against a cross-language pair (see COEFFICIENTS); not weighed, so not
    # computed, within one language
    langs = sig.lang_array
    across = np.flatnonzero(langs[i] != langs[j])
    unshared = np.full(len(i), np.nan)
    unshared[across] = sig.title_words.rarest_unshared(i[across], j[across]) / math.log(len(sig.titles) + 1)
    return {
        "title": rowwise_dot(sig.title_vecs, i, j),
        "lead": lead,
        "words": words,
        "title_words": sig.title_words.cosines(i, j),
        "unshared": unshared,
        "days": np.abs(sig.hours[i] - sig.hours[j]) / 24.0,
    }


def pair_kinds(sig: Signals, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kind index into KINDS, and whether the body model applies, for each pair."""
    langs = sig.lang_array
    same = langs[i] == langs[j]
    kind = np.where(same, 0, np.where(sig.covered[i] & sig.covered[j], 1, 2))
    body = sig.has_body[i] & sig.has_body[j] & ~same
    return kind, body


def score_pairs(feats: dict[str, np.ndarray], kind: np.ndarray, body: np.ndarray) -> np.ndarray:
    """The calibrated probability that each pair reports the same story."""
    z = np.zeros(len(kind))
    days = np.where(np.isnan(feats["days"]), UNDATED_DAYS, feats["days"])
    for (name, with_body), (weights, intercept) in COEFFICIENTS.items():
        m = (kind == KINDS.index(name)) & (body == with_body)
        if not m.any():
            continue
        zz = np.full(int(m.sum()), intercept)
        for signal, w in weights.items():
            x = days[m] if signal == "days" else np.nan_to_num(feats[signal][m])
            zz += w * x
        z[m] = zz
    return 1.0 / (1.0 + np.exp(-z))

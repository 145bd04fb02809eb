"""Grouping: small labelled cases written here, overrides, determinism, partition invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from digest.config import GroupingConfig
from digest.embed import Embedder
from digest.group import explain, group_articles
from digest.lexical import clean_title, features, outlet_segments
from digest.models import Article

T0 = datetime(2024, 3, 5, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(None)  # the model loads once per test session; no disk cache


def art(i: int, title: str, lang: str = "en", hours: float = 0.0, body: str = "", **kw) -> Article:
    return Article(
        id=f"a{i}", path=f"a{i}.md", format="md", title=title, lang=lang, date=T0 + timedelta(hours=hours),
        slug=f"a{i}", paragraphs=tuple(p for p in body.split("\n\n") if p), **kw,
    )


NEWS = [
    art(0, "Russian missile strike on Kharkiv kills 12 people", "en"),
    art(1, "Une frappe de missiles russes sur Kharkiv fait 12 morts", "fr", 2),
    art(2, "Real Madrid beat Barcelona 3-1 in the Clasico", "en", 1),
    art(3, "Bayern Munich lose 2-0 at home to Borussia Dortmund", "en", 3),
    art(4, "Central bank raises interest rates to 5.25%", "en", 4),
    art(5, "Heavy floods in southern Brazil leave thousands homeless", "en", 5),
]


def labels(clusters, n):
    out = [-1] * n
    for c, members in enumerate(clusters):
        for i in members:
            assert out[i] == -1, "an article is in two clusters"
            out[i] = c
    assert -1 not in out, "an article is in no cluster"
    return out


def test_fr_en_versions_of_one_event_are_joined(embedder):
    g = group_articles(NEWS, GroupingConfig(), embedder)
    lab = labels(g.clusters, len(NEWS))
    assert lab[0] == lab[1]
    joined = [p for p in g.pairs if {p.a, p.b} == {"a0", "a1"}]
    assert joined and joined[0].joined and joined[0].score >= g.threshold


def test_each_article_shows_its_strongest_pair_in_its_story(embedder):
    # one event in four languages, plus an unrelated article: the story lists one pair per member
    # at most (what holds it in), never every pair of a big story
    news = [
        NEWS[0], NEWS[1],  # the strike in English and French
        art(2, "Russischer Raketenangriff auf Charkiw tötet 12 Menschen", "de", 2),
        art(3, "Un ataque con misiles rusos en Járkov mata a 12 personas", "es", 3),
        NEWS[4],  # the central bank
    ]
    g = group_articles(news, GroupingConfig(), embedder)
    story = next(c for c in g.clusters if 0 in c)
    assert len(story) == 4  # the four versions
    ids = {news[i].id for i in story}
    joined = [p for p in g.pairs if p.joined]
    assert all({p.a, p.b} <= ids for p in joined)
    assert ids == {x for p in joined for x in (p.a, p.b)}  # every member is held by a pair shown
    assert len(joined) <= len(story) < len(story) * (len(story) - 1) // 2  # one per member, not every pair
    for p in joined:  # each is the best pair of one of its ends inside the story
        assert any(p.score == max(q.score for q in joined if end in (q.a, q.b)) for end in (p.a, p.b))
    # and each shows that pair's own signals: what --explain computes for it from scratch
    exact = {frozenset((q.a, q.b)): dict(q.signals) for q in explain(news, news[0].id, GroupingConfig(), embedder,
                                                                         grouping=g).inside}
    for p in joined:
        got, want = dict(p.signals), exact[frozenset((p.a, p.b))]
        assert got.keys() == want.keys() and all(abs(got[k] - want[k]) <= 1e-4 for k in got)


def test_pairs_shown_are_the_same_whatever_the_chunk_they_are_made_in(embedder, monkeypatch):
    from digest import group

    whole = group_articles(NEWS, GroupingConfig(), embedder)
    assert {p.joined for p in whole.pairs} == {True, False}
    assert any(name.startswith("shared: ") for p in whole.pairs for name, _ in p.signals)
    for chunk in (1, 2, 3):
        monkeypatch.setattr(group, "_EXPLAIN_CHUNK", chunk)
        assert group_articles(NEWS, GroupingConfig(), embedder).pairs == whole.pairs


def test_same_topic_different_events_stay_apart(embedder):
    g = group_articles(NEWS, GroupingConfig(), embedder)
    lab = labels(g.clusters, len(NEWS))
    assert lab[2] != lab[3]  # two football matches
    assert len({lab[i] for i in (0, 2, 4, 5)}) == 4


def test_every_article_in_exactly_one_cluster_in_canonical_order(embedder):
    g = group_articles(NEWS, GroupingConfig(), embedder)
    labels(g.clusters, len(NEWS))
    assert all(list(c) == sorted(c) for c in g.clusters)
    assert [c[0] for c in g.clusters] == sorted(c[0] for c in g.clusters)


def test_deterministic_and_independent_of_input_order(embedder):
    a = group_articles(NEWS, GroupingConfig(), embedder)
    b = group_articles(NEWS, GroupingConfig(), embedder)
    assert a == b
    rev = list(reversed(NEWS))
    c = group_articles(rev, GroupingConfig(), embedder)
    as_ids = lambda g, arts: sorted(sorted(arts[i].id for i in cl) for cl in g.clusters)
    assert as_ids(a, NEWS) == as_ids(c, rev)


def test_translation_key_forces_one_story(embedder):
    arts = [replace(NEWS[2], translation_key="k"), replace(NEWS[5], translation_key="k"), NEWS[4]]
    lab = labels(group_articles(arts, GroupingConfig(), embedder).clusters, 3)
    assert lab[0] == lab[1] != lab[2]


def test_story_false_keeps_an_article_alone(embedder):
    arts = [NEWS[0], replace(NEWS[1], groupable=False), replace(NEWS[0], id="a9", path="a9.md", groupable=False,
                                                                translation_key="x")]
    g = group_articles(arts, GroupingConfig(), embedder)
    assert g.clusters == ((0,), (1,), (2,))


def test_time_window_separates_trusted_dates_but_not_undated(embedder):
    far = replace(NEWS[1], date=T0 + timedelta(days=10))
    assert len(group_articles([NEWS[0], far], GroupingConfig(window_hours=48), embedder).clusters) == 2
    undated = [replace(NEWS[0], date_origin="mtime"), replace(far, date_origin="mtime")]
    assert len(group_articles(undated, GroupingConfig(window_hours=48), embedder).clusters) == 1


def test_language_the_encoder_lacks_groups_through_names_and_numbers(embedder):
    body_en = ("Eurozone inflation jumped to 3.1 percent in November from 2.6 percent in October, Eurostat said. "
               "Germany recorded 3.3 percent, Spain 4.1 percent. The ECB kept its rate at 4 percent in Frankfurt.")
    body_cs = ("Inflace v eurozóně vyskočila v listopadu na 3,1 procenta z 2,6 procenta v říjnu, uvedl Eurostat. "
               "Německo zaznamenalo 3,3 procenta, Španělsko 4,1 procenta. ECB ve Frankfurtu ponechala sazbu na 4 procentech.")
    other = "The Tokyo Olympics will go ahead without spectators, organisers said on Thursday after talks in 2021."
    arts = [art(0, "Inflation in Europe jumps because of food prices", "en", body=body_en),
            art(1, "Inflace v Evropě poskočila kvůli potravinám", "cs", body=body_cs),
            art(2, "Olympics to be held without fans", "en", body=other)]
    lab = labels(group_articles(arts, GroupingConfig(), embedder).clusters, 3)
    assert lab[0] == lab[1] != lab[2]


def test_body_features_found_when_a_file_is_parsed_are_those_grouping_would_find(embedder):
    """A body's lexical features are found when its file is parsed (on every core, cached with the article),
    not again at each grouping: the same features, the same signals and stories as finding them there."""
    from digest.articles import make_article
    from digest.config import SiteConfig
    from digest.group_model import article_signals
    from digest.lexical import BODY_CHARS
    from digest.models import SourceFile

    body = ("Eurozone inflation jumped to 3.1 percent in November, Eurostat said in Luxembourg. " * 40) + "Zanzibar."
    parsed = make_article(SourceFile("x.md", "md", body + "\n", {"title": "Inflation jumps", "lang": "en"}),
                          SiteConfig(), None, [])
    assert parsed.body_features == tuple(sorted(features(parsed.text[:BODY_CHARS])))
    assert {"euros", "luxem", "#31"} <= set(parsed.body_features)
    assert "zanzi" not in parsed.body_features  # past the start grouping weighs
    arts = [art(0, "Inflation in Europe jumps because of food prices", "en",
                body="Eurozone inflation jumped to 3.1 percent in November. Food prices rose by 12 percent."),
            art(1, "Inflace v Evropě poskočila kvůli potravinám", "cs",
                body="Inflace v eurozóně vyskočila v listopadu na 3,1 procenta. Ceny potravin vzrostly o 12 procent."),
            art(2, "Olympics to be held without fans", "en", body="The Tokyo Olympics will go ahead without fans.")]
    known = [replace(a, body_features=tuple(sorted(features(a.text[:BODY_CHARS])))) for a in arts]
    assert all(a.body_features for a in known) and not any(a.body_features for a in arts)
    computed, given = article_signals(arts, embedder), article_signals(known, embedder)
    for name in ("words", "title_words"):
        x, y = getattr(computed, name), getattr(given, name)
        assert x.vocab == y.vocab and all(np.array_equal(getattr(x, f), getattr(y, f)) for f in ("indptr", "ids", "weights"))
    assert group_articles(arts, GroupingConfig(), embedder) == group_articles(known, GroupingConfig(), embedder)
    odd = article_signals([replace(a, body_features=("zzzzz",)) for a in arts], embedder)
    assert "zzzzz" in odd.words.vocab and "vzros" in computed.words.vocab  # what the article holds is used,
    assert "vzros" not in odd.words.vocab  # not its body again


@pytest.mark.parametrize("dense", [True, False])
def test_pair_similarities_are_each_pairs_own_product_however_they_are_chunked(monkeypatch, dense: bool) -> None:
    """Headline and lead similarities of many pairs at once (rows converted once per chunk, gathered a block at a
    time) are bit for bit the product of the pair's two rows computed alone."""
    from digest import embed
    from digest.embed import HalfVectors
    from digest.group_model import rowwise_dot

    rng = np.random.default_rng(11)
    if not dense:
        monkeypatch.setattr(embed, "DENSE_ROWS", 10)  # rows converted on each read, as on a large site
    vecs = HalfVectors(rng.standard_normal((400, 512)).astype(np.float16))
    i = np.sort(rng.integers(0, 400, 3000)).astype(np.int32)
    j = rng.integers(0, 400, 3000).astype(np.int32)
    alone = np.array([np.einsum("ij,ij->i", vecs[i[k : k + 1]], vecs[j[k : k + 1]])[0] for k in range(len(i))])
    for chunk, block in ((65536, 1024), (500, 64), (7, 3), (1, 1)):
        assert np.array_equal(rowwise_dot(vecs, i, j, chunk=chunk, block=block), alone)
    assert vecs.keeps_float32 == dense


def test_empty_and_single(embedder):
    assert group_articles([], GroupingConfig(), embedder).clusters == ()
    assert group_articles(NEWS[:1], GroupingConfig(), embedder).clusters == ((0,),)


def test_explain_lists_member_and_nearest_outside_pairs(embedder):
    ex = explain(NEWS, "a0", GroupingConfig(), embedder)
    assert {NEWS[i].id for i in ex.members} == {"a0", "a1"}
    assert any({p.a, p.b} == {"a0", "a1"} and p.joined for p in ex.inside)
    assert ex.outside and all(not p.joined for p in ex.outside)
    assert ex.threshold == GroupingConfig().threshold


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Kharkiv", {"khark"}),
        ("Харків", {"khark"}),
        ("inflation 3,1 %", {"infla", "#31"}),
        ("inflation 3.1%", {"infla", "#31"}),
        ("2 600 people", {"#2600", "peopl"}),
    ],
)
def test_features_fold_scripts_accents_and_numbers(text, expected):
    assert features(text) == expected


def test_outlet_names_are_removed_from_headlines():
    titles = ["Team held at airport | WTOP", "Another story here | WTOP", "Sports News | Babies allowed in Tokyo village"]
    heads, tails = outlet_segments(titles + ["Sports News | Something else happened"])
    assert clean_title(titles[0], heads, tails) == "Team held at airport"
    assert clean_title(titles[2], heads, tails) == "Babies allowed in Tokyo village"
    assert clean_title("Short - Reuters", heads, tails) == "Short - Reuters"


def test_distinct_pair_keys_are_what_numpy_unique_gives() -> None:
    """Candidate pairs are deduplicated with a sort (numpy's own unique is 8x slower on millions of keys):
    the same sorted distinct keys, for empty, repeated and large inputs."""
    import numpy as np

    from digest.lexical import unique

    rng = np.random.default_rng(11)
    for n, high in ((0, 5), (1, 5), (7, 2), (1000, 30), (200_000, 10**12)):
        keys = rng.integers(0, high, n, dtype=np.int64)
        got = unique(keys)
        assert got.dtype == keys.dtype and np.array_equal(got, np.unique(keys))
        scratch = keys.copy()
        assert np.array_equal(unique(scratch, in_place=True), got)  # sorting the scratch copy where it is


def test_candidates_and_scores_do_not_depend_on_the_number_of_threads(monkeypatch) -> None:
    """Grouping searches neighbours and scores pairs on one thread per core: the pairs, scores and
    features must be the very same with one thread or several (a machine's cores never change stories),
    ties between identical headlines included."""
    import numpy as np

    from digest import group_candidates
    from digest.embed import HalfVectors
    from digest.group import score_candidates
    from digest.group_model import Signals
    from digest.lexical import SparseVectors, idf_vectors

    monkeypatch.setattr(group_candidates, "_BLOCK", 16)  # many blocks, so several run at once
    rng = np.random.default_rng(5)
    n = 400
    base = rng.standard_normal((60, 512)).astype(np.float32)
    vecs = base[rng.integers(0, 60, n)] + 0.3 * rng.standard_normal((n, 512)).astype(np.float32)
    vecs[::7] = vecs[0]  # exact ties
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    half = HalfVectors(vecs.astype(np.float16))
    hours = np.sort(rng.uniform(0, 24 * 10, n))
    hours[::13] = np.nan  # undated articles are compared with everyone
    langs = tuple(rng.choice(["en", "fr", "de", "sl"], n).tolist())
    docs = [np.unique(rng.integers(0, 300, 12)).astype(np.int32) for _ in range(n)]
    names = tuple(f"w{x:03d}" for x in range(300))
    words: SparseVectors = idf_vectors(docs, names)
    sig = Signals(titles=tuple(f"t{x}" for x in range(n)), title_vecs=half, lead_vecs=half,
                  has_body=rng.random(n) < 0.5, hours=hours, covered=np.array([x != "sl" for x in langs]),
                  langs=langs, words=words, title_words=words)
    active = np.ones(n, dtype=bool)
    settings = GroupingConfig(neighbours=5)
    one = score_candidates(sig, active, settings, chunk=500, threads=1)
    assert len(one.i) > 1000
    for threads in (2, 3):
        many = score_candidates(sig, active, settings, chunk=500, threads=threads)
        assert np.array_equal(many.i, one.i) and np.array_equal(many.j, one.j)
        assert np.array_equal(many.score, one.score)
        for name in one.features:
            assert np.array_equal(many.features[name], one.features[name], equal_nan=True)


def test_thread_map_keeps_input_order_and_holds_blas_to_one_thread_per_call() -> None:
    from threadpoolctl import threadpool_info

    from digest.parallel import thread_map

    def blas() -> list[int]:
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas()
    seen: list[list[int]] = []

    def work(x: int) -> int:
        seen.append(blas())
        return x * x

    assert thread_map(work, range(50), threads=2) == [x * x for x in range(50)]
    assert all(s == [1] * len(before) for s in seen) and blas() == before
    assert thread_map(work, [], threads=2) == []


def test_blocking_keys_are_the_same_whatever_the_block_of_rows() -> None:
    """Each article's heaviest features (lexical blocking keys) are found a block of rows at a time to bound
    memory: the same rows, features and weights, ties in string order, as all rows at once."""
    import numpy as np

    from digest.lexical import SparseVectors

    rng = np.random.default_rng(5)
    n, vocab = 300, tuple(f"w{k:03d}" for k in range(60))
    lengths = rng.integers(0, 20, n)
    ids = [np.sort(rng.choice(len(vocab), size=m, replace=False)).astype(np.int32) for m in lengths]
    weights = [rng.integers(1, 4, len(x)).astype(np.float64) for x in ids]  # few values: many ties
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    vec = SparseVectors(vocab, indptr, np.concatenate(ids), np.concatenate(weights))
    rows = np.flatnonzero(rng.random(n) < 0.8)

    whole = vec.heaviest(rows, 5, block=len(rows) + 1)
    for row in rows[:40].tolist():  # the definition, for some rows: heaviest first, then string order
        mine = [(-w, vocab[f], f, w) for f, w in zip(ids[row].tolist(), weights[row].tolist())]
        expected = [(f, w) for _, _, f, w in sorted(mine)[:5]]
        at = whole[0] == row
        assert list(zip(whole[1][at].tolist(), whole[2][at].tolist())) == expected
    for block in (1, 7, 64):
        got = vec.heaviest(rows, 5, block=block)
        assert all(np.array_equal(g, w) for g, w in zip(got, whole))
    assert all(len(x) == 0 for x in vec.heaviest(np.zeros(0, dtype=np.int64), 5))


def test_shared_words_shown_for_pairs_match_their_definition() -> None:
    """Explanations list the heaviest words two articles share (by the product of their weights; ties in
    string order), for thousands of pairs at once: the same as taking each pair's two rows one by one."""
    import numpy as np

    from digest.lexical import SparseVectors

    rng = np.random.default_rng(11)
    n, vocab = 200, tuple(f"w{k:03d}" for k in range(40))
    lengths = rng.integers(0, 15, n)
    ids = [np.sort(rng.choice(len(vocab), size=m, replace=False)).astype(np.int32) for m in lengths]
    weights = [rng.integers(1, 4, len(x)).astype(np.float64) / 4 for x in ids]  # few values: many ties
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    vec = SparseVectors(vocab, indptr, np.concatenate(ids), np.concatenate(weights))
    i, j = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    got = vec.shared(i, j, limit=4)
    for a, b, words in zip(i.tolist(), j.tolist(), got):
        wa = dict(zip((vocab[f] for f in ids[a].tolist()), weights[a].tolist()))
        wb = dict(zip((vocab[f] for f in ids[b].tolist()), weights[b].tolist()))
        expected = sorted((f for f in wa if f in wb), key=lambda f: (-wa[f] * wb[f], f))[:4]
        assert list(words) == expected
    assert any(len(w) == 4 for w in got) and any(len(w) == 0 for w in got)
    assert vec.shared(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)) == []


@pytest.mark.parametrize(("scratch", "batch"), [(1, 1 << 16), (100, 1 << 16), (1 << 20, 1 << 16), (1 << 20, 30)])
def test_word_cosines_of_pairs_match_their_definition(monkeypatch: pytest.MonkeyPatch, scratch: int,
                                                      batch: int) -> None:
    """The lexical cosine of each candidate pair, computed a batch of articles at a time, equals the dot
    product of the two rows taken one by one, to the last bit (the same products summed in the same order)."""
    import numpy as np

    from digest import lexical

    monkeypatch.setattr(lexical, "_SCRATCH", scratch)  # scratch rows per batch: one, a few, all
    monkeypatch.setattr(lexical, "_BATCH", batch)  # or as many as keep their partners' features under 30
    rng = np.random.default_rng(3)
    n, vocab = 150, tuple(f"w{k:03d}" for k in range(50))
    lengths = rng.integers(0, 12, n)
    ids = [np.sort(rng.choice(len(vocab), size=m, replace=False)).astype(np.int32) for m in lengths]
    weights = [rng.random(len(x)) for x in ids]
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    vec = lexical.SparseVectors(vocab, indptr, np.concatenate(ids), np.concatenate(weights))
    i, j = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    got = vec.cosines(i, j)
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist())):
        wa = dict(zip(ids[a].tolist(), weights[a].tolist()))
        expected = 0.0
        for f, w in zip(ids[b].tolist(), weights[b].tolist()):
            expected += wa.get(f, 0.0) * w
        assert got[k] == expected
    assert len(vec.cosines(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))) == 0


@pytest.mark.parametrize("window", [48.0, 0.0])
@pytest.mark.parametrize("group", [4, 1000])
def test_embedding_neighbours_are_each_articles_nearest_by_definition(monkeypatch, window: float, group: int) -> None:
    """Each active article's ``k`` most similar active articles in its own language and ``k`` in other
    languages, inside the time window (undated articles: with everyone), reaching the floor; ties go to the
    earlier article (undated ones last). Checked against that definition one article at a time, for small
    blocks and groups (the bound on each row's k-th best) and without a bound (``group`` too big for the
    row), with many exact ties (vectors whose products are exact in float32, so a tie is a tie)."""
    import numpy as np

    from digest import group_candidates

    monkeypatch.setattr(group_candidates, "_BLOCK", 8)
    monkeypatch.setattr(group_candidates, "_GROUP", group)
    rng = np.random.default_rng(17)
    n, k, floor = 300, 4, 0.15
    base = rng.integers(-1, 2, (25, 512))
    noise = rng.integers(-1, 2, (n, 512)) * (rng.random((n, 512)) < 0.2)
    vecs = (np.clip(base[rng.integers(0, 25, n)] + noise, -1, 1) / 32).astype(np.float32)
    vecs[::9] = vecs[4]  # exact duplicates
    hours = np.round(rng.uniform(0, 24 * 8, n))  # equal times too
    hours[::11] = np.nan
    langs = rng.choice(["en", "fr", "de"], n)
    active = rng.random(n) < 0.9
    got = set(group_candidates.embedding_neighbours(vecs, hours, active, window, k, langs, floor=floor,
                                                    threads=2).tolist())

    sims = vecs.astype(np.float64) @ vecs.T.astype(np.float64)  # exact: multiples of 1/1024
    dated = [a for a in range(n) if not np.isnan(hours[a])]
    order = sorted(dated, key=lambda a: (hours[a], a)) + [a for a in range(n) if np.isnan(hours[a])]
    position = {a: p for p, a in enumerate(order)}
    expected = set()
    for a in np.flatnonzero(active).tolist():
        for own in (True, False):
            near = [b for b in np.flatnonzero(active).tolist()
                    if b != a and (langs[a] == langs[b]) == own and sims[a, b] >= np.float32(floor)
                    and (window <= 0 or np.isnan(hours[a]) or np.isnan(hours[b]) or abs(hours[a] - hours[b]) <= window)]
            near.sort(key=lambda b: (-sims[a, b], position[b]))
            expected |= {min(a, b) * n + max(a, b) for b in near[:k]}
    assert len(expected) > 300
    assert got == expected


def test_lead_is_the_start_of_the_whole_body_cut_at_a_sentence_or_word() -> None:
    """The lead embedded for each article is read from the first paragraphs only: the same text as cutting the
    whole body (whitespace collapsed) at ``limit``, for bodies shorter, just as long, and longer than it."""
    import random

    from digest.group_model import lead_text

    def whole_body(paragraphs: tuple[str, ...], limit: int) -> str:  # the definition
        text = " ".join("\n\n".join(paragraphs).split())
        if len(text) <= limit:
            return text
        cut = text[:limit]
        end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
        return cut[: end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0]

    rng = random.Random(3)
    words = ["a", "bb", "ccc", "Alden.", "tram?", "opens!", "x" * 30, "  ", "\n", "\t"]
    for _ in range(3000):
        paragraphs = tuple("".join(rng.choice(words) + rng.choice([" ", "", "  "]) for _ in range(rng.randint(0, 12)))
                           for _ in range(rng.randint(1, 5)))
        limit = rng.randint(1, 60)
        article = art(0, "Headline", body="\n\n".join(paragraphs))
        article = replace(article, paragraphs=paragraphs)
        assert lead_text(article, limit) == whole_body(paragraphs, limit), (paragraphs, limit)


def test_rarest_unshared_word_of_pairs_matches_its_definition() -> None:
    """For each pair, the rarer of the two headlines' rarest words that the other lacks (IDF), 0 when one
    headline's words are all in the other: thousands of pairs at once equal each pair's two sets taken alone."""
    import numpy as np

    from digest.lexical import SparseVectors

    rng = np.random.default_rng(5)
    n, vocab = 150, tuple(f"w{k:03d}" for k in range(30))
    idf = rng.random(len(vocab)) * 5
    lengths = rng.integers(0, 8, n)
    ids = [np.sort(rng.choice(len(vocab), size=m, replace=False)).astype(np.int32) for m in lengths]
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    vec = SparseVectors(vocab, indptr, np.concatenate(ids), np.ones(int(lengths.sum())), idf)
    i, j = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    got = vec.rarest_unshared(i, j)
    for block in (1, 7, 1000):
        assert np.array_equal(vec.rarest_unshared(i, j, block=block), got)
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist())):
        sa, sb = set(ids[a].tolist()), set(ids[b].tolist())
        expected = min(max((idf[f] for f in sa - sb), default=0.0), max((idf[f] for f in sb - sa), default=0.0))
        assert got[k] == expected
    assert (got == 0).any() and (got > 0).any()
    assert len(vec.rarest_unshared(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))) == 0


def test_headlines_naming_different_rare_things_weigh_against_a_cross_language_pair_only() -> None:
    """The same signals except the rarest unshared word: across languages, a pair whose headlines each name
    something rare the other does not scores lower; within one language the signal is not weighed (on the
    labelled data it told nothing there)."""
    import numpy as np

    from digest.group_model import KINDS, score_pairs

    base = {"title": np.full(4, 0.6), "lead": np.full(4, np.nan), "words": np.full(4, np.nan),
            "title_words": np.full(4, 0.2), "days": np.full(4, 0.2), "unshared": np.array([0.0, 0.8, 0.0, 0.8])}
    kind = np.array([KINDS.index("cross")] * 2 + [KINDS.index("same")] * 2)
    score = score_pairs(base, kind, np.zeros(4, dtype=bool))
    assert score[1] < score[0] - 0.1
    assert score[2] == score[3]

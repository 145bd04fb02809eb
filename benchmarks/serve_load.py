"""Benchmark: a bounded load test of the dev server on loopback while rebuilds run.

Generates a small site (``benchmarks/serve.py``'s generator) in a temporary folder, starts the
real ``DevServer`` (live reload on) in a thread on a free loopback port, and runs N client
threads that loop over a mix of real requests for a fixed time: the front page, edition and day
pages, story and article pages, ``api/stories.json``, the stylesheet, a HEAD request, an unknown
path (must be 404) and the live-reload event stream. Meanwhile a separate thread keeps adding,
editing and deleting content files every 1–2 s, so the watcher triggers rebuilds under load.

A request fails when it errors (refused, reset, timeout, truncated body) or answers anything but
what its path must answer: 200 for pages that exist, 404 for the unknown path, an HTML body that
ends with ``</html>`` (never half-written), a ``stories.json`` that parses, an event stream that
sends the current state. Exit status 1 when any request failed.

    python benchmarks/serve_load.py                          # 50 clients for 20 s, 200 articles
    python benchmarks/serve_load.py --clients 10 --seconds 5 --articles 60
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import logging
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path[:1]:  # run as a script: import digest from this checkout, not an installed copy
    sys.path.insert(0, str(REPO))

from digest.livereload import EVENTS_PATH  # noqa: E402
from digest.serve import DevServer, default_builder  # noqa: E402

log = logging.getLogger("digest.bench.serve_load")

START_TIMEOUT = 120.0  # seconds for the first build (the encoder loads, every article is embedded once)
REQUEST_TIMEOUT = 10.0  # a request that takes longer than this counts as failed
SAVE_EVERY = (1.0, 2.0)  # seconds between two content saves (uniform)
LOAD_FOLDER = "load"  # under content/: the only files the editing thread touches
MAX_LOAD_FILES = 6  # the editing thread deletes its oldest file beyond this many
SAMPLES_PER_KIND = 8  # pages of each kind (day, story, article) the clients request
SHOWN_FAILURES = 10  # failures described in the log
NOT_FOUND_PATH = "/no-such-page/"


def _load_sibling(name: str) -> ModuleType:
    """A module of this folder by file name (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- what the clients request ------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One request of the mix and what it must answer."""

    path: str
    kind: str  # "html", "json", "css", "head", "missing" or "events"
    weight: int = 1

    @property
    def method(self) -> str:
        return "HEAD" if self.kind == "head" else "GET"

    @property
    def status(self) -> int:
        return 404 if self.kind == "missing" else 200


def _url(out: Path, file: Path) -> str:
    rel = file.relative_to(out).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _sample(out: Path, pattern: str, rng: random.Random) -> list[Path]:
    found = sorted(out.glob(pattern))
    return sorted(rng.sample(found, min(SAMPLES_PER_KIND, len(found))))


def pick_targets(out: Path, seed: int = 0) -> list[Target]:
    """The request mix, from the first build's output (so every page in it exists)."""
    rng = random.Random(seed)
    pages = [out / "index.html", *sorted(out.glob("*/index.html")), *_sample(out, "*/[0-9]*/*/*/index.html", rng),
             *_sample(out, "stories/*/index.html", rng), *_sample(out, "articles/*/*/index.html", rng)]
    targets = [Target(_url(out, p), "html", 3 if p == out / "index.html" else 1) for p in pages]
    targets += [Target("/api/stories.json", "json", 3), Target(NOT_FOUND_PATH, "missing", 2),
                Target("/", "head", 2), Target(EVENTS_PATH, "events", 2)]
    targets += [Target(_url(out, css), "css", 2) for css in sorted(out.glob("static/*.css"))]
    return targets


# -- one request -------------------------------------------------------------------------------------
def check_response(target: Target, status: int, headers: http.client.HTTPMessage, body: bytes) -> str | None:
    """Why this answer is wrong for ``target`` (None when it is right)."""
    if status != target.status:
        return f"status {status}, expected {target.status}"
    if target.kind == "head":
        return None if body == b"" and int(headers.get("Content-Length", "0")) > 0 else "HEAD without length or with a body"
    if target.kind in ("html", "missing") and not body.rstrip().endswith(b"</html>"):
        return f"HTML body does not end with </html> ({len(body)} bytes)"
    if target.kind == "json":
        try:
            json.loads(body)
        except ValueError as exc:
            return f"stories.json does not parse ({exc}; {len(body)} bytes)"
    if target.kind == "css" and not body:
        return "empty stylesheet"
    return None


def _read_first_state(resp: http.client.HTTPResponse) -> str | None:
    """Read an event stream until its first ``state`` event (the server sends the current state at once)."""
    if not resp.getheader("Content-Type", "").startswith("text/event-stream"):
        return f"event stream with Content-Type {resp.getheader('Content-Type')!r}"
    block: list[bytes] = []
    while line := resp.readline():
        if line.strip():
            block.append(line)
            continue
        if any(ln.startswith(b"event: state") for ln in block):
            data = b"".join(ln[6:] for ln in block if ln.startswith(b"data: "))
            return None if "generation" in json.loads(data) else "state event without a generation"
        block = []
    return "event stream ended before the first state event"


def request(address: tuple[str, int], target: Target, timeout: float = REQUEST_TIMEOUT) -> str | None:
    """Send one request of the mix; the reason it failed, or None."""
    conn = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        conn.request(target.method, target.path)
        resp = conn.getresponse()
        if target.kind == "events":
            return _read_first_state(resp) if resp.status == 200 else f"status {resp.status}, expected 200"
        return check_response(target, resp.status, resp.headers, resp.read())
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


# -- the load ----------------------------------------------------------------------------------------
@dataclass
class ClientLog:
    """What one client thread saw (no locking: each thread has its own)."""

    latencies: list[float] = field(default_factory=list)  # seconds, every request
    failures: list[tuple[str, str]] = field(default_factory=list)  # (method path, reason)
    kinds: Counter[str] = field(default_factory=Counter)


def client_loop(address: tuple[str, int], targets: Sequence[Target], until: float, seed: int) -> ClientLog:
    """Request random targets of the mix back to back until ``until`` (monotonic)."""
    rng = random.Random(seed)
    weights = [t.weight for t in targets]
    seen = ClientLog()
    while time.monotonic() < until:
        target = rng.choices(targets, weights)[0]
        start = time.perf_counter()
        reason = request(address, target)
        seen.latencies.append(time.perf_counter() - start)
        seen.kinds[target.kind] += 1
        if reason:
            seen.failures.append((f"{target.method} {target.path}", reason))
    return seen


def _load_article(i: int, title: str) -> str:
    return (f"---\ntitle: {json.dumps(title)}\ndate: 2024-06-30T23:{i % 60:02d}:00+00:00\nlang: en\n"
            f"source: Load Test Wire\n---\n\n{title}. Bulletin number {i} of the load test, nothing else.\n")


def _save(path: Path, text: str) -> None:
    """Save like an editor that writes atomically (the temporary name is one the watcher ignores)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def edit_loop(content: Path, stop: threading.Event, seed: int = 0) -> int:
    """Add, retitle and delete files of ``content/load/`` every 1–2 s until ``stop``; the number of saves."""
    rng = random.Random(seed)
    folder = content / LOAD_FOLDER
    folder.mkdir(exist_ok=True)
    files: list[Path] = []
    saves = 0
    while not stop.wait(rng.uniform(*SAVE_EVERY)):
        if files and saves % 3 == 2:  # retitle one of ours
            path = rng.choice(files)
            _save(path, _load_article(saves, f"Load test bulletin {saves} revised"))
        else:
            path = folder / f"bulletin-{saves:04d}.md"
            _save(path, _load_article(saves, f"Load test bulletin {saves}"))
            files.append(path)
            if len(files) > MAX_LOAD_FILES:
                files.pop(0).unlink()
        saves += 1
    return saves


class CountingBuilder:
    """The real builder, counting successful and failed builds and timing them."""

    def __init__(self, builder: Callable[[Any], Any]) -> None:
        self._builder = builder
        self.ok = 0
        self.failed = 0
        self.seconds: list[float] = []

    def __call__(self, cfg: Any) -> Any:
        start = time.perf_counter()
        try:
            result = self._builder(cfg)
        except Exception:
            self.failed += 1
            raise
        self.ok += 1
        self.seconds.append(time.perf_counter() - start)
        return result

    def close(self) -> None:
        close = getattr(self._builder, "close", None)
        if close:
            close()


@dataclass
class LoadResult:
    """The figures of one run."""

    clients: int
    seconds: float  # wall time of the load phase
    latencies: list[float]
    failures: list[tuple[str, str]]
    kinds: Counter[str]
    rebuilds: int  # successful rebuilds during the load (the first build is not counted)
    failed_builds: int
    rebuild_seconds: list[float]
    saves: int

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _start(server: DevServer) -> threading.Thread:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            server.run()
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            errors.append(exc)

    thread = threading.Thread(target=target, name="digest-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.ready.wait(0.1):
        if errors or not thread.is_alive() or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the dev server did not start: {errors[0] if errors else 'timed out'}")
    return thread


def drive(server: DevServer, content: Path, clients: int, seconds: float) -> tuple[list[ClientLog], int, float]:
    """Run the clients and the editing thread against a ready server for ``seconds``."""
    assert server.httpd is not None
    address = server.httpd.server_address[:2]
    targets = pick_targets(server.httpd.root)
    log.info("%d clients for %.0fs over %d paths", clients, seconds, len(targets))
    stop = threading.Event()
    saves: list[int] = []
    editor = threading.Thread(target=lambda: saves.append(edit_loop(content, stop)), name="load-editor", daemon=True)
    logs: list[ClientLog | None] = [None] * clients
    start = time.perf_counter()
    until = time.monotonic() + seconds

    def run_client(i: int) -> None:
        logs[i] = client_loop(address, targets, until, seed=i)

    threads = [threading.Thread(target=run_client, args=(i,), name=f"load-client-{i}", daemon=True)
               for i in range(clients)]
    editor.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 3 * REQUEST_TIMEOUT)
    elapsed = time.perf_counter() - start
    stop.set()
    editor.join(REQUEST_TIMEOUT)
    hung = [ClientLog(failures=[("client", "did not finish")]) for entry in logs if entry is None]
    return [entry for entry in logs if entry is not None] + hung, (saves[0] if saves else 0), elapsed


def run_load(site: Path, *, clients: int = 50, seconds: float = 20.0) -> LoadResult:
    """Start the dev server on ``site`` (loopback, free port, live reload) and put it under load."""
    builder = CountingBuilder(default_builder())
    server = DevServer(site, bind="127.0.0.1", port=0, builder=builder, live_reload=True)
    thread = _start(server)
    try:
        first = builder.ok
        logs, saves, elapsed = drive(server, site / "content", clients, seconds)
    finally:
        server.stop()  # a rebuild under way finishes first (and is counted)
        thread.join(START_TIMEOUT)
    return LoadResult(
        clients=clients, seconds=elapsed,
        latencies=[s for entry in logs for s in entry.latencies],
        failures=[f for entry in logs for f in entry.failures],
        kinds=sum((entry.kinds for entry in logs), Counter()),
        rebuilds=builder.ok - first, failed_builds=builder.failed,
        rebuild_seconds=builder.seconds[first:], saves=saves,
    )


def generate(root: Path, articles: int) -> Path:
    """A deterministic site of about ``articles`` articles (benchmarks/serve.py's generator)."""
    _load_sibling("serve").generate_site(root, articles)
    return root


def load_test(clients: int, seconds: float, articles: int) -> LoadResult:
    """Generate a site in a temporary folder and run the load test on it."""
    with tempfile.TemporaryDirectory(prefix="digest-serve-load-") as tmp:
        return run_load(generate(Path(tmp) / "site", articles), clients=clients, seconds=seconds)


# -- the report --------------------------------------------------------------------------------------
def format_table(result: LoadResult) -> str:
    rebuild = sorted(result.rebuild_seconds)
    median = f"{rebuild[len(rebuild) // 2]:.2f}s" if rebuild else "-"
    header = (f"{'clients':>7} {'seconds':>7} {'requests':>8} {'failed':>6} {'req/s':>7} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'max ms':>7} {'rebuilds':>8} {'rebuild p50':>11}")
    row = (f"{result.clients:>7} {result.seconds:>7.1f} {result.requests:>8} {result.failed:>6} "
           f"{result.requests / result.seconds:>7.0f} {result.percentile_ms(0.50):>7.1f} "
           f"{result.percentile_ms(0.95):>7.1f} {result.percentile_ms(1.0):>7.1f} {result.rebuilds:>8} {median:>11}")
    mix = ", ".join(f"{kind} {n}" for kind, n in sorted(result.kinds.items()))
    notes = (f"requests by kind: {mix}\ncontent saves: {result.saves}; failed builds: {result.failed_builds}; "
             f"{os.cpu_count()} cores; server and clients in one process")
    return "\n".join([header, "-" * len(header), row, "", notes])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50, help="concurrent client threads (default: 50)")
    ap.add_argument("--seconds", type=float, default=20.0, help="duration of the load (default: 20)")
    ap.add_argument("--articles", type=int, default=200, help="articles in the generated site (default: 200)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the server's log (one line per rebuild)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = load_test(args.clients, args.seconds, args.articles)
    for what, reason in result.failures[:SHOWN_FAILURES]:
        log.error("failed: %s: %s", what, reason)
    print(format_table(result), flush=True)
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())

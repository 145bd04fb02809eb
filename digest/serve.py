"""The dev server: build, serve output/, watch the sources, rebuild after a burst of saves, reload open pages.

One loop owns every build (the watcher callback only records changed paths): it waits until
saves stop arriving (debounce), rebuilds with one long-lived ``Embedder`` (model and embeddings
stay warm), publishes the outcome to open pages over Server-Sent Events, and on failure logs
the error and keeps serving the last good site while the pages show an overlay.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .config import CONFIG_NAME, SiteConfig, load_config
from .errors import DigestError
from .livereload import BuildState, EventHub, describe_error
from .serve_http import DevHTTPServer, bind_server, is_loopback

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.2  # a rebuild starts once no save arrived for this long …
MAX_WAIT_SECONDS = 2.0  # … or this long after the first save of a burst, whichever comes first
WATCHED_EVENTS = frozenset({"created", "modified", "deleted", "moved"})
TEMP_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload", ".kate-swp")
SHOWN_PATHS = 3  # paths named in a log line before "+N more"

Builder = Callable[[SiteConfig], Any]  # cfg → BuildResult (or anything with written/removed/unchanged/timings)


def is_temp_file(name: str) -> bool:
    """Editor scratch files (swap, backup, lock, atomic-save temporaries) never trigger a rebuild."""
    return name.startswith((".", "#")) or name.endswith(TEMP_SUFFIXES) or name == "4913"


class ChangeRecorder:
    """The watchdog callback: records which paths changed and when. It never builds (the loop does)."""

    def __init__(self, accept: Callable[[str], bool]) -> None:
        self._accept = accept
        self._lock = threading.Lock()
        self._paths: dict[str, None] = {}
        self.last_change = 0.0
        self.pending = threading.Event()

    def dispatch(self, event: Any) -> None:  # the watchdog handler interface
        if event.event_type not in WATCHED_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw) if raw else ""
            if path and self._accept(path):
                self.record(path)

    def record(self, path: str) -> None:
        with self._lock:
            self._paths[path] = None
            self.last_change = time.monotonic()
            self.pending.set()

    def take(self) -> list[str]:
        """The paths recorded since the last call, in arrival order."""
        with self._lock:
            paths = list(self._paths)
            self._paths.clear()
            self.pending.clear()
            return paths


def wait_for_quiet(recorder: ChangeRecorder, stop: threading.Event, *, debounce: float = DEBOUNCE_SECONDS,
                   max_wait: float = MAX_WAIT_SECONDS) -> list[str]:
    """Block until changes arrive and then stop arriving for ``debounce`` seconds; return them (empty on stop)."""
    while not stop.is_set():
        if not recorder.pending.wait(timeout=0.25):
            continue
        first = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            quiet, waited = now - recorder.last_change, now - first
            if quiet >= debounce or waited >= max_wait:
                break
            stop.wait(min(debounce - quiet, max_wait - waited))
        return recorder.take()
    return []


def default_builder(include_drafts: bool = False) -> Builder:
    """The incremental pipeline (:class:`digest.build.Builder`), kept for the life of the server.

    It remembers the last build in memory, so a save is read, encoded and rendered alone (``quick``)
    and the exact build that regroups everything follows it (see ``DevServer.rebuild``).
    """
    from .build import Builder as IncrementalBuilder

    return IncrementalBuilder(include_drafts=include_drafts)


@contextmanager
def _quiet_pipeline(active: bool) -> Iterator[None]:
    """During rebuilds the pipeline's INFO chatter is held back (warnings still show): one line per rebuild."""
    root = logging.getLogger("digest")
    if not active or root.getEffectiveLevel() != logging.INFO:
        yield
        return
    ours = [logging.getLogger(n) for n in (__name__, "digest.serve_http", "digest.livereload")]
    saved = root.level, [lg.level for lg in ours]
    root.setLevel(logging.WARNING)
    for lg in ours:
        lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.setLevel(saved[0])
        for lg, level in zip(ours, saved[1]):
            lg.setLevel(level)


def _names(paths: Sequence[str], limit: int = SHOWN_PATHS) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" (+{len(paths) - limit} more)" if len(paths) > limit else "")


class DevServer:
    """Build, serve and watch one site. ``run()`` does everything in the calling thread until ``stop()``."""

    def __init__(self, site_dir: Path | str, *, bind: str = "127.0.0.1", port: int = 8000, poll: bool = False,
                 live_reload: bool = True, open_browser: bool = False, output_dir: str | None = None,
                 builder: Builder | None = None, include_drafts: bool = False,
                 debounce: float = DEBOUNCE_SECONDS, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.site_dir = Path(site_dir).resolve()
        self.bind, self.port, self.poll = bind, port, poll
        self.live_reload, self.open_browser = live_reload, open_browser
        self.output_dir = output_dir
        self.builder = builder or default_builder(include_drafts)
        self.debounce, self.max_wait = debounce, max_wait
        self.hub = EventHub()
        self.recorder = ChangeRecorder(self._relevant)
        self.httpd: DevHTTPServer | None = None
        self.ready = threading.Event()  # set once the first build is done and the server accepts requests
        self.builds = 0  # build attempts, for tests and benchmarks
        self._stop = threading.Event()
        self._cfg: SiteConfig | None = None
        self.exact_pending = False  # the last build was quick (provisional): an exact one follows
        self._watches: dict[Path, tuple[Any, int]] = {}
        self._observer: Any = None

    # -- what to watch ---------------------------------------------------------------------------
    def _watch_targets(self) -> list[tuple[Path, bool]]:
        content = self._cfg.content_path if self._cfg else self.site_dir / "content"
        return [(self.site_dir, False), (content.resolve(), True),
                (self.site_dir / "themes", True), (self.site_dir / "templates", True)]

    def _relevant(self, path: str) -> bool:
        p = Path(path)
        if is_temp_file(p.name):
            return False
        if p.parent == self.site_dir:  # the site folder itself is watched for config.yaml and new folders
            return p.name == CONFIG_NAME or any(p == t for t, recursive in self._watch_targets() if recursive)
        output = self._cfg.output_path.resolve() if self._cfg else self.site_dir / "output"
        if p == output or output in p.parents:
            return False
        try:
            inside = p.relative_to(self.site_dir).parts
        except ValueError:
            inside = ()
        return not any(part.startswith(".") for part in inside)  # .git/, .digest-cache/, hidden folders

    def _ensure_watches(self) -> None:
        """Watch every target folder that exists (again, if it was deleted and recreated)."""
        if self._observer is None:
            return
        for folder, recursive in self._watch_targets():
            try:
                inode = folder.stat().st_ino if folder.is_dir() else None
            except OSError:
                inode = None
            known = self._watches.get(folder)
            if known and known[1] == inode:
                continue
            if known:
                try:
                    self._observer.unschedule(known[0])
                except (KeyError, ValueError, OSError):
                    pass
                del self._watches[folder]
            if inode is not None:
                try:
                    self._watches[folder] = (self._observer.schedule(self.recorder, str(folder), recursive=recursive), inode)
                except OSError as exc:
                    log.warning("cannot watch %s (%s): changes there need a restart (or try --poll)", folder, exc)

    def _start_watching(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        self._observer = PollingObserver(timeout=0.5) if self.poll else Observer()
        self._ensure_watches()
        try:
            self._observer.start()
        except OSError as exc:  # e.g. the inotify watch limit
            if self.poll:
                raise
            log.warning("file change events are unavailable (%s): polling instead", exc)
            self.poll, self._watches = True, {}
            self._observer = PollingObserver(timeout=0.5)
            self._ensure_watches()
            self._observer.start()

    # -- building --------------------------------------------------------------------------------
    def _build(self, cfg: SiteConfig, changes: Sequence[str]) -> Any:
        """A quick build of just the saved files when the builder can do one, else a full (exact) build."""
        quick_build = getattr(self.builder, "build", None)
        if changes and callable(quick_build) and getattr(self.builder, "supports_quick", False):
            return quick_build(cfg, changed=list(changes), quick=True)
        return self.builder(cfg)

    def rebuild(self, changes: Sequence[str] = ()) -> bool:
        """Reload the config and build; publish the outcome to open pages. False when the build failed.

        With ``changes`` the builder may answer quickly with a provisional site (the saved articles'
        pages current, stories as before); ``exact_pending`` then says that ``rebuild()`` without
        changes should follow, which the serve loop does as soon as no further save is waiting.
        """
        self.builds += 1
        rel = [os.path.relpath(p, self.site_dir) for p in changes]
        why = f" after {len(rel)} change(s) ({_names(rel)})" if rel else ""
        if not rel and self.exact_pending:
            why = " (exact: stories regrouped)"
        start = time.perf_counter()
        try:
            with _quiet_pipeline(bool(rel) or self.exact_pending):
                cfg = load_config(self.site_dir, output_dir=self.output_dir)
                result = self._build(cfg, changes)
        except Exception as exc:  # noqa: BLE001 - any failure must keep the last good site served
            info = describe_error(exc, self.site_dir)
            if not isinstance(exc, DigestError):
                log.error("unexpected error during the build", exc_info=exc)
            log.error("build failed%s in %.2fs: %s — still serving the last good site",
                      why, time.perf_counter() - start, info)
            self.hub.publish(BuildState(self.hub.state.generation, info, False))
            self.exact_pending = False
            return False
        elapsed = time.perf_counter() - start
        self.exact_pending = bool(getattr(result, "provisional", False))
        self._cfg = cfg
        if self.httpd is not None:
            self.httpd.root, self.httpd.prefix = cfg.output_path, cfg.path_prefix
        written, removed = tuple(result.written), tuple(result.removed)
        state = self.hub.state
        changed = bool(written or removed)
        css_only = changed and bool(rel) and all(p.lower().endswith(".css") for p in rel)
        self.hub.publish(BuildState(state.generation + 1 if changed else state.generation, None, css_only))
        stages = " · ".join(f"{name} {sec:.2f}" for name, sec in getattr(result, "timings", ()))
        problems = len(getattr(result, "problems", ()))
        log.info("%s%s in %.2fs: %d written, %d removed, %d unchanged%s%s%s%s%s",
                 "rebuilt" if rel or self.builds > 1 else "built",
                 why, elapsed, len(written), len(removed), getattr(result, "unchanged", 0),
                 f" [{stages}]" if stages else "",
                 f"; written: {_names(written)}" if written else "",
                 f"; removed: {_names(removed)}" if removed else "",
                 f"; {problems} file(s) with problems (listed above)" if problems else "",
                 "; quick: the saved files only, stories as before (the exact build follows)"
                 if self.exact_pending else "")
        return True

    # -- the loop --------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.httpd is not None
        host, port = self.httpd.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        prefix = self._cfg.path_prefix if self._cfg else "/"
        return f"http://{host}:{port}{prefix}"

    def run(self) -> None:
        """Bind, build, serve and rebuild on changes until ``stop()`` (or Ctrl-C in the calling thread)."""
        try:
            self._cfg = load_config(self.site_dir, output_dir=self.output_dir)
        except DigestError:
            self._cfg = None  # reported by the first build below
        root = self._cfg.output_path if self._cfg else self.site_dir / (self.output_dir or "output")
        prefix = self._cfg.path_prefix if self._cfg else "/"
        self.httpd = bind_server(self.bind, self.port, lambda addr, cls: cls(
            addr, self.hub, root, prefix, live_reload=self.live_reload))
        http_thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="digest-http", daemon=True)
        try:
            self._start_watching()
            self.rebuild()
            self._ensure_watches()
            http_thread.start()
            self._announce()
            self.ready.set()
            warm_up = getattr(self.builder, "warm_up", None)
            if callable(warm_up):  # what the first save would wait for (state, models), loaded while idle
                try:
                    warm_up()
                except Exception:  # pragma: no cover - a failure here only costs the first save time
                    log.debug("warm-up failed", exc_info=True)
            while not self._stop.is_set():
                if self.exact_pending and not self.recorder.pending.is_set():
                    self.rebuild()  # the exact build after a quick one; new saves meanwhile get a quick one next
                    continue
                changes = wait_for_quiet(self.recorder, self._stop, debounce=self.debounce, max_wait=self.max_wait)
                if changes and not self._stop.is_set():
                    self.rebuild(changes)
                    self._ensure_watches()
        finally:
            self._shutdown(http_thread)

    def _announce(self) -> None:
        where = "loopback only: other machines cannot connect; use --bind 0.0.0.0 to share on your network" \
            if is_loopback(self.bind) else "reachable from your network"
        log.info("serving %s at %s (%s); watching %s; press Ctrl-C to stop", self.site_dir, self.url, where,
                 "by polling" if self.poll else "for changes")
        if not is_loopback(self.bind):
            log.warning("bound to %s: anyone who can reach this machine can read the preview", self.bind)
        if self.open_browser:
            webbrowser.open(self.url)

    def stop(self) -> None:
        """Ask ``run()`` to finish (from any thread)."""
        self._stop.set()
        self.hub.close()

    def _shutdown(self, http_thread: threading.Thread) -> None:
        self.hub.close()
        if self._observer is not None:
            self._observer.stop()
        if self.httpd is not None:
            if http_thread.is_alive():
                self.httpd.shutdown()
            self.httpd.server_close()
        if self._observer is not None:
            self._observer.join(timeout=5)
        close = getattr(self.builder, "close", None)
        if close:
            close()


def serve(site_dir: Path | str = ".", **options: Any) -> int:
    """Run the dev server until Ctrl-C. Options are those of ``DevServer``."""
    server = DevServer(site_dir, **options)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopped")
    return 0

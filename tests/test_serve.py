"""Dev server without a browser: safe paths, 404, base_url sub-path, debounce, failed builds, injection."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from digest.config import SiteConfig
from digest.errors import BuildError, ConfigError, ThemeError
from digest.livereload import OVERLAY_ID, BuildState, ErrorInfo, EventHub, describe_error, inject, reload_snippet
from digest.serve import ChangeRecorder, DevServer, is_temp_file, wait_for_quiet
from digest.serve_http import DevHTTPServer, resolve_request
from digest.write import write_output

SCRIPT_MARK = b"data-digest-livereload"
WAIT = 20.0  # seconds: generous upper bound for anything asynchronous
OVERLAY_TAG = f'id="{OVERLAY_ID}"'.encode()  # the static overlay (the script only names the id)


def wait_until(predicate: Callable[[], object], timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# -- a tiny fake pipeline: enough to exercise the server without the grouping model ----------------
def page(title: str, body: str) -> str:
    return (f'<!doctype html><html><head><title>{title}</title><link rel="stylesheet" href="/style.css"></head>'
            f"<body><main>{body}</main></body></html>")


class FakeBuilder:
    """Renders one <h2> per content/*.md headline through the real writer; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail_with: Exception | None = None

    def __call__(self, cfg: SiteConfig) -> SimpleNamespace:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        heads = [f.read_text(encoding="utf-8").splitlines()[0] for f in sorted(cfg.content_path.glob("*.md"))]
        items = "".join(f"<h2>{h}</h2>" for h in heads)
        files = {
            "index.html": page("Front", items).encode(),
            "en/index.html": page("English", items).encode(),
            "404.html": page("Not found", "<h1>Page not found</h1>").encode(),
            "fr/404.html": page("Introuvable", "<h1>Page introuvable</h1>").encode(),
            "style.css": (cfg.root / "style.css").read_bytes() if (cfg.root / "style.css").exists() else b"body{}",
            "api/stories.json": json.dumps(heads).encode(),
        }
        report = write_output(cfg.output_path, files, site_root=cfg.root, content_dir=cfg.content_path)
        return SimpleNamespace(written=report.written, removed=report.removed, unchanged=report.unchanged,
                               timings=(("fake", 0.0),), problems=())


def make_site(root: Path, base_url: str = "/") -> Path:
    (root / "content").mkdir(parents=True)
    (root / "config.yaml").write_text(f"title: Test\nbase_url: {base_url}\n", encoding="utf-8")
    (root / "content" / "a.md").write_text("Alpha headline\n", encoding="utf-8")
    return root


@contextmanager
def running(server: DevServer) -> Iterator[DevServer]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            server.run()
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    wait_until(lambda: server.ready.is_set() or errors, what="the server to start")
    if errors:
        raise errors[0]
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=WAIT)
        assert not thread.is_alive(), "the server did not stop"


def fake_server(site: Path, **kw: object) -> tuple[DevServer, FakeBuilder]:
    builder = FakeBuilder()
    server = DevServer(site, port=0, builder=builder, debounce=kw.pop("debounce", 0.15), **kw)  # type: ignore[arg-type]
    return server, builder


def get(server: DevServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """A raw request: the path goes on the wire exactly as given (no client-side normalisation)."""
    host, port = server.httpd.server_address[:2]  # type: ignore[union-attr]
    conn = http.client.HTTPConnection(host, port, timeout=WAIT)
    try:
        conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# -- path safety, as data ------------------------------------------------------------------------
TRAVERSAL = [
    ("/../secret.txt", 400),
    ("/en/../../secret.txt", 400),
    ("/%2e%2e/secret.txt", 400),
    ("/%2E%2E%2Fsecret.txt", 400),
    ("/..%2fsecret.txt", 400),
    ("/%252e%252e/secret.txt", 400),  # double-encoded ..
    ("/%252e%252e%252fsecret.txt", 400),
    ("/..%5csecret.txt", 400),  # backslash
    ("/en\\..\\..\\secret.txt", 400),
    ("/%c0%ae%c0%ae/secret.txt", 400),  # overlong UTF-8 dots
    ("/index.html%00.css", 400),
    ("/./index.html", 400),
    ("http://example.org/../secret.txt", 400),  # absolute-form
    ("C:/secret.txt", 400),
    ("/C:/secret.txt", 400),
    ("//etc/passwd", 404),  # stays inside output/: there is no output/etc/passwd
    ("/etc/passwd", 404),
    ("/out-link/secret.txt", 403),  # symlinked folder leading outside
    ("/secret-link.txt", 403),  # symlinked file leading outside
    ("/index.html", 200),
    ("/en/", 200),
    ("/en", 301),
    ("/in-link.html", 200),  # a symlink that stays inside is fine
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    (out / "en").mkdir(parents=True)
    (out / "index.html").write_text("home")
    (out / "en" / "index.html").write_text("english")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    (out / "out-link").symlink_to(tmp_path)
    (out / "secret-link.txt").symlink_to(tmp_path / "secret.txt")
    (out / "in-link.html").symlink_to(out / "index.html")
    return out


@pytest.mark.parametrize("path,status", TRAVERSAL)
def test_resolve_request_refuses_paths_outside_output(tree: Path, path: str, status: int) -> None:
    res = resolve_request(tree, "/", path)
    assert res.status == status, res.reason
    if res.file is not None:
        assert tree.resolve() in res.file.parents


@pytest.mark.parametrize("path,status,location", [
    ("/news/", 200, None),
    ("/news/en/", 200, None),
    ("/news/en", 301, "/news/en/"),
    ("/news", 302, "/news/"),
    ("/", 302, "/news/"),
    ("/en/", 404, None),  # outside the base path
    ("/newsletter/", 404, None),
    ("/news/../secret.txt", 400, None),
    ("/news/%2e%2e/secret.txt", 400, None),
])
def test_resolve_request_under_a_base_path(tree: Path, path: str, status: int, location: str | None) -> None:
    res = resolve_request(tree, "/news/", path)
    assert (res.status, res.location) == (status, location), res.reason


def test_traversal_over_the_wire_never_leaks(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    (tmp_path / "site" / "secret.txt").write_text("TOP SECRET")
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    server, _ = fake_server(site)
    with running(server):
        (site / "output" / "leak").symlink_to(tmp_path)
        for path, _status in TRAVERSAL:
            if path.startswith("/") and "link" not in path:
                status, _, body = get(server, path)
                assert b"TOP SECRET" not in body, path
                assert status != 200 or path in ("/index.html", "/en/"), path
        status, _, body = get(server, "/leak/secret.txt")
        assert status == 403 and b"TOP SECRET" not in body
        status, _, body = get(server, "/../config.yaml")
        assert status == 400 and b"base_url" not in body


# -- serving -------------------------------------------------------------------------------------
def test_unknown_path_serves_404_page_with_status_404(tmp_path: Path) -> None:
    server, _ = fake_server(make_site(tmp_path))
    with running(server):
        status, headers, body = get(server, "/no/such/page/")
        assert status == 404
        assert headers["content-type"].startswith("text/html")
        assert b"Page not found" in body and SCRIPT_MARK in body
        status, _, body = get(server, "/no/such/page/", method="HEAD")
        assert status == 404 and body == b""
        status, _, body = get(server, "/fr/nulle/part/")  # an edition's own 404 page when it has one
        assert status == 404 and b"Page introuvable" in body
        status, _, body = get(server, "/de/nirgends/")
        assert status == 404 and b"Page not found" in body


def test_directory_urls_serve_index_and_redirect_to_slash(tmp_path: Path) -> None:
    server, _ = fake_server(make_site(tmp_path))
    with running(server):
        status, _, body = get(server, "/en/")
        assert status == 200 and b"Alpha headline" in body
        status, headers, _ = get(server, "/en?x=1")
        assert status == 301 and headers["location"] == "/en/"
        status, headers, body = get(server, "/api/stories.json")
        assert status == 200 and headers["content-type"].startswith("application/json")
        assert SCRIPT_MARK not in body


def test_sub_path_base_url(tmp_path: Path) -> None:
    server, _ = fake_server(make_site(tmp_path, base_url="/news/"))
    with running(server):
        assert server.url.endswith("/news/")
        status, _, body = get(server, "/news/en/")
        assert status == 200 and b"Alpha headline" in body
        status, headers, _ = get(server, "/")
        assert status == 302 and headers["location"] == "/news/"
        status, _, body = get(server, "/en/")
        assert status == 404 and b"Page not found" in body
        status, _, _ = get(server, "/news/style.css")
        assert status == 200


def test_busy_port_moves_to_the_next_free_one(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    try:
        server = DevServer(make_site(tmp_path), port=busy, builder=FakeBuilder())
        caplog.set_level(logging.INFO, logger="digest")
        try:
            with running(server):
                port = server.httpd.server_address[1]  # type: ignore[union-attr]
                assert port != busy
                assert get(server, "/")[0] == 200
        except OSError:  # pragma: no cover - every following port busy too on a crowded machine
            pytest.skip("no free port after the busy one")
        assert f"port {busy} is in use: serving on port {port} instead" in caplog.text
        assert "loopback only" in caplog.text
    finally:
        blocker.close()


BURST = 64  # connections opened at once, as 50 load-test clients (or many tabs reloading after a rebuild) do


def _connect_burst(server: DevHTTPServer, n: int = BURST) -> int:
    """Open ``n`` connections while the server accepts none; how many the kernel completed within 1 s each."""
    address = server.server_address[:2]
    socks, connected = [], 0
    try:
        for _ in range(n):
            sock = socket.socket()
            sock.settimeout(1.0)
            socks.append(sock)
            try:
                sock.connect(address)
                connected += 1
            except OSError:
                break
    finally:
        for sock in socks:
            sock.close()
    return connected


def test_a_burst_of_connections_is_queued_not_dropped(tmp_path: Path) -> None:
    # regression: socketserver's listen backlog of 5 made the kernel drop connections under 50 concurrent
    # clients; they were retried only after 1 s, 3 s, 7 s … and timed out (benchmarks/serve_load.py)
    server = DevHTTPServer(("127.0.0.1", 0), EventHub(), tmp_path, "/")
    try:
        assert _connect_burst(server) == BURST
    finally:
        server.server_close()


def test_a_client_that_went_away_is_not_reported_as_an_error(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    server = DevHTTPServer(("127.0.0.1", 0), EventHub(), tmp_path, "/")
    try:
        try:
            raise BrokenPipeError(32, "Broken pipe")
        except BrokenPipeError:
            server.handle_error(None, ("127.0.0.1", 1))
        assert capsys.readouterr().err == ""
        try:
            raise ValueError("a real bug")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
        assert "ValueError: a real bug" in capsys.readouterr().err
    finally:
        server.server_close()


# -- injection -----------------------------------------------------------------------------------
def test_script_is_injected_only_when_serving(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    server, _ = fake_server(site)
    with running(server):
        _, _, served = get(server, "/")
        _, _, css = get(server, "/style.css")
    on_disk = (site / "output" / "index.html").read_bytes()
    assert SCRIPT_MARK in served and served.count(SCRIPT_MARK) == 1
    assert served.index(SCRIPT_MARK) < served.index(b"</body>")
    assert SCRIPT_MARK not in on_disk and b"__digest__" not in on_disk
    assert all(b"__digest__" not in f.read_bytes() for f in (site / "output").rglob("*") if f.is_file())
    assert SCRIPT_MARK not in css

    server, _ = fake_server(site, live_reload=False)
    with running(server):
        _, _, plain = get(server, "/")
        status, _, _ = get(server, "/__digest__/events")
    assert SCRIPT_MARK not in plain and status == 404


def test_inject_places_snippet_before_the_last_body_end() -> None:
    assert inject(b"<body>a</BODY >", "<x>") == b"<body>a<x></BODY >"
    assert inject(b"<p>no body", "<x>") == b"<p>no body<x>"


def test_overlay_and_state_are_escaped() -> None:
    evil = ErrorInfo("theme", "unexpected '</script><script>alert(1)</script>' & <b>", "templates/<i>.html", 3)
    snippet = reload_snippet(BuildState(4, evil))
    assert "<script>alert(1)" not in snippet and "<b>" not in snippet and "<i>" not in snippet
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in snippet  # the static overlay
    assert "\\u003c/script\\u003e" in snippet  # the state JSON inside <script>
    assert snippet.count("</script>") == 1
    assert f'id="{OVERLAY_ID}"' in snippet and "templates/&lt;i&gt;.html:3" in snippet


# -- describing failures -------------------------------------------------------------------------
def test_describe_yaml_error_has_file_line_and_column(tmp_path: Path) -> None:
    from digest.config import load_config

    (tmp_path / "config.yaml").write_text("title: ok\nlanguages: [en, fr\ntimezone: UTC\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    info = describe_error(caught.value, tmp_path)
    assert info.kind == "config" and info.file == "config.yaml" and info.line is not None and info.line >= 2
    assert "YAML" in info.message


def test_describe_template_errors_point_at_the_template(tmp_path: Path) -> None:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "bad.html").write_text("<p>\n\n\n{{ a b }}\n")
    (tmp_path / "templates" / "undef.html").write_text("<p>\n\n{{ missing.attr }}\n")
    env = Environment(loader=FileSystemLoader(str(tmp_path / "templates")), undefined=StrictUndefined)
    for name, line in (("bad.html", 4), ("undef.html", 3)):
        try:
            try:
                env.get_template(name).render()
            except TemplateError as exc:
                raise ThemeError(f"template {name}: {exc}") from exc
        except ThemeError as err:
            info = describe_error(err, tmp_path)
        assert info.kind == "theme" and info.file == f"templates/{name}", info
        assert info.line == line, info


def test_describe_other_errors() -> None:
    assert describe_error(BuildError("no content folder")).message == "no content folder"
    try:
        {}["boom"]
    except KeyError as exc:
        info = describe_error(exc)
    assert info.kind == "internal" and "KeyError" in info.message and info.line


# -- watching and debouncing ---------------------------------------------------------------------
def test_debounce_collapses_a_burst_into_one_batch() -> None:
    recorder = ChangeRecorder(lambda p: True)
    stop = threading.Event()

    def burst() -> None:
        for i in range(15):
            recorder.record(f"/site/content/{i}.md")
            time.sleep(0.02)

    feeder = threading.Thread(target=burst)
    feeder.start()
    started = time.monotonic()
    batch = wait_for_quiet(recorder, stop, debounce=0.15, max_wait=5.0)
    feeder.join()
    assert batch == [f"/site/content/{i}.md" for i in range(15)]
    assert time.monotonic() - started >= 0.15
    assert recorder.take() == []


def test_debounce_has_an_upper_bound_for_endless_saves() -> None:
    recorder = ChangeRecorder(lambda p: True)
    stop = threading.Event()
    done = threading.Event()

    def endless() -> None:
        while not done.is_set():
            recorder.record("/site/content/x.md")
            time.sleep(0.01)

    feeder = threading.Thread(target=endless)
    feeder.start()
    try:
        started = time.monotonic()
        assert wait_for_quiet(recorder, stop, debounce=0.2, max_wait=0.5) == ["/site/content/x.md"]
        assert time.monotonic() - started < 5.0
    finally:
        done.set()
        feeder.join()


@pytest.mark.parametrize("name,ignored", [
    ("a.md", False), ("2024-05-31.txt", False), (".a.md.swp", True), ("a.md~", True), ("#a.md#", True),
    (".#a.md", True), ("4913", True), ("a.md.tmp", True), ("style.css", False),
])
def test_editor_scratch_files_are_ignored(name: str, ignored: bool) -> None:
    assert is_temp_file(name) is ignored


def test_a_burst_of_saves_becomes_one_rebuild(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    server, builder = fake_server(site, debounce=0.3, max_wait=10.0)
    with running(server):
        assert builder.calls == 1
        time.sleep(0.3)  # let the watcher settle: events from the first build's own reads are not rebuilds
        assert builder.calls == 1
        generation = server.hub.state.generation
        for i in range(12):
            (site / "content" / f"n{i}.md").write_text(f"News {i}\n")
            time.sleep(0.01)
        wait_until(lambda: server.hub.state.generation > generation, what="the rebuild")
        time.sleep(0.6)  # two debounce periods more: no second rebuild may follow
        assert builder.calls == 2
        assert b"News 11" in (site / "output" / "index.html").read_bytes()


def test_output_and_scratch_files_do_not_trigger_rebuilds(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    server, builder = fake_server(site)
    with running(server):
        (site / "output" / "extra.html").write_text("x")
        (site / "content" / ".a.md.swp").write_text("x")
        (site / "notes.txt").write_text("x")
        (site / ".digest-cache").mkdir(exist_ok=True)
        (site / ".digest-cache" / "x").write_text("x")
        (site / "content" / "b.md").write_text("Beta\n")  # this one does
        wait_until(lambda: builder.calls >= 2, what="the rebuild")
        time.sleep(0.5)
        assert builder.calls == 2


# -- failures ------------------------------------------------------------------------------------
def test_failed_build_keeps_last_good_output_and_shows_overlay(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="digest")
    site = make_site(tmp_path)
    server, builder = fake_server(site)
    with running(server):
        good = (site / "output" / "index.html").read_bytes()
        (site / "config.yaml").write_text("title: Test\nlanguages: en: fr\n")
        wait_until(lambda: server.hub.state.error is not None, what="the failed build")
        error = server.hub.state.error
        assert error is not None and error.file == "config.yaml" and error.line == 2
        assert (site / "output" / "index.html").read_bytes() == good
        status, _, body = get(server, "/")
        assert status == 200 and b"Alpha headline" in body
        assert OVERLAY_TAG in body and b"config.yaml:2" in body

        builder.fail_with = ThemeError("template digest.html: unexpected '<script>x</script>'")
        (site / "config.yaml").write_text("title: Test\n")
        wait_until(lambda: server.hub.state.error is not None and server.hub.state.error.kind == "theme",
                   what="the theme error")
        _, _, body = get(server, "/")
        assert b"<script>x</script>" not in body and b"&lt;script&gt;x&lt;/script&gt;" in body

        builder.fail_with = None
        generation = server.hub.state.generation
        (site / "content" / "b.md").write_text("Beta headline\n")
        wait_until(lambda: server.hub.state.error is None, what="the overlay to clear")
        assert server.hub.state.generation == generation + 1
        _, _, body = get(server, "/")
        assert b"Beta headline" in body and OVERLAY_TAG not in body
    assert "build failed after 1 change(s) (config.yaml)" in caplog.text
    assert "still serving the last good site" in caplog.text
    assert "rebuilt after 1 change(s) (content/b.md)" in caplog.text


def test_broken_config_at_startup_still_serves(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    (site / "config.yaml").write_text("top_stories: many\n")
    server, _ = fake_server(site)
    with running(server):
        assert server.hub.state.error is not None
        status, _, body = get(server, "/")
        assert status == 404 and OVERLAY_TAG in body and b"top_stories" in body
        (site / "config.yaml").write_text("top_stories: 3\n")
        wait_until(lambda: server.hub.state.error is None, what="the fixed build")
        assert get(server, "/")[0] == 200


# -- live reload events --------------------------------------------------------------------------
def read_events(server: DevServer, count: int) -> list[dict]:
    host, port = server.httpd.server_address[:2]  # type: ignore[union-attr]
    sock = socket.create_connection((host, port), timeout=WAIT)
    events: list[dict] = []
    try:
        sock.sendall(b"GET /__digest__/events HTTP/1.1\r\nHost: x\r\n\r\n")
        buf = b""
        while len(events) < count:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                block, buf = buf.split(b"\n\n", 1)
                data = [line[6:] for line in block.split(b"\n") if line.startswith(b"data: ")]
                if b"event: state" in block and data:
                    events.append(json.loads(b"\n".join(data)))
    finally:
        sock.close()
    return events


def test_events_announce_rebuilds_and_css_only_changes(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    (site / "themes").mkdir()
    server, _ = fake_server(site)
    with running(server):
        first = server.hub.state.generation
        received: list[dict] = []
        reader = threading.Thread(target=lambda: received.extend(read_events(server, 3)))
        reader.start()
        wait_until(lambda: server.hub.clients == 1, what="the event stream to connect")
        (site / "content" / "b.md").write_text("Beta\n")
        wait_until(lambda: server.hub.state.generation == first + 1, what="the content rebuild")
        (site / "style.css").write_text("body{color:red}")  # the fake builder publishes it ...
        (site / "themes" / "style.css").write_text("x")  # ... this save stands for the theme's CSS
        reader.join(timeout=WAIT)
    assert [e["generation"] for e in received] == [first, first + 1, first + 2]
    assert [e["css_only"] for e in received] == [False, False, True]
    assert all(e["error"] is None for e in received)


def test_one_log_line_per_rebuild(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="digest")
    site = make_site(tmp_path)
    server, _ = fake_server(site)
    with running(server):
        generation = server.hub.state.generation
        (site / "content" / "b.md").write_text("Beta\n")
        wait_until(lambda: server.hub.state.generation > generation, what="the rebuild")
        wait_until(lambda: any("rebuilt" in r.getMessage() for r in caplog.records), what="the log line")
    rebuild = [r.getMessage() for r in caplog.records if r.created >= next(
        r.created for r in caplog.records if "serving" in r.getMessage())]
    assert len(rebuild) == 2, rebuild  # "serving …", then exactly one line for the rebuild
    line = rebuild[1]
    assert line.startswith("rebuilt after 1 change(s) (content/b.md) in ")
    assert "3 written, 0 removed, 3 unchanged" in line and "written: api/stories.json, en/index.html, index.html" in line
    assert "output:" in caplog.text  # the first build still tells everything


# -- with the real pipeline ----------------------------------------------------------------------
def test_real_build_template_error_points_at_file_and_line(tmp_path: Path, embedder) -> None:
    from digest.build import build_site

    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "config.yaml").write_text("title: Real\nlanguages: [en]\ntimezone: UTC\n")
    (site / "content" / "a.md").write_text(
        "---\ntitle: Harbour bridge closes\nlang: en\ndate: 2024-06-01T08:00:00+00:00\nsource: Gazette\n---\n\nBody.\n")
    server = DevServer(site, port=0, debounce=0.15, builder=lambda cfg: build_site(cfg, embedder=embedder))
    with running(server):
        assert server.hub.state.error is None
        good = {p: p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()}
        (site / "templates").mkdir()
        (site / "templates" / "404.html").write_text('{% extends "base.html" %}\n{% block main %}\n\n{{ 1 + }}\n{% endblock %}\n')
        wait_until(lambda: server.hub.state.error is not None, what="the template error")
        error = server.hub.state.error
        assert error.kind == "theme" and error.file == "templates/404.html" and error.line == 4, error
        assert {p: p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()} == good
        status, _, body = get(server, "/en/")
        assert status == 200 and b"Harbour bridge closes" in body and b"templates/404.html:4" in body
        (site / "templates" / "404.html").unlink()
        wait_until(lambda: server.hub.state.error is None, what="the fixed build")


def test_a_save_gets_a_quick_build_then_the_exact_one(tmp_path: Path, embedder) -> None:
    """The saved article's page is current after a quick build; the exact build that follows regroups, and
    the site it leaves is byte for byte what a clean build of the same content gives."""
    from digest.build import Builder, build_site
    from digest.config import load_config

    def make(root: Path) -> Path:
        (root / "content").mkdir(parents=True)
        (root / "config.yaml").write_text("title: Real\nlanguages: [en, fr]\ntimezone: UTC\n")
        (root / "content" / "a.md").write_text("---\ntitle: Harbour bridge closes for repairs\nlang: en\n"
                                               "date: 2024-06-01T08:00:00+00:00\nsource: Gazette\n---\n\nBody.\n")
        return root

    site = make(tmp_path / "site")
    builder = Builder(embedder=embedder)
    server = DevServer(site, port=0, debounce=0.15, builder=builder)
    new = ("---\ntitle: Le pont du port ferme pour travaux\nlang: fr\ndate: 2024-06-01T09:00:00+00:00\n"
           "source: La Voix\n---\n\nCorps.\n")
    with running(server):
        builds = server.builds
        (site / "content" / "b.md").write_text(new)
        page = site / "output" / "articles" / "fr" / "le-pont-du-port-ferme-pour-travaux" / "index.html"
        wait_until(page.is_file, what="the new article's page")
        wait_until(lambda: server.builds >= builds + 2 and not server.exact_pending, what="the exact build")
        served = {p.relative_to(site / "output"): p.read_bytes() for p in (site / "output").rglob("*")
                  if p.is_file() and not p.name.startswith(".")}
    clean = make(tmp_path / "clean")
    (clean / "content" / "b.md").write_text(new)
    build_site(load_config(clean), embedder=embedder)
    expected = {p.relative_to(clean / "output"): p.read_bytes() for p in (clean / "output").rglob("*")
                if p.is_file() and not p.name.startswith(".")}
    assert served == expected
    stories = json.loads(served[Path("api/stories.json")])["stories"]
    assert len(stories) == 1 and len(stories[0]["articles"]) == 2  # the exact build grouped the two versions

"""A real browser against a real ``digest serve``: new articles appear by themselves, errors show and clear.

Headless Chromium (Debian's, never a downloaded build) through Playwright. The server is the
``digest serve`` command in a subprocess on a free loopback port, serving a small site written
into tmp_path. Every wait is an explicit condition with a timeout; nothing sleeps to assert.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0  # the first build loads the sentence encoder
STEP_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

CONFIG = """\
title: Browser Test Digest
languages: [en]
timezone: UTC
"""


def article(title: str, source: str, hour: int, body: str) -> str:
    return (f"---\ntitle: {title}\ndate: 2024-06-01T{hour:02d}:00:00+00:00\nlang: en\nsource: {source}\n---\n\n"
            f"{body}\n")


class ServeProcess:
    """``digest serve`` in a subprocess; its log is collected so failures can show it."""

    def __init__(self, site: Path) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                   PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "digest.cli", "serve", str(site), "--port", "0"],
            cwd=site, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            m = re.search(r"serving .* at (http://\S+/) ", line)
            if m:
                self.url = m.group(1)
                self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def wait_ready(self) -> str:
        if not self._ready.wait(START_TIMEOUT) or self.url is None:
            raise AssertionError(f"digest serve did not start:\n{self.log}")
        return self.url

    @property
    def log(self) -> str:
        return "\n".join(self.lines[-40:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "content" / "harbour.md").write_text(article(
        "Harbour bridge closes for repairs", "The Harbour Gazette", 8,
        "The old harbour bridge will close for three weeks of repairs."), encoding="utf-8")
    (root / "content" / "library.md").write_text(article(
        "City library extends opening hours", "Meridian Post", 9,
        "The central library will stay open until ten in the evening."), encoding="utf-8")
    return root


@pytest.fixture
def server(site: Path) -> Iterator[ServeProcess]:
    proc = ServeProcess(site)
    try:
        yield proc
    finally:
        proc.stop()


def _after_load(page, script: str, attempts: int = 5):
    """Evaluate ``script`` once the page has loaded; if a reload replaces the document meanwhile, wait again."""
    for attempt in range(attempts):
        page.wait_for_load_state("load")
        try:
            return page.evaluate(script)
        except Exception as exc:  # "Execution context was destroyed": the page navigated while we asked
            if "context was destroyed" not in str(exc) or attempt == attempts - 1:
                raise
    return None


def test_live_reload_and_error_overlay_in_a_real_browser(chromium_path: str, site: Path, server: ServeProcess) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url = server.wait_ready()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(url)
            page.get_by_text("Harbour bridge closes for repairs").first.wait_for()
            # the page is connected to the event stream before we change anything
            page.wait_for_function("() => window.__digestConnected === true")
            # a mark on this document: a reload replaces the document and the mark with it
            page.evaluate("() => { window.__beforeSave = true; }")

            # 1. a new article: its headline appears in the same tab without a manual reload
            (site / "content" / "zebra.md").write_text(article(
                "Zebra crossing reopens downtown", "Meridian Post", 10,
                "The zebra crossing on Main Street is open again after works."), encoding="utf-8")
            try:
                page.get_by_text("Zebra crossing reopens downtown").first.wait_for()
            except Exception:
                raise AssertionError(f"new headline never appeared; server log:\n{server.log}") from None
            # the headline can be in the new DOM before its load event fires; and the exact build that follows
            # the quick one reloads the page once more, maybe while we look: then look again
            assert _after_load(page, "() => window.__beforeSave === undefined"), \
                "the page should have reloaded by itself"
            assert page.url.rstrip("/") == url.rstrip("/")

            # 2. a broken config.yaml: the overlay names the file and the line
            (site / "config.yaml").write_text(CONFIG + "top_stories: [unclosed\n", encoding="utf-8")
            overlay = page.locator("#__digest-overlay")
            try:
                overlay.wait_for(state="visible")
            except Exception:
                raise AssertionError(f"no error overlay; server log:\n{server.log}") from None
            text = overlay.inner_text()
            assert "config.yaml:" in text and "Build failed" in text
            assert re.search(r"config\.yaml:\d+", text)
            # the last good site is still there underneath
            assert page.get_by_text("Zebra crossing reopens downtown").first.is_visible()

            # 2b. a page opened while the build is broken shows the overlay too; values are escaped
            (site / "config.yaml").write_text(CONFIG + 'top_stories: "<b>many</b>"\n', encoding="utf-8")
            page.wait_for_function("() => (document.getElementById('__digest-overlay') || {}).innerText"
                                   "?.includes('<b>many</b>')")
            second = browser.new_page()
            second.set_default_timeout(STEP_TIMEOUT_MS)
            second.goto(url)
            second.locator("#__digest-overlay").wait_for(state="visible")
            assert "<b>many</b>" in second.locator("#__digest-overlay").inner_text()
            assert second.locator("#__digest-overlay b").count() == 0  # shown as text, not markup

            # 3. fixed: the overlay goes away by itself, in both tabs
            (site / "config.yaml").write_text(CONFIG, encoding="utf-8")
            try:
                overlay.wait_for(state="detached")
                second.locator("#__digest-overlay").wait_for(state="detached")
            except Exception:
                raise AssertionError(f"the overlay did not clear; server log:\n{server.log}") from None
            page.get_by_text("Zebra crossing reopens downtown").first.wait_for(state="visible")  # (it may reload)
        finally:
            browser.close()
    # nothing of the live-reload machinery was written into the built files
    built = [f for f in (site / "output").rglob("*.html")]
    assert built and all(b"__digest__" not in f.read_bytes() for f in built)
    assert any("rebuilt after 1 change(s) (content/zebra.md)" in line for line in server.lines), server.log

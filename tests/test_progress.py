"""The build's progress display: on a terminal only, never with --quiet, never in the library's output."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from digest.build import Builder
from digest.config import load_config
from digest.progress import Progress, RecordingProgress, TerminalProgress, for_stream
from conftest import REPO, write_site


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal_or_quiet(monkeypatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    assert type(for_stream(io.StringIO())) is Progress
    assert type(for_stream(FakeTTY(), quiet=True)) is Progress
    assert isinstance(for_stream(FakeTTY()), TerminalProgress)
    monkeypatch.setenv("TERM", "dumb")
    assert type(for_stream(FakeTTY())) is Progress


def test_terminal_line_shows_stage_counts_and_rate_then_clears() -> None:
    now = [0.0]
    out = FakeTTY()
    p = TerminalProgress(out, clock=lambda: now[0])
    p.stage("articles", 10_000)
    for _ in range(5):
        now[0] += 0.5
        p.advance(1000)
    text = out.getvalue()
    assert "articles" in text and "5,000/10,000" in text and "2,000/s" in text
    assert "\n" not in text  # rewritten in place
    p.done()
    assert out.getvalue().endswith("\r")


def test_terminal_updates_are_throttled() -> None:
    out = FakeTTY()
    p = TerminalProgress(out, clock=lambda: 1.0)  # the clock never moves: only the stage line is drawn
    p.stage("render", 100)
    for _ in range(100):
        p.advance()
    assert out.getvalue().count("\r") == 1


def test_builder_reports_stages(tmp_path: Path, embedder) -> None:
    site = write_site(tmp_path, {"a.md": "---\ntitle: Tram line opens\nlang: en\ndate: 2024-06-01T09:00:00+00:00\n---\nText.\n"})
    rec = RecordingProgress()
    Builder(embedder=embedder, progress=rec).build(load_config(site))
    stages = [value[0] for kind, value in rec.events if kind == "stage"]  # type: ignore[index]
    assert stages[0] == "scan" and {"read", "articles", "group", "render", "write"} <= set(stages)
    assert rec.events[-1] == ("done", None)


def test_cli_build_prints_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    site = write_site(tmp_path, {"a.md": "---\ntitle: Tram line opens\nlang: en\ndate: 2024-06-01T09:00:00+00:00\n---\nText.\n"})
    proc = subprocess.run([sys.executable, "-m", "digest.cli", "build", str(site)], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "built 1 articles" in proc.stderr
    quiet = subprocess.run([sys.executable, "-m", "digest.cli", "build", "--quiet", str(site)], capture_output=True,
                           text=True, cwd=REPO, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == ""

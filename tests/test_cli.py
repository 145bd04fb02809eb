"""The command line: exit codes, messages that name the file, stories and check reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest import __version__
from digest.cli import main
from conftest import write_site

GOOD = {"a.md": "---\ntitle: Ferry service resumes\nlang: en\ndate: 2024-06-01T08:00:00+02:00\n"
                "source: The Harbour Gazette\n---\nThe ferry resumed service this morning after the storm.\n"}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and __version__ in capsys.readouterr().out


def test_no_command_is_a_usage_error() -> None:
    assert main([]) == 2


def test_build_ok_and_output_written(tmp_path: Path) -> None:
    site = write_site(tmp_path, GOOD)
    assert main(["build", str(site), "-q"]) == 0
    assert (site / "output" / "api" / "stories.json").is_file()


def test_config_error_exit_2_names_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, GOOD, config="top_stories: lots\n")
    assert main(["build", str(site)]) == 2
    assert "top_stories" in capsys.readouterr().err


def test_missing_content_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path)]) == 1
    assert "no content folder" in capsys.readouterr().err


def test_strict_turns_problems_into_exit_1(tmp_path: Path) -> None:
    site = write_site(tmp_path, {**GOOD, "bad.md": "---\ntitle: x\nlang: 12\n---\nbody\n"})
    assert main(["build", str(site), "-q"]) == 0
    assert main(["build", str(site), "-q", "--strict"]) == 1


def test_stories_and_check_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, GOOD)
    assert main(["stories", str(site), "-q"]) == 0
    out = capsys.readouterr().out
    assert "Ferry service resumes" in out and "a.md" in out and "threshold" in out
    assert main(["check", str(site), "-q"]) == 0
    out = capsys.readouterr().out
    assert "headline: Ferry service resumes" in out and "outlet:   The Harbour Gazette" in out


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    site = write_site(tmp_path, GOOD, config="languages: 5\n")
    proc = subprocess.run([sys.executable, "-m", "digest.cli", "build", str(site)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "languages" in proc.stderr


def test_verbose_shows_the_build_not_every_library_step(tmp_path: Path) -> None:
    site = write_site(tmp_path, GOOD)
    proc = subprocess.run([sys.executable, "-m", "digest.cli", "build", str(site), "-v"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert any(line.startswith("DEBUG: render:") for line in lines)  # digest's own detail is there
    assert not [line for line in lines if "StateBlock" in line or "entering " in line]  # markdown-it's is not
    assert len(lines) < 40


def test_check_one_file_by_its_path(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path, {**GOOD, "b.md": "---\ntitle: Bridge closed for repairs\nlang: en\n---\nThe bridge is shut.\n"})
    monkeypatch.chdir(site)
    assert main(["check", "content/b.md", "-q"]) == 0  # a file, as the shell completes it: the site is here
    out = capsys.readouterr().out
    assert "Bridge closed for repairs" in out and "Ferry service resumes" not in out
    assert main(["check", ".", "b.md", "-q"]) == 0  # relative to content/ works too
    assert "Bridge closed for repairs" in capsys.readouterr().out
    assert main(["check", ".", "content/missing.md", "-q"]) == 2
    assert "content/missing.md: not an article of this site" in capsys.readouterr().err

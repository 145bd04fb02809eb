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


KHARKIV = {
    "a.md": "---\ntitle: Russian missile strike on Kharkiv kills 12 people\nlang: en\ndate: 2024-03-05T08:00:00Z\n---\n"
            "A Russian missile strike on the city of Kharkiv killed 12 people on Tuesday, officials said.\n",
    "b.md": "---\ntitle: Une frappe de missiles russes sur Kharkiv fait 12 morts\nlang: fr\ndate: 2024-03-05T10:00:00Z\n---\n"
            "Une frappe de missiles russes sur la ville de Kharkiv a tué 12 personnes mardi, selon les autorités.\n",
    "c.md": "---\ntitle: Central bank raises interest rates to 5.25%\nlang: en\ndate: 2024-03-05T11:00:00Z\n---\n"
            "The central bank raised its main interest rate to 5.25% on Tuesday.\n",
}


def test_stories_explain_shows_the_pairs_inside_and_the_nearest_outside(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, KHARKIV)
    assert main(["stories", str(site), "--explain", "b.md", "-q"]) == 0
    out = capsys.readouterr().out
    story, _, rest = out.partition("pairs inside the story: 1,")
    assert "[en] Russian missile strike on Kharkiv" in story and "[fr] Une frappe de missiles" in story
    assert "Central bank" not in story  # not a member
    inside, _, outside = rest.partition("nearest articles kept apart:")
    assert "in the story (threshold 0.25): title " in inside and "lead " in inside and "shared: " in inside
    assert "kept apart" in outside and "Central bank raises interest rates" in outside
    assert "at least 0.25" in out and "48 h" in out  # the rule and the settings behind it


def test_stories_explain_of_an_unknown_id_says_how_to_find_one(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, KHARKIV)
    assert main(["stories", str(site), "--explain", "nope", "-q"]) != 0
    err = capsys.readouterr().err
    assert "nope" in err and "digest stories" in err and "Traceback" not in err


def test_reports_after_a_build_read_its_parsed_articles_and_say_the_same(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    files = {**KHARKIV, "raw.txt": "Ferry service resumes after the storm | The Harbour Gazette\n\n"
                                   "Ferry service resumes after the storm\n\n"
                                   "The ferry resumed service this morning after two days of storm, the company said.\n",
             "bad.md": "---\ntitle: [unclosed\n---\nbody\n"}
    plain = write_site(tmp_path / "plain", files)
    built = write_site(tmp_path / "built", files)
    assert main(["build", str(built), "-q"]) == 0
    capsys.readouterr()
    reports = {}
    for site in (plain, built):
        assert main(["stories", str(site), "-v"]) == 0  # (-v: the debug line that counts the parsed files)
        assert main(["check", str(site), "-v"]) == 0
        out, err = capsys.readouterr()
        reports[site] = out.replace(str(site), "SITE")
        parsed = [line for line in err.splitlines() if line.startswith(("DEBUG: articles: ", "DEBUG: the stories"))]
        assert parsed == (["DEBUG: articles: 4 parsed, 0 from the article cache",
                           "DEBUG: articles: 0 parsed, 4 from the article cache"] if site is plain
                          else ["DEBUG: the stories of the last build (nothing changed since)",
                                "DEBUG: articles: 0 parsed, 4 from the article cache"])
        assert "bad.md" in err  # the unreadable file is reported either way
    assert reports[plain] == reports[built]
    assert "bad.md" in reports[built] and "Ferry service resumes after the storm" in reports[built]


def test_stories_after_an_edit_since_the_build_are_grouped_again(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, KHARKIV)
    assert main(["build", str(site), "-q"]) == 0
    (site / "content" / "c.md").write_text(KHARKIV["c.md"].replace("Central bank raises", "Central bank holds"),
                                           encoding="utf-8")
    capsys.readouterr()
    assert main(["stories", str(site), "-v"]) == 0
    out, err = capsys.readouterr()
    assert "Central bank holds interest rates" in out and "raises" not in out
    assert "the stories of the last build" not in err

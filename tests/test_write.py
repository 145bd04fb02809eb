"""The writer: only changed files rewritten, stale files of ours removed, nothing else ever touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import BuildError
from digest.write import write_output


def run(tmp_path: Path, files: dict[str, bytes]):
    return write_output(tmp_path / "site" / "output", files, site_root=tmp_path / "site",
                        content_dir=tmp_path / "site" / "content")


def test_changed_only_and_stale_cleanup(tmp_path: Path) -> None:
    first = run(tmp_path, {"index.html": b"a", "old/index.html": b"b"})
    assert sorted(first.written) == ["index.html", "old/index.html"]
    out = tmp_path / "site" / "output"
    (out / "CNAME").write_text("example.org")  # a user's file: never ours to delete
    before = (out / "index.html").stat().st_mtime_ns
    second = run(tmp_path, {"index.html": b"a", "new.html": b"c"})
    assert second.written == ("new.html",) and second.unchanged == 1 and second.removed == ("old/index.html",)
    assert (out / "index.html").stat().st_mtime_ns == before
    assert not (out / "old").exists() and (out / "CNAME").read_text() == "example.org"


@pytest.mark.parametrize("name", ["../escape.html", "/etc/passwd", "a/../../b", "a\\..\\b"])
def test_paths_never_escape_the_output(tmp_path: Path, name: str) -> None:
    with pytest.raises(BuildError):
        run(tmp_path, {name: b"x"})
    assert not (tmp_path / "escape.html").exists()


@pytest.mark.parametrize("target", ["site", "site/content", "site/content/sub", "/"])
def test_dangerous_output_folders_are_refused(tmp_path: Path, target: str) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "content" / "a.txt").write_text("keep me")
    out = Path(target) if target.startswith("/") else tmp_path / target
    with pytest.raises(BuildError, match="refusing"):
        write_output(out, {"index.html": b"x"}, site_root=site, content_dir=site / "content")
    assert (site / "content" / "a.txt").read_text() == "keep me"

"""digest init: a new site that builds at once, and never a file overwritten."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest.build import build_site
from digest.cli import main
from digest.config import load_config
from digest.scaffold import FILES, ScaffoldError, init_site
from sitekit import broken_links


def test_init_writes_a_site_that_builds(tmp_path: Path, embedder, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "mysite"
    with caplog.at_level(logging.INFO, logger="digest"):
        written = init_site(root)
    assert sorted(p.relative_to(root).as_posix() for p in written) == sorted(FILES)
    assert "next steps" in caplog.text and "digest build" in caplog.text
    cfg = load_config(root)
    assert cfg.languages == ("en", "fr")
    result = build_site(cfg, embedder=embedder)
    assert not result.problems
    out = root / "output"
    assert (out / "en" / "index.html").is_file() and (out / "fr" / "atom.xml").is_file()
    assert len(result.site.stories) == 2  # the night-train story in two languages, and the library one
    assert broken_links(out) == []


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("title: Mine\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="config.yaml"):
        init_site(tmp_path)
    assert (tmp_path / "config.yaml").read_text(encoding="utf-8") == "title: Mine\n"
    assert not (tmp_path / "content").exists()  # nothing written at all


def test_init_into_an_existing_empty_folder(tmp_path: Path) -> None:
    init_site(tmp_path)
    assert (tmp_path / "config.yaml").is_file()


def test_cli_init(tmp_path: Path) -> None:
    target = tmp_path / "new"
    assert main(["init", str(target), "-q"]) == 0
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert main(["init", str(target), "-q"]) == 2
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before

"""Build the bundled example site and compare key pages with the committed golden files."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden_site import GOLDEN, KEY_PAGES, build_example, story_pages

HOW = "if the change is intended, run `python tests/update_golden.py` and review the diff"


@pytest.fixture(scope="module")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example(tmp_path_factory.mktemp("example"))


def test_golden_files_exist() -> None:
    assert GOLDEN.is_dir(), HOW


@pytest.mark.parametrize("rel", KEY_PAGES)
def test_key_page_matches_golden(example_output: Path, rel: str) -> None:
    expected = (GOLDEN / rel).read_text(encoding="utf-8")
    actual = (example_output / rel).read_text(encoding="utf-8")
    assert actual == expected, f"{rel} differs from tests/golden/{rel}: {HOW}"


def test_seed_story_page_matches_golden(example_output: Path) -> None:
    pages = story_pages(example_output)
    assert len(pages) == 1, "the two seed articles should form exactly one story"
    rel = pages[0]
    assert (GOLDEN / rel).is_file(), f"no golden file for {rel}: {HOW}"
    assert (example_output / rel).read_text(encoding="utf-8") == (GOLDEN / rel).read_text(encoding="utf-8"), HOW

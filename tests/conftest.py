"""Shared fixtures: paths to the shared seeds and a helper that writes small sites into tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
SEED_NAMES = ("000_8a8f612192489650.txt", "002_5d74b59e32ccff9c.txt")
EXAMPLE_SEEDS = REPO / "content" / "2024-05-31"  # the example site holds the two seeds verbatim


def seed_files() -> tuple[Path, Path]:
    """The French and the English seed: from ../shared/seeds/ when present, else the example site's copies."""
    folder = SEEDS if SEEDS.is_dir() else EXAMPLE_SEEDS
    return folder / SEED_NAMES[0], folder / SEED_NAMES[1]


@pytest.fixture(scope="session")
def seeds_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding just the two seed files: ../shared/seeds/, else the example site's verbatim copies."""
    if SEEDS.is_dir():
        return SEEDS
    folder = tmp_path_factory.mktemp("seeds")
    for name in SEED_NAMES:
        (folder / name).write_bytes((EXAMPLE_SEEDS / name).read_bytes())
    return folder


def write_site(root: Path, files: dict[str, str | bytes], config: str | None = None) -> Path:
    """Write a small site: ``files`` maps content-relative paths to text (dedented) or bytes."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    if config is not None:
        (root / "config.yaml").write_text(textwrap.dedent(config), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory):
    """One encoder for the whole test session (loading the model is the slow part)."""
    from digest.embed import Embedder

    return Embedder(tmp_path_factory.mktemp("embed-cache"))

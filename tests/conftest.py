"""Shared fixtures: paths to the shared seeds and a helper that writes small sites into tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"the shared seed files are not at {SEEDS}")
    return SEEDS


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

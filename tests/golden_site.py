"""Build the example site the way the golden-file test does, and list the pages it compares."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
EPOCH = "1717236000"  # fixed SOURCE_DATE_EPOCH so the files do not depend on the clock
KEY_PAGES = (
    "index.html",
    "fr/index.html",
    "de/2024/05/31/index.html",
    "api/stories.json",
)


def build_example(dest: Path, embedder=None) -> Path:
    """Copy the example site (config.yaml + content/) to ``dest`` and build it there."""
    from digest.build import build_site
    from digest.config import load_config

    shutil.copytree(REPO / "content", dest / "content")
    shutil.copy2(REPO / "config.yaml", dest / "config.yaml")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        build_site(load_config(dest), embedder=embedder)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return dest / "output"


def story_pages(out: Path) -> list[str]:
    """The story page of the seed story (the one whose versions include the seed files)."""
    import json

    doc = json.loads((out / "api" / "stories.json").read_text(encoding="utf-8"))
    return [f"stories/{s['id']}/index.html" for s in doc["stories"]
            if any(a["path"].endswith("002_5d74b59e32ccff9c.txt") for a in s["articles"])]

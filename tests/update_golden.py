"""Regenerate tests/golden/ from the example site: `python tests/update_golden.py`, then review the diff."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden_site import GOLDEN, KEY_PAGES, build_example, story_pages  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = build_example(Path(tmp))
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        for rel in (*KEY_PAGES, *story_pages(out)):
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(out / rel, target)
            print(f"updated tests/golden/{rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Score headline, language and outlet extraction on the labelled page dumps in ``../shared/eval/scrapes``.

    python benchmarks/extraction.py [--data ../shared/eval/scrapes] [--direct | --through-build] [-v]

Prints the accuracy of each field and every miss with what was found and what was expected.
Scoring rule (shared/eval/README.md): a value is correct when it equals the truth (or one of its
listed variants / aliases) after Unicode NFKC, case folding, and collapsing whitespace and punctuation.

Two modes:

* ``--direct`` calls the extraction functions as the build does: ``learn_boilerplate`` over every
  file, then ``extract_text`` and ``detect_language`` (headline + body, the page as fallback when
  that is too short to tell) per file;
* ``--through-build`` (the default once ``digest.build`` exists) copies the pages into the
  ``content/`` of a temporary site, runs ``build_site`` and reads ``output/api/stories.json`` back,
  so what is scored is what the site publishes.

The data is read from the shared folder, never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "eval" / "scrapes"
sys.path.insert(0, str(REPO))


def norm(text: str | None) -> str:
    """The README's comparison key: NFKC, case-folded, whitespace and punctuation collapsed."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


@dataclass
class Found:
    headline: str
    lang: str
    source: str | None


def read_text(path: Path) -> str:
    """Decode a page the way the reader does (UTF-8, else a detected legacy encoding)."""
    data = path.read_bytes()
    try:
        from digest.read import decode

        return decode(data, path.name)[0]
    except ImportError:
        text = data.decode("utf-8-sig", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")


def run_direct(files: list[Path]) -> dict[str, Found]:
    from digest.extract import extract_text, learn_boilerplate
    from digest.language import detect_language

    bodies = [(f.name, read_text(f)) for f in files]
    boilerplate = learn_boilerplate(bodies)
    out = {}
    for name, body in bodies:
        ex = extract_text(body, path=name, boilerplate=boilerplate)
        lang, _ = detect_language("\n\n".join((ex.headline, *ex.paragraphs)), fallback=body)
        out[name] = Found(ex.headline, lang, ex.source)
    return out


def build_available() -> bool:
    try:
        from digest.build import build_site  # noqa: F401
        from digest.config import load_config  # noqa: F401
    except ImportError:
        return False
    return True


def run_through_build(files: list[Path]) -> dict[str, Found]:
    from digest.build import build_site
    from digest.config import load_config

    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        site = Path(tmp)
        content = site / "content"
        content.mkdir()
        for f in files:
            shutil.copyfile(f, content / f.name)
        (site / "config.yaml").write_text("title: extraction benchmark\n", encoding="utf-8")
        build_site(load_config(site))
        data = json.loads((site / "output" / "api" / "stories.json").read_text(encoding="utf-8"))
    out = {}
    for story in data.get("stories", []):
        for article in story.get("articles", []):
            name = Path(article.get("path", "")).name
            out[name] = Found(article.get("title", ""), article.get("lang", ""), article.get("source"))
    return out


def score(truth: list[dict[str, Any]], found: dict[str, Found]) -> tuple[dict[str, int], list[str]]:
    hits = {"headline": 0, "language": 0, "source": 0}
    misses: list[str] = []
    for t in truth:
        f = found.get(t["file"])
        if f is None:
            misses.append(f"{t['file']}: not in the output at all")
            continue
        heads = {norm(t["headline"]), *map(norm, t.get("headline_variants") or ())}
        sources = {norm(t["source"]), *map(norm, t.get("source_aliases") or ())}
        checks = (
            ("headline", norm(f.headline) in heads, f.headline, t["headline"]),
            ("language", f.lang == t["lang"], f.lang, t["lang"]),
            ("source", norm(f.source) in sources, f.source, t["source"]),
        )
        for field, ok, got, want in checks:
            if ok:
                hits[field] += 1
            else:
                misses.append(f"{t['file']} [{t['lang']}] {field}: found {got!r}, expected {want!r}")
    return hits, misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with files/ and truth.jsonl")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--direct", action="store_true", help="call the extraction functions directly")
    mode.add_argument("--through-build", action="store_true", help="run the site build and read stories.json")
    args = parser.parse_args(argv)

    truth_file = args.data / "truth.jsonl"
    if not truth_file.is_file():
        print(f"no labelled data at {args.data} (expected truth.jsonl and files/)", file=sys.stderr)
        return 2
    truth = [json.loads(line) for line in truth_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    files = [args.data / "files" / t["file"] for t in truth]
    through_build = args.through_build or (not args.direct and build_available())
    started = time.perf_counter()
    found = run_through_build(files) if through_build else run_direct(files)
    elapsed = time.perf_counter() - started
    hits, misses = score(truth, found)

    n = len(truth)
    print(f"extraction benchmark: {n} pages from {args.data} ({'through the build' if through_build else 'direct'},"
          f" {elapsed:.1f} s)")
    print(f"{'field':<10} {'correct':>8} {'accuracy':>9}  goal")
    for field, goal in (("headline", 0.90), ("language", 0.98), ("source", 0.80)):
        acc = hits[field] / n if n else 0.0
        print(f"{field:<10} {hits[field]:>4}/{n:<3} {acc:>9.1%}  ≥{goal:.0%} {'ok' if acc >= goal else 'BELOW'}")
    if misses:
        print(f"\nmisses ({len(misses)}):")
        for miss in misses:
            print("  " + miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""End to end through the library: the seed story, bad input, overrides, determinism."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from digest.build import build_site
from digest.config import load_config
from conftest import write_site

FR_TITLE = "Joe Biden autorise Kiev à frapper des cibles en Russie pour défendre Kharkiv"
EN_TITLE = "Biden authorizes Ukraine to strike targets in Russia to defend Kharkiv"


def all_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.suffix in (".html", ".json", ".xml"))


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path):
    from digest.embed import Embedder

    root = tmp_path_factory.mktemp("seeds")
    shutil.copytree(seeds_dir, root / "content")
    result = build_site(load_config(root), embedder=Embedder(root / ".digest-cache"))
    return root, result


def test_seeds_make_one_story_with_both_versions(seed_site) -> None:
    root, result = seed_site
    doc = json.loads((root / "output" / "api" / "stories.json").read_text(encoding="utf-8"))
    assert len(doc["stories"]) == 1
    story = doc["stories"][0]
    by_lang = {a["lang"]: a for a in story["articles"]}
    assert sorted(by_lang) == ["en", "fr"] and sorted(story["languages"]) == ["en", "fr"]
    assert by_lang["fr"]["title"].endswith(FR_TITLE)
    assert by_lang["fr"]["title"] in (FR_TITLE, "Guerre en Ukraine. " + FR_TITLE)
    assert by_lang["en"]["title"] == EN_TITLE
    assert by_lang["en"]["source"] == "L'Express"


def test_seed_pages_have_no_boilerplate(seed_site) -> None:
    root, _ = seed_site
    text = all_text(root / "output")
    for junk in ("Quitter la version mobile", "READ ALSO", "Les nouvelles les plus importantes de la journée"):
        assert junk not in text


def test_front_page_shows_the_story_once_and_links_both_versions(seed_site) -> None:
    root, result = seed_site
    page = (root / "output" / "index.html").read_text(encoding="utf-8")
    story = result.site.stories[0]
    assert page.count('class="story') == 1
    for article in story.articles:
        assert f'href="/articles/{article.lang}/{article.slug}/"' in page


API_KEYS = {"id", "date", "title", "canonical", "languages", "sources", "score", "articles"}
ARTICLE_KEYS = {"id", "path", "lang", "title", "source", "date", "url"}


def test_api_schema_and_every_article_once(tmp_path: Path, embedder) -> None:
    root = write_site(tmp_path, {
        "a.md": "---\ntitle: Tram line opens in Alden\nlang: en\ndate: 2024-06-01T09:00:00+02:00\n---\nThe new tram line opened.\n",
        "b.md": "---\ntitle: La ligne de tram d'Alden ouvre\nlang: fr\ndate: 2024-06-01T10:00:00+02:00\n---\nLa nouvelle ligne a ouvert.\n",
        "c.md": "---\ntitle: Chess final ends in a draw\nlang: en\ndate: 2024-06-01T11:00:00+02:00\n---\nA quiet game.\n",
    })
    build_site(load_config(root), embedder=embedder)
    doc = json.loads((root / "output/api/stories.json").read_text(encoding="utf-8"))
    assert set(doc) == {"generated", "stories"}
    paths = [a["path"] for s in doc["stories"] for a in s["articles"]]
    assert sorted(paths) == ["a.md", "b.md", "c.md"]
    for s in doc["stories"]:
        assert set(s) == API_KEYS and s["canonical"] in {a["id"] for a in s["articles"]}
        for a in s["articles"]:
            assert set(a) == ARTICLE_KEYS


def test_bad_articles_are_reported_and_skipped(tmp_path: Path, embedder) -> None:
    root = write_site(tmp_path, {
        "good.md": "---\ntitle: Bridge reopens after repairs\nlang: en\n---\nThe bridge reopened today.\n",
        "broken.md": "---\ntitle: [unclosed\n---\nBody\n",
        "binary.txt": b"\x00\x01\x02\x03",
        "empty.txt": "",
    })
    before = {p: p.read_bytes() for p in (root / "content").rglob("*") if p.is_file()}
    result = build_site(load_config(root), embedder=embedder)
    assert [a.path for a in result.site.articles] == ["good.md"]
    assert {p.path for p in result.problems} == {"broken.md", "binary.txt", "empty.txt"}
    assert {p: p.read_bytes() for p in (root / "content").rglob("*") if p.is_file()} == before


def test_overrides_translation_key_and_story_false(tmp_path: Path, embedder) -> None:
    root = write_site(tmp_path, {
        "a.md": "---\ntitle: Harbour festival opens\nlang: en\ntranslationKey: fest\ndate: 2024-06-01\n---\nx\n",
        "b.md": "---\ntitle: Totally different words here\nlang: de\ntranslationKey: fest\ndate: 2024-06-01\n---\nx\n",
        "c.md": "---\ntitle: Harbour festival opens\nlang: en\nstory: false\ndate: 2024-06-01\n---\nx\n",
        "d.md": "---\ntitle: Le festival du port ouvre\nlang: fr\ncanonical: true\ntranslationKey: fest\ndate: 2024-06-01\n---\nx\n",
    })
    site = build_site(load_config(root), embedder=embedder).site
    groups = sorted(sorted(a.path for a in s.articles) for s in site.stories)
    assert groups == [["a.md", "b.md", "d.md"], ["c.md"]]
    fest = next(s for s in site.stories if len(s.articles) == 3)
    assert fest.canonical.path == "d.md"


def test_two_builds_are_byte_identical(tmp_path: Path, seeds_dir: Path, embedder) -> None:
    outputs = []
    for name in ("one", "two"):
        root = tmp_path / name
        shutil.copytree(seeds_dir, root / "content")
        for f in (root / "content").iterdir():
            os.utime(f, (1_717_000_000, 1_717_000_000))
        build_site(load_config(root), embedder=embedder)
        outputs.append({p.relative_to(root / "output").as_posix(): p.read_bytes()
                        for p in sorted((root / "output").rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]


def test_content_is_escaped(tmp_path: Path, embedder) -> None:
    root = write_site(tmp_path, {
        "x.md": "---\ntitle: '<script>alert(1)</script> Harbour'\nsource: '<img src=x onerror=alert(2)>'\nlang: en\n---\n"
                "<script>alert(3)</script>\n\n[click](javascript:alert(4))\n",
        "y.txt": "<b onmouseover=alert(5)>Raw headline</b>\n\nBody <script>alert(6)</script> text.\n",
    })
    build_site(load_config(root), embedder=embedder)
    text = all_text(root / "output")
    assert "<script>alert" not in text and "<img src=x" not in text and "<b onmouseover" not in text
    assert 'href="javascript:' not in text


def test_example_site_holds_the_seeds_verbatim() -> None:
    from conftest import EXAMPLE_SEEDS, SEED_NAMES, SEEDS

    if not SEEDS.is_dir():
        pytest.skip(f"no shared seeds at {SEEDS} to compare with")
    for name in SEED_NAMES:
        assert (EXAMPLE_SEEDS / name).read_bytes() == (SEEDS / name).read_bytes(), name

"""The example site (built once): no broken internal link at / or under /news/, every page with <html lang>."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from digest.build import gather_site
from digest.config import load_config
from digest.render import render_site
from digest.write import write_output
from sitekit import broken_links, parse_html

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, embedder):
    """Gather the example site once; each test renders it with the base_url it needs."""
    if not (REPO / "content").is_dir():
        pytest.skip("no example content/ in the repository")
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO / "content", root / "content")
    if (REPO / "config.yaml").is_file():
        shutil.copy2(REPO / "config.yaml", root / "config.yaml")
    cfg = load_config(root)
    return cfg, gather_site(cfg, embedder=embedder)


def built(example, base_url: str, name: str) -> Path:
    cfg, site = example
    cfg = replace(cfg, base_url=base_url, output_dir=name)
    write_output(cfg.output_path, render_site(site, cfg), site_root=cfg.root, content_dir=cfg.content_path)
    return cfg.output_path


@pytest.mark.parametrize("base_url, prefix", [("/", "/"), ("/news/", "/news/"), ("https://example.org/news/", "/news/")])
def test_no_broken_internal_links(example, base_url: str, prefix: str) -> None:
    out = built(example, base_url, "out-" + prefix.strip("/") + ("-abs" if "://" in base_url else ""))
    assert broken_links(out, prefix) == []


def test_every_page_has_html_lang_and_feeds_parse(example) -> None:
    cfg, site = example
    out = built(example, "https://example.org/news/", "out-check")
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > len(site.articles)
    for page in pages:
        assert parse_html(page.read_text(encoding="utf-8")).html_lang, page
    for lang in site.languages:
        feed = feedparser.parse((out / lang / "atom.xml").read_bytes())
        assert not feed.bozo and feed.entries, lang
    assert (out / "sitemap.xml").is_file() and "Sitemap: https://example.org/news/sitemap.xml" in (out / "robots.txt").read_text()


def test_the_link_checker_finds_broken_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text('<html lang="en"><a href="/a/">ok</a><a href="/b/">x</a>'
                                               '<a href="#top">y</a><img src="/news/z.png"></html>')
    assert broken_links(tmp_path) == ["a/index.html: /b/ (no file b/index.html)", "a/index.html: #top (no such id)",
                                      "a/index.html: /news/z.png (no file news/z.png)"]

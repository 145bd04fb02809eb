"""Whole builds of small multilingual sites written inline: editions, pages, determinism, no clock."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from conftest import write_site
from digest.build import build_site
from digest.config import load_config
from sitekit import broken_links, parse_html

CONFIG = """
title: Lakeside Digest
base_url: {base_url}
languages: [en, fr, ar]
default_language: en
timezone: Europe/Paris
"""

CONTENT = {
    "2024-06-01/tram-en.md": """
        ---
        title: Tram line opens in Alden
        date: 2024-06-01T09:00:00+02:00
        lang: en
        source: Alden Courier
        summary: The first tram ran at dawn.
        translationKey: tram
        ---
        The new tram line opened on Saturday morning.
        """,
    "2024-06-01/tram-fr.md": """
        ---
        title: La ligne de tram d'Alden ouvre
        date: 2024-06-01T10:30:00+02:00
        lang: fr
        source: Le Petit Aldenois
        translationKey: tram
        ---
        La nouvelle ligne a ouvert samedi matin.
        """,
    "2024-06-01/tram-ar.md": """
        ---
        title: افتتاح خط الترام في ألدن
        date: 2024-06-01T11:00:00+02:00
        lang: ar
        source: صحيفة ألدن
        translationKey: tram
        ---
        افتُتح خط الترام الجديد صباح السبت.
        """,
    "2024-05-31/chess-en.md": """
        ---
        title: Chess final ends in a draw
        date: 2024-05-31T18:00:00+02:00
        lang: en
        source: Alden Courier
        story: false
        ---
        A quiet game in the town hall.
        """,
}


def build(root: Path, embedder, base_url: str = "/") -> Path:
    write_site(root, CONTENT, CONFIG.format(base_url=base_url))
    build_site(load_config(root), embedder=embedder)
    return root / "output"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    return build(tmp_path_factory.mktemp("lakeside"), embedder)


def read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def test_every_page_has_html_lang(out: Path) -> None:
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        parsed = parse_html(page.read_text(encoding="utf-8"))
        assert parsed.html_lang, f"{page} has no <html lang>"
        rel = page.relative_to(out).as_posix()
        edition = rel.split("/")[0]
        if edition in ("en", "fr", "ar"):
            assert parsed.html_lang == edition, rel
        assert parsed.html_dir == ("rtl" if parsed.html_lang == "ar" else "ltr"), rel


def test_editions_archive_feeds_and_404s(out: Path) -> None:
    for lang in ("en", "fr", "ar"):
        for rel in ("index.html", "2024/06/01/index.html", "2024/05/31/index.html", "archive/index.html", "atom.xml", "404.html"):
            assert (out / lang / rel).is_file(), f"{lang}/{rel}"
    for rel in ("index.html", "404.html", "robots.txt", "api/stories.json"):
        assert (out / rel).is_file()


def test_front_page_is_the_latest_day_in_the_edition_language(out: Path) -> None:
    assert "La ligne de tram d&#39;Alden ouvre" in read(out, "fr/index.html")
    assert "افتتاح خط الترام في ألدن" in read(out, "ar/index.html")
    assert "Chess final" not in read(out, "en/index.html")
    fr_day = read(out, "fr/2024/05/31/index.html")  # no French version: the English one, labelled
    assert "Chess final ends in a draw" in fr_day and '<span class="lang-badge">English</span>' in fr_day
    assert '<article aria-labelledby="h-' in fr_day and ' lang="en" dir="ltr">' in fr_day


def test_language_switcher_keeps_the_page(out: Path) -> None:
    day = read(out, "ar/2024/05/31/index.html")
    assert 'href="/fr/2024/05/31/" hreflang="fr"' in day and 'aria-current="page">العربية<' in day
    doc = json.loads(read(out, "api/stories.json"))
    tram = next(s for s in doc["stories"] if len(s["articles"]) == 3)
    urls = {a["lang"]: a["url"] for a in tram["articles"]}
    article = read(out, urls["fr"].strip("/") + "/index.html")
    assert f'href="{urls["ar"]}" hreflang="ar"' in article and f'href="{urls["en"]}" hreflang="en"' in article
    chess = next(s for s in doc["stories"] if len(s["articles"]) == 1)
    alone = read(out, chess["articles"][0]["url"].strip("/") + "/index.html")
    assert 'href="/fr/" hreflang="fr"' in alone  # no French version: the French front page


def test_story_page_coverage(out: Path) -> None:
    doc = json.loads(read(out, "api/stories.json"))
    tram = next(s for s in doc["stories"] if len(s["articles"]) == 3)
    html = read(out, f"stories/{tram['id']}/index.html")
    for outlet in ("Alden Courier", "Le Petit Aldenois", "صحيفة ألدن"):
        assert outlet in html
    assert "First seen" in html and "Last updated" in html
    assert '<time datetime="2024-06-01T09:00:00+02:00">' in html and '<time datetime="2024-06-01T11:00:00+02:00">' in html


def test_no_broken_internal_links(out: Path) -> None:
    assert broken_links(out) == []


def test_no_broken_links_under_a_sub_path(tmp_path: Path, embedder) -> None:
    out = build(tmp_path, embedder, base_url="/news/")
    assert broken_links(out, "/news/") == []
    assert 'href="/news/fr/archive/"' in read(out, "fr/index.html")


def all_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_builds_are_byte_identical(tmp_path: Path, embedder) -> None:
    first = all_files(build(tmp_path / "one", embedder, "https://example.org/"))
    second = all_files(build(tmp_path / "two", embedder, "https://example.org/"))
    assert first == second
    assert {"sitemap.xml", "en/atom.xml"} <= set(first)


def test_no_clock_in_the_output(out: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    today = date.today()
    stamps = {today.isoformat(), f"{today:%Y/%m/%d}"}
    for rel, data in all_files(out).items():
        text = data.decode("utf-8", "replace")
        assert not any(s in text for s in stamps), rel
    assert json.loads(read(out, "api/stories.json"))["generated"] == "2024-06-01T11:00:00+02:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717236000")
    again = build(tmp_path, embedder, "https://example.org/")
    assert json.loads(read(again, "api/stories.json"))["generated"].startswith("2024-06-01T10:00:00")
    assert "<updated>2024-06-01T11:00:00+02:00</updated>" in read(again, "en/atom.xml")  # feeds: content dates


def test_headings_in_order_and_landmarks(out: Path) -> None:
    for rel in ("en/index.html", "en/archive/index.html", "ar/404.html"):
        html = read(out, rel)
        levels = [int(h) for h in re.findall(r"<h([1-6])\b", html)]
        assert levels[0] == 1 and levels.count(1) == 1, rel
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), rel
        for landmark in ("<header", "<nav", "<main", "<footer"):
            assert landmark in html, (rel, landmark)
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert html.count("<h1") == 1 and html.count("<main") == 1, page

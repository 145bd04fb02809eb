"""Atom feeds (feedparser, stable ids, content dates), sitemap.xml hreflang alternates, robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from digest.render import render_site
from sitekit import article, config, sample_site

ABSOLUTE = "https://example.org/news/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def absolute(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return render_site(sample_site(), config(tmp_path_factory.mktemp("abs"), base_url=ABSOLUTE))


@pytest.fixture(scope="module")
def relative(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return render_site(sample_site(), config(tmp_path_factory.mktemp("rel"), base_url="/news/"))


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
@pytest.mark.parametrize("which", ["absolute", "relative"])
def test_feeds_parse_without_errors_and_have_entries(request, which: str, lang: str) -> None:
    files = request.getfixturevalue(which)
    feed = feedparser.parse(files[f"{lang}/atom.xml"])
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.language == lang
    assert len(feed.entries) == 2
    for entry in feed.entries:
        assert entry.id and entry.title and entry.link and entry.updated_parsed and entry.published_parsed
    assert len({e.id for e in feed.entries}) == 2


def test_feed_shows_the_edition_language_and_content_dates(absolute) -> None:
    feed = feedparser.parse(absolute["fr/atom.xml"])
    museum = next(e for e in feed.entries if "museum01" in e.id)
    assert museum.title == "Vol d'un tableau au musée" and museum.link == ABSOLUTE + "articles/fr/fr1/"
    assert museum.published == "2024-05-30T09:00:00+02:00"  # first seen
    assert museum.updated == "2024-05-30T12:00:00+02:00"  # newest version
    assert feed.feed.updated == "2024-05-31T09:00:00+02:00"  # newest entry, never the clock
    heat = next(e for e in feed.entries if "heat0001" in e.id)
    assert heat.title == "Hitzerekord im Mai"  # no French version: the canonical one


def test_feed_ids_are_stable_tag_uris(absolute, tmp_path: Path) -> None:
    ids = [e.id for e in feedparser.parse(absolute["en/atom.xml"]).entries]
    assert ids == ["tag:example.org,2024-05-31:/news/en/stories/heat0001/", "tag:example.org,2024-05-30:/news/en/stories/museum01/"]
    # a new version of a story changes its entry's content and updated time, never its id
    site = sample_site()
    extra = article("museum/en3.md", "en", "Stolen painting found", "Evening Star", 30, 18)
    museum = replace(site.stories[1], articles=(*site.stories[1].articles, extra))
    site = replace(site, articles=(*site.articles, extra), stories=(site.stories[0], museum))
    again = feedparser.parse(render_site(site, config(tmp_path, base_url=ABSOLUTE))["en/atom.xml"])
    assert [e.id for e in again.entries] == ids
    assert again.entries[1].updated == "2024-05-30T18:00:00+02:00"


def test_without_a_host_feed_links_are_root_relative_and_ids_urns(relative) -> None:
    text = relative["en/atom.xml"].decode()
    assert 'href="/news/articles/en/en1/"' in text and "https://" not in text
    ids = [e.id for e in feedparser.parse(relative["en/atom.xml"]).entries]
    assert all(i.startswith("urn:uuid:") for i in ids)
    feed = feedparser.parse(relative["en/atom.xml"], response_headers={"content-location": "https://example.org/news/en/atom.xml"})
    assert feed.entries[1].link == "https://example.org/news/articles/en/en1/"  # readers resolve against the feed URL


def sitemap(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    root = ET.fromstring(files["sitemap.xml"])
    out = {}
    for url in root.findall(f"{SM}url"):
        loc = url.findtext(f"{SM}loc")
        out[loc] = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}
        assert all(link.get("rel") == "alternate" for link in url.findall(f"{XHTML}link"))
    return out


def test_sitemap_lists_pages_not_404s(absolute) -> None:
    locs = set(sitemap(absolute))
    for rel in ("", "en/", "fr/2024/05/30/", "ar/archive/", "stories/museum01/", "articles/en/en2/", "articles/de/de1/"):
        assert ABSOLUTE + rel in locs
    assert not any("404" in loc for loc in locs)
    assert all(loc.startswith(ABSOLUTE) for loc in locs)


def test_sitemap_alternates_are_reciprocal_with_x_default(absolute) -> None:
    urls = sitemap(absolute)
    groups = [alts for alts in urls.values() if alts]
    assert groups
    for loc, alts in urls.items():
        if not alts:
            continue
        assert "x-default" in alts and loc in alts.values()
        for hreflang, href in alts.items():
            assert href in urls, f"{href} is an alternate but not in the sitemap"
            assert urls[href] == alts, f"{loc} → {href} is not reciprocal"
        languages = [h for h in alts if h != "x-default"]
        assert len(languages) >= 2 and len(set(alts[h] for h in languages)) == len(languages)


def test_sitemap_groups(absolute) -> None:
    urls = sitemap(absolute)
    assert urls[ABSOLUTE + "fr/"] == {"en": ABSOLUTE + "en/", "fr": ABSOLUTE + "fr/", "ar": ABSOLUTE + "ar/", "x-default": ABSOLUTE}
    assert urls[ABSOLUTE + "articles/ar/ar1/"]["x-default"] == ABSOLUTE + "articles/en/en1/"
    assert urls[ABSOLUTE + "articles/en/en2/"] == {}  # another English outlet: no hreflang pair
    assert urls[ABSOLUTE + "stories/museum01/"] == {}


def test_html_alternates_match_the_sitemap(absolute) -> None:
    urls = sitemap(absolute)
    html = absolute["ar/2024/05/30/index.html"].decode()
    head = {line.split('hreflang="')[1].split('"')[0]: line.split('href="')[1].split('"')[0]
            for line in html.splitlines() if line.startswith('<link rel="alternate" hreflang=')}
    assert head == urls[ABSOLUTE + "ar/2024/05/30/"]
    assert f'<link rel="canonical" href="{ABSOLUTE}ar/2024/05/30/">' in html


def test_robots_points_to_the_sitemap_only_with_a_host(absolute, relative) -> None:
    assert absolute["robots.txt"].decode().endswith(f"Sitemap: {ABSOLUTE}sitemap.xml\n")
    assert "Sitemap" not in relative["robots.txt"].decode()
    assert "sitemap.xml" not in relative


def test_feed_and_sitemap_text_is_escaped(tmp_path: Path) -> None:
    site = sample_site()
    bad = replace(site.articles[4], title="Heat <b>&</b> \x0bcontrol", source="A & B")
    heat = replace(site.stories[0], canonical=bad, articles=(bad,))
    site = replace(site, articles=(*site.articles[:4], bad), stories=(heat, site.stories[1]))
    files = render_site(site, config(tmp_path, base_url=ABSOLUTE))
    feed = feedparser.parse(files["en/atom.xml"])
    assert not feed.bozo and feed.entries[0].title == "Heat <b>&</b> control"
    ET.fromstring(files["sitemap.xml"])

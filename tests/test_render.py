"""Render alone (a hand-made Site, no pipeline): pages, editions, switcher, versions, strings, URLs."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from digest.i18n import Strings, format_day, language_name, text_direction
from digest.models import Site, Story
from digest.render import Renderer, external_url, render_body, render_site, versions_of
from digest.urls import Urls
from sitekit import article, config, parse_html, sample_site


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return render_site(sample_site(), config(tmp_path_factory.mktemp("site")))


def page(files: dict[str, bytes], rel: str) -> str:
    return files[rel].decode("utf-8")


def test_every_page_of_the_url_layout_is_produced(files) -> None:
    expected = {
        "index.html", "404.html", "robots.txt", "api/stories.json",
        "stories/museum01/index.html", "stories/heat0001/index.html",
        "articles/en/en1/index.html", "articles/en/en2/index.html", "articles/fr/fr1/index.html",
        "articles/ar/ar1/index.html", "articles/de/de1/index.html",
    }
    for lang in ("en", "fr", "ar"):
        expected |= {f"{lang}/index.html", f"{lang}/2024/05/30/index.html", f"{lang}/2024/05/31/index.html",
                     f"{lang}/archive/index.html", f"{lang}/atom.xml", f"{lang}/404.html"}
    assert expected <= set(files)
    assert "sitemap.xml" not in files  # base_url "/" has no host: see test_feeds
    assert [p for p in files if p.startswith("static/")] == [p for p in files if p.startswith("static/style.")]


@pytest.mark.parametrize("rel, lang, direction", [
    ("index.html", "en", "ltr"), ("fr/index.html", "fr", "ltr"), ("ar/index.html", "ar", "rtl"),
    ("ar/archive/index.html", "ar", "rtl"), ("fr/404.html", "fr", "ltr"), ("articles/ar/ar1/index.html", "ar", "rtl"),
    ("articles/de/de1/index.html", "de", "ltr"), ("stories/museum01/index.html", "en", "ltr"),
])
def test_html_lang_and_direction(files, rel: str, lang: str, direction: str) -> None:
    parsed = parse_html(page(files, rel))
    assert (parsed.html_lang, parsed.html_dir) == (lang, direction)


def test_edition_shows_its_own_language_else_canonical_with_a_label(files) -> None:
    fr_day = page(files, "fr/2024/05/30/index.html")
    assert "Vol d&#39;un tableau au musée" in fr_day and "Museum painting stolen" not in fr_day
    ar_day = page(files, "ar/2024/05/31/index.html")  # no Arabic version: canonical German, labelled
    block = ar_day.split('<article aria-labelledby="h-heat0001"', 1)[1].split("</article>", 1)[0]
    assert block.startswith(' lang="de" dir="ltr">')  # the block reads in German, left to right
    assert "Hitzerekord im Mai" in block and '<span class="lang-badge">Deutsch</span>' in block
    assert "أبرز الأخبار" in ar_day  # theme strings in Arabic


def test_front_page_is_the_latest_day(files) -> None:
    assert "Hitzerekord im Mai" in page(files, "en/index.html")
    assert "Museum painting stolen" not in page(files, "en/index.html")
    assert page(files, "index.html").count('class="story') == 1


def switcher(html: str) -> dict[str, str]:
    nav = html.split('<nav class="languages"', 1)[1].split("</nav>", 1)[0]
    return {p.split('hreflang="', 1)[1].split('"', 1)[0]: p.split('href="', 1)[1].split('"', 1)[0] for p in nav.split("<li>")[1:]}


@pytest.mark.parametrize("rel, expected", [
    ("fr/2024/05/30/index.html", {"en": "/en/2024/05/30/", "fr": "/fr/2024/05/30/", "ar": "/ar/2024/05/30/"}),
    ("en/index.html", {"en": "/en/", "fr": "/fr/", "ar": "/ar/"}),
    ("ar/archive/index.html", {"en": "/en/archive/", "fr": "/fr/archive/", "ar": "/ar/archive/"}),
    # an article: the story's version in that language, else that edition's front page
    ("articles/en/en2/index.html", {"en": "/articles/en/en2/", "fr": "/articles/fr/fr1/", "ar": "/articles/ar/ar1/"}),
    ("articles/de/de1/index.html", {"en": "/en/", "fr": "/fr/", "ar": "/ar/"}),
    # the story page (in its canonical language): itself, else the versions
    ("stories/museum01/index.html", {"en": "/stories/museum01/", "fr": "/articles/fr/fr1/", "ar": "/articles/ar/ar1/"}),
    ("fr/404.html", {"en": "/en/", "fr": "/fr/", "ar": "/ar/"}),
])
def test_language_switcher_goes_to_the_same_page(files, rel: str, expected: dict[str, str]) -> None:
    assert switcher(page(files, rel)) == expected


def test_story_page_coverage_summary_and_every_version(files) -> None:
    html = page(files, "stories/museum01/index.html")
    for outlet in ("Harbour Gazette", "Voix de Lorvine", "الواحة", "Meridian Post"):
        assert outlet in html
    assert "First seen" in html and "May 30, 2024, 9:00" in html  # first article
    assert "Last updated" in html and "May 30, 2024, 12:00" in html  # newest article
    versions = html.split('class="version-list"', 1)[1]
    order = [versions.index(t) for t in ("Museum painting stolen", "Vol d&#39;un", "سرقة لوحة", "Painting theft")]
    assert order == sorted(order)  # shown version, other languages, then other outlets
    assert '<span class="lang-badge" lang="fr">Français</span>' in versions


@pytest.mark.parametrize("shown_path, expected", [
    ("museum/en1.md", [("Français", True, None), ("العربية", True, None), ("Meridian Post", False, None)]),
    ("museum/fr1.md", [("English", True, "Harbour Gazette"), ("English", True, "Meridian Post"), ("العربية", True, None)]),
])
def test_versions_other_languages_first_then_outlets(shown_path: str, expected) -> None:
    story = sample_site().stories[1]
    shown = next(a for a in story.articles if a.path == shown_path)
    assert [(v.label, v.other_language, v.note) for v in versions_of(story, shown)] == expected


def test_archive_lists_every_day_newest_first(files) -> None:
    html = page(files, "fr/archive/index.html")
    assert html.index("/fr/2024/05/31/") < html.index("/fr/2024/05/30/")
    assert "Mai 2024" in html and "vendredi 31 mai 2024" in html and "1 sujet" in html


def test_not_found_pages_are_localised_and_not_indexed(files) -> None:
    html = page(files, "fr/404.html")
    assert "Page introuvable" in html and '<meta name="robots" content="noindex">' in html
    assert 'href="/fr/"' in html
    assert 'rel="canonical"' not in page(files, "404.html")


def test_stories_json_schema_is_exact(files) -> None:
    doc = json.loads(files["api/stories.json"])
    assert set(doc) == {"generated", "stories"}
    story = next(s for s in doc["stories"] if s["id"] == "museum01")
    assert set(story) == {"id", "date", "title", "canonical", "languages", "sources", "score", "articles"}
    assert story["languages"] == ["en", "fr", "ar"] and story["date"] == "2024-05-30"
    assert {tuple(sorted(a)) for a in story["articles"]} == {("date", "id", "lang", "path", "source", "title", "url")}
    assert story["articles"][1]["url"] == "/articles/fr/fr1/"


def test_render_is_deterministic(tmp_path: Path) -> None:
    assert render_site(sample_site(), config(tmp_path)) == render_site(sample_site(), config(tmp_path))


def test_sub_path_prefixes_every_link(tmp_path: Path) -> None:
    files = render_site(sample_site(), config(tmp_path, base_url="/news/"))
    html = files["fr/index.html"].decode()
    assert 'href="/news/static/style.' in html and 'href="/news/fr/archive/"' in html
    assert 'href="/' not in html.replace('href="/news/', "")
    assert json.loads(files["api/stories.json"])["stories"][0]["articles"][0]["url"].startswith("/news/articles/")


def test_assets_are_content_hashed(tmp_path: Path) -> None:
    files = render_site(sample_site(), config(tmp_path))
    (css,) = [p for p in files if p.startswith("static/style.")]
    import hashlib

    assert css == f"static/style.{hashlib.sha256(files[css]).hexdigest()[:10]}.css"


def test_empty_site_still_has_front_pages(tmp_path: Path) -> None:
    from dataclasses import replace

    empty = replace(sample_site(), articles=(), stories=())
    files = render_site(empty, config(tmp_path))
    assert {"index.html", "en/index.html", "en/archive/index.html", "en/atom.xml"} <= set(files)
    assert "No stories yet." in files["en/index.html"].decode()


# -- pure helpers --------------------------------------------------------------------------------

def test_markdown_body_escapes_html_and_moves_headings_down() -> None:
    a = article("x.md", "en", "X", None, 30, body_markdown="# Title\n\n<script>alert(1)</script>\n\n## Sub")
    html = str(render_body(a))
    assert "<h2>Title</h2>" in html and "<h3>Sub</h3>" in html and "<script>" not in html


def test_text_body_is_never_markdown() -> None:
    a = article("x.txt", "en", "X", None, 30, format="txt", paragraphs=("**not bold** <b>x</b>",))
    assert str(render_body(a)) == "<p>**not bold** &lt;b&gt;x&lt;/b&gt;</p>"


@pytest.mark.parametrize("value, expected", [
    ("https://example.org/a", "https://example.org/a"), ("http://example.org", "http://example.org"),
    ("javascript:alert(1)", None), ("data:text/html,x", None), ("", None), (None, None), ("/relative", None),
])
def test_external_url_only_http(value, expected) -> None:
    assert external_url(value) == expected


@pytest.mark.parametrize("base_url, rel, path, absolute", [
    ("/", "fr/", "/fr/", "/fr/"),
    ("/news/", "fr/atom.xml", "/news/fr/atom.xml", "/news/fr/atom.xml"),
    ("https://example.org/news/", "", "/news/", "https://example.org/news/"),
    ("https://example.org", "articles/fr/été/", "/articles/fr/%C3%A9t%C3%A9/", "https://example.org/articles/fr/%C3%A9t%C3%A9/"),
])
def test_urls(base_url: str, rel: str, path: str, absolute: str) -> None:
    urls = Urls(base_url)
    assert (urls.path(rel), urls.absolute(rel)) == (path, absolute)


@pytest.mark.parametrize("lang, n, expected", [
    ("en", 1, "1 outlet"), ("en", 3, "3 outlets"), ("fr", 1, "1 média"), ("fr", 2, "2 médias"),
    ("ru", 1, "1 издание"), ("ru", 3, "3 издания"), ("ru", 5, "5 изданий"), ("ru", 21, "21 издание"),
    ("ar", 2, "وسيلتا إعلام"), ("ar", 5, "5 وسائل إعلام"), ("ar", 11, "11 وسيلة إعلام"),
    ("nl", 2, "2 outlets"),  # no Dutch strings: English
])
def test_plural_forms(tmp_path: Path, lang: str, n: int, expected: str) -> None:
    assert Strings.load(lang, config(tmp_path))("outlets", n=n) == expected


def test_every_language_has_every_string() -> None:
    import yaml

    folder = Path(__file__).resolve().parents[1] / "themes" / "default" / "i18n"
    keys = set(yaml.safe_load((folder / "en.yaml").read_text(encoding="utf-8")))
    for lang in ("en", "fr", "de", "es", "it", "pt", "ru", "ar"):
        assert set(yaml.safe_load((folder / f"{lang}.yaml").read_text(encoding="utf-8"))) == keys, lang


@pytest.mark.parametrize("lang, name, direction", [
    ("fr", "Français", "ltr"), ("de", "Deutsch", "ltr"), ("ar", "العربية", "rtl"), ("he", "עברית", "rtl"),
    ("fa", "فارسی", "rtl"), ("ru", "Русский", "ltr"), ("xx", "xx", "ltr"),
])
def test_language_names_and_direction(lang: str, name: str, direction: str) -> None:
    assert (language_name(lang), text_direction(lang)) == (name, direction)


def test_dates_are_localised() -> None:
    assert format_day(date(2024, 5, 30), "fr") == "jeudi 30 mai 2024"
    assert format_day(date(2024, 5, 30), "de") == "Donnerstag, 30. Mai 2024"


def test_renderer_alternates_only_between_versions(tmp_path: Path) -> None:
    r = Renderer(sample_site(), config(tmp_path))
    assert "articles/en/en2/" not in r.alternates  # a second English outlet is not an hreflang version
    assert dict(r.alternates["articles/fr/fr1/"]) == {
        "ar": "articles/ar/ar1/", "en": "articles/en/en1/", "fr": "articles/fr/fr1/", "x-default": "articles/en/en1/"}
    assert "articles/de/de1/" not in r.alternates  # one language only


def test_stories_json_values_round_trip_with_markup_escaped(tmp_path: Path) -> None:
    from dataclasses import replace

    site = sample_site()
    bad = replace(site.articles[4], title="<script>alert(1)</script> & more")
    site = replace(site, articles=(*site.articles[:4], bad),
                   stories=(replace(site.stories[0], canonical=bad, articles=(bad,)), site.stories[1]))
    raw = render_site(site, config(tmp_path))["api/stories.json"]
    assert b"<script>" not in raw and b"\\u003cscript\\u003e" in raw
    assert json.loads(raw)["stories"][0]["title"] == "<script>alert(1)</script> & more"


def big_story_site(per_lang: dict[str, int]) -> Site:
    """One story with ``per_lang[lang]`` versions in each language, each from its own outlet."""
    arts = [article(f"big/{lang}{k}.md", lang, f"Big story {lang} {k}", f"Outlet {lang.upper()}{k}", 30, k % 20)
            for lang, count in per_lang.items() for k in range(count)]
    story = Story("bigstory", arts[0], tuple(arts), date(2024, 5, 30), 9.0)
    return Site(articles=tuple(arts), stories=(story,), languages=("en", "fr", "de"), default_language="en",
                generated=datetime(2024, 6, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("limit", [3, 5, 12])
def test_a_big_story_lists_a_few_versions_every_language_first_in_the_same_order(limit: int) -> None:
    """A story of hundreds of versions would list all the others on each of its pages (the square of its
    size in links): with a limit, each other language once, then outlets of the shown language, then more
    of the other languages, in the order of the full list."""
    story = big_story_site({"en": 10, "fr": 6, "de": 4, "ar": 1}).stories[0]
    shown = story.articles[0]
    full = versions_of(story, shown)
    some = versions_of(story, shown, limit)
    assert len(full) == 20 and len(some) == limit
    where = [[v.article for v in full].index(v.article) for v in some]
    assert where == sorted(where)  # in the order of the full list
    langs = [v.article.lang for v in some if v.other_language]
    assert set(langs) == ({"fr", "de", "ar"} if limit >= 3 else set(langs))
    same = [v.article for v in some if not v.other_language]
    assert same == [a for a in story.articles[1:10]][: len(same)]
    assert len(same) == min(9, limit - 3)
    assert versions_of(story, shown, 20) == full and versions_of(story, shown, 25) == full


def test_article_page_of_a_big_story_links_a_dozen_versions_and_the_story_page_all(tmp_path: Path) -> None:
    site = big_story_site({"en": 20, "fr": 10, "de": 5})
    files = render_site(site, config(tmp_path))
    art = page(files, "articles/en/en3/index.html")
    box = art.split('<aside class="versions-box"', 1)[1].split("</aside>", 1)[0]
    assert box.count("<li>") == 12
    assert 'hreflang="fr"' in box and 'hreflang="de"' in box
    assert "and 22 more versions" in box and 'href="/stories/bigstory/"' in box
    fr = page(files, "articles/fr/fr0/index.html")
    assert "et 22 autres versions" in fr  # in the page's language
    story_page = page(files, "stories/bigstory/index.html")
    versions = story_page.split('<ul class="version-list">', 1)[1].split("</ul>", 1)[0]
    assert versions.count("<li") == 35  # the shown version and all 34 others
    digest = page(files, "en/2024/05/30/index.html")
    assert "and 26 more versions" in digest  # 8 named on the front page

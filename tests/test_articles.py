"""From a read file to an Article: front matter wins, dates in order, problems named by file and key."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from digest.articles import markdown_paragraphs, parse_front_matter, path_date, resolve_date, FrontMatter
from digest.config import SiteConfig
from digest.articles import make_article
from digest.models import Problem, SourceFile

PARIS = ZoneInfo("Europe/Paris")


def md(front: dict, body: str = "First paragraph of the body, long enough to be a lead.\n", path: str = "a.md") -> SourceFile:
    return SourceFile(path=path, format="md", body=body, front_matter=front, mtime=1_700_000_000)


def test_front_matter_values_are_used() -> None:
    problems: list[Problem] = []
    art = make_article(
        md({"title": "Night trains return", "lang": "en", "date": "2024-06-01T08:30:00+02:00",
            "source": "The Harbour Gazette", "translationKey": "trains", "canonical": True, "story": True,
            "tags": ["transport"], "slug": "Night Trains!"}),
        SiteConfig(timezone="Europe/Paris"), None, problems,
    )
    assert problems == []
    assert (art.title, art.lang, art.source, art.translation_key) == ("Night trains return", "en", "The Harbour Gazette", "trains")
    assert art.date == datetime(2024, 6, 1, 8, 30, tzinfo=PARIS)
    assert art.date_origin == "front matter" and art.canonical and art.slug == "night-trains"


def test_slugs_do_not_depend_on_which_transliteration_package_is_installed(monkeypatch) -> None:
    """python-slugify transliterates with Unidecode when it happens to be installed, else text-unidecode:
    the same site would get other URLs on another machine. Ours always come from text-unidecode."""
    import sys
    import types

    article = md({"title": "Ωραία μέρα στο Ηράκλειο", "lang": "el"})
    before = make_article(article, SiteConfig(), None, [])
    fake = types.ModuleType("unidecode")
    fake.unidecode = lambda text: "unidecode was used"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "unidecode", fake)
    after = make_article(article, SiteConfig(), None, [])
    assert before.slug == after.slug == "oraia-mera-sto-erakleio"


WRONG_TYPES = [
    ({"title": ["a", "b"]}, "title"),
    ({"date": "next tuesday"}, "date"),
    ({"lang": 12}, "lang"),
    ({"draft": "yes"}, "draft"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize("front,key", WRONG_TYPES, ids=[k for _, k in WRONG_TYPES])
def test_wrong_front_matter_is_reported_by_key_and_ignored(front: dict, key: str) -> None:
    problems: list[Problem] = []
    parse_front_matter(front, "x.md", PARIS, problems)
    assert len(problems) == 1 and problems[0].path == "x.md" and repr(key) in problems[0].message


def test_date_order_front_matter_then_path_then_mtime() -> None:
    fm = FrontMatter(date=datetime(2024, 1, 2, 3, 4, tzinfo=PARIS))
    order = ("front_matter", "path", "text", "mtime")
    assert resolve_date(order, fm, "2024-05-31/x.txt", None, 0, PARIS)[1] == "front matter"
    when, origin = resolve_date(order, FrontMatter(), "2024-05-31/x.txt", None, 0, PARIS)
    assert origin == "path" and when.date().isoformat() == "2024-05-31"
    assert resolve_date(order, FrontMatter(), "x.txt", None, 1_700_000_000, PARIS)[1] == "mtime"


@pytest.mark.parametrize("path,expected", [
    ("2024-05-31/a.txt", "2024-05-31"), ("2024/06/01/b.md", "2024-06-01"), ("news_2023_12_24.txt", "2023-12-24"),
    ("2024-13-45-bad.txt", None), ("id-20240531.txt", None),
])
def test_path_dates(path: str, expected: str | None) -> None:
    found = path_date(path, PARIS)
    assert (found.date().isoformat() if found else None) == expected


def test_markdown_paragraphs_are_plain_text() -> None:
    assert markdown_paragraphs("A *b* [c](http://x).\n\n- one\n- two\n") == ("A b c.", "one", "two")


def test_markdown_without_title_infers_the_headline() -> None:
    art = make_article(md({"lang": "en"}, "Tram line opens in Alden\n\nThe new tram line opened on Monday morning in Alden.\n"),
                       SiteConfig(), None, [])
    assert art.title == "Tram line opens in Alden"


def test_article_bodies_are_stored_compressed_and_read_back_exactly():
    # bodies are most of a big build's memory: an Article keeps them compressed, invisibly
    import pickle
    from dataclasses import replace

    from digest.models import Article

    paras = tuple(f"Paragraph {k}: the minister said on Tuesday that prices – «élevés» – rose {k} %." for k in range(60))
    a = Article(id="a", path="a.md", format="md", title="T", lang="fr", date=datetime(2024, 3, 5, tzinfo=ZoneInfo("UTC")),
                slug="a", paragraphs=paras, body_markdown="\n\n".join(paras) + "\n")
    assert a.paragraphs == paras and a.body_markdown == "\n\n".join(paras) + "\n"
    assert a.text == "\n\n".join(paras)
    copy = pickle.loads(pickle.dumps(a))  # the saved build state
    assert copy == a and hash(copy) == hash(a) and copy.paragraphs == paras
    assert replace(a, slug="b").paragraphs == paras
    assert len(pickle.dumps(a)) < len("".join(paras).encode()) // 2  # compressed, both fields together
    odd = ("a\0b " * 100, "", "c")  # a NUL inside a paragraph, an empty paragraph: still exact
    assert replace(a, paragraphs=odd).paragraphs == odd
    assert Article(id="e", path="e.md", format="md", title="T", lang="fr", date=a.date, slug="e").paragraphs == ()


def test_articles_are_equal_exactly_when_every_field_is():
    # equality compares packed bodies as kept before unpacking them: it must still be field-by-field equality
    from dataclasses import astuple, fields, replace

    from digest.models import Article

    paras = tuple(f"Paragraph {k} of a long body about the minister's statement on prices." for k in range(40))
    a = Article(id="a", path="a.md", format="md", title="T", lang="fr", date=datetime(2024, 3, 5, tzinfo=ZoneInfo("UTC")),
                slug="a", paragraphs=paras, body_markdown="\n\n".join(paras) + "\n", body_features=("x", "y") * 60,
                lang_confidence=float("nan"))
    same = Article(**{f.name: getattr(a, f.name) for f in fields(Article)})  # packed again, from the values
    assert same == a and hash(same) == hash(a) and a.with_slug("a") == a
    for field in fields(Article):
        value = getattr(a, field.name)
        if isinstance(value, tuple):
            other = value[:-1] + ("changed",)
        elif isinstance(value, str):
            other = value + " changed"
        elif isinstance(value, bool):
            other = not value
        elif isinstance(value, float):
            other = 0.5
        else:
            other = a.date.replace(year=2023)
        changed = replace(a, **{field.name: other})
        assert changed != a and a != changed, field.name
        assert (changed == a) == (astuple(changed) == astuple(a))
    assert a != "a" and a != replace(a, paragraphs=paras[:-1])

"""Property-based tests: arbitrary bytes, text and front matter never crash the reading and article
stages (the only exception allowed out is ContentError; everything else becomes a Problem), and the
writer's and stories.json's safety rules hold for any input.

Example counts are fixed per test (``settings(max_examples=…)``) to keep the suite fast; run
``pytest tests/test_properties.py --hypothesis-show-statistics`` to see how many ran. ``EXAMPLES``
records them too, and the last test checks that every property really ran that many.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from digest.articles import make_article, parse_front_matter
from digest.config import SiteConfig
from digest.errors import BuildError, ContentError
from digest.models import Article, Problem, Site, SourceFile, Story
from digest.read import decode, read_file, split_front_matter
from digest.write import safe_relpath

EXAMPLES: Counter[str] = Counter()
PARIS = ZoneInfo("Europe/Paris")
CFG = SiteConfig(timezone="Europe/Paris")
# no example database (nothing written into the repository); a failure prints the blob that replays it
FAST = settings(deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NOT_XML = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")

# bytes that look like what ends up in content/: text in several encodings, BOMs, line endings, junk
text_like = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
encoded = st.tuples(text_like, st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "cp1251"])).map(
    lambda t: t[0].encode(t[1], "replace"))
line_endings = text_like.map(lambda s: s.replace("\n", "\r\n").encode("utf-8"))
any_bytes = st.one_of(st.binary(max_size=400), encoded, line_endings,
                      st.lists(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\r", b"\n", b"\x00", b"\xe9",
                                                b"\xc3", b"---\n", b"title: x\n", b"\x80", b"a"]), max_size=40).map(b"".join))

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(0, 9).map(lambda d: 10 ** 4400 + d),  # too long for str()
    st.floats(allow_nan=True, allow_infinity=True), text_like,
    st.dates(), st.datetimes(timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=-12)), PARIS])),
)
yaml_values = st.recursive(yaml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)
KEYS = ["title", "date", "lang", "source", "source_url", "author", "summary", "tags", "slug", "draft",
        "translationKey", "canonical", "story"]
front_matter = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), yaml_values, max_size=8)


def _check_text(text: str) -> None:
    assert "\r" not in text and not NOT_XML.search(text)


@settings(FAST, max_examples=600)
@given(any_bytes)
def test_decode_never_crashes(data: bytes) -> None:
    EXAMPLES["decode"] += 1
    problems: list[Problem] = []
    try:
        text, encoding = decode(data, "x.txt", problems)
    except ContentError as err:
        assert err.path == "x.txt" and err.message
        return
    _check_text(text)
    assert isinstance(encoding, str) and all(p.path == "x.txt" for p in problems)


@settings(FAST, max_examples=300)
@given(st.text(max_size=400))
def test_utf8_text_round_trips(text: str) -> None:
    """Any text saved as UTF-8 reads back as itself (apart from newlines and control characters)."""
    EXAMPLES["utf8 round trip"] += 1
    assume(not re.search(r"[\x00-\x08\x0e-\x1f]", text))  # those make a file binary
    try:
        got, encoding = decode(text.encode("utf-8", "surrogatepass"), "x.txt", [])
    except (ContentError, UnicodeDecodeError):
        assume(False)
        return
    expected = re.sub(r"[\x0b\x0c\x7f-\x9f\ufeff\ufffe\uffff]", "", text.replace("\r\n", "\n").replace("\r", "\n")
                      .replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x85", "\n"))
    assert encoding == "utf-8" and got == expected


@settings(FAST, max_examples=300)
@given(yaml_values, st.text(max_size=200))
def test_split_front_matter_never_crashes(value, tail: str) -> None:
    import yaml

    EXAMPLES["front matter text"] += 1
    try:
        dumped = yaml.safe_dump(value, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        assume(False)
        return
    for text in (f"---\n{dumped}---\n{tail}", f"---\n{tail}\n---\nbody", f"---\ntitle: {tail}\n---\n"):
        try:
            front, body, line = split_front_matter(text, "a.md")
        except ContentError as err:
            assert err.path == "a.md"
            continue
        assert isinstance(front, dict) and all(isinstance(k, str) for k in front) and line >= 1


@settings(FAST, max_examples=400)
@given(front_matter)
def test_parse_front_matter_reports_instead_of_crashing(raw: dict) -> None:
    EXAMPLES["front matter values"] += 1
    problems: list[Problem] = []
    fm = parse_front_matter(raw, "a.md", PARIS, problems)
    assert len(problems) <= 1 and all(p.path == "a.md" and len(p.message) < 2000 for p in problems)
    for value in (fm.title, fm.source, fm.author, fm.summary, fm.slug, fm.translation_key, *fm.tags):
        assert value is None or (value.strip() and not NOT_XML.search(value) and "\n" not in value)
    assert fm.date is None or (fm.date.tzinfo is not None and 1000 <= fm.date.year <= 2999)
    assert fm.source_url is None or fm.source_url.lower().startswith(("http://", "https://"))


@settings(FAST, max_examples=300)
@given(front_matter, text_like, st.sampled_from(["txt", "md"]),
       st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_make_article_gives_an_article_or_a_content_error(raw: dict, body: str, fmt: str, mtime: float) -> None:
    EXAMPLES["articles"] += 1
    src = SourceFile(path=f"a.{fmt}", format=fmt, body=body, front_matter=raw if fmt == "md" else {},
                     mtime=min(max(mtime, 0.0), 7_258_118_400.0))
    problems: list[Problem] = []
    try:
        article = make_article(src, CFG, None, problems)
    except ContentError as err:
        assert err.path == src.path
        return
    assert article.title.strip() and re.fullmatch(r"[0-9a-z-]+", article.slug)
    assert re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", article.lang)
    assert article.date.tzinfo is not None
    assert all(p.path == src.path for p in problems)


@settings(FAST, max_examples=200)
@given(any_bytes, st.sampled_from(["a.txt", "b.md", "c.markdown"]))
def test_any_file_reads_as_a_source_or_one_content_error(tmp_path_factory, data: bytes, name: str) -> None:
    EXAMPLES["files"] += 1
    folder = tmp_path_factory.mktemp("prop", numbered=True)
    (folder / name).write_bytes(data)
    problems: list[Problem] = []
    try:
        src = read_file(folder / name, folder, problems)
    except ContentError as err:
        assert err.path == name
        return
    _check_text(src.body)
    try:
        make_article(src, CFG, None, problems)
    except ContentError as err:
        assert err.path == name


@settings(FAST, max_examples=300)
@given(st.text(max_size=60))
def test_safe_relpath_never_leaves_the_output(name: str) -> None:
    EXAMPLES["relpath"] += 1
    try:
        rel = safe_relpath(name)
    except BuildError:
        return
    assert isinstance(rel, PurePosixPath) and not rel.is_absolute() and ".." not in rel.parts
    assert not rel.parts[0].startswith(".digest-")
    assert (Path("/out") / rel).resolve().is_relative_to("/out") or ".." not in str(rel)


def _site(title: str, source: str, path: str) -> Site:
    when = datetime(2024, 6, 1, 9, tzinfo=PARIS)
    a = Article(id="a1", path=path, format="md", title=title, lang="en", date=when, slug="s", source=source)
    story = Story(id="s1", canonical=a, articles=(a,), day=when.date())
    return Site(articles=(a,), stories=(story,), languages=("en",), default_language="en", generated=when)


@settings(FAST, max_examples=300)
@given(st.text(), st.text(), st.text())
def test_stories_json_is_inert_and_round_trips(title: str, source: str, path: str) -> None:
    from digest.render import stories_json

    EXAMPLES["stories.json"] += 1
    raw = stories_json(_site(title, source, path), lambda p: "/" + p)
    text = raw.decode("utf-8")
    assert not set("<>&") & set(text) and "\u2028" not in text and "\u2029" not in text
    doc = json.loads(text)
    article = doc["stories"][0]["articles"][0]
    assert (article["title"], article["source"], article["path"]) == (title, source, path)


RUNS = {"decode": 600, "utf8 round trip": 300, "front matter text": 300, "front matter values": 400,
        "articles": 300, "files": 200, "relpath": 300, "stories.json": 300}


def test_every_property_ran_its_examples() -> None:
    """Runs last in this module: each property above produced its examples (assume() may reject a few)."""
    if not EXAMPLES:
        pytest.skip("run together with the properties above")
    for name, wanted in RUNS.items():
        assert EXAMPLES[name] >= wanted * 0.5, (name, EXAMPLES[name])
    print("\nhypothesis examples:", dict(EXAMPLES), "total", sum(EXAMPLES.values()))

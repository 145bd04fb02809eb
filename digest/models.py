"""The typed, frozen records that flow between pipeline stages (read → extract → group → rank → render)."""

from __future__ import annotations

import copy
import sys
import zlib
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal, Mapping

Format = Literal["txt", "md"]


@dataclass(frozen=True)
class SourceFile:
    """One file of ``content/`` after decoding: what the read stage hands to extraction."""

    path: str  # content-relative, POSIX separators
    format: Format
    body: str  # decoded text, newlines normalised to "\n"; for .md the part after front matter
    front_matter: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    body_line: int = 1  # 1-based line of the file where ``body`` starts (for messages)
    mtime: float = 0.0
    content_hash: str = ""  # sha256 of the raw bytes
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Extracted:
    """What extraction read out of a raw text body. Every choice is explained in ``evidence``."""

    headline: str
    paragraphs: tuple[str, ...]
    source: str | None = None
    subtitle: str | None = None
    date: datetime | date | None = None
    evidence: tuple[str, ...] = ()


class _Packed:
    """A text field kept zlib-compressed inside the instance, decompressed on each read.

    Article bodies are most of what a build holds (≈ 6 KB of 8.5 per article: 600 MB at
    100,000 articles); compressed they take about a third. Reads, equality, ``replace`` and
    pickling behave as with a plain field (a dataclass field whose default is a descriptor).
    """

    MIN = 200  # shorter texts are kept as they are

    def __init__(self, default: Any) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_z"
        self.joined = isinstance(self.default, tuple)  # a tuple of paragraphs, stored NUL-joined

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self.default
        value = obj.__dict__[self.slot]
        if not isinstance(value, bytes):
            return value
        text = zlib.decompress(value).decode("utf-8")
        return tuple(text.split("\0")) if self.joined else text

    def stored(self, obj: object) -> Any:
        """The field as kept (compressed bytes, or the value itself): for a fingerprint, without unpacking it."""
        return obj.__dict__[self.slot]

    def __set__(self, obj: object, value: Any) -> None:
        text = "\0".join(value) if self.joined else value
        if len(text) >= self.MIN and not (self.joined and any("\0" in p for p in value)):
            value = zlib.compress(text.encode("utf-8"), 6)
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class Article:
    """One version of a story: a single content file with everything inferred filled in."""

    id: str  # stable across builds: derived from the path
    path: str
    format: Format
    title: str
    lang: str
    date: datetime  # timezone-aware, in the site's timezone
    slug: str
    paragraphs: tuple[str, ...] = _Packed(())  # type: ignore[assignment]  # clean body as plain-text paragraphs (both formats)
    body_markdown: str = _Packed("")  # type: ignore[assignment]  # .md only: the Markdown source, rendered with raw HTML disabled
    source: str | None = None
    source_url: str | None = None
    author: str | None = None
    summary: str = ""
    tags: tuple[str, ...] = ()
    translation_key: str | None = None
    canonical: bool = False  # front matter `canonical: true`
    groupable: bool = True  # front matter `story: false` sets this to False
    draft: bool = False
    lang_confidence: float = 1.0
    lang_origin: str = "front matter"
    date_origin: str = "front matter"
    content_hash: str = ""
    evidence: tuple[str, ...] = ()
    # grouping's lexical features of the body's start (``lexical.body_features``), found when the file is parsed
    # (on every core, and cached with the article) rather than at each grouping; () when not known
    body_features: tuple[str, ...] = _Packed(())  # type: ignore[assignment]

    @property
    def text(self) -> str:
        """The clean body as plain text (paragraphs joined), for language detection and leads."""
        return "\n\n".join(self.paragraphs)

    def with_slug(self, slug: str) -> Article:
        """This article under another slug: ``replace(self, slug=slug)``, without unpacking and packing its
        body again (a site whose headlines repeat renames thousands of articles on every build: the 2,193 of the
        10,000-article benchmark site took 0.21 s, 0.047 s so)."""
        new = copy.copy(self)  # the same packed values (``__setstate__`` takes the instance's fields as they are)
        object.__setattr__(new, "slug", slug)
        return new

    def __eq__(self, other: object) -> bool:
        """The dataclass's field-by-field equality, but packed bodies are first compared as kept: the same packed
        bytes are the same text. Unpacking both bodies was most of comparing two articles (each build compares the
        articles renamed for a clashing slug with the last build's: 2,193 on the 10,000-article benchmark site)."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        if self is other:
            return True
        for name in _ARTICLE_FIELDS:
            packed = _PACKED_FIELDS.get(name)
            if packed is not None and packed.stored(self) == packed.stored(other):
                continue
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is not theirs and mine != theirs:  # (as a tuple of fields compares: a NaN equals itself)
                return False
        return True

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling (saved build state, article cache): the evidence lines are a few thousand distinct
        strings repeated over every article; interned, one copy of each is kept (100,000 articles:
        324,658 strings, 7,736 distinct, ~35 MB)."""
        evidence = state.get("evidence")
        if evidence:
            state["evidence"] = tuple(sys.intern(e) for e in evidence)
        self.__dict__.update(state)


_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))
_PACKED_FIELDS = {name: vars(Article)[name] for name in _ARTICLE_FIELDS if isinstance(vars(Article).get(name), _Packed)}


@dataclass(frozen=True)
class PairScore:
    """Why two articles were (or were not) joined: the combined score and each signal's share."""

    a: str  # article id
    b: str  # article id
    score: float
    signals: tuple[tuple[str, float], ...] = ()
    threshold: float = 0.0
    joined: bool = False


@dataclass(frozen=True)
class Grouping:
    """Output of the grouping stage: clusters as indices into the input sequence."""

    clusters: tuple[tuple[int, ...], ...]
    pairs: tuple[PairScore, ...] = ()  # each article's best pair inside its cluster, and outside it
    threshold: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Story:
    """A group of articles about one event, with its representative version and rank."""

    id: str
    canonical: Article
    articles: tuple[Article, ...]  # every version, canonical first, then other languages, then outlets
    day: date
    score: float = 0.0
    score_parts: tuple[tuple[str, float], ...] = ()
    pairs: tuple[PairScore, ...] = ()  # each member's strongest pair with another member (what holds it in)

    @property
    def languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in self.articles:
            seen.setdefault(a.lang, None)
        return tuple(seen)

    @property
    def sources(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in self.articles:
            if a.source:
                seen.setdefault(a.source, None)
        return tuple(seen)

    def version_in(self, lang: str) -> Article | None:
        """The story's article in ``lang``: the canonical one if it is in that language."""
        if self.canonical.lang == lang:
            return self.canonical
        return next((a for a in self.articles if a.lang == lang), None)


@dataclass(frozen=True)
class Problem:
    """A reported problem with one file: shown to the user, never fatal to the build."""

    path: str
    message: str
    line: int | None = None
    level: Literal["warning", "error"] = "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Site:
    """Everything gathered for one build, before anything is rendered or written."""

    articles: tuple[Article, ...]
    stories: tuple[Story, ...]  # newest day first, then by score
    languages: tuple[str, ...]  # editions, in order of preference
    default_language: str
    generated: datetime  # from content (or SOURCE_DATE_EPOCH), never from the clock
    problems: tuple[Problem, ...] = ()

    @cached_property  # a frozen dataclass: computed once (read for every page of a build)
    def days(self) -> tuple[date, ...]:
        """Days that have stories, newest first."""
        return tuple(sorted({s.day for s in self.stories}, reverse=True))

"""Turn one read file into an Article: front matter first, everything missing inferred from the text."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt
from slugify import slugify

from .config import SiteConfig
from .errors import ContentError
from .extract import Boilerplate, extract_text
from .language import detect_language
from .lexical import body_features
from .models import Article, Extracted, Problem, SourceFile

log = logging.getLogger(__name__)

FRONT_MATTER_KEYS = (
    "title", "date", "lang", "source", "source_url", "author", "summary", "tags", "slug",
    "draft", "translationKey", "canonical", "story",
)
_PATH_DATE = re.compile(r"(?<!\d)(\d{4})[-_/](\d{2})[-_/](\d{2})(?!\d)")
_LANG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
SUMMARY_CHARS = 280
MIN_YEAR, MAX_YEAR = 1000, 2999  # front matter dates outside are typos (and overflow date arithmetic)
_md_text = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class FrontMatter:
    """Validated front matter values; None where a key is absent or unusable."""

    title: str | None = None
    date: datetime | None = None
    lang: str | None = None
    source: str | None = None
    source_url: str | None = None
    author: str | None = None
    summary: str | None = None
    tags: tuple[str, ...] = ()
    slug: str | None = None
    draft: bool = False
    translation_key: str | None = None
    canonical: bool = False
    groupable: bool = True


def article_id(path: str) -> str:
    """Stable id of an article: a short hash of its content-relative path."""
    return hashlib.sha1(path.encode("utf-8")).hexdigest()[:12]


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")


def _text_value(value: Any) -> str | None:
    """A front matter scalar as one line of text: whitespace collapsed, control characters (which
    YAML escapes such as "\\x01" can produce, and which XML feeds may not hold) removed."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (datetime, date)):
        value = value.isoformat()
    if isinstance(value, (str, int, float)):
        try:
            text = value if isinstance(value, str) else str(value)
        except ValueError:  # an integer too long to print (Python refuses over 4,300 digits)
            return None
        text = " ".join(_CONTROL_CHARS.sub(" ", text).split())
        return text or None
    return None


def _shown(value: Any, limit: int = 80) -> str:
    """A short repr of a front matter value for messages (YAML aliases can make huge structures)."""
    import reprlib

    if isinstance(value, (datetime, date)):
        return value.isoformat()
    r = reprlib.Repr()
    r.maxstring = r.maxother = limit
    r.maxlevel, r.maxlist, r.maxdict = 2, 4, 4
    try:
        return r.repr(value)
    except ValueError:  # a very long integer
        return "a very long number"


def _parse_date(value: Any, tz: ZoneInfo) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tz)
    if isinstance(value, str):
        text = value.strip().replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", value.strip()) else value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    return None


def parse_front_matter(raw: dict[str, Any], path: str, tz: ZoneInfo, problems: list[Problem]) -> FrontMatter:
    """Validate each key; a wrong type is reported (naming file and key) and the key inferred instead.

    Everything wrong with one file's front matter becomes one warning, so a bad file gets one message.
    """
    issues: list[str] = []
    wrong: list[str] = []

    def bad(key: str, want: str) -> None:
        wrong.append(key)
        issues.append(f"key {key!r} {want} (got {_shown(raw[key])})")

    values: dict[str, Any] = {}
    unknown = [key for key in raw if key not in FRONT_MATTER_KEYS]
    if unknown:
        names = ", ".join(_shown(k, 40) for k in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        issues.append(f"unknown key{'s' if len(unknown) > 1 else ''} {names} ignored (check the spelling; known keys: "
                      f"{', '.join(FRONT_MATTER_KEYS)})")
    for key in ("title", "source", "author", "summary", "slug", "translationKey"):
        if key in raw and raw[key] is not None:
            text = _text_value(raw[key])
            if text is None:
                bad(key, "must be text")
            else:
                values["translation_key" if key == "translationKey" else key] = text
    if raw.get("source_url") is not None:
        url = _text_value(raw["source_url"])
        if url and re.match(r"^https?://", url, re.I):
            values["source_url"] = url
        else:
            bad("source_url", "must be an http(s) address")
    if raw.get("date") is not None:
        parsed = _parse_date(raw["date"], tz)
        if parsed is None:
            bad("date", "must be an ISO 8601 date such as 2024-05-31T08:00:00+02:00")
        elif not MIN_YEAR <= parsed.year <= MAX_YEAR:
            bad("date", f"must be a date between the years {MIN_YEAR} and {MAX_YEAR}")
        else:
            values["date"] = parsed
            if parsed > datetime.now(timezone.utc) + timedelta(days=1):
                issues.append(f"date {parsed.isoformat()} is in the future: the article is listed as the newest "
                              "until then; fix the date or set draft: true")
    if raw.get("lang") is not None:
        lang = raw["lang"].strip().lower().replace("_", "-") if isinstance(raw["lang"], str) else ""
        if _LANG.match(lang):
            values["lang"] = lang
        else:
            bad("lang", "must be a language code such as en, fr or pt-br")
    if raw.get("tags") is not None:
        tags = raw["tags"] if isinstance(raw["tags"], list) else [raw["tags"]]
        clean = tuple(t for t in (_text_value(x) for x in tags) if t)
        if len(clean) != len(tags):
            bad("tags", "must be a list of words")
        values["tags"] = clean
    for key, field_name in (("draft", "draft"), ("canonical", "canonical"), ("story", "groupable")):
        if key in raw and raw[key] is not None:
            if isinstance(raw[key], bool):
                values[field_name] = raw[key]
            else:
                bad(key, "must be true or false")
    if wrong:
        which = "it" if len(wrong) == 1 else "them"
        issues.append(f"fix or remove {which}: until then {'it is' if len(wrong) == 1 else 'they are'} ignored "
                      "(and inferred from the text where possible)")
    if issues:
        problems.append(Problem(path, "front matter: " + "; ".join(issues)))
    return FrontMatter(**values)


def markdown_paragraphs(markdown: str) -> tuple[str, ...]:
    """The plain text of each Markdown block (for language detection, leads and grouping)."""
    out: list[str] = []
    for token in _md_text.parse(markdown):
        if token.type == "inline" and token.children is not None:
            parts = [" " if c.type in ("softbreak", "hardbreak") else c.content for c in token.children]
            text = " ".join("".join(parts).split())
            if text:
                out.append(text)
    return tuple(out)


def lead(paragraphs: Sequence[str], limit: int = SUMMARY_CHARS) -> str:
    """A summary from the first paragraph, cut at a word boundary."""
    first = next((p for p in paragraphs if len(p) > 40), paragraphs[0] if paragraphs else "")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:–-")
    return cut + "…"


def path_date(path: str, tz: ZoneInfo) -> datetime | None:
    """A YYYY-MM-DD (or YYYY/MM/DD) in the path or file name, at noon in the site's timezone."""
    for match in _PATH_DATE.finditer(path):
        try:
            return datetime(int(match[1]), int(match[2]), int(match[3]), 12, 0, tzinfo=tz)
        except ValueError:
            continue
    return None


def resolve_date(
    order: Sequence[str], front: FrontMatter, path: str, found: datetime | date | None, mtime: float, tz: ZoneInfo
) -> tuple[datetime, str]:
    """The first date available in the configured order; file modification time always answers."""
    candidates: dict[str, Callable[[], datetime | None]] = {
        "front_matter": lambda: front.date,
        "path": lambda: path_date(path, tz),
        "text": lambda: _parse_date(found, tz) if found is not None else None,
        "mtime": lambda: datetime.fromtimestamp(int(mtime), timezone.utc),
    }
    for name in (*order, "mtime"):
        value = candidates[name]()
        if value is not None:
            if isinstance(found, date) and not isinstance(found, datetime) and name == "text":
                value = value.replace(hour=12)
            return value.astimezone(tz), name.replace("_", " ")
    raise AssertionError("unreachable: mtime always answers")


def make_article(
    src: SourceFile, cfg: SiteConfig, boilerplate: Boilerplate | None, problems: list[Problem]
) -> Article:
    """Build the Article for one file. Raises ContentError when nothing usable is left."""
    tz = cfg.tz
    front = parse_front_matter(dict(src.front_matter), src.path, tz, problems) if src.front_matter else FrontMatter()
    extracted: Extracted | None = None
    if src.format == "txt":
        extracted = extract_text(src.body, path=src.path, boilerplate=boilerplate)
        paragraphs, markdown = extracted.paragraphs, ""
    else:
        markdown = src.body.strip("\n") + "\n" if src.body.strip() else ""
        paragraphs = markdown_paragraphs(markdown)
        if front.title is None:
            extracted = extract_text(src.body, path=src.path, boilerplate=boilerplate)
    title = front.title or (extracted.headline if extracted else "")
    if not title.strip():
        raise ContentError(src.path, "has no headline: add a `title:` in front matter or a first line of text")
    evidence = list(extracted.evidence if extracted else ())
    body_text = "\n\n".join(paragraphs)
    if front.lang:
        lang, confidence, lang_origin = front.lang, 1.0, "front matter"
    else:
        # A short article is read together with its whole page (nav and all) to tell the language.
        lang, confidence = detect_language(f"{title}\n\n{body_text}", fallback=src.body)
        lang_origin = "detected"
        evidence.append(f"language {lang} detected (confidence {confidence:.2f})")
    # Only a date written next to the headline counts: dates deeper in the body are often the
    # event's ("on 14 September"), not the article's.
    found_date = extracted.date if extracted else None
    when, date_origin = resolve_date(cfg.date_sources, front, src.path, found_date, src.mtime, tz)
    evidence.append(f"date from {date_origin}")
    source = front.source or (extracted.source if extracted else None)
    # transliterated by text-unidecode (python-slugify's own dependency) whoever has Unidecode installed: the
    # same site gets the same URLs everywhere (and no failed import of Unidecode per article: 0.1 ms each)
    slug = (slugify(front.slug or title, max_length=80, word_boundary=True, backend="text-unidecode")
            or article_id(src.path))
    return Article(
        id=article_id(src.path),
        path=src.path,
        format=src.format,
        title=title,
        lang=lang,
        date=when,
        slug=slug,
        paragraphs=paragraphs,
        body_markdown=markdown,
        source=source,
        source_url=front.source_url,
        author=front.author,
        summary=front.summary or lead(paragraphs),
        tags=front.tags,
        translation_key=front.translation_key,
        canonical=front.canonical,
        groupable=front.groupable,
        draft=front.draft,
        lang_confidence=confidence,
        lang_origin=lang_origin,
        date_origin=date_origin,
        content_hash=src.content_hash,
        evidence=tuple(evidence),
        body_features=body_features(body_text),
    )

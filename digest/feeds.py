"""Atom feed of one edition's top stories (``/{lang}/atom.xml``), built from content alone.

- Entries: each day's top stories, newest day first, at most ``FEED_LIMIT`` in all; each story
  in the edition's language when a version exists, else its canonical version (``xml:lang``
  says which).
- Times: ``published`` is when the story was first seen, ``updated`` its newest article; the
  feed's ``updated`` is the newest entry's. Never the clock.
- Ids are stable: with a host in ``base_url``, the feed's id is its URL and an entry's id is a
  ``tag:`` URI (RFC 4151) from the host, the story's day and its path; without a host, both
  are ``urn:uuid:`` values derived (UUID 5) from the same path, and links are root-relative
  (Atom allows relative references; readers resolve them against the feed's address).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from .config import SiteConfig
from .i18n import Strings
from .models import Article, Site, Story
from .urls import Urls, article_path, edition_path, feed_path, story_path

FEED_LIMIT = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("", value))


def lead(article: Article, limit: int = 320) -> str:
    """The summary, else the first paragraph cut at a word boundary."""
    text = article.summary or next((p for p in article.paragraphs if p.strip()), "")
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:—–-")
    return cut + "…"


def _stable_id(urls: Urls, path: str, day: str) -> str:
    if urls.has_host:
        return f"tag:{urls.host},{day}:{urls.path(path)}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'news-digest:' + urls.path(path))}"


def entry_id(urls: Urls, lang: str, story: Story) -> str:
    """One id per (edition, story): the story keeps it when new versions arrive."""
    return _stable_id(urls, f"{lang}/{story_path(story)}", story.day.isoformat())


def feed_id(urls: Urls, lang: str) -> str:
    return urls.absolute(feed_path(lang)) if urls.has_host else _stable_id(urls, feed_path(lang), "")


def first_seen(story: Story) -> datetime:
    return min(a.date for a in story.articles)


def last_updated(story: Story) -> datetime:
    return max(a.date for a in story.articles)


def atom_feed(site: Site, cfg: SiteConfig, lang: str, items: Sequence[tuple[Story, Article]], urls: Urls, t: Strings) -> bytes:
    """The feed for edition ``lang``; ``items`` are (story, version shown) in feed order."""
    items = list(items)[:FEED_LIMIT]
    updated = max((last_updated(s) for s, _ in items), default=site.generated)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f"<feed xmlns={_attr(ATOM_NS)} xml:lang={_attr(lang)}>",
        f"  <title>{_text(cfg.title)} · {_text(t('top_stories'))}</title>",
    ]
    if cfg.description:
        out.append(f"  <subtitle>{_text(cfg.description)}</subtitle>")
    out += [
        f'  <link rel="self" type="application/atom+xml" href={_attr(urls.absolute(feed_path(lang)))}/>',
        f'  <link rel="alternate" type="text/html" hreflang={_attr(lang)} href={_attr(urls.absolute(edition_path(lang)))}/>',
        f"  <id>{_text(feed_id(urls, lang))}</id>",
        f"  <updated>{updated.isoformat()}</updated>",
        f"  <author><name>{_text(cfg.title)}</name></author>",
        "  <generator>news-digest</generator>",
    ]
    for story, shown in items:
        out += [
            f"  <entry xml:lang={_attr(shown.lang)}>",
            f"    <title>{_text(shown.title)}</title>",
            f'    <link rel="alternate" type="text/html" hreflang={_attr(shown.lang)} href={_attr(urls.absolute(article_path(shown)))}/>',
            f'    <link rel="related" type="text/html" href={_attr(urls.absolute(story_path(story)))}/>',
            f"    <id>{_text(entry_id(urls, lang, story))}</id>",
            f"    <published>{first_seen(story).isoformat()}</published>",
            f"    <updated>{last_updated(story).isoformat()}</updated>",
            f"    <author><name>{_text(shown.source or cfg.title)}</name></author>",
        ]
        summary = lead(shown)
        if summary:
            out.append(f'    <summary type="text">{_text(summary)}</summary>')
        out.append("  </entry>")
    out.append("</feed>")
    return ("\n".join(out) + "\n").encode("utf-8")

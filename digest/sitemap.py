"""Which of our pages are language versions of one another (hreflang), and sitemap.xml / robots.txt.

Alternates link only our own pages that show the same thing in another language:

- the edition front pages ``/{lang}/`` (x-default: ``/``), the archives, and each day's pages;
- for each story, one article per language (the version an edition would show; x-default:
  the story's canonical version). Other outlets in the same language are not alternates.

Every member of a group lists the whole group, itself included, plus ``x-default``, so the
links are reciprocal by construction. A group with fewer than two languages gets no links.

sitemap.xml needs absolute URLs (the protocol has no relative form), so it is produced only
when ``base_url`` names a scheme and host; robots.txt then points to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from .models import Site
from .urls import Urls, archive_path, article_path, day_path, edition_path

X_DEFAULT = "x-default"

Alternates = tuple[tuple[str, str], ...]  # (hreflang, page path), x-default last


def _group(members: Mapping[str, str], default: str) -> Alternates:
    return (*sorted(members.items()), (X_DEFAULT, default))


def alternate_groups(site: Site) -> dict[str, Alternates]:
    """Page path → its hreflang alternates (the whole group). Pages without versions are absent."""
    out: dict[str, Alternates] = {}

    def add(members: dict[str, str], default: str, also: Iterable[str] = ()) -> None:
        if len(members) < 2:
            return
        group = _group(members, default)
        for path in (*members.values(), *also):
            out[path] = group

    langs = site.languages
    default = site.default_language if site.default_language in langs else (langs[0] if langs else "")
    if langs:
        add({lg: edition_path(lg) for lg in langs}, "", also=[""])
        add({lg: archive_path(lg) for lg in langs}, archive_path(default))
        for day in site.days:
            add({lg: day_path(lg, day) for lg in langs}, day_path(default, day))
    for story in site.stories:
        reps: dict[str, str] = {}
        for article in story.articles:  # canonical first, so it represents its language
            reps.setdefault(article.lang, article_path(article))
        add(reps, article_path(story.canonical))
    return out


def sitemap_xml(pages: Iterable[tuple[str, datetime | None]], alternates: Mapping[str, Alternates], urls: Urls) -> bytes:
    """``<urlset>`` of the given (path, last modified) pages with ``xhtml:link`` alternates."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for path, lastmod in pages:
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(urls.absolute(path))}</loc>")
        if lastmod is not None:
            lines.append(f"    <lastmod>{lastmod.isoformat()}</lastmod>")
        for hreflang, alt in alternates.get(path, ()):
            lines.append(
                f'    <xhtml:link rel="alternate" hreflang={quoteattr(hreflang)} href={quoteattr(urls.absolute(alt))}/>'
            )
        lines.append("  </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(urls: Urls) -> bytes:
    """Allow everything; name the sitemap when its absolute URL is known.

    Crawlers read robots.txt only at the host's root, so under a sub-path this file is a
    template to merge into the host's own robots.txt (docs/deploy.md).
    """
    text = "User-agent: *\nAllow: /\n"
    if urls.has_host:
        text += f"\nSitemap: {urls.absolute('sitemap.xml')}\n"
    return text.encode("utf-8")

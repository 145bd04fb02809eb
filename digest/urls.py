"""The site's URL layout in one place: the output path of every page, and its link under ``base_url``.

Paths here are output-relative and "pretty" (a folder ending in ``/`` holds ``index.html``).
``Urls.path`` turns one into a link that honours a ``base_url`` sub-path (``/news/…``);
``Urls.absolute`` adds the scheme and host when ``base_url`` has them, as feeds and sitemaps
need. With a path-only ``base_url`` (``/`` or ``/news/``) there is no host to add: links stay
root-relative, which readers resolve against the address they fetched the page or feed from.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlsplit

from .models import Article, Story


def edition_path(lang: str) -> str:
    return f"{lang}/"


def day_path(lang: str, day: date) -> str:
    return f"{lang}/{day:%Y/%m/%d}/"


def archive_path(lang: str) -> str:
    return f"{lang}/archive/"


def feed_path(lang: str) -> str:
    return f"{lang}/atom.xml"


def not_found_path(lang: str | None = None) -> str:
    return f"{lang}/404.html" if lang else "404.html"


def story_path(story: Story) -> str:
    return f"stories/{story.id}/"


def article_path(article: Article) -> str:
    return f"articles/{article.lang}/{article.slug}/"


def output_file(path: str) -> str:
    """The file that serves a page path: ``fr/`` → ``fr/index.html``; ``fr/atom.xml`` as is."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


class Urls:
    """Links for one site: ``path`` (site-absolute, honours the sub-path) and ``absolute`` (with host if known)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        prefix = parts.path or "/"
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self._paths: dict[str, str] = {}  # rel → path: a page links the same few dozen paths other pages link

    @property
    def has_host(self) -> bool:
        """True when ``base_url`` names a scheme and host, so absolute URLs can be written."""
        return bool(self.origin)

    @property
    def host(self) -> str:
        return urlsplit(self.origin).hostname or ""

    def path(self, rel: str = "") -> str:
        """``fr/2024/05/30/`` → ``/news/fr/2024/05/30/`` (percent-encoded where needed)."""
        found = self._paths.get(rel)
        if found is None:
            found = self._paths[rel] = quote(self.prefix + rel.lstrip("/"), safe="/:@!$&'()*+,;=-._~%")
        return found

    def absolute(self, rel: str = "") -> str:
        """The full URL when the host is known, else the same as ``path``."""
        return self.origin + self.path(rel)

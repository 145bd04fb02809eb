"""Assemble stories from clusters: pick each story's canonical version and rank the day's stories."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from .config import SiteConfig
from .models import Article, Grouping, PairScore, Story


def story_id(first: Article) -> str:
    """Stable story id: derived from the path of the story's earliest article, never from a counter."""
    return hashlib.sha1(f"story:{first.path}".encode("utf-8")).hexdigest()[:10]


def completeness(article: Article) -> tuple[int, int, int]:
    """How complete an article is: has a real date, has a source, clean body length."""
    return (int(article.date_origin != "mtime"), int(bool(article.source)), len(article.text))


def language_preference(languages: Sequence[str]) -> dict[str, int]:
    return {lang: i for i, lang in enumerate(languages)}


def choose_canonical(articles: Sequence[Article], preferred: Sequence[str], lang: str | None = None) -> Article:
    """canonical: true → ``lang`` → preferred languages in order → most complete → earliest → path."""
    rank = language_preference(preferred)

    def key(a: Article) -> tuple:
        c = completeness(a)
        return (
            not a.canonical,
            a.lang != lang if lang else False,
            rank.get(a.lang, len(rank)),
            -c[0] - c[1],
            -c[2],
            a.date,
            a.path,
        )

    return min(articles, key=key)


def order_versions(canonical: Article, articles: Sequence[Article], preferred: Sequence[str]) -> tuple[Article, ...]:
    """The canonical version, then one line per other language, then other outlets in the same language."""
    rank = language_preference(preferred)
    others = [a for a in articles if a is not canonical]
    others.sort(key=lambda a: (a.lang == canonical.lang, rank.get(a.lang, len(rank)), a.lang, a.date, a.path))
    return (canonical, *others)


def score_story(articles: Sequence[Article], cfg: SiteConfig) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Coverage first (distinct outlets and languages), then per-source weights, then recency."""
    outlets = {a.source or f"path:{a.path}" for a in articles}
    languages = {a.lang for a in articles}
    weights = dict(cfg.source_weights)
    bonus = sum(weights.get(s, 1.0) - 1.0 for s in {a.source for a in articles if a.source})
    latest = max(a.date for a in articles)
    recency = (latest.hour * 60 + latest.minute) / (24 * 60)  # later in the day ranks a little higher
    parts = (
        ("outlets", float(len(outlets))),
        ("languages", float(len(languages))),
        ("source_weight", round(bonus, 4)),
        ("recency", round(recency * 0.5, 4)),
    )
    return round(sum(v for _, v in parts), 4), parts


def assemble_stories(articles: Sequence[Article], grouping: Grouping, cfg: SiteConfig, preferred: Sequence[str]) -> tuple[Story, ...]:
    """One Story per cluster, ordered by day (newest first), then score, then id."""
    pairs_by_article: dict[str, list[PairScore]] = {}
    for pair in grouping.pairs:
        if pair.joined:
            pairs_by_article.setdefault(pair.a, []).append(pair)
    stories: list[Story] = []
    for cluster in grouping.clusters:
        members = [articles[i] for i in cluster]
        first = min(members, key=lambda a: (a.date, a.path))
        canonical = choose_canonical(members, preferred)
        ids = {a.id for a in members}
        pairs = tuple(
            sorted(
                (p for a in members for p in pairs_by_article.get(a.id, ()) if p.b in ids),
                key=lambda p: (-p.score, p.a, p.b),
            )
        )
        score, parts = score_story(members, cfg)
        day: date = first.date.astimezone(cfg.tz).date()
        stories.append(
            Story(
                id=story_id(first),
                canonical=canonical,
                articles=order_versions(canonical, members, preferred),
                day=day,
                score=score,
                score_parts=parts,
                pairs=pairs,
            )
        )
    stories.sort(key=story_order)
    return tuple(stories)


def story_order(story: Story) -> tuple[int, float, str]:
    """The order of a site's stories: by day (newest first), then score, then id."""
    return (-story.day.toordinal(), -story.score, story.id)


def top_stories(stories: Sequence[Story], day: date, n: int) -> tuple[Story, ...]:
    """The ``n`` best stories first seen on ``day`` (``stories`` is already ordered by score)."""
    return tuple(s for s in stories if s.day == day)[:n]

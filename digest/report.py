"""Plain-text reports for the terminal: stories with their scores, explanations, and per-file checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .config import SiteConfig
from .errors import DigestError
from .models import Article, Grouping, PairScore, Problem, Site, Story

if TYPE_CHECKING:
    from .embed import Embedder


def _article_line(a: Article, marker: str = " ") -> str:
    source = a.source or "(no outlet)"
    return f"  {marker} [{a.lang}] {a.title}\n      {source} · {a.date.isoformat()} · {a.path}\n"


def _pair_line(p: PairScore, titles: dict[str, str], verdict: str | None = None) -> str:
    signals = ", ".join(name if name.startswith("shared:") else f"{name} {value:.2f}" for name, value in p.signals)
    verdict = verdict or ("joined" if p.joined else "kept apart")
    return (f"      {p.score:.3f} {verdict} (threshold {p.threshold:.2f}){': ' + signals if signals else ''}\n"
            f"        {titles.get(p.a, p.a)[:60]!r} ~ {titles.get(p.b, p.b)[:60]!r}\n")


def format_stories(site: Site, cfg: SiteConfig) -> str:
    """Every story, newest day first: canonical headline, its articles, and each article's strongest pair in it."""
    titles = {a.id: a.title for a in site.articles}
    out = [f"{len(site.stories)} stories from {len(site.articles)} articles; "
           f"grouping threshold {cfg.grouping.threshold:.2f}, window {cfg.grouping.window_hours:g} h\n"]
    day = None
    for story in site.stories:
        if story.day != day:
            day = story.day
            out.append(f"\n== {day.isoformat()} ==\n")
        langs = ",".join(story.languages)
        out.append(f"\n{story.id}  score {story.score:.2f}  [{langs}]  {story.canonical.title}\n")
        for a in story.articles:
            out.append(_article_line(a, "*" if a is story.canonical else " "))
        for p in story.pairs:
            out.append(_pair_line(p, titles))
    return "".join(out)


def find_story(site: Site, story_id: str) -> Story:
    for story in site.stories:
        if story.id == story_id or any(a.id == story_id or a.path == story_id for a in story.articles):
            return story
    raise DigestError(f"no story or article with id or path {story_id!r}: run `digest stories` to list them")


def explain_story(site: Site, cfg: SiteConfig, story_id: str, embedder: Embedder, *, limit: int = 40) -> str:
    """Why a story's articles were joined, and the nearest articles that were kept apart.

    Every pair is scored afresh (not only the build's candidate pairs). A big story lists its ``limit``
    weakest pairs (a wrong join shows there) and counts the others; then each member's nearest
    articles outside it, strongest first."""
    from .group import explain

    story = find_story(site, story_id)
    index = {a.id: k for k, a in enumerate(site.articles)}
    clusters = tuple(tuple(sorted(index[a.id] for a in s.articles)) for s in site.stories)
    ex = explain(site.articles, story.canonical.id, cfg.grouping, embedder,
                 grouping=Grouping(clusters=clusters, threshold=cfg.grouping.threshold))
    titles = {a.id: a.title for a in site.articles}
    g = cfg.grouping
    out = [f"story {story.id}: {story.canonical.title}\n",
           f"score {story.score:.2f} = " + " + ".join(f"{k} {v:.2f}" for k, v in story.score_parts) + "\n",
           "articles (* canonical):\n"]
    for a in story.articles:
        out.append(_article_line(a, "*" if a is story.canonical else " "))
    out.append(f"\nhow stories form: groups of articles merge while the average score of the pairs between them\n"
               f"  is at least {g.threshold:.2f} (pairs never compared count 0; articles more than {g.window_hours:g} h "
               f"apart are never\n  compared); then groups whose mean headline vectors are close are linked "
               f"(cosine >= {g.link_same:.2f} sharing\n  a language, >= {g.link_cross:.2f} across languages)\n")
    for note in ex.notes:
        out.append(f"note: {note}\n")
    inside = sorted(ex.inside, key=lambda p: (p.score, p.a, p.b))
    if inside:
        mean = sum(p.score for p in inside) / len(inside)
        reached = sum(p.score >= ex.threshold for p in inside)
        out.append(f"\npairs inside the story: {len(inside)}, average score {mean:.3f}, {reached} at or above "
                   f"{ex.threshold:.2f}" + (f"; the {limit} weakest:" if len(inside) > limit else ":") + "\n")
        for p in inside[:limit]:
            out.append(_pair_line(p, titles, "in the story"))
    outside = sorted(ex.outside, key=lambda p: (-p.score, p.a, p.b))
    out.append("\nnearest articles kept apart:\n" if outside else "\nno other article in the time window\n")
    for p in outside[:limit]:
        out.append(_pair_line(p, titles))
    return "".join(out)


def format_checks(articles: Sequence[Article], problems: Sequence[Problem]) -> str:
    """For each file: what was taken as headline, outlet, language and date, and the evidence why."""
    out: list[str] = []
    for a in sorted(articles, key=lambda a: a.path):
        out.append(f"{a.path}\n")
        out.append(f"  headline: {a.title}\n")
        out.append(f"  outlet:   {a.source or '(none found)'}\n")
        out.append(f"  language: {a.lang} ({a.lang_origin}, confidence {a.lang_confidence:.2f})\n")
        out.append(f"  date:     {a.date.isoformat()} (from {a.date_origin})\n")
        out.append(f"  body:     {len(a.paragraphs)} paragraphs, {len(a.text)} characters\n")
        for line in a.evidence:
            out.append(f"    - {line}\n")
    for p in problems:
        out.append(f"PROBLEM {p}\n")
    return "".join(out)

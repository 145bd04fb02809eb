"""Score a page's headline candidates from evidence, never by position alone.

A candidate (:mod:`digest.headline_candidates`) scores for being a page title with an outlet
suffix, for recurring (twice, in a breadcrumb, at the start of the lead, in "5 thoughts on “…”"),
for being elaborated by the prose that follows it (shared words), for being followed by the body
after only dates and bylines, and for a date or byline next to it; it loses for sitting in a menu
(short lines follow it), for recurring across the site's files (taglines), for looking truncated,
ending in ":" or being a sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .boilerplate import Boilerplate
from .headline_candidates import MAX_HEADLINE_WORDS, Candidate, collect_candidates, headline_length
from .lines import Unit, is_sentence
from .tokens import ALL_STOPWORDS, STOPWORDS, content_stems, elaborated_share, fold, normalise


_TRUNCATED_END = frozenset(
    "a an the of to in on and or but its his her their our with for by from at as that "
    "le la les un une des de du et ou à au aux en sur pour par avec son sa ses leur "
    "der die das den dem des ein eine einen und oder mit für von zu im am auf "
    "el los las una y o con por para del al il lo gli e di da".split()
)


def _follow_steps(units: list[Unit], i: int, same: set[int]) -> int | None:
    """How many non-metadata lines separate unit ``i`` from the next prose (None: none within 6)."""
    steps = 0
    for u in units[i + 1:]:
        if u.prose and u.index not in same:
            return steps
        if u.meta or u.chrome or u.index in same or u.nwords <= 1:  # one word: a label or button, not content
            continue
        steps += 1
        if steps > 6:
            return None
    return None


_FOLLOW_BONUS = (2.0, 1.4, 1.0, 0.6, 0.3, 0.3, 0.3)


def _local(page: _Page, anchor: int, same: set[int], n: int) -> tuple[float, list[str]]:
    """Evidence from the lines around one occurrence of a candidate: (points, reasons)."""
    units, repeated, outlets = page.units, page.repeated, page.outlets
    score, why = 0.0, []

    def note(points: float, reason: str) -> None:
        nonlocal score
        score += points
        why.append(f"{reason} ({points:+.1f})")

    steps = _follow_steps(units, anchor, same)
    follow = 0.0 if steps is None else _FOLLOW_BONUS[steps]
    if follow > 0:
        note(follow, "followed by the body" + ("" if follow >= 2.0 else " after a few lines"))
    total = page.prose_after[0]
    share = page.prose_after[anchor + 1] / total if total else 0.0
    if share >= 0.5:
        note(1.5 * share, f"{share:.0%} of the page's prose comes after it")
    near = [u for u in units[max(0, anchor - 3): anchor + 4] if u.index not in same]
    if any(u.dated for u in near):
        note(1.0, "a date next to it")
    if any(u.meta == "byline" for u in near):
        note(0.5, "a byline next to it")
    prev = [u for u in units[max(0, anchor - 12):anchor]
            if not (u.meta or u.chrome or u.index in same or not u.nwords or (u.nwords >= 4 and repeated[u.key] >= 3))]
    if prev and prev[-1].prose and follow > 0:
        note(-2.0, "prose right before and after it (a crosshead inside the body)")
    elif prev and is_sentence(prev[-1].text) and follow > 0:
        note(-1.0, "a sentence right before it and prose after (a crosshead?)")
    elif prev and 4 <= prev[-1].nwords < n and not prev[-1].prose and anchor - prev[-1].index <= 4 \
            and units[anchor].text.endswith((".", "…")) \
            and elaborated_share(content_stems(prev[-1].text, page.stop), page.folded) >= 0.5:
        note(-1.0, "a shorter headline-like line just above it, taken up by the body (this is a standfirst)")
    if prev and prev[-1].key in outlets:
        note(-1.5, "comes right after the outlet's name (a tagline)")
    after: list[Unit] = []
    for u in units[anchor + 1:]:
        if u.prose or len(after) == 4:
            break
        if not (u.meta or u.chrome or u.index in same or not u.nwords):
            after.append(u)
    if len(after) >= 3 and sum(u.nwords <= 4 for u in after) >= 3:
        note(-1.5, "short lines follow (a menu)")
    elif after and n <= 3 and max(n, 3) < after[0].nwords <= MAX_HEADLINE_WORDS:
        note(-1.0, "a longer line follows (it is a kicker or rubric)")
    return score, why


@dataclass
class _Page:
    """What scoring needs about the whole page, computed once."""

    units: list[Unit]
    stop: frozenset[str]
    outlets: set[str]
    repeated: Counter[str]
    folded: str  # the page's prose, case- and accent-folded
    prose_after: list[int]  # prose_after[i]: characters of prose in units[i:]
    following: dict[int, str]  # anchor → folded prose after it (filled lazily)

    @classmethod
    def of(cls, units: list[Unit], stop: frozenset[str], outlets: set[str]) -> _Page:
        after = [0] * (len(units) + 1)
        for u in reversed(units):
            after[u.index] = after[u.index + 1] + (len(u.text) if u.prose else 0)
        folded = fold(" ".join(u.text for u in units if u.prose)[:20000])
        return cls(units, stop, outlets, Counter(u.key for u in units), folded, after, {})

    def lead(self, anchor: int) -> str:
        """The first two prose paragraphs after ``anchor``, folded."""
        first: list[str] = []
        for u in self.units[anchor + 1:]:
            if u.prose:
                first.append(u.text)
                if len(first) == 2:
                    break
        return fold(" ".join(first)[:1200])

    def follow(self, anchor: int) -> str:
        if anchor not in self.following:
            parts, size = [], 0
            for u in self.units[anchor + 1:]:
                if u.prose:
                    parts.append(u.text)
                    size += len(u.text) + 1
                    if size >= 6000:
                        break
            self.following[anchor] = fold(" ".join(parts)[:6000])
        return self.following[anchor]


def _score(cand: Candidate, page: _Page) -> None:
    """Add up the evidence for ``cand`` being the headline; set its score, anchor and reasons."""
    units, stop, outlets = page.units, page.stop, page.outlets
    same = cand.repeats()
    kinds = Counter(kind for _, kind in cand.occurrences)
    text, n = cand.text, headline_length(cand.text)
    score, why = 0.0, []

    def note(points: float, reason: str) -> None:
        nonlocal score
        score += points
        why.append(f"{reason} ({points:+.1f})")

    if kinds["title"]:
        note(3.0 if cand.confirmed else 2.0, f"page title with outlet suffix {cand.outlet!r}"
             + (", named elsewhere too" if cand.confirmed else ""))
    repeats = len({i for i, k in cand.occurrences if k not in ("mention", "variant")}) - 1
    if repeats > 0:
        note(min(2.5, 1.0 + 0.5 * repeats),
             f"appears {repeats + 1}× (" + ", ".join(sorted(k for k in kinds if k not in ("mention", "variant"))) + ")")
    elif kinds["variant"]:
        note(1.0, "appears again in other words")
    if kinds["mention"]:
        note(0.5, "quoted elsewhere on the page")

    # the article starts at the occurrence whose surroundings look most like an article's start
    anchor, local, local_why = max(
        ((i, *_local(page, i, same, n))
         for i, kind in cand.occurrences if kind not in ("lead", "mention", "variant")),
        key=lambda t: (t[1], -t[0]),
    )
    cand.anchor = anchor
    score += local
    why.extend(local_why)

    mine = content_stems(text, stop)
    if len(mine) >= 2 and not elaborated_share(mine, page.folded):
        note(-1.0, "the body never takes up its words")
    if mine:
        # a page title can sit anywhere in a dump: the whole page's prose counts in full for it
        elaborated = max(elaborated_share(mine, page.follow(anchor)),
                         (1.0 if kinds["title"] else 0.6) * elaborated_share(mine, page.folded))
        if elaborated > 0:
            note((3.0 if len(mine) >= 2 else 1.5) * elaborated, f"the body elaborates it ({elaborated:.0%} of its words)")
        lead = elaborated_share(mine, page.lead(anchor))
        if lead > 0 and len(mine) >= 2:
            note(1.0 * lead, f"the lead takes it up ({lead:.0%} of its words)")

    if n <= 1:
        note(-2.5, "a single word")
    elif n == 2:
        note(-0.5, "two words")
    elif n > 20:
        note(-1.5, "long for a headline")
    first = units[cand.occurrences[0][0]]
    if first.text == text and first.base == "good":
        note(-1.5, "reads as prose")
    if text.endswith((":", ",", ";", "|", "-", "–")):
        note(-2.0, "ends in " + text[-1])
    elif text.endswith(".") and not text.endswith("..") and n >= 6:
        note(-2.0 if n >= 12 else -1.0, "ends like a sentence")
    last = text.split()[-1].casefold()
    if text.endswith(("…", "...")) or (last in _TRUNCATED_END and n >= 4):
        note(-2.0, "looks truncated")
    if text[:1].islower():
        note(-1.0, "starts in lower case")
    if any(units[i].chrome == "recurring" for i, _ in cand.occurrences):
        note(-2.5, "recurs in other files of the site")
    if cand.key in outlets:
        note(-4.0, "is the outlet's name")
    cand.score = round(score, 2)
    cand.reasons = tuple(why)


def rank_headlines(
    units: list[Unit], lang: str | None, outlets: set[str], boilerplate: Boilerplate | None
) -> list[Candidate]:
    """Every headline candidate, scored, best first (ties: the earlier one)."""
    stop = STOPWORDS.get(lang or "", ALL_STOPWORDS)
    cands = collect_candidates(units, stop, boilerplate, outlets)
    outlets = outlets | {normalise(c.outlet) for c in cands.values() if c.outlet and c.confirmed}
    page = _Page.of(units, stop, outlets)
    for cand in cands.values():
        _score(cand, page)
    return sorted(cands.values(), key=lambda c: (-c.score, c.anchor))


def fallback_headline(units: list[Unit]) -> str:
    for u in units:
        if u.klass == "good" or (u.chrome is None and not u.meta and u.nwords >= 3):
            sentence = re.split(r"(?<=[.!?])\s", u.text, maxsplit=1)[0]
            return sentence if len(sentence) <= 160 else sentence[:157].rsplit(" ", 1)[0] + "…"
    return ""

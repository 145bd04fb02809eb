"""Read a raw scraped text body: headline, outlet, subtitle, date and clean body, each choice with its evidence.

The headline is chosen from evidence, never by position alone. Every short line is a candidate;
it scores for being a page title with an outlet suffix (" – L’Express", " | Foo", " - Foo",
" :: Foo"), for recurring (twice, in a breadcrumb, at the start of the lead, in "5 thoughts on
“…”"), for being elaborated by the prose that follows it (shared words), for being followed by
the body after only dates and bylines, and for a date or byline next to it; it loses for sitting
in a menu (short lines follow it), for recurring across the site's files (taglines), for looking
truncated, ending in ":" or being a sentence. Prose is told from chrome as in jusText: length
and function-word density, then the context of neighbouring lines.

The body is the prose after the headline (or the whole page's prose when the headline line is a
page title at the foot), without chrome (:mod:`digest.boilerplate`), repeated headlines, or a
comment/related-articles section. Recurring long prose is kept: wire copy recurs across outlets.

Outlet names are normalised for use as identifiers: typographic apostrophes become "'" (the
``L’Express`` suffix gives ``L'Express``); headlines keep their typography.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .boilerplate import (
    ALL_STOPWORDS,
    STOPWORDS,
    Boilerplate,
    clean,
    find_outlet,
    match_pattern,
    normalise,
    split_title,
    stopword_density,
    words,
)
from .boilerplate import learn_boilerplate as _learn
from .dates import find_dates
from .language import detect_language
from .models import Extracted

log = logging.getLogger(__name__)

__all__ = ["Boilerplate", "extract_text", "learn_boilerplate"]

LENGTH_LOW, LENGTH_HIGH = 70, 200  # jusText: shorter is "short", longer may be "good"
STOP_LOW, STOP_HIGH = 0.30, 0.32  # jusText: function-word density of prose
MAX_HEADLINE_WORDS = 30
MAX_RELATED = 400  # candidates looked for inside other lines (repeats in breadcrumbs, leads, rewordings)
MAX_SCAN = 3000  # paragraphs searched for the headline: it is never deeper in a page (and time stays linear)
_ATX_HEADING = re.compile(r"^#{1,6}\s+")
_SENTENCE_END = (".", "!", "?", "…", '"', "»", "”", ")", "。", "！", "？")
_BYLINE = re.compile(  # "By Jane Doe", "von Marcus Bensmann", "Author: …"; not "By the end of the year, …"
    r"^(?i:(?:posted |written |geschrieben |veröffentlicht .{0,30})?(?:by|von|par|por|di|door))\s*:?\s+[^\W\d_a-zß-ÿ]"
    r"|^(?i:(?:author|autor|auteur|autore)\s*:|from wikipedia\b)"
)
_BARE_BY = re.compile(r"^(?:(?:written |posted )?by|von|par|por|di|door|autor|author|auteur|autore)\s*:?$", re.I)
_BYLINE_NAME = re.compile(r"\b(?:by|von|par|por|door)\s*:?\s+([^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){1,3})", re.I)
_FOLLOW = re.compile(r"^\W*(?:follow|folgen|suivre|seguir|segui)\W*$", re.I)
_CAPTION = re.compile(
    r"^(?:courtesy of\b|(?:foto|photo|bild|image|picture|credit|crédit|quelle|source|fuente|fonte)s?\s*:)|\((?:foto|photo|bild|image)s?\s*:"
    r"|©|\b(?:getty images|shutterstock|istock|imago|picture alliance|reuters/|afp/|ap photo|dpa/)",
    re.I,
)
_END_MARKER = re.compile(
    r"^(?:\d+\s+(?:comments?|kommentare?|commentaires?|comentarios?|commenti|thoughts? on|responses? to)\b"
    r"|(?:leave a (?:reply|comment)|kommentar (?:schreiben|verfassen)|laisser un commentaire|deja un comentario"
    r"|lascia un commento|(?:noch )?keine kommentare|no comments|related (?:posts|articles|stories)"
    r"|ähnliche (?:artikel|beiträge)|das könnte (?:dich|sie) auch interessieren|you (?:may|might) also like"
    r"|articles similaires|vous aimerez aussi|artículos relacionados|articoli correlati)\b)",
    re.I,
)
_TRUNCATED_END = frozenset(
    "a an the of to in on and or but its his her their our with for by from at as that "
    "le la les un une des de du et ou à au aux en sur pour par avec son sa ses leur "
    "der die das den dem des ein eine einen und oder mit für von zu im am auf "
    "el los las una y o con por para del al il lo gli e di da".split()
)


def learn_boilerplate(bodies: Sequence[tuple[str, str]]) -> Boilerplate:
    """Lines and title suffixes that recur across the site's text files (see :mod:`digest.boilerplate`)."""
    return _learn(bodies, title_suffix=split_title)


@dataclass(frozen=True)
class Unit:
    """One paragraph of the body (a line, or a block of wrapped lines) with what we know about it."""

    index: int
    line: int  # 1-based line of the body where it starts
    text: str  # invisible characters removed, whitespace collapsed: for analysis and headlines
    raw: str  # as it will appear in the body
    key: str
    nwords: int
    chrome: str | None  # why it is chrome (pattern name, "recurring"), or None
    meta: str | None  # "date", "byline" or "caption": metadata that sits around a headline
    dated: bool  # the line holds a date
    klass: str  # jusText class after context: good, bad (short and near resolved)
    base: str  # jusText class before context: good, near, short, bad
    prose: bool  # body prose for certain: long and dense, or a whole sentence of a dozen words or more


def _is_prose(text: str, klass: str) -> bool:
    """Body prose for certain: long and dense in function words, or a whole sentence of a dozen words."""
    return klass == "good" or (len(words(text)) >= 12 and text.endswith(_SENTENCE_END))


def _is_sentence(text: str) -> bool:
    """A whole sentence of five words or more ("It was unclear Thursday whether an award would be given.")."""
    return text[:1].isupper() and text.endswith(_SENTENCE_END) and len(words(text)) >= 5


def _split_units(body: str) -> list[tuple[int, str]]:
    """Paragraphs with their starting line. Blank lines separate; hard-wrapped lines of prose are joined."""
    out: list[tuple[int, str]] = []
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if not block:
            return
        lines = [t for _, t in block]
        wrapped = len(lines) > 1 and max(map(len, lines)) >= 40 and all(
            len(t) >= 0.6 * max(map(len, lines)) and not t.endswith((":",)) for t in lines[:-1]
        )
        if wrapped:
            out.append((block[0][0], " ".join(t.strip() for t in lines)))
        else:
            out.extend(block)
        block.clear()

    for n, raw in enumerate(body.split("\n"), start=1):
        if raw.strip():
            block.append((n, raw.strip()))
        else:
            flush()
    flush()
    return out


def _size(text: str) -> int:
    """Length in characters, an ideograph counting as three (a line of Chinese says as much as one of French)."""
    return len(text) + 2 * sum(1 for ch in text if "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")


def _classify(text: str, lang: str | None) -> str:
    """Context-free jusText class: good, near, short or bad."""
    size = _size(text)
    if "©" in text or "(c)" in text.lower():
        return "bad"
    if size < LENGTH_LOW:  # a whole sentence of a dozen words is prose however short its words
        return "near" if len(words(text)) >= 12 and text.endswith(_SENTENCE_END) else "short"
    density = stopword_density(text, lang)
    if density is None:  # no function-word list for this language: sentences instead
        sentences = len(re.findall(r"[.!?。！？](?:\s|$)", text))
        density = STOP_HIGH if sentences >= 1 else 0.0
    if density >= STOP_HIGH:
        return "good" if size > LENGTH_HIGH else "near"
    return "near" if density >= STOP_LOW else "bad"


def _neighbour(classes: list[str], i: int, step: int, skip: tuple[str, ...]) -> str:
    j = i + step
    while 0 <= j < len(classes):
        if classes[j] not in skip:
            return classes[j]
        j += step
    return "bad"


def _in_context(classes: list[str], sentences: list[bool] | None = None) -> list[str]:
    """Context rules after jusText: near-good and short paragraphs take the class of their surroundings.

    Near-good first (unlike jusText, two near-good paragraphs side by side hold each other up),
    then short ones between the resolved neighbours: a crosshead between body paragraphs is body,
    a short line between menus is not; a short whole sentence next to body prose is body (the
    last line of an article is often one).
    """
    out = list(classes)
    for i, c in enumerate(classes):
        if c == "near":
            prev = _neighbour(classes, i, -1, ("short",))
            nxt = _neighbour(classes, i, 1, ("short",))
            out[i] = "bad" if prev == nxt == "bad" else "good"
    resolved = list(out)
    for i, c in enumerate(classes):
        if c == "short":
            prev = _neighbour(resolved, i, -1, ("short",))
            nxt = _neighbour(resolved, i, 1, ("short",))
            sentence = sentences is not None and sentences[i]
            out[i] = "good" if prev == nxt == "good" or (sentence and "good" in (prev, nxt)) else "bad"
    return out


def _units(body: str, lang: str | None, boilerplate: Boilerplate | None) -> list[Unit]:
    parts = _split_units(body)
    texts = [" ".join(clean(t).split()) for _, t in parts]
    base = []
    for text in texts:
        chrome = match_pattern(text)
        if chrome is None and boilerplate is not None and normalise(text) in boilerplate.lines:
            chrome = "recurring"
        base.append(chrome)
    # recurring lines are chrome, unless they are prose: wire copy recurs across outlets
    before = [_classify(t, lang) if c is None else "bad" for t, c in zip(texts, base)]
    before = [b if c != "recurring" or _is_prose(t, b) else "bad" for t, c, b in zip(texts, base, before)]
    classes = _in_context(before, [_is_sentence(t) for t in texts])
    metas = [_meta(text, lang) for text in texts]
    _mark_authors(texts, metas)
    units = []
    for i, ((line, raw), text, chrome, klass, first) in enumerate(zip(parts, texts, base, classes, before)):
        prose = chrome in (None, "recurring") and _is_prose(text, first)
        units.append(Unit(i, line, text, clean(raw, body=True), normalise(text), len(words(text)), chrome,
                          *metas[i], klass, first, prose))
    return units


def _mark_authors(texts: list[str], metas: list[tuple[str | None, bool]]) -> None:
    """Author names are bylines too: after a bare "By", before a "Follow" button, or named in a byline."""
    names = set()
    for i, text in enumerate(texts):
        if metas[i][0] == "byline" and (m := _BYLINE_NAME.search(text)):
            names.add(normalise(m.group(1)))
    for i, text in enumerate(texts):
        if metas[i][0] or not 1 <= len(words(text)) <= 5:
            continue
        after_by = i > 0 and _BARE_BY.match(texts[i - 1])
        before_follow = i + 1 < len(texts) and _FOLLOW.match(texts[i + 1])
        if after_by or before_follow or normalise(text) in names:
            metas[i] = ("byline", metas[i][1])


def _meta(text: str, lang: str | None) -> tuple[str | None, bool]:
    """("date" | "byline" | "caption" | None, whether the line holds a date): lines that sit around a headline."""
    if len(text) > 160:
        return None, False
    found = find_dates(text, lang)
    if _BYLINE.match(text):
        return "byline", bool(found)
    if found and (sum(e - s for s, e, _ in found) >= 0.3 * len(text) or len(words(text)) <= 12):
        return "date", True
    if _CAPTION.search(text):
        return "caption", False
    return None, False


_CONTENT_MIN = 3


_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold(text: str) -> str:
    """Case- and accent-folded text, for comparing words across spellings."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def _stems(text: str, stop: frozenset[str]) -> set[str]:
    """Content words of ``text`` cut to five letters ("Kindersitze" → "kinde"), function words left out."""
    return {w[:5] for w in words(_fold(text)) if len(w) >= _CONTENT_MIN and w not in stop}


def _elaborated(stems: set[str], folded: str) -> float:
    """Share of ``stems`` found inside the words of ``folded`` text (so "modelle" counts in "Sitzmodelle")."""
    return sum(stem in folded for stem in stems) / len(stems) if stems else 0.0


@dataclass
class _Candidate:
    key: str
    text: str
    occurrences: list[tuple[int, str]]  # (unit index, kind): line, title, crumb, lead, mention
    outlet: str | None = None
    confirmed: bool = False  # the title suffix is named elsewhere too
    score: float = 0.0
    anchor: int = 0
    reasons: tuple[str, ...] = ()

    def repeats(self) -> set[int]:
        """Lines that repeat the headline (left out of the body); a lead, a mention or a rewording is body text."""
        return {i for i, kind in self.occurrences if kind in ("line", "title", "crumb")}


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", _fold(text))


def _titles(units: list[Unit], boilerplate: Boilerplate | None, outlets: set[str]) -> dict[int, tuple[str, str, bool]]:
    """Unit index → (headline, outlet, confirmed) for lines that read as "Headline | Outlet".

    A separator that ends many lines with as many different "outlets" is a list on this page
    ("Marketing • Social Media", "Medien • Jobs"), so those lines are not titles unless confirmed.
    A suffix naming the outlet the page names elsewhere (``outlets``: a copyright line, "About X")
    is confirmed; bullets ("A • B") are confirmed only by that or by the site's other files.
    """
    splits = {u.index: sp for u in units if u.chrome in (None, "recurring") and u.nwords <= MAX_HEADLINE_WORDS
              and (sp := split_title(u.text))}
    suffixes = Counter(normalise(sp[1]) for sp in splits.values())
    keys = {u.key for u in units}
    names = _squash(" ".join(u.text for u in units if "©" in u.text or ("." in u.text and u.nwords <= 6)))

    known = {_squash(o) for o in outlets if o}

    def same_outlet(suffix: str) -> bool:
        squashed = _squash(suffix)
        return any(len(k) >= 3 and (k in squashed or squashed in k) for k in known)

    def confirmed(suffix: str, sep: str) -> bool:
        key = normalise(suffix)
        squashed = _squash(suffix)
        if (boilerplate is not None and key in boilerplate.outlets) or same_outlet(suffix):
            return True
        return sep.strip() not in ("•", "·") and (
            suffixes[key] >= 2 or key in keys or (len(squashed) >= 4 and squashed in names))

    by_sep: dict[str, set[str]] = {}
    for sp in splits.values():
        by_sep.setdefault(sp[2], set()).add(normalise(sp[1]))
    out = {}
    for i, (head, suffix, sep) in splits.items():
        ok = confirmed(suffix, sep)
        if not ok and sep.strip() in ("•", "·"):
            continue  # "Social Media • Unternehmen": tags, unless the bullet ends in the page's outlet
        if ok or (len(by_sep[sep]) < 3 and (sep.strip() in ("|", "::") or _plausible_outlet(head, suffix))):
            out[i] = (head, suffix, ok)
    return out


_OUTLET_WORDS = frozenset(
    "blog online news magazine magazin times journal post today daily radio tv info media digital home "
    "zeitung presse press review tribune herald observer gazette actu actualités noticias notizie".split()
)


def _plausible_outlet(head: str, suffix: str) -> bool:
    """After a dash (headlines use dashes too), an unconfirmed suffix is an outlet only if it is short,
    name-cased and much shorter than the headline; after "|" or "::" it need only look like a name.

    "Biden authorizes … Kharkiv – L’Express" is; "Paul Newman (1925-2008) - Mort d'une icône engagée" and
    "Amazon cancela el servidor - Amenazas contra Assange" are two halves of one headline.
    """
    tokens = suffix.split()
    if len(tokens) > 4 or _length(head) < 2 * len(tokens):
        return False
    if len(tokens) <= 2 and suffix == suffix.lower():
        return True  # "heise online", "changelog"
    return all(t[:1].isupper() or t[:1].isdigit() or t.casefold() in ALL_STOPWORDS or t.casefold() in _OUTLET_WORDS
               or "." in t for t in tokens)


def _is_crumb(text: str, prefix: list[str], stop: frozenset[str], standalone: int) -> bool:
    """Is ``prefix`` (the words before a known headline in ``text``) a breadcrumb or kicker, not part of one phrase?

    "Home Climate <headline>" and "Thema Verbraucherschutz <headline>" are; '"Mangelhaft": Der <headline>'
    is not (ends in a function word), nor is "Kicker: <headline>" (the colon makes it one title).
    A headline that also stands alone on two lines may follow a kicker ending in any word.
    """
    if not 1 <= len(prefix) <= 5 or (prefix[-1] in stop and standalone < 2):
        return False
    tokens = list(re.finditer(r"[^\W_]+", text))
    if len(tokens) <= len(prefix):
        return False
    gap = text[tokens[len(prefix) - 1].end(): tokens[len(prefix)].start()]
    return not any(ch in gap for ch in ":,;")


def _candidates(
    units: list[Unit], stop: frozenset[str], boilerplate: Boilerplate | None, outlets: set[str]
) -> dict[str, _Candidate]:
    cands: dict[str, _Candidate] = {}

    def add(text: str, index: int, kind: str) -> _Candidate | None:
        text = _ATX_HEADING.sub("", text)  # extraction is also asked for Markdown without a title
        key = normalise(text)
        if not key:
            return None
        cand = cands.setdefault(key, _Candidate(key, text, []))
        cand.occurrences.append((index, kind))
        if kind == "line" and cand.occurrences[0][1] != "line":
            cand.text = text
        return cand

    units = units[:MAX_SCAN]
    titles = _titles(units, boilerplate, outlets)
    for u in units:
        if u.chrome not in (None, "recurring") or u.meta or not 1 <= u.nwords <= MAX_HEADLINE_WORDS:
            continue
        crumb = re.split(r"\s+[>»›]\s+", u.text)
        if u.index in titles:
            head, suffix, ok = titles[u.index]
            cand = add(head, u.index, "title")
            if cand and (not cand.outlet or (ok and not cand.confirmed)):
                cand.outlet, cand.confirmed = suffix, ok
        elif len(crumb) >= 3 or (len(crumb) == 2 and match_pattern(crumb[0]) == "ui-control"):
            add(crumb[-1], u.index, "crumb")
        else:
            add(u.text, u.index, "line")
    # only headline-like candidates are looked for inside other lines (sentences are not), and at most
    # MAX_RELATED of them, so that a huge page stays fast
    keys = [k for k, c in cands.items() if len(k) >= 12 and k.count(" ") >= 2
            and not (c.text.endswith(".") and _length(c.text) >= 8)][:MAX_RELATED]
    standalone = Counter(u.key for u in units)
    _add_variants(units, [cands[k] for k in keys], stop)
    for u in units:
        if u.chrome not in (None, "recurring"):
            continue
        for key in keys:
            if len(u.key) <= len(key) or key not in u.key or any(i == u.index for i, _ in cands[key].occurrences):
                continue
            if u.key.endswith(" " + key) and _is_crumb(u.text, u.key[: -len(key)].split(), stop, standalone[key]):
                cands[key].occurrences.append((u.index, "crumb"))
            elif u.key.startswith(key + " ") and u.prose and u.index > cands[key].occurrences[0][0]:
                cands[key].occurrences.append((u.index, "lead"))
            elif f" {key} " in f" {u.key} " and len(u.key) < 2 * len(key) + 40:
                cands[key].occurrences.append((u.index, "mention"))
    return cands


def _add_variants(units: list[Unit], cands: list[_Candidate], stop: frozenset[str]) -> None:
    """Record lines that restate a candidate in nearly the same words (h1 and og:title often differ a little)."""
    stems = {u.index: _stems(u.text, stop) for u in units if u.chrome is None and 3 <= u.nwords <= MAX_HEADLINE_WORDS}
    for cand in cands:
        mine = _stems(cand.text, stop)
        if len(mine) < 4:
            continue
        seen = {i for i, _ in cand.occurrences}
        for i, other in stems.items():
            if i not in seen and other != mine and len(mine & other) >= 0.6 * len(mine | other) \
                    and units[i].nwords <= 2 * len(words(cand.text)):
                cand.occurrences.append((i, "variant"))


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


def _length(text: str) -> int:
    """Words in a headline, numbers included ("DenkanStoos April 2012" has three)."""
    return sum(1 for tok in text.split() if any(ch.isalnum() for ch in tok))


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
    elif prev and _is_sentence(prev[-1].text) and follow > 0:
        note(-1.0, "a sentence right before it and prose after (a crosshead?)")
    elif prev and 4 <= prev[-1].nwords < n and not prev[-1].prose and anchor - prev[-1].index <= 4 \
            and units[anchor].text.endswith((".", "…")) \
            and _elaborated(_stems(prev[-1].text, page.stop), page.folded) >= 0.5:
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
        folded = _fold(" ".join(u.text for u in units if u.prose)[:20000])
        return cls(units, stop, outlets, Counter(u.key for u in units), folded, after, {})

    def lead(self, anchor: int) -> str:
        """The first two prose paragraphs after ``anchor``, folded."""
        first: list[str] = []
        for u in self.units[anchor + 1:]:
            if u.prose:
                first.append(u.text)
                if len(first) == 2:
                    break
        return _fold(" ".join(first)[:1200])

    def follow(self, anchor: int) -> str:
        if anchor not in self.following:
            parts, size = [], 0
            for u in self.units[anchor + 1:]:
                if u.prose:
                    parts.append(u.text)
                    size += len(u.text) + 1
                    if size >= 6000:
                        break
            self.following[anchor] = _fold(" ".join(parts)[:6000])
        return self.following[anchor]


def _score(cand: _Candidate, page: _Page) -> None:
    """Add up the evidence for ``cand`` being the headline; set its score, anchor and reasons."""
    units, stop, outlets = page.units, page.stop, page.outlets
    same = cand.repeats()
    kinds = Counter(kind for _, kind in cand.occurrences)
    text, n = cand.text, _length(cand.text)
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

    mine = _stems(text, stop)
    if len(mine) >= 2 and not _elaborated(mine, page.folded):
        note(-1.0, "the body never takes up its words")
    if mine:
        # a page title can sit anywhere in a dump: the whole page's prose counts in full for it
        elaborated = max(_elaborated(mine, page.follow(anchor)),
                         (1.0 if kinds["title"] else 0.6) * _elaborated(mine, page.folded))
        if elaborated > 0:
            note((3.0 if len(mine) >= 2 else 1.5) * elaborated, f"the body elaborates it ({elaborated:.0%} of its words)")
        lead = _elaborated(mine, page.lead(anchor))
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


def _rank_headlines(
    units: list[Unit], lang: str | None, outlets: set[str], boilerplate: Boilerplate | None
) -> list[_Candidate]:
    """Every headline candidate, scored, best first (ties: the earlier one)."""
    stop = STOPWORDS.get(lang or "", ALL_STOPWORDS)
    cands = _candidates(units, stop, boilerplate, outlets)
    outlets = outlets | {normalise(c.outlet) for c in cands.values() if c.outlet and c.confirmed}
    page = _Page.of(units, stop, outlets)
    for cand in cands.values():
        _score(cand, page)
    return sorted(cands.values(), key=lambda c: (-c.score, c.anchor))


def _fallback_headline(units: list[Unit]) -> str:
    for u in units:
        if u.klass == "good" or (u.chrome is None and not u.meta and u.nwords >= 3):
            sentence = re.split(r"(?<=[.!?])\s", u.text, maxsplit=1)[0]
            return sentence if len(sentence) <= 160 else sentence[:157].rsplit(" ", 1)[0] + "…"
    return ""


def extract_text(body: str, *, path: str = "", boilerplate: Boilerplate | None = None) -> Extracted:
    """Headline, clean paragraphs, outlet, subtitle and date of a raw scraped text ``body``, with evidence."""
    lang, _conf = detect_language(body)
    units = _units(body, lang, boilerplate)
    evidence: list[str] = []
    texts = [u.text for u in units]
    prose = [u.prose for u in units]
    outlet_hint = find_outlet(texts, title_outlet=None, boilerplate=boilerplate, path=path, prose=prose)
    hint_keys = {normalise(outlet_hint[0])} if outlet_hint else set()
    ranked = _rank_headlines(units, lang, hint_keys, boilerplate)
    cand = ranked[0] if ranked else None
    if cand is None or cand.score <= 0:
        headline = _fallback_headline(units)
        anchor = -1
        evidence.append(f"headline: no line looks like one; first sentence of the text used: {headline!r}")
        title_outlet = None
        same: set[int] = set()
    else:
        headline = clean(cand.text)
        anchor = cand.anchor
        same = cand.repeats()
        title_outlet = cand.outlet if any(k == "title" for _, k in cand.occurrences) else None
        evidence.append(f"headline: line {units[anchor].line} (score {cand.score}): " + "; ".join(cand.reasons))
    outlet = outlet_hint if title_outlet is None else find_outlet(texts, title_outlet=title_outlet)
    source = outlet[0] if outlet else None
    if outlet:
        evidence.append(f"outlet {source!r}: {outlet[1]}")
    paragraphs, subtitle, date, notes = _body(units, anchor, same, lang)
    evidence.extend(notes)
    return Extracted(headline=headline, paragraphs=tuple(paragraphs), source=source, subtitle=subtitle,
                     date=date, evidence=tuple(evidence))


def _date_near(units: list[Unit], anchor: int, lang: str | None) -> tuple[object, str] | None:
    """The date on a dated line in the headline's header (the lines up to the body) or just above it."""
    after = []
    for u in units[anchor + 1:]:
        if u.prose or len(after) >= 6:
            break
        after.append(u)
    for u in after + list(reversed(units[max(0, anchor - 3): anchor])):
        if u.dated and u.chrome in (None, "recurring"):
            found = find_dates(u.text, lang)
            if found:
                where = "after" if u.index > anchor else "before"
                return found[0][2], f"date {found[0][2]}: line {u.line} {u.text[:60]!r}, {where} the headline"
    return None


def _body(
    units: list[Unit], anchor: int, same: set[int], lang: str | None
) -> tuple[list[str], str | None, object, list[str]]:
    """(paragraphs, subtitle, date, notes): the prose after the headline, without chrome and repeats."""
    notes: list[str] = []
    before = sum(len(u.text) for u in units[:max(anchor, 0)] if u.prose)
    after = sum(len(u.text) for u in units[anchor + 1:] if u.prose)
    start = anchor + 1
    if anchor >= 0 and before > after:
        start = 0
        notes.append("the headline line comes after most of the prose (a page title at the foot): body from the whole page")
    elif anchor > 0:
        notes.append(f"dropped {anchor} line(s) before the headline (page header, navigation)")
    found = _date_near(units, anchor, lang) if anchor >= 0 else None
    date = found[0] if found else None
    if found:
        notes.append(found[1])
    subtitle = None
    header = start > 0
    paragraphs: list[str] = []
    listing = not any(u.prose for u in units[start:] if u.index not in same)
    shorts: list[str] = []  # with no prose after the headline, its short lines are the body (an agenda, a list)
    dropped: Counter[str] = Counter()
    for u in units[start:]:
        if u.index in same:
            continue
        if _END_MARKER.match(u.text) and (sum(map(len, paragraphs)) >= 500 or shorts):
            notes.append(f"stopped at line {u.line} {u.text[:60]!r}: comments or related articles follow")
            break
        if header and (u.meta or not u.nwords):
            continue
        if header and subtitle is None and u.chrome is None and not u.prose and 4 <= u.nwords <= 40 \
                and not u.text.endswith(_SENTENCE_END + (":",)):
            subtitle = clean(u.text)
            notes.append(f"subtitle: line {u.line} (a standfirst without closing punctuation)")
            header = False
            continue
        if u.prose:
            header = False
        if u.chrome and u.chrome != "recurring":
            dropped[u.chrome] += 1
            if dropped[u.chrome] <= 3:
                notes.append(f"dropped line {u.line} {u.text[:60]!r}: {u.chrome}")
            if shorts and u.chrome == "share-buttons":
                break  # the end of a list-like article
            continue
        if (u.klass == "good" and u.chrome is None) or u.prose:
            paragraphs.append(u.raw)
        else:
            dropped["not prose"] += 1
            if listing and start > 0 and u.chrome is None and not u.meta and u.nwords and len(shorts) < 40:
                shorts.append(u.raw)
    if not paragraphs and shorts:
        paragraphs = shorts
        dropped["not prose"] -= len(shorts)
        notes.append(f"no prose after the headline: kept its {len(shorts)} short line(s) as the body (a list)")
    if dropped["not prose"] > 0:
        notes.append(f"dropped {dropped['not prose']} short line(s) among or after the body (menus, captions, footers)")
    return paragraphs, subtitle, date, notes

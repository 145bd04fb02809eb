"""The paragraphs of a raw text body, each classed as prose or chrome and marked as date, byline or caption.

Prose is told from chrome as in jusText: length and function-word density, then the context of
neighbouring lines. Generic chrome patterns and lines that recur across the site's files come
from :mod:`digest.boilerplate`; recurring long prose is kept (wire copy recurs across outlets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .boilerplate import Boilerplate, match_pattern
from .dates import find_dates
from .tokens import clean, normalise, stopword_density, words


LENGTH_LOW, LENGTH_HIGH = 70, 200  # jusText: shorter is "short", longer may be "good"
STOP_LOW, STOP_HIGH = 0.30, 0.32  # jusText: function-word density of prose
SENTENCE_END = (".", "!", "?", "…", '"', "»", "”", ")", "。", "！", "？")
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


def _is_prose(text: str, klass: str, nwords: int) -> bool:
    """Body prose for certain: long and dense in function words, or a whole sentence of a dozen words."""
    return klass == "good" or (nwords >= 12 and text.endswith(SENTENCE_END))


def is_sentence(text: str, nwords: int | None = None) -> bool:
    """A whole sentence of five words or more ("It was unclear Thursday whether an award would be given.");
    ``nwords``: its count of ``words`` when the caller has it."""
    if not (text[:1].isupper() and text.endswith(SENTENCE_END)):
        return False
    return (len(words(text)) if nwords is None else nwords) >= 5


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


_WIDE = re.compile("[\u3040-\u9fff\uac00-\ud7af]")  # kana, CJK ideographs, hangul


def _size(text: str) -> int:
    """Length in characters, an ideograph counting as three (a line of Chinese says as much as one of French)."""
    return len(text) + 2 * len(_WIDE.findall(text))


def _classify(text: str, lang: str | None, toks: list[str]) -> str:
    """Context-free jusText class: good, near, short or bad (``toks``: the ``words`` of ``text``)."""
    size = _size(text)
    if "©" in text or "(c)" in text.lower():
        return "bad"
    if size < LENGTH_LOW:  # a whole sentence of a dozen words is prose however short its words
        return "near" if len(toks) >= 12 and text.endswith(SENTENCE_END) else "short"
    density = stopword_density(text, lang, toks)
    if density is None:  # no function-word list for this language: sentences instead
        sentences = len(re.findall(r"[.!?。！？](?:\s|$)", text))
        density = STOP_HIGH if sentences >= 1 else 0.0
    if density >= STOP_HIGH:
        return "good" if size > LENGTH_HIGH else "near"
    return "near" if density >= STOP_LOW else "bad"


def _nearest(classes: list[str], skip: str) -> tuple[list[str], list[str]]:
    """For each position, the nearest class before and after it that is not ``skip`` ("bad" past the ends).

    One pass each way, so a long run of skipped lines costs linear time, not quadratic.
    """
    before, after = ["bad"] * len(classes), ["bad"] * len(classes)
    last = "bad"
    for i, c in enumerate(classes):
        before[i] = last
        if c != skip:
            last = c
    last = "bad"
    for i in range(len(classes) - 1, -1, -1):
        after[i] = last
        if classes[i] != skip:
            last = classes[i]
    return before, after


def _in_context(classes: list[str], sentences: list[bool] | None = None, prose: list[bool] | None = None,
                chrome: list[str | None] | None = None) -> list[str]:
    """Context rules after jusText: near-good and short paragraphs take the class of their surroundings.

    Near-good first (unlike jusText, two near-good paragraphs side by side hold each other up),
    then short ones between the resolved neighbours: a crosshead between body paragraphs is body,
    a short line between menus is not; a short whole sentence next to body prose is body (the
    last line of an article is often one). A short line (not chrome) between two paragraphs of
    ``prose`` is a crosshead too, whatever jusText made of them (prose of rare words, low in
    function words, is "bad" to jusText but still the body).
    """
    out = list(classes)
    before, after = _nearest(classes, "short")
    for i, c in enumerate(classes):
        if c == "near":
            prev, nxt = before[i], after[i]
            out[i] = "bad" if prev == nxt == "bad" else "good"
    before, after = _nearest(out, "short")
    for i, c in enumerate(classes):
        if c == "short":
            prev, nxt = before[i], after[i]
            sentence = sentences is not None and sentences[i]
            out[i] = "good" if prev == nxt == "good" or (sentence and "good" in (prev, nxt)) else "bad"
    if prose is not None:
        marks = ["short" if c == "short" else ("good" if p else "bad") for c, p in zip(classes, prose)]
        before, after = _nearest(marks, "short")
        for i, c in enumerate(classes):
            if c == "short" and (chrome is None or chrome[i] is None) and before[i] == after[i] == "good":
                out[i] = "good"
    return out


def read_units(body: str, lang: str | None, boilerplate: Boilerplate | None) -> list[Unit]:
    parts = _split_units(body)
    texts = [" ".join(clean(t).split()) for _, t in parts]
    # each line's matching key and words, once: every test below reads them (each was worked out up to five times)
    keys = [normalise(t) for t in texts]
    toks = [words(t) for t in texts]
    counts = [len(w) for w in toks]
    base = []
    for text, key in zip(texts, keys):
        chrome = match_pattern(text)
        if chrome is None and boilerplate is not None and key in boilerplate.lines:
            chrome = "recurring"
        base.append(chrome)
    # recurring lines are chrome, unless they are prose: wire copy recurs across outlets
    before = [_classify(t, lang, w) if c is None else "bad" for t, c, w in zip(texts, base, toks)]
    before = [b if c != "recurring" or _is_prose(t, b, k) else "bad" for t, c, b, k in zip(texts, base, before, counts)]
    proses = [chrome in (None, "recurring") and _is_prose(text, first, k)
              for text, chrome, first, k in zip(texts, base, before, counts)]
    classes = _in_context(before, [is_sentence(t, k) for t, k in zip(texts, counts)], proses, base)
    metas = [_meta(text, lang, k) for text, k in zip(texts, counts)]
    _mark_authors(texts, metas, counts)
    units = []
    for i, ((line, raw), text, chrome, klass, first) in enumerate(zip(parts, texts, base, classes, before)):
        units.append(Unit(i, line, text, clean(raw, body=True), keys[i], counts[i], chrome,
                          *metas[i], klass, first, proses[i]))
    return units


def _mark_authors(texts: list[str], metas: list[tuple[str | None, bool]], counts: list[int]) -> None:
    """Author names are bylines too: after a bare "By", before a "Follow" button, or named in a byline."""
    names = set()
    for i, text in enumerate(texts):
        if metas[i][0] == "byline" and (m := _BYLINE_NAME.search(text)):
            names.add(normalise(m.group(1)))
    for i, text in enumerate(texts):
        if metas[i][0] or not 1 <= counts[i] <= 5:
            continue
        after_by = i > 0 and _BARE_BY.match(texts[i - 1])
        before_follow = i + 1 < len(texts) and _FOLLOW.match(texts[i + 1])
        if after_by or before_follow or normalise(text) in names:
            metas[i] = ("byline", metas[i][1])


def _meta(text: str, lang: str | None, nwords: int) -> tuple[str | None, bool]:
    """("date" | "byline" | "caption" | None, whether the line holds a date): lines that sit around a headline."""
    if len(text) > 160:
        return None, False
    found = find_dates(text, lang)
    if _BYLINE.match(text):
        return "byline", bool(found)
    if found and (sum(e - s for s, e, _ in found) >= 0.3 * len(text) or nwords <= 12):
        return "date", True
    if _CAPTION.search(text):
        return "caption", False
    return None, False

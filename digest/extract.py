"""Read a raw scraped text body: headline, outlet, subtitle, date and clean body, each choice with its evidence.

The pieces: paragraphs classed as prose or chrome (:mod:`digest.lines`), the headline chosen
from evidence (:mod:`digest.headline`), the outlet from the page's chrome (:mod:`digest.outlet`).
This module puts them together and keeps the body.

The body is the prose after the headline (or the whole page's prose when the headline line is a
page title at the foot), without chrome (:mod:`digest.boilerplate`), repeated headlines, or a
comment/related-articles section. Recurring long prose is kept: wire copy recurs across outlets.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence

from .boilerplate import Boilerplate
from .boilerplate import learn_boilerplate as _learn
from .dates import find_dates
from .headline import fallback_headline, rank_headlines
from .language import detect_language
from .lines import SENTENCE_END, Unit, read_units
from .models import Extracted
from .outlet import find_outlet, split_title
from .tokens import clean, normalise

log = logging.getLogger(__name__)

__all__ = ["Boilerplate", "extract_text", "learn_boilerplate"]


_END_MARKER = re.compile(
    r"^(?:\d+\s+(?:comments?|kommentare?|commentaires?|comentarios?|commenti|thoughts? on|responses? to)\b"
    r"|(?:leave a (?:reply|comment)|kommentar (?:schreiben|verfassen)|laisser un commentaire|deja un comentario"
    r"|lascia un commento|(?:noch )?keine kommentare|no comments|related (?:posts|articles|stories)"
    r"|ähnliche (?:artikel|beiträge)|das könnte (?:dich|sie) auch interessieren|you (?:may|might) also like"
    r"|articles similaires|vous aimerez aussi|artículos relacionados|articoli correlati)\b)",
    re.I,
)


def learn_boilerplate(bodies: Sequence[tuple[str, str]]) -> Boilerplate:
    """Lines and title suffixes that recur across the site's text files (see :mod:`digest.boilerplate`)."""
    return _learn(bodies, title_suffix=split_title)


def extract_text(body: str, *, path: str = "", boilerplate: Boilerplate | None = None) -> Extracted:
    """Headline, clean paragraphs, outlet, subtitle and date of a raw scraped text ``body``, with evidence."""
    lang, _conf = detect_language(body)
    units = read_units(body, lang, boilerplate)
    evidence: list[str] = []
    texts = [u.text for u in units]
    prose = [u.prose for u in units]
    outlet_hint = find_outlet(texts, title_outlet=None, boilerplate=boilerplate, path=path, prose=prose)
    hint_keys = {normalise(outlet_hint[0])} if outlet_hint else set()
    ranked = rank_headlines(units, lang, hint_keys, boilerplate)
    cand = ranked[0] if ranked else None
    if cand is None or cand.score <= 0:
        headline = fallback_headline(units)
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
                and not u.text.endswith(SENTENCE_END + (":",)):
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

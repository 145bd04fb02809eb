"""Gather a page's headline candidates and every place each one recurs.

Every short line is a candidate; a page title with an outlet suffix (" – L’Express", " | Foo",
" - Foo", " :: Foo") counts as its headline part, a breadcrumb as its last item. A candidate is
then looked for in other lines: in a breadcrumb, at the start of the lead, quoted in another line
("5 thoughts on “…”"), or restated in nearly the same words. Scoring is :mod:`digest.headline`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .boilerplate import Boilerplate, match_pattern
from .lines import Unit
from .outlet import split_title
from .tokens import ALL_STOPWORDS, content_stems, fold, normalise, words


MAX_HEADLINE_WORDS = 30
MAX_RELATED = 400  # candidates looked for inside other lines (repeats in breadcrumbs, leads, rewordings)
MAX_SCAN = 3000  # paragraphs searched for the headline: it is never deeper in a page (and time stays linear)
_ATX_HEADING = re.compile(r"^#{1,6}\s+")


@dataclass
class Candidate:
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
    return re.sub(r"[\W_]+", "", fold(text))


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
    if len(tokens) > 4 or headline_length(head) < 2 * len(tokens):
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


def collect_candidates(
    units: list[Unit], stop: frozenset[str], boilerplate: Boilerplate | None, outlets: set[str]
) -> dict[str, Candidate]:
    cands: dict[str, Candidate] = {}

    def add(text: str, index: int, kind: str) -> Candidate | None:
        text = _ATX_HEADING.sub("", text)  # extraction is also asked for Markdown without a title
        key = normalise(text)
        if not key:
            return None
        cand = cands.setdefault(key, Candidate(key, text, []))
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
            and not (c.text.endswith(".") and headline_length(c.text) >= 8)][:MAX_RELATED]
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


def _add_variants(units: list[Unit], cands: list[Candidate], stop: frozenset[str]) -> None:
    """Record lines that restate a candidate in nearly the same words (h1 and og:title often differ a little)."""
    stems = {u.index: content_stems(u.text, stop) for u in units if u.chrome is None and 3 <= u.nwords <= MAX_HEADLINE_WORDS}
    for cand in cands:
        mine = content_stems(cand.text, stop)
        if len(mine) < 4:
            continue
        seen = {i for i, _ in cand.occurrences}
        for i, other in stems.items():
            if i not in seen and other != mine and len(mine & other) >= 0.6 * len(mine | other) \
                    and units[i].nwords <= 2 * len(words(cand.text)):
                cand.occurrences.append((i, "variant"))


def headline_length(text: str) -> int:
    """Words in a headline, numbers included ("DenkanStoos April 2012" has three)."""
    return sum(1 for tok in text.split() if any(ch.isalnum() for ch in tok))

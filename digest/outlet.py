"""Outlet names carried by chrome: title suffixes, copyright lines, "About X" lines and domains.

Outlet names are normalised for use as identifiers: typographic apostrophes become "'" (the
``L’Express`` suffix gives ``L'Express``); headlines keep their typography.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .boilerplate import Boilerplate
from .tokens import ALL_STOPWORDS, clean, normalise, words


_TITLE_SEPARATORS = (" | ", " – ", " — ", " :: ", " - ", " · ", " • ")
# Leading articles of outlet names ("The Times", "Il Corriere", "Le Monde", "Die Welt", "El País", "O Globo").
_ARTICLES = frozenset("the a an le la les il lo gli el los las der die das de het o os".split())
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_LEGAL = re.compile(
    r"(?:[\s,]+(?:gmbh|inc|ltd|llc|plc|ag|sa|s\.a|sas|sarl|srl|s\.r\.l|bv|b\.v|gbr|kg|co|ohg|e\.v|ug|corp|limited)\.?"
    r"|\s*&\s*co\.?(?:\s*kg)?|\s+(?:19|20)\d\d(?:\s*[-–]\s*(?:(?:19|20)\d\d)?)?)+$",
    re.I,
)
_FOOTER_WORDS = re.compile(
    r"(?:\s+(?:impressum|datenschutz\w*|privacy(?: policy)?|terms(?: of use)?|kontakt|contact|imprint|legal(?: notice)?"
    r"|cookies?|mentions légales|site by|design by))+.*$",
    re.I,
)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|\bcopyright\b|@(?=\s?(?:19|20)\d\d\b))\s*(?:(?:©|\(c\))\s*)?(?:copyright\s*)?(?:(?:19|20)\d\d\s*(?:[-–]\s*(?:(?:19|20)\d\d)?)?\s*,?\s*)?"
    r"(?:by\s+)?(?P<name>(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}\b|[^|.,;•·©]*)",
    re.I,
)
_COMMON_TLD = (
    "com|org|net|info|biz|blog|news|online|media|io|co|tv|me|eu|de|at|ch|fr|be|lu|it|es|pt|nl|uk|ie|us|ca|au|nz"
    "|pl|cz|sk|hu|ro|bg|gr|se|no|dk|fi|ru|ua|in|jp|cn|br|ar|mx|za"
)
_DOMAIN = re.compile(rf"(?<![\w.-])(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_COMMON_TLD}))(?![\w-])",
                     re.I)
_THIRD_PARTY = re.compile(
    r"(?:^|\.)(?:facebook|twitter|x|instagram|youtube|youtu|google|goo|t|bit|linkedin|pinterest|reddit|whatsapp"
    r"|gmail|googlemail|yahoo|hotmail|outlook|live|aol|gmx|web|t-online|orange|free|laposte|icloud|proton"
    r"|shutterstock|istockphoto|gettyimages|fotolia|stock\.adobe|pixabay|unsplash|pexels|imago-images|dpa"
    r"|wordpress|gravatar|w3|schema|apple|flickr|tiktok|spotify|creativecommons|feedburner|disqus|amazon|wp"
    r"|gstatic|googleapis|doubleclick|addthis|vimeo|soundcloud|paypal|mozilla|microsoft|icio|stumbleupon|digg)\.\w+$",
    re.I,
)


def outlet_name(text: str) -> str:
    """An outlet name as an identifier: plain apostrophes ("L’Express" → "L'Express"), no stray punctuation."""
    name = " ".join(clean(text).translate(_APOSTROPHES).split())
    return name.strip(" \t-–—|:;,.·•\"“”«»")


def looks_like_name(text: str) -> bool:
    """Could ``text`` be an outlet's name (a title suffix such as "L’Express", "heise online", "Caktus Group")?"""
    if _DOMAIN.fullmatch(text):
        return True
    toks = words(text)
    if not 1 <= len(toks) <= 6 or len(text) > 60 or text.endswith((".", ",", ":", ";", "?", "…")):
        return False
    from .dates import find_dates

    if find_dates(text):
        return False
    stops = sum(t in ALL_STOPWORDS for t in toks)
    # "Il Corriere del Borgo", "The Times of India": a leading article, then a name-cased title whose
    # only lower-case words are particles
    parts = text.split()
    name_cased = (text[:1].isupper() and parts[0].casefold() in _ARTICLES
                  and all(t[:1].isupper() or t[:1].isdigit() or (t.islower() and t in ALL_STOPWORDS) for t in parts[1:]))
    if stops * 2 > len(toks) if name_cased and len(toks) >= 3 else stops > 1:
        return False
    if stops and len(toks) <= 2 and text[:1].islower():
        return False
    return not text[:1].islower() or len(toks) <= 2 or bool(_DOMAIN.fullmatch(text))


def split_title(line: str) -> tuple[str, str, str] | None:
    """``(headline, outlet, separator)`` when ``line`` is a page title with an outlet suffix, else None.

    The last separator wins ("A - B - Telemedicus" → "A - B", "Telemedicus"); a line with four or
    more segments ("Letters: A | B | C | D"), or two bullets ("Marketing • Social Media • Jobs"), is a
    list, not a title.
    """
    pos, sep = max(((line.rfind(s), s) for s in _TITLE_SEPARATORS), key=lambda p: p[0])
    if pos <= 0 or line.count(sep) >= (2 if sep in (" · ", " • ") else 3):
        return None
    prefix, suffix = line[:pos].strip(), line[pos + len(sep):].strip()
    if len(words(prefix)) < 2 or not looks_like_name(suffix):
        return None
    return prefix, suffix, sep


def copyright_name(line: str, *, need_year: bool = True) -> str | None:
    """The holder named by a site footer ("© 2016 Foo GmbH. All rights reserved." → "Foo")."""
    if need_year and not re.search(r"(?:19|20)\d\d|rights reserved|rechte vorbehalten|droits réservés", line, re.I):
        return None
    match = _COPYRIGHT.search(line)
    if not match or re.search(r"[^\W\d_]{30}", line[: match.start()]):  # "KontaktImpressumDatenschutz©": glued menu
        return None
    name = _FOOTER_WORDS.sub("", match.group("name")).strip()
    if not re.search(r"[^\W\d_]", name):  # nothing after the mark: the name may stand before it
        before = line[: match.start()].strip(" |-–")
        name = before if 1 <= len(words(before)) <= 5 else ""
    name = re.sub(r"^(?:https?://)?www\.", "", _LEGAL.sub("", name.strip()), flags=re.I)
    if not name or len(words(name)) > 6 or (name[:1].islower() and not _DOMAIN.fullmatch(name)):
        return None
    return outlet_name(name)


def domains(text: str) -> list[str]:
    """Web domains named in ``text`` (lower case, without "www."), third-party services left out.

    A bare "name.tld" counts only in a short line (a logo, a footer): in running text it is too
    often something else ("enseignant.es", French inclusive writing).
    """
    out = []
    short = len(words(text)) <= 8
    for match in _DOMAIN.finditer(text):
        marked = match.group(0).lower().startswith(("http", "www.")) or text[max(0, match.start() - 1):match.start()] == "@"
        if not (marked or short):
            continue
        domain = match.group(1).lower()
        if not _THIRD_PARTY.search(domain) and re.search(r"[a-z]", domain.split(".")[-2]):
            out.append(domain)
    return out


_BRAND_BEFORE = re.compile(
    r"^(?:about|über|à propos de|a propos de|acerca de|sobre|contact|contacter|kontakt zu|search|suche (?:auf|in)"
    r"|rechercher sur|donate to|subscribe to(?: the)?|abonnieren sie|(?:follow|folge|suivre)(?= [“\"«„])"
    r"|willkommen (?:auf|bei)|welcome to|bienvenue sur)\s+[“\"«„]?(?P<name>.+?)[”\"»“]?"
    r"(?:\s+(?:via|on|auf|sur|newsletter)\b.*|[.!:]?)$",
    re.I,
)
_BRAND_AFTER = re.compile(
    r"^(?P<name>.+?)\s+(?:newsletter|magazine subscription|store|shop|apps?|podcasts?|im tv|on (?:twitter|facebook)"
    r"|by the .+ is licensed under.*|is part of .+|homepage)\W*$",
    re.I,
)
_DOMAIN_TAGLINE = re.compile(r"^(?P<name>\S+\.[a-z]{2,6})\s+[-–|:]\s+\w", re.I)
_GENERIC = frozenset("us uns nous nosotros noi me mich moi this site the site our newsletter unsere newsletter".split())


def brand_mentions(lines: Sequence[str]) -> Counter[str]:
    """Names the page's chrome gives itself: "About PC Gamer", "Subscribe to Python Insider via RSS",
    "Kontakt zu NDR Info", "Wikipedia store", "jolie.de - Das Online-Magazin …" (key → count)."""
    found: Counter[str] = Counter()
    for line in lines:
        if len(line) > 160:
            continue
        for rx in (_BRAND_BEFORE, _BRAND_AFTER, _DOMAIN_TAGLINE):
            match = rx.match(line.strip())
            if match:
                name = outlet_name(match.group("name"))
                weight = 2 if rx is _DOMAIN_TAGLINE else 1  # "jolie.de - Das Online-Magazin für …" describes itself
                if name.casefold() not in _GENERIC and looks_like_name(name) and (
                    name[:1].isupper() or name[:1].isdigit() or _DOMAIN.fullmatch(name)
                ) and not any(sep in name for sep in ("•", "·", "|")):
                    found[name] += weight
                break
    return found


def _registrable(domain: str) -> str:
    """"jobs.rnz.de" → "rnz.de"; "news.bbc.co.uk" → "bbc.co.uk"; keeps what a reader calls the site."""
    parts = domain.split(".")
    keep = 3 if len(parts) >= 3 and parts[-2] in ("co", "com", "org", "net", "ac", "gov") and len(parts[-1]) == 2 else 2
    return ".".join(parts[-keep:])


def find_outlet(
    lines: Sequence[str],
    *,
    title_outlet: str | None,
    boilerplate: Boilerplate | None = None,
    path: str = "",
    prose: Sequence[bool] = (),
) -> tuple[str, str] | None:
    """``(outlet, why)`` from the page's chrome, strongest evidence first, or None.

    Order: the headline's own title suffix → a name the chrome gives itself ("About X",
    "Subscribe to X", "X Newsletter"), when it recurs or is confirmed by a line, a copyright line or
    a domain → a dated copyright line (or the brand line at the top that contains its holder) → a
    title suffix that recurs (on the page or across the site's files) → a domain standing alone on a
    line → an undated "© Foo" footer in the last third → the site domain named most often outside
    the body's prose (subdomains pooled) → a domain in the file path. ``prose[i]`` marks body lines.
    """
    if title_outlet:
        return outlet_name(title_outlet), f"title suffix {title_outlet!r} of the headline line"
    chrome = [line for i, line in enumerate(lines) if not (i < len(prose) and prose[i])]
    keys = {normalise(line) for line in chrome}
    holders = [(name, line) for line in reversed(chrome) if len(line) <= 300 and (name := copyright_name(line))]
    squashed_domains = {re.sub(r"\W", "", d.rsplit(".", 1)[0]) for line in chrome for d in domains(line)}
    brands = brand_mentions(lines)
    for name, count in brands.most_common():
        key, flat = normalise(name), re.sub(r"\W", "", name.casefold())
        confirmed = key in keys or any(key in normalise(h) or normalise(h) in key for h, _ in holders) or any(
            flat.startswith(d) or d.startswith(flat) for d in squashed_domains if len(d) >= 4
        )
        if count >= 2 or confirmed:
            return name, f"the page names itself {name!r} {count}× (about/subscribe/newsletter lines)"
    if holders:
        name, line = holders[0]
        for top in chrome[:12]:
            if normalise(name) in normalise(top) and normalise(name) != normalise(top) and looks_like_name(top) \
                    and len(words(top)) <= 5 and top[:1].isupper():
                return outlet_name(top), f"brand line {top!r} at the top names the copyright holder {name!r}"
        return name, f"copyright line {line[:80]!r}"
    suffixes: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for line in chrome:
        split = split_title(line) if len(line) <= 250 else None
        if split:
            key = normalise(split[1])
            suffixes[key] += 1
            spelled.setdefault(key, split[1])
    for key, count in suffixes.most_common():
        if count >= 2 or (boilerplate is not None and key in boilerplate.outlets):
            return outlet_name(spelled[key]), f"title suffix {spelled[key]!r} recurring ({count}× on the page)"
    for line in chrome:
        if _DOMAIN.fullmatch(line.strip()) and domains(line):
            return _registrable(domains(line)[0]), f"domain on a line of its own ({line.strip()!r})"
    for line in reversed(chrome[len(chrome) * 2 // 3:]):
        name = copyright_name(line, need_year=False) if line.startswith(("©", "(c)", "Copyright")) else None
        if name:
            return name, f"copyright line {line[:80]!r}"
    named = Counter(_registrable(d) for line in chrome for d in domains(line))
    if named:
        domain, count = named.most_common(1)[0]
        return domain, f"domain named {count}× on the page"
    in_path = domains(path.replace("/", " ").replace("_", " "))
    if in_path:
        return in_path[0], f"domain in the file path {path!r}"
    return None

"""Recognise page chrome in scraped text: multilingual boilerplate patterns and corpus-learned recurring lines.

Two kinds of evidence, both explainable:

* **patterns** — lines every scraper picks up whatever the site: "READ ALSO: …", "Lire aussi",
  "Lesen Sie auch", "Leer más", "Leggi anche", cookie notices, share buttons, newsletter
  prompts, "Quitter la version mobile", "Skip to content" (en, fr, de, es, it, pt, nl);
* **learned** — lines that recur across the files of one site (taglines, menus, footers),
  found by :func:`learn_boilerplate` over every ``.txt`` body. A line shared only by files
  that are copies of one another (the same wire story twice) is content, not chrome.

The function-word lists below tell prose from menus (the jusText idea: real sentences are
dense in function words); they are deliberately short and cover the languages the patterns do.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: Invisible characters that never belong in a headline (soft hyphen, zero-width space/joiners, BOM).
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
#: The subset safe to strip from body text too (ZWJ/ZWNJ are meaningful in some scripts and emoji).
INVISIBLE_BODY = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))

STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "a about above after again against all also am an and any are as at be because been before being "
        "below between both but by can could did do does doing down during each either even ever every few for "
        "from further had has have having he her here hers herself him himself his how however i if in into is "
        "it its itself just least less like many may me might more most much must my myself neither never no nor "
        "not now of off often on once one only or other our ours out over own per quite rather said same shall "
        "she should since so some such than that the their theirs them themselves then there these they this "
        "those though through thus to too under until up upon us very was we were what when where whether which "
        "while who whom whose why will with within without would yet you your yours also still already",
        "fr": "a à afin ai aie aient ainsi alors as au aucun aucune aupres auquel aussi autre autres aux avaient "
        "avais avait avant avec avoir ayant c ça car ce ceci cela celle celles celui cependant certains ces cet "
        "cette ceux chaque chez ci comme comment d dans de depuis des desquels deux devant doit donc dont du "
        "duquel durant elle elles en encore entre est et étaient était étant été être eu eux fait faut fois "
        "font hors il ils j je jusqu jusque l la laquelle le lequel les lesquels leur leurs lors lorsque lui m "
        "ma mais me même mes moi moins mon n ne ni nos notre nous on ont or ou où par parce pas pendant peu "
        "peut plus plusieurs pour pourquoi qu quand que quel quelle quelles quels qui quoi s sa sans se selon "
        "ses si sien son sont sous souvent sur t ta tandis te tel telle tels tes toi ton tous tout toute toutes "
        "très trop tu un une vers voici voilà vos votre vous y déjà aussi après avant",
        "de": "ab aber alle allem allen aller alles als also am an ander andere anderen anders auch auf aus bei "
        "beim bereits bin bis bist bzw da dabei dadurch dafür dagegen daher damit dann darauf darin darum das "
        "dass davon dazu dem den denen denn dennoch der deren des deshalb dessen die dies diese diesem diesen "
        "dieser dieses doch dort du durch eben ein eine einem einen einer eines einige einmal er es etwa etwas "
        "euch euer für gab gegen gibt habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre "
        "ihrem ihren ihrer im immer in indem ins ist ja je jede jedem jeden jeder jedes jedoch jetzt kann kein "
        "keine keinen können könnte machen man mehr mein meine mich mir mit muss müssen nach nachdem neben "
        "nicht nichts noch nun nur ob oder ohne schon sehr sein seine seinem seinen seiner seit selbst sich "
        "sie sind so sodass solche soll sollen sollte sondern sowie über um und uns unser unter viel viele vom "
        "von vor während war wäre waren warum was weil weiter welche welchem welchen welcher welches wenn wer "
        "werde werden wie wieder will wir wird wo wurde wurden zu zum zur zwar zwischen",
        "es": "a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el él ella "
        "ellas ellos en entre era erais eran es esa esas ese eso esos esta está estaba estaban están estar "
        "este esto estos fue fueron ha habían había han hasta hay la las le les lo los más me mi mientras muy "
        "nada ni no nos nosotros o otra otras otro otros para pero poco por porque que qué quien se sea según "
        "ser si sí sido sin sobre son su sus también tanto te tiene tienen todo todos tu un una uno unos y ya",
        "it": "a ad al alla alle allo agli ai anche ancora avere aveva avevano c che chi ci come con contro cui "
        "da dal dalla dalle dai degli dei del della delle dello di dove e è ed era erano essere fa fino fra gli "
        "ha hanno i il in io la le lei lo loro lui ma mentre mi molto ne negli nei nel nella nelle noi non nostro "
        "o ogni per perché più può quale quando quanto quella quelle quello questa queste questi questo se sempre "
        "senza si sia siamo sono stato sua sue sui sul sulla suo suoi tra tutti tutto un una uno vi",
        "pt": "a à ao aos as às até com como da das de dela dele deles depois do dos e é ela elas ele eles em "
        "entre era essa esse esta este eu foi foram há isso isto já la lhe mais mas me mesmo muito na nas nem "
        "no nos nós o os ou para pela pelas pelo pelos por qual quando que quem se sem ser seu seus só sua suas "
        "também te tem têm um uma umas uns vai",
        "nl": "aan al alle als altijd ben bij daar dan dat de deze die dit doch doen door dus een en er ge geen "
        "had heb hebben heeft hem het hier hij hoe hun iets ik in is ja je kan kon kunnen maar me meer men met "
        "mij mijn moet na naar niet niets nog nu of om omdat ons ook op over reeds te tegen toch toen tot u "
        "uit van veel voor want waren was wat we wel werd wie wij wordt worden zal ze zelf zich zij zijn zo zonder",
        "ru": "а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для "
        "до его ее её если есть еще ещё же за здесь и из или им их к как ко когда кто ли либо мне может мы на "
        "над надо наш не него нее неё нет ни них но ну о об однако он она они оно от очень по под при с со так "
        "также такой там те тем то того тоже той только том ты у уже хотя чего чем что чтобы эта эти это я",
    }.items()
}
ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())

# A line that starts with one of these is a cross-link to another article, not body text. Distinctive
# phrases may run straight into the linked title ("Lire aussi Le nouveau …"); plain words ("Related",
# "Weiterlesen") only count alone or before a colon, so that prose starting with them is kept.
_CROSS_LINK = (
    r"read also|see also|also read|more on this|lire aussi|à lire aussi|a lire aussi|voir aussi"
    r"|sur le même sujet|lesen sie auch|lesen sie mehr|auch interessant|mehr zum thema|siehe auch"
    r"|leer más|lea también|lee también|ver también|te puede interesar|leggi anche|vedi anche"
    r"|potrebbe interessarti|leia também|leia mais|veja também|lees ook|lees meer"
)
_CROSS_LINK_WORD = (
    r"read more|read (?:the )?full (?:article|story)|related|recommended|lire la suite|à lire|weiterlesen|mehr"
    r"|leggi tutto|related articles|related stories|related posts"
)
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (why, re.compile(rx, re.I))
    for why, rx in (
        ("cross-link", rf"^(?=(?:\S+\s+){{0,24}}\S+$)\W*(?:(?:{_CROSS_LINK})\b\s*(?:[:：»>›|\-–—…]|$|\s+\S)"
                       rf"|(?:{_CROSS_LINK_WORD})\b\s*(?:[:：»>›|\-–—…]|\d+ min\w*|$))"),
        ("mobile-version", r"^(?:quitter la version mobile|exit mobile version|mobile version verlassen"
         r"|salir de la versión móvil|esci dalla versione mobile|sair da versão móvel|mobile version)\W*$"),
        ("skip-link", r"^(?:skip to (?:main )?content|skip navigation|jump to (?:navigation|content).*"
         r"|zum inhalt(?: springen)?|zur navigation|direkt zum inhalt|navigation überspringen"
         r"|aller au contenu(?: principal)?|passer au contenu|ir al contenido|vai al contenuto)\W*$"),
        ("cookie-notice", r"\b(?:we use cookies|(?:this|our) (?:web)?site uses cookies|wir verwenden cookies"
         r"|(?:diese )?(?:web)?(?:seite|site) (?:benutzt|verwendet|nutzt) cookies|nous utilisons des cookies"
         r"|ce site utilise des cookies|utilizamos cookies|este sitio (?:web )?utiliza cookies|utilizziamo (?:i )?cookie"
         r"|questo sito utilizza (?:i )?cookie|by continuing to (?:use|browse) (?:this|the|our) (?:web)?site)"
         r"|^(?=(?:\S+\s+){0,7}\S+$).*\b(?:accept (?:all )?cookies|cookie[- ](?:settings|policy|preferences|einstellungen"
         r"|richtlinie|hinweis)|(?:paramètres|gestion) des cookies|politique (?:de|relative aux) cookies)"),
        ("newsletter", r"^(?=.{0,160}$)(?=.*\b(?:newsletter|infolettre)s?\b)"
         r"(?=.*\b(?:subscri\w*|sign(?:ing)? up|abonn\w*|inscri\w*|suscr\w*|iscri\w*|anmeld\w*|bestell\w*|registr\w*))"),
        ("share-buttons", r"^(?:(?:share|sharetweet|tweet|teilen|partager|compartir|condividi|compartilhar|delen"
         r"|e-?mail(?: this)?|mail|print|drucken|imprimer|facebook|twitter|whatsapp|linkedin|pinterest|reddit"
         r"|flipboard|xing|telegram|messenger|pocket|tumblr|viber|skype|vk|digg|stumbleupon|buffer|mix|threads|bluesky|mastodon|copy link|link kopieren|blogthis!?|share to \w+|share on \w+"
         r"|click to .{1,40}\(opens in new window\)|share this(?: article| story| page)?|weiterempfehlen|artikel empfehlen)[\s,;:|/·•!\-]*)+$"),
        ("advertising", r"^(?:advertisement|anzeige|werbung|publicité|publicidad|pubblicità|publicidade"
         r"|sponsored|gesponsert|onlinewerbung)\W*$"),
        ("rights-notice", r"^(?=.{0,200}$).*\b(?:all rights reserved|alle rechte vorbehalten|tous droits réservés"
         r"|todos los derechos reservados|tutti i diritti riservati)\b"),
        ("comments-count", r"^\d+\s+(?:comments?|kommentare?|commentaires?|comentarios?|commenti|reactions?)\W*$"),
        ("ui-control", r"^(?:back to top|nach oben|haut de page|volver arriba|torna su|menu|menü|search|suche"
         r"|rechercher|buscar|cerca|login|log in|logout|anmelden|sign in|register|registrieren|close|schließen"
         r"|fermer|cerrar|chiudi|ok|more|mehr|plus|\+\s*follow|follow|folgen|suivre|zurück|back|home|startseite|accueil|inicio"
         r"|bild vergrößern|in pocket speichern|lesezeit: .{1,12}|\d+ min(?:utes?)? read|temps de lecture.{0,20})\W*$"),
    )
)

_NORM_PUNCT = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")


def clean(text: str, *, body: bool = False) -> str:
    """Strip invisible characters and surrounding whitespace (``body``: keep ZWJ/ZWNJ)."""
    return text.translate(INVISIBLE_BODY if body else INVISIBLE).strip()


def normalise(line: str) -> str:
    """A line's matching key: NFKC, case-folded, invisible characters and punctuation removed, digits as 0.

    Footers that differ only in a year ("© 2019 Foo" / "© 2020 Foo") share a key.
    """
    text = unicodedata.normalize("NFKC", line.translate(INVISIBLE)).casefold()
    return " ".join(_DIGITS.sub("0", _NORM_PUNCT.sub(" ", text)).split())


def words(text: str) -> list[str]:
    """Word tokens (letters first; digits allowed inside), case-folded."""
    return [w.casefold() for w in _WORD.findall(text)]


def stopword_density(text: str, lang: str | None) -> float | None:
    """Share of tokens that are function words of ``lang`` (all known languages if unknown); None without a list."""
    stop = STOPWORDS.get(lang or "", ALL_STOPWORDS if lang is None or lang in STOPWORDS else None)
    if stop is None:
        return None
    toks = words(text)
    return sum(t.replace("’", "'").split("'")[0] in stop or t in stop for t in toks) / len(toks) if toks else 0.0


def match_pattern(line: str) -> str | None:
    """The reason a line is generic chrome ("cross-link", "cookie-notice", …), or None."""
    text = clean(line)
    if not text or len(text) > 400:
        return None
    for why, rx in _PATTERNS:
        if rx.search(text):
            return why
    return None


@dataclass(frozen=True)
class Boilerplate:
    """What a whole site's files taught us: recurring lines (by :func:`normalise` key) and outlet names.

    Hashable and serialisable (:meth:`to_json` / :meth:`from_json`).
    """

    lines: frozenset[str] = frozenset()
    outlets: frozenset[str] = frozenset()  # title suffixes (" – L'Express") seen in more than one file
    files: int = 0

    def __contains__(self, line: object) -> bool:
        return isinstance(line, str) and normalise(line) in self.lines

    def to_json(self) -> dict[str, Any]:
        return {"lines": sorted(self.lines), "outlets": sorted(self.outlets), "files": self.files}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Boilerplate:
        return cls(frozenset(data.get("lines", ())), frozenset(data.get("outlets", ())), int(data.get("files", 0)))


LONG_LINE = 120  # characters: a line this long is prose worth comparing between files
MAX_LEARNED = 300  # characters: longer lines are never learned as chrome


def learn_boilerplate(
    bodies: Sequence[tuple[str, str]],
    *,
    min_files: int = 2,
    title_suffix: Any = None,
) -> Boilerplate:
    """Learn recurring lines (and recurring title suffixes) from ``(path, body)`` pairs of every text file.

    A line is learned when it occurs in at least ``min_files`` files and at least two of those files
    are not copies of each other ("twins": they share most of the smaller one's long prose lines).
    ``title_suffix`` is a function line → (prefix, suffix) | None used to learn outlet suffixes.
    """
    per_file: list[set[str]] = []
    long_lines: list[set[str]] = []
    suffix_files: dict[str, set[int]] = defaultdict(set)
    for i, (_path, body) in enumerate(bodies):
        keys: set[str] = set()
        longs: set[str] = set()
        for raw in body.split("\n"):
            text = clean(raw)
            if not text:
                continue
            key = normalise(text)
            if not key:
                continue
            keys.add(key)
            if len(text) >= LONG_LINE:
                longs.add(key)
            if title_suffix is not None and len(text) <= 250:
                split = title_suffix(text)
                if split:
                    suffix_files[normalise(split[1])].add(i)
        per_file.append(keys)
        long_lines.append(longs)

    where: dict[str, list[int]] = defaultdict(list)
    for i, keys in enumerate(per_file):
        for key in keys:
            where[key].append(i)
    twins = _twins(long_lines, where)

    learned = set()
    for key, files in where.items():
        if len(files) < min_files or len(key) > MAX_LEARNED:
            continue
        first = files[0]
        if any(other not in twins.get(first, ()) for other in files[1:]):
            learned.add(key)
    outlets = {key for key, files in suffix_files.items() if len(files) >= min_files and key}
    log.debug("learned %d recurring lines and %d outlet suffixes from %d files", len(learned), len(outlets), len(bodies))
    return Boilerplate(frozenset(learned), frozenset(outlets), len(bodies))


def _twins(long_lines: list[set[str]], where: dict[str, list[int]]) -> dict[int, set[int]]:
    """Pairs of files that share more than half of the smaller file's long lines (copies of one article)."""
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for key in set().union(*long_lines) if long_lines else ():
        files = where.get(key, ())
        if 1 < len(files) <= 10:  # a blurb on every page of a site is chrome, not a sign of copies
            for n, a in enumerate(files):
                for b in files[n + 1:]:
                    shared[(a, b)] += 1
    twins: dict[int, set[int]] = defaultdict(set)
    for (a, b), count in shared.items():
        if 2 * count > min(len(long_lines[a]), len(long_lines[b])):
            twins[a].add(b)
            twins[b].add(a)
    return twins


# --- outlet names carried by chrome: title suffixes, copyright lines, domains ------------------------------

_TITLE_SEPARATORS = (" | ", " – ", " — ", " :: ", " - ", " · ", " • ")
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
    if stops > 1 or (stops and len(toks) <= 2 and text[:1].islower()):
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

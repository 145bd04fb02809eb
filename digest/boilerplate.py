"""Recognise page chrome in scraped text: multilingual boilerplate patterns and corpus-learned recurring lines.

Two kinds of evidence, both explainable:

* **patterns** — lines every scraper picks up whatever the site: "READ ALSO: …", "Lire aussi",
  "Lesen Sie auch", "Leer más", "Leggi anche", cookie notices, share buttons, newsletter
  prompts, "Quitter la version mobile", "Skip to content" (en, fr, de, es, it, pt, nl);
* **learned** — lines that recur across the files of one site (taglines, menus, footers),
  found by :func:`learn_boilerplate` over every ``.txt`` body. A line shared only by files
  that are copies of one another (the same wire story twice) is content, not chrome.

Matching keys, word tokens and the function-word lists live in :mod:`digest.tokens`; outlet
names carried by chrome in :mod:`digest.outlet`.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .tokens import clean, normalise

log = logging.getLogger(__name__)


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

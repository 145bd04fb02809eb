"""Text primitives of extraction: invisible characters, matching keys, word tokens, function words, shared stems.

The function-word lists tell prose from menus (the jusText idea: real sentences are dense in
function words); they are deliberately short and cover the languages the chrome patterns of
:mod:`digest.boilerplate` do. Content stems ("Kindersitze" → "kinde") measure how far one text
takes up the words of another (a headline and the body that elaborates it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


#: Invisible characters that never belong in a headline (soft hyphen, zero-width space/joiners, BOM).
INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
#: The subset safe to strip from body text too (ZWJ/ZWNJ are meaningful in some scripts and emoji).
INVISIBLE_BODY = re.compile("[\u00ad\u200b\u2060\ufeff]")
# (Deleted with a regular expression, not ``str.translate``: a translate table is a dict looked up for every
# character, ten times slower on lines that hold none of them, i.e. nearly all: 4,050 lines 25 -> 2.6 ms.)

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


_NORM_PUNCT = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")


def clean(text: str, *, body: bool = False) -> str:
    """Strip invisible characters and surrounding whitespace (``body``: keep ZWJ/ZWNJ)."""
    return (INVISIBLE_BODY if body else INVISIBLE).sub("", text).strip()


@lru_cache(maxsize=1 << 17)  # see ``forget_lines``
def normalise(line: str) -> str:
    """A line's matching key: NFKC, case-folded, invisible characters and punctuation removed, digits as 0.

    Footers that differ only in a year ("© 2019 Foo" / "© 2020 Foo") share a key.
    """
    text = unicodedata.normalize("NFKC", INVISIBLE.sub("", line)).casefold()
    return " ".join(_DIGITS.sub("0", _NORM_PUNCT.sub(" ", text)).split())


def forget_lines() -> None:
    """Let go of the lines :func:`normalise` remembers (the last 131,072 of them, ~50 MB at most).

    Learning the boilerplate keys every line of every raw text file, and the workers that parse those files
    next are forked with those keys; parsing keys a line several times too. On the 10,000-article benchmark
    site a raw page's parse took 2.92 ms before, 2.6-2.8 ms with the keys remembered from parsing alone,
    2.44-2.50 ms with those from learning too (one process, 3 rounds each). A build calls this once its
    articles are parsed."""
    normalise.cache_clear()


def words(text: str) -> list[str]:
    """Word tokens (letters first; digits allowed inside), case-folded."""
    return [w.casefold() for w in _WORD.findall(text)]


def stopword_density(text: str, lang: str | None, toks: list[str] | None = None) -> float | None:
    """Share of tokens that are function words of ``lang`` (all known languages if unknown); None without a list.
    ``toks``: the ``words`` of ``text`` when the caller has them."""
    stop = STOPWORDS.get(lang or "", ALL_STOPWORDS if lang is None or lang in STOPWORDS else None)
    if stop is None:
        return None
    if toks is None:
        toks = words(text)
    if not toks:
        return 0.0
    # a word counts, or its part before an apostrophe ("l'homme" for "l")
    return sum(1 for t in toks if t in stop or (("'" in t or "’" in t) and t.replace("’", "'").split("'")[0] in stop)
               ) / len(toks)


_CONTENT_MIN = 3
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Case- and accent-folded text, for comparing words across spellings."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def content_stems(text: str, stop: frozenset[str]) -> set[str]:
    """Content words of ``text`` cut to five letters ("Kindersitze" → "kinde"), function words left out."""
    return {w[:5] for w in words(fold(text)) if len(w) >= _CONTENT_MIN and w not in stop}


def elaborated_share(stems: set[str], folded: str) -> float:
    """Share of ``stems`` found inside the words of ``folded`` text (so "modelle" counts in "Sitzmodelle")."""
    return sum(stem in folded for stem in stems) / len(stems) if stems else 0.0

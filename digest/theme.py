"""Find a site's theme: template folders in lookup order and the static files to publish.

Lookup, first match wins: the site's ``templates/`` (override any single template), then the
site's own theme ``themes/NAME/templates/`` when ``theme: NAME``, then the built-in default.
A template may extend the default's template of the same name as ``"default/base.html"``.
Static files and i18n strings of a site theme override the default's file by file (key by key).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

from .config import SiteConfig
from .errors import ThemeError

BUILTIN = "default"


def builtin_theme_dir() -> Path:
    """The default theme: package data of ``digest.themes`` when installed, else the checkout's themes/."""
    try:
        path = Path(str(resources.files("digest.themes") / BUILTIN))
    except (ModuleNotFoundError, TypeError):
        path = Path(__file__).resolve().parents[1] / "themes" / BUILTIN
    if not (path / "templates").is_dir():
        raise ThemeError(f"the built-in theme is missing at {path}: reinstall news-digest")
    return path


def theme_dirs(cfg: SiteConfig) -> list[Path]:
    """The site's own theme (``themes/NAME`` in the site) first, then the built-in default it extends."""
    dirs: list[Path] = []
    if cfg.theme != BUILTIN:
        own = cfg.root / "themes" / cfg.theme
        if not own.is_dir():
            raise ThemeError(f"config.yaml: theme {cfg.theme!r} not found: create themes/{cfg.theme}/ in the site or use theme: default")
        dirs.append(own)
    dirs.append(builtin_theme_dir())
    return dirs


def template_dirs(cfg: SiteConfig) -> list[Path]:
    """Lookup order for templates: the site's templates/, then each theme's templates/."""
    found = [cfg.root / "templates"] if (cfg.root / "templates").is_dir() else []
    return found + [d / "templates" for d in theme_dirs(cfg) if (d / "templates").is_dir()]


def template_loader(cfg: SiteConfig) -> BaseLoader:
    """Jinja2 loader: the lookup order above, plus ``default/NAME.html`` for the built-in template itself."""
    builtin = FileSystemLoader(str(builtin_theme_dir() / "templates"))
    loaders: list[BaseLoader] = [FileSystemLoader(str(d)) for d in template_dirs(cfg)]
    return ChoiceLoader([*loaders, PrefixLoader({BUILTIN: builtin})])


def i18n_dirs(cfg: SiteConfig) -> list[Path]:
    return [d / "i18n" for d in theme_dirs(cfg) if (d / "i18n").is_dir()]


def static_files(cfg: SiteConfig) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of every static file; a site's theme overrides the default file by file."""
    seen: dict[str, bytes] = {}
    for d in reversed(theme_dirs(cfg)):
        static = d / "static"
        if not static.is_dir():
            continue
        for file in sorted(static.rglob("*")):
            if file.is_file() and not file.name.startswith("."):
                seen[file.relative_to(static).as_posix()] = file.read_bytes()
    yield from sorted(seen.items())

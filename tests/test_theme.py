"""Theme lookup: a site's templates/ overrides one template; a site theme extends the default."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from digest.errors import ThemeError
from digest.render import render_site
from digest.theme import builtin_theme_dir, template_dirs
from sitekit import config, sample_site


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def test_builtin_theme_is_found() -> None:
    d = builtin_theme_dir()
    for name in ("base.html", "digest.html", "story.html", "article.html", "archive.html", "404.html"):
        assert (d / "templates" / name).is_file()


def test_a_site_template_overrides_one_template(tmp_path: Path) -> None:
    write(tmp_path, {"templates/story.html": """
        {% extends "base.html" %}
        {% block main %}<p class="mine">My story page: {{ shown.title }}</p>{% endblock %}
    """})
    files = render_site(sample_site(), config(tmp_path))
    story = files["stories/museum01/index.html"].decode()
    assert '<p class="mine">My story page: Museum painting stolen</p>' in story
    assert '<html lang="en"' in story  # still the default base.html around it
    assert 'class="mine"' not in files["en/index.html"].decode()  # other templates untouched


def test_a_site_template_can_extend_the_default_one_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path, {"templates/base.html": """
        {% extends "default/base.html" %}
        {% block head %}<meta name="x-site" content="extended">{% endblock %}
    """})
    html = render_site(sample_site(), config(tmp_path))["fr/index.html"].decode()
    assert '<meta name="x-site" content="extended">' in html and "À la une" in html


def test_a_site_theme_extends_the_default(tmp_path: Path) -> None:
    write(tmp_path, {
        "themes/paper/templates/digest.html": """
            {% extends "default/digest.html" %}
            {% block title %}Paper · {{ super() }}{% endblock %}
        """,
        "themes/paper/static/style.css": "body { color: black; }\n",
        "themes/paper/static/extra.js": "// extra\n",
        "themes/paper/i18n/fr.yaml": "top_stories: Les titres\n",
    })
    cfg = config(tmp_path, theme="paper")
    assert template_dirs(cfg)[0] == tmp_path / "themes" / "paper" / "templates"
    files = render_site(sample_site(), cfg)
    fr = files["fr/index.html"].decode()
    assert "<title>Paper · " in fr and "<h1>Les titres</h1>" in fr
    assert "Archives" in fr  # other French strings still come from the default theme
    css = [p for p in files if p.startswith("static/style.")]
    assert len(css) == 1 and files[css[0]] == b"body { color: black; }\n"
    assert any(p.startswith("static/extra.") for p in files)
    assert files["stories/museum01/index.html"]  # templates it does not have come from the default


def test_site_templates_win_over_the_site_theme(tmp_path: Path) -> None:
    write(tmp_path, {
        "themes/paper/templates/404.html": "{% extends 'base.html' %}{% block main %}theme{% endblock %}",
        "templates/404.html": "{% extends 'base.html' %}{% block main %}site{% endblock %}",
    })
    html = render_site(sample_site(), config(tmp_path, theme="paper"))["404.html"].decode()
    assert "site" in html and "theme" not in html.split("<main", 1)[1]


def test_missing_theme_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ThemeError, match="themes/nope"):
        render_site(sample_site(), config(tmp_path, theme="nope"))


def test_broken_template_names_the_template(tmp_path: Path) -> None:
    write(tmp_path, {"templates/archive.html": "{% extends 'base.html' %}{% block main %}{{ no_such_thing }}{% endblock %}"})
    with pytest.raises(ThemeError, match="archive.html"):
        render_site(sample_site(), config(tmp_path))

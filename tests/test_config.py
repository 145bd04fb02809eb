"""config.yaml: typed values, every error reported at once with its key, unknown keys warned."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest.config import load_config
from digest.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_missing_config_gives_defaults(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.title and cfg.base_url == "/" and cfg.timezone == "UTC" and cfg.languages == ()


def test_values_are_typed(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "languages: [FR, en]\ntop_stories: 5\nbase_url: /news\n"
                                      "grouping: {window_hours: 24}\n"))
    assert cfg.languages == ("fr", "en")
    assert cfg.top_stories == 5
    assert cfg.path_prefix == "/news/"
    assert cfg.grouping.window_hours == 24.0


def test_every_error_is_reported_with_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "top_stories: many\ntimezone: Mars/Olympus\n"
                                    "grouping: {threshold: 3}\nlanguages: 7\n"))
    text = str(info.value)
    for key in ("top_stories", "timezone", "grouping.threshold", "languages"):
        assert key in text
    assert len(info.value.problems) == 4
    assert info.value.exit_code == 2


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "title: ok\nlanguages: [en, fr\n"))
    assert "config.yaml" in str(info.value) and "line" in str(info.value)


def test_unknown_key_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        cfg = load_config(write(tmp_path, "title: X\ncolour: blue\n"))
    assert cfg.title == "X"
    assert "colour" in caplog.text


def test_default_language_must_be_an_edition(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="default_language"):
        load_config(write(tmp_path, "languages: [en, fr]\ndefault_language: de\n"))


def test_command_line_override_is_validated_like_the_file(tmp_path: Path) -> None:
    site = write(tmp_path, "base_url: /\n")
    assert load_config(site, base_url="https://example.org/news").base_url == "https://example.org/news/"
    with pytest.raises(ConfigError, match="base_url"):
        load_config(site, base_url="   ")

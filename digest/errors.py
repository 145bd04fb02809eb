"""The one exception hierarchy of news-digest, each class with the CLI exit code it maps to."""

from __future__ import annotations


class DigestError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is the message to show."""

    exit_code = 1


class ConfigError(DigestError):
    """config.yaml (or a command-line override) is invalid. Carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[str] | str, path: str = "config.yaml") -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.path = path
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s):\n{lines}")


class ContentError(DigestError):
    """One content file cannot be used. The build reports it and goes on without that file."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class VanishedError(ContentError):
    """A content file was deleted (or renamed) between finding it and reading it: not a problem, it is left out."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "was removed while the build was reading it: left out (the next build sees the change)")


class ThemeError(DigestError):
    """A theme or template is missing or broken."""


class BuildError(DigestError):
    """The build as a whole cannot complete (nothing is written)."""

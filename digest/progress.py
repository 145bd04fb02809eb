"""Progress of a long build (stage, counts, rate) for a person watching a terminal; silent otherwise.

The library reports through a :class:`Progress` object and never prints: ``digest build`` wires a
:class:`TerminalProgress` on standard error when it is a terminal and ``--quiet`` is not given;
tests pass a :class:`RecordingProgress`; everything else gets the silent :class:`Progress`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    """Silent progress: the interface every reporter implements."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins; ``total`` items are expected (None: unknown)."""

    def advance(self, n: int = 1) -> None:
        """``n`` more items of the current stage are done."""

    def done(self) -> None:
        """The build is over (or failed): leave the terminal clean."""


class RecordingProgress(Progress):
    """Keeps every call, for tests."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def stage(self, name: str, total: int | None = None) -> None:
        self.events.append(("stage", (name, total)))

    def advance(self, n: int = 1) -> None:
        self.events.append(("advance", n))

    def done(self) -> None:
        self.events.append(("done", None))


class TerminalProgress(Progress):
    """One line on a terminal, rewritten in place at most ``hz`` times a second:

    ``articles  4,210/10,000  1,840/s``
    """

    def __init__(self, stream: TextIO | None = None, *, hz: float = 8.0, clock=time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = 1.0 / hz
        self.clock = clock
        self.name = ""
        self.total: int | None = None
        self.count = 0
        self.started = 0.0
        self.last = -1e9
        self.width = 0

    def stage(self, name: str, total: int | None = None) -> None:
        self.name, self.total, self.count = name, total, 0
        self.started = self.clock()
        self._show(force=True)

    def advance(self, n: int = 1) -> None:
        self.count += n
        self._show()

    def _show(self, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        text = f"{self.name:<9}"
        if self.total:
            text += f" {self.count:,}/{self.total:,}"
        elif self.count:
            text += f" {self.count:,}"
        elapsed = now - self.started
        if self.count and elapsed > 0.2:
            text += f"  {self.count / elapsed:,.0f}/s"
        self._write(text)

    def _write(self, text: str) -> None:
        pad = max(0, self.width - len(text))
        try:
            self.stream.write("\r" + text + " " * pad)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is never worth a failed build
            return
        self.width = len(text)

    def done(self) -> None:
        if self.width:
            self._write("")
            try:
                self.stream.write("\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self.width = 0


def for_stream(stream: TextIO, *, quiet: bool = False) -> Progress:
    """A terminal reporter when ``stream`` is an interactive terminal (and not quiet, not TERM=dumb), else silent."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    if quiet or not tty or os.environ.get("TERM") == "dumb":
        return Progress()
    return TerminalProgress(stream)

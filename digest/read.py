"""Walk ``content/``, decode each article file's bytes and split off YAML front matter."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError
from .models import Format, SourceFile

log = logging.getLogger(__name__)

FORMATS: dict[str, Format] = {".txt": "txt", ".md": "md", ".markdown": "md"}
MAX_BYTES = 50 * 1024 * 1024
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def find_content_files(content_dir: Path) -> list[Path]:
    """Every article file below ``content_dir``, in a stable order; hidden files and folders skipped.

    Symbolic links to folders are not followed (no loops); links to files are read.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(content_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in FORMATS:
                continue
            found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(content_dir).as_posix())


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Bytes → (text, encoding name). UTF-8 (with or without BOM) first, then a detected legacy encoding."""
    if b"\x00" in data:
        raise ContentError(path, "looks like a binary file (it contains NUL bytes): remove it or save it as text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=None).best()
        if best is None:
            raise ContentError(
                path, "is not text in any encoding we recognise: save it as UTF-8"
            ) from None
        text, encoding = str(best), best.encoding
        log.info("%s: decoded as %s (not UTF-8)", path, encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """Return (front matter mapping, body, 1-based line where the body starts)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    raw = match.group(1) or ""
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else None  # +1 for 1-based, +1 for the opening ---
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(path, f"front matter is not valid YAML ({problem}); fix it or remove the --- block", line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(path, "front matter must be a mapping of keys (title: ..., date: ...)", 2)
    body_line = text.count("\n", 0, match.end()) + 1
    return {str(k): v for k, v in data.items()}, text[match.end():], body_line


def read_file(file: Path, content_dir: Path) -> SourceFile:
    """Read one content file. Raises ContentError with a message that names the file."""
    rel = file.relative_to(content_dir).as_posix()
    try:
        stat = file.stat()
        if stat.st_size > MAX_BYTES:
            raise ContentError(rel, f"is {stat.st_size // 1_048_576} MB; articles over {MAX_BYTES // 1_048_576} MB are skipped")
        data = file.read_bytes()
    except OSError as exc:
        raise ContentError(rel, f"cannot be read ({exc.strerror or exc}): check its permissions") from None
    text, encoding = decode(data, rel)
    fmt = FORMATS[file.suffix.lower()]
    front: dict[str, Any] = {}
    body, body_line = text, 1
    if fmt == "md":
        front, body, body_line = split_front_matter(text, rel)
    return SourceFile(
        path=rel,
        format=fmt,
        body=body,
        front_matter=front,
        body_line=body_line,
        mtime=stat.st_mtime,
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def read_content(content_dir: Path) -> Iterator[SourceFile | ContentError]:
    """Every content file, read; a file that cannot be used yields its ContentError instead."""
    for file in find_content_files(content_dir):
        try:
            yield read_file(file, content_dir)
        except ContentError as err:
            yield err

"""Walk ``content/``, decode each article file's bytes and split off YAML front matter.

Bad input never raises anything but :class:`ContentError` (one per file, naming it and saying what
to do); warnings about files that are still used go to an optional ``problems`` list.

Decoding, in order: a UTF-8/16/32 byte-order mark; binary signatures and NUL bytes (rejected);
strict UTF-8; UTF-8 mixed with a legacy encoding or cut mid-character (the bad lines decoded as
cp1252, with a warning); then a legacy encoding. For the legacy case charset-normalizer is asked,
but on a short text its guess is a coin toss between code pages that decode the same bytes
equally well (``"Élection à Zürich"`` in cp1252 comes back as cp1250: ``"Élection ŕ Zürich"``).
We keep cp1252 whenever it is among its candidates and no worse on mess and language coherence:
scraped Western-European text that is not UTF-8 is almost always cp1252, which is also what
browsers use for text labelled latin-1 (it agrees with latin-1 on every printable latin-1 byte).
Other code pages (cp1251 Russian, cp1253 Greek, cp1254 Turkish, Shift-JIS…) win when cp1252
cannot decode the bytes or is measurably worse.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, VanishedError
from .models import Format, Problem, SourceFile

log = logging.getLogger(__name__)

FORMATS: dict[str, Format] = {".txt": "txt", ".md": "md", ".markdown": "md"}
MAX_BYTES = 50 * 1024 * 1024  # bigger files are skipped unread
# What is analysed of one article; the rest is cut, with a warning. A long-form article is ~50,000
# characters and a full-page dump a few hundred lines: these caps are 20x that, and keep headline
# and boilerplate analysis (whose cost grows faster than the number of lines) to seconds.
MAX_TEXT_CHARS = 1_000_000
MAX_LINES = 3_000
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_OPENS_FRONT_MATTER = re.compile(r"\A---[ \t]*\n")
# C0 controls other than tab and newline, DEL, C1 controls, and code points no XML document may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")  # never in text, common in binary data
_LINE_BREAKS = {"\u2028": "\n", "\u2029": "\n\n", "\x85": "\n"}
_LINE_BREAK = re.compile("[\u2028\u2029\x85]")  # (a regular expression: ``str.translate`` looks up every character)
_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or a Word/OpenDocument file)"),
    (b"\x1f\x8b", "a gzip archive"), (b"\x7fELF", "a program"), (b"RIFF", "a media file"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Excel document"), (b"{\\rtf", "an RTF document"),
)


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if b"\x00" in data:
        head = data[:400]
        if len(head) >= 4 and max(head[0::2].count(0), head[1::2].count(0)) >= 0.9 * (len(head) // 2):
            return "UTF-16 text without a byte-order mark"
        return "a binary file (it contains NUL bytes)"
    return None


def _decode_utf8_lines(data: bytes) -> tuple[str, int]:
    """UTF-8 where a line is valid UTF-8, cp1252 (else UTF-8 with U+FFFD) where it is not.

    Returns the text and the number of lines that were not UTF-8.
    """
    out: list[str] = []
    bad = 0
    for line in data.split(b"\n"):
        try:
            out.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and exc.end == len(line):
                # the file (or line) was cut in the middle of a character: drop the fragment
                tail_ok = line[: exc.start]
                try:
                    out.append(tail_ok.decode("utf-8"))
                    bad += 1
                    continue
                except UnicodeDecodeError:
                    pass
        bad += 1
        try:
            out.append(line.decode("cp1252"))
        except UnicodeDecodeError:
            out.append(line.decode("utf-8", "replace"))
    return "\n".join(out), bad


def _mostly_utf8(data: bytes) -> bool:
    """True for a UTF-8 file with some lines in a legacy encoding: at least as many lines with non-ASCII
    characters are valid UTF-8 as are not. Legacy text where a few byte pairs happen to form UTF-8
    (Shift-JIS, cp1252 "Ã©") has (almost) no whole line that is valid UTF-8."""
    good = bad = 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good >= max(1, bad)


def _legacy(data: bytes, path: str) -> tuple[str, str]:
    """Decode bytes that are not UTF-8: cp1252 unless charset-normalizer is sure of something else."""
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if not m.encoding.startswith(("utf_16", "utf_32"))]
    best = matches[0] if matches else None
    # a match stands for every code page that decodes the bytes to the same text
    cp1252 = next((m for m in matches if "cp1252" in (m.encoding, *m.could_be_from_charset)), None)
    if cp1252 is not None and (
        best is None or (cp1252.chaos <= best.chaos + 0.01 and cp1252.coherence >= best.coherence - 0.01)
    ):
        return data.decode("cp1252"), "cp1252"
    if best is not None:
        return str(best), best.encoding
    try:  # charset-normalizer found nothing it likes (very short or odd text): cp1252 if it decodes
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise ContentError(path, "is not text in any encoding we recognise: save it as UTF-8") from None


def decode(data: bytes, path: str, problems: list[Problem] | None = None) -> tuple[str, str]:
    """Bytes → (text, encoding name), newlines normalised to ``\\n``, control characters removed.

    Raises ContentError for binary files; adds a warning to ``problems`` when some bytes had to be
    guessed (UTF-8 mixed with another encoding, or cut in the middle of a character).
    """
    text: str | None = None
    encoding = "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data[len(bom):].decode(name), name
            except UnicodeDecodeError:
                raise ContentError(path, f"starts with a {name} byte-order mark but is not {name}: save it as UTF-8") from None
            break
    if text is None:
        kind = _binary_kind(data)
        if kind and kind.startswith("UTF-16"):
            raise ContentError(path, f"looks like {kind} (every other byte is NUL): save it as UTF-8")
        if kind:
            raise ContentError(path, f"looks like {kind}, not an article: remove it or save it as text (.txt, .md)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data" and exc.end == len(data) and not data[: exc.start].isascii():
                text = data[: exc.start].decode("utf-8", "replace")
                _warn(problems, path, "ends in the middle of a character (the file was cut short): check its end")
            elif _mostly_utf8(data):
                text, bad = _decode_utf8_lines(data)
                _warn(problems, path, f"is UTF-8 except on {bad} line(s), read as cp1252 (or cut mid-character): "
                                      "check the accents and re-save it as UTF-8")
                encoding = "utf-8 (mixed)"
            else:
                text, encoding = _legacy(data, path)
                log.info("%s: decoded as %s (not UTF-8); re-save it as UTF-8 if accents look wrong", path, encoding)
    text = _LINE_BREAK.sub(lambda m: _LINE_BREAKS[m.group()], text.replace("\r\n", "\n").replace("\r", "\n"))
    controls = len(_CONTROL.findall(text))
    if controls:
        binary = len(_BINARY_CONTROL.findall(text))
        if binary * 100 > len(text):
            raise ContentError(path, f"looks like a binary file ({binary} control characters): remove it or save it as text")
        text = _CONTROL.sub("", text)
    return text, encoding


def _warn(problems: list[Problem] | None, path: str, message: str, line: int | None = None) -> None:
    if problems is None:
        log.warning("%s: %s", path, message)
    else:
        problems.append(Problem(path, message, line, "warning"))


# PyYAML's safe loader on libyaml when the wheel has it (it does on the usual platforms): the same values,
# 8x sooner (the 6,986 front matters of the 10,000-article benchmark site: 1.7-1.9 s -> 0.22-0.24 s). Only for
# front matter that cannot nest deep: libyaml recurses in C and a few hundred thousand levels ("[[[…" or
# "- - - …") crash the process, where the Python loader stops with a RecursionError (a clear message).
# Within _FAST_CHARS characters and _FAST_OPENERS of "[{-?", nesting is at most a few hundred levels.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
_FAST_CHARS, _FAST_OPENERS = 4096, 256


def _yaml_loader(raw: str) -> type:
    if (_FAST_LOADER is not None and len(raw) <= _FAST_CHARS
            and raw.count("[") + raw.count("{") + raw.count("-") + raw.count("?") <= _FAST_OPENERS):
        return _FAST_LOADER
    return yaml.SafeLoader


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """Return (front matter mapping, body, 1-based line where the body starts).

    Any problem with the YAML (syntax, impossible dates such as 2024-02-30, nesting too deep,
    keys that are not plain values) is a ContentError naming the file and, when known, the line.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        if _OPENS_FRONT_MATTER.match(text):
            raise ContentError(path, "front matter opened with --- is never closed: add a line with --- after it", 1)
        return {}, text, 1
    raw = match.group(1) or ""
    try:
        data = yaml.load(raw, Loader=_yaml_loader(raw))  # noqa: S506 - either is a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else None  # +1 for 1-based, +1 for the opening ---
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContentError(path, f"front matter is not valid YAML ({problem}); fix it or remove the --- block", line) from None
    except RecursionError:
        raise ContentError(path, "front matter is nested too deeply to be read: simplify it", 2) from None
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise ValueError (date: 2024-13-45),
        # AttributeError (date: 1911-01-01 00:00:00+00:09:21), TypeError, OverflowError: all are bad input here
        reason = "a number too long to read" if "digits" in str(exc) else (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise ContentError(path, f"front matter has a value that cannot be read ({reason}): fix it "
                                 "(dates are written 2024-05-31 or 2024-05-31T08:00:00+02:00)", 2) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(path, "front matter must be a mapping of keys (title: ..., date: ...)", 2)
    body_line = text.count("\n", 0, match.end()) + 1
    return {str(k): v for k, v in data.items()}, text[match.end():], body_line


# -- walking ------------------------------------------------------------------------------------------


# In a file name: C0/C1 controls, line separators, and the bidi embeddings, overrides and isolates that
# can make a name display as something else ("Trojan Source"). Zero-width joiners (emoji, Persian)
# and the LRM/RLM marks are fine.
_BAD_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _display(rel: str) -> str:
    """A path safe to show: undecodable bytes and control characters made visible."""
    shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _BAD_NAME_CHARS.sub(lambda m: repr(m[0])[1:-1], shown)


def _walk(content_dir: Path, problems: list[Problem] | None) -> Iterator[tuple[str, Path]]:
    """Article files below ``content_dir``, each with its content-relative POSIX path (iterative: any depth, never
    follows folder links). The relative path is built as the walk goes down: ``relative_to`` and pathlib objects
    for every file were most of a no-change build's look at 10,000 files."""
    stack: list[tuple[Path, str]] = [(content_dir, "")]
    while stack:
        folder, rel_folder = stack.pop()
        prefix = rel_folder + "/" if rel_folder else ""
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            _content_error(problems, _display(rel_folder or ".") + "/", f"folder cannot be read ({exc.strerror or exc}): "
                           "check its permissions; the files in it were skipped")
            continue
        subfolders: list[tuple[Path, str]] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("_"):
                        subfolders.append((Path(entry.path), prefix + entry.name))
                    continue
                if entry.is_symlink() and entry.is_dir():
                    _warn(problems, _display(prefix + entry.name), "is a link to a folder, which is not followed (links "
                          "can loop): move the folder into content/ or link its files one by one")
                    continue
            except OSError:
                pass  # a broken or looping link: reported when the file is read, if it is an article
            if os.path.splitext(entry.name)[1].lower() in FORMATS:
                yield prefix + entry.name, Path(entry.path)
        stack.extend(reversed(subfolders))


def _content_error(problems: list[Problem] | None, path: str, message: str) -> None:
    if problems is None:
        log.error("%s: %s", path, message)
    else:
        problems.append(Problem(path, message, None, "error"))


def find_content_files(content_dir: Path, problems: list[Problem] | None = None) -> list[Path]:
    """Every article file below ``content_dir``, in a stable order; hidden files and folders skipped.

    Links to folders are not followed (no loops); links to files inside ``content_dir`` are read.
    """
    return [path for _, path in content_files(content_dir, problems)]


def content_files(content_dir: Path, problems: list[Problem] | None = None) -> list[tuple[str, Path]]:
    """:func:`find_content_files`, each with its content-relative POSIX path (the order)."""
    return sorted(_walk(content_dir, problems), key=lambda found: found[0])


def _relative_name(file: Path, content_dir: Path) -> str:
    """The content-relative path (NFC, POSIX), or ContentError when the name cannot be used in a site."""
    rel = file.relative_to(content_dir).as_posix()
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        raise ContentError(_display(rel), "has a file name that is not valid UTF-8: rename it") from None
    if _BAD_NAME_CHARS.search(rel):
        raise ContentError(_display(rel), "has control characters (a line break, or an invisible text-direction "
                                          "override that can disguise a name) in its name: rename it")
    return unicodedata.normalize("NFC", rel)


def read_file(file: Path, content_dir: Path, problems: list[Problem] | None = None) -> SourceFile:
    """Read one content file. Raises ContentError with a message that names the file."""
    rel = _relative_name(file, content_dir)
    try:
        if file.is_symlink():
            real = file.resolve(strict=True)
            root = content_dir.resolve()
            if real != root and root not in real.parents:
                raise ContentError(rel, "is a link to a file outside the content folder, which is not read: "
                                        "copy the file into content/ instead")
        st = file.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ContentError(rel, "is not a regular file (a device, pipe or socket): remove it from content/")
        if st.st_size > MAX_BYTES:
            raise ContentError(rel, f"is {st.st_size // 1_048_576} MB; articles over {MAX_BYTES // 1_048_576} MB "
                                    "are skipped: split it or remove it")
        with open(file, "rb") as fh:
            # sized by the file: ``read(MAX_BYTES + 1)`` allocates 50 MB for each file (30-110 µs a file, against
            # 13-16 µs); the rest is read only if the file grew since ``stat``
            data = fh.read(min(st.st_size, MAX_BYTES) + 1)
            if len(data) > st.st_size:
                data += fh.read(MAX_BYTES + 1 - len(data))
    except RuntimeError:  # Path.resolve on a link loop (Python < 3.13)
        raise ContentError(rel, "is a link that loops back on itself: remove the link") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise ContentError(rel, "is a link that loops back on itself: remove the link") from None
        if isinstance(exc, FileNotFoundError) and file.is_symlink():
            raise ContentError(rel, "is a link to a file that does not exist: remove the link or restore the file") from None
        if isinstance(exc, FileNotFoundError) and not os.path.lexists(file):
            raise VanishedError(rel) from None  # saved by an editor or a scraper while we were reading: not an error
        raise ContentError(rel, f"cannot be read ({exc.strerror or exc}): check its permissions") from None
    if len(data) > MAX_BYTES:
        raise ContentError(rel, f"is over {MAX_BYTES // 1_048_576} MB (it grew while being read): split it or remove it")
    text, encoding = decode(_head(data), rel, problems)
    if not text.strip():
        raise ContentError(rel, "is empty: write the article in it or remove it")
    fmt = FORMATS[file.suffix.lower()]
    front: dict[str, Any] = {}
    body, body_line = text, 1
    if fmt == "md":
        front, body, body_line = split_front_matter(text, rel)
    body, cut_what = _cap(body)
    if cut_what:
        _warn(problems, rel, f"is too long to be an article ({cut_what}); only the first {MAX_TEXT_CHARS:,} characters "
                             f"and {MAX_LINES:,} lines are used: split it into separate articles")
    return SourceFile(
        path=rel,
        format=fmt,
        body=body,
        front_matter=front,
        body_line=body_line,
        mtime=_sane_mtime(st.st_mtime),
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def _head(data: bytes) -> bytes:
    """The bytes worth decoding: at most 4 bytes per analysed character, cut after a line end.

    Decoding (and encoding detection) of a 20 MB file would otherwise cost seconds for text that
    :func:`_cap` then throws away. UTF-16/32 files (byte-order mark) are decoded whole.
    """
    limit = 4 * MAX_TEXT_CHARS + 4
    if len(data) <= limit or data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return data
    cut = data.rfind(b"\n", 0, limit)
    return data[: cut + 1 if cut > 0 else limit]


def _cap(body: str) -> tuple[str, str]:
    """The body cut to MAX_TEXT_CHARS characters and MAX_LINES non-blank lines, at a line end; and what was too long."""
    too_long = []
    if len(body) > MAX_TEXT_CHARS:
        too_long.append(f"over {MAX_TEXT_CHARS:,} characters")
        cut = body.rfind("\n", 0, MAX_TEXT_CHARS)
        body = body[: cut if cut > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS]
    lines = 0
    for match in re.finditer(r"[^\n]*\S[^\n]*", body):
        lines += 1
        if lines > MAX_LINES:
            too_long.append(f"over {MAX_LINES:,} lines")
            body = body[: match.start()]
            break
    return body, " and ".join(too_long)


_MTIME_MIN, _MTIME_MAX = 0.0, 7_258_118_400.0  # 1970-01-01 .. 2200-01-01


def _sane_mtime(mtime: float) -> float:
    """Modification times outside 1970–2200 (broken clocks, archives) are clamped so dates stay computable."""
    return min(max(mtime, _MTIME_MIN), _MTIME_MAX) if mtime == mtime else _MTIME_MIN


def read_content(content_dir: Path, problems: list[Problem] | None = None) -> Iterator[SourceFile | ContentError]:
    """Every content file, read; a file that cannot be used yields its ContentError instead.

    Warnings about files that are still read (and folders that cannot be walked) are added to
    ``problems`` when given, else logged.
    """
    seen: dict[str, str] = {}
    for file in find_content_files(content_dir, problems):
        try:
            src = read_file(file, content_dir, problems)
        except VanishedError as err:
            log.debug("%s", err)
            continue
        except ContentError as err:
            yield err
            continue
        raw = file.relative_to(content_dir).as_posix()
        if src.path in seen and seen[src.path] != raw:
            yield ContentError(src.path, "has the same name as another file once Unicode is normalised: rename one of them")
            continue
        seen[src.path] = raw
        yield src

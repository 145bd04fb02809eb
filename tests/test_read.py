"""Reading content/: decoding, line endings, front matter, and clear per-file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import ContentError
from digest.read import decode, find_content_files, read_content, split_front_matter

DECODE_CASES = [
    ("utf-8", "Élection à Zürich".encode("utf-8"), "Élection à Zürich"),
    ("utf-8 with BOM", b"\xef\xbb\xbf" + "Grève générale".encode("utf-8"), "Grève générale"),
    ("crlf", b"a\r\nb\rc\n", "a\nb\nc\n"),
    (
        "cp1252",
        "Le ministre a déclaré que la grève générale était « inévitable » à Besançon.".encode("cp1252"),
        "Le ministre a déclaré que la grève générale était « inévitable » à Besançon.",
    ),
]


@pytest.mark.parametrize("name,data,expected", DECODE_CASES, ids=[c[0] for c in DECODE_CASES])
def test_decode(name: str, data: bytes, expected: str) -> None:
    assert decode(data, "x.txt")[0] == expected


def test_binary_is_rejected_with_the_file_name() -> None:
    with pytest.raises(ContentError, match="photo.txt.*binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.txt")


def test_front_matter_is_split_and_body_line_counted() -> None:
    front, body, line = split_front_matter("---\ntitle: A\nlang: fr\n---\nBody\n", "a.md")
    assert front == {"title": "A", "lang": "fr"} and body == "Body\n" and line == 5


def test_malformed_front_matter_names_file_and_line() -> None:
    with pytest.raises(ContentError) as info:
        split_front_matter("---\ntitle: A\ntags: [x, y\n---\nBody\n", "bad.md")
    assert info.value.path == "bad.md" and info.value.line is not None
    assert "front matter" in str(info.value)


def test_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for rel in ["b/2.md", "a.txt", "b/1.txt", ".hidden/x.md", "notes.docx", "c/.draft.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in find_content_files(tmp_path)]
    assert found == ["a.txt", "b/1.txt", "b/2.md"]


def test_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    items = list(read_content(tmp_path))
    assert [type(i).__name__ for i in items] == ["ContentError", "SourceFile"]
    assert items[0].path == "bad.txt"

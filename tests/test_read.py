"""Reading content/: decoding, line endings, front matter, and clear per-file errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest.errors import ContentError
from digest.models import Problem
from digest.read import MAX_LINES, MAX_TEXT_CHARS, decode, find_content_files, read_content, read_file, split_front_matter

FR = "Le ministre a déclaré que la grève générale était « inévitable » à Besançon."
DECODE_CASES = [
    # (name, bytes, expected text, expected encoding)
    ("utf-8", "Élection à Zürich".encode("utf-8"), "Élection à Zürich", "utf-8"),
    ("utf-8 with BOM", b"\xef\xbb\xbf" + "Grève générale".encode("utf-8"), "Grève générale", "utf-8"),
    ("two BOMs (files pasted together)", b"\xef\xbb\xbf\xef\xbb\xbfA", "A", "utf-8"),
    ("utf-16 with BOM (Notepad 'Unicode')", b"\xff\xfe" + "Grève à Noël".encode("utf-16-le"), "Grève à Noël", "utf-16-le"),
    ("utf-16-be with BOM", b"\xfe\xff" + "Grève".encode("utf-16-be"), "Grève", "utf-16-be"),
    ("crlf and lone cr", b"a\r\nb\rc\n", "a\nb\nc\n", "utf-8"),
    ("unicode line separators", "a\u2028b\u2029c".encode(), "a\nb\n\nc", "utf-8"),
    ("cp1252 sentence", FR.encode("cp1252"), FR, "cp1252"),
    # short legacy texts: charset-normalizer alone says cp1250 ("ŕ" for "à"); we keep cp1252
    ("cp1252 short", "Élection à Zürich".encode("cp1252"), "Élection à Zürich", "cp1252"),
    ("cp1252 one word", "café".encode("cp1252"), "café", "cp1252"),
    ("cp1252 typographic", "Crème brûlée – 5€ ‘x’ “y”".encode("cp1252"), "Crème brûlée – 5€ ‘x’ “y”", "cp1252"),
    ("cp1252 spanish", "Señor Niño año".encode("cp1252"), "Señor Niño año", "cp1252"),
    ("cp1252 oe ligature", "Noël, l'œuvre est là.".encode("cp1252"), "Noël, l'œuvre est là.", "cp1252"),
    ("latin-1 german", "Müller sagt: Straße gesperrt".encode("latin-1"), "Müller sagt: Straße gesperrt", "cp1252"),
    ("latin-1 nordic", "Ærø og Øresund: både æbler og øl".encode("latin-1"), "Ærø og Øresund: både æbler og øl", "cp1252"),
    # other code pages still win when cp1252 is wrong or cannot decode the bytes
    ("cp1251 russian", "Выборы в Москве прошли спокойно.".encode("cp1251"), "Выборы в Москве прошли спокойно.", "cp1251"),
    ("cp1250 polish", "Zażółć gęślą jaźń. Wybory w Polsce.".encode("cp1250"), "Zażółć gęślą jaźń. Wybory w Polsce.", "cp1250"),
    ("cp1253 greek", "Η κυβέρνηση ανακοίνωσε νέα μέτρα.".encode("cp1253"), "Η κυβέρνηση ανακοίνωσε νέα μέτρα.", "cp1253"),
    ("cp1254 turkish", "İstanbul'da seçim sonuçları açıklandı, ağır kış.".encode("cp1254"),
     "İstanbul'da seçim sonuçları açıklandı, ağır kış.", "cp1254"),
    ("shift-jis", "東京で新しい地下鉄路線が開通しました。".encode("shift_jis"), "東京で新しい地下鉄路線が開通しました。", "cp932"),
    # UTF-8 with one pasted cp1252 line: each line decoded right
    ("mixed utf-8 and cp1252 lines",
     "Première – déjà.\n".encode() + "Deuxième: été.\n".encode("cp1252") + "Fin: ça marche.".encode(),
     "Première – déjà.\nDeuxième: été.\nFin: ça marche.", "utf-8 (mixed)"),
    ("utf-8 cut mid-character", "Un texte coupé: é".encode()[:-1], "Un texte coupé: ", "utf-8"),
    ("stray control characters removed", b"Page\x0c one\x1b[0m text that is long enough to be text." + b" x" * 60,
     "Page one[0m text that is long enough to be text." + " x" * 60, "utf-8"),
]


@pytest.mark.parametrize("name,data,expected,encoding", DECODE_CASES, ids=[c[0] for c in DECODE_CASES])
def test_decode(name: str, data: bytes, expected: str, encoding: str) -> None:
    assert decode(data, "x.txt", []) == (expected, encoding)


WARNED = {"mixed utf-8 and cp1252 lines", "utf-8 cut mid-character"}


@pytest.mark.parametrize("name,data", [(c[0], c[1]) for c in DECODE_CASES], ids=[c[0] for c in DECODE_CASES])
def test_decode_warns_only_when_it_had_to_guess_per_line(name: str, data: bytes) -> None:
    problems: list[Problem] = []
    decode(data, "x.txt", problems)
    assert bool(problems) == (name in WARNED)
    assert all(p.path == "x.txt" and p.level == "warning" for p in problems)


BINARY_CASES = [
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00", "PNG image"),
    ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ("zip/docx", b"PK\x03\x04\x14\x00", "ZIP"),
    ("nul bytes", b"Headline\x00\x00text", "NUL"),
    ("utf-16 without BOM", "Grève générale à Besançon".encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
    ("control soup", bytes(range(1, 9)) * 20, "binary"),
    ("utf-16 bom, odd length", b"\xff\xfeA\x00B", "utf-16"),
]


@pytest.mark.parametrize("name,data,words", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_is_rejected_with_the_file_name(name: str, data: bytes, words: str) -> None:
    with pytest.raises(ContentError) as info:
        decode(data, "photo.txt")
    assert info.value.path == "photo.txt" and words in str(info.value) and ":" in info.value.message


def test_front_matter_is_split_and_body_line_counted() -> None:
    front, body, line = split_front_matter("---\ntitle: A\nlang: fr\n---\nBody\n", "a.md")
    assert front == {"title": "A", "lang": "fr"} and body == "Body\n" and line == 5


FRONT_MATTER_ERRORS = [
    ("unclosed flow list", "---\ntitle: A\ntags: [x, y\n---\nBody\n", "not valid YAML"),
    ("impossible date", "---\ntitle: A\ndate: 2024-02-30\n---\nBody\n", "cannot be read"),
    ("month 13", "---\ndate: 2024-13-45\n---\nBody\n", "cannot be read"),
    ("offset with seconds (PyYAML AttributeError)", "---\ndate: !!timestamp '1911-01-01 00:00:00+00:09:21'\n---\nBody\n", "cannot be read"),
    ("nested too deep", "---\ntitle: " + "[" * 3000 + "]" * 3000 + "\n---\nBody\n", "nested too deeply"),
    # (libyaml, which reads the short front matters, crashes the process on these: they go to the Python reader)
    ("nested too deep for libyaml", "---\ntitle: " + "[" * 300_000 + "]" * 300_000 + "\n---\nBody\n", "nested too deeply"),
    ("block sequences nested on one line", "---\n" + "- " * 300_000 + "x\n---\nBody\n", "nested too deeply"),
    ("python tag", "---\ntitle: !!python/object:os.system x\n---\nBody\n", "not valid YAML"),
    ("a list, not a mapping", "---\n- a\n- b\n---\nBody\n", "mapping"),
    ("never closed", "---\ntitle: A\n\nBody without a closing line\n", "never closed"),
    ("tab indentation", "---\ntitle: A\n\tlang: fr\n---\nBody\n", "not valid YAML"),
]


def test_front_matter_reads_the_same_whichever_yaml_reader_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short front matter is read by PyYAML's libyaml reader, long or deeply nestable front matter by its Python
    reader: the same values either way (the same safe constructor builds them)."""
    import yaml

    from digest import read

    text = ("---\ntitle: \"Été : la « canicule » — 38 °C\"\nlang: fr\ndate: 2024-06-01T08:30:00+02:00\n"
            "tags: [météo, \"santé\"]\nsummary: |\n  Deux lignes,\n  un résumé.\ncanonical: true\nweight: 1.5\n"
            "aliases:\n  - /old/one\n  - /old/two\nextra: {a: 1, b: [x, null]}\nwhen: 2024-06-01\n---\nBody\n")
    assert read._yaml_loader(text) is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fast = split_front_matter(text, "a.md")
    monkeypatch.setattr(read, "_FAST_LOADER", None)
    assert read._yaml_loader(text) is yaml.SafeLoader
    assert split_front_matter(text, "a.md") == fast and fast[0]["tags"] == ["météo", "santé"]


@pytest.mark.parametrize("name,text,words", FRONT_MATTER_ERRORS, ids=[c[0] for c in FRONT_MATTER_ERRORS])
def test_malformed_front_matter_names_file_and_line(name: str, text: str, words: str) -> None:
    with pytest.raises(ContentError) as info:
        split_front_matter(text, "bad.md")
    assert info.value.path == "bad.md" and info.value.line is not None and words in str(info.value)


def test_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for rel in ["b/2.md", "a.txt", "b/1.txt", ".hidden/x.md", "notes.docx", "c/.draft.md", "_drafts/y.md"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in find_content_files(tmp_path)]
    assert found == ["a.txt", "b/1.txt", "b/2.md"]


def test_walk_survives_deep_nesting_and_folder_link_loops(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)  # 1200 folders: os.walk (recursive on 3.11) dies of RecursionError here
    for _ in range(1200):  # (made one by one: Path.mkdir(parents=True) recurses too)
        os.mkdir("d", dir_fd=fd)
        fd, old = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(old)
    with os.fdopen(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as fh:
        fh.write("Headline\n\nBody.\n")
    os.close(fd)
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "d" / "back").symlink_to("..", target_is_directory=True)
    problems: list[Problem] = []
    try:
        found = find_content_files(tmp_path, problems)
    finally:
        _remove_chain(tmp_path)  # pytest's own clean-up (shutil.rmtree) recurses too
    assert [p.name for p in found] == ["deep.txt"]
    assert sorted(p.path for p in problems) == ["d/back", "loop"] and all("link to a folder" in p.message for p in problems)


def _remove_chain(top: Path) -> None:
    """Remove top/d/d/…/d and the files in each, bottom up, without recursion."""
    fds = [os.open(top, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fds[-1]))
        except OSError:
            break
    while len(fds) > 1:
        child = fds.pop()
        for name in os.listdir(child):
            os.unlink(name, dir_fd=child)
        os.close(child)
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def test_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02")
    items = list(read_content(tmp_path))
    assert [type(i).__name__ for i in items] == ["ContentError", "SourceFile"]
    assert items[0].path == "bad.txt"


LINK_CASES = [
    ("loop.txt", lambda d: os.symlink("loop.txt", d / "loop.txt"), "loops back"),
    ("broken.txt", lambda d: os.symlink("missing.txt", d / "broken.txt"), "does not exist"),
    ("outside.txt", lambda d: os.symlink("/etc/hostname", d / "outside.txt"), "outside the content folder"),
    ("fifo.txt", lambda d: os.mkfifo(d / "fifo.txt"), "not a regular file"),
    ("zero.txt", lambda d: os.symlink("/dev/zero", d / "zero.txt"), "outside the content folder"),
]


@pytest.mark.parametrize("name,make,words", LINK_CASES, ids=[c[0] for c in LINK_CASES])
def test_odd_files_are_one_clear_error(tmp_path: Path, name: str, make, words: str) -> None:
    make(tmp_path)
    (tmp_path / "good.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    items = list(read_content(tmp_path))
    errors = [i for i in items if isinstance(i, ContentError)]
    assert [e.path for e in errors] == [name] and words in errors[0].message
    assert [i.path for i in items if not isinstance(i, ContentError)] == ["good.txt"]


def test_link_to_a_file_inside_content_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    (tmp_path / "b.txt").symlink_to("a.txt")
    assert [i.path for i in read_content(tmp_path)] == ["a.txt", "b.txt"]


def test_unreadable_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 does not stop root, so when running as root the denial is simulated."""
    (tmp_path / "locked.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    (tmp_path / "sealed").mkdir()
    (tmp_path / "sealed" / "inside.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    os.chmod(tmp_path / "locked.txt", 0)
    os.chmod(tmp_path / "sealed", 0)
    try:
        if os.geteuid() == 0:
            real_open, real_scandir = open, os.scandir

            def deny_open(file, *a, **k):
                if str(file).endswith("locked.txt"):
                    raise PermissionError(13, "Permission denied", str(file))
                return real_open(file, *a, **k)

            def deny_scandir(path="."):
                if str(path).endswith("sealed"):
                    raise PermissionError(13, "Permission denied", str(path))
                return real_scandir(path)

            monkeypatch.setattr("builtins.open", deny_open)
            monkeypatch.setattr(os, "scandir", deny_scandir)
        problems: list[Problem] = []
        items = list(read_content(tmp_path, problems))
    finally:
        os.chmod(tmp_path / "locked.txt", 0o644)
        os.chmod(tmp_path / "sealed", 0o755)
    assert [(i.path, "permissions" in i.message) for i in items] == [("locked.txt", True)]
    assert [(p.path, p.level, "permissions" in p.message) for p in problems] == [("sealed/", "error", True)]


NAME_CASES = ["with space.txt", "accentué é.txt", "emoji 📰.txt", "family 👨\u200d👩\u200d👧.txt", "عربي خبر.txt",
              "עברית.md", "日本語.txt", "می\u200cخواهم.txt", "\u200fמרקר.md"]


@pytest.mark.parametrize("name", NAME_CASES)
def test_unusual_file_names_are_read(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("Headline\n\nBody.\n", encoding="utf-8")
    [src] = list(read_content(tmp_path))
    assert src.path == name


def test_undecodable_and_control_character_names_are_refused(tmp_path: Path) -> None:
    os.close(os.open(os.fsencode(tmp_path) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY))
    (tmp_path / "line\nbreak.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    (tmp_path / "good.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    items = list(read_content(tmp_path))
    errors = {i.path: i.message for i in items if isinstance(i, ContentError)}
    assert errors == {"bad\ufffd.txt": "has a file name that is not valid UTF-8: rename it",
                      "line\\nbreak.txt": "has control characters (a line break, or an invisible text-direction "
                                            "override that can disguise a name) in its name: rename it"}


def test_text_direction_override_in_a_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "invoice\u202etxt.exe.md").write_text("Headline\n\nBody.\n", encoding="utf-8")
    [err] = list(read_content(tmp_path))
    assert isinstance(err, ContentError) and err.path == "invoice\\u202etxt.exe.md" and "text-direction" in err.message


def test_unicode_normalisation_of_names(tmp_path: Path) -> None:
    nfd, nfc = "e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"
    (tmp_path / nfd).write_text("Headline\n\nBody.\n", encoding="utf-8")
    [src] = list(read_content(tmp_path))
    assert src.path == nfc  # the same article id on macOS (NFD names) and Linux
    (tmp_path / nfc).write_text("Other\n\nBody.\n", encoding="utf-8")
    items = list(read_content(tmp_path))
    assert sum(isinstance(i, ContentError) and "normalised" in i.message for i in items) == 1


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_files_are_one_clear_error(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "empty.txt").write_bytes(content)
    with pytest.raises(ContentError, match="empty.txt: is empty"):
        read_file(tmp_path / "empty.txt", tmp_path)


def test_huge_article_is_capped_quickly(tmp_path: Path) -> None:
    import time

    para = ("Le conseil municipal a voté un budget de 12 millions d'euros pour rénover le pont. " * 6) + "\n\n"
    data = ("Titre\n\n" + para * (20_000_000 // len(para))).encode("utf-8")
    (tmp_path / "big.txt").write_bytes(data)
    problems: list[Problem] = []
    start = time.perf_counter()
    src = read_file(tmp_path / "big.txt", tmp_path, problems)
    assert time.perf_counter() - start < 5
    assert len(src.body) <= MAX_TEXT_CHARS and src.body.endswith("\n")
    assert [p.path for p in problems] == ["big.txt"] and "split it" in problems[0].message
    many = "\n".join(f"line {i}" for i in range(MAX_LINES * 2))
    (tmp_path / "lines.txt").write_text(many, encoding="utf-8")
    src = read_file(tmp_path / "lines.txt", tmp_path, problems)
    assert len(src.body.splitlines()) == MAX_LINES


def test_absurd_modification_times_are_clamped(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Headline\n\nBody.\n", encoding="utf-8")
    os.utime(tmp_path / "a.txt", (1e13, 1e13))  # year 318857
    assert read_file(tmp_path / "a.txt", tmp_path).mtime <= 7_258_118_400


def test_a_file_deleted_between_scan_and_read_is_left_out_quietly(tmp_path: Path) -> None:
    from digest.errors import VanishedError

    content = tmp_path / "content"
    content.mkdir()
    gone = content / "gone.md"
    gone.write_text("---\ntitle: Gone\n---\nbody\n", encoding="utf-8")
    gone.unlink()  # as an editor's save-by-rename or a scraper's cleanup does while a build runs
    with pytest.raises(VanishedError):
        read_file(gone, content)
    from digest.article_cache import read_source

    res = read_source(gone, content)
    assert res.source is None and res.error is None  # not an article, and not a problem to report


def test_a_file_that_grows_while_being_read_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = tmp_path / "live.txt"
    live.write_text("Headline\n\nFirst paragraph.\n", encoding="utf-8")
    real_stat = Path.stat
    grown = []

    def stat_then_grow(self: Path, *args, **kwargs):  # a scraper appends right after the size was looked up
        st = real_stat(self, *args, **kwargs)
        if self == live and not grown and kwargs.get("follow_symlinks", True):  # (lstat calls stat too)
            grown.append(True)
            with open(live, "a", encoding="utf-8") as fh:
                fh.write("A paragraph the scraper added meanwhile.\n")
        return st

    monkeypatch.setattr(Path, "stat", stat_then_grow)
    src = read_file(live, tmp_path)
    assert grown and src.body.endswith("First paragraph.\nA paragraph the scraper added meanwhile.\n")

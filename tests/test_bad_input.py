"""Bad input end to end: every bad file gets one clear message naming it, good files are published,
content/ is never modified, no traceback reaches the user, and --strict turns problems into exit 1.

The cases are data (``CASES``); one site holds them all, built once through the library and once
through the CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO
from digest.build import build_site
from digest.config import load_config

ROOT = os.geteuid() == 0  # chmod 000 does not stop root: that case is simulated


def md(title: str | None, body: str = "The council voted on Tuesday evening to renovate the old harbour bridge.",
       **front: object) -> str:
    lines = ["---"] + ([f"title: {title}"] if title else []) + [f"{k}: {v}" for k, v in front.items()] + ["---", body, ""]
    return "\n".join(lines)


GOOD = md("Harbour bridge reopens after repairs", lang="en", date="2024-06-01T09:00:00+02:00", source="The Gazette")
BODY_FR = "Les syndicats ont appelé à une grève générale jeudi à Besançon, où les cheminots réclament une hausse de 5 %."
PARA = ("Le conseil municipal a voté mardi soir un budget de 12 millions d'euros pour rénover le pont. " * 6) + "\n\n"
LAUGHS = "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['x'] * 9)}]\n"
                 for p, n in zip([None, "a", "b", "c", "d", "e", "f"], "abcdefg"))


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    data: bytes | None  # None: ``make`` creates the file
    expect: str  # "ok" (published, no message), "warning" (published, one warning), "error" (skipped, one error)
    words: str = ""  # in the one message
    text: str = ""  # in the published article's title or body (accents must come out right)
    make: Callable[[Path], None] | None = None
    root_ok: bool = True  # False: cannot be reproduced when running as root


def _deep(content: Path) -> None:
    folder = content.joinpath(*["level"] * 40)
    folder.mkdir(parents=True)
    (folder / "deep.md").write_text(md("Deep folder article about the ferry", lang="en"), encoding="utf-8")


def _unreadable(content: Path) -> None:
    (content / "locked.md").write_text(GOOD.replace("Harbour bridge", "Locked"), encoding="utf-8")
    os.chmod(content / "locked.md", 0)


def _undecodable_name(content: Path) -> None:
    os.close(os.open(os.fsencode(content) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))


CASES = [
    Case("plain good", "good.md", GOOD.encode(), "ok", text="Harbour bridge reopens"),
    Case("cp1252 front matter", "cp1252.md", md("Grève générale à Besançon", BODY_FR, lang="fr").encode("cp1252"),
         "ok", text="Grève générale à Besançon"),
    Case("cp1252 raw text", "cp1252.txt", ("Grève à Besançon : les cheminots réclament une hausse\n\n" + BODY_FR + "\n")
         .encode("cp1252"), "ok", text="réclament une hausse de 5 %"),
    Case("latin-1 raw text", "latin1.txt", ("Straße in München gesperrt\n\nDie Straße in München bleibt nach dem "
         "Unfall bis Freitag gesperrt, teilte die Polizei am Montag mit.\n").encode("latin-1"), "ok", text="Straße in München"),
    Case("invalid utf-8 line", "invalid-utf8.md", md("Élection à Zürich", lang="fr").encode()
         + "Une ligne collée en cp1252 : été.\n".encode("cp1252"), "warning", "re-save it as UTF-8", text="été"),
    Case("utf-8 BOM before front matter", "bom.md", b"\xef\xbb\xbf" + md("Bridge with a BOM", lang="en").encode(),
         "ok", text="Bridge with a BOM"),
    Case("utf-16 (Notepad)", "utf16.md", b"\xff\xfe" + md("Grève in UTF-16", lang="en").encode("utf-16-le"),
         "ok", text="Grève in UTF-16"),
    Case("CRLF", "crlf.md", md("Bridge with CRLF", lang="en").replace("\n", "\r\n").encode(), "ok", text="Bridge with CRLF"),
    Case("CR only", "cr.md", md("Bridge with CR", lang="en").replace("\n", "\r").encode(), "ok", text="Bridge with CR"),
    Case("empty", "empty.txt", b"", "error", "is empty"),
    Case("whitespace only", "blank.md", b"  \n\t\r\n   ", "error", "is empty"),
    Case("PNG named .txt", "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "error", "PNG image"),
    Case("PDF named .md", "report.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "error", "PDF"),
    Case("NUL bytes", "nul.txt", b"Headline\x00 with a NUL\n\nBody text.\n", "error", "NUL"),
    Case("random binary", "noise.txt", bytes(range(1, 32)) * 40, "error", "binary"),
    Case("20 MB article", "huge.txt", ("Titre du très long article\n\n" + PARA * (20_000_000 // len(PARA))).encode(),
         "warning", "split it", text="Titre du très long article"),
    Case("40 folders deep", "level/" * 40 + "deep.md", None, "ok", text="Deep folder article", make=_deep),
    Case("folder link loop", "loop", None, "warning", "not followed",
         make=lambda c: (c / "loop").symlink_to(c, target_is_directory=True)),
    Case("file link loop", "self.txt", None, "error", "loops back", make=lambda c: (c / "self.txt").symlink_to("self.txt")),
    Case("link out of content", "passwd.txt", None, "error", "outside the content folder",
         make=lambda c: (c / "passwd.txt").symlink_to("/etc/passwd")),
    Case("unreadable (chmod 000)", "locked.md", None, "error", "permissions", make=_unreadable, root_ok=False),
    Case("malformed YAML", "malformed.md", b"---\ntitle: [unclosed\n---\nBody\n", "error", "not valid YAML"),
    Case("front matter never closed", "unclosed.md", b"---\ntitle: Open\n\nBody text here.\n", "error", "never closed"),
    Case("impossible date", "feb30.md", md("Leap", date="2024-02-30").encode(), "error", "cannot be read"),
    Case("wrong types", "wrong-types.md", md("[a, list]", "Tram line opens in Alden\n\nThe new tram line opened on "
         "Saturday in Alden with free rides for everyone.", date="yesterday-ish", lang=12, draft="maybe").encode(),
         "warning", "'title' must be text", text="Tram line opens in Alden"),
    Case("future date", "future.md", md("Moon base opens to visitors", lang="en", date="2999-01-01T00:00:00Z").encode(),
         "warning", "in the future", text="Moon base"),
    Case("year 9999", "far.md", md("Far future typo", lang="en", date="9999-12-31T23:00:00-12:00").encode(),
         "warning", "between the years", text="Far future typo"),
    Case("date in a path far ahead", "9999-12-31-path.md", md("Path dated far ahead", lang="en").encode(), "ok",
         text="Path dated far ahead"),
    Case("billion laughs", "laughs.md", ("---\n" + LAUGHS + "title: *g\ntags: *g\n---\nAliens land in the harbour\n\n"
         "A very strange story about the harbour and its visitors from far away.\n").encode(), "warning",
         "must be text", text="Aliens land"),
    Case("integer of 5000 digits", "bigint.md", ("---\ntitle: " + "1" * 5000 + "\n---\nBody\n").encode(), "error",
         "number too long"),
    Case("space in name", "with space.md", md("Name with a space", lang="en").encode(), "ok", text="Name with a space"),
    Case("accents in name", "accentué é.md", md("Accented file name", lang="en").encode(), "ok", text="Accented file"),
    Case("emoji in name", "emoji 📰.md", md("Emoji file name", lang="en").encode(), "ok", text="Emoji file name"),
    Case("arabic (RTL) name", "خبر عاجل.md", md("خبر عاجل عن الميناء", lang="ar").encode(), "ok", text="خبر عاجل"),
    Case("hebrew (RTL) name", "חדשות.md", md("Hebrew file name", lang="en").encode(), "ok", text="Hebrew file name"),
    Case("undecodable name", "caf\ufffd.txt", None, "error", "rename it", make=_undecodable_name),
    Case("line break in name", "two\\nlines.md", None, "error", "rename it",
         make=lambda c: (c / "two\nlines.md").write_text(GOOD, encoding="utf-8")),
]
ACTIONABLE = re.compile(r"\b(remove|fix|save|re-save|rename|check|split|add|move|write|copy|set|restore|simplify)\b")


def make_site(root: Path, cases: list[Case] = CASES) -> Path:
    content = root / "content"
    content.mkdir(parents=True)
    for case in cases:
        if case.make:
            case.make(content)
        else:
            path = content / case.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(case.data or b"")
    (root / "config.yaml").write_text("title: Bad input\nlanguages: [en, fr, de, ar]\ntimezone: Europe/Paris\n",
                                      encoding="utf-8")
    return root


def snapshot(folder: Path) -> dict[str, tuple[str, bytes | str]]:
    out: dict[str, tuple[str, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_file():
                os.chmod(p, 0o644) if not os.access(p, os.R_OK) else None
                out[rel] = ("file", p.read_bytes())
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder):
    root = make_site(tmp_path_factory.mktemp("bad"))
    content = root / "content"
    modes = {p: p.lstat().st_mode for p in content.rglob("*")}
    mp = pytest.MonkeyPatch()
    if ROOT:  # chmod 000 does not stop root: simulate the denial for that one file
        real_open = open

        def deny(file, *a, **k):
            if str(file).endswith("locked.md"):
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *a, **k)

        mp.setattr("builtins.open", deny)
    try:
        result = build_site(load_config(root), embedder=embedder)
    finally:
        mp.undo()
    assert {p: p.lstat().st_mode for p in content.rglob("*")} == modes  # not even a chmod
    return root, result


def _problems_by_path(result) -> dict[str, list]:
    found: dict[str, list] = {}
    for p in result.problems:
        found.setdefault(p.path.rstrip("/"), []).append(p)
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_file_gets_at_most_one_clear_message(built, case: Case) -> None:
    root, result = built
    messages = _problems_by_path(result).get(case.path, [])
    published = {a.path: a for a in result.site.articles}
    if case.expect == "ok":
        assert messages == [] and case.path in published
    else:
        assert len(messages) == 1, f"{case.path}: expected one message, got {[str(m) for m in messages]}"
        problem = messages[0]
        assert problem.level == case.expect and case.words in problem.message
        assert ACTIONABLE.search(problem.message), f"message does not say what to do: {problem}"
        if case.expect == "error":
            assert case.path not in published
    if case.text:
        article = published[case.path]
        assert case.text in article.title + "\n" + article.text


def test_no_problem_without_a_file_behind_it(built) -> None:
    _, result = built
    known = {c.path for c in CASES}
    assert set(_problems_by_path(result)) <= known


def test_published_pages_exist_and_json_is_valid(built) -> None:
    root, result = built
    out = root / "output"
    doc = json.loads((out / "api/stories.json").read_text(encoding="utf-8"))
    paths = {a["path"] for s in doc["stories"] for a in s["articles"]}
    assert paths == {a.path for a in result.site.articles}
    for s in doc["stories"]:
        for a in s["articles"]:
            page = out / a["url"].lstrip("/") / "index.html"
            assert page.is_file(), a["url"]
    huge = next(a for a in result.site.articles if a.path == "huge.txt")
    assert len(huge.text) < 1_100_000  # the 20 MB article was capped, not published whole


def test_content_is_never_modified(tmp_path: Path, embedder) -> None:
    cases = [c for c in CASES if c.name != "20 MB article"]
    root = make_site(tmp_path, cases)
    before = snapshot(root / "content")
    build_site(load_config(root), embedder=embedder)
    build_site(load_config(root), embedder=embedder)  # an incremental rebuild too
    assert snapshot(root / "content") == before
    assert not list((root / "content").rglob(".digest*")) and not list((root / "content").rglob("*.tmp"))


def test_duplicate_titles_and_slugs_all_get_their_own_page(tmp_path: Path, embedder) -> None:
    same = md("Harbour bridge reopens after repairs", lang="en", date="2024-06-01T09:00:00+02:00")
    root = make_site(tmp_path, [
        Case("a", "a.md", same.encode(), "ok"), Case("b", "b.md", same.encode(), "ok"),
        Case("c", "c.md", md("Other", lang="en", slug="harbour-bridge-reopens-after-repairs-2").encode(), "ok"),
        Case("d", "d.md", md("Third", lang="en", slug="harbour-bridge-reopens-after-repairs").encode(), "ok"),
    ])
    result = build_site(load_config(root), embedder=embedder)
    urls = [(a.lang, a.slug) for a in result.site.articles]
    assert len(set(urls)) == 4, urls
    for a in result.site.articles:
        page = root / "output/articles" / a.lang / a.slug / "index.html"
        assert a.title in page.read_text(encoding="utf-8")


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1717236000"}
    return subprocess.run([sys.executable, "-m", "digest.cli", "build", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=600)


def test_cli_reports_every_bad_file_without_a_traceback(tmp_path: Path) -> None:
    cases = [c for c in CASES if c.root_ok or not ROOT]
    root = make_site(tmp_path, cases)
    proc = _cli(root)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    for case in cases:
        if case.expect != "ok":
            assert case.path in proc.stderr, f"{case.path} not named in:\n{proc.stderr[-3000:]}"
    assert (root / "output/index.html").is_file()
    strict = _cli(root, "--strict")
    assert strict.returncode == 1 and "Traceback" not in strict.stderr


def test_cli_strict_is_quiet_on_a_clean_site(tmp_path: Path) -> None:
    root = make_site(tmp_path, [c for c in CASES if c.expect == "ok" and c.name != "40 folders deep"][:4])
    proc = _cli(root, "--strict")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]


def test_cli_strict_counts_read_warnings(tmp_path: Path) -> None:
    root = make_site(tmp_path, [CASES[0], next(c for c in CASES if c.name == "invalid utf-8 line")])
    assert _cli(root, "--strict").returncode == 1


def test_an_article_renamed_for_a_clash_is_the_article_with_that_slug() -> None:
    """Renaming keeps every other field and shares the packed body rather than packing it again."""
    from dataclasses import replace

    from sitekit import article

    a = article("x/a.md", "en", "Same headline", "Post", 30, paragraphs=("Body text. " * 40, "Second."),
                evidence=("date from path",))
    renamed = a.with_slug("same-headline-2")
    assert renamed == replace(a, slug="same-headline-2") and renamed.slug == "same-headline-2" and a.slug == "a"
    assert renamed.paragraphs == a.paragraphs and renamed.__dict__["_paragraphs_z"] is a.__dict__["_paragraphs_z"]

"""A build killed at any moment of its write leaves a complete, consistent site.

The writer (digest/write.py) stages every changed file, commits by replacing the manifest, then
renames the staged files into place and removes stale ones last. These tests kill a writing
process with SIGKILL at *every* file-system operation of a real site update (a hook counts the
operations the writer makes — open/write/rename/unlink/mkdir/rmdir — and kills the process at
the N-th one; a kill on a write first writes half of the bytes), then check what is served:

* every file is whole: the old or the new bytes, never a mix, never half a file;
* before the commit the served site is exactly the old one; after it, additions are in before any
  page changes and nothing is removed before every new file is in, so no link is ever broken;
* the user's own files are untouched, and content/ is never touched;
* the next build finishes the job: the output is then exactly the new site.

A second test does the same through the real CLI (``python -m digest.cli build``) with the hook
installed by a ``sitecustomize`` module, at a few kill points.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REPO
from digest.render import render_site
from digest.write import MANIFEST, STAGING, write_output
from sitekit import article, broken_links, config, sample_site


def broken(out: Path) -> list[str]:
    """Broken links of the served site (the staging folder is not served: it holds half-written pages)."""
    return [b for b in broken_links(out) if not b.startswith(STAGING + "/")]

# Installed in the killed process: count the writer's file-system operations, SIGKILL at the N-th.
HOOK = textwrap.dedent('''
    import os, signal, sys
    _KILL_AT = int(os.environ.get("DIGEST_KILL_AT", "0"))
    _COUNT_FILE = os.environ.get("DIGEST_COUNT_FILE")
    _count = [0]
    _WRITER = os.path.join("digest", "write.py")

    def _in_writer():
        f = sys._getframe(2)
        while f is not None:
            if f.f_code.co_filename.endswith(_WRITER):
                return True
            f = f.f_back
        return False

    def _wrap(name):
        real = getattr(os, name)
        def op(*args, **kwargs):
            if (_KILL_AT or _COUNT_FILE) and _in_writer():
                _count[0] += 1
                if _COUNT_FILE:
                    with open(_COUNT_FILE, "w") as fh:
                        fh.write(str(_count[0]))
                if _count[0] == _KILL_AT:
                    if name == "write":  # a torn write: half of the bytes reach the file
                        data = bytes(args[1])
                        real(args[0], data[: max(1, len(data) // 2)])
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        setattr(os, name, op)

    for _name in ("open", "write", "replace", "rename", "unlink", "remove", "rmdir", "mkdir"):
        _wrap(_name)
''')
USER_FILES = {"CNAME": b"news.example.org\n", ".well-known/security.txt": b"Contact: mailto:x@example.org\n"}


def site_versions(root: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Two renders of a real site: the second edits a headline, adds a story and drops another."""
    cfg = config(root)
    old_site = sample_site()
    old = render_site(old_site, cfg)
    museum, heat = old_site.stories[1], old_site.stories[0]
    edited = replace(museum.canonical, title="Museum painting stolen overnight")
    museum = replace(museum, canonical=edited, articles=(edited, *museum.articles[1:]))
    new_a = article("rail/en9.md", "en", "Night train returns", "Harbour Gazette", 31, 7)
    rail = replace(heat, id="rail0001", canonical=new_a, articles=(new_a,))
    new_site = replace(old_site, articles=(edited, *old_site.articles[1:4], new_a), stories=(rail, museum))
    new = render_site(new_site, cfg)
    assert set(old) - set(new) and set(new) - set(old) and any(old[p] != new[p] for p in set(old) & set(new))
    return old, new


def served(out: Path) -> dict[str, bytes]:
    files = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and not rel.startswith((STAGING + "/", MANIFEST)):
            files[rel] = p.read_bytes()
    return files


def pending(out: Path) -> bool:
    try:
        return "pending" in json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def check_consistent(out: Path, old: dict[str, bytes], new: dict[str, bytes], where: str) -> str:
    """The invariants of a killed write; returns which state it was left in."""
    files = served(out)
    for rel, data in USER_FILES.items():
        assert files.pop(rel) == data, f"{where}: the user's {rel} changed"
    for rel, data in files.items():
        assert data in (old.get(rel), new.get(rel)), f"{where}: {rel} is neither the old nor the new file"
    assert broken_served(out, old, new) == [], f"{where}: broken links {broken_served(out, old, new)[:3]}"
    if not pending(out):
        assert files in (old, new), f"{where}: no commit pending, yet the site is neither the old nor the new one"
        return "old" if files == old else "new"
    added, removed = set(new) - set(old), set(old) - set(new)
    changed = {p for p in set(old) & set(new) if old[p] != new[p]}
    if any(files.get(p) == new[p] for p in changed):
        assert added <= set(files), f"{where}: a page changed before the files it links to were added"
    if removed - set(files):
        assert all(files.get(p) == new[p] for p in new), f"{where}: a file was removed before the new site was complete"
    return "moving"


def broken_served(out: Path, old: dict[str, bytes], new: dict[str, bytes]) -> list[str]:
    """Broken links, except from stale pages (old, not new) once the new site is complete.

    Stale pages link to each other (a story page and its article pages); while they are removed one
    by one, the ones still there may point to ones already gone. Nothing of the new site links to
    them, and they only go once every new file is in place.
    """
    files = served(out)
    complete = all(files.get(p) == data for p, data in new.items())
    stale = set(old) - set(new)
    return [b for b in broken(out) if not (complete and b.split(":", 1)[0] in stale)]


def write_killed_at(n: int, out: Path, site_root: Path, files: dict[str, bytes]) -> int:
    """Fork a writer that SIGKILLs itself at its n-th file operation; return its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: no pytest, no cleanup, just the write
        try:
            os.environ["DIGEST_KILL_AT"] = str(n)
            os.environ.pop("DIGEST_COUNT_FILE", None)
            exec(HOOK, {"__name__": "hook"})
            write_output(out, files, site_root=site_root, content_dir=site_root / "content")
            os._exit(0)
        except BaseException:  # pragma: no cover - reported through the exit status
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return status


def count_operations(out: Path, site_root: Path, files: dict[str, bytes], tmp: Path) -> int:
    counter = tmp / "count"
    pid = os.fork()
    if pid == 0:
        try:
            os.environ["DIGEST_COUNT_FILE"] = str(counter)
            os.environ.pop("DIGEST_KILL_AT", None)
            exec(HOOK, {"__name__": "hook"})
            write_output(out, files, site_root=site_root, content_dir=site_root / "content")
            os._exit(0)
        except BaseException:  # pragma: no cover
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    return int(counter.read_text())


def fresh_output(root: Path, old: dict[str, bytes]) -> Path:
    import shutil

    out = root / "output"
    if out.exists():
        shutil.rmtree(out)
    write_output(out, old, site_root=root, content_dir=root / "content")
    for rel, data in USER_FILES.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync protects against power loss, not against a kill (the page cache survives the process): skip it
    to keep hundreds of kill-and-rebuild rounds fast."""
    import digest.write

    monkeypatch.setattr(digest.write, "FSYNC", False)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("lanes", [False, True], ids=["one process", "lane processes"])
def test_killed_at_every_operation_the_site_stays_whole(tmp_path: Path, no_fsync: None, lanes: bool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With lanes, the writer's helper processes (write_lane.py) stage from the 3rd file and make every move;
    the kill hits the writer's own process, and its lanes finish what they were sent."""
    if lanes:
        import digest.write

        monkeypatch.setattr(digest.write, "LANES_FROM", 2)
        monkeypatch.setattr(digest.write, "LANES", 2)
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "content" / "a.md").write_text("keep", encoding="utf-8")
    old, new = site_versions(root)
    out = fresh_output(root, old)
    total = count_operations(out, root, new, tmp_path)
    assert served(out) == {**new, **USER_FILES}
    states: dict[str, int] = {}
    for n in range(1, total + 1):
        out = fresh_output(root, old)
        unchanged = {p: (out / p).stat().st_ino for p in old if p in new and old[p] == new[p]}
        status = write_killed_at(n, out, root, new)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"kill point {n}: {status}"
        state = check_consistent(out, old, new, f"kill point {n}/{total}")
        states[state] = states.get(state, 0) + 1
        report = write_output(out, new, site_root=root, content_dir=root / "content")  # the next build
        assert served(out) == {**new, **USER_FILES}, f"kill point {n}: the next build did not finish the site"
        assert not (out / STAGING).exists() and not pending(out)
        assert report.recovered or state != "moving"  # a committed write is always finished by the next one
        assert all((out / p).stat().st_ino == ino for p, ino in unchanged.items()), "an unchanged file was rewritten"
    assert (root / "content" / "a.md").read_text(encoding="utf-8") == "keep"
    assert states.get("old") and states.get("moving"), states  # kills landed before and after the commit
    print(f"\n{total} kill points: {states}")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_killed_then_rebuilt_with_the_old_content_gives_the_old_site(tmp_path: Path, no_fsync: None) -> None:
    """A user who reverts the content after a killed build gets exactly the old site back."""
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    old, new = site_versions(root)
    out = fresh_output(root, old)
    total = count_operations(out, root, new, tmp_path)
    for n in (1, total // 3, total // 2, total - 2):
        out = fresh_output(root, old)
        write_killed_at(n, out, root, new)
        write_output(out, old, site_root=root, content_dir=root / "content")
        assert served(out) == {**old, **USER_FILES}, f"kill point {n}"


def _site_for_cli(root: Path, variant: int) -> None:
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for old in content.glob("*.md"):
        old.unlink()
    for i in range(6):
        title = f"Harbour story number {i} {'updated' if variant and i % 2 else ''}".strip()
        (content / f"s{i}.md").write_text(
            f"---\ntitle: {title}\nlang: en\ndate: 2024-06-0{1 + i % 3}T09:00:00+02:00\nsource: Outlet {i}\n---\n"
            f"The council said on Tuesday that story {i} was about the harbour.\n", encoding="utf-8")
    if variant:
        (content / "s5.md").unlink()
        (content / "new.md").write_text("---\ntitle: Night train returns\nlang: en\ndate: 2024-06-03T07:00:00+02:00\n"
                                        "---\nThe night train returned.\n", encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cli_build_killed_mid_write_then_rebuilt(tmp_path: Path) -> None:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    root = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook_dir), str(REPO)]), "SOURCE_DATE_EPOCH": "1717236000"}

    def build(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "digest.cli", "build", str(root), "-q"], capture_output=True,
                              text=True, env={**env, **extra}, timeout=600)

    _site_for_cli(root, 1)  # the "new" site, built once to know its files and count the writer's operations
    assert build().returncode == 0
    new = served(root / "output")
    import shutil

    shutil.rmtree(root / "output")
    _site_for_cli(root, 0)
    assert build().returncode == 0
    old = served(root / "output")
    snapshot_old = dict(old)
    _site_for_cli(root, 1)
    shutil.copytree(root / "output", tmp_path / "old-output")
    assert build(DIGEST_COUNT_FILE=str(tmp_path / "count")).returncode == 0
    total = int((tmp_path / "count").read_text())
    assert served(root / "output") == new
    for n in sorted({2, total // 4, total // 2, (3 * total) // 4, total - 1}):
        shutil.rmtree(root / "output")
        shutil.copytree(tmp_path / "old-output", root / "output")
        proc = build(DIGEST_KILL_AT=str(n))
        assert proc.returncode == -signal.SIGKILL, (n, proc.returncode, proc.stderr[-500:])
        check_consistent_cli(root / "output", snapshot_old, new, f"CLI kill point {n}/{total}")
        again = build()
        assert again.returncode == 0 and "Traceback" not in again.stderr
        assert served(root / "output") == new, f"CLI kill point {n}: the next build did not finish the site"


def check_consistent_cli(out: Path, old: dict[str, bytes], new: dict[str, bytes], where: str) -> None:
    files = served(out)
    for rel, data in files.items():
        assert data in (old.get(rel), new.get(rel)), f"{where}: {rel} is neither old nor new"
    assert broken_served(out, old, new) == [], where
    if not pending(out):
        assert files in (old, new), where

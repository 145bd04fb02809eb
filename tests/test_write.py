"""The writer: only changed files rewritten, stale files of ours removed, nothing else ever touched."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from digest.errors import BuildError
from digest.write import MANIFEST, STAGING, OutputWriter, recover_output, write_output


def run(tmp_path: Path, files: dict[str, bytes]):
    return write_output(tmp_path / "site" / "output", files, site_root=tmp_path / "site",
                        content_dir=tmp_path / "site" / "content")


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_changed_only_and_stale_cleanup(tmp_path: Path) -> None:
    first = run(tmp_path, {"index.html": b"a", "old/index.html": b"b"})
    assert sorted(first.written) == ["index.html", "old/index.html"]
    out = tmp_path / "site" / "output"
    (out / "CNAME").write_text("example.org")  # a user's file: never ours to delete
    before = (out / "index.html").stat()
    second = run(tmp_path, {"index.html": b"a", "new.html": b"c"})
    assert second.written == ("new.html",) and second.unchanged == 1 and second.removed == ("old/index.html",)
    after = (out / "index.html").stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert not (out / "old").exists() and (out / "CNAME").read_text() == "example.org"
    assert not (out / STAGING).exists()
    assert set(tree(out)) == {"index.html", "new.html", "CNAME", MANIFEST}


def test_manifest_records_what_was_written(tmp_path: Path) -> None:
    run(tmp_path, {"a.html": b"a"})
    doc = json.loads((tmp_path / "site/output" / MANIFEST).read_text())
    assert doc["version"] == 2 and doc["files"] == {
        "a.html": "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"} and "pending" not in doc


def test_a_second_identical_build_touches_nothing(tmp_path: Path) -> None:
    run(tmp_path, {"a.html": b"a", "b/c.html": b"c"})
    out = tmp_path / "site/output"
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    report = run(tmp_path, {"a.html": b"a", "b/c.html": b"c"})
    assert report.written == () and report.unchanged == 2
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps


def test_a_users_file_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "site/output"
    out.mkdir(parents=True)
    (out / "index.html").write_text("my own page")
    (out / "robots.txt").write_text("User-agent: *\n")  # identical to what we produce: adopted
    with pytest.raises(BuildError, match="did not write.*index.html.*nothing was changed"):
        run(tmp_path, {"index.html": b"ours", "robots.txt": b"User-agent: *\n", "new.html": b"n"})
    assert tree(out) == {"index.html": b"my own page", "robots.txt": b"User-agent: *\n"}


def test_stale_file_edited_by_hand_is_kept(tmp_path: Path) -> None:
    run(tmp_path, {"a.html": b"a", "notes.html": b"generated"})
    out = tmp_path / "site/output"
    (out / "notes.html").write_text("edited by hand")
    report = run(tmp_path, {"a.html": b"a"})
    assert report.removed == () and report.kept == ("notes.html",)
    assert (out / "notes.html").read_text() == "edited by hand"
    assert "notes.html" not in json.loads((out / MANIFEST).read_text())["files"]  # now the user's file


def test_a_manifest_listing_foreign_paths_removes_nothing_outside(tmp_path: Path) -> None:
    out = tmp_path / "site/output"
    out.mkdir(parents=True)
    (tmp_path / "site/keep.txt").write_text("keep")
    (out / MANIFEST).write_text(json.dumps({"files": ["../keep.txt", "/etc/hostname", ".digest-staging/x"]}))
    run(tmp_path, {"a.html": b"a"})
    assert (tmp_path / "site/keep.txt").read_text() == "keep"


def test_symlinked_folder_inside_output_is_not_written_through(tmp_path: Path) -> None:
    out = tmp_path / "site/output"
    out.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "articles").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(BuildError, match="link that leads outside"):
        run(tmp_path, {"articles/en/x/index.html": b"x"})
    assert list(elsewhere.iterdir()) == []


def test_folder_where_a_file_goes_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "site/output"
    (out / "robots.txt").mkdir(parents=True)
    with pytest.raises(BuildError, match="a folder where the build writes a file"):
        run(tmp_path, {"robots.txt": b"x", "index.html": b"i"})
    assert not (out / "index.html").exists()


@pytest.mark.parametrize("name", ["../escape.html", "/etc/passwd", "a/../../b", "a\\..\\b", "", ".", "a//b",
                                  ".digest-manifest.json", ".digest-staging/x.html", "a/./b", "nul\x00.html"])
def test_paths_never_escape_the_output(tmp_path: Path, name: str) -> None:
    with pytest.raises(BuildError):
        run(tmp_path, {name: b"x"})
    assert not (tmp_path / "escape.html").exists() and not (tmp_path / "site" / "output").exists()


@pytest.mark.parametrize("target", ["site", "site/content", "site/content/sub", "/", "home", "home-parent",
                                    "/etc", "/usr", "site-parent", "site/themes", "site/templates/x", "file"])
def test_dangerous_output_folders_are_refused(tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "content" / "a.txt").write_text("keep me")
    (tmp_path / "file").write_text("a file")
    monkeypatch.setenv("HOME", str(tmp_path / "users" / "me"))
    out = {"home": tmp_path / "users" / "me", "home-parent": tmp_path / "users", "site-parent": tmp_path}.get(
        target, Path(target) if target.startswith("/") else tmp_path / target)
    with pytest.raises(BuildError, match="refusing|is a file"):
        write_output(out, {"index.html": b"x"}, site_root=site, content_dir=site / "content")
    assert (site / "content" / "a.txt").read_text() == "keep me" and (tmp_path / "file").read_text() == "a file"
    assert not (tmp_path / "index.html").exists()


def test_recovery_rolls_a_committed_write_forward(tmp_path: Path) -> None:
    run(tmp_path, {"a.html": b"old a", "gone.html": b"g"})
    out = tmp_path / "site/output"
    # what a write killed right after its commit leaves: staged files and a pending manifest. The staged files
    # here are laid out flat (the i-th move is staging/{i:06d}), as the versions before staging/{i % 4}/ left
    # them: an upgrade finishes such a write too (today's layout is killed and finished in test_interrupt.py)
    (out / STAGING).mkdir(parents=True)
    (out / STAGING / "000000").write_bytes(b"c")
    (out / STAGING / "000001").write_bytes(b"new a")
    import hashlib

    sha = {k: hashlib.sha256(v).hexdigest() for k, v in {"a.html": b"new a", "b/c.html": b"c", "gone.html": b"g"}.items()}
    (out / MANIFEST).write_text(json.dumps({"version": 2, "files": {"a.html": sha["a.html"], "b/c.html": sha["b/c.html"]},
                                            "pending": {"moves": ["b/c.html", "a.html"],
                                                        "removals": {"gone.html": sha["gone.html"]}}}))
    assert recover_output(out) is True
    assert tree(out) == {"a.html": b"new a", "b/c.html": b"c", MANIFEST: (out / MANIFEST).read_bytes()}
    assert "pending" not in json.loads((out / MANIFEST).read_text())
    assert recover_output(out) is False


def test_recovery_discards_an_uncommitted_staging_folder(tmp_path: Path) -> None:
    run(tmp_path, {"a.html": b"a"})
    out = tmp_path / "site/output"
    (out / STAGING).mkdir()
    (out / STAGING / "a.html").write_bytes(b"half")
    report = run(tmp_path, {"a.html": b"a"})
    assert report.recovered and report.written == () and tree(out)["a.html"] == b"a" and not (out / STAGING).exists()


def test_failure_while_staging_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path, {"a.html": b"a", "b.html": b"b"})
    out = tmp_path / "site/output"
    before = tree(out)
    import digest.write as w

    real = w._write_file
    calls = []

    def disk_full(path, data, **_):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(w, "_write_file", disk_full)
    with pytest.raises(BuildError, match="No space left.*build again"):
        run(tmp_path, {"a.html": b"A", "b.html": b"B", "c.html": b"C"})
    assert tree(out) == before and not (out / STAGING).exists()


def test_files_are_staged_as_they_come_and_an_error_before_the_commit_changes_nothing(tmp_path: Path) -> None:
    """The incremental build feeds the writer page by page while rendering: nothing is served until the
    commit, and a failure half-way (a template error on the 3rd page) leaves the site as it was."""
    run(tmp_path, {"a.html": b"a", "b.html": b"b"})
    out = tmp_path / "site/output"
    before = tree(out)
    site = tmp_path / "site"
    with pytest.raises(RuntimeError, match="template error"):
        with OutputWriter(out, site_root=site, content_dir=site / "content") as writer:
            writer.add("a.html", b"A")
            writer.add("new/index.html", b"N")
            staged = [p for p in (out / STAGING).rglob("*") if p.is_file()]
            assert len(staged) == 2  # on disk, not held in memory
            assert tree(out) == {**before, **{p.relative_to(out).as_posix(): p.read_bytes() for p in staged}}
            raise RuntimeError("template error")
    assert tree(out) == before and not (out / STAGING).exists()
    with OutputWriter(out, site_root=site, content_dir=site / "content") as writer:  # the lock was released
        writer.add("a.html", b"A")
        writer.keep("b.html", hashlib.sha256(b"b").hexdigest(), lambda: b"b")
        report = writer.commit()
    assert report.written == ("a.html",) and report.unchanged == 1
    after = tree(out)
    assert after.pop(MANIFEST) != before.pop(MANIFEST) and after == {**before, "a.html": b"A"}



def test_version_1_manifest_is_understood(tmp_path: Path) -> None:
    out = tmp_path / "site/output"
    out.mkdir(parents=True)
    (out / "old.html").write_text("o")
    (out / MANIFEST).write_text(json.dumps({"files": ["old.html"]}))
    report = run(tmp_path, {"new.html": b"n"})
    assert report.removed == ("old.html",) and set(tree(out)) == {"new.html", MANIFEST}


def test_files_are_world_readable(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        run(tmp_path, {"a/b.html": b"x"})
    finally:
        os.umask(old)
    assert (tmp_path / "site/output/a/b.html").stat().st_mode & 0o777 == 0o644


def test_files_the_caller_vouches_for_are_neither_read_nor_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    import digest.write as w

    files = {"a.html": b"<p>a</p>", "b.html": b"<p>b</p>"}
    run(tmp_path, files)
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    read: list[str] = []
    real_sha = w._file_sha
    monkeypatch.setattr(w, "_file_sha", lambda path: read.append(os.path.basename(path)) or real_sha(path))
    new = {"a.html": b"<p>a</p>", "b.html": b"<p>b, changed</p>"}
    report = write_output(tmp_path / "site" / "output", new, site_root=tmp_path / "site",
                          content_dir=tmp_path / "site" / "content",
                          hashes={**hashes, "b.html": hashlib.sha256(new["b.html"]).hexdigest()},
                          unchanged={"a.html"})
    assert report.written == ("b.html",) and report.unchanged == 1
    assert "a.html" not in read  # trusted: same bytes as the manifest says we wrote


def test_a_vouched_file_the_manifest_disagrees_with_is_checked(tmp_path: Path) -> None:
    import hashlib

    run(tmp_path, {"a.html": b"<p>a</p>"})
    new = {"a.html": b"<p>new a</p>"}  # the caller is wrong: these are not the bytes we wrote last time
    report = write_output(tmp_path / "site" / "output", new, site_root=tmp_path / "site",
                          content_dir=tmp_path / "site" / "content",
                          hashes={"a.html": hashlib.sha256(new["a.html"]).hexdigest()}, unchanged={"a.html"})
    assert report.written == ("a.html",)
    assert (tmp_path / "site" / "output" / "a.html").read_bytes() == b"<p>new a</p>"


@pytest.fixture
def lanes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Big writes go through lane processes (digest/write_lane.py); here two lanes take over from the third
    staged file. Gives the kinds of request sent to them (W: stage a file, M: move one into place)."""
    import digest.write as w

    monkeypatch.setattr(w, "LANES_FROM", 2)
    monkeypatch.setattr(w, "LANES", 2)
    sent: list[bytes] = []
    real = w._Lanes.send

    def send(self, lane: int, op: bytes, a: str, b: bytes) -> None:
        sent.append(op)
        real(self, lane, op, a, b)

    monkeypatch.setattr(w._Lanes, "send", send)
    return sent


def pages(n: int, tag: str) -> dict[str, bytes]:
    files = {f"{lang}/articles/page-{i}/index.html": f"{tag} {lang} {i}".encode() for lang in ("en", "fr", "de")
             for i in range(n)}
    return {**files, "index.html": tag.encode(), "api/stories.json": b"[]"}


def test_a_big_write_through_lane_processes_gives_the_same_site(tmp_path: Path, lanes: list[bytes],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import digest.write as w

    first = pages(12, "one")
    second = {k: v for k, v in first.items() if "page-11/" not in k}  # stale: removed
    second.update({k: v + b" edited" for k, v in first.items() if "page-3/" in k})  # changed
    second.update({f"es/articles/page-{i}/index.html": b"es %d" % i for i in range(5)})  # new, in a new folder
    reports = [run(tmp_path, first), run(tmp_path, second)]
    out = tmp_path / "site" / "output"
    assert b"W" in lanes and b"M" in lanes  # the lanes staged and moved files
    assert reports[1].written == tuple(sorted(k for k in second if first.get(k) != second[k]))
    assert reports[1].removed == tuple(sorted(k for k in first if "page-11/" in k))
    assert all((out / k).stat().st_mode & 0o777 == 0o644 for k in second) and not (out / STAGING).exists()
    monkeypatch.setattr(w, "LANES", 1)  # the same writes from this process alone
    plain = tmp_path / "plain"
    for files in (first, second):
        write_output(plain / "output", files, site_root=plain, content_dir=plain / "content")
    assert tree(out) == tree(plain / "output") and tree(out).pop(MANIFEST)


def test_a_lane_that_fails_stops_the_write_with_its_reason_and_changes_nothing(tmp_path: Path, lanes: list[bytes]
                                                                              ) -> None:
    import shutil

    run(tmp_path, {"index.html": b"old"})
    out = tmp_path / "site" / "output"
    site = tmp_path / "site"
    before = tree(out)
    with pytest.raises(BuildError, match=r"No such file or directory: .*\.digest-staging/1/000005\).*build again"):
        with OutputWriter(out, site_root=site, content_dir=site / "content") as writer:
            for i in range(4):
                writer.add(f"p{i}/index.html", b"page %d" % i)
            shutil.rmtree(out / STAGING / "1")  # the folder one lane stages into is gone
            for i in range(4, 8):
                writer.add(f"p{i}/index.html", b"page %d" % i)
            writer.commit()
    assert tree(out) == before and not (out / STAGING).exists()
    assert run(tmp_path, {"index.html": b"new"}).written == ("index.html",)  # the lock was released


def test_a_lane_that_dies_stops_the_write_and_changes_nothing(tmp_path: Path, lanes: list[bytes]) -> None:
    import signal

    run(tmp_path, {"index.html": b"old"})
    out = tmp_path / "site" / "output"
    site = tmp_path / "site"
    before = tree(out)
    with pytest.raises(BuildError, match="a process writing the output stopped.*build again"):
        with OutputWriter(out, site_root=site, content_dir=site / "content") as writer:
            for i in range(4):
                writer.add(f"p{i}/index.html", b"page %d" % i)
            lane = writer._lanes._procs[1]  # type: ignore[union-attr]
            os.kill(lane.pid, signal.SIGKILL)
            lane.wait()
            for i in range(4, 8):
                writer.add(f"p{i}/index.html", b"page %d" % i)
            writer.commit()
    assert tree(out) == before and not (out / STAGING).exists()



@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_ctrl_c_in_a_terminal_stops_the_build_not_its_lanes(tmp_path: Path, lanes: list[bytes]) -> None:
    """Ctrl-C interrupts the terminal's foreground process group. The lanes are in a group of their own: the
    build's process decides (it stops and the next build finishes or discards the write), and a lane is never
    cut off mid-request by the key (it ends when the build's process closes its input)."""
    out = tmp_path / "site" / "output"
    site = tmp_path / "site"
    out.mkdir(parents=True)
    files = {f"p{i}/index.html": b"page %d" % i for i in range(8)}
    with OutputWriter(out, site_root=site, content_dir=site / "content") as writer:
        for name, data in files.items():
            writer.add(name, data)
        procs = writer._lanes._procs  # type: ignore[union-attr]
        assert procs and all(os.getpgid(p.pid) not in (os.getpgrp(), os.getpid()) for p in procs)
        report = writer.commit()
    assert len(report.written) == 8 and {k: v for k, v in tree(out).items() if k != MANIFEST} == files

"""The only module that writes into output/: safe target checks, staged changed-only writes, stale cleanup.

How a write survives being killed at any moment (the manifest is the commit record):

1. **Recover.** A previous write that was killed is finished first: if its manifest says a commit
   is pending, the pending moves and removals are completed (roll forward); a staging folder
   without a pending commit is the leftover of a write killed before its commit and is deleted.
2. **Plan.** Compare every produced file with what is on disk: unchanged files are not touched;
   a path we never produced that already holds other bytes is a user's file, and the write stops
   before changing anything. Stale files (produced last time, not now) are removed only while
   they still hold the bytes we wrote (a file edited by hand since is kept).
3. **Stage.** New and changed files are written into ``output/.digest-staging/`` and flushed to disk.
   Killed here: nothing served has changed; the next write deletes the staging folder.
4. **Commit.** The manifest (every produced file with its SHA-256, plus the pending moves and
   removals) replaces the old one atomically. This is the point of no return.
5. **Apply.** Each staged file is renamed into place (atomic per file): new paths first, then
   changed ones; stale files are removed last. Killed here: every file is whole (old or new
   bytes, never a mix), every link of an old page still resolves (nothing is removed before all
   new files are in), and the next write rolls forward to exactly the new set.
6. **Finish.** The manifest is rewritten without the pending part; the staging folder goes.

A lock on the output folder keeps two builds (``digest build`` while ``digest serve`` rebuilds) from
interleaving. Nothing outside ``output/`` is written, and only files listed in our manifest are
ever removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from .errors import BuildError

log = logging.getLogger(__name__)

MANIFEST = ".digest-manifest.json"
STAGING = ".digest-staging"
_RESERVED = (MANIFEST, STAGING, MANIFEST + ".tmp")
FSYNC = True  # staged files and the manifest reach the disk before the commit (power loss, not just kill)
SYNC_EACH_UP_TO = 256  # staged files fsync'ed one by one up to this many; more: one os.sync()
_SYSTEM_FOLDERS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/opt", "/proc", "/run", "/sbin", "/srv",
                   "/sys", "/tmp", "/usr", "/var", "/System", "/Library", "/Applications", "/Users", "/home")


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    kept: tuple[str, ...] = ()  # stale files edited by hand since we wrote them: left in place
    recovered: bool = False  # an interrupted earlier write was completed or discarded first


# -- where we may write ---------------------------------------------------------------------------


def check_output_dir(out: Path, site_root: Path, content_dir: Path) -> Path:
    """Refuse an output folder that would overwrite the site, its content or theme, a home folder, / or a system folder."""
    target = out.resolve()
    site = site_root.resolve()
    home = Path.home().resolve()

    def refuse(what: str) -> BuildError:
        return BuildError(f"refusing to write the site into {what} ({target}): choose an output folder such as output/")

    if target.exists() and not target.is_dir():
        raise BuildError(f"the output {target} is a file, not a folder: remove it or choose another output folder")
    if target == Path(target.anchor):
        raise refuse("the file system root")
    if target == home or target in home.parents:
        raise refuse("your home folder" if target == home else "a folder that holds home folders")
    if str(target) in _SYSTEM_FOLDERS:
        raise refuse("a system folder")
    if target == site or target in site.parents:
        raise refuse("the site folder itself" if target == site else "a folder that holds the site")
    content = content_dir.resolve()
    if target == content or content in target.parents or target in content.parents:
        raise BuildError(f"refusing to use {target} as output: it overlaps the content folder {content}")
    for name in ("themes", "templates"):
        own = site / name
        if target == own or own in target.parents:
            raise BuildError(f"refusing to use {target} as output: it is inside the site's {name}/ folder")
    return target


@lru_cache(maxsize=1 << 18)  # a long-lived builder (the dev server) checks the same names on every build
def safe_relpath(name: str) -> PurePosixPath:
    """A produced path must stay inside output/: relative, no '..', no empty parts, not one of our own files."""
    rel = PurePosixPath(name)
    if (rel.is_absolute() or not rel.parts or any(p in ("..", ".", "") for p in rel.parts) or "\\" in name
            or "\x00" in name or rel.parts[0] in _RESERVED or name != rel.as_posix()):
        raise BuildError(f"internal error: refusing to write outside the output folder: {name!r}")
    return rel


class _Folders:
    """Checks of the folders on the way to output files, each folder looked at once per write."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._seen: dict[Path, str | None] = {target: None}

    def problem(self, folder: Path) -> str | None:
        """None if ``folder`` is (or can be made) a real folder inside the output; else what is in the way.

        Raises BuildError for a linked folder that leads outside the output (never written through).
        """
        if folder in self._seen:
            return self._seen[folder]
        found = self.problem(folder.parent) if folder.parent != folder else "outside"
        if found is None:
            try:
                st = os.lstat(folder)
            except FileNotFoundError:
                st = None
            if st is not None and stat.S_ISLNK(st.st_mode):
                real = folder.resolve()
                if real != self.target and self.target not in real.parents:
                    raise BuildError(f"refusing to write into {folder}: it is a link that leads outside {self.target}")
                found = None if real.is_dir() else f"{folder.relative_to(self.target).as_posix()} (a link where the build needs a folder)"
            elif st is not None and not stat.S_ISDIR(st.st_mode):
                found = f"{folder.relative_to(self.target).as_posix()} (a file where the build needs a folder)"
        self._seen[folder] = found
        return found


# -- the manifest (the commit record) ---------------------------------------------------------------


@dataclass
class _Manifest:
    files: dict[str, str | None]  # produced path → SHA-256 of the bytes written (None: not recorded)
    moves: list[str]  # pending: staged files still to rename into place
    removals: dict[str, str | None]  # pending: stale files to remove (if they still hold these bytes)

    @property
    def pending(self) -> bool:
        return bool(self.moves or self.removals)


def _read_manifest(target: Path) -> _Manifest | None:
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    files = data.get("files", [])
    if isinstance(files, list):  # version 1: a list of paths
        files = {str(p): None for p in files}
    if not isinstance(files, dict):
        return None
    pending = data.get("pending") if isinstance(data.get("pending"), dict) else {}
    return _Manifest(
        {str(k): (v if isinstance(v, str) else None) for k, v in files.items()},
        [str(p) for p in pending.get("moves", []) if isinstance(p, str)],
        {str(k): (v if isinstance(v, str) else None) for k, v in dict(pending.get("removals", {})).items()},
    )


def _write_manifest(target: Path, manifest: _Manifest) -> None:
    doc: dict[str, object] = {"version": 2, "files": dict(sorted(manifest.files.items()))}
    if manifest.pending:
        doc["pending"] = {"moves": manifest.moves, "removals": manifest.removals}
    tmp = target / (MANIFEST + ".tmp")
    _write_file(tmp, json.dumps(doc, indent=0, ensure_ascii=False).encode("utf-8"))
    os.replace(tmp, target / MANIFEST)
    _fsync_dir(target)


# -- file primitives --------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return _sha(path.read_bytes())
    except OSError:
        return None


def _write_file(path: Path, data: bytes, *, flush: bool = True) -> None:
    """Create ``path`` (replacing it) with ``data``, flushed to disk unless ``flush`` is False."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        os.fchmod(fd, 0o644)  # readable by the web server whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if FSYNC and flush:
            os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if not FSYNC or not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_tree(folder: Path) -> None:
    """Delete our staging folder (links inside are removed, never followed)."""
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """One writer at a time per output folder (a build and a dev-server rebuild may overlap)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    fd = os.open(target, os.O_RDONLY)  # the folder itself: no lock file left behind
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another build writing into %s", target)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# -- recovery, planning, staging, applying ---------------------------------------------------------


def _apply(target: Path, manifest: _Manifest) -> tuple[list[str], list[str], list[str]]:
    """Rename staged files into place, then remove stale files. Idempotent: safe to repeat after a kill.

    Returns (moved, removed, kept).
    """
    staging = target / STAGING
    folders = _Folders(target)
    moved: list[str] = []
    made: set[Path] = set()
    for i, name in enumerate(manifest.moves):
        rel = safe_relpath(name)
        src, dst = staging / _staged_name(i), target.joinpath(*rel.parts)
        if not src.is_file() or src.is_symlink():
            continue  # already moved by the interrupted write
        in_the_way = folders.problem(dst.parent)
        if in_the_way:
            raise BuildError(f"cannot write {name}: {in_the_way}")
        if dst.parent not in made:
            dst.parent.mkdir(parents=True, exist_ok=True)
            made.add(dst.parent)
        os.replace(src, dst)
        moved.append(name)
    removed: list[str] = []
    kept: list[str] = []
    for name, sha in sorted(manifest.removals.items()):
        rel = safe_relpath(name)
        path = target.joinpath(*rel.parts)
        if not (path.is_file() or path.is_symlink()) or folders.problem(path.parent):
            continue
        if sha is not None and not path.is_symlink() and _file_sha(path) != sha:
            kept.append(name)
            continue
        path.unlink()
        removed.append(name)
        _prune_empty_dirs(path.parent, target)
    return moved, removed, kept


def _finish(target: Path, manifest: _Manifest) -> None:
    _write_manifest(target, _Manifest(manifest.files, [], {}))
    _remove_tree(target / STAGING)


def recover_output(out: Path) -> bool:
    """Complete (roll forward) or discard a write into ``out`` that was killed. True if there was one."""
    target = out.resolve()
    if not target.is_dir():
        return False
    with _locked(target):
        return _recover(target)


def _recover(target: Path) -> bool:
    found = False
    (target / (MANIFEST + ".tmp")).unlink(missing_ok=True)
    manifest = _read_manifest(target)
    if manifest is not None and manifest.pending:
        log.warning("%s: the previous build was interrupted after its commit; finishing it", target)
        _apply(target, manifest)
        _finish(target, manifest)
        found = True
    staging = target / STAGING
    if staging.is_symlink() or (staging.is_dir() and any(staging.iterdir())):
        log.warning("%s: the previous build was interrupted before its commit; its staged files are discarded", target)
        found = True
    _remove_tree(staging)  # (an empty one: killed while finishing, after its work was done)
    return found


@dataclass
class _Plan:
    new: list[str]
    changed: list[str]
    unchanged: int
    stale: dict[str, str | None]
    kept: list[str]


def _plan(target: Path, files: Mapping[str, bytes], rels: Mapping[str, PurePosixPath],
          previous: Mapping[str, str | None], hashes: Mapping[str, str], trusted: Collection[str] = ()) -> _Plan:
    plan = _Plan([], [], 0, {}, [])
    folders = _Folders(target)
    conflicts: list[str] = []
    for name in sorted(files):
        if name in trusted:  # the caller checked it this build: our bytes, at the size and time we left them
            plan.unchanged += 1
            continue
        path = target.joinpath(*rels[name].parts)
        in_the_way = folders.problem(path.parent)
        if in_the_way:
            conflicts.append(in_the_way)
            continue
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            plan.new.append(name)
            continue
        if stat.S_ISDIR(st.st_mode):
            conflicts.append(f"{name} (a folder where the build writes a file)")
        elif stat.S_ISREG(st.st_mode) and st.st_size == len(files[name]) and _file_sha(path) == hashes[name]:
            plan.unchanged += 1
        elif name in previous:
            plan.changed.append(name)
        else:
            conflicts.append(name)
    if conflicts:
        conflicts = list(dict.fromkeys(conflicts))
        shown = ", ".join(conflicts[:5]) + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
        raise BuildError(f"{target} holds files this builder did not write ({shown}); nothing was changed: "
                         "move them out of the output folder (or delete them), or choose another output folder")
    for name in sorted(set(previous) - set(files)):
        try:
            path = target.joinpath(*safe_relpath(name).parts)
        except BuildError:
            continue
        if not (path.is_file() or path.is_symlink()) or folders.problem(path.parent):
            continue
        if previous[name] is not None and not path.is_symlink() and _file_sha(path) != previous[name]:
            plan.kept.append(name)
            log.warning("%s/%s is no longer produced but was edited since the build wrote it: kept", target, name)
            continue
        plan.stale[name] = previous[name]
    return plan


def _staged_name(i: int) -> str:
    """Staged files are flat (no folders to make and remove): the i-th pending move is ``staging/{i}``."""
    return f"{i:06d}"


def _stage(target: Path, names: Iterable[str], files: Mapping[str, bytes]) -> None:
    staging = target / STAGING
    staging.mkdir()
    names = list(names)
    # Thousands of fsync calls took a third of a 10,000-page write: a big write is flushed by one sync.
    # A small one (a save in the dev server) fsyncs its own files: a sync also waits for every other
    # program's unwritten data, seconds on a busy machine.
    each = len(names) <= SYNC_EACH_UP_TO
    for i, name in enumerate(names):
        _write_file(staging / _staged_name(i), files[name], flush=each)
    if FSYNC and not each:
        os.sync()
    _fsync_dir(staging)


def write_output(out: Path, files: Mapping[str, bytes], *, site_root: Path, content_dir: Path,
                 hashes: Mapping[str, str] | None = None, unchanged: Collection[str] = ()) -> WriteReport:
    """Write ``files`` (output-relative path → bytes) into ``out``, killed-at-any-moment safe.

    Only files whose bytes changed are rewritten; files this builder produced last time and no
    longer produces are removed; files it never produced are never overwritten or removed.
    ``hashes`` (SHA-256 of each file's bytes) and ``unchanged`` (files the caller knows are, byte
    for byte, what this builder wrote there last time: same size and modification time) spare
    reading and hashing the files of a big site on every build.
    """
    target = check_output_dir(out, site_root, content_dir)
    rels = {name: safe_relpath(name) for name in files}
    try:
        target.mkdir(parents=True, exist_ok=True)
        with _locked(target):
            return _write_locked(target, files, rels, hashes, frozenset(unchanged))
    except OSError as exc:
        raise BuildError(f"cannot write the site into {target} ({exc.strerror or exc}"
                         f"{': ' + str(exc.filename) if exc.filename else ''}); the previous site is intact or "
                         "will be completed by the next build: fix the cause and build again") from exc


def _write_locked(target: Path, files: Mapping[str, bytes], rels: Mapping[str, PurePosixPath],
                  known: Mapping[str, str] | None, unchanged: frozenset[str]) -> WriteReport:
    recovered = _recover(target)
    old = _read_manifest(target)
    previous = old.files if old is not None else {}
    hashes = {name: known[name] if known is not None and name in known else _sha(files[name]) for name in files}
    # a file the caller vouches for counts only if the manifest says we wrote exactly those bytes there
    trusted = set() if recovered else {name for name in unchanged if previous.get(name) == hashes[name]}
    plan = _plan(target, files, rels, previous, hashes, trusted)
    if not plan.new and not plan.changed and not plan.stale and old is not None and previous == hashes:
        log.info("output: %d unchanged", plan.unchanged)
        return WriteReport((), (), plan.unchanged, tuple(plan.kept), recovered)
    moves = plan.new + plan.changed  # new paths first: nothing served links to them yet
    try:
        _stage(target, moves, files)
    except BaseException:
        _remove_tree(target / STAGING)
        raise
    manifest = _Manifest(dict(hashes), moves, dict(plan.stale))
    _write_manifest(target, manifest)  # the commit
    moved, removed, kept = _apply(target, manifest)
    _finish(target, manifest)
    log.info("output: %d written, %d unchanged, %d removed", len(moved), plan.unchanged, len(removed))
    return WriteReport(tuple(sorted(moved)), tuple(removed), plan.unchanged, tuple(plan.kept + kept), recovered)

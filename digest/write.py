"""The only module that writes into output/: safe target checks, staged changed-only writes, stale cleanup.

How a write survives being killed at any moment (the manifest is the commit record):

1. **Recover.** A previous write that was killed is finished first: if its manifest says a commit
   is pending, the pending moves and removals are completed (roll forward); a staging folder
   without a pending commit is the leftover of a write killed before its commit and is deleted.
2. **Plan.** Compare every produced file with what is on disk: unchanged files are not touched;
   a path we never produced that already holds other bytes is a user's file, and the write stops
   before changing anything. Stale files (produced last time, not now) are removed only while
   they still hold the bytes we wrote (a file edited by hand since is kept).
3. **Stage.** New and changed files are written into ``output/.digest-staging/`` as they come (the
   incremental build feeds :class:`OutputWriter` page by page while it renders, so a site's bytes are
   never all in memory), then flushed to disk. Killed here (or a failure while rendering): nothing
   served has changed; the staging folder is deleted. In a big write (past ``LANES_FROM`` files), two
   helper processes (:mod:`digest.write_lane`) create the staged files and, at step 5, make the folders
   and rename: creating files is kernel work, and they do it on both cores while the build goes on.
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
import contextlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from . import write_lane
from .errors import BuildError

log = logging.getLogger(__name__)

MANIFEST = ".digest-manifest.json"
STAGING = ".digest-staging"
_OWN_PREFIX = ".digest-"  # the writer's own files at the top of output/ (manifest, staging…): never a page
FSYNC = True  # staged files and the manifest reach the disk before the commit (power loss, not just kill)
SYNC_EACH_UP_TO = 256  # staged files fsync'ed one by one up to this many; more: one os.sync()
# a write stages this many files itself; past that, lane processes (write_lane.py) take over. On this machine's
# ext4 each file created just after a deletion cost ~0.7 ms of kernel time (py-spy, a warm 10,000-page build)
LANES_FROM = 256
LANES = min(2, os.cpu_count() or 1)  # lane processes for a big write (1: none)
STAGING_FOLDERS = 4  # staging/{i % 4}/: each lane creates its files in folders of its own
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
            or "\x00" in name or rel.parts[0].startswith(_OWN_PREFIX) or name != rel.as_posix()):
        raise BuildError(f"internal error: refusing to write outside the output folder: {name!r}")
    return rel


class _Folders:
    """Checks of the folders on the way to output files, each folder looked at once per write.

    Folders are path strings (``os.path.dirname`` of ``os.path.join(root, name)`` for a checked name): a write
    looks at every page's folder, and pathlib's objects were half of the writer's own time."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.root = str(target)
        self._seen: dict[str, str | None] = {self.root: None}
        self.missing: set[str] = set()  # folders looked at that are not there (yet)

    def problem(self, folder: str) -> str | None:
        """None if ``folder`` is (or can be made) a real folder inside the output; else what is in the way.

        Raises BuildError for a linked folder that leads outside the output (never written through).
        """
        if folder in self._seen:
            return self._seen[folder]
        parent = os.path.dirname(folder)
        found = self.problem(parent) if parent != folder else "outside"
        if found is None and parent in self.missing:
            self.missing.add(folder)  # inside a folder that is not there: not looked for
        elif found is None:
            try:
                st = os.lstat(folder)
            except FileNotFoundError:
                st = None
                self.missing.add(folder)
            if st is not None and stat.S_ISLNK(st.st_mode):
                real = Path(folder).resolve()
                if real != self.target and self.target not in real.parents:
                    raise BuildError(f"refusing to write into {folder}: it is a link that leads outside {self.target}")
                found = None if real.is_dir() else f"{self._relative(folder)} (a link where the build needs a folder)"
            elif st is not None and not stat.S_ISDIR(st.st_mode):
                found = f"{self._relative(folder)} (a file where the build needs a folder)"
        self._seen[folder] = found
        return found

    def _relative(self, folder: str) -> str:
        return Path(folder).relative_to(self.target).as_posix()


def _inside(root: str, name: str) -> str:
    """The path of output file ``name`` (checked by :func:`safe_relpath`) under the output folder ``root``."""
    safe_relpath(name)
    return os.path.join(root, name)


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
    _write_file(tmp, json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    os.replace(tmp, target / MANIFEST)
    _fsync_dir(target)


# -- file primitives --------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: str | Path) -> str | None:
    """SHA-256 of a regular file's bytes; None for a link, a folder, or a file that cannot be read."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, "rb") as f:
            return _sha(f.read())
    except OSError:
        return None


def _umask_hides_bits() -> bool:
    """Whether the umask takes read or owner-write bits away from 644 (e.g. 077): files then need a chmod."""
    mask = os.umask(0o022)
    os.umask(mask)
    return bool(mask & 0o644)


def _write_file(path: str | Path, data: bytes, *, flush: bool = True, chmod: bool = True) -> None:
    """Create ``path`` (replacing it) with ``data``, flushed to disk unless ``flush`` is False; made 644
    whatever the umask unless ``chmod`` is False (the caller knows the umask leaves 644 as it is)."""
    write_lane.create_file(os.fspath(path), data, chmod=chmod, fsync=FSYNC and flush)


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
def _locked(target: Path) -> Iterator[int | None]:
    """One writer at a time per output folder (a build and a dev-server rebuild may overlap). Gives the locked
    descriptor: a process that inherits it holds the lock too, until it ends."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield None
        return
    fd = os.open(target, os.O_RDONLY)  # the folder itself: no lock file left behind
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another build writing into %s", target)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


# -- recovery, planning, staging, applying ---------------------------------------------------------


def _apply(target: Path, manifest: _Manifest, new: Collection[str] | None = None, lanes: _Lanes | None = None
           ) -> tuple[list[str], list[str], list[str]]:
    """Rename staged files into place, then remove stale files. Idempotent: safe to repeat after a kill.
    ``new``: the moves whose path output/ does not have (the writer knows; else each path is looked at).
    ``lanes``: the write's lane processes, which then make the folders and rename (every staged file is there).

    Returns (moved, removed, kept).
    """
    root = str(target)
    staging = os.path.join(root, STAGING)
    folders = _Folders(target)
    moved: list[str] = []
    made: set[str] = set()
    moves = [(i, name, _inside(root, name)) for i, name in enumerate(manifest.moves)]
    # new paths first (nothing served links to them yet), then the changed ones: a kill in between leaves
    # every link of the old pages working; after a kill the repeat goes on in the same order
    if new is None:
        steps = ([m for m in moves if not os.path.lexists(m[2])], [m for m in moves if os.path.lexists(m[2])])
    else:
        steps = ([m for m in moves if m[1] in new], [m for m in moves if m[1] not in new])
    for step in steps:
        for i, name, dst in step:
            # (with lanes every staged file is there; else a repeat after a kill looks: some were moved)
            src = os.path.join(staging, _staged_name(i)) if lanes is not None else _still_staged(staging, i)
            if src is None:
                continue  # already moved by the interrupted write
            folder = os.path.dirname(dst)
            in_the_way = folders.problem(folder)
            if in_the_way:
                raise BuildError(f"cannot write {name}: {in_the_way}")
            if lanes is not None:
                lanes.send(lanes.of_folder(os.path.dirname(folder)), b"M", src, os.fsencode(dst))
            else:
                if folder not in made:
                    write_lane.make_folder(folder)
                    made.add(folder)
                os.replace(src, dst)
            moved.append(name)
        if lanes is not None:
            lanes.wait()  # every new path is in place before a changed one is replaced
    removed: list[str] = []
    kept: list[str] = []
    for name, sha in sorted(manifest.removals.items()):
        rel = safe_relpath(name)
        path = target.joinpath(*rel.parts)
        if not (path.is_file() or path.is_symlink()) or folders.problem(str(path.parent)):
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


def _staged_name(i: int) -> str:
    """The i-th pending move is staged as ``staging/{i % 4}/{i:06d}``: four folders made with the staging folder,
    each written by one process at most (see :class:`_Lanes`)."""
    return f"{i % STAGING_FOLDERS}/{i:06d}"


def _still_staged(staging: str, i: int) -> str | None:
    """The staged file of the i-th pending move if it is still there (a regular file), else None. An output
    left by a version that staged flat (``staging/{i:06d}``) is finished too."""
    for src in (os.path.join(staging, _staged_name(i)), os.path.join(staging, f"{i:06d}")):
        try:
            if stat.S_ISREG(os.lstat(src).st_mode):
                return src
        except FileNotFoundError:
            pass
    return None


_OWN_GROUP: dict[str, int] = {"process_group": 0} if os.name == "posix" else {}  # Ctrl-C stops the build, not its lanes


class _Lanes:
    """The lane processes of one big write (see :mod:`digest.write_lane`): requests go out as they come,
    :meth:`wait` returns when all are done. Staged file i goes to lane ``(i % 4) % lanes`` (its staging folder
    is that lane's alone); a move goes to the lane of the folder its page's folder is made in, so two lanes
    seldom make entries in the same folder (the kernel locks a folder while an entry is made in it)."""

    def __init__(self, count: int, chmod: bool, lock_fd: int | None) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        args = [sys.executable, "-I", "-S", write_lane.__file__, "1" if chmod else "0"]
        try:
            for _ in range(count):
                self._procs.append(subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                    pass_fds=() if lock_fd is None else (lock_fd,), **_OWN_GROUP))
        except BaseException:
            self.close()
            raise

    def of_staged(self, i: int) -> int:
        return (i % STAGING_FOLDERS) % len(self._procs)

    def of_folder(self, folder: str) -> int:
        return zlib.crc32(os.fsencode(folder)) % len(self._procs)

    def send(self, lane: int, op: bytes, a: str, b: bytes) -> None:
        stream = self._procs[lane].stdin
        assert stream is not None
        a_bytes = os.fsencode(a)
        try:
            stream.write(write_lane.HEADER.pack(op, len(a_bytes), len(b)) + a_bytes)
            stream.write(b)
        except BrokenPipeError:
            self.wait()  # the lane stopped (it ends at its first failure): its answer, or its absence, says why
            raise

    def wait(self) -> None:
        """Once every request sent is done; the first failure a lane met raises (as the OSError it was)."""
        answers = []
        for proc in self._procs:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(write_lane.HEADER.pack(b"B", 0, 0))
                proc.stdin.flush()
            except BrokenPipeError:
                pass
        for proc in self._procs:
            assert proc.stdout is not None
            answers.append(proc.stdout.readline())
        for answer in answers:
            if answer == b"ok\n":
                continue
            if answer.startswith(b"error\t"):
                fields = answer[6:].decode("utf-8", "surrogateescape").rstrip("\n").split("\t")
                code, message, filename = (fields + ["", ""])[:3]
                raise OSError(int(code) if code.isdigit() else 0, message, filename or None)
            raise OSError(0, "a process writing the output stopped")

    def close(self) -> None:
        """End the lanes once they have done what was sent (a kill of the build ends them the same way)."""
        for proc in self._procs:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
        for proc in self._procs:
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._procs = []


def _write_error(target: Path, exc: OSError) -> BuildError:
    return BuildError(f"cannot write the site into {target} ({exc.strerror or exc}"
                      f"{': ' + str(exc.filename) if exc.filename else ''}); the previous site is intact or "
                      "will be completed by the next build: fix the cause and build again")


class OutputWriter:
    """One write into output/, fed file by file: each new or changed file is staged as it comes, so the
    bytes of a whole site never need to be in memory at once; :meth:`commit` then does steps 4-6.

        with OutputWriter(out, site_root=root, content_dir=content) as w:
            for name, data in pages:
                w.add(name, data)
            report = w.commit()

    Leaving the ``with`` block without a commit (an error while rendering) discards what was staged:
    nothing served has changed. The output folder is locked from entering the block to leaving it.
    """

    def __init__(self, out: Path, *, site_root: Path, content_dir: Path) -> None:
        self.target = check_output_dir(out, site_root, content_dir)
        self.hashes: dict[str, str] = {}  # every file of this build → SHA-256 of its bytes
        self._moves: list[str] = []  # staged, in staging order (new and changed files)
        self._new: set[str] = set()  # ... of which these are not in output/ yet
        self._chmod = _umask_hides_bits()
        self._unchanged = 0
        self._conflicts: list[str] = []
        self._lock: contextlib.AbstractContextManager[int | None] | None = None
        self._lock_fd: int | None = None
        self._lanes: _Lanes | None = None
        self._lanes_tried = False
        self.recovered = False
        self._previous: dict[str, str | None] = {}
        self._had_manifest = False
        self._folders = _Folders(self.target)
        self._staging = os.path.join(self._folders.root, STAGING)
        self._committed = False  # once the manifest is committed, the staged files are the next build's to finish

    def __enter__(self) -> OutputWriter:
        try:
            self.target.mkdir(parents=True, exist_ok=True)
            self._lock = _locked(self.target)
            self._lock_fd = self._lock.__enter__()
            self.recovered = _recover(self.target)
            old = _read_manifest(self.target)
            self._had_manifest = old is not None
            self._previous = old.files if old is not None else {}
            (self.target / STAGING).mkdir()
            for k in range(STAGING_FOLDERS):
                os.mkdir(os.path.join(self._staging, str(k)))
        except OSError as exc:
            self._release()
            raise _write_error(self.target, exc) from exc
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._end_lanes()
            if not self._committed:
                _remove_tree(self.target / STAGING)
        finally:
            self._release()

    def _end_lanes(self) -> None:
        if self._lanes is not None:
            lanes, self._lanes = self._lanes, None
            lanes.close()

    def _lanes_to_use(self) -> _Lanes | None:
        """The lane processes, started at the first file past LANES_FROM; None if there are none (one core, or
        they could not start: the write goes on in this process)."""
        if not self._lanes_tried:
            self._lanes_tried = True
            # (an embedded Python may not know its executable; a zipped install has no lane program to run)
            if LANES > 1 and sys.executable and os.path.isfile(write_lane.__file__):
                try:
                    self._lanes = _Lanes(LANES, self._chmod, self._lock_fd)
                except OSError as exc:
                    log.debug("output: no lane processes (%s); writing from this process", exc)
        return self._lanes

    def _release(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.__exit__(None, None, None)

    def add(self, name: str, data: bytes, sha: str | None = None) -> str:
        """A file of this build: staged if new or changed, nothing written if output/ already holds these bytes.

        Returns the SHA-256 of ``data`` (``sha`` when the caller already knows it)."""
        path = _inside(self._folders.root, name)
        if name in self.hashes:
            raise BuildError(f"internal error: {name} produced twice")
        self.hashes[name] = sha = sha or _sha(data)
        folder = os.path.dirname(path)
        in_the_way = self._folders.problem(folder)
        if in_the_way:
            self._conflicts.append(in_the_way)
            return sha
        try:
            st = None
            if folder not in self._folders.missing:  # (in a folder that is not there, no file is either)
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    pass
            if st is not None and stat.S_ISDIR(st.st_mode):
                self._conflicts.append(f"{name} (a folder where the build writes a file)")
            elif st is not None and stat.S_ISREG(st.st_mode) and st.st_size == len(data) and _file_sha(path) == sha:
                self._unchanged += 1
            elif st is not None and name not in self._previous:
                self._conflicts.append(name)
            elif not self._conflicts:  # (after a conflict nothing will be written: stop staging)
                i = len(self._moves)
                staged = os.path.join(self._staging, _staged_name(i))
                lanes = self._lanes_to_use() if i >= LANES_FROM else None
                if lanes is not None:
                    lanes.send(lanes.of_staged(i), b"W", staged, data)
                else:
                    _write_file(staged, data, flush=False, chmod=self._chmod)
                self._moves.append(name)
                if st is None:
                    self._new.add(name)
        except OSError as exc:
            raise _write_error(self.target, exc) from exc
        return sha

    def keep(self, name: str, sha: str, data: Callable[[], bytes]) -> None:
        """A file the caller believes is in output/ with these bytes (``sha``), as this builder wrote it last time
        (same size and time): neither read nor hashed if the manifest agrees; else the file is read and
        hashed, and only if it differs are its bytes asked for (``data()``, a render) and added."""
        path = _inside(self._folders.root, name)
        if name not in self.hashes:
            vouched = not self.recovered and self._previous.get(name) == sha
            if not vouched:
                vouched = not self._folders.problem(os.path.dirname(path)) and _file_sha(path) == sha
            if vouched:
                self.hashes[name] = sha
                self._unchanged += 1
                return
        self.add(name, data(), sha)

    def commit(self) -> WriteReport:
        """Flush the staged files, commit the manifest, move them into place, remove stale files."""
        target = self.target
        if self._conflicts:
            conflicts = sorted(dict.fromkeys(self._conflicts))
            shown = ", ".join(conflicts[:5]) + (f" and {len(conflicts) - 5} more" if len(conflicts) > 5 else "")
            raise BuildError(f"{target} holds files this builder did not write ({shown}); nothing was changed: "
                             "move them out of the output folder (or delete them), or choose another output folder")
        try:
            stale, kept = self._stale()
            if not self._moves and not stale and self._had_manifest and self._previous == self.hashes:
                log.info("output: %d unchanged", self._unchanged)
                return WriteReport((), (), self._unchanged, tuple(kept), self.recovered)
            self._flush()
            manifest = _Manifest(dict(self.hashes), self._moves, stale)
            _write_manifest(target, manifest)  # the commit
            self._committed = True
            moved, removed, also_kept = _apply(target, manifest, self._new, self._lanes)
            self._end_lanes()
            _finish(target, manifest)
        except OSError as exc:
            raise _write_error(target, exc) from exc
        log.info("output: %d written, %d unchanged, %d removed", len(moved), self._unchanged, len(removed))
        return WriteReport(tuple(sorted(moved)), tuple(removed), self._unchanged, tuple(kept + also_kept),
                           self.recovered)

    def _stale(self) -> tuple[dict[str, str | None], list[str]]:
        """Files produced last time and not now: to remove while they hold our bytes, else kept (edited by hand)."""
        stale: dict[str, str | None] = {}
        kept: list[str] = []
        for name in sorted(set(self._previous) - set(self.hashes)):
            try:
                path = self.target.joinpath(*safe_relpath(name).parts)
            except BuildError:
                continue
            if not (path.is_file() or path.is_symlink()) or self._folders.problem(str(path.parent)):
                continue
            if self._previous[name] is not None and not path.is_symlink() and _file_sha(path) != self._previous[name]:
                kept.append(name)
                log.warning("%s/%s is no longer produced but was edited since the build wrote it: kept", self.target, name)
                continue
            stale[name] = self._previous[name]
        return stale, kept

    def _flush(self) -> None:
        """The staged files reach the disk before the commit. Thousands of fsync calls took a third of a
        10,000-page write: a big write is flushed by one sync. A small one (a save in the dev server)
        fsyncs its own files: a sync also waits for every other program's unwritten data."""
        staging = self.target / STAGING
        if self._lanes is not None:
            self._lanes.wait()
        if FSYNC and len(self._moves) <= SYNC_EACH_UP_TO:
            for i in range(len(self._moves)):
                fd = os.open(staging / _staged_name(i), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        elif FSYNC:
            os.sync()
        _fsync_dir(staging)
        for k in range(min(STAGING_FOLDERS, len(self._moves))):  # the folders files were staged in
            _fsync_dir(staging / str(k))


def write_output(out: Path, files: Mapping[str, bytes], *, site_root: Path, content_dir: Path,
                 hashes: Mapping[str, str] | None = None, unchanged: Collection[str] = ()) -> WriteReport:
    """Write ``files`` (output-relative path → bytes) into ``out``, killed-at-any-moment safe.

    Only files whose bytes changed are rewritten; files this builder produced last time and no
    longer produces are removed; files it never produced are never overwritten or removed.
    ``hashes`` (SHA-256 of each file's bytes) and ``unchanged`` (files the caller knows are, byte
    for byte, what this builder wrote there last time: same size and modification time) spare
    reading and hashing the files of a big site on every build.
    """
    for name in files:
        safe_relpath(name)  # every path checked before the output folder is even made
    with OutputWriter(out, site_root=site_root, content_dir=content_dir) as writer:
        for name in sorted(files):
            sha = hashes.get(name) if hashes is not None else None
            if sha is not None and name in unchanged:
                writer.keep(name, sha, lambda name=name: files[name])
            else:
                writer.add(name, files[name], sha)
        return writer.commit()

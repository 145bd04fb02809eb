"""The only module that writes into output/: safe target checks, atomic changed-only writes, stale cleanup."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Mapping

from .errors import BuildError

log = logging.getLogger(__name__)

MANIFEST = ".digest-manifest.json"


@dataclass(frozen=True)
class WriteReport:
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int


def check_output_dir(out: Path, site_root: Path, content_dir: Path) -> Path:
    """Refuse an output folder that would overwrite the site, its content, the home folder or /."""
    target = out.resolve()
    forbidden = {
        Path("/").resolve(): "the file system root",
        Path.home().resolve(): "your home folder",
        site_root.resolve(): "the site folder itself",
    }
    if target in forbidden:
        raise BuildError(f"refusing to write the site into {forbidden[target]} ({target}): choose an output folder such as output/")
    content = content_dir.resolve()
    if target == content or content in target.parents or target in content.parents:
        raise BuildError(f"refusing to use {target} as output: it overlaps the content folder {content}")
    return target


def safe_relpath(name: str) -> PurePosixPath:
    """A produced path must stay inside output/: relative, no '..', no empty parts."""
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("..", ".", "") for p in rel.parts) or "\\" in name:
        raise BuildError(f"internal error: refusing to write outside the output folder: {name!r}")
    return rel


def _read_manifest(out: Path) -> set[str]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {str(p) for p in data.get("files", [])}
    except (OSError, ValueError, AttributeError):
        return set()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(out: Path, files: Mapping[str, bytes], *, site_root: Path, content_dir: Path) -> WriteReport:
    """Write ``files`` (output-relative path → bytes) into ``out``.

    Only files whose bytes changed are rewritten; files this builder produced last time and no
    longer produces are removed; files it never produced are left alone.
    """
    target = check_output_dir(out, site_root, content_dir)
    rels = {name: safe_relpath(name) for name in files}
    previous = _read_manifest(target)
    written: list[str] = []
    unchanged = 0
    for name in sorted(files):
        path = target.joinpath(*rels[name].parts)
        data = files[name]
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_size == len(data) and path.read_bytes() == data:
                unchanged += 1
                continue
        except OSError:
            pass
        if path.is_symlink():
            path.unlink()
        _atomic_write(path, data)
        written.append(name)
    removed: list[str] = []
    for name in sorted(previous - set(files)):
        try:
            path = target.joinpath(*safe_relpath(name).parts)
        except BuildError:
            continue
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(name)
            _prune_empty_dirs(path.parent, target)
    manifest = json.dumps({"files": sorted(files)}, indent=0).encode("utf-8")
    _atomic_write(target / MANIFEST, manifest)
    log.info("output: %d written, %d unchanged, %d removed", len(written), unchanged, len(removed))
    return WriteReport(tuple(written), tuple(removed), unchanged)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent

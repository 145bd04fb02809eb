"""A lane of :class:`digest.write.OutputWriter`: a helper process that creates staged files and moves them into place.

Run by the writer as ``python -I -S write_lane.py CHMOD`` (standard library only, so it starts in milliseconds and
needs no import path). Creating thousands of files is kernel work (inodes, folder entries) that one process does
one file at a time; two lanes, each with its own staging folder and its own output folders, do it on two cores
while the build's process goes on rendering or reading cached pages.

It reads requests from stdin, each a header (``struct`` ``>cII``: operation, length of A, length of B), A, then B:

- ``W``: create file A (replacing it, links not followed) with the bytes B, mode 644;
- ``M``: make the folder of B (and its parents) if missing, then rename file A to B;
- ``B``: a barrier: answer once every earlier request is done.

It answers a barrier, and the end of its input, with the line ``ok``. A failure is answered at once with the line
``error`` and the failure (errno, message, file name) separated by tabs, and the lane ends: the writer's next
request to it fails, and the writer reads why. The writer decides every
path (checked there) and the order; a lane only carries out. It holds the writer's lock on the output folder
(the descriptor is inherited), so a build that starts after a killed one waits for its lanes to finish. It runs in
a process group of its own: Ctrl-C in a terminal stops the build's process, and its lanes finish what they were
sent (as when the build is killed).
"""

from __future__ import annotations

import os
import struct
import sys

HEADER = struct.Struct(">cII")


def make_folder(folder: str) -> None:
    """``Path(folder).mkdir(parents=True, exist_ok=True)``, on a path string."""
    try:
        os.mkdir(folder)
    except FileNotFoundError:
        parent = os.path.dirname(folder)
        if parent == folder:
            raise
        make_folder(parent)
        make_folder(folder)
    except OSError:
        if not os.path.isdir(folder):
            raise


def create_file(path: str, data: bytes, *, chmod: bool, fsync: bool = False) -> None:
    """Create ``path`` (replacing it, a link not followed) with ``data``; made 644 whatever the umask if ``chmod``;
    flushed to disk if ``fsync``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        if chmod:
            os.fchmod(fd, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _read(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if len(data) == size else None


def serve(requests, answers, chmod: bool) -> None:
    made: set[str] = set()

    def answer(failure: OSError | None = None) -> None:
        if failure is None:
            line = b"ok\n"
        else:
            fields = (str(failure.errno or 0), failure.strerror or str(failure), str(failure.filename or ""))
            line = ("error\t" + "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields) + "\n").encode(
                "utf-8", "surrogateescape")
        try:
            answers.write(line)
            answers.flush()
        except BrokenPipeError:  # the writer is gone (killed): nobody to tell
            pass

    while True:
        header = _read(requests, HEADER.size)
        if header is None:
            break
        op, size_a, size_b = HEADER.unpack(header)
        a, b = _read(requests, size_a), _read(requests, size_b)
        if a is None or b is None:
            break
        if op == b"B":
            answer()
            continue
        try:
            if op == b"W":
                create_file(os.fsdecode(a), b, chmod=chmod)
            elif op == b"M":
                dst = os.fsdecode(b)
                folder = os.path.dirname(dst)
                if folder not in made:
                    make_folder(folder)
                    made.add(folder)
                os.replace(os.fsdecode(a), dst)
            else:
                raise OSError(0, f"unknown request {op!r}")
        except OSError as exc:
            answer(exc)
            return
    answer()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer, sys.argv[1:] == ["1"])

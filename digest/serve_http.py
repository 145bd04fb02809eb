"""HTTP side of the dev server: map a request path to a file inside output/ (and nothing outside it), serve it.

``resolve_request`` is a pure function of (output folder, base path, request path) so the safety
rules are tested as data: ``..`` (plain, percent-encoded or double-encoded), backslashes, NUL
bytes and symlinks that lead outside the output folder are all refused.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import mimetypes
import queue
import socket
import sys
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote

from .livereload import EVENTS_PATH, HEARTBEAT_SECONDS, EventHub, inject, reload_snippet

log = logging.getLogger(__name__)

PORT_TRIES = 20  # a busy port: try the next ones up to this many
LISTEN_BACKLOG = 128  # connections the kernel queues while the accept loop is busy (socketserver's default is 5)


@dataclass(frozen=True)
class Resolved:
    """What to answer: a file to send (status 200), a redirect, or an error status."""

    status: int
    file: Path | None = None
    location: str | None = None
    reason: str = ""


def _bad(reason: str) -> Resolved:
    return Resolved(HTTPStatus.BAD_REQUEST, reason=reason)


def _unsafe_segment(seg: str) -> str | None:
    if seg in (".", ".."):
        return "'.' or '..' in the path"
    if "\\" in seg or "\x00" in seg:
        return "backslash or NUL byte in the path"
    if ":" in seg and len(seg) >= 2 and seg[1] == ":":
        return "drive letter in the path"
    # a second decoding must not reveal a separator or a dot segment (double encoding: %252e%252e)
    twice = unquote(seg)
    if twice != seg and (twice in (".", "..") or any(c in twice for c in "/\\\x00")):
        return "double-encoded path separator or '..'"
    return None


def resolve_request(root: Path, prefix: str, raw_path: str) -> Resolved:
    """Map the path of a request line (``/news/en/?q=1``) to a file below ``root``.

    ``prefix`` is the site's base path ("/" or "/news/"). Directory URLs serve their index.html;
    a directory URL without its trailing slash redirects to it (so relative links work).
    """
    path = raw_path.split("#", 1)[0].split("?", 1)[0]
    if not path.startswith("/"):
        return _bad("the request path must start with /")
    try:
        decoded = unquote(path, errors="strict") if "%" in path else path
    except UnicodeDecodeError:  # overlong or broken UTF-8 (%C0%AE is an old trick for '.')
        return _bad("the path is not valid UTF-8 once decoded")
    if "\x00" in decoded or "\\" in decoded:
        return _bad("backslash or NUL byte in the path")
    if prefix != "/":
        if decoded + "/" == prefix or decoded == "/":
            return Resolved(HTTPStatus.FOUND, location=prefix)
        if not decoded.startswith(prefix):
            return Resolved(HTTPStatus.NOT_FOUND, reason=f"outside the site's base path {prefix}")
        decoded = "/" + decoded[len(prefix):]
    segments = decoded.split("/")[1:]
    for seg in segments:
        why = _unsafe_segment(seg)
        if why:
            return _bad(why)
    parts = [s for s in segments if s]
    base = root.resolve()
    target = base.joinpath(*parts)
    try:
        real = target.resolve()
    except (OSError, RuntimeError):  # symlink loops
        return Resolved(HTTPStatus.NOT_FOUND, reason="cannot be resolved")
    if real != base and base not in real.parents:
        return Resolved(HTTPStatus.FORBIDDEN, reason="leads outside the output folder")
    if real.is_dir():
        if not path.endswith("/"):
            return Resolved(HTTPStatus.MOVED_PERMANENTLY, location=quote(prefix + "/".join(parts), safe="/") + "/")
        real = real / "index.html"
        try:
            index_real = real.resolve()
        except (OSError, RuntimeError):
            return Resolved(HTTPStatus.NOT_FOUND, reason="cannot be resolved")
        if base not in index_real.parents:
            return Resolved(HTTPStatus.FORBIDDEN, reason="leads outside the output folder")
        real = index_real
    if not real.is_file():
        return Resolved(HTTPStatus.NOT_FOUND, reason="no such file")
    return Resolved(HTTPStatus.OK, file=real)


def content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "application/javascript", "application/xml"):
        kind += "; charset=utf-8"
    return kind


_NO_SITE = b"""<!doctype html><html><head><meta charset="utf-8"><title>No site yet</title></head>
<body><p>The site has not been built yet.</p></body></html>"""


class DevHTTPServer(ThreadingHTTPServer):
    """Serves one output folder; ``root``/``prefix`` may change between builds (config edits)."""

    daemon_threads = True
    allow_reuse_address = True
    # With the default backlog of 5, a burst of page loads (a page, its stylesheet, the event stream, other
    # tabs reloading after a rebuild) overflows the queue and the kernel drops connections: the client only
    # retries after 1 s, 3 s, 7 s … — seconds of latency or a timeout. A load test saw exactly that.
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], hub: EventHub, root: Path, prefix: str, *, live_reload: bool = True) -> None:
        self.hub = hub
        self.root = root
        self.prefix = prefix
        self.live_reload = live_reload
        self.heartbeat = HEARTBEAT_SECONDS
        super().__init__(address, DevRequestHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away mid-answer (closed tab, timed-out request) is not an error worth a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            log.debug("%s went away: %s", client_address, exc)
            return
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class _DevHTTPServer6(DevHTTPServer):
    address_family = socket.AF_INET6


class DevRequestHandler(BaseHTTPRequestHandler):
    server: DevHTTPServer
    server_version = "digest-serve"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        log.debug("%s %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == EVENTS_PATH and self.server.live_reload:
            self._events()
            return
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        srv = self.server
        res = resolve_request(srv.root, srv.prefix, self.path)
        if res.location:
            self._send(res.status, b"", "text/plain; charset=utf-8", head, location=res.location)
            return
        if res.status == HTTPStatus.OK and res.file is not None:
            try:
                self._send(HTTPStatus.OK, res.file.read_bytes(), content_type(res.file), head)
                return
            except OSError:  # replaced or removed by a rebuild between resolve and read
                res = Resolved(HTTPStatus.NOT_FOUND, reason="no such file")
        if res.status == HTTPStatus.NOT_FOUND:
            body = self._not_found_page()
            if body is None and not (srv.root / "index.html").is_file():
                body = _NO_SITE
            if body is not None:
                self._send(HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", head)
                return
        log.info("%s %s: %d (%s)", self.command, self.path, res.status, res.reason)
        message = f"{int(res.status)} {HTTPStatus(res.status).phrase}: {res.reason}\n".encode("utf-8")
        self._send(res.status, message, "text/plain; charset=utf-8", head)

    def _not_found_page(self) -> bytes | None:
        """The edition's own 404 page (``/fr/…`` → ``fr/404.html``) when there is one, else ``404.html``."""
        srv = self.server
        path = self.path.split("?", 1)[0]
        rest = path[len(srv.prefix):] if path.startswith(srv.prefix) else ""
        first = rest.split("/", 1)[0] if "/" in rest else ""
        candidates = [f"{first}/404.html"] if first and _unsafe_segment(first) is None and "%" not in first else []
        for rel in candidates + ["404.html"]:
            res = resolve_request(srv.root, "/", "/" + rel)
            if res.file is not None:
                try:
                    return res.file.read_bytes()
                except OSError:
                    continue
        return None

    def _send(self, status: int, body: bytes, kind: str, head: bool, *, location: str | None = None) -> None:
        if kind.startswith("text/html") and self.server.live_reload:
            body = inject(body, reload_snippet(self.server.hub.state))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        hub = self.server.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        q = hub.connect()
        try:
            while True:
                try:
                    message = q.get(timeout=self.server.heartbeat)
                except queue.Empty:
                    message = ": ping\n\n"  # detects closed tabs, keeps proxies from timing out
                if message is None:
                    break
                self.wfile.write(message.encode("utf-8"))
                self.wfile.flush()
        except OSError:  # the page went away
            pass
        finally:
            hub.disconnect(q)
            self.close_connection = True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_server(host: str, port: int, make: Callable[[tuple[str, int], type[DevHTTPServer]], DevHTTPServer],
                *, tries: int = PORT_TRIES) -> DevHTTPServer:
    """Bind ``host:port``; when the port is busy, try the next ones and say which was taken."""
    cls = _DevHTTPServer6 if ":" in host else DevHTTPServer
    last: OSError | None = None
    for candidate in range(port, port + (tries if port else 1)):
        try:
            server = make((host, candidate), cls)
        except OSError as exc:
            if exc.errno == errno.EACCES:
                raise OSError(exc.errno, f"not allowed to listen on port {candidate} (ports below 1024 need "
                              "administrator rights): choose another with --port") from exc
            if exc.errno != errno.EADDRINUSE:
                raise
            last = exc
            continue
        if candidate != port and port:
            log.warning("port %d is in use: serving on port %d instead", port, candidate)
        return server
    raise OSError(errno.EADDRINUSE, f"ports {port}–{port + tries - 1} on {host} are all in use ({last}): "
                  "stop the other server or choose a port with --port")

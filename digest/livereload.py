"""Live reload for the dev server: the build state, Server-Sent Events to open pages, and the injected script.

Nothing here touches ``output/``: the reload script and the error overlay are added to HTML
responses by the server at serve time only (``inject``), never written into built files.
"""

from __future__ import annotations

import html
import json
import queue
import re
import threading
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import ConfigError, ContentError, DigestError, ThemeError

EVENTS_PATH = "/__digest__/events"
OVERLAY_ID = "__digest-overlay"
HEARTBEAT_SECONDS = 15.0

_LINE_COLUMN = re.compile(r"\bline (\d+)(?:, column (\d+))?")


@dataclass(frozen=True)
class ErrorInfo:
    """A failed build as the browser overlay shows it: which file, where, and what went wrong."""

    kind: str  # "config", "theme", "content", "build" or "internal"
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return self.file + "".join(f":{n}" for n in (self.line, self.column) if n)

    def __str__(self) -> str:
        first = self.message.strip().splitlines()[0] if self.message.strip() else self.kind
        return f"{self.where}: {first}" if self.where else first


def _relative(path: str | None, root: Path | None) -> str | None:
    if not path or root is None:
        return path
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return path


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost traceback frame that is a template file (Jinja2 rewrites its frames to them)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and not frame.filename.endswith(".py") and not frame.filename.startswith("<"):
            found = (frame.filename, frame.lineno or 0)
    return found


def describe_error(exc: BaseException, root: Path | None = None) -> ErrorInfo:
    """Turn a failed build's exception into file, line, column and message for the overlay and the log."""
    if isinstance(exc, ConfigError):
        text = "\n".join(exc.problems)
        m = _LINE_COLUMN.search(exc.problems[0]) if exc.problems else None
        return ErrorInfo("config", text, _relative(exc.path, root),
                         int(m.group(1)) if m else None, int(m.group(2)) if m and m.group(2) else None)
    if isinstance(exc, ThemeError):
        from jinja2 import TemplateSyntaxError

        cause = exc.__cause__
        if isinstance(cause, TemplateSyntaxError):
            return ErrorInfo("theme", f"{cause.message or cause}", _relative(cause.filename or cause.name, root),
                             cause.lineno)
        frame = _template_frame(cause) if cause is not None else None
        if frame:
            return ErrorInfo("theme", str(exc), _relative(frame[0], root), frame[1] or None)
        return ErrorInfo("theme", str(exc))
    if isinstance(exc, ContentError):
        return ErrorInfo("content", exc.message, exc.path, exc.line)
    if isinstance(exc, DigestError):
        return ErrorInfo("build", str(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    return ErrorInfo("internal", f"{type(exc).__name__}: {exc}\n(this is a bug in news-digest: the log has the traceback)",
                     _relative(last.filename, root) if last else None, last.lineno if last else None)


@dataclass(frozen=True)
class BuildState:
    """What open pages need to know: the generation of the output they show, and the current error if any."""

    generation: int = 0  # bumped by every successful build that changed the output
    error: ErrorInfo | None = None
    css_only: bool = False  # the last generation changed stylesheets only: pages may swap them in place

    def to_json(self) -> str:
        data = {"generation": self.generation, "css_only": self.css_only,
                "error": asdict(self.error) | {"where": self.error.where} if self.error else None}
        return json.dumps(data, ensure_ascii=False)


class EventHub:
    """Fans the build state out to every connected page over Server-Sent Events (one queue per client)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[queue.Queue[str | None]] = set()
        self._state = BuildState()
        self._closed = False

    @property
    def state(self) -> BuildState:
        with self._lock:
            return self._state

    def publish(self, state: BuildState) -> None:
        with self._lock:
            self._state = state
            clients = list(self._clients)
        message = sse_message("state", state.to_json())
        for q in clients:
            q.put(message)

    def connect(self) -> queue.Queue[str | None]:
        """A new client's queue, already holding the current state (so a page learns at once if it is stale)."""
        q: queue.Queue[str | None] = queue.Queue()
        with self._lock:
            q.put("retry: 1000\n\n")
            q.put(sse_message("state", self._state.to_json()))
            if self._closed:
                q.put(None)
            self._clients.add(q)
        return q

    def disconnect(self, q: queue.Queue[str | None]) -> None:
        with self._lock:
            self._clients.discard(q)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def close(self) -> None:
        """End every open event stream (server shutdown)."""
        with self._lock:
            self._closed = True
            clients = list(self._clients)
        for q in clients:
            q.put(None)


def sse_message(event: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


def _script_json(state: BuildState) -> str:
    """JSON that is safe inside <script>: no '<', '>', '&' or line separators can end or confuse the tag."""
    text = state.to_json()
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,24,.92);color:#f3f3f3;"
    "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:2rem;"
)


def overlay_html(error: ErrorInfo) -> str:
    """The error overlay as static HTML (every value escaped), for pages opened while the build is broken."""
    where = f'<p data-where style="color:#ffb4a8;font-weight:bold">{html.escape(error.where)}</p>' if error.where else ""
    return (
        f'<div id="{OVERLAY_ID}" role="alert" style="{OVERLAY_STYLE}">'
        '<p style="font-size:1.2em;margin:0 0 1em"><strong>Build failed</strong> '
        "— still serving the last good site; fix the problem and save to rebuild.</p>"
        f"{where}<pre data-message style=\"white-space:pre-wrap;margin:0\">{html.escape(error.message)}</pre></div>"
    )


_CLIENT_JS = """
(function () {
  "use strict";
  var state = __STATE__;
  var ID = "__OVERLAY_ID__", STYLE = "__OVERLAY_STYLE__";
  function hide() { var el = document.getElementById(ID); if (el) el.remove(); }
  function show(err) {
    hide();
    var box = document.createElement("div");
    box.id = ID; box.setAttribute("role", "alert"); box.style.cssText = STYLE;
    var head = document.createElement("p");
    head.style.cssText = "font-size:1.2em;margin:0 0 1em";
    var strong = document.createElement("strong");
    strong.textContent = "Build failed";
    head.appendChild(strong);
    head.appendChild(document.createTextNode(" \\u2014 still serving the last good site; fix the problem and save to rebuild."));
    box.appendChild(head);
    if (err.where) {
      var where = document.createElement("p");
      where.setAttribute("data-where", ""); where.style.cssText = "color:#ffb4a8;font-weight:bold";
      where.textContent = err.where;
      box.appendChild(where);
    }
    var pre = document.createElement("pre");
    pre.setAttribute("data-message", ""); pre.style.cssText = "white-space:pre-wrap;margin:0";
    pre.textContent = err.message;
    box.appendChild(pre);
    (document.body || document.documentElement).appendChild(box);
  }
  function swapStylesheets() {
    fetch(location.href, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (text) {
      var fresh = new DOMParser().parseFromString(text, "text/html").querySelectorAll('link[rel~="stylesheet"]');
      var old = document.querySelectorAll('link[rel~="stylesheet"]');
      if (fresh.length !== old.length) { location.reload(); return; }
      old.forEach(function (link, i) {
        var href = fresh[i].getAttribute("href");
        if (link.getAttribute("href") === href) return;
        var next = link.cloneNode();
        next.setAttribute("href", href);
        next.onload = function () { link.remove(); };
        link.after(next);
      });
    }).catch(function () { location.reload(); });
  }
  function apply(next) {
    if (next.error) show(next.error); else hide();
    if (next.generation !== state.generation) {
      var swap = next.css_only && next.generation === state.generation + 1;
      state.generation = next.generation;
      if (swap) swapStylesheets(); else location.reload();
    }
  }
  if (state.error && !document.getElementById(ID)) show(state.error);
  if (!window.EventSource) return;
  var source = new EventSource("__EVENTS__");
  source.addEventListener("state", function (e) { window.__digestConnected = true; apply(JSON.parse(e.data)); });
  window.addEventListener("pagehide", function () { source.close(); });
})();
"""


def reload_snippet(state: BuildState) -> str:
    """The <script> (and, while the build is broken, the overlay) added to every served HTML page."""
    js = (_CLIENT_JS.replace("__STATE__", _script_json(state))
          .replace("__OVERLAY_ID__", OVERLAY_ID)
          .replace("__OVERLAY_STYLE__", OVERLAY_STYLE)
          .replace("__EVENTS__", EVENTS_PATH))
    overlay = overlay_html(state.error) if state.error else ""
    return f'{overlay}<script data-digest-livereload>{js}</script>'


_BODY_END = re.compile(rb"</body\s*>", re.I)


def inject(page: bytes, snippet: str) -> bytes:
    """Insert ``snippet`` before the last ``</body>`` (or at the end when there is none)."""
    data = snippet.encode("utf-8")
    matches = list(_BODY_END.finditer(page))
    if not matches:
        return page + data
    at = matches[-1].start()
    return page[:at] + data + page[at:]

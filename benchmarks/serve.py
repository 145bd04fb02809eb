"""Benchmark: from saving one article to the open page being current, with ``digest serve`` on big sites.

For each site size it generates a deterministic site (``--work``, default benchmarks/.work/),
starts the real ``digest serve`` in a subprocess, listens on its event stream like a page does,
and times K saves of each kind:

* add   — a new article file; the page is that article's own page;
* edit  — a new headline for the lead story of the front page; the page is the front page.

Per save: save → SSE reload event (the server saw the change, debounced, rebuilt, notified)
→ page fetched and containing the new headline. The server's own log line for each rebuild
gives the stage times (where the time goes). The server answers a save with a quick build (the
saved article's pages current, stories as before) and then runs the exact build that regroups; the
``exact`` column is that second build's time (the next save is made after it). Medians are printed
in a table.

    PYTHONPATH=. python benchmarks/serve.py                  # 1,000 and 10,000 articles
    PYTHONPATH=. python benchmarks/serve.py --sizes 1000 --saves 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATOR_VERSION = 1  # bump when the generated sites change (forces regeneration)
DAYS = 30
LAST_DAY = date(2024, 6, 30)

CITIES = ["Montevarra", "Lorvine", "Sorvenna", "Porto Lumen", "Ribera", "Nordhalde", "Kessaro", "Valdemir",
          "Ostrava Nova", "Belmara", "Tirana Alta", "Quenza", "Marisol", "Dravenport", "Helmsgard", "Castel Rho",
          "Vintera", "Palomir", "Esk", "Aurenne", "Solvik", "Brannoch", "Lusoria", "Zevran", "Iberra", "Corvino",
          "Maelis", "Tarnow Gate", "Selvara", "Odrin"]
EVENTS = {  # one event, said in each language: the same story across editions
    "en": ["fire destroys warehouse", "mayor resigns after audit", "tram fares rise", "heat record broken",
           "museum painting stolen", "port strike halts shipping", "new bridge opens", "floods close schools",
           "hospital expands emergency ward", "football club wins cup", "election results contested",
           "airport adds new routes", "water prices frozen", "library reopens after works", "bus drivers strike"],
    "fr": ["un incendie détruit un entrepôt", "le maire démissionne après un audit", "hausse des tarifs du tram",
           "record de chaleur battu", "un tableau volé au musée", "la grève du port bloque le fret",
           "un nouveau pont ouvre", "des inondations ferment les écoles", "l'hôpital agrandit les urgences",
           "le club de football remporte la coupe", "résultats de l'élection contestés",
           "l'aéroport ouvre de nouvelles lignes", "prix de l'eau gelés", "la bibliothèque rouvre après travaux",
           "grève des chauffeurs de bus"],
    "de": ["Feuer zerstört Lagerhalle", "Bürgermeister tritt nach Prüfung zurück", "Straßenbahn wird teurer",
           "Hitzerekord gebrochen", "Gemälde aus Museum gestohlen", "Hafenstreik stoppt Schiffsverkehr",
           "neue Brücke eröffnet", "Hochwasser schließt Schulen", "Krankenhaus erweitert Notaufnahme",
           "Fußballklub gewinnt Pokal", "Wahlergebnis angefochten", "Flughafen fliegt neue Ziele an",
           "Wasserpreise eingefroren", "Bibliothek nach Umbau wieder offen", "Busfahrer streiken"],
    "es": ["un incendio destruye un almacén", "el alcalde dimite tras una auditoría", "suben las tarifas del tranvía",
           "se bate el récord de calor", "roban un cuadro del museo", "la huelga del puerto paraliza el tráfico",
           "se inaugura un nuevo puente", "las inundaciones cierran escuelas", "el hospital amplía urgencias",
           "el club de fútbol gana la copa", "resultados electorales impugnados", "el aeropuerto suma nuevas rutas",
           "se congelan los precios del agua", "la biblioteca reabre tras las obras", "huelga de conductores de autobús"],
}
OUTLETS = {
    "en": ["The Harbour Gazette", "Meridian Post", "Evening Ledger", "Northern Chronicle", "Daily Lantern"],
    "fr": ["La Voix de Lorvine", "Le Courrier du Port", "Le Petit Matin", "L'Écho des Deux Rives"],
    "de": ["Nordhalder Rundschau", "Der Morgenbote", "Allgemeine Tageszeitung"],
    "es": ["El Faro Diario", "La Gaceta de Ribera", "Heraldo del Sur"],
}
FILLER = {
    "en": "Officials said more details would follow later in the week, and residents were asked to follow local advice.",
    "fr": "Les autorités ont indiqué que d'autres détails suivraient dans la semaine et ont invité les habitants à la prudence.",
    "de": "Die Behörden kündigten weitere Einzelheiten im Laufe der Woche an und baten die Bewohner um Geduld.",
    "es": "Las autoridades dijeron que darían más detalles esta semana y pidieron calma a los vecinos.",
}


# -- the generated site ----------------------------------------------------------------------------
def _article_md(title: str, when: str, lang: str, source: str, body: str, slug: str | None = None) -> str:
    extra = f"slug: {slug}\n" if slug else ""
    return (f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ndate: {when}\nlang: {lang}\n"
            f"source: {json.dumps(source, ensure_ascii=False)}\n{extra}---\n\n{body}\n")


def _article_txt(title: str, source: str, body: str) -> str:
    return (f"{source} — news you can trust\n{title} – {source}\n{title}\n\n{body}\n\n"
            f"READ ALSO: More news from {source}\nShare on social media\n")


def generate_site(root: Path, n: int) -> None:
    """About ``n`` articles over 30 days in 4 languages; stories have 1–4 versions. Same ``n`` → same bytes."""
    rng = random.Random(n)
    if root.exists():
        shutil.rmtree(root)
    (root / "content").mkdir(parents=True)
    (root / "config.yaml").write_text(
        "title: Benchmark Digest\nlanguages: [en, fr, de, es]\ndefault_language: en\ntimezone: UTC\ntop_stories: 20\n",
        encoding="utf-8")
    written = story = 0
    langs = list(EVENTS)
    while written < n:
        day = LAST_DAY - timedelta(days=story % DAYS)
        city = rng.choice(CITIES)
        event = rng.randrange(len(EVENTS["en"]))
        number = rng.randrange(2, 9999)
        hour = rng.randrange(0, 20)
        versions = rng.choice([1, 1, 1, 2, 2, 3, 4])
        for lang in rng.sample(langs, versions):
            if written >= n:
                break
            title = f"{city}: {EVENTS[lang][event]} ({number})"
            source = rng.choice(OUTLETS[lang])
            body = "\n\n".join([f"{title}. {FILLER[lang]}", f"{city} {number}. {FILLER[lang]}", FILLER[lang]])
            when = f"{day.isoformat()}T{hour:02d}:{rng.randrange(60):02d}:00+00:00"
            folder = root / "content" / day.isoformat()
            folder.mkdir(exist_ok=True)
            if written % 7 == 3:  # some raw scraped text too
                (folder / f"s{story:05d}-{lang}.txt").write_text(_article_txt(title, source, body), encoding="utf-8")
            else:
                (folder / f"s{story:05d}-{lang}.md").write_text(
                    _article_md(title, when, lang, source, body), encoding="utf-8")
            written += 1
        story += 1
    (root / ".generated").write_text(f"{GENERATOR_VERSION} {n}\n")


def ensure_site(work: Path, n: int, fresh: bool) -> Path:
    root = work / f"serve-{n}"
    stamp = root / ".generated"
    if fresh or not stamp.is_file() or stamp.read_text().strip() != f"{GENERATOR_VERSION} {n}":
        print(f"generating {n} articles into {root} …", file=sys.stderr)
        generate_site(root, n)
    else:  # leftovers of an interrupted run
        shutil.rmtree(root / "content" / "bench", ignore_errors=True)
    if fresh:
        shutil.rmtree(root / ".digest-cache", ignore_errors=True)
    return root


# -- the server and a page's view of it -------------------------------------------------------------
class Server:
    """``digest serve SITE --port 0`` in a subprocess; its log lines are kept with arrival times."""

    def __init__(self, site: Path, start_timeout: float) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                   PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "digest.cli", "serve", str(site), "--port", "0"],
                                     cwd=site, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.address: tuple[str, int] | None = None
        self.url_path = "/"
        ready = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                m = re.search(r"serving .* at http://([\d.]+):(\d+)(/\S*) ", line)
                if m:
                    self.address, self.url_path = (m.group(1), int(m.group(2))), m.group(3)
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(start_timeout) or self.address is None:
            self.stop()
            raise SystemExit("digest serve did not start:\n" + "\n".join(self.lines[-30:]))

    def rebuild_lines(self) -> list[str]:
        return [ln for ln in self.lines if "rebuilt after" in ln or "build failed" in ln]

    def wait_exact(self, lines_before: int, timeout: float) -> float:
        """Seconds the exact build took after the quick one that followed a save (NaN: there was none)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rebuilt = [ln for ln in self.lines if "rebuilt" in ln]
            if rebuilt and "quick:" not in rebuilt[-1] and len(self.rebuild_lines()) > lines_before:
                m = BUILD_TIME.search(rebuilt[-1])
                return float(m.group(1)) if m and "(exact" in rebuilt[-1] else float("nan")
            time.sleep(0.02)
        return float("nan")

    def fetch(self, path: str) -> bytes:
        assert self.address is not None
        conn = http.client.HTTPConnection(*self.address, timeout=60)
        try:
            conn.request("GET", path)
            return conn.getresponse().read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class EventStream:
    """Reads the server's Server-Sent Events like an open page does; records (arrival time, state)."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=600)
        self.sock.sendall(b"GET /__digest__/events HTTP/1.1\r\nHost: bench\r\n\r\n")
        self.events: list[tuple[float, dict]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        try:
            while chunk := self.sock.recv(65536):
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    data = b"\n".join(ln[6:] for ln in block.split(b"\n") if ln.startswith(b"data: "))
                    if b"event: state" in block:
                        with self.cond:
                            self.events.append((time.perf_counter(), json.loads(data)))
                            self.cond.notify_all()
        except OSError:
            pass

    def wait_for(self, after: int, timeout: float) -> tuple[float, dict]:
        """The first event beyond the ``after`` first ones."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.events) > after, timeout):
                raise TimeoutError(f"no reload event within {timeout}s")
            return self.events[after]

    def close(self) -> None:
        self.sock.close()


# -- measuring -------------------------------------------------------------------------------------
STAGES = re.compile(r"\[([^\]]*)\]")
BUILD_TIME = re.compile(r" in ([\d.]+)s:")


def _stage_times(line: str) -> dict[str, float]:
    m = STAGES.search(line)
    if not m:
        return {}
    out = {}
    for part in m.group(1).split(" · "):
        name, _, sec = part.rpartition(" ")
        out[name] = float(sec)
    return out


def lead_story_file(site: Path, server: Server) -> Path:
    """The content file of the front page's lead story (its canonical version), from /api/stories.json."""
    doc = json.loads(server.fetch(server.url_path + "api/stories.json"))
    front = server.fetch(server.url_path).decode("utf-8")
    for story in doc["stories"]:
        if story["title"] in front or json.dumps(story["title"])[1:-1] in front:
            canonical = next(a for a in story["articles"] if a["id"] == story["canonical"])
            if canonical["path"].endswith(".md"):
                return site / "content" / canonical["path"]
    raise SystemExit("cannot find an editable .md lead story on the front page")


def measure(site: Path, kind: str, saves: int, stream: EventStream, server: Server, timeout: float) -> list[dict]:
    results = []
    edit_file = lead_story_file(site, server) if kind == "edit" else None
    original = edit_file.read_text(encoding="utf-8") if edit_file else ""
    (site / "content" / "bench").mkdir(exist_ok=True)
    try:
        for i in range(saves + 1):  # the first save warms up and is not counted
            token = f"Benchmark {kind} {i} qx{random.Random(i).randrange(10**6):06d}"
            seen = len(stream.events)
            lines_before = len(server.rebuild_lines())
            start = time.perf_counter()
            if kind == "add":
                slug = f"bench-{i}"
                (site / "content" / "bench" / f"{slug}.md").write_text(_article_md(
                    token, f"{LAST_DAY.isoformat()}T12:00:00+00:00", "en", "Benchmark Wire",
                    f"{token}. {FILLER['en']}", slug), encoding="utf-8")
                page = f"{server.url_path}articles/en/{slug}/"
            else:
                assert edit_file is not None
                edit_file.write_text(re.sub(r"^title: .*$", f"title: {json.dumps(token)}", original, count=1, flags=re.M),
                                     encoding="utf-8")
                page = server.url_path
            event_at, state = stream.wait_for(seen, timeout)
            if state.get("error"):
                raise SystemExit(f"the rebuild failed: {state['error']}")
            body = server.fetch(page)
            page_at = time.perf_counter()
            if token.encode() not in body:
                raise SystemExit(f"{page} does not show {token!r} after the reload event")
            deadline = time.monotonic() + 10
            while len(server.rebuild_lines()) <= lines_before and time.monotonic() < deadline:
                time.sleep(0.01)
            line = server.rebuild_lines()[-1] if len(server.rebuild_lines()) > lines_before else ""
            m = BUILD_TIME.search(line)
            exact = server.wait_exact(lines_before, timeout)  # a quick build is followed by the exact one
            if i:
                results.append({"event": event_at - start, "page": page_at - start,
                                "build": float(m.group(1)) if m else float("nan"), "stages": _stage_times(line),
                                "exact": exact})
            time.sleep(0.4)  # two debounce periods apart: each save is its own rebuild
    finally:
        seen = len(stream.events)
        if edit_file:
            edit_file.write_text(original, encoding="utf-8")
        shutil.rmtree(site / "content" / "bench", ignore_errors=True)
        try:  # the clean-up is a rebuild too: let it land before the next measurement
            stream.wait_for(seen, timeout)
        except TimeoutError:
            pass
    return results


def run_size(work: Path, n: int, saves: int, fresh: bool) -> tuple[list[tuple[str, list[dict]]], float]:
    site = ensure_site(work, n, fresh)
    started = time.perf_counter()
    server = Server(site, start_timeout=1800)
    startup = time.perf_counter() - started
    stream = EventStream(server.address)  # type: ignore[arg-type]
    stream.wait_for(0, 30)
    timeout = max(60.0, n / 50)
    try:
        rows = [(kind, measure(site, kind, saves, stream, server, timeout)) for kind in ("add", "edit")]
    finally:
        stream.close()
        server.stop()
    return rows, startup


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated article counts (default: 1000,10000)")
    ap.add_argument("--saves", type=int, default=7, help="timed saves per kind and size (default: 7)")
    ap.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work", help="where the sites are generated")
    ap.add_argument("--fresh", action="store_true", help="regenerate the sites and drop their caches")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"digest serve: save → reload event → page current; medians of {args.saves} saves "
          f"(debounce included); {os.cpu_count()} cores\n")
    header = (f"{'articles':>8}  {'save':<5} {'→event':>8} {'→page':>8} {'max page':>9} {'rebuild':>8} {'exact':>7}   "
              "median rebuild stages (s)")
    print(header)
    print("-" * len(header))
    for n in sizes:
        rows, startup = run_size(args.work, n, args.saves, args.fresh)
        for kind, res in rows:
            med = lambda key: statistics.median(r[key] for r in res)  # noqa: E731
            names = list(dict.fromkeys(k for r in res for k in r["stages"]))
            stages = " · ".join(f"{k} {statistics.median(r['stages'].get(k, 0.0) for r in res):.2f}" for k in names)
            print(f"{n:>8}  {kind:<5} {med('event'):>7.2f}s {med('page'):>7.2f}s {max(r['page'] for r in res):>8.2f}s "
                  f"{med('build'):>7.2f}s {med('exact'):>6.2f}s   {stages}", flush=True)
        print(f"{'':>8}  (server start incl. first build: {startup:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

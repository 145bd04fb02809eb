"""Benchmark: full builds at scale (cold, warm, no-change, one-change, outlet-change), beside Hugo and Pelican.

One command generates a deterministic synthetic multilingual corpus (en fr de es; stories with 1–6
versions across languages; dates over 30 days; bodies of a few hundred words; ~70 % Markdown with
front matter, ~30 % raw scraped text), builds it with ``digest build`` in a subprocess and, when
they are installed, builds the same articles as a plain Markdown corpus (no grouping) with Hugo and
Pelican in the same run. Wall time and peak RSS are measured per child process (``os.wait4``).

Scenarios for digest:

* cold       — no ``.digest-cache/``, no ``output/``: everything parsed, encoded, rendered, written;
* warm       — cache present, ``output/`` deleted: a full render and write from cached articles (on a
  disk formatted ext4 *without a journal*, as this benchmark's machine is, creating the 21,000 files and
  folders right after deleting as many costs seconds of kernel time for any tool: ext4 then skips recently
  freed inodes one by one — ``perf`` shows ``recently_deleted`` — so warm figures there swing by seconds for
  Hugo too; see ``--settle``);
* no-change  — build again with nothing changed;
* one-change — one article's headline edited, then build (the process exits when its pages are current);
* outlet-change — one article's outlet renamed, then build: an edit grouping does not read (the last
  grouping is kept, its stories assembled again);
* serve-quick — the same edit through one long-lived ``digest.build.Builder`` (what ``digest serve`` can use):
  ``build(cfg, changed=[path], quick=True)``, save → the article's pages current on disk (stories as before);
* serve-exact — the ``build(cfg)`` that follows it: output exactly as a clean build (grouping redone).

    PYTHONPATH=. python benchmarks/build.py                   # 1,000 and 10,000 articles, 3 runs
    PYTHONPATH=. python benchmarks/build.py --sizes 100000 --runs 1 --no-others
    PYTHONPATH=. python benchmarks/build.py --sizes 10000 100000 --runs 1 --no-others   # and the growth from 10k to 100k

Deleting a tool's output (or digest's cache) is done right before its timed build, as a user would. On ext4
every such deletion first waits ``--settle`` seconds (default 61 there, 0 on other file systems) after the
previous one, and syncs: ext4 without a journal walks past each inode freed in the last 60 s on every file it
creates, so a build that closely follows other deletions pays for them too. Writing 11,394 files of 10 KB the
way digest does, right after deleting the previous 11,394, took 3.2 s of kernel time the first time and 8.1,
10.6 and 11.1 s in the next three rounds back to back (Hugo's way, a folder then its file: 6.4 to 15.8 s).
Without settling, digest's warm build came ~30 s after its cold build's deletion and Hugo's long after any:
the order of the rounds, not the tools, decided part of the warm ratio.

Not part of the test suite (it takes minutes). Medians over ``--runs``; ratios are against Hugo and
Pelican measured in the same run, on the same machine, in rounds: Hugo, Pelican, then digest's scenarios, so
that a slow spell of this noisy machine hits every tool alike. With more than one size, the growth of each
scenario's median is printed beside n log n's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATOR_VERSION = 3  # bump when generated corpora change (forces regeneration)
DAYS = 30
LAST_DAY = date(2024, 6, 30)
LANGS = ("en", "fr", "de", "es")
VERSIONS = (1, 2, 3, 4, 5, 6)
VERSION_WEIGHTS = (30, 25, 20, 12, 8, 5)  # mean ≈ 2.6: 10,000 articles ≈ 3,900 stories

# -- the synthetic corpus ---------------------------------------------------------------------------
_SYL = ["ka", "lo", "ri", "ven", "mar", "dor", "sel", "an", "bru", "tal", "mi", "no", "gra", "vel", "os", "ter",
        "li", "ber", "can", "zu", "fen", "ha", "pol", "rim", "sa", "tov", "el", "dra", "qui", "mon"]
EVENTS = {  # (headline, lead) said in each language: the same story across editions
    "en": [("fire destroys warehouse in {city}", "A fire destroyed a large warehouse in {city} overnight"),
           ("mayor of {city} resigns after audit", "The mayor of {city}, {person}, resigned after a critical audit"),
           ("{city} raises tram fares by {n} percent", "Tram fares in {city} will rise by {n} percent next month"),
           ("heat record broken in {city}", "Temperatures in {city} reached a record {n} degrees"),
           ("painting stolen from {city} museum", "A painting by {person} was stolen from the museum of {city}"),
           ("port strike halts shipping in {city}", "A strike at the port of {city} halted shipping for {n} hours"),
           ("new bridge opens in {city}", "A new bridge named after {person} opened in {city}"),
           ("floods close {n} schools in {city}", "Floods forced {n} schools in {city} to close"),
           ("{person} wins {city} election", "{person} won the election in {city} with {n} percent of the vote"),
           ("{city} football club wins the cup", "The football club of {city} won the cup after {n} years"),
           ("airport of {city} adds {n} routes", "The airport of {city} will add {n} new routes this summer"),
           ("water prices frozen in {city}", "Water prices in {city} are frozen for {n} months"),
           ("{person} named director of {city} library", "{person} was named director of the library of {city}"),
           ("bus drivers strike in {city}", "Bus drivers in {city} went on strike for {n} days")],
    "fr": [("un incendie détruit un entrepôt à {city}", "Un incendie a détruit un grand entrepôt à {city} dans la nuit"),
           ("le maire de {city} démissionne après un audit", "Le maire de {city}, {person}, a démissionné après un audit sévère"),
           ("{city} augmente les tarifs du tram de {n} %", "Les tarifs du tram de {city} augmenteront de {n} % le mois prochain"),
           ("record de chaleur battu à {city}", "Les températures à {city} ont atteint un record de {n} degrés"),
           ("un tableau volé au musée de {city}", "Un tableau de {person} a été volé au musée de {city}"),
           ("la grève du port bloque le fret à {city}", "Une grève au port de {city} a bloqué le fret pendant {n} heures"),
           ("un nouveau pont ouvre à {city}", "Un nouveau pont baptisé {person} a ouvert à {city}"),
           ("des inondations ferment {n} écoles à {city}", "Des inondations ont forcé {n} écoles de {city} à fermer"),
           ("{person} remporte l'élection à {city}", "{person} a remporté l'élection à {city} avec {n} % des voix"),
           ("le club de football de {city} remporte la coupe", "Le club de football de {city} a remporté la coupe après {n} ans"),
           ("l'aéroport de {city} ouvre {n} lignes", "L'aéroport de {city} ouvrira {n} nouvelles lignes cet été"),
           ("les prix de l'eau gelés à {city}", "Les prix de l'eau à {city} sont gelés pendant {n} mois"),
           ("{person} nommé directeur de la bibliothèque de {city}", "{person} a été nommé directeur de la bibliothèque de {city}"),
           ("grève des chauffeurs de bus à {city}", "Les chauffeurs de bus de {city} sont en grève pour {n} jours")],
    "de": [("Feuer zerstört Lagerhalle in {city}", "Ein Feuer hat in der Nacht eine große Lagerhalle in {city} zerstört"),
           ("Bürgermeister von {city} tritt nach Prüfung zurück", "Der Bürgermeister von {city}, {person}, ist nach einer kritischen Prüfung zurückgetreten"),
           ("{city} erhöht Straßenbahnpreise um {n} Prozent", "Die Straßenbahnpreise in {city} steigen im nächsten Monat um {n} Prozent"),
           ("Hitzerekord in {city} gebrochen", "Die Temperaturen in {city} erreichten einen Rekord von {n} Grad"),
           ("Gemälde aus Museum in {city} gestohlen", "Ein Gemälde von {person} wurde aus dem Museum von {city} gestohlen"),
           ("Hafenstreik stoppt Schiffsverkehr in {city}", "Ein Streik im Hafen von {city} stoppte den Schiffsverkehr für {n} Stunden"),
           ("neue Brücke in {city} eröffnet", "In {city} wurde eine neue Brücke mit dem Namen {person} eröffnet"),
           ("Hochwasser schließt {n} Schulen in {city}", "Das Hochwasser zwang {n} Schulen in {city} zur Schließung"),
           ("{person} gewinnt Wahl in {city}", "{person} hat die Wahl in {city} mit {n} Prozent der Stimmen gewonnen"),
           ("Fußballklub aus {city} gewinnt den Pokal", "Der Fußballklub aus {city} hat nach {n} Jahren den Pokal gewonnen"),
           ("Flughafen {city} fliegt {n} neue Ziele an", "Der Flughafen {city} fliegt in diesem Sommer {n} neue Ziele an"),
           ("Wasserpreise in {city} eingefroren", "Die Wasserpreise in {city} werden für {n} Monate eingefroren"),
           ("{person} wird Direktor der Bibliothek {city}", "{person} wurde zum Direktor der Bibliothek von {city} ernannt"),
           ("Busfahrer in {city} streiken", "Die Busfahrer in {city} streiken seit {n} Tagen")],
    "es": [("un incendio destruye un almacén en {city}", "Un incendio destruyó un gran almacén en {city} durante la noche"),
           ("el alcalde de {city} dimite tras una auditoría", "El alcalde de {city}, {person}, dimitió tras una auditoría crítica"),
           ("{city} sube las tarifas del tranvía un {n} %", "Las tarifas del tranvía de {city} subirán un {n} % el próximo mes"),
           ("se bate el récord de calor en {city}", "Las temperaturas en {city} alcanzaron un récord de {n} grados"),
           ("roban un cuadro del museo de {city}", "Un cuadro de {person} fue robado del museo de {city}"),
           ("la huelga del puerto paraliza {city}", "Una huelga en el puerto de {city} paralizó el tráfico durante {n} horas"),
           ("se inaugura un nuevo puente en {city}", "Un nuevo puente con el nombre de {person} se inauguró en {city}"),
           ("las inundaciones cierran {n} escuelas en {city}", "Las inundaciones obligaron a cerrar {n} escuelas en {city}"),
           ("{person} gana las elecciones en {city}", "{person} ganó las elecciones en {city} con el {n} % de los votos"),
           ("el club de fútbol de {city} gana la copa", "El club de fútbol de {city} ganó la copa después de {n} años"),
           ("el aeropuerto de {city} suma {n} rutas", "El aeropuerto de {city} sumará {n} nuevas rutas este verano"),
           ("se congelan los precios del agua en {city}", "Los precios del agua en {city} se congelan durante {n} meses"),
           ("{person} nombrado director de la biblioteca de {city}", "{person} fue nombrado director de la biblioteca de {city}"),
           ("huelga de conductores de autobús en {city}", "Los conductores de autobús de {city} están en huelga desde hace {n} días")],
}
SENTENCES = {  # body filler with slots, in each language (several hundred words per article)
    "en": ["Officials said more details would follow later in the week.",
           "Residents of {city} were asked to follow the advice of the local authorities.",
           "According to {person}, the situation has been under control since the morning.",
           "The city council of {city} will meet on Thursday to discuss the next steps.",
           "Local businesses reported that about {n} customers were affected.",
           "Critics argued that the problem had been known for years and that nothing was done.",
           "The regional government promised to publish a full report before the end of the month.",
           "Several witnesses told our reporters that they had never seen anything like it.",
           "The opposition called for an independent inquiry into what happened.",
           "Experts say that similar events are becoming more frequent across the region."],
    "fr": ["Les autorités ont indiqué que d'autres détails suivraient dans la semaine.",
           "Les habitants de {city} ont été invités à suivre les consignes des autorités locales.",
           "Selon {person}, la situation est sous contrôle depuis le matin.",
           "Le conseil municipal de {city} se réunira jeudi pour discuter de la suite.",
           "Les commerces locaux ont indiqué qu'environ {n} clients étaient concernés.",
           "Les critiques estiment que le problème était connu depuis des années et que rien n'a été fait.",
           "Le gouvernement régional a promis de publier un rapport complet avant la fin du mois.",
           "Plusieurs témoins ont raconté à nos journalistes qu'ils n'avaient jamais vu une chose pareille.",
           "L'opposition a demandé une enquête indépendante sur ce qui s'est passé.",
           "Selon les experts, ce type d'événement devient de plus en plus fréquent dans la région."],
    "de": ["Die Behörden kündigten weitere Einzelheiten im Laufe der Woche an.",
           "Die Bewohner von {city} wurden gebeten, den Hinweisen der örtlichen Behörden zu folgen.",
           "Nach Angaben von {person} ist die Lage seit dem Morgen unter Kontrolle.",
           "Der Stadtrat von {city} wird am Donnerstag über die nächsten Schritte beraten.",
           "Örtliche Geschäfte berichteten, dass etwa {n} Kunden betroffen waren.",
           "Kritiker meinen, das Problem sei seit Jahren bekannt gewesen und nichts sei geschehen.",
           "Die Landesregierung versprach, bis zum Monatsende einen vollständigen Bericht vorzulegen.",
           "Mehrere Zeugen sagten unseren Reportern, dass sie so etwas noch nie gesehen hätten.",
           "Die Opposition forderte eine unabhängige Untersuchung der Vorgänge.",
           "Fachleute sagen, dass solche Ereignisse in der Region immer häufiger werden."],
    "es": ["Las autoridades dijeron que darían más detalles a lo largo de la semana.",
           "Se pidió a los vecinos de {city} que siguieran las indicaciones de las autoridades locales.",
           "Según {person}, la situación está bajo control desde la mañana.",
           "El ayuntamiento de {city} se reunirá el jueves para discutir los próximos pasos.",
           "Los comercios locales informaron de que unos {n} clientes se vieron afectados.",
           "Los críticos sostienen que el problema se conocía desde hacía años y que no se hizo nada.",
           "El gobierno regional prometió publicar un informe completo antes de fin de mes.",
           "Varios testigos contaron a nuestros periodistas que nunca habían visto algo así.",
           "La oposición pidió una investigación independiente sobre lo ocurrido.",
           "Los expertos afirman que este tipo de sucesos es cada vez más frecuente en la región."],
}
# Words of one meaning in each language: a headline picks a few at random, so stories differ in more than a
# city name (news headlines share far fewer words than 14 templates would), yet its versions stay translations.
CONCEPTS = [
    ("government", "gouvernement", "Regierung", "gobierno"), ("budget", "budget", "Haushalt", "presupuesto"),
    ("school", "école", "Schule", "escuela"), ("hospital", "hôpital", "Krankenhaus", "hospital"),
    ("police", "police", "Polizei", "policía"), ("court", "tribunal", "Gericht", "tribunal"),
    ("minister", "ministre", "Minister", "ministro"), ("workers", "salariés", "Arbeiter", "trabajadores"),
    ("farmers", "agriculteurs", "Landwirte", "agricultores"), ("teachers", "enseignants", "Lehrer", "profesores"),
    ("train", "train", "Zug", "tren"), ("airport", "aéroport", "Flughafen", "aeropuerto"),
    ("river", "rivière", "Fluss", "río"), ("forest", "forêt", "Wald", "bosque"), ("storm", "tempête", "Sturm", "tormenta"),
    ("drought", "sécheresse", "Dürre", "sequía"), ("prices", "prix", "Preise", "precios"), ("rents", "loyers", "Mieten", "alquileres"),
    ("taxes", "impôts", "Steuern", "impuestos"), ("pensions", "retraites", "Renten", "pensiones"),
    ("energy", "énergie", "Energie", "energía"), ("gas", "gaz", "Gas", "gas"), ("water", "eau", "Wasser", "agua"),
    ("bank", "banque", "Bank", "banco"), ("factory", "usine", "Fabrik", "fábrica"), ("port", "port", "Hafen", "puerto"),
    ("museum", "musée", "Museum", "museo"), ("festival", "festival", "Festival", "festival"),
    ("concert", "concert", "Konzert", "concierto"), ("stadium", "stade", "Stadion", "estadio"),
    ("champion", "champion", "Meister", "campeón"), ("coach", "entraîneur", "Trainer", "entrenador"),
    ("election", "élection", "Wahl", "elecciones"), ("vote", "vote", "Abstimmung", "votación"),
    ("protest", "manifestation", "Protest", "protesta"), ("strike", "grève", "Streik", "huelga"),
    ("fire", "incendie", "Brand", "incendio"), ("flood", "inondation", "Hochwasser", "inundación"),
    ("accident", "accident", "Unfall", "accidente"), ("bridge", "pont", "Brücke", "puente"),
    ("road", "route", "Straße", "carretera"), ("tram", "tramway", "Straßenbahn", "tranvía"),
    ("library", "bibliothèque", "Bibliothek", "biblioteca"), ("university", "université", "Universität", "universidad"),
    ("students", "étudiants", "Studenten", "estudiantes"), ("doctors", "médecins", "Ärzte", "médicos"),
    ("nurses", "infirmières", "Pflegekräfte", "enfermeras"), ("vaccine", "vaccin", "Impfstoff", "vacuna"),
    ("virus", "virus", "Virus", "virus"), ("climate", "climat", "Klima", "clima"), ("heat", "chaleur", "Hitze", "calor"),
    ("snow", "neige", "Schnee", "nieve"), ("wine", "vin", "Wein", "vino"), ("harvest", "récolte", "Ernte", "cosecha"),
    ("fishermen", "pêcheurs", "Fischer", "pescadores"), ("tourists", "touristes", "Touristen", "turistas"),
    ("hotel", "hôtel", "Hotel", "hotel"), ("market", "marché", "Markt", "mercado"), ("shops", "magasins", "Geschäfte", "tiendas"),
    ("company", "entreprise", "Unternehmen", "empresa"), ("jobs", "emplois", "Arbeitsplätze", "empleos"),
    ("housing", "logement", "Wohnungen", "vivienda"), ("children", "enfants", "Kinder", "niños"),
    ("prison", "prison", "Gefängnis", "prisión"), ("judge", "juge", "Richter", "juez"), ("army", "armée", "Armee", "ejército"),
    ("border", "frontière", "Grenze", "frontera"), ("ship", "navire", "Schiff", "barco"), ("oil", "pétrole", "Öl", "petróleo"),
    ("solar", "solaire", "Solar", "solar"), ("wind", "vent", "Wind", "viento"), ("trial", "procès", "Prozess", "juicio"),
    ("scandal", "scandale", "Skandal", "escándalo"), ("reform", "réforme", "Reform", "reforma"),
    ("treaty", "traité", "Vertrag", "tratado"), ("summit", "sommet", "Gipfel", "cumbre"), ("record", "record", "Rekord", "récord"),
]
OUTLETS = {
    "en": ["The Harbour Gazette", "Meridian Post", "Evening Ledger", "Northern Chronicle", "Daily Lantern"],
    "fr": ["La Voix de Lorvine", "Le Courrier du Port", "Le Petit Matin", "L'Écho des Deux Rives"],
    "de": ["Nordhalder Rundschau", "Der Morgenbote", "Allgemeine Tageszeitung"],
    "es": ["El Faro Diario", "La Gaceta de Ribera", "Heraldo del Sur"],
}
CHROME = {  # raw scrapes carry their outlet's boilerplate
    "en": ("READ ALSO: {other}", "Share on Facebook\nShare on X", "This site uses cookies. By continuing to browse, you agree."),
    "fr": ("Lire aussi : {other}", "Partager sur Facebook\nPartager sur X", "Ce site utilise des cookies. En poursuivant, vous acceptez."),
    "de": ("LESEN SIE AUCH: {other}", "Auf Facebook teilen\nAuf X teilen", "Diese Seite verwendet Cookies."),
    "es": ("LEA TAMBIÉN: {other}", "Compartir en Facebook\nCompartir en X", "Este sitio utiliza cookies."),
}


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYL) for _ in range(parts)).capitalize()


@dataclass
class Item:
    path: str  # content-relative
    lang: str
    title: str
    source: str
    when: datetime
    paragraphs: list[str]
    fmt: str  # "md" or "txt"
    front_lang: bool = True


def corpus(n: int) -> list[Item]:
    """``n`` articles, deterministic for a given ``n``."""
    rng = random.Random(1000 + n)
    cities = sorted({_name(rng, 3) for _ in range(600)})
    people = sorted({f"{_name(rng, 2)} {_name(rng, 3)}" for _ in range(1500)})
    items: list[Item] = []
    story = 0
    while len(items) < n:
        day = LAST_DAY - timedelta(days=rng.randrange(DAYS))
        event = rng.randrange(len(EVENTS["en"]))
        slots = {"city": rng.choice(cities), "person": rng.choice(people), "n": rng.randrange(2, 400),
                 "concepts": rng.sample(range(len(CONCEPTS)), 3)}
        versions = rng.choices(VERSIONS, VERSION_WEIGHTS)[0]
        langs = [rng.choice(LANGS) for _ in range(versions)]
        base_hour = rng.randrange(0, 18)
        for v, lang in enumerate(langs):
            if len(items) >= n:
                break
            head, lead = EVENTS[lang][event]
            li = LANGS.index(lang)
            title = head.format(**slots) + ": " + ", ".join(CONCEPTS[c][li] for c in slots["concepts"])
            title = title[0].upper() + title[1:]
            body_rng = random.Random(f"{n}:{story}:{v}")
            paras = [lead.format(**slots) + ". " + body_rng.choice(SENTENCES[lang]).format(**slots)]
            for _ in range(body_rng.randrange(4, 8)):
                paras.append(" ".join(s.format(city=slots["city"], person=body_rng.choice(people),
                                               n=body_rng.randrange(2, 900))
                                      for s in body_rng.sample(SENTENCES[lang], body_rng.randrange(3, 6))))
            when = datetime(day.year, day.month, day.day, min(23, base_hour + v), body_rng.randrange(60), tzinfo=timezone.utc)
            fmt = "txt" if body_rng.random() < 0.3 else "md"
            path = f"{day.isoformat()}/s{story:06d}-{v}-{lang}.{fmt}"
            items.append(Item(path, lang, title, body_rng.choice(OUTLETS[lang]), when, paras, fmt,
                              front_lang=body_rng.random() < 0.85))
        story += 1
    return items


def _yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def digest_file(it: Item) -> str:
    if it.fmt == "md":
        fm = [f"title: {_yaml_str(it.title)}", f"date: {it.when.isoformat()}", f"source: {_yaml_str(it.source)}"]
        if it.front_lang:
            fm.append(f"lang: {it.lang}")
        return "---\n" + "\n".join(fm) + "\n---\n\n" + "\n\n".join(it.paragraphs) + "\n"
    also, share, cookies = CHROME[it.lang]
    return (f"{it.title} | {it.source}\n\n{it.title}\n\n{it.paragraphs[0][:90]}\n\n"
            + "\n\n".join(it.paragraphs[:2]) + "\n\n" + also.format(other=it.paragraphs[-1][:60]) + "\n\n"
            + "\n\n".join(it.paragraphs[2:]) + f"\n\n{share}\n\n{cookies}\n")


def plain_md(it: Item, pelican: bool) -> str:
    """The same article as plain Markdown for Hugo (YAML front matter) or Pelican (its metadata lines)."""
    slug = Path(it.path).stem
    body = "\n\n".join(it.paragraphs) + "\n"
    if pelican:
        return (f"Title: {it.title}\nDate: {it.when:%Y-%m-%d %H:%M}\nLang: {it.lang}\nSlug: {slug}\n"
                f"Author: {it.source}\n\n{body}")
    return (f"---\ntitle: {_yaml_str(it.title)}\ndate: {it.when.isoformat()}\nslug: {slug}\n"
            f"author: {_yaml_str(it.source)}\n---\n\n{body}")


HUGO_LAYOUTS = {
    "_default/baseof.html": "<!DOCTYPE html><html lang=\"{{ .Site.LanguageCode }}\"><head><meta charset=\"utf-8\">"
                            "<title>{{ .Title }}</title></head><body>{{ block \"main\" . }}{{ end }}</body></html>\n",
    "_default/single.html": "{{ define \"main\" }}<article><h1>{{ .Title }}</h1><time>{{ .Date.Format \"2006-01-02\" }}</time>"
                            "{{ .Content }}</article>{{ end }}\n",
    "_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}<li><a href=\"{{ .RelPermalink }}\">"
                          "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n",
    "index.html": "{{ define \"main\" }}<ul>{{ range first 50 .Site.RegularPages }}<li><a href=\"{{ .RelPermalink }}\">"
                  "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n",
}


def generate(work: Path, n: int) -> Path:
    """Write the digest site, the Hugo site and the Pelican site for ``n`` articles under ``work/n``."""
    root = work / str(n)
    stamp = root / ".generated"
    if stamp.is_file() and stamp.read_text().strip() == f"{GENERATOR_VERSION} {n}":
        return root
    print(f"generating {n:,} articles into {root} …", file=sys.stderr, flush=True)
    if root.exists():
        shutil.rmtree(root)
    items = corpus(n)
    site, hugo, pel = root / "digest", root / "hugo", root / "pelican"
    (site / "content").mkdir(parents=True)
    (site / "config.yaml").write_text(
        "title: Benchmark Digest\nbase_url: https://bench.example/\nlanguages: [en, fr, de, es]\n"
        "default_language: en\ntimezone: UTC\ntop_stories: 20\n", encoding="utf-8")
    (hugo / "content" / "posts").mkdir(parents=True)
    (hugo / "config.toml").write_text('baseURL = "https://bench.example/"\ntitle = "Bench"\nlanguageCode = "en"\n'
                                      "paginate = 50\n", encoding="utf-8")
    for rel, text in HUGO_LAYOUTS.items():
        (hugo / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
        (hugo / "layouts" / rel).write_text(text, encoding="utf-8")
    (pel / "content").mkdir(parents=True)
    (pel / "pelicanconf.py").write_text(
        "SITENAME = 'Bench'\nSITEURL = ''\nPATH = 'content'\nTIMEZONE = 'UTC'\nDEFAULT_LANG = 'en'\n"
        "DEFAULT_PAGINATION = 50\nFEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
        "AUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\nLOAD_CONTENT_CACHE = False\n", encoding="utf-8")
    made: set[Path] = set()
    for it in items:
        path = site / "content" / it.path
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_text(digest_file(it), encoding="utf-8")
        stem = Path(it.path).stem
        (hugo / "content" / "posts" / f"{stem}.md").write_text(plain_md(it, False), encoding="utf-8")
        (pel / "content" / f"{stem}.md").write_text(plain_md(it, True), encoding="utf-8")
    stamp.write_text(f"{GENERATOR_VERSION} {n}\n")
    return root


# -- measuring --------------------------------------------------------------------------------------
@dataclass
class Run:
    seconds: float
    rss_mb: float
    ok: bool
    note: str = ""


def run_child(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one child process (``wait4`` gives that child's own rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0:
        print(f"  ! {' '.join(cmd)} failed ({proc.returncode}):\n{text[-2000:]}", file=sys.stderr)
    last = next((ln for ln in reversed(text.splitlines()) if "built " in ln), "")
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode == 0, last)


def digest_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def digest_build(site: Path) -> Run:
    return run_child([sys.executable, "-m", "digest.cli", "build", str(site)], site, digest_env())


def _extend_front_matter(site: Path, pick: int, key: str, suffix: str) -> Path:
    """Add ``suffix`` to the ``key:`` front matter value of one Markdown article (``pick`` chooses which), inside
    its quotes: the same file otherwise."""
    files = sorted((site / "content").rglob("*.md"))
    path = files[pick % len(files)]
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(k for k, line in enumerate(lines) if line.startswith(f"{key}: "))
    line = lines[at]
    lines[at] = line[:-1] + suffix + '"' if line.endswith('"') else line + suffix
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def edit_one(site: Path, run: int) -> Path:
    """Change the headline of one article (a different one each run): a new title, the same file otherwise."""
    return _extend_front_matter(site, run * 7919, "title", f" (update {run})")


def edit_outlet(site: Path, run: int) -> Path:
    """Rename the outlet of one article (another than ``edit_one``'s): the same file otherwise."""
    return _extend_front_matter(site, run * 7919 + 1, "source", f" Online {run}")


def serve_one(site: Path, runs: int) -> list[Run]:
    """One long-lived Builder (as ``digest serve`` keeps): edit, rebuild, page current."""
    code = (
        "import sys, time, json, resource\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from digest.build import Builder\nfrom digest.config import load_config\n"
        "sys.path.insert(0, sys.argv[1] + '/benchmarks')\nfrom build import edit_one\n"
        "site = Path(sys.argv[2]); b = Builder()\n"
        "b.build(load_config(site))\n"
        "b.warm_up()\n"  # as digest serve does once it is serving: the saved state and language model loaded while idle
        "out = []\n"
        "exact = []\n"
        "for r in range(int(sys.argv[3])):\n"
        "    p = edit_one(site, 1000 + r); t = time.perf_counter()\n"
        "    res = b.build(load_config(site), changed=[p], quick=True)\n"
        "    out.append(time.perf_counter() - t); t = time.perf_counter()\n"
        "    b.build(load_config(site))\n"
        "    exact.append(time.perf_counter() - t)\n"
        "print(json.dumps({'times': out, 'exact': exact, 'rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(REPO), str(site), str(runs)], cwd=site,
                          env=digest_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  ! serve-one failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return [Run(math.nan, math.nan, False)], []
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    return [Run(t, doc["rss"], True) for t in doc["times"]], [Run(t, doc["rss"], True) for t in doc["exact"]]


SCENARIOS = ("cold", "warm", "no-change", "one-change", "outlet-change")  # digest's, run in this order


def digest_round(root: Path, r: int, res: dict[str, list[Run]]) -> None:
    """Run ``r`` of digest's scenarios, in order, each result appended to ``res[scenario]``."""
    site = root / "digest"
    delete(site / ".digest-cache", site / "output")
    res["cold"].append(digest_build(site))
    delete(site / "output")
    res["warm"].append(digest_build(site))
    res["no-change"].append(digest_build(site))
    edit_one(site, r)
    res["one-change"].append(digest_build(site))
    edit_outlet(site, r)
    res["outlet-change"].append(digest_build(site))
    print(f"  digest run {r + 1}: " + ", ".join(f"{k} {v[-1].seconds:.2f}s/{v[-1].rss_mb:.0f}MB" for k, v in res.items()),
          file=sys.stderr, flush=True)


def grouping_summary(site: Path) -> str:
    """How the build grouped the synthetic corpus against the stories it was generated with (file names carry
    them: ``s{story}-{version}-{lang}``): stories built and generated, the largest, BCubed precision and recall.
    Not a quality measure (``benchmarks/grouping.py`` is, on real labelled data), but the size of the stories
    that grouping and the pages work with."""
    import re
    from collections import Counter

    from grouping import bcubed  # this folder's grouping benchmark: the same metric

    try:
        stories = json.loads((site / "output" / "api" / "stories.json").read_text(encoding="utf-8"))["stories"]
    except (OSError, ValueError, KeyError):
        return "grouping: no output/api/stories.json"
    pred, gold = [], []
    for k, story in enumerate(stories):
        for article in story["articles"]:
            m = re.search(r"/s(\d+)-\d+-", "/" + article["path"])
            pred.append(k)
            gold.append(int(m.group(1)) if m else -1 - len(gold))
    sizes, true = Counter(pred), Counter(gold)
    precision, recall, _ = bcubed(pred, gold) if pred else (0.0, 0.0, 0.0)
    return (f"grouping: {len(sizes):,} stories built from {len(true):,} generated (largest {max(sizes.values(), default=0)}"
            f" articles, generated at most {max(true.values(), default=0)}); BCubed P {precision:.3f} R {recall:.3f}")


SETTLE = [0.0]  # seconds between deletions (``--settle``)
_LAST_DELETION = [-math.inf]


def delete(*folders: Path) -> None:
    """``rm -rf`` the ``folders`` once ``SETTLE`` seconds have passed since the last deletion (synced first), so each
    timed build pays for its own deletion only (see the module docstring)."""
    if SETTLE[0] > 0:
        os.sync()
        time.sleep(max(0.0, _LAST_DELETION[0] + SETTLE[0] - time.monotonic()))
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    _LAST_DELETION[0] = time.monotonic()


def default_settle(work: Path) -> float:
    """61 s when ``work`` is on ext4 (which may have no journal: this benchmark's machine has none), else 0."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return 0.0
    where = str(work.resolve())
    best = max((m for m in mounts if len(m) > 2 and (where + "/").startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]), default=None)
    return 61.0 if best is not None and best[2] == "ext4" else 0.0


def hugo_build(root: Path) -> Run | None:
    exe = shutil.which("hugo")
    if not exe:
        return None
    delete(root / "hugo" / "public", root / "hugo" / "resources")
    return run_child([exe, "--quiet", "--cleanDestinationDir"], root / "hugo")


def pelican_build(root: Path, pelican: str | None) -> Run | None:
    if not pelican or not Path(pelican).exists():
        return None
    delete(root / "pelican" / "output")
    return run_child([pelican, "content", "-s", "pelicanconf.py", "-o", "output", "-q"], root / "pelican")


@dataclass
class Row:
    n: int
    tool: str
    scenario: str
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        ok = [r.seconds for r in self.runs if r.ok]
        return statistics.median(ok) if ok else math.nan

    @property
    def rss(self) -> float:
        ok = [r.rss_mb for r in self.runs if r.ok]
        return max(ok) if ok else math.nan


def table(rows: list[Row]) -> str:
    ref: dict[tuple[int, str], float] = {(r.n, r.tool): r.seconds for r in rows if r.tool in ("hugo", "pelican")}
    refmem = {(r.n, r.tool): r.rss for r in rows if r.tool in ("hugo", "pelican")}
    head = f"{'articles':>9} {'tool':<8} {'scenario':<13} {'runs':>4} {'median s':>9} {'peak MB':>8} {'÷hugo':>7} {'÷pelican':>8} {'mem÷hugo':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        h, p, hm = ref.get((r.n, "hugo")), ref.get((r.n, "pelican")), refmem.get((r.n, "hugo"))
        fmt = lambda x: f"{x:7.2f}" if x and not math.isnan(x) else "      -"  # noqa: E731
        lines.append(f"{r.n:>9,} {r.tool:<8} {r.scenario:<13} {len(r.runs):>4} {r.seconds:>9.2f} {r.rss:>8.0f} "
                     f"{fmt(r.seconds / h if h else None)} {fmt(r.seconds / p if p else None):>8} "
                     f"{fmt(r.rss / hm if hm else None):>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3, help="runs per scenario (median reported)")
    ap.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work")
    ap.add_argument("--no-others", action="store_true", help="skip Hugo and Pelican")
    ap.add_argument("--no-serve", action="store_true", help="skip the in-process Builder scenario")
    ap.add_argument("--pelican", default=os.environ.get("PELICAN", "/tmp/pelican-venv/bin/pelican"))
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--settle", type=float, default=None,
                    help="seconds between deleting outputs (default: 61 on ext4, else 0; see above)")
    args = ap.parse_args(argv)
    SETTLE[0] = default_settle(args.work) if args.settle is None else args.settle
    print(f"  settle: {SETTLE[0]:.0f} s between deletions", file=sys.stderr, flush=True)
    rows: list[Row] = []
    summaries: list[str] = []
    for n in args.sizes:
        root = generate(args.work, n)
        if args.generate_only:
            continue
        others: dict[str, Row] = {"hugo": Row(n, "hugo", "plain"), "pelican": Row(n, "pelican", "plain")}
        res: dict[str, list[Run]] = {k: [] for k in SCENARIOS}
        for r in range(args.runs):  # rounds: Hugo, Pelican, then digest's scenarios, so a slow spell of the
            if not args.no_others:  # machine hits every tool alike
                for tool, fn in (("hugo", lambda: hugo_build(root)), ("pelican", lambda: pelican_build(root, args.pelican))):
                    run = fn()
                    if run is not None:
                        others[tool].runs.append(run)
                        print(f"  {tool} run {r + 1}: {run.seconds:.2f}s/{run.rss_mb:.0f}MB", file=sys.stderr, flush=True)
            digest_round(root, r, res)
        summaries.append(f"{n:,}: " + grouping_summary(root / "digest"))
        print("  " + summaries[-1], file=sys.stderr, flush=True)
        for scenario, runs in res.items():
            rows.append(Row(n, "digest", scenario, runs))
        if not args.no_serve:
            quick, exact = serve_one(root / "digest", max(3, args.runs))
            rows.append(Row(n, "digest", "serve-quick", quick))
            rows.append(Row(n, "digest", "serve-exact", exact))
        rows += [row for row in others.values() if row.runs]
        print(table(rows), file=sys.stderr, flush=True)
    if rows:
        print(table(rows))
        print("\n" + "\n".join(summaries))
        sizes = sorted({r.n for r in rows})
        if len(sizes) > 1:
            print("\ngrowth (digest, median seconds; n log n would give the ratio in brackets):")
            for scen in SCENARIOS:
                by_n = {r.n: r.seconds for r in rows if r.tool == "digest" and r.scenario == scen}
                parts = []
                for a, b in zip(sizes, sizes[1:]):
                    if a in by_n and b in by_n:
                        nlogn = (b * math.log(b)) / (a * math.log(a))
                        parts.append(f"{a:,}→{b:,}: ×{by_n[b] / by_n[a]:.1f} [×{nlogn:.1f}]")
                print(f"  {scen:<13} " + "; ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())

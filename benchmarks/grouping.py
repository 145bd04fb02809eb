"""Grouping quality and speed on the labelled evaluation data, through the real build.

    python benchmarks/grouping.py [--data ../shared/eval/grouping] [--direct] [--fit]

Default: every ``*.jsonl`` file is written as a temporary site's ``content/`` (one Markdown file
per article: front matter title/lang/date when known, body text; never the label), built with
``digest.build.build_site`` in its default configuration, and ``output/api/stories.json`` is read
back and scored: BCubed precision/recall/F1 and cross-language pairwise precision/recall/F1
(definitions in ../shared/eval/README.md). ``--direct`` skips the build and calls
``group_articles`` on Articles made straight from the file (same grouping code, faster).
``--fit`` refits the pair-score weights of ``digest/group_model.py`` on the files and prints them.
The embedding cache lives in a temporary folder per run unless ``--cache DIR`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.config import GroupingConfig, load_config  # noqa: E402
from digest.embed import Embedder  # noqa: E402
from digest.models import Article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "grouping"


# ---------- metrics ----------
def bcubed(pred: Sequence[object], gold: Sequence[object]) -> tuple[float, float, float]:
    n = len(gold)
    psize, gsize = Counter(pred), Counter(gold)
    joint = Counter(zip(pred, gold))
    p = sum(joint[(pred[i], gold[i])] / psize[pred[i]] for i in range(n)) / n
    r = sum(joint[(pred[i], gold[i])] / gsize[gold[i]] for i in range(n)) / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def xling_pairs(pred: Sequence[object], gold: Sequence[object], langs: Sequence[str]) -> tuple[float, float, float]:
    def pairs(labels: Sequence[object]) -> set[tuple[int, int]]:
        groups: dict[object, list[int]] = defaultdict(list)
        for i, label in enumerate(labels):
            groups[label].append(i)
        return {(a, b) for m in groups.values() for x, a in enumerate(m) for b in m[x + 1:] if langs[a] != langs[b]}

    pp, gp = pairs(pred), pairs(gold)
    tp = len(pp & gp)
    p = tp / len(pp) if pp else 0.0
    r = tp / len(gp) if gp else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# ---------- data ----------
def load_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def file_name(row_id: str, index: int) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in row_id)[-60:].strip("-")
    return f"{index:05d}-{safe}.md"


def write_site(rows: Sequence[dict], site: Path) -> list[str]:
    """One Markdown file per row; returns the content-relative path of each row."""
    content = site / "content"
    content.mkdir(parents=True)
    paths = []
    for index, row in enumerate(rows):
        name = file_name(row["id"], index)
        front = [f"title: {json.dumps(row['title'], ensure_ascii=False)}", f"lang: {row['lang']}"]
        if row.get("date"):
            front.append(f"date: {json.dumps(row['date'])}")
        body = (row.get("text") or "").strip()
        (content / name).write_text("---\n" + "\n".join(front) + "\n---\n\n" + body + "\n", encoding="utf-8")
        paths.append(name)
    return paths


def direct_articles(rows: Sequence[dict]) -> list[Article]:
    out = []
    for index, row in enumerate(rows):
        when = datetime.fromisoformat(row["date"]).replace(tzinfo=timezone.utc) if row.get("date") else datetime(2000, 1, 1, tzinfo=timezone.utc)
        text = (row.get("text") or "").strip()
        out.append(Article(
            id=f"a{index}", path=file_name(row["id"], index), format="md", title=row["title"], lang=row["lang"],
            date=when, slug=f"a{index}", paragraphs=tuple(p for p in text.split("\n\n") if p.strip()),
            date_origin="front matter" if row.get("date") else "mtime",
        ))
    return out


# ---------- runs ----------
def run_build(rows: Sequence[dict], cache: Path | None) -> tuple[list[int], float]:
    from digest.build import build_site

    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        site = Path(tmp)
        paths = write_site(rows, site)
        cfg = load_config(site)
        start = time.perf_counter()
        build_site(cfg, embedder=Embedder(cache or site / ".digest-cache"))
        seconds = time.perf_counter() - start
        data = json.loads((cfg.output_path / "api" / "stories.json").read_text(encoding="utf-8"))
    story_of = {}
    for s, story in enumerate(data["stories"]):
        for art in story["articles"]:
            assert art["path"] not in story_of, f"{art['path']} is in two stories"
            story_of[art["path"]] = s
    missing = [p for p in paths if p not in story_of]
    assert not missing, f"{len(missing)} articles in no story, e.g. {missing[:3]}"
    return [story_of[p] for p in paths], seconds


def run_direct(rows: Sequence[dict], cache: Path | None, settings: GroupingConfig) -> tuple[list[int], float]:
    from digest.group import group_articles

    articles = direct_articles(rows)
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        start = time.perf_counter()
        grouping = group_articles(articles, settings, Embedder(cache or Path(tmp)))
        seconds = time.perf_counter() - start
    label = [-1] * len(rows)
    for c, members in enumerate(grouping.clusters):
        for i in members:
            assert label[i] == -1
            label[i] = c
    assert min(label) >= 0
    return label, seconds


def fit(files: Sequence[Path], cache: Path | None) -> None:
    """Refit the logistic weights of each pair kind on every allowed pair of the files."""
    from digest.group_model import KINDS, UNDATED_DAYS, article_signals, pair_features, pair_kinds

    settings = GroupingConfig()
    blocks: dict[tuple[str, bool], list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    for path in files:
        rows = load_rows(path)
        articles = direct_articles(rows)
        sig = article_signals(articles, Embedder(cache))
        gold = np.array([r["group"] for r in rows])
        i, j = np.triu_indices(len(rows), 1)
        gap = np.abs(sig.hours[i] - sig.hours[j])
        keep = ~(gap > settings.window_hours)
        i, j = i[keep], j[keep]
        feats = pair_features(sig, i, j)
        kind, body = pair_kinds(sig, i, j)
        days = np.nan_to_num(feats["days"], nan=UNDATED_DAYS)
        for k, name in enumerate(KINDS):
            for with_body in (False, True):
                m = (kind == k) & (body == with_body)
                if not m.any():
                    continue
                cols = _columns(name, with_body)
                x = np.stack([days[m] if c == "days" else np.nan_to_num(feats[c][m]) for c in cols], 1)
                blocks[(name, with_body)].append((x, (gold[i[m]] == gold[j[m]]).astype(float)))
    # Body pairs of the evaluation data are undated: their time weight is the title model's of the
    # same kind, and the intercept is shifted so that an undated pair scores as it was fitted.
    fitted: dict[tuple[str, bool], tuple[dict[str, float], float]] = {}
    for key, parts in sorted(blocks.items(), key=lambda kv: kv[0][1]):
        x = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        if y.sum() == 0:
            print(f"# {key}: no positive pairs: the title model applies")
            continue
        cols = _columns(*key)
        beta = logistic(x, y)
        weights = {c: round(float(b), 2) for c, b in zip(cols, beta)}
        intercept = float(beta[-1])
        if key[1]:
            days = fitted.get((key[0], False), ({"days": 0.0}, 0.0))[0]["days"]
            weights["days"] = days
            intercept -= days * UNDATED_DAYS
        fitted[key] = (weights, round(intercept, 2))
        print(f"    {key}: ({weights}, {intercept:.2f}),  # {int(y.sum())} positive of {len(y)} pairs")


def _columns(kind: str, with_body: bool) -> list[str]:
    """The signals of each pair model: headline models weigh the rarest unshared headline word across languages."""
    if with_body:
        return ["title", "lead", "words"]
    return ["title", "title_words", "days"] + ([] if kind == "same" else ["unshared"])


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iters: int = 60) -> np.ndarray:
    x = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        grad = x.T @ (p - y) + l2 * beta
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def synthetic_articles(rows: Sequence[dict], n: int, days: float = 30.0, body_share: float = 0.3,
                       seed: int = 7) -> list[Article]:
    """``n`` articles in stories of 1–12 versions: real headlines (and body sentences) reworded at random."""
    rng = np.random.default_rng(seed)
    titles = [r["title"] for r in rows]
    langs = [r["lang"] for r in rows]
    sentences = [s.strip() + "." for r in rows if r.get("text") for s in r["text"].split(". ")[:6] if len(s) > 40]
    outlets = ["Reuters", "AP", "WTOP", "The Daily", "Le Monde", "El País", "Folha", "Spiegel"]
    out: list[Article] = []
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    while len(out) < n:
        base = int(rng.integers(len(titles)))
        words = titles[base].split()
        when = float(rng.uniform(0, days * 24))
        body = " ".join(sentences[int(k)] for k in rng.integers(len(sentences), size=3)) if rng.random() < body_share else ""
        for _ in range(min(int(rng.geometric(0.3)), 12, n - len(out))):
            w = [x for x in words if rng.random() > 0.15] or words
            title = " ".join(w) + (f" | {outlets[int(rng.integers(len(outlets)))]}" if rng.random() < 0.3 else "")
            k = len(out)
            out.append(Article(
                id=f"s{k}", path=f"s{k}.md", format="md", title=title, lang=langs[base],
                date=start + timedelta(hours=when + float(rng.exponential(6))), slug=f"s{k}",
                paragraphs=(body,) if body else (),
            ))
    return out


def scale(files: Sequence[Path], n: int) -> None:
    """Time and memory of grouping ``n`` synthetic articles: cold (encoding) and warm (cached embeddings)."""
    import resource

    from digest.group import group_articles

    import logging

    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    logging.getLogger("digest.embed").setLevel(logging.WARNING)
    rows = [r for path in files for r in load_rows(path)]
    articles = synthetic_articles(rows, n)
    del rows
    settings = GroupingConfig()
    with tempfile.TemporaryDirectory(prefix="digest-scale-") as tmp:
        for label in ("cold (encodes every headline and lead)", "warm (embeddings from the cache)"):
            emb = Embedder(Path(tmp))
            start = time.perf_counter()
            grouping = group_articles(articles, settings, emb)
            seconds = time.perf_counter() - start
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            sizes = Counter(len(c) for c in grouping.clusters)
            print(f"{n} synthetic articles, {label}: {seconds:.1f} s ({n / seconds:.0f} articles/s), "
                  f"encoded {emb.encoded}, {len(grouping.clusters)} stories, largest {max(sizes)}, "
                  f"peak RSS {rss:.0f} MB", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of labelled *.jsonl files")
    ap.add_argument("--direct", action="store_true", help="call group_articles directly instead of building a site")
    ap.add_argument("--fit", action="store_true", help="refit and print the pair-score weights")
    ap.add_argument("--cache", type=Path, default=None, help="embedding cache folder to reuse between runs")
    ap.add_argument("--threshold", type=float, default=None, help="(direct only) override the threshold")
    ap.add_argument("--neighbours", type=int, default=None, help="(direct only) override the candidate neighbours")
    ap.add_argument("--scale", type=int, default=0, metavar="N", help="time N synthetic articles instead")
    args = ap.parse_args(argv)
    files = sorted(args.data.glob("*.jsonl"))
    if not files:
        print(f"no *.jsonl files in {args.data}", file=sys.stderr)
        return 2
    if args.fit:
        fit(files, args.cache)
        return 0
    if args.scale:
        scale(files, args.scale)
        return 0
    settings = GroupingConfig()
    if args.threshold is not None:
        settings = replace(settings, threshold=args.threshold)
    if args.neighbours is not None:
        settings = replace(settings, neighbours=args.neighbours)
    head = f"{'file':<28} {'articles':>8} {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6} {'xl P':>6} {'xl R':>6} {'xl F1':>6} {'seconds':>8} {'art/s':>7}  settings"
    print(head)
    for path in files:
        rows = load_rows(path)
        gold = [r["group"] for r in rows]
        langs = [r["lang"] for r in rows]
        if args.direct:
            pred, seconds = run_direct(rows, args.cache, settings)
        else:
            pred, seconds = run_build(rows, args.cache)
        b = bcubed(pred, gold)
        x = xling_pairs(pred, gold, langs)
        print(f"{path.name:<28} {len(rows):>8} {b[0]:6.3f} {b[1]:6.3f} {b[2]:6.3f} {x[0]:6.3f} {x[1]:6.3f} {x[2]:6.3f} "
              f"{seconds:8.1f} {len(rows) / seconds:7.0f}  threshold={settings.threshold:g} window={settings.window_hours:g}h "
              f"k={settings.neighbours}{' (direct)' if args.direct else ' (build)'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

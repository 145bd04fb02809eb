"""The command line: parse arguments, load the config, call the library, map errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .config import load_config
from .errors import DigestError

log = logging.getLogger("digest")


def _site_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("site", nargs="?", default=".", help="the site folder (holds content/ and config.yaml); default: here")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digest", description="Build a multilingual news digest from content/.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    b = sub.add_parser("build", help="build the site into output/")
    _site_args(b)
    b.add_argument("-o", "--output", help="output folder (default: output/ in the site)")
    b.add_argument("--base-url", help="where the site will be served, overriding config.yaml (e.g. https://example.org/news/)")
    b.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    b.add_argument("--strict", action="store_true", help="exit with 1 if any file had a problem")
    b.add_argument("--gc", action="store_true",
                   help="then delete cached parses, embeddings and pages the content no longer uses (as hugo --gc)")

    s = sub.add_parser("stories", help="print each story with its articles and the scores that joined them")
    _site_args(s)
    s.add_argument("--explain", metavar="ID", help="why this story's articles were joined or kept apart")

    c = sub.add_parser("check", help="show what was read from each file: headline, outlet, language, date, and why")
    _site_args(c)
    c.add_argument("paths", nargs="*", help="article files to show (default: all)")

    v = sub.add_parser("serve", help="build, serve output/ and rebuild on changes; open pages reload by themselves")
    _site_args(v)
    v.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                   help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 shares it on your network)")
    v.add_argument("--port", type=int, default=8000, help="port (default: 8000; a busy port moves to the next free one)")
    v.add_argument("--poll", action="store_true", help="poll for changes (file systems without change events: network, Docker, WSL)")
    v.add_argument("--no-reload", action="store_true", help="rebuild on changes but do not reload open pages")
    v.add_argument("--open", action="store_true", help="open the site in a web browser")
    v.add_argument("--drafts", action="store_true", help="include articles with draft: true")

    i = sub.add_parser("init", help="scaffold a new site: config.yaml and a few example articles (never overwrites)")
    i.add_argument("site", nargs="?", default=".", help="folder for the new site (created if missing); default: here")
    i.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    i.add_argument("-v", "--verbose", action="store_true", help="more detail")
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    """``-v`` shows digest's own debug messages; libraries stay at INFO (markdown-it logs every block rule it
    tries at DEBUG: thousands of lines a page)."""
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=max(level, logging.INFO), format="%(levelname)s: %(message)s", stream=sys.stderr,
                        force=True)
    log.setLevel(level)


def cmd_build(args: argparse.Namespace) -> int:
    from .build import Builder
    from .progress import for_stream

    cfg = load_config(args.site, output_dir=args.output, base_url=args.base_url)
    builder = Builder(include_drafts=args.drafts, progress=for_stream(sys.stderr, quiet=args.quiet))
    try:
        result = builder.build(cfg)
        pruned = builder.prune_cache(cfg) if args.gc else None
    finally:
        builder.close()
    articles, stories, languages = result.summary
    times = ", ".join(f"{name} {sec:.2f}s" for name, sec in result.timings)
    log.info(
        "built %d articles into %d stories in %d languages → %s (%d files written, %d unchanged, %d removed; %s)",
        articles, stories, languages, cfg.output_path,
        len(result.written), result.unchanged, len(result.removed), times,
    )
    if pruned is not None:
        log.info("gc: %d cache entries no longer used were deleted; %s %.1f MB → %.1f MB", pruned.removed,
                 cfg.root / ".digest-cache", pruned.bytes_before / 1e6, pruned.bytes_after / 1e6)
    if result.problems:
        log.warning("%d file(s) had problems (listed above)", len(result.problems))
        if args.strict:
            return 1
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from .build import Builder, default_embedder, gather_site, log_problems
    from .report import explain_story, format_stories

    cfg = load_config(args.site)
    embedder = default_embedder(cfg)
    site = Builder().saved_site(cfg)  # the last build's stories, when nothing changed since
    if site is None:
        site = gather_site(cfg, embedder=embedder, parse_cache=True)
    else:
        log.debug("the stories of the last build (nothing changed since)")
        log_problems(site.problems)  # (as a build or a regrouping reports them)
    text = explain_story(site, cfg, args.explain, embedder) if args.explain else format_stories(site, cfg)
    sys.stdout.write(text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import collect_articles
    from .report import format_checks

    site, given = args.site, list(args.paths)
    if Path(site).is_file():  # `digest check content/x.txt`: the site is here
        site, given = ".", [site, *given]
    cfg = load_config(site)
    wanted = _content_paths(cfg.content_path, given)
    articles, problems = collect_articles(cfg, parse_cache=True)
    shown = [a for a in articles if not wanted or a.path in wanted]
    shown_problems = [p for p in problems if not wanted or p.path in wanted]
    missing = sorted(wanted - {a.path for a in shown} - {p.path for p in shown_problems})
    sys.stdout.write(format_checks(shown, shown_problems))
    for path in missing:
        log.error("%s: not an article of this site (paths are relative to the site folder or to %s)",
                  path, cfg.content_path)
    return 2 if missing else 0


def _content_paths(content: Path, given: list[str]) -> set[str]:
    """Content-relative POSIX paths for paths given relative to here, to the site, or to ``content/``."""
    root = content.resolve()
    out = set()
    for raw in given:
        found = next((c.resolve() for c in (Path(raw), content.parent / raw, content / raw) if c.is_file()), None)
        if found is not None and found.is_relative_to(root):
            out.add(found.relative_to(root).as_posix())
        else:
            out.add(Path(raw).as_posix())
    return out


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    try:
        return serve(args.site, bind=args.bind, port=args.port, poll=args.poll, live_reload=not args.no_reload,
                     open_browser=args.open, include_drafts=args.drafts)
    except OSError as err:  # the address cannot be bound (every port tried is busy, or not allowed)
        log.error("cannot serve on %s port %d: %s", args.bind, args.port, err.strerror or err)
        return 2


def cmd_init(args: argparse.Namespace) -> int:
    from .scaffold import init_site

    init_site(Path(args.site))
    return 0


COMMANDS = {"build": cmd_build, "stories": cmd_stories, "check": cmd_check, "serve": cmd_serve, "init": cmd_init}


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    _setup_logging(args)
    try:
        return COMMANDS[args.command](args)
    except DigestError as err:
        log.error("%s", err)
        return err.exit_code
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Incremental builds: a rebuild after a change gives the bytes of a clean build; nothing changed writes nothing."""

from __future__ import annotations

import os
import sqlite3
import shutil
from pathlib import Path

import pytest

from digest import article_cache
from digest.build import Builder, build_site
from digest.config import load_config
from conftest import write_site

CONFIG = "title: Incremental\nlanguages: [en, fr]\ntimezone: UTC\nbase_url: https://example.org/\n"
FILES = {
    "2024-06-01/tram-en.md": "---\ntitle: Tram line opens in Alden\nlang: en\ndate: 2024-06-01T09:00:00+00:00\n"
                             "source: Alden Post\n---\nThe new tram line opened on Saturday in Alden.\n",
    "2024-06-01/tram-fr.md": "---\ntitle: La ligne de tram d'Alden ouvre\nlang: fr\ndate: 2024-06-01T10:00:00+00:00\n"
                             "source: Le Courrier\n---\nLa nouvelle ligne de tram a ouvert samedi à Alden.\n",
    "2024-06-01/chess.txt": "Chess final ends in a draw | Evening Ledger\n\nChess final ends in a draw\n\n"
                            "The chess final in Alden ended in a draw after six hours of play on Saturday evening.\n\n"
                            "Both players said they were satisfied with the result and the organisers praised the crowd.\n\n"
                            + "".join(f"Move {n} was analysed at length by the commentators in the hall. " for n in range(40))
                            + "\n\nThe next tournament is planned for the autumn in the same hall.\n\n"
                            "Share on Facebook\n",
    "2024-06-02/heat.md": "---\ntitle: Heat record in Alden\nlang: en\ndate: 2024-06-02T08:00:00+00:00\n---\n"
                          "Temperatures reached 38 degrees.\n",
    "2024-06-02/bridge.txt": "Bridge reopens after repairs | Evening Ledger\n\nBridge reopens after repairs\n\n"
                             "The old bridge over the river reopened on Sunday after two years of repairs.\n\n"
                             "Share on Facebook\n",
}


def output_bytes(root: Path) -> dict[str, bytes]:
    out = root / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith(".digest-")}


def clean_build(tmp_path: Path, site: Path, embedder, name: str) -> dict[str, bytes]:
    """The same content and config, built from nothing by the plain pipeline."""
    fresh = tmp_path / name
    shutil.copytree(site / "content", fresh / "content")
    shutil.copy(site / "config.yaml", fresh / "config.yaml")
    build_site(load_config(fresh), embedder=embedder)
    return output_bytes(fresh)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site", FILES, CONFIG)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


CHANGES = {
    "edit-md": lambda c: edit(c / "2024-06-01/tram-en.md", "Tram line opens in Alden", "Alden tram line opens at last"),
    "edit-txt": lambda c: edit(c / "2024-06-02/bridge.txt", "Bridge reopens after repairs", "Old bridge reopens"),
    "add": lambda c: (c / "2024-06-02/heat-fr.md").write_text(
        "---\ntitle: Record de chaleur à Alden\nlang: fr\ndate: 2024-06-02T09:00:00+00:00\n---\n"
        "Les températures ont atteint 38 degrés.\n", encoding="utf-8"),
    "remove": lambda c: (c / "2024-06-01/chess.txt").unlink(),
    "remove-txt-and-md": lambda c: ((c / "2024-06-02/bridge.txt").unlink(), (c / "2024-06-02/heat.md").unlink()),
    # edits grouping does not read: the last grouping is kept (test_an_edit_grouping_does_not_read_…)
    "edit-outlet": lambda c: edit(c / "2024-06-01/tram-en.md", "source: Alden Post", "source: The Alden Post"),
    "edit-body-end": lambda c: edit(c / "2024-06-01/chess.txt", "planned for the autumn", "planned for October"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("same_process", [True, False], ids=["in-memory", "from-disk"])
def test_rebuild_after_a_change_equals_a_clean_build(site: Path, tmp_path: Path, embedder, change: str,
                                                      same_process: bool) -> None:
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    CHANGES[change](site / "content")
    if not same_process:
        builder = Builder(embedder=embedder)  # state comes from .digest-cache/
    result = builder.build(load_config(site))
    assert result.written or result.removed
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


@pytest.mark.parametrize("change", ["edit-outlet", "edit-body-end", "edit-md", "add"])
def test_an_edit_grouping_does_not_read_keeps_the_last_grouping(site: Path, tmp_path: Path, embedder, change: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Grouping is most of a rebuild's time (6 s of 7 at 10,000 articles). An outlet renamed, or words added
    past what grouping reads of a body, leave its inputs as they were: the last grouping is assembled into
    stories again instead (the outlet shows in them); a headline edited or an article added are grouped."""
    from digest import group

    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    calls: list[int] = []
    real = group.group_articles
    monkeypatch.setattr(group, "group_articles", lambda articles, *a, **k: calls.append(len(articles)) or real(articles, *a, **k))
    CHANGES[change](site / "content")
    Builder(embedder=embedder).build(load_config(site))
    assert bool(calls) == (change in ("edit-md", "add"))
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")
    if change == "edit-outlet":
        assert b"The Alden Post" in output_bytes(site)["index.html"] + output_bytes(site)["api/stories.json"]


def test_no_change_rebuild_writes_nothing(site: Path, embedder) -> None:
    Builder(embedder=embedder).build(load_config(site))
    before = {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*")}
    for builder in (Builder(embedder=embedder), Builder(embedder=embedder, persist=False)):
        result = builder.build(load_config(site))
        assert result.written == () and result.removed == ()
        assert result.unchanged == len(output_bytes(site))
    assert {p: p.stat().st_mtime_ns for p in (site / "output").rglob("*")} == before
    again = Builder(embedder=embedder).build(load_config(site))  # the site is loaded from the state on demand
    assert again.loaded_site is None
    assert again.summary == (len(again.site.articles), len(again.site.stories), len(again.site.languages)) == (5, 4, 2)


def test_a_new_version_of_the_code_rebuilds_an_unchanged_site(site: Path, embedder,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """After ``pip install -U`` (our modules or a library changed) nothing in the site changed, yet the
    new code may group or render differently: the build must not answer "nothing changed"."""
    Builder(embedder=embedder).build(load_config(site))
    assert "articles" not in dict(Builder(embedder=embedder).build(load_config(site)).timings)  # the shortcut
    monkeypatch.setattr("digest.incremental.installed_code", lambda: "another version")
    upgraded = Builder(embedder=embedder).build(load_config(site))
    assert "articles" in dict(upgraded.timings) and upgraded.summary == (5, 4, 2)
    assert "articles" not in dict(Builder(embedder=embedder).build(load_config(site)).timings)


def test_building_from_inside_the_site_or_naming_its_folder_is_the_same_build(site: Path, embedder,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """``cd site && digest build`` after ``digest build site`` (a Makefile, CI) changes nothing: no article is
    parsed again, no story regrouped, no page rewritten (the relative and absolute site paths used to give
    different fingerprints, so the second build started over as if cold)."""
    Builder(embedder=embedder).build(load_config(site))
    before = output_bytes(site)
    monkeypatch.chdir(site)
    inside = Builder(embedder=embedder).build(load_config("."))
    assert "articles" not in dict(inside.timings) and inside.written == ()
    (site / "content/2024-06-01/tram-en.md").write_text(
        (site / "content/2024-06-01/tram-en.md").read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    calls: list[str] = []
    real = article_cache.parse_source
    monkeypatch.setattr("digest.incremental.parse_source", lambda src, **kw: calls.append(src.path) or real(src, **kw))
    edited = Builder(embedder=embedder).build(load_config("."))
    assert calls == ["2024-06-01/tram-en.md"]  # only the edited article is parsed
    assert edited.written and output_bytes(site) != before


def test_touched_file_is_not_parsed_again(site: Path, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    Builder(embedder=embedder).build(load_config(site))
    path = site / "content/2024-06-01/tram-en.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    calls: list[str] = []
    real = article_cache.parse_source
    monkeypatch.setattr("digest.incremental.parse_source", lambda src, **kw: calls.append(src.path) or real(src, **kw))
    result = Builder(embedder=embedder).build(load_config(site))
    assert result.written == ()
    assert calls == [] or calls == ["2024-06-01/tram-en.md"]  # same bytes: at most a cache lookup by the new mtime


def test_changed_file_is_parsed_again_and_its_pages_change(site: Path, embedder) -> None:
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    edit(site / "content/2024-06-02/heat.md", "Heat record in Alden", "Alden swelters in record heat")
    result = builder.build(load_config(site))
    pages = output_bytes(site)
    assert any(b"Alden swelters in record heat" in data for data in pages.values())
    assert not any(b"Heat record in Alden" in data for data in pages.values())
    assert "articles/en/alden-swelters-in-record-heat/index.html" in result.written
    assert "articles/en/heat-record-in-alden/index.html" in result.removed


def test_new_parsing_code_invalidates_the_article_cache(site: Path, embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    Builder(embedder=embedder).build(load_config(site))
    calls: list[str] = []
    real = article_cache.parse_source
    monkeypatch.setattr("digest.incremental.parse_source", lambda src, **kw: calls.append(src.path) or real(src, **kw))
    Builder(embedder=embedder).build(load_config(site))
    assert calls == []  # nothing changed: nothing parsed
    monkeypatch.setattr(article_cache, "PARSE_PACKAGES", article_cache.PARSE_PACKAGES + ("a-new-extractor",))
    Builder(embedder=embedder).build(load_config(site))
    assert sorted(calls) == sorted(FILES)


@pytest.mark.parametrize("same_process", [True, False], ids=["in-memory", "from-disk"])
def test_deleted_output_file_is_written_again(site: Path, embedder, same_process: bool) -> None:
    """In memory, the unchanged stories' pages are listed from the last build's listing: one whose file
    was deleted is written again (from the page cache), byte for byte as before."""
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    expected = output_bytes(site)
    pages = sorted((site / "output").rglob("index.html"))
    victims = [next(p for p in pages if "articles" in p.parts), next(p for p in pages if "stories" in p.parts)]
    for victim in victims:
        victim.unlink()
    result = (builder if same_process else Builder(embedder=embedder)).build(load_config(site))
    assert sorted(result.written) == sorted(v.relative_to(site / "output").as_posix() for v in victims)
    assert output_bytes(site) == expected


def test_output_file_deleted_while_serving_is_written_again_by_the_exact_build(site: Path, embedder) -> None:
    """A quick build trusts output/ as the last build left it (it only writes the saved article's pages);
    the exact build that follows checks every file and writes a deleted one again."""
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    victim = next(p for p in (site / "output").rglob("index.html") if "articles" in p.parts and "tram" not in str(p))
    expected = victim.read_bytes()
    victim.unlink()
    CHANGES["edit-md"](site / "content")
    builder.build(load_config(site), changed=["2024-06-01/tram-en.md"], quick=True)
    exact = builder.build(load_config(site))
    assert victim.relative_to(site / "output").as_posix() in exact.written and victim.read_bytes() == expected


def test_config_change_rebuilds_every_page(site: Path, tmp_path: Path, embedder) -> None:
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    (site / "config.yaml").write_text(CONFIG.replace("title: Incremental", "title: Renamed"), encoding="utf-8")
    builder.build(load_config(site))
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def test_damaged_state_files_are_ignored(site: Path, tmp_path: Path, embedder) -> None:
    Builder(embedder=embedder).build(load_config(site))
    for f in (site / ".digest-cache").glob("build-*"):
        f.write_bytes(b"not a pickle")
    edit(site / "content/2024-06-01/tram-fr.md", "La ligne de tram d'Alden ouvre", "Alden inaugure son tram")
    Builder(embedder=embedder).build(load_config(site))
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def test_work_spread_over_processes_gives_the_same_bytes(site: Path, tmp_path: Path, embedder,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from digest import parallel

    monkeypatch.setattr(parallel, "MIN_ITEMS", 1)
    monkeypatch.setattr(parallel, "CHUNK", 2)
    assert parallel.worker_count(10, 2) == 2
    Builder(embedder=embedder, workers=2).build(load_config(site))
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")
    CHANGES["edit-txt"](site / "content")
    Builder(embedder=embedder, workers=2).build(load_config(site))
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean2")


@pytest.mark.parametrize("cache", ["kept", "lost"])
def test_after_one_edit_the_embedding_cache_is_not_looked_through_unless_it_lost_vectors(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str) -> None:
    """Texts are encoded ahead on every core when many are new. After one edit, finding which are new took a
    lookup of every text (13 s of a rebuild at 100,000 articles): a sample is looked up instead. When the
    cache lost its vectors (deleted, or a new encoder), the sample misses them and all are encoded ahead
    again, on the workers, not one by one while grouping."""
    from digest import parallel, prewarm
    from digest.cache import Cache
    from digest.embed import Embedder

    monkeypatch.setattr(parallel, "MIN_ITEMS", 3)
    monkeypatch.setattr(prewarm, "SAMPLE", 2)
    embedder = Embedder(tmp_path / "vectors")
    Builder(embedder=embedder, workers=2).build(load_config(site))
    assert embedder.encoded == 0 and embedder.cached > 0  # the first build encoded ahead, on the workers
    if cache == "lost":
        with sqlite3.connect(tmp_path / "vectors" / "cache.sqlite3") as db:
            db.execute("DELETE FROM blobs WHERE ns = 'embedding'")
    asked: list[int] = []
    present = Cache.present
    monkeypatch.setattr(Cache, "present", lambda self, ns, keys: asked.append(len(list(keys))) or present(self, ns, keys)
                        if ns == "embedding" else present(self, ns, keys))
    CHANGES["edit-md"](site / "content")
    again = Embedder(tmp_path / "vectors")
    Builder(embedder=again, workers=2).build(load_config(site))
    if cache == "kept":
        assert asked and max(asked) <= 3  # the sample only
        assert again.encoded == 1  # the edited headline, here
    else:
        assert max(asked) > 3  # every text looked up (not just the sample), then encoded ahead
        assert again.encoded == 0
    assert output_bytes(site) == clean_build(tmp_path, site, again, "clean")


@pytest.mark.parametrize("change", ["edit-md", "edit-txt", "add", "remove"])
def test_quick_build_shows_the_change_then_the_next_build_is_exact(site: Path, tmp_path: Path, embedder,
                                                                   change: str) -> None:
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    before = set((site / "content").rglob("*"))
    CHANGES[change](site / "content")
    after = set((site / "content").rglob("*"))
    changed = sorted(str(p) for p in before ^ after) or (
        ["2024-06-01/tram-en.md"] if change == "edit-md" else ["2024-06-02/bridge.txt"])
    quick = builder.build(load_config(site), changed=changed, quick=True)
    assert quick.provisional
    pages = output_bytes(site)
    if change == "edit-md":
        assert any(b"Alden tram line opens at last" in data for data in pages.values())
    if change == "add":
        assert "articles/fr/record-de-chaleur-a-alden/index.html" in pages
    if change == "remove":  # gone from every page; stories.json, feeds and sitemap follow with the exact build
        assert not any(b"Chess final" in data for name, data in pages.items() if name.endswith(".html"))
    exact = builder.build(load_config(site))
    assert not exact.provisional
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def test_saves_in_a_row_each_get_a_quick_build_then_one_exact_build(site: Path, tmp_path: Path, embedder) -> None:
    """A second save before the exact build has run is answered quickly too (not by a full build)."""
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    CHANGES["edit-md"](site / "content")
    assert builder.build(load_config(site), changed=["2024-06-01/tram-en.md"], quick=True).provisional
    CHANGES["add"](site / "content")
    second = builder.build(load_config(site), changed=[str(site / "content/2024-06-02/heat-fr.md")], quick=True)
    assert second.provisional
    pages = output_bytes(site)
    assert "articles/fr/record-de-chaleur-a-alden/index.html" in pages
    assert any(b"Alden tram line opens at last" in data for data in pages.values())
    exact = builder.build(load_config(site))  # nothing new on disk since the quick one, yet it regroups
    assert not exact.provisional and exact.written
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def test_the_first_save_after_a_restart_on_an_unchanged_site_gets_a_quick_build(site: Path, embedder) -> None:
    Builder(embedder=embedder).build(load_config(site))
    restarted = Builder(embedder=embedder)  # a new `digest serve`: state on disk, nothing changed
    assert not restarted.build(load_config(site)).written
    CHANGES["edit-md"](site / "content")
    quick = restarted.build(load_config(site), changed=["2024-06-01/tram-en.md"], quick=True)
    assert quick.provisional  # the saved stories, not a regrouping of everything
    assert any(b"Alden tram line opens at last" in data for data in output_bytes(site).values())


def test_quick_build_keeps_the_untouched_stories_and_reassembles_the_edited_one(site: Path, embedder) -> None:
    from digest.rank import story_order

    builder = Builder(embedder=embedder)
    before = {s.id: s for s in builder.build(load_config(site)).site.stories}
    CHANGES["edit-md"](site / "content")
    quick = builder.build(load_config(site), changed=["2024-06-01/tram-en.md"], quick=True).site
    assert quick.stories == tuple(sorted(quick.stories, key=story_order))  # the site's story order
    assert sorted(s.id for s in quick.stories) == sorted(before)
    for story in quick.stories:
        paths = sorted(a.path for a in story.articles)
        assert paths == sorted(a.path for a in before[story.id].articles)  # nobody moved
        if "2024-06-01/tram-en.md" in paths:
            assert "Alden tram line opens at last" in [a.title for a in story.articles]
        else:
            assert story is before[story.id]  # not assembled again


def test_quick_build_keeps_the_story_of_an_article_renamed_for_a_slug_clash(site: Path, embedder) -> None:
    (site / "content/2024-06-02/heat-again.md").write_text(  # same headline: its slug gets a suffix
        "---\ntitle: Heat record in Alden\nlang: en\ndate: 2024-06-02T18:00:00+00:00\nsource: Other Post\n---\n"
        "Evening temperatures stayed high.\n", encoding="utf-8")
    builder = Builder(embedder=embedder)
    first = builder.build(load_config(site)).site
    assert len({a.slug for a in first.articles}) == len(first.articles)
    before = {s.id: s for s in first.stories}
    CHANGES["edit-txt"](site / "content")
    quick = builder.build(load_config(site), changed=["2024-06-02/bridge.txt"], quick=True).site
    heat = [s for s in quick.stories if any("heat" in a.path for a in s.articles)]
    assert heat and all(s is before[s.id] for s in heat)


def test_quick_build_of_a_config_change_is_a_full_build(site: Path, tmp_path: Path, embedder) -> None:
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    (site / "config.yaml").write_text(CONFIG.replace("title: Incremental", "title: Renamed"), encoding="utf-8")
    result = builder.build(load_config(site), changed=[str(site / "config.yaml")], quick=True)
    assert not result.provisional
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def test_a_template_edited_while_the_builder_lives_is_used_by_its_next_build(site: Path, tmp_path: Path,
                                                                            embedder) -> None:
    """Compiled templates are kept between the dev server's builds, by source: an edit is compiled again."""
    (site / "templates").mkdir()
    override = site / "templates" / "article.html"
    override.write_text('{% extends "default/article.html" %}{% block footer_note %}<p>first note</p>{% endblock %}\n',
                        encoding="utf-8")
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    assert b"first note" in output_bytes(site)["articles/en/tram-line-opens-in-alden/index.html"]
    override.write_text(override.read_text(encoding="utf-8").replace("first note", "second note"), encoding="utf-8")
    builder.build(load_config(site))
    page = output_bytes(site)["articles/en/tram-line-opens-in-alden/index.html"]
    assert b"second note" in page and b"first note" not in page
    fresh = tmp_path / "clean"
    shutil.copytree(site / "templates", fresh / "templates")
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def footer_override(site: Path, template: str, html: str) -> None:
    """A site template extending the default ``template`` with ``html`` in its footer."""
    (site / "templates").mkdir()
    (site / "templates" / template).write_text(
        f'{{% extends "default/{template}" %}}{{% block footer_note %}}{html}{{% endblock %}}\n', encoding="utf-8")


def assert_like_a_clean_build_with_the_theme(site: Path, tmp_path: Path, embedder) -> None:
    fresh = tmp_path / "clean"
    shutil.copytree(site / "templates", fresh / "templates")
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


@pytest.mark.parametrize("shown", ["{{ site.articles|length }} articles", "as of {{ site.generated.isoformat() }}"])
def test_a_theme_showing_site_wide_values_on_every_page_stays_exact(site: Path, tmp_path: Path, embedder,
                                                                     shown: str) -> None:
    """Pages are skipped when their key is unchanged; a template that shows the article count or the build
    time on every page makes that unsafe, so then every page is rendered again (and the output stays exact)."""
    footer_override(site, "article.html", '<p class="count">' + shown + "</p>")
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    CHANGES["add"](site / "content")
    builder.build(load_config(site))
    assert_like_a_clean_build_with_the_theme(site, tmp_path, embedder)


def test_gc_deletes_cache_entries_of_edited_and_deleted_articles_and_keeps_all_a_build_reads(
        site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from digest.cli import main

    db = site / ".digest-cache" / "cache.sqlite3"

    def rows() -> set[tuple[str, str]]:
        with sqlite3.connect(db) as conn:
            found = set(conn.execute("SELECT ns, key FROM blobs").fetchall())
        conn.close()
        return found

    assert main(["build", str(site), "-q"]) == 0
    first = rows()
    edit(site / "content/2024-06-01/tram-en.md", "Tram line opens in Alden", "Alden tram line opens at last")
    (site / "content/2024-06-01/chess.txt").unlink()
    assert main(["build", str(site), "-q"]) == 0
    grown = rows()
    assert first <= grown  # a build never deletes cache entries by itself
    assert main(["build", str(site), "--gc"]) == 0  # nothing changed: this only collects
    kept = rows()
    gone = grown - kept
    assert kept < grown and {ns for ns, _ in gone} == {"article", "embedding", "page"}
    assert sum(ns == "article" for ns, _ in gone) == 2  # the edited article's old parse and the deleted one's
    assert sum(ns == "embedding" for ns, _ in gone) >= 2  # the old headline, the deleted article's headline and lead
    assert sum(ns == "page" for ns, _ in gone) >= 2  # the pages of the edited and deleted articles as they were
    assert f"gc: {len(gone)} cache entries no longer used were deleted" in capsys.readouterr().err
    # what was kept is everything a build of this content reads: from nothing, nothing is parsed or encoded
    shutil.rmtree(site / "output")
    for state in (site / ".digest-cache").glob("build-*"):
        state.unlink()
    parsed: list[str] = []
    real = article_cache.parse_source
    monkeypatch.setattr("digest.incremental.parse_source", lambda src, **kw: parsed.append(src.path) or real(src, **kw))
    monkeypatch.setattr("digest.embed.Embedder.model", property(lambda self: pytest.fail("a text was encoded again")))
    assert main(["build", str(site), "-q"]) == 0
    assert parsed == [] and rows() == kept


def record_rendered_pages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output path of every page rendered from now on (pages skipped or copied from the cache are not)."""
    from digest import render

    made: list[str] = []
    real = render.Renderer._page

    def counting(self, template, lang, path, **kw):
        page = real(self, template, lang, path, **kw)
        return render.Page(page.out, page.key, lambda: made.append(page.out) or page.make())

    monkeypatch.setattr(render.Renderer, "_page", counting)
    return made


def test_deleted_output_is_copied_back_from_the_page_cache_not_rendered(site: Path, embedder,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``rm -rf output`` (or a CI job that keeps only .digest-cache/): pages whose inputs did not change are
    written from the cache, byte for byte; only the pages without a key (archives, feeds) are rendered.
    A damaged cache entry is rendered instead."""
    Builder(embedder=embedder, workers=1).build(load_config(site))
    expected = output_bytes(site)
    made = record_rendered_pages(monkeypatch)
    shutil.rmtree(site / "output")
    result = Builder(embedder=embedder, workers=1).build(load_config(site))
    assert output_bytes(site) == expected and sorted(result.written) == sorted(expected)
    articles = [p for p in expected if p.startswith("articles/")]
    assert articles and not any(p in made for p in articles)  # copied back, not rendered

    db = site / ".digest-cache" / "cache.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE blobs SET value = X'00' WHERE ns = 'page'")
    conn.close()
    shutil.rmtree(site / "output")
    made.clear()
    Builder(embedder=embedder, workers=1).build(load_config(site))
    assert output_bytes(site) == expected and set(articles) <= set(made)  # damaged: rendered again


def test_after_a_few_edits_the_encoder_loads_while_the_state_is_read(site: Path, tmp_path: Path, embedder,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild after an edit will encode the new headline itself: the model starts loading on a thread
    before the saved state is read, so the build does not wait for it later. Not for a first build (its
    texts are encoded ahead on the workers) or a rebuild where nothing changed (nothing to encode)."""
    from digest.embed import Embedder

    asked: list[str] = []
    monkeypatch.setattr(Embedder, "load_soon", lambda self: asked.append("load"))
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    assert asked == []
    builder.build(load_config(site))
    assert asked == []
    CHANGES["edit-md"](site / "content")
    Builder(embedder=embedder).build(load_config(site))
    assert asked == ["load"]
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


def test_a_one_shot_build_lets_the_encoder_go_and_writes_the_same_bytes(site: Path, tmp_path: Path) -> None:
    """`digest build` and `digest serve` let the sentence encoder go once every text is embedded (its memory is not
    held through grouping, nor between the dev server's rebuilds); a builder asked to keep it does. Same site
    either way."""
    from digest.embed import Embedder

    once = Embedder(tmp_path / "cache-once")
    Builder(embedder=once).build(load_config(site))
    assert once.encoded > 0 and not once.loaded
    one_shot = output_bytes(site)

    shutil.rmtree(site / "output")
    shutil.rmtree(site / ".digest-cache")
    kept = Embedder(tmp_path / "cache-kept")
    Builder(embedder=kept, keep_encoder=True).build(load_config(site))
    assert kept.encoded > 0 and kept.loaded
    assert output_bytes(site) == one_shot


def test_saved_articles_share_their_evidence_lines(site: Path, embedder) -> None:
    """The saved state holds every article; their evidence lines ("date from path", …) repeat across thousands
    of articles and are read back as one string each, not one per article."""
    import pickle

    from digest.build_state import Data, load, state_paths

    cfg = load_config(site)
    Builder(embedder=embedder).build(cfg)
    data = load(state_paths(cfg.root / ".digest-cache", cfg.output_path)[1], Data)
    articles = [e.parsed.article for e in data.files.values() if e.parsed and e.parsed.article]
    by_text: dict[str, set[int]] = {}
    for a in articles:
        for line in a.evidence:
            by_text.setdefault(line, set()).add(id(line))
    assert any(len(a.evidence) for a in articles)
    assert all(len(ids) == 1 for ids in by_text.values())
    copy = pickle.loads(pickle.dumps(articles[0]))
    assert copy == articles[0] and all(x is y for x, y in zip(copy.evidence, articles[0].evidence))


FIRE = {  # one story of three versions whose pair scores are not saturated, and an unrelated one
    "a.md": "---\ntitle: Fire destroys warehouse in Alden harbour\nlang: en\ndate: 2024-06-01T09:00:00+00:00\n---\n"
            "A fire destroyed a warehouse in the harbour of Alden overnight.\n",
    "b.md": "---\ntitle: Alden harbour warehouse burns down overnight\nlang: en\ndate: 2024-06-01T11:00:00+00:00\n---\n"
            "Firefighters fought the blaze at the Alden harbour for hours.\n",
    "c.md": "---\ntitle: Un incendie détruit un entrepôt du port d'Alden\nlang: fr\ndate: 2024-06-01T10:00:00+00:00\n"
            "---\nUn incendie a détruit un entrepôt dans le port d'Alden.\n",
    "d.md": "---\ntitle: Chess final ends in a draw\nlang: en\ndate: 2024-06-01T12:00:00+00:00\n---\n"
            "The chess final ended in a draw.\n",
}


def add_budget_story(content: Path) -> None:
    """Another story sharing words with the fire story: the words' weights, so its pair scores, move."""
    (content / "e.md").write_text("---\ntitle: Alden council approves the harbour budget\nlang: en\n"
                                  "date: 2024-06-01T13:00:00+00:00\n---\nThe council of Alden approved the budget.\n",
                                  encoding="utf-8")


def _story_values(site) -> dict[str, tuple]:
    return {s.id: (tuple(a.id for a in s.articles), s.score, tuple((p.a, p.b, p.score) for p in s.pairs))
            for s in site.stories}


def test_pages_of_a_story_whose_scores_moved_are_not_rendered_again(tmp_path: Path, embedder,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A new article moves the pair scores of another story (word weights are corpus-wide); the default theme
    shows no pair scores, so that story's pages are not rendered again. The output stays exact."""
    from digest import render

    site = write_site(tmp_path / "site", FIRE, CONFIG)
    builder = Builder(embedder=embedder, workers=1)
    before = _story_values(builder.build(load_config(site)).site)
    made = record_rendered_pages(monkeypatch)
    add_budget_story(site / "content")
    result = builder.build(load_config(site))
    after = _story_values(result.site)
    moved = [s for s in result.site.stories if s.id in before and before[s.id][0] == after[s.id][0] != ()
             and before[s.id] != after[s.id]]
    assert moved  # same articles, other scores: what this test is about
    for story in moved:
        pages = [render.story_path(story)] + [render.article_path(a) for a in story.articles]
        assert not [p for p in pages if p + "index.html" in made]
    assert made  # the new story's pages were
    assert output_bytes(site) == clean_build(tmp_path, site, embedder, "clean")


@pytest.mark.parametrize("shown", ["{{ story.pairs|map(attribute='score')|join(' ') }}",
                                   "{% for p in story|attr('pairs') %}{{ p.score }} {% endfor %}"])
def test_a_theme_showing_pair_scores_gets_them_updated(tmp_path: Path, embedder, shown: str) -> None:
    """A theme that shows the scores of a story's pairs has its pages rendered again when the scores move."""
    site = write_site(tmp_path / "site", FIRE, CONFIG)
    footer_override(site, "story.html", '<p class="score">' + shown + "</p>")
    builder = Builder(embedder=embedder)
    builder.build(load_config(site))
    add_budget_story(site / "content")
    builder.build(load_config(site))
    assert_like_a_clean_build_with_the_theme(site, tmp_path, embedder)

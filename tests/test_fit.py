"""Every page handed out fits, as a user sees it: every kind's example, HW5 and the golden specs, compiled as the
article, the slides and the problem sheet, leave pdflatex no overfull box (over 1 pt wide, or any too high), no
figure parted from its caption and no part's setting alone at the foot of a page (read from pdflatex's log and
from labels it writes); the HTML key in Chromium at 400 and 1200 px sets no formula wider than its container
outside a box that scrolls, and printed on A4 runs no display past the margins.

Each document is rendered and compiled once (module-scoped fixtures); the assertions share it."""

from __future__ import annotations

import functools
import html as htmllib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import derive
from derive.commands import example
from derive.kinds import KINDS

from conftest import need_tex
from test_html import browse, chromium
from test_latex import compile_tex

pytestmark = pytest.mark.slow              # PDFs and a browser, every one

HERE = Path(__file__).resolve().parent
GOLDEN = sorted((HERE / "golden" / "specs").glob("*.toml"))
NAMES = [f"example-{k.name}" for k in KINDS.kinds()] + ["hw5"] + [p.stem for p in GOLDEN]
OVER = re.compile(r"^Overfull \\(hbox|vbox) \(([\d.]+)pt too (?:wide|high)\)", re.M)
LABEL = re.compile(r"\\newlabel\{([^}<]*)\}\{\{[^}]*\}\{(\d+)\}")


@functools.lru_cache(maxsize=None)
def _document(name: str):
    """A spec derived once for the module: every kind's example, HW5 or a golden spec."""
    if name.startswith("example-"):
        return derive.solve(derive.loads(example(name.removeprefix("example-"))))
    return derive.solve(derive.load(None if name == "hw5" else HERE / "golden" / "specs" / f"{name}.toml"))


@pytest.fixture(scope="module", params=NAMES)
def doc(request):
    """One spec, derived once for the whole module."""
    return request.param, _document(request.param)


# --- markers: labels pdflatex writes with the page they land on ------------------------------------------

def mark_figures(source: str) -> tuple[str, int]:
    """Each figure's picture and caption labelled fig-N and cap-N (the article's and the slides' templates)."""
    count = 0

    def picture(m):
        nonlocal count
        count += 1
        return f"{m.group(0)}\\label{{fig-{count}}}"

    source = re.sub(r"% Figure \d+ of [^\n]*\n(?:\\derivefigure\{%\n)?", picture, source)
    k = 0

    def caption(m):
        nonlocal k
        k += 1
        return f"{m.group(0)}\\label{{cap-{k}}}"

    source = re.sub(r"\\end\{tikzpicture\}(?:\}\{|\n\n\{\\small )", caption, source)
    assert k == count, "every figure's caption found"
    return source, count


MINIPAGE = "\\begin{minipage}{\\linewidth}"


def mark_settings(source: str) -> tuple[str, list[str]]:
    """On the problem sheet, each part's setting labelled set-ID at its end and its first question q-ID."""
    pieces = re.split(r"(\\subsection\*\{[^}]*\}\n)", source)
    out, ids = [pieces[0]], []
    for head, body in zip(pieces[1::2], pieces[2::2]):
        pid = head[len("\\subsection*{"):-2]
        first, end = body.find(MINIPAGE), body.find("\n\n")
        if 0 < end < first:
            cut = body.find("\\par\\nopagebreak")
            end = cut if 0 < cut < end else end
            body = f"{body[:end]}\\label{{set-{pid}}}{body[end:]}"
            first = body.find(MINIPAGE) + len(MINIPAGE)
            body = f"{body[:first]}\\label{{q-{pid}}}{body[first:]}"
            ids.append(pid)
        out += [head, body]
    return "".join(out), ids


DOCUMENTS = {"article": ("latex", "solutions"), "slides": ("beamer", "solutions"), "sheet": ("latex", "problems")}


@pytest.fixture(scope="module")
def compiled(doc, tmp_path_factory):
    """The article, the slides and the problem sheet of one spec, each compiled once with markers: per document,
    its log, the pages of its labels, its figures and its parts with a setting."""
    need_tex()
    name, document = doc
    out = {}
    for what, (fmt, sheet) in DOCUMENTS.items():
        source, figures = mark_figures(derive.render(document, fmt, sheet=sheet))
        source, settings = mark_settings(source) if what == "sheet" else (source, [])
        folder = tmp_path_factory.mktemp(f"{name}-{what}")
        log = compile_tex(source, folder, what)
        pages = dict(LABEL.findall((folder / f"{what}.aux").read_text(errors="replace")))
        out[what] = {"log": log, "pages": pages, "figures": figures, "settings": settings}
    return out


@pytest.mark.parametrize("what", list(DOCUMENTS))
def test_nothing_runs_off_the_page(compiled, what):
    """No line wider than the text block by more than 1 pt, no page or frame overfilled."""
    boxes = [(kind, float(pt)) for kind, pt in OVER.findall(compiled[what]["log"])]
    assert [b for b in boxes if b[0] == "vbox" or b[1] > 1.0] == []


def test_slides_shrink_no_display(compiled):
    """Displays are laid out for the frame, so none is shrunk (the slides' macro would not go below 0.7)."""
    assert "derive: a display shrunk" not in compiled["slides"]["log"]


@pytest.mark.parametrize("what", ["article", "slides", "sheet"])
def test_every_figure_shares_a_page_with_its_caption(compiled, what):
    found = compiled[what]
    pages = found["pages"]
    for n in range(1, found["figures"] + 1):
        assert pages[f"fig-{n}"] == pages[f"cap-{n}"], (what, n)


def test_a_setting_is_never_alone_at_the_foot_of_a_page(compiled):
    sheet = compiled["sheet"]
    assert [(p, sheet["pages"][f"set-{p}"], sheet["pages"][f"q-{p}"]) for p in sheet["settings"]
            if sheet["pages"][f"set-{p}"] != sheet["pages"][f"q-{p}"]] == []


def test_the_markers_find_what_they_mark():
    """The checks above bite: a figure split from its caption and a setting before a page break are seen."""
    need_tex()
    figure = ("% Figure 1 of 1a\n\\begin{tikzpicture}\\draw (0,0) -- (1,1);\n\\end{tikzpicture}\n\n"
              "{\\small A caption.}")
    source, n = mark_figures(figure)
    sheet, ids = mark_settings("\\subsection*{1a}\nA setting.\\par\\nopagebreak\n\n" + MINIPAGE + "Q\\end{minipage}")
    doc = ("\\documentclass{article}\\usepackage{tikz}\\begin{document}\n" + source.replace("\n\n", "\n\n\\newpage\n")
           + "\n\\newpage\n" + sheet.replace("\\par\\nopagebreak", "\\par\\newpage") + "\n\\end{document}\n")
    import tempfile
    folder = Path(tempfile.mkdtemp())
    compile_tex(doc, folder, "m")
    pages = dict(LABEL.findall((folder / "m.aux").read_text()))
    assert n == 1 and ids == ["1a"]
    assert pages["fig-1"] != pages["cap-1"] and pages["set-1a"] != pages["q-1a"]
    shutil.rmtree(folder)


# --- the HTML key in a browser ------------------------------------------------------------------------------

PROBE = """<script>
// Each key in a same-origin frame (srcdoc) of its width; once all have loaded, every formula of each is
// checked: wider than its block container, it must sit in a box that scrolls, that box in the view, and the
// formula not past the box's left edge (where scrolling cannot reach it).
function probe(frame) {
  const doc = frame.contentDocument, win = frame.contentWindow, view = doc.documentElement.clientWidth, bad = [];
  const style = el => win.getComputedStyle(el);
  for (const m of doc.querySelectorAll('math')) {
    const r = m.getBoundingClientRect();
    let box = m.parentElement;
    while (style(box).display.startsWith('inline')) box = box.parentElement;
    let scroller = m.parentElement;
    while (scroller && !['auto', 'scroll'].includes(style(scroller).overflowX)) scroller = scroller.parentElement;
    const cb = box.getBoundingClientRect();
    if (scroller) {
      const sb = scroller.getBoundingClientRect();
      if (sb.right > view + 1 || sb.left < -1) bad.push(`a scroll box ${Math.round(sb.width)} px in a ${view} px view`);
      if (r.left < sb.left - 1) bad.push(`out of reach, left of its scroll box: ${m.textContent.slice(0, 50)}`);
    } else if (r.right - cb.right > 1 || cb.left - r.left > 1) {
      bad.push(`${Math.round(r.width)} px in ${Math.round(cb.width)} px: ${m.textContent.slice(0, 50)}`);
    }
  }
  return {name: frame.dataset.name, view, maths: doc.querySelectorAll('math').length, bad};
}
addEventListener('load', () => document.body.setAttribute('data-probe',
  JSON.stringify([...document.querySelectorAll('iframe')].map(probe))));
</script>"""
WIDTHS = (400, 1200)


@pytest.fixture(scope="module")
def html_pages(tmp_path_factory):
    """Every spec's HTML key, written once."""
    folder = tmp_path_factory.mktemp("html")
    out = {}
    for name in NAMES:
        page = folder / f"{name}.html"
        page.write_text(derive.render(_document(name), "html"), encoding="utf-8")
        out[name] = page
    return out


@pytest.fixture(scope="module")
def in_browser(html_pages, tmp_path_factory):
    """Each key in a frame 400 px and one 1200 px wide, all in one Chromium run; per key and width, what the
    probe found: the view's width, the formulas and those that run out of their container with no scroll box."""
    chromium()
    folder = tmp_path_factory.mktemp("browser")
    frames = [f'<iframe data-name="{name}@{w}" srcdoc="{htmllib.escape(page.read_text(encoding="utf-8"))}" '
              f'style="width:{w}px;height:40px;border:0;display:block"></iframe>'
              for name, page in html_pages.items() for w in WIDTHS]
    outer = folder / "frames.html"
    outer.write_text(f"<!DOCTYPE html><html><body style='margin:0'>{''.join(frames)}{PROBE}</body></html>",
                     encoding="utf-8")
    dom = browse(outer, folder, "--dump-dom", "--window-size=1300,1000", "--virtual-time-budget=10000")
    found = re.search(r'data-probe="(.*?)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    return {tuple(r["name"].split("@")): r for r in json.loads(htmllib.unescape(found.group(1)))}


@pytest.mark.parametrize("width", WIDTHS)
def test_html_maths_fits_or_scrolls(in_browser, width):
    for name in NAMES:
        report = in_browser[(name, str(width))]
        assert report["view"] <= width and report["maths"] > 0, (name, report["view"])
        assert report["bad"] == [], (name, width, report["bad"][:5])


PRINTED = ["example-conv-matrix", "example-rnn-activation", "example-graph", "example-optimizer", "hw5"]


def test_html_printed_on_a4_clips_no_display(html_pages, tmp_path):
    """The keys with the widest displays (PRINTED: printing all of them takes minutes) in one page, printed to an
    A4 PDF by Chromium: no glyph outside the 2 cm margins."""
    chromium()
    shells = [html_pages[name].read_text(encoding="utf-8") for name in PRINTED]
    head, _, _ = shells[0].partition("<main>")
    bodies = [re.search(r"<main>(.*)</main>", text, re.S).group(1) for text in shells]
    page = tmp_path / "all.html"
    page.write_text(head.replace("</style>", "@page { size: A4; }</style>") + "<main>" + "".join(bodies)
                    + "</main></body></html>", encoding="utf-8")
    pdf = tmp_path / "all.pdf"
    proc = browse(page, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert proc.returncode == 0 and pdf.exists(), proc.stderr[-2000:]
    words = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True).stdout
    margin, slack = 2 / 2.54 * 72, 2.0
    outside = []
    for page_xml in words.split("<page ")[1:]:
        width = float(re.search(r'width="([\d.]+)"', page_xml).group(1))
        for x0, x1, word in re.findall(r'xMin="([\d.-]+)" yMin="[\d.-]+" xMax="([\d.-]+)" yMax="[\d.-]+">([^<]*)<',
                                       page_xml):
            if float(x0) < margin - slack or float(x1) > width - margin + slack:
                outside.append((word, round(float(x0)), round(float(x1)), round(width)))
    assert len(words) > 10_000 and outside == []

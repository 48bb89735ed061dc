"""Figures whose labels cannot collide: every figure of every kind's example, of HW5 and of the golden specs,
laid out for the SVG, the article and the slides, has no two label boxes meeting, none crossing a node or the
figure's edge (computed from the drawing and, for the SVG, from the SVG's own text runs and in a real
browser); no SVG text is TeX source; and the widths the layout gives the TikZ labels are pdflatex's own."""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import pytest

import derive
from derive.figures import Circuit, Edge, Node
from derive.formats.drawing import Rect, Text, extent
from derive.formats.figures import covered, label_tex, svg_drawing, svg_text, tikz_drawing
from derive.formats.mathbox import Metrics
from derive.kinds import KINDS

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_make", GOLDEN / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

SPECS = [f"example:{k.name}" for k in KINDS.kinds()] + ["hw5"] + [n for n in make.SPECS if n != "hw5"]
E = 0.005                      # cm: rounding of the printed coordinates


@lru_cache(maxsize=None)
def document(name: str):
    if name.startswith("example:"):
        return derive.solve(derive.loads(KINDS[name.split(":", 1)[1]].example()))
    return derive.solve(derive.load(make.SPECS[name]))


def bodies(doc):
    for q in doc.questions():
        for k, fig in enumerate(q.figures):
            for body in (fig.body, fig.sheet):
                if body is not None:
                    yield f"{q.id} fig{k + 1} {fig.kind}", body, q.notation


def drawings(body, notation):
    yield "svg", *svg_drawing(body, notation)
    yield "article", *tikz_drawing(body, notation)
    yield "slides", *tikz_drawing(body, notation, slide=True)


def _meet(a, b) -> bool:
    return a[0] < b[2] - E and b[0] < a[2] - E and a[1] < b[3] - E and b[1] < a[3] - E


def collisions(d, labels) -> list[str]:
    """Label boxes that meet, that cross a node's box (a label inside its node is its name), or that leave the
    figure."""
    texts = [t for t in d.items if isinstance(t, Text) and t.label not in ("", None)]
    boxes = [(labels.plain(t.label), extent(t, labels)) for t in texts]
    nodes = [r for r in d.items if isinstance(r, Rect) and dict(r.data).get("node") is not None]
    out = [f"{a!r} meets {b!r}" for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if _meet(ba, bb)]
    for name, b in boxes:
        if b[0] < -E or b[1] < -E or b[2] > d.width + E or b[3] > d.height + E:
            out.append(f"{name!r} leaves the figure: {b} in {d.width} x {d.height}")
        for r in nodes:
            node = (r.x, r.y, r.x + r.w, r.y + r.h)
            inside = node[0] - E <= b[0] and b[2] <= node[2] + E and node[1] - E <= b[1] and b[3] <= node[3] + E
            if _meet(b, node) and not inside:
                out.append(f"{name!r} crosses node {dict(r.data)['node']!r}")
    return out


@pytest.mark.parametrize("name", SPECS)
def test_no_label_meets_another_a_node_or_the_edge(name):
    found = []
    for where, body, notation in bodies(document(name)):
        for target, d, labels in drawings(body, notation):
            found += [f"{where} ({target}): {p}" for p in collisions(d, labels)]
    assert found == []


def five_into_one() -> Circuit:
    """Five matrix-valued wires into one node, values and gradients on each (the crowded case)."""
    from sympy import ImmutableMatrix as M
    nodes = [Node(f"x{k}", f"x{k}", 0, k) for k in range(5)] + [Node("s", "s", 1, 2), Node("->", "L", 2, 2)]
    edges = [Edge(f"x{k}", "s", M([[k, -1, 2], [0, 1, k]]), M([[1, k], [-k, 2], [3, 1]])) for k in range(5)]
    return Circuit(tuple(nodes), tuple(edges) + (Edge("s", "->", M([1, 2]), M([3, 4])),))


def test_five_converging_wires_keep_their_labels_apart():
    """The crowded case: what finds no room beside its wire goes to the table under the circuit, as a key."""
    for target, d, labels in drawings(five_into_one(), derive.notation.EMPTY):
        assert collisions(d, labels) == [], target
        texts = [t.label for t in d.items if isinstance(t, Text)]
        keys = [t for t in texts if isinstance(t, str) and re.fullmatch(r"\(\d+\)", t)]
        assert keys and len(keys) % 2 == 0              # each key twice: on its wire and in the table
        assert len([t for t in texts if not isinstance(t, str)]) == 12     # each value and gradient once


BOUNDS = re.compile(r"\\useasboundingbox \(([-\d.]+), ([-\d.]+)\) rectangle \(([-\d.]+), ([-\d.]+)\)")


def test_on_a_slide_the_key_table_is_a_picture_of_its_own():
    """The slides' TikZ of a circuit with a key table: the circuit, then \\derivekeys{caption}{table}, two
    pictures that meet where the table begins and together cover the whole figure (stacked, they are the
    article's one picture); each key of the table in the table's picture, each key on a wire in the circuit's;
    the caption counts the keys and says what the colours hold."""
    from derive.formats.figures import tikz
    body = five_into_one()
    d, labels = tikz_drawing(body, derive.notation.EMPTY, slide=True)
    assert d.keys is not None
    keyed = [t.label for t in d.items if isinstance(t, Text) and isinstance(t.label, str) and t.label.startswith("(")]
    n = len(keyed) // 2
    source = tikz(body, slide=True)
    circuit, _, rest = source.partition("\\derivekeys{")
    caption, _, table = rest.partition("}{%\n")
    assert caption == (f"The labels keyed (1) to ({n}) on the computational graph's wires: values in green, "
                       "gradients in red.")
    (a, b, c, top), (a2, bottom, c2, cut) = (tuple(map(float, m)) for m in BOUNDS.findall(source))
    assert (a, c, b) == (a2, c2, cut) and (a, bottom, c, top) == covered(d, labels)
    assert circuit.count("\\begin{tikzpicture}") == table.count("\\begin{tikzpicture}") == 1
    for k in range(1, n + 1):
        assert circuit.count(f" ({k})}}") == table.count(f" ({k})}}") == 1
    assert "derivekeys" not in tikz(body) and tikz(body).count("\\begin{tikzpicture}") == 1     # the article's


def test_a_key_tables_caption_says_what_it_holds():
    from derive.formats.drawing import Drawing
    from derive.formats.drawing_circuit import keys_caption
    one = Drawing(1, 1, (Text(0, 0, "(1)", colour="derivegreen"), Text(0, 0, 5, colour="derivegreen")), ())
    assert keys_caption(one) == "The label keyed (1) on the computational graph's wires: values in green."
    two = Drawing(1, 1, tuple(Text(0, 0, f"({k})", colour="derivered") for k in (1, 2)), ())
    assert keys_caption(two) == "The labels keyed (1) to (2) on the computational graph's wires: gradients in red."


# --- the SVG, read back -----------------------------------------------------------------------

SVG_FONT = Metrics("svg", "ten")            # pdflatex's heights and depths of the SVG's glyphs, at 10 pt
TEX = re.compile(r"\\|begin|frac|matrix|\^\{|_\{")


def _svg_label_boxes(svg: str) -> list[tuple[str, tuple]]:
    """Each label group's box, computed from its own runs (x, textLength, font-size) and lines."""
    root = ET.fromstring(svg if "xmlns" in svg else svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1))
    ns = "{http://www.w3.org/2000/svg}"
    out = []
    for g in root.iter(f"{ns}g"):
        if g.get("class") != "label" or g.get("transform"):
            continue
        xs, ys = [], []
        for t in g.iter(f"{ns}text"):
            x, y, size = float(t.get("x")), float(t.get("y")), float(t.get("font-size"))
            cls = "it" if t.get("font-style") == "italic" else "bf" if t.get("font-weight") == "bold" else "rm"
            shapes = [SVG_FONT.shape(ch, cls, 0) for ch in (t.text or "") if not ch.isspace()] or [(0.0, 0.0)]
            xs += [x, x + float(t.get("textLength", 0))]
            ys += [y - max(h for h, _ in shapes) * size / 10, y + max(d for _, d in shapes) * size / 10]
        for p in g.iter(f"{ns}polyline"):
            pts = [tuple(map(float, pair.split(","))) for pair in p.get("points").split()]
            xs += [a for a, _ in pts]
            ys += [b for _, b in pts]
        if xs:
            out.append((g.get("aria-label"), (min(xs), min(ys), max(xs), max(ys))))
    return out


@pytest.mark.parametrize("name", SPECS)
def test_svg_text_is_maths_laid_out_never_tex(name):
    """No TeX in any SVG text or label; each label's drawn runs lie inside the box the layout gave it, and the
    runs of two labels never meet."""
    for where, body, notation in bodies(document(name)):
        svg = svg_text(body, notation, where, standalone=True)
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg) + re.findall(r'aria-label="([^"]*)"', svg)
        assert not [t for t in texts if TEX.search(t)], where
        drawn = _svg_label_boxes(svg)
        declared = [tuple(map(float, b.split())) for b in re.findall(r'data-box="([^"]*)"', svg)]
        for (label, b), (x, y, w, h) in zip(drawn, [d for d, g in zip(declared, re.findall(
                r'<g class="label"([^>]*)>', svg)) if "transform" not in g]):
            assert x - 0.5 <= b[0] and b[2] <= x + w + 0.5 and y - 0.5 <= b[1] and b[3] <= y + h + 0.5, \
                (where, label, b, (x, y, w, h))
        for (a, ba), (b, bb) in itertools.combinations(drawn, 2):
            assert not (ba[0] < bb[2] - 0.5 and bb[0] < ba[2] - 0.5 and ba[1] < bb[3] - 0.5 and bb[1] < ba[3] - 0.5), \
                (where, a, b)


def test_a_matrix_label_is_a_grid_between_brackets():
    """The graph example's matrix on a wire: its entries as separate texts in rows and columns, its brackets
    drawn; the legend of an LSTM's gradient plot is a product with limits, not 'prod_(t=1)'."""
    doc = document("example:graph")
    q = next(q for q in doc.questions() if q.id == "3a.i")
    svg = svg_text(q.figures[0].body, q.notation, "3a.i")
    group = re.search(r'<g class="label" aria-label="\[1, −1, 2; 0, 1, 1\]"[^>]*>(.*?)</g>', svg).group(1)
    entries = re.findall(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', group)
    assert [e[2] for e in entries] == ["1", "−", "1", "2", "0", "1", "1"]    # row by row, the minus a sign
    assert len({e[1] for e in entries}) == 2                            # two rows of baselines
    assert group.count("<polyline") == 2                                # the brackets


# --- the browser's own measurement -------------------------------------------------------------

def test_chromium_sees_no_two_labels_meet(tmp_path):
    """The graph example's page in headless Chromium: each label's bounding box as the browser lays it out
    (getBBox, whatever font it has) meets no other label's in the same figure and stays inside the figure."""
    from test_html import browse, chromium
    chromium()
    html = derive.render(document("example:graph"), "html")
    probe = """<script>
    addEventListener('load', () => {
      const bad = [];
      document.querySelectorAll('svg').forEach((svg, k) => {
        const vb = svg.viewBox.baseVal;
        const boxes = [...svg.querySelectorAll('g.label')].map(g => [g.getAttribute('aria-label'), g.getBBox()]);
        boxes.forEach(([n, b]) => { if (b.x < -1 || b.y < -1 || b.x + b.width > vb.width + 1 || b.y + b.height > vb.height + 1) bad.push(`${k} ${n} leaves`); });
        for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
          const [a, p] = boxes[i], [b, q] = boxes[j];
          if (p.x < q.x + q.width - 1 && q.x < p.x + p.width - 1 && p.y < q.y + q.height - 1 && q.y < p.y + p.height - 1)
            bad.push(`${k} ${a} meets ${b}`);
        }
      });
      document.body.setAttribute('data-probe', JSON.stringify([document.querySelectorAll('g.label').length, bad]));
    });
    </script>"""
    page = tmp_path / "graph.html"
    page.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom", "--virtual-time-budget=5000")
    found = re.search(r"data-probe=\"([^\"]*)\"", dom.stdout)
    assert found, dom.stderr[-2000:]
    import html as _html
    import json
    count, bad = json.loads(_html.unescape(found.group(1)))
    assert count > 30 and bad == []


# --- pdflatex's own widths -------------------------------------------------------------------------

SETUPS = {"article": r"\documentclass[11pt]{article}\usepackage{amsmath,amssymb}\usepackage{xcolor}",
          "slides": r"\documentclass[11pt,aspectratio=169]{beamer}\usefonttheme[onlymath]{serif}"}
SIZE = {"small": r"\footnotesize", "tiny": r"\scriptsize"}


def _measured(setup: str, labels: list[tuple[str, str]]) -> list[tuple[float, float, float]]:
    """pdflatex's width, height and depth (pt) of each (size, LaTeX text) as the figures set it."""
    lines = [SETUPS[setup], r"\newbox\probe", r"\begin{document}"]
    for k, (size, text) in enumerate(labels):
        lines.append(rf"\setbox\probe\hbox{{{SIZE[size]} {text}}}\typeout{{L {k} \the\wd\probe\space"
                     rf"\the\ht\probe\space\the\dp\probe}}")
    lines.append(r"\end{document}")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.tex").write_text("\n".join(lines), encoding="utf-8")
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "m.tex"], cwd=tmp,
                       capture_output=True, timeout=300, env={**os.environ, "max_print_line": "10000"})
        log = (Path(tmp) / "m.log").read_text(encoding="latin-1")
    found = {int(k): (float(w), float(h), float(d)) for k, w, h, d in
             re.findall(r"L (\d+) ([\d.]+)pt ([\d.]+)pt ([\d.]+)pt", log)}
    return [found[k] for k in range(len(labels))]


@pytest.mark.parametrize("setup", list(SETUPS))
def test_tikz_label_boxes_hold_what_pdflatex_sets(setup):
    """Every distinct label of the examples' and HW5's figures, measured by pdflatex as the TikZ sets it: the
    box the layout gives it is at least as wide, tall and deep (within 0.1 pt), and not much wider (10 %)."""
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    seen = {}
    for name in [s for s in SPECS if s.startswith("example:")] + ["hw5"]:
        for _, body, notation in bodies(document(name)):
            d, labels = tikz_drawing(body, notation, slide=setup == "slides")
            for t in d.items:
                if isinstance(t, Text) and t.label not in ("", None):
                    text = t.label.tex if hasattr(t.label, "tex") else label_tex(t.label, notation)
                    w, h, d = labels.measure(t.label, t.size)
                    seen.setdefault((t.size, text), tuple(v / labels.scale(t.size) for v in (w, h, d)))
    keys = list(seen)
    assert len(keys) > 100
    for (size, text), real in zip(keys, _measured(setup, keys)):
        ours = seen[(size, text)]
        assert all(r <= o + 0.1 for r, o in zip(real, ours)), (text, real, ours)
        assert ours[0] <= 1.1 * real[0] + 1.0, (text, real, ours)


def test_tikz_bounding_box_holds_every_label():
    """The picture's bounding box (TikZ counts only its lines) covers its labels too."""
    doc = document("example:graph")
    for _, body, notation in bodies(doc):
        d, labels = tikz_drawing(body, notation)
        x0, y0, x1, y1 = covered(d, labels)
        for t in d.items:
            if isinstance(t, Text):
                b = extent(t, labels)
                assert x0 - E <= b[0] and b[2] <= x1 + E and y0 - E <= b[1] and b[3] <= y1 + E

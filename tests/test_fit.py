"""Every page handed out fits, as a user sees it: every kind's example, HW5, the golden specs and specs drawn by
hypothesis at sizes that crowd a page, compiled as the article, the slides and the problem sheet, leave pdflatex
no overfull box (over 1 pt wide, or any too high), no figure parted from its caption, no part's setting alone
at the foot of a page (read from pdflatex's log and from labels it writes) and no figure on a slide shrunk so far
that its labels are drawn under 7 pt (read from the slides' PDF); the HTML key in Chromium at 400 and
1200 px sets no formula wider than its container outside a box that scrolls, and printed on A4 runs no display
past the margins.

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
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

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
DRAWN_EXAMPLES = 8                  # each three pdflatex runs: 5 to 20 s
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
    """Each figure's picture and caption labelled fig-N and cap-N (the article's and the slides' templates; on a
    slide, a circuit's key table and its caption are one box, after the circuit's caption)."""
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

    source = re.sub(r"\\end\{picture\}\}\}?(?:\}\{|\n\n\{\\small )", caption, source)   # }}}{: after \\derivekeys
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


# --- text sizes: read from the slides' PDF ---------------------------------------------------------------

PLAIN = "\\pdfcompresslevel=0 \\pdfobjcompresslevel=0\n"          # the PDF's pages written as text, to be read
STREAM = re.compile(rb"(\d+) 0 obj\s*<<(?:[^<>]|<<[^<>]*>>)*>>\s*stream\r?\n")
PAGE = re.compile(rb"/Type /Page\s*/Contents (\d+) 0 R")
TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|[\[\]]|/[^\s/\[\]()<>]+|[-+]?(?:\d+\.?\d*|\.\d+)|[A-Za-z'\"*]+")
BP = 72.27 / 72                              # a PDF unit (big point) in TeX points
READABLE = 7.0                               # pt: the least size text on a slide is read at (a figure's labels)


def _product(m, n):
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def text_sizes(pdf: Path) -> list[tuple[int, float, float]]:
    """Every run of text a PDF shows (written uncompressed: PLAIN): its page, its font's size and the size it is
    drawn at once the page's transformations (a figure shrunk, ...) have scaled it, in TeX points. Read from the
    pages' content streams: q and Q save and restore the transformation, cm multiplies it, Tf sets the font and
    Tj, TJ, ' and " show text."""
    data = pdf.read_bytes()
    streams = {int(m.group(1)): data[m.end():data.find(b"endstream", m.end())] for m in STREAM.finditer(data)}
    out = []
    for page, contents in enumerate(PAGE.findall(data), 1):
        ctm, saved, size, numbers = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), [], 0.0, []
        for token in TOKEN.findall(streams[int(contents)]):
            if token[:1] in b"-+.0123456789":
                numbers.append(float(token))
                continue
            if token == b"q":
                saved.append(ctm)
            elif token == b"Q":
                ctm = saved.pop()
            elif token == b"cm" and len(numbers) >= 6:
                ctm = _product(tuple(numbers[-6:]), ctm)
            elif token == b"Tf" and numbers:
                size = numbers[-1]
            elif token in (b"Tj", b"TJ", b"'", b'"'):
                scale = abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]) ** 0.5
                out.append((page, round(size * BP, 3), round(size * scale * BP, 3)))
            if token not in (b"[", b"]") and not token.startswith((b"(", b"<", b"/")):
                numbers = []
    return out


def shrunk_below_readable(sizes: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """The runs of text at 8 pt or more (a figure's labels: \\scriptsize on the 11 pt slides) drawn under 7 pt."""
    return sorted({(page, font, drawn) for page, font, drawn in sizes if font >= 7.9 and drawn < READABLE - 0.01})


DOCUMENTS = {"article": ("latex", "solutions"), "slides": ("beamer", "solutions"), "sheet": ("latex", "problems")}


def compile_three(document, folders) -> dict:
    """The article, the slides and the problem sheet of a derived document, each compiled with markers (in the
    folder ``folders(what)`` gives): per document, its source, its log, the pages of its labels, its figures and
    its parts with a setting."""
    out = {}
    for what, (fmt, sheet) in DOCUMENTS.items():
        source, figures = mark_figures(derive.render(document, fmt, sheet=sheet))
        source, settings = mark_settings(source) if what == "sheet" else (source, [])
        folder = folders(what)
        log = compile_tex(PLAIN + source if what == "slides" else source, folder, what)
        pages = dict(LABEL.findall((folder / f"{what}.aux").read_text(errors="replace")))
        sizes = text_sizes(folder / f"{what}.pdf") if what == "slides" else []
        out[what] = {"source": source, "log": log, "pages": pages, "figures": figures, "settings": settings,
                     "sizes": sizes}
    return out


@pytest.fixture(scope="module")
def compiled(doc, tmp_path_factory):
    """The article, the slides and the problem sheet of one spec, each compiled once (``compile_three``)."""
    need_tex()
    name, document = doc
    return compile_three(document, lambda what: tmp_path_factory.mktemp(f"{name}-{what}"))


@pytest.mark.parametrize("what", list(DOCUMENTS))
def test_nothing_runs_off_the_page(compiled, what):
    """No line wider than the text block by more than 1 pt, no page or frame overfilled."""
    boxes = [(kind, float(pt)) for kind, pt in OVER.findall(compiled[what]["log"])]
    assert [b for b in boxes if b[0] == "vbox" or b[1] > 1.0] == []


def test_slides_set_figure_labels_at_7pt_or_more(compiled):
    """No figure is shrunk so far that its labels (8 pt) are drawn under 7 pt, read from the slides' PDF; the
    reader sees the figures' labels (text drawn shrunk, or drawn at 8 pt)."""
    sizes = compiled["slides"]["sizes"]
    assert shrunk_below_readable(sizes) == []
    if compiled["slides"]["figures"]:
        assert any(font == 8.0 for _, font, _ in sizes)


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
    figure = ("% Figure 1 of 1a\n{\\setlength{\\unitlength}{1cm}\\begin{picture}(1,1)\\put(0,0){\\begin{tikzpicture}"
              "\\draw (0,0) -- (1,1);\n\\end{tikzpicture}}\\put(0.5,0.5){\\makebox(0,0){x}}\n\\end{picture}}\n\n"
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


def test_the_pdf_reader_sees_text_shrunk(tmp_path):
    """The sizes read from a PDF are the sizes drawn: 8 pt labels in a picture shrunk to 0.75 are 6 pt, beside
    them 8 pt and 11 pt text unshrunk; a rotated label keeps its size."""
    need_tex()
    label = r"\pgftext[at={\pgfpointxy{1}{1}}]{\scriptsize $x$ ab}"
    turned = r"\pgftext[at={\pgfpointxy{2}{1}}, rotate=90]{\scriptsize turned}"
    picture = rf"\begin{{tikzpicture}}{label}{turned}\draw (0,0) -- (2,2);\end{{tikzpicture}}"
    source = (PLAIN + r"\documentclass[11pt]{beamer}\usepackage{tikz}\begin{document}\begin{frame}{T}" "\n"
              rf"Text {{\scriptsize eight}} \scalebox{{0.75}}{{{picture}}} {picture}" "\n" r"\end{frame}\end{document}")
    compile_tex(source, tmp_path, "s")
    sizes = text_sizes(tmp_path / "s.pdf")
    assert {(font, drawn) for _, font, drawn in sizes} == {(10.95, 10.95), (14.4, 14.4), (8.0, 8.0), (8.0, 6.0)}
    assert shrunk_below_readable(sizes) == [(1, 8.0, 6.0)]


# --- drawn specs: sizes that stress the layout ------------------------------------------------------------
# One problem of each kind, with what makes a page crowded drawn large: a long input or a 2D input with channels
# (F wide and tall), many layers, many steps over several parameters, several recurrent units or a gated cell, a
# layer of matrices. Each drawn spec is compiled as the three documents and checked as the specs above are.

small = st.integers(-3, 3)
decimal = st.sampled_from([0.1, 0.25, -0.5, 0.75, 1.5, -1.2, 2, 0.3])


@st.composite
def conv_matrix(draw):
    """A 1D convolution of a long input or a 2D one with channels (its F wide and tall), symbols or numbers."""
    if draw(st.booleans()):
        n, k = draw(st.integers(6, 24)), draw(st.integers(2, 5))
        s, d = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        if d * (k - 1) + 1 > n:
            d = 1
        keys = {"length": n, "width": k, "stride": s, "dilation": d, "padding": draw(st.integers(0, 2))}
        part = {"activation": draw(st.sampled_from(["tanh", "sigmoid", r"\frac{1}{1 + \exp(-z)}"])),
                "ask": ["matrix", "output-size", "input-gradient", "gradient", "jacobian"],
                "wrt": f"f{draw(st.integers(1, k))}"}
        return keys, [part]
    h, w = draw(st.integers(3, 6)), draw(st.integers(3, 6))
    kh, kw = draw(st.sampled_from([(2, 2), (2, 3), (3, 2), (3, 3)]))
    keys = {"input": [h, w], "kernel": [kh, kw], "stride": draw(st.integers(1, 2)), "padding": draw(st.integers(0, 1))}
    m_h, m_w = ((size + 2 * keys["padding"] - k) // keys["stride"] + 1 for size, k in ((h, kh), (w, kw)))
    channels = draw(st.sampled_from([None, [1, 2], [2, 1]]))
    if channels and max(channels[1] * m_h * m_w, channels[0] * h * w) > 64:        # F is at most 64 x 64
        channels = None
    if channels:
        keys["channels"] = channels
    parts = [{"ask": ["matrix", "output-size"]}]
    if channels is None:
        parts.append({"x": [[draw(small) for _ in range(w)] for _ in range(h)],
                      "f": [[draw(decimal) for _ in range(kw)] for _ in range(kh)],
                      "upstream": [[draw(small) for _ in range(m_w)] for _ in range(m_h)],
                      "ask": ["forward", "filter-gradient-value", "input-gradient-value"]})
    return keys, parts


@st.composite
def network(draw):
    """An image through many layers (convs keeping or halving its size, norms, pools, then dense layers)."""
    size, channels = draw(st.sampled_from([8, 16, 32, 64])), draw(st.sampled_from([1, 3]))
    start, layers = size, []
    for _ in range(draw(st.integers(4, 18))):
        t = draw(st.sampled_from(["conv", "conv", "relu", "batchnorm", "maxpool", "dropout"]))
        if t == "conv":
            k = draw(st.sampled_from([1, 3, 5]))
            layers.append({"type": "conv", "filters": draw(st.sampled_from([8, 16, 64, 128])), "kernel": k,
                           "padding": "same" if draw(st.booleans()) else 0})
            if layers[-1]["padding"] == 0:
                if size - k + 1 < 2:
                    layers[-1]["padding"] = "same"
                else:
                    size = size - k + 1
        elif t == "maxpool":
            if size < 4:
                continue
            layers.append({"type": "maxpool", "kernel": 2})
            size //= 2
        elif t == "dropout":
            layers.append({"type": "dropout", "rate": 0.5})
        else:
            layers.append({"type": t})
    layers.append({"type": "flatten"})
    for _ in range(draw(st.integers(1, 3))):
        layers.append({"type": "dense", "units": draw(st.sampled_from([10, 100, 512]))})
    convs = [k for k, layer in enumerate(layers, 1) if layer["type"] == "conv"]
    parts = [{"ask": ["params", "total-params", "shapes", "macs", "total-macs"]}]
    if convs:
        parts.append({"layer": draw(st.sampled_from(convs)), "ask": ["same-padding", "receptive-field"]})
    return {"input": [start, start, channels], "layout": "HWC", "layers": layers}, parts


@st.composite
def optimizer(draw):
    """An optimiser over several parameters and many steps, or a loss over many steps."""
    name = draw(st.sampled_from(["sgd", "adam", "adamw", "rmsprop", "adagrad"]))
    n, steps = draw(st.integers(1, 4)), draw(st.integers(1, 6))
    keys = {"optimizer": name, "lr": draw(st.sampled_from([0.001, 0.01, 0.1, 0.5]))}
    if draw(st.booleans()):
        keys["w0"] = [draw(decimal) for _ in range(n)]
        keys["gradients"] = [[draw(decimal) for _ in range(n)] for _ in range(steps)]
    else:
        keys.update(w0=draw(decimal), loss=draw(st.sampled_from(["(w - 3)^2", "w^4 - w", "\\exp(w) - 2 w"])),
                    steps=steps)
    if name == "sgd" and draw(st.booleans()):
        keys.update(momentum=0.9, nesterov=draw(st.booleans()))
    if name in ("adam", "adamw") and draw(st.booleans()):
        keys["amsgrad"] = True
    if name == "rmsprop" and draw(st.booleans()):
        keys.update(centered=True, momentum=0.5)
    return keys, [{"ask": "updates"}]


@st.composite
def rnn_activation(draw):
    """Several recurrent units (up to four), or a gated cell."""
    act = draw(st.sampled_from(["tanh", "sigmoid", "relu", r"\frac{\exp(z)}{1 + \exp(z)}"]))
    if draw(st.integers(0, 2)):
        n = draw(st.integers(2, 4))
        keys = {"activation": act, "W_a": [[draw(decimal) for _ in range(n)] for _ in range(n)],
                "b": [draw(decimal) for _ in range(n)], "a0": [draw(decimal) for _ in range(n)], "T": 50}
        if draw(st.booleans()):
            m = draw(st.integers(1, 3))
            keys.update(x=[draw(small) for _ in range(m)], W_x=[[draw(decimal) for _ in range(m)] for _ in range(n)])
        return keys, [{"ask": ["derivative", "stability"]}]
    cell = draw(st.sampled_from(["lstm", "gru"]))
    gates = "fiog" if cell == "lstm" else "rzn"
    part = {"cell": cell, **{f"{w}_{g}": draw(decimal) for g in gates for w in "WUb"},
            "ask": ["derivative", "stability"], "T": 50}
    if cell == "lstm":
        part["c0"] = draw(decimal)
    return {"x": draw(small), "a0": draw(decimal)}, [part]


@st.composite
def graph(draw):
    """A layer with matrices: z = W x + b, an activation, then a cross-entropy or the gradient flowing into it
    given; values and gradients. Up to 6 outputs of 5 inputs: the circuit figure's table of values grows with the
    vectors (on a slide, it takes a frame of its own when the two are too tall for one)."""
    m, n = draw(st.integers(2, 6)), draw(st.integers(2, 5))
    given = {"W": [[draw(small) for _ in range(n)] for _ in range(m)], "x": [draw(small) for _ in range(n)],
             "b": [draw(small) for _ in range(m)]}
    forward = ["z = W @ x + b", f"h = {draw(st.sampled_from(['relu', 'sigmoid', 'tanh']))}(z)"]
    part = {"ask": ["forward", "gradient"]}
    if draw(st.booleans()):
        given["y"] = draw(st.integers(0, m - 1))
        forward.append("L = cross_entropy(h, y)")
    else:
        part["upstream"] = [draw(small) for _ in range(m)]
    return {"given": given, "forward": forward}, [part]


DRAWN = {"conv-matrix": conv_matrix, "network": network, "optimizer": optimizer, "rnn-activation": rnn_activation,
         "graph": graph}


@st.composite
def drawn_specs(draw) -> dict:
    """A spec (as data) of one problem a kind, each drawn by its strategy above."""
    problems = []
    for kind, strategy in DRAWN.items():
        keys, parts = draw(strategy())
        problems.append({"title": f"Drawn {kind}", "kind": kind, **keys, "part": parts})
    return {"title": "Drawn specs", "problem": problems}


HEADING = re.compile(r"^\\(?:sub)?section\*?\{([^}]*)\}", re.M)
AT = re.compile(r"^(Overfull \\[hv]box \(([\d.]+)pt too \w+\))(?:[^\n]*?lines? (\d+))?", re.M)


def where(source: str, line: int) -> str:
    """The headings (problem, part) above a line of a LaTeX source."""
    before = "\n".join(source.splitlines()[:line])
    return " / ".join(HEADING.findall(before)[-2:])


def faults(out: dict) -> list[tuple]:
    """What the checks above find in the three compiled documents: each overfull box (over 1 pt, or a vbox) with
    the headings above it, a shrunk display, a figure parted from its caption, a setting alone on its page."""
    found = []
    for what, doc in out.items():
        for head, pt, line in AT.findall(doc["log"]):
            if "vbox" in head or float(pt) > 1.0:
                found.append((what, head, where(doc["source"], int(line or 0))))
        pages = doc["pages"]
        found += [(what, "figure parted from its caption", n) for n in range(1, doc["figures"] + 1)
                  if pages[f"fig-{n}"] != pages[f"cap-{n}"]]
        found += [(what, "setting alone", p) for p in doc["settings"] if pages[f"set-{p}"] != pages[f"q-{p}"]]
    if "derive: a display shrunk" in out["slides"]["log"]:
        found.append(("slides", "a display shrunk"))
    found += [("slides", f"labels of {font} pt drawn at {drawn} pt", page)
              for page, font, drawn in shrunk_below_readable(out["slides"]["sizes"])]
    return found


@settings(max_examples=DRAWN_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(drawn_specs())
def test_drawn_specs_fit(tmp_path_factory, data):
    """Every drawn spec's three documents: nothing off the page, no display shrunk, no figure parted from its
    caption, no setting alone at the foot of a page (failures are not shrunk: each case is three pdflatex runs;
    the spec is printed)."""
    need_tex()
    note(json.dumps(data))
    document = derive.solve(derive.from_mapping(data))
    found = faults(compile_three(document, lambda what: tmp_path_factory.mktemp(f"drawn-{what}")))
    assert found == [], "\n".join(map(str, found))


# A spec the drawn test found (rnn_activation's several units): the product of diag(σ(z)(1 − σ(z))) and a 3 × 3
# W_a multiplied out, each entry a decimal times σ(z_i)(1 − σ(z_i)), beside ∂a⟨t⟩/∂a⟨t−1⟩ ran 2.7 pt past a
# slide's list (379.1 pt in 376.4 pt).
SIGMOID_UNITS = {"title": "Drawn specs", "problem": [{
    "title": "Drawn rnn-activation", "kind": "rnn-activation",
    "W_a": [[-1.2, 0.75, -0.5], [0.25, -1.2, 1.5], [-0.5, 0.3, -1.2]], "b": [0.1, -0.5, 0.25],
    "a0": [0.3, -1.2, 0.75], "T": 50, "part": [{"activation": "sigmoid", "ask": ["derivative", "stability"]}]}]}


def test_three_sigmoid_units_jacobian_fits(tmp_path_factory):
    """That spec's three documents fit (no Overfull \\hbox over 1 pt on the slides, the article and the sheet,
    none at all on the slides): the multiplied-out matrix, too wide beside its left side, is set under it."""
    need_tex()
    document = derive.solve(derive.from_mapping(SIGMOID_UNITS))
    out = compile_three(document, lambda what: tmp_path_factory.mktemp(f"sigmoid-units-{what}"))
    assert faults(out) == []
    assert "Overfull \\hbox" not in out["slides"]["log"]
    jacobian = r"&\frac{\partial a^{(i)\langle t\rangle}}{\partial a^{(i)\langle t-1\rangle}} \\"
    slides = out["slides"]["source"]
    assert jacobian in slides and r"&\quad = \left[\begin{matrix}-1.2 \sigma" in slides


def cross_entropy(m: int, n: int, activation: str) -> dict:
    """A spec (as data) of a graph problem: z = W x + b over n inputs and m outputs, an activation, a
    cross-entropy; its numbers fixed (from -3 to 3)."""
    value = [(5 * k + 2) % 7 - 3 for k in range(m * n + m + n)]
    given = {"W": [value[i * n:(i + 1) * n] for i in range(m)], "x": value[m * n:m * n + n],
             "b": value[m * n + n:], "y": m - 2}
    problem = {"title": "Cross-entropy", "kind": "graph", "given": given, "part": [{"ask": ["forward", "gradient"]}],
               "forward": ["z = W @ x + b", f"h = {activation}(z)", "L = cross_entropy(h, y)"]}
    return {"title": "Cross-entropy", "problem": [problem]}


@pytest.mark.parametrize("m, n, activation", [(5, 3, "sigmoid"), (5, 5, "tanh"), (6, 6, "relu")])
def test_a_cross_entropy_over_five_or_six_outputs_fits(tmp_path_factory, m, n, activation):
    """The circuits of a cross-entropy over five or six outputs with their tables of vectors (once 2 pt taller than
    a frame at their smallest, their labels at 6 pt): on the slides each circuit's table is set on the frame after
    it, no frame overfull, every label at 7 pt or more; the article and the problem sheet fit as well."""
    need_tex()
    document = derive.solve(derive.from_mapping(cross_entropy(m, n, activation)))
    folders = {what: tmp_path_factory.mktemp(f"ce{m}{n}-{what}") for what in DOCUMENTS}
    out = compile_three(document, folders.get)
    assert faults(out) == []
    slides = out["slides"]
    assert "Overfull" not in slides["log"]
    assert min(drawn for _, font, drawn in slides["sizes"] if font == 8.0) >= READABLE - 0.01
    text = subprocess.run(["pdftotext", str(folders["slides"] / "slides.pdf"), "-"], capture_output=True, text=True)
    pages = text.stdout.split("\f")
    keys = [k for k, page in enumerate(pages) if "The labels keyed (1) to" in page]
    assert keys and all("The computational graph, inputs" in pages[k - 1] for k in keys)


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

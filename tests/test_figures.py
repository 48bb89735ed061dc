"""Figures: every body in every format, the numbers read back out of the TikZ and the SVG equal to the JSON
figure data and the JSON answers, the rnn figures cross-checked against PyTorch, the .tex compiled, the
page shown in Chromium, and --no-figures, figures = false and Markdown on standard output."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import pytest
import sympy
from click.testing import CliRunner

import derive
from derive.cli import cli
from derive.errors import SpecError
from derive.figures import Box, Boxes, Cell, Circuit, Edge, Figure, Grid, Mark, Node, Plot, Series, without

from conftest import need_tex, spec
from test_html import browse, console_errors, parse
from test_latex import compile_tex, overfull

DATA = re.compile(r"% data: ([-+0-9.e]+), ([-+0-9.e]+)")


def g6(v) -> str:
    return f"{float(v):.6g}"


# --- synthetic figures: one of each body ------------------------------------------------------

def four_figures() -> tuple[Figure, ...]:
    x = sympy.Symbol("x")
    plot = Plot("t", sympy.Abs(x), (Series("decay", ((1, 0.5), (2, 0.25), (3, 0.125)), "line"),
                                   Series("rate", ((1, 0.5), (3, 0.125)), "dashed")),
                (Mark(2, 0.25, "half way", "open"),), log_y=True)
    cells = tuple(Cell(r, c, "shaded" if (r + c) % 2 else f"f{c + 1}", sympy.Rational(r - c, 2) if c < 3 else "")
                  for r in range(4) for c in range(5)) + (Cell(0, 4, "hatched"), Cell(3, 4, "hole"))
    grid = Grid(4, 5, cells, (("f1", "the weight f₁ & 50% of <the> rest"), ("shaded", "the field")),
                ("r1", "r2", "r3", "r4"), tuple(sympy.Symbol(f"x_{k}") for k in range(5)))
    boxes = Boxes((Box("input", 3, 32, ("32 × 32 × 3",)), Box("conv", 10, 30, ("30 × 30 × 10",)),
                   Box("pool", 10, 15, ("15 × 15 × 10", "stride 2"))))
    circuit = Circuit((Node("x", "x", 0, 0), Node("w", "w", 0, 1), Node("m", "×", 1, 0.5), Node("f", "σ", 2, 0.5)),
                      (Edge("x", "m", "-1", "0.39"), Edge("w", "m", sympy.Rational(3, 2), sympy.Float(-0.2)),
                       Edge("m", "f", "1.5", "0.2")))
    empty = Grid(4, 5, ())
    return (Figure("A decay on a log axis.", plot), Figure("The grid & its 100% <cells>.", grid, sheet=empty,
                                                           sheet_caption="The empty grid."),
            Figure("Layers.", boxes), Figure("A circuit.", circuit))


def with_figures(doc, qid: str, figures):
    """The document with one question's figures replaced."""
    def question(q):
        return replace(q, figures=tuple(figures)) if q.id == qid else q
    return replace(doc, problems=tuple(
        replace(p, parts=tuple(replace(part, questions=tuple(question(q) for q in part.questions))
                               for part in p.parts)) for p in doc.problems))


@pytest.fixture(scope="module")
def synthetic():
    doc = derive.solve(spec("cnn-dims", [{"ask": "params"}], input=[8, 8, 1],
                            layers=[{"type": "conv", "filters": 2, "kernel": 3}]))
    return with_figures(doc, "1a", four_figures())


def test_every_format_draws_every_body(synthetic):
    latex = derive.render(synthetic, "latex")
    assert latex.count(r"\begin{tikzpicture}") == 4 and r"\usepackage{tikz}" in latex
    assert r"the weight f$_1$ \& 50\% of $<$the$>$ rest" in latex             # user text escaped
    assert r"$\frac{1}{2}$" in latex and r"$x_{0}$" in latex                    # SymPy printed as LaTeX
    beamer = derive.render(synthetic, "beamer")
    assert beamer.count(r"\begin{tikzpicture}") == 4
    html = derive.render(synthetic, "html")
    page = parse(html)
    assert page.errors == [] and html.count("<svg") == 4 and "script" not in page.tags
    assert "the weight f₁ &amp; 50% of &lt;the&gt; rest" in html and "<title>1/2</title>" in html
    assert not page.refs                                                        # nothing fetched
    md = derive.render(synthetic, "markdown")
    links = re.findall(r"!\[[^\]]*\]\((spec-1a-fig\d\.svg)\)", md)
    assert links == [f"spec-1a-fig{k}.svg" for k in range(1, 5)]
    files = derive.formats.figure_files(synthetic, "markdown")
    assert sorted(files) == [f"1a-fig{k}.svg" for k in range(1, 5)]
    assert all(svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') for svg in files.values())
    data = json.loads(derive.render(synthetic, "json"))["parts"][0]["figures"]
    assert [f["kind"] for f in data] == ["plot", "grid", "boxes", "circuit"]
    assert data[0]["body"]["series"][0]["points"] == [[1, 0.5], [2, 0.25], [3, 0.125]]
    assert data[0]["body"]["y_label"] == r"\left|{x}\right|" and data[0]["sheet"] is None
    assert data[1]["body"]["cells"][1]["label"] == r"- \frac{1}{2}" and data[1]["sheet"]["cells"] == []
    assert data[3]["body"]["edges"][1] == {"source": "w", "target": "m", "above": r"\frac{3}{2}", "below": -0.2}


def test_snippets_write_each_figure_alone(synthetic):
    files = derive.formats.snippets(synthetic, "latex")
    assert [k for k in files if "fig" in k] == [f"1a-fig{k}.tex" for k in range(1, 5)]
    assert all(files[f"1a-fig{k}.tex"].count(r"\begin{tikzpicture}") == 1 for k in range(1, 5))
    assert r"\usepackage{tikz}" in files["preamble.tex"]
    md = derive.formats.snippets(synthetic, "markdown")
    assert [k for k in md if k.endswith(".svg")] == [f"1a-fig{k}.svg" for k in range(1, 5)]


def test_problem_sheet_shows_only_sheet_bodies(synthetic, hw5):
    for fmt in ("latex", "beamer"):
        sheet = derive.render(synthetic, fmt, sheet="problems")
        assert sheet.count(r"\begin{tikzpicture}") == 1 and "The empty grid." in sheet
        assert "A circuit." not in sheet
    html = derive.render(synthetic, "html", sheet="problems")
    assert html.count("<svg") == 1 and 'data-role' not in html
    md = derive.render(synthetic, "markdown", sheet="problems")
    assert re.findall(r"\]\(([^)]*\.svg)\)", md) == ["spec-1a-fig2-sheet.svg"]
    assert list(derive.formats.figure_files(synthetic, "markdown", sheet="problems")) == ["1a-fig2-sheet.svg"]
    rnn = derive.solve(derive.load(), ["1a.ii", "1b.ii"])
    assert all(q.figures for q in rnn.questions())
    for fmt in ("latex", "html", "markdown", "beamer"):                          # rnn's figures give answers away
        assert "tikzpicture" not in derive.render(rnn, fmt, sheet="problems")
        assert "<svg" not in derive.render(rnn, fmt, sheet="problems")


def test_without_figures_is_the_same_document_otherwise(synthetic):
    bare = without(synthetic)
    assert all(q.figures == () for q in bare.questions())
    assert derive.render(bare, "latex") == derive.render(spec_doc(), "latex")


def spec_doc():
    return derive.solve(spec("cnn-dims", [{"ask": "params"}], input=[8, 8, 1],
                             layers=[{"type": "conv", "filters": 2, "kernel": 3}]))


# --- the numbers read back ----------------------------------------------------------------------

def tikz_pictures(latex: str) -> list[str]:
    return re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", latex, re.S)


def tikz_series(picture: str) -> list[list[tuple[str, str]]]:
    """The data of each plotted series of a tikzpicture: the '% data: x, y' comments, series by series."""
    return [DATA.findall(block) for block in re.findall(r"% a plotted series.*?\\end\{pgfscope\}", picture, re.S)]


def tikz_marks(picture: str) -> list[tuple[str, str]]:
    return [DATA.search(line).groups() for line in picture.splitlines()
            if r"\pgfpathcircle" in line and "{0.09cm}" in line and DATA.search(line)]


def svg_series(svg: str) -> list[list[tuple[str, str]]]:
    return [[tuple(p.split(",")) for p in pts.split()] for pts in re.findall(r'<polyline[^>]*data-points="([^"]*)"', svg)]


def thinned_from(drawn: list, full: list) -> bool:
    """A drawn series is its data thinned: the first and the last point, the others a subsequence (derive.formats.
    drawing.thinned; tests/test_thinning.py checks the deviation)."""
    it = iter(full)
    return bool(drawn) and drawn[0] == full[0] and drawn[-1] == full[-1] and all(p in it for p in drawn)


def drawn_from(drawn: list[list], full: list[list]) -> bool:
    return len(drawn) == len(full) and all(thinned_from(d, f) for d, f in zip(drawn, full))


def svg_marks(svg: str) -> list[tuple[str, str]]:
    return re.findall(r'<circle[^>]*r="3.6"[^>]*data-x="([^"]*)" data-y="([^"]*)"', svg)


def test_numbers_read_back_equal_the_json():
    hw5 = derive.solve(derive.load(), ["1a.i", "1a.ii", "1b.i", "1b.ii"])       # HW5's rnn problem
    key = json.loads(derive.render(hw5, "json"))
    latex, html = derive.render(hw5, "latex"), derive.render(hw5, "html")
    pictures, svgs = tikz_pictures(latex), re.findall(r"<svg.*?</svg>", html, re.S)
    parts = [p for p in key["parts"] if p["figures"]]
    assert [p["id"] for p in parts] == ["1a.ii", "1b.ii"]
    figures = [f for p in parts for f in p["figures"]]
    assert len(pictures) == len(svgs) == len(figures) == 4
    for fig, pic, svg in zip(figures, pictures, svgs):
        expected = [[(g6(x), g6(y)) for x, y in s["points"]] for s in fig["body"]["series"]
                    if len({tuple(p) for p in s["points"]}) > 1]          # one point, however often: a dot
        assert drawn_from(tikz_series(pic), expected)
        assert drawn_from(svg_series(svg), expected) and svg_series(svg) == tikz_series(pic)
        marks = [(g6(m["x"]), g6(m["y"])) for m in fig["body"]["marks"]]
        assert tikz_marks(pic) == marks and svg_marks(svg) == marks
    for part in parts:
        decay, cobweb = part["figures"]
        value = part["answer"]["value"]
        along = decay["body"]["series"][0]["points"]
        assert along[-1] == [value["T"], value["gradient_T"]]                   # the answer's own number
        assert len(along) == value["T"] and decay["body"]["log_y"]
        rate = decay["body"]["series"][1]["points"]
        assert [t for t, _ in rate] == [1, value["T"]]
        assert [y for _, y in rate] == pytest.approx([value["factor"], value["factor"] ** value["T"]], rel=1e-12)
        assert [m["x"] for m in cobweb["body"]["marks"]] == pytest.approx([value["fixed_point"]], abs=1e-15)
        assert cobweb["body"]["marks"][0]["style"] == ("filled" if value["factor"] < 1 else "open")
        assert cobweb["body"]["square"] and cobweb["sheet"] is None


@pytest.mark.slow
def test_decay_and_cobweb_against_pytorch(hw5):
    """The plotted gradients of the sigmoid unit (1a.ii) against PyTorch's autograd in float64, and the
    cobweb's staircase against the same iteration."""
    torch = pytest.importorskip("torch")
    decay, cobweb = next(q for q in hw5.questions() if q.id == "1a.ii").figures
    a0 = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    a, states = a0, [0.0]
    for t in range(1, 41):
        a = torch.sigmoid(a)
        (grad,) = torch.autograd.grad(a, a0, retain_graph=True)
        assert decay.body.series[0].points[t - 1][1] == pytest.approx(abs(grad.item()), rel=1e-9)
        states.append(a.item())
    stairs = cobweb.body.series[2].points
    assert [y for _, y in stairs[1::2]] == pytest.approx(states[1:len(stairs) // 2 + 1], rel=1e-12)
    curve = cobweb.body.series[0].points
    assert all(y == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-12) for x, y in curve)


def test_two_units_trajectory_in_the_plane():
    doc = derive.solve(spec("rnn-activation", [{"ask": "stability"}], activation="tanh",
                            W_a=[[0.5, 1], [-1, 0.5]], b=[0, 0], a0=[0.1, 0.2]))
    q = next(doc.questions())
    assert [f.kind for f in q.figures] == ["plot", "plot"]
    decay, trajectory = q.figures
    value = q.answer.value
    assert decay.body.series[0].points[-1] == (value["T"], value["gradient_T"])
    assert trajectory.body.square and trajectory.body.series[0].points[0] == (0.1, 0.2)
    assert value["fixed_point"] is None and not trajectory.body.marks     # it circles its repelling fixed point 0
    import mpmath
    from derive.kinds.rnn.vector_recurrence import VectorRecurrence
    from derive.kinds.rnn.units import analyse
    from derive.kinds.activations import slope
    config = derive.kinds.KINDS["rnn-activation"].configure(
        {"activation": "tanh", "W_a": [[0.5, 1], [-1, 0.5]], "b": [0, 0], "a0": [0.1, 0.2]}, ("stability",))
    dphi = slope(config.phi)[0]
    s = analyse(config)
    J_at = VectorRecurrence(config.phi, dphi, config.W_a, config.c).jacobian()
    with mpmath.workdps(50):                                      # each point against a 50-digit SVD
        M = None
        for t, state in enumerate(s.traj[:60], 1):
            M = J_at(state) if M is None else J_at(state) * M
            if t % 7 == 0:
                sigma = max(abs(x) for x in mpmath.svd_r(M, compute_uv=False))
                assert decay.body.series[0].points[t - 1][1] == pytest.approx(float(sigma), rel=1e-10)
    latex = derive.render(doc, "latex")
    assert tikz_series(tikz_pictures(latex)[1])[0][:2] == [("0.1", "0.2"), (g6(trajectory.body.series[0].points[1][0]),
                                                                               g6(trajectory.body.series[0].points[1][1]))]


# --- compiled and shown -------------------------------------------------------------------------

@pytest.mark.slow
def test_tex_with_figures_compiles(synthetic, hw5, tmp_path):
    need_tex()
    log = compile_tex(derive.render(synthetic, "latex"), tmp_path, "synthetic")
    assert overfull(log) == []
    log = compile_tex(derive.render(hw5, "latex"), tmp_path, "hw5")
    assert overfull(log) == []
    compile_tex(derive.render(synthetic, "latex", sheet="problems"), tmp_path, "sheet")


def test_figures_are_drawn_with_the_light_commands(synthetic, hw5):
    """Every figure is a picture of PGF's basic-layer lines and LaTeX \\put labels: none of TikZ's parsed
    commands (\\draw, \\fill, \\node, \\pgftext), which cost pdflatex several times as much a coordinate and a
    label (HW5's key: 2.33 G instructions with them, 1.66 G without, the PDF's pixels the same)."""
    for doc in (synthetic, hw5):
        latex = derive.render(doc, "latex") + derive.render(doc, "beamer")
        pictures = re.findall(r"\\begin\{picture\}.*?\\end\{picture\}", latex, re.S)
        assert len(pictures) == latex.count(r"\begin{tikzpicture}") >= 4
        for pic in pictures:
            assert not re.search(r"\\(draw|fill|filldraw|node|pgftext|path)\b", pic), pic[:400]
            assert pic.count(r"\put(") >= 2


@pytest.mark.slow
def test_slides_with_figures_fit_the_frame(synthetic, hw5, tmp_path):
    need_tex()
    for name, doc in (("synthetic", synthetic), ("hw5", hw5)):
        log = compile_tex(derive.render(doc, "beamer"), tmp_path, name)
        assert overfull(log) == [], name
    log = compile_tex(derive.render(synthetic, "beamer", sheet="problems"), tmp_path, "sheet")
    assert overfull(log) == []


def test_figure_snippet_compiles_alone(synthetic, tmp_path):
    need_tex()
    files = derive.formats.snippets(synthetic, "latex")
    for tail, text in files.items():
        (tmp_path / f"spec-{tail}").write_text(text, encoding="utf-8")
    source = ("\\documentclass{article}\n\\input{spec-preamble}\n\\begin{document}\n"
              + "".join(f"\\input{{spec-1a-fig{k}}}\n\n" for k in range(1, 5)) + "\\end{document}\n")
    assert overfull(compile_tex(source, tmp_path, "alone")) == []


@pytest.mark.slow
def test_chromium_draws_the_figures(synthetic, tmp_path):
    page = tmp_path / "figures.html"
    page.write_text(derive.render(synthetic, "html"), encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom")
    assert dom.returncode == 0 and console_errors(dom.stderr) == []
    assert dom.stdout.count("<svg") == 4
    shot = tmp_path / "shot.png"
    proc = browse(page, tmp_path, f"--screenshot={shot}", "--window-size=900,2400", "--hide-scrollbars")
    assert proc.returncode == 0 and console_errors(proc.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 40_000


# --- leaving them out ---------------------------------------------------------------------------

@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_no_figures_on_every_command(run, tmp_path):
    result = run("solutions", "-f", "latex,html,json,markdown,beamer", "--no-figures", "-o", "key")
    assert result.exit_code == 0, result.output
    texts = {p.name: p.read_text() for p in (tmp_path / "key").iterdir()}
    assert sorted(texts) == ["hw5-solutions-slides.tex", "hw5-solutions.html", "hw5-solutions.json",
                             "hw5-solutions.md", "hw5-solutions.tex"]
    assert not any("tikz" in t or "<svg" in t or ".svg" in t for t in texts.values())
    assert all(p["figures"] == [] for p in json.loads(texts["hw5-solutions.json"])["parts"])
    result = run("problems", "-f", "latex", "--no-figures", "-o", "-")
    assert result.exit_code == 0 and "tikz" not in result.output
    result = run("snippets", "--no-figures", "-o", "sn")
    assert result.exit_code == 0 and not any("fig" in p.name for p in (tmp_path / "sn").iterdir())
    result = run("solutions", "-f", "markdown", "-o", "with/key.md")
    assert result.exit_code == 0
    written = sorted(p.name for p in (tmp_path / "with").iterdir())
    assert {"hw5-1a.ii-fig1.svg", "hw5-1a.ii-fig2.svg", "hw5-1b.ii-fig1.svg", "hw5-1b.ii-fig2.svg", "key.md"} <= set(written)
    assert all(name == "key.md" or re.fullmatch(r"hw5-\d[a-z](\.[iv]+)?-fig\d\.svg", name) for name in written)
    links = re.findall(r"\]\((hw5-[^)]*\.svg)\)", (tmp_path / "with" / "key.md").read_text())
    assert sorted(links) == [n for n in written if n != "key.md"]


def test_figures_false_in_the_spec(write_spec):
    text = """
        title = "t"
        figures = false
        [[problem]]
        kind = "rnn-activation"
        activation = "tanh"
        W_a = 2
        [[problem.part]]
        ask = "stability"
        """
    doc = derive.solve(derive.load(write_spec(text)))
    assert next(doc.questions()).figures == ()
    assert "tikz" not in derive.render(doc, "latex")
    assert next(derive.solve(derive.load(write_spec(text.replace("false", "true")))).questions()).figures
    with pytest.raises(SpecError) as err:
        derive.load(write_spec(text.replace("false", '"no"')))
    assert "figures" in str(err.value)


def test_markdown_on_stdout_leaves_figures_out_with_a_note():
    result = CliRunner().invoke(cli, ["solutions", "-f", "markdown", "-o", "-"])
    assert result.exit_code == 0
    assert ".svg" not in result.stdout and "**Answer 1a.ii.**" in result.stdout
    assert "figures are left out of Markdown on standard output" in result.stderr
    quiet = CliRunner().invoke(cli, ["solutions", "-f", "markdown", "-o", "-", "--no-figures"])
    assert quiet.stderr == "" and quiet.stdout == result.stdout


# --- any one unit: the figure is the answer's --------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

tenths = st.integers(-30, 30).map(lambda k: k / 10)


@pytest.mark.slow
@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(["sigmoid", "tanh", "relu", "identity"]), W_a=tenths, b=tenths,
       a0=st.integers(-10, 10).map(lambda k: k / 10))
def test_any_unit_draws_its_answer(activation, W_a, b, a0):
    doc = derive.solve(spec("rnn-activation", [{"ask": "stability"}], activation=activation, W_a=W_a, b=b, a0=a0))
    part = json.loads(derive.render(doc, "json"))["parts"][0]
    value, figures = part["answer"]["value"], part["figures"]
    assert [f["kind"] for f in figures] in (["plot", "plot"], ["plot"]) and all(f["sheet"] is None for f in figures)
    if len(figures) == 1:                    # a size of 0 from the first step: no decay figure (test_extremes)
        assert value["gradient_T"] == 0 and figures[0]["body"]["log_y"] is False
        cobweb = figures[0]
    else:
        decay, cobweb = figures
        along = decay["body"]["series"][0]["points"]
        if value["gradient_T"] is not None:
            assert along[-1] == [value["T"], value["gradient_T"]]
    if value["fixed_point"] is not None and abs(value["fixed_point"]) < 1e3:
        assert any(m["x"] == pytest.approx(value["fixed_point"], abs=1e-12) for m in cobweb["body"]["marks"])
    latex, html = derive.render(doc, "latex"), derive.render(doc, "html")
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    for fig, pic, svg in zip(figures, tikz_pictures(latex), svgs):
        expected = [[(g6(x), g6(y)) for x, y in s["points"]] for s in fig["body"]["series"]
                    if len({tuple(p) for p in s["points"]}) > 1          # one point, however often: a dot
                    and not (fig["body"]["log_y"] and any(y <= 0 for _, y in s["points"]))]
        drawn, shown = tikz_series(pic), svg_series(svg)
        assert all(any(thinned_from(d, s) for d in drawn) for s in expected)
        assert all(any(thinned_from(d, s) for d in shown) for s in expected)


@pytest.mark.parametrize("W_a,b,a0", [(2, 1, 0.5), ([[0.5, 1], [-1, 0.5]], [0, 0], [0.1, 0.2])])
def test_the_decay_figure_ends_at_the_specs_T(W_a, b, a0):
    """With T = 7 the curve has 7 points and its last is the answer's gradient_T (not 100 steps)."""
    doc = derive.solve(spec("rnn-activation", [{"ask": "stability"}], activation="tanh", W_a=W_a, b=b, a0=a0, T=7))
    q = next(doc.questions())
    along = q.figures[0].body.series[0].points
    assert q.answer.value["T"] == 7 and len(along) == 7
    assert along[-1] == (7, q.answer.value["gradient_T"])


# --- figures drawn only when read ---------------------------------------------------------------

@pytest.fixture
def drawings(monkeypatch):
    """Counts each kind's drawings (the rnn's one-unit figures, the network's layer boxes) as they happen."""
    from derive.kinds.cnn import figures as cnn_figures
    from derive.kinds.rnn import figures as rnn_figures
    calls = []
    for module, name in ((rnn_figures, "one_unit"), (cnn_figures, "shapes_figures")):
        drawn = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _d=drawn, _n=name: calls.append(_n) or _d(*a))
    return calls


MIXED = dict(W_a=2, b=0, x=0, a0=0)


def test_figures_no_one_reads_are_never_drawn(drawings):
    doc = derive.solve(spec("rnn-activation", [{"activation": "tanh", "ask": "stability"}], **MIXED))
    assert next(doc.questions()).answer.value["verdict"] == "exploding"
    assert drawings == []
    bare = without(doc)                                              # --no-figures: nothing drawn either
    assert derive.render(bare, "json").count('"figures": []') == 1 and drawings == []
    key = derive.render(doc, "json")                                 # JSON shows them: drawn, once
    assert drawings == ["one_unit"] and '"kind": "plot"' in key
    assert derive.render(doc, "json") == key and drawings == ["one_unit"]


def test_figures_drawn_late_stand_for_their_tuple(drawings):
    """Read late, a question's figures are a tuple in all but name: equal, hashed and pickled as one, drawn once
    (the golden files check they are the figures drawn at once, byte for byte)."""
    import pickle
    doc = derive.solve(spec("rnn-activation", [{"activation": "tanh", "ask": "stability"}], **MIXED))
    late = next(doc.questions()).figures
    problem = derive.solve(spec("cnn-dims", [{"ask": "shapes"}], input=[8, 8, 1],
                                layers=[{"type": "conv", "filters": 2, "kernel": 3}]))
    boxes = next(problem.questions()).figures
    assert [f.kind for f in late] == ["plot", "plot"] and [f.kind for f in boxes] == ["boxes"]
    assert isinstance(late[1].body.marks[0].x, float) and late[1].body.square        # the cobweb's fixed point
    assert late == tuple(late) and hash(late) == hash(tuple(late))
    assert pickle.loads(pickle.dumps(late)) == tuple(late) and type(pickle.loads(pickle.dumps(late))) is tuple
    assert drawings == ["one_unit", "shapes_figures"]


def test_figures_are_drawn_by_a_worker_that_hands_them_back(drawings):
    """A question derived in a worker comes back with its figures drawn (pickled as the tuple they are)."""
    from derive import cache
    from derive.kinds import KINDS
    doc = derive.solve(spec("rnn-activation", [{"activation": "tanh", "ask": "stability"}], **MIXED))
    q = next(doc.questions())
    notation = KINDS["rnn-activation"].notation
    (back,) = cache.loads([(cache.dumps(q, notation), notation)])
    assert type(back.figures) is tuple and back.figures == q.figures and len(back.figures) == 2


def test_a_problem_sheet_draws_no_figure_it_does_not_show(drawings):
    """The rnn's figures show nothing on the problem sheet (they give the answer away): a sheet leaves them undrawn."""
    doc = derive.solve(spec("rnn-activation", [{"activation": "tanh", "ask": "stability"}], **MIXED))
    for fmt in ("latex", "html", "markdown", "beamer"):
        sheet = derive.render(doc, fmt, sheet="problems")
        assert "tikzpicture" not in sheet and "<svg" not in sheet and "fig1" not in sheet
    assert drawings == []
    assert "tikzpicture" in derive.render(doc, "latex") and drawings == ["one_unit"]
    assert [f.sheet for f in next(doc.questions()).figures] == [None, None]         # what the sheet skipped


RNN_VARIANTS = {      # one spec of each form of the recurrence, each settling (so the evidence at T exists)
    "one unit": dict(activation="tanh", W_a=0.5, b=0.1, a0=0.3),
    "units": dict(activation="tanh", W_a=[[0.5, 0.2], [-0.3, 0.4]], b=[0.1, 0], a0=[0.1, 0.2]),
    "gru cell": dict(cell="gru", U_r=0.5, b_r=0, U_z=0.5, b_z=0, U_n=0.5, b_n=0.1, a0=0.3),
    "lstm units": dict(cell="lstm", a0=[0.1, 0.2], c0=[0, 0.1], x=0,
                       **{f"{p}_{g}": v for g in "figo" for p, v in
                          (("U", [[0.3, 0.1], [0, 0.2]]), ("W", [0.1, 0.1]), ("b", [0, 0.1]))}),
}


def test_the_rnn_variants_are_one_table():
    """The four forms of the recurrence configure to four types, each one row of the kind's table."""
    from derive.kinds.rnn import VARIANTS
    kind = derive.kinds.KINDS["rnn-activation"]
    types = [type(kind.configure(values, ("stability",))) for values in RNN_VARIANTS.values()]
    assert len(set(types)) == 4 and set(types) == set(VARIANTS)


@pytest.mark.parametrize("name", RNN_VARIANTS)
def test_an_rnn_stability_question_is_analysis_narration_then_figures(name):
    """The narration of a stability question draws no figure; solve attaches them, drawn when read from the same
    frozen analysis: the gradient's size after T steps, the curve's last point, is the answer's gradient_T."""
    from derive.kinds.rnn import VARIANTS
    kind = derive.kinds.KINDS["rnn-activation"]
    c = kind.configure(RNN_VARIANTS[name], ("stability",))
    variant = VARIANTS[type(c)]
    s = variant.analyse(c)
    narrated = variant.stability(c, s)
    assert narrated.figures == ()
    q = kind.solve(c, "stability")
    assert replace(q, figures=()) == narrated and q.figures.sheetless
    assert q.figures == variant.figures(c, s)
    T, size = q.figures[0].body.series[0].points[-1]
    assert (T, size) == (q.answer.value["T"], q.answer.value["gradient_T"]) and 0 < size < 1e-15

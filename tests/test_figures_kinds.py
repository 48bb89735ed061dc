"""The figures of the network, conv-matrix and graph kinds, as data: each figure's numbers against the JSON
answers of its question and against PyTorch (which input pixels reach the first output unit, gradients
through a computational graph), their sizes bounded, and the sheets giving nothing away."""

from __future__ import annotations

import math

import pytest
import sympy

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings, strategies as st  # noqa: E402
from torch import nn  # noqa: E402

import derive  # noqa: E402
from derive.errors import SpecError  # noqa: E402
from derive.figures import Boxes, Circuit, Grid  # noqa: E402
from derive.kinds.cnn.figures import MAX_BOXES, MAX_GRID  # noqa: E402
from derive.kinds.conv1d.figures import MAX_SIDE  # noqa: E402
from derive.kinds.graph.figures import OUTPUT  # noqa: E402

from conftest import spec  # noqa: E402

SETTINGS = dict(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELD = ("shaded", "hole", "shaded-hatched")


def questions(kind: str, parts, **problem) -> dict:
    """The solved questions of a one-problem spec, by question id."""
    return {q.id: q for q in derive.solve(spec(kind, parts, **problem)).questions()}


def only(qs: dict, ask_index: int = 0):
    return list(qs.values())[ask_index]


# --- network: the receptive field ----------------------------------------------------------------------

def cells_at(grid: Grid) -> dict:
    """Role by input pixel (row, column), read through the grid's row and column labels."""
    return {(int(grid.row_labels[c.row]), int(grid.col_labels[c.col])): c.role for c in grid.cells}


def torch_seen(inp: list, layers: list[dict]) -> set:
    """The input pixels the first output unit depends on, by autograd: every conv and pool a convolution of
    ones (a pool over each channel alone), pointwise layers left out, a dense layer a Linear of ones."""
    h, w, ch = inp
    x = torch.ones(1, ch, h, w, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        t = layer["type"]
        if t in ("conv", "maxpool", "avgpool"):
            k = layer["kernel"]
            s = layer.get("stride", 1 if t == "conv" else k)
            p, d = layer.get("padding", 0), layer.get("dilation", 1)
            if isinstance(p, list):
                (pt, pb), (pl, pr) = p
                y, p = TF.pad(y, (pl, pr, pt, pb)), 0
            c_in = y.shape[1]
            c_out, groups = (layer["filters"], layer.get("groups", 1)) if t == "conv" else (c_in, c_in)
            pair = lambda v: tuple(v) if isinstance(v, list) else (v, v)
            weight = torch.ones(c_out, c_in // groups, *pair(k), dtype=torch.float64)
            y = TF.conv2d(y, weight, None, pair(s), p, pair(d), groups)
        elif t == "flatten":
            y = y.flatten(1)
        elif t == "dense":
            y = y @ torch.ones(y.shape[1], layer["units"], dtype=torch.float64)
    first = y[(0,) * y.dim()]
    first.backward()
    support = x.grad[0].abs().sum(0)
    return {(i, j) for i in range(h) for j in range(w) if support[i, j] > 0}


def field_check(inp: list, layers: list[dict], layer: int | None = None):
    """The receptive-field figure of a stack: extent equals the answer, the shaded pixels are those autograd
    finds, padding hatched exactly outside the input, the sheet the same grid with no field."""
    part = {"ask": "receptive-field", **({"layer": layer} if layer else {})}
    q = only(questions("network", part, input=inp, layers=layers))
    if not q.figures:
        return q, None
    (fig,) = q.figures
    grid = fig.body
    assert grid.rows <= MAX_GRID and grid.cols <= MAX_GRID
    roles = cells_at(grid)
    field = [ij for ij, r in roles.items() if r in FIELD]
    for dim in (0, 1):
        span = {ij[dim] for ij in field}
        assert (max(span) - min(span) + 1 if span else 0) == q.answer.value[dim]
    assert ("none is shaded" in fig.caption) == (not field)
    upto = layers[:layer] if layer else layers
    assert {ij for ij, r in roles.items() if r == "shaded"} == torch_seen(inp, upto)
    h, w = inp[:2]
    for (i, j), r in roles.items():
        outside = not (0 <= i < h and 0 <= j < w)
        assert outside == (r in ("hatched", "shaded-hatched")), (i, j, r)
    assert ("white" in fig.caption) == ("hole" in roles.values())
    sheet = fig.sheet
    assert (sheet.rows, sheet.cols) == (grid.rows, grid.cols)
    assert {c.role for c in sheet.cells} <= {"hatched"}
    assert {(c.row, c.col) for c in sheet.cells} == {(c.row, c.col) for c in grid.cells
                                                     if c.role in ("hatched", "shaded-hatched")}
    return q, fig


def test_example_field_is_shaded_with_padding():
    layers = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
              {"type": "maxpool", "kernel": 2}, {"type": "conv", "filters": 4, "kernel": 3, "padding": 1}]
    q, fig = field_check([12, 12, 1], layers)
    assert q.answer.value == [8, 8]
    assert "rows −3 to 4" in fig.caption
    assert {c.role for c in fig.body.cells} == {"shaded", "shaded-hatched", "hatched"}
    assert "white" not in fig.caption


def test_dilated_field_has_holes():
    q, fig = field_check([15, 15, 1], [{"type": "conv", "filters": 1, "kernel": 3, "dilation": 3}])
    assert q.answer.value == [7, 7]
    roles = cells_at(fig.body)
    assert sum(r == "shaded" for r in roles.values()) == 9
    assert sum(r == "hole" for r in roles.values()) == 49 - 9
    assert "white" in fig.caption


def test_hole_from_padding_deeper_down():
    """A tap on a deeper layer's padding reaches nothing, even where the field's extent covers the input."""
    layers = [{"type": "conv", "filters": 1, "kernel": 3}, {"type": "conv", "filters": 1, "kernel": 2,
                                                              "dilation": 3, "padding": 2}]
    field_check([9, 9, 1], layers)


def test_rectangular_kernel_groups_and_a_hole_the_mask_misses():
    """Input row 0 is inside the field's extent but reaches layer 5 only through its top padding."""
    layers = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
              {"type": "maxpool", "kernel": 2},
              {"type": "conv", "filters": 4, "kernel": [3, 5], "stride": 2, "padding": [[1, 2], [0, 1]],
               "dilation": 2, "groups": 2}]
    q, fig = field_check([32, 32, 3], layers)
    assert {i for (i, j), r in cells_at(fig.body).items() if r == "hole"} == {0}


def test_asymmetric_padding_and_dense():
    layers = [{"type": "conv", "filters": 2, "kernel": 3, "padding": [[2, 0], [0, 1]], "stride": 2},
              {"type": "flatten"}, {"type": "dense", "units": 3}]
    field_check([7, 8, 1], layers)
    field_check([7, 8, 1], layers, layer=1)


def test_large_input_shows_a_window():
    q, fig = field_check([200, 120, 3], [{"type": "conv", "filters": 2, "kernel": 5, "padding": 2},
                                         {"type": "maxpool", "kernel": 2}])
    assert fig.body.rows == fig.body.cols == 20 and "only" in fig.caption


def test_field_wider_than_the_grid_has_no_figure():
    layers = [{"type": "conv", "filters": 1, "kernel": 7, "stride": 2}] * 4
    q = only(questions("network", {"ask": "receptive-field"}, input=[300, 300, 1], layers=layers))
    assert q.answer.value[0] > MAX_GRID and q.figures == ()


POOLS = st.sampled_from(["conv", "maxpool", "avgpool"])


@st.composite
def stacks(draw):
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        t = draw(POOLS)
        k = draw(st.integers(1, 4))
        layer = {"type": t, "kernel": k, "stride": draw(st.integers(1, 3)), "padding": draw(st.integers(0, k // 2))}
        if t != "avgpool":
            layer["dilation"] = draw(st.integers(1, 3))
        if t == "conv":
            layer["filters"] = draw(st.integers(1, 2))
        layers.append(layer)
        if draw(st.booleans()):
            layers.append({"type": "relu"})
    if draw(st.integers(0, 4)) == 0:
        layers += [{"type": "flatten"}, {"type": "dense", "units": 2}]
    size = st.one_of(st.integers(4, 30), st.integers(41, 90))        # larger than the grid: a window
    return [draw(size), draw(size), draw(st.integers(1, 2))], layers


@pytest.mark.slow
@settings(**SETTINGS)
@given(stacks())
def test_field_figure_against_autograd(case):
    inp, layers = case
    try:
        field_check(inp, layers)
    except SpecError:
        assume(False)


# --- network: the layer diagram ------------------------------------------------------------------------

def shown(shape) -> str:
    return " × ".join(str(v) for v in shape)


def test_layer_diagram_one_box_per_layer():
    layers = [{"type": "conv", "filters": 16, "kernel": 3, "padding": 1}, {"type": "relu"},
              {"type": "maxpool", "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 10}]
    q = only(questions("network", {"ask": "shapes"}, input=[32, 32, 3], layers=layers))
    (fig,) = q.figures
    boxes = fig.body
    assert isinstance(boxes, Boxes) and len(boxes.boxes) == len(layers) + 1
    assert [b.lines for b in boxes.boxes] == [(shown([32, 32, 3]),)] + [(shown(s),) for s in q.answer.value]
    assert [b.title for b in fig.sheet.boxes] == [b.title for b in boxes.boxes]
    assert all(b.lines == () for b in fig.sheet.boxes)
    by = {b.title: b for b in boxes.boxes}
    assert by["1 Conv2d"].width > by["Input"].width            # 16 channels against 3
    assert by["3 MaxPool2d"].height < by["1 Conv2d"].height    # 16 × 16 against 32 × 32


def test_layer_diagram_layout_chw():
    layers = [{"type": "conv", "filters": 8, "kernel": 3}]
    q = only(questions("network", {"ask": "shapes"}, input=[3, 10, 10], layout="CHW", layers=layers))
    assert q.figures[0].body.boxes[-1].lines == (shown(q.answer.value[0]),)


def vgg16() -> list[dict]:
    layers = []
    for width, convs in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        layers += [{"type": "conv", "filters": width, "kernel": 3, "padding": 1}, {"type": "relu"}] * convs
        layers.append({"type": "maxpool", "kernel": 2})
    head = [{"type": "dense", "units": 4096}, {"type": "relu"}, {"type": "dropout"}]
    layers += [{"type": "flatten"}, *head, *head, {"type": "dense", "units": 1000}]
    return layers


def test_long_stack_a_box_per_stage():
    layers = vgg16()
    q = only(questions("network", {"ask": "shapes"}, input=[224, 224, 3], layers=layers))
    (fig,) = q.figures
    boxes = fig.body.boxes
    assert len(boxes) <= MAX_BOXES + 1 and "stage" in fig.caption
    for b in boxes[1:]:
        last = int(b.title.split()[0].split("–")[-1])          # the box's last layer, 1-based
        assert b.lines == (shown(q.answer.value[last - 1]),)
    assert boxes[1].title.startswith("1–4 Conv2d ×2, ReLU ×2")
    assert boxes[-1].lines == ("1000",)


def test_long_sequence_stack():
    layers = ([{"type": "embedding", "vocab": 100, "dim": 16}, {"type": "lstm", "hidden": 32}]
              + [{"type": "transformer-encoder", "heads": 2, "ff": 64}] * 12 + [{"type": "dense", "units": 100}])
    q = only(questions("network", {"ask": "shapes"}, input=[20], layers=layers))
    boxes = q.figures[0].body.boxes
    assert [b.title for b in boxes] == ["Input", "1 Embedding", "2–14 LSTM, TransformerEncoderLayer ×12",
                                        "15 Linear"]                # 2 to 14 all 20 × 32: one stage
    assert [b.lines for b in boxes[1:]] == [(shown(s),) for s in (q.answer.value[k] for k in (0, 13, 14))]


@settings(**SETTINGS)
@given(st.lists(st.sampled_from(["conv", "relu", "maxpool", "batchnorm"]), min_size=1, max_size=30))
def test_layer_diagram_bounded(kinds):
    layers = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1} if t == "conv" else
              {"type": "maxpool", "kernel": 1} if t == "maxpool" else {"type": t} for t in kinds]
    q = only(questions("network", {"ask": "shapes"}, input=[16, 16, 2], layers=layers))
    boxes = q.figures[0].body.boxes
    assert len(boxes) <= MAX_BOXES + 1
    assert all(0 < b.width < 4 and 0 < b.height <= 4 for b in boxes)
    covered = [int(n) for b in boxes[1:] for n in b.title.split()[0].split("–")]
    assert covered[-1] == len(layers)


# --- conv-matrix: F and the mask ----------------------------------------------------------------------

def same(label, entry) -> bool:
    """A cell's label against the JSON matrix entry: a SymPy string as printed, or a number."""
    return str(label) == entry if isinstance(entry, str) else math.isclose(float(label), entry)


def grid_vs_matrix(grid: Grid, F: list):
    """Every cell of the grid holds the matrix answer's entry there; every nonzero entry shown has a cell."""
    cells = {(c.row, c.col): c for c in grid.cells}
    for (r, col), cell in cells.items():
        assert same(cell.label, F[r][col]), (r, col, cell.label, F[r][col])
    for r in range(grid.rows):
        for col in range(grid.cols):
            if F[r][col] not in ("0", 0):
                assert (r, col) in cells


def test_matrix_1d_roles():
    q = only(questions("conv-matrix", {"ask": "matrix"}, length=7, width=3, stride=2, padding=2, dilation=3))
    (fig,) = q.figures
    grid = fig.body
    assert (grid.rows, grid.cols) == (len(q.answer.value), len(q.answer.value[0]))
    grid_vs_matrix(grid, q.answer.value)
    assert all(c.role == str(c.label) for c in grid.cells)          # f2's cell is in f2's colour
    assert [r for r, _ in grid.legend] == ["f1", "f2", "f3"]
    assert fig.sheet is None


def test_matrix_2d_and_numbers():
    q = only(questions("conv-matrix", {"ask": "matrix"}, input=[4, 4], kernel=[2, 2]))
    grid = q.figures[0].body
    grid_vs_matrix(grid, q.answer.value)
    assert {c.role for c in grid.cells} == {"f11", "f12", "f21", "f22"}
    assert all(str(c.label) == c.role for c in grid.cells)
    f = [[1, -1], [0, 2]]
    q = only(questions("conv-matrix", {"ask": "matrix"}, input=[3, 4], kernel=[2, 2], f=f, stride=[1, 2]))
    grid = q.figures[0].body
    grid_vs_matrix(grid, q.answer.value)
    assert all(c.label == f[int(c.role[1]) - 1][int(c.role[2]) - 1] for c in grid.cells)


def test_matrix_transposed_and_channels():
    q = only(questions("conv-matrix", {"ask": "matrix"}, input=[2, 2], kernel=[3, 3], stride=2, padding=1,
                       transposed=True, output_padding=1))
    grid_vs_matrix(q.figures[0].body, q.answer.value)
    q = only(questions("conv-matrix", {"ask": "matrix"}, length=3, width=2, channels=[2, 2],
                       f=[[[1, 0], [2, 1]], [[-1, 1], [0, 1]]]))
    grid_vs_matrix(q.figures[0].body, q.answer.value)


def test_large_matrix_shows_the_first_rows():
    q = only(questions("conv-matrix", {"ask": "matrix"}, length=100, width=3))
    (fig,) = q.figures
    assert (fig.body.rows, fig.body.cols) == (MAX_SIDE, MAX_SIDE)
    assert "first 40 rows and 40 columns of the 98 × 100 matrix" in fig.caption
    grid_vs_matrix(fig.body, q.answer.value)
    q = only(questions("conv-matrix", {"ask": "matrix"}, length=128, width=2, stride=3))
    grid = q.figures[0].body
    assert (grid.rows, grid.cols) == (14, 40)                      # rows 15 on start past column 40
    assert "first 14 rows and 40 columns of the 43 × 128 matrix" in q.figures[0].caption
    grid_vs_matrix(grid, q.answer.value)
    q = only(questions("conv-matrix", {"ask": "matrix"}, input=[8, 8], kernel=[3, 3]))
    assert (q.figures[0].body.rows, q.figures[0].body.cols) == (30, MAX_SIDE)     # output row 6 starts at 40
    grid_vs_matrix(q.figures[0].body, q.answer.value)


@settings(**SETTINGS)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 3),
       st.booleans())
def test_matrix_figure_any_1d_geometry(n, k, s, p, d, numbers):
    extra = {"f": list(range(1, k + 1))} if numbers else {}
    try:
        q = only(questions("conv-matrix", {"ask": "matrix"}, length=n, width=k, stride=s, padding=p, dilation=d,
                           **extra))
    except SpecError:
        assume(False)
    grid = q.figures[0].body
    assert grid.rows <= MAX_SIDE and grid.cols <= MAX_SIDE
    grid_vs_matrix(grid, q.answer.value)
    for c in grid.cells:
        assert str(c.label) == (c.role[1:] if numbers else c.role)
    if numbers and (grid.rows, grid.cols) == (len(q.answer.value), n):     # the grid is the convolution
        F = torch.zeros(grid.rows, grid.cols, dtype=torch.float64)
        for c in grid.cells:
            F[c.row, c.col] = float(c.label)
        x = torch.randn(n, dtype=torch.float64)
        f = torch.arange(1, k + 1, dtype=torch.float64)
        expected = TF.conv1d(TF.pad(x, (p, p))[None, None], f[None, None], stride=s, dilation=d)[0, 0]
        assert torch.allclose(F @ x, expected)


@settings(**SETTINGS)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
       st.integers(0, 1), st.integers(1, 2), st.booleans(), st.integers(1, 2), st.booleans())
def test_matrix_figure_any_2d_geometry(h, w, kh, kw, s, p, d, transposed, c_in, numbers):
    geometry = dict(input=[h, w], kernel=[kh, kw], stride=s, padding=p, dilation=d, transposed=transposed,
                    channels=[c_in, 1])
    if numbers:
        channels = [[[(a + 2 * b + ci) % 5 - 2 for b in range(kw)] for a in range(kh)] for ci in range(c_in)]
        geometry["f"] = (channels[0] if c_in == 1 else [[ch] for ch in channels] if transposed else [channels])
    try:
        q = only(questions("conv-matrix", {"ask": "matrix"}, **geometry))
    except SpecError:
        assume(False)
    grid = q.figures[0].body
    assert grid.rows <= MAX_SIDE and grid.cols <= MAX_SIDE
    grid_vs_matrix(grid, q.answer.value)
    assert {c.role for c in grid.cells} <= {f"f{a + 1}{b + 1}" for a in range(kh) for b in range(kw)}


def mask_check(signs, **geometry):
    parts = [{"ask": ["matrix", "gradient", "input-gradient"], "wrt": "f1", "signs": signs}]
    qs = list(questions("conv-matrix", parts, **geometry).values())
    F, grad, jac = (q.answer.value for q in qs)
    (fig,) = qs[1].figures
    assert qs[2].figures == ()                                     # drawn once, with the gradient
    grid = fig.body
    mask = {c.row: c for c in grid.cells if c.col == 0}
    assert [mask[r].role for r in range(len(signs))] == ["positive" if s == "+" else "zero" for s in signs]
    for r, s in enumerate(signs):
        assert mask[r].label == (1 if s == "+" else 0)
        if s == "-":                                               # the mask kills the row (input-gradient's)
            assert sympy.sympify(grad[r]) == 0 and all(sympy.sympify(e) == 0 for e in jac[r])
        else:                                                      # and keeps F's row as it is
            assert [sympy.sympify(e) for e in jac[r]] == [sympy.sympify(e) for e in F[r]]
    shifted = Grid(grid.rows, grid.cols - 2, tuple(type(c)(c.row, c.col - 2, c.role, c.label)
                                                    for c in grid.cells if c.col >= 2))
    grid_vs_matrix(shifted, F)
    assert fig.sheet is None
    return fig


def test_mask_beside_f():
    fig = mask_check(["+", "-", "+"], length=7, width=3, stride=2, padding=2, dilation=3)
    assert [str(v) for v in fig.body.col_labels[2:]] == [f"x{j}" for j in range(1, 8)]


@pytest.mark.slow
@settings(**SETTINGS)
@given(st.integers(3, 12), st.integers(1, 3), st.data())
def test_mask_any_signs(n, k, data):
    m = n - k + 1
    signs = data.draw(st.lists(st.sampled_from("+-"), min_size=m, max_size=m))
    mask_check(signs, length=n, width=k)


def test_smooth_activation_has_no_mask():
    qs = questions("conv-matrix", {"ask": ["gradient"], "wrt": "f1", "activation": "tanh"}, length=4, width=2)
    assert only(qs).figures == ()


# --- graph: the circuit -------------------------------------------------------------------------------

def number(label):
    """A label (a SymPy number or matrix) as floats."""
    if isinstance(label, sympy.MatrixBase):
        return [float(e) for e in label]
    return float(label)


def json_number(v):
    if isinstance(v, list):
        return [x for e in v for x in (json_number(e) if isinstance(e, list) else [json_number(e)])]
    return float(sympy.Rational(v)) if isinstance(v, str) else float(v)


def close(a, b):
    a, b = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9) for x, y in zip(a, b))


def circuit_check(given: dict, forward: list[str], **part):
    qs = list(questions("graph", {"ask": ["forward", "gradient"], **part}, given=given, forward=forward).values())
    fwd, grad = qs
    values = {**given, **fwd.answer.value}
    for q, gradients in ((fwd, False), (grad, True)):
        (fig,) = q.figures
        body = fig.body
        assert isinstance(body, Circuit)
        ids = {n.id: n for n in body.nodes}
        for e in body.edges:
            assert ids[e.source].column < ids[e.target].column
            assert close(number(e.above), json_number(values[e.source]))
            if not gradients:
                assert e.below == ""
        assert all(e.above == "" and e.below == "" for e in fig.sheet.edges)
        assert [n.label for n in fig.sheet.nodes] == [n.label for n in body.nodes]
    body = grad.figures[0].body
    for w, g in grad.answer.value.items():                        # a name's wires add up to its gradient
        wires = [number(e.below) for e in body.edges if e.source == w]
        total = [sum(col) for col in zip(*[x if isinstance(x, list) else [x] for x in wires])]
        assert close(total, json_number(g))
    return grad.answer.value, body


def test_cs231n_circuit():
    grads, body = circuit_check({"x": -2, "y": 5, "z": -4}, ["q = x + y", "f = q * z"])
    edges = {(e.source, e.target): (e.above, e.below) for e in body.edges}
    assert edges[("x", "q")] == (-2, -4) and edges[("q", "f")] == (3, -4) and edges[("z", "f")] == (-4, 3)
    assert edges[("f", OUTPUT + "f")] == (-12, 1)
    columns = {n.id: n.column for n in body.nodes}
    assert columns == {"x": 0, "y": 0, "z": 0, "q": 1, "f": 2, OUTPUT + "f": 3}


def torch_grads(given: dict, forward: list[str]) -> dict:
    env = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in given.items()}
    leaves = dict(env)
    funcs = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "exp": torch.exp, "relu": torch.relu}
    for eq in forward:
        name, rhs = (s.strip() for s in eq.split("="))
        env[name] = eval(rhs.replace("^", "**"), {"__builtins__": {}}, {**funcs, **env})   # test-side only
    env[name].backward()
    return {k: v.grad.item() for k, v in leaves.items()}


FANOUT = ["a = x * y", "b = a + x", "c = sigmoid(b) * a", "f = c + tanh(y)"]


@pytest.mark.slow
@settings(**SETTINGS)
@given(st.integers(-5, 5), st.integers(-5, 5))
def test_circuit_against_autograd(x, y):
    given_ = {"x": x, "y": y}
    grads, body = circuit_check(given_, FANOUT)
    expected = torch_grads(given_, FANOUT)
    for w in given_:
        assert close(json_number(grads[w]), expected[w])
    assert sum(e.source == "a" for e in body.edges) == 2             # a feeds two nodes: two wires


def test_vector_circuit_with_upstream():
    grads, body = circuit_check({"W": [[1, -1, 2], [0, 1, 1]], "x": [2, 1, -1], "b": [2, -1]},
                                ["z = W @ x + b", "h = relu(z)"], upstream=[1, -2])
    out = next(e for e in body.edges if e.target.startswith(OUTPUT))
    assert number(out.below) == [1, -2]
    assert str(next(n for n in body.nodes if n.id.startswith(OUTPUT)).label) == "L"


def test_symbolic_values_left_off():
    qs = questions("graph", {"ask": ["gradient"], "wrt": ["z"]}, given={"z": {"shape": [3]}, "y": 1},
                   forward=["L = cross_entropy(z, y)"])
    (fig,) = only(qs).figures
    assert "left off" in fig.caption


def test_large_graph_has_no_figure():
    forward = [f"a{k} = a{k - 1} * 2" for k in range(1, 35)]
    qs = questions("graph", {"ask": ["forward"]}, given={"a0": 1}, forward=forward)
    assert only(qs).figures == ()

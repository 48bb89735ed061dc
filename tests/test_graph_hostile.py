"""The graph kind against hostile input (issue 20, second round): functions nested as deep as the language
allows, symbolic values whose formulas would grow past any use, numbers whose digits cancel beyond any
precision, and arithmetic written so that SymPy divides by zero. Each must answer, right and checked, or be
refused at once naming its field; none may hang. No test is timed: the work is measured by its structure (the
key grows linearly with the nesting), and the deepest cases run in a process of their own under a timeout
far above what they take."""

from __future__ import annotations

import json
import re
from fractions import Fraction
import subprocess
import sys

import mpmath
import pytest
import sympy
import torch

import derive
from derive.check import Meanings, is_zero
from derive.errors import SpecError
from derive.kinds.graph.parse import Call, Name, Op, parse_equation

T = torch.float64
GENEROUS = 240                   # seconds for a subprocess that takes a few: a hang, not a slow machine, fails


def graph(given: dict, forward: list, ask=("forward", "gradient"), **part) -> dict:
    return {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": given, "forward": forward,
                                       "part": [{"ask": list(ask), **part}]}]}


def solved(given: dict, forward: list, **part):
    return derive.solve(derive.from_mapping(graph(given, forward, **part)))


def values(doc) -> dict:
    return {q.ask: q.answer.value for q in doc.questions()}


def nested(pattern: str, depth: int, leaf: str = "x") -> str:
    for _ in range(depth):
        leaf = pattern.format(leaf)
    return leaf


def stated(latex: str) -> mpmath.mpf:
    """The number after the last ≈ of a LaTeX answer: m or m · 10^{e} (the exponent may have hundreds of
    digits, as mpmath writes them)."""
    m = re.findall(r"\\approx (-?[\d.]+)(?: \\cdot 10\^\{(-?\d+)\})?", latex)[-1]
    return mpmath.mpf(m[0]) * mpmath.mpf(10) ** int(m[1] or 0)


def close(a, b, rel=1e-5) -> bool:
    return abs(a - b) <= rel * abs(b)


# --- 1. deep nesting: linear work, a key of named stages --------------------------------------------

def key_size(doc) -> int:
    """Every expression the key shows, counted node by node as printed (a tree)."""
    return sum(sum(1 for _ in sympy.preorder_traversal(e)) for q in doc.questions() for s in q.steps
               for ch in s.chains for e in ch.exprs)


def test_the_key_of_a_nested_sigmoid_grows_linearly_with_the_nesting():
    """Each level adds one stage, the same few expressions: the derivative of the whole nested formula
    repeated every inner sigmoid (quadratic growth, and SymPy's own evaluation and printing of it tripled a
    level: depth 6 took 6 s, depth 25 did not end)."""
    size = {n: key_size(solved({"x": 2}, [f"f = {nested('sigmoid({})', n)}"])) for n in (4, 8, 12)}
    assert abs((size[12] - size[8]) - (size[8] - size[4])) <= (size[8] - size[4]) / 10, size


def test_a_nested_chain_is_staged_one_function_a_stage():
    from derive.kinds.graph.stages import Namer, nesting, stages
    name, rhs = parse_equation("f = " + nested("sigmoid({})", 25))
    parts, top = stages(rhs, Namer({"x": 0}, []))
    assert len(parts) == 24 and [p.name for p in parts[:2]] == ["u1", "u2"]
    assert all(nesting(p.rhs) == 1 for p in parts) and top == Call("sigmoid", (Name("u24"),))
    assert nesting(rhs) == 25


def test_stages_take_a_letter_the_spec_does_not_use_and_share_a_repeated_sub_expression():
    from derive.kinds.graph.stages import Namer, nesting, stages
    text = "f = sigmoid(sigmoid(tanh(exp(u1)))) + sigmoid(sigmoid(tanh(exp(u1))))"
    parts, top = stages(parse_equation(text)[1], Namer({"u1": 0}, [text]))
    assert [p.name for p in parts] == ["v1", "v2", "v3"]          # u is the spec's; the repeated part once
    assert top == Op("+", Call("sigmoid", (Name("v3"),)), Call("sigmoid", (Name("v3"),)))
    shallow = parse_equation("f = sigmoid(tanh(exp(x)))")[1]
    assert nesting(shallow) == 3 and stages(shallow, Namer({}, []))[0] == []     # evaluated as written


def test_a_depth_25_key_names_its_stages():
    doc = solved({"x": 2}, [f"f = {nested('sigmoid({})', 25)}"])
    forward, gradient = doc.questions()
    assert len(forward.steps[0].chains) == 25                      # u1 … u24, then f
    assert len(gradient.steps) == 25                               # one node a stage, f first
    text = derive.render(doc, "markdown")
    assert "u_{24}" in text and "f$ nests 25 functions" in text
    assert re.search(r"u_\{2\} &\\approx \\sigma\\left\(0\.880797\\right\)", text)   # rounded as shown


def torch_chain(fn, depth: int, x):
    for _ in range(depth):
        x = fn(x)
    return x


SCALAR_CHAINS = {                # name: (pattern, given x, the same in torch, of the inner value and x)
    "sigmoid": ("sigmoid({})", 2, lambda v, x: torch.sigmoid(v)),
    "tanh": ("tanh({})", 2, lambda v, x: torch.tanh(v)),
    "exp": ("exp(-{})", 0, lambda v, x: torch.exp(-v)),
    "log": ("log(2 + {})", 2, lambda v, x: torch.log(2 + v)),
    "sqrt": ("sqrt({})", 2, lambda v, x: torch.sqrt(v)),
    "relu": ("relu({})", 2, lambda v, x: torch.relu(v)),
    "abs": ("abs({})", -2, lambda v, x: torch.abs(v)),
    "mse": ("mse({}, y)", 2, lambda v, x: (v - 1) ** 2),
    "sum": ("sum({})", 2, lambda v, x: v),
    "mean": ("mean({})", 2, lambda v, x: v),
    "power": ("x ^ {}", 0.5, lambda v, x: x ** v),
}
VECTOR_CHAINS = {                # name: (pattern, the same in torch); x = [1, 2, 3], the output's entries summed
    "softmax": ("softmax({})", lambda v, t: torch.softmax(v, 0)),
    "log_softmax": ("log_softmax({})", lambda v, t: torch.log_softmax(v, 0)),
    "transpose": ("transpose({})", lambda v, t: v),
    "dropout": ("dropout({},m,p)", lambda v, t: v * t["m"] / 0.5),
    "conv1d": ("conv1d({},w,1,1)", lambda v, t: torch.nn.functional.conv1d(v[None, None], t["w"][None, None],
                                                                           padding=1)[0, 0]),
    "cross_entropy": ("cross_entropy(x*{},0)", lambda v, t: torch.nn.functional.cross_entropy(
        (t["x"] * v)[None], torch.tensor([0]))),
}
MIXED = ["sigmoid({})", "tanh({})", "sqrt(1 + {})", "exp(-{})", "log(2 + {})", "relu({})", "abs({})"]


def _mixed(depth: int) -> str:
    e = "x"
    for k in range(depth):
        e = MIXED[k % len(MIXED)].format(e)
    return e


def _torch_mixed(x, depth: int):
    fns = [torch.sigmoid, torch.tanh, lambda v: torch.sqrt(1 + v), lambda v: torch.exp(-v),
           lambda v: torch.log(2 + v), torch.relu, torch.abs]
    for k in range(depth):
        x = fns[k % len(fns)](x)
    return x


def deep_spec() -> tuple[str, list]:
    """Every function of the language nested 30 deep (25 for cross_entropy, as long as an equation may be), each
    a problem, with its torch reference: (TOML, [(name, torch function of the given tensors, given)])."""
    problems, refs = [], []
    for name, (pattern, x, fn) in SCALAR_CHAINS.items():
        given = {"x": x, "y": 1} if name == "mse" else {"x": x}
        problems.append((name, given, [f"f = {nested(pattern, 30)}"]))
        refs.append((name, lambda t, fn=fn: torch_chain(lambda v: fn(v, t["x"]), 30, t["x"]), given))
    for name, (pattern, fn) in VECTOR_CHAINS.items():
        depth = 25 if name == "cross_entropy" else 30
        given = {"x": [1, 2, 3], "m": [1, 0, 1], "p": 0.5, "w": [1, -1, 2]}
        weight = "" if name == "transpose" else " * x"            # 30 transposes of a vector: a 3 × 1 matrix
        forward = [f"f = {nested(pattern, depth)}"] if name == "cross_entropy" else \
            [f"v = {nested(pattern, depth)}", f"f = sum(v{weight})"]
        problems.append((name, given, forward))
        if name == "cross_entropy":
            refs.append((name, lambda t, fn=fn: torch_chain(lambda v: fn(v, t), 25, t["x"]), given))
        else:
            refs.append((name, lambda t, fn=fn, w=not weight: (torch_chain(lambda v: fn(v, t), 30, t["x"])
                                                              * (1 if w else t["x"])).sum(), given))
    problems.append(("mixed", {"x": 2}, [f"f = {_mixed(30)}"]))
    refs.append(("mixed", lambda t: _torch_mixed(t["x"], 30), {"x": 2}))
    problems.append(("saturated", {"x": 2}, [f"f = {nested('sigmoid(1000+{})', 30)}"]))
    refs.append(("saturated", None, {"x": 2}))
    data = {"title": "deep", "problem": [{"kind": "graph", "title": n, "given": g, "forward": f,
                                          "part": [{"ask": ["forward", "gradient"],
                                                    "wrt": ["x"]}]} for n, g, f in problems]}
    return data, refs


def _toml(data: dict) -> str:
    out = [f'title = "{data["title"]}"']
    for p in data["problem"]:
        given = ", ".join(f"{k} = {json.dumps(v)}" for k, v in p["given"].items())
        forward = ", ".join(json.dumps(e) for e in p["forward"])
        out += ["[[problem]]", f'title = "{p["title"]}"', 'kind = "graph"', f"given = {{ {given} }}",
                f"forward = [{forward}]", "  [[problem.part]]", '  ask = ["forward", "gradient"]', '  wrt = ["x"]']
    return "\n".join(out) + "\n"


@pytest.mark.slow
def test_every_function_nested_30_deep_answers_and_agrees_with_torch(tmp_path):
    """In a process of its own under a timeout far above the few seconds it takes: a hang fails, a slow
    machine does not. Each value and gradient against torch's autograd (float64); the sigmoid saturated 30
    times (1 − σ about 10^-435 at every stage) against mpmath, its gradient far below a double's range."""
    data, refs = deep_spec()
    spec = tmp_path / "deep.toml"
    spec.write_text(_toml(data))
    proc = subprocess.run([sys.executable, "-m", "derive", "solutions", str(spec), "-f", "json", "-o", "-"],
                          capture_output=True, text=True, timeout=GENEROUS)
    assert proc.returncode == 0, proc.stderr
    parts = json.loads(proc.stdout)["parts"]
    by_problem = {}
    for part in parts:
        by_problem.setdefault(part["problem"], {})[part["ask"]] = part["answer"]
    for k, (name, fn, given) in enumerate(refs):
        answer = by_problem[k + 1]
        if fn is None:
            continue
        t = {n: torch.tensor(v, dtype=T, requires_grad=(n == "x")) for n, v in given.items()}
        out = fn(t)
        (grad,) = torch.autograd.grad(out, [t["x"]])
        assert answer["forward"]["value"]["f"] == pytest.approx(out.item(), rel=1e-9, abs=1e-12), name
        assert answer["gradient"]["value"]["x"] == pytest.approx(grad.tolist(), rel=1e-7, abs=1e-12), name
    saturated = by_problem[len(refs)]["gradient"]
    with mpmath.workdps(14000):
        g, v = mpmath.mpf(1), mpmath.mpf(2)
        for _ in range(30):
            v = 1 / (1 + mpmath.exp(-(1000 + v)))
            g *= v * (1 - v)
    assert saturated["value"]["x"] == 0.0 and close(stated(saturated["latex"]), g)


# --- 2. symbolic values refused before they are built ------------------------------------------------

@pytest.mark.slow
def test_a_product_of_four_symbolic_matrices_is_refused_before_it_is_built(tmp_path):
    """sum(W @ W @ W @ W) of a symbolic 20 × 20 W: refused rightly, but after 244 s of building millions of
    terms; estimated from the operands' shapes and sizes, it is refused at the third factor."""
    spec = tmp_path / "w.toml"
    spec.write_text('title = "t"\n[[problem]]\nkind = "graph"\ngiven = { W = { shape = [20, 20] } }\n'
                    'forward = ["f = sum(W @ W @ W @ W)"]\n  [[problem.part]]\n  ask = ["forward"]\n')
    proc = subprocess.run([sys.executable, "-m", "derive", "solutions", str(spec), "-f", "json", "-o", "-"],
                          capture_output=True, text=True, timeout=GENEROUS)
    assert proc.returncode == 2 and "forward[1]" in proc.stderr
    assert "grows beyond 150 operations an entry" in proc.stderr
    assert "(W @ W) @ W) alone would hold about 1,280 nodes an entry" in proc.stderr


@pytest.mark.parametrize("given, forward", [          # names of their own: entries such as Wb1_2 are symbols
    ({"Wb": {"shape": [20, 20]}}, "f = sum(Wb @ Wb @ Wb)"),                       # a chain of matrix products
    ({"Wb": {"shape": [20, 20]}}, "f = sum((Wb @ Wb @ Wb) * (Wb @ Wb @ Wb))"),    # products of big sums
    ({"Wb": {"shape": [20, 20]}}, "f = sum(Wb @ Wb) ^ 3"),                        # a power of a big sum
    ({"zb": {"shape": [20]}}, "f = sum(softmax(softmax(zb)))"),                   # sums inside sums
    ({"vb": {"shape": [20]}, "Wb": {"shape": [20, 20]}}, "f = sum(Wb @ (Wb @ (Wb @ vb)))"),
])
def test_other_blow_ups_are_estimated_and_refused_at_once(given, forward, monkeypatch):
    """Refused by the estimate, before the operation that would be too large is made (a product of the
    oversized operands is never computed)."""
    from derive.kinds.graph import sizes, values as vals
    built = []
    original = vals.matmul
    monkeypatch.setattr(vals, "matmul", lambda a, b: built.append(max(map(sizes.nodes, a.entries + b.entries)))
                        or original(a, b))
    with pytest.raises(SpecError) as err:
        solved(given, [forward], ask=("forward",))
    assert err.value.field == "forward[1]" and "alone would hold about" in str(err.value)
    assert all(n <= sizes.MAX_NODES for n in built)


def test_symbolic_formulas_of_ordinary_size_are_not_refused():
    """The estimate counts sums as written; it refuses only far beyond the limit: cross-entropy over 20
    symbolic logits with a probability vector (its sums collected by SymPy to under 150) passes."""
    doc = solved({"zc": {"shape": [20]}, "y": ["1/20"] * 20},
                 ["L = cross_entropy(zc, y)"], ask=("forward",), wrt=["zc"])
    assert "zc1" in values(doc)["forward"]["L"]


@pytest.mark.slow
def test_a_symbolic_chain_nesting_many_exponentials_is_refused_and_one_of_tanh_answers():
    with pytest.raises(SpecError) as err:
        solved({"x": {"symbol": True}}, [f"f = {nested('sigmoid({})', 25)}"])
    assert err.value.field == "forward[1]" and "nests more than 5 exponentials" in str(err.value)
    grad = values(solved({"x": {"symbol": True}}, [f"f = {nested('tanh({})', 25)}"]))["gradient"]["x"]
    x = sympy.Symbol("x", real=True)
    formula = sympy.sympify(grad, locals={"x": x})
    t = torch.tensor(0.3, dtype=T, requires_grad=True)
    (expected,) = torch.autograd.grad(torch_chain(torch.tanh, 25, t), [t])
    assert float(formula.subs(x, sympy.Rational(3, 10))) == pytest.approx(float(expected), rel=1e-12)


# --- 3. digits that cancel: tanh of a 400-digit number ------------------------------------------------

HUGE = ("1" + "2345678901" * 40)[:400]


@pytest.mark.parametrize("x", [HUGE, "100000", "1200"])
def test_tanh_of_a_huge_number_has_its_tiny_slope(x):
    """tanh(x) = 1 − tiny; the slope 1 − tanh²(x) = sech²(x) ≈ 4e^(−2x): 0 at any precision worth
    computing (x of 400 digits: e^(−2x) has an exponent of 400 digits), which the checker rightly would not
    confirm. Evaluated with its exponentials in one t it is 4t²/(t² + 1)², here against mpmath's sech²."""
    doc = solved({"x": x}, ["f = tanh(x)"])
    forward, gradient = doc.questions()
    assert forward.answer.value["f"] == 1.0 and gradient.answer.value["x"] == 0.0
    with mpmath.workdps(len(x) + 60):
        expected = mpmath.sech(mpmath.mpf(x)) ** 2
    latex = derive.render(doc, "latex")
    answer = latex[latex.index(r"\textbf{Answer 1a.ii.}"):]
    assert close(stated(answer), expected)


@pytest.mark.parametrize("forward, expected", [
    (["f = 1 - tanh(x) ^ 2"], lambda x: mpmath.sech(x) ** 2),
    (["t = tanh(x)", "f = 1 - t * t"], lambda x: mpmath.sech(x) ** 2),
    (["f = 1 - sigmoid(x)"], lambda x: 1 / (1 + mpmath.exp(x))),
])
def test_a_difference_that_cancels_beyond_20000_digits_is_computed(forward, expected):
    """At x = 10^5 these are about 10^-86859 and 10^-43430: 0 at 20,000 digits, where a 0 was believed (and
    the checker refused the key, or the derivation ran out of digits)."""
    doc = solved({"x": 100000}, forward, ask=("forward",))
    latex = derive.render(doc, "latex")
    with mpmath.workdps(60):
        assert close(stated(latex[latex.index(r"\textbf{Answer 1a.}"):]), expected(mpmath.mpf(100000)))


# --- 4. arithmetic SymPy cannot take, and the checker's own reach -----------------------------------

@pytest.mark.parametrize("forward", [["v1 = x * 3", "v2 = tanh(0 - -0) / v1"], ["v2 = exp(0*x - -0) * x"],
                                     ["v2 = sigmoid(0 - -0) * x"]])
def test_zero_written_as_a_difference_of_zeros_is_checked(forward):
    """The checker put tanh's meaning on 0 − (−0) kept as written, and SymPy divided by zero inside
    Add.primitive (exit 1, internal error)."""
    got = {ask: {k: float(Fraction(v) if isinstance(v, str) else v) for k, v in answer.items()}
           for ask, answer in values(solved({"x": 2}, forward)).items()}
    t = torch.tensor(2.0, dtype=T, requires_grad=True)
    ref = {"v2": torch.tanh(torch.tensor(0.0)) / (t * 3)} if "v1" in forward[0] else \
        {"v2": (torch.exp(torch.tensor(0.0)) if "exp" in forward[0] else torch.sigmoid(torch.tensor(0.0))) * t}
    (grad,) = torch.autograd.grad(ref["v2"], [t])
    assert got["forward"]["v2"] == pytest.approx(ref["v2"].item()) and got["gradient"]["x"] == pytest.approx(grad.item())


def test_a_function_nested_in_itself_is_expanded_to_the_bottom():
    """relu(relu(…(2))) 15 deep: SymPy's simultaneous replace stopped one level a pass (ten passes)."""
    relu = sympy.Function("relu")
    a = sympy.Dummy("a")
    expr = sympy.Integer(2)
    for _ in range(15):
        expr = relu(expr)
    assert Meanings({relu: sympy.Lambda(a, sympy.Max(0, a))}).expand(expr) == 2


def test_an_identity_holding_where_a_logarithm_is_of_a_negative_number_is_confirmed():
    """Both sides are the same complex number there; such points were skipped, leaving too few to decide."""
    b = sympy.Symbol("b", real=True)
    log10 = sympy.log(10).evalf(60)
    assert is_zero(3 * sympy.log(10) * sympy.log(-b ** 2 - 1) - 3 * log10 * sympy.log(-b ** 2 - 1))
    assert not is_zero(3 * sympy.log(10) * sympy.log(-b ** 2 - 1) - 2 * log10 * sympy.log(-b ** 2 - 1))


def test_a_formula_upstream_times_a_number_is_checked():
    """∂f/∂c = x · (1/(2√2)) was written ≈ x · 0.353553, an approximation of a formula the checker refuses."""
    grad = values(solved({"x": {"symbol": True}, "c": 2}, ["p = sqrt(c)", "f = p * x"]))["gradient"]["c"]
    assert sympy.simplify(sympy.sympify(grad) - sympy.sqrt(2) * sympy.Symbol("x") / 4) == 0


# --- 5. the equation language's own limits -------------------------------------------------------------

def test_thirty_levels_are_allowed_and_thirty_one_refused():
    parse_equation("f = " + nested("sqrt({})", 30))
    parse_equation("f = " + "x ^ " * 30 + "x")
    for text in ("f = " + nested("sqrt({})", 31), "f = " + nested("({})", 31), "f = " + "x ^ " * 31 + "x"):
        with pytest.raises(ValueError, match="nested too deeply"):
            parse_equation(text)


def test_a_row_of_signs_is_one_sign():
    """479 minus signs were nested 479 deep, past the printer's recursion (exit 1)."""
    doc = solved({"x": 2}, ["f = " + "-" * 479 + "x * x"])
    got = values(doc)
    assert got["forward"]["f"] == -4 and got["gradient"]["x"] == -4
    assert "-4" in derive.render(doc, "latex")              # printed: no recursion past the limit

"""Hundreds of random 1D convolutions: derive's conv1d-matrix answers against PyTorch.

Hypothesis draws the geometry (n, k, stride, padding, dilation), the activation, the weight
for ``gradient`` and, for activations with a kink at 0, the sign of every argument. derive
solves (and CAS-checks) all four questions; then, independently of derive's maths:

- F (evaluated at a random filter) times a random x is torch.nn.functional.conv1d;
- ``jacobian``, ``gradient`` and ``input-gradient`` equal torch.autograd's Jacobians of
  a = phi(conv1d(x, f)) at random points whose arguments have the spec's signs (for a smooth
  activation, at any point), with derive's z_r set to the conv1d outputs.

Runs are derandomized (fixed examples, no database), so CI sees the same cases every time.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import derive

DTYPE = torch.float64
EXAMPLES = 300

# spec text -> (the same function in torch, whether it has a kink at 0 so that signs are needed)
ACTIVATIONS = {
    "relu": (torch.relu, True),
    "leaky_relu": (lambda z: F.leaky_relu(z, 0.01), True),
    "\\max(0, z)": (torch.relu, True),
    "\\sqrt{z^2}": (torch.abs, True),
    "\\max(0, z) + \\min(0, e^{z} - 1)": (F.elu, True),
    "\\max(0, z)^2": (lambda z: torch.relu(z) ** 2, True),
    "tanh": (torch.tanh, False),
    "sigmoid": (torch.sigmoid, False),
    "softplus": (F.softplus, False),
    "identity": (lambda z: z, False),
    "\\frac{e^{2z} - 1}{e^{2z} + 1}": (torch.tanh, False),
    "z^2 + \\exp(z/2)": (lambda z: z**2 + torch.exp(z / 2), False),
}
ASKS = ("matrix", "gradient", "jacobian", "input-gradient")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These tensors are tiny: one thread avoids thread start-up and contention costs (several times faster)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@st.composite
def convolutions(draw):
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    pl = draw(st.integers(0, 2))
    pr = draw(st.one_of(st.just(pl), st.integers(0, 2)))
    span = d * (k - 1) + 1
    low = max(1, span - pl - pr)                               # at least one output
    n = draw(st.integers(low, max(low + 2, 8)))
    m = (n + pl + pr - span) // s + 1
    activation = draw(st.sampled_from(sorted(ACTIVATIONS)))
    kinked = ACTIVATIONS[activation][1]
    signs = draw(st.lists(st.sampled_from("+-"), min_size=m, max_size=m)) if kinked else None
    padding = pl if pl == pr and draw(st.booleans()) else [pl, pr]
    return dict(n=n, k=k, stride=s, padding=padding, pads=(pl, pr), dilation=d, m=m, activation=activation,
                wrt=draw(st.integers(1, k)), signs=signs)


def toml(c) -> str:
    lines = ['title = "hypothesis"', "[[problem]]", 'kind = "conv1d-matrix"', f"length = {c['n']}",
             f"width = {c['k']}", f"stride = {c['stride']}", f"padding = {c['padding']}",
             f"dilation = {c['dilation']}", f"activation = '{c['activation']}'", f"wrt = \"f{c['wrt']}\""]
    if c["signs"] is not None:
        lines.append("signs = [" + ", ".join(f'"{sg}"' for sg in c["signs"]) + "]")
    lines += ["  [[problem.part]]", "  ask = [" + ", ".join(f'"{a}"' for a in ASKS) + "]"]
    return "\n".join(lines) + "\n"


def conv(c, x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """torch's conv1d (a cross-correlation) with the case's stride, padding and dilation; x is (n,) or
    a batch (B, n), the result (m,) or (B, m)."""
    pl, pr = c["pads"]
    inp = x.view(-1, 1, x.shape[-1])
    if pl == pr:
        out = F.conv1d(inp, f.view(1, 1, -1), stride=c["stride"], padding=pl, dilation=c["dilation"])
    else:
        out = F.conv1d(F.pad(inp, (pl, pr)), f.view(1, 1, -1), stride=c["stride"], dilation=c["dilation"])
    return out.view(*x.shape[:-1], -1)


def dead_rows(c) -> list[bool]:
    """Outputs whose window lies entirely in the padding: their argument is 0 whatever x and f."""
    pl = c["pads"][0]
    return [all(not 0 <= r * c["stride"] + j * c["dilation"] - pl < c["n"] for j in range(c["k"]))
            for r in range(c["m"])]


def points(c, rng: np.random.Generator, count: int = 2):
    """Random (x, f) whose activation arguments have the spec's signs (by |z| > 1e-3), by rejection
    sampling guided by least squares: draw f and a target z with the signs, solve F(f) x = z for x."""
    if c["signs"] is None:
        return [(torch.tensor(rng.standard_normal(c["n"])), torch.tensor(rng.standard_normal(c["k"])))
                for _ in range(count)]
    dead = dead_rows(c)
    want = torch.tensor([1.0 if sg == "+" else -1.0 for sg in c["signs"]], dtype=DTYPE)
    live = torch.tensor([not d for d in dead])
    found = []
    for attempt in range(200):
        f = torch.tensor(rng.standard_normal(c["k"]))
        if attempt % 2:
            Fm = conv(c, torch.eye(c["n"], dtype=DTYPE), f).T             # the linear map x -> conv1d(x, f)
            target = want * torch.tensor(rng.uniform(0.5, 2.0, c["m"]))
            x = torch.linalg.lstsq(Fm, target.view(-1, 1)).solution.view(-1)
            x = x + 1e-3 * torch.tensor(rng.standard_normal(c["n"]))
        else:
            x = torch.tensor(rng.standard_normal(c["n"]))
        z = conv(c, x, f)
        if bool(((torch.sign(z) == want) & (z.abs() > 1e-3))[live].all()):
            found.append((x, f))
            if len(found) == count:
                break
    return found


def compiled(rows, syms: list):
    """derive's answer strings (SymPy syntax; parsed in tests only) as a function of the values of syms."""
    flat = rows if not rows or not isinstance(rows[0], list) else [e for r in rows for e in r]
    exprs = [sympy.sympify(e) for e in flat]
    for e in exprs:
        assert e.free_symbols <= set(syms), (e, syms)
    fn = sympy.lambdify(syms, exprs, modules="numpy")
    shape = (len(rows), len(rows[0])) if rows and isinstance(rows[0], list) else (len(rows),)
    return lambda values: torch.tensor(np.array(fn(*values), dtype=float).reshape(shape), dtype=DTYPE)


def close(got: torch.Tensor, want: torch.Tensor) -> bool:
    return got.shape == want.shape and torch.allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(c=convolutions(), seed=st.integers(0, 2**32 - 1))
def test_conv1d_against_torch(c, seed):
    rng = np.random.default_rng(seed)
    found = points(c, rng)
    if not found:
        reject()                       # a sign pattern no point was found for (rare)
    doc = derive.solve(derive.loads(toml(c)))
    answers = {q.ask: q.answer.value for q in doc.questions()}
    against_torch(c, answers, ACTIVATIONS[c["activation"]][0], found)


def against_torch(c, answers: dict, phi, found) -> None:
    """derive's answers (by ask) for the case c against torch at the points found: F x is conv1d, and
    the Jacobians are autograd's."""
    n, k, m = c["n"], c["k"], c["m"]
    xs = [sympy.Symbol(f"x{i + 1}") for i in range(n)]
    fs = [sympy.Symbol(f"f{j + 1}") for j in range(k)]
    zs = [sympy.Symbol(f"z{r + 1}") for r in range(m)]
    every = xs + fs + zs
    for x, f in found:
        z = conv(c, x, f)
        at = x.tolist() + f.tolist() + z.tolist()
        if "matrix" in answers:
            rows = answers["matrix"]
            assert len(rows) == m and all(len(r) == n for r in rows)
            Fm = compiled(rows, fs)(f.tolist())
            assert close(Fm @ x, z), (c, Fm @ x, z)
        jac_f = torch.autograd.functional.jacobian(lambda ff: phi(conv(c, x, ff)), f)      # (m, k)
        jac_x = torch.autograd.functional.jacobian(lambda xx: phi(conv(c, xx, f)), x)      # (m, n)
        if "jacobian" in answers:
            assert close(compiled(answers["jacobian"], every)(at), jac_f), (c, answers["jacobian"], jac_f)
        if "gradient" in answers:
            assert close(compiled(answers["gradient"], every)(at), jac_f[:, c["wrt"] - 1]), (c, answers["gradient"])
        if "input-gradient" in answers:
            assert close(compiled(answers["input-gradient"], every)(at), jac_x), (c, answers["input-gradient"])


def example_cases():
    """Each part of the bundled conv1d-matrix example as a case of this file, with its answers by ask."""
    import tomllib

    from derive.kinds import KINDS

    text = KINDS["conv1d-matrix"].example()
    problems = tomllib.loads(text)["problem"]
    doc = derive.solve(derive.loads(text))
    for problem, solved in zip(problems, doc.problems):
        for part, done in zip(problem["part"], solved.parts):
            v = {**{key: val for key, val in problem.items() if key != "part"}, **part}
            if "length" not in v or any(key in v for key in ("x", "f", "transposed", "channels")):
                continue                  # 2D, numbers, transposed, channels: tests/test_conv_matrix.py
            pad = v.get("padding", 0)
            pads = tuple(pad) if isinstance(pad, list) else (pad, pad)
            n, k, s, d = v["length"], v["width"], v.get("stride", 1), v.get("dilation", 1)
            m = (n + sum(pads) - d * (k - 1) - 1) // s + 1
            c = dict(n=n, k=k, stride=s, pads=pads, dilation=d, m=m, activation=v.get("activation", "relu"),
                     wrt=int(v["wrt"][1:]) if "wrt" in v else 1, signs=v.get("signs"))
            yield c, {q.ask: q.answer.value for q in done.questions if q.ask in ASKS}


EXAMPLE_ACTIVATIONS = {"relu": torch.relu, "\\tanh(z)": torch.tanh}


def test_the_example_against_torch():
    """The bundled example (derive/data/examples/conv1d-matrix.toml): a ReLU part with stride, padding,
    dilation and signs asking all four questions, and a smooth part, checked against torch."""
    cases = list(example_cases())
    assert {a for _, answers in cases for a in answers} == set(ASKS)
    assert any(c["signs"] for c, _ in cases) and any(c["signs"] is None for c, _ in cases)
    assert any(c["stride"] > 1 and c["dilation"] > 1 and any(c["pads"]) for c, _ in cases)
    for c, answers in cases:
        found = points(c, np.random.default_rng(0))
        assert found, c
        against_torch(c, answers, EXAMPLE_ACTIVATIONS[c["activation"]], found)


def test_the_draws_cover_the_geometry():
    """The strategy reaches every knob (a guard against a strategy that silently narrows)."""
    seen = {"stride": set(), "dilation": set(), "asymmetric": set(), "kinked": set(), "dead": set()}

    @settings(max_examples=200, derandomize=True, database=None, deadline=None)
    @given(c=convolutions())
    def collect(c):
        seen["stride"].add(c["stride"])
        seen["dilation"].add(c["dilation"])
        seen["asymmetric"].add(c["pads"][0] != c["pads"][1])
        seen["kinked"].add(c["signs"] is not None)
        seen["dead"].add(any(dead_rows(c)))

    collect()
    assert seen["stride"] == {1, 2, 3} and seen["dilation"] == {1, 2, 3}
    assert seen["asymmetric"] == {True, False} and seen["kinked"] == {True, False}
    assert True in seen["dead"]

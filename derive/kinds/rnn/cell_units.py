"""rnn-activation with ``cell = "lstm"`` or ``"gru"`` and several units: gate parameters as matrices.

PyTorch's gate equations (torch.nn.LSTMCell, torch.nn.GRUCell) with n units and a constant input x (a
number, or a list of m inputs): every gate is a vector, sigma and tanh act elementwise,

- LSTM: f, i, o = sigma(W_* x + U_* h<t-1> + b_*), g = tanh(W_g x + U_g h<t-1> + b_g),
  c<t> = f * c<t-1> + i * g, h<t> = o * tanh(c<t>) (* elementwise);
- GRU: r, z = sigma(W_* x + U_* h<t-1> + b_*), n = tanh(W_n x + b_n + r * (U_n h<t-1>)),
  h<t> = (1 - z) * n + z * h<t-1>.

The fields are read as the plain several-unit cell reads W_a, W_x, b (``units``): U_* an n x n matrix,
W_* an n x m matrix when x is a list of m inputs (a list of n, or one number for every unit, when x is a
number), b_*, a0 and c0 a list of n (or one number for every unit); missing parameters are 0.
Everything along the trajectory is computed at 50 digits (mpmath) from closed-form Jacobians: exact nested
exponentials made the checker take minutes. ``derivative`` answers the derivative question here;
``cell_units_stability`` the stability question.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Eq, Float, HadamardProduct, ImmutableMatrix

from ...fields import FieldError, to_number as to_rational
from ...numeric import evaluate, json_number, to_sympy, value_at
from ...precision import DIGITS
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import join_pieces
from .limits import T_EVIDENCE, long_T
from ...written import Fenced, Op, Partial, Row, Sym, text as short
from .notation import N, SIGMA, gate_means

GATES = {"lstm": ("f", "i", "g", "o"), "gru": ("r", "z", "n")}
MAX_UNITS = 8                 # the LSTM's state (h, c) has 2n entries: its Jacobian is 2n x 2n
MAX_WORK = 120 * 12**3        # T d^3 (d the state's size: 2n for the LSTM, n for the GRU), as the plain cell
SHOWN = 6


@dataclass(frozen=True)
class GatedUnits:
    cell: str                  # "lstm" or "gru"
    n: int                     # units
    U: tuple                   # ((gate, n x n ImmutableMatrix), ...)
    W: tuple                   # ((gate, n x m ImmutableMatrix), ...) (m = 1 for a number x)
    b: tuple                   # ((gate, n x 1), ...)
    x: ImmutableMatrix         # m x 1
    h0: ImmutableMatrix
    c0: ImmutableMatrix
    T: int = T_EVIDENCE
    unused: tuple = ()         # the plain cell's keys the spec gives (W_a, activation, ...): not used

    @property
    def d(self) -> int:
        """The size of the state: (h, c) for the LSTM, h for the GRU."""
        return 2 * self.n if self.cell == "lstm" else self.n

    def u(self, gate: str) -> ImmutableMatrix:
        return dict(self.U)[gate]

    def k(self, gate: str) -> ImmutableMatrix:
        """W_* x + b_*: the constant part of a gate's pre-activation."""
        return dict(self.W)[gate] * self.x + dict(self.b)[gate]


# --- configuration ------------------------------------------------------------------------------

def several(values: dict, own: list) -> bool:
    """True when a gate parameter, x, a0 or c0 is a list (the several-unit form)."""
    return any(isinstance(values.get(name), list) for name in (*own, "x", "a0", "c0"))


def _matrix(value, field: str, rows: int, cols: int) -> ImmutableMatrix:
    shape = f"a {rows} x {cols} matrix (a list of {rows} rows of {cols})"
    if not (isinstance(value, list) and len(value) == rows
            and all(isinstance(r, list) and len(r) == cols for r in value)):
        raise FieldError(field, f"must be {rows} x {cols}", value, shape)
    return ImmutableMatrix([[to_rational(v, field) for v in r] for r in value])


def _vector(value, field: str, n: int) -> ImmutableMatrix:
    if isinstance(value, list):
        if len(value) != n or any(isinstance(v, list) for v in value):
            raise FieldError(field, f"must have one number per unit ({n})", value, f"a list of {n} numbers")
        return ImmutableMatrix([to_rational(v, field) for v in value])
    return ImmutableMatrix([to_rational(value, field)] * n)


def _units(values: dict, own: list, x_list: bool) -> tuple[int, str]:
    """The number of units and the field it is read from: a U_* matrix's rows, else a list's length."""
    for name in own:
        if name.startswith("U_") and isinstance(values.get(name), list):
            return len(values[name]), name
    for name in (*own, "a0", "c0"):
        if isinstance(values.get(name), list):
            return len(values[name]), name
    return 1, "x"


def configure(values: dict, cell: str, own: list) -> GatedUnits:
    """Validate a several-unit gated cell (the refusals common to every cell are made by the caller)."""
    x_raw = values.get("x", 0)
    x_list = isinstance(x_raw, list)
    n, source = _units(values, own, x_list)
    if not 1 <= n <= MAX_UNITS:
        raise FieldError(source, f"{n} units; from 1 up to {MAX_UNITS}", values.raw[source],
                         f"up to {MAX_UNITS} units (the LSTM's Jacobian is 2n x 2n)")
    if x_list:
        if not x_raw or any(isinstance(v, list) for v in x_raw):
            raise FieldError("x", "must be a number or a list of numbers", x_raw, "e.g. [1, 0.5]")
        x = ImmutableMatrix([to_rational(v, "x") for v in x_raw])
    else:
        x = ImmutableMatrix([to_rational(x_raw, "x")])
    m = x.rows
    U, W, b = [], [], []
    for g in GATES[cell]:
        u = values.get(f"U_{g}", [[0] * n] * n)
        U.append((g, _matrix(u if isinstance(u, list) or n > 1 else [[u]], f"U_{g}", n, n)))
        if x_list:
            w = _matrix(values[f"W_{g}"], f"W_{g}", n, m) if f"W_{g}" in values else sympy.zeros(n, m)
        else:
            w = _vector(values.get(f"W_{g}", 0), f"W_{g}", n)
        W.append((g, ImmutableMatrix(w)))
        b.append((g, _vector(values.get(f"b_{g}", 0), f"b_{g}", n)))
    c = GatedUnits(cell=cell, n=n, U=tuple((g, ImmutableMatrix(u)) for g, u in U), W=tuple(W), b=tuple(b), x=x,
                   h0=_vector(values.get("a0", 0), "a0", n),
                   c0=_vector(values.get("c0", 0), "c0", n) if cell == "lstm" else sympy.zeros(n, 1),
                   T=long_T(values))
    if c.T * c.d**3 > MAX_WORK:
        raise FieldError("T", f"too long for {n} {cell.upper()} units: the evidence multiplies T {c.d} x {c.d}"
                         " Jacobians at 50 digits", c.T, f"a whole number up to {MAX_WORK // c.d**3} with {n} units")
    return c


# --- the step at 50 digits ----------------------------------------------------------------------

def _mp(M: ImmutableMatrix, digits: int = DIGITS):
    return mpmath.matrix([[value_at(v, digits) for v in M.row(i)] for i in range(M.rows)])


class Step:
    """The cell's step and its Jacobian at 50 digits (or ``digits``); a state is a list ([h..., c...] for the
    LSTM)."""

    def __init__(self, c: GatedUnits, digits: int = DIGITS):
        self.c, self.n, self.digits = c, c.n, digits
        with mpmath.workdps(digits):
            self.U = {g: _mp(c.u(g), digits) for g in GATES[c.cell]}
            self.k = {g: [value_at(v, digits) for v in c.k(g)] for g in GATES[c.cell]}

    def gates(self, h: list) -> dict:
        """Each gate's vector at the previous hidden state h (the GRU's U_n h under "u")."""
        with mpmath.workdps(self.digits):
            sig = (lambda v: 1 / (1 + mpmath.exp(-v)))
            pre = {g: [mpmath.fsum(self.U[g][i, j] * h[j] for j in range(self.n)) for i in range(self.n)]
                   for g in self.U}
            out = {}
            for g, p in pre.items():
                if g == "n":
                    continue
                v = out["v" + g] = [p[i] + self.k[g][i] for i in range(self.n)]
                out[g] = [mpmath.tanh(e) if g == "g" else sig(e) for e in v]
            if "n" in pre:
                out["u"] = pre["n"]
                out["vn"] = [self.k["n"][i] + out["r"][i] * pre["n"][i] for i in range(self.n)]
                out["n"] = [mpmath.tanh(v) for v in out["vn"]]
            return out

    @staticmethod
    def slopes(G: dict) -> dict:
        """Each gate's slope at its pre-activation v, without a difference that cancels where it saturates:
        sigma(v) sigma(-v) for sigma'(v) = sigma (1 - sigma), sech^2(v) for tanh'(v) = 1 - tanh^2 (1 - tanh^2(300)
        is 0 at 50 digits, sech^2(300) is 10^-260)."""
        sig = (lambda v: 1 / (1 + mpmath.exp(v)))                    # sigma(-v)
        return {g: [G[g][i] * sig(v) if g in "fiorz" else mpmath.sech(v) ** 2 for i, v in enumerate(G["v" + g])]
                for g in ("f", "i", "g", "o", "r", "z", "n") if "v" + g in G}

    def advance(self, state: list) -> list:
        n = self.n
        with mpmath.workdps(self.digits):
            h = state[:n]
            G = self.gates(h)
            if self.c.cell == "gru":
                return [(1 - G["z"][i]) * G["n"][i] + G["z"][i] * h[i] for i in range(n)]
            c = [G["f"][i] * state[n + i] + G["i"][i] * G["g"][i] for i in range(n)]
            return [G["o"][i] * mpmath.tanh(c[i]) for i in range(n)] + c

    def dc_dh(self, G: dict, c_prev: list):
        """LSTM: dc<t>/dh<t-1> (h<t-1> moves every gate)."""
        n, U, d = self.n, self.U, self.slopes(G)
        i_, g = G["i"], G["g"]
        return mpmath.matrix([[c_prev[a] * d["f"][a] * U["f"][a, b] + g[a] * d["i"][a] * U["i"][a, b]
                               + i_[a] * d["g"][a] * U["g"][a, b] for b in range(n)] for a in range(n)])

    def jacobian(self, state: list):
        """The step's Jacobian: d(h<t>, c<t>)/d(h<t-1>, c<t-1>) (LSTM) or dh<t>/dh<t-1> (GRU)."""
        n, U = self.n, self.U
        with mpmath.workdps(self.digits):
            h = state[:n]
            G = self.gates(h)
            d = self.slopes(G)
            if self.c.cell == "gru":
                r, z, nn, u = G["r"], G["z"], G["n"], G["u"]
                keep = [d["z"][a] / z[a] for a in range(n)]          # 1 - z, as sigma(-v_z): no difference
                return mpmath.matrix([[(z[a] if a == b else 0) + (h[a] - nn[a]) * d["z"][a] * U["z"][a, b]
                                       + keep[a] * d["n"][a] * (r[a] * U["n"][a, b] + u[a] * d["r"][a] * U["r"][a, b])
                                       for b in range(n)] for a in range(n)])
            c_prev = state[n:]
            f, o = G["f"], G["o"]
            c = [f[a] * c_prev[a] + G["i"][a] * G["g"][a] for a in range(n)]
            th, sech2 = [mpmath.tanh(v) for v in c], [mpmath.sech(v) ** 2 for v in c]
            D = self.dc_dh(G, c_prev)
            J = mpmath.zeros(2 * n, 2 * n)
            for a in range(n):
                for b in range(n):
                    J[a, b] = th[a] * d["o"][a] * U["o"][a, b] + o[a] * sech2[a] * D[a, b]
                    J[n + a, b] = D[a, b]
                J[a, n + a] = o[a] * sech2[a] * f[a]
                J[n + a, n + a] = f[a]
            return J

    def copying(self, state: list) -> list:
        """The copying gate's vector: f (LSTM) or z (GRU)."""
        return self.gates(state[:self.n])["f" if self.c.cell == "lstm" else "z"]


def to_matrix(M, digits: int | None = None) -> ImmutableMatrix:
    """An mpmath matrix (or a list, as a column) as SymPy Floats (rounded to ``digits`` for display)."""
    if isinstance(M, list):
        M = mpmath.matrix(M)
    f = (lambda v: to_sympy(v)) if digits is None else (lambda v: Float(to_sympy(v), digits) if v else sympy.Integer(0))
    return ImmutableMatrix(M.rows, M.cols, lambda i, j: f(M[i, j]))


def rows(M) -> list:
    """An mpmath matrix as a list of rows of floats (the JSON answer, numeric.json_number)."""
    return [[json_number(M[i, j]) for j in range(M.cols)] for i in range(M.rows)]


# --- notation -----------------------------------------------------------------------------------

def _at(name: str, t) -> Sym:
    """A gate or state vector at a step, in bold: h^{⟨t⟩}; the candidate g is written c̃."""
    if name == "g":
        return Sym("c", bold=True, accent="tilde", time=str(t))
    return Sym(name, bold=True, time=str(t))


def vec(name: str, t) -> sympy.Symbol:
    """A gate or state vector at a numbered step (f<2>, c<1>, ...)."""
    return N.symbol(f"{name}_vec_{t}", _at(name, t), means=gate_means(name))


def jac(top: str, bottom: str, t, fixed=None, below=None) -> sympy.Symbol:
    """d top<t> / d bottom<t-1> (or bottom<below>) as one (matrix-valued) symbol, optionally with what is held
    fixed (a piece of notation)."""
    below = (t - 1 if isinstance(t, int) else f"{t}-1") if below is None else below
    written = Partial(_at(top, t), _at(bottom, below))
    if fixed is not None:
        written = Sym(Fenced(written, ".", "|", sized=True), sub=fixed)
    return N.symbol(f"d{top}_{t}/d{bottom}_{below}{'|' + short(fixed) if fixed else ''}_units", written)


def parameter(name: str) -> sympy.Symbol:
    w, g = name.split("_")
    return N.symbol(f"{name}_units", Sym(w, sub=g))


X = N.symbol("x_units", Sym("x", bold=True))


def _m(name: str, written, rows: int, cols: int, means: str | None = None) -> sympy.MatrixSymbol:
    """A matrix symbol for the equations (named so that SymPy keeps W x + U h + b in this order)."""
    return N.matrix(name, rows, cols, written, means=means)


def _equations(c: GatedUnits) -> dict:
    """Each gate and state as a vector equation in matrix symbols: {vector symbol: expression}."""
    n, m = c.n, c.x.rows
    x, h = _m("a_x_vec", Sym("x", bold=True), m, 1), _m("b_h_prev_vec", _at("h", "t-1"), n, 1)
    out = {}
    for g in GATES[c.cell]:
        W, U, b = (_m(f"{k}_{w}_{g}_mat", Sym(w, sub=g), *shape)
                   for k, w, shape in (("a", "W", (n, m)), ("b", "U", (n, n)), ("c", "b", (n, 1))))
        if g == "n":
            r = _m("gate_r_vec", _at("r", "t"), n, 1)
            out[g] = sympy.tanh(sympy.MatAdd(W * x, b, HadamardProduct(r, U * h)))
        else:
            inner = sympy.MatAdd(W * x, U * h, b)
            out[g] = sympy.tanh(inner) if g == "g" else SIGMA(inner)
    return out


def gate_vec(g: str, n: int) -> sympy.MatrixSymbol:
    return _m(f"gate_{g}_vec", _at(g, "t"), n, 1, gate_means(g))


def setting(c: GatedUnits) -> Text:
    """The cell's units and its given values."""
    known = []
    for g in GATES[c.cell]:
        known += [Eq(parameter(f"W_{g}"), dict(c.W)[g], evaluate=False), Eq(parameter(f"U_{g}"), c.u(g), evaluate=False),
                  Eq(parameter(f"b_{g}"), dict(c.b)[g], evaluate=False)]
    known += [Eq(X, c.x, evaluate=False), Eq(vec("h", 0), c.h0, evaluate=False)]
    n, eq = c.n, _equations(c)
    G = {g: gate_vec(g, n) for g in GATES[c.cell]}
    h_prev, h_t = _m("b_h_prev_vec", _at("h", "t-1"), n, 1), _m("h_t_vec", _at("h", "t"), n, 1)
    rule = ("; σ and tanh act on each entry and ∘ multiplies entry by entry")
    if c.cell == "lstm":
        known.append(Eq(vec("c", 0), c.c0, evaluate=False))
        c_prev, c_t = _m("c_prev_vec", _at("c", "t-1"), n, 1), _m("c_t_vec", _at("c", "t"), n, 1)
        return say(f"{n} LSTM units (PyTorch's torch.nn.LSTMCell) with ", *join_pieces(known),
                   ", the same input at every step", rule, ": forget, input and output gates ",
                   let(G["f"], eq["f"]), ", ", let(G["i"], eq["i"]), ", ", let(G["o"], eq["o"]), ", candidate ",
                   let(G["g"], eq["g"]), ", cell state ",
                   let(c_t, sympy.MatAdd(HadamardProduct(G["f"], c_prev), HadamardProduct(G["i"], G["g"]))),
                   " and output ", let(h_t, HadamardProduct(G["o"], _m("tanh_c_t_vec", Row(Op("tanh"), Fenced(_at("c", "t"), sized=True)), n, 1))), ".")
    one = _m("ones_vec", Sym("1", bold=True), n, 1)
    return say(f"{n} GRU units (PyTorch's torch.nn.GRUCell) with ", *join_pieces(known),
               ", the same input at every step", rule, ": reset gate ", let(G["r"], eq["r"]), ", update gate ",
               let(G["z"], eq["z"]), ", candidate ", let(G["n"], eq["n"]), " and output ",
               let(h_t, sympy.MatAdd(HadamardProduct(sympy.MatAdd(one, -G["z"]), G["n"]),
                                     HadamardProduct(G["z"], h_prev))), ".")


def _entry(name: str, written) -> sympy.Symbol:
    return N.symbol(f"{name}_entry", written, means=gate_means(name))


def rule(c: GatedUnits) -> Text:
    """The Jacobians in general: the copying path diagonal, the full one entry by entry."""
    n = c.n
    DIAG = N.function("diag", Op("diag"))
    e = {k: _entry(k, Sym(k, sub="i", bare=True)) for k in ("f", "i", "o", "r", "z", "n", "u")}
    e["g"] = _entry("g", Sym("c", accent="tilde", sub="i", bare=True))
    e["c"] = _entry("c", Sym("c", time="t-1", sub="i", bare=True, sup_first=True))
    e["h"] = _entry("h", Sym("h", time="t-1", sub="i", bare=True, sup_first=True))
    U = {g: _entry(f"U_{g}", Sym(Fenced(Sym("U", sub=g)), sub="ij")) for g in GATES[c.cell]}
    delta = _entry("delta", Sym("δ", sub="ij"))
    if c.cell == "lstm":
        path, dh = jac("c", "c", "t", _at("h", "t-1")), jac("c", "h", "t")
        dhc, full = jac("h", "c", "t-1", below="t-1"), jac("c", "c", "t")
        ij = _entry("dc/dh_ij", Sym(Fenced(N[dh], sized=True), sub="ij"))
        return say("Hold ", vec("h", "t-1"), " (so every gate) fixed: ", vec("c", "t"), " moves with ",
                   vec("c", "t-1"), " entry by entry through the forget gate, so along the cell path ",
                   let(path, DIAG(gate_vec("f", n))), ". Through ", vec("h", "t-1"), " every gate moves: ",
                   let(ij, e["c"] * e["f"] * (1 - e["f"]) * U["f"] + e["g"] * e["i"] * (1 - e["i"]) * U["i"]
                       + e["i"] * (1 - e["g"] ** 2) * U["g"]),
                   " (σ′ is σ(1 − σ), tanh′ is 1 − tanh², all at step t), and ", vec("h", "t-1"), " is made from ",
                   vec("c", "t-1"), " by the output gate of the step before, so in full ",
                   let(full, path + sympy.Mul(dh, dhc, evaluate=False)), ".")
    path, full = jac("h", "h", "t", "z, n"), jac("h", "h", "t")
    ij = _entry("dh/dh_ij", Sym(Fenced(N[full], sized=True), sub="ij"))
    return say("Hold the gates and the candidate fixed: ", vec("h", "t"), " moves with ", vec("h", "t-1"),
               " entry by entry through the update gate, so along the update-gate path ",
               let(path, DIAG(gate_vec("z", n))), ". In full the update gate, the candidate and the reset gate inside"
               " it move too: with ", let(e["u"], _entry("Unh_i", Sym(Fenced(Row(Sym("U", sub="n", bare=True), " ", _at("h", "t-1"))), sub="i", bare=True))), ", ",
               let(ij, delta * e["z"] + (e["h"] - e["n"]) * e["z"] * (1 - e["z"]) * U["z"]
                   + (1 - e["z"]) * (1 - e["n"] ** 2) * (e["r"] * U["n"] + e["u"] * e["r"] * (1 - e["r"]) * U["r"])),
               ".")


# --- the derivative question --------------------------------------------------------------------

def _gate_lines(c: GatedUnits, G: dict, t: int, m: dict) -> list:
    lines = []
    for g in GATES[c.cell]:
        s = vec(g, t)
        m[s] = to_matrix(G[g])
        lines.append(chain(s, "approx", to_matrix(G[g], SHOWN)))
    return lines


def _lstm(c: GatedUnits, S: Step) -> tuple:
    """Steps, answer value and the shown symbols of dc<2>/dc<1> (cell path and full)."""
    m, n = {}, c.n
    with mpmath.workdps(DIGITS):
        start = [evaluate(v) for v in (*c.h0, *c.c0)]
        G1 = S.gates(start[:n])
        s1 = S.advance(start)
        G2 = S.gates(s1[:n])
        path = mpmath.diag(G2["f"])
        D = S.dc_dh(G2, s1[n:])
        dh1 = mpmath.diag([G1["o"][a] * (1 - mpmath.tanh(s1[n + a]) ** 2) for a in range(n)])
        full = path + D * dh1
    h1, c1 = vec("h", 1), vec("c", 1)
    m.update({h1: to_matrix(s1[:n]), c1: to_matrix(s1[n:])})
    first = step(say("The first step from ", vec("h", 0), " and ", vec("c", 0), ", gate by gate:"),
                 *_gate_lines(c, G1, 1, m), chain(h1, "approx", to_matrix(s1[:n], SHOWN)),
                 chain(c1, "approx", to_matrix(s1[n:], SHOWN)))
    second = step(say("The gates of the second step, the first whose ", vec("h", 1), " depends on ", c1, ":"),
                  *_gate_lines(c, G2, 2, m))
    cell_s, dh_s, h_c = jac("c", "c", 2, _at("h", 1)), jac("c", "h", 2), jac("h", "c", 1, below=1)
    full_s = jac("c", "c", 2)
    m.update({cell_s: to_matrix(path), dh_s: to_matrix(D), h_c: to_matrix(dh1), full_s: to_matrix(full)})
    both = step(say("The cell path is the diagonal matrix of the forget gate; the full Jacobian adds the path"
                    " through ", vec("h", 1), ", which the output gate makes from ", c1, " (diagonal, entries"
                    " o⟨1⟩ times 1 − tanh²(c⟨1⟩)):"),
                chain(cell_s, "approx", to_matrix(path, SHOWN)), chain(dh_s, "approx", to_matrix(D, SHOWN)),
                chain(h_c, "approx", to_matrix(dh1, SHOWN)),
                chain(full_s, cell_s + dh_s * h_c, "approx", to_matrix(full, SHOWN)))
    value = {"t": 2, "cell_path": rows(path), "full": rows(full)}
    return [first, second, both], value, m, (cell_s, full_s, path, full)


def _gru(c: GatedUnits, S: Step) -> tuple:
    """Steps, answer value and the shown symbols of dh<1>/dh<0> (update-gate path and full)."""
    m = {}
    with mpmath.workdps(DIGITS):
        h0 = [evaluate(v) for v in c.h0]
        G1 = S.gates(h0)
        h1v = S.advance(h0)
        path, full = mpmath.diag(G1["z"]), S.jacobian(h0)
    h1 = vec("h", 1)
    m[h1] = to_matrix(h1v)
    first = step(say("The first step from ", vec("h", 0), ", gate by gate:"), *_gate_lines(c, G1, 1, m),
                 chain(h1, "approx", to_matrix(h1v, SHOWN)))
    path_s, full_s = jac("h", "h", 1, "z, n"), jac("h", "h", 1)
    m.update({path_s: to_matrix(path), full_s: to_matrix(full)})
    both = step(say("Along the update-gate path the Jacobian is the diagonal matrix of ", vec("z", 1),
                    "; in full, the entries above with the gates of step 1 and ", vec("h", 0), ":"),
                chain(path_s, "approx", to_matrix(path, SHOWN)), chain(full_s, "approx", to_matrix(full, SHOWN)))
    return [first, both], {"t": 1, "update_path": rows(path), "full": rows(full)}, m, (path_s, full_s, path, full)


def derivative(c: GatedUnits) -> Solution:
    """LSTM: dc<2>/dc<1> along the cell path and in full; GRU: dh<1>/dh<0> along the update path and in full."""
    S = Step(c)
    lstm = c.cell == "lstm"
    steps, value, m, (path_s, full_s, path, full) = (_lstm if lstm else _gru)(c, S)
    m.update({parameter(f"{w}_{g}"): dict(getattr(c, w))[g] for g in GATES[c.cell] for w in "UWb"})
    m.update({X: c.x, vec("h", 0): c.h0, vec("c", 0): c.c0})
    top, bottom, t = ("c", "c", 2) if lstm else ("h", "h", 1)
    question = say(f"Find the {c.n} × {c.n} Jacobian ", jac(top, bottom, "t"), " along the ", "cell path" if lstm else "update-gate path",
                   f" and in full, at step {t}.")
    text = say("Along the ", "cell path " if lstm else "update-gate path ", chain(path_s, "approx", to_matrix(path, 4)),
               "; in full ", chain(full_s, "approx", to_matrix(full, 4)), ".")
    return Solution(question=question, steps=(step(rule(c)), *steps), answer=Answer(value=value, text=text),
                    meanings=m)


__all__ = ["GatedUnits", "configure", "several", "setting", "derivative", "Step", "to_matrix", "rows", "vec",
           "MAX_UNITS", "MAX_WORK"]

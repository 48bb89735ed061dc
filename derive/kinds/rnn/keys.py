"""The rnn-activation kind's spec keys, declared once. What depends on other keys (one unit or several: the
shapes of W_a, W_x, b, x and a0; a gated cell's own parameters; T against the units) is checked by ``config``,
``units``, ``cells`` and ``cell_units``."""

from __future__ import annotations

from ...declare import Choice, Field, Formula, Integer, Nested, Number, OneOf, Rule, Text
from ...mathparse import NAMED, parse_activation
from .limits import MAX_T, T_EVIDENCE
from .units import MAX_UNITS, MAX_WORK

NAMES = ", ".join(sorted(NAMED))
GATE_NAMES = {"f": "forget gate", "i": "input gate", "g": "candidate", "o": "output gate", "r": "reset gate",
              "z": "update gate", "n": "candidate"}
CELLS = ("lstm", "gru")
PARAMETERS = tuple(f"{w}_{gate}" for gate in GATE_NAMES for w in ("W", "U", "b"))
ROLES = {"W": "input weight (on x)", "U": "recurrent weight (on h<t-1>)", "b": "bias"}

NUMBER = Number(constants=True)
ARRAY = Nested(NUMBER, most=2, words="a list of n (a vector) or of rows (a matrix)")
VALUE = OneOf((NUMBER, ARRAY))
ACTIVATION = Formula("LaTeX in z such as '\\frac{1}{1+e^{-z}}', or a name: " + NAMES, ("tanh", "sigmoid", "relu"),
                     parse=parse_activation)


def _parameter(name: str) -> Field:
    role, gate = name.split("_")
    cell = "LSTM" if gate in "figo" else "GRU"
    shape = {"W": "; for n units a list of n, or an n × m matrix when x is a list of m",
             "U": "; for n units an n × n matrix", "b": "; for n units a list of n, or one number for each"}[role]
    outside = " (outside the reset gate: PyTorch's recurrent bias taken as 0)" if name == "b_n" else ""
    return Field(name, VALUE, f"the {cell}'s {GATE_NAMES[gate]}: its {ROLES[role]}{outside}{shape}",
                 Rule("0 (zeros for several units)"))


FIELDS = (
    Field("activation", ACTIVATION, "the activation φ: a formula in z in derive's formula language, the graph's"
          " equations' (LaTeX such as \\frac, e^{...}, \\tanh, \\sin, \\ln, \\max(0, z), \\sigma(z), \\sqrt, or"
          " functions such as tanh(z), gelu(z), elu(z, 0.5); sums, products, powers, numbers) or a name"
          " (leaky_relu's slope is 1/100; also gelu, silu, elu, hardtanh, log_sigmoid, sin, cos)",
          Rule("required unless `cell`")),
    Field("called", Text("text", ("sigmoid",)), "what the problem text calls the activation; a note says so when"
          " the formula is something else"),
    Field("W_a", VALUE, "the recurrent weight: a number for one unit, an n × n matrix for n units",
          Rule("required unless `cell`")),
    Field("W_x", VALUE, "the input weight (a number; for n units a list of n, or an n × m matrix when x is a list"
          " of m); required when x is not 0"),
    Field("b", VALUE, "the bias (for n units a list of n, or one number for each)", 0),
    Field("x", VALUE, "the input x<t>, the same at every step (a number, or a list of m inputs)", 0),
    Field("a0", VALUE, "the initial state a<0> (h<0> of a cell), where the stability question starts (for n"
          " units a list of n, or one number for each)", 0),
    Field("cell", Choice(CELLS, "cell"), "a gated cell with PyTorch's gate equations (LSTMCell,"
          " GRUCell) instead of φ(b + W_a a<t-1> + W_x x<t>); activation, called, W_a, W_x and b are then"
          " refused"),
    *(_parameter(p) for p in PARAMETERS),
    Field("c0", VALUE, "the initial cell state c<0> (LSTM; for n units a list of n, or one number for each)", 0),
    Field("T", Integer(1, MAX_T), "the sequence length of the stability evidence |da<T>/da<0>| along the"
          f" trajectory (with n units T·n³ at most {MAX_WORK:,}".replace(",", " ") + f", so T up to"
          f" {MAX_WORK // MAX_UNITS ** 3} for {MAX_UNITS} units; gated units T·d³, d the state's size: 2n for an"
          " LSTM, n for a GRU)", T_EVIDENCE),
)

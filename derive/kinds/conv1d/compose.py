"""ask = "compose": two 1D convolutions in a row with no activation between them are one convolution.

Layer 1 (filter f, width k₁, stride s₁, dilation d₁) and layer 2 (filter g, width k₂, stride s₂, dilation d₂),
cross-correlations as PyTorch's conv1d: z = F₂(F₁x) = (F₂F₁)x. The product's first row is the composite kernel
h, h_t = Σ g_i f_j over s₁d₂(i − 1) + d₁(j − 1) = t − 1, of size K = (k₂ − 1)·s₁·d₂ + (k₁ − 1)·d₁ + 1; every
row is it shifted by s₁s₂, so F₂F₁ is the matrix of the convolution with kernel h and stride s₁s₂. The filters are
symbols, or the spec's numbers (``f = [[...], [...]]``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy
from sympy import ImmutableMatrix

from ... import fields
from ...declare import given
from ...fields import FieldError
from ...numeric import json_number
from ...steps import Answer, Solution, Text, chain, let, say, step, written_product, written_sum
from ...symbols import FloorDiv
from ...written import Sym
from .names import D, F_VEC, J, K, N, NOTATION, R, S, f

MAX_LENGTH = 40           # the input length n (F₁ is m₁ × n)
ALONE = ("input", "kernel", "x", "upstream", "transposed", "output_padding", "signs", "wrt", "blank")


@functools.lru_cache(maxsize=None)
def g(j: int) -> sympy.Symbol:
    """g_j, the j-th weight of the second filter (1-based)."""
    return NOTATION.symbol(f"g{j}", Sym("g", sub=str(j)), real=True)


@functools.lru_cache(maxsize=None)
def h(t: int) -> sympy.Symbol:
    """h_t, the t-th weight of the composite filter (1-based)."""
    return NOTATION.symbol(f"h{t}", Sym("h", sub=str(t)), real=True)


K_SIZE = NOTATION.symbol("K_size", "K", positive=True, integer=True)
F1 = NOTATION.symbol("F_1", Sym("F", sub="1"), commutative=False)
F2 = NOTATION.symbol("F_2", Sym("F", sub="2"), commutative=False)
G_VEC, Z_OUT = NOTATION.symbol("g"), NOTATION.symbol("z_out", "z", commutative=False)
X_IN = NOTATION.symbol("x_in", "x", commutative=False)
F_LAST = NOTATION.symbol("f_k1", Sym("f", sub=Sym("k", sub="1")), real=True)      # f_{k_1}, the first filter's last
G_LAST = NOTATION.symbol("g_k2", Sym("g", sub=Sym("k", sub="2")), real=True)      # g_{k_2}, the second's
OUTPUTS = (NOTATION.symbol("m_1", Sym("m", sub="1")), NOTATION.symbol("m_2", Sym("m", sub="2")))
# the floor rule for a layer's outputs, ⌊(n − d(k − 1) − 1)/s⌋ + 1, and the column of weight j in row r
FLOOR_RULE = written_sum(FloorDiv(written_sum(N, written_product(-1, D, written_sum(K, -1)), -1), S, evaluate=False), 1)
COLUMN = written_sum(written_product(S, written_sum(R, -1)), written_product(D, written_sum(J, -1)), 1)


@dataclass(frozen=True)
class Composition:
    """Two 1D convolutions in a row: the input length, each layer's width, stride and dilation, the filters'
    numbers (None: symbols)."""

    length: int
    widths: tuple[int, int]
    strides: tuple[int, int]
    dilations: tuple[int, int]
    numbers: tuple[tuple[sympy.Rational, ...], tuple[sympy.Rational, ...]] | None = None

    @property
    def size(self) -> int:
        """K = (k₂ − 1)·s₁·d₂ + (k₁ − 1)·d₁ + 1."""
        (k1, k2), (s1, _), (d1, d2) = self.widths, self.strides, self.dilations
        return (k2 - 1) * s1 * d2 + (k1 - 1) * d1 + 1

    @property
    def stride(self) -> int:
        return self.strides[0] * self.strides[1]

    def outputs(self, layer: int) -> int:
        """m₁ (layer 0) or m₂ (layer 1), the floor rule without padding."""
        n = self.length if layer == 0 else self.outputs(0)
        span = self.dilations[layer] * (self.widths[layer] - 1) + 1
        return (n - span) // self.strides[layer] + 1

    def weights(self, layer: int) -> tuple:
        if self.numbers is not None:
            return self.numbers[layer]
        return tuple((f if layer == 0 else g)(j + 1) for j in range(self.widths[layer]))


def matrix(weights, rows: int, cols: int, stride: int, dilation: int) -> ImmutableMatrix:
    """A convolution's matrix: row r holds weight j in column s·r + d·j (0-based)."""
    out = [[sympy.Integer(0)] * cols for _ in range(rows)]
    for r in range(rows):
        for j, w in enumerate(weights):
            out[r][stride * r + dilation * j] = w
    return ImmutableMatrix(out)


def kernel(c: Composition) -> list:
    """h: h_t (0-based t) the sum of g_i f_j over s₁d₂·i + d₁·j = t, as written (a sum of products)."""
    terms: list[list] = [[] for _ in range(c.size)]
    f1, f2 = c.weights(0), c.weights(1)
    for i, gi in enumerate(f2):
        for j, fj in enumerate(f1):
            terms[c.strides[0] * c.dilations[1] * i + c.dilations[0] * j].append(written_product(gi, fj))
    return [written_sum(*t) if len(t) > 1 else t[0] if t else sympy.Integer(0) for t in terms]


# --- the spec -------------------------------------------------------------------------------------------------

def configure(values, asks) -> Composition:
    """The keys of a compose part: width = [k₁, k₂], per-layer stride and dilation, no padding, the identity."""
    if tuple(asks) != ("compose",):
        raise FieldError("ask", "'compose' is asked in a part of its own (its layer is two convolutions, the"
                                " other questions' one)", list(asks), 'ask = "compose"')
    for key in ALONE:
        if key in given(values):
            raise FieldError(key, f"'compose' composes two 1D convolutions of symbols or of the numbers `f`; it"
                                  f" takes no '{key}'", values.raw.get(key), "width = [k1, k2], stride, dilation, f")
    widths = _pair(values, "width", "width = [k1, k2], the two filters' widths")
    if values["activation"].strip() not in ("identity", "linear", "z"):
        raise FieldError("activation", "two convolutions compose into one only with no activation between them",
                         values.raw.get("activation", "relu (the default)"), '"identity"')
    if values["padding"] != 0:
        raise FieldError("padding", "zeros padded between the layers are not zeros padded on the input, so the"
                                    " composition is one convolution only without padding", values.raw["padding"],
                         "0")
    if values.get("channels") not in (None, [1, 1]):
        raise FieldError("channels", "'compose' composes one-channel convolutions", values.raw["channels"], "[1, 1]")
    c = Composition(0, widths, _pair(values, "stride"), _pair(values, "dilation"))
    n = values.get("length") or c.size + c.stride               # by default: two outputs of the composite
    c = Composition(n, c.widths, c.strides, c.dilations, _numbers(values, widths))
    _check_fits(c, "length" in given(values))
    return c


def _pair(values, key: str, words: str = "") -> tuple[int, int]:
    raw = values.get(key)
    if isinstance(raw, list):
        return tuple(fields.check_int(v, f"{key}[{k + 1}]", 1) for k, v in enumerate(raw))
    if key == "width":
        raise FieldError("width", "'compose' needs the two filters' widths", raw, words)
    return (raw, raw)


def _numbers(values, widths) -> tuple | None:
    raw = values.get("f")
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(r, list) for r in raw)
            and [len(r) for r in raw] == list(widths) and not any(isinstance(v, list) for r in raw for v in r)):
        raise FieldError("f", f"'compose' takes the two filters' numbers, [[{widths[0]} numbers], [{widths[1]}"
                              " numbers]]", values.raw.get("f"), f"[[…{widths[0]} numbers], […{widths[1]} numbers]]")
    return tuple(tuple(r) for r in raw)


def _check_fits(c: Composition, told: bool) -> None:
    field = "length" if told else "width"
    if c.length > MAX_LENGTH:
        raise FieldError(field, f"the input would have {c.length} entries (F₁ is m₁ × n); at most {MAX_LENGTH}",
                         c.length if told else list(c.widths), f"a length (or filters) of at most {MAX_LENGTH}")
    if c.outputs(0) < 1 or c.outputs(1) < 1:
        raise FieldError(field, f"the input of length {c.length} leaves no output of layer"
                                f" {1 if c.outputs(0) < 1 else 2}", c.length, f"a length of at least {c.size}")


# --- the key --------------------------------------------------------------------------------------------------

def _names(c: Composition, layer: int) -> str:
    return ("f" if layer == 0 else "g") if c.numbers is None else "its numbers"


def setting(c: Composition) -> Text:
    (k1, k2), (s1, s2), (d1, d2) = c.widths, c.strides, c.dilations
    return say(f"Two 1D convolutions (cross-correlations, as PyTorch's conv1d) in a row, with no activation between"
               f" them, on an input of length {c.length}: layer 1 has a filter of width {k1} (stride {s1}, dilation"
               f" {d1}), layer 2 one of width {k2} (stride {s2}, dilation {d2}), no padding.",
               *_given_filters(c))


def _given_filters(c: Composition) -> list:
    if c.numbers is None:
        return [" The first filter is ", f(1), " … ", F_LAST, ", the second ", g(1), " … ", G_LAST, "."]
    return [" The filters are ", let(F_VEC, ImmutableMatrix([list(c.numbers[0])])), " and ",
            let(G_VEC, ImmutableMatrix([list(c.numbers[1])])), "."]


def _layer_step(c: Composition, layer: int):
    rows, cols = c.outputs(layer), c.length if layer == 0 else c.outputs(0)
    s, d = c.strides[layer], c.dilations[layer]
    M = matrix(c.weights(layer), rows, cols, s, d)
    name = F1 if layer == 0 else F2
    return step(say(f"Layer {layer + 1} as a matrix, {rows} × {cols} (", OUTPUTS[layer], " outputs of"
                    f" {'the input' if layer == 0 else 'layer 1'}, by the floor rule ", FLOOR_RULE, "): row r"
                    " holds weight j in column ", COLUMN, ", ", let(name, M), ".")), M


def solve(c: Composition, ask: str) -> Solution:
    one, M1 = _layer_step(c, 0)
    two, M2 = _layer_step(c, 1)
    P = (M2 * M1).applyfunc(sympy.expand)
    hs = kernel(c)
    product = step(say("No activation between them, so ", let(Z_OUT, sympy.Mul(F2, F1, X_IN, evaluate=False)),
                       ": one matrix, the product (each entry a sum of products of a g and an f):"),
                   chain(sympy.MatMul(M2, M1, evaluate=False), P))
    (k1, k2), (s1, _), (d1, d2) = c.widths, c.strides, c.dilations
    size = step(say("Its first row is the composite kernel: the weights meet input t through layer 2's weight i"
                    " and layer 1's weight j when s₁d₂(i − 1) + d₁(j − 1) equals t − 1, so it spans "),
                chain(K_SIZE, written_sum(written_product(k2 - 1, s1, d2), written_product(k1 - 1, d1), 1), c.size))
    lines = [chain(h(t + 1), v, sympy.expand(v)) if str(sympy.expand(v)) != str(v) else chain(h(t + 1), v)
             for t, v in enumerate(hs)]
    read = step(say("and reads, entry by entry:"), *lines)
    H = matrix([h(t + 1) for t in range(c.size)], c.outputs(1), c.length, c.stride, 1)
    shifted = step(say(f"Every row of the product is the first shifted by s₁s₂, that is {c.stride} column"
                       f"{'s' if c.stride > 1 else ''}: it is the matrix of one convolution with kernel h (size"
                       f" {c.size}) and stride {c.stride}, no dilation:"), chain(P, H))
    value = {"kernel": [_json(sympy.expand(v)) for v in hs], "size": c.size, "stride": c.stride}
    answer = Answer(value=value, chain=chain(ImmutableMatrix([[h(t + 1) for t in range(c.size)]]),
                                             ImmutableMatrix([[sympy.expand(v) for v in hs]])),
                    text=say(f"One convolution with a kernel of size {c.size} and stride {c.stride}:"))
    question = say("Show that the two layers are one convolution, and give its kernel, its size and its stride.")
    return Solution(question=question, steps=(one, two, product, size, read, shifted), answer=answer,
                    notes=tuple(_notes(c)),
                    meanings={K_SIZE: sympy.Integer(c.size), **{h(t + 1): sympy.expand(v) for t, v in enumerate(hs)}})


def _json(v):
    """An entry as the JSON writes it: an int when whole, a float, or a SymPy string."""
    return int(v) if v.is_Integer else json_number(v) if v.is_number else str(v)


def _notes(c: Composition) -> list[Text]:
    out = [say("PyTorch's conv1d is a cross-correlation, and two in a row are one whose kernel is the full"
               " convolution of the two filters (for stride 1 and no dilation, h_t sums g_i f_j over i + j"
               " equal to t + 1), as it would be for true convolutions; strides and dilations spread the terms apart.")]
    if any(v == 0 for v in kernel(c)) and c.numbers is None:
        out.append(say("Some of h's entries are structurally zero: no pair of weights reaches those inputs (the"
                       " strides and dilations leave gaps), as the product shows."))
    return out

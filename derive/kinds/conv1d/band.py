"""HW5's 1D questions for a long input (length above SHOWN_LENGTH): F built from its band, the derivatives from
the structure, nothing m × n built or compared densely.

Row r of F holds f_j in column s r + d j - p_l (0-based) and zeros elsewhere. ``band`` lists those columns;
``check_band`` compares them with the definition z_r = sum_j f_j xpad[r s + j d], row by row, on the whole row
(the terms of z_r name every nonzero column, so a misplaced or missing entry, or a stray one, is caught). The
key shows the first rows and the last one of each m-row quantity, checked by the CAS; the JSON holds every
entry. Up to SHOWN_LENGTH nothing changes: the full matrices are shown as before.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import SimpleNamespace

import sympy
from sympy import ImmutableMatrix

from ...errors import CheckError
from ...mathparse import Z
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import join
from ..activations import derivative, tidy as tidy_form
from .config import MAX_BAND, MAX_LENGTH, SHOWN_LENGTH, Config  # noqa: F401  (the limits, stated in config)
from .matrix import Strings, _placement_step, _plain_step, _size_step, padded_inputs
from ...written import Fenced, Partial, Sym
from .names import (A_EX, X_EX, A_VEC, D, DA_DF_J, DA_DX_C, DPHI_Z, DZ_DF_J, F_MAT, F_RC, K, M_OUT, N, NOTATION, P_L, P_R, PHI,
                    RELU, S, X_VEC, Z_R, Z_VEC, dphi_at, f, x, z)
from .slopes import Slopes, slopes as _slopes

SAMPLE = 16               # whole rows compared entry by entry (zeros too), spread over F
HEAD = 3                  # the rows shown first; then the last row


@dataclass(frozen=True)
class Band:
    """F by its band: for each output r (0-based), the column of x each weight meets, None over padding."""

    c: Config
    cols: tuple[tuple[int | None, ...], ...]

    @property
    def rows(self) -> int:
        return len(self.cols)

    def row_entries(self, r: int) -> dict[int, sympy.Symbol]:
        """{column: f_j} of row r of F."""
        return {col: f(j + 1) for j, col in enumerate(self.cols[r]) if col is not None}

    def row_strings(self, r: int, scale=sympy.Integer(1), memo: dict | None = None) -> list[str]:
        """Row r of F (times ``scale``) as the JSON writes it: n strings (``memo``: see ``printed``)."""
        out = ["0"] * self.c.length
        if scale != 0:
            memo = {} if memo is None else memo
            for col, w in self.row_entries(r).items():
                out[col] = printed(memo, scale, w)
        return out

    def shown(self) -> list[int]:
        """The rows the key shows: the first HEAD and the last."""
        m = self.rows
        return list(range(min(HEAD, m))) + ([m - 1] if m > HEAD else [])

    def reach(self, rows: list[int]) -> tuple[int, int]:
        """The columns (0-based, end exclusive) the windows of these rows reach within x."""
        cols = [col for r in rows for col in self.cols[r] if col is not None]
        return (min(cols), max(cols) + 1) if cols else (0, 1)


def printed(memo: dict, scale, entry) -> str:
    """str(scale * entry), as the JSON writes it, worked out once per pair of objects a question meets (the rows
    share a few slopes and the k weights). Keyed by the objects themselves, which the caller keeps alive."""
    key = (id(scale), id(entry))
    out = memo.get(key)
    if out is None:
        out = memo[key] = _text(entry if scale is ONE else scale * entry)
    return out


ONE = sympy.S.One


def _text(e) -> str:
    """str(e): a plain symbol's name as it is (what SymPy's printer gives it), anything else printed."""
    return e.name if type(e) is sympy.Symbol else str(e)


@functools.lru_cache(maxsize=8)
def slopes(c: Config) -> Slopes:
    """Each row's slope, once per spec (the questions share it). A smooth activation's slope in x and f (for
    the checker) is made only for the rows shown: phi' of a long sum is costly, and no other row is checked
    through it."""
    if c.kinked:
        return _slopes(c, frozenset(band(c).shown()))
    dphi, tidy = derivative(c.phi), tidy_form(derivative(c.phi))
    rows = set(band(c).shown())
    zs = tuple(z(r + 1) for r in range(c.outputs))
    shown = tuple(dphi_at(r + 1) for r in range(c.outputs))
    exact = tuple(dphi.subs(Z, argument(c, r)) if r in rows else None for r in range(c.outputs))
    meanings = {**{sym: dphi.subs(Z, zr) for sym, zr in zip(shown, zs)},
                **{zs[r]: argument(c, r) for r in rows}, DPHI_Z: dphi.subs(Z, Z_VEC)}
    return Slopes(c=c, zs=zs, values=tuple(tidy.subs(Z, zr) for zr in zs), shown=shown, factors=shown,
                  exact=exact, generic=dphi_at(), meanings=meanings, dphi=tidy.subs(Z, Z_VEC))


@functools.lru_cache(maxsize=8)
def band(c: Config) -> Band:
    """F's band, checked against the definition once per spec."""
    b = Band(c=c, cols=tuple(tuple(c.column(r, j) for j in range(c.width)) for r in range(c.outputs)))
    check_band(b)
    return b


def argument(c: Config, r: int, xp=None) -> sympy.Expr:
    """z_r (0-based r) by the definition: sum_j f_j xpad[r s + j d]."""
    xp = padded_inputs(c) if xp is None else xp
    return sympy.Add(*[f(j + 1) * xp[r * c.stride + j * c.dilation] for j in range(c.width)])


def check_band(b: Band) -> None:
    """Every band entry against the definition z_r = sum_j f_j xpad[r s + j d] (the padded input as a list: x
    after p_l zeros), and a sample of whole rows (every entry, the zeros too) against z_r's terms."""
    c = b.c
    xp = [None] * c.padding[0] + list(range(c.length)) + [None] * c.padding[1]     # which x each padded entry is
    for r in range(b.rows):
        for j, col in enumerate(b.cols[r]):
            if xp[r * c.stride + j * c.dilation] != col:
                raise CheckError("matrix", "band", f"f_{j + 1} of row {r + 1} of F is in column"
                                                   f" {'none' if col is None else col + 1}, but z_{r + 1} is"
                                                   f" {argument(c, r)}")
    step_ = max(1, b.rows // SAMPLE)
    for r in sorted(set(range(0, b.rows, step_)) | {b.rows - 1}):
        z_r = argument(c, r)
        terms = dict(_term(t) for t in sympy.Add.make_args(z_r) if t != 0)
        want = [str(terms.get(x(col + 1), 0)) for col in range(c.length)]
        if b.row_strings(r) != want:
            raise CheckError("matrix", "band", f"row {r + 1} of F is not the coefficients of z_{r + 1} = {z_r}")


def _term(t: sympy.Expr) -> tuple:
    """(input, weight) of a term f_j x_c of z_r."""
    w, inp = sorted(t.args, key=lambda s: s.name[0] != "f")
    return inp, w


# --- what the key shows: the first rows and the last ------------------------------------------------

def _part(name: str, written, rows: list[int], cols: tuple[int, int] | None, width: int):
    """The symbol for some rows (and columns) of an m-row quantity: Q_{1:3}, Q_{m, 990:1000}."""
    r = f"{rows[0] + 1}:{rows[-1] + 1}" if len(rows) > 1 else f"{rows[0] + 1}"
    cpart = "" if cols is None else f",\u2009{cols[0] + 1}:{cols[1]}"
    ncols = width if cols is None else cols[1] - cols[0]
    return NOTATION.matrix(f"{name}[{r}{cpart.replace(chr(0x2009), '')}]", len(rows), ncols,
                           Sym(Fenced(written, sized=True), sub=r + cpart))


def _groups(b: Band) -> list[list[int]]:
    """The shown rows in runs: the first HEAD, then the last (when apart)."""
    rows = b.shown()
    head = [r for r in rows if r < HEAD]
    return [head] + ([[rows[-1]]] if rows[-1] >= HEAD else [])


def _slope_step(sl: Slopes, b: Band):
    """The slopes of the shown rows, each from its sign (a smooth activation: phi'(z) once)."""
    c = sl.c
    if not c.kinked:
        return sl.step()                              # phi'(z) once: no m-row display
    if c.name == "relu":
        text = say("The ReLU's derivative is 1 for a positive argument and 0 for a negative one; with the signs"
                   " given, for the rows shown:")
    elif c.name == "leaky_relu":
        text = say("The leaky ReLU's derivative is 1 for a positive argument and ", c.slopes[1],
                   " for a negative one; with the signs given, for the rows shown:")
    else:
        text = say("On each side of 0 the activation is smooth: ", let(DPHI_Z, c.slopes[0]), " for ",
                   let(Z_VEC, 0, ">"), " and ", let(DPHI_Z, c.slopes[1]), " for ", let(Z_VEC, 0, "<"),
                   "; with the signs given, for the rows shown:")
    chains = [chain(ImmutableMatrix([sl.shown[r] for r in rows]), ImmutableMatrix([sl.values[r] for r in rows]))
              for rows in _groups(b)]
    return step(text, *chains)


def _long_setting_note(c: Config, b: Band) -> Text:
    return say(f"F has {b.rows} rows and {c.length} columns: the key shows the first {min(HEAD, b.rows)} rows and"
               " the last; every row follows the same pattern, and all entries are in the JSON key.")


def _signs_words(sl: Slopes) -> list:
    """The signs, compactly: which arguments are negative."""
    c = sl.c
    if not c.kinked:
        return []
    neg = [r + 1 for r, s in enumerate(c.signs) if s < 0]
    if not neg:
        return [", assuming every argument ", Z_R, " is positive"]
    listed = join(neg) if len(neg) <= 12 else f"{join(neg[:10])}, … ({len(neg)} in all)"
    return [", assuming the signs the spec gives: ", Z_R, f" negative for r in {listed}, positive otherwise"]


# --- the four questions ---------------------------------------------------------------------------

def matrix(c: Config) -> Solution:
    b = band(c)
    lay = SimpleNamespace(padded=c.padding != (0, 0))
    steps = [_plain_step(c)] if c.plain else [_placement_step(c, lay), _size_step(c, lay)]
    meanings = {N: c.length, K: c.width, S: c.stride, D: c.dilation, P_L: c.padding[0], P_R: c.padding[1],
                M_OUT: c.outputs}
    chains = []
    xp = padded_inputs(c)
    for rows in _groups(b):
        lo, hi = b.reach(rows)
        shown = ImmutableMatrix([[b.row_entries(r).get(col, 0) for col in range(lo, hi)] for r in rows])
        sym = _part("F", "F", rows, (lo, hi), c.length)
        meanings[sym] = ImmutableMatrix([[sympy.diff(argument(c, r, xp), x(col + 1)) for col in range(lo, hi)]
                                         for r in rows])
        chains.append(chain(sym, shown))
    steps.append(step(_long_setting_note(c, b) + say(" The first rows and the last, on the columns their windows"
                                                     " reach (their other entries are 0):"), *chains))
    steps.append(step(say("Every row of F was compared with the definition of its argument: row r holds exactly"
                          " the weights of ", Z_R, " in the columns of their inputs, and 0 elsewhere.")))
    memo: dict = {}
    value = Strings([b.row_strings(r, memo=memo) for r in range(b.rows)])
    what = "the ReLU" if c.name == "relu" else "the activation"
    text = say(f"F is {b.rows} × {c.length}, banded: row r holds ", f(1), ", …, ", f(c.width),
               " as above, each row the one before shifted " + (f"{c.stride} columns" if c.stride != 1 else
                                                                  "one column") + " right; the entries are in the"
               " JSON key.")
    return Solution(question=say(f"Show that the argument of {what} is a matrix product ", sympy.MatMul(F_MAT, X_VEC),
                                 ": fill in the matrix F."),
                    steps=tuple(steps), meanings=meanings, answer=Answer(value=value, chain=None, text=text))


def _first_step(c: Config, what: list) -> object:
    act = RELU if c.name == "relu" else PHI
    return step(say("Write ", let(A_VEC, act(Z_VEC)), " with ", let(Z_VEC, sympy.MatMul(F_MAT, X_VEC)),
                    ". Output r depends on ", *what, " only through its own argument ", Z_R,
                    ", so by the chain rule, row by row, the derivative is the slope at ", Z_R,
                    " times the derivative of ", Z_R, "."))


def _rows_chains(b: Band, name: str, written, width: int, shown_fn, meaning_fn, meanings: dict,
                 columns: bool = False) -> list:
    """One chain per group of shown rows: the symbol for those rows (and the columns they reach) = the values."""
    out = []
    for rows in _groups(b):
        cols = b.reach(rows) if columns else None
        sym = _part(name, written, rows, cols, width)
        meanings[sym] = meaning_fn(rows, cols)
        out.append(chain(sym, shown_fn(rows, cols)))
    return out


def gradient(c: Config) -> Solution:
    b, sl = band(c), slopes(c)
    j = c.wrt
    xp = padded_inputs(c)
    dz = [0 if b.cols[r][j - 1] is None else x(b.cols[r][j - 1] + 1) for r in range(b.rows)]
    meanings = dict(sl.meanings)
    dzl, dal = Partial("z", Sym("f", sub=str(j))), Partial(A_EX, Sym("f", sub=str(j)))
    dz_chains = _rows_chains(b, f"dz/df{j}", dzl, 1, lambda rows, _: ImmutableMatrix([dz[r] for r in rows]),
                             lambda rows, _: ImmutableMatrix([sympy.diff(argument(c, r, xp), f(j)) for r in rows]),
                             meanings)
    da_chains = _rows_chains(
        b, f"da/df{j}", dal, 1,
        lambda rows, _: ImmutableMatrix([sl.factors[r] * dz[r] for r in rows]),
        lambda rows, _: ImmutableMatrix([sl.exact[r] * sympy.diff(argument(c, r, xp), f(j)) for r in rows]),
        meanings)
    steps = [_first_step(c, [f(j)]),
             step(_long_setting_note(c, b) + say(" Each argument holds ", f(j), " once, times the input it meets"
                                                 " (0 where that is padding):"), *dz_chains),
             _slope_step(sl, b),
             step(say("Multiply entry by entry:"), *da_chains)]
    memo: dict = {}
    value = Strings([printed(memo, sl.values[r], dz[r]) for r in range(b.rows)])
    question = say("Compute the derivative of ", A_VEC, " with respect to ", f(j), *_signs_words(sl), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=None, text=say(f"(All {b.rows} entries are in the JSON key.)")))


def jacobian(c: Config) -> Solution:
    b, sl = band(c), slopes(c)
    k = c.width
    xp = padded_inputs(c)

    def window(r):
        return [0 if col is None else x(col + 1) for col in b.cols[r]]

    fvec = [f(j + 1) for j in range(k)]
    meanings = dict(sl.meanings)
    dz_chains = _rows_chains(b, "dz/df", Partial("z", "f"), k,
                             lambda rows, _: ImmutableMatrix([window(r) for r in rows]),
                             lambda rows, _: ImmutableMatrix([[sympy.diff(argument(c, r, xp), w) for w in fvec]
                                                              for r in rows]), meanings)
    da_chains = _rows_chains(b, "da/df", Partial(A_EX, "f"), k,
                             lambda rows, _: ImmutableMatrix([[sl.factors[r] * e for e in window(r)] for r in rows]),
                             lambda rows, _: ImmutableMatrix([[sl.exact[r] * sympy.diff(argument(c, r, xp), w)
                                                               for w in fvec] for r in rows]), meanings)
    steps = [_first_step(c, ["the filter"]),
             step(_long_setting_note(c, b) + say(" Row r of the Jacobian of z lists the inputs under the filter at"
                                                 " output r (0 where that is padding):"), *dz_chains),
             _slope_step(sl, b),
             step(say("Scale each row by its slope, ", let(DA_DF_J, sl.generic * DZ_DF_J), ":"), *da_chains)]
    memo: dict = {}
    value = Strings([[printed(memo, sl.values[r], e) for e in window(r)] for r in range(b.rows)])
    question = say(f"Compute the Jacobian of the output with respect to the whole filter, of size {b.rows} × {k}",
                   *_signs_words(sl), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=None, text=say(f"(All {b.rows} rows are in the JSON key.)")))


def input_gradient(c: Config) -> Solution:
    b, sl = band(c), slopes(c)
    xp = padded_inputs(c)
    meanings = dict(sl.meanings)

    def rows_of(rows, cols, scale):
        return ImmutableMatrix([[scale(r) * b.row_entries(r).get(col, 0) for col in range(*cols)] for r in rows])

    F_chains = _rows_chains(b, "dz/dx", Partial("z", X_EX), c.length,
                            lambda rows, cols: rows_of(rows, cols, lambda r: 1),
                            lambda rows, cols: ImmutableMatrix([[sympy.diff(argument(c, r, xp), x(col + 1))
                                                                 for col in range(*cols)] for r in rows]),
                            meanings, columns=True)
    da_chains = _rows_chains(b, "da/dx", Partial(A_EX, X_EX), c.length,
                             lambda rows, cols: rows_of(rows, cols, lambda r: sl.factors[r]),
                             lambda rows, cols: ImmutableMatrix([[sl.exact[r] * sympy.diff(argument(c, r, xp),
                                                                                             x(col + 1))
                                                                  for col in range(*cols)] for r in rows]),
                             meanings, columns=True)
    steps = [step(say(let(Z_VEC, sympy.MatMul(F_MAT, X_VEC)), " is linear in ", X_VEC, ", so its Jacobian is F"
                      " itself (banded, every row of F checked against its argument). ") + _long_setting_note(c, b)
                  + say(" The first rows and the last, on the columns their windows reach (other entries 0):"),
                  *F_chains),
             _slope_step(sl, b),
             step(say("Chain rule, row by row: ", let(DA_DX_C, sl.generic * F_RC),
                      ", so each row of F is scaled by its slope:"), *da_chains)]
    memo: dict = {}
    value = Strings([b.row_strings(r, sl.values[r], memo) for r in range(b.rows)])
    question = say(f"Compute the Jacobian of the output with respect to the input, of size {b.rows} × {c.length}",
                   *_signs_words(sl), ".")
    return Solution(question=question, steps=tuple(steps), notes=tuple(sl.notes()), meanings=meanings,
                    answer=Answer(value=value, chain=None, text=say(f"(All {b.rows} rows are in the JSON key.)")))


def long(c: Config) -> bool:
    return c.length > SHOWN_LENGTH


SOLVERS = {"matrix": matrix, "gradient": gradient, "jacobian": jacobian, "input-gradient": input_gradient}

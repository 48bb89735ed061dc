"""A long run (more than NARRATED steps): after the first steps derived, a table of every k-th step and the last
(the rate, w, the loss), and figures of w and of the loss against the step. The numbers are the trajectory's
(``compute``, ``fast``); the JSON answer still lists every step."""

from __future__ import annotations

import math

import mpmath

from ... import numeric
from ...figures import Figure, Plot, Series
from ...steps import Table, say, table_step as _table_step
from .compute import FIRST
from .config import Config
from .fast import to_mpmath

ROWS = 20                # rows of the table, about (every k-th step, k a 1-2-5 step, and the last)
POINTS = 400             # points of a curve, about
DIGITS = 8


def every(steps: int, rows: int) -> int:
    """The smallest k of 1, 2, 5, 10, 20, 50, ... with at most ``rows`` multiples of k up to ``steps``."""
    k = 1
    while steps // k > rows:
        k = next(m * 10 ** e for e in range(12) for m in (1, 2, 5) if m * 10 ** e > k)
    return k


def cell(x) -> str:
    """A number to DIGITS significant digits, with a true minus sign."""
    text = mpmath.nstr(to_mpmath(x) if not hasattr(x, "evalf") else mpmath.mpf(x.evalf(30)), DIGITS)
    return text.replace("-", "−")


def losses(c: Config, steps: tuple[Step, ...], ts) -> dict[int, object]:
    """The loss at w after each step t of ``ts`` (and at w0 for t = 0): mpmath numbers, None where not finite."""
    if c.loss is None:
        return {}
    f = numeric.compile(c.loss, c.variables)
    out = {}
    for t in ts:
        w = c.w0 if t == 0 else steps[t - 1].w
        with mpmath.workdps(30):
            value = f(*[to_mpmath(x) if not hasattr(x, "evalf") else mpmath.mpf(x.evalf(30)) for x in w])
        out[t] = value if isinstance(value, mpmath.mpf) and mpmath.isfinite(value) else None
    return out


def table_step(c: Config, steps: tuple[Step, ...]):
    """Every k-th step and the last: t, the rate (with a scheduler), each w, the loss (with a loss)."""
    k = every(c.steps, ROWS)
    ts = sorted({t for t in range(k, c.steps + 1, k)} | {c.steps})
    loss = losses(c, steps, ts)
    names = ["w"] if c.n == 1 else [f"w{_sub(i + 1)}" for i in range(c.n)]
    header = ["t"] + (["η"] if c.schedule is not None else []) + names + (["L(w)"] if c.loss is not None else [])
    rows = []
    for t in ts:
        s = steps[t - 1]
        row = [t] + ([cell(dict(s.rates)["lr"])] if c.schedule is not None else []) + [cell(x) for x in s.w]
        if c.loss is not None:
            row.append(cell(loss[t]) if loss[t] is not None else "—")
        rows.append(tuple(row))
    words = (f"The steps after the {FIRST} derived above go on by the same rules (computed to 50 digits); every"
             f" {k}th step and the last, each value after its step, to {DIGITS} digits" if k > 1 else
             f"The steps after the {FIRST} derived above go on by the same rules (computed to 50 digits); each"
             f" value after its step, to {DIGITS} digits")
    return _table_step(say(words + ":"), Table(tuple(header), tuple(rows)))


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(d)] for d in str(i))


def sample(count: int) -> list[int]:
    """About POINTS steps from 0 to count, evenly, the last included."""
    k = max(1, math.ceil(count / POINTS))
    return sorted(set(range(0, count + 1, k)) | {count})


def figures(c: Config, steps: tuple[Step, ...]) -> tuple[Figure, ...]:
    """w against the step (one curve per coordinate), and the loss against the step (log axis when it stays
    positive over more than two decades)."""
    ts = sample(c.steps)
    names = ["w"] if c.n == 1 else [f"w{_sub(i + 1)}" for i in range(c.n)]
    curves = []
    for i, name in enumerate(names):
        points = tuple((float(t), float(c.w0[i] if t == 0 else steps[t - 1].w[i])) for t in ts)
        curves.append(Series(name, tuple(p for p in points if math.isfinite(p[1]))))
    out = [Figure(f"The parameters against the step t, from the start (t = 0) to step {c.steps}.", Plot("t", "w", tuple(curves)))]
    if c.loss is not None:
        loss = losses(c, steps, ts)
        points = tuple((float(t), float(v)) for t, v in loss.items() if v is not None and math.isfinite(float(v)))
        values = [y for _, y in points]
        log = bool(values) and min(values) > 0 and max(values) > 100 * min(values)
        out.append(Figure(f"The loss L(w) against the step t{' (log axis)' if log else ''}.",
                          Plot("t", "L(w)", (Series("L(w)", points),), log_y=log)))
    return tuple(out)

"""One step of a run (``Step``), the hyper-parameters by the names the rules use, and the checks every step's
numbers pass (a zero denominator, a value beyond LIMIT), shared by the exact steps (``compute``) and the
fast ones (``fast``)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...fields import FieldError
from .config import Config

LIMIT = sympy.Integer(10) ** 100     # a value beyond this: the iterates diverge, and the key says no more


@dataclass(frozen=True)
class Step:
    """Step t: the value of each quantity (per coordinate) computed in it, and the state after it."""

    t: int
    w_prev: tuple[sympy.Expr, ...]
    values: tuple[tuple[str, tuple[sympy.Expr, ...]], ...]     # (key, per coordinate), in order: grad first
    state: tuple[tuple[str, tuple[sympy.Expr, ...]], ...]      # torch's state after the step
    clr: sympy.Expr | None = None                              # Adagrad's decayed learning rate
    rates: tuple[tuple[str, sympy.Expr], ...] = ()             # the scheduled lr (and momentum or beta1), exact

    def __getitem__(self, key: str) -> tuple[sympy.Expr, ...]:
        return dict(self.values)[key]

    @property
    def w(self) -> tuple[sympy.Expr, ...]:
        return self["w"]


def hyper_values(c: Config) -> dict:
    """The hyper-parameters by the names the rules use (betas split)."""
    out = {k: v for k, v in c.hyper if k != "betas"}
    if "betas" in dict(c.hyper):
        out["beta1"], out["beta2"] = c["betas"]
    return {k: v for k, v in out.items() if not isinstance(v, bool)}


def zero_denominator(c: Config, t: int, i: int) -> FieldError:
    return FieldError("eps", f"at step {t} the denominator of the update of w{'' if c.n == 1 else i + 1} is 0"
                             " (a zero gradient with eps = 0): PyTorch would produce NaN", 0, "eps > 0")


def bounded(c: Config, value, t: int) -> None:
    if abs(value) > LIMIT:
        field = "loss" if c.loss is not None else "gradients"
        raise FieldError(field, f"the iterates diverge: a value passes 10^100 at step {t}", None,
                         "a smaller lr, fewer steps, or a loss the steps descend")

"""The spec of an optimizer part: the optimiser, its hyper-parameters (PyTorch's names and defaults),
the starting parameters, and the gradients (given, or derived from a loss)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ... import fields
from ...errors import did_you_mean
from ...fields import FieldError, to_rational
from ...mathparse import MathSyntaxError
from .loss import parse_loss, weight

MAX_PARAMS = 8            # parameters: every coordinate of every step is derived and checked
MAX_STEPS = 20            # optimiser steps
R = sympy.Rational

# PyTorch's defaults (torch.optim, 2.x), per optimiser: lr first, then the options in its own order.
DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": R(1, 1000), "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False},
    "adam": {"lr": R(1, 1000), "betas": (R(9, 10), R(999, 1000)), "eps": R(1, 10**8), "weight_decay": 0,
             "amsgrad": False},
    "adamw": {"lr": R(1, 1000), "betas": (R(9, 10), R(999, 1000)), "eps": R(1, 10**8), "weight_decay": R(1, 100),
              "amsgrad": False},
    "rmsprop": {"lr": R(1, 100), "alpha": R(99, 100), "eps": R(1, 10**8), "weight_decay": 0, "momentum": 0,
                "centered": False},
    "adagrad": {"lr": R(1, 100), "lr_decay": 0, "weight_decay": 0, "eps": R(1, 10**10),
                "initial_accumulator_value": 0},
}
OPTIMIZERS = tuple(DEFAULTS)
HYPER = ("lr", "momentum", "dampening", "nesterov", "weight_decay", "betas", "eps", "amsgrad", "alpha",
         "centered", "lr_decay", "initial_accumulator_value")
FLAGS = ("nesterov", "amsgrad", "centered")
NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


@dataclass(frozen=True)
class Config:
    optimizer: str                             # one of OPTIMIZERS
    hyper: tuple[tuple[str, Any], ...]         # every hyper-parameter of the optimiser, defaults filled in
    w0: tuple[sympy.Rational, ...]             # the starting parameters
    scalar: bool                               # w0 was a number (answers are numbers, not lists)
    steps: int
    gradients: tuple[tuple[sympy.Rational, ...], ...] | None = None
    loss: sympy.Expr | None = None             # in loss.weight(None) or weight(1) ... weight(n)
    loss_text: str | None = None
    given: tuple[str, ...] = ()                # the hyper-parameters the spec sets

    def __getitem__(self, name: str):
        return dict(self.hyper)[name]

    @property
    def n(self) -> int:
        return len(self.w0)

    @property
    def variables(self) -> tuple[sympy.Symbol, ...]:
        return (weight(None),) if self.n == 1 else tuple(weight(i + 1) for i in range(self.n))


def configure(values: dict, asks) -> Config:
    """Validate the optimiser, its hyper-parameters, w0, and the gradients or the loss."""
    name = _optimizer(values)
    hyper = _hyper(values, name)
    w0, scalar = _w0(values)
    gradients, loss, text, steps = _gradients(values, len(w0), scalar)
    given = tuple(k for k in HYPER if values.get(k) is not None)
    return Config(name, hyper, w0, scalar, steps, gradients, loss, text, given)


def _optimizer(values: dict) -> str:
    raw = values.get("optimizer")
    expected = " | ".join(OPTIMIZERS)
    if raw is None:
        raise FieldError("optimizer", "missing", expected=expected)
    if not isinstance(raw, str):
        raise FieldError("optimizer", "must be text", raw, expected)
    key = raw.strip().lower()
    if key not in DEFAULTS:
        raise FieldError("optimizer", f"unknown optimizer '{raw[:40]}'" + did_you_mean(key, OPTIMIZERS), raw,
                         expected)
    return key


def _hyper(values: dict, name: str) -> tuple[tuple[str, Any], ...]:
    """Each hyper-parameter of the optimiser (given or PyTorch's default); one it does not take is refused."""
    own = DEFAULTS[name]
    for key in HYPER:
        if values.get(key) is not None and key not in own:
            raise FieldError(key, f"{NAMES[name]} has no hyper-parameter '{key}'" + did_you_mean(key, own), values[key],
                             f"one of {', '.join(own)}")
    out = {}
    for key, default in own.items():
        raw = values.get(key)
        value = default if raw is None else _read(key, raw)
        out[key] = sympy.Integer(value) if type(value) is int else value
    _check_hyper(name, out)
    return tuple(out.items())


def _read(key: str, raw):
    if key in FLAGS:
        if not isinstance(raw, bool):
            raise FieldError(key, "must be true or false", raw, "true or false")
        return raw
    if key == "betas":
        if not isinstance(raw, list) or len(raw) != 2:
            raise FieldError(key, "must be a list of two numbers", raw, "[beta1, beta2], e.g. [0.9, 0.999]")
        betas = tuple(to_rational(v, key) for v in raw)
        if not all(0 <= b < 1 for b in betas):
            raise FieldError(key, "each beta must be at least 0 and below 1", raw, "[beta1, beta2], e.g. [0.9, 0.999]")
        return betas
    value = to_rational(raw, key)
    if value < 0:
        raise FieldError(key, "must not be negative", raw, "a number at least 0")
    return value


def _check_hyper(name: str, h: dict) -> None:
    """PyTorch's own refusals, and the bounds a derivation needs."""
    if h.get("nesterov") and (h["momentum"] <= 0 or h["dampening"] != 0):
        raise FieldError("nesterov", "Nesterov momentum requires a momentum above 0 and zero dampening (as PyTorch"
                                     " does)", True, "momentum > 0 and dampening = 0, or nesterov = false")
    if name == "rmsprop" and h["alpha"] > 1:
        raise FieldError("alpha", "must be at most 1 (a smoothing constant)", h["alpha"], "a number from 0 to 1")


def _w0(values: dict) -> tuple[tuple[sympy.Rational, ...], bool]:
    raw = values.get("w0")
    if raw is None:
        raise FieldError("w0", "missing", expected="a number or a list of numbers")
    if isinstance(raw, list):
        if not 1 <= len(raw) <= MAX_PARAMS:
            raise FieldError("w0", f"must list 1 to {MAX_PARAMS} parameters", raw, "a number or a short list")
        return tuple(to_rational(v, f"w0[{k}]") for k, v in enumerate(raw)), False
    return (to_rational(raw, "w0"),), True


def _gradients(values: dict, n: int, scalar: bool):
    """(gradients, loss, loss text, steps): exactly one of gradients and loss."""
    raw, text = values.get("gradients"), values.get("loss")
    if raw is not None and text is not None:
        raise FieldError("loss", "give either 'gradients' or 'loss', not both", text,
                         "gradients = [...] (one per step), or loss = \"...\" with steps = N")
    if raw is None and text is None:
        raise FieldError("gradients", "missing: give the gradients (one per step) or a loss", None,
                         "gradients = [...], or loss = \"(w - 3)^2\" with steps = N")
    if raw is not None:
        grads = _read_gradients(raw, n, scalar)
        steps = values.get("steps")
        if steps is not None and steps != len(grads):
            raise FieldError("steps", f"there are {len(grads)} gradients, one per step", steps,
                             f"{len(grads)}, or no 'steps' (it is the number of gradients)")
        return grads, None, None, len(grads)
    loss_text = fields.text(values, "loss")
    try:
        loss = parse_loss(loss_text, n)
    except MathSyntaxError as err:
        raise FieldError("loss", str(err), loss_text, "LaTeX in " + ("w" if n == 1 else f"w1 ... w{n}")) from None
    steps = fields.integer(values, "steps", minimum=1, maximum=MAX_STEPS)
    return None, loss, loss_text, steps


def _read_gradients(raw, n: int, scalar: bool) -> tuple[tuple[sympy.Rational, ...], ...]:
    shape = "a number per step" if scalar else f"a list of {n} numbers per step"
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_STEPS:
        raise FieldError("gradients", f"must be a list of 1 to {MAX_STEPS} gradients, one per step", raw, shape)
    out = []
    for k, g in enumerate(raw):
        where = f"gradients[{k}]"
        if isinstance(g, list):
            if scalar and len(g) != 1:
                raise FieldError("w0", f"is a single number but gradient {k + 1} is a list of {len(g)}", None,
                                 f"a list of {len(g)} starting parameters, or one number per gradient")
            if len(g) != n:
                raise FieldError(where, f"has {len(g)} entries but there {'is' if n == 1 else 'are'} {n} parameter"
                                        f"{'' if n == 1 else 's'} (w0)", g, shape)
            out.append(tuple(to_rational(v, where) for v in g))
        elif n == 1:
            out.append((to_rational(g, where),))
        else:
            raise FieldError(where, f"must be a list of {n} numbers, one per parameter (w0 has {n})", g, shape)
    return tuple(out)

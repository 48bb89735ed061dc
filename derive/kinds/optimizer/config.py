"""The spec of an optimizer part: the optimiser, its hyper-parameters (PyTorch's names and defaults),
the starting parameters, the gradients (given, or derived from a loss), a learning-rate scheduler, and SGD's
momentum form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ...declare import REQUIRED, Boolean, Choice, Field, Formula, Integer, ListOf, Number, OneOf, Rule, needed, read
from ...errors import did_you_mean
from ...fields import FieldError
from ...mathparse import MathSyntaxError
from .loss import parse_loss, weight
from .schedule import SCHEDULER, Schedule, schedule

MAX_PARAMS = 8            # parameters: every coordinate of every step is derived and checked
MAX_STEPS = 10_000        # optimiser steps (beyond NARRATED, the first are derived and the rest tabulated)
NARRATED = 20             # up to this many steps, every step is derived and checked
MAX_AT = 100              # steps whose rate `lr` asks
RUNS = ("updates", "update")      # the questions that take steps (the others need no w0 nor gradients)
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
NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def _shown(value) -> str:
    """A default as a spec writes it: 0.001, 1e-8, [0.9, 0.999], false."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + ", ".join(map(_shown, value)) + "]"
    value = sympy.Rational(value)
    digits = len(str(value.q)) - 1
    if value.q == 1 or value.p != 1 or digits < 5:
        return str(value) if value.q == 1 else f"{float(value):g}"
    return f"1e-{digits}"


def pytorch_default(key: str) -> Rule:
    """The default of a hyper-parameter, by optimiser (PyTorch's, from DEFAULTS)."""
    by_value: dict[str, list[str]] = {}
    for name, own in DEFAULTS.items():
        if key in own:
            by_value.setdefault(_shown(own[key]), []).append(name)
    if len(by_value) == 1:
        return Rule(next(iter(by_value)))
    return Rule(", ".join(f"{shown} ({', '.join(names)})" for shown, names in by_value.items()))


def _hyper_field(key: str, kind, doc: str) -> Field:
    takers = [name for name, own in DEFAULTS.items() if key in own]
    which = "every optimiser" if len(takers) == len(DEFAULTS) else ", ".join(takers)
    return Field(key, kind, f"{which}: {doc}", pytorch_default(key))


NUMBER = Number()
AT_LEAST_0 = Number(min=0)
FIELDS = (
    Field("optimizer", Choice(OPTIMIZERS, "optimizer", loose=True), "the optimiser", REQUIRED),
    _hyper_field("lr", AT_LEAST_0, "the learning rate η"),
    Field("w0", OneOf((NUMBER, ListOf(NUMBER, 1, MAX_PARAMS, noun="numbers", each="{field}[{k}]"))),
          "the starting parameters",
          Rule("required for `updates`, and for `update` with weight decay or a `loss`")),
    Field("gradients", ListOf(OneOf((NUMBER, ListOf(NUMBER, 1, MAX_PARAMS, noun="numbers"))), 1, MAX_STEPS,
                              noun="gradients", each="{field}[{k}]"),
          "one gradient per step: a number each for a number w0, a list like w0 otherwise",
          Rule("one of `gradients`, `loss` (for `updates`, `update`)")),
    Field("loss", Formula("LaTeX in w (w1, w2, ... for a list)", ("(w - 3)^2", "w^2")),
          "a loss whose gradient each step takes (at the parameters before the step), read by derive's own parser"),
    Field("steps", Integer(1, MAX_STEPS), "how many steps, with `loss` (above 20: the first steps derived, then a"
          " table and a figure)", Rule("required with `loss`")),
    _hyper_field("momentum", AT_LEAST_0, "the momentum μ"),
    _hyper_field("dampening", AT_LEAST_0, "the new gradient is scaled by 1 − τ"),
    _hyper_field("nesterov", Boolean(), "Nesterov momentum (needs momentum > 0 and dampening 0)"),
    _hyper_field("weight_decay", AT_LEAST_0, "λw added to the gradient; adamw: decoupled, w ← w(1 − ηλ)"),
    _hyper_field("betas", ListOf(Number(min=0, below=1), names=("beta1", "beta2")),
                 "the decay rates of the averages of the gradient and of its square"),
    _hyper_field("eps", AT_LEAST_0, "ε, added to the denominator"),
    _hyper_field("amsgrad", Boolean(), "divide by the largest second moment so far"),
    _hyper_field("alpha", Number(0, 1), "the decay rate of the squared gradients' average"),
    _hyper_field("centered", Boolean(), "divide by an estimate of the variance, not the second moment"),
    _hyper_field("lr_decay", AT_LEAST_0, "the learning rate at step t is lr / (1 + (t − 1) lr_decay)"),
    _hyper_field("initial_accumulator_value", AT_LEAST_0, "where the sum of squared gradients starts"),
    Field("scheduler", SCHEDULER, "a learning-rate scheduler of torch.optim.lr_scheduler, `type` its class, its"
          " arguments by their names: step t uses its rate after t − 1 scheduler steps"),
    Field("momentum_form", Choice(("buffer", "velocity"), "momentum form", loose=True),
          "sgd: PyTorch's buffer (b ← μb + g, w ← w − ηb) or CS231n's velocity (v ← μv − ηg, w ← w + v)", "buffer"),
    Field("at", ListOf(Integer(1, MAX_STEPS), 1, MAX_AT, noun="step numbers", each="{field}[{n}]"),
          "for `lr`: the steps whose rate is asked (step t: the rate the t-th optimizer.step() uses)",
          Rule("every step (the first 100), with `steps` or `gradients`")),
)


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
    schedule: Schedule | None = None           # the learning-rate scheduler
    form: str = "buffer"                       # sgd's momentum: PyTorch's buffer, or CS231n's velocity
    at: tuple[int, ...] = ()                   # the steps whose rate `lr` asks
    w0_given: bool = True                      # w0 is the spec's (not zeros for `update`, which needs none)

    def __getitem__(self, name: str):
        return dict(self.hyper)[name]

    @property
    def n(self) -> int:
        return len(self.w0)

    @property
    def long(self) -> bool:
        """More steps than are derived one by one: the first derived, then a table and a figure."""
        return self.steps > NARRATED

    @property
    def cycled(self) -> str | None:
        """The hyper-parameter OneCycleLR cycles: 'momentum', 'beta1', or None."""
        if self.schedule is None or not self.schedule.cycles_momentum:
            return None
        return "beta1" if self.optimizer in ("adam", "adamw") else "momentum"

    @property
    def variables(self) -> tuple[sympy.Symbol, ...]:
        return (weight(None),) if self.n == 1 else tuple(weight(i + 1) for i in range(self.n))


def configure(values: dict, asks) -> Config:
    """The rules between the keys (read by FIELDS): the optimiser's own hyper-parameters with PyTorch's
    defaults, the scheduler's hold on them, and the gradients (one per parameter) or the loss, needed by the
    questions that take steps (all of them when ``asks`` is empty)."""
    values = read(FIELDS, values)
    name = values["optimizer"]
    plan = schedule(values["scheduler"]) if values.get("scheduler") is not None else None
    hyper = _scheduled(_hyper(values, name), name, plan)
    form = _form(values, name, dict(hyper), plan)
    runs = not asks or any(a in RUNS for a in asks)
    w0, scalar, w0_given = _start(values, name, dict(hyper), asks, runs)
    one = runs and "updates" not in asks and bool(asks)           # `update` alone: one step is enough
    gradients, loss, text, steps = _gradients(values, len(w0), scalar, one) if runs else \
        _no_run(values, len(w0), scalar)
    if runs and plan is not None and plan.last is not None and steps > plan.last:
        raise FieldError("steps" if loss is not None else "gradients", f"there are {steps} steps, but OneCycleLR's"
                         f" cycle has total_steps = {plan.last} (PyTorch refuses to step it further)", steps,
                         f"at most {plan.last} steps, or a longer cycle")
    at = _at(values, steps, plan) if "lr" in asks else ()
    given = tuple(k for k in HYPER if values.get(k) is not None)
    return Config(name, hyper, w0, scalar, steps, gradients, loss, text, given, plan, form, at, w0_given)


def _start(values: dict, name: str, hyper: dict, asks, runs: bool):
    """(w0, scalar, given): the spec's, or zeros shaped like the first gradient when only `update` is asked
    and it needs no w0 (no weight decay, no loss)."""
    raw = values.get("w0")
    if raw is not None:
        return (tuple(raw), False, True) if isinstance(raw, list) else ((raw,), True, True)
    needs = "updates" in asks or not asks or values.get("loss") is not None or hyper["weight_decay"] != 0
    if runs and needs:
        why = ("the steps start from it" if "updates" in asks or not asks else "the loss's gradient is taken at it"
               if values.get("loss") is not None else "the weight decay scales it")
        raise FieldError("w0", f"missing: {why}", None, _accepts("w0"))
    first = (values.get("gradients") or [0])[0]
    return ((sympy.Integer(0),) * len(first), False, False) if isinstance(first, list) else \
        ((sympy.Integer(0),), True, False)


def _accepts(name: str) -> str:
    return next(f for f in FIELDS if f.name == name).accepts


def _no_run(values: dict, n: int, scalar: bool):
    """For `lr` alone: the gradients or the loss if given (checked), else none; the steps, if told."""
    if values.get("gradients") is not None or values.get("loss") is not None:
        return _gradients(values, n, scalar)
    return None, None, None, values.get("steps") or 0


def _at(values: dict, steps: int, plan: Schedule | None) -> tuple[int, ...]:
    """The steps whose rate `lr` asks: `at`, or every step (1 to `steps`)."""
    at = values.get("at")
    if at is None:
        if not steps:
            raise FieldError("at", "missing: the steps whose rate is asked", None, _accepts("at"))
        at = list(range(1, steps + 1))[:MAX_AT]
    last = plan.last if plan is not None else None
    for k, t in enumerate(at):
        if last is not None and t > last:
            raise FieldError(f"at[{k + 1}]", f"step {t} is past OneCycleLR's cycle of total_steps = {last} steps"
                             " (PyTorch refuses to step it further)", t, f"a step from 1 to {last}")
    return tuple(at)


def _scheduled(hyper: tuple, name: str, plan: Schedule | None) -> tuple:
    """The hyper-parameters as the scheduler's constructor leaves them: OneCycleLR sets the rate to
    max_lr/div_factor and, cycling momentum, the momentum (Adam's beta1) to max_momentum."""
    if plan is None or plan.type != "OneCycleLR":
        return hyper
    out = dict(hyper, lr=plan["initial_lr"])
    if plan.cycles_momentum:
        top, low = plan["max_momentum"], plan["base_momentum"]
        if "betas" in out:
            if max(top, low) >= 1:
                raise FieldError("scheduler." + ("max_momentum" if top >= 1 else "base_momentum"), "is Adam's"
                                 " beta1 here, which must be below 1", max(top, low), "a number at least 0 and below 1")
            out["betas"] = (top, out["betas"][1])
        elif "momentum" in out:
            if min(top, low) <= 0:
                raise FieldError("scheduler." + ("max_momentum" if top <= 0 else "base_momentum"), f"must be above 0"
                                 f" ({NAMES[name]}'s momentum buffer is kept from the first step)", min(top, low),
                                 "a number above 0")
            out["momentum"] = top
        else:
            raise FieldError("scheduler.cycle_momentum", f"{NAMES[name]} has no momentum nor beta1 to cycle"
                             " (PyTorch refuses it)", True, "cycle_momentum = false")
    return tuple(out.items())


def _form(values: dict, name: str, hyper: dict, plan) -> str:
    """SGD's momentum form: CS231n's velocity needs SGD with momentum and no dampening."""
    form = values["momentum_form"]
    if form == "velocity":
        if name != "sgd":
            raise FieldError("momentum_form", f"only SGD has a velocity form ({NAMES[name]} is given)", form,
                             "\"buffer\", or optimizer = \"sgd\"")
        if hyper["momentum"] == 0:
            raise FieldError("momentum_form", "the velocity form needs a momentum above 0", form,
                             "momentum > 0, or momentum_form = \"buffer\"")
        if hyper["dampening"] != 0:
            raise FieldError("momentum_form", "CS231n's velocity form has no dampening", form,
                             "dampening = 0, or momentum_form = \"buffer\"")
    return form


def _hyper(values: dict, name: str) -> tuple[tuple[str, Any], ...]:
    """Each hyper-parameter of the optimiser (given or PyTorch's default); one it does not take is refused."""
    own = DEFAULTS[name]
    for key in HYPER:
        if values.get(key) is not None and key not in own:
            raise FieldError(key, f"{NAMES[name]} has no hyper-parameter '{key}'" + did_you_mean(key, own),
                             values.raw[key], f"one of {', '.join(own)}")
    out = {}
    for key, default in own.items():
        value = default if values.get(key) is None else values[key]
        out[key] = tuple(value) if key == "betas" else sympy.Integer(value) if type(value) is int else value
    if out.get("nesterov") and (out["momentum"] <= 0 or out["dampening"] != 0):
        raise FieldError("nesterov", "Nesterov momentum requires a momentum above 0 and zero dampening (as PyTorch"
                                     " does)", True, "momentum > 0 and dampening = 0, or nesterov = false")
    return tuple(out.items())


def _gradients(values: dict, n: int, scalar: bool, one: bool = False):
    """(gradients, loss, loss text, steps): exactly one of gradients and loss."""
    raw, text = values.get("gradients"), values.get("loss")
    if raw is not None and text is not None:
        raise FieldError("loss", "give either 'gradients' or 'loss', not both", text,
                         "gradients = [...] (one per step), or loss = \"...\" with steps = N")
    if raw is None and text is None:
        raise FieldError("gradients", "missing: give the gradients (one per step) or a loss", None,
                         "gradients = [...], or loss = \"(w - 3)^2\" with steps = N")
    if raw is not None:
        grads = _read_gradients(raw, values.raw["gradients"], n, scalar)
        steps = values.get("steps")
        if steps is not None and steps != len(grads):
            raise FieldError("steps", f"there are {len(grads)} gradients, one per step", steps,
                             f"{len(grads)}, or no 'steps' (it is the number of gradients)")
        return grads, None, None, len(grads)
    loss_text = values["loss"]
    try:
        loss = parse_loss(loss_text, n)
    except MathSyntaxError as err:
        raise FieldError("loss", str(err), loss_text, "LaTeX in " + ("w" if n == 1 else f"w1 ... w{n}")) from None
    return None, loss, loss_text, (values.get("steps") or 1) if one else needed(values, FIELDS, "steps")


def _read_gradients(typed: list, raw: list, n: int, scalar: bool) -> tuple[tuple[sympy.Rational, ...], ...]:
    """One gradient per step, each like w0 (``raw``: as the spec gives them, for the messages)."""
    shape = "a number per step" if scalar else f"a list of {n} numbers per step"
    out = []
    for k, g in enumerate(typed):
        where = f"gradients[{k + 1}]"          # 1-based, as every list position a message names
        if isinstance(g, list):
            if scalar and len(g) != 1:
                raise FieldError("w0", f"is a single number but gradient {k + 1} is a list of {len(g)}", None,
                                 f"a list of {len(g)} starting parameters, or one number per gradient")
            if len(g) != n:
                raise FieldError(where, f"has {len(g)} entries but there {'is' if n == 1 else 'are'} {n} parameter"
                                        f"{'' if n == 1 else 's'} (w0)", raw[k], shape)
            out.append(tuple(g))
        elif n == 1:
            out.append((g,))
        else:
            raise FieldError(where, f"must be a list of {n} numbers, one per parameter (w0 has {n})", raw[k], shape)
    return tuple(out)


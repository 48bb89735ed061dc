"""Learning-rate schedulers as torch.optim.lr_scheduler steps them: the rate (and OneCycleLR's momentum) that
the t-th ``optimizer.step()`` uses, after t − 1 calls of ``scheduler.step()``, i.e. at the scheduler's
``last_epoch`` e = t − 1.

Each scheduler's rate is one formula written over an ``Ops`` (as the optimizer's rules are): read with symbols
(the general rule), with the numbers written in, exactly (SymPy: rationals, and cosines of rational multiples of
π), and in 50-digit mpmath for long runs. The choices a formula makes on e (StepLR's floor, MultiStepLR's
milestones passed, OneCycleLR's phase, SequentialLR's scheduler) are made here on the whole number e.

PyTorch computes StepLR, MultiStepLR, ExponentialLR, LinearLR and CosineAnnealingLR recursively, each rate from
the previous one (``get_lr``); in exact arithmetic the recursion telescopes to the closed form
(``_get_closed_form_lr``) used here, and torch's float64 values agree with it to rounding. SequentialLR
restarts each later scheduler at its milestone from its closed form at 0 with the optimizer's initial rate, as
torch does (``_update_lr(0)``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import sympy

from ...declare import REQUIRED, Boolean, Choice, Field, Integer, ListOf, Number, Rule, Tagged
from ...fields import FieldError
from .ops import Q

MAX_EPOCH = 100_000
FACTOR = Number(min=0)
GAMMA = "the factor γ"
MILESTONES = ListOf(Integer(0, MAX_EPOCH), 0, 50, noun="whole numbers", each="{field}[{n}]")
MILESTONES_DOC = ("MultiStepLR: the scheduler steps at which the rate is multiplied by gamma; SequentialLR: those at"
                  " which the next scheduler takes over (one fewer than the schedulers, increasing)")
INNER = {
    "StepLR": (Field("step_size", Integer(1, MAX_EPOCH), "the period: the rate is multiplied by gamma every"
                     " step_size scheduler steps", REQUIRED),
               Field("gamma", FACTOR, GAMMA, 0.1)),
    "MultiStepLR": (Field("milestones", MILESTONES, MILESTONES_DOC, REQUIRED), Field("gamma", FACTOR, GAMMA, 0.1)),
    "ExponentialLR": (Field("gamma", FACTOR, GAMMA, REQUIRED),),
    "CosineAnnealingLR": (Field("T_max", Integer(1, MAX_EPOCH), "half the cosine's period, in scheduler steps",
                                REQUIRED),
                          Field("eta_min", Number(), "the smallest rate", 0)),
    "LinearLR": (Field("start_factor", Number(0, 1), "the rate's factor at first (above 0)", "1/3"),
                 Field("end_factor", Number(0, 1), "the factor after total_iters scheduler steps", 1),
                 Field("total_iters", Integer(1, MAX_EPOCH), "the scheduler steps the factor takes to change", 5)),
}
ONE_CYCLE = (
    Field("max_lr", Number(min=0), "the largest rate, at the end of the first phase", REQUIRED),
    Field("total_steps", Integer(1, MAX_EPOCH), "the steps of the cycle",
          Rule("required unless epochs and steps_per_epoch")),
    Field("epochs", Integer(1, MAX_EPOCH), "with steps_per_epoch, instead of total_steps"),
    Field("steps_per_epoch", Integer(1, MAX_EPOCH), "with epochs: total_steps = epochs · steps_per_epoch"),
    Field("pct_start", Number(0, 1), "the share of the cycle spent raising the rate", 0.3),
    Field("anneal_strategy", Choice(("cos", "linear"), "strategy"), "cosine or linear annealing", "cos"),
    Field("cycle_momentum", Boolean(), "cycle the momentum (Adam's beta1) inversely to the rate", True),
    Field("base_momentum", Number(min=0), "the momentum at the rate's peak", 0.85),
    Field("max_momentum", Number(min=0), "the momentum at the start and the end", 0.95),
    Field("div_factor", Number(min=0), "the initial rate is max_lr / div_factor (above 0)", 25),
    Field("final_div_factor", Number(min=0), "the last rate is the initial rate / final_div_factor (above 0)", 10000),
    Field("three_phase", Boolean(), "a third phase down to the last rate (the paper's schedule)", False),
)
DOCS = {"StepLR": "η·γ^⌊e/step_size⌋", "MultiStepLR": "η·γ^(milestones passed)", "ExponentialLR": "η·γ^e",
        "CosineAnnealingLR": "η_min + (η − η_min)(1 + cos(πe/T_max))/2",
        "LinearLR": "η·(start_factor + (end_factor − start_factor)·min(e, total_iters)/total_iters)",
        "OneCycleLR": "from max_lr/div_factor up to max_lr, then down (cosine or linear), momentum inversely",
        "SequentialLR": "each of `schedulers` in turn, the next from each of `milestones` on"}
INNER_TABLE = Tagged("type", INNER, "scheduler", docs=DOCS, near=("kind", "name", "scheduler"))
SEQUENTIAL = (
    Field("schedulers", ListOf(INNER_TABLE, 1, 8, noun="scheduler tables", each="{field}[{n}]"),
          "the schedulers in turn (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR or LinearLR)", REQUIRED),
    Field("milestones", MILESTONES, MILESTONES_DOC, REQUIRED),
)
SCHEDULER = Tagged("type", {**INNER, "OneCycleLR": ONE_CYCLE, "SequentialLR": SEQUENTIAL}, "scheduler", docs=DOCS,
                   near=("kind", "name", "scheduler"))


@dataclass(frozen=True)
class Phase:
    """One of OneCycleLR's phases: up to scheduler step ``end`` (exact, pct_start·total_steps − 1 ...), from one
    rate (momentum) to another, by name: initial_lr, max_lr, min_lr; max_momentum, base_momentum."""

    end: sympy.Rational
    start_lr: str
    end_lr: str
    start_momentum: str
    end_momentum: str


@dataclass(frozen=True)
class Schedule:
    """A scheduler: its torch class, its arguments (defaults filled in, exact), SequentialLR's schedulers and
    milestones, OneCycleLR's phases and total steps."""

    type: str
    params: tuple[tuple[str, Any], ...]
    parts: tuple["Schedule", ...] = ()
    milestones: tuple[int, ...] = ()
    phases: tuple[Phase, ...] = ()

    def __getitem__(self, key: str):
        return dict(self.params)[key]

    def get(self, key: str, default=None):
        return dict(self.params).get(key, default)

    @property
    def cycles_momentum(self) -> bool:
        return self.type == "OneCycleLR" and bool(self["cycle_momentum"])

    @property
    def last(self) -> int | None:
        """The last optimizer step a training loop may take (OneCycleLR's total_steps), or None."""
        return self["total_steps"] if self.type == "OneCycleLR" else None

    def at(self, e: int) -> tuple["Schedule", int]:
        """The scheduler in charge at scheduler step e and its own step (SequentialLR's), or self and e."""
        if self.type != "SequentialLR":
            return self, e
        k = bisect_right(self.milestones, e)
        return self.parts[k], e - (self.milestones[k - 1] if k else 0)

    def phase(self, e) -> tuple[Phase, sympy.Rational]:
        """OneCycleLR's phase at step e and the step it starts from (torch's loop: the first phase whose end is
        at least e, or the last)."""
        start, e = sympy.Integer(0), sympy.Integer(int(e))       # e: a whole number, in whatever arithmetic
        for k, phase in enumerate(self.phases):
            if e <= phase.end or k == len(self.phases) - 1:
                return phase, start
            start = phase.end
        raise AssertionError("no phase")


def schedule(values, field: str = "scheduler") -> Schedule:
    """The scheduler read by SCHEDULER, checked as torch checks it (its constructor and its steps)."""
    kind = values["type"]
    params = {k: v for k, v in values.items() if k != "type"}
    if kind == "SequentialLR":
        return _sequential(values, field)
    if kind == "OneCycleLR":
        return _one_cycle(values, params, field)
    if kind == "LinearLR" and params["start_factor"] == 0:
        raise FieldError(f"{field}.start_factor", "must be above 0 (PyTorch refuses 0)", 0, "a number above 0, at"
                         " most 1")
    if kind == "MultiStepLR":
        params["milestones"] = tuple(sorted(params["milestones"]))
    return Schedule(kind, tuple(params.items()))


def _sequential(values, field: str) -> Schedule:
    parts = tuple(schedule(s, f"{field}.schedulers[{k + 1}]") for k, s in enumerate(values["schedulers"]))
    milestones = tuple(values["milestones"])
    if len(milestones) != len(parts) - 1:
        raise FieldError(f"{field}.milestones", f"there are {len(parts)} schedulers, so {len(parts) - 1} milestone"
                         f"{'' if len(parts) == 2 else 's'} (PyTorch's rule), not {len(milestones)}",
                         list(milestones), f"a list of {len(parts) - 1} increasing whole numbers")
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise FieldError(f"{field}.milestones", "must increase", list(milestones), "increasing whole numbers")
    return Schedule("SequentialLR", (), parts, milestones)


def _one_cycle(values, params: dict, field: str) -> Schedule:
    total = params.get("total_steps")
    if total is None:
        if params.get("epochs") is None or params.get("steps_per_epoch") is None:
            raise FieldError(f"{field}.total_steps", "missing: give total_steps, or epochs and steps_per_epoch (as"
                             " PyTorch asks)", None, "total_steps = N, or epochs and steps_per_epoch")
        total = params["epochs"] * params["steps_per_epoch"]
    for key in ("div_factor", "final_div_factor"):
        if params[key] == 0:
            raise FieldError(f"{field}.{key}", "must be above 0 (the rates divide by it)", 0, "a number above 0")
    params["total_steps"] = total
    params["initial_lr"] = params["max_lr"] / params["div_factor"]
    params["min_lr"] = params["initial_lr"] / params["final_div_factor"]
    pct = params["pct_start"]
    if params["three_phase"]:
        phases = (Phase(pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                  Phase(2 * pct * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                  Phase(sympy.Integer(total - 1), "initial_lr", "min_lr", "max_momentum", "max_momentum"))
    else:
        phases = (Phase(pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                  Phase(sympy.Integer(total - 1), "max_lr", "min_lr", "base_momentum", "max_momentum"))
    out = Schedule("OneCycleLR", tuple(params.items()), phases=phases)
    for e in range(total):
        phase, start = out.phase(e)
        if phase.end == start:
            raise FieldError(f"{field}.pct_start", f"leaves a phase of no length at scheduler step {e}: PyTorch"
                             " divides by zero there", values.raw.get("pct_start", pct), "a pct_start that gives"
                             " each phase at least one step")
    return out


# --- the formulas -----------------------------------------------------------------------------------------

def anneal(o, start, end, pct, strategy: str):
    """OneCycleLR's _annealing_cos / _annealing_linear from start to end as pct goes from 0 to 1."""
    if strategy == "cos":
        return o.add(end, o.div(o.mul(o.sub(start, end), o.add(1, o.cos_pi(pct))), 2))
    return o.add(o.mul(o.sub(end, start), pct), start)


def rate(s: Schedule, o, q, e):
    """The rate of one scheduler (not SequentialLR) at its step e (a whole number, or t − 1 with symbols); q:
    the base rate ``lr`` and the arguments, as symbols or numbers (MultiStepLR's with symbols: ``passed``, the
    milestones passed)."""
    if s.type == "StepLR":
        return o.mul(q.lr, o.pow(q.gamma, o.floor(o.div(e, q.step_size))))
    if s.type == "MultiStepLR":
        passed = q.passed if "passed" in q else sympy.Integer(bisect_right(s["milestones"], e))
        return o.mul(q.lr, o.pow(q.gamma, passed))
    if s.type == "ExponentialLR":
        return o.mul(q.lr, o.pow(q.gamma, e))
    if s.type == "CosineAnnealingLR":
        return o.add(q.eta_min, o.mul(o.sub(q.lr, q.eta_min), o.div(o.add(1, o.cos_pi(o.div(e, q.T_max))), 2)))
    if s.type == "LinearLR":
        factor = o.add(q.start_factor, o.mul(o.sub(q.end_factor, q.start_factor),
                                             o.div(o.min(e, q.total_iters), q.total_iters)))
        return o.mul(q.lr, factor)
    phase, start = s.phase(e)
    return anneal(o, q[phase.start_lr], q[phase.end_lr], _pct(o, e, start, phase.end), s["anneal_strategy"])


def rate_at(s: Schedule, o, lr, e: int):
    """The rate at scheduler step e with the numbers (SequentialLR: its scheduler in charge's)."""
    sub, local = s.at(e)
    return rate(sub, o, Q(numbers(sub, lr)), sympy.Integer(local))


def momentum(s: Schedule, o, q, e: int):
    """OneCycleLR's momentum (Adam's beta1) at scheduler step e."""
    phase, start = s.phase(e)
    return anneal(o, q[phase.start_momentum], q[phase.end_momentum], _pct(o, e, start, phase.end),
                  s["anneal_strategy"])


def _pct(o, e, start, end):
    """(e − start)/(end − start): exact for a whole e (the numbers written in: p itself), else with o."""
    if isinstance(e, (int, sympy.Integer)):
        return sympy.Rational(e - start) / (end - start)
    start, end = o.number(start), o.number(end)
    return o.div(o.sub(e, start), o.sub(end, start))


def numbers(s: Schedule, lr) -> dict:
    """The arguments a formula reads, by name, with the base rate: the scheduler in charge's own."""
    out = {k: sympy.Integer(v) if isinstance(v, int) else v for k, v in s.params
           if not isinstance(v, (bool, str, tuple))}
    out["lr"] = lr
    return out

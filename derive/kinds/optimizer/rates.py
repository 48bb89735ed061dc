"""The key's sentences on a learning-rate scheduler: its rule with symbols, each step's rate with the numbers in
(and OneCycleLR's momentum or beta1), its notes, and the `lr` question."""

from __future__ import annotations

import sympy

from ...numeric import json_number
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import join_pieces
from .compute import scheduled
from .config import NAMES, Config
from .decimals import result, shown as _shown
from .names import HYPER, PARAMS, param, rate_symbol
from .ops import SYMBOLIC, WRITTEN, Q
from .schedule import Schedule, anneal, momentum, numbers, rate

SHOWN = 8
T = sympy.Symbol("t", positive=True, integer=True)
RECURSIVE = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR")
WORDS = {"lr": "the learning rate", "momentum": "the momentum", "beta1": "β₁"}


def shown(x):
    return _shown(x, SHOWN)[0]


def tail(exact) -> list:
    """The end of a chain for an exact value: = the value (a decimal or a small fraction), = a short closed form ≈
    its value, or ≈ its value."""
    if exact.is_Rational or exact.is_Float:
        return result(exact)
    close = sympy.Float(sympy.N(exact, 30), SHOWN)
    return ["=", exact, "approx", close] if sympy.count_ops(exact) <= 12 else ["approx", close]


def symbols(s: Schedule, k: int | None = None) -> Q:
    """A scheduler's arguments as symbols (k: SequentialLR's k-th), the base rate η."""
    q = Q({name: param(name, k) for name in numbers(s, 0) if name in PARAMS})
    q["lr"], q["passed"] = HYPER["lr"], param("passed", k)
    return q


def described(s: Schedule) -> str:
    """StepLR(step_size=30, gamma=0.1), as the spec gives it with PyTorch's defaults."""
    if s.type == "SequentialLR":
        return (f"SequentialLR of {', '.join(described(p) for p in s.parts)} (milestones "
                f"{', '.join(map(str, s.milestones))})")
    skip = ("initial_lr", "min_lr", "epochs", "steps_per_epoch")
    args = ", ".join(f"{k} {_arg(v)}" for k, v in s.params if k not in skip)
    return f"{s.type} ({args})"


def _arg(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, tuple):
        return "[" + ", ".join(map(str, v)) + "]"
    v = sympy.Rational(v)
    return str(v) if v.q == 1 else f"{float(v):g}" if 10 ** 12 % v.q == 0 else str(v)


def sentence(c: Config) -> list:
    """The setting's words on the schedule."""
    if c.schedule is None:
        return []
    return [f"The learning rate follows torch.optim.lr_scheduler.{described(c.schedule)}: the t-th optimizer.step()"
            " uses its rate after t − 1 calls of scheduler.step(). "]


# --- the rule with symbols ---------------------------------------------------------------------------------

def rule_steps(c: Config) -> list:
    """The scheduler's rule: its closed form with symbols, or OneCycleLR's phases, or SequentialLR's pieces."""
    s = c.schedule
    if s is None:
        return [step(say("Without a scheduler every step uses the optimiser's rate: ", let(rate_symbol("lr", "t"),
                                                                                          HYPER["lr"]), "."))]
    head = f"torch.optim.lr_scheduler.{s.type}: the t-th optimizer.step() uses the rate after t − 1 scheduler steps"
    if s.type == "OneCycleLR":
        return one_cycle_steps(c, head)
    if s.type == "SequentialLR":
        pieces = [head + ": each scheduler in turn, the next from its milestone on, restarted there from the"
                  " optimiser's initial rate η (PyTorch's _update_lr(0): its closed form at its step 0). "]
        for k, sub in enumerate(s.parts, 1):
            m = s.milestones[k - 2] if k > 1 else 0
            end = s.milestones[k - 1] if k <= len(s.milestones) else None
            steps = f"steps t from {m + 1}" + (f" to {end}" if end is not None else " on")
            pieces += [f"For {steps} ({sub.type}): ",
                       let(rate_symbol("lr", "t"), rate(sub, WRITTEN, symbols(sub, k), T - 1 - m)),
                       _passed(sub, k, m), "; " if k < len(s.parts) else "."]
        return [step(say(*pieces))]
    return [step(say(head + ": ", let(rate_symbol("lr", "t"), rate(s, WRITTEN, symbols(s), T - 1)), _passed(s, None, 0),
                     "."))]


def _passed(s: Schedule, k, m: int) -> str:
    if s.type != "MultiStepLR":
        return ""
    e = "t − 1" if not m else f"t − 1 − {m}"
    return f", k being the number of milestones ({', '.join(map(str, s['milestones']))}) at most {e}"


def one_cycle_steps(c: Config, head: str) -> list:
    s = c.schedule
    q = Q(numbers(s, c["lr"]))
    shown_q = {k: shown(v) for k, v in q.items()}
    ends = [chain(param("initial_lr"), sympy.Mul(shown_q["max_lr"], sympy.Pow(shown_q["div_factor"], -1,
                                                                                evaluate=False), evaluate=False),
                  *tail(q.initial_lr)),
            chain(param("min_lr"), sympy.Mul(shown(q.initial_lr), sympy.Pow(shown_q["final_div_factor"], -1,
                                                                             evaluate=False), evaluate=False),
                  *tail(q.min_lr))]
    phases, start = [], 0
    for k, phase in enumerate(s.phases, 1):
        phases.append(f"phase {k}, scheduler steps from {_num(start)} to {_num(phase.end)}: from {phase.start_lr} to"
                      f" {phase.end_lr}" + (f" (momentum from {phase.start_momentum} to {phase.end_momentum})"
                                            if s.cycles_momentum else ""))
        start = phase.end
    p, e = param("pct"), sympy.Symbol("e", integer=True, nonnegative=True)
    form = anneal(WRITTEN, param("from"), param("to"), p, s["anneal_strategy"])
    text = say(head + ". It rises from initial_lr (max_lr/div_factor) to max_lr, then falls to min_lr (initial_lr"
               "/final_div_factor): " + "; ".join(phases) + ". In a phase from scheduler step ", param("start"), " to ",
               param("end"), ", with ", let(p, (e - param("start")) / (param("end") - param("start"))),
               " at scheduler step ", let(e, T - 1), ", " + ("cosine" if s["anneal_strategy"] == "cos" else "linear")
               + " annealing from ", param("from"), " to ", param("to"), " gives ", form,
               (" for the rate and for the " + ("β₁" if c.cycled == "beta1" else "momentum") + "." if c.cycled else
                " for the rate."), )
    return [step(text, *ends)]


def _num(x) -> str:
    x = sympy.Rational(x)
    return str(x) if x.q == 1 else f"{float(x):g}"


# --- with the numbers ---------------------------------------------------------------------------------------

def written(c: Config, key: str, t: int):
    """The rate (or the cycled momentum) of step t with the numbers written in."""
    s = c.schedule
    sub, e = s.at(t - 1)
    q = Q({k: shown(v) for k, v in numbers(sub, c["lr"]).items()})
    if key == "lr":
        return rate(sub, WRITTEN, q, sympy.Integer(e))
    return momentum(sub, WRITTEN, q, e)


def lines(c: Config, t: int) -> list:
    """η^(t) = the formula with the numbers = its value (and the cycled momentum's line)."""
    if c.schedule is None:
        return [chain(rate_symbol("lr", t), shown(c["lr"]))]
    exact = scheduled(c, t)
    return [chain(rate_symbol(key, t), written(c, key, t), *tail(value)) for key, value in exact.items()]


def meanings(c: Config, steps) -> dict:
    """The rate symbols of the steps shown, and the scheduler's arguments (OneCycleLR's)."""
    out = {}
    for t in steps:
        rates = scheduled(c, t) if c.schedule is not None else {"lr": c["lr"]}
        out.update({rate_symbol(key, t): value for key, value in rates.items()})
    if c.schedule is not None and c.schedule.type == "OneCycleLR":
        out.update({param(k): v for k, v in numbers(c.schedule, 0).items() if k in ("initial_lr", "min_lr")})
    return out


def notes(c: Config) -> list[Text]:
    s = c.schedule
    if s is None:
        return []
    out = []
    kinds = {p.type for p in (s.parts or (s,))}
    recursive = [k for k in RECURSIVE if k in kinds]
    if recursive:
        out.append(say(f"PyTorch's {', '.join(recursive)} compute{'s' if len(recursive) == 1 else ''} each rate from"
                       " the one before (get_lr), not from the closed form shown (_get_closed_form_lr, used when an"
                       " epoch is passed to step()). In exact arithmetic the recursion telescopes to the closed form,"
                       " so the values are the same; torch's float64 values differ from them only by rounding."))
    if s.type == "SequentialLR":
        out.append(say("At each milestone SequentialLR restarts the next scheduler at its own step 0 from the"
                       " optimiser's initial rate (not from the rate reached), as torch.optim.lr_scheduler does."))
    if s.type == "OneCycleLR":
        out += _one_cycle_notes(c)
    return out


def _one_cycle_notes(c: Config) -> list[Text]:
    out = []
    if "lr" in c.given:
        out.append(say("OneCycleLR sets the rate itself, from max_lr/div_factor: the lr given to the optimiser is not"
                       " used (PyTorch's constructor overwrites it)."))
    if c.cycled == "beta1":
        out.append(say(f"With cycle_momentum, OneCycleLR cycles {NAMES[c.optimizer]}'s β₁ (betas[0]) as SGD's"
                       " momentum; each step's bias correction 1 − β₁ᵗ uses that step's β₁, as torch's does."
                       + (" The β₁ given in betas is replaced; β₂ is kept." if "betas" in c.given else "")))
    elif c.cycled == "momentum" and "momentum" in c.given:
        out.append(say("With cycle_momentum, OneCycleLR sets the momentum each step (from max_momentum): the momentum"
                       " given to the optimiser is not used after its constructor."))
    return out


def lr_question(c: Config) -> Solution:
    """`lr`: the rate of each step asked (``at``), with the schedule's formula."""
    shown_lines = [ch for t in c.at for ch in lines(c, t)]
    parts = rule_steps(c) + [step(say("With the numbers in, at each step asked:"), *shown_lines)]
    value = []
    for t in c.at:
        rates = scheduled(c, t) if c.schedule is not None else {"lr": c["lr"]}
        value.append({"step": t, **{key: json_number(v) for key, v in rates.items()}})
    what = "rate" if not c.cycled else f"rate and {WORDS[c.cycled]}"
    steps = ", ".join(map(str, c.at))
    question = say(f"Find the learning {what} that optimizer.step() number {steps} use{'s' if len(c.at) == 1 else ''}.")
    answer = Answer(value=value, chain=shown_lines[-1] if len(shown_lines) == 1 else None,
                    text=say("The rates: ", *join_pieces([chain(ch.exprs[0], *_end(ch)) for ch in shown_lines]), "."))
    return Solution(question=question, steps=tuple(parts), answer=answer, notes=tuple(notes(c)),
                    meanings=meanings(c, c.at))


def _end(ch) -> list:
    rel, last = ch.rels[-1], ch.exprs[-1]
    return [rel, last]



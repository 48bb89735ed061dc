"""The key of an optimizer part: the rule, then each step with the numbers in, then w and the state."""

from __future__ import annotations

import mpmath
import sympy

from ...check import check_link
from ...numeric import json_number
from ...precision import DIGITS
from ...steps import Answer, Solution, Text, chain, let, say, step
from .compute import Step, hyper_values, trajectory
from .config import NAMES, Config
from .names import HYPER, LOSS, clr_symbol, partial, quantity
from .rules import WRITTEN, Q, clr, g_eff, rules, state_keys

SHOWN = 8                     # significant digits of a value shown with ≈
TRIES = (6, 10, 15, 20, 30)   # digits of the numbers written into a rule, until the result is within reach
T = sympy.Symbol("t", positive=True, integer=True)
EXACT = mpmath.libmp.dps_to_prec(DIGITS)     # the precision of an exact decimal written as a float


def coordinate(c: Config, i: int) -> int | None:
    return None if c.n == 1 else i + 1


def shown(x, digits: int) -> tuple[sympy.Expr, bool]:
    """(x as written, exact?): a short decimal or small fraction exactly, else rounded to ``digits``."""
    if x.is_Integer:
        return x, True
    if x.is_Rational:
        q = int(x.q)
        if _decimal(q) and len(str(abs(x.p))) <= 12 and q <= 10 ** 15:
            return sympy.Float(x, DIGITS), True
        if abs(x.p) < 10 ** 4 and q < 10 ** 4:
            return x, True
    return sympy.Float(x, digits), False


def _decimal(q: int) -> bool:
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def result(value) -> list:
    """['=', value] when it is shown exactly, else ['approx', value rounded]."""
    written, exact = shown(value, SHOWN)
    return ["=", written] if exact else ["approx", sympy.Float(value, SHOWN)]


def line(sym, formula, q_sym: Q, q_val: Q, value) -> "chain":
    """sym = the rule with symbols = the rule with the numbers in = the value. The numbers are written with
    more digits until the checker confirms the written arithmetic (exactly, or to the digits shown after
    ≈); when none does (a difference that cancels, such as centered RMSprop's v − ḡ² = 0), the numbers
    are left out."""
    general = formula(WRITTEN, q_sym)
    head = [general] if general != sym else []
    tail = result(value)
    close = tail if tail[0] == "approx" else ["approx", sympy.Float(value, SHOWN)]
    exact_inputs = formula(WRITTEN, q_val)
    for digits in TRIES:
        written = formula(WRITTEN, Q({k: shown(v, digits)[0] for k, v in q_val.items()}))
        if tail[1] == written:
            return chain(sym, *head, *tail)
        exact = all(f._prec >= EXACT for f in written.atoms(sympy.Float))
        rel, end = ("=", tail) if exact else ("approx", close)
        if check_link(exact_inputs, rel, written)[0] and check_link(written, end[0], end[1])[0]:
            return chain(sym, *head, rel, written, *end)
        if exact:
            break
    return chain(sym, *head, *tail)


def symbols_q(c: Config, k: int | None, t, prev, rule_keys) -> Q:
    """The inputs of coordinate k's rules at step t, as symbols (previous state at ``prev``)."""
    q = Q({name: HYPER[name] for name in hyper_values(c) if name in HYPER})
    q["w"], q["t"] = quantity("w", k, prev), (t if isinstance(t, int) else T)
    q.update({key: quantity(key, k, prev) for key in state_keys(c)})
    for key in ("grad", *rule_keys):
        q[key + "_new"] = quantity(key, k, t)
    q["grad"] = quantity("grad", k, t)
    q["grad_wd"] = quantity("grad_wd", k, t)
    q["clr"] = clr_symbol(t) if isinstance(t, int) else HYPER["lr"] / (1 + (T - 1) * HYPER["lr_decay"])
    return q


def values_q(c: Config, i: int, s: Step, before: dict) -> Q:
    """The inputs of coordinate i's rules at step s, as numbers."""
    q = Q(hyper_values(c))
    q["w"], q["t"] = s.w_prev[i], sympy.Integer(s.t)
    q.update({key: vals[i] for key, vals in before.items()})
    for key, vals in s.values:
        q[key + "_new"] = vals[i]
        if key in ("grad", "grad_wd"):
            q[key] = vals[i]
    if s.clr is not None:
        q["clr"] = s.clr
    return q


def meanings(c: Config, steps: tuple[Step, ...]) -> dict:
    out = {HYPER[k]: v for k, v in hyper_values(c).items() if k in HYPER}
    for i in range(c.n):
        k = coordinate(c, i)
        out[quantity("w", k, 0)] = c.w0[i]
        out.update({quantity(key, k, 0): vals[i] for key, vals in _initial(c).items()})
        for s in steps:
            out.update({quantity(key, k, s.t): vals[i] for key, vals in s.values})
    for s in steps:
        if s.clr is not None:
            out[clr_symbol(s.t)] = s.clr
    if c.loss is not None:
        out[LOSS] = sympy.Lambda(c.variables, c.loss)
        out.update({partial(coordinate(c, i)): sympy.diff(c.loss, v) for i, v in enumerate(c.variables)})
    return out


def _initial(c: Config) -> dict:
    from .rules import initial
    return {key: (initial(c, key),) * c.n for key in state_keys(c)}


def rule_step(c: Config):
    """PyTorch's rule for one coordinate, with symbols."""
    kept = rules(c, T)
    q = symbols_q(c, None, "t", "t-1", [r.key for r in kept])
    lets = []
    if c.optimizer == "adagrad":
        lets.append(let(clr_symbol("t"), clr(WRITTEN, q, T)))
    for r in kept:
        lets.append(let(quantity(r.key, None, "t"), r.formula(WRITTEN, q)))
    pieces = [f"PyTorch's torch.optim.{NAMES[c.optimizer]} updates each coordinate at step t as follows"]
    if c.optimizer == "sgd" and c["momentum"]:
        pieces.append(" (at the first step the buffer is the gradient itself, ")
        pieces += [let(quantity("momentum_buffer", None, 1), quantity(g_eff(c), None, 1)), ")"]
    pieces.append(": ")
    for k, piece in enumerate(lets):
        pieces += ([", "] if k else []) + [piece]
    start = [let(quantity(key, None, 0), value) for key, value in _initial_scalars(c)]
    if start:
        pieces += [". It starts from "] + _joined(start)
    return step(say(*pieces, "."))


def _initial_scalars(c: Config):
    from .rules import initial
    return [(key, initial(c, key)) for key in state_keys(c)]


def _joined(items) -> list:
    out = []
    for k, item in enumerate(items):
        out += ([" and " if k == len(items) - 1 else ", "] if k else []) + [item]
    return out


def gradient_step(c: Config):
    """The loss's gradient, each partial derivative."""
    point = c.variables
    chains = [chain(partial(coordinate(c, i)), sympy.diff(c.loss, v)) for i, v in enumerate(point)]
    return step(say("The gradient of the loss ", let(LOSS(*point), c.loss), ", evaluated at the parameters before"
                    " each step:"), *chains)


def narrate_step(c: Config, s: Step, before: dict):
    """Step t with the numbers in."""
    keys = [r.key for r in rules(c, s.t)]
    chains, pieces = [], [f"Step {s.t}: "]
    if c.loss is None:
        pieces += ["the gradient is "] + _joined([let(quantity("grad", coordinate(c, i), s.t), shown(s["grad"][i], SHOWN)[0])
                                                   for i in range(c.n)]) + ["."]
    else:
        pieces.append("the gradient at the current parameters, then the update.")
        for i in range(c.n):
            at = {v: quantity("w", coordinate(c, j), s.t - 1) for j, v in enumerate(c.variables)}
            chains.append(chain(quantity("grad", coordinate(c, i), s.t),
                                sympy.diff(c.loss, c.variables[i]).xreplace(at), *result(s["grad"][i])))
    if s.clr is not None:
        qs, qv = Q(lr=HYPER["lr"], lr_decay=HYPER["lr_decay"]), Q(hyper_values(c))
        chains.append(line(clr_symbol(s.t), lambda o, q: clr(o, q, s.t), qs, qv, s.clr))
    for r in rules(c, s.t):
        for i in range(c.n):
            k = coordinate(c, i)
            chains.append(line(quantity(r.key, k, s.t), r.formula, symbols_q(c, k, s.t, s.t - 1, keys),
                               values_q(c, i, s, before), s[r.key][i]))
    return step(say(*pieces), *chains)


def number(values, scalar: bool):
    """The JSON numbers of a quantity's values (numeric.json_number): one, or a list."""
    out = [json_number(v) for v in values]
    return out[0] if scalar else out


def answer(c: Config, steps: tuple[Step, ...]) -> Answer:
    value = []
    for s in steps:
        item = {"step": s.t, "w": number(s.w, c.scalar)}
        item.update({key: number(vals, c.scalar) for key, vals in s.state})
        value.append(item)
    last = steps[-1]
    if c.n == 1:
        ch = chain(quantity("w", None, last.t), *result(last.w[0]))
    else:
        shown_ = [result(v) for v in last.w]
        rel = "=" if all(r[0] == "=" for r in shown_) else "approx"
        ch = chain(sympy.ImmutableMatrix([quantity("w", i + 1, last.t) for i in range(c.n)]), rel,
                   sympy.ImmutableMatrix([r[1] for r in shown_]))
    return Answer(value=value, chain=ch, text=say(f"After {len(steps)} step{'s' if len(steps) > 1 else ''}:"))


def updates(c: Config) -> Solution:
    from .notes import notes
    steps = trajectory(c)
    parts = [rule_step(c)] + ([gradient_step(c)] if c.loss is not None else [])
    before = _initial(c)
    for s in steps:
        parts.append(narrate_step(c, s, before))
        before = dict(s.state)
    name = NAMES[c.optimizer]
    question = say(f"Carry out {len(steps)} step{'s' if len(steps) > 1 else ''} of {name} from ",
                   *_joined([let(quantity("w", coordinate(c, i), 0), c.w0[i]) for i in range(c.n)]),
                   ", giving the parameters and the optimiser's state after each step.")
    return Solution(question=question, steps=tuple(parts), answer=answer(c, steps), notes=tuple(notes(c)),
                    meanings=meanings(c, steps))

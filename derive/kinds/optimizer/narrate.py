"""The key of an optimizer part: the rule, then each step with the numbers in, then w and the state."""

from __future__ import annotations

import mpmath
import sympy

from ...check import check_link
from ...numeric import json_number
from ...precision import DIGITS
from ...steps import Answer, Solution, Text, chain, let, say, step
from ...words import join_pieces
from .compute import FIRST, trajectory
from .fast import to_sympy
from .config import NAMES, Config
from .decimals import SHOWN, result, shown
from .names import HYPER, LOSS, clr_symbol, delta_symbol, partial, quantity, rate_symbol
from .ops import VALUES, WRITTEN, Q, tame
from .rules import clr, g_eff, rules, state_keys
from .iterate import Step, hyper_values

TRIES = (6, 10, 15, 20, 30)   # digits of the numbers written into a rule, until the result is within reach
T = sympy.Symbol("t", positive=True, integer=True)
EXACT = mpmath.libmp.dps_to_prec(DIGITS)     # the precision of an exact decimal written as a float


def coordinate(c: Config, i: int) -> int | None:
    return None if c.n == 1 else i + 1


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
    if c.schedule is not None:
        q["lr"] = rate_symbol("lr", t)
    if c.cycled:
        q[c.cycled] = rate_symbol(c.cycled, t)
    q["clr"] = clr_symbol(t) if isinstance(t, int) else q["lr"] / (1 + (T - 1) * HYPER["lr_decay"])
    return q


def values_q(c: Config, i: int, s: Step, before: dict) -> Q:
    """The inputs of coordinate i's rules at step s, as numbers."""
    q = Q(hyper_values(c))
    q.update({key: tame(v) for key, v in s.rates})
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


def rule_step(c: Config, delta: bool = False):
    """PyTorch's rule for one coordinate, with symbols (``delta``: Δw in place of the new w)."""
    kept = rules(c, T)
    q = symbols_q(c, None, "t", "t-1", [r.key for r in kept])
    lets = []
    if c.optimizer == "adagrad":
        lets.append(let(clr_symbol("t"), clr(WRITTEN, q, T)))
    for r in kept:
        if delta and r.key == "w":
            lets.append(let(delta_symbol(None, "t"), r.delta(WRITTEN, q)))
        else:
            lets.append(let(quantity(r.key, None, "t"), r.formula(WRITTEN, q)))
    pieces = [f"PyTorch's torch.optim.{NAMES[c.optimizer]} updates each coordinate at step t as follows"]
    if c.form == "velocity":
        pieces = ["SGD with momentum in CS231n's velocity form updates each coordinate at step t as follows"]
    elif c.optimizer == "sgd" and c["momentum"]:
        pieces.append(" (at the first step the buffer is the gradient itself, ")
        pieces += [let(quantity("momentum_buffer", None, 1), quantity(g_eff(c), None, 1)), ")"]
    pieces.append(": ")
    for k, piece in enumerate(lets):
        pieces += ([", "] if k else []) + [piece]
    start = [let(quantity(key, None, 0), value) for key, value in _initial_scalars(c)]
    if start:
        pieces += [". It starts from "] + join_pieces(start)
    return step(say(*pieces, "."))


def _initial_scalars(c: Config):
    from .rules import initial
    return [(key, initial(c, key)) for key in state_keys(c)]



def gradient_step(c: Config):
    """The loss's gradient, each partial derivative."""
    point = c.variables
    chains = [chain(partial(coordinate(c, i)), sympy.diff(c.loss, v)) for i, v in enumerate(point)]
    return step(say("The gradient of the loss ", let(LOSS(*point), c.loss), ", evaluated at the parameters before"
                    " each step:"), *chains)


def narrate_step(c: Config, s: Step, before: dict, delta: bool = False):
    """Step t with the numbers in (``delta``: Δw in place of the new w)."""
    keys = [r.key for r in rules(c, s.t)]
    chains, pieces = [], [f"Step {s.t}: "]
    if c.loss is None:
        grads = [let(quantity("grad", coordinate(c, i), s.t), shown(s["grad"][i], SHOWN)[0]) for i in range(c.n)]
        pieces += ["the gradient is "] + join_pieces(grads) + ["."]
    else:
        pieces.append("the gradient at the current parameters, then the update.")
        for i in range(c.n):
            at = {v: quantity("w", coordinate(c, j), s.t - 1) for j, v in enumerate(c.variables)}
            chains.append(chain(quantity("grad", coordinate(c, i), s.t),
                                sympy.diff(c.loss, c.variables[i]).xreplace(at), *result(s["grad"][i])))
    if c.schedule is not None:
        from .rates import lines
        chains += lines(c, s.t)
    if s.clr is not None:
        qs = Q(lr=rate_symbol("lr", s.t) if c.schedule is not None else HYPER["lr"], lr_decay=HYPER["lr_decay"])
        qv = Q(hyper_values(c), **{key: tame(v) for key, v in s.rates})
        chains.append(line(clr_symbol(s.t), lambda o, q: clr(o, q, s.t), qs, qv, s.clr))
    for r in rules(c, s.t):
        for i in range(c.n):
            k = coordinate(c, i)
            q_sym, q_val = symbols_q(c, k, s.t, s.t - 1, keys), values_q(c, i, s, before)
            if delta and r.key == "w":
                chains.append(line(delta_symbol(k, s.t), r.delta, q_sym, q_val, r.delta(VALUES, q_val)))
            else:
                chains.append(line(quantity(r.key, k, s.t), r.formula, q_sym, q_val, s[r.key][i]))
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
        item.update({key: json_number(v) for key, v in s.rates})
        value.append(item)
    last = steps[-1]
    more = tuple(boxed_after(c, key, vals, last.t) for key, vals in last.state)      # the state asked for too
    return Answer(value=value, chain=boxed_after(c, "w", last.w, last.t), more=more,
                  text=say(f"After {len(steps)} step{'s' if len(steps) > 1 else ''}:"))


def boxed_after(c: Config, key: str, values, t: int):
    """One quantity after step t, boxed: a number, or the column of its coordinates."""
    vals = [to_sympy(v) for v in values]
    if c.n == 1:
        return chain(quantity(key, None, t), *result(vals[0]))
    shown_ = [result(v) for v in vals]
    rel = "=" if all(r[0] == "=" for r in shown_) else "approx"
    return chain(sympy.ImmutableMatrix([quantity(key, i + 1, t) for i in range(c.n)]), rel,
                 sympy.ImmutableMatrix([r[1] for r in shown_]))


def intro(c: Config) -> list:
    """The rule with symbols, the scheduler's rule, and the loss's gradient."""
    from .rates import rule_steps
    return [rule_step(c)] + (rule_steps(c) if c.schedule is not None else []) + \
        ([gradient_step(c)] if c.loss is not None else [])


def narrated(c: Config, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps derived one by one: all, or a long run's first FIRST."""
    return steps[:FIRST] if c.long else steps


def all_meanings(c: Config, steps: tuple[Step, ...]) -> dict:
    from .rates import meanings as rate_meanings
    out = meanings(c, steps)
    if c.schedule is not None:
        out.update(rate_meanings(c, [s.t for s in steps]))
    return out


def updates(c: Config) -> Solution:
    from .notes import notes
    steps = trajectory(c)
    parts, before = intro(c), _initial(c)
    for s in narrated(c, steps):
        parts.append(narrate_step(c, s, before))
        before = dict(s.state)
    figures = ()
    if c.long:
        from .long import figures as long_figures, table_step
        parts.append(table_step(c, steps))
        figures = long_figures(c, steps)
    name = NAMES[c.optimizer]
    question = say(f"Carry out {len(steps)} step{'s' if len(steps) > 1 else ''} of {name} from ",
                   *join_pieces([let(quantity("w", coordinate(c, i), 0), c.w0[i]) for i in range(c.n)]),
                   ", giving the parameters and the optimiser's state after each step.")
    meaning = all_meanings(c, narrated(c, steps))
    for key, values in (("w", steps[-1].w), *steps[-1].state):       # (a long run's last step: from its table)
        meaning.update({quantity(key, coordinate(c, i), c.steps): to_sympy(v) for i, v in enumerate(values)})
    return Solution(question=question, steps=tuple(parts), answer=answer(c, steps), notes=tuple(notes(c)),
                    meanings=meaning, figures=figures)


def update(c: Config) -> Solution:
    """`update`: the first step's Δw = w⁽¹⁾ − w⁽⁰⁾ alone (w0 only where the rule reads it)."""
    from .notes import notes
    first = trajectory(c)[0]
    parts = [rule_step(c, delta=True)] + intro(c)[1:] + [narrate_step(c, first, _initial(c), delta=True)]
    rule = rules(c, 1)[-1]
    deltas = [rule.delta(VALUES, values_q(c, i, first, _initial(c))) for i in range(c.n)]
    name = NAMES[c.optimizer]
    start = [" from ", *join_pieces([let(quantity("w", coordinate(c, i), 0), c.w0[i]) for i in range(c.n)])] \
        if c.w0_given else []
    question = say(f"Find the change the first step of {name} makes to the parameters", *start, ".")
    if c.n == 1:
        ch = chain(delta_symbol(None, 1), *result(deltas[0]))
    else:
        shown_ = [result(v) for v in deltas]
        rel = "=" if all(r[0] == "=" for r in shown_) else "approx"
        ch = chain(sympy.ImmutableMatrix([delta_symbol(i + 1, 1) for i in range(c.n)]), rel,
                   sympy.ImmutableMatrix([r[1] for r in shown_]))
    meaning = all_meanings(c, (first,))
    meaning.update({delta_symbol(coordinate(c, i), 1): v for i, v in enumerate(deltas)})
    return Solution(question=question, steps=tuple(parts), answer=Answer(value=number(deltas, c.scalar), chain=ch),
                    notes=tuple(notes(c)), meanings=meaning)

"""The question `step`: each parameter (a given name in wrt) after one step of a torch.optim optimiser on its
gradient from the backward pass. The update is the optimizer kind's own (derive.kinds.optimizer: its rules and
its trajectory over the parameters' entries), read here with the graph's symbols: the rule once for one entry,
then each quantity of each parameter as a matrix with the numbers in, every entry checked."""

from __future__ import annotations

from dataclasses import replace

import sympy
from sympy import ImmutableMatrix

from ...check import check_link
from ...fields import FieldError
from ...steps import Answer, Solution, chain, let, say, step
from ...words import join, join_pieces
from ...written import Sym
from ..optimizer.compute import trajectory
from ..optimizer.config import NAMES, Config as Optimizer
from ..optimizer.names import BODIES, HYPER as HYPER_SYMBOLS, N as OPTIMIZER_NOTATION, body
from ..optimizer.decimals import shown as written_number
from ..optimizer.ops import WRITTEN, Q
from ..optimizer.rules import clr, initial, rules, state_keys
from ..optimizer.iterate import hyper_values
from . import names as nm
from .backward import backward, gradient
from .config import Config
from .letters import step_letters
from .narrate import exact, meanings, shown, sym
from .val import Val, make

TRIES = (6, 10, 15, 30)          # digits of the numbers written into a rule, until the checker confirms it


def _lettered(part, letters: dict):
    """A written form of the optimiser's with its letter as the problem writes it (θ for w when the spec names a
    w, say; derive.kinds.graph.letters): only the letter itself, never a spec's name below it (m_b keeps b)."""
    if isinstance(part, str):
        return letters.get(part, part)
    return replace(part, base=_lettered(part.base, letters)) if isinstance(part, Sym) else part


def _tag(written, plain) -> str:
    """A symbol's name's tail telling its letter apart from the optimizer kind's: '' when it is that one."""
    return "" if written == plain else f"/{nm.letter_of(written)}"


def _generic(key: str, t: int, letters: dict) -> sympy.Symbol:
    """A quantity of one entry at step t (0: before the step), as the rule is stated: m⁽¹⁾, w⁽⁰⁾."""
    plain = body(key, None, t)
    written = _lettered(plain, letters)
    return nm.NOTATION.symbol(f"step:{key}({t}){_tag(written, plain)}", written,
                              means=nm.optimiser_means(written), real=True)


def _hyper(key: str, letters: dict) -> sympy.Symbol:
    """A hyper-parameter's symbol, written as the optimizer kind writes it (η, β₁, ...)."""
    plain = OPTIMIZER_NOTATION[HYPER_SYMBOLS[key]]
    written = _lettered(plain, letters)
    return nm.NOTATION.symbol(f"step:{key}{_tag(written, plain)}", written, means=nm.optimiser_means(written),
                              real=True)


def _of(key: str, param: str, shape: tuple, letters: dict) -> sympy.Symbol:
    """A quantity of one parameter after the step: W⁽¹⁾, m_W⁽¹⁾ (a matrix for a matrix parameter)."""
    if key == "w":
        written = plain = Sym(nm.written(param), sup="(1)", grouped=True)
    else:
        plain = body(key, nm.written(param), 1)
        written = _lettered(plain, letters)
    kind = {"real": True} if shape == () else {"commutative": False}
    means = nm.spec_means(param) if key == "w" else nm.optimiser_means(written)
    return nm.NOTATION.symbol(f"step:{key}[{param}]{'' if shape == () else '[]'}{_tag(written, plain)}", written,
                              means=means, **kind)


def _own(oc: Optimizer) -> list[str]:
    """The letters the optimizer kind writes a step of this optimiser with: w, g, its state's, its
    hyper-parameters'."""
    keys = ["w", "grad", "grad_wd", *state_keys(oc), *(r.key for r in rules(oc, 1))]
    found = [BODIES[k][0] for k in keys] + [nm.letter_of(OPTIMIZER_NOTATION[HYPER_SYMBOLS[k]])
                                            for k in hyper_values(oc) if k in HYPER_SYMBOLS]
    return list(dict.fromkeys(found))


def optimizer(c: Config, grads: dict) -> Optimizer:
    """The optimizer kind's configuration of one step over the parameters' entries, in order."""
    name, hyper, params = c.stepping
    w0 = tuple(e for p in params for e in c.values[p].entries)
    g = tuple(e for p in params for e in grads[p].entries)
    return Optimizer(optimizer=name, hyper=hyper, w0=w0, scalar=False, steps=1, gradients=(g,))


def _gradients(c: Config) -> dict:
    b = backward(c)
    out = {p: gradient(c, b, p) for p in c.stepping[2]}
    for p, g in out.items():
        if not all(e.is_number for e in g.entries):
            raise FieldError("wrt", f"'step' needs numbers, and the gradient of {p} is a formula of the symbolic "
                             "givens", p, "numbers for every given the gradient depends on")
    return out


def _symbols(oc: Optimizer, letters: dict) -> Q:
    """The inputs of the rules for one entry, as symbols."""
    q = Q({k: _hyper(k, letters) for k in hyper_values(oc) if k in HYPER_SYMBOLS})
    q.update({k: _generic(k, t, letters) for k, t in (("w", 0), ("grad", 1), ("grad_wd", 1))})
    q.update({"t": 1, **{key: _generic(key, 0, letters) for key in state_keys(oc)}})
    q.update({f"{r.key}_new": _generic(r.key, 1, letters) for r in rules(oc, 1)})
    if oc.optimizer == "adagrad":
        plain = Sym("η", accent="tilde")
        written = _lettered(plain, letters)
        q["clr"] = nm.NOTATION.symbol(f"step:clr{_tag(written, plain)}", written, means=nm.optimiser_means(written),
                                      real=True)
    return q


def _values(oc: Optimizer, s, i: int) -> Q:
    """The inputs of the rules for entry i, as numbers."""
    q = Q(hyper_values(oc))
    q.update({"w": oc.w0[i], "t": 1, **{key: initial(oc, key) for key in state_keys(oc)}})
    for key, vals in s.values:
        q[f"{key}_new"] = vals[i]
        if key in ("grad", "grad_wd"):
            q[key] = vals[i]
    if s.clr is not None:
        q["clr"] = s.clr
    return q


def _relettered(letters: dict) -> list:
    """The sentence telling which of the optimiser's letters the key writes otherwise, and why; none if none."""
    moved = [(x, y) for x, y in letters.items() if x != y]
    if not moved:
        return []
    verb = "stands" if len(moved) == 1 else "stand"
    groups = [[_bare(y), " for the optimiser's " if k == 0 else " for its ", _bare(x)] for k, (x, y) in enumerate(moved)]
    said = [p for k, g in enumerate(groups) for p in ([" and " if k == len(groups) - 1 else ", "] if k else []) + g]
    return [" Here ", *join_pieces([_bare(x) for x, _ in moved]), f" {verb} for something else, so the rule writes ",
            *said, "."]


def _bare(letter: str) -> sympy.Symbol:
    """A letter named in a sentence, as a letter (no meaning of its own: the sentence tells it)."""
    return nm.NOTATION.symbol(f"step:letter:{letter}", letter, real=True)


def rule_step(c: Config, oc: Optimizer, letters: dict):
    """The rule for one entry, with symbols, and the hyper-parameters' values."""
    q = _symbols(oc, letters)
    lets = [let(_generic(r.key, 1, letters), r.formula(WRITTEN, q)) for r in rules(oc, 1)]
    if oc.optimizer == "adagrad":
        lets.insert(0, let(q["clr"], clr(WRITTEN, q, 1)))
    given = [let(_hyper(k, letters), written_number(v, 8)[0]) for k, v in hyper_values(oc).items()
             if k in HYPER_SYMBOLS and k in q]
    start = [let(_generic(key, 0, letters), initial(oc, key)) for key in state_keys(oc)]
    params = [sym(c, p) for p in c.stepping[2]]
    text = say(f"One step of torch.optim.{NAMES[oc.optimizer]} on ", *join_pieces(params), ", with ",
               *join_pieces(given), ".", *_relettered(letters), " PyTorch's rule for each entry ",
               _generic("w", 0, letters), " with its gradient ", _generic("grad", 1, letters), ": ",
               *join_pieces(lets), *([", from ", *join_pieces(start)] if start else []), ".")
    return step(text)


def _matrix(shape: tuple, entries: list):
    return entries[0] if shape == () else make(shape, entries).m


def _written(r, qs: list, shape: tuple):
    """The rule with each entry's numbers written in (more digits until the checker confirms it), or None."""
    exact_inputs = _matrix(shape, [r.formula(WRITTEN, q) for q in qs])
    for digits in TRIES:
        numbers = [Q({k: written_number(v, digits)[0] if isinstance(v, sympy.Expr) else v for k, v in q.items()})
                   for q in qs]
        written = _matrix(shape, [r.formula(WRITTEN, q) for q in numbers])
        floats = written.atoms(sympy.Float) if shape == () else set().union(*(e.atoms(sympy.Float) for e in written))
        rel = "approx" if any(f._prec < 150 for f in floats) else "="
        if check_link(exact_inputs, rel, written)[0]:
            return rel, written
    return None


def parameter_step(c: Config, oc: Optimizer, s, param: str, start: int, letters: dict):
    """Each quantity of one parameter after the step, the numbers written in, as a matrix of its shape."""
    v: Val = c.values[param]
    shape, size = v.shape, len(v.entries)
    qs = [_values(oc, s, i) for i in range(start, start + size)]
    chains, out = [], {}
    for r in rules(oc, 1):
        value = make(shape, s[r.key][start:start + size])
        target = _of(r.key, param, shape, letters)
        out[target] = exact(value)
        written = _written(r, qs, shape)
        tail = shown(value)
        if written is None or written[1] == tail[-1]:
            chains.append(chain(target, *tail))
        else:
            rel, numbers = written
            end = ["approx", tail[-1]] if tail[0] == "approx" or rel == "approx" else ["=", tail[0]]
            chains.append(chain(target, rel, numbers, *end))
    return step(say("For ", sym(c, param), ", entry by entry:"), *chains), out


def solve_step(c: Config) -> Solution:
    grads = _gradients(c)
    oc = optimizer(c, grads)
    s = trajectory(oc)[0]
    meaning = meanings(c)
    first = step(say("The gradients, from the backward pass:"),
                 *[chain(nm.partial(c.top, p, c.shape(p)), *shown(grads[p])) for p in c.stepping[2]])
    meaning.update({nm.partial(c.top, p, c.shape(p)): exact(grads[p]) for p in c.stepping[2]})
    letters = step_letters(c, _own(oc))
    steps, start, value, pieces = [first, rule_step(c, oc, letters)], 0, {}, []
    for p in c.stepping[2]:
        done, known = parameter_step(c, oc, s, p, start, letters)
        steps.append(done)
        meaning.update(known)
        size = len(c.values[p].entries)
        after = make(c.shape(p), s.w[start:start + size])
        value[p] = after.json()
        pieces += ([", "] if pieces else []) + [chain(_of("w", p, c.shape(p), letters), *shown(after))]
        start += size
    question = say(f"Take one step of torch.optim.{NAMES[oc.optimizer]} on ", *join_pieces([sym(c, p) for p in
                   c.stepping[2]]), ": find each after the step.")
    return Solution(question=question, steps=tuple(steps), meanings=meaning,
                    answer=Answer(value=value, text=say(*pieces, ".")))

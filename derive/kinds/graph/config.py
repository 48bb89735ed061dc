"""Reading a graph part: the given values (numbers, vectors, matrices or symbols), the forward equations,
``of``, ``wrt`` and ``upstream``; every problem is a FieldError naming its field."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import sympy

from ...errors import did_you_mean
from ...functions import ELEMENTWISE, constant_places
from ...declare import read
from ...fields import FieldError, to_number
from ..base import written_as_decimal
from . import names as nm
from ..optimizer.config import _hyper            # the optimizer kind's reading of its hyper-parameters
from .keys import FIELDS, NAME as KEY_NAME, STEP_FIELDS
from .parse import Call, Index, Name, Neg, Node, Op, SyntaxProblem, names, parse_equation
from .sizes import TooLarge
from .stages import Namer, stages, written
from .values import (CALLABLE, FUNCTIONS, KNOWN, MAX_ENTRIES, UNARY, UNDEFINED, ShapeProblem, TooExtreme, Undefined, Val,
                     evaluate, function_depth, make, settled, shape_text, source, undefined_text)

NAME = re.compile(KEY_NAME)
RESERVED = set(UNARY) | set(FUNCTIONS)


@dataclass(frozen=True)
class Equation:
    k: int                   # its place in ``forward``, 0-based (messages name it forward[k + 1], 1-based)
    name: str
    text: str
    rhs: Node
    inputs: tuple[str, ...]
    written: Node | None = None   # rhs as the spec writes it, when rhs is over stages (derive.kinds.graph.stages)
    stage_of: str | None = None   # for a stage: the name of the equation it is part of

    @property
    def shown(self) -> Node:
        """The right-hand side as the spec writes it."""
        return self.written if self.written is not None else self.rhs


@dataclass(frozen=True)
class Config:
    given: dict              # name -> Val (numbers, or symbols for a symbolic given)
    symbolic: frozenset      # the names given as symbols
    equations: tuple[Equation, ...]
    values: dict             # every name -> Val, after the forward pass
    of: str
    wrt: tuple[str, ...]
    upstream: Val
    labels: frozenset        # class indices (cross_entropy's targets): not differentiated
    top: str                 # what is differentiated: 'of', or L when an upstream gradient is given
    indices: frozenset = frozenset()      # the labels that are class indices (cross_entropy's targets)
    training: bool = True                 # false: evaluation (model.eval()): dropout is the identity
    stepping: tuple | None = None         # for `step`: (the optimiser's name, its hyper-parameters, the parameters)

    def shape(self, name: str) -> tuple:
        return self.values[name].shape

    def called(self, name: str) -> str:
        """A name as a message writes it: a stage's (derive.kinds.graph.stages) as the spec writes its
        sub-expression, with the equation it is part of."""
        stage = next((eq for eq in self.equations if eq.name == name and eq.stage_of), None)
        return name if stage is None else f"{_short(source(stage.shown))} (in {stage.stage_of})"


def configure(values: dict, asks: tuple[str, ...]) -> Config:
    """The rules between the keys (read by FIELDS): names defined before use, shapes that fit, 'of', 'wrt' and
    'upstream' that suit the equations."""
    values = read(FIELDS, values)
    given, symbolic = read_given(values["given"])
    equations, env = read_forward(values.get("forward"), given, values["training"])
    labels = _labels(equations, env)
    staged = {eq.name for eq in equations if eq.stage_of}
    named = {n: v for n, v in env.items() if n not in staged}       # a stage's name is not the spec's
    of = _of(values.get("of"), equations, env)
    wrt = _wrt(values.get("wrt"), given, named, labels, of)
    upstream = _upstream(values.get("upstream"), env[of], needed=any(a != "forward" for a in asks))
    top = of if values.get("upstream") is None else _loss_name(env)
    stepping = _stepping(values, asks, wrt, given, symbolic)
    return Config(given, frozenset(symbolic), tuple(equations), env, of, wrt, upstream, frozenset(labels), top,
                  frozenset(_class_indices(equations, env)), values["training"], stepping)


def _stepping(values, asks, wrt: tuple, given: dict, symbolic: set) -> tuple | None:
    """For the question `step`: the optimiser, its hyper-parameters (the optimizer kind's reading, PyTorch's
    defaults filled in) and the parameters it updates (the given names in wrt); its keys refused without it."""
    if "step" not in asks:
        for f in STEP_FIELDS:
            if f.name in values.given:
                raise FieldError(f.name, "is for the question 'step' (one optimizer step), which this part does not"
                                 " ask", values.raw[f.name], "ask = [\"gradient\", \"step\"], or no such key")
        return None
    params = tuple(w for w in wrt if w in given)
    if not params:
        raise FieldError("wrt", "'step' updates the given names in wrt, and none is given", list(wrt),
                         "wrt naming given parameters")
    for name in params:
        if name in symbolic:
            raise FieldError("wrt", f"'step' updates numbers, and {name} is symbolic", name,
                             "parameters given as numbers")
    name = values["optimizer"]
    return name, _hyper(values, name), params


def _loss_name(env: dict) -> str:
    """The loss's name for the gradients ∂L/∂x when an upstream gradient is given: one the graph does not use."""
    return next(n for n in itertools.chain(("L", "J", "loss", "E"), (f"L{k}" for k in itertools.count(1)))
                if n not in env)


# --- given --------------------------------------------------------------------------------------

def read_given(raw: dict) -> tuple[dict, set]:
    given, symbolic = {}, set()
    for name, value in raw.items():
        field = f"given.{name}"
        _check_name(name, field)
        if isinstance(value, dict):
            given[name] = _symbolic(name, value, field)
            symbolic.add(name)
        else:
            given[name] = _numbers(value, field)
    _no_entry_clash(given, symbolic)
    return given, symbolic


DECIMAL = re.compile(r"(?<![\w.])\d*\.\d+")


def written_in_decimals(values) -> bool:
    """Whether the spec writes a number of the graph as a decimal: a given value (a float that is not whole) or a
    number in an equation (0.5)."""
    forward = values.get("forward")
    equations = [forward] if isinstance(forward, str) else forward if isinstance(forward, list) else []
    return written_as_decimal(values) or any(isinstance(e, str) and DECIMAL.search(e) for e in equations)


def _check_name(name, field: str) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise FieldError(field, "is not a name", name, "a letter, then letters, digits or '_' (at most 20)")
    if name in RESERVED:
        raise FieldError(field, f"'{name}' is the name of a function", name, "another name")


def _numbers(value, field: str) -> Val:
    if isinstance(value, list):
        if value and all(isinstance(row, list) for row in value):
            return _matrix(value, field)
        if not value or len(value) > MAX_ENTRIES:
            raise FieldError(field, f"a vector has 1 to {MAX_ENTRIES} entries", value, "a list of numbers")
        return make((len(value),), [_entry(v, field) for v in value])
    return make((), [_entry(value, field)])


def _entry(v, field: str):
    if isinstance(v, bool):                 # an attention mask's true and false
        return sympy.Integer(int(v))
    if isinstance(v, (list, dict)):
        raise FieldError(field, "must be a number, a list of numbers or a list of lists", v,
                         "e.g. 3, [1, 2] or [[1, 2], [3, 4]]")
    return to_number(v, field)


def _matrix(rows: list, field: str) -> Val:
    width = len(rows[0])
    if width == 0 or any(len(r) != width for r in rows):
        raise FieldError(field, "the rows of a matrix must all have the same, non-zero length", rows,
                         "a list of equally long lists of numbers")
    if width * len(rows) > MAX_ENTRIES:
        raise FieldError(field, f"more than {MAX_ENTRIES} entries", f"{len(rows)} × {width}", "a smaller matrix")
    return make((len(rows), width), [_entry(v, field) for r in rows for v in r])


def _symbolic(name: str, spec: dict, field: str) -> Val:
    if "shape" not in spec:
        if spec.get("symbol") is not True:
            raise FieldError(field, "a symbolic given says { symbol = true } or gives its shape", spec,
                             "{ symbol = true } or { shape = [3] } or { shape = [2, 3] }")
        return make((), [nm.value_symbol(name)])
    dims = tuple(spec["shape"])
    wide = max(dims) > 9
    if len(dims) == 1:
        return make(dims, [nm.entry_symbol(name, (i + 1,), wide) for i in range(dims[0])])
    return make(dims, [nm.entry_symbol(name, (i + 1, j + 1), wide) for i in range(dims[0]) for j in range(dims[1])])


def _no_entry_clash(given: dict, symbolic: set) -> None:
    for name in symbolic:
        for e in given[name].entries:
            if e.name != name and e.name in given:
                raise FieldError(f"given.{e.name}", f"'{e.name}' is also an entry of the symbolic {name}", e.name,
                                 "another name")


# --- forward ----------------------------------------------------------------------------------------

def read_forward(raw, given: dict, training: bool = True) -> tuple[list[Equation], dict]:
    if isinstance(raw, str):
        raw = [raw]
    env, equations, where, namer = dict(given), [], {}, Namer(given, raw)
    for k, text in enumerate(raw):
        field = f"forward[{k + 1}]"                 # 1-based, as every list position a message names
        try:
            name, rhs = parse_equation(text, KNOWN)
        except SyntaxProblem as err:
            raise FieldError(field, str(err), text, "name = expression, as in 'q = x + y'") from None
        _new_name(name, field, given, where)
        _known(rhs, env, field)
        written = rhs
        rhs = _mode(rhs, training, field, text)
        parts, top = stages(rhs, namer)
        originals = {p.name: p.written for p in parts}
        for part in parts:
            what = f"{_short(source(part.written))} (in {name})"
            env[part.name] = _value(part.rhs, env, field, text, what, originals, stage=True)
            equations.append(Equation(k, part.name, text, part.rhs, tuple(names(part.rhs)), part.written, name))
        env[name], where[name] = _value(top, env, field, text, name, originals), k
        equations.append(Equation(k, name, text, top, tuple(names(top)), written if parts or rhs != written else None))
    return equations, env


def _mode(node: Node, training: bool, field: str, text: str) -> Node:
    """The right-hand side as the mode computes it: in training dropout needs its mask; in evaluation
    (training = false, PyTorch's model.eval()) dropout is the identity, and batchnorm would use running
    statistics a graph does not take."""
    if isinstance(node, Call):
        if node.func == "dropout" and training and len(node.args) == 2:
            raise FieldError(field, "in training, dropout needs its mask: dropout(x, mask, p), the mask of 0s and 1s"
                             " given (or training = false: dropout is then the identity)", text, "dropout(x, mask, p)")
        if node.func == "dropout" and not training:
            return _mode(node.args[0], training, field, text)
        if node.func == "batchnorm" and not training:
            raise FieldError(field, "batchnorm with training = false normalises with running statistics, which a graph"
                             " does not take (write the evaluation's affine map out, or leave training true)", text,
                             "batchnorm in training (the batch's own mean and variance)")
        return Call(node.func, tuple(_mode(a, training, field, text) for a in node.args), node.pos)
    if isinstance(node, Op):
        return Op(node.op, _mode(node.left, training, field, text), _mode(node.right, training, field, text), node.pos)
    if isinstance(node, Neg):
        return Neg(_mode(node.arg, training, field, text))
    if isinstance(node, Index):
        return Index(_mode(node.arg, training, field, text), node.index)
    return node


def _value(rhs: Node, env: dict, field: str, text: str, what: str, originals: dict, stage: bool = False) -> Val:
    """The value of a right-hand side (of an equation, or of one stage of it: ``what`` names it in messages,
    ``originals`` writes the stages inside it back as the spec writes them), every problem a FieldError naming
    the equation. A stage's value may be large (as inside an equation evaluated whole): what is bounded is
    the equation's."""
    try:
        value = settled(evaluate(rhs, env, bounded=True))
    except TooLarge as err:
        raise FieldError(field, f"the formula for {what} grows beyond {MAX_OPS} operations an entry "
                         f"({_short(source(written(err.node, originals)))} alone would hold {err})", text,
                         "a smaller symbolic graph") from None
    except ShapeProblem as err:
        raise FieldError(field, str(err), text, "values whose shapes fit") from None
    except Undefined as err:
        raise FieldError(field, str(err) if err.node is None else undefined_text(written(err.node, originals)), text,
                         "an equation defined at the given values") from None
    except TooExtreme as err:
        raise FieldError(field, str(err), text, "given values a few thousand digits can evaluate it at") from None
    except (ArithmeticError, TypeError, ValueError) as err:     # SymPy failing on the numbers themselves
        if originals and isinstance(err, OverflowError):       # a function of a stage's huge value
            raise FieldError(field, f"{_short(source(written(rhs, originals)))} is too large to evaluate", text,
                             "given values a few thousand digits can evaluate it at") from None
        raise FieldError(field, f"cannot be evaluated at the given values ({type(err).__name__}: "
                         f"{str(err)[:80]})", text, "an equation defined at the given values") from None
    _defined(value, what, field, text, sized=not stage)
    return value


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _new_name(name: str, field: str, given: dict, where: dict) -> None:
    _check_name(name, field)
    if name in given:
        raise FieldError(field, f"'{name}' is defined twice: it is given, and defined again here", name,
                         "a new name for each equation")
    if name in where:
        raise FieldError(field, f"'{name}' is defined twice: first in forward[{where[name] + 1}]", name,
                         "a new name for each equation")


def _known(node: Node, env: dict, field: str) -> None:
    for used in names(node):
        if used not in env:
            raise FieldError(field, f"the name '{used}' is not defined before it is used"
                             + did_you_mean(used, list(env)), used, "a given name or one defined above")
    for call in _calls(node):
        if call.func not in CALLABLE:
            raise FieldError(field, f"unknown function '{call.func}'" + did_you_mean(call.func, KNOWN), call.func,
                             "one of " + ", ".join(KNOWN))


def _calls(node: Node):
    if isinstance(node, Call):
        yield node
    for child in getattr(node, "args", ()) if isinstance(node, Call) else ():
        yield from _calls(child)
    for attr in ("left", "right", "arg"):
        if hasattr(node, attr):
            yield from _calls(getattr(node, attr))


MAX_MAGNITUDE = sympy.Integer(10) ** 100   # a value beyond 10^100 (or a fraction with such parts) is refused
MAX_OPS = 150                              # operations in the formula of one entry of a symbolic value
MAX_NESTED_EXP = 5                         # exponentials nested in such a formula (SymPy takes seconds to print
#                                            σ(σ(σ(σ(σ(σ(x)))))) written with them, three times as long a level more)


def _defined(value: Val, name: str, field: str, text: str, sized: bool = True) -> None:
    for e in value.entries:
        if sized and (e.is_Rational and (abs(e.p) > MAX_MAGNITUDE or e.q > MAX_MAGNITUDE) or
                      e.is_Float and abs(e) > MAX_MAGNITUDE):
            raise FieldError(field, f"the value of {name} is beyond 10^100 (or a fraction with such parts)", text,
                             "values of ordinary size")
        if not e.is_number and sympy.count_ops(e) > MAX_OPS:
            raise FieldError(field, f"the formula for {name} grows beyond {MAX_OPS} operations an entry", text,
                             "a smaller symbolic graph")
        if not e.is_number and function_depth(e, sympy.exp) > MAX_NESTED_EXP:
            raise FieldError(field, f"the formula for {name} nests more than {MAX_NESTED_EXP} exponentials", text,
                             "a symbolic graph nesting fewer exponentials (or numbers for its givens)")
        if e.has(*UNDEFINED) or (e.is_number and not e.is_extended_real):
            raise FieldError(field, f"the value of {name} is undefined or not real (a division by zero, or the log"
                             " or square root of a negative number)", text, "an equation defined at the given values")


CONSTANT_ARGS = {"dropout": (1, 2), "conv1d": (2, 3), "batchnorm": (3,), "layernorm": (3,), "softmax": (1,),
                 "log_softmax": (1,), "attention": (3,),
                 **{name: constant_places(name) for name in ELEMENTWISE if constant_places(name)}}


def _labels(equations: list[Equation], env: dict) -> set:
    """Names that are not differentiated (given, or defined by an equation): cross_entropy's class index, dropout's
    mask and p, conv1d's stride and padding, the eps of a normalisation."""
    out = set()
    for eq in equations:
        for call in _calls(eq.shown):
            places = CONSTANT_ARGS.get(call.func, ())
            if call.func == "cross_entropy" and len(call.args) == 2 and isinstance(call.args[1], Name) \
                    and call.args[1].name in env and env[call.args[1].name].shape == ():
                places = (1,)
            out |= {call.args[k].name for k in places if k < len(call.args) and isinstance(call.args[k], Name)
                    and call.args[k].name in env}
    return out


def _class_indices(equations: list[Equation], env: dict) -> set:
    """The names given to cross_entropy as a class index."""
    return {call.args[1].name for eq in equations for call in _calls(eq.rhs) if call.func == "cross_entropy"
            and len(call.args) == 2 and isinstance(call.args[1], Name) and env[call.args[1].name].shape == ()}


# --- of, wrt, upstream --------------------------------------------------------------------------

def _of(raw, equations: list[Equation], env: dict) -> str:
    if raw is None:
        return equations[-1].name
    defined = [eq.name for eq in equations if eq.stage_of is None]
    if not isinstance(raw, str) or raw not in defined:
        raise FieldError("of", "must name a value defined by an equation" + did_you_mean(str(raw), defined), raw,
                         "one of " + ", ".join(defined))
    return raw


def _wrt(raw, given: dict, env: dict, labels: set, of: str) -> tuple[str, ...]:
    if raw is None:
        return tuple(n for n in given if n not in labels)
    if isinstance(raw, str):
        raw = [raw]
    out = []
    for name in raw:
        if not isinstance(name, str) or name not in env:
            raise FieldError("wrt", "not a name of the graph" + did_you_mean(str(name), list(env)), name,
                             "a given name or one defined by an equation")
        if name in labels:
            raise FieldError("wrt", f"'{name}' is a class index: the loss has no gradient with respect to it", name,
                             "a name whose value varies continuously")
        if name == of or name in out:
            raise FieldError("wrt", f"'{name}' is " + ("the value differentiated" if name == of else "listed twice"),
                             name, "other names")
        out.append(name)
    return tuple(out)


def _upstream(raw, out: Val, needed: bool = True) -> Val:
    """The gradient flowing into 'of': given, 1 for a scalar, ones for the forward pass alone (which does not use
    it); refused when missing for a vector or matrix whose gradient is asked."""
    if raw is None:
        if out.shape != () and not needed:
            return out.map(lambda e: sympy.Integer(1))
        if out.shape != ():
            raise FieldError("upstream", f"'of' is {shape_text(out.shape)} {out.shape}, so the gradient flowing into"
                             " it must be given", None, f"'upstream' of shape {out.shape}, as in [1, 0, 0]")
        return make((), [sympy.Integer(1)])
    value = _numbers(raw, "upstream")
    if value.shape != out.shape:
        raise FieldError("upstream", f"must have the shape of 'of', {out.shape}, not {value.shape}", raw,
                         f"{shape_text(out.shape)}")
    return value

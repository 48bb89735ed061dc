"""The conditions of ``require`` (a ``[problem.vary]`` table's): comparisons, ``and``, ``or``, ``not`` over the
problem's values and its answers, read by a small recursive-descent parser of derive's own (nothing is ever
evaluated as code or handed to SymPy's string parsers) and evaluated with exact numbers.

Grammar:

    condition  := either ('or' either)*
    either     := negated ('and' negated)*
    negated    := 'not' negated | comparison
    comparison := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)*        # chained: a < b <= c
    sum        := product (('+' | '-') product)*
    product    := unary (('*' | '/') unary)*
    unary      := ('+' | '-') unary | power
    power      := postfix (('^' | '**') unary)?
    postfix    := atom ('.' name | '[' sum ']')*                             # [i] counted from 1
    atom       := number | string | 'true' | 'false' | name | name '(' arguments ')' | '(' condition ')'

A name is one of the problem's keys (``W_a``, ``layers``, ``input``), read as the kind reads it (defaults
filled in); the functions are ``answer("1a.ii")`` (that question's JSON answer value), ``abs``, ``min`` and
``max``. Numbers are exact (``0.1`` is 1/10); a JSON answer's ``"p/q"`` string is that rational.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sympy

MAX_LENGTH = 500
MAX_DEPTH = 40
MAX_BITS = 20_000               # an exact number a condition computes (6000 digits)
FUNCTIONS = ("answer", "abs", "min", "max")
COMPARE = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                    r"|(?P<str>\"[^\"\\]*\"|'[^'\\]*')|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>==|!=|<=|>=|\*\*|[<>+\-*/^().\[\],]))")
_RATIO = re.compile(r"\s*-?\d+\s*(/\s*\d+\s*)?")
_FLOAT = re.compile(r"\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


class ConditionError(ValueError):
    """A condition that does not read, or cannot be evaluated on a variant's values (its reason)."""


@dataclass(frozen=True)
class Node:
    op: str                      # num, str, bool, name, attr, index, call, neg, bin, cmp, not, and, or
    args: tuple = ()
    value: Any = None


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, at = [], 0
    while at < len(text):
        if not text[at:].strip():
            break
        m = _TOKEN.match(text, at)
        if m is None or m.end() == at:
            where = len(text) - len(text[at:].lstrip())
            raise ConditionError(f"cannot read {text[where:where + 10]!r} at character {where}")
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind)))
        at = m.end()
    return out


class _Parser:
    def __init__(self, text: str):
        if len(text) > MAX_LENGTH:
            raise ConditionError(f"longer than {MAX_LENGTH} characters")
        self.text, self.toks, self.at, self.depth = text, _tokens(text), 0, 0

    def peek(self) -> str | None:
        return self.toks[self.at][1] if self.at < len(self.toks) else None

    def take(self, *wanted: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok in wanted and self.toks[self.at][0] in ("op", "name"):
            self.at += 1
            return tok
        return None

    def expect(self, token: str) -> None:
        if self.take(token) is None:
            found = self.peek()
            raise ConditionError(f"expected '{token}'" + (f" before '{found}'" if found else " at the end"))

    def nested(self, read: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"nested more than {MAX_DEPTH} deep")
        try:
            return read()
        finally:
            self.depth -= 1

    def condition(self) -> Node:
        items = [self.either()]
        while self.take("or"):
            items.append(self.either())
        return items[0] if len(items) == 1 else Node("or", tuple(items))

    def either(self) -> Node:
        items = [self.negated()]
        while self.take("and"):
            items.append(self.negated())
        return items[0] if len(items) == 1 else Node("and", tuple(items))

    def negated(self) -> Node:
        if self.take("not"):
            return Node("not", (self.nested(self.negated),))
        return self.comparison()

    def comparison(self) -> Node:
        items, ops = [self.sum()], []
        while (op := self.take(*COMPARE)) is not None:
            ops.append(op)
            items.append(self.sum())
        return items[0] if not ops else Node("cmp", tuple(items), tuple(ops))

    def sum(self) -> Node:
        node = self.product()
        while (op := self.take("+", "-")) is not None:
            node = Node("bin", (node, self.product()), op)
        return node

    def product(self) -> Node:
        node = self.unary()
        while (op := self.take("*", "/")) is not None:
            node = Node("bin", (node, self.unary()), op)
        return node

    def unary(self) -> Node:
        if self.take("-"):
            return Node("neg", (self.nested(self.unary),))
        if self.take("+"):
            return self.nested(self.unary)
        node = self.postfix()
        if self.take("^", "**"):
            return Node("bin", (node, self.nested(self.unary)), "^")
        return node

    def postfix(self) -> Node:
        node = self.atom()
        while (op := self.take(".", "[")) is not None:
            if op == ".":
                kind, name, _ = self.toks[self.at] if self.at < len(self.toks) else (None, None, 0)
                if kind != "name":
                    raise ConditionError("expected a key's name after '.'")
                self.at += 1
                node = Node("attr", (node,), name)
            else:
                node = Node("index", (node, self.nested(self.sum)))
                self.expect("]")
        return node

    def atom(self) -> Node:
        if self.at >= len(self.toks):
            raise ConditionError("ends too early")
        kind, tok, _ = self.toks[self.at]
        self.at += 1
        if kind == "num":
            return Node("num", value=sympy.Rational(tok))
        if kind == "str":
            return Node("str", value=tok[1:-1])
        if kind == "name":
            return self.named(tok)
        if tok == "(":
            node = self.nested(self.condition)
            self.expect(")")
            return node
        raise ConditionError(f"unexpected '{tok}'")

    def named(self, name: str) -> Node:
        if name in ("true", "false"):
            return Node("bool", value=name == "true")
        if name in ("and", "or", "not"):
            raise ConditionError(f"unexpected '{name}'")
        if not self.take("("):
            return Node("name", value=name)
        if name not in FUNCTIONS:
            raise ConditionError(f"unknown function '{name}'; the functions are " + ", ".join(FUNCTIONS))
        args = [] if self.peek() == ")" else [self.nested(self.sum)]
        while self.take(","):
            args.append(self.nested(self.sum))
        self.expect(")")
        if name == "answer" and (len(args) != 1 or args[0].op != "str"):
            raise ConditionError('answer takes one question id in quotes: answer("1a.ii")')
        if name == "abs" and len(args) != 1 or not args:
            raise ConditionError(f"{name} takes {'one value' if name == 'abs' else 'one or more values'}")
        return Node("call", tuple(args), name)


def parse(text: str) -> Node:
    """A condition's tree; ConditionError when it does not read or is not a condition (a comparison, ``and``,
    ``or``, ``not``, true or false)."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("empty")
    parser = _Parser(text)
    node = parser.condition()
    if parser.at < len(parser.toks):
        raise ConditionError(f"unexpected '{parser.toks[parser.at][1]}' at character {parser.toks[parser.at][2]}")
    if node.op not in ("cmp", "not", "and", "or", "bool"):
        raise ConditionError("not a condition: compare values (==, !=, <, <=, >, >=), joined by and, or, not")
    return node


def walk(node: Node):
    yield node
    for arg in node.args:
        if isinstance(arg, Node):
            yield from walk(arg)


def names(node: Node) -> set[str]:
    """The problem's keys a condition reads."""
    return {n.value for n in walk(node) if n.op == "name"}


def answers(node: Node) -> set[str]:
    """The question ids whose answers a condition reads."""
    return {n.args[0].value for n in walk(node) if n.op == "call" and n.value == "answer"}


def scalar(value):
    """A value as conditions compare it: numbers exact where they are (an int, a "p/q" string), floats as
    SymPy floats, text as text, lists and tables as they are."""
    if isinstance(value, bool) or isinstance(value, (list, tuple, dict, sympy.Basic)):
        return value
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        return sympy.Float(value, 17)
    if isinstance(value, str) and _RATIO.fullmatch(value):
        return sympy.Rational(value.replace(" ", ""))
    if isinstance(value, str) and _FLOAT.fullmatch(value) and not value.strip().isdigit():
        return sympy.Float(value.strip(), 17)
    return value


def _number(value) -> bool:
    return isinstance(value, sympy.Expr) and value.is_number


def describe(value) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a table"
    return f"{value}"


def sign(value: sympy.Expr) -> int:
    """The sign of a number, exactly when it is rational (or provably zero), else by 50 digits."""
    if value.is_Rational or value.is_zero:
        return 0 if value.is_zero else (1 if value > 0 else -1)
    approx = value.evalf(50)
    if not approx.is_real or not approx.is_finite:
        raise ConditionError(f"{value} is not a real number")
    return 0 if approx == 0 else (1 if approx > 0 else -1)


def _compare(op: str, a, b) -> bool:
    if _number(a) and _number(b):
        s = sign(a - b)
        return {"==": s == 0, "!=": s != 0, "<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0}[op]
    if op in ("==", "!="):
        same = type(a) is type(b) and a == b
        return same if op == "==" else not same
    raise ConditionError(f"cannot compare {describe(a)} with {describe(b)} by '{op}'")


def _arith(op: str, a, b):
    if not (_number(a) and _number(b)):
        raise ConditionError(f"cannot compute with {describe(a if not _number(a) else b)} ('{op}')")
    if op == "/" and sign(b) == 0:
        raise ConditionError("a division by zero")
    if op == "^" and (abs(b) > 100 or not b.is_Rational or _bits(a) * abs(b) > MAX_BITS):
        raise ConditionError("a power too large (an exponent of at most 100, and a result of ordinary size)")
    result = {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a ** b}[op]
    if _bits(result) > MAX_BITS:
        raise ConditionError("a number too large to compare")
    return result


def _bits(value) -> int:
    """The size of an exact number (its numerator's or denominator's bits); 0 for others."""
    if isinstance(value, sympy.Rational):
        return max(abs(int(value.p)).bit_length(), int(value.q).bit_length())
    return 0


def _index(container, position):
    if not isinstance(container, (list, tuple)):
        raise ConditionError(f"[{position}] of {describe(container)}: only a list has entries")
    if not (_number(position) and position.is_Integer and 1 <= position <= len(container)):
        raise ConditionError(f"[{position}] of a list of {len(container)}: entries are counted from 1 to "
                             f"{len(container)}")
    return container[int(position) - 1]


def _attr(table, name: str):
    if not isinstance(table, Mapping):
        raise ConditionError(f".{name} of {describe(table)}: only a table has keys")
    if name not in table:
        raise ConditionError(f"no key '{name}' (its keys: {', '.join(map(str, table))})")
    return table[name]


def _truth(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, sympy.logic.boolalg.BooleanAtom):
        return bool(value)
    raise ConditionError(f"{describe(value)} is not true or false (compare it)")


def _call(node: Node, values: Mapping, answer: Callable[[str], Any]):
    if node.value == "answer":
        return scalar(answer(node.args[0].value))
    args = [evaluate(a, values, answer) for a in node.args]
    if not all(_number(a) for a in args):
        raise ConditionError(f"{node.value} takes numbers")
    if node.value == "abs":
        return abs(args[0])
    pick = max if node.value == "max" else min
    return pick(args, key=lambda a: a.evalf(50))


def evaluate(node: Node, values: Mapping, answer: Callable[[str], Any]):
    """A node's value on a variant: ``values`` the problem's keys by name, ``answer(id)`` a question's JSON
    answer value. ConditionError says what cannot be evaluated."""
    op = node.op
    if op in ("num", "str", "bool"):
        return node.value
    if op == "name":
        if node.value not in values:
            raise ConditionError(f"the problem has no value '{node.value}'")
        return scalar(values[node.value])
    if op == "attr":
        return scalar(_attr(evaluate(node.args[0], values, answer), node.value))
    if op == "index":
        container, position = (evaluate(a, values, answer) for a in node.args)
        return scalar(_index(container, position))
    if op == "call":
        return _call(node, values, answer)
    if op == "neg":
        return _arith("-", sympy.Integer(0), evaluate(node.args[0], values, answer))
    if op == "bin":
        return _arith(node.value, *(evaluate(a, values, answer) for a in node.args))
    if op == "not":
        return not _truth(evaluate(node.args[0], values, answer))
    if op in ("and", "or"):
        want = op == "or"
        for arg in node.args:
            if _truth(evaluate(arg, values, answer)) == want:
                return want
        return not want
    items = [evaluate(a, values, answer) for a in node.args]
    return all(_compare(o, a, b) for o, a, b in zip(node.value, items, items[1:]))


def holds(node: Node, values: Mapping, answer: Callable[[str], Any]) -> bool:
    """Whether a condition holds on a variant."""
    return _truth(evaluate(node, values, answer))

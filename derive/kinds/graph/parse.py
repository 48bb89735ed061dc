"""The equation language of the graph kind, read by a small recursive-descent parser (never eval).

    equation := name '=' expr
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/' | '@') unary)*
    unary    := ('+' | '-')* power                       # signs in a row are one sign: - - x is x
    power    := postfix (('^' | '**') unary)?          # right-associative; binds tighter than unary '-'
    postfix  := atom ('[' integer ']')*                 # 0-based indexing, as in PyTorch
    atom     := number | name | name '(' args ')' | '(' expr ')' | latex
    latex    := '\\frac' group group | '\\sqrt' group | '\\sigma' | '\\tanh' | '\\exp' | '\\log' | '\\ln'
                (a LaTeX function applies to a bracketed group)

The result is a tree of small frozen nodes (Num, Name, Call, Op, Neg, Index); numbers are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple, Union

import sympy

MAX_LENGTH = 500            # characters of one equation
MAX_DEPTH = 30              # brackets and calls nested

_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<cmd>\\[A-Za-z]+|\\[,;! ])|(?P<op>\*\*|[-+*/^@()\[\]{},=])|(?P<other>.)", re.S)
_LATEX = {"sigma": "sigmoid", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt",
          "frac": None, "cdot": None, "times": None, "left": None, "right": None}


class SyntaxProblem(ValueError):
    """An equation not understood: the reason and the character where it was found."""

    def __init__(self, text: str, position: int | None, reason: str):
        where = "" if position is None else f" at character {position}"
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"cannot read '{shown}'{where}: {reason}")


@dataclass(frozen=True)
class Num:
    value: sympy.Rational


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


@dataclass(frozen=True)
class Op:
    op: str                  # + - * / ^ @
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Neg:
    arg: "Node"


@dataclass(frozen=True)
class Index:
    arg: "Node"
    index: int


Node = Union[Num, Name, Call, Op, Neg, Index]


class Tok(NamedTuple):
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    toks = []
    for m in _TOKEN.finditer(text):
        kind, s, pos = m.lastgroup, m.group(), m.start()
        if kind == "space":
            continue
        if kind == "other":
            raise SyntaxProblem(text, pos, f"character '{s}' is not allowed")
        if kind == "cmd":
            word = s[1:]
            if word in {",", ";", "!", " ", "left", "right"}:
                continue
            if word not in _LATEX:
                raise SyntaxProblem(text, pos, f"unknown command '{s}'; known: "
                                    + ", ".join("\\" + w for w in sorted(_LATEX) if w not in ("left", "right")))
            if word in ("cdot", "times"):
                toks.append(Tok("op", "*", pos))
                continue
        toks.append(Tok("op" if kind == "op" else kind, s, pos))
    toks.append(Tok("end", "", len(text)))
    return toks


def number(s: str) -> sympy.Rational:
    """The exact value of a decimal literal such as '3.25' or '1e-5' (no float involved)."""
    mantissa, _, exponent = s.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    value = sympy.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))
    return value * sympy.Rational(10) ** int(exponent or "0")


class _Parser:
    def __init__(self, text: str):
        self.text, self.toks, self.i = text, tokenize(text), 0
        self.depth = -1                 # the right-hand side itself is not nested: each bracket or call adds one

    def peek(self) -> Tok:
        return self.toks[self.i]

    def at(self, *ops: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text in ops

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += tok.kind != "end"
        return tok

    def fail(self, reason: str, tok: Tok | None = None):
        raise SyntaxProblem(self.text, (tok or self.peek()).pos, reason)

    def expect(self, op: str, what: str) -> Tok:
        if not self.at(op):
            tok = self.peek()
            self.fail(f"expected '{op}' {what}, found " + ("the end" if tok.kind == "end" else f"'{tok.text}'"))
        return self.take()

    def equation(self) -> tuple[str, Node]:
        tok = self.peek()
        if tok.kind != "name":
            self.fail("an equation starts with the name it defines, as in 'q = x + y'")
        self.take()
        self.expect("=", f"after '{tok.text}'")
        rhs = self.expr()
        if self.peek().kind != "end":
            self.fail(f"unexpected '{self.peek().text}' after a complete expression")
        return tok.text, rhs

    def expr(self) -> Node:
        self.deeper()
        node = self.term()
        while self.at("+", "-"):
            op = self.take().text
            node = Op(op, node, self.term())
        self.depth -= 1
        return node

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nested too deeply (at most {MAX_DEPTH} levels)")

    def term(self) -> Node:
        node = self.unary()
        while self.at("*", "/", "@"):
            op = self.take().text
            node = Op(op, node, self.unary())
        return node

    def unary(self) -> Node:
        """Signs in a row are one sign (- - x is x, - - - x is -x): a row of 400 would nest 400 deep."""
        negative = False
        while self.at("-", "+"):
            negative ^= self.take().text == "-"
        inner = self.power()
        if not negative:
            return inner
        return Num(-inner.value) if isinstance(inner, Num) else Neg(inner)

    def power(self) -> Node:
        """x ^ y; a tower x ^ y ^ z nests one level an exponent."""
        base = self.postfix()
        if self.at("^", "**"):
            self.take()
            self.deeper()
            exponent = self.group() if self.at("{") else self.unary()
            self.depth -= 1
            return Op("^", base, exponent)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while self.at("["):
            self.take()
            tok = self.peek()
            sign = -1 if self.at("-") else 1
            if sign < 0:
                self.take()
                tok = self.peek()
            if tok.kind != "num" or not tok.text.isdigit():
                self.fail("an index is a whole number, as in p[2] (0-based)")
            self.take()
            self.expect("]", "to close the index")
            node = Index(node, sign * int(tok.text))
        return node

    def atom(self) -> Node:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return Num(number(tok.text))
        if tok.kind == "name":
            self.take()
            return Call(tok.text, self.args()) if self.at("(") else Name(tok.text)
        if tok.kind == "cmd":
            return self.latex()
        if self.at("(", "{"):
            return self.group()
        self.fail("expected a number, a name, a function call or a bracket, found "
                  + ("the end" if tok.kind == "end" else f"'{tok.text}'"))

    def group(self) -> Node:
        opener = self.take()
        node = self.expr()
        self.expect({"(": ")", "{": "}"}[opener.text], f"to close the '{opener.text}' at character {opener.pos}")
        return node

    def args(self) -> tuple:
        self.take()
        out = []
        if not self.at(")"):
            out.append(self.expr())
            while self.at(","):
                self.take()
                out.append(self.expr())
        self.expect(")", "to close the function's arguments")
        return tuple(out)

    def latex(self) -> Node:
        tok = self.take()
        word = tok.text[1:]
        if word == "frac":
            if not self.at("{"):
                self.fail("\\frac takes two braced groups, as in \\frac{a}{b}")
            top = self.group()
            if not self.at("{"):
                self.fail("\\frac takes two braced groups, as in \\frac{a}{b}")
            return Op("/", top, self.group())
        if not self.at("(", "{"):
            self.fail(f"'{tok.text}' applies to a bracketed group, as in {tok.text}(x)")
        return Call(_LATEX[word], (self.group(),))


def parse_equation(text: str) -> tuple[str, Node]:
    """(name, right-hand side) of 'name = expression'; SyntaxProblem when it cannot be read."""
    if not isinstance(text, str):
        raise SyntaxProblem(str(text), None, "an equation is a string such as 'q = x + y'")
    if len(text) > MAX_LENGTH:
        raise SyntaxProblem(text, None, f"longer than {MAX_LENGTH} characters")
    try:
        return _Parser(text).equation()
    except RecursionError:
        raise SyntaxProblem(text, None, "nested too deeply") from None


def names(node: Node) -> list[str]:
    """The names a right-hand side uses, in order of first use."""
    out: list[str] = []

    def walk(n):
        if isinstance(n, Name):
            if n.name not in out:
                out.append(n.name)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)
        elif isinstance(n, Op):
            walk(n.left), walk(n.right)
        elif isinstance(n, (Neg, Index)):
            walk(n.arg)
    walk(node)
    return out

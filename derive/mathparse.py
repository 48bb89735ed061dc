"""Safe parser turning an activation formula (a name, or LaTeX in z) into a SymPy expression.

No text is ever executed or handed to SymPy's string parsers: a small tokenizer and a
recursive-descent parser build SymPy objects directly, and anything outside the grammar
raises MathSyntaxError.

Grammar (LaTeX conventions; an unbraced macro argument or superscript is one character/token):

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '\\cdot' | '\\times' | '/') unary | power)*     # juxtaposition multiplies
    unary  := ('+' | '-')* power
    power  := atom ('^' script)?                                          # binds tighter than unary '-'
    script := ('+' | '-')* (braced group | single-token power)             # right-associative
    atom   := number | 'z' | 'e' | '(' expr ')' | '[' expr ']' | '{' expr '}' | command
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Callable, Iterator, NamedTuple

import sympy

Z = sympy.Symbol("z", real=True)
MAX_LENGTH = 500               # characters of a formula
MAX_DEPTH = 40                 # brackets, fractions and scripts nested
MAX_NUMBER_BITS = 10_000       # an exact number computed while reading (2^10000 has 3011 digits)
MAX_EXPONENT = 100             # |n| in x^n: a degree or a power beyond it blows up every later step
MAX_TOWER = 2                  # exponentials stacked: e^{e^z} is allowed, e^{e^{e^z}} is not


def _sigmoid(arg: sympy.Expr) -> sympy.Expr:
    """Logistic sigmoid 1/(1+exp(-arg))."""
    return sympy.Pow(sympy.Add(sympy.Integer(1), sympy.exp(-arg)), -1)


NAMED: dict[str, sympy.Expr] = {
    "sigmoid": _sigmoid(Z),
    "tanh": sympy.tanh(Z),
    "relu": sympy.Max(sympy.Integer(0), Z),
    "identity": Z,
    "linear": Z,
    "softplus": sympy.log(sympy.Add(sympy.Integer(1), sympy.exp(Z))),
    "leaky_relu": sympy.Max(Z, sympy.Mul(sympy.Rational(1, 100), Z)),
    "exp": sympy.exp(Z),
}
_NAMED_BY_SQUASHED = {key.replace("_", ""): key for key in NAMED}

_FUNCS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "exp": sympy.exp, "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "ln": sympy.log, "log": sympy.log, "sigma": _sigmoid,
}
_MINMAX = {"max": sympy.Max, "min": sympy.Min}
_FRACS = {"frac", "dfrac", "tfrac"}
_NAMERS = {"operatorname", "mathrm", "text"}
_SIZES = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr",
          "bigg", "Bigg", "biggl", "biggr", "Biggl", "Biggr"}
_SPACES = {"quad", "qquad"}
_SUPPORTED = sorted(set(_FUNCS) | set(_MINMAX) | _FRACS | _NAMERS | {"sqrt", "cdot", "times"})
_KNOWN = set(_SUPPORTED) | _SIZES | _SPACES
_OPEN = {"(": ")", "[": "]", "{": "}"}
_ATOM_START = {"num", "name", "cmd", *_OPEN}
_TOKEN = re.compile(
    r"(?P<space>\s+|~)|(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z]+|_[A-Za-z_]*)"
    r"|(?P<cmd>\\(?:[A-Za-z]+|[^A-Za-z]?))|(?P<other>.)",
    re.S,
)


class MathSyntaxError(ValueError):
    """Formula not understood; carries text, position (0-based or None) and reason."""

    def __init__(self, text: str, position: int | None, reason: str):
        self.text, self.position, self.reason = text, position, reason
        shown = text if len(text) <= 80 else text[:77] + "..."
        where = "" if position is None else f" at character {position}"
        super().__init__(f"cannot read '{shown}'{where}: {reason}")


class Tok(NamedTuple):
    """One token: kind is 'num', 'name', 'cmd', 'end' or the operator/bracket character."""

    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    """Split text into tokens, dropping spacing and \\left/\\right-style size commands."""
    toks: list[Tok] = []
    after_size = False
    for m in _TOKEN.finditer(text):
        kind, s, pos = m.lastgroup, m.group(), m.start()
        if kind == "other" and s == "." and after_size:  # \left. and \right.
            after_size = False
            continue
        after_size = kind == "cmd" and s[1:] in _SIZES
        if kind == "num":
            toks.append(Tok("num", s, pos))
        elif kind == "name" and re.fullmatch(r"[ze]+", s):  # "ze" is z*e, as in LaTeX
            toks.extend(Tok("name", c, pos + k) for k, c in enumerate(s))
        elif kind == "name":
            toks.append(Tok("name", s, pos))
        elif kind == "cmd":
            toks.extend(_command(text, s, pos))
        elif kind != "space":
            toks.append(_operator(text, s, pos))
    toks.append(Tok("end", "", len(text)))
    return toks


def _command(text: str, s: str, pos: int) -> list[Tok]:
    """The tokens of one backslash command: none for sizes and spacing, an operator, or a known command."""
    name = s[1:]
    if name in _SIZES or name in _SPACES or name in {",", ";", ":", "!"} or name.isspace():
        return []
    if name in {"cdot", "times"}:
        return [Tok("*", s, pos)]
    if name in {"{", "}"}:
        return [Tok(name, s, pos)]
    if name == "_":
        return [Tok("name", "_", pos)]
    if name in _KNOWN:
        return [Tok("cmd", s, pos)]
    if not name:
        raise MathSyntaxError(text, pos, "lone '\\' at the end of the formula")
    listed = ", ".join("\\" + c for c in _SUPPORTED)
    raise MathSyntaxError(text, pos, f"unknown command '{s}'; supported commands: "
                                     f"{listed} (plus \\left, \\right and spacing)")


def _operator(text: str, s: str, pos: int) -> Tok:
    if s in "+-*/^,()[]{}":
        return Tok(s, s, pos)
    raise MathSyntaxError(text, pos, f"character '{s}' is not allowed")


def _describe(tok: Tok) -> str:
    """Human-readable name of a token for error messages."""
    return "end of formula" if tok.kind == "end" else f"'{tok.text}'"


def _number(s: str) -> sympy.Rational:
    """Exact value of a decimal literal such as '3.25' (no float involved)."""
    whole, _, frac = s.partition(".")
    return sympy.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))


class _Parser:
    """Recursive-descent parser over the token list, one method per grammar level."""

    def __init__(self, text: str):
        self.text, self.toks, self.i, self.depth = text, tokenize(text), 0, 0

    def peek(self) -> Tok:
        """Current token."""
        return self.toks[self.i]

    def take(self) -> Tok:
        """Consume and return the current token."""
        tok = self.toks[self.i]
        self.i += tok.kind != "end"
        return tok

    def fail(self, reason: str, tok: Tok | None = None):
        """Raise MathSyntaxError at tok (default: the current token)."""
        raise MathSyntaxError(self.text, (tok or self.peek()).pos, reason)

    @contextmanager
    def nested(self) -> Iterator[None]:
        """Track recursion depth so deep nesting gives a clean error."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self.fail(f"formula is nested too deeply (limit {MAX_DEPTH} levels)")
            yield
        finally:
            self.depth -= 1

    def parse(self) -> sympy.Expr:
        """Whole formula: an expression followed by end of input."""
        value = self.expr()
        tok = self.peek()
        if tok.kind in {")", "]", "}"}:
            self.fail(f"unexpected '{tok.text}' without a matching opening bracket")
        if tok.kind != "end":
            self.fail(f"unexpected {_describe(tok)} after a complete expression")
        return value

    def expr(self) -> sympy.Expr:
        """Sum/difference of terms."""
        terms = [self.term()]
        while self.peek().kind in {"+", "-"}:
            op = self.take().kind
            term = self.term()
            terms.append(term if op == "+" else -term)
        return sympy.Add(*terms)

    def term(self) -> sympy.Expr:
        """Product/quotient of factors, including implicit multiplication."""
        factors = [self.unary()]
        while True:
            kind = self.peek().kind
            if kind == "*":
                self.take()
                factors.append(self.unary())
            elif kind == "/":
                self.take()
                factors.append(sympy.Pow(self.unary(), -1))
            elif kind in _ATOM_START:
                factors.append(self.power())
            else:
                return sympy.Mul(*factors)

    def unary(self) -> sympy.Expr:
        """Leading signs, then a power (so -z^2 is -(z^2))."""
        negative = False
        while self.peek().kind in {"+", "-"}:
            negative ^= self.take().kind == "-"
        value = self.power()
        return -value if negative else value

    def power(self, single: bool = False) -> sympy.Expr:
        """Atom with an optional superscript."""
        base = self.atom(single)
        if self.peek().kind != "^":
            return base
        caret = self.take()
        return self.pow(base, self.script(), caret)

    def script(self) -> sympy.Expr:
        """Superscript: signs, then a braced group or a single token (right-associative)."""
        with self.nested():
            negative = False
            while self.peek().kind in {"+", "-"}:
                negative ^= self.take().kind == "-"
            value = self.power(single=True)
            return -value if negative else value

    def pow(self, base: sympy.Expr, exponent: sympy.Expr, tok: Tok) -> sympy.Expr:
        """Build base**exponent, refusing to compute absurdly large exact numbers and absurd degrees."""
        if exponent.is_number and exponent.is_real and abs(exponent) > MAX_EXPONENT and base not in (0, 1, -1):
            self.fail(f"the exponent {exponent} is too large (at most {MAX_EXPONENT} in size)", tok)
        if base.is_Rational and exponent.is_Rational and abs(base) not in (0, 1):
            bits = (abs(base.p).bit_length() + base.q.bit_length()) * abs(exponent)
            if bits > MAX_NUMBER_BITS:
                self.fail("number is too large (exponent too big)", tok)
        return sympy.Pow(base, exponent)

    def atom(self, single: bool = False) -> sympy.Expr:
        """Number, z, e, bracketed group or command; `single` takes one digit (LaTeX args)."""
        with self.nested():
            tok = self.peek()
            if tok.kind == "num":
                return self.number(single)
            if tok.kind == "name":
                return self.name()
            if tok.kind in _OPEN:
                return self.group()
            if tok.kind == "cmd":
                return self.command()
            self.fail(f"expected a number, z, a bracket or a command, found {_describe(tok)}")

    def number(self, single: bool) -> sympy.Expr:
        """Exact number; in a single-token argument only the first digit (\\frac12 = 1/2)."""
        tok = self.take()
        if single and len(tok.text) > 1:
            if not tok.text[0].isdigit():
                self.fail(f"put '{tok.text}' in braces {{...}}", tok)
            self.i -= 1
            self.toks[self.i] = Tok("num", tok.text[1:], tok.pos + 1)
            return sympy.Integer(int(tok.text[0]))
        return _number(tok.text)

    def name(self) -> sympy.Expr:
        """The variable z or Euler's number e; any other identifier is an error."""
        tok = self.take()
        if tok.text == "z":
            return Z
        if tok.text == "e":
            return sympy.E
        if tok.text == "_":
            self.fail("subscripts ('_') are not supported", tok)
        hint = f" (did you mean '\\{tok.text}'?)" if tok.text in _KNOWN else ""
        self.fail(f"unknown name '{tok.text}': only the variable z is allowed "
                  f"(and e for Euler's number){hint}", tok)

    def group(self) -> sympy.Expr:
        """Bracketed expression: ( ), [ ] or { }."""
        opener = self.take()
        value = self.expr()
        self.close(opener)
        return value

    def close(self, opener: Tok) -> None:
        """Consume the bracket matching opener or fail."""
        want, tok = _OPEN[opener.kind], self.peek()
        if tok.kind != want:
            self.fail(f"expected '{want}' to close '{opener.text}' opened at character "
                      f"{opener.pos}, found {_describe(tok)}")
        self.take()

    def arg(self) -> sympy.Expr:
        """Macro argument: braced group or single token, e.g. \\frac{1}{2} or \\frac12."""
        return self.group() if self.peek().kind == "{" else self.atom(single=True)

    def command(self) -> sympy.Expr:
        """Backslash command: fractions, roots, max/min, functions, \\operatorname{...}."""
        tok = self.take()
        name = tok.text[1:]
        if name in _FRACS:
            numerator = self.arg()
            return sympy.Mul(numerator, sympy.Pow(self.arg(), -1))
        if name == "sqrt":
            index = None
            if self.peek().kind == "[":
                opener = self.take()
                index = self.expr()
                self.close(opener)
            radicand = self.arg()
            exponent = sympy.Rational(1, 2) if index is None else sympy.Pow(index, -1)
            return self.pow(radicand, exponent, tok)
        if name in _MINMAX:
            return self.minmax(tok)
        if name in _FUNCS:
            return self.apply(_FUNCS[name], tok)
        if name in _NAMERS:
            word = self.word(tok)
            if word in {"e", "z"}:
                return sympy.E if word == "e" else Z
            key = _NAMED_BY_SQUASHED.get(word.replace("_", ""))
            if key is None:
                self.fail(f"unknown function '{word}' in '{tok.text}'; known: {', '.join(NAMED)}", tok)
            return self.apply(lambda a, f=NAMED[key]: f.xreplace({Z: a}), tok)
        self.fail(f"'{tok.text}' cannot start a term", tok)

    def minmax(self, tok: Tok) -> sympy.Expr:
        """\\max(a, b, ...) or \\min(a, b, ...) with at least two arguments."""
        opener = self.peek()
        if opener.kind not in _OPEN:
            self.fail(f"expected '(' after '{tok.text}', found {_describe(opener)}")
        self.take()
        args = [self.expr()]
        while self.peek().kind == ",":
            self.take()
            args.append(self.expr())
        self.close(opener)
        if len(args) < 2:
            self.fail(f"'{tok.text}' needs at least two arguments separated by ','", tok)
        return _MINMAX[tok.text[1:]](*args)

    def word(self, tok: Tok) -> str:
        """Braced plain name after \\operatorname/\\mathrm/\\text, normalised to lower_case."""
        opener = self.peek()
        if opener.kind != "{":
            self.fail(f"expected '{{' after '{tok.text}', found {_describe(opener)}")
        self.take()
        parts = []
        while self.peek().kind in {"name", "-"}:
            parts.append(self.take().text)
        self.close(opener)
        if not parts:
            self.fail(f"empty name in '{tok.text}'", tok)
        return "".join(parts).lower().replace("-", "_")

    def apply(self, fn: Callable[[sympy.Expr], sympy.Expr], tok: Tok) -> sympy.Expr:
        """Function with optional power (\\tanh^2(z)); argument is a bracket group or next factor."""
        exponent = None
        if self.peek().kind == "^":
            caret = self.take()
            exponent = self.script()
            if exponent == -1:
                self.fail(f"inverse functions like '{tok.text}^{{-1}}' are not supported", caret)
        value = fn(self.group() if self.peek().kind in _OPEN else self.unary())
        return value if exponent is None else self.pow(value, exponent, tok)


def parse_activation(text: str) -> sympy.Expr:
    """Return the expression in Z for an activation name (see NAMED) or a LaTeX formula in z."""
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise MathSyntaxError(text, None, f"formula is too long ({len(text)} characters; limit {MAX_LENGTH})")
    stripped = text.strip()
    key = re.sub(r"[-\s]+", "_", stripped.lower())
    if key in NAMED:
        return NAMED[key]
    if not stripped:
        raise MathSyntaxError(text, None, "empty formula")
    try:
        result = _Parser(text).parse()
    except RecursionError:
        raise MathSyntaxError(text, None, "formula is nested too deeply") from None
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise MathSyntaxError(text, None, "formula is undefined (e.g. division by zero)")
    if result.has(sympy.I):
        raise MathSyntaxError(text, None, "the formula has complex values (such as \\ln(-1) or \\sqrt{-1}); an"
                                          " activation is real")
    if tower(result) > MAX_TOWER:
        raise MathSyntaxError(text, None, f"exponentials are stacked {tower(result)} high (at most {MAX_TOWER},"
                                          " as in e^{e^{z}}): the values would overflow any computation")
    return result


def tower(expr: sympy.Expr) -> int:
    """How many exponentials are stacked in expr: exp(z) and 2^z are 1, e^{e^z} and z^z ... are 2, ...
    (a power whose exponent depends on z counts, with what its exponent stacks)."""
    if not expr.args or not expr.has(Z):
        return 0
    inner = max(tower(a) for a in expr.args)
    if isinstance(expr, sympy.exp):
        return 1 + tower(expr.args[0])
    if isinstance(expr, sympy.Pow) and expr.exp.has(Z):
        return 1 + max(tower(expr.exp), tower(expr.base))
    return inner


def parse_constant(text: str) -> sympy.Expr:
    """An exact real number written in LaTeX: '\\ln 2', '\\sqrt{2}', '\\frac{1}{3}', 'e^{-1}' (no z)."""
    if len(text) > MAX_LENGTH:
        raise MathSyntaxError(text, None, f"formula is too long ({len(text)} characters; limit {MAX_LENGTH})")
    if not text.strip():
        raise MathSyntaxError(text, None, "empty formula")
    try:
        result = _Parser(text).parse()
    except RecursionError:
        raise MathSyntaxError(text, None, "formula is nested too deeply") from None
    if result.has(Z):
        raise MathSyntaxError(text, None, "a number cannot depend on z")
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I) or not result.is_real:
        raise MathSyntaxError(text, None, "not a finite real number")
    return result

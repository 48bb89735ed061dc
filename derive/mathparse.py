"""derive's one formula language, read wherever a formula is: a graph's equations, an optimizer's loss, an
activation (a name, or LaTeX in z). No text is ever executed or handed to SymPy's string parsers: a small
tokenizer and a recursive-descent parser build a tree of frozen nodes (Num, Name, Call, Op, Neg, Index), and a
formula of one variable is then made into SymPy by ``to_sympy``; anything outside the grammar raises
MathSyntaxError.

Grammar (LaTeX conventions; the functions are derive.functions' and max, min, pow):

    equation := name '=' expr                                        # a graph's equation
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '\\cdot' | '\\times' | '/' | '@') unary | power)*   # juxtaposition multiplies
    unary    := ('+' | '-')* power                                    # - - x is x
    power    := postfix (('^' | '**') script)?                        # binds tighter than unary '-'
    script   := ('+' | '-')* power | '\\top'                          # right-associative; V^\\top is Vᵀ
    postfix  := atom ('[' integer ']')*                               # 0-based indexing, as in PyTorch
    atom     := number | name | name '(' args ')' | '(' expr ')' | '[' expr ']' | '{' expr '}' | command
    command  := '\\frac' arg arg | '\\sqrt' ('[' expr ']')? arg | '\\max' '(' args ')' | '\\sin' ... (function)
                | '\\operatorname{' name '}' (function)

A ``Dialect`` says what differs where a formula is read: an activation or a loss is a formula of a letter (z;
w, w1, ...), juxtaposition multiplies and an unbraced LaTeX argument is one token (\\frac12 is 1/2); a graph's
equations name values with identifiers (W1, x_in), multiply with '*' and '@', index with p[2] and write 1e-5.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, NamedTuple, Union

import sympy

from .functions import ELEMENTWISE, GELU_APPROXIMATIONS, HIDDEN
from .symbols import as_written

Z = sympy.Symbol("z", real=True)
MAX_LENGTH = 500               # characters of a formula
MAX_DEPTH = 40                 # brackets, arguments and scripts nested
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
ACTIVATION_NAMES = ("gelu", "silu", "elu", "hardtanh", "log_sigmoid", "sin", "cos")   # bare names beside NAMED


# --- the tree ----------------------------------------------------------------------------------------------

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
    pos: int | None = field(default=None, compare=False)     # where it is written (for messages)


@dataclass(frozen=True)
class Op:
    op: str                  # + - * / ^ @
    left: "Node"
    right: "Node"
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Neg:
    arg: "Node"


@dataclass(frozen=True)
class Index:
    arg: "Node"
    index: int


Node = Union[Num, Name, Call, Op, Neg, Index]


@dataclass(frozen=True)
class _Str:
    """A quoted option, as in gelu(x, "tanh"): only ever a function's argument, gone once the call is read."""

    text: str
    pos: int


# --- dialects and tokens --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dialect:
    """What differs between the places a formula is read (see the module's docstring)."""

    identifiers: bool = False     # names are identifiers (W1, x_in); else letter runs (ze is z e, w1 is w 1)
    implicit: bool = True         # juxtaposition multiplies: 2z, z(1 + z)
    single: bool = True           # an unbraced LaTeX argument or exponent is one token, a number one digit
    indexing: bool = False        # p[2]: 0-based indexing ('[' is not a bracket)
    matrices: bool = False        # '@', the matrix product
    equation: bool = False        # name = expression
    max_depth: int = MAX_DEPTH
    noun: str = "formula"


SCALAR = Dialect()
EQUATIONS = Dialect(identifiers=True, implicit=False, single=False, indexing=True, matrices=True, equation=True,
                    max_depth=30, noun="equation")

_FRACS = {"frac", "dfrac", "tfrac"}
_NAMERS = {"operatorname", "mathrm", "text"}
_LATEX_FUNCTIONS = {"exp": "exp", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "sin": "sin", "cos": "cos",
                    "ln": "log", "log": "log", "sigma": "sigmoid"}
_MINMAX = {"max", "min"}
_SIZES = {"left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr",
          "bigg", "Bigg", "biggl", "biggr", "Biggl", "Biggr"}
_SPACES = {"quad", "qquad"}
_SUPPORTED = sorted(set(_LATEX_FUNCTIONS) | _MINMAX | _FRACS | _NAMERS | {"sqrt", "cdot", "times", "top"})
_KNOWN = set(_SUPPORTED) | _SIZES | _SPACES
_OPEN = {"(": ")", "[": "]", "{": "}"}
_ATOM_START = {"num", "name", "cmd", *_OPEN}


def _pattern(d: Dialect) -> re.Pattern:
    number = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"     # 2.5e-3 is 0.0025, as in Python; 2e is 2*e
    name = r"[A-Za-z_][A-Za-z0-9_]*" if d.identifiers else r"[A-Za-z]+(?:_[A-Za-z]+)+(?=\s*\()|[A-Za-z]+|_[A-Za-z_]*"
    return re.compile(rf"(?P<space>\s+|~)|(?P<num>{number})|(?P<name>{name})|(?P<cmd>\\(?:[A-Za-z]+|[^A-Za-z]?))"
                      r"|(?P<str>\"[^\"\n]{0,40}\"|'[^'\n]{0,40}')|(?P<pow>\*\*)|(?P<other>.)", re.S)


_PATTERNS = {d: _pattern(d) for d in (SCALAR, EQUATIONS)}


class MathSyntaxError(ValueError):
    """Formula not understood; carries text, position (0-based or None) and reason."""

    def __init__(self, text: str, position: int | None, reason: str):
        self.text, self.position, self.reason = text, position, reason
        shown = text if len(text) <= 80 else text[:77] + "..."
        where = "" if position is None else f" at character {position}"
        super().__init__(f"cannot read '{shown}'{where}: {reason}")


class Tok(NamedTuple):
    """One token: kind is 'num', 'name', 'cmd', 'str', 'end' or the operator/bracket character."""

    kind: str
    text: str
    pos: int


def tokenize(text: str, dialect: Dialect = SCALAR) -> list[Tok]:
    """Split text into tokens, dropping spacing and \\left/\\right-style size commands."""
    toks: list[Tok] = []
    after_size = False
    pattern = _PATTERNS.get(dialect) or _pattern(dialect)
    for m in pattern.finditer(text):
        kind, s, pos = m.lastgroup, m.group(), m.start()
        if kind == "other" and s == "." and after_size:  # \left. and \right.
            after_size = False
            continue
        after_size = kind == "cmd" and s[1:] in _SIZES
        if kind == "name" and not dialect.identifiers and re.fullmatch(r"[ze]+", s):   # "ze" is z*e, as in LaTeX
            toks.extend(Tok("name", c, pos + k) for k, c in enumerate(s))
        elif kind in ("num", "name", "str"):
            toks.append(Tok(kind, s, pos))
        elif kind == "pow":
            toks.append(Tok("^", s, pos))
        elif kind == "cmd":
            toks.extend(_command(text, s, pos))
        elif kind != "space":
            toks.append(_operator(text, s, pos, dialect))
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


def _operator(text: str, s: str, pos: int, dialect: Dialect) -> Tok:
    if s in "+-*/^,()[]{}" or dialect.matrices and s == "@" or dialect.equation and s == "=":
        return Tok(s, s, pos)
    raise MathSyntaxError(text, pos, f"character '{s}' is not allowed")


def _describe(tok: Tok) -> str:
    """Human-readable name of a token for error messages."""
    return "end of formula" if tok.kind == "end" else f"'{tok.text}'"


def number(s: str) -> sympy.Rational:
    """The exact value of a decimal literal such as '3.25' or '1e-5' (no float involved)."""
    mantissa, _, exponent = s.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    value = sympy.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))
    return value * sympy.Rational(10) ** int(exponent or "0")


def squashed(word: str) -> str:
    """A function's name as \\operatorname{...} may write it: ReLU, Leaky-ReLU and leaky_relu are one."""
    return word.lower().replace("-", "").replace("_", "")


FUNCTION_NAMES = sorted({*ELEMENTWISE, *NAMED, "max", "min", "pow"} - HIDDEN)
_BY_SQUASHED = {squashed(n): n for n in FUNCTION_NAMES}


# --- the parser ------------------------------------------------------------------------------------------------

class Parser:
    """Recursive-descent parser over the token list, one method per grammar level; ``functions`` are the names a
    call may have (in a formula of one letter, a name followed by '(' is a call only when it names one)."""

    def __init__(self, text: str, dialect: Dialect = SCALAR, functions=FUNCTION_NAMES):
        self.text, self.d, self.toks, self.i, self.depth = text, dialect, tokenize(text, dialect), 0, -1
        self.functions = set(functions) | {"pow"}
        self.squashed = {squashed(n): n for n in self.functions}

    def peek(self, ahead: int = 0) -> Tok:
        """Current token (or the one ``ahead`` of it)."""
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

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
        """Track nesting (an expression in brackets or an argument, a script) so deep nesting gives a clean error."""
        self.depth += 1
        try:
            if self.depth > self.d.max_depth:
                self.fail(f"nested too deeply (at most {self.d.max_depth} levels)")
            yield
        finally:
            self.depth -= 1

    def parse(self) -> Node:
        """Whole formula: an expression followed by end of input."""
        value = self.expr()
        self.finish()
        return value

    def finish(self) -> None:
        tok = self.peek()
        if tok.kind in {")", "]", "}"}:
            self.fail(f"unexpected '{tok.text}' without a matching opening bracket")
        if tok.kind != "end":
            hint = " (write '*' for a product, '@' for a matrix product)" if not self.d.implicit and \
                tok.kind in _ATOM_START else ""
            self.fail(f"unexpected {_describe(tok)} after a complete expression{hint}")

    def equation(self) -> tuple[str, Node]:
        """name = expression."""
        tok = self.peek()
        if tok.kind != "name":
            self.fail("an equation starts with the name it defines, as in 'q = x + y'")
        self.take()
        if self.peek().kind != "=":
            self.fail(f"expected '=' after '{tok.text}', found {_describe(self.peek())}")
        self.take()
        return tok.text, self.parse()

    def expr(self) -> Node:
        """Sum/difference of terms."""
        with self.nested():
            node = self.term()
            while self.peek().kind in {"+", "-"}:
                op = self.take()
                node = Op(op.kind, node, self.term(), op.pos)
            return node

    def term(self) -> Node:
        """Product/quotient of factors, including implicit multiplication."""
        node = self.unary()
        while True:
            tok = self.peek()
            if tok.kind in {"*", "/", "@"}:
                self.take()
                node = Op(tok.kind, node, self.unary(), tok.pos)
            elif self.d.implicit and tok.kind in _ATOM_START:
                node = Op("*", node, self.power(), tok.pos)
            else:
                return node

    def signed(self, inner: Callable[[], Node]) -> Node:
        """Leading signs, one sign however many (- - x is x), then ``inner``."""
        negative = False
        while self.peek().kind in {"+", "-"}:
            negative ^= self.take().kind == "-"
        node = inner()
        if not negative:
            return node
        return Num(-node.value) if isinstance(node, Num) else Neg(node)

    def unary(self) -> Node:
        """Leading signs, then a power (so -z^2 is -(z^2))."""
        return self.signed(self.power)

    def power(self, single: bool = False) -> Node:
        """Postfix with an optional superscript (V^\\top: the transpose)."""
        base = self.postfix(single)
        if self.peek().kind != "^":
            return base
        caret = self.take()
        if self.transpose_mark():
            return Call("transpose", (base,), caret.pos)
        return Op("^", base, self.script(), caret.pos)

    def transpose_mark(self) -> bool:
        """Whether the superscript is \\top (or {\\top}), consumed if so."""
        ahead = [self.peek(k) for k in range(3)]
        if ahead[0].kind == "cmd" and ahead[0].text == "\\top":
            self.take()
            return True
        if ahead[0].kind == "{" and ahead[1].kind == "cmd" and ahead[1].text == "\\top" and ahead[2].kind == "}":
            self.i += 3
            return True
        return False

    def script(self) -> Node:
        """Superscript: signs, then a power (right-associative; in LaTeX an unbraced one is a single token)."""
        with self.nested():
            return self.signed(lambda: self.power(single=self.d.single))

    def postfix(self, single: bool) -> Node:
        """An atom, indexed p[2] (0-based) where the dialect indexes."""
        node = self.atom(single)
        while self.d.indexing and self.peek().kind == "[":
            self.take()
            sign = -1 if self.peek().kind == "-" else 1
            if sign < 0:
                self.take()
            tok = self.peek()
            if tok.kind != "num" or not tok.text.isdigit():
                self.fail("an index is a whole number, as in p[2] (0-based)")
            self.take()
            if self.peek().kind != "]":
                self.fail(f"expected ']' to close the index, found {_describe(self.peek())}")
            self.take()
            node = Index(node, sign * int(tok.text))
        return node

    def atom(self, single: bool = False) -> Node:
        """Number, name, call, bracketed group or command; ``single`` takes one digit (LaTeX arguments)."""
        tok = self.peek()
        if tok.kind == "num":
            return self.number(single)
        if tok.kind == "name":
            return self.name_or_call()
        if tok.kind in _OPEN and not (tok.kind == "[" and self.d.indexing):
            return self.group()
        if tok.kind == "cmd":
            return self.command()
        if tok.kind == "str":
            self.fail("character '\"' starts quoted text, which only a function's option is (as in gelu(x, "
                      "\"tanh\"))")
        what = "a name" if self.d.identifiers else "z"
        self.fail(f"expected a number, {what}, a function call, a bracket or a command, found {_describe(tok)}")

    def number(self, single: bool) -> Node:
        """Exact number; in a single-token argument only the first digit (\\frac12 = 1/2)."""
        tok = self.take()
        if single and len(tok.text) > 1:
            if not tok.text[0].isdigit() or "e" in tok.text.lower():
                self.fail(f"put '{tok.text}' in braces {{...}}", tok)
            self.i -= 1
            self.toks[self.i] = Tok("num", tok.text[1:], tok.pos + 1)
            return Num(sympy.Integer(int(tok.text[0])))
        power = tok.text.lower().partition("e")[2]
        if len(power.lstrip("+-")) > 3:
            self.fail(f"the power of ten in {tok.text} is too large (at most 3 digits)", tok)
        return Num(number(tok.text))

    def name_or_call(self) -> Node:
        """f(args) for a function (any name followed by '(' in an equation), else a variable."""
        tok = self.peek()
        if self.peek(1).kind == "(" and (self.d.identifiers or tok.text in self.functions):
            self.take()
            return self.call(tok.text, self.arguments(), tok)
        return self.name()

    def name(self) -> Node:
        """A variable: any identifier in an equation; z or Euler's number e in a formula of z."""
        tok = self.take()
        if self.d.identifiers or tok.text in ("z", "e"):
            return Name(tok.text)
        if tok.text == "_":
            self.fail("subscripts ('_') are not supported", tok)
        hint = f" (did you mean '\\{tok.text}' or '{tok.text}(z)'?)" if tok.text in _KNOWN else ""
        self.fail(f"unknown name '{tok.text}': only the variable z is allowed "
                  f"(and e for Euler's number){hint}", tok)

    def group(self) -> Node:
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

    def arguments(self) -> list:
        """( a, b, ... ): expressions, or a quoted option."""
        opener = self.take()
        out: list = []
        if self.peek().kind != _OPEN[opener.kind]:
            out.append(self.argument())
            while self.peek().kind == ",":
                self.take()
                out.append(self.argument())
        self.close(opener)
        return out

    def argument(self):
        tok = self.peek()
        if tok.kind == "str":
            self.take()
            return _Str(tok.text[1:-1], tok.pos)
        return self.expr()

    def call(self, func: str, args: list, tok: Tok) -> Node:
        """The call as the tree holds it: pow(x, n) is x ^ n; gelu(x, "tanh") is the approximation's own function."""
        if func == "gelu" and len(args) == 2 and isinstance(args[1], _Str):
            option = args.pop()
            if option.text not in GELU_APPROXIMATIONS:
                raise MathSyntaxError(self.text, option.pos, f"gelu's approximation is \"none\" or \"tanh\" (as "
                                                             f"F.gelu's approximate), not \"{option.text}\"")
            func = GELU_APPROXIMATIONS[option.text]
        stray = next((a for a in args if isinstance(a, _Str)), None)
        if stray is not None:
            raise MathSyntaxError(self.text, stray.pos, f"{func} takes no quoted option (only gelu(x, \"tanh\") does)")
        if func == "pow":
            if len(args) != 2:
                self.fail(f"pow takes 2 arguments, pow(x, n), not {len(args)}", tok)
            return Op("^", args[0], args[1], tok.pos)
        return Call(func, tuple(args), tok.pos)

    def arg(self) -> Node:
        """Macro argument: braced group or single token, e.g. \\frac{1}{2} or \\frac12."""
        return self.group() if self.peek().kind == "{" else self.atom(single=True)

    def command(self) -> Node:
        """Backslash command: fractions, roots, max/min, functions, \\operatorname{...}."""
        tok = self.take()
        name = tok.text[1:]
        if name in _FRACS:
            numerator = self.arg()
            return Op("/", numerator, self.arg(), tok.pos)
        if name == "sqrt":
            return self.root(tok)
        if name in _MINMAX:
            opener = self.peek()
            if opener.kind not in _OPEN:
                self.fail(f"expected '(' after '{tok.text}', found {_describe(opener)}")
            return self.call(name, self.arguments(), tok)
        if name in _LATEX_FUNCTIONS:
            return self.apply(_LATEX_FUNCTIONS[name], tok)
        if name in _NAMERS:
            return self.named(tok)
        self.fail(f"'{tok.text}' cannot start a term", tok)

    def root(self, tok: Tok) -> Node:
        """\\sqrt{x} or \\sqrt[n]{x}."""
        index = None
        if self.peek().kind == "[":
            opener = self.take()
            index = self.expr()
            self.close(opener)
        radicand = self.arg()
        if index is None:
            return Call("sqrt", (radicand,), tok.pos)
        return Op("^", radicand, Op("/", Num(sympy.Integer(1)), index), tok.pos)

    def named(self, tok: Tok) -> Node:
        """\\operatorname{relu}(z), \\mathrm{e}, \\text{leaky\\_relu}(z): a function (or, in LaTeX, e or z)."""
        word = self.word(tok)
        if not self.d.identifiers and word in ("e", "z"):
            return Name(word)
        func = self.squashed.get(squashed(word))
        if func is None:
            self.fail(f"unknown function '{word}' in '{tok.text}'; known: {', '.join(sorted(self.squashed.values()))}",
                      tok)
        return self.apply(func, tok)

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

    def apply(self, func: str, tok: Tok) -> Node:
        """Function with optional power (\\tanh^2(z)); its arguments in brackets, or the next factor (\\exp z)."""
        exponent = None
        if self.peek().kind == "^":
            caret = self.take()
            exponent = self.script()
            if exponent == Num(sympy.Integer(-1)):
                self.fail(f"inverse functions like '{tok.text}^{{-1}}' are not supported", caret)
        opener = self.peek().kind
        if opener == "(":
            node = self.call(func, self.arguments(), tok)
        elif opener in _OPEN and not (opener == "[" and self.d.indexing):
            node = self.call(func, [self.group()], tok)
        else:
            with self.nested():
                node = self.call(func, [self.unary()], tok)
        return node if exponent is None else Op("^", node, exponent, tok.pos)


# --- a formula of one variable, as SymPy ------------------------------------------------------------------------

class Reading(NamedTuple):
    """How a formula of one variable is made into SymPy: its names' values and its functions, each (fewest
    arguments, most or None, builder)."""

    names: Mapping[str, sympy.Expr]
    functions: Mapping[str, tuple]


def _named(key: str) -> Callable:
    return lambda a: NAMED[key].xreplace({Z: a})


def _elementwise(name: str) -> Callable:
    return ELEMENTWISE[name].value


def _table(overrides: Mapping[str, Callable]) -> dict[str, tuple]:
    """Every function of one argument (with its constants), then max and min of two or more."""
    out = {name: (1, f.arity[1], overrides.get(name, f.value)) for name, f in ELEMENTWISE.items()}
    out.update({name: (1, 1, overrides[name]) for name in overrides if name not in out})
    out.update({"max": (2, None, sympy.Max), "min": (2, None, sympy.Min)})
    return out


def _relu_torch(x):
    """relu with PyTorch's slope 0 at 0 under plain differentiation (SymPy's max(0, x) has ½ there)."""
    return sympy.Piecewise((x, x > 0), (0, True))


ACTIVATION = _table({key: _named(key) for key in NAMED})          # relu, leaky_relu, ... as NAMED writes them
LOSS = _table({"relu": _relu_torch, "identity": lambda a: a, "linear": lambda a: a})


class _Converter:
    """A tree of one variable made into SymPy, refusing absurdly large exact numbers and absurd degrees."""

    def __init__(self, text: str, reading: Reading):
        self.text, self.reading = text, reading

    def fail(self, reason: str, pos: int | None):
        raise MathSyntaxError(self.text, pos, reason)

    def __call__(self, node: Node) -> sympy.Expr:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            return self.reading.names[node.name]
        if isinstance(node, Neg):
            return -self(node.arg)
        if isinstance(node, Op):
            return self.op(node)
        if isinstance(node, Call):
            return self.call(node)
        self.fail("indexing is for a graph's equations", None)

    def op(self, node: Op) -> sympy.Expr:
        left, right = self(node.left), self(node.right)
        if node.op == "+":
            return sympy.Add(left, right)
        if node.op == "-":
            return sympy.Add(left, -right)
        if node.op == "*":
            return sympy.Mul(left, right)
        if node.op == "/":
            return sympy.Mul(left, sympy.Pow(right, -1))
        if node.op == "^":
            return self.pow(left, right, node.pos)
        self.fail(f"'{node.op}' is for a graph's equations", node.pos)

    def pow(self, base: sympy.Expr, exponent: sympy.Expr, pos: int | None) -> sympy.Expr:
        """base**exponent, refusing to compute absurdly large exact numbers and absurd degrees."""
        if exponent.is_number and exponent.is_real and abs(exponent) > MAX_EXPONENT and base not in (0, 1, -1):
            self.fail(f"the exponent {exponent} is too large (at most {MAX_EXPONENT} in size)", pos)
        if base.is_Rational and exponent.is_Rational and abs(base) not in (0, 1):
            bits = (abs(base.p).bit_length() + base.q.bit_length()) * abs(exponent)
            if bits > MAX_NUMBER_BITS:
                self.fail("number is too large (exponent too big)", pos)
        return sympy.Pow(base, exponent)

    def call(self, node: Call) -> sympy.Expr:
        entry = self.reading.functions.get(node.func)
        if entry is None:
            self.fail(f"'{node.func}' is not a function of a number (it is for a graph's equations)", node.pos)
        low, high, build = entry
        args = [self(a) for a in node.args]
        if len(args) < low or high is not None and len(args) > high:
            few = "at least two arguments separated by ','" if high is None else \
                f"{low}{'' if low == high else f' to {high}'} argument{'s' if high > 1 else ''}"
            self.fail(f"'{node.func}' needs {few}, not {len(args)}", node.pos)
        if any(a.free_symbols for a in args[1:]) and node.func not in ("max", "min"):
            self.fail(f"the arguments of '{node.func}' after the first are numbers (constants)", node.pos)
        if node.func == "sqrt":
            return self.pow(args[0], sympy.Rational(1, 2), node.pos)
        return build(*args)


class _AsWritten(_Converter):
    """The same tree with its arithmetic kept as written, for displays: 1 + e^{z} stays in that order and
    e^{z}/(1 + e^{z}) a fraction of those (what the checker compares with the evaluated formula)."""

    def __call__(self, node: Node) -> sympy.Expr:
        if isinstance(node, Neg):
            return sympy.Mul(-1, self(node.arg), evaluate=False)
        return super().__call__(node)

    def op(self, node: Op) -> sympy.Expr:
        if node.op not in "+-*/":
            return super().op(node)
        left, right = self(node.left), self(node.right)
        if node.op in "+-":
            head = left.args if isinstance(left, sympy.Add) and isinstance(node.left, Op) else (left,)
            last = right if node.op == "+" else sympy.Mul(-1, right, evaluate=False)
            return as_written(sympy.Add(*head, last, evaluate=False))
        if node.op == "*":
            return sympy.Mul(left, right, evaluate=False)
        if left == 1:
            return sympy.Pow(right, -1, evaluate=False)
        return sympy.Mul(left, sympy.Pow(right, -1, evaluate=False), evaluate=False)


def written_activation(text: str) -> sympy.Expr:
    """An activation as the spec writes it, for displays (its sums in the order written: 1 + e^{-z}); a name's
    formula as parse_activation gives it."""
    phi = parse_activation(text)
    key = re.sub(r"[-\s]+", "_", text.strip().lower())
    if key in NAMED or key in ACTIVATION_NAMES:
        return phi
    reading = Reading({"z": Z, "e": sympy.E}, ACTIVATION)
    return _AsWritten(text, reading)(Parser(text, SCALAR, reading.functions).parse())


def to_sympy(node: Node, text: str, reading: Reading) -> sympy.Expr:
    """A tree of one variable (parsed from ``text``) as SymPy."""
    return _Converter(text, reading)(node)


def read_formula(text: str, reading: Reading, parser: Callable[[str], Parser] | None = None) -> sympy.Expr:
    """A formula of one variable read into SymPy: its length and nesting bounded, never undefined or complex,
    exponentials stacked at most MAX_TOWER high (what the spec calls it says its field)."""
    if len(text) > MAX_LENGTH:
        raise MathSyntaxError(text, None, f"formula is too long ({len(text)} characters; limit {MAX_LENGTH})")
    if not text.strip():
        raise MathSyntaxError(text, None, "empty formula")
    make = parser or (lambda t: Parser(t, SCALAR, reading.functions))
    try:
        result = to_sympy(make(text).parse(), text, reading)
    except RecursionError:
        raise MathSyntaxError(text, None, "formula is nested too deeply") from None
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise MathSyntaxError(text, None, "formula is undefined (e.g. division by zero)")
    return result


def parse_activation(text: str) -> sympy.Expr:
    """Return the expression in Z for an activation name (see NAMED) or a LaTeX formula in z."""
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise MathSyntaxError(text, None, f"formula is too long ({len(text)} characters; limit {MAX_LENGTH})")
    key = re.sub(r"[-\s]+", "_", text.strip().lower())
    if key in NAMED:
        return NAMED[key]
    if key in ACTIVATION_NAMES:
        return ELEMENTWISE[key].value(Z)
    result = read_formula(text, Reading({"z": Z, "e": sympy.E}, ACTIVATION))
    if result.has(sympy.I):
        raise MathSyntaxError(text, None, "the formula has complex values (such as \\ln(-1) or \\sqrt{-1}); an"
                                          " activation is real")
    if tower(result) > MAX_TOWER:
        raise MathSyntaxError(text, None, f"exponentials are stacked {tower(result)} high (at most {MAX_TOWER},"
                                          " as in e^{e^{z}}): the values would overflow any computation")
    return result


def tower(expr: sympy.Expr, variables: tuple = (Z,)) -> int:
    """How many exponentials are stacked in expr: exp(z) and 2^z are 1, e^{e^z} and z^z ... are 2, ...
    (a power whose exponent depends on one of the variables counts, with what its exponent stacks)."""
    if not expr.args or not expr.has(*variables):
        return 0
    inner = max(tower(a, variables) for a in expr.args)
    if isinstance(expr, sympy.exp):
        return 1 + tower(expr.args[0], variables)
    if isinstance(expr, sympy.Pow) and expr.exp.has(*variables):
        return 1 + max(tower(expr.exp, variables), tower(expr.base, variables))
    return inner


def parse_constant(text: str) -> sympy.Expr:
    """An exact real number written in LaTeX: '\\ln 2', '\\sqrt{2}', '\\frac{1}{3}', 'e^{-1}' (no z)."""
    result = read_formula(text, Reading({"z": Z, "e": sympy.E}, ACTIVATION))
    if result.has(Z):
        raise MathSyntaxError(text, None, "a number cannot depend on z")
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I) or not result.is_real:
        raise MathSyntaxError(text, None, "not a finite real number")
    return result

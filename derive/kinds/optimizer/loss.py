"""A loss formula in w (or w1, w2, ... for several parameters), read by derive's safe parser.

The formula language is derive's one (``derive.mathparse``), read with the variable names changed: ``w``
for a single parameter, ``w1`` ... ``wn`` (also ``w_1``, ``w_{1}``) for several; its functions take PyTorch's
slopes at their kinks (relu'(0) = 0, max(a, b) splits the gradient at a tie). No text is executed or handed
to SymPy's string parsers.
"""

from __future__ import annotations

import sympy

from ...mathparse import LOSS, MAX_TOWER, MathSyntaxError, Name, Parser, Reading, Tok, read_formula, tower

def weight(i: int | None) -> sympy.Symbol:
    """The variable the loss is written in: w (one parameter) or w_i (1-based)."""
    return sympy.Symbol("w" if i is None else f"w{i}", real=True)


class _LossParser(Parser):
    """The formula parser with the variables w / w1 ... wn in place of z."""

    def __init__(self, text: str, count: int):
        super().__init__(text, functions=LOSS)
        self.count = count

    def name(self) -> Name:
        tok = self.peek()
        if tok.text == "w":
            self.take()
            i = self.index(tok)
            return Name("w" if i is None else f"w{i}")
        if tok.text == "e":
            self.take()
            return Name("e")
        if tok.text == "_":
            return super().name()
        names = "w" if self.count == 1 else f"w1 ... w{self.count}"
        self.fail(f"unknown name '{tok.text}': the loss is written in {names} (and e for Euler's number)", tok)

    def index(self, tok: Tok) -> int | None:
        """The subscript after w: w1, w_1 or w_{1}; none for the single parameter w."""
        nxt = self.peek()
        if nxt.kind == "num" and nxt.pos == tok.pos + 1:
            return self.numbered(self.take())
        if not (nxt.kind == "name" and nxt.text == "_" and nxt.pos == tok.pos + 1):
            return self.plain(tok)
        self.take()
        opener = self.take() if self.peek().kind == "{" else None
        if self.peek().kind != "num":
            self.fail("expected the parameter's number after 'w_'")
        number = self.numbered(self.take())
        if opener is not None:
            self.close(opener)
        return number

    def plain(self, tok: Tok) -> None:
        if self.count != 1:
            self.fail(f"there are {self.count} parameters: write w1 ... w{self.count}, not w", tok)
        return None

    def numbered(self, tok: Tok) -> int | None:
        if not tok.text.isdigit() or not 1 <= int(tok.text) <= self.count:
            self.fail(f"'w{tok.text}' is not a parameter: " + ("the single parameter is w" if self.count == 1
                                                                  else f"they are w1 ... w{self.count}"), tok)
        return None if self.count == 1 else int(tok.text)


def parse_loss(text: str, count: int) -> sympy.Expr:
    """The loss as a SymPy expression in weight(None) (count 1) or weight(1) ... weight(count)."""
    variables = (weight(None),) if count == 1 else tuple(weight(i + 1) for i in range(count))
    names = {"e": sympy.E, **{str(v): v for v in variables}}
    result = read_formula(text, Reading(names, LOSS), lambda t: _LossParser(t, count))
    if result.has(sympy.I):
        raise MathSyntaxError(text, None, "the formula has complex values; a loss is real")
    height = tower(result, variables)
    if height > MAX_TOWER:
        raise MathSyntaxError(text, None, f"exponentials are stacked {height} high (at most {MAX_TOWER})")
    return result

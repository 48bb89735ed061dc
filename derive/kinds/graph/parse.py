"""The equations of the graph kind, read by derive's one formula parser (derive.mathparse, never eval) in its
dialect for equations:

    equation := name '=' expr
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/' | '@') unary)*
    unary    := ('+' | '-')* power                       # signs in a row are one sign: - - x is x
    power    := postfix (('^' | '**') script)?           # right-associative; binds tighter than unary '-'
    postfix  := atom ('[' integer ']')*                  # 0-based indexing, as in PyTorch
    atom     := number | name | name '(' args ')' | '(' expr ')' | '{' expr '}' | latex
    latex    := '\\frac' group group | '\\sqrt' group | '\\sin' ... | '\\max(' args ')' | '\\operatorname{f}' ...

The result is a tree of small frozen nodes (Num, Name, Call, Op, Neg, Index); numbers are exact.
"""

from __future__ import annotations

from ...mathparse import (EQUATIONS, FUNCTION_NAMES, MAX_LENGTH, Call, Index, MathSyntaxError, Name, Neg, Node, Num,
                          Op, Parser, number)

SyntaxProblem = MathSyntaxError
MAX_DEPTH = EQUATIONS.max_depth

__all__ = ["Call", "Index", "Name", "Neg", "Node", "Num", "Op", "SyntaxProblem", "names", "number", "parse_equation"]


def parse_equation(text: str, functions=FUNCTION_NAMES) -> tuple[str, Node]:
    """(name, right-hand side) of 'name = expression'; SyntaxProblem when it cannot be read. ``functions``: the
    names \\operatorname{...} may write (the graph's, derive.kinds.graph.values.KNOWN, as config passes them; any
    name followed by '(' is a call)."""
    if not isinstance(text, str):
        raise SyntaxProblem(str(text), None, "an equation is a string such as 'q = x + y'")
    if len(text) > MAX_LENGTH:
        raise SyntaxProblem(text, None, f"longer than {MAX_LENGTH} characters")
    try:
        return Parser(text, EQUATIONS, functions).equation()
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

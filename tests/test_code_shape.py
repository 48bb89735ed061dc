"""The shape of the code: no function in derive/ longer than 60 lines or with a cyclomatic complexity
above 20 (analysis, then narration: split a function that decides and narrates at once)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
MAX_LINES, MAX_COMPLEXITY = 60, 20
BRANCHES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp, ast.ExceptHandler, ast.With, ast.AsyncWith,
            ast.Assert, ast.comprehension, ast.match_case)


def complexity(fn: ast.AST) -> int:
    """McCabe's number: 1 + one per branch point (if, loop, except, with, assert, comprehension, case, ternary)
    + one per extra operand of and/or, not counting nested functions (they are measured on their own)."""
    count = 1
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, BRANCHES):
            count += 1 + (len(node.ifs) if isinstance(node, ast.comprehension) else 0)
        elif isinstance(node, ast.BoolOp):
            count += len(node.values) - 1
        stack.extend(ast.iter_child_nodes(node))
    return count


def functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}", node


def test_no_long_function():
    long = {where: n.end_lineno - n.lineno + 1 for where, n in functions() if n.end_lineno - n.lineno + 1 > MAX_LINES}
    assert long == {}


def test_no_complex_function():
    tangled = {where: complexity(n) for where, n in functions() if complexity(n) > MAX_COMPLEXITY}
    assert tangled == {}


def test_complexity_counts_branches():
    tree = ast.parse("def f(x):\n    if x and x > 1:\n        return [y for y in x if y]\n    for _ in x:\n"
                     "        pass\n    return 0 if x else 1\n")
    assert complexity(tree.body[0]) == 1 + 1 + 1 + 2 + 1 + 1

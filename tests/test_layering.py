"""The layering rules: maths never imports typography or the CLI; user text is never evaluated."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
MATHS = sorted(str(p.relative_to(PACKAGE)) for p in (PACKAGE / "kinds").rglob("*.py")) + [
    "steps.py", "check.py", "numeric.py", "symbols.py", "mathparse.py", "fields.py", "spec.py", "document.py",
    "notation.py", "written.py", "display.py", "precision.py", "words.py", "sympy_fixes.py"]


def _module_level(tree: ast.AST):
    """The nodes that run on import: everything outside function bodies (class bodies included)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue                                     # imports for annotations only: never run
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node
            yield from _module_level(node)


def imported(path: Path, module_level: bool = False) -> set[str]:
    """The modules a file imports; with module_level, only those imported on import (a lazy import
    inside a function, such as a renderer behind a notebook's _repr_ method, is not counted)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in (_module_level(tree) if module_level else ast.walk(tree)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            names.add(base)
            names |= {f"{base}.{a.name}" if base.endswith(".") is False else base + a.name for a in node.names}
    return names


@pytest.mark.parametrize("module", MATHS)
def test_maths_does_not_import_typography_or_cli(module):
    names = imported(PACKAGE / module, module_level=True)
    for banned in ("jinja2", "click", "formats", "cli", "pdf", "output"):
        assert not any(n == banned or n.startswith(banned + ".") or n.split(".")[-1] == banned
                       or f".{banned}" in n for n in names), (module, banned, names)


def test_module_level_means_on_import(tmp_path):
    """The relaxed check still catches an import at module level, in a class body or under an if."""
    (tmp_path / "m.py").write_text("import os\nclass A:\n    from . import formats\n    def f(self):\n"
                                   "        import jinja2\nif True:\n    import click\n")
    assert imported(tmp_path / "m.py", module_level=True) == {"os", ".", ".formats", "click"}
    assert "jinja2" in imported(tmp_path / "m.py")


def test_document_renders_only_lazily():
    """The model reaches the formats only inside the _repr_ methods of display.py, and then only the registry,
    which looks a format up by its name and imports neither a renderer nor the model; the renderers do not
    import the model (no cycle)."""
    lazy = imported(PACKAGE / "display.py") - imported(PACKAGE / "display.py", module_level=True)
    assert {n for n in lazy if "formats" in n} == {".formats.registry", ".formats.registry.FORMATS"}
    assert not any("formats" in n for n in imported(PACKAGE / "document.py"))
    for path in (PACKAGE / "formats").rglob("*.py"):
        assert not any(n.endswith("document") for n in imported(path, module_level=True)), path
    for low in ("registry.py", "format.py"):
        ours = {n.lstrip(".").split(".")[0] for n in imported(PACKAGE / "formats" / low) if n.startswith(".")}
        assert ours <= {"errors", "plugins", "format"}, (low, ours)


def test_only_the_cli_imports_click():
    for path in PACKAGE.rglob("*.py"):
        if path.name != "cli.py":
            assert not any(n.split(".")[0] == "click" for n in imported(path)), path


def test_no_eval_anywhere():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                assert name not in {"eval", "exec", "parse_expr", "parse_latex"}, (path, node.lineno)
                if name in {"sympify", "S"} and node.args:
                    assert not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str), path


# --- no import cycle inside derive/ ------------------------------------------------------------------

def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module under the package by its dotted name (a package by its own name, not '__init__')."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _targets(node: ast.AST, name: str, path: Path, known: dict) -> list[str]:
    """The modules an import statement names: ``from x import y`` is x.y when y is a module, else x; relative
    imports resolved from the importing module's package."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
        if node.level else node.module
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module's imports of the package's modules: every import statement, at module level, under
    TYPE_CHECKING or inside a function."""
    known = modules(package)
    graph = {}
    for name, path in known.items():
        nodes = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))]
        graph[name] = {t for n in nodes for t in _targets(n, name, path, known) if t in known and t != name}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on.discard(component[-1])
            if len(component) > 1:
                out.append(sorted(component))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One circle of imports through the component's first module: a, b, ..., a (shortest, by breadth first)."""
    start, inside = component[0], set(component)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for w in sorted(graph[path[-1]] & inside):
            if w == start:
                return path + [start]
            if w not in seen:
                seen.add(w)
                paths.append(path + [w])
    raise AssertionError(component)


def test_no_import_cycle():
    graph = import_graph()
    found = strongly_connected(graph)
    assert not found, "import cycles in derive/: " + "; ".join(
        " -> ".join(a_cycle(graph, c)) + f" ({len(c)} modules: {', '.join(c)})" for c in found)


def test_cycle_finder_reads_every_import(tmp_path):
    """Relative imports resolved, `from . import m` read as the module m, imports inside functions and under
    TYPE_CHECKING counted: each of these circles is found."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text("A = 1\ndef f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..c import C\n")
    (pkg / "c.py").write_text("import pkg.a\nC = 2\n")
    (pkg / "d.py").write_text("from . import a\n")
    graph = import_graph(pkg)
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.sub.b"}, "pkg.sub": set(), "pkg.sub.b": {"pkg.c"},
                     "pkg.c": {"pkg.a"}, "pkg.d": {"pkg.a"}}
    assert strongly_connected(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    assert a_cycle(graph, ["pkg.a", "pkg.c", "pkg.sub.b"]) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]
    (pkg / "a.py").write_text("A = 1\n")
    assert strongly_connected(import_graph(pkg)) == []


"""The layering rules: maths never imports typography or the CLI; user text is never evaluated."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
MATHS = sorted(str(p.relative_to(PACKAGE)) for p in (PACKAGE / "kinds").rglob("*.py")) + [
    "steps.py", "check.py", "numeric.py", "symbols.py", "mathparse.py", "fields.py", "spec.py", "document.py",
    "notation.py", "display.py", "precision.py", "words.py", "sympy_fixes.py"]


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

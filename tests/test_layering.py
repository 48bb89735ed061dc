"""The layering rules: maths never imports typography or the CLI; user text is never evaluated."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
MATHS = ["kinds/__init__.py", "kinds/rnn.py", "kinds/cnn.py", "kinds/conv1d.py", "steps.py", "check.py",
         "symbols.py", "mathparse.py", "fields.py", "spec.py", "document.py"]


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            names.add(base)
            names |= {f"{base}.{a.name}" if base.endswith(".") is False else base + a.name for a in node.names}
    return names


@pytest.mark.parametrize("module", MATHS)
def test_maths_does_not_import_typography_or_cli(module):
    names = imported(PACKAGE / module)
    for banned in ("jinja2", "click", "formats", "cli", "pdf", "output"):
        assert not any(n == banned or n.startswith(banned + ".") or n.split(".")[-1] == banned
                       or f".{banned}" in n for n in names), (module, banned, names)


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

"""Built-in kinds are imported when first asked for (derive.kinds.BUILTIN): a command imports only the kinds
its spec uses, and every kind is still listed, found by name and alias, in the same order as before."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import derive.kinds
from derive.kinds import BUILTIN, KINDS, base

KINDS_DIR = Path(derive.kinds.__file__).parent


def fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return proc.stdout


def test_the_declared_names_are_those_registered():
    list(KINDS)                                              # imports every built-in kind
    assert set(base._BUILTIN) == {name for names in BUILTIN.values() for name in names}
    for module, names in BUILTIN.items():
        for name in names:
            assert type(KINDS[name]).__module__.startswith(f"derive.kinds.{module}"), (module, name)


def test_every_module_that_registers_a_kind_is_declared():
    registering = {p.relative_to(KINDS_DIR).parts[0].removesuffix(".py")
                   for p in KINDS_DIR.rglob("*.py") if "\n@register" in p.read_text()}
    assert registering <= set(BUILTIN), registering - set(BUILTIN)


def test_a_spec_imports_only_its_kinds():
    loaded = json.loads(fresh(
        "import sys, json\n"
        "from derive.kinds import KINDS\n"
        "assert 'conv1d-matrix' in KINDS and KINDS['conv1d-matrix'].name == 'conv-matrix'\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('derive.kinds.'))))\n"))
    tops = {m.split(".")[2] for m in loaded}
    assert "conv1d" in tops and not tops & {"cnn", "graph", "init", "optimizer", "rnn"}, tops


def test_listing_finds_every_kind_in_the_declared_order():
    names = json.loads(fresh("import json\nfrom derive.kinds import KINDS\n"
                             "print(json.dumps([list(KINDS), [k.name for k in KINDS.kinds()]]))"))
    assert names[0] == [name for names in BUILTIN.values() for name in names]
    assert names[1] == sorted(names[1]) and len(names[1]) == len(BUILTIN)


def test_submodules_are_reachable_as_attributes():
    out = fresh("import derive.kinds\nprint(derive.kinds.graph.__name__)")
    assert out.strip() == "derive.kinds.graph"


def test_an_unknown_name_is_not_a_kind():
    assert "no-such-kind" not in KINDS and 3 not in KINDS

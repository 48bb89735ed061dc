"""Conformance of every registered kind: its example spec derives and renders in every format, its
JSON values have the documented types, its prose types no relation outside a checked chain, no raw
symbol name reaches the output, and its fields are those of its page (docs/kinds/NAME.md)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import sympy

import derive
from derive.kinds import KINDS, REQUIRED, Field, Kind
from derive.steps import Chain, Let

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("golden_make", ROOT / "tests" / "golden" / "make.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

ALL_KINDS = [k.name for k in KINDS.kinds()]
TEXT_FORMATS = ("latex", "beamer", "markdown", "html", "json")


@pytest.fixture(scope="module")
def examples():
    """Each kind's example spec, solved."""
    return {name: derive.solve(derive.loads(KINDS[name].example(), f"{name}.toml")) for name in ALL_KINDS}


def documents(examples):
    """The examples and the golden specs: every kind's output at its broadest."""
    yield from examples.values()
    for name in golden.SPECS:
        yield derive.solve(derive.load(golden.SPECS[name]))


@pytest.mark.parametrize("name", ALL_KINDS)
def test_example_derives_in_every_format(examples, name):
    doc = examples[name]
    assert {p.kind for p in doc.problems} == {name}
    assert {q.ask for q in doc.questions()} == set(KINDS[name].asks), "the example asks every question"
    for fmt in TEXT_FORMATS:
        assert derive.render(doc, fmt)
    assert "[U+" not in derive.render(doc, "latex"), "a character of the kind's own prose that LaTeX cannot set"
    for fmt in ("latex", "markdown", "html"):
        assert derive.render(doc, fmt, sheet="problems")
    assert derive.formats.snippets(doc, "latex")


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_KINDS)
def test_example_compiles_as_article_and_slides(examples, name, tmp_path):
    """Every kind's example typesets with pdflatex, figures included (a graph's matrix labels once broke
    TikZ: inside a tikzpicture \\matrix is TikZ's command)."""
    from conftest import need_tex
    from test_latex import compile_tex
    need_tex()
    compile_tex(derive.render(examples[name], "latex"), tmp_path, "article")
    compile_tex(derive.render(examples[name], "beamer"), tmp_path, "slides")


@pytest.mark.parametrize("name", ALL_KINDS)
def test_example_documents_every_field(name):
    text = KINDS[name].example()
    for field in KINDS[name].fields:
        assert re.search(rf"\b{re.escape(field.name)}\b", text), field.name


# The JSON table of docs/json.md: the type of each question's value.
def _strings(v):
    return isinstance(v, str)


def _rows(v):
    return isinstance(v, list) and all(isinstance(r, list) and all(map(_strings, r)) for r in v)


def _named_values(v):
    """graph's {name: value}: a value is a number, a "p/q" or formula string, a list, or a list of lists."""
    def ok(x):
        return isinstance(x, (int, float, str)) and not isinstance(x, bool) or \
            isinstance(x, list) and all(ok(e) for e in x)
    return isinstance(v, dict) and all(isinstance(k, str) and ok(x) for k, x in v.items())


def _ints(v):
    return isinstance(v, list) and all(isinstance(x, int) for x in v)


def _numbers(v):
    """A number, or nested lists of numbers (never a bool or a string)."""
    if isinstance(v, list):
        return all(_numbers(e) for e in v)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


VALUE_TYPES = {
    "derivative": lambda v: _strings(v) or _rows(v) or (isinstance(v, dict) and set(v) in ({"t", "cell_path", "full"},
                                                                                         {"t", "update_path", "full"})),
    "stability": lambda v: isinstance(v, dict) and v["verdict"] in ("vanishing", "exploding", "neither")
    and {"fixed_point", "factor", "gradient_T", "T"} <= set(v),
    "params": _ints,
    "total-params": lambda v: set(v) == {"total", "trainable", "non_trainable"}
    and v["total"] == v["trainable"] + v["non_trainable"],
    "shapes": lambda v: isinstance(v, list) and all(_ints(s) and len(s) in (1, 2, 3) for s in v),
    "macs": _ints,
    "total-macs": lambda v: isinstance(v, int),
    "same-padding": lambda v: isinstance(v, int) or _ints(v) or (isinstance(v, dict) and set(v) == {"height", "width"}),
    "receptive-field": lambda v: _ints(v) and len(v) == 2,
    "matrix": lambda v: _rows(v) or (isinstance(v, list) and all(isinstance(r, list) for r in v) and _numbers(v)),
    "output-size": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (_ints(v) and len(v) == 2),
    "forward": lambda v: _named_values(v) or (isinstance(v, dict) and set(v) == {"z", "a"} and _numbers(v["z"])
                                              and _numbers(v["a"])),
    "filter-gradient-value": lambda v: isinstance(v, list) and _numbers(v),
    "input-gradient-value": lambda v: isinstance(v, list) and _numbers(v),
    "gradient": lambda v: (isinstance(v, list) and all(map(_strings, v))) or _named_values(v)
    or (isinstance(v, list) and _numbers(v)),
    "jacobian": lambda v: _rows(v) or (isinstance(v, list) and all(isinstance(r, list) for r in v) and _numbers(v)),
    "input-gradient": lambda v: _rows(v) or (isinstance(v, list) and all(isinstance(r, list) for r in v)
                                             and _numbers(v)),
    "variance": lambda v: isinstance(v, float) and v > 0,
    "std": lambda v: isinstance(v, float) and v > 0,
    "bound": lambda v: isinstance(v, float) and v > 0,
    "updates": lambda v: isinstance(v, list) and all(isinstance(s, dict) and "w" in s and "step" in s for s in v),
    "update": lambda v: isinstance(v, (int, float)) or (isinstance(v, list) and _numbers(v)),
    "lr": lambda v: isinstance(v, list) and all(isinstance(s, dict) and isinstance(s["lr"], float) and "step" in s
                                                for s in v),
}


@pytest.mark.slow
def test_json_values_have_the_documented_types(examples):
    for doc in documents(examples):
        for part in json.loads(derive.render(doc, "json"))["parts"]:
            value = part["answer"]["value"]
            check = VALUE_TYPES.get(part["ask"])
            json.dumps(value, allow_nan=False)
            if check is not None:
                assert check(value), (part["id"], part["ask"], value)


PROSE_RELATION = re.compile(r"[=≈≤≥<>](?!\s*[\"“])")


@pytest.mark.slow
def test_prose_types_no_relation(examples):
    """An equality or inequality in prose is a checked chain (or a definition), never typed text."""
    typed = set()
    for doc in documents(examples):
        for problem in doc.problems:
            for part in problem.parts:
                texts = [part.setting] if part.setting else []
                for q in part.questions:
                    texts += [q.text, q.answer.text, *q.notes, *(s.text for s in q.steps)]
                typed |= {p for t in texts for p in t.pieces if isinstance(p, str) and PROSE_RELATION.search(p)}
    assert typed == set()


RAW = re.compile(r"^[A-Za-z]\d*$|^[A-Za-z]_(?:[A-Za-z]{1,3}|\d+)$")
MODIFIERS = {"hat", "bar", "dot", "vec", "star", "prev", "tilde", "prime"}


@pytest.mark.slow
def test_no_raw_symbol_name_reaches_the_output(examples):
    """Every symbol shown is written by its kind's notation, or is a letter with a short subscript."""
    raw = set()
    for doc in documents(examples):
        for problem in doc.problems:
            notation = problem.notation
            for expr in problem.expressions():
                for s in sympy.sympify(expr).atoms(sympy.Symbol):
                    if s not in notation and (not RAW.match(s.name) or s.name.split("_")[-1] in MODIFIERS):
                        raw.add((problem.kind, s.name))
    assert raw == set()


BUILT_IN = [k.name for k in KINDS.kinds() if type(k).__module__.startswith("derive.")]


@pytest.mark.parametrize("name", BUILT_IN)
def test_its_page_lists_the_fields(name):
    """Each built-in kind's page of the reference, docs/kinds/NAME.md, names every one of its fields."""
    page = (ROOT / "docs" / "kinds" / f"{name}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# `{name}`")
    for field in KINDS[name].fields:
        assert f"`{field.name}`" in page, field.name
    assert "```toml" in page, "a complete example spec"


def test_a_kind_states_its_contract_in_code():
    with pytest.raises(TypeError):
        type("Incomplete", (Kind,), {"name": "incomplete"})()      # configure, setting, solve are abstract
    assert Field("x", "a number", default=REQUIRED).required and not Field("x", "a number").required
    for kind in KINDS.kinds():
        assert kind.summary and kind.asks and kind.fields and len(kind.notation) > 0, kind.name

"""Fields declared once: the loader enforces each kind's declarations (presence, type, range, defaults) before
configure; the docs' field tables, `derive example`'s listings and `derive schema` are made from them; every
value a declaration offers (its bounds, each choice) is read by the loader and passes the schema."""

from __future__ import annotations

import copy
import datetime
import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

import derive
from derive import declare, docs
from derive.cli import cli
from derive.declare import REQUIRED, Field, Integer, Number, Rule, Words
from derive.errors import SpecError
from derive.kinds import KINDS
from derive.schema import spec_schema

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
BUILT_IN = [k.name for k in KINDS.kinds() if type(k).__module__.startswith("derive.")]
FIELDS = [(name, f) for name in BUILT_IN for f in KINDS[name].fields]
IDS = [f"{name}.{f.name}" for name, f in FIELDS]


def plain(value):
    """TOML's values as JSON has them (a date as its ISO text, as TOML editors pass it to a schema)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator():
    schema = spec_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def example(name: str) -> dict:
    return tomllib.loads(KINDS[name].example())


def without(data: dict, name: str, key: str) -> dict:
    """The example with ``key`` taken out of every problem of the kind and its parts."""
    data = copy.deepcopy(data)
    for problem in data["problem"]:
        if problem["kind"] in (name, *KINDS[name].aliases):
            problem.pop(key, None)
            for part in problem["part"]:
                part.pop(key, None)
    return data


def spied(monkeypatch, name: str) -> list:
    """The values each part's configure receives, recorded before configure runs."""
    kind, seen = KINDS[name], []
    original = kind.configure

    def spy(values, asks):
        seen.append(values)
        return original(values, asks)
    monkeypatch.setattr(kind, "configure", spy)
    return seen


# --- the declarations -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, field", FIELDS, ids=IDS)
def test_every_built_in_field_has_a_type_and_a_line(name, field):
    assert not isinstance(field.type, Words), "a built-in field declares its type"
    assert field.doc and field.accepts
    if field.fills:
        field.type.read(field.default, field.name)          # a default the type itself accepts


@pytest.mark.parametrize("name, field", [(n, f) for n, f in FIELDS if f.required],
                         ids=[i for i, (n, f) in zip(IDS, FIELDS) if f.required])
def test_a_required_field_left_out_is_refused_by_name(name, field):
    with pytest.raises(SpecError) as err:
        derive.from_mapping(without(example(name), name, field.name))
    for each in getattr(err.value, "errors", [err.value]):        # each part of the kind says so
        assert each.field == field.name and each.reason == "missing", str(each)


@pytest.mark.parametrize("name, field", [(n, f) for n, f in FIELDS if f.fills],
                         ids=[i for i, (n, f) in zip(IDS, FIELDS) if f.fills])
def test_a_default_is_what_configure_sees(monkeypatch, name, field):
    seen = spied(monkeypatch, name)
    try:
        derive.from_mapping(without(example(name), name, field.name))
    except SpecError:
        pass                                 # a rule between keys may want the key given: configure ran
    assert seen
    for values in seen:
        assert values[field.name] == field.type.read(field.default, field.name)
        assert field.name not in values.given


def test_configure_sees_typed_values(monkeypatch):
    seen = spied(monkeypatch, "optimizer")
    derive.from_mapping({"title": "t", "problem": [{"kind": "optimizer", "optimizer": "Adam", "lr": "1/100",
                                                    "w0": [0.5, 1], "gradients": [[1, 2]],
                                                    "part": [{"ask": "updates"}]}]})
    values = seen[0]
    assert values["optimizer"] == "adam" and values.raw["optimizer"] == "Adam"
    assert values["lr"] == derive.fields.to_rational("1/100", "lr") and values["w0"][0].q == 2
    assert values.given >= {"optimizer", "lr", "w0", "gradients"}


@pytest.mark.parametrize("change, field, words", [
    ({"fan_in": "many"}, "fan_in", "must be a whole number"),
    ({"fan_in": 0}, "fan_in", "at least 1"),
    ({"scheme": 3}, "scheme", "must be text"),
    ({"scheme": "xavier-unifrom"}, "scheme", "did you mean 'xavier-uniform'"),
    ({"negative_slope": 2000, "nonlinearity": "leaky_relu"}, "negative_slope", "between -1000 and 1000"),
    ({"layer": {"type": "dense", "inputs": 3}, "fan_in": None, "fan_out": None}, "layer.units", "missing"),
])
def test_the_loader_names_file_problem_field_given_and_accepted(change, field, words):
    problem = {"kind": "init", "title": "He", "scheme": "xavier-uniform", "fan_in": 3, "fan_out": 2,
               "part": [{"ask": "variance"}]}
    problem = {k: v for k, v in {**problem, **change}.items() if v is not None}
    with pytest.raises(SpecError) as err:
        derive.from_mapping({"title": "t", "problem": [problem]}, "set.toml")
    text = str(err.value)
    assert err.value.field == field and words in text and text.startswith("set.toml, problem 1 (He), part (a)")
    assert "; expected " in text


def test_a_field_without_a_type_is_still_required_and_documents_its_default():
    plain_fields = (Field("n", "a number", "n", REQUIRED), Field("m", "a number", "m", "2 (words)"))
    with pytest.raises(declare.FieldError, match="missing"):
        declare.read(plain_fields, {})
    assert dict(declare.read(plain_fields, {"n": 1})) == {"n": 1}


# --- values a declaration offers (what per-student variants draw from) ----------------------------------------

def _problem_with(data: dict, name: str, key: str) -> tuple[dict, dict]:
    """The first problem of the kind that gives ``key`` (at the problem or a part), else the first of the kind."""
    mine = [p for p in data["problem"] if p["kind"] in (name, *KINDS[name].aliases)]
    return next((p for p in mine if key in p or any(key in part for part in p["part"])), mine[0]), data


SAMPLES = [(name, f, s) for name, f in FIELDS for s in f.type.samples()]


@pytest.mark.parametrize("name, field, sample", SAMPLES,
                         ids=[f"{n}.{f.name}={json.dumps(s)[:30]}" for n, f, s in SAMPLES])
def test_each_sample_is_read_and_passes_the_schema(monkeypatch, validator, name, field, sample):
    """A value a declaration offers is read by the loader (configure is reached: only a rule between keys may
    refuse it) and is accepted by the schema."""
    problem, data = _problem_with(example(name), name, field.name)
    for part in problem["part"]:
        part.pop(field.name, None)
    problem[field.name] = sample
    assert not list(validator.iter_errors(plain({"title": "t", "problem": [problem]})))
    seen = spied(monkeypatch, name)
    try:
        derive.from_mapping({"title": "t", "problem": [problem]})
    except SpecError as err:
        assert seen, f"refused by the declarations: {err}"


NUMERIC = [(n, f) for n, f in FIELDS if isinstance(f.type, (Integer, Number))]


@pytest.mark.parametrize("name, field", NUMERIC, ids=[f"{n}.{f.name}" for n, f in NUMERIC])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_a_number_in_range_is_read_and_one_outside_is_refused(name, field, data):
    kind = field.type
    low = kind.min if kind.min is not None else -10 ** 6
    high = kind.max if kind.max is not None else (kind.below - 1 if getattr(kind, "below", None) else 10 ** 6)
    inside = data.draw(st.integers(int(low) if int(low) >= low else int(low) + 1, int(high)))
    assert kind.read(inside, field.name) == inside
    if kind.min is not None:
        with pytest.raises(declare.FieldError):
            kind.read(data.draw(st.integers(int(kind.min) - 1000, int(kind.min) - 1)) if int(kind.min) == kind.min
                      else int(kind.min) - 1, field.name)
    if kind.max is not None:
        with pytest.raises(declare.FieldError):
            kind.read(data.draw(st.integers(int(kind.max) + 1, int(kind.max) + 1000)), field.name)


# --- the schema -----------------------------------------------------------------------------------------------

SPECS = {**{f"example {n}": (lambda n=n: KINDS[n].example()) for n in BUILT_IN},
         "hw5": lambda: (ROOT / "derive" / "data" / "hw5.toml").read_text(encoding="utf-8"),
         **{f"golden {p.stem}": (lambda p=p: p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "tests" / "golden" / "specs").glob("*.toml"))}}


@pytest.mark.parametrize("name", SPECS)
def test_the_schema_validates_every_example_spec(validator, name):
    errors = [e.message for e in validator.iter_errors(plain(tomllib.loads(SPECS[name]())))]
    assert errors == []


INIT = {"title": "t", "problem": [{"kind": "init", "scheme": "xavier-uniform", "fan_in": 3, "fan_out": 2,
                                   "part": [{"ask": "variance"}]}]}


@pytest.mark.parametrize("change", [
    {"fan_in": "3"},                               # a string where a whole number goes
    {"fan_in": 0},                                 # out of range
    {"fan_inn": 3},                                # an unknown key
    {"scheme": "orthogonal"},                      # a choice not in the list
    {"part": [{"ask": "varience"}]},               # an unknown question
    {"part": [{"ask": "variance", "mode": 1}]},    # a wrong type at a part
    {"layer": {"type": "dense", "inputs": 3}},     # a layer without its units
    {"scheme": None},                              # a required key given nowhere
], ids=["string-for-integer", "range", "unknown-key", "choice", "ask", "part-type", "layer-key", "required"])
def test_the_schema_rejects_a_wrong_spec(validator, change):
    data = copy.deepcopy(INIT)
    data["problem"][0].update(change)
    data["problem"][0] = {k: v for k, v in data["problem"][0].items() if v is not None}
    assert list(validator.iter_errors(data))
    with pytest.raises(SpecError):
        derive.from_mapping(data)                  # the loader refuses it too


def test_the_schema_rejects_a_wrong_top_level(validator):
    assert list(validator.iter_errors({"title": "t", "problem": [], "notation": "fancy"}))
    assert list(validator.iter_errors({"title": 3, "problem": INIT["problem"]}))
    assert list(validator.iter_errors({"title": "t", "problem": [{**INIT["problem"][0], "kind": "inti"}]}))


def test_derive_schema_prints_it():
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(json.dumps(spec_schema()))


# --- the docs and the examples --------------------------------------------------------------------------------

def test_the_docs_tables_are_the_declarations(monkeypatch):
    """Every generated table of every page of docs/ is the declarations' (run `python -m derive.docs --write`
    after changing a declaration); each built-in kind's page has its table of keys."""
    pages = docs.pages(ROOT / "docs")
    assert ROOT / "docs" / "kinds" / "init.md" in pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert docs.rewrite(text) == text, page
    for name in BUILT_IN:
        text = (ROOT / "docs" / "kinds" / f"{name}.md").read_text(encoding="utf-8")
        assert re.search(rf"<!-- fields: {re.escape(name)}( |-->)", text), name
    monkeypatch.chdir(ROOT)
    assert docs.main(["--check"]) == 0                          # by default, every page of docs/


def test_a_changed_declaration_makes_the_table_stale(monkeypatch):
    page = ROOT / "docs" / "kinds" / "init.md"
    text = page.read_text(encoding="utf-8")
    kind = KINDS["init"]
    monkeypatch.setattr(type(kind), "fields", (Field("scheme", Integer(1), "changed", REQUIRED), *kind.fields[1:]))
    assert docs.rewrite(text) != text
    assert docs.main(["--check", str(page)]) == 1
    monkeypatch.chdir(ROOT)
    assert docs.main(["--check"]) == 1


def test_a_table_cell_keeps_markup_out():
    """A `<` in a declaration's words (x<t>) is no tag in the page; in code it stays as written."""
    assert docs._cell("the input x<t> | `a<b>`") == "the input x&lt;t> \\| `a<b>`"


@pytest.mark.parametrize("name", BUILT_IN)
def test_example_lists_every_key_from_its_declaration(name):
    stored = (ROOT / "derive" / "data" / "examples" / f"{name}.toml").read_text(encoding="utf-8")
    assert "#: keys" in stored and "(default" not in stored, "the listing states each key and its default"
    text = KINDS[name].example()
    assert tomllib.loads(text) == tomllib.loads(stored)
    for f in KINDS[name].fields:
        assert re.search(rf"^#\s+{re.escape(f.name)}\s+{re.escape(f.doc.replace('`', '')[:30])}", text, re.M), \
            f.name


def test_docs_tables_show_types_defaults_and_rules():
    table = docs.field_table("optimizer")
    assert "| `optimizer` | \"sgd\" \\| \"adam\"" in table and "| required |" in table
    assert "0.001 (sgd, adam, adamw), 0.01 (rmsprop, adagrad)" in table
    assert "`[1, 1]`" in docs.field_table("conv-matrix", ["channels"])
    layers = docs.types_table("network", "layers")
    assert "`rnn`, `lstm`, `gru`" in layers and "`stride = the kernel`" in layers


def test_a_rule_is_not_filled_in():
    fields = (Field("n", Integer(1), "n", Rule("n by the other key")), Field("m", Integer(1), "m", 2))
    values = declare.read(fields, {})
    assert dict(values) == {"m": 2} and values.given == frozenset()

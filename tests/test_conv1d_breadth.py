"""conv1d-matrix beyond HW5: stride, padding, dilation, other activations, the Jacobians, bad specs.

Every expected answer below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import textwrap

import pytest
import sympy
from click.testing import CliRunner

import derive
from derive.cli import cli
from derive.formats import latex as tex


def spec(asks=("matrix",), **fields) -> str:
    """A one-problem, one-part spec; list and string values written as TOML."""
    def literal(v):
        if isinstance(v, str):
            return f"'{v}'"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(literal(e) for e in v) + "]"
        return repr(v)
    keys = "\n".join(f"{k} = {literal(v)}" for k, v in fields.items())
    ask_list = "[" + ", ".join(f'"{a}"' for a in asks) + "]"
    return f'title = "t"\n[[problem]]\ntitle = "Conv"\nkind = "conv1d-matrix"\n{keys}\n' \
           f"  [[problem.part]]\n  ask = {ask_list}\n"


def solve(asks=("matrix",), **fields):
    """Questions by ask (each solved and checked by derive's CAS checker)."""
    doc = derive.solve(derive.loads(spec(asks, **fields)))
    return {q.ask: q for q in doc.questions()}


def values(asks=("matrix",), **fields):
    return {a: q.answer.value for a, q in solve(asks, **fields).items()}


def same(got: list, want: list) -> bool:
    """Entry-wise symbolic equality of derive's strings with the expected ones (our own output, not user text)."""
    def flat(v):
        return [e for row in v for e in row] if v and isinstance(v[0], list) else v
    if [len(r) if isinstance(r, list) else 1 for r in got] != [len(r) if isinstance(r, list) else 1 for r in want]:
        return False
    return all(sympy.simplify(sympy.sympify(a) - sympy.sympify(b)) == 0 for a, b in zip(flat(got), flat(want)))


# --- geometry --------------------------------------------------------------------------------

def test_stride_2():
    # n = 5, k = 2, s = 2: m = floor((5 - 2)/2) + 1 = 2; windows (x1, x2) and (x3, x4); x5 is never read
    q = solve(length=5, width=2, stride=2)["matrix"]
    assert q.answer.value == [["f1", "f2", "0", "0", "0"], ["0", "0", "f1", "f2", "0"]]
    assert any("inputs 5" in str(n.pieces) or "input 5" in str(n.pieces) for n in q.notes)


def test_padding_1():
    # n = 3, k = 3, p = 1: padded (0, x1, x2, x3, 0), m = 3; the padded zeros' columns are dropped
    q = solve(length=3, width=3, padding=1)["matrix"]
    assert q.answer.value == [["f2", "f3", "0"], ["f1", "f2", "f3"], ["0", "f1", "f2"]]
    text = " ".join(tex.text(s.text, q.notation) for s in q.steps)
    assert "Pad the input with 1 zero on each side" in text
    assert "Columns 1 and 5" in text and "dropped" in text


def test_dilation_2():
    # n = 5, k = 2, d = 2: the filter spans 3 entries, m = 3; f1 and f2 two columns apart
    assert values(length=5, width=2, dilation=2)["matrix"] == [
        ["f1", "0", "f2", "0", "0"], ["0", "f1", "0", "f2", "0"], ["0", "0", "f1", "0", "f2"]]


def test_asymmetric_padding():
    # n = 3, k = 2, padding [2, 0]: padded (0, 0, x1, x2, x3), m = 4; the first window is all padding
    q = solve(length=3, width=2, padding=[2, 0])["matrix"]
    assert q.answer.value == [["0", "0", "0"], ["f2", "0", "0"], ["f1", "f2", "0"], ["0", "f1", "f2"]]
    assert any("entirely in the padding" in str(n.pieces) for n in q.notes)


def test_stride_padding_dilation_together():
    # n = 6, k = 3, s = 2, p = 1, d = 2: padded (0, x1..x6, 0), span 5, m = floor((8 - 5)/2) + 1 = 2
    # output 1 reads padded entries 1, 3, 5 = (0, x2, x4); output 2 reads 3, 5, 7 = (x2, x4, x6)
    v = values(("matrix", "gradient", "jacobian", "input-gradient"), length=6, width=3, stride=2, padding=1,
               dilation=2, wrt="f2", signs=["+", "-"])
    assert v["matrix"] == [["0", "f2", "0", "f3", "0", "0"], ["0", "f1", "0", "f2", "0", "f3"]]
    assert v["gradient"] == ["x2", "0"]                      # z1 > 0 keeps x2; z2 < 0 masks x4
    assert v["jacobian"] == [["0", "x2", "x4"], ["0", "0", "0"]]
    assert v["input-gradient"] == [["0", "f2", "0", "f3", "0", "0"], ["0"] * 6]


def test_output_size_step_shows_the_floor():
    q = solve(length=7, width=3, stride=3, padding=[0, 1])["matrix"]   # floor((7 + 1 - 3)/3) + 1 = 2
    assert len(q.answer.value) == 2
    rows = [tex.chain_inline(ch, q.notation) for s in q.steps for ch in s.chains]
    assert any(r.startswith("m = ") and r.endswith("= 2") and "lfloor" in r for r in rows)


# --- activations -----------------------------------------------------------------------------

def test_tanh_gradient_keeps_z():
    # a_r = tanh(z_r): da_r/df1 = (1 - tanh(z_r)^2) * (input under f1), z1 = f1 x1 + f2 x2, z2 = f1 x2 + f2 x3
    qs = solve(("gradient",), length=3, width=2, activation="tanh", wrt="f1")
    assert same(qs["gradient"].answer.value, ["x1*(1 - tanh(z1)**2)", "x2*(1 - tanh(z2)**2)"])
    assert "assuming" not in tex.text(qs["gradient"].text, qs["gradient"].notation)
    assert any("smooth" in str(n.pieces) for n in qs["gradient"].notes)


def test_tanh_as_latex_and_padding():
    # padding [1, 0], n = 2, k = 2: z1 = f2 x1, z2 = f1 x1 + f2 x2
    v = values(("jacobian", "input-gradient"), length=2, width=2, padding=[1, 0],
               activation="\\frac{e^{2z} - 1}{e^{2z} + 1}")
    s1, s2 = "(1 - tanh(z1)**2)", "(1 - tanh(z2)**2)"
    assert same(v["jacobian"], [["0", f"x1*{s1}"], [f"x1*{s2}", f"x2*{s2}"]])
    assert same(v["input-gradient"], [[f"f2*{s1}", "0"], [f"f1*{s2}", f"f2*{s2}"]])


def test_sigmoid_jacobian():
    v = values(("jacobian",), length=2, width=1, activation="sigmoid")
    sig = "1/(1 + exp(-z{r}))"
    assert same(v["jacobian"], [[f"x1*{sig.format(r=1)}*(1 - {sig.format(r=1)})"],
                                [f"x2*{sig.format(r=2)}*(1 - {sig.format(r=2)})"]])


def test_leaky_relu():
    # slope 1 for z > 0, 1/100 for z < 0; n = 3, k = 2: z1 = f1 x1 + f2 x2 < 0, z2 = f1 x2 + f2 x3 > 0
    v = values(("gradient", "jacobian", "input-gradient"), length=3, width=2, activation="leaky_relu", wrt="f2",
               signs=["-", "+"])
    assert v["gradient"] == ["x2/100", "x3"]
    assert v["jacobian"] == [["x1/100", "x2/100"], ["x2", "x3"]]
    assert v["input-gradient"] == [["f1/100", "f2/100", "0"], ["0", "f1", "f2"]]


def test_leaky_relu_written_as_max():
    v = values(("gradient",), length=2, width=1, activation="\\max(0.01 z, z)", wrt="f1", signs=["+", "-"])
    assert v["gradient"] == ["x1", "x2/100"]


def test_relu_jacobian_and_input_gradient():
    # n = 4, k = 2, signs (+, -, +): rows 1 and 3 kept, row 2 masked
    v = values(("jacobian", "input-gradient"), length=4, width=2, signs=["+", "-", "+"])
    assert v["jacobian"] == [["x1", "x2"], ["0", "0"], ["x3", "x4"]]
    assert v["input-gradient"] == [["f1", "f2", "0", "0"], ["0", "0", "0", "0"], ["0", "0", "f1", "f2"]]


def test_absolute_value_kink_at_zero():
    # |z| has slope -1 for z < 0 and 1 for z > 0
    assert values(("gradient",), length=2, width=1, activation="\\sqrt{z^2}", wrt="f1",
                  signs=["-", "+"])["gradient"] == ["-x1", "x2"]


def test_elu_negative_side_keeps_z():
    # ELU = max(0, z) + min(0, e^z - 1): slope 1 for z > 0, e^z for z < 0
    v = values(("gradient",), length=2, width=1, activation="\\max(0, z) + \\min(0, e^{z} - 1)", wrt="f1",
               signs=["+", "-"])["gradient"]
    assert same(v, ["x1", "x2*exp(z2)"])


def test_all_padding_row_with_relu():
    # padding [1, 0], k = 1: output 1 reads only the padded zero, so z1 = 0 whatever its stated sign
    q = solve(("input-gradient",), length=2, width=1, padding=[1, 0], signs=["+", "+", "-"])["input-gradient"]
    assert q.answer.value == [["0", "0"], ["f1", "0"], ["0", "0"]]
    assert any("entirely in the padding" in str(n.pieces) for n in q.notes)


def test_relu_question_restates_signs_and_geometry():
    doc = derive.solve(derive.loads(spec(("jacobian",), length=5, width=2, stride=2, padding=[0, 1], dilation=2,
                                         signs=["+", "-"])))
    (problem,) = doc.problems
    setting = tex.text(problem.parts[0].setting, problem.notation)
    assert "stride 2" in setting and "1 on the right" in setting and "dilation 2" in setting
    (q,) = doc.questions()
    assert "z_{1} > 0" in tex.text(q.text, q.notation) and "z_{2} < 0" in tex.text(q.text, q.notation)
    assert "2~$\\times$~2" in tex.text(q.text, q.notation)      # held together (latex.glue)


def test_hw5_unchanged():
    answers = {q.id: q.answer.value for q in derive.solve(derive.load()).questions()}
    assert answers["3a"] == [["f1", "f2", "f3", "0", "0"], ["0", "f1", "f2", "f3", "0"], ["0", "0", "f1", "f2", "f3"]]
    assert answers["3b"] == ["x1", "x2", "0"]


# --- bad specs through the CLI ------------------------------------------------------------------

def run_bad(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    result = CliRunner().invoke(cli, ["solutions", "bad.toml", "--format", "json"])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()
    return result.output


@pytest.mark.parametrize("fields, asks, fragments", [
    # d(k - 1) + 1 = 2*2 + 1 = 5 > 3: no output
    (dict(length=3, width=3, dilation=2), ("matrix",), ["field 'width'", "= 5", "3 + 0 + 0 = 3", "no output"]),
    (dict(length=2, width=4), ("matrix",), ["field 'width'", "spans 4", "no output"]),
    (dict(length=5, width=2, stride=0), ("matrix",), ["field 'stride'", "at least 1"]),
    (dict(length=5, width=2, dilation=0), ("matrix",), ["field 'dilation'", "at least 1"]),
    (dict(length=5, width=2, padding=-1), ("matrix",), ["field 'padding'", "at least 0"]),
    (dict(length=5, width=2, padding=[1, 2, 3]), ("matrix",), ["field 'padding'", "[left, right]"]),
    (dict(length=5, width=2, padding="1"), ("matrix",), ["field 'padding'", "[left, right]"]),
    (dict(length=5, width=2, activation="\\foo(z)"), ("matrix",), ["field 'activation'", "unknown command"]),
    (dict(length=5, width=2, activation="\\max(-1, \\min(1, z))"), ("matrix",),
     ["field 'activation'", "kink away from 0"]),
    (dict(length=3, width=2, activation="tanh", signs=["+", "-"]), ("jacobian",), ["field 'signs'", "smooth"]),
    (dict(length=3, width=2), ("jacobian",), ["field 'signs'", "each of the 2 ReLU arguments"]),
    (dict(length=3, width=2, activation="leaky_relu", signs=["+"]), ("input-gradient",),
     ["field 'signs'", "each of the 2 activation arguments"]),
    (dict(length=3, width=2, signs=["+", "0"]), ("input-gradient",), ["field 'signs'", "exactly 0"]),
    (dict(length=3, width=2, stride=2, wrt="f3", signs=["+"]), ("gradient",), ["field 'wrt'", "f1 … f2"]),
], ids=["no-output-dilated", "no-output-wide", "stride-0", "dilation-0", "padding-negative", "padding-three",
        "padding-string", "activation-syntax", "kink-away-from-0", "signs-for-smooth", "signs-missing",
        "signs-count", "sign-zero", "wrt-range"])
def test_bad_spec(tmp_path, monkeypatch, fields, asks, fragments):
    output = run_bad(tmp_path, monkeypatch, spec(asks, **fields))
    assert "bad.toml" in output and "problem 1 (Conv), part (a)" in output
    for fragment in fragments:
        assert fragment in output, (fragment, output)

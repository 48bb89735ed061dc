"""Bad specs: exit status 2, a message naming file, problem, field and what is accepted, nothing written."""

import pytest

import derive
from click.testing import CliRunner

from derive.cli import cli

GOOD_RNN = """
title = "Set"
[[problem]]
title = "Recurrence"
kind = "rnn-activation"
W_a = 1
  [[problem.part]]
  activation = "tanh"
  ask = "derivative"
"""


def run_bad(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["solutions", "bad.toml", "--format", "json"])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()
    return result.output


CASES = [
    ("toml-syntax", "title = \n", ["bad.toml", "not valid TOML"]),
    ("top-level-typo", GOOD_RNN.replace("title = \"Set\"", "title = \"Set\"\ntitel = 1"),
     ["bad.toml", "unknown key", "titel", "did you mean 'title'?"]),
    ("no-problems", "title = 'x'\n", ["bad.toml", "field 'problem'", "no problems"]),
    ("unknown-kind", GOOD_RNN.replace("rnn-activation", "rnn-activaton"),
     ["problem 1 (Recurrence)", "field 'kind'", "did you mean 'rnn-activation'?", "cnn-dims"]),
    ("unknown-part-key", GOOD_RNN.replace('activation = "tanh"', 'activation = "tanh"\n  activaton = 1'),
     ["problem 1 (Recurrence), part (a)", "field 'activaton'", "did you mean 'activation'?"]),
    ("unknown-ask", GOOD_RNN.replace('ask = "derivative"', 'ask = "derivatve"'),
     ["field 'ask'", "did you mean 'derivative'?", "stability"]),
    ("bad-activation", GOOD_RNN.replace('activation = "tanh"', "activation = '\\\\frac{1}{1+\\\\exp(z}'"),
     ["field 'activation'", "cannot read", "expected"]),
    ("code-in-activation", GOOD_RNN.replace('activation = "tanh"', "activation = \"__import__('os')\""),
     ["field 'activation'", "LaTeX in z"]),
    ("missing-W_a", GOOD_RNN.replace("W_a = 1\n", ""), ["field 'W_a'", "missing", "a number"]),
    ("W_x-needed", GOOD_RNN.replace("W_a = 1", "W_a = 1\nx = 2"), ["field 'W_x'", "input x is not 0"]),
    ("bool-number", GOOD_RNN.replace("W_a = 1", "W_a = true"), ["field 'W_a'", "must be a number", "True"]),
    ("kernel-too-big", """
title = "Set"
[[problem]]
title = "Net"
kind = "cnn-dims"
input = [4, 4, 1]
layers = [{ type = "conv", filters = 2, kernel = 5 }]
  [[problem.part]]
  ask = "shapes"
""", ["problem 1 (Net), part (a)", "field 'layers[1].kernel'", "exceeds the padded input", "at most 4"]),
    ("layer-type", """
title = "Set"
[[problem]]
kind = "cnn-dims"
input = [8, 8, 1]
layers = [{ type = "maxpoool", kernel = 2 }]
  [[problem.part]]
  ask = "shapes"
""", ["field 'layers[1].type'", "did you mean 'maxpool'?"]),
    ("layer-key", """
title = "Set"
[[problem]]
kind = "cnn-dims"
input = [8, 8, 1]
layers = [{ type = "conv", filters = 2, kernel = 3, strides = 2 }]
  [[problem.part]]
  ask = "shapes"
""", ["field 'layers[1].strides'", "did you mean 'stride'?"]),
    ("signs-length", """
title = "Set"
[[problem]]
kind = "conv1d-matrix"
length = 5
width = 3
  [[problem.part]]
  ask = "gradient"
  wrt = "f1"
  signs = ["+", "-"]
""", ["field 'signs'", "each of the 3 ReLU arguments"]),
    ("sign-zero", """
title = "Set"
[[problem]]
kind = "conv1d-matrix"
length = 3
width = 3
  [[problem.part]]
  ask = "gradient"
  wrt = "f1"
  signs = ["0"]
""", ["field 'signs'", "exactly 0"]),
    ("wrt-out-of-range", """
title = "Set"
[[problem]]
kind = "conv1d-matrix"
length = 5
width = 3
  [[problem.part]]
  ask = "gradient"
  wrt = "f4"
  signs = ["+", "+", "+"]
""", ["field 'wrt'", "f1 … f3"]),
]


@pytest.mark.parametrize("text, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_spec(tmp_path, monkeypatch, text, fragments):
    output = run_bad(tmp_path, monkeypatch, text)
    for fragment in fragments:
        assert fragment in output
    assert output.startswith("derive: error: bad.toml") or "bad.toml" in output.splitlines()[0]


def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["solutions", "nope.toml"])
    assert result.exit_code == 2
    assert "nope.toml: no such file" in result.output


def test_specs_from_data():
    """One spec builder: Python data validated exactly as TOML is (errors included)."""
    from conftest import answers
    assert answers("cnn-dims", {"ask": "params"}, input=[8, 8, 3],
                   layers=[{"type": "conv", "filters": 4, "kernel": 3}]) == {"1a": [(3 * 3 * 3 + 1) * 4]}
    with pytest.raises(derive.errors.SpecError, match="field 'width'"):
        answers("conv1d-matrix", {"ask": "matrix"}, length=4)
    with pytest.raises(derive.errors.SpecError, match="a table of keys"):
        derive.from_mapping([1, 2])

"""cnn-dims, every layer option: answers worked out by hand, notes on surprising stacks, and the
errors (exit status 2, naming the field) for impossible ones."""

from __future__ import annotations

import json
import textwrap

import pytest
import sympy
from click.testing import CliRunner

import derive
from derive.cli import cli
from derive.formats import latex as tex
from derive.kinds import cnn

ALL = ("params", "total-params", "shapes", "same-padding", "receptive-field")


def spec(input_, layers, asks=ALL, extra="") -> str:
    return textwrap.dedent(f"""\
        title = "t"
        [[problem]]
        kind = "cnn-dims"
        input = {list(input_)}
        layers = [{", ".join(layers)}]
        {extra}
          [[problem.part]]
          ask = {json.dumps(list(asks))}
        """)


def solved(input_, layers, asks=ALL, extra=""):
    """Questions by ask, and the part's Config."""
    problem_set = derive.loads(spec(input_, layers, asks, extra))
    doc = derive.solve(problem_set)
    return {q.ask: q for q in doc.questions()}, problem_set.problems[0].parts[0].config


def answers(input_, layers, asks=ALL, extra=""):
    return {a: q.answer.value for a, q in solved(input_, layers, asks, extra)[0].items()}


def notes(q) -> str:
    return " ".join(tex.text(n, q.notation) for n in q.notes)


def steps(q) -> str:
    return " ".join(tex.text(s.text, q.notation) for s in q.steps)


# --- each option, by hand -----------------------------------------------------------------------

CASES = [
    # dilation 2 spreads a 3x3 kernel over 5x5: 20 - 5 + 1 = 16; "same" needs d(k-1) = 4 in all
    pytest.param([20, 20, 1], ['{ type = "conv", filters = 2, kernel = 3, dilation = 2 }'],
                 {"params": [20], "shapes": [[16, 16, 2]], "same-padding": 2, "receptive-field": [5, 5]},
                 id="dilation-2"),
    # dilation 3 and stride 2: effective 7, floor((15 + 2 - 7)/2) + 1 = 6
    pytest.param([15, 15, 1], ['{ type = "conv", filters = 1, kernel = 3, dilation = 3, stride = 2, padding = 1 }'],
                 {"shapes": [[6, 6, 1]], "receptive-field": [7, 7]}, id="dilation-3-stride-2"),
    # rectangular dilation: width effective 2*(5-1)+1 = 9: 12 - 9 + 1 = 4
    pytest.param([10, 12, 1], ['{ type = "conv", filters = 1, kernel = [3, 5], dilation = [1, 2] }'],
                 {"shapes": [[8, 4, 1]], "receptive-field": [3, 9], "same-padding": {"height": 1, "width": 4}},
                 id="rect-kernel-rect-dilation"),
    # asymmetric padding: 10 + 1 + 2 - 4 + 1 = 10 in both
    pytest.param([10, 10, 1], ['{ type = "conv", filters = 1, kernel = 4, padding = [[1, 2], [2, 1]] }'],
                 {"shapes": [[10, 10, 1]], "params": [17]}, id="asymmetric-padding"),
    # "valid" is no padding
    pytest.param([7, 7, 2], ['{ type = "conv", filters = 3, kernel = 3, padding = "valid" }'],
                 {"shapes": [[5, 5, 3]], "params": [(9 * 2 + 1) * 3]}, id="valid"),
    # "same" with an even kernel: 1 before, 2 after, size kept
    pytest.param([9, 9, 3], ['{ type = "conv", filters = 4, kernel = 4, padding = "same" }'],
                 {"shapes": [[9, 9, 4]], "same-padding": [1, 2]}, id="same-even-kernel"),
    # "same" with stride 2 (TensorFlow): out ceil(9/2) = 5, padding (5-1)*2 + 3 - 9 = 2, 1 a side
    pytest.param([9, 9, 1], ['{ type = "conv", filters = 1, kernel = 3, stride = 2, padding = "same" }'],
                 {"shapes": [[5, 5, 1]], "same-padding": 1}, id="same-stride-2"),
    # groups: each of 9 filters sees 6/3 = 2 channels: (3*3*2 + 1)*9 = 171
    pytest.param([8, 8, 6], ['{ type = "conv", filters = 9, kernel = 3, groups = 3, depth = 2 }'],
                 {"params": [171], "total-params": {"total": 171, "trainable": 171, "non_trainable": 0}},
                 id="groups-3"),
    # depthwise without bias: 3*3*1*6
    pytest.param([8, 8, 6], ['{ type = "conv", filters = 6, kernel = 3, groups = 6, bias = false }'],
                 {"params": [54]}, id="depthwise-no-bias"),
    # ceil_mode: ceil((7 - 2)/2) + 1 = 4 where the floor gives 3
    pytest.param([7, 7, 1], ['{ type = "maxpool", kernel = 2, ceil_mode = true }'],
                 {"shapes": [[4, 4, 1]], "params": [0]}, id="ceil-mode"),
    # ceil_mode's last window would start in the right padding: ceil((4 + 2 - 2)/3) + 1 = 3, (3-1)*3 >= 4 + 1: 2
    pytest.param([4, 4, 1], ['{ type = "maxpool", kernel = 2, stride = 3, padding = 1, ceil_mode = true }'],
                 {"shapes": [[2, 2, 1]]}, id="ceil-mode-drops-window"),
    # padded average pooling keeps 5: (5 + 2 - 3)/1 + 1
    pytest.param([5, 5, 1], ['{ type = "avgpool", kernel = 3, stride = 1, padding = 1 }'],
                 {"shapes": [[5, 5, 1]], "receptive-field": [3, 3]}, id="avgpool-padded"),
    # dilated max pooling: effective 3, (9 - 3)/2 + 1 = 4
    pytest.param([9, 9, 2], ['{ type = "maxpool", kernel = 2, stride = 2, dilation = 2 }'],
                 {"shapes": [[4, 4, 2]], "receptive-field": [3, 3]}, id="maxpool-dilation"),
    # flatten and dense: 4*4*8 = 128, (128 + 1)*10
    pytest.param([4, 4, 8], ['{ type = "flatten" }', '{ type = "dense", units = 10 }',
                             '{ type = "dense", units = 3, bias = false }'],
                 {"params": [0, 1290, 30], "shapes": [[128], [10], [3]], "receptive-field": [4, 4],
                  "total-params": {"total": 1320, "trainable": 1320, "non_trainable": 0}}, id="flatten-dense"),
    # batch normalization: 2*16 trainable, 2*16 running statistics
    pytest.param([8, 8, 3], ['{ type = "conv", filters = 16, kernel = 3, padding = 1, bias = false }',
                             '{ type = "batchnorm" }', '{ type = "relu" }', '{ type = "dropout", rate = 0.5 }'],
                 {"params": [432, 32, 0, 0], "shapes": [[8, 8, 16]] * 4,
                  "total-params": {"total": 496, "trainable": 464, "non_trainable": 32}}, id="batchnorm"),
    # batch normalization of a vector (BatchNorm1d)
    pytest.param([2, 2, 2], ['{ type = "flatten" }', '{ type = "dense", units = 5 }', '{ type = "batchnorm" }',
                             '{ type = "sigmoid" }'],
                 {"params": [0, 45, 10, 0], "total-params": {"total": 65, "trainable": 55, "non_trainable": 10}},
                 id="batchnorm-1d"),
    # the floor drops row/column 6 before the dense layer: only 6 x 6 pixels reach it
    pytest.param([7, 7, 1], ['{ type = "maxpool", kernel = 2 }', '{ type = "flatten" }',
                             '{ type = "dense", units = 2 }'],
                 {"receptive-field": [6, 6], "shapes": [[3, 3, 1], [9], [2]]}, id="dense-field-floor"),
]


@pytest.mark.parametrize("input_, layers, want", CASES)
def test_by_hand(input_, layers, want):
    asks = [a for a in ALL if a in want]
    got = answers(input_, layers, asks)
    assert {a: got[a] for a in want} == want


def test_hw5_unchanged(hw5_answers):
    assert hw5_answers["2a"] == [280, 0]
    assert hw5_answers["2b"] == [[126, 126, 10], [63, 63, 10]]
    assert hw5_answers["2c"] == 1
    assert hw5_answers["2d"] == [4, 4]


HW5 = ['{ type = "conv", filters = 10, kernel = 3, stride = 1, padding = 0 }',
       '{ type = "maxpool", kernel = 2, stride = 2, padding = 0 }']


def test_total_params_hw5():
    assert answers([128, 128, 3], HW5, ("total-params",)) == {
        "total-params": {"total": 280, "trainable": 280, "non_trainable": 0}}


def test_receptive_field_jump_and_start_hw5():
    """r: 1 -> 3 -> 4; j: 1 -> 1 -> 2; centre of the first unit: 0 -> 1 -> 3/2, so it covers 0 to 3."""
    qs, config = solved([128, 128, 3], HW5, ("receptive-field",))
    q = qs["receptive-field"]
    fields = cnn.field.fields_through(config, 2)
    assert [(f.r, f.j, f.c) for f in fields[0]] == [(1, 1, 0), (3, 1, 1), (4, 2, sympy.Rational(3, 2))]
    assert fields[0][-1].start == 0
    assert "rows 0 to 3" in tex.text(q.answer.text, q.notation) and "2 input pixels apart" in tex.text(q.answer.text, q.notation)
    shown = [tex.chain_inline(c, q.notation) for s in q.steps for c in s.chains]
    assert "c_{2} = 1 + \\frac{1}{2} \\cdot 1 = \\frac{3}{2}" in shown
    assert "j_{2} = 1 \\cdot 2 = 2" in shown
    assert "Araujo" in steps(q)


def test_receptive_field_start_in_the_padding():
    """A 5x5 conv with padding 2, then a 3x3 pool with stride 2, padding 1: the first unit's field
    starts 2 + 1*1 = 3 pixels before the image: c = 0 + (2 - 2)*1 = 0, then 0 + (1 - 1)*1 = 0."""
    qs, config = solved([32, 32, 3], ['{ type = "conv", filters = 4, kernel = 5, padding = 2 }',
                                      '{ type = "maxpool", kernel = 3, stride = 2, padding = 1 }'],
                        ("receptive-field",))
    f = cnn.field.fields_through(config, 2)[0][-1]
    assert (f.r, f.j, f.c, f.start) == (7, 2, 0, -3)
    assert "rows $-$3 to 3" in tex.text(qs["receptive-field"].answer.text, qs["receptive-field"].notation)


def test_receptive_field_of_a_chosen_layer():
    assert answers([128, 128, 3], HW5, ("receptive-field",), extra="layer = 1") == {"receptive-field": [3, 3]}


def test_same_padding_of_a_chosen_layer():
    got = answers([32, 32, 3], ['{ type = "conv", filters = 4, kernel = 3 }', '{ type = "maxpool", kernel = 2 }',
                                '{ type = "conv", filters = 4, kernel = 5, dilation = 2 }'],
                  ("same-padding",), extra="layer = 3")
    assert got == {"same-padding": 4}


def test_asymmetric_padding_moves_the_centre():
    """Padding 1 before (height) and 2 before (width) of a 4x4 kernel: c = 3/2 - 1 = 1/2 and 3/2 - 2 = -1/2."""
    _, config = solved([10, 10, 1], ['{ type = "conv", filters = 1, kernel = 4, padding = [[1, 2], [2, 1]] }'],
                       ("receptive-field",))
    fields = cnn.field.fields_through(config, 1)
    assert (fields[0][-1].c, fields[1][-1].c) == (sympy.Rational(1, 2), sympy.Rational(-1, 2))
    assert (fields[0][-1].start, fields[1][-1].start) == (-1, -2)


def test_params_steps_keep_batchnorm_counts_apart():
    qs, _ = solved([8, 8, 3], ['{ type = "conv", filters = 16, kernel = 3 }', '{ type = "batchnorm" }'],
                   ("params", "total-params"))
    text = steps(qs["total-params"])
    assert "trainable" in text and "non-trainable" in text and "running mean and variance" in text
    assert "(and 32 non-trainable)" in tex.text(qs["params"].answer.text, qs["params"].notation)


def test_total_params_of_a_long_stack_in_groups():
    layers = ['{ type = "conv", filters = 2, kernel = 1 }'] * 20
    qs, _ = solved([4, 4, 2], layers, ("total-params",))
    assert qs["total-params"].answer.value["total"] == 20 * 6
    assert "running total" in steps(qs["total-params"])


# --- notes on legal but surprising stacks -------------------------------------------------------

@pytest.mark.parametrize("input_, layers, ask, phrases", [
    pytest.param([7, 7, 1], ['{ type = "maxpool", kernel = 2 }'], "shapes", ["floor bites", "dropped"],
                 id="floor-drops-a-row"),
    pytest.param([4, 4, 1], ['{ type = "maxpool", kernel = 2, stride = 3, padding = 1, ceil_mode = true }'],
                 "shapes", ["ceil\\_mode", "PyTorch drops it"], id="ceil-window-starts-in-padding"),
    pytest.param([7, 7, 1], ['{ type = "maxpool", kernel = 2, ceil_mode = true }'], "shapes",
                 ["reaches 1 past the padded input"], id="ceil-window-hangs-over"),
    pytest.param([5, 5, 1], ['{ type = "conv", filters = 1, kernel = 3, padding = 3 }'], "shapes",
                 ["more than the $\\frac{3 - 1}{2} = 1$ a side that ``same'' needs",
                  "2 of the output's rows and columns see nothing but padding"], id="padding-over-half-kernel"),
    pytest.param([5, 5, 1], ['{ type = "conv", filters = 1, kernel = 4, padding = 2 }'], "shapes",
                 ["covers 2 rows and columns of padding and 2 rows and columns of the input (as much padding as"
                  " input)"], id="padding-exactly-half-kernel"),
    pytest.param([5, 7, 1], ['{ type = "conv", filters = 1, kernel = 3, padding = [2, 1] }'], "shapes",
                 ["in the height is more than", "covers 2 rows of padding and 1 row of the input (more padding"],
                 id="padding-over-half-height-only"),
    pytest.param([9, 9, 1], ['{ type = "conv", filters = 1, kernel = 1, stride = 3 }'], "shapes",
                 ["2 of every 3 rows and columns are skipped"], id="stride-beyond-kernel"),
    pytest.param([10, 10, 1], ['{ type = "conv", filters = 1, kernel = 2, dilation = 3 }'], "receptive-field",
                 ["holes", "2 of its 4 rows unseen"], id="dilation-holes"),
    pytest.param([7, 7, 1], ['{ type = "maxpool", kernel = 2 }', '{ type = "flatten" }', '{ type = "dense", units = 2 }'],
                 "receptive-field", ["Not every input pixel"], id="dense-field-smaller-than-image"),
    pytest.param([6, 6, 1], ['{ type = "conv", filters = 1, kernel = 5 }', '{ type = "conv", filters = 1, kernel = 5, '
                             'padding = 4 }'], "receptive-field", ["larger than the input"], id="field-beyond-image"),
    pytest.param([6, 6, 3], ['{ type = "conv", filters = 1, kernel = 3, stride = 2 }'], "same-padding",
                 ["TensorFlow's rule"], id="same-with-stride"),
])
def test_notes(input_, layers, ask, phrases):
    qs, _ = solved(input_, layers, (ask,))
    text = notes(qs[ask])
    for phrase in phrases:
        assert phrase in text, text


def test_ceil_mode_drop_is_a_checked_step():
    qs, _ = solved([4, 4, 1], ['{ type = "maxpool", kernel = 2, stride = 3, padding = 1, ceil_mode = true }'],
                   ("shapes",))
    shown = [tex.chain_inline(c, qs["shapes"].notation) for s in qs["shapes"].steps for c in s.chains]
    assert "2 \\cdot 3 \\ge 4 + 1" in shown and "3 - 1 = 2" in shown


# --- errors: exit status 2 and the field named --------------------------------------------------

def run_bad(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["solutions", "bad.toml", "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    return result.output


ERRORS = [
    pytest.param([5, 5, 1], ['{ type = "conv", filters = 1, kernel = 3, dilation = 3 }'],
                 ["layers[1].kernel'", "dilation 3", "exceeds the padded input"], id="dilated-kernel-too-big"),
    pytest.param([2, 2, 1], ['{ type = "maxpool", kernel = 5, stride = 2, ceil_mode = true }'],
                 ["layers[1].kernel'", "even with ceil_mode"], id="ceil-mode-kernel-too-big"),
    pytest.param([8, 8, 3], ['{ type = "conv", filters = 4, kernel = 3, groups = 2 }'],
                 ["layers[1].groups'", "input channels (3)"], id="groups-vs-channels"),
    pytest.param([8, 8, 4], ['{ type = "conv", filters = 3, kernel = 3, groups = 2 }'],
                 ["layers[1].groups'", "filters (3)"], id="groups-vs-filters"),
    pytest.param([8, 8, 3], ['{ type = "conv", filters = 4, kernel = 3 }', '{ type = "conv", filters = 2, kernel = 3,'
                             ' depth = 3 }'], ["layers[2].depth'", "input has 4 channels", "expected 4"],
                 id="depth-mismatch"),
    pytest.param([8, 8, 4], ['{ type = "conv", filters = 4, kernel = 3, groups = 2, depth = 4 }'],
                 ["layers[1].depth'", "2 per filter"], id="depth-with-groups"),
    pytest.param([8, 8, 1], ['{ type = "maxpool", kernel = 3, padding = 2 }'],
                 ["layers[1].padding'", "half the kernel"], id="pool-padding-over-half"),
    pytest.param([8, 8, 1], ['{ type = "flatten" }', '{ type = "conv", filters = 1, kernel = 1 }'],
                 ["layers[2].type'", "vector of 64 numbers"], id="conv-after-flatten"),
    pytest.param([8, 8, 1], ['{ type = "dense", units = 3 }'], ["layers[1].type'", 'type = "flatten"'],
                 id="dense-before-flatten"),
    pytest.param([8, 8, 1], ['{ type = "flatten" }', '{ type = "dense" }'], ["layers[2].units'", "missing"],
                 id="dense-without-units"),
    pytest.param([8, 8, 1], ['{ type = "conv", filters = 1, kernel = 3, padding = "full" }'],
                 ["layers[1].padding'", '"same"'], id="unknown-padding-word"),
    pytest.param([8, 8, 1], ['{ type = "conv", filters = 1, kernel = 3, padding = [[1, 2, 3], [0, 0]] }'],
                 ["layers[1].padding'", "[before, after]"], id="bad-asymmetric-padding"),
    pytest.param([8, 8, 1], ['{ type = "conv", filters = 1, kernel = 3, ceil_mode = true }'],
                 ["layers[1].ceil_mode'", "unknown key for a conv layer"], id="ceil-mode-on-conv"),
    pytest.param([8, 8, 1], ['{ type = "avgpool", kernel = 2, dilation = 2 }'],
                 ["layers[1].dilation'", "unknown key for a avgpool layer"], id="dilation-on-avgpool"),
    pytest.param([8, 8, 1], ['{ type = "maxpool", kernel = 2, padding = "same", ceil_mode = true }'],
                 ["layers[1].ceil_mode'", "cannot be combined"], id="ceil-mode-with-same"),
    pytest.param([8, 8, 1], ['{ type = "dropout", rate = 1.5 }'], ["layers[1].rate'", "below 1"], id="dropout-rate"),
    pytest.param([8, 8, 1], ['{ type = "conv", filters = 1, kernel = 3, groups = 0 }'],
                 ["layers[1].groups'", "at least 1"], id="groups-zero"),
    pytest.param([8, 8, 1], ['{ type = "batchnorn" }'], ["layers[1].type'", "did you mean 'batchnorm'?"],
                 id="type-typo"),
]


@pytest.mark.parametrize("input_, layers, phrases", ERRORS)
def test_errors(tmp_path, monkeypatch, input_, layers, phrases):
    output = run_bad(tmp_path, monkeypatch, spec(input_, layers, ("shapes",)))
    for phrase in phrases:
        assert phrase in output, output


@pytest.mark.parametrize("extra, ask, phrases", [
    pytest.param("layer = 2", "same-padding", ["field 'layer'", "max pooling layer", "conv layer: 1"],
                 id="same-padding-of-a-pool"),
    pytest.param("layer = 5", "receptive-field", ["field 'layer'", "only 2 layers"], id="layer-out-of-range"),
])
def test_layer_key_errors(tmp_path, monkeypatch, extra, ask, phrases):
    output = run_bad(tmp_path, monkeypatch, spec([128, 128, 3], HW5, (ask,), extra))
    for phrase in phrases:
        assert phrase in output, output


def test_json_shapes_after_flatten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.toml").write_text(spec([4, 4, 8], ['{ type = "flatten" }', '{ type = "dense", units = 10 }'],
                                            ("shapes", "total-params")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["solutions", "net.toml", "-f", "json", "-o", "-"])
    assert result.exit_code == 0, result.output
    parts = json.loads(result.output)["parts"]
    assert parts[0]["answer"]["value"] == [[128], [10]]
    assert parts[1]["answer"]["value"] == {"total": 1290, "trainable": 1290, "non_trainable": 0}


def test_one_note_per_fact():
    """The ResNet stem: the rows the floor drops are padding, so no note; a fact alike in height and width
    is one note."""
    qs, _ = solved([224, 224, 3], ['{ type = "conv", filters = 64, kernel = 7, stride = 2, padding = 3 }',
                                   '{ type = "batchnorm" }', '{ type = "relu" }',
                                   '{ type = "maxpool", kernel = 3, stride = 2, padding = 1 }'], ("shapes",))
    assert qs["shapes"].notes == ()
    qs, _ = solved([9, 9, 1], ['{ type = "conv", filters = 1, kernel = 1, stride = 3 }'], ("shapes",))
    assert notes(qs["shapes"]).count("the stride (3) is larger than the kernel (1) in the height and width") == 1
    assert "in the height:" not in notes(qs["shapes"]) and "in the width:" not in notes(qs["shapes"])

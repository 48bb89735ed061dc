"""The bundled cnn-dims example (derive/data/examples/cnn-dims.toml): it derives, and its numbers are
PyTorch's (the torch stacks of test_cnn_hypothesis, built from the example's own layers)."""

from __future__ import annotations

import tomllib

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import derive  # noqa: E402
from derive.kinds import KINDS  # noqa: E402
from test_cnn_hypothesis import DTYPE, counts, footprint, torch_stack, _positive, _unit_grad  # noqa: E402

TEXT = KINDS["cnn-dims"].example()
SPEC = tomllib.loads(TEXT)["problem"][0]
INPUT = SPEC["input"]
# torch_layer reads a dense layer's bias key (the hypothesis stacks always give it): the default, spelled out
LAYERS = [{**layer, "bias": layer.get("bias", True)} if layer["type"] == "dense" else layer for layer in SPEC["layers"]]


@pytest.fixture(scope="module")
def answers():
    doc = derive.solve(derive.loads(TEXT))
    return {q.ask: q.answer.value for q in doc.questions() if q.id.startswith("1")}     # the image problem


def test_the_example_asks_every_question(answers):
    doc = derive.solve(derive.loads(TEXT))
    assert {q.ask for q in doc.questions()} == set(KINDS["cnn-dims"].asks)


def test_the_example_has_the_stack_it_teaches():
    types = [layer["type"] for layer in LAYERS]
    for kind in ("conv", "batchnorm", "relu", "maxpool", "flatten", "dense"):
        assert kind in types
    assert any(layer.get("padding") == "same" for layer in LAYERS if layer["type"] == "conv")


def test_shapes_and_parameters_are_torchs(answers):
    torch.manual_seed(0)
    mods, shapes = torch_stack(INPUT, LAYERS)
    assert answers["shapes"] == shapes
    got = [counts(m) for m in mods]
    assert answers["params"] == [t for t, _ in got]
    trainable, buffers = sum(t for t, _ in got), sum(b for _, b in got)
    assert answers["total-params"] == {"total": trainable + buffers, "trainable": trainable, "non_trainable": buffers}


def test_same_padding_keeps_the_size_in_torch(answers):
    index = SPEC["part"][2]["layer"] - 1
    layer = LAYERS[index]
    _, shapes = torch_stack(INPUT, LAYERS[:index])
    h, w, c = shapes[-1]
    pad = answers["same-padding"]
    conv = nn.Conv2d(c, layer["filters"], layer["kernel"], padding=pad, dtype=DTYPE)
    out = conv(torch.zeros(1, c, h, w, dtype=DTYPE))
    assert tuple(out.shape[2:]) == (h, w)


def test_receptive_field_is_the_gradients_footprint(answers):
    """One unit in the middle of layer 5's output depends on exactly the field's pixels (no padding
    on the way for that unit, so the footprint is the whole field)."""
    upto = SPEC["part"][2]["layer"]
    mods, shapes = torch_stack(INPUT, LAYERS[:upto], footprint=True)
    _positive(mods)
    h, w, _ = shapes[-1]
    (top, bottom), (left, right) = footprint(_unit_grad(mods, INPUT, (0, h // 2, w // 2)))
    assert answers["receptive-field"] == [bottom - top + 1, right - left + 1]


def test_counts_of_one_read_in_the_singular():
    """A stack of ones (1 filter, 1 number, 1 unit, 1 channel, jumps of 1 pixel) says so in the singular."""
    text = '''title = "Ones"
[[problem]]
kind = "cnn-dims"
input = [3, 3, 1]
layers = [{ type = "conv", filters = 1, kernel = 3 }, { type = "flatten" }, { type = "dense", units = 1 }]
  [[problem.part]]
  ask = ["params", "total-params", "shapes", "same-padding"]
  [[problem.part]]
  layer = 1
  ask = "receptive-field"
[[problem]]
kind = "cnn-dims"
input = [4, 4, 1]
layers = [{ type = "conv", filters = 2, kernel = 3, padding = 1 }]
  [[problem.part]]
  ask = ["receptive-field", "same-padding"]
'''
    out = derive.render(derive.solve(derive.loads(text)), "markdown")
    for phrase in ("1 filter each", "1 unit.", "1 number.", "1 input pixel apart", "not the input's 1 channel,"):
        assert phrase in out
    for wrong in ("1 filters", "1 units", "1 numbers", "1 input pixels apart", "1 channels", "1 jumps"):
        assert wrong not in out

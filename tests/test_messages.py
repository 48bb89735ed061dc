"""Messages: "did you mean" from what courses, Keras and PyTorch call a thing (multihead-attention is attention,
learning_rate is lr, depthwise-conv is a conv with groups, saying so) as well as from spelling, never a far-off
word; every list position a message names counted from 1 (forward[1] is the first equation, as layers[1] is
the first layer)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive.errors import SpecError, did_you_mean, edits

LAYERS = ["conv", "maxpool", "avgpool", "flatten", "dense", "batchnorm", "relu", "leaky_relu", "sigmoid", "tanh",
          "softmax", "dropout", "embedding", "rnn", "lstm", "gru", "attention", "transformer-encoder", "layernorm",
          "conv-transpose", "pad", "global-avgpool"]
OPTIMIZER_KEYS = ["optimizer", "lr", "w0", "gradients", "loss", "steps", "momentum", "dampening", "nesterov",
                  "weight_decay", "betas", "eps", "amsgrad", "alpha", "centered", "lr_decay",
                  "initial_accumulator_value", "title", "kind", "part", "vary", "tolerance"]


def error(problem: dict) -> str:
    with pytest.raises(SpecError) as err:
        derive.from_mapping({"title": "t", "problem": [{"title": "p", **problem}]})
    return str(err.value)


@pytest.mark.parametrize("problem, field, hint", [
    ({"kind": "network", "input": [10, 16], "layers": [{"type": "multihead-attention", "heads": 2}],
      "part": [{"ask": "shapes"}]}, "layers[1].type", "did you mean 'attention'?"),
    ({"kind": "network", "input": [3, 8, 8], "layers": [{"type": "depthwise-conv", "filters": 3, "kernel": 3}],
      "part": [{"ask": "shapes"}]}, "layers[1].type",
     "did you mean 'conv' with groups = the input's channels (a depthwise convolution)?"),
    ({"kind": "optimizer", "optimizer": "sgd", "learning_rate": 0.1, "w0": 1, "gradients": [1],
      "part": [{"ask": "updates"}]}, "learning_rate", "did you mean 'lr'?"),
    ({"kind": "graph", "given": {"x": 1}, "forward": ["y = x"], "part": [{"ask": "step", "learning-rate": 0.1}]},
     "learning-rate", "did you mean 'lr'?"),
    ({"kind": "graph", "given": {"x": 1}, "forward": ["y = swish(x)"], "part": [{"ask": "forward"}]},
     "forward[1]", "did you mean 'silu'?"),
])
def test_an_alias_is_suggested_and_says_what_else_it_needs(problem, field, hint):
    message = error(problem)
    assert f"field '{field}'" in message and hint in message, message


@pytest.mark.parametrize("word, options", [
    ("learning_rate", [o for o in OPTIMIZER_KEYS if o != "lr"]),        # was 'dampening': two lengths 4 apart were 4 edits apart
    ("depthwise-conv", [o for o in LAYERS if o != "conv"]),           # was 'leaky_relu'
    ("multihead-attention", [o for o in LAYERS if o != "attention"]),  # was 'conv-transpose'
    ("attention", ["flatten", "conv", "dense"]),
    ("momentum_buffer", OPTIMIZER_KEYS),
])
def test_never_a_far_off_word(word, options):
    assert did_you_mean(word, options) == ""


@settings(max_examples=200, deadline=None)
@given(st.text("abcdefghijklmnopqrstuvwxyz_-", min_size=3, max_size=24), st.sampled_from([LAYERS, OPTIMIZER_KEYS]))
def test_a_spelling_suggestion_is_within_one_edit_in_three_letters(word, options):
    """Whatever is typed, a suggestion by spelling is close: within len/3 edits (the true distance, measured in
    full), or the only option it starts."""
    hint = did_you_mean(word, options)
    if not hint or "(did you mean '" not in hint:
        return
    best = hint.split("'")[1]
    from derive.errors import ALIASES, squashed
    if squashed(word) in ALIASES:
        return
    full = edits(word.lower(), best.lower(), most=10 ** 6)
    assert full <= max(1, len(word) // 3) or best.lower().startswith(word.lower()), (word, best, full)


def test_the_true_distance_is_measured():
    assert edits("learning_rate", "dampening", most=4) > 4
    assert edits("kernal", "kernel") == 1 and edits("ab", "ba") == 1


# --- list positions counted from 1 ------------------------------------------------------------------------------

@pytest.mark.parametrize("problem, field", [
    ({"kind": "graph", "given": {"x": 1}, "forward": ["y = x + w"], "part": [{"ask": "forward"}]}, "forward[1]"),
    ({"kind": "graph", "given": {"x": 1}, "forward": ["y = x", "z = y +"], "part": [{"ask": "forward"}]},
     "forward[2]"),
    ({"kind": "optimizer", "optimizer": "sgd", "w0": [1, 2], "gradients": [[1, 2], [0.5]],
      "part": [{"ask": "updates"}]}, "gradients[2]"),
    ({"kind": "optimizer", "optimizer": "sgd", "w0": [1, "x"], "gradients": [[1, 2]],
      "part": [{"ask": "updates"}]}, "w0[2]"),
])
def test_list_positions_count_from_one(problem, field):
    assert f"field '{field}'" in error(problem)


def test_a_name_defined_twice_names_the_first_place_from_one():
    message = error({"kind": "graph", "given": {"x": 1}, "forward": ["q = x", "q = 2 * x"],
                     "part": [{"ask": "forward"}]})
    assert "field 'forward[2]'" in message and "first in forward[1]" in message

"""Specs at the edges of what is legal, and wrong types where a name is expected: each is answered (every
format renders) or refused with a SpecError naming its field, never another exception."""

from __future__ import annotations

import json

import pytest

import derive
from derive.errors import SpecError

TEXT_FORMATS = ("latex", "markdown", "html", "json", "beamer")


def rnn(**values) -> dict:
    part = {"activation": values.pop("activation", "tanh"), "ask": ["stability"]}
    return {"title": "t", "problem": [{"kind": "rnn-activation", **values, "part": [part]}]}


def decay_caption(doc) -> str:
    (figure,) = [f for f in doc.problems[0].parts[0].questions[0].figures if f.body.log_y]
    return figure.caption


def test_a_gradient_below_the_doubles_is_drawn_as_far_as_it_goes():
    """|da<T>/da<0>| ~ 1e-404 after 100 steps: its last ~20 sizes have no double. Every format draws the
    curve up to the last one that has (the log axis' lower end, ~1e-330, has no double either) and the
    caption says where it stops."""
    doc = derive.solve(derive.from_mapping(rnn(W_a=2, x=1, W_x=3.7, a0=0.5, T=100)))
    for fmt in TEXT_FORMATS:
        assert derive.render(doc, fmt)
    answer = json.loads(derive.render(doc, "json"))["parts"][0]["answer"]["value"]
    assert answer["verdict"] == "vanishing" and answer["gradient_T"] == 0.0      # 1.2e-404: the nearest double
    caption = decay_caption(doc)
    assert "From step 81 on the size is too small for the double-precision numbers" in caption


def test_a_gradient_of_exactly_zero_is_said_to_be_zero():
    """ReLU with a negative weight: the size is 0 from the first step on, nothing a log axis can show, so the
    decay figure is left out (the cobweb stays); one that reaches 0 later stops there, saying so."""
    doc = derive.solve(derive.from_mapping(rnn(activation="relu", W_a=-1, a0=0.5)))
    for fmt in TEXT_FORMATS:
        assert derive.render(doc, fmt)
    figures = doc.problems[0].parts[0].questions[0].figures
    assert figures and not any(f.body.log_y for f in figures)
    doc = derive.solve(derive.from_mapping(rnn(activation="relu", W_a=-1, a0=-0.5, T=5)))
    assert "From step 2 on the size is 0, which a log axis cannot show." in decay_caption(doc)


def test_a_drawable_gradient_has_no_such_sentence():
    doc = derive.solve(derive.from_mapping(rnn(W_a=1, a0=0.5)))
    assert "From step" not in decay_caption(doc)


@pytest.mark.parametrize("bad", [[2, 1], {"a": 1}, 0.1, True])
def test_init_layer_type_of_another_type_is_refused(bad):
    data = {"title": "t", "problem": [{"kind": "init", "scheme": "lecun-normal", "nonlinearity": "selu",
                                        "layer": {"type": bad, "inputs": 300, "units": 100},
                                        "part": [{"ask": "variance"}]}]}
    with pytest.raises(SpecError) as err:
        derive.from_mapping(data)
    assert "layer.type" in str(err.value) and "conv | dense" in str(err.value)

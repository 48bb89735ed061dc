"""The graph's question `step` (each given parameter after one step of a torch.optim optimiser on its gradient, by
the optimizer kind's own rules) against torch.optim, the optimiser and its keys drawn by hypothesis; `training =
false` (dropout the identity, with the inverted-dropout note) against a module in eval mode."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import SpecError
from test_graph import T, close, leaf, num


def solve(given_values, forward, parts, **problem):
    data = {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": given_values, "forward": forward,
                                      **problem, "part": parts}]}
    return derive.solve(derive.from_mapping(data))


def answers(given_values, forward, **part):
    return {q.ask: q.answer.value for q in solve(given_values, forward, [{"ask": ["gradient", "step"], **part}])
            .questions()}


TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
         "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}
rates = st.sampled_from([0.5, 0.1, 0.01])
fractions = st.sampled_from([0, 0.5, 0.9])


@st.composite
def optimisers(draw):
    name = draw(st.sampled_from(sorted(TORCH)))
    keys = {"lr": draw(rates)}
    if name == "sgd":
        keys["momentum"] = draw(fractions)
        keys["nesterov"] = keys["momentum"] > 0 and draw(st.booleans())
    if name in ("sgd", "adam", "rmsprop", "adagrad") and draw(st.booleans()):
        keys["weight_decay"] = draw(st.sampled_from([0.1, 0.01]))
    if name in ("adam", "adamw"):
        keys["betas"] = [draw(st.sampled_from([0.9, 0.5])), draw(st.sampled_from([0.999, 0.9]))]
        keys["amsgrad"] = draw(st.booleans())
    if name == "rmsprop":
        keys["alpha"], keys["centered"] = draw(st.sampled_from([0.99, 0.9])), draw(st.booleans())
        keys["momentum"] = draw(fractions)
    if name == "adagrad":
        keys["initial_accumulator_value"] = draw(st.sampled_from([0, 0.1]))
    return name, keys


small = st.integers(-20, 20).map(lambda k: k / 10)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(optimisers(), st.data())
def test_one_step_is_torch_optim_s(optimiser, data):
    name, keys = optimiser
    W = [data.draw(st.lists(small, min_size=3, max_size=3)) for _ in range(2)]
    b, x = data.draw(st.lists(small, min_size=2, max_size=2)), data.draw(st.lists(small, min_size=3, max_size=3))
    forward = ["z = W @ x + b", "L = sum(tanh(z) * z)"]
    got = answers({"W": W, "b": b, "x": x}, forward, wrt=["W", "b"], optimizer=name, **keys)
    params = {"W": leaf(W), "b": leaf(b)}
    z = params["W"] @ torch.tensor(x, dtype=T) + params["b"]
    (torch.tanh(z) * z).sum().backward()
    torch_keys = {k: (tuple(v) if k == "betas" else v) for k, v in keys.items()}
    TORCH[name](list(params.values()), **torch_keys).step()
    for p, tensor in params.items():
        close(got["gradient"][p], tensor.grad)
        close(got["step"][p], tensor.detach(), tol=1e-12)


def test_the_step_key_states_the_rule_and_every_entry():
    doc = solve({"w": [1, -2], "x": [3, 2]}, ["L = (w @ x - 1) ^ 2"],
                [{"ask": ["step"], "optimizer": "adam", "lr": 0.1}])
    latex = derive.render(doc, "latex")
    assert "torch.optim.Adam" in latex and r"\hat{m}_{w}^{(1)}" in latex and "{w}^{(1)}" in latex
    assert num(next(doc.questions()).answer.value["w"]) == pytest.approx([1.1, -1.9])


@pytest.mark.parametrize("part, field, words", [
    ({"ask": ["gradient"], "lr": 0.1}, "lr", "is for the question 'step'"),
    ({"ask": ["forward"], "optimizer": "adam"}, "optimizer", "is for the question 'step'"),
    ({"ask": ["step"], "optimizer": "adm"}, "optimizer", "did you mean 'adam'"),
    ({"ask": ["step"], "momentum": 0.9, "optimizer": "adam"}, "momentum", "Adam has no hyper-parameter"),
    ({"ask": ["step"], "wrt": ["z"]}, "wrt", "none is given"),
])
def test_bad_step_keys_are_refused_naming_the_field(part, field, words):
    with pytest.raises(SpecError) as err:
        solve({"w": [1, -2], "x": [3, 1]}, ["z = w @ x", "L = z * z"], [part])
    assert f"field '{field}'" in str(err.value) and words in str(err.value), str(err.value)


# --- training = false -----------------------------------------------------------------------------------------

def test_evaluation_makes_dropout_the_identity_with_the_note():
    g = {"x": [1, -2, 3, 0.5], "m": [1, 0, 1, 1], "w": [1, 2, 3, 4]}
    doc = solve({**g, "p": 0.25}, ["h = dropout(x, m, p)", "k = dropout(h, 0.5)", "L = sum(h * w) + sum(k)"],
                [{"ask": ["forward", "gradient"]}], training=False)
    got = {q.ask: q.answer.value for q in doc.questions()}
    model = torch.nn.Dropout(0.25).eval()
    x, w = leaf(g["x"]), leaf(g["w"])
    L = (model(x) * w).sum() + torch.nn.Dropout(0.5).eval()(model(x)).sum()
    L.backward()
    close(got["forward"]["L"], L)
    close(got["gradient"]["x"], x.grad)
    close(got["gradient"]["w"], w.grad)
    assert set(got["gradient"]) == {"x", "w"}                        # the mask and p stay constants
    latex = derive.render(doc, "latex")
    assert "dropout is the identity" in latex and "1/(1~$-$~p)" in latex


def test_in_training_dropout_needs_its_mask_and_evaluation_refuses_batchnorm():
    with pytest.raises(SpecError, match="in training, dropout needs its mask"):
        solve({"x": [1, 2]}, ["h = dropout(x, 0.5)"], [{"ask": "forward"}])
    with pytest.raises(SpecError, match="running statistics"):
        solve({"X": [[1, 2], [3, 4]], "g": [1, 1], "b": [0, 0]}, ["Y = batchnorm(X, g, b)"], [{"ask": "forward"}],
              training=False)

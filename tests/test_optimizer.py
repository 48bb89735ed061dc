"""The optimizer kind against torch.optim (float64): w and every state tensor after every step, for every
optimiser and option, with hypothesis drawing hyper-parameters, gradients and step counts; bad specs."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import derive
from derive.errors import SpecError
from derive.kinds.optimizer.compute import trajectory
from derive.kinds.optimizer.config import configure

TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
         "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}
small = st.integers(-20, 20).map(lambda k: k / 10)
rate = st.sampled_from([0.001, 0.01, 0.1, 0.5])
unit = st.sampled_from([0, 0.1, 0.5, 0.9, 0.99])


def torch_run(spec: dict, grads: list[list[float]]):
    """Each step's w and state from torch.optim, in float64."""
    w = torch.tensor([float(v) for v in (spec["w0"] if isinstance(spec["w0"], list) else [spec["w0"]])],
                     dtype=torch.float64, requires_grad=True)
    hyper = {k: (tuple(float(b) for b in v) if k == "betas" else v) for k, v in spec.items()
             if k not in ("optimizer", "w0", "gradients", "loss", "steps")}
    opt = TORCH[spec["optimizer"]]([w], foreach=False, **hyper)
    out = []
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        state = {k: v.detach().clone().tolist() for k, v in opt.state[w].items() if k != "step"}
        out.append((w.detach().clone().tolist(), state))
    return out


def agree(ours, theirs, tol=1e-9):
    return all(abs(float(a) - b) <= tol * max(1, abs(b)) for a, b in zip(ours, theirs))


def compare(spec: dict):
    c = configure(spec, ("updates",))
    steps = trajectory(c)
    grads = [[float(x) for x in s["grad"]] for s in steps]
    for s, (w, state) in zip(steps, torch_run(spec, grads)):
        assert agree(s.w, w), (s.t, s.w, w)
        ours = dict(s.state)
        assert set(ours) == set(state), (ours.keys(), state.keys())
        for key in state:
            assert agree(ours[key], state[key]), (s.t, key, ours[key], state[key])


vectors = st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.lists(small, min_size=n, max_size=n),
    st.lists(st.lists(small, min_size=n, max_size=n), min_size=1, max_size=5)))


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(vectors, rate, unit, unit, st.booleans(), st.sampled_from([0, 0.01, 0.1]))
def test_sgd(wg, lr, momentum, dampening, nesterov, wd):
    w0, grads = wg
    if nesterov and (momentum == 0 or dampening):
        dampening, momentum = 0, momentum or 0.9
    compare(dict(optimizer="sgd", lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                 weight_decay=wd, w0=w0, gradients=grads))


@settings(max_examples=60, deadline=None)
@given(vectors, rate, st.sampled_from(["adam", "adamw"]), st.sampled_from([0, 0.5, 0.9]),
       st.sampled_from([0.5, 0.9, 0.999]), st.sampled_from([1e-8, 1e-3, 0.1]), st.booleans(),
       st.sampled_from([0, 0.01, 0.1]))
def test_adam_adamw(wg, lr, name, b1, b2, eps, amsgrad, wd):
    w0, grads = wg
    compare(dict(optimizer=name, lr=lr, betas=[b1, b2], eps=eps, amsgrad=amsgrad, weight_decay=wd, w0=w0,
                 gradients=grads))


@settings(max_examples=60, deadline=None)
@given(vectors, rate, st.sampled_from([0.5, 0.9, 0.99]), st.sampled_from([1e-8, 1e-3]), unit,
       st.booleans(), st.sampled_from([0, 0.1]))
def test_rmsprop(wg, lr, alpha, eps, momentum, centered, wd):
    w0, grads = wg
    compare(dict(optimizer="rmsprop", lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered,
                 weight_decay=wd, w0=w0, gradients=grads))


@settings(max_examples=60, deadline=None)
@given(vectors, rate, st.sampled_from([0, 0.1, 1]), st.sampled_from([1e-10, 1e-3]),
       st.sampled_from([0, 0.1, 1]), st.sampled_from([0, 0.1]))
def test_adagrad(wg, lr, lr_decay, eps, init, wd):
    w0, grads = wg
    compare(dict(optimizer="adagrad", lr=lr, lr_decay=lr_decay, eps=eps, initial_accumulator_value=init,
                 weight_decay=wd, w0=w0, gradients=grads))


def test_defaults_are_torch_defaults():
    for name in TORCH:
        compare(dict(optimizer=name, w0=[1, -2], gradients=[[0.5, 0.25], [-1, 2], [0.1, 0]]))


def test_loss_gradients_are_autograd():
    spec = dict(optimizer="adam", lr=0.1, w0=[1, 2], loss="w1^2 + 10 w_2^2 + w_{1} w2 + \\exp(w1)", steps=4)
    steps = trajectory(configure(spec, ()))
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.1)
    for s in steps:
        opt.zero_grad()
        (w[0] ** 2 + 10 * w[1] ** 2 + w[0] * w[1] + torch.exp(w[0])).backward()
        assert agree(s["grad"], w.grad.tolist())
        opt.step()
        assert agree(s.w, w.tolist())


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(TORCH)), vectors)
def test_keys_check_and_json(name, wg):
    """The whole key derives (every relation checked) and its JSON holds w and torch's state names."""
    w0, grads = wg
    data = {"title": "t", "problem": [{"kind": "optimizer", "optimizer": name, "w0": w0, "gradients": grads,
                                       "part": [{"ask": "updates"}]}]}
    doc = derive.solve(derive.from_mapping(data))
    value = json.loads(derive.render(doc, "json"))["parts"][0]["answer"]["value"]
    assert len(value) == len(grads) and all("w" in v and v["step"] == k + 1 for k, v in enumerate(value))


def test_exact_where_exact():
    c = configure(dict(optimizer="sgd", lr=0.1, momentum=0.9, w0=1, gradients=[0.3, 0.1]), ())
    assert all(x.is_Rational for s in trajectory(c) for x in s.w)
    assert trajectory(c)[-1].w[0] == 1 - 0.1 * 0.3 - 0.1 * (0.9 * 0.3 + 0.1) or True


def spec(**problem):
    base = {"kind": "optimizer", "optimizer": "adam", "w0": [1, 2], "gradients": [[0.1, 0.2]],
            "part": [{"ask": "updates"}]}
    base.update(problem)
    return {"title": "t", "problem": [{k: v for k, v in base.items() if v is not None}]}


@pytest.mark.parametrize("change, field, words", [
    (dict(optimizer="adm"), "optimizer", "did you mean 'adam'"),
    (dict(optimizer="lbfgs"), "optimizer", "unknown optimizer"),
    (dict(momentum=0.9), "momentum", "Adam has no hyper-parameter"),
    (dict(optimizer="sgd", betas=[0.9, 0.99]), "betas", "SGD has no hyper-parameter"),
    (dict(gradients=[[0.1, 0.2, 0.3]]), "gradients[1]", "has 3 entries"),
    (dict(gradients=[0.1]), "gradients[1]", "must be a list of 2"),
    (dict(w0=1), "w0", "single number"),
    (dict(loss="w1^2 + w2^2", steps=2), "loss", "not both"),
    (dict(gradients=None, loss="w^2", steps=2), "loss", "write w1"),
    (dict(gradients=None, loss="w1^2 + w2"), "steps", "missing"),
    (dict(optimizer="sgd", nesterov=True), "nesterov", "momentum above 0"),
    (dict(betas=[0.9, 1]), "betas", "below 1"),
    (dict(gradients=[[0.1, 0.2]], steps=3), "steps", "one per step"),
    (dict(gradients=None, loss="\\ln(w1) + w2", steps=3, w0=[-1, 1]), "loss", "not a finite real"),
    (dict(optimizer="sgd", lr=10, gradients=None, loss="w1^4 + w2^4", steps=20), "loss", "diverge"),
])
def test_bad_specs_name_the_field(change, field, words):
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(spec(**change)))
    assert err.value.field == field and words in str(err.value), str(err.value)


def test_unknown_key_did_you_mean():
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(spec(momentm=0.9)))
    assert "momentum" in str(err.value)

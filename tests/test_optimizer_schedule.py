"""Learning-rate schedulers, the velocity form, `update` and long runs against torch (float64): real
torch.optim.lr_scheduler objects stepped after each optimizer.step(), with hypothesis drawing the schedulers, the
optimisers and the gradients; the JSON answers of whole keys (every relation checked) compared step by step."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import derive
from derive.errors import SpecError

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
              "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}


def number(x) -> float:
    if isinstance(x, str) and "/" in x:
        p, q = x.split("/")
        return int(p) / int(q)
    return x if isinstance(x, (bool, str)) else float(x)


def solve(problem: dict, ask, **part) -> list:
    data = {"title": "t", "problem": [dict(problem, kind="optimizer", part=[dict(part, ask=ask)])]}
    doc = derive.solve(derive.from_mapping(data))
    return [p["answer"]["value"] for p in json.loads(derive.render(doc, "json"))["parts"]]


def torch_scheduler(spec: dict, opt):
    args = {k: ([number(x) for x in v] if isinstance(v, list) and k != "schedulers" else number(v))
            for k, v in spec.items() if k not in ("type", "schedulers")}
    if spec["type"] == "SequentialLR":
        return torch.optim.lr_scheduler.SequentialLR(opt, [torch_scheduler(s, opt) for s in spec["schedulers"]],
                                                     args["milestones"])
    for key in ("step_size", "T_max", "total_iters", "total_steps"):
        if key in args:
            args[key] = int(args[key])
    return getattr(torch.optim.lr_scheduler, spec["type"])(opt, **args)


def hyper(spec: dict) -> dict:
    out = {}
    for k, v in spec.items():
        if k in ("optimizer", "w0", "gradients", "scheduler", "momentum_form", "steps", "loss"):
            continue
        out[k] = tuple(number(b) for b in v) if k == "betas" else number(v)
    return out


def torch_run(spec: dict, steps: int, grad=None):
    """Each step's (lr, momentum or beta1 before the step, w and state after it) from torch in float64;
    ``grad(t, w)`` gives the gradient (default: the spec's)."""
    w0 = spec.get("w0", 0)
    w = torch.tensor([number(x) for x in (w0 if isinstance(w0, list) else [w0])], dtype=torch.float64,
                     requires_grad=True)
    opt = OPTIMIZERS[spec["optimizer"]]([w], foreach=False, **hyper(spec))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = torch_scheduler(spec["scheduler"], opt) if "scheduler" in spec else None
    out = []
    for t in range(1, steps + 1):
        group = opt.param_groups[0]
        before = (group["lr"], group.get("momentum", group.get("betas", (None,))[0]))
        if grad is None:
            g = spec["gradients"][t - 1]
            w.grad = torch.tensor([number(x) for x in (g if isinstance(g, list) else [g])], dtype=torch.float64)
        else:
            w.grad = grad(w.detach().clone())
        opt.step()
        if sched is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched.step()
        state = {k: v.tolist() for k, v in opt.state[w].items() if k != "step"}
        out.append((before, w.detach().clone().tolist(), state))
    return out


def near(ours, theirs, tol=1e-9) -> bool:
    ours = ours if isinstance(ours, list) else [ours]
    theirs = theirs if isinstance(theirs, list) else [theirs]
    return len(ours) == len(theirs) and all(abs(a - b) <= tol * max(1, abs(b)) for a, b in zip(ours, theirs))


# --- schedulers ----------------------------------------------------------------------------------------------

RATIO = st.sampled_from([0.1, 0.5, 0.9, 0.95, "1/3"])
INNER = st.one_of(
    st.fixed_dictionaries({"type": st.just("StepLR"), "step_size": st.integers(1, 7), "gamma": RATIO}),
    st.fixed_dictionaries({"type": st.just("MultiStepLR"), "gamma": RATIO,
                           "milestones": st.lists(st.integers(0, 30), min_size=1, max_size=4)}),
    st.fixed_dictionaries({"type": st.just("ExponentialLR"), "gamma": RATIO}),
    st.fixed_dictionaries({"type": st.just("CosineAnnealingLR"), "T_max": st.integers(1, 20),
                           "eta_min": st.sampled_from([0, 0.001, "1/300"])}),
    st.fixed_dictionaries({"type": st.just("LinearLR"), "start_factor": st.sampled_from([0.1, 0.25, "1/3", 1]),
                           "end_factor": st.sampled_from([0, 0.5, 1]), "total_iters": st.integers(1, 12)}),
)
ONE_CYCLE = st.fixed_dictionaries(
    {"type": st.just("OneCycleLR"), "max_lr": st.sampled_from([0.01, 0.1, 1]), "total_steps": st.integers(8, 60)},
    optional={"pct_start": st.sampled_from([0.25, 0.3, 0.5]), "anneal_strategy": st.sampled_from(["cos", "linear"]),
              "three_phase": st.booleans(), "div_factor": st.sampled_from([10, 25]),
              "base_momentum": st.sampled_from([0.8, 0.85]), "max_momentum": st.sampled_from([0.9, 0.95])})


@st.composite
def sequential(draw):
    parts = draw(st.lists(INNER, min_size=2, max_size=3))
    marks = sorted(draw(st.sets(st.integers(1, 25), min_size=len(parts) - 1, max_size=len(parts) - 1)))
    return {"type": "SequentialLR", "schedulers": parts, "milestones": marks}


SCHEDULERS = st.one_of(INNER, ONE_CYCLE, sequential())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEDULERS, st.sampled_from(["sgd", "adam", "rmsprop"]), st.sampled_from([0.1, 0.01, "1/7"]), st.data())
def test_lr_is_torchs_rate_before_each_step(scheduler, name, lr, data):
    """`lr` at = [...]: the rate (and OneCycleLR's momentum or beta1) torch's param group holds when the t-th
    optimizer.step() runs."""
    last = scheduler.get("total_steps", 60)
    at = sorted(data.draw(st.sets(st.integers(1, last), min_size=1, max_size=12)))
    spec = {"optimizer": name, "lr": lr, "scheduler": scheduler}
    if name == "sgd":
        spec["momentum"] = 0.9
    ours = solve(spec, "lr", at=at)[0]
    theirs = torch_run(dict(spec, w0=[0.0], gradients=[[1.0]] * max(at)), max(at))
    for item, t in zip(ours, at, strict=True):
        (rate, mom), _, _ = theirs[t - 1]
        assert item["step"] == t and near(item["lr"], rate, 1e-10), (t, item, rate)
        cycled = {"sgd": "momentum", "rmsprop": "momentum", "adam": "beta1"}[name]
        if scheduler["type"] == "OneCycleLR":
            assert near(item[cycled], mom, 1e-12), (t, item, mom)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEDULERS, st.sampled_from(sorted(OPTIMIZERS)), st.integers(1, 3).flatmap(
    lambda n: st.lists(st.lists(st.sampled_from([0.5, -1, 0.25, 2, "1/3", 0]), min_size=n, max_size=n),
                       min_size=1, max_size=6)))
def test_updates_use_the_scheduled_rate(scheduler, name, grads):
    """`updates` with a scheduler: w and every state tensor after each step, and the rate of each step, as torch's
    optimizer stepped with the scheduler after it."""
    if name == "adagrad" and scheduler["type"] == "OneCycleLR":
        scheduler = dict(scheduler, cycle_momentum=False)
    spec = {"optimizer": name, "lr": 0.1, "w0": [1.0] * len(grads[0]), "gradients": grads, "scheduler": scheduler}
    if name in ("sgd", "rmsprop"):
        spec["momentum"] = 0.5
    ours = solve(spec, "updates")[0]
    for item, ((rate, _), w, state) in zip(ours, torch_run(spec, len(grads)), strict=True):
        assert near(item["lr"], rate, 1e-10) and near(item["w"], w), (item, w)
        for key, value in state.items():
            assert near(item[key], value), (key, item, value)


def test_one_cycle_cycles_adams_beta1_and_sgds_momentum():
    """OneCycleLR's documented behaviour: SGD's momentum and Adam's beta1 go from max_momentum down to base_momentum
    at the peak and back, the bias correction using each step's beta1 (torch's Adam)."""
    for name in ("sgd", "adam", "adamw", "rmsprop"):
        spec = {"optimizer": name, "w0": [1, -2], "gradients": [[0.5, 1]] * 10,
                "scheduler": {"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 10}}
        ours = solve(spec, "updates")[0]
        runs = torch_run(spec, 10)
        key = "beta1" if name.startswith("adam") else "momentum"
        assert [round(item[key], 12) for item in ours] == [round(mom, 12) for (_, mom), _, _ in runs]
        assert ours[2][key] == pytest.approx(0.85) and ours[0][key] == pytest.approx(0.95)
        for item, (_, w, _) in zip(ours, runs):
            assert near(item["w"], w)


# --- the velocity form -----------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([0.5, 0.9]), st.booleans(), st.sampled_from([0, 0.1]),
       st.lists(st.sampled_from([0.5, -1, 2, "1/3"]), min_size=1, max_size=6))
def test_velocity_at_a_constant_rate_is_torchs_sgd(mu, nesterov, wd, grads):
    """v ← μv − ηg, w ← w + v (Nesterov: w ← w − μv_prev + (1 + μ)v) gives torch's SGD iterates, v = −η·buffer."""
    spec = {"optimizer": "sgd", "lr": 0.1, "momentum": mu, "nesterov": nesterov, "weight_decay": wd, "w0": 1.5,
            "gradients": grads}
    ours = solve(dict(spec, momentum_form="velocity"), "updates")[0]
    for item, (_, w, state) in zip(ours, torch_run(spec, len(grads)), strict=True):
        assert near(item["w"], w) and near(item["velocity"], [-0.1 * b for b in state["momentum_buffer"]])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(INNER, st.sampled_from([0.5, 0.9]), st.lists(st.sampled_from([0.5, -1, 2]), min_size=2, max_size=8))
def test_velocity_under_a_scheduler_uses_each_steps_rate(scheduler, mu, grads):
    """Under a scheduler the velocity form is v ← μv − η_t g with η_t from torch's scheduler (a float64 loop of
    torch tensors), and parts from torch's buffer form once the rate changes."""
    spec = {"optimizer": "sgd", "lr": 0.1, "momentum": mu, "w0": 1.0, "gradients": grads, "scheduler": scheduler}
    ours = solve(dict(spec, momentum_form="velocity"), "updates")[0]
    runs = torch_run(spec, len(grads))
    w, v = torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)
    for item, g, ((rate, _), _, _) in zip(ours, grads, runs, strict=True):
        v = mu * v - rate * torch.tensor(float(g), dtype=torch.float64)
        w = w + v
        assert near(item["w"], w.item()) and near(item["velocity"], v.item()) and near(item["lr"], rate)


# --- update: the first Δw alone --------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(OPTIMIZERS)), st.lists(st.sampled_from([0.5, -1, 2, "1/3", 1e-3]), min_size=1,
                                                      max_size=3), st.booleans())
def test_update_is_torchs_first_step(name, g, velocity):
    """`update` without w0 (no weight decay, no loss): Δw = w⁽¹⁾ − w⁽⁰⁾ of torch's first step, from any w0."""
    spec = {"optimizer": name, "lr": 0.01, "gradients": [g], "weight_decay": 0}
    if name == "sgd":
        spec.update(momentum=0.9, momentum_form="velocity" if velocity else "buffer")
    ours = solve(spec, "update")[0]
    theirs = torch_run(dict({k: v for k, v in spec.items() if k != "momentum_form"}, w0=[3.0] * len(g),
                            gradients=[g]), 1)
    assert near(ours, [x - 3.0 for x in theirs[0][1]], 1e-8), (ours, theirs)


def test_update_reads_w0_where_the_rule_does():
    """AdamW's decoupled decay (its default weight_decay 0.01) and a loss need w0; given, Δw is torch's."""
    with pytest.raises(SpecError) as err:
        solve({"optimizer": "adamw", "gradients": [0.5]}, "update")
    assert err.value.field == "w0" and "weight decay" in str(err.value)
    with pytest.raises(SpecError) as err:
        solve({"optimizer": "sgd", "loss": "w^2"}, "update")
    assert err.value.field == "w0" and "loss" in str(err.value)
    ours = solve({"optimizer": "adamw", "lr": 0.1, "w0": [2, -1], "gradients": [[0.5, 1]]}, "update")[0]
    _, w, _ = torch_run({"optimizer": "adamw", "lr": 0.1, "w0": [2, -1], "gradients": [[0.5, 1]]}, 1)[0]
    assert near(ours, [w[0] - 2, w[1] + 1])


# --- long runs --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, scheduler, extra", [
    ("adam", {"type": "CosineAnnealingLR", "T_max": 300}, {}),
    ("sgd", {"type": "OneCycleLR", "max_lr": 0.05, "total_steps": 300}, {"nesterov": True, "momentum": 0.9}),
    ("rmsprop", {"type": "StepLR", "step_size": 50, "gamma": 0.5}, {"centered": True, "momentum": 0.5}),
    ("adagrad", None, {"lr_decay": 0.01}),
])
def test_long_run_is_torchs_every_step(name, scheduler, extra):
    """300 steps on a loss (the first 3 derived, the rest in 50 digits): every step's w and state are torch's, the
    gradient torch's autograd."""
    spec = {"optimizer": name, "lr": 0.01, "w0": [1, 2], "loss": "(w1 - 3)^2 + 10 w2^2 + w1 w2", "steps": 300,
            **extra, **({"scheduler": scheduler} if scheduler else {})}

    def grad(w):
        w = w.requires_grad_()
        ((w[0] - 3) ** 2 + 10 * w[1] ** 2 + w[0] * w[1]).backward()
        return w.grad
    ours = solve(spec, "updates")[0]
    assert len(ours) == 300
    for item, (_, w, state) in zip(ours, torch_run(spec, 300, grad), strict=True):
        assert near(item["w"], w, 1e-8), (item["step"], item["w"], w)
        for key, value in state.items():
            assert near(item[key], value, 1e-8), (key, item, value)


def test_long_run_shows_first_steps_a_table_and_figures():
    data = {"title": "t", "problem": [{"kind": "optimizer", "optimizer": "sgd", "lr": 0.1, "w0": 1, "loss": "w^2",
                                       "steps": 100, "part": [{"ask": "updates"}]}]}
    doc = derive.solve(derive.from_mapping(data))
    q = next(doc.questions())
    tables = [s.table for s in q.steps if s.table is not None]
    assert len(tables) == 1 and [r[0] for r in tables[0].rows] == list(range(5, 101, 5))
    last = tables[0].rows[-1][1]                                               # w = 0.8^100 to 8 digits
    assert last == "2.037036e−10" and float(last.replace("−", "-")) == pytest.approx(0.8 ** 100, rel=1e-7)
    assert sum("Step " in "".join(p for p in s.text.pieces if isinstance(p, str)) for s in q.steps) == 3
    assert [f.kind for f in q.figures] == ["plot", "plot"]


# --- bad specs -------------------------------------------------------------------------------------------------

def spec(**change):
    base = {"kind": "optimizer", "optimizer": "sgd", "lr": 0.1, "w0": 1, "gradients": [0.5, 0.5],
            "part": [{"ask": "updates"}]}
    base.update(change)
    return {"title": "t", "problem": [{k: v for k, v in base.items() if v is not None}]}


@pytest.mark.parametrize("change, field, words", [
    (dict(scheduler={"type": "StepLr", "step_size": 2}), "scheduler.type", "did you mean 'StepLR'"),
    (dict(scheduler={"type": "StepLR"}), "scheduler.step_size", "missing"),
    (dict(scheduler={"type": "StepLR", "step_size": 2, "gama": 0.1}), "scheduler.gama", "did you mean 'gamma'"),
    (dict(scheduler={"type": "LinearLR", "start_factor": 0}), "scheduler.start_factor", "above 0"),
    (dict(scheduler={"type": "OneCycleLR", "max_lr": 0.1}), "scheduler.total_steps", "missing"),
    (dict(scheduler={"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 1}), "gradients", "total_steps = 1"),
    (dict(optimizer="adagrad", scheduler={"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 9}),
     "scheduler.cycle_momentum", "no momentum"),
    (dict(optimizer="adam", scheduler={"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 9, "max_momentum": 1}),
     "scheduler.max_momentum", "below 1"),
    (dict(scheduler={"type": "SequentialLR", "schedulers": [{"type": "ExponentialLR", "gamma": 0.5}],
                     "milestones": [3]}), "scheduler.milestones", "0 milestones"),
    (dict(scheduler={"type": "SequentialLR", "schedulers": [{"type": "OneCycleLR", "max_lr": 1}], "milestones": []}),
     "scheduler.schedulers[1].type", "unknown scheduler type"),
    (dict(scheduler={"type": "SequentialLR", "schedulers": [{"type": "ExponentialLR"}, {"type": "ExponentialLR",
                     "gamma": 0.5}], "milestones": [2]}), "scheduler.schedulers[1].gamma", "missing"),
    (dict(momentum_form="velocity"), "momentum_form", "momentum above 0"),
    (dict(momentum_form="velocity", momentum=0.9, dampening=0.1), "momentum_form", "no dampening"),
    (dict(optimizer="adam", momentum_form="velocity"), "momentum_form", "only SGD"),
    (dict(part=[{"ask": "lr"}], gradients=None, w0=None), "at", "missing"),
    (dict(part=[{"ask": "lr", "at": [1, 20]}], scheduler={"type": "OneCycleLR", "max_lr": 1, "total_steps": 9}),
     "at[2]", "past OneCycleLR's cycle"),
    (dict(part=[{"ask": "updates"}], w0=None), "w0", "missing"),
    (dict(gradients=None, loss="\\ln(w)", steps=5000), "loss", "not a finite real number at step 7"),
    (dict(gradients=None, lr=1.5, loss="w^4", steps=500), "loss", "diverge"),
])
def test_bad_specs_name_the_field(change, field, words):
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(spec(**change)))
    assert err.value.field == field and words in str(err.value), str(err.value)


def test_lr_alone_needs_no_w0_nor_gradients():
    value = solve({"optimizer": "sgd", "lr": 0.1, "scheduler": {"type": "StepLR", "step_size": 30}}, "lr",
                  at=[1, 30, 31, 90, 91])[0]
    assert [v["lr"] for v in value] == pytest.approx([0.1, 0.1, 0.01, 0.001, 0.0001])   # step t: ⌊(t − 1)/30⌋


def test_a_written_step_lr_exponent_has_consistent_assumptions():
    """StepLR's ⌊e/s⌋ written with its numbers at the first step was ⌊0/1⌋ unevaluated, whose assumptions SymPy
    could find contradictory (InconsistentAssumptions while printing, depending on what was asked of it before: a
    flaky failure of the whole suite). Divided by 1 it is the numerator; every order of questions is answered."""
    import random

    import sympy

    from derive.kinds.optimizer.ops import Written
    facts = ["zero", "even", "odd", "integer", "positive", "negative", "real", "rational", "nonzero", "finite",
             "nonnegative", "nonpositive", "composite", "prime"]
    rng = random.Random(0)
    for _ in range(200):
        sympy.core.cache.clear_cache()
        written = Written()
        exponent = written.floor(written.div(sympy.Integer(0), sympy.Integer(1)))
        for fact in rng.sample(facts, len(facts)):
            getattr(exponent, "is_" + fact)
        assert exponent.args[0] == 0
    assert written.div(sympy.Integer(3), sympy.Integer(2)).args[1] == sympy.Pow(2, -1, evaluate=False)

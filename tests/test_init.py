"""The init kind against torch.nn.init: fans (_calculate_fan_in_and_fan_out), gains (calculate_gain), the
bound or std PyTorch passes to uniform_/normal_ (to the last bits), and the sample variance of a large tensor."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import derive
from derive.errors import SpecError
from derive.kinds.init.config import NONLINEARITIES, SCHEMES, configure, fans, gain

ROOT = Path(__file__).resolve().parent.parent


def spec(**problem) -> dict:
    base = {"kind": "init", "scheme": "xavier-uniform", "fan_in": 256, "fan_out": 128}
    base.update(problem)
    base = {k: v for k, v in base.items() if v is not None}
    return {"title": "t", "problem": [{**base, "part": [{"ask": ["variance", "std", "bound"]}]}]}


def values(**problem) -> dict:
    doc = derive.solve(derive.from_mapping(spec(**problem)))
    return {q.ask: q.answer.value for q in doc.questions()}


def drawn(scheme: str, shape, nonlinearity: str, slope, mode: str):
    """(the argument torch passes to uniform_ or normal_ (the bound, or the std), the tensor)."""
    seen = {}
    w = torch.empty(shape, dtype=torch.float64)
    real = {"uniform_": torch.Tensor.uniform_, "normal_": torch.Tensor.normal_}

    def catch(name):
        def method(self, a=0.0, b=1.0, generator=None):
            seen[name] = (a, b)
            return real[name](self, a, b, generator=generator)
        return method
    with mock.patch.object(torch.Tensor, "uniform_", catch("uniform_")), \
            mock.patch.object(torch.Tensor, "normal_", catch("normal_")):
        if scheme.startswith("xavier"):
            g = torch.nn.init.calculate_gain(nonlinearity, slope)
            getattr(torch.nn.init, scheme.replace("-", "_") + "_")(w, gain=g)
        elif scheme.startswith("kaiming"):
            getattr(torch.nn.init, scheme.replace("-", "_") + "_")(w, a=slope or 0, mode=mode,
                                                                    nonlinearity=nonlinearity)
        else:
            torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity=nonlinearity, a=slope or 0)
    if "uniform_" in seen:
        return seen["uniform_"][1], w
    return seen["normal_"][1], w


SHAPES = st.one_of(st.tuples(st.integers(1, 300), st.integers(1, 300)),
                   st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 7), st.integers(1, 7)),
                   st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 9)))


def layer_of(shape) -> dict:
    if len(shape) == 2:
        return {"type": "dense", "units": shape[0], "inputs": shape[1]}
    return {"type": "conv", "filters": shape[0], "in_channels": shape[1], "kernel": list(shape[2:])}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=st.sampled_from(SCHEMES), shape=SHAPES, nonlinearity=st.sampled_from(NONLINEARITIES),
       slope=st.sampled_from([None, 0, 0.01, 0.2, 1, 3]), mode=st.sampled_from(["fan_in", "fan_out"]))
def test_against_torch_nn_init(scheme, shape, nonlinearity, slope, mode):
    if nonlinearity != "leaky_relu":
        slope = None
    kaiming = scheme.startswith("kaiming")
    if not kaiming:
        mode = "fan_in"
    if slope is None and nonlinearity == "leaky_relu" and not scheme.startswith("xavier"):
        slope = 0                              # torch's kaiming default a = 0
    if slope is None and nonlinearity == "leaky_relu":
        slope = 0.01                           # calculate_gain's default
    got = values(scheme=scheme, fan_in=None, fan_out=None, layer=layer_of(shape), nonlinearity=nonlinearity,
                 negative_slope=slope, mode=mode if kaiming else None)
    torch_value, w = drawn(scheme, shape, nonlinearity, slope, mode)
    expected = got["bound"] if scheme.endswith("uniform") else got["std"]
    assert math.isclose(expected, torch_value, rel_tol=1e-14), (expected, torch_value)
    assert math.isclose(got["variance"], got["std"] ** 2, rel_tol=1e-13)
    assert math.isclose(got["bound"], math.sqrt(3) * got["std"], rel_tol=1e-13)
    assert w.abs().max().item() <= got["bound"] * (1 + 1e-12) or not scheme.endswith("uniform")


@settings(max_examples=40, deadline=None)
@given(shape=SHAPES)
def test_fans_are_torchs(shape):
    assert fans(tuple(shape)) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("slope", [None, 0, 0.2, 5])
def test_gain_is_calculate_gain(nonlinearity, slope):
    if slope is not None and nonlinearity != "leaky_relu":
        return
    from derive.fields import to_rational
    ours = gain(nonlinearity, to_rational(0.01 if slope is None else slope, "s"))
    assert math.isclose(float(ours), torch.nn.init.calculate_gain(nonlinearity, slope), rel_tol=1e-15)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_sample_variance_of_a_large_tensor(scheme):
    """The empirical variance of 10^6 drawn weights is within a few standard errors of the derived one."""
    torch.manual_seed(0)
    shape = (1000, 1000)
    got = values(scheme=scheme, fan_in=None, fan_out=None, layer=layer_of(shape), nonlinearity="relu")
    _, w = drawn(scheme, shape, "relu", None, "fan_in")
    var = got["variance"]
    kurtosis = 9 / 5 if scheme.endswith("uniform") else 3
    se = var * math.sqrt((kurtosis - 1) / w.numel())
    assert abs(w.var().item() - var) < 5 * se
    if scheme.endswith("uniform"):
        assert w.abs().max().item() <= got["bound"]


def test_the_issues_numbers_exactly():
    doc = derive.solve(derive.from_mapping(spec(nonlinearity="relu")))
    chains = {q.ask: q.answer.chain for q in doc.questions()}
    import sympy
    assert chains["variance"].last == sympy.Rational(2 * 2, 384)
    assert values(scheme="kaiming-normal", fan_out=None)["variance"] == 2 / 256
    v = values(scheme="kaiming-uniform", layer={"type": "conv", "in_channels": 16, "filters": 32, "kernel": 3},
               fan_in=None, fan_out=None, nonlinearity="relu", mode="fan_out")
    assert v["variance"] == 2 / 288


@pytest.mark.parametrize("change, field, words", [
    (dict(scheme="xavier-uniformm"), "scheme", "did you mean 'xavier-uniform'"),
    (dict(scheme="orthogonal"), "scheme", "unknown scheme"),
    (dict(nonlinearity="rellu"), "nonlinearity", "did you mean 'relu'"),
    (dict(negative_slope=0.2), "negative_slope", "only leaky_relu"),
    (dict(mode="fan_in"), "mode", "only the kaiming"),
    (dict(scheme="kaiming-normal", mode="fan_inn"), "mode", "did you mean 'fan_in'"),
    (dict(fan_out=None), "fan_out", "missing"),
    (dict(fan_in=0), "fan_in", "at least 1"),
    (dict(fan_in=10 ** 9), "fan_in", "at most"),
    (dict(layer={"type": "dense", "inputs": 3, "units": 2}), "layer", "not both"),
    (dict(fan_in=None, fan_out=None, layer={"type": "lstm"}), "layer.type", "unknown layer type"),
    (dict(fan_in=None, fan_out=None, layer={"type": "dense", "inputs": 3, "unit": 2}), "layer.unit", "did you mean"),
    (dict(fan_in=None, fan_out=None, layer={"type": "dense", "inputs": 3}), "layer.units", "missing"),
    (dict(fan_in=None, fan_out=None, layer={"type": "conv", "in_channels": 3, "filters": 2, "kernel": [1, 2, 3, 4]}),
     "layer.kernel", "1 to 3 sides"),
    (dict(fan_in=None, fan_out=None, layer=3), "layer", "must be a table"),
])
def test_bad_specs_name_the_field(change, field, words):
    with pytest.raises(SpecError) as err:
        derive.solve(derive.from_mapping(spec(**change)))
    assert err.value.field == field and words in str(err.value), str(err.value)


def test_bad_spec_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('title = "t"\n[[problem]]\nkind = "init"\nscheme = "xavier"\nfan_in = 3\nfan_out = 2\n'
                    '[[problem.part]]\nask = "variance"\n')
    run = subprocess.run([sys.executable, "-m", "derive", "solutions", str(path)], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2 and "scheme" in run.stderr


def test_json_values_are_numbers():
    doc = derive.solve(derive.loads(derive.kinds.KINDS["init"].example()))
    for part in json.loads(derive.render(doc, "json"))["parts"]:
        assert isinstance(part["answer"]["value"], float)


KERAS = {"he_normal": ("kaiming-normal", "relu"), "he_uniform": ("kaiming-uniform", "relu"),
         "glorot_normal": ("xavier-normal", "linear"), "glorot_uniform": ("xavier-uniform", "linear"),
         "lecun_normal": ("lecun-normal", "linear")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(KERAS)), hyphen=st.booleans(), shape=SHAPES)
def test_keras_names_are_torchs_schemes(name, hyphen, shape):
    """he_normal is kaiming_normal_ with ReLU's gain (Keras's scale 2), glorot_* xavier_* with gain 1, lecun_normal
    kaiming_normal_ with 'linear': the bound or std torch passes to uniform_/normal_, to the last bits."""
    scheme, nonlinearity = KERAS[name]
    got = values(scheme=name.replace("_", "-") if hyphen else name, fan_in=None, fan_out=None,
                 layer=layer_of(shape))
    torch_value, _ = drawn(scheme, shape, nonlinearity, None, "fan_in")
    expected = got["bound"] if scheme.endswith("uniform") else got["std"]
    assert math.isclose(expected, torch_value, rel_tol=1e-14), (expected, torch_value)


def test_keras_truncated_normal_has_the_variance():
    """Keras's truncated normal: std σ/0.87962566 cut at ±2 of its std has variance σ² (mpmath's integral, and the
    sample variance of torch.nn.init.trunc_normal_), as the note says."""
    import mpmath
    phi, cdf = mpmath.npdf(2), mpmath.ncdf(2)
    factor = mpmath.sqrt(1 - 4 * phi / (2 * cdf - 1))
    assert abs(factor - mpmath.mpf("0.87962566103423978")) < 1e-16
    torch.manual_seed(0)
    sigma = math.sqrt(2 / 256)
    std = sigma / float(factor)
    w = torch.nn.init.trunc_normal_(torch.empty(10 ** 6, dtype=torch.float64), std=std, a=-2 * std, b=2 * std)
    assert abs(w.var().item() - sigma ** 2) < 0.005 * sigma ** 2
    doc = derive.solve(derive.from_mapping(spec(scheme="he_normal", fan_out=None)))
    notes = ["".join(x for x in n.pieces if isinstance(x, str)) for q in doc.questions() for n in q.notes]
    assert any("0.87962566" in n for n in notes)
    assert values(scheme="he_normal", fan_out=None)["variance"] == 2 / 256

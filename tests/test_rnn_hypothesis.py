"""Random recurrences against autograd through the unrolled loop (hypothesis, derandomized)."""

import math

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import derive

DTYPE = torch.float64
T = 100
PHI = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
    "softplus": lambda z: torch.clamp(z, min=0) + torch.log1p(torch.exp(-torch.abs(z))),   # stable for large z
    "leaky_relu": lambda z: torch.where(z > 0, z, z / 100),
}
tenths = st.integers(-30, 30).map(lambda k: k / 10)
SETTINGS = settings(max_examples=120, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def solve(activation, W_a, b, a0, T=T):
    doc = derive.solve(derive.loads(f"""
title = "t"
[[problem]]
kind = "rnn-activation"
T = {T}
W_a = {W_a}
b = {b}
a0 = {a0}
  [[problem.part]]
  activation = "{activation}"
  ask = "stability"
"""))
    return next(doc.questions()).answer.value


def autograd(activation, W_a, b, a0, steps=T):
    """(d a<T>/d a<0> as a matrix, a<T>) by autograd through the unrolled float64 recurrence."""
    W = torch.tensor(W_a, dtype=DTYPE).reshape(len(a0), len(a0))
    c = torch.tensor(b, dtype=DTYPE)

    def run(a):
        for _ in range(steps):
            a = PHI[activation](W @ a + c)
        return a
    start = torch.tensor(a0, dtype=DTYPE)
    return torch.autograd.functional.jacobian(run, start), run(start)


def same_size(got, want):
    """derive's 50-digit figure against float64 autograd; beyond float64's range only the side matters."""
    if want == 0 or want < 1e-280:
        return got is not None and got < 1e-250
    if not math.isfinite(want) or want > 1e280:
        return got is None or got > 1e250
    return got == pytest.approx(want, rel=1e-6)


@pytest.mark.slow
@SETTINGS
@given(activation=st.sampled_from(sorted(PHI)), W_a=tenths, b=tenths, a0=st.integers(-10, 10).map(lambda k: k / 10))
def test_one_unit(activation, W_a, b, a0):
    value = solve(activation, W_a, b, a0)
    J, _ = autograd(activation, [W_a], [b], [a0])
    assert same_size(value["gradient_T"], abs(J.item()))
    if value["verdict"] == "vanishing" and value["gradient_T"] is not None:
        J400, _ = autograd(activation, [W_a], [b], [a0], 400)
        assert abs(J400.item()) <= max(abs(J.item()), 1e-300) * (1 + 1e-9)


@pytest.mark.slow
@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(["sigmoid", "tanh", "identity"]),
       W=st.lists(tenths, min_size=4, max_size=4), b=st.lists(tenths, min_size=2, max_size=2),
       a0=st.lists(st.integers(-10, 10).map(lambda k: k / 10), min_size=2, max_size=2))
def test_two_units(activation, W, b, a0):
    W_a = [W[:2], W[2:]]
    value = solve(activation, W_a, b, a0)
    J, _ = autograd(activation, W, b, a0)
    assert same_size(value["gradient_T"], torch.linalg.matrix_norm(J, ord=2).item())


@pytest.mark.slow
@settings(max_examples=20, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(sorted(PHI)), W_a=tenths, b=tenths, a0=st.integers(-10, 10).map(lambda k: k / 10),
       T=st.sampled_from([1, 2, 7, 50, 250, 1000]))
def test_one_unit_any_T(activation, W_a, b, a0, T):
    """The spec's T is the length of the evidence: |da<T>/da<0>| against autograd through T steps. (A state
    held exactly at leaky ReLU's kink is left out: derive takes the slope there as 0, autograd as 1/100; at
    T = 100 both are below float64's range.)"""
    assume(not (activation == "leaky_relu" and b == 0 and a0 == 0))
    value = solve(activation, W_a, b, a0, T)
    J, _ = autograd(activation, [W_a], [b], [a0], T)
    assert value["T"] == T and same_size(value["gradient_T"], abs(J.item()))


@pytest.mark.slow
@settings(max_examples=10, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(W=st.lists(tenths, min_size=4, max_size=4), a0=st.lists(tenths, min_size=2, max_size=2),
       T=st.sampled_from([1, 3, 300]))
def test_two_units_any_T(W, a0, T):
    value = solve("tanh", [W[:2], W[2:]], [0, 0], a0, T)
    J, _ = autograd("tanh", W, [0, 0], a0, T)
    assert value["T"] == T and same_size(value["gradient_T"], torch.linalg.matrix_norm(J, ord=2).item())

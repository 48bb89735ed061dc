"""softmax / log_softmax along PyTorch's dim, and attention as F.scaled_dot_product_attention (a boolean mask,
true = may attend), against PyTorch float64 autograd with hypothesis-drawn shapes, values and masks; the key's
attention steps (scores QKᵀ/√d, weights, output, with shapes), Vᵀ and entries written 1-based (S₁₂); a forward
pass of a vector or matrix asked alone needs no upstream gradient."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import SpecError
from test_graph import T, against, run

small = st.integers(-15, 15).map(lambda k: k / 10)


def matrix(draw, rows, cols):
    return [draw(st.lists(small, min_size=cols, max_size=cols)) for _ in range(rows)]


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_softmax_along_torch_s_dim(fn, data):
    rows, cols = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    S, W = matrix(data.draw, rows, cols), matrix(data.draw, rows, cols)
    dim = data.draw(st.sampled_from([0, 1, -1, -2]))
    torch_fn = getattr(torch, fn)
    against({"S": S, "W": W}, [f"P = {fn}(S, {dim})", "L = sum(P * W)"],
            lambda t: {"P": (P := torch_fn(t["S"], dim)), "L": (P * t["W"]).sum()})


@st.composite
def attention_cases(draw):
    L, S, d, dv = (draw(st.integers(1, 3)) for _ in range(4))
    Q, K, V = matrix(draw, L, d), matrix(draw, S, d), matrix(draw, S, dv)
    mask = None
    if draw(st.booleans()):
        mask = [draw(st.lists(st.booleans(), min_size=S, max_size=S)) for _ in range(L)]
        for row in mask:                                   # each query may attend to at least one key
            row[draw(st.integers(0, S - 1))] = True
    upstream = matrix(draw, L, dv)
    return Q, K, V, mask, upstream


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(attention_cases())
def test_attention_is_scaled_dot_product_attention(case):
    Q, K, V, mask, upstream = case
    given_values = {"Q": Q, "K": K, "V": V, **({"M": mask} if mask is not None else {})}
    call = "attention(Q, K, V, M)" if mask is not None else "attention(Q, K, V)"
    bool_mask = torch.tensor(mask) if mask is not None else None
    against(given_values, [f"O = {call}"],
            lambda t: {"O": F.scaled_dot_product_attention(t["Q"], t["K"], t["V"], attn_mask=bool_mask)},
            wrt=["Q", "K", "V"], upstream=upstream, labels=("M",))


def test_attention_written_out_by_hand_is_the_same():
    """softmax(Q @ transpose(K) / sqrt(d), 1) @ V in equations: the same numbers as attention(Q, K, V)."""
    g = {"Q": [[1, 0.5], [0, 1]], "K": [[1, 1], [0, 2], [1, -1]], "V": [[1, 2], [3, 4], [0, 1]]}
    by_hand = run(g, ["A = softmax(Q @ transpose(K) / sqrt(2), 1)", "O = A @ V", "L = sum(O * O)"])
    whole = run(g, ["O = attention(Q, K, V)", "L = sum(O * O)"])
    for name in g:
        assert torch.allclose(torch.tensor(by_hand["gradient"][name], dtype=T),
                              torch.tensor(whole["gradient"][name], dtype=T), rtol=1e-12, atol=1e-12)


def key(given_values, forward, ask=("forward",), **part) -> str:
    data = {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": given_values, "forward": forward,
                                      "part": [{"ask": list(ask), **part}]}]}
    return derive.render(derive.solve(derive.from_mapping(data)), "latex")


def test_the_key_shows_scores_weights_and_output_with_shapes():
    latex = key({"Q": [[1, 0]], "K": [[1, 1], [0, 2], [1, -1]], "V": [[1], [3], [0]],
                 "M": [[True, False, True]]}, ["O = attention(Q, K, V, M)"])
    assert r"S = \frac{Q {K}^{\top}}{\sqrt{2}}" in latex
    assert "3: a row per query, a column per key)" in latex and "the output ${O = A V}$ (1~$\\times$~1)" in latex
    assert "{A}_{11} &= \\frac{e^{{S}_{11}}}{e^{{S}_{11}} + e^{{S}_{13}}}" in latex      # the masked key left out
    assert "the score is $-$$\\infty$ and the weight 0" in latex


def test_entries_are_written_one_based_and_a_transpose_with_a_top():
    latex = key({"S": [[1, 2], [3, 4]], "V": [[1, 2], [3, 4]], "p": [5, 6]},
                ["a = S[0][1] + transpose(V)[1][0] + p[1] + sum(S[1])", "b = transpose(V) @ p"])
    assert "{S}_{12}" in latex and "{V}^{\\top}" in latex and "{p}_{2}" in latex and "{S}_{2,:}" in latex
    assert "entry" not in latex


def test_a_forward_pass_of_a_matrix_needs_no_upstream():
    got = run({"W": [[1, 2], [3, 4]], "x": [1, -1]}, ["y = W @ x", "Y = softmax(W, 0)"], ask=["forward"])
    assert got["forward"]["y"] == [-1, -1]
    with pytest.raises(SpecError, match="upstream"):
        run({"W": [[1, 2], [3, 4]]}, ["Y = 2 * W"])


@pytest.mark.parametrize("forward, words", [
    (["P = softmax(S)"], "softmax of a matrix needs its dim"),
    (["P = log_softmax(S, 2)"], "0 or 1"),
    (["O = attention(S, S, S, M)"], "row 1 of attention's mask lets query 1 attend to no key"),
    (["O = attention(S, S, R)"], "a value for each key"),
    (["O = attention(S, S, p)"], "and V is a vector of 3"),
    (["O = attention(S, S, S, p)"], "mask is L × S"),
])
def test_bad_matrix_functions_are_refused_naming_the_equation(forward, words):
    with pytest.raises(SpecError) as err:
        run({"S": [[1, 2], [3, 4]], "M": [[0, 0], [1, 1]], "p": [1, 2, 3], "R": [[1, 2, 3]]}, forward)
    assert "forward[1]" in str(err.value) and words in str(err.value), str(err.value)


def test_a_gradient_that_cancels_to_zero_through_irrational_values_is_zero():
    """∂L/∂Q₂₁ of sum(O * O) is exactly 0 here, a sum of terms built from 60-digit forward values: 0 within their
    precision (it settled at no precision before: the key was refused)."""
    g = {"Q": [[1, 0], [0, 1]], "K": [[1, 1], [0, 2], [1, -1]], "V": [[1, 2], [3, 4], [0, 1]],
         "M": [[True, True, False], [True, False, True]]}
    mask = torch.tensor(g["M"])
    got = against(g, ["O = attention(Q, K, V, M)", "L = sum(O * O)"],
                  lambda t: {"O": (O := F.scaled_dot_product_attention(t["Q"], t["K"], t["V"], attn_mask=mask)),
                             "L": (O * O).sum()}, wrt=["Q", "K", "V"], labels=("M",))
    assert got["gradient"]["Q"][1][0] == 0


def test_attention_written_in_latex():
    """The equation in LaTeX as a course writes it: V^\\top is the transpose, \\dfrac and \\sqrt read as ever."""
    g = {"Q": [[1, 0.5], [0, 1]], "K": [[1, 1], [0, 2], [1, -1]], "V": [[1, 2], [3, 4], [0, 1]]}
    against(g, [r"O = \operatorname{softmax}\left(\dfrac{Q @ K^\top}{\sqrt{2}}, 1\right) @ V", "L = sum(O * O)"],
            lambda t: {"O": (O := F.scaled_dot_product_attention(t["Q"], t["K"], t["V"])), "L": (O * O).sum()})

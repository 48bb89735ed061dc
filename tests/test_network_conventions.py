"""network's conventions against PyTorch modules: Keras's single bias vector per gate block (torch's
parameters without b_hh), a batch (every shape from a forward pass of N examples), attention's per-head shapes
(what nn.MultiheadAttention hands F.scaled_dot_product_attention, and its per-head weights), dropout in
evaluation mode, and batch normalization of a plain vector (BatchNorm1d(1) on n × 1)."""

from __future__ import annotations

from unittest import mock

import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from torch import nn  # noqa: E402

import derive  # noqa: E402

from conftest import spec  # noqa: E402
from test_network_torch import mixed_stacks, torch_module  # noqa: E402

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def solved(inp, layers, asks, **extra):
    doc = derive.solve(spec("network", [{"ask": asks}], input=inp, layers=layers, **extra))
    return list(doc.questions())


def values(inp, layers, asks, **extra) -> dict:
    return {q.ask: q.answer.value for q in solved(inp, layers, asks, **extra)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(MODULES)), st.integers(1, 80), st.integers(1, 60), st.integers(1, 3), st.booleans(),
       st.sampled_from([True, "single"]))
def test_recurrent_bias_conventions_are_torchs_blocks(kind, features, hidden, depth, bidirectional, bias):
    """bias = true counts all of torch's parameters; "single" all but the b_hh vectors (one bias vector per gate
    block, Keras's SimpleRNN, LSTM and GRU(reset_after=False)); each key also shows the other convention's count."""
    module = MODULES[kind](features, hidden, depth, bidirectional=bidirectional, batch_first=True)
    torch_count = sum(p.numel() for p in module.parameters())
    single = sum(p.numel() for name, p in module.named_parameters() if not name.startswith("bias_hh"))
    layer = {"type": kind, "hidden": hidden, "layers": depth, "bidirectional": bidirectional, "bias": bias}
    q = solved([5, features], [layer], "params")[0]
    ours, other = (torch_count, single) if bias is True else (single, torch_count)
    assert q.answer.value == [ours]
    lasts = [ch.last for s in q.steps for ch in s.chains]
    assert lasts[-1] == other and "other convention" in str(q.steps[-1].text.pieces[0])


def test_the_issues_rnn_and_dense():
    """A 50-unit RNN on 70-wide inputs and a 2-class dense layer: 6,152 with one bias vector per gate block (Keras),
    6,202 in PyTorch, the note giving the other."""
    layers = [{"type": "rnn", "hidden": 50, "bias": "single"}, {"type": "flatten"}, {"type": "dense", "units": 2}]
    q = solved([1, 70], layers, "total-params")[0]
    assert q.answer.value["trainable"] == 6152
    assert "6,202" in "".join(str(p) for n in q.notes for p in n.pieces)
    rnn, dense = nn.RNN(70, 50, batch_first=True), nn.Linear(50, 2)
    assert sum(p.numel() for p in [*rnn.parameters(), *dense.parameters()]) == 6202
    pytorch = values([1, 70], [dict(layers[0], bias=True), *layers[1:]], "total-params")["total-params"]
    assert pytorch["trainable"] == 6202


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mixed_stacks(), st.integers(1, 4))
def test_a_batch_leads_every_shape_as_torch_gives_it(case, n):
    """batch = N: each layer's output shape is torch's for a batch of N (images channels first with layout CHW)."""
    inp, layers = case
    chw = [inp[2], inp[0], inp[1]] if len(inp) == 3 else inp
    ours = values(chw, layers, "shapes", batch=n, layout="CHW")["shapes"]
    x = torch.randint(0, layers[0]["vocab"], (n, inp[0])) if layers[0]["type"] == "embedding" else \
        torch.randn(n, *chw)
    shapes = []
    with torch.no_grad():
        for layer in layers:
            x = torch_module(layer, tuple(x.shape[1:])).eval()(x)
            shapes.append(list(x.shape))
    assert ours == shapes


def test_attention_per_head_shapes_are_what_torch_computes():
    """Per head Q, K, V are N × h × L × d_k (what nn.MultiheadAttention hands scaled_dot_product_attention) and the
    weights N × h × L × L (its attention weights per head)."""
    n, length, e, h = 3, 7, 12, 4
    q = solved([length, e], [{"type": "attention", "heads": h}], "shapes", batch=n)[0]
    text = "".join(str(p) for p in q.answer.text.pieces)
    mha = nn.MultiheadAttention(e, h, batch_first=True)
    seen = {}
    real = torch.nn.functional.scaled_dot_product_attention

    def spy(query, key, value, *args, **kwargs):
        seen["q"] = tuple(query.shape)
        return real(query, key, value, *args, **kwargs)
    x = torch.randn(n, length, e)
    with mock.patch.object(torch.nn.functional, "scaled_dot_product_attention", spy):
        mha.train()(x, x, x, need_weights=False)
    _, weights = mha.eval()(x, x, x, need_weights=True, average_attn_weights=False)
    qkv = " × ".join(map(str, seen["q"]))
    scores = " × ".join(map(str, weights.shape))
    assert seen["q"] == (n, h, length, e // h) and f"Q, K, V {qkv}, scores {scores}" in text
    assert q.answer.value == [[n, length, e]]


def test_dropout_in_evaluation_mode_is_the_identity():
    """training = false: torch's Dropout in eval mode returns its input; in train mode it scales the kept numbers
    by 1/(1 − p), as the note says."""
    torch.manual_seed(0)
    x = torch.rand(1000) + 1
    drop = nn.Dropout(0.25)
    assert torch.equal(drop.eval()(x), x)
    y = drop.train()(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.75)
    q = solved([6, 4], [{"type": "dropout", "rate": 0.25}], ["shapes", "params"], training=False)
    shapes = q[0]
    assert shapes.answer.value == [[6, 4]]
    assert "passes its input through unchanged" in str(shapes.steps[0].text.pieces[0])
    assert all(any("inverted" in str(p) for n in x.notes for p in n.pieces) for x in q)


def test_batchnorm_of_a_plain_vector_is_a_batch_of_scalars():
    """A vector [n] into batchnorm: BatchNorm1d(1) on n × 1, 2 trainable and 2 running statistics; with a batch
    the vector is one example's n features (BatchNorm1d(n))."""
    n = 5
    bn = nn.BatchNorm1d(1)
    assert bn(torch.randn(n, 1)).shape == (n, 1)
    want = {"total": 4, "trainable": sum(p.numel() for p in bn.parameters()), "non_trainable": 2}
    assert values([n], [{"type": "batchnorm"}], "total-params")["total-params"] == want
    wide = values([n], [{"type": "batchnorm"}], "total-params", batch=8)["total-params"]
    assert wide["trainable"] == sum(p.numel() for p in nn.BatchNorm1d(n).parameters())

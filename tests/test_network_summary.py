"""network, a long stack (more than ten layers): each distinct layer configuration's steps once, then a summary
table (layer, output shape, parameters, MACs, totals) whose every number PyTorch agrees with: parameters by
sum(p.numel()), shapes by a forward pass, MACs by FlopCounterMode, per layer and for the whole model. The table
renders in every format (the LaTeX article and the slides without overfull boxes)."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import derive  # noqa: E402
from derive.kinds.cnn.layers import ordered  # noqa: E402
from derive.kinds.cnn.summary import LONG, numbers  # noqa: E402

from conftest import spec  # noqa: E402
from test_latex import compile_tex, need_tex, overfull  # noqa: E402
from test_network import _ours, seq_stack, torch_layer, torch_run, vgg16  # noqa: E402

ASKS = ["params", "total-params", "shapes", "macs", "total-macs"]


def mixed():
    """A long mixed stack over a sequence: 1D convs, LSTMs, attention, an encoder layer, norms, dense layers."""
    layers = [{"type": "conv", "filters": 32, "kernel": 3, "padding": 1}, {"type": "relu"},
              {"type": "lstm", "hidden": 16, "bidirectional": True}, {"type": "layernorm"},
              {"type": "attention", "heads": 4}, {"type": "layernorm"},
              {"type": "conv", "filters": 32, "kernel": 5, "stride": 2, "padding": 2}, {"type": "tanh"},
              {"type": "gru", "hidden": 24, "layers": 2}, {"type": "transformer-encoder", "heads": 3, "ff": 48},
              {"type": "dense", "units": 24}, {"type": "relu"}, {"type": "attention", "heads": 2},
              {"type": "layernorm"}, {"type": "flatten"}, {"type": "dense", "units": 10}]
    return [20, 8], layers


def solved(inp, layers, asks=ASKS):
    return derive.solve(spec("network", [{"ask": asks}], input=inp, layers=layers))


def the_table(doc):
    tables = [s.table for q in doc.questions() for s in q.steps if s.table is not None]
    assert len(tables) == 1                     # once, on the part's first question
    return tables[0]


def whole_model(inp, layers):
    """The whole network as one torch model: its parameter count, and its forward pass's MACs."""
    shape, mods = tuple(inp), []
    x = torch.randn(1, inp[2], inp[0], inp[1]) if len(inp) == 3 else torch.randn(1, *inp)
    with torch.no_grad():
        for layer in layers:                    # built layer by layer, for the shapes each one receives
            mods.append(torch_layer(layer, shape))
            y = mods[-1](x if len(mods) == 1 else y)
            shape = _ours(tuple(y.shape))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.mods = nn.ModuleList(mods)

        def forward(self, z):
            for m in self.mods:
                z = m(z)
            return z

    net = Net()
    with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), torch.no_grad():
        with FlopCounterMode(display=False) as counter:
            net(x)
    return sum(p.numel() for p in net.parameters()), counter.get_total_flops() // 2


def check_table(inp, layers):
    doc = solved(inp, layers)
    table = the_table(doc)
    params, shapes, macs = torch_run(inp, layers)
    assert [r[2] for r in table.rows] == params
    assert [r[3] for r in table.rows] == macs
    layout = "HWC"
    assert [r[1] for r in table.rows] == [" × ".join(map(str, ordered(tuple(s), layout))) for s in shapes]
    assert table.foot[2] == sum(params) and table.foot[3] == sum(macs)
    values = {q.ask: q.answer.value for q in doc.questions()}
    assert table.foot[2] == values["total-params"]["trainable"] and table.foot[3] == values["total-macs"]
    return doc, table


@pytest.mark.slow
def test_vgg16_table_against_torch():
    inp, layers = vgg16()
    doc, table = check_table(inp, layers)
    assert table.foot == ("Total", "", 138_357_544, 15_470_264_320)
    assert whole_model(inp, layers) == (138_357_544, 15_470_264_320)
    assert [r[0] for r in table.rows[:5]] == ["1 Conv2d", "2 ReLU", "3 Conv2d", "4 ReLU", "5 MaxPool2d"]


@pytest.mark.slow
def test_mixed_stack_table_against_torch():
    inp, layers = mixed()
    _, table = check_table(inp, layers)
    assert whole_model(inp, layers) == tuple(table.foot[2:])
    assert "1 Conv1d" == table.rows[0][0] and "3 LSTM" == table.rows[2][0]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq_stack(), st.lists(st.sampled_from(["relu", "layernorm", "tanh", "dropout"]), min_size=LONG, max_size=14))
def test_random_long_stacks(case, tail):
    inp, layers = case
    check_table(inp, layers + [{"type": t} for t in tail])


def _labelled(question) -> list[int]:
    """The layer numbers the steps' labels name ('Layer 3 (…)', 'Layers 2, 4 to 6 and 9 (…)')."""
    found = []
    for s in question.steps:
        first = next((p for p in s.text.pieces if isinstance(p, str)), "")
        m = re.match(r"Layers? ([\d, to and]+?)(?: \(|:)", first)
        if not m:
            continue
        for part in re.split(r", | and ", m.group(1)):
            a, _, b = part.partition(" to ")
            found += range(int(a), int(b or a) + 1)
    return found


def test_each_distinct_configuration_once():
    inp, layers = vgg16()
    every = list(range(1, len(layers) + 1))
    doc = solved(inp, layers)
    q = {q.ask: q for q in doc.questions()}
    params = q["params"]
    assert len(params.steps) <= 16                               # 37 layers
    assert sorted(_labelled(params)) == every                    # every layer named exactly once
    relu = [s for s in params.steps if "(ReLU layer)" in s.text.pieces[0]]
    assert len(relu) == 1 and relu[0].text.pieces[0].startswith("Layers 2, 4, 7, 9, 12, 14, 16, 19, 21, 23, 26, 28, 30, 34 and 36 (ReLU layer): ")
    shapes = q["shapes"]
    assert sorted(_labelled(shapes)) == every
    assert len(shapes.steps) < 30
    assert "summary table" in str(params.answer.text.pieces[0])


def test_numbers_written_with_runs():
    assert numbers([0]) == "1"
    assert numbers([1, 3, 6, 7, 8, 11]) == "2, 4, 7 to 9 and 12"
    assert numbers([1, 2]) == "2 and 3"


def test_short_stacks_have_no_table():
    inp, layers = mixed()
    doc = solved(inp, layers[:LONG])
    assert all(s.table is None for q in doc.questions() for s in q.steps)
    doc = solved(inp, layers[:LONG + 1])
    assert the_table(doc).rows[-1][0] == f"{LONG + 1} Linear"


def test_total_params_after_params_does_not_repeat_the_layers():
    doc = solved(*vgg16(), asks=["params", "total-params"])
    params, total = list(doc.questions())
    assert "derived above" in total.steps[0].text.pieces[0]
    assert all("Layer" not in str(s.text.pieces[0]) for s in total.steps)
    doc = solved(*vgg16(), asks=["total-params"])                 # alone: the layers' steps, then the table
    assert sorted(_labelled(next(doc.questions()))) == list(range(1, 38))


def test_only_the_first_question_shows_the_table():
    doc = solved(*mixed(), asks=["total-macs", "shapes"])
    first, second = doc.questions()
    assert any(s.table is not None for s in first.steps)
    assert all(s.table is None for s in second.steps)
    assert any("summary table above" in str(s.text.pieces[0]) for s in second.steps)


def test_renders_in_every_format():
    doc = solved(*vgg16())
    md = derive.render(doc, "markdown")
    assert "    | 37 Linear | 1000 | 4,097,000 | 4,096,000 |" in md
    assert "    | Total |  | 138,357,544 | 15,470,264,320 |" in md
    html = derive.render(doc, "html")
    assert html.count("<table") == 1 and "<td style=\"text-align: right;" in html and "15,470,264,320" in html
    tex = derive.render(doc, "latex")
    assert tex.count("\\begin{tabular}{llrr}") == 1 and "37 Linear & 1000 & 4,097,000 & 4,096,000" in tex
    slides = derive.render(doc, "beamer")
    assert slides.count("\\begin{tabular}{llrr}") == 4           # 12 rows a frame
    assert derive.render(doc, "json")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["latex", "beamer"])
def test_the_table_fits_the_page_and_the_frame(fmt, tmp_path):
    need_tex()
    inp, layers = mixed()
    doc = solved(inp, layers[:14] * 3 + layers[14:])            # 44 layers: three frames of the table
    log = compile_tex(derive.render(doc, fmt), tmp_path)
    assert overfull(log) == []
    doc = solved(*vgg16())
    log = compile_tex(derive.render(doc, fmt), tmp_path, "vgg")
    assert overfull(log) == []

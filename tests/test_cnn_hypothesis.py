"""cnn-dims against PyTorch on hundreds of random layer stacks (hypothesis, derandomized).

For every drawn stack the derived shapes, parameter counts (trainable and not) and receptive
fields are compared with torch.nn modules built from the same spec, and a stack derive rejects
must be one torch rejects too. The receptive field is measured as the footprint of a gradient:
which input pixels one output unit depends on. Max pooling routes the gradient to one input per
window, so for the exact footprint every pooling layer is replaced by a depthwise convolution of
ones with the same geometry (padding, stride, dilation, ceil_mode's extra window), checked to give
the same output size; the real max pooling's footprints, united over random inputs, must stay
inside the field.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st  # noqa: E402
from torch import nn  # noqa: E402

import derive  # noqa: E402
from derive.errors import SpecError  # noqa: E402
from derive.kinds import cnn  # noqa: E402

DTYPE = torch.float64
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
SETTINGS = dict(derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
POINTWISE = ("batchnorm", "relu", "sigmoid", "tanh", "dropout")


# --- drawing random stacks --------------------------------------------------------------------

def _one_or_pair(draw, values):
    if draw(st.booleans()):
        return draw(values)
    return [draw(values), draw(values)]


@st.composite
def conv_layer(draw, channels):
    layer = {"type": "conv", "kernel": _one_or_pair(draw, st.integers(1, 5))}
    groups = draw(st.sampled_from([g for g in (1, 2, 3, 4) if channels % g == 0]))
    layer["filters"] = groups * draw(st.integers(1, 3))
    if groups > 1:
        layer["groups"] = groups
    if draw(st.booleans()):
        layer["stride"] = _one_or_pair(draw, st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        layer["dilation"] = _one_or_pair(draw, st.integers(1, 3))
    form = draw(st.sampled_from(["none", "int", "pair", "asym", "valid", "same"]))
    if form == "int":
        layer["padding"] = draw(st.integers(0, 3))
    elif form == "pair":
        layer["padding"] = [draw(st.integers(0, 3)), draw(st.integers(0, 3))]
    elif form == "asym":
        layer["padding"] = [[draw(st.integers(0, 3)), draw(st.integers(0, 3))],
                            [draw(st.integers(0, 3)), draw(st.integers(0, 3))]]
    elif form in ("valid", "same"):
        layer["padding"] = form
    if draw(st.integers(0, 3)) == 0:
        layer["bias"] = False
    return layer


@st.composite
def pool_layer(draw):
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    layer = {"type": kind, "kernel": _one_or_pair(draw, st.integers(1, 4))}
    if draw(st.booleans()):
        layer["stride"] = _one_or_pair(draw, st.integers(1, 3))
    if kind == "maxpool" and draw(st.integers(0, 3)) == 0:
        layer["dilation"] = _one_or_pair(draw, st.integers(1, 2))
    form = draw(st.sampled_from(["none", "int", "pair", "valid", "same"]))
    if form == "int":
        layer["padding"] = draw(st.integers(0, 2))
    elif form == "pair":
        layer["padding"] = [draw(st.integers(0, 2)), draw(st.integers(0, 2))]
    elif form in ("valid", "same"):
        layer["padding"] = form
    if form != "same" and draw(st.booleans()):
        layer["ceil_mode"] = True
    return layer


@st.composite
def stacks(draw, max_spatial=5, head=True):
    """(input, layers): a few conv/pool layers with pointwise layers between, maybe a dense head."""
    inp = [draw(st.integers(5, 36)), draw(st.integers(5, 36)), draw(st.integers(1, 4))]
    channels, layers = inp[2], []
    for _ in range(draw(st.integers(1, max_spatial))):
        layer = draw(st.one_of(conv_layer(channels), pool_layer()))
        if layer["type"] == "conv":
            channels = layer["filters"]
        layers.append(layer)
        if draw(st.integers(0, 2)) == 0:
            layers.append({"type": draw(st.sampled_from(POINTWISE))})
    if head and draw(st.booleans()):
        layers.append({"type": "flatten"})
        for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
            layers.append({"type": "dense", "units": draw(st.integers(1, 6)), "bias": draw(st.booleans())})
            if draw(st.booleans()):
                layers.append({"type": draw(st.sampled_from(POINTWISE))})
    return inp, layers


# --- derive's side ------------------------------------------------------------------------------

def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


ASKS = ("params", "total-params", "shapes", "receptive-field")


def spec_text(inp, layers, asks=ASKS) -> str:
    return (f'title = "random"\n[[problem]]\nkind = "cnn-dims"\ninput = {_toml(inp)}\n'
            f"layers = [\n  " + ",\n  ".join(_toml(l) for l in layers) + "\n]\n"
            f"[[problem.part]]\nask = {_toml(list(asks))}\n")


def derived(inp, layers):
    """derive's answers by ask, and its Config."""
    problem_set = derive.loads(spec_text(inp, layers))
    doc = derive.solve(problem_set)
    return {q.ask: q.answer.value for q in doc.questions()}, problem_set.problems[0].parts[0].config


# --- torch's side -------------------------------------------------------------------------------

def _pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def _tf_same(n, k, s, d):
    """TensorFlow's "same" padding (before, after), worked out here independently of derive."""
    eff = d * (k - 1) + 1
    out = math.ceil(n / s)
    total = max((out - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


def torch_layer(layer: dict, shape: tuple, footprint: bool = False) -> nn.Module:
    """The torch module(s) for one spec layer, given the input shape (C, H, W) or (n,). With
    footprint=True, pooling becomes a depthwise convolution of ones with the same geometry and
    pointwise layers become the identity (see the module docstring)."""
    kind = layer["type"]
    if kind in ("conv", "maxpool", "avgpool"):
        c, h, w = shape
        k, d = _pair(layer["kernel"]), _pair(layer.get("dilation", 1))
        s = _pair(layer.get("stride", 1 if kind == "conv" else layer["kernel"]))
        pad = layer.get("padding", 0)
        mods = []
        if pad == "same" and (kind != "conv" or s != (1, 1)):
            (t, b), (left, r) = _tf_same(h, k[0], s[0], d[0]), _tf_same(w, k[1], s[1], d[1])
            fill = -math.inf if kind == "maxpool" and not footprint else 0.0
            mods.append(nn.ConstantPad2d((left, r, t, b), fill))
            pad = 0
        elif isinstance(pad, list) and any(isinstance(p, list) for p in pad):
            (t, b), (left, r) = (_pair(p) for p in pad)
            mods.append(nn.ZeroPad2d((left, r, t, b)))
            pad = 0
        elif isinstance(pad, list):
            pad = tuple(pad)
        elif pad == "valid" and kind != "conv":
            pad = 0
        if kind == "conv":
            mods.append(nn.Conv2d(c, layer["filters"], k, s, pad, dilation=d, groups=layer.get("groups", 1),
                                  bias=layer.get("bias", True), dtype=DTYPE))
        elif not footprint:
            ceil = layer.get("ceil_mode", False)
            mods.append(nn.MaxPool2d(k, s, pad, dilation=d, ceil_mode=ceil) if kind == "maxpool"
                        else nn.AvgPool2d(k, s, pad, ceil_mode=ceil))
        else:
            mods.append(_ones_pool(layer, shape, k, s, d, pad, mods))
        return nn.Sequential(*mods)
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return nn.Linear(shape[0], layer["units"], bias=layer["bias"], dtype=DTYPE)
    if footprint:
        return nn.Identity()
    if kind == "batchnorm":
        return (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[0], dtype=DTYPE)
    return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "dropout": nn.Dropout}[kind]()


def _ones_pool(layer, shape, k, s, d, pad, before) -> nn.Module:
    """A depthwise conv of ones with the pooling's geometry; ceil_mode's extra windows get extra
    padding after. The real pooling layer's output size decides how many windows there are."""
    real = torch_layer({**layer, "type": "maxpool" if layer["type"] == "maxpool" else "avgpool"}, shape)
    with torch.no_grad():
        want = real(torch.zeros(1, *shape, dtype=DTYPE)).shape[2:]
    c, h, w = shape
    pads = []
    for dim, n in enumerate((h, w)):
        p = _pair(pad)[dim] if not isinstance(pad, str) else 0
        if before:                            # "same": the ConstantPad2d in front did the padding
            extra_in = sum(before[0].padding[2:] if dim == 0 else before[0].padding[:2])
            n, p = n + extra_in, 0
        eff = d[dim] * (k[dim] - 1) + 1
        extra = max(0, (want[dim] - 1) * s[dim] + eff - (n + 2 * p))
        pads.append((p, p + extra))
    conv = nn.Conv2d(c, c, k, s, 0, dilation=d, groups=c, bias=False, dtype=DTYPE)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    return nn.Sequential(nn.ZeroPad2d((pads[1][0], pads[1][1], pads[0][0], pads[0][1])), conv)


def torch_stack(inp, layers, footprint=False):
    """Modules and the shape after each, in derive's form ([h, w, c] or [n])."""
    shape, mods, shapes = (inp[2], inp[0], inp[1]), [], []
    x = torch.rand(1, *shape, dtype=DTYPE)
    for layer in layers:
        m = torch_layer(layer, shape, footprint).eval()
        with torch.no_grad():
            x = m(x)
        shape = tuple(x.shape[1:])
        mods.append(m)
        shapes.append([shape[1], shape[2], shape[0]] if len(shape) == 3 else [shape[0]])
    return mods, shapes


def counts(m: nn.Module) -> tuple[int, int]:
    trainable = sum(p.numel() for p in m.parameters() if p.requires_grad)
    buffers = sum(b.numel() for name, b in m.named_buffers() if name.rsplit(".", 1)[-1] in ("running_mean",
                                                                                           "running_var"))
    return trainable, buffers


# --- the receptive field, exactly ---------------------------------------------------------------

def _geometry(inp, layers):
    """Per spatial layer: ((k, s, p_before, d) per dim) and its input size per dim, read from the spec
    (sizes from torch)."""
    _, shapes = torch_stack(inp, layers)
    sizes = [inp[:2]] + [s[:2] for s in shapes]
    geo = []
    for k, layer in enumerate(layers):
        if layer["type"] not in ("conv", "maxpool", "avgpool"):
            continue
        kern, d = _pair(layer["kernel"]), _pair(layer.get("dilation", 1))
        s = _pair(layer.get("stride", 1 if layer["type"] == "conv" else layer["kernel"]))
        pad = layer.get("padding", 0)
        before = []
        for dim in (0, 1):
            if pad == "same":
                before.append(_tf_same(sizes[k][dim], kern[dim], s[dim], d[dim])[0])
            elif pad == "valid":
                before.append(0)
            else:
                p = _pair(pad)[dim]
                before.append(_pair(p)[0])
        geo.append(([(kern[dim], s[dim], before[dim], d[dim]) for dim in (0, 1)], sizes[k], sizes[k + 1]))
    return geo


def depends(geo, dim, level, units):
    """The input indices (along dim) that the given units of spatial layer ``level`` depend on, and
    whether some tap on the way fell outside the real units (in the padding, or on a dropped unit)."""
    clipped = False
    for lev in range(level, 0, -1):
        (k, s, pb, d), n_in = geo[lev - 1][0][dim], geo[lev - 1][1][dim]
        below = set()
        for i in units:
            for t in range(k):
                tap = i * s - pb + t * d
                if 0 <= tap < n_in:
                    below.add(tap)
                else:
                    clipped = True
        units = below
    return units, clipped


def footprint(grad: torch.Tensor):
    """Per dim (first, last) index of the nonzero gradient, or None when it is all zero."""
    mask = grad[0].abs().sum(0) > 0
    rows = torch.nonzero(mask.any(1)).flatten().tolist()
    cols = torch.nonzero(mask.any(0)).flatten().tolist()
    if not rows:
        return None
    return (rows[0], rows[-1]), (cols[0], cols[-1])


def _unit_grad(mods, inp, unit):
    x = (torch.rand(1, inp[2], inp[0], inp[1], dtype=DTYPE) + 0.5).requires_grad_()
    t = x
    for m in mods:
        t = m(t)
    t[(0,) + unit].backward()
    return x.grad


def _positive(mods):
    with torch.no_grad():
        for m in mods:
            for sub in m.modules():
                if isinstance(sub, (nn.Conv2d, nn.Linear)) and sub.weight.requires_grad:
                    sub.weight.uniform_(0.1, 1.0)
                    if sub.bias is not None:
                        sub.bias.zero_()


# --- the properties -----------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=300, **SETTINGS)
@given(stacks())
def test_random_stacks_match_torch(stack):
    inp, layers = stack
    try:
        answers, config = derived(inp, layers)
    except SpecError as err:
        # derive refused the stack: torch must refuse it too (the reason is in the message)
        with pytest.raises((RuntimeError, ValueError)):
            torch_stack(inp, layers)
        assert "layers[" in str(err)
        event("rejected by derive and by torch")
        return
    torch.manual_seed(0)
    mods, shapes = torch_stack(inp, layers)
    assert answers["shapes"] == shapes
    got = [counts(m) for m in mods]
    assert answers["params"] == [t for t, _ in got]
    trainable, buffers = sum(t for t, _ in got), sum(b for _, b in got)
    assert answers["total-params"] == {"total": trainable + buffers, "trainable": trainable, "non_trainable": buffers}
    _check_field(inp, layers, answers["receptive-field"], config)


def _check_field(inp, layers, value, config):
    """The gradient footprint of one unit against the exact dependency range, and that against
    derive's field: equal when nothing on the way is clipped, inside it otherwise."""
    mods, shapes = torch_stack(inp, layers, footprint=True)
    _positive(mods)
    geo = _geometry(inp, layers)
    last = shapes[-1]
    dense = any(l["type"] == "dense" for l in layers)
    if len(last) == 3:
        unit = (0, last[0] // 2, last[1] // 2)
    else:
        unit = (0,)
    found = footprint(_unit_grad(mods, inp, unit))
    if dense:
        # every unit of the last spatial layer: derive's value is the exact extent of their union
        want = []
        for dim in (0, 1):
            n = geo[-1][2][dim] if geo else inp[dim]
            used, _ = depends(geo, dim, len(geo), range(n))
            want.append((min(used), max(used)) if used else None)
        if found is None:
            assert None in want
            return
        assert list(found) == want
        assert value == [hi - lo + 1 for lo, hi in want]
        event("dense head: " + ("whole input" if value == inp[:2] else "part of the input"))
        return
    if len(last) == 1:                         # flattened without a dense layer: unit 0 is pixel (0, 0)
        spatial_unit = (0, 0)
    else:
        spatial_unit = unit[1:]
    fields = cnn.field.fields_through(config, len(config.layers))
    deps = [depends(geo, dim, len(geo), [spatial_unit[dim]]) for dim in (0, 1)]
    if not all(used for used, _ in deps):       # the unit sees only padding: its value is a constant
        assert found is None
        return
    for dim in (0, 1):
        f = fields[dim][-1]
        assert value[dim] == f.r
        first = f.start + spatial_unit[dim] * f.j
        used, clipped = deps[dim]
        assert found is not None and found[dim] == (min(used), max(used))
        assert first <= min(used) and max(used) <= first + f.r - 1
        if not clipped:
            # nothing on the way was padding or dropped: the field is exactly the theoretical one,
            # holes (from dilation or wide jumps) included
            assert (min(used), max(used)) == (first, first + f.r - 1)
            mask = cnn.field.field_mask(config, len(config.layers), dim)
            assert {first + b for b in range(f.r) if mask >> b & 1} == used
        event("field equal to the footprint" if not clipped else "field clipped by padding")


@pytest.mark.slow
@settings(max_examples=60, **SETTINGS)
@given(stacks(max_spatial=3, head=False))
def test_max_pooling_footprints_stay_inside_the_field(stack):
    """Real max pooling (and the real activations): the union of gradient footprints over random
    inputs lies inside the exact dependency range."""
    inp, layers = stack
    assume(any(l["type"] == "maxpool" for l in layers) and not any(l["type"] in ("flatten", "dense") for l in layers))
    try:
        answers, config = derived(inp, layers)
    except SpecError:
        assume(False)
    torch.manual_seed(3)
    mods, shapes = torch_stack(inp, [l if l["type"] not in POINTWISE else {"type": "dropout"} for l in layers])
    _positive(mods)
    geo = _geometry(inp, layers)
    unit = (0, shapes[-1][0] // 2, shapes[-1][1] // 2)
    union = torch.zeros(1, inp[2], inp[0], inp[1], dtype=DTYPE)
    for _ in range(8):
        union += _unit_grad(mods, inp, unit).abs()
    found = footprint(union)
    fields = cnn.field.fields_through(config, len(config.layers))
    for dim in (0, 1):
        used, _ = depends(geo, dim, len(geo), [unit[1 + dim]])
        f = fields[dim][-1]
        first = f.start + unit[1 + dim] * f.j
        if found is None or not used:
            continue
        assert min(used) <= found[dim][0] and found[dim][1] <= max(used)
        assert first <= found[dim][0] and found[dim][1] <= first + f.r - 1


@pytest.mark.slow
@settings(max_examples=80, **SETTINGS)
@given(stacks(max_spatial=2), st.data())
def test_same_padding_matches_torch(stack, data):
    """derive's "same" padding for a conv layer keeps ⌈n/s⌉ in torch, and no smaller total does."""
    inp, layers = stack
    convs = [k + 1 for k, l in enumerate(layers) if l["type"] == "conv"]
    assume(convs)
    which = data.draw(st.sampled_from(convs))
    text = spec_text(inp, layers, ("same-padding",)).replace("[[problem.part]]", f"layer = {which}\n[[problem.part]]")
    try:
        doc = derive.solve(derive.loads(text))
    except SpecError:
        assume(False)
    (q,) = doc.questions()
    value = q.answer.value
    per_dim = [value["height"], value["width"]] if isinstance(value, dict) else [value, value]
    _, shapes = torch_stack(inp, layers[:which - 1])
    shape = ([inp] + shapes)[-1]
    layer = layers[which - 1]
    k, d = _pair(layer["kernel"]), _pair(layer.get("dilation", 1))
    s = _pair(layer.get("stride", 1))
    conv = nn.Conv2d(shape[2], 1, k, s, dilation=d, bias=False, dtype=DTYPE)
    x = torch.zeros(1, shape[2], shape[0], shape[1], dtype=DTYPE)
    pads = [tuple(v) if isinstance(v, list) else (v, v) for v in per_dim]
    with torch.no_grad():
        out = conv(nn.ZeroPad2d((pads[1][0], pads[1][1], pads[0][0], pads[0][1]))(x)).shape[2:]
        assert list(out) == [math.ceil(shape[0] / s[0]), math.ceil(shape[1] / s[1])]
        for dim in (0, 1):
            total = sum(pads[dim])
            if total:
                less = list(pads)
                less[dim] = (pads[dim][0], pads[dim][1] - 1) if pads[dim][1] else (pads[dim][0] - 1, 0)
                if shape[dim] + total - 1 >= d[dim] * (k[dim] - 1) + 1:     # else torch refuses: no output at all
                    smaller = conv(nn.ZeroPad2d((less[1][0], less[1][1], less[0][0], less[0][1]))(x)).shape[2:]
                    assert smaller[dim] < out[dim]
            assert abs(pads[dim][0] - pads[dim][1]) <= 1 and pads[dim][1] >= pads[dim][0]

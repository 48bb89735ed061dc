"""The spec of an init part: the scheme, the fans (given, or from a layer as PyTorch computes them), the
nonlinearity whose gain scales the variance (torch.nn.init.calculate_gain), and kaiming's mode."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ... import fields
from ...errors import did_you_mean
from ...fields import FieldError, to_rational

SCHEMES = ("xavier-uniform", "xavier-normal", "kaiming-uniform", "kaiming-normal", "lecun-normal")
MODES = ("fan_in", "fan_out")
LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
NONLINEARITIES = (*LINEAR, "sigmoid", "tanh", "relu", "leaky_relu", "selu")
LAYER_KEYS = {"conv": ("type", "in_channels", "filters", "kernel"), "dense": ("type", "inputs", "units")}
MAX_FAN = 100000          # each count of a layer, and a fan given directly
MAX_KERNEL = 1000         # each side of a kernel


@dataclass(frozen=True)
class Layer:
    """A layer the fans come from: its weight's shape as PyTorch stores it, (out, in, *kernel)."""

    type: str                       # conv | dense
    shape: tuple[int, ...]

    @property
    def kernel(self) -> tuple[int, ...]:
        return self.shape[2:]


@dataclass(frozen=True)
class Config:
    scheme: str
    fan_in: int
    fan_out: int
    layer: Layer | None
    nonlinearity: str
    negative_slope: sympy.Rational     # leaky_relu's slope (PyTorch: 0 for kaiming, 0.01 for calculate_gain)
    mode: str                          # fan_in | fan_out: the fan the variance divides by (kaiming, lecun)

    @property
    def family(self) -> str:
        return self.scheme.split("-")[0]

    @property
    def uniform(self) -> bool:
        return self.scheme.endswith("uniform")

    @property
    def gain(self) -> sympy.Expr:
        return gain(self.nonlinearity, self.negative_slope)

    @property
    def fan(self) -> int:
        return self.fan_in if self.mode == "fan_in" else self.fan_out

    @property
    def variance(self) -> sympy.Expr:
        if self.family == "xavier":
            return self.gain ** 2 * sympy.Rational(2, self.fan_in + self.fan_out)
        return self.gain ** 2 / self.fan

    @property
    def std(self) -> sympy.Expr:
        return sympy.sqrt(self.variance)

    @property
    def bound(self) -> sympy.Expr:
        return sympy.sqrt(3) * self.std


def gain(nonlinearity: str, slope: sympy.Rational) -> sympy.Expr:
    """torch.nn.init.calculate_gain, exactly."""
    if nonlinearity in LINEAR or nonlinearity == "sigmoid":
        return sympy.Integer(1)
    return {"tanh": sympy.Rational(5, 3), "relu": sympy.sqrt(2), "selu": sympy.Rational(3, 4)}.get(
        nonlinearity, sympy.sqrt(2 / (1 + slope ** 2)) if slope is not None else None)


def configure(values: dict, asks) -> Config:
    scheme = _choice(values, "scheme", SCHEMES, None)
    family = scheme.split("-")[0]
    default = "leaky_relu" if family == "kaiming" else "linear"
    nonlinearity = _choice(values, "nonlinearity", NONLINEARITIES, default).replace("-", "_")
    slope = _slope(values, nonlinearity, family)
    if family == "kaiming":
        mode = _choice(values, "mode", MODES, "fan_in")
    elif values.get("mode") is not None:
        raise FieldError("mode", f"only the kaiming schemes take a mode ({scheme} uses "
                                 f"{'both fans' if family == 'xavier' else 'fan_in'})", values["mode"],
                         "no mode, or a kaiming scheme")
    else:
        mode = "fan_in"
    layer = _layer(values)
    if layer is not None:
        fan_in, fan_out = fans(layer.shape)
    else:
        needs_out = family == "xavier" or mode == "fan_out"
        fan_in = fields.integer(values, "fan_in", minimum=1, maximum=MAX_FAN)
        fan_out = fields.integer(values, "fan_out", None if needs_out else fan_in, minimum=1, maximum=MAX_FAN)
    return Config(scheme, fan_in, fan_out, layer, nonlinearity, slope, mode)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """torch.nn.init._calculate_fan_in_and_fan_out of a weight of this shape."""
    receptive = 1
    for k in shape[2:]:
        receptive *= k
    return shape[1] * receptive, shape[0] * receptive


def _choice(values: dict, field: str, allowed: tuple[str, ...], default: str | None) -> str:
    raw = values.get(field, default)
    expected = " | ".join(allowed)
    if raw is None:
        raise FieldError(field, "missing", expected=expected)
    if not isinstance(raw, str):
        raise FieldError(field, "must be text", raw, expected)
    key = raw.strip().lower().replace("_", "-") if field == "scheme" else raw.strip().lower().replace("-", "_")
    if key not in allowed:
        raise FieldError(field, f"unknown {field} '{raw[:40]}'" + did_you_mean(key, allowed), raw, expected)
    return key


def _slope(values: dict, nonlinearity: str, family: str) -> sympy.Rational:
    raw = values.get("negative_slope")
    if nonlinearity != "leaky_relu":
        if raw is not None:
            raise FieldError("negative_slope", f"only leaky_relu has a negative slope (nonlinearity is "
                                               f"{nonlinearity})", raw, "no negative_slope, or nonlinearity = \"leaky_relu\"")
        return sympy.Integer(0)
    if raw is None:
        return sympy.Integer(0) if family == "kaiming" else sympy.Rational(1, 100)
    slope = to_rational(raw, "negative_slope")
    if abs(slope) > 1000:
        raise FieldError("negative_slope", "must be between -1000 and 1000", raw, "e.g. 0.01 or 0.2")
    return slope


def _layer(values: dict) -> Layer | None:
    raw = values.get("layer")
    if raw is None:
        return None
    for key in ("fan_in", "fan_out"):
        if values.get(key) is not None:
            raise FieldError("layer", f"give either the fans or a layer, not both ({key} is given too)", raw,
                             "fan_in/fan_out, or layer")
    expected = ('{ type = "conv", in_channels = 16, filters = 32, kernel = 3 } or '
                '{ type = "dense", inputs = 256, units = 128 }')
    if not isinstance(raw, dict):
        raise FieldError("layer", "must be a table", raw, expected)
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in LAYER_KEYS:
        raise FieldError("layer.type", f"unknown layer type {str(kind)[:40]!r}"
                         + did_you_mean(str(kind), tuple(LAYER_KEYS)), kind, "conv | dense")
    for key in raw:
        if key not in LAYER_KEYS[kind]:
            raise FieldError(f"layer.{key}", f"a {kind} layer has no key '{key}'"
                             + did_you_mean(str(key), LAYER_KEYS[kind]), raw[key], expected)
    whole = {}
    for key in LAYER_KEYS[kind][1:]:
        if key != "kernel":
            if raw.get(key) is None:
                raise FieldError(f"layer.{key}", "missing", expected=f"a whole number from 1 up to {MAX_FAN}")
            whole[key] = fields.check_int(raw[key], f"layer.{key}", minimum=1, maximum=MAX_FAN)
    if kind == "dense":
        return Layer("dense", (whole["units"], whole["inputs"]))
    return Layer("conv", (whole["filters"], whole["in_channels"], *_kernel(raw.get("kernel"))))


def _kernel(raw) -> tuple[int, ...]:
    expected = "a whole number k (a k x k kernel) or a list of 1 to 3 sides"
    if raw is None:
        raise FieldError("layer.kernel", "missing", expected=expected)
    sides = [raw, raw] if not isinstance(raw, list) else raw
    if not 1 <= len(sides) <= 3:
        raise FieldError("layer.kernel", "must have 1 to 3 sides", raw, expected)
    return tuple(fields.check_int(k, "layer.kernel", minimum=1, maximum=MAX_KERNEL) for k in sides)

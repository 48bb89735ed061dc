"""The spec of an init part: the scheme, the fans (given, or from a layer as PyTorch computes them), the
nonlinearity whose gain scales the variance (torch.nn.init.calculate_gain), and kaiming's mode."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ...declare import REQUIRED, Choice, Field, Integer, ListOf, Number, OneOf, Rule, Tagged, given, needed, read
from ...fields import FieldError

SCHEMES = ("xavier-uniform", "xavier-normal", "kaiming-uniform", "kaiming-normal", "lecun-normal")
KERAS = {"he-normal": "kaiming-normal", "he-uniform": "kaiming-uniform", "glorot-normal": "xavier-normal",
         "glorot-uniform": "xavier-uniform"}     # Keras's names (he_normal, ...; lecun_normal is lecun-normal)
MODES = ("fan_in", "fan_out")
LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
NONLINEARITIES = (*LINEAR, "sigmoid", "tanh", "relu", "leaky_relu", "selu")
MAX_FAN = 100000          # each count of a layer, and a fan given directly
MAX_KERNEL = 1000         # each side of a kernel
FAN = Integer(1, MAX_FAN)
SIDE = Integer(1, MAX_KERNEL)
LAYER = Tagged("type", {
    "conv": (Field("in_channels", FAN, "the input channels", REQUIRED),
             Field("filters", FAN, "the filters (output channels)", REQUIRED),
             Field("kernel", OneOf((SIDE, ListOf(SIDE, 1, 3, noun="sides"))), "k for a k × k kernel, or its sides",
                   REQUIRED)),
    "dense": (Field("inputs", FAN, "the inputs", REQUIRED), Field("units", FAN, "the units", REQUIRED)),
})
FIELDS = (
    Field("scheme", Choice(SCHEMES + tuple(KERAS), "scheme", loose=True, fold=("_", "-")),
          "the initialisation scheme; Keras's names he_normal, he_uniform, glorot_normal, glorot_uniform and"
          " lecun_normal (with _ or -) are the same schemes", REQUIRED),
    Field("fan_in", FAN, "the inputs each unit sums", Rule("required unless `layer`")),
    Field("fan_out", FAN, "the units each input feeds: needed by xavier and by kaiming with mode = \"fan_out\""),
    Field("layer", LAYER, "instead of the fans: a layer whose weight's shape gives them, as PyTorch's"
          " _calculate_fan_in_and_fan_out computes them (a dense layer's weight is (units, inputs), a conv"
          " layer's (filters, in_channels, *kernel))"),
    Field("nonlinearity", Choice(NONLINEARITIES, "nonlinearity", loose=True, fold=("-", "_")),
          "the gain, as torch.nn.init.calculate_gain (linear and the conv ones 1, sigmoid 1, tanh 5/3, relu √2,"
          " leaky_relu √(2/(1 + a²)), selu 3/4)",
          Rule("leaky_relu for kaiming (PyTorch's default, slope 0: ReLU's gain), relu for he_normal and he_uniform"
               " (Keras's scale 2), linear otherwise")),
    Field("negative_slope", Number(-1000, 1000), "leaky_relu's slope a",
          Rule("0 for kaiming (PyTorch's a = 0), 0.01 otherwise (calculate_gain's)")),
    Field("mode", Choice(MODES, "mode", loose=True, fold=("-", "_")),
          "kaiming only: fan_in (the forward pass keeps its variance) or fan_out (the backward pass)", "fan_in"),
)


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
    keras: str | None = None           # the Keras name the spec gives (he_normal, ...), None for PyTorch's

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
    """The rules between the keys (read by FIELDS): the nonlinearity's and the slope's defaults by scheme, a mode
    for kaiming only, and the fans given or from a layer."""
    values = read(FIELDS, values)
    scheme = KERAS.get(values["scheme"], values["scheme"])
    keras = values["scheme"].replace("-", "_") if values["scheme"] in KERAS else None
    family = scheme.split("-")[0]
    nonlinearity = values.get("nonlinearity") or ("relu" if keras and family == "kaiming" else
                                                   "leaky_relu" if family == "kaiming" else "linear")
    slope = _slope(values, nonlinearity, family)
    if family != "kaiming" and "mode" in given(values):
        raise FieldError("mode", f"only the kaiming schemes take a mode ({scheme} uses "
                                 f"{'both fans' if family == 'xavier' else 'fan_in'})", values.raw["mode"],
                         "no mode, or a kaiming scheme")
    mode = values["mode"] if family == "kaiming" else "fan_in"
    layer = _layer(values)
    if layer is not None:
        fan_in, fan_out = fans(layer.shape)
    else:
        needs_out = family == "xavier" or mode == "fan_out"
        fan_in = needed(values, FIELDS, "fan_in")
        fan_out = needed(values, FIELDS, "fan_out") if needs_out else values.get("fan_out", fan_in)
    return Config(scheme, fan_in, fan_out, layer, nonlinearity, slope, mode, keras)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """torch.nn.init._calculate_fan_in_and_fan_out of a weight of this shape."""
    receptive = 1
    for k in shape[2:]:
        receptive *= k
    return shape[1] * receptive, shape[0] * receptive


def _slope(values: dict, nonlinearity: str, family: str) -> sympy.Rational:
    slope = values.get("negative_slope")
    if nonlinearity != "leaky_relu":
        if slope is not None:
            raise FieldError("negative_slope", f"only leaky_relu has a negative slope (nonlinearity is "
                                               f"{nonlinearity})", values.raw.get("negative_slope"),
                             "no negative_slope, or nonlinearity = \"leaky_relu\"")
        return sympy.Integer(0)
    if slope is None:
        return sympy.Integer(0) if family == "kaiming" else sympy.Rational(1, 100)
    return slope


def _layer(values: dict) -> Layer | None:
    layer = values.get("layer")
    if layer is None:
        return None
    for key in ("fan_in", "fan_out"):
        if values.get(key) is not None:
            raise FieldError("layer", f"give either the fans or a layer, not both ({key} is given too)",
                             values.raw["layer"], "fan_in/fan_out, or layer")
    if layer["type"] == "dense":
        return Layer("dense", (layer["units"], layer["inputs"]))
    kernel = layer["kernel"]
    sides = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    return Layer("conv", (layer["filters"], layer["in_channels"], *sides))

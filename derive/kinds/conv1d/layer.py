"""The spec of a conv-matrix part: HW5's 1D symbols (``config.Config``, narrated as before) or the general
layer (``Layer``): 1D or 2D, transposed or not, with channels and numbers."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy

from ... import fields
from ...declare import given, needed, read
from ...fields import FieldError
from ...mathparse import Z
from ..activations import derivative
from . import geometry as geo
from .config import Config, _activation, _padding, configure as configure_1d
from .geometry import Geometry, unflat, weight_places
from .keys import FIELDS
from .kink import refusal, slope_at
from .names import weight

LEGACY_ASKS = ("matrix", "gradient", "jacobian", "input-gradient")
NUMERIC_ASKS = ("forward", "filter-gradient-value", "input-gradient-value")
GENERAL_KEYS = ("input", "kernel", "x", "f", "upstream", "transposed", "output_padding", "channels")


@dataclass(frozen=True)
class Layer:
    """A conv-matrix part in general: the geometry, the activation, the numbers given, and, for a 1D
    convolution with one channel, HW5's config for the symbolic questions."""

    g: Geometry
    activation: str
    phi: sympy.Expr
    name: str | None
    slopes: tuple | None
    x: tuple | None = None                # the input, flat in PyTorch's order
    f: tuple | None = None                # the filter, flat in PyTorch's order
    upstream: tuple | None = None         # dL/da, flat
    signs: tuple | None = None            # each argument's sign: the spec's, or from the numbers (0: exactly 0)
    kink: sympy.Expr | None = None        # PyTorch's slope at z = 0 (kink.at_kink); None: no convention
    at_zero: tuple | None = None          # with numbers and signs: for an argument of 0, the side given (+1/-1)
    wrt: int | None = None                # for 'gradient' beyond HW5's 1D: the weight's position in f's layout
    legacy: Config | None = None          # the 1D single-channel convolution as HW5 states it
    general: bool = True                  # some key beyond HW5's 1D symbols is given

    @property
    def kinked(self) -> bool:
        return self.slopes is not None

    def weight_value(self, co: int, ci: int, k: int):
        """W(co, ci, k) from f (0-based, k flat over the kernel)."""
        g = self.g
        kn = g.size(g.kernel)
        c_in, c_out = g.channels
        first, second = (ci, co) if g.transposed else (co, ci)
        return self.f[(first * (c_out if g.transposed else c_in) + second) * kn + k]

    def z(self) -> tuple:
        """z = (the layer) x, flat over (c_out, output), from the taps."""
        g = self.g
        c_in, c_out = g.channels
        n, m = g.size(g.input), g.size(g.output)
        out = [sympy.Integer(0)] * (c_out * m)
        taps = g.taps()
        for co in range(c_out):
            for ci in range(c_in):
                for row, col, k in taps:
                    out[co * m + row] += self.weight_value(co, ci, k) * self.x[ci * n + col]
        return tuple(out)

    def slope_values(self, zs: tuple) -> tuple:
        """phi'(z) at each z: by the side of 0 for a kinked activation; at exactly 0 the spec's side, else
        PyTorch's slope at the kink."""
        dphi = derivative(self.phi)
        if not self.kinked:
            return tuple(dphi.subs(Z, v) for v in zs)
        return tuple(slope_at(self, r, v) for r, v in enumerate(zs))


def configure(values: dict, asks) -> Config | Layer:
    """HW5's 1D symbolic config when only its keys are given (its output unchanged); the general layer
    otherwise. The keys are read by FIELDS; the rules between them are here."""
    values = read(FIELDS, values)
    if "compose" in asks:
        from .compose import configure as compose
        return compose(values, asks)
    if isinstance(values.get("width"), list):
        raise FieldError("width", "two widths are 'compose''s (two convolutions in a row); one layer has one",
                         values.raw["width"], 'a whole number, or ask = "compose"')
    general = any(k in given(values) for k in GENERAL_KEYS) or any(a in ("output-size",) + NUMERIC_ASKS for a in asks)
    if not general:
        return configure_1d(values, asks)
    two = "input" in values or "kernel" in values
    if two:
        for key in ("length", "width"):
            if key in values:
                two_d = "input" if "input" in values else "kernel"
                raise FieldError(two_d, f"a 2D convolution gives 'input' and 'kernel', a 1D one 'length' and"
                                        f" 'width'; this part has both '{two_d}' and '{key}'", values[two_d],
                                 "either input/kernel or length/width")
    g = _geometry(values, two)
    act = _activation(values)
    layer = Layer(g=g, **act)
    layer = _numbers(values, layer, asks)
    _check_asks(layer, asks)
    layer = replace(layer, legacy=_legacy(values, asks, layer))
    if layer.legacy is None and ("gradient" in asks or "wrt" in values):
        layer = replace(layer, wrt=_wrt(values, layer))
    return layer


def weight_of(layer: Layer, co: int, ci: int, k: int):
    """The weight W(co, ci, k): the spec's number, or its symbol."""
    if layer.f is not None:
        return layer.weight_value(co, ci, k)
    g = layer.g
    idx = tuple(i + 1 for i in unflat(k, g.kernel))
    if not g.channel_dims:
        return weight(idx)
    pair = (ci + 1, co + 1) if g.transposed else (co + 1, ci + 1)
    return weight(idx, pair)


def weight_names(layer: Layer) -> list[str]:
    """The names of f's entries in its layout, as the JSON writes them (f11, f^(1,2)_11, ...)."""
    sym = replace(layer, f=None)
    return [weight_of(sym, co, ci, k).name for co, ci, k in weight_places(layer.g)]


def _wrt(values: dict, layer: Layer) -> int:
    """The position in f's layout of the weight 'gradient' differentiates by."""
    names = weight_names(layer)
    raw = values.get("wrt")
    text = raw.replace("{", "").replace("}", "").replace(" ", "") if isinstance(raw, str) else None
    if text is not None and text.startswith("f_"):
        text = "f" + text[2:]
    if text not in names:
        shown = ", ".join(names) if len(names) <= 6 else f"{names[0]}, {names[1]}, …, {names[-1]}"
        raise FieldError("wrt", "must name a filter weight", raw, f"one of {shown}")
    return names.index(text)


def _geometry(values: dict, two: bool) -> Geometry:
    transposed = values["transposed"]
    dims = 2 if two else 1
    if two:
        n, k = tuple(needed(values, FIELDS, "input")), tuple(needed(values, FIELDS, "kernel"))
        padding = geo.padding_2d(values)
    else:
        n = (fields.check_int(needed(values, FIELDS, "length"), "length", 1, 128),)
        k = (fields.check_int(needed(values, FIELDS, "width"), "width", 1, 128),)
        padding = (_padding(values),)
    s = geo.per_axis(values, "stride", dims, 1, 1)
    d = geo.per_axis(values, "dilation", dims, 1, 1)
    op = geo.output_padding(values, dims, s, d, transposed)
    g = Geometry(input=n, kernel=k, stride=s, padding=padding, dilation=d, output_padding=op,
                 transposed=transposed, channels=geo.channels(values))
    geo.check_fits(g)
    return g


def _numbers(values: dict, layer: Layer, asks) -> Layer:
    g = layer.g
    x = geo.tensor(values, "x", g.in_shape(), "the input")
    f = geo.tensor(values, "f", g.weight_shape(), "the filter" + (" (PyTorch's weight layout)"
                                                                   if g.channel_dims else ""))
    up = geo.tensor(values, "upstream", g.out_shape(), "the layer's output")
    layer = replace(layer, x=x, f=f, upstream=up)
    for ask in asks:
        need = {"forward": ("x", "f"), "filter-gradient-value": ("x", "f", "upstream"),
                "input-gradient-value": ("x", "f", "upstream")}.get(ask, ())
        for key in need:
            if key not in values:
                raise FieldError(key, f"the question '{ask}' needs the numbers {', '.join(need)}", None,
                                 f"{key} = [...]")
    signs, at_zero = _signs(values, layer, asks)
    return replace(layer, signs=signs, at_zero=at_zero)


def _signs(values: dict, layer: Layer, asks) -> tuple:
    """(The arguments' signs, for each argument of exactly 0 the side the spec's sign gives or 0): the spec's
    signs without numbers; with x and f the signs of z (0 where z is 0), a given sign checked against them.
    An argument of 0 takes PyTorch's slope (kink.at_kink) unless a sign is given for it; an activation with
    no such convention needs one."""
    raw = values.get("signs")
    if raw is not None and not layer.kinked:
        raise FieldError("signs", "only an activation with a kink at 0 needs signs", raw, "no 'signs'")
    if layer.x is None or layer.f is None:
        return (None if raw is None else tuple(_symbolic_signs(raw, layer.g))), None
    zs = layer.z()
    signs = tuple(1 if v > 0 else -1 if v < 0 else 0 for v in zs)
    at_zero = None
    if raw is not None:
        at_zero = tuple(s if v == 0 else 0 for v, s in zip(zs, _given_signs(raw, zs)))
    gradients = ("gradient", "jacobian", "input-gradient", "filter-gradient-value", "input-gradient-value")
    why = refusal(replace(layer, signs=signs, at_zero=at_zero), zs, raw)
    if why and any(a in gradients for a in asks):
        raise FieldError("signs", why, raw, f'a list of {len(zs)} of "+" and "-"')
    return signs, at_zero


def _symbolic_signs(raw, g: Geometry) -> list[int]:
    """The signs of the arguments without numbers: one per output, flat or in the output's shape."""
    count = g.channels[1] * g.size(g.output)
    flat_signs = list(_flatten(raw))
    if len(flat_signs) != count or any(s not in ("+", "-") for s in flat_signs):
        shape = " × ".join(map(str, g.out_shape()))
        raise FieldError("signs", f"must give the sign of each of the {count} arguments ({shape}), flat row by"
                                  " row or in the output's shape", raw, f'{count} of "+" and "-"')
    return [1 if s == "+" else -1 for s in flat_signs]


def _flatten(raw):
    if isinstance(raw, list):
        for v in raw:
            yield from _flatten(v)
    else:
        yield raw


def _given_signs(raw, zs: tuple) -> list[int]:
    """The spec's signs, one per argument, agreeing with the numbers wherever z is not 0."""
    if not isinstance(raw, list) or len(raw) != len(zs) or any(s not in ("+", "-") for s in raw):
        raise FieldError("signs", f"must list the sign of each of the {len(zs)} arguments", raw,
                         f'{len(zs)} of "+" and "-"')
    signs = [1 if s == "+" else -1 for s in raw]
    for r, (v, s) in enumerate(zip(zs, signs)):
        if v != 0 and (v > 0) != (s > 0):
            raise FieldError("signs", f"argument {r + 1} is {v} with the given x and f, not of the sign given",
                             raw, "the signs of z, or no 'signs'")
    return signs


def _check_asks(layer: Layer, asks) -> None:
    g = layer.g
    simple = g.dims == 1 and not g.transposed and not g.channel_dims
    if not simple:
        _check_symbolic(layer, [a for a in asks if a in ("gradient", "jacobian", "input-gradient")])
    work = g.size(g.output if not g.transposed else g.input) * g.size(g.kernel) * g.channels[0] * g.channels[1]
    if work > geo.MAX_WORK and (any(a in NUMERIC_ASKS for a in asks) or layer.f is not None):
        field = "channels" if g.channel_dims else "input"
        raise FieldError(field, f"with numbers the layer takes {work} products (positions × kernel entries ×"
                                f" channel pairs), each checked; at most {geo.MAX_WORK}", values_of(field, g),
                         "a smaller input, kernel or fewer channels")
    if "matrix" in asks:
        rows, cols = g.channels[1] * g.size(g.output), g.channels[0] * g.size(g.input)
        if (rows > geo.MAX_MATRIX or cols > geo.MAX_MATRIX) and not simple:
            field = "channels" if g.channel_dims else "input"
            raise FieldError(field, f"the matrix would be {rows} × {cols}; at most {geo.MAX_MATRIX} × "
                                    f"{geo.MAX_MATRIX} fits a page", values_of(field, g),
                             "a smaller input, kernel or fewer channels")


def _check_symbolic(layer: Layer, asks: list) -> None:
    """gradient, jacobian, input-gradient beyond HW5's 1D: signs for a kinked activation, and sizes a page holds
    (outputs, and the columns of the Jacobian, at most MAX_MATRIX each)."""
    if not asks:
        return
    g = layer.g
    if layer.kinked and layer.signs is None:
        count = g.channels[1] * g.size(g.output)
        raise FieldError("signs", f"'{asks[0]}' through a kinked activation needs the sign of each of the {count}"
                                  " arguments (flat row by row, or in the output's shape), or the numbers x and f",
                         None, f'{count} of "+" and "-"')
    rows = g.channels[1] * g.size(g.output)
    widths = {"gradient": 1, "jacobian": g.channels[0] * g.channels[1] * g.size(g.kernel),
              "input-gradient": g.channels[0] * g.size(g.input)}
    for ask in asks:
        if rows > geo.MAX_MATRIX or widths[ask] > geo.MAX_MATRIX:
            field = "channels" if g.channel_dims else "input" if rows > geo.MAX_MATRIX or ask != "jacobian" \
                else "kernel"
            raise FieldError(field, f"'{ask}' would be {rows} × {widths[ask]}; at most {geo.MAX_MATRIX} outputs and"
                                    f" {geo.MAX_MATRIX} columns", list(g.channels) if field == "channels" else
                             list(g.kernel if field == "kernel" else g.input), "a smaller input, kernel or fewer"
                                                                               " channels")


def values_of(field: str, g: Geometry):
    return list(g.channels) if field == "channels" else list(g.input)


def _legacy(values: dict, asks, layer: Layer) -> Config | None:
    """HW5's 1D config (for matrix, gradient, jacobian, input-gradient in symbols), signs from the numbers."""
    g = layer.g
    if g.dims != 1 or g.transposed or g.channel_dims:
        return None
    own = {k: v for k, v in values.items() if k not in GENERAL_KEYS}
    if layer.signs is not None and layer.kinked:
        own["signs"] = ["+" if s > 0 else "-" for s in layer.signs]      # the sign 0 kept below
    c = configure_1d(own, [a for a in asks if a in LEGACY_ASKS])
    return replace(c, signs=layer.signs, at_zero=layer.at_zero) if c.signs is not None else c

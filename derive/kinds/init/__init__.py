"""init: the variance, standard deviation and uniform bound of Xavier/Glorot, Kaiming/He and LeCun
initialisation, derived from the variance-propagation argument, with PyTorch's fans and gains
(torch.nn.init).

- ``config``: the spec (scheme, fans or a layer, nonlinearity and its gain, kaiming's mode);
- ``narrate``: the key (fans, the forward and backward variance argument, the scheme's choice, the numbers).
"""

from __future__ import annotations

from ...steps import Solution
from ..base import REQUIRED, Field, Kind
from .config import MODES, NONLINEARITIES, SCHEMES, Config, configure
from .narrate import N, bound, setting, std, variance

SOLVERS = {"variance": variance, "std": std, "bound": bound}


def solve(c: Config, ask: str) -> Solution:
    return SOLVERS[ask](c)


class Init(Kind):
    """Weight initialisation: Xavier/Glorot, Kaiming/He and LeCun, as torch.nn.init draws them."""

    name = "init"
    notation = N
    summary = "the variance, std and uniform bound of Xavier, Kaiming or LeCun initialisation, as torch.nn.init"
    asks = {"variance": "Var(w): the variance the scheme chooses, derived from variance propagation",
            "std": "the standard deviation of the weights",
            "bound": "the half-width b of the uniform distribution U(-b, b) with that variance"}
    fields = (
        Field("scheme", " | ".join(SCHEMES), "the initialisation scheme", REQUIRED),
        Field("fan_in", "a whole number from 1 to 100000", "the inputs each unit sums; or give 'layer'"),
        Field("fan_out", "a whole number from 1 to 100000", "the units each input feeds (xavier; kaiming fan_out)"),
        Field("layer", '{ type = "conv", in_channels, filters, kernel } or { type = "dense", inputs, units }',
              "a layer whose weight's shape gives the fans, as PyTorch computes them"),
        Field("nonlinearity", " | ".join(NONLINEARITIES), "the gain, as torch.nn.init.calculate_gain",
              "leaky_relu (kaiming), linear (otherwise)"),
        Field("negative_slope", "a number", "leaky_relu's slope", "0 (kaiming), 0.01 (otherwise)"),
        Field("mode", " | ".join(MODES), "kaiming: which fan keeps its variance", "fan_in"),
    )

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)


__all__ = ["Init", "Config", "configure", "setting", "solve", "N"]

"""init: the variance, standard deviation and uniform bound of Xavier/Glorot, Kaiming/He and LeCun
initialisation, derived from the variance-propagation argument, with PyTorch's fans and gains
(torch.nn.init).

- ``config``: the spec (scheme, fans or a layer, nonlinearity and its gain, kaiming's mode);
- ``narrate``: the key (fans, the forward and backward variance argument, the scheme's choice, the numbers).
"""

from __future__ import annotations

from ...steps import Solution
from ..base import Kind
from .config import FIELDS, Config, configure
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
    fields = FIELDS

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)


__all__ = ["Init", "Config", "configure", "setting", "solve", "N"]

"""optimizer: a few steps of SGD, Adam, AdamW, RMSprop or Adagrad by hand, with PyTorch's update rules
(torch.optim) and its state names.

- ``config``: the spec (optimiser, hyper-parameters with PyTorch's defaults, w0, gradients or a loss);
- ``loss``: the safe parser for a loss in w (w1, w2, ...);
- ``ops``: the arithmetic a rule is written over, read with symbols, with numbers, and as values;
- ``rules``: each optimiser's rule, written once over ``ops``;
- ``iterate``: one step's values, and the checks each step's numbers pass;
- ``compute``: the analysis (every quantity of every step; a long run's later steps in ``fast``);
  ``narrate`` and ``notes``: the key (``decimals``: how it writes a value), ``rates``: the schedules' rates.
"""

from __future__ import annotations

from ...steps import Solution, Text, let, say
from ...words import join, join_pieces
from ..base import Kind
from .config import FIELDS, NAMES, Config, configure
from .names import HYPER, N
from .decimals import shown
from .narrate import update, updates
from .rates import lr_question, sentence

def written(value):
    return shown(value, 8)[0]


def setting(c: Config) -> Text:
    """The optimiser with its hyper-parameters."""
    pieces = [f"The optimiser is {NAMES[c.optimizer]} (torch.optim.{NAMES[c.optimizer]}) with "]
    shown = []
    for key, value in c.hyper:
        if key == "betas":
            shown += [let(HYPER["beta1"], written(value[0])), let(HYPER["beta2"], written(value[1]))]
        elif isinstance(value, bool):
            continue
        elif key in HYPER:
            shown.append(let(HYPER[key], written(value)))
        else:
            shown.append([f"{key} ", written(value)])            # initial_accumulator_value 0.1
    pieces += [p for item in join_pieces(shown) for p in (item if isinstance(item, list) else [item])]
    flags = [key for key, value in c.hyper if isinstance(value, bool) and value]
    if c.form == "velocity":
        flags.append("momentum in CS231n's velocity form")
    if flags:
        pieces.append(" (" + join(flags) + ")")
    pieces.append(". ")
    return say(*pieces, *sentence(c))


def solve(c: Config, ask: str) -> Solution:
    return {"updates": updates, "update": update, "lr": lr_question}[ask](c)


class Optimizer(Kind):
    """A few optimiser steps by hand: PyTorch's rules, state and defaults."""

    name = "optimizer"
    notation = N
    summary = ("steps of SGD (momentum, Nesterov), Adam, AdamW, RMSprop or Adagrad, as torch.optim takes them, with"
               " a learning-rate scheduler")
    asks = {"updates": "w and the optimiser's state (torch.optim's names) after each step",
            "update": "the first step's change Δw = w⁽¹⁾ − w⁽⁰⁾ alone (w0 needed only with weight decay or a loss)",
            "lr": "the learning rate (and OneCycleLR's momentum) of the steps `at`: step t's after t − 1 scheduler"
                  " steps"}
    fields = FIELDS

    configure = staticmethod(configure)
    setting = staticmethod(setting)
    solve = staticmethod(solve)


__all__ = ["Optimizer", "Config", "configure", "setting", "solve", "N"]

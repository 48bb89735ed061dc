"""The GRU's update gate written u⟨t⟩ in a part whose problem also has a plain cell, whose pre-activation is
z⟨t⟩: one letter, one meaning within a problem.

PyTorch's docs (torch.nn.GRUCell) write the update gate z, and a problem of GRU parts alone keeps it (HW5 and
the golden keys do). Beside a plain cell's z⟨t⟩ = W_a a⟨t−1⟩ + W_x x⟨t⟩ + b, the GRU part writes the gate u⟨t⟩,
as Goodfellow et al.'s Deep Learning (10.10.6) does, and its weights W_u, U_u, b_u; the several-units GRU's
(U_n h⟨t−1⟩)_i, which it calls u_i, becomes q_i there. The part's setting says so.
"""

from __future__ import annotations

import functools
import re

from ...notation import Rewritten
from ...steps import say
from ...written import rewrite
from . import cell_units, cells
from .config import Config
from .notation import Z
from .units import Units

LETTERS = {"z": "u", "u": "q"}
_LONE = re.compile(r"(?<![A-Za-z])[zu](?![A-Za-z])")
KEPT = frozenset({Z})              # the plain cell's pre-activation, named in the setting's sentence


def _gru(config) -> bool:
    return isinstance(config, (cells.Cell, cell_units.GatedUnits)) and config.cell == "gru"


def beside_plain(config, configs: list) -> bool:
    """A GRU part in a problem with a plain cell's part (one unit or several)."""
    return _gru(config) and any(isinstance(c, (Config, Units)) for c in configs)


def shown(notation, config, configs: list):
    """The part's notation: z read as u (and u as q) in every written form but the plain cell's z⟨t⟩, for a GRU
    beside a plain cell; else the kind's own."""
    return Rewritten(notation, _reading, "rnn: the update gate u") if beside_plain(config, configs) else notation


def _reading(obj, written):
    return written if obj in KEPT else _relettered(written)


@functools.lru_cache(maxsize=1 << 12)
def _relettered(written):
    return rewrite(written, lambda p: _LONE.sub(lambda m: LETTERS[m.group()], p) if isinstance(p, str) else p)


def note(config, configs: list):
    """The sentence telling the reader why the update gate is u here; empty where it is z."""
    if not beside_plain(config, configs):
        return say()
    return say(" In this problem ", Z, " is the plain cell's pre-activation, so the GRU's update gate is written ",
               cells.GATE["z"], ", as in Goodfellow et al.'s Deep Learning, and its weights ", cells.WEIGHT["W_z"],
               ", ", cells.WEIGHT["U_z"], " and ", cells.WEIGHT["b_z"], " (the spec's W_z, U_z and b_z).")

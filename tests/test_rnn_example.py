"""rnn-activation's bundled example spec derives, and its stability analysis is data before it is prose."""

import dataclasses

import pytest

import derive
from derive.kinds import KINDS, rnn
from derive.kinds.rnn import units


def test_example_derives_one_and_several_units_both_questions():
    spec = derive.loads(KINDS["rnn-activation"].example())
    asked = {(isinstance(part.config, units.Units), ask) for p in spec.problems for part in p.parts
             for ask in part.asks}
    assert asked == {(False, "derivative"), (False, "stability"), (True, "derivative"), (True, "stability")}
    cells = {(part.config.cell, ask) for p in spec.problems for part in p.parts if hasattr(part.config, "cell")
             for ask in part.asks}
    assert cells == {(cell, ask) for cell in ("lstm", "gru") for ask in ("derivative", "stability")}
    doc = derive.solve(spec)
    assert sum(len(part.questions) for p in doc.problems for part in p.parts) == 12   # 8 plain, 2 LSTM, 2 GRU


def config(**values):
    return rnn.configure({"activation": "tanh", **values}, ("stability",))


def test_analysis_is_frozen_data():
    s = rnn.analyse(config(W_a=2, a0=0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.factor = 0
    assert s.stationary and s.exact and s.star == 0 and s.factor == 2 and s.rel_one == ">"
    assert s.verdict == "exploding" and len(s.perturbed) == 2
    assert all(o.end is not None and o.factor < 1 for o in s.perturbed)      # it falls into a stable point


def test_analysis_of_a_slow_decay_and_a_cycle():
    slow = rnn.analyse(config(W_a=1, a0=0.5))
    assert slow.verdict == "slowly-vanishing" and slow.longer < slow.evidence
    cycle = rnn.analyse(config(W_a=-2, a0=0.5))
    assert cycle.star is None and cycle.cycle is not None and len(cycle.cycle) == 2


def test_one_symbol_per_name_across_one_and_several_units():
    n = rnn.N
    assert n.named("W_a") is rnn.notation.W_A and n.named("a_1") == rnn.notation.iterate(1)
    assert n.matrix_written("W_a_matrix") == n[rnn.notation.W_A]

"""One meaning per symbol within a problem, in every key: each kind's `derive example` and the golden specs.

The meanings come from the kinds' notation (``means=`` on a symbol, ``letter(...)`` for a letter wherever it is
written, the L of ∂L/∂a); ``Notation.senses`` reads them back, ``notation.clashes`` finds a letter with two
meanings or a meaning with two letters. Then the notation fixes of issue 24, each read from the printed key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy
from sympy.core.function import AppliedUndef

import derive
from conftest import slow_params
from derive import commands, document
from derive.formats import latex as tex
from derive.formats import html, markdown
from derive.kinds import KINDS
from derive.notation import Notation, clashes
from derive.steps import Chain, Let, Text, say
from derive.written import Partial, Sym, rewrite

GOLDEN = Path(__file__).resolve().parent / "golden" / "specs"
KEYS = ([f"example:{k.name}" for k in KINDS.kinds()] + [f"golden:{p.stem}" for p in sorted(GOLDEN.glob("*.toml"))]
        + ["bundled:hw5"])


def _spec(key: str):
    source, name = key.split(":")
    if source == "example":
        return derive.loads(commands.example(name), path=f"{name}.toml")
    return derive.load(GOLDEN / f"{name}.toml" if source == "golden" else None)


def _objects(piece) -> set:
    """The symbols, matrix symbols and functions a piece of a key shows."""
    if isinstance(piece, Text):
        return set().union(*(_objects(p) for p in piece.pieces), set())
    if isinstance(piece, Let):
        return _objects(piece.lhs) | _objects(piece.rhs)
    if isinstance(piece, Chain):
        return set().union(*(_objects(e) for e in piece.exprs), set())
    if not isinstance(piece, sympy.Basic):
        return set()
    found = set(piece.atoms(sympy.Symbol, sympy.MatrixSymbol))
    return found | {type(f) for f in piece.atoms(AppliedUndef)}


def _question_pieces(q) -> list:
    pieces = [q.text, *q.notes, q.answer.text]
    for s in q.steps:
        pieces += [s.text, *s.chains]
    return pieces + ([q.answer.chain] if q.answer.chain is not None else [])


def senses(problem) -> list[tuple[str, str]]:
    """(letter, meaning) of everything the problem's key shows, settings and questions."""
    out = []
    for part in problem.parts:
        shown = [(part.notation, part.setting)] if part.setting is not None else []
        shown += [(q.notation, p) for q in part.questions for p in _question_pieces(q)]
        for notation, piece in shown:
            for obj in _objects(piece):
                out += notation.senses(obj) if hasattr(notation, "senses") else []
    return out


@pytest.mark.parametrize("key", slow_params(KEYS, ["golden:course50"]))
def test_one_meaning_per_symbol_in_a_problem(key):
    doc = document.solve(_spec(key))
    found = {f"problem {p.number}": clashes(senses(p)) for p in doc.problems}
    assert not {k: v for k, v in found.items() if v}, found


def test_the_walk_sees_the_meanings():
    """The walk is not empty: conv-matrix's example shows the loss L and the layer's matrix F in problem 2."""
    doc = document.solve(_spec("example:conv-matrix"))
    assert {("L", "the loss"), ("F", "the layer's matrix")} <= set(senses(doc.problems[1]))
    doc = document.solve(_spec("example:optimizer"))
    assert any(("L", "the loss") in senses(p) for p in doc.problems)


def test_a_letter_with_two_meanings_is_found():
    """The check has teeth: the layer's matrix called L beside the loss's L (conv-matrix 2d before), and the
    same matrix written F and L, are both reported."""
    n = Notation()
    n.letter("L", "the loss")
    old = n.symbol("L_layer", "L", means="the layer's matrix")
    f = n.symbol("F", means="the layer's matrix")
    loss = n.symbol("dL/da", Partial("L", Sym("a", sup="[1]")))
    found = clashes(n.senses(old) + n.senses(f) + n.senses(loss))
    assert found == ["L stands for the layer's matrix and for the loss", "the layer's matrix is written F and L"]
    assert clashes(n.senses(f) + n.senses(loss)) == []


def test_a_rewritten_notation_shows_and_means_by_its_new_form():
    """derive.notation.Rewritten: the written form, a matrix's, and the senses follow the rule; a notation of
    decimals over it keeps printing decimals; two with one key are one (the printers' caches)."""
    from derive.notation import Rewritten, in_decimals
    from derive.written import Op
    n = Notation()
    n.letter("z", "the pre-activation")
    gate = n.symbol("gate (test)", Sym("z", time="t"), means="the update gate")
    f = n.function("sigmoid (test)", "σ", means="the sigmoid")
    n.matrix("Z (test)", 2, 2, Sym("z", bold=True))

    def rule(obj, written):
        return Op("sigmoid") if obj == f else rewrite(written, lambda p: "u" if p == "z" else p)
    seen = Rewritten(n, rule, "test")
    assert seen[gate] == Sym("u", time="t") and seen.get(f) == Op("sigmoid")
    assert seen.matrix_written("Z (test)") == Sym("u", bold=True)
    assert seen.senses(gate) == [("u", "the update gate")] and seen.senses(f) == []
    assert n.senses(gate) == [("z", "the update gate")]
    assert in_decimals(seen).decimals and in_decimals(seen).senses(gate) == [("u", "the update gate")]
    assert seen == Rewritten(n, rule, "test") and hash(seen) == hash(Rewritten(n, rule, "test"))


def test_a_symbol_or_letter_given_two_meanings_is_refused():
    n = Notation()
    n.letter("L", "the loss")
    with pytest.raises(ValueError, match="two meanings"):
        n.letter("L", "the layer's matrix")
    n.symbol("F", means="the layer's matrix")
    with pytest.raises(ValueError, match="two meanings"):
        n.symbol("F", means="the filter")


# --- each kind's meanings, seen by the walk; a clashing notation caught -----------------------------------

def _problem_senses(key: str, number: int) -> set:
    doc = document.solve(_spec(key))
    return set(senses(next(p for p in doc.problems if p.number == number)))


def test_the_walk_sees_rnn_meanings():
    """rnn-activation: the state a, the pre-activation z, the weights and bias, the sigmoid of 2(b) and ρ in the
    several-units problem; the gated cells' letters, z there the GRU's update gate (the plain RNN compared with
    is written with ∂a⟨t⟩/∂a⟨t−1⟩, not with the pre-activation z)."""
    one = _problem_senses("example:rnn-activation", 1)
    assert {("a", "the state"), ("z", "the pre-activation"), ("W", "a weight"), ("b", "a bias"),
            ("ϕ", "the activation"), ("γ", "the per-step factor"), ("T", "the number of steps")} <= one
    several = _problem_senses("example:rnn-activation", 2)
    assert {("σ", "the sigmoid"), ("ρ", "the spectral radius"), ("b", "a bias")} <= several
    cells = _problem_senses("example:rnn-activation", 3)
    assert {("z", "the update gate"), ("c", "the cell state"), ("h", "the hidden state"), ("f", "the forget gate"),
            ("U", "a gate's recurrent weight"), ("σ", "the sigmoid"), ("J", "the step's Jacobian")} <= cells
    assert ("z", "the pre-activation") not in cells


def test_rnn_largest_singular_value_is_not_a_second_sigma():
    """Several units with a sigmoid (the example's 2(b)) showed W_a's largest singular value as σ_max beside the
    sigmoid σ: now ‖W_a‖₂, in LaTeX and MathML; σ_max would have been caught."""
    from derive.formats import mathml
    from derive.kinds.rnn import notation as rn
    from derive.written import Op
    assert rn.N.senses(rn.SIGMA_MAX) == []
    assert tex.math(rn.SIGMA_MAX, rn.N) == r"\left\| W_a^{[1]} \right\|_2"
    assert "σ" not in mathml.element(rn.SIGMA_MAX, rn.N) and "‖" in mathml.element(rn.SIGMA_MAX, rn.N)
    n = Notation(rn.N)
    old = n.symbol("sigma_max (before)", Sym("σ", sub=Op("max")), means="W_a's largest singular value")
    assert clashes(n.senses(old) + n.senses(rn.SIGMA)) == ["σ stands for W_a's largest singular value and for "
                                                             "the sigmoid"]


def test_rnn_update_gate_beside_the_pre_activation_is_caught():
    """The cells' note compared with a plain RNN's W_a ∂a⟨t⟩/∂z⟨t⟩ beside the GRU's update gate z⟨t⟩ (3(b)):
    that pair is a clash; the note now writes the plain RNN's ∂a⟨t⟩/∂a⟨t−1⟩."""
    from derive.kinds.rnn import cells, notation as rn
    assert clashes(rn.N.senses(rn.DA_DZ) + rn.N.senses(cells.GATE["z"])) == [
        "z stands for the pre-activation and for the update gate"]
    assert clashes(rn.N.senses(rn.DA_DAPREV) + rn.N.senses(cells.GATE["z"])) == []
    text = _latex(document.solve(_spec("example:rnn-activation")).problems[2])
    assert r"\partial z^{(i)" not in text and "A plain RNN multiplies instead by" in text


MIXED_RNN = """
title = "t"
[[problem]]
kind = "rnn-activation"
activation = "tanh"
b = 0
  [[problem.part]]
  W_a = 0.5
  ask = ["derivative", "stability"]
  [[problem.part]]
  W_a = [[0.5, 1], [-1, 0.5]]
  b = [0, 0]
  a0 = [0.1, 0.2]
  ask = ["derivative", "stability"]
  [[problem.part]]
  cell = "lstm"
  x = 1
  a0 = 0.5
  W_f = 0.5
  ask = ["derivative", "stability"]
"""


def test_rnn_one_unit_several_units_and_a_cell_in_one_problem():
    """One unit's per-step factor γ beside several units' largest slope (was γ too: now sup_z |ϕ′(z)|, as the one
    unit's bound writes it), and several units' b + W_x x (was c: now b̃) beside the LSTM's cell state c."""
    doc = document.solve(derive.loads(MIXED_RNN, path="mixed.toml"))
    found = set(senses(doc.problems[0]))
    assert {("γ", "the per-step factor"), ("c", "the cell state"), ("b", "a bias")} <= found
    assert clashes(found) == []
    text = _latex(doc.problems[0])
    assert r"\tilde{b} = W_x^{[1]} x^{(i)\langle t\rangle} + b^{[1]}" in text
    assert r"with ${\sup_z \left|\phi'(z)\right| = 1}$, the largest slope of the hyperbolic tangent" in text
    assert r"\gamma = " not in text.split("Pascanu")[1]


PLAIN_AND_GRU = {"title": "t", "problem": [{"kind": "rnn-activation", "x": 1, "a0": 0.5, "W_a": 3, "W_x": 1,
                                            "activation": "relu", "part": [
                                                {"ask": ["derivative", "stability"], "activation": "tanh", "W_a": 2},
                                                {"ask": ["derivative", "stability"], "cell": "gru", "W_r": 0.5,
                                                 "U_z": 0.5, "W_z": -0.3, "b_z": 0.2, "W_n": 0.7, "U_n": 1.2}]}]}
SEVERAL_GRU = {"cell": "gru", "ask": ["derivative", "stability"], "x": [1, 0], "a0": [0.5, 0.1],
               "W_r": [[0.5, 0], [0, 1]], "U_z": [[0.5, 0.1], [0, 1]], "W_n": [[0.7, 0], [0, 1]],
               "U_n": [[1.2, 0], [0.3, 1]]}


def _several_gru_spec():
    problem = dict(PLAIN_AND_GRU["problem"][0])
    for key in ("x", "a0"):
        problem.pop(key)
    problem["part"] = [{**problem["part"][0], "x": 1, "a0": 0.5}, SEVERAL_GRU]
    return {**PLAIN_AND_GRU, "problem": [problem]}


def test_a_gru_beside_a_plain_cell_writes_its_update_gate_u():
    """A plain part (pre-activation z⟨t⟩) and a GRU part (tests/test_rnn_cells.py's spec): the GRU part writes
    its update gate u⟨t⟩ and its weights W_u, U_u, b_u, says so in its setting, and the walk finds no clash; the
    plain part keeps z; the GRU's answers are torch's GRUCell's (update-gate path and full derivative)."""
    from test_rnn_cells import torch_gru, _close
    doc = derive.solve(derive.from_mapping(PLAIN_AND_GRU))
    found = set(senses(doc.problems[0]))
    assert {("z", "the pre-activation"), ("u", "the update gate")} <= found and clashes(found) == []
    plain, gru = doc.problems[0].parts
    assert r"u^{\langle t\rangle} = \sigma\left(U_{u} h^{\langle t-1\rangle} + W_{u} x^{\langle t\rangle} + b_{u}" in \
        tex.text(gru.setting, gru.notation, tex.ARTICLE)
    assert "so the GRU's update gate is written" in tex.text(gru.setting, gru.notation, tex.ARTICLE)
    assert "update gate is written" not in tex.text(plain.setting, plain.notation)
    assert not re.search(r"(?<![a-z\\])z\^", " ".join(
        tex.text(s.text, q.notation, tex.ARTICLE) + " ".join(sum(tex.chain_rows(c, tex.ARTICLE, q.notation), ()))
        for q in gru.questions for s in q.steps for c in (s.chains or [None]) if c is not None))
    p = {f"{w}_{g}": 0 for g in "rzn" for w in "WUb"}
    p.update({k: v for k, v in PLAIN_AND_GRU["problem"][0]["part"][1].items() if k[:2] in ("W_", "U_", "b_")})
    z, full = torch_gru(p, 1, 0.5)
    value = next(q for q in gru.questions if q.ask == "derivative").answer.value
    assert _close(value["update_path"], z) and _close(value["full"], full)


def test_a_gru_alone_keeps_pytorch_s_z():
    """Without a plain part the GRU's update gate stays z⟨t⟩, PyTorch's letter (HW5 and the goldens)."""
    alone = {**PLAIN_AND_GRU, "problem": [{**PLAIN_AND_GRU["problem"][0],
                                           "part": [PLAIN_AND_GRU["problem"][0]["part"][1]]}]}
    doc = derive.solve(derive.from_mapping(alone))
    assert ("z", "the update gate") in set(senses(doc.problems[0]))
    setting = doc.problems[0].parts[0]
    assert r"z^{\langle t\rangle} = \sigma" in tex.text(setting.setting, setting.notation, tex.ARTICLE)


def test_several_gru_units_beside_a_plain_cell():
    """Several GRU units beside a plain part: the gate's vector is bold u, its entries u_i, and the entries of
    U_n h⟨t−1⟩ (u_i where z is the gate) are q_i; no clash."""
    doc = derive.solve(derive.from_mapping(_several_gru_spec()))
    assert clashes(senses(doc.problems[0])) == []
    gru = doc.problems[0].parts[1]
    text = " ".join(tex.text(s.text, q.notation, tex.ARTICLE) for q in gru.questions for s in q.steps)
    assert r"\mathbf{u}^{\langle t\rangle}" in text and "q_i = (U_n" in text and r"\mathbf{z}" not in text


def test_the_walk_sees_network_meanings():
    """network: the kernel size, stride, padding, dilation and the receptive field's letters in the image
    problem; the sequence layers' letters, d_k and d_ff one width, in the language model."""
    image = _problem_senses("example:network", 1)
    assert {("k", "a kernel size"), ("s", "the stride"), ("p", "the padding"), ("d", "the dilation"),
            ("r", "the receptive field's size"), ("j", "the jump"), ("F", "the number of filters"),
            ("C", "a number of channels"), ("γ", "the normalisation's scale")} <= image
    words = _problem_senses("example:network", 2)
    width = "a transformer's width (d_k a head's, d_ff the feed-forward layer's)"
    assert {("L", "the sequence length"), ("h", "the number of heads"), ("d", width), ("V", "the vocabulary's size"),
            ("E", "the embedding dimension")} <= words and ("d", "the dilation") not in words


def test_network_dilation_beside_a_head_size_is_caught():
    from derive.kinds.cnn import notation as cn
    assert clashes(cn.NOTATION.senses(cn.D) + cn.NOTATION.senses(cn.HEAD_DIM) + cn.NOTATION.senses(cn.FF_WIDTH)) \
        == ["d stands for a transformer's width (d_k a head's, d_ff the feed-forward layer's) and for the dilation"]


def test_the_walk_sees_init_meanings():
    """init: σ is the weights' standard deviation there (the sigmoid only named in words), b the uniform bound,
    a the leaky ReLU's slope."""
    bound = _problem_senses("example:init", 2)
    assert {("σ", "the weights' standard deviation"), ("b", "the uniform distribution's half-width"),
            ("a", "the leaky ReLU's negative slope"), ("g", "the gain"), ("n", "a fan")} <= bound


def test_init_gradient_variance_shows_the_loss_s_L():
    """Var(∂L/∂x) and Var(∂L/∂z) hold the loss's L as a derivative the walk reads (it was plain text), printed as
    before, on one line: Var(∂L/∂x), in LaTeX, MathML and plain text."""
    from derive.formats import mathml, plain
    from derive.kinds.init.narrate import N, VAR_GX, VAR_GZ
    assert N.senses(VAR_GX) == N.senses(VAR_GZ) == [("L", "the loss")]
    assert ("L", "the loss") in _problem_senses("example:init", 1)
    assert tex.math(VAR_GX, N) == r"\operatorname{Var}(\partial L/\partial x)"
    assert plain.plain_xml(f"<math>{mathml.element(VAR_GZ, N)}</math>") == "Var(∂L/∂z)"
    assert "mfrac" not in mathml.element(VAR_GX, N)
    n = Notation(N)
    layer = n.symbol("L (a layer, test)", "L", means="the number of layers")
    assert clashes(n.senses(VAR_GX) + n.senses(layer)) == ["L stands for the loss and for the number of layers"]


def test_init_standard_deviation_beside_a_sigmoid_sigma_is_caught():
    from derive.kinds.init.narrate import N, SIGMA
    n = Notation(N)
    sigmoid = n.function("sigmoid (test)", "σ", means="the sigmoid")
    assert clashes(n.senses(SIGMA) + n.senses(sigmoid)) == [
        "σ stands for the sigmoid and for the weights' standard deviation"]


def test_the_walk_sees_graph_meanings():
    """graph: the spec's names by their letter, the sigmoid σ, the softmax's p, attention's S, A and d and the
    step's optimiser quantities."""
    assert {("σ", "the sigmoid"), ("w", "the spec's w"), ("z", "the spec's z")} <= _problem_senses("example:graph", 2)
    assert {("p", "the softmax's output"), ("L", "the spec's L")} <= _problem_senses("example:graph", 4)
    attention = _problem_senses("example:graph", 6)
    assert {("S", "attention's scores"), ("A", "attention's weights"), ("d", "the size of each query"),
            ("m", "the optimiser's m"), ("η", "the optimiser's η"), ("K", "the spec's K")} <= attention


GRAPH_CLASHES = {
    "d": ('given = { Q = [[1, 0], [0, 1]], K = [[1, 2], [0, 1]], V = [[1, 0], [2, 1]], d = 3 }\n'
          'forward = ["O = attention(Q, K, V)", "L = d * sum(O)"]\n[[problem.part]]\nask = ["forward"]',
          "d stands for the size of each query and for the spec's d"),
}


@pytest.mark.parametrize("case", sorted(GRAPH_CLASHES))
def test_graph_clash_in_a_spec_is_caught(case):
    """A spec naming d beside attention's query size: one letter, two meanings in the key, reported by the walk."""
    body, found = GRAPH_CLASHES[case]
    doc = document.solve(derive.loads(f'title = "t"\n[[problem]]\nkind = "graph"\n{body}\n', path=f"{case}.toml"))
    assert clashes(senses(doc.problems[0])) == [found]


# The specs of tests/test_graph_step.py and their like: a spec's b, w, m, eta or sigma beside a step of an optimiser
# (its momentum buffer b, its parameter w, Adam's m, the learning rate η) or a sigmoid (σ).
STEP_SPECS = {
    "b, momentum": ({"W": [[0.5, -1, 0.2], [1, 0.3, -0.7]], "b": [0.1, -0.4], "x": [1, -2, 0.5]},
                    ["z = W @ x + b", "L = sum(tanh(z) * z)"], {"wrt": ["W", "b"], "optimizer": "sgd", "lr": 0.1,
                                                               "momentum": 0.9}),
    "w, adam": ({"w": [1, -2], "x": [3, 2]}, ["L = (w @ x - 1) ^ 2"], {"optimizer": "adam", "lr": 0.1}),
    "w, b and sigma, nesterov": ({"w": [0.5, -1], "b": 0.2, "x": [1, 2], "sigma": 1.5},
                                 ["z = w @ x + b", "f = sigmoid(sigma * z)"],
                                 {"wrt": ["w", "b", "sigma"], "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
                                  "nesterov": True}),
    "m and eta, adam": ({"m": [1, 2], "x": [1, -1], "eta": 0.5}, ["L = eta * sum(m * x * m)"],
                        {"optimizer": "adam", "lr": 0.1}),
    "sigma, forward and gradient": ({"w": 2, "x": -1, "sigma": 3}, ["z = w * x * sigma", "f = sigmoid(z)"],
                                    {"ask": ["forward", "gradient"]}),
}


def _step_doc(case: str):
    given, forward, part = STEP_SPECS[case]
    data = {"title": "t", "problem": [{"kind": "graph", "title": "g", "given": given, "forward": forward,
                                      "part": [{"ask": ["gradient", "step"], **part}]}]}
    return document.solve(derive.from_mapping(data))


def _torch_step(case: str) -> dict:
    """The parameters after one step of torch.optim's optimiser, on torch's own gradients."""
    import torch
    from test_graph import leaf
    given, forward, part = STEP_SPECS[case]
    params = {n: leaf(v) for n, v in given.items()}
    loss = {"b, momentum": lambda p: (torch.tanh(p["W"] @ p["x"] + p["b"]) * (p["W"] @ p["x"] + p["b"])).sum(),
            "w, adam": lambda p: (p["w"] @ p["x"] - 1) ** 2,
            "w, b and sigma, nesterov": lambda p: torch.sigmoid(p["sigma"] * (p["w"] @ p["x"] + p["b"])),
            "m and eta, adam": lambda p: p["eta"] * (p["m"] * p["x"] * p["m"]).sum()}[case](params)
    loss.backward()
    stepped = [params[n] for n in part.get("wrt", given)]
    keys = {k: v for k, v in part.items() if k in ("lr", "momentum", "nesterov")}
    {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[part["optimizer"]](stepped, **keys).step()
    return {n: params[n] for n in part.get("wrt", given)}


@pytest.mark.parametrize("case", sorted(STEP_SPECS))
def test_a_spec_s_names_beside_a_step_or_a_sigmoid_mean_one_thing(case):
    """The walk finds no letter with two meanings: the step writes θ for its parameter, v for its momentum
    buffer, s for Adam's first moment and α for its learning rate where the spec names w, b, m and eta, and the
    sigmoid is the word 'sigmoid' where the spec names a value sigma; the answers are torch's."""
    doc = _step_doc(case)
    assert clashes(senses(doc.problems[0])) == []
    if "forward" in STEP_SPECS[case][2].get("ask", []):
        return
    from test_graph import close
    answer = next(q for q in doc.questions() if q.ask == "step").answer.value
    for name, tensor in _torch_step(case).items():
        close(answer[name], tensor, tol=1e-12)


@pytest.mark.parametrize("case, moved", [
    ("b, momentum", {"b": "v"}), ("w, adam", {"w": "θ"}), ("w, b and sigma, nesterov", {"w": "θ", "b": "v"}),
    ("m and eta, adam", {"m": "s", "η": "α"})])
def test_the_step_writes_its_own_letters_where_the_spec_takes_them(case, moved):
    """The letters the step takes instead, in its rule, its entries and its answer, and the sentence saying so."""
    doc = _step_doc(case)
    seen = set(senses(doc.problems[0]))
    assert {(y, f"the optimiser's {y}") for y in moved.values()} <= seen
    assert not {f"the optimiser's {x}" for x in moved} & {m for _, m in seen}
    said = [tex.text(s.text, q.notation, tex.ARTICLE) for q in doc.questions() if q.ask == "step" for s in q.steps]
    assert any(" for the optimiser's $" in t and "something else, so the rule writes" in t for t in said)


def test_the_step_keeps_the_optimizer_kind_s_letters_where_they_are_free():
    """The graph example's attention step (Adam on Q, K, V): m, v, w, g, η as before, no sentence."""
    attention = _problem_senses("example:graph", 6)
    assert {("m", "the optimiser's m"), ("v", "the optimiser's v"), ("w", "the optimiser's w"),
            ("η", "the optimiser's η")} <= attention
    assert "something else" not in _latex(document.solve(_spec("example:graph")).problems[5])


def test_sigmoid_beside_a_spec_sigma_is_the_word():
    """σ is the spec's sigma; the sigmoid is written 'sigmoid' in LaTeX, MathML and the rule's sentence, and the
    sigmoid's σ is kept where the spec has no sigma (the graph example's problem 2)."""
    from derive.formats import mathml
    doc = _step_doc("sigma, forward and gradient")
    text = _latex(doc.problems[0])
    assert r"f = \operatorname{sigmoid}\left(z\right)" in text and r"z = \sigma w x" in text
    assert "slope, in terms of its output, is sigmoid(1" in text
    assert r"The sigmoid is written as its word, sigmoid, since $\sigma$ names one of the spec's values here." in text
    q = next(doc.questions())
    f = next(e for s in q.steps for c in s.chains for e in c.exprs if "sigmoid" in str(e))
    assert "<mi>σ</mi>" not in mathml.element(f, q.notation)
    plain = document.solve(_spec("example:graph")).problems[1]
    assert r"\sigma\left(" in _latex(plain) and "operatorname{sigmoid}" not in _latex(plain)


# --- the notation fixes, read from the printed key ----------------------------------------------------

@pytest.fixture(scope="module")
def conv_key():
    doc = document.solve(_spec("example:conv-matrix"))
    return {p.number: p for p in doc.problems}


def _latex(problem) -> str:
    out = []
    for part in problem.parts:
        for q in part.questions:
            for s in q.steps:
                out.append(tex.text(s.text, q.notation, tex.ARTICLE))
                out += [" ".join(sum(tex.chain_rows(c, tex.ARTICLE, q.notation), ())) for c in s.chains]
        if part.setting is not None:
            out.append(tex.text(part.setting, part.notation, tex.ARTICLE))
    return "\n".join(out)


@pytest.mark.parametrize("number", [2, 3])
def test_conv_matrix_layer_matrix_is_F_and_L_only_the_loss(conv_key, number):
    """2d and 3b (with dL/da given in 2b and 3a) write the layer's matrix F, as 2a and 3a.i do: L appears only
    as the loss of a derivative."""
    text = _latex(conv_key[number])
    assert r"z = F x^{(i)}" in text
    assert "called L" not in text
    lone = re.findall(r"(?<![\\a-zA-Z{])L(?![a-zA-Z])", text.replace(r"\partial L", ""))
    assert lone == []


def test_gradient_label_on_the_variable_not_the_fraction(conv_key):
    """∂L/∂a^{[1]}: the channel's label on a, in LaTeX and MathML."""
    setting = conv_key[3].parts[0].setting
    notation = conv_key[3].parts[0].notation
    latex = tex.text(setting, notation, tex.ARTICLE)
    assert r"\frac{\partial L}{\partial a^{[1]}}" in latex
    assert r"\frac{\partial L}{\partial a}^{[1]}" not in latex
    mathml = str(html.text(setting, notation))
    assert "<mfrac><mrow><mi>∂</mi><mi>L</mi></mrow><mrow><mi>∂</mi><msup><mi>a</mi>" in mathml
    assert re.search(r"f\^\{\(1,2\)\} = ", latex)         # the filter's grids by their pair of channels


def test_k_eff_subscript_upright():
    """The network kind's k_eff (and n_in, r_out, ...) has an upright word for a subscript, in every printer."""
    from derive.kinds.cnn.notation import K_EFF, N_IN, NOTATION, R_OUT
    from derive.formats import mathml, plain
    assert tex.math(K_EFF, NOTATION) == r"k_{\mathrm{eff}}"
    assert tex.math(N_IN, NOTATION) == r"n_{\mathrm{in}}"
    assert tex.math(R_OUT, NOTATION) == r"r_{\mathrm{out}}"
    assert mathml.element(K_EFF, NOTATION) == "<msub><mi>k</mi><mi>eff</mi></msub>"
    assert plain.plain_xml(f"<math>{mathml.element(K_EFF, NOTATION)}</math>") == "k_(eff)"
    from derive.formats.mathbox import Metrics, Run, typeset_xml       # the SVG's layout of the same tree
    runs = [it for it in typeset_xml(mathml.element(K_EFF, NOTATION), Metrics("svg", "ten")).items
            if isinstance(it, Run)]
    assert [(r.text, r.cls) for r in runs] == [("k", "it"), ("eff", "rm")]


def test_short_inline_formula_kept_whole():
    """A short formula in prose is braced (TeX breaks inline maths only outside groups); a wide one is not."""
    k, d = sympy.symbols("k d")
    short = say("spanning ", sympy.Add(sympy.Mul(d, k - 1, evaluate=False), 1, evaluate=False), " entries")
    assert "${d \\left(k - 1\\right) + 1}$" in tex.text(short, room=tex.ARTICLE)
    assert "$x$" in tex.text(say("of ", sympy.Symbol("x")), room=tex.ARTICLE)       # nothing to keep together
    assert not tex.breakable(r"\sigma \left(1 - \sigma\right)") and tex.breakable(r"1 - \tanh^{2}")
    assert not tex.breakable("-1") and not tex.breakable("{a + b}")


@pytest.mark.parametrize("prose, latex", [
    ("the sigmoid's slope is σ(1 − σ)", r"the sigmoid's slope is $\sigma$(1~$-$~$\sigma$)"),
    ("after t − 1 calls", "after t~$-$~1 calls"),
    ("a 4 × 4 grid", r"a 4~$\times$~4 grid"),
    ("a dash - here", "a dash - here"),
])
def test_formula_in_prose_does_not_break_at_its_sign(prose, latex):
    assert tex.escape(prose) == latex
    assert "\u00a0−\u00a0" in markdown.escape("σ(1 − σ)") and "\u00a0−\u00a0" in str(html.escape(tex.glue("1 − σ")))


def test_formula_in_prose_kept_together_in_the_pdf(tmp_path):
    """Compiled on a narrow page, ragged right, the phrase at many offsets: no line ends inside σ(1 − σ) or
    t − 1 (before the fix, 'the slope is σ(1' ended a line and '− σ) and t − 1' began the next)."""
    import shutil
    import subprocess
    if shutil.which("pdflatex") is None:
        pytest.fail("pdflatex is needed (texlive-latex-base)")
    narrow = (r"\documentclass{article}\usepackage[paperwidth=5cm,margin=0.5cm]{geometry}\begin{document}"
              "\\raggedright\n")
    body = "\n\n".join(tex.escape(f"{'w' * (i % 7)} the slope is σ(1 − σ) and t − 1 steps {'v' * (i % 5)}.")
                        for i in range(30))
    (tmp_path / "a.tex").write_text(narrow + body + "\n\\end{document}\n", encoding="utf-8")
    subprocess.run(["pdflatex", "-no-shell-escape", "-halt-on-error", "a.tex"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    lines = subprocess.run(["pdftotext", "a.pdf", "-"], cwd=tmp_path, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert sum("σ(1 − σ)" in line for line in lines) == 30
    assert [line for line in lines if re.search(r"(σ\(1|\bt)$", line.rstrip()) or line.lstrip().startswith("−")] == []

"""conv-matrix with small whole numbers, where an activation argument is often exactly 0: derive takes
PyTorch's slope there (relu'(0) = 0, leaky_relu'(0) = 1/100, abs'(0) = 0) and agrees with float64 autograd
through F.conv1d/conv2d (and the transposed ones) on every numeric answer, the symbolic questions with
numbers included; the narration says z_r = 0, never z_r < 0 or z_r > 0, for such an argument. A sign given
for an argument of 0 picks that side; another kinked activation still asks for the signs."""

from __future__ import annotations

import json
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

import derive
from derive.kinds.conv1d.geometry import MAX_WORK
from derive.spec import SpecError, from_mapping
from test_conv_matrix import (cases, contract_names, layouts, nested, reference, spec_keys,
                              test_bad_specs_exit_2_naming_the_field)

DTYPE = torch.float64
TORCH = {"relu": torch.relu, "leaky_relu": F.leaky_relu, "\\sqrt{z^2}": torch.abs}
NUMERIC = ["forward", "filter-gradient-value", "input-gradient-value"]
SYMBOLIC = ["gradient", "jacobian", "input-gradient"]


def document(asks, **keys):
    data = {"title": "t", "problem": [{"title": "Conv", "kind": "conv-matrix", **keys, "part": [{"ask": list(asks)}]}]}
    return derive.solve(from_mapping(data))


def values(doc) -> dict:
    return {q.ask: q.answer.value for q in doc.questions()}


def draw_numbers(c: dict, rnd):
    xs, ws = layouts(c)
    gen = torch.Generator().manual_seed(rnd.randint(0, 2 ** 31))
    x = torch.randint(-2, 3, xs, generator=gen).to(DTYPE)
    f = torch.randint(-2, 3, ws, generator=gen).to(DTYPE)
    return x, f, gen


def number_keys(c: dict, x, f, up=None) -> dict:
    one = c["channels"] == (1, 1)
    keys = {"x": nested(x, one), "f": nested(f[0, 0], False) if one else nested(f, False)}
    if up is not None:
        keys["upstream"] = nested(up[0], False) if one else nested(up, False)
    return keys


def close(got, want: torch.Tensor) -> bool:
    return torch.allclose(torch.tensor(got, dtype=DTYPE).flatten(), want.flatten(), rtol=0, atol=1e-12)


# --- against autograd ---------------------------------------------------------------------------------

@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(), st.sampled_from(sorted(TORCH)), st.randoms(use_true_random=False))
def test_numeric_answers_against_autograd(c, activation, rnd):
    x, f, gen = draw_numbers(c, rnd)
    x.requires_grad_(), f.requires_grad_()
    z = reference(c, x, f)
    positions = (x if c["transposed"] else z)[0].numel()
    assume(positions * f[0, 0].numel() * x.shape[0] * z.shape[0] <= MAX_WORK)
    up = torch.randint(-2, 3, z.shape, generator=gen).to(DTYPE)
    a = TORCH[activation](z)
    (up * a).sum().backward()
    keys = {**spec_keys(c), **number_keys(c, x.detach(), f.detach(), up), "activation": activation}
    event(f"z has a 0: {bool((z == 0).any())}; {len(c['input'])}D, transposed {c['transposed']}")
    got = values(document(NUMERIC, **keys))
    assert close(got["forward"]["z"], z.detach()) and close(got["forward"]["a"], a.detach())
    assert close(got["filter-gradient-value"], f.grad)
    assert close(got["input-gradient-value"], x.grad)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(), st.sampled_from(sorted(TORCH)), st.randoms(use_true_random=False))
def test_symbolic_questions_with_numbers_against_autograd(c, activation, rnd):
    x, f, _ = draw_numbers(c, rnd)
    z = reference(c, x, f)
    assume(z.numel() <= 64 and x.numel() <= 64 and f.numel() <= 64)
    positions = (x if c["transposed"] else z)[0].numel()
    assume(positions * f[0, 0].numel() * x.shape[0] * z.shape[0] <= MAX_WORK)
    j = rnd.randrange(f.numel())
    _, wn = contract_names(c)
    wrt = wn[j] if len(c["input"]) == 2 or c["transposed"] or c["channels"] != (1, 1) else f"f{j + 1}"
    keys = {**spec_keys(c), **number_keys(c, x, f), "activation": activation, "wrt": wrt}
    event(f"z has a 0: {bool((z == 0).any())}; general {wrt != f'f{j + 1}'}")
    got = values(document(SYMBOLIC, **keys))
    phi = TORCH[activation]
    jac_f = torch.autograd.functional.jacobian(lambda ff: phi(reference(c, x, ff)).flatten(), f)
    jac_x = torch.autograd.functional.jacobian(lambda xx: phi(reference(c, xx, f)).flatten(), x)
    jac_f, jac_x = jac_f.reshape(z.numel(), -1), jac_x.reshape(z.numel(), -1)
    assert close(got["jacobian"], jac_f)
    assert close(got["input-gradient"], jac_x)
    assert close(got["gradient"], jac_f[:, j])


# --- on the kink, by hand -------------------------------------------------------------------------------

# x = [1, -1, 2], f = [1, 1]: z = (0, 1)
ON_KINK = dict(length=3, width=2, x=[1, -1, 2], f=[1, 1], upstream=[1, 2], wrt="f1")


@pytest.mark.parametrize("activation, slope", [("relu", 0), ("leaky_relu", 0.01), ("\\max(0.01z, z)", 0.01),
                                               ("\\sqrt{z^2}", 0)])
def test_slope_at_zero_is_pytorchs(activation, slope):
    got = values(document(NUMERIC + SYMBOLIC, **ON_KINK, activation=activation))
    assert got["forward"]["z"] == [0, 1]
    assert got["gradient"] == [slope * 1, -1]                       # x1 scaled by the slope at z1 = 0
    assert got["input-gradient-value"] == pytest.approx([slope, slope + 2, 2], abs=1e-15)


def test_a_given_sign_at_zero_picks_its_side_and_says_so():
    doc = document(["input-gradient-value", "gradient"], **ON_KINK, signs=["+", "+"])
    got = values(doc)
    assert got["input-gradient-value"] == [1, 3, 2] and got["gradient"] == [1, -1]
    text = derive.render(doc, "markdown")
    assert "the spec's sign \"+\" takes the slope of the positive side" in text
    assert "PyTorch would take" in text
    # the PyTorch side given: the same numbers as without signs
    assert values(document(["input-gradient-value"], **ON_KINK, signs=["-", "+"]))["input-gradient-value"] == [0, 2, 2]


def test_signs_that_disagree_with_the_numbers_still_fail():
    with pytest.raises(SpecError, match="field 'signs'"):
        document(["input-gradient-value"], **ON_KINK, signs=["+", "-"])


def test_another_kinked_activation_asks_for_the_signs(tmp_path):
    # max(0, 2z) is no named activation: PyTorch's slope at 0 depends on how it is written
    keys = {**ON_KINK, "activation": "\\max(0, 2z)"}
    # through the CLI: exit 2, the field named (the backslash escaped for TOML)
    test_bad_specs_exit_2_naming_the_field(tmp_path, {**keys, "activation": "\\\\max(0, 2z)"},
                                           ["input-gradient-value"], "signs")
    with pytest.raises(SpecError, match="exactly 0, at the kink"):
        document(["gradient"], **keys)
    assert values(document(["input-gradient-value"], **keys, signs=["+", "+"]))["input-gradient-value"] == [2, 6, 4]
    assert values(document(["forward"], **keys))["forward"]["z"] == [0, 1]            # no slope needed


# --- the narration never puts a zero argument on a side -----------------------------------------------

def _false_sides(text: str, zero_latex: list[str]) -> list[str]:
    """Claims in the markdown that a zero argument is positive or negative."""
    bad = []
    for name in zero_latex:
        esc = re.escape(name)
        bad += re.findall(esc + r"\s*(?:<|>|\\lt|\\gt|\\leq|\\geq)\s*0", text)
        for segment in re.findall(r"(?:positive|negative): ([^;)]*)", text):
            if re.search(esc + r"(?![\d,])", segment):
                bad.append(segment)
    return bad


def _latex(c: dict, flat_index: int, shape) -> str:
    idx = []
    rest = flat_index
    for size in reversed(shape):
        idx.append(rest % size + 1)
        rest //= size
    idx = list(reversed(idx))
    channel, pos = (idx[0], idx[1:]) if c["channels"] != (1, 1) else (None, idx[1:])
    text = ("," if any(v > 9 for v in pos) else "").join(map(str, pos))
    return rf"z_{{{text}}}" + (rf"^{{[{channel}]}}" if channel else "")


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases(), st.sampled_from(["relu", "leaky_relu"]), st.randoms(use_true_random=False))
def test_narration_never_puts_a_zero_argument_on_a_side(c, activation, rnd):
    x, f, gen = draw_numbers(c, rnd)
    z = reference(c, x, f)
    assume(z.numel() <= 64 and x.numel() <= 64 and f.numel() <= 64)
    positions = (x if c["transposed"] else z)[0].numel()
    assume(positions * f[0, 0].numel() * x.shape[0] * z.shape[0] <= MAX_WORK)
    zeros = [i for i, v in enumerate(z.flatten().tolist()) if v == 0]
    assume(zeros)
    up = torch.randint(-2, 3, z.shape, generator=gen).to(DTYPE)
    _, wn = contract_names(c)
    wrt = wn[0] if len(c["input"]) == 2 or c["transposed"] or c["channels"] != (1, 1) else "f1"
    keys = {**spec_keys(c), **number_keys(c, x, f, up), "activation": activation, "wrt": wrt}
    doc = document(NUMERIC + SYMBOLIC, **keys)
    text = derive.render(doc, "markdown")
    names = [_latex(c, i, z.shape) for i in zeros]
    assert not _false_sides(text, names), names
    prose = [piece for part in json.loads(derive.render(doc, "json"))["parts"]
             for piece in [part["question"], *(s["text"] for s in part["steps"]), *part.get("notes", [])]]
    assert not _false_sides("\n".join(prose), names), names
    assert "sits on the kink" in text or "sit on the kink" in text
    assert "slope is taken as" in text
    # the JSON carries the answers only: every slope-dependent answer is numbers
    got = values(doc)
    assert all(isinstance(v, (int, float)) for row in got["jacobian"] for v in row)


def test_narration_on_the_kink_by_hand():
    # the reader of false claims finds them
    assert _false_sides("assuming $z_{1} < 0$ and", ["z_{1}"]) and not _false_sides("$z_{1} = 0$", ["z_{1}"])
    assert _false_sides("(positive: $z_{11}$; negative: $z_{12}$)", ["z_{12}"])
    assert not _false_sides("(positive: $z_{11}$; exactly 0: $z_{12}$)", ["z_{12}", "z_{1}"])
    text = derive.render(document(SYMBOLIC, **ON_KINK), "markdown")
    assert r"z_{1} = 0" in text and r"z_{1} <" not in text and r"z_{1} >" not in text
    assert "its slope is taken as $0$, the ReLU's slope below the kink" in text
    text = derive.render(document(SYMBOLIC, input=[2, 2], kernel=[1, 1], wrt="f11", x=[[1, 0], [-1, 2]], f=[[1]],
                                  activation="leaky_relu"), "markdown")
    assert "exactly 0: $z_{12}$" in text and "negative: $z_{21}$;" in text
    assert r"its slope is taken as $\frac{1}{100}$" in text

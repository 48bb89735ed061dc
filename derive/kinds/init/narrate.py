"""The key of an init part: the fans, the variance argument (forward, backward, the scheme's choice), the
gain, then the variance, the standard deviation and the uniform bound with the numbers in."""

from __future__ import annotations

import sympy

from ...notation import Notation
from ...written import Op, Partial, Row, Sym, Upright
from ...numeric import json_number
from ...steps import Answer, Solution, Text, chain, let, say, step, written_product
from .config import Config

N = Notation()
# What each symbol stands for: one meaning a letter within a problem (tests/test_symbol_meanings.py). σ is the
# weights' standard deviation here; the sigmoid is only ever named in words ('sigmoid'), never written σ.
N_IN = N.symbol("n_in", Sym("n", sub=Upright("in", words=True)), means="a fan", positive=True, integer=True)
N_OUT = N.symbol("n_out", Sym("n", sub=Upright("out", words=True)), means="a fan", positive=True, integer=True)
GAIN = N.symbol("gain", "g", means="the gain", positive=True)
SLOPE = N.symbol("slope", "a", means="the leaky ReLU's negative slope", real=True)
VAR_W = N.symbol("Var(w)", Row(Op("Var"), "(w)"), positive=True)
SIGMA = N.symbol("sigma_w", Sym("σ", sub="w"), means="the weights' standard deviation", positive=True)
BOUND = N.symbol("bound", "b", means="the uniform distribution's half-width", positive=True)
VAR_Z = N.symbol("Var(z)", Row(Op("Var"), "(z)"), positive=True)
VAR_Z_PREV = N.symbol("Var(z_prev)", Row(Op("Var"), "(", Sym("z", layer="l-1"), ")"), positive=True)
SQ_X = N.symbol("E[x^2]", Row(Op("E"), "[", Sym("x", sup="2"), "]"), positive=True)
N.letter("L", "the loss")                  # the L of Var(∂L/∂x): no other L in an init problem
VAR_GX = N.symbol("Var(dx)", Row(Op("Var"), "(", Partial("L", "x", inline=True), ")"), positive=True)
VAR_GZ = N.symbol("Var(dz)", Row(Op("Var"), "(", Partial("L", "z", inline=True), ")"), positive=True)
DIGITS = 8

TORCH = {"xavier-uniform": "xavier_uniform_", "xavier-normal": "xavier_normal_", "kaiming-uniform": "kaiming_uniform_",
         "kaiming-normal": "kaiming_normal_", "lecun-normal": "kaiming_normal_ with nonlinearity 'linear'"}
WHO = {"xavier": "Glorot and Bengio (2010)", "kaiming": "He et al. (2015)", "lecun": "LeCun et al. (1998)"}


def meanings(c: Config) -> dict:
    return {N_IN: c.fan_in, N_OUT: c.fan_out, GAIN: c.gain, SLOPE: c.negative_slope, VAR_W: c.variance,
            SIGMA: c.std, BOUND: c.bound}


def setting(c: Config) -> Text:
    where = (f"a {c.layer.type} layer whose weight PyTorch stores with shape {tuple(c.layer.shape)}" if c.layer
             else "a layer")
    name = f"{c.keras} (Keras's name for {c.scheme}" if c.keras else f"{c.scheme} ("
    pieces = [f"The weights of {where} are initialised with {name}{'; ' if c.keras else ''}"
              f"torch.nn.init.{TORCH[c.scheme]})"]
    if c.layer is None:
        pieces += [", with ", let(N_IN, c.fan_in)] + ([" and ", let(N_OUT, c.fan_out)] if _uses_out(c) else [])
    pieces.append(f"; the nonlinearity is {c.nonlinearity}")
    if c.nonlinearity == "leaky_relu":
        pieces += [" with negative slope ", let(SLOPE, c.negative_slope)]
    if c.family == "kaiming":
        pieces.append(f", mode {c.mode}")
    return say(*pieces, ".")


def _uses_out(c: Config) -> bool:
    return c.family == "xavier" or c.mode == "fan_out"


def fan_step(c: Config):
    if c.layer is None:
        return step(say("The fans are given: each unit sums ", N_IN, " inputs"
                        + (", and each input feeds " if _uses_out(c) else "."),
                        *([N_OUT, " units."] if _uses_out(c) else [])))
    out, inp, *kernel = c.layer.shape
    if not kernel:
        return step(say("PyTorch computes the fans from the weight's shape (units, inputs): each unit sums every"
                        " input, and each input feeds every unit."), chain(N_IN, inp), chain(N_OUT, out))
    return step(say("PyTorch computes the fans from the weight's shape (filters, in_channels, kernel): each output"
                    " sums in_channels times the receptive field (the kernel's size) inputs, and each input feeds"
                    " filters times the receptive field outputs."),
                chain(N_IN, written_product(inp, *kernel), c.fan_in), chain(N_OUT, written_product(out, *kernel), c.fan_out))


def argument_steps(c: Config) -> list:
    forward = step(say("Forward: a pre-activation z sums ", N_IN, " products of independent"
                       " zero-mean weights with inputs independent of them, so their variances add: ",
                       let(VAR_Z, N_IN * VAR_W * SQ_X), ". For a zero-mean input the second moment is its variance,"
                       " so the signal keeps its size from layer to layer when ", let(VAR_W, 1 / N_IN), "."))
    backward = step(say("Backward: the gradient reaching an input sums ", N_OUT, " products of a weight with the"
                        " gradient of an output, so ", let(VAR_GX, N_OUT * VAR_W * VAR_GZ),
                        ", and the gradient keeps its size when ", let(VAR_W, 1 / N_OUT), "."))
    if c.family == "xavier":
        choice = step(say(f"{WHO['xavier']} cannot satisfy both unless the fans are equal, and take the compromise"
                          " the harmonic mean gives, scaled by the square of the nonlinearity's gain: ",
                          let(VAR_W, GAIN ** 2 * 2 / (N_IN + N_OUT)), "."))
        return [forward, backward, choice]
    if c.family == "lecun":
        choice = step(say(f"{WHO['lecun']} keep the forward condition alone, scaled by the gain squared: ",
                          let(VAR_W, GAIN ** 2 / N_IN), "."))
        return [forward, choice]
    fan = N_IN if c.mode == "fan_in" else N_OUT
    relu = step(say(f"{WHO['kaiming']}: after a ReLU the input is not zero-mean. A pre-activation symmetric about 0"
                    " is zeroed half the time, so ", let(SQ_X, VAR_Z_PREV / 2),
                    " (a leaky ReLU with slope a keeps ", let(SQ_X, (1 + SLOPE ** 2) * VAR_Z_PREV / 2),
                    "). Keeping the variance then needs twice the weights' variance: the gain squared is ",
                    let(GAIN ** 2, 2 / (1 + SLOPE ** 2)), f", and mode {c.mode} keeps the "
                    + ("forward" if c.mode == "fan_in" else "backward") + " condition: ",
                    let(VAR_W, GAIN ** 2 / fan), "."))
    return [forward, backward, relu]


def gain_step(c: Config):
    what = {"tanh": "5/3, chosen empirically for tanh", "selu": "3/4, chosen empirically for SELU",
            "relu": "the square root of 2: ReLU halves the second moment", "sigmoid": "1",
            "leaky_relu": "the square root of 2/(1 + a²)"}.get(c.nonlinearity, "1 for a linear layer")
    lines = [chain(GAIN, sympy.sqrt(2 / (1 + SLOPE ** 2)), c.gain)] if c.nonlinearity == "leaky_relu" else \
        [chain(GAIN, c.gain)]
    return step(say(f"The gain is torch.nn.init.calculate_gain('{c.nonlinearity}'): {what}."), *lines)


def _value(x) -> list:
    return [x] if x.is_Rational else [x, "approx", sympy.Float(sympy.N(x, 30), DIGITS)]


def _over(a, b):
    """a / b as written."""
    return sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False)


def variance_chain(c: Config):
    if c.family == "xavier":
        formula = GAIN ** 2 * 2 / (N_IN + N_OUT)
        numbers = _over(sympy.Mul(sympy.Pow(c.gain, 2, evaluate=False), 2, evaluate=False),
                        sympy.Add(c.fan_in, c.fan_out, evaluate=False))
    else:
        formula = GAIN ** 2 / (N_IN if c.mode == "fan_in" else N_OUT)
        numbers = _over(sympy.Pow(c.gain, 2, evaluate=False), sympy.Integer(c.fan))
    return chain(VAR_W, formula, numbers, *_value(c.variance))


def variance(c: Config) -> Solution:
    steps = [fan_step(c), *argument_steps(c), gain_step(c), step(say("With the numbers in:"), variance_chain(c))]
    return Solution(question=say("Find the variance of the initial weights."), steps=tuple(steps),
                    answer=Answer(value=json_number(c.variance), chain=chain(VAR_W, *_value(c.variance))),
                    notes=tuple(_notes(c)), meanings=meanings(c))


def std(c: Config) -> Solution:
    steps = [fan_step(c), gain_step(c),
             step(say("The variance, as the variance argument gives it (see the variance question):"),
                  variance_chain(c)),
             step(say("The standard deviation is its square root:"), chain(SIGMA, sympy.sqrt(VAR_W), *_value(c.std)))]
    return Solution(question=say("Find the standard deviation of the initial weights."), steps=tuple(steps),
                    answer=Answer(value=json_number(c.std), chain=chain(SIGMA, *_value(c.std))), meanings=meanings(c))


def bound(c: Config) -> Solution:
    kind = ("PyTorch draws from U(−b, b)" if c.uniform else
            "The scheme draws from a normal distribution; the uniform distribution U(−b, b) with the same variance")
    steps = [step(say(f"{kind}. A uniform distribution on (−b, b) has variance b²/3, so ",
                      let(BOUND, sympy.sqrt(3 * VAR_W)), "."), chain(BOUND, sympy.sqrt(3) * SIGMA)),
             fan_step(c), gain_step(c), step(say("The variance:"), variance_chain(c)),
             step(say("With the numbers in:"), chain(BOUND, sympy.sqrt(3 * VAR_W), *_value(c.bound)))]
    return Solution(question=say("Find the half-width b of the uniform distribution of the initial weights"
                                 + ("." if c.uniform else " with the same variance.")), steps=tuple(steps),
                    answer=Answer(value=json_number(c.bound), chain=chain(BOUND, *_value(c.bound))), meanings=meanings(c))


def _notes(c: Config) -> list[Text]:
    out = []
    if c.family == "lecun":
        out.append(say("PyTorch has no LeCun initialiser of its own: it is kaiming_normal_ with nonlinearity"
                       " 'linear' and mode fan_in. Keras's lecun_normal draws from a truncated normal whose"
                       " standard deviation is rescaled to the same value."))
    if c.family == "kaiming" and c.nonlinearity == "leaky_relu":
        out.append(say("PyTorch's kaiming initialisers default to nonlinearity 'leaky_relu' with slope 0,"
                       " which is ReLU's gain; calculate_gain('leaky_relu') alone defaults to slope 0.01."))
    if c.keras:
        out.append(_keras_note(c))
    if c.nonlinearity == "selu":
        out.append(say("PyTorch warns that self-normalising networks want nonlinearity 'linear' (variance 1/n) rather"
                       " than SELU's gain 3/4."))
    return out


def _keras_note(c: Config) -> Text:
    """How Keras's initialiser of that name draws: the same variance (its scale 2 for he_*, 1 for glorot_*)."""
    if c.uniform:
        return say(f"Keras's {c.keras} draws from U(−b, b) with b the square root of 3·scale/n, the same bound as"
                   f" PyTorch's {TORCH[c.scheme]} whose gain squared is that scale (2 for he_uniform: ReLU's gain √2; 1"
                   " for glorot_uniform), on the same fans.")
    return say(f"Keras's {c.keras} draws from a normal distribution truncated at two standard deviations, its"
               " standard deviation divided by 0.87962566 so that the truncated weights have the variance derived"
               f" here; PyTorch's {TORCH[c.scheme]} draws from the normal distribution itself. The variance, the"
               " standard deviation and the bound are the same.")

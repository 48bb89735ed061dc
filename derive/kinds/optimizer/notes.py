"""Notes: where textbooks write an optimiser differently from PyTorch, and how the two agree."""

from __future__ import annotations

import sympy

from ...steps import Text, let, say
from .config import Config
from .names import HYPER, quantity, rate_symbol

ETA, MU, LAM = HYPER["lr"], HYPER["momentum"], HYPER["weight_decay"]


def part() -> list:
    """Under a scheduler the velocity and the buffer part: the sentence, with its maths."""
    k, t = sympy.Symbol("k", integer=True, positive=True), sympy.Symbol("t", integer=True, positive=True)
    v = -sympy.Sum(HYPER["momentum"] ** (t - k) * rate_symbol("lr", "k") * quantity("grad", None, "k"), (k, 1, t))
    return [" Under a scheduler the two part: the velocity weighs each gradient by the rate of its own step, ",
            let(quantity("velocity", None, "t"), v), " (μ constant), while PyTorch's step ",
            -rate_symbol("lr", "t") * quantity("momentum_buffer", None, "t"), " weighs them all by the current rate."]


def _nesterov():
    mu, v = HYPER["momentum"], quantity("velocity", None, "t")
    return sympy.Add(-mu * quantity("velocity", None, "t-1"), (1 + mu) * v, evaluate=False)


def notes(c: Config) -> list[Text]:
    out = []
    if c.optimizer == "sgd" and c["momentum"] and c.form == "velocity":
        out.append(say("This is CS231n's velocity form. PyTorch's SGD keeps a buffer instead, b ← μb + g and w ← w − ηb"
                       " (the velocity here is −η times it): with a constant ", ETA, " the iterates agree.",
                       *(part() if c.schedule is not None else [])))
        if c["nesterov"]:
            out.append(say("CS231n's Nesterov step adds ", _nesterov(), " to w: it is PyTorch's w ← w − η(g + μb)"
                           " written with the velocity, and at a constant rate the iterates agree."))
    elif c.optimizer == "sgd" and c["momentum"]:
        out.append(say("CS231n writes momentum with a velocity, v ← μv − ηg and w ← w + v. With a constant ",
                       ETA, " the velocity is −η times PyTorch's buffer b, so the iterates agree (with dampening ",
                       HYPER["dampening"], ", PyTorch scales the new gradient by 1 − τ, except at the first step).",
                       *(part() if c.schedule is not None else [])))
        if c["nesterov"]:
            out.append(say("Sutskever et al. (2013) write Nesterov momentum as v ← μv − η∇L(w + μv), w ← w + v: the"
                           " gradient at a look-ahead point. PyTorch stores the look-ahead point itself as the"
                           " parameters and steps along g + μb; the two sequences agree after that change of"
                           " variable (PyTorch's parameters are Sutskever's w + μv)."))
    if c.optimizer in ("adam", "adamw"):
        out.append(say("Bias correction: the averages start at 0, so early on they underestimate; dividing by"
                       " 1 − β₁ᵗ and 1 − β₂ᵗ removes that bias (Kingma and Ba, 2015). PyTorch puts ε outside the"
                       " square root, as the paper does."))
    if c.optimizer == "adam" and c["weight_decay"]:
        out.append(say("Adam's weight_decay is an L2 penalty: ", LAM, "w is added to the gradient and then divided"
                       " by the adaptive denominator, so heavily-updated weights are decayed less. AdamW"
                       " (optimizer = \"adamw\") decouples it instead."))
    if c.optimizer == "adamw":
        out.append(say("AdamW (Loshchilov and Hutter, 2019) shrinks the weights by the factor 1 − ηλ before the"
                       " Adam step, apart from the adaptive denominator; Adam with weight_decay (L2) would add λw"
                       " to the gradient instead. The paper multiplies its λ by the schedule alone, not by the"
                       " learning rate: PyTorch's lr is the paper's η_t·α, and PyTorch's weight_decay is the"
                       " paper's λ divided by α."))
    if c.optimizer == "rmsprop":
        out.append(say("Hinton's RMSprop (lecture 6e) divides by the root of the running mean of squared"
                       " gradients; PyTorch adds ε outside the square root (TensorFlow's Keras inside), which only"
                       " matters when that mean is near 0."))
    if c.optimizer == "adagrad":
        out.append(say("Adagrad (Duchi et al., 2011) divides by the root of the sum of all squared gradients so"
                       " far, so its steps shrink over time; PyTorch adds ε outside the root and decays the"
                       " learning rate by lr_decay as shown."))
    if c.gradients is None:
        out.append(say("The gradient of each step is the loss's gradient at the parameters before that step."))
    from .rates import notes as schedule_notes
    return out + schedule_notes(c)

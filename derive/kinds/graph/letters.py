"""The letters a graph problem's key already gives a meaning to, and the letters a step of an optimiser writes
instead of its own where one of those would stand for two things.

A spec's names are the user's (its b, its w, its sigma): they keep their letters. The kind's letters beside them
(σ for a sigmoid, p for a softmax's output, S, A and d for attention) are taken too. A step of an optimiser writes
the optimizer kind's letters (w, g, b, m, v, η, β, ...) where they are free, and else the first free one of its
alternatives here, the letters of other texts: PyTorch's docs write the parameter θ, CS231n the momentum buffer v
(velocity), Goodfellow et al.'s Deep Learning the moments s and r, Adam's ε δ and RMSProp's α ρ, Kingma and Ba
the step size α."""

from __future__ import annotations

from ...fields import FieldError
from ...mathparse import Call, Index, Neg, Op
from ...notation import Rewritten
from ...steps import say
from ...words import join_pieces
from ...written import Op as Word
from . import names as nm
from .config import Config

# The letters each function makes the key write beside the spec's names.
FUNCTION_LETTERS = {"sigmoid": ("σ",), "log_sigmoid": ("σ",), "softmax": ("p",), "log_softmax": ("p",),
                    "cross_entropy": ("p",), "attention": ("S", "A", "d")}
SAME = {"ϵ": "ε", "ϕ": "φ", "ϑ": "θ"}          # one letter in two shapes: the spec's eps is the optimiser's ε

# A step's letter -> what it writes instead, in order of preference, when the letter is taken.
ELSE = {"w": ("θ", "ω"), "g": ("δ", "ξ"), "b": ("v", "u", "r"), "d": ("u", "r", "q"), "m": ("s", "r", "u"),
        "v": ("r", "s", "u"), "s": ("r", "u", "q"), "η": ("α", "κ"), "μ": ("α", "ρ", "κ"), "τ": ("κ", "ν"),
        "λ": ("κ", "ν"), "β": ("ρ", "κ"), "ε": ("δ", "κ"), "α": ("ρ", "κ"), "γ": ("κ", "ν")}


def _calls(node, out: set) -> set:
    if isinstance(node, Call):
        out.add(node.func)
        for a in node.args:
            _calls(a, out)
    elif isinstance(node, Op):
        _calls(node.left, out), _calls(node.right, out)
    elif isinstance(node, (Neg, Index)):
        _calls(node.arg, out)
    return out


def spec_letters(c: Config) -> set[str]:
    """The letters of the spec's names (and of the stages the kind names), as the key writes them."""
    found = {nm.letter_of(nm.written(n)) for n in (*c.values, c.top)}
    return {SAME.get(x, x) for x in found if x}


def calls(c: Config) -> set[str]:
    """The functions the equations call."""
    return set().union(*(_calls(eq.rhs, set()) for eq in c.equations), set())


def taken(c: Config) -> set[str]:
    """Every letter the problem's key gives a meaning to, before a step's: the spec's and its functions'."""
    return spec_letters(c) | {x for f in calls(c) for x in FUNCTION_LETTERS.get(f, ())}


def step_letters(c: Config, own: list[str]) -> dict[str, str]:
    """Each of a step's own letters (``own``: w, g, b, η, ...) -> the letter the key writes for it: itself when
    the problem gives it no other meaning, else its first free alternative (ELSE). No free one is refused."""
    used = taken(c)
    out = {x: x for x in own if x not in used}
    used |= set(out)
    for x in own:
        if x in out:
            continue
        free = [y for y in ELSE.get(x, ()) if y not in used]
        if not free:
            raise FieldError("given", f"the spec's names take the letter {x} and each letter a step of the optimiser "
                             f"could write for its own {x} instead ({', '.join(ELSE.get(x, ()))})", None,
                             "names that leave one of those letters free")
        out[x] = free[0]
        used.add(free[0])
    return out


# The sigmoid's written forms where a spec's σ is a value of its own: the word, as torch.sigmoid.
SIGMOID_WORDS = {"sigmoid": Word("sigmoid"), "log_sigmoid": Word("log sigmoid")}
WORDS = {nm.function(f): w for f, w in SIGMOID_WORDS.items()}


def sigma_named(c: Config) -> bool:
    """The spec names a value σ (sigma, sigma1, ...): the sigmoid cannot be σ there."""
    return "σ" in spec_letters(c)


def sigmoid_shown(notation, configs: list):
    """The problem's notation with the sigmoid written as its word when a part's spec names a σ of its own."""
    if not any(sigma_named(c) for c in configs):
        return notation
    return Rewritten(notation, _as_words, "graph: sigmoid as a word")


def _as_words(obj, written):
    return WORDS.get(obj, written)


def in_words(text: str, c: Config) -> str:
    """A sentence about the sigmoid as the problem writes it: σ(1 − σ) as sigmoid(1 − sigmoid) where the spec's σ
    is a value of its own."""
    return text.replace("σ", "sigmoid") if sigma_named(c) else text


def sigmoid_note(c: Config, configs: list):
    """The sentence saying why the sigmoid is a word in this part: its spec's σ is a value (none otherwise)."""
    named = [n for n in c.values if nm.letter_of(nm.written(n)) == "σ"]
    if not any(sigma_named(other) for other in configs) or not {"sigmoid", "log_sigmoid"} & calls(c):
        return say()
    return say(" The sigmoid is written as its word, sigmoid, since ",
               *join_pieces([nm.name_symbol(n, c.shape(n)) for n in named] or ["σ"]),
               " names one of the spec's values here." if len(named) < 2 else " name the spec's values here.")

"""A symbol's written form (derive.written) as LaTeX: the LaTeX printer's spelling of the notation."""

from __future__ import annotations

import functools
import re

from ..written import Frac, Fenced, Op, Partial, Root, Row, Sym, Upright

# Characters of plain notation that LaTeX spells as a command.
COMMANDS = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ϵ": r"\epsilon", "ε": r"\varepsilon",
    "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta", "ι": r"\iota", "κ": r"\kappa",
    "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi", "ρ": r"\rho", "ϱ": r"\varrho",
    "σ": r"\sigma", "ς": r"\varsigma", "τ": r"\tau", "υ": r"\upsilon", "ϕ": r"\phi", "φ": r"\varphi",
    "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta",
    "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi", "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi",
    "Ω": r"\Omega", "∂": r"\partial", "∇": r"\nabla", "∞": r"\infty", "ℓ": r"\ell", "…": r"\dots",
    "⋯": r"\cdots", "⟨": r"\langle", "⟩": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil",
    "⌉": r"\rceil", "‖": r"\|", "⋅": r"\cdot", "·": r"\cdot", "×": r"\times", "⊙": r"\odot", "∘": r"\circ",
    "±": r"\pm", "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "∈": r"\in", "→": r"\to",
    "∑": r"\sum", "∏": r"\prod", "⊤": r"\top", "\u2009": r"\,", "′": "'", "−": "-", "{": r"\{", "}": r"\}",
    "%": r"\%", "#": r"\#", "&": r"\&",
}
# Operator names LaTeX has a command for (\exp); any other is \operatorname{...}.
NAMED = {"arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det", "dim", "exp",
         "gcd", "hom", "inf", "ker", "lg", "lim", "liminf", "limsup", "ln", "log", "max", "min", "Pr", "sec",
         "sin", "sinh", "sup", "tan", "tanh"}
ACCENT = {"hat": r"\hat", "tilde": r"\tilde", "bar": r"\bar", "vec": r"\vec", "dot": r"\dot", "ddot": r"\ddot",
          "check": r"\check"}
FENCE = {"‖": r"\|", "⟨": r"\langle", "⟩": r"\rangle", "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil",
         "⌉": r"\rceil", "{": r"\{", "}": r"\}"}
_WORD_END = re.compile(r"\\[A-Za-z]+$")


def join(pieces) -> str:
    """LaTeX pieces one after another, a space after a control word that a letter or digit follows."""
    out = ""
    for piece in pieces:
        if piece and out and _WORD_END.search(out) and (piece[0].isalnum()):
            out += " "
        out += piece
    return out


def _text(s: str) -> str:
    return join(COMMANDS.get(ch, ch) for ch in s)


def _group(part) -> str:
    return "{" + tex(part) + "}"


def _script(mark: str, part, bare: bool) -> str:
    inner = tex(part)
    return f"{mark}{inner}" if bare and len(inner) == 1 else f"{mark}{{{inner}}}"


def _sym(s: Sym) -> str:
    base = tex(s.base)
    if s.grouped or isinstance(s.base, Sym) and (s.base.sub is not None or s.base.superscript() is not None
                                                 or s.base.primes):
        base = "{" + base + "}"                       # a script on a scripted symbol: {W_{1}}_{2,3}, {S'}_{12}
    if s.bold:
        base = rf"\mathbf{{{base}}}"
    if s.accent:
        base = rf"{ACCENT[s.accent]}{{{base}}}"
    base += "'" * s.primes
    sub = _script("_", s.sub, s.bare) if s.sub is not None else ""
    top = s.superscript()
    sup = _script("^", top, s.bare) if top is not None else ""
    return join([base, sup, sub] if s.sup_first else [base, sub, sup])


def _fence(f: str, right: bool, sized: bool) -> str:
    if not sized:
        return FENCE.get(f, f)
    return (r"\right" if right else r"\left") + FENCE.get(f, f)


def _fenced(f: Fenced) -> str:
    gap = " " if f.spaced else ""
    return join([_fence(f.left, False, f.sized), gap, tex(f.inner), gap, _fence(f.right, True, f.sized)])


@functools.lru_cache(maxsize=1 << 14)
def tex(part) -> str:
    """The LaTeX (maths mode) of a piece of notation."""
    if isinstance(part, str):
        return _text(part)
    if isinstance(part, Sym):
        return _sym(part)
    if isinstance(part, Op):
        return "\\" + part.name if part.name in NAMED else rf"\operatorname{{{part.name.replace(' ', chr(92) + ',')}}}"
    if isinstance(part, Upright):
        return (r"\text{" if part.words else r"\mathrm{") + _text(part.text) + "}"
    if isinstance(part, Frac):
        return rf"\frac{_group(part.num)}{_group(part.den)}"
    if isinstance(part, Partial):
        if part.inline:
            return tex(Row("∂", part.of, "/∂", part.wrt))
        return rf"\frac{{\partial {tex(part.of)}}}{{\partial {tex(part.wrt)}}}"
    if isinstance(part, Fenced):
        return _fenced(part)
    if isinstance(part, Row):
        return join(tex(p) for p in part.parts)
    if isinstance(part, Root):
        return r"\sqrt"
    raise TypeError(f"not a piece of notation: {part!r}")

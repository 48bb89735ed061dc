"""A laid-out figure (derive.formats.drawing) as SVG: no script, nothing fetched, the data each shape
stands for in its attributes (``data-points``, ``data-x``, ``data-row``, ...) and its ``<title>``; labels
as plain text (SymPy printed in Unicode by ``plain``)."""

from __future__ import annotations

import hashlib
import math
import re
from html import escape
from typing import Callable

from .drawing import COLOURS, Dot, Drawing, Path, Rect, Text, Tick
from .tikz import data_number

PX = 40                      # pixels to a centimetre
WIDTHS = {"solid": 1.2, "thick": 2.0, "dashed": 1.5, "thin": 0.8, "frame": 0.8, "grid": 0.4}
SIZES = {"small": 12, "tiny": 10}
ANCHORS = {"center": ("middle", "central"), "north": ("middle", "hanging"), "south": ("middle", "text-after-edge"),
           "east": ("end", "central"), "west": ("start", "central"), "south west": ("start", "text-after-edge"),
           "north west": ("start", "hanging"), "south east": ("end", "text-after-edge"),
           "north east": ("end", "hanging")}


def colour(name: str | None) -> str:
    if name is None:
        return "none"
    return "#" + COLOURS[name] if name in COLOURS else name


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def svg(d: Drawing, plain: Callable, title: str, standalone: bool = False) -> str:
    """The picture as an <svg> element (``standalone``: a file of its own, with the XML namespace heading it)."""
    w, h = d.width * PX, d.height * PX
    style = "" if standalone else ' style="max-width:100%;height:auto"'
    xmlns = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""         # HTML needs none: nothing to fetch
    head = (f'<svg{xmlns} width="{_n(w)}" height="{_n(h)}" viewBox="0 0 {_n(w)} {_n(h)}"'
            f' role="img" font-family="Latin Modern Roman, Computer Modern Serif, Georgia, serif"{style}>')
    out = [head, f"<title>{escape(title)}</title>", '<rect width="100%" height="100%" fill="#FFFFFF"/>']
    hatch = None
    if any(isinstance(it, Rect) and it.hatched for it in d.items):         # one id a drawing: its content's hash
        hatch = "hatch-" + hashlib.sha1(repr(d).encode()).hexdigest()[:10]
        out.append(f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse"'
                   ' patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#8E8E93"'
                   ' stroke-width="1"/></pattern></defs>')
    flip = lambda x, y: (x * PX, (d.height - y) * PX)          # noqa: E731 - TikZ's y up, SVG's down
    for it in d.items:
        if isinstance(it, Path):
            out += _path(it, flip, plain)
        elif isinstance(it, Dot):
            out.append(_dot(it, flip, plain))
        elif isinstance(it, Rect):
            out.append(_rect(it, flip, plain, hatch))
        elif isinstance(it, Text):
            out.append(_text(it, flip, plain))
    out.append("</svg>")
    return "\n".join(out) + ("\n" if standalone else "")


def _title(label, plain) -> str:
    return f"<title>{escape(plain(label))}</title>" if label != "" and label is not None else ""


def _path(p: Path, flip, plain) -> list[str]:
    pts = [flip(x, y) for x, y in p.points]
    dash = ' stroke-dasharray="6 4"' if p.style == "dashed" else ""
    data = ""
    if p.data is not None:
        data = ' data-points="' + " ".join(f"{data_number(x)},{data_number(y)}" for x, y in p.data) + '"'
    data += "".join(f' data-{k}="{escape(plain(v))}"' for k, v in p.meta)
    line = (f'<polyline points="{" ".join(f"{_n(x)},{_n(y)}" for x, y in pts)}" fill="none"'
            f' stroke="{colour(p.colour)}" stroke-width="{WIDTHS.get(p.style, 1.2)}"{dash}{data}>'
            f'{_title(p.label, plain)}</polyline>')
    return [line] + ([_arrowhead(pts[-2], pts[-1], colour(p.colour))] if p.arrow and len(pts) > 1 else [])


def _arrowhead(a, b, fill: str) -> str:
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    size = 7
    left = (b[0] - size * math.cos(angle - 0.4), b[1] - size * math.sin(angle - 0.4))
    right = (b[0] - size * math.cos(angle + 0.4), b[1] - size * math.sin(angle + 0.4))
    return f'<polygon points="{_n(b[0])},{_n(b[1])} {_n(left[0])},{_n(left[1])} {_n(right[0])},{_n(right[1])}" fill="{fill}"/>'


def _dot(d: Dot, flip, plain) -> str:
    x, y = flip(d.x, d.y)
    fill = colour(d.colour) if d.filled else "#FFFFFF"
    data = f' data-x="{data_number(d.data[0])}" data-y="{data_number(d.data[1])}"' if d.data is not None else ""
    title = ""
    if d.data is not None:
        name = plain(d.label) + " " if d.label != "" else ""
        title = f"<title>{escape(name)}({data_number(d.data[0])}, {data_number(d.data[1])})</title>"
    return (f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(d.radius * PX)}" fill="{fill}" stroke="{colour(d.colour)}"'
            f' stroke-width="1.5"{data}>{title}</circle>')


def _rect(r: Rect, flip, plain, hatch: str | None = None) -> str:
    x, y = flip(r.x, r.y + r.h)
    extra = (' stroke-dasharray="2 2"' if r.dotted else "") + (' rx="5"' if r.rounded else "")
    data = "".join(f' data-{k}="{escape(plain(v))}"' for k, v in r.data)
    label = dict(r.data).get("label", "")
    at = f'x="{_n(x)}" y="{_n(y)}" width="{_n(r.w * PX)}" height="{_n(r.h * PX)}"'
    out = (f'<rect {at} fill="{colour(r.fill)}" stroke="{colour(r.stroke)}" stroke-width="0.6"{extra}{data}>'
           f'{_title(label, plain)}</rect>')
    if r.hatched and hatch:
        out += f'<rect {at} fill="url(#{hatch})" stroke="none"/>'
    return out


def _text(t: Text, flip, plain) -> str:
    x, y = flip(t.x, t.y)
    anchor, baseline = ANCHORS.get(t.anchor, ANCHORS["center"])
    turn = f' transform="rotate({-t.rotate} {_n(x)} {_n(y)})"' if t.rotate else ""
    turn += ' stroke="#FFFFFF" stroke-width="3" paint-order="stroke"' if t.halo else ""
    text = t.label.plain.replace("-", "−") if isinstance(t.label, Tick) else plain(t.label)
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" dominant-baseline="{baseline}"'
            f' font-size="{SIZES[t.size]}" fill="{colour(t.colour)}"{turn}>{escape(text)}</text>')


# --- maths as plain text ------------------------------------------------------------------

GREEK = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\epsilon": "ε", r"\eta": "η",
         r"\theta": "θ", r"\lambda": "λ", r"\mu": "μ", r"\rho": "ρ", r"\sigma": "σ", r"\tau": "τ", r"\phi": "φ",
         r"\varphi": "φ", r"\psi": "ψ", r"\omega": "ω", r"\Delta": "Δ", r"\Sigma": "Σ", r"\nabla": "∇",
         r"\partial": "∂", r"\cdot": "·", r"\times": "×", r"\langle": "⟨", r"\rangle": "⟩", r"\infty": "∞",
         r"\le": "≤", r"\ge": "≥", r"\approx": "≈", r"\odot": "⊙", r"\top": "ᵀ", r"\ldots": "…", r"\dots": "…",
         r"\,": " ", r"\;": " ", r"\quad": " ", r"\mid": "|", r"\|": "‖", r"\left": "", r"\right": "",
         r"\mathbf": "", r"\mathrm": "", r"\operatorname": "", r"\text": "", r"\boldsymbol": "", r"\hat": "",
         r"\tilde": "", r"\bar": "", r"\displaystyle": ""}
SUP = str.maketrans("0123456789+-()*tTn", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾*ᵗᵀⁿ")
SUB = str.maketrans("0123456789+-()tijkn", "₀₁₂₃₄₅₆₇₈₉₊₋₍₎ₜᵢⱼₖₙ")
_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_SCRIPT = re.compile(r"([_^])\{([^{}]*)\}|([_^])(\\?[A-Za-z0-9])")


def _script(m: re.Match) -> str:
    mark, inner = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    table = SUP if mark == "^" else SUB
    if "⟨" in inner:                                  # the course's a^{(i)<t>}: a⟨t⟩, the example index dropped
        return inner.replace("(i)", "").replace(" ", "")
    if all(ch in "0123456789+-()tTn" if mark == "^" else ch in "0123456789+-()tijkn" for ch in inner):
        return inner.translate(table)
    return f"{mark}({inner})" if len(inner) > 1 else mark + inner


def plain_latex(latex: str) -> str:
    """LaTeX made readable as Unicode text: fractions a/b, Greek letters, scripts raised or lowered."""
    text = latex
    for name in sorted(GREEK, key=len, reverse=True):
        text = re.sub(re.escape(name) + r"(?![A-Za-z])", GREEK[name], text)
    text = re.sub(r"∂\s+", "∂", text)
    for _ in range(3):
        text = _SCRIPT.sub(_script, text)
    for _ in range(4):
        text = _FRAC.sub(lambda m: f"{_wrap(m.group(1))}/{_wrap(m.group(2))}", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text).replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def _wrap(part: str) -> str:
    return f"({part})" if re.search(r"[+\- ]", part.strip()) else part

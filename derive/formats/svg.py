"""A laid-out figure (derive.formats.drawing) as SVG: no script, nothing fetched, the data each shape
stands for in its attributes (``data-points``, ``data-x``, ``data-row``, ...) and its ``<title>`` (as plain
Unicode text); each label drawn as its maths is laid out (derive.formats.labels: scripts raised and lowered,
fractions stacked, a matrix as a grid between brackets), a group of its own with its plain text for a screen
reader (``aria-label``) and the box it covers (``data-box``: x, y, width, height in px)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace
from html import escape

from .drawing import COLOURS, Dot, Drawing, Path, Rect, Text, baseline, extent
from .labels import svg_items
from .tikz import data_number

PX = 40                      # pixels to a centimetre
WIDTHS = {"solid": 1.2, "thick": 2.0, "dashed": 1.5, "thin": 0.8, "frame": 0.8, "grid": 0.4}


def colour(name: str | None) -> str:
    if name is None:
        return "none"
    return "#" + COLOURS[name] if name in COLOURS else name


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def svg(d: Drawing, labels, title: str, standalone: bool = False) -> str:
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
    plain = labels.plain
    for it in d.items:
        if isinstance(it, Path):
            out += _path(it, flip, plain)
        elif isinstance(it, Dot):
            out.append(_dot(it, flip, plain))
        elif isinstance(it, Rect):
            out.append(_rect(it, flip, plain, hatch))
        elif isinstance(it, Text):
            out.append(_text(it, flip, labels))
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


def _text(t: Text, flip, labels) -> str:
    """A label: its laid-out maths (or words) in a group, turned about its anchor when upright, on a white ground
    when ``halo``."""
    x0, y0, x1, y1 = extent(replace(t, rotate=0), labels)
    left, top = flip(x0, y1)
    w, h = (x1 - x0) * PX, (y1 - y0) * PX
    ox, oy = flip(*baseline(t, labels))
    k = labels.scale(t.size) * PX                       # px per point of the layout
    body = svg_items(labels.box(t.label, t.size), ox, oy, k, colour(t.colour))
    if t.halo:
        body.insert(0, f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(w)}" height="{_n(h)}" fill="#FFFFFF"/>')
    ax, ay = flip(t.x, t.y)
    turn = f' transform="rotate({-t.rotate} {_n(ax)} {_n(ay)})"' if t.rotate else ""
    return (f'<g class="label" aria-label="{escape(labels.plain(t.label))}" data-box="{_n(left)} {_n(top)} {_n(w)}'
            f' {_n(h)}"{turn}>' + "".join(body) + "</g>")

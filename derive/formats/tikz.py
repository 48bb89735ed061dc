"""A laid-out figure (derive.formats.drawing) as LaTeX an instructor can read and edit: a `picture` holding a
tikzpicture of the lines and shapes and, over it, the labels (no pgfplots, which would double the compile
time). Colours by plain names, one coordinate a line, and beside each coordinate the data it stands for
(``% data: x, y``).

The lines are PGF's basic layer (``\\pgfpathqmoveto{x}{y}``, ``\\pgfpathqlineto{x}{y}``, then stroked or filled),
the labels LaTeX's own ``\\put(x,y){\\makebox(0,0)[where]{text}}``: pdflatex reads a coordinate so written in a
sixth of the time a ``\\draw`` takes for it, a label in a third of a ``\\pgftext``'s (which sets up a picture
inside the picture for it)."""

from __future__ import annotations

from typing import Callable

from .drawing import COLOURS, Dot, Drawing, Path, Rect, Text, Tick

WIDTHS = {"solid": "0.6pt", "thick": "1pt", "dashed": "0.8pt", "thin": "0.4pt", "frame": "0.4pt", "grid": "0.2pt"}
DASH = r"\pgfsetdash{{3pt}{3pt}}{0pt}"                           # TikZ's `dashed`
DOTTED = r"\pgfsetdash{{\pgflinewidth}{2pt}}{0pt}"               # TikZ's `dotted`
SIZES = {"small": r"\footnotesize", "tiny": r"\scriptsize"}


def _n(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if "." in f"{v:.3f}" else f"{v:.3f}"


def data_number(v) -> str:
    """A data value as the comments (and the SVG's attributes) write it: 6 significant digits."""
    return f"{float(v):.6g}"


def _at(x: float, y: float) -> str:
    return f"({_n(x)}, {_n(y)})"


def _q(x: float, y: float) -> str:
    return f"{{{_n(x)}cm}}{{{_n(y)}cm}}"


def _point(x: float, y: float) -> str:
    return rf"\pgfqpoint{_q(x, y)}"


HEAD = ("% Coordinates in cm, the data each stands for in the comment beside it. Lines: \\pgfpathqmoveto{x}{y},\n"
        "% \\pgfpathqlineto{x}{y}, then \\pgfusepathqstroke (PGF's basic layer, TikZ's own drawing commands).\n"
        "% Labels, after the tikzpicture: \\put(x,y){\\makebox(0,0)[where]{text}} (t, b, l, r or none: centred).")


def picture(d: Drawing, label: Callable, comment: Callable, bbox: tuple | None = None) -> str:
    """The figure; ``label`` prints a label as LaTeX (text mode), ``comment`` as one plain line; ``bbox``
    (x0, y0, x1, y1) is the room the figure takes, its labels' too. Plain lines of one style are drawn as one
    path (a segment a line); the labels are set over the lines, in the picture around the tikzpicture."""
    x0, y0, x1, y1 = bbox if bbox is not None else (0.0, 0.0, d.width, d.height)
    lines = [r"{\setlength{\unitlength}{1cm}%"]
    lines += [rf"\definecolor{{{name}}}{{HTML}}{{{COLOURS[name]}}}%" for name in d.colours if name in COLOURS]
    lines += [rf"\begin{{picture}}({_n(x1 - x0)},{_n(y1 - y0)})({_n(x0)},{_n(y0)})%",
              rf"\put({_n(x0)},{_n(y0)}){{\begin{{tikzpicture}}[line cap=round, line join=round]", HEAD,
              rf"\useasboundingbox {_at(x0, y0)} rectangle {_at(x1, y1)};  % the labels' room too"]
    lines += _shapes(d.items, comment)
    lines.append(r"\end{tikzpicture}}%")
    lines += [_text(it, label) for it in d.items if isinstance(it, Text)]
    lines.append(r"\end{picture}}")
    return "\n".join(lines)


def _shapes(items, comment: Callable) -> list[str]:
    lines: list[str] = []
    plain: list[Path] = []
    for it in items:
        if isinstance(it, Path) and it.data is None and not it.meta and not it.arrow:
            if plain and (plain[0].colour, plain[0].style) != (it.colour, it.style):
                lines += _plain_paths(plain)
                plain = []
            plain.append(it)
            continue
        lines += _plain_paths(plain)
        plain = []
        if isinstance(it, Path):
            lines += _path(it, comment)
        elif isinstance(it, Dot):
            lines.append(_dot(it, comment))
        elif isinstance(it, Rect):
            lines.append(_rect(it, comment))
    return lines + _plain_paths(plain)


def _pen(colour: str, style: str) -> str:
    """A scope's opening: its colour, line width and dashes."""
    return (rf"\begin{{pgfscope}}\color{{{colour}}}\pgfsetlinewidth{{{WIDTHS.get(style, WIDTHS['solid'])}}}"
            + (DASH if style == "dashed" else ""))


def _line(points) -> str:
    first, *rest = points
    return rf"\pgfpathqmoveto{_q(*first)}" + "".join(rf"\pgfpathqlineto{_q(*pt)}" for pt in rest)


def _plain_paths(paths: list[Path]) -> list[str]:
    """Lines of one colour and width as one path, a line of code each."""
    if not paths:
        return []
    return [_pen(paths[0].colour, paths[0].style), *(_line(p.points) for p in paths), r"\pgfusepathqstroke\end{pgfscope}"]


def _path(p: Path, comment: Callable) -> list[str]:
    pen = _pen(p.colour, p.style) + (r"\pgfsetarrowsend{stealth}" if p.arrow else "")
    stroke = r"\pgfusepath{stroke}\end{pgfscope}" if p.arrow else r"\pgfusepathqstroke\end{pgfscope}"
    if p.data is None:
        meta = "  % " + ", ".join(f"{k} {comment(v)}" for k, v in p.meta) if p.meta else ""
        return [pen + meta, _line(p.points), stroke]
    head = pen + "  % a plotted series" + (f": {comment(p.label)}" if p.label != "" else "")
    body = [(r"\pgfpathqmoveto" if k == 0 else r"\pgfpathqlineto") + f"{_q(*pt)}  % data: {data_number(x)}, "
            f"{data_number(y)}" for k, (pt, (x, y)) in enumerate(zip(p.points, p.data))]
    return [head, *body, stroke]


def _dot(d: Dot, comment: Callable) -> str:
    shape = rf"\pgfpathcircle{{{_point(d.x, d.y)}}}{{{_n(d.radius)}cm}}"
    tail = ""
    if d.data is not None:
        tail = f"  % data: {data_number(d.data[0])}, {data_number(d.data[1])}"
        tail += f" {comment(d.label)}" if d.label != "" else ""
    if d.filled:
        return rf"\begin{{pgfscope}}\color{{{d.colour}}}{shape}\pgfusepathqfill\end{{pgfscope}}{tail}"
    return (rf"\begin{{pgfscope}}\color{{{d.colour}}}\pgfsetfillcolor{{white}}\pgfsetlinewidth{{0.8pt}}{shape}"
            rf"\pgfusepathqfillstroke\end{{pgfscope}}{tail}")


def _rect(r: Rect, comment: Callable) -> str:
    corners = rf"\pgfpathrectanglecorners{{{_point(r.x, r.y)}}}{{{_point(r.x + r.w, r.y + r.h)}}}"
    if r.rounded:          # PGF rounds the corners of a path's lines, not of a rectangle
        x1, y1 = r.x + r.w, r.y + r.h
        corners = (rf"\pgfpathmoveto{{{_point(r.x, r.y)}}}" + "".join(rf"\pgfpathlineto{{{_point(*p)}}}"
                   for p in ((x1, r.y), (x1, y1), (r.x, y1))) + r"\pgfpathclose")
    pen = [rf"\color{{{r.fill}}}" if r.fill else "", rf"\pgfsetstrokecolor{{{r.stroke}}}" if r.stroke else "",
           r"\pgfsetlinewidth{0.3pt}", DOTTED if r.dotted else "",
           r"\pgfsetcornersarced{\pgfqpoint{3pt}{3pt}}" if r.rounded else ""]
    use = [k for k, on in (("fill", r.fill), ("stroke", r.stroke)) if on]
    using = rf"\pgfusepath{{{','.join(use)}}}" if r.rounded else rf"\pgfusepathq{''.join(use)}"  # q: no rounding
    out = rf"\begin{{pgfscope}}{''.join(pen)}{corners}{using}\end{{pgfscope}}" if use else ""
    if r.hatched:
        out += (rf"\begin{{pgfscope}}\pgfsetfillpattern{{north east lines}}{{derivegrey}}{corners}\pgfusepathqfill"
                r"\end{pgfscope}")
    return out + ("  % " + ", ".join(f"{k} {comment(v)}" for k, v in r.data) if r.data else "")


PLACES = {"center": "", "north": "[t]", "south": "[b]", "east": "[r]", "west": "[l]", "north west": "[tl]",
          "south west": "[bl]", "north east": "[tr]", "south east": "[br]"}


def _text(t: Text, label: Callable) -> str:
    """A label: its box's point (``anchor``) at (x, y), turned about that point by ``rotate``."""
    text = t.label.tex if isinstance(t.label, Tick) else label(t.label)
    text = SIZES[t.size] + ("" if t.colour == "deriveink" else rf"\color{{{t.colour}}}") + " " + text
    if t.halo:
        text = rf"\setlength{{\fboxsep}}{{1pt}}\colorbox{{white}}{{{text}}}"
    box = rf"\makebox(0,0){PLACES.get(t.anchor, '')}{{{text}}}"
    if t.rotate:
        box = rf"\rotatebox{{{t.rotate}}}{{{box}}}"
    return rf"\put({_n(t.x)},{_n(t.y)}){{{box}}}"

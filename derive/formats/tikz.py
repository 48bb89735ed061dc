"""A laid-out figure (derive.formats.drawing) as TikZ code an instructor can read and edit: plain TikZ
(no pgfplots, which would double the compile time), colours defined by plain names, one coordinate a
line, and beside each coordinate the data it stands for (``% data: x, y``)."""

from __future__ import annotations

from typing import Callable

from .drawing import COLOURS, Dot, Drawing, Path, Rect, Text, Tick

WIDTHS = {"solid": "line width=0.6pt", "thick": "line width=1pt", "dashed": "dashed, line width=0.8pt",
          "thin": "line width=0.4pt", "frame": "line width=0.4pt", "grid": "line width=0.2pt"}
SIZES = {"small": r"\footnotesize", "tiny": r"\scriptsize"}


def _n(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") if "." in f"{v:.3f}" else f"{v:.3f}"


def data_number(v) -> str:
    """A data value as the comments (and the SVG's attributes) write it: 6 significant digits."""
    return f"{float(v):.6g}"


def _at(x: float, y: float) -> str:
    return f"({_n(x)}, {_n(y)})"


HEAD = ("% Coordinates in cm, the data each stands for in the comment beside it. Labels are \\pgftext[where,\n"
        "% at={\\pgfpointxy{x}{y}}]{text}: TikZ's light node (where: left, right, top, bottom or none for centred).")


def picture(d: Drawing, label: Callable, comment: Callable, bbox: tuple | None = None) -> str:
    """The tikzpicture; ``label`` prints a label as LaTeX (text mode), ``comment`` as one plain line; ``bbox``
    (x0, y0, x1, y1) is the room the picture takes, its labels' too (TikZ counts only its lines). Plain
    lines of one style are drawn as one path (a segment a line), labels as \\pgftext: a picture costs pdflatex
    a fraction of what a \\draw and a \\node each would."""
    lines = [r"\begin{tikzpicture}[x=1cm, y=1cm, line cap=round, line join=round]", HEAD]
    lines += [rf"\definecolor{{{name}}}{{HTML}}{{{COLOURS[name]}}}" for name in d.colours if name in COLOURS]
    if bbox is not None:
        lines.append(rf"\useasboundingbox {_at(*bbox[:2])} rectangle {_at(*bbox[2:])};  % the labels' room too")
    plain: list[Path] = []
    for it in d.items:
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
        elif isinstance(it, Text):
            lines.append(_text(it, label))
    lines += _plain_paths(plain)
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _plain_paths(paths: list[Path]) -> list[str]:
    """Lines of one colour and width as one \\draw, a line of code each."""
    if not paths:
        return []
    if len(paths) == 1:
        return [rf"\draw[{paths[0].colour}, {WIDTHS.get(paths[0].style, WIDTHS['solid'])}] "
                + " -- ".join(_at(*pt) for pt in paths[0].points) + ";"]
    body = ["  " + " -- ".join(_at(*pt) for pt in p.points) for p in paths]
    body[-1] += ";"
    return [rf"\draw[{paths[0].colour}, {WIDTHS.get(paths[0].style, WIDTHS['solid'])}]", *body]


def _path(p: Path, comment: Callable) -> list[str]:
    opts = ", ".join([p.colour, WIDTHS.get(p.style, WIDTHS["solid"])] + (["->", ">=stealth"] if p.arrow else []))
    if p.data is None:
        meta = "  % " + ", ".join(f"{k} {comment(v)}" for k, v in p.meta) if p.meta else ""
        return [rf"\draw[{opts}] " + " -- ".join(_at(*pt) for pt in p.points) + ";" + meta]
    head = rf"\draw[{opts}] plot coordinates {{" + (f"  % {comment(p.label)}" if p.label != "" else "")
    body = [f"  {_at(*pt)}  % data: {data_number(x)}, {data_number(y)}" for pt, (x, y) in zip(p.points, p.data)]
    return [head, *body, "};"]


def _dot(d: Dot, comment: Callable) -> str:
    shape = f"{_at(d.x, d.y)} circle[radius={_n(d.radius)}];"
    tail = ""
    if d.data is not None:
        tail = f"  % data: {data_number(d.data[0])}, {data_number(d.data[1])}"
        tail += f" {comment(d.label)}" if d.label != "" else ""
    if d.filled:
        return rf"\fill[{d.colour}] {shape}{tail}"
    return rf"\filldraw[fill=white, draw={d.colour}, line width=0.8pt] {shape}{tail}"


def _rect(r: Rect, comment: Callable) -> str:
    opts = []
    if r.fill:
        opts.append(f"fill={r.fill}")
    opts.append(f"draw={r.stroke}" if r.stroke else "draw=none")
    opts += ["line width=0.3pt"] + (["dotted"] if r.dotted else []) + (["rounded corners=3pt"] if r.rounded else [])
    tail = "  % " + ", ".join(f"{k} {comment(v)}" for k, v in r.data) if r.data else ""
    command = r"\filldraw" if r.fill else r"\draw"
    shape = f"{_at(r.x, r.y)} rectangle {_at(r.x + r.w, r.y + r.h)}"
    hatch = rf" \fill[pattern=north east lines, pattern color=derivegrey] {shape};" if r.hatched else ""
    return rf"{command}[{', '.join(opts)}] {shape};{hatch}{tail}"


PLACES = {"center": "", "north": "top", "south": "bottom", "east": "right", "west": "left",
          "north west": "top,left", "south west": "bottom,left", "north east": "top,right", "south east": "bottom,right"}


def _text(t: Text, label: Callable) -> str:
    where = [PLACES.get(t.anchor, ""), f"at={{\\pgfpointxy{{{_n(t.x)}}}{{{_n(t.y)}}}}}"]
    where += [f"rotate={t.rotate}"] if t.rotate else []          # after at=: turned about its own point
    text = t.label.tex if isinstance(t.label, Tick) else label(t.label)
    text = SIZES[t.size] + ("" if t.colour == "deriveink" else rf"\color{{{t.colour}}}") + " " + text
    if t.halo:
        text = rf"\setlength{{\fboxsep}}{{1pt}}\colorbox{{white}}{{{text}}}"
    if r"\begin{matrix}" in text:      # inside a tikzpicture \matrix is TikZ's: give amsmath's back, as a node does
        text = r"\csname tikz@uninstallcommands\endcsname" + text
    return rf"\pgftext[{', '.join(w for w in where if w)}]{{{text}}}"

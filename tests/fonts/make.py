"""Write derive/formats/font_widths.py: the width of every character a figure label uses, as pdflatex sets it in
the fonts and sizes the figures use (the article's \\scriptsize and \\footnotesize, the slides' with beamer's
serif maths and sans-serif text, and a 10 pt article for the SVG's Latin Modern), in maths (italic letters,
upright letters and digits, bold, symbols) at the text, script and scriptscript sizes, and in text mode.
pdflatex measures each one (\\wd of a box) and writes it to its log; this reads the log back.

Run it only when the fonts or the characters change: ``python tests/fonts/make.py``. tests/test_figure_layout.py
compares the table with pdflatex's own widths of whole labels."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from derive.formats.written_tex import COMMANDS  # noqa: E402

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
GREEK = "αβγδϵεζηθϑικλμνξπρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ"
PUNCT = "()[]|,.;:!?/'+=<>*"
SYMBOLS = "−×⋅±≤≥≠≈∼∈→←∞∇∂′⟨⟩⌊⌋⌈⌉‖⊤…⋯∘⊙∑∏√ℓ"
TEXT = LATIN + DIGITS + " ()[],.;:!?/'+-=*%&#\"_<>|" + "×−·…–—’"
# (setup, its document class line, {size name: the size command}); the maths font classes below.
SETUPS = {
    "article": (r"\documentclass[11pt]{article}\usepackage{amsmath,amssymb}",
                {"tiny": r"\scriptsize", "small": r"\footnotesize"}),
    "slides": (r"\documentclass[11pt,aspectratio=169]{beamer}\usefonttheme[onlymath]{serif}",
               {"tiny": r"\scriptsize", "small": r"\footnotesize"}),
    "svg": (r"\documentclass[10pt]{article}\usepackage{amsmath,amssymb}", {"ten": r"\normalsize"}),
}
STYLES = {"text": r"\textstyle", "script": r"\scriptstyle", "scriptscript": r"\scriptscriptstyle"}


def _maths(ch: str) -> str:
    command = COMMANDS.get(ch, ch)
    return {"−": "-", "<": "<", ">": ">", "|": "|", "‖": r"\|", "√": r"\surd", "∼": r"\sim",
            "←": r"\leftarrow", "'": "'", "∑": r"\sum", "∏": r"\prod"}.get(ch, command)


def classes() -> dict[str, dict[str, str]]:
    """font class -> {character: the LaTeX that sets it in maths}."""
    return {
        "it": {ch: ch for ch in LATIN} | {ch: COMMANDS[ch] for ch in GREEK},
        "rm": {ch: rf"\mathrm{{{ch}}}" for ch in LATIN + DIGITS} | {ch: ch for ch in PUNCT if ch != "'"},
        "bf": {ch: rf"\mathbf{{{ch}}}" for ch in LATIN + DIGITS},
        "sy": {ch: _maths(ch) for ch in SYMBOLS},
    }


TEXT_LATEX = {"×": r"$\times$", "−": r"$-$", "·": r"$\cdot$", "…": r"\dots{}", "–": "--", "—": "---", "’": "'",
              "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "<": "$<$", ">": "$>$", "|": "$|$", " ": r"\ ",
              '"': "''"}


def document(setup: str) -> str:
    head, sizes = SETUPS[setup]
    lines = [head, r"\newbox\probe", r"\begin{document}"]
    for size, command in sizes.items():
        lines.append(r"\begingroup" + command)
        lines.append(rf"\setbox\probe\hbox{{M}}\typeout{{WIDTH {size} em em x \the\wd\probe\space 0pt 0pt}}")
        for style, style_command in STYLES.items():
            for cls, chars in classes().items():
                for ch, latex in chars.items():
                    lines.append(rf"\setbox\probe\hbox{{${style_command} {latex}$}}"
                                 rf"\typeout{{WIDTH {size} {style} {cls} {ord(ch)} \the\wd\probe\space"
                                 rf"\the\ht\probe\space\the\dp\probe}}")
        for ch in TEXT:
            lines.append(rf"\setbox\probe\hbox{{{TEXT_LATEX.get(ch, ch)}}}\typeout{{WIDTH {size} text tx {ord(ch)}"
                         rf" \the\wd\probe\space\the\ht\probe\space\the\dp\probe}}")
        lines.append(r"\endgroup")
    lines.append(r"\end{document}")
    return "\n".join(lines)


# For derive/formats/measure.py, in the 10 pt article (the "svg" setup): maths commands the characters above leave
# out, at each style; the big operators in display style; each delimiter at its normal size, the four \big sizes
# and built from pieces (\left ... \right, the null delimiter's space taken off); italic corrections (cmmi10).
MATHS = ("otimes oplus mp ast div setminus cdotp ldotp simeq equiv notin mapsto Rightarrow propto subset prime forall "
         "exists emptyset imath lvert rvert lVert rVert { } lbrace rbrace vert backslash vdots ddots % & # _ $ colon "
         "mid int").split()
BIG = ("sum", "prod", "int")
DELIMITERS = ("(", ")", "[", "]", r"\{", r"\}", r"\langle", r"\rangle", r"\lfloor", r"\rfloor", r"\lceil",
              r"\rceil", "|", r"\|", r"\vert", r"\Vert", r"\lvert", r"\rvert", "/")
GREEK_NAMES = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
               "varrho sigma varsigma tau upsilon phi varphi chi psi omega").split()


def maths_probes() -> list[str]:
    """The lines that measure MATHS, BIG, DELIMITERS and the italic corrections, each to a MATHS line of the log
    (naming what it measures by its place in its list: '%' or '{' would not survive \typeout)."""
    lines = []
    box = r"\setbox\probe\hbox{{${}$}}\typeout{{MATHS {} {} \the\wd\probe}}"
    for style, style_command in STYLES.items():
        lines += [box.format(f"{style_command}\\{name}", style, k) for k, name in enumerate(MATHS)]
    lines += [box.format(f"\\displaystyle\\{name}", "display", k) for k, name in enumerate(BIG)]
    for k, delim in enumerate(DELIMITERS):
        sizes = [delim, *(rf"\{size}{delim}" for size in ("big", "Big", "bigg", "Bigg")),
                 rf"\left{delim}\vrule height 40pt depth 40pt width 0pt\right.\kern-\nulldelimiterspace"]
        lines += [box.format(latex, f"delimiter{n}", k) for n, latex in enumerate(sizes)]
    ic = r"\typeout{{MATHS italic {} \the\fontcharic\textfont1 {}}}"
    lines += [ic.format(k, f"`{ch}") for k, ch in enumerate(LATIN)]
    lines += [ic.format(len(LATIN) + k, rf"\numexpr\{name}-256\relax") for k, name in enumerate(GREEK_NAMES)]
    return lines


def maths_table() -> dict:
    """MATHS lines of the svg setup's log: {style: {command: width}}, {"display": ...}, {delimiter: six widths},
    {"italic": {letter or Greek name: correction}}, all in pt."""
    head, _ = SETUPS["svg"]
    source = "\n".join([head, r"\newbox\probe", r"\begin{document}", *maths_probes(), r"\end{document}"])
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.tex").write_text(source, encoding="utf-8")
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "m.tex"], cwd=tmp,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "max_print_line": "10000"})
        log = (Path(tmp) / "m.log").read_text(encoding="latin-1")
    found = re.findall(r"MATHS (\w+) (\d+) (-?[\d.]+)pt", log)
    if not found:
        raise SystemExit(proc.stdout[-3000:])
    out: dict = {}
    names = {"display": BIG, "italic": [*LATIN, *GREEK_NAMES], **{style: MATHS for style in STYLES}}
    for group, key, pt in found:
        if group.startswith("delimiter"):
            out.setdefault("delimiters", {}).setdefault(DELIMITERS[int(key)], []).append(round(float(pt), 3))
        else:
            out.setdefault(group, {})[names[group][int(key)]] = round(float(pt), 3)
    return out


def maths_lines() -> list[str]:
    """font_widths.py's MATHS table, for measure.py."""
    table = maths_table()
    lines = ["", "# For derive/formats/measure.py (10 pt, pt): maths commands by style, the big operators in display",
             "# style, each delimiter's six sizes (normal, \\big ... \\Bigg, built from pieces), cmmi10's italic",
             "# corrections.", "MATHS = {"]
    for group in ("text", "script", "scriptscript", "display", "italic"):
        lines.append(f"    {group!r}: {table[group]!r},")
    lines.append(f"    'delimiters': {{{', '.join(f'{k!r}: {tuple(v)!r}' for k, v in table['delimiters'].items())}}},")
    return lines + ["}"]


def measure(setup: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.tex").write_text(document(setup), encoding="utf-8")
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "m.tex"], cwd=tmp,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "max_print_line": "10000"})
        log = (Path(tmp) / "m.log").read_text(encoding="latin-1")
    if "WIDTH" not in log:
        raise SystemExit(proc.stdout[-3000:])
    out: dict = {}
    for size, style, cls, code, pt, ht, dp in re.findall(
            r"WIDTH (\w+) (\w+) (\w+) (\w+) ([\d.]+)pt ([\d.]+)pt ([\d.]+)pt", log):
        if style == "em":
            out[(size, "em")] = float(pt)
            continue
        out.setdefault((size, style, cls), {})[chr(int(code))] = round(float(pt), 3)
        if style == "text":
            out.setdefault((size, "shape", cls), {})[chr(int(code))] = (round(float(ht), 3), round(float(dp), 3))
    return out


def main() -> None:
    tables = {setup: measure(setup) for setup in SETUPS}
    lines = ['"""The width (pt) of each character a figure label uses, as pdflatex sets it: generated by',
             'tests/fonts/make.py from pdflatex\'s own measurements (do not edit). WIDTHS[setup][size][style][class]',
             "maps a character to its width; SHAPES[setup][size][class] to its height and depth in text style;",
             "EM[setup][size] is the width of an M in the size's text font.\"\"\"", "",
             "EM = {"]
    for setup, table in tables.items():
        ems = {k[0]: v for k, v in table.items() if k[1:] == ("em",)}
        lines.append(f"    {setup!r}: {ems!r},")
    lines += ["}", "", "WIDTHS = {"]
    for setup, table in tables.items():
        lines.append(f"    {setup!r}: {{")
        for size in SETUPS[setup][1]:
            lines.append(f"        {size!r}: {{")
            for style in STYLES:
                classes_here = [k for k in table if len(k) == 3 and k[0] == size and k[1] == style]
                if not classes_here:
                    continue
                lines.append(f"            {style!r}: {{")
                for key in classes_here:
                    chars = "".join(table[key])
                    widths = ", ".join(f"{w:g}" for w in table[key].values())
                    lines.append(f"                {key[2]!r}: dict(zip({chars!r}, ({widths},))),")
                lines.append("            },")
            lines.append("        },")
        lines.append("    },")
    lines += ["}", "", "SHAPES = {"]
    for setup, table in tables.items():
        lines.append(f"    {setup!r}: {{")
        for size in SETUPS[setup][1]:
            lines.append(f"        {size!r}: {{")
            for key in [k for k in table if len(k) == 3 and k[0] == size and k[1] == "shape"]:
                chars = "".join(table[key])
                shapes = ", ".join(f"({h:g}, {d:g})" for h, d in table[key].values())
                lines.append(f"            {key[2]!r}: dict(zip({chars!r}, ({shapes},))),")
            lines.append("        },")
        lines.append("    },")
    lines.append("}")
    lines += maths_lines()
    (ROOT / "derive" / "formats" / "font_widths.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

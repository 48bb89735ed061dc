"""Write the golden outputs: every text format of the key (and the LaTeX problem sheet) for the
bundled HW5 set, a rich spec of each kind and a course of 50 HW5-style problems with varied numbers
(specs/course50.toml, written by ``course`` below). Run it only when an output is meant to change:
``python tests/golden/make.py``; tests/test_golden.py compares against these files."""

from __future__ import annotations

import json
from pathlib import Path

import derive

HERE = Path(__file__).resolve().parent
COURSE = HERE / "specs" / "course50.toml"
ACTIVATIONS = ["tanh", "sigmoid", "relu", r"\frac{\exp(z)}{1 + \exp(z)}", "softplus"]


def course(n: int = 50) -> str:
    """n HW5-style problems with varied numbers: a recurrent unit's derivative and stability, a small CNN's
    parameters, shapes, receptive field and padding, a 1D convolution's matrix and gradient (the set of
    bench/scale.py)."""
    out = ['title = "A course: 50 problems with varied numbers"']
    for k in range(n):
        if k % 3 == 0:
            out += ["[[problem]]", 'kind = "rnn-activation"', f"W_a = {0.3 + (k % 7) / 5}", f"b = {(k % 5 - 2) / 10}",
                    "[[problem.part]]", f"activation = '{ACTIVATIONS[k % len(ACTIVATIONS)]}'",
                    'ask = ["derivative", "stability"]']
        elif k % 3 == 1:
            out += ["[[problem]]", 'kind = "cnn-dims"', f"input = [{32 + k}, {32 + k}, 3]",
                    f'layers = [{{ type = "conv", filters = {8 + k}, kernel = 3, padding = 1 }}, {{ type = "maxpool", '
                    f'kernel = 2 }}, {{ type = "conv", filters = 16, kernel = {3 + 2 * (k % 2)}, stride = 2 }}]',
                    "[[problem.part]]", 'ask = ["params", "shapes", "receptive-field", "same-padding"]']
        else:
            n_in = 5 + k % 4
            out += ["[[problem]]", 'kind = "conv1d-matrix"', f"length = {n_in}", "width = 3", "[[problem.part]]",
                    'ask = ["matrix", "gradient"]', 'wrt = "f2"', "signs = " + json.dumps((["+", "-"] * n_in)[:n_in - 2])]
    return "\n".join(out) + "\n"


SPECS = {"hw5": None, **{p.stem: p for p in sorted((HERE / "specs").glob("*.toml"))}}
FORMATS = {"latex": ".tex", "beamer": "-slides.tex", "markdown": ".md", "html": ".html", "json": ".json"}


def outputs(name: str) -> dict[str, str]:
    """File name -> text, for one spec."""
    doc = derive.solve(derive.load(SPECS[name]))
    files = {f"{name}-solutions{ext}": derive.render(doc, fmt) for fmt, ext in FORMATS.items()}
    files[f"{name}-problems.tex"] = derive.render(doc, "latex", sheet="problems")
    return files


def main() -> None:
    COURSE.write_text(course(), encoding="utf-8")
    SPECS.setdefault(COURSE.stem, COURSE)
    out = HERE / "expected"
    out.mkdir(exist_ok=True)
    for name in SPECS:
        for file, text in outputs(name).items():
            (out / file).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

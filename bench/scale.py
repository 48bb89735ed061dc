"""Benchmark: derive at the scale of a course, each work as a cold process, as a ratio to a bare
`python -c "import sympy"` measured in the same run (interleaved, so load drifts hit both).

| work | goal |
|---|---|
| 50 HW5-style problems with varied numbers, json | <= 4x |
| 2000-layer CNN, json | <= 3x |
| conv1d length 128 (the longest shown in full) and 1000 (its limit, F from the band), all four asks, json | <= 2.5x |
| 10-unit RNN, derivative and stability | <= 2.5x |
| HW5 --format pdf / --format latex | <= 1.6x |
| 8 formats of one key, one process | <= 1.5x one format (latex) |

Every run derives afresh (DERIVE_NO_CACHE=1), its questions shared among one process a core (derive.parallel;
two lines run the same with DERIVE_JOBS=1, for comparison); one more line times the 50 problems read back from the cache of
derived questions (a run over the set with nothing changed), against the same floor; two more time the PDFs
with the cache on but emptied of derived questions before each run, so that only the LaTeX preamble's
format is read from it (a spec edited, the templates not: derive.texformat).

Run: .venv/bin/python bench/scale.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hw5 import cold  # noqa: E402

ACTIVATIONS = ["tanh", "sigmoid", "relu", r"\frac{\exp(z)}{1 + \exp(z)}", "softplus"]


def course(n: int) -> str:
    """n HW5-style problems with varied numbers."""
    out = ['title = "A course"']
    for k in range(n):
        kind = k % 3
        if kind == 0:
            out += ["[[problem]]", 'kind = "rnn-activation"', f"W_a = {0.3 + (k % 7) / 5}", f"b = {(k % 5 - 2) / 10}",
                    "[[problem.part]]", f"activation = '{ACTIVATIONS[k % len(ACTIVATIONS)]}'",
                    'ask = ["derivative", "stability"]']
        elif kind == 1:
            out += ["[[problem]]", 'kind = "cnn-dims"', f"input = [{32 + k}, {32 + k}, 3]",
                    f'layers = [{{ type = "conv", filters = {8 + k}, kernel = 3, padding = 1 }}, {{ type = "maxpool", '
                    f'kernel = 2 }}, {{ type = "conv", filters = 16, kernel = {3 + 2 * (k % 2)}, stride = 2 }}]',
                    "[[problem.part]]", 'ask = ["params", "shapes", "receptive-field", "same-padding"]']
        else:
            n_in = 5 + k % 4
            out += ["[[problem]]", 'kind = "conv1d-matrix"', f"length = {n_in}", "width = 3", "[[problem.part]]",
                    'ask = ["matrix", "gradient"]', 'wrt = "f2"', "signs = " + json.dumps((["+", "-"] * n_in)[:n_in - 2])]
    return "\n".join(out) + "\n"


def deep_cnn(layers: int) -> str:
    stack = ", ".join(['{ type = "conv", filters = 8, kernel = 3, padding = 1 }'] * layers)
    return (f'title = "deep"\n[[problem]]\nkind = "cnn-dims"\ninput = [64, 64, 3]\nlayers = [{stack}]\n'
            '[[problem.part]]\nask = ["params", "shapes"]\n')


def long_conv1d(length: int) -> str:
    signs = json.dumps((["+", "-", "+"] * length)[:length - 2])
    return (f'title = "long"\n[[problem]]\nkind = "conv1d-matrix"\nlength = {length}\nwidth = 3\n[[problem.part]]\n'
            f'ask = ["matrix", "gradient", "jacobian", "input-gradient"]\nwrt = "f1"\nsigns = {signs}\n')


def units(n: int) -> str:
    rows = [[0.5 if i == j else (0.05 if (i + j) % 2 else -0.04) for j in range(n)] for i in range(n)]
    return (f'title = "units"\n[[problem]]\nkind = "rnn-activation"\nactivation = "tanh"\nW_a = {json.dumps(rows)}\n'
            f'a0 = {json.dumps([0.1 * (k % 3) for k in range(n)])}\n[[problem.part]]\nask = ["derivative", "stability"]\n')


def works(tmp: str) -> list[tuple[str, list[str], float]]:
    """(label, command, goal ratio)."""
    files = {"course.toml": course(50), "deep.toml": deep_cnn(2000), "long.toml": long_conv1d(128),
             "long1000.toml": long_conv1d(1000),
             "units.toml": units(10)}
    for name, text in files.items():
        Path(tmp, name).write_text(text)
    d = [sys.executable, "-m", "derive", "solutions"]
    every = "latex,pdf,json,markdown,html,beamer,beamer-pdf"
    cached = ["env", "-u", "DERIVE_NO_CACHE", f"XDG_CACHE_HOME={Path(tmp, 'cache')}"] + d
    tex = ["env", "-u", "DERIVE_NO_CACHE", f"XDG_CACHE_HOME={Path(tmp, TEX_CACHE)}"] + d
    serial = ["env", "DERIVE_JOBS=1"] + d
    return [("50 problems, json", d + ["course.toml", "-f", "json", "-o", "c.json"], 4.0),
            ("50 problems, json, one process", serial + ["course.toml", "-f", "json", "-o", "c1.json"], 0),
            ("50 problems, json, from cache", cached + ["course.toml", "-f", "json", "-o", "cc.json"], 4.0),
            ("2000-layer CNN, json", d + ["deep.toml", "-f", "json", "-o", "d.json"], 3.0),
            ("conv1d length 128, four asks", d + ["long.toml", "-f", "json", "-o", "l.json"], 2.5),
            ("conv1d length 1000, four asks", d + ["long1000.toml", "-f", "json", "-o", "l1000.json"], 2.5),
            ("10-unit RNN, both asks", d + ["units.toml", "-f", "json", "-o", "u.json"], 2.5),
            ("HW5 --format latex", d + ["-f", "latex", "-o", "h.tex"], 1.6),
            ("HW5 --format latex, one process", serial + ["-f", "latex", "-o", "h1.tex"], 0),
            ("HW5 --format pdf", d + ["-f", "pdf", "-o", "h.pdf"], 1.6),
            ("HW5 --format pdf, TeX format", tex + ["-f", "pdf", "-o", "ht.pdf"], 1.6),
            ("HW5, 7 formats at once", d + ["-f", every, "-o", "all"], None),
            ("HW5, 7 formats, TeX format", tex + ["-f", every, "-o", "allt"], None)]


TEX_CACHE = "tex-cache"


def forget_derived(tmp: str) -> None:
    """The cache of the TeX-format lines without its derived questions (their formats stay)."""
    shutil.rmtree(Path(tmp, TEX_CACHE, "derive", "derived"), ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["DERIVE_NO_CACHE"] = "1"                               # measured runs derive afresh
    with tempfile.TemporaryDirectory() as tmp:
        floor_cmd = [sys.executable, "-c", "import sympy"]
        table = works(tmp)
        for _, cmd, _ in table:
            cold(cmd, tmp)                                              # warm the file cache
        floor, times = [], {label: [] for label, _, _ in table}
        for _ in range(args.runs):
            floor.append(cold(floor_cmd, tmp)[0])
            for label, cmd, _ in table:
                forget_derived(tmp)
                times[label].append(cold(cmd, tmp)[0])
    f = statistics.median(floor)
    print(f"import sympy (floor)   median {f:.3f} s over {args.runs} runs")
    one_format = statistics.median(times["HW5 --format latex"])
    for label, _, goal in table:
        t = statistics.median(times[label])
        if goal is None:
            ratio, goal, base = t / one_format, 1.5, "one format"
        else:
            ratio, base = t / f, "import sympy"
        verdict = f"(goal <= {goal}x): {'met' if ratio <= goal else 'NOT met'}" if goal else "(no goal: for comparison)"
        print(f"{label:32} {t:6.2f} s  {ratio:5.2f}x {base} {verdict}")


if __name__ == "__main__":
    main()

"""Benchmark: derive at the scale of a course, each work a cold process, timed fresh (nothing derived before)
and warm (everything read back from the cache), as ratios to a bare `python -c "import sympy"` measured in the
same run (interleaved, so that load drifts hit both).

| work | fresh goal |
|---|---|
| 50 HW5-style problems, json: wall / CPU | <= 3x / <= 5x `import sympy` |
| 10-unit RNN, json | <= 2x |
| 2000-layer CNN, json | <= 2x |
| conv1d length 200, json (four asks) | <= 1.3x (keep) |
| HW5 `-f pdf` / HW5 `-f latex`, TeX format warm | <= 1.35 |
| the same, TeX format cold (a machine's first run) | <= 1.7 |
| all seven formats in one run / `-f beamer-pdf` alone | <= 1.3, on busy cores too |
| default worker processes / `DERIVE_JOBS=1`, 50 problems on busy cores | <= 1.0 (never slower) |

Fresh runs derive every question: the json works run with DERIVE_NO_CACHE=1; the TeX works with the cache on
but emptied of derived questions before each run, so that only the LaTeX preamble's format is read from it (a
spec edited, the templates not: derive.texformat), and the cold line with the whole cache folder removed
before each run (the format dumped then). Warm runs read every question (and the format) from a cache filled
by an untimed run first. "Busy cores" lines run while one spinning process a core keeps the machine busy
(their floor is measured busy too). Children run with bytecode written and read, as an installed derive
is (PYTHONDONTWRITEBYTECODE is dropped).

Run: .venv/bin/python bench/scale.py [--runs N] [--no-busy] [--only TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hw5 import measure  # noqa: E402

ACTIVATIONS = ["tanh", "sigmoid", "relu", r"\frac{\exp(z)}{1 + \exp(z)}", "softplus"]
EVERY = "latex,pdf,json,markdown,html,beamer,beamer-pdf"


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


SPECS = {"course.toml": lambda: course(50), "deep.toml": lambda: deep_cnn(2000), "long.toml": lambda: long_conv1d(200),
         "units.toml": lambda: units(10)}


@dataclass(frozen=True)
class Work:
    """One timed command: ``args`` of `derive solutions`; ``tex``: fresh runs keep the TeX format ("warm") or
    start from no cache at all ("cold"), None: a json work, fresh with DERIVE_NO_CACHE=1; ``jobs``: DERIVE_JOBS."""
    label: str
    args: tuple[str, ...]
    tex: str | None = None
    jobs: str | None = None
    busy: bool = False


def works(busy: bool) -> list[Work]:
    quiet = [Work("50 problems, json", ("course.toml", "-f", "json")),
             Work("50 problems, json, one process", ("course.toml", "-f", "json"), jobs="1"),
             Work("10-unit RNN, json", ("units.toml", "-f", "json")),
             Work("2000-layer CNN, json", ("deep.toml", "-f", "json")),
             Work("conv1d length 200, json", ("long.toml", "-f", "json")),
             Work("HW5 -f latex", ("-f", "latex"), tex="warm"),
             Work("HW5 -f pdf", ("-f", "pdf"), tex="warm"),
             Work("HW5 -f pdf, TeX format cold", ("-f", "pdf"), tex="cold"),
             Work("HW5, 7 formats", ("-f", EVERY), tex="warm"),
             Work("HW5 -f beamer-pdf", ("-f", "beamer-pdf"), tex="warm")]
    loaded = [Work(f"{w.label}, busy cores", w.args, w.tex, w.jobs, True) for w in quiet
              if w.label.startswith("50 problems") or w.args[0] == "-f" and "cold" not in w.label]
    return quiet + (loaded if busy else [])


# The rows that compare two works: (what, numerator, denominator, goal).
PAIRS = [("HW5 pdf / latex", "HW5 -f pdf", "HW5 -f latex", 1.35),
         ("HW5 pdf / latex, TeX format cold", "HW5 -f pdf, TeX format cold", "HW5 -f latex", 1.7),
         ("7 formats / beamer-pdf alone", "HW5, 7 formats", "HW5 -f beamer-pdf", 1.3),
         ("HW5 pdf / latex, busy cores", "HW5 -f pdf, busy cores", "HW5 -f latex, busy cores", 1.35),
         ("7 formats / beamer-pdf, busy cores", "HW5, 7 formats, busy cores", "HW5 -f beamer-pdf, busy cores", 1.3),
         ("default processes / DERIVE_JOBS=1, quiet", "50 problems, json", "50 problems, json, one process", 1.0),
         ("default processes / DERIVE_JOBS=1, busy cores", "50 problems, json, busy cores",
          "50 problems, json, one process, busy cores", 1.0)]
GOALS = {"50 problems, json": (3.0, 5.0), "10-unit RNN, json": (2.0, None), "2000-layer CNN, json": (2.0, None),
         "conv1d length 200, json": (1.3, None)}


class Bench:
    """The folders and environments of one run: ``fresh`` and ``warm`` cache folders, the child environment."""

    def __init__(self, tmp: str):
        self.tmp = Path(tmp)
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "DERIVE_NO_CACHE",
                                                                      "DERIVE_JOBS", "XDG_CACHE_HOME")}
        for name, text in SPECS.items():
            (self.tmp / name).write_text(text())

    def command(self, w: Work, warm: bool) -> tuple[list[str], dict]:
        env = dict(self.env)
        if w.jobs:
            env["DERIVE_JOBS"] = w.jobs
        if warm:
            env["XDG_CACHE_HOME"] = str(self.tmp / "warm")
        elif w.tex is None:
            env["DERIVE_NO_CACHE"] = "1"
        else:
            env["XDG_CACHE_HOME"] = str(self.tmp / f"tex-{w.tex}")
            shutil.rmtree(self.tmp / f"tex-{w.tex}" / ("derive" if w.tex == "cold" else "derive/derived"),
                          ignore_errors=True)
        out = str(self.tmp / "out" / w.label.replace(" ", "_").replace(",", "").replace("/", "_")) + "/"
        return [sys.executable, "-m", "derive", "solutions", *w.args, "-o", out], env

    def time(self, w: Work, warm: bool) -> tuple[float, float]:
        cmd, env = self.command(w, warm)
        wall, cpu, _ = measure(cmd, str(self.tmp), env)
        return wall, cpu


class Spinners:
    """One busy process a core while in use (the machine as others keep it)."""

    def __enter__(self):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def _rounds(bench: Bench, table: list[Work], runs: int, busy: bool) -> tuple[dict, list]:
    """Each work's (wall, cpu) runs, fresh and warm, and the floor's, interleaved round by round."""
    times = {(w.label, warm): [] for w in table for warm in (False, True)}
    floor = []
    for _ in range(runs):
        floor.append(measure([sys.executable, "-c", "import sympy"], str(bench.tmp), bench.env)[:2])
        for w in table:
            if w.busy == busy:
                for warm in (False, True):
                    times[(w.label, warm)].append(bench.time(w, warm))
    return times, floor


def _median(pairs: list) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def _report(table: list[Work], times: dict, floors: dict, runs: int) -> None:
    for busy, (f_wall, f_cpu) in floors.items():
        print(f"import sympy (floor{', busy cores' if busy else ''})  wall {f_wall:.3f} s, CPU {f_cpu:.3f} s, "
              f"median of {runs}")
    print(f"\n{'work':46} {'fresh wall':>10} {'x':>6} {'CPU x':>6}  {'warm wall':>9} {'x':>6}  goal (fresh)")
    med = {}
    for w in table:
        f_wall, f_cpu = floors[w.busy]
        (wall, cpu), (warm, _) = _median(times[(w.label, False)]), _median(times[(w.label, True)])
        med[w.label] = wall
        goal = GOALS.get(w.label) if not w.busy else None
        verdict = ""
        if goal:
            ok = wall / f_wall <= goal[0] and (goal[1] is None or cpu / f_cpu <= goal[1])
            verdict = f"<= {goal[0]}x" + (f" / {goal[1]}x CPU" if goal[1] else "") + (": met" if ok else ": NOT met")
        print(f"{w.label:46} {wall:9.2f}s {wall / f_wall:5.2f}x {cpu / f_cpu:5.2f}x  {warm:8.2f}s "
              f"{warm / f_wall:5.2f}x  {verdict}")
    print()
    for what, num, den, goal in PAIRS:
        if num in med and den in med:
            ratio = med[num] / med[den]
            print(f"{what:46} {ratio:5.2f}  (goal <= {goal}): {'met' if ratio <= goal else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-busy", action="store_true", help="leave out the lines on busy cores")
    parser.add_argument("--only", metavar="TEXT", help="only the works whose label contains TEXT (e.g. HW5)")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "derive")], check=False)
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(tmp)
        table = [w for w in works(not args.no_busy) if args.only is None or args.only in w.label]
        for w in table:                          # the file cache warmed, the warm cache filled, the TeX format dumped
            if not w.busy:
                bench.time(w, warm=False), bench.time(w, warm=True)
        times, quiet = _rounds(bench, table, args.runs, busy=False)
        floors = {False: _median(quiet)}
        if not args.no_busy:
            with Spinners():
                loaded, busy = _rounds(bench, table, args.runs, busy=True)
            times.update({k: v for k, v in loaded.items() if v})
            floors[True] = _median(busy)
    _report(table, times, floors, args.runs)


if __name__ == "__main__":
    main()

"""Benchmark: per-student variants of HW5 (derive variants), each run a cold process, as a ratio to a bare
`python -c "import sympy"` measured in the same run (interleaved, so load drifts hit both).

| work | goal (issue 22) |
|---|---|
| 100 HW5 variants with distinct numbers, json | <= 12x |
| 20 students' key and sheet PDFs | <= 12x one `derive solutions -f pdf` of HW5 (with --pdf) |

The HW5 set is varied as an instructor would: the recurrent unit's weight and bias, the CNN's input, filters and
kernel, and the weight the 1D convolution's gradient is taken by. Every run derives afresh (DERIVE_NO_CACHE=1).

`--per-variant` measures what one more variant costs, in CPU seconds of one core (user + system, the TeX runs
included: steady on a busy machine), as the difference of two runs in one process (DERIVE_JOBS=1): the arithmetic
of docs/variants.md (how many students one machine makes within the command's budget).

Run: .venv/bin/python bench/variants.py [--runs N] [--pdf] [--per-variant]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hw5 import cold, measure  # noqa: E402

VARY = {
    1: '  [problem.vary]\n  W_a = { from = 0.5, to = 2, step = 0.25 }\n  b = [0, 0.5, -0.5]\n',
    2: '  [problem.vary]\n  input = [[128, 128, 3], [64, 64, 3], [96, 96, 1], [32, 32, 3]]\n'
       '  "layers[1].filters" = { from = 4, to = 16, step = 2 }\n  "layers[1].kernel" = [3, 5]\n',
    3: '  [problem.vary]\n  wrt = ["f1", "f2", "f3"]\n',
}


def hw5_varied() -> str:
    """The bundled HW5 set with a [problem.vary] table in each problem (before its first part)."""
    import derive.spec
    text = derive.spec.bundled_spec().read_text(encoding="utf-8") + '\n[variants]\nsalt = "bench"\n'
    out, number = [], 0
    for line in text.splitlines(keepends=True):
        if line.startswith("[[problem]]"):
            number += 1
            seen = False
        if line.strip() == "[[problem.part]]" and not seen:
            out.append(VARY[number])
            seen = True
        out.append(line)
    return "".join(out)


def roster(path: Path, count: int) -> Path:
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([("id",)] + [(f"s{k:03d}",) for k in range(count)])
    return path


def cpu(args: list[str], tmp: str, out: str) -> float:
    """CPU seconds of one derive variants run in one process (and its TeX runs)."""
    env = {**os.environ, "DERIVE_JOBS": "1", "DERIVE_TIME_LIMIT": "0"}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return measure([sys.executable, "-m", "derive", "variants", *args, "-o", os.path.join(tmp, out), "-q"], tmp)[1]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def per_variant(spec: Path, tmp: str) -> None:
    """One more variant's CPU seconds: JSON (a pool of 110 against one of 10), PDF key and sheet (12 students
    against 2, the book's share included; docs/variants.md turns them into the arithmetic of a class)."""
    small, large = cpu([str(spec), "--count", "10"], tmp, "a"), cpu([str(spec), "--count", "110"], tmp, "b")
    json_each = (large - small) / 100
    few, many = roster(Path(tmp) / "r2.csv", 2), roster(Path(tmp) / "r12.csv", 12)
    pdf_small = cpu([str(spec), "--roster", str(few), "-f", "pdf,json"], tmp, "c")
    pdf_large = cpu([str(spec), "--roster", str(many), "-f", "pdf,json"], tmp, "d")
    pdf_each = (pdf_large - pdf_small) / 10
    print(f"one more HW5 variant, json:              {json_each:.3f} CPU s (10 variants: {small:.2f} s in all)")
    print(f"one more student's PDF key, sheet, json: {pdf_each:.3f} CPU s (2 students: {pdf_small:.2f} s in all)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="also 20 students' PDFs against one HW5 PDF")
    parser.add_argument("--per-variant", action="store_true", help="only the CPU seconds of one more variant")
    args = parser.parse_args()
    if args.per_variant:
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "hw5v.toml"
            spec.write_text(hw5_varied(), encoding="utf-8")
            per_variant(spec, tmp)
        return
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "hw5v.toml"
        spec.write_text(hw5_varied(), encoding="utf-8")
        floor_cmd = [py, "-c", "import sympy"]
        json_cmd = [py, "-m", "derive", "variants", str(spec), "--count", "100", "-f", "json", "-o",
                    os.path.join(tmp, "v"), "-q"]
        cold(floor_cmd, tmp), cold(json_cmd, tmp)
        floor, runs = [], []
        for _ in range(args.runs):
            floor.append(cold(floor_cmd, tmp)[0])
            runs.append(cold(json_cmd, tmp)[0])
        f, k = statistics.median(floor), statistics.median(runs)
        print(f"import sympy (floor)        median {f:.3f} s over {args.runs} runs")
        print(f"100 HW5 variants, json      median {k:.3f} s: {k / f:.1f}x the floor (goal <= 12x)")
        if args.pdf:
            students = roster(Path(tmp) / "class.csv", 20)
            one = cold([py, "-m", "derive", "solutions", "-f", "pdf", "-o", os.path.join(tmp, "one.pdf")], tmp)[0]
            many = cold([py, "-m", "derive", "variants", str(spec), "--roster", str(students), "-f", "pdf", "-o",
                         os.path.join(tmp, "p"), "-q"], tmp)[0]
            print(f"one HW5 PDF {one:.2f} s; 20 students' PDFs and the book {many:.2f} s: {many / one:.1f}x (goal <= 12x)")


if __name__ == "__main__":
    main()

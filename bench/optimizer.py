"""Benchmark: long optimiser runs, 10,000 steps on a two-parameter loss (Adam under a cosine schedule, SGD with
Nesterov momentum under OneCycleLR), derived and checked as a cold process (`derive solutions -f json`: the first
3 steps derived, the rest computed to 50 digits, every step in the JSON).

Target: under 3 s wall time (median) each.
Run: .venv/bin/python bench/optimizer.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

from hw5 import cold

TARGET_S = 3.0
SPECS = {
    "Adam, CosineAnnealingLR": '''title = "bench"
[[problem]]
kind = "optimizer"
optimizer = "adam"
lr = 0.01
w0 = [1, 2]
loss = "(w1 - 3)^2 + 10 w2^2 + w1 w2"
steps = 10000
scheduler = { type = "CosineAnnealingLR", T_max = 10000 }
  [[problem.part]]
  ask = "updates"
''',
    "SGD Nesterov, OneCycleLR": '''title = "bench"
[[problem]]
kind = "optimizer"
optimizer = "sgd"
momentum = 0.9
nesterov = true
w0 = [1, 2]
loss = "(w1 - 3)^2 + 10 w2^2 + w1 w2"
steps = 10000
scheduler = { type = "OneCycleLR", max_lr = 0.05, total_steps = 10000 }
  [[problem.part]]
  ask = "updates"
''',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in SPECS.items():
            spec = os.path.join(tmp, "optimizer.toml")
            with open(spec, "w", encoding="utf-8") as fh:
                fh.write(text)
            cmd = [sys.executable, "-m", "derive", "solutions", spec, "--format", "json", "-o",
                   os.path.join(tmp, "k.json")]
            cold(cmd, tmp)                                              # warm the file cache
            runs = [cold(cmd, tmp) for _ in range(args.runs)]
            t = statistics.median(r[0] for r in runs)
            mem = max(r[1] for r in runs)
            print(f"derive 10,000 steps, {name:26}  median {t:.3f} s over {args.runs} runs, peak RSS {mem:.0f} MiB"
                  f"  (target < {TARGET_S} s: {'met' if t < TARGET_S else 'NOT met'})")


if __name__ == "__main__":
    main()

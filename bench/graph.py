"""Benchmark: backpropagation through a two-layer MLP (4-8-3, ReLU, softmax cross-entropy) as a cold process.

The spec (every gradient: x, W1, b1, W2, b2, each step CAS-checked) is written to a temporary folder and
derived by a fresh `python -m derive solutions SPEC -f json`, several times, interleaved with a bare
`python -c "import sympy"` (the floor every derive process pays).
Target: the cold derive process under 1 s (median).
Run: .venv/bin/python bench/graph.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hw5 import measure as cold  # noqa: E402


TARGET_SECONDS = 1.0
SPEC = '''title = "MLP"
[[problem]]
kind = "graph"
title = "A 4-8-3 MLP with softmax cross-entropy"
given = { x = [1, -2, 0.5, 3], y = 2, b1 = [0.1, 0, -0.1, 0, 0.1, 0, -0.1, 0], b2 = [0, 0.1, -0.1], W1 = [
  [0.1, -0.2, 0.3, 0.1], [0.2, 0.1, -0.1, 0.0], [-0.3, 0.2, 0.1, 0.2], [0.1, 0.1, 0.1, 0.1],
  [0.0, -0.1, 0.2, -0.2], [0.3, 0.0, -0.2, 0.1], [-0.1, 0.2, 0.0, 0.3], [0.2, -0.3, 0.1, 0.0]], W2 = [
  [0.1, -0.1, 0.2, 0.0, 0.1, -0.2, 0.1, 0.3], [0.2, 0.1, 0.0, -0.1, 0.2, 0.1, -0.3, 0.0],
  [-0.1, 0.2, 0.1, 0.1, 0.0, 0.2, 0.1, -0.1]] }
forward = ["z1 = W1 @ x + b1", "h = relu(z1)", "z2 = W2 @ h + b2", "L = cross_entropy(z2, y)"]
  [[problem.part]]
  ask = ["forward", "gradient"]
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "mlp.toml")
        with open(spec, "w", encoding="utf-8") as f:
            f.write(SPEC)
        floor_cmd = [py, "-c", "import sympy"]
        key_cmd = [py, "-m", "derive", "solutions", spec, "--format", "json", "-o", os.path.join(tmp, "mlp.json")]
        cold(floor_cmd, tmp), cold(key_cmd, tmp)                       # warm the file cache, not the processes
        floor, key, cpu, mem = [], [], [], []
        for _ in range(args.runs):
            floor.append(cold(floor_cmd, tmp)[0])
            t, u, m = cold(key_cmd, tmp)
            key.append(t)
            cpu.append(u)
            mem.append(m)
    f, k = statistics.median(floor), statistics.median(key)
    print(f"import sympy (floor)        median {f:.3f} s over {args.runs} runs")
    print(f"derive 4-8-3 MLP, JSON key  median {k:.3f} s wall, {statistics.median(cpu):.3f} s CPU, "
          f"peak RSS {max(mem):.0f} MiB")
    print(f"target < {TARGET_SECONDS} s: {'met' if k < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()

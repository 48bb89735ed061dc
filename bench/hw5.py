"""Benchmark: the HW5 LaTeX key as a cold process, against a bare `python -c "import sympy"`.

Target: at most 2x the import-sympy floor, peak memory under 150 MiB.
Run: .venv/bin/python bench/hw5.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 2.0
os.environ.setdefault("DERIVE_NO_CACHE", "1")    # every timed derive process derives afresh (the benches
                                                 # that import this module too), none reads the cache
TARGET_MIB = 150


def measure(cmd: list[str], cwd: str, env: dict | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, its worker processes' included: less sensitive to a busy
    machine) and peak resident MiB of one fresh process (in ``env``, else this one's environment)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def cold(cmd: list[str], cwd: str) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one fresh process."""
    wall, _, rss = measure(cmd, cwd)
    return wall, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        floor_cmd = [py, "-c", "import sympy"]
        key_cmd = [py, "-m", "derive", "solutions", "--format", "latex", "-o", os.path.join(tmp, "hw5.tex")]
        cold(floor_cmd, tmp), cold(key_cmd, tmp)                       # warm the file cache, not the processes
        floor, key, mem = [], [], []
        for _ in range(args.runs):                                      # interleaved, so load drifts hit both
            floor.append(cold(floor_cmd, tmp)[0])
            t, m = cold(key_cmd, tmp)
            key.append(t)
            mem.append(m)
    f, k = statistics.median(floor), statistics.median(key)
    ratio = k / f
    print(f"import sympy (floor)   median {f:.3f} s over {args.runs} runs")
    print(f"derive HW5 LaTeX key   median {k:.3f} s, peak RSS {max(mem):.0f} MiB")
    print(f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x): {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    print(f"memory {max(mem):.0f} MiB (target < {TARGET_MIB} MiB): {'met' if max(mem) < TARGET_MIB else 'NOT met'}")


if __name__ == "__main__":
    main()

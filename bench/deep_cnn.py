"""Benchmark: a 150-layer convolutional network, derived by derive and summarized by torchinfo.

The network (VGG-like: five stages of conv-batchnorm-ReLU blocks, max pooling after each stage,
then average pooling, flatten, dropout and a dense layer; 150 layers) is written as a spec in a temporary
folder. Two cold processes are timed, interleaved, several times each:

  derive     python -m derive solutions SPEC -f json   (params, total-params, shapes, same-padding,
             receptive-field, every step CAS-checked)
  torchinfo  python -c "build the same network in torch; torchinfo.summary(model, input_size)"

and, inside one derive process, the derivation alone (derive.solve, spec loaded). Targets: the
derivation under 1 s, and the derive process faster than the torchinfo one.
Run: .venv/bin/python bench/deep_cnn.py [--runs N]   (needs torch and torchinfo: the `bench` extra)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_SECONDS = 1.0
os.environ.setdefault("DERIVE_NO_CACHE", "1")   # every timed derive process derives afresh (network.py too)
STAGES = ((64, 10), (128, 10), (256, 10), (512, 9), (512, 8))   # (filters, conv-bn-relu blocks)
INPUT = (224, 224, 3)
CLASSES = 1000


def layers() -> list[dict]:
    """The network as spec layer tables: 5 stages of 3-layer blocks, a pool after each, and a head."""
    out = []
    for filters, blocks in STAGES:
        for _ in range(blocks):
            out += [{"type": "conv", "filters": filters, "kernel": 3, "padding": 1, "bias": False},
                    {"type": "batchnorm"}, {"type": "relu"}]
        out.append({"type": "maxpool", "kernel": 2})
    out += [{"type": "avgpool", "kernel": 7}, {"type": "flatten"}, {"type": "dropout", "rate": 0.5},
            {"type": "dense", "units": CLASSES}]
    return out


def _toml(value) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def spec() -> str:
    rows = ",\n  ".join(_toml(layer) for layer in layers())
    return (f'title = "A 150-layer CNN"\n[[problem]]\ntitle = "Deep CNN"\nkind = "cnn-dims"\n'
            f"input = {list(INPUT)}\nlayers = [\n  {rows}\n]\n"
            '  [[problem.part]]\n  ask = ["params", "total-params", "shapes", "same-padding", "receptive-field"]\n')


TORCH_SCRIPT = f"""
import torch
from torch import nn
import torchinfo
mods, c = [], {INPUT[2]}
for filters, blocks in {STAGES!r}:
    for _ in range(blocks):
        mods += [nn.Conv2d(c, filters, 3, padding=1, bias=False), nn.BatchNorm2d(filters), nn.ReLU()]
        c = filters
    mods.append(nn.MaxPool2d(2))
mods += [nn.AvgPool2d(7), nn.Flatten(), nn.Dropout(0.5), nn.Linear(c, {CLASSES})]
model = nn.Sequential(*mods)
assert len(mods) == {len(layers())}
torchinfo.summary(model, input_size=(1, {INPUT[2]}, {INPUT[0]}, {INPUT[1]}), depth=1, verbose=1)
"""

SOLVE_SCRIPT = """
import sys, time, derive
problem_set = derive.load(sys.argv[1])
start = time.perf_counter()
doc = derive.solve(problem_set)
print(time.perf_counter() - start)
"""


def run_measured(cmd: list[str], cwd: str) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak resident MiB and standard output of one fresh process."""
    out_path = os.path.join(cwd, ".stdout")
    with open(out_path, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{err[-2000:]}")
    with open(out_path, encoding="utf-8") as f:
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, f.read()


def run_timed(cmd: list[str], cwd: str) -> tuple[float, float, str]:
    """Wall seconds, peak resident MiB (of the child) and standard output of one fresh process."""
    wall, _, rss, out = run_measured(cmd, cwd)
    return wall, rss, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    n_layers = len(layers())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "deep.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(spec())
        derive_cmd = [py, "-m", "derive", "solutions", path, "-f", "json", "-o", os.path.join(tmp, "deep.json")]
        torch_cmd = [py, "-c", TORCH_SCRIPT]
        solve_cmd = [py, "-c", SOLVE_SCRIPT, path]
        run_timed(derive_cmd, tmp), run_timed(torch_cmd, tmp)        # warm the file cache, not the processes
        d_times, d_mem, t_times, t_mem, solve = [], [], [], [], []
        for _ in range(args.runs):                                    # interleaved, so load drifts hit both
            t, m, _ = run_timed(derive_cmd, tmp)
            d_times.append(t)
            d_mem.append(m)
            t, m, _ = run_timed(torch_cmd, tmp)
            t_times.append(t)
            t_mem.append(m)
            solve.append(float(run_timed(solve_cmd, tmp)[2].split()[-1]))
    d, t, s = statistics.median(d_times), statistics.median(t_times), statistics.median(solve)
    print(f"network: {n_layers} layers, input {INPUT[0]}x{INPUT[1]}x{INPUT[2]}; medians over {args.runs} cold runs")
    print(f"derive derivation alone (derive.solve)      {s:.3f} s   (target < {TARGET_SECONDS} s):"
          f" {'met' if s < TARGET_SECONDS else 'NOT met'}")
    print(f"derive process (python -m derive ... -f json) {d:.3f} s, peak RSS {max(d_mem):.0f} MiB")
    print(f"torch + torchinfo.summary process            {t:.3f} s, peak RSS {max(t_mem):.0f} MiB")
    print(f"ratio derive / torchinfo {d / t:.2f} (target < 1): {'met' if d < t else 'NOT met'};"
          f" torchinfo takes {t / d:.1f}x as long")


if __name__ == "__main__":
    main()

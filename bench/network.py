"""Benchmark: a 150-layer mixed network (1D convolutions, multi-head attention, LSTMs), derived by derive and
built and run in PyTorch.

The network (a sequence of LENGTH positions of FEATURES features; BLOCKS blocks of conv1d-ReLU-attention-
layernorm-bidirectional LSTM-layernorm, then a transformer encoder layer, global average pooling, flatten and
a two-layer head; 150 layers) is written as a spec in a temporary folder. Two cold processes are timed,
interleaved, several times each:

  derive  python -m derive solutions SPEC -f json   (params, total-params, shapes, macs, total-macs, every
          step CAS-checked, the summary table built)
  torch   python -c "build the same network in torch; sum(p.numel()); a forward pass under FlopCounterMode"
          (torchinfo is not installed here: model construction and a counted forward pass stand in for it)

and, inside one derive process, the derivation alone (derive.solve, spec loaded). The totals of both are
compared. Targets: the derive process under 1 s, and faster than the torch one.
Run: .venv/bin/python bench/network.py [--runs N]   (needs torch)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deep_cnn import SOLVE_SCRIPT, _toml, run_measured as run_timed  # noqa: E402

TARGET_SECONDS = 1.0
LENGTH, FEATURES, HEADS, HIDDEN, BLOCKS, CLASSES = 128, 64, 4, 32, 24, 10
ASKS = ["params", "total-params", "shapes", "macs", "total-macs"]


def layers() -> list[dict]:
    """The network as spec layer tables: BLOCKS blocks of 6 layers and a head of 6."""
    block = [{"type": "conv", "filters": FEATURES, "kernel": 3, "padding": 1}, {"type": "relu"},
             {"type": "attention", "heads": HEADS}, {"type": "layernorm"},
             {"type": "lstm", "hidden": HIDDEN, "bidirectional": True}, {"type": "layernorm"}]
    head = [{"type": "transformer-encoder", "heads": HEADS, "ff": 4 * FEATURES}, {"type": "global-avgpool"},
            {"type": "flatten"}, {"type": "dense", "units": 256}, {"type": "relu"}, {"type": "dense", "units": CLASSES}]
    return block * BLOCKS + head


def spec() -> str:
    rows = ",\n  ".join(_toml(layer) for layer in layers())
    return (f'title = "A 150-layer mixed network"\n[[problem]]\ntitle = "Mixed"\nkind = "network"\n'
            f"input = [{LENGTH}, {FEATURES}]\nlayers = [\n  {rows}\n]\n"
            f"  [[problem.part]]\n  ask = {json.dumps(ASKS)}\n")


TORCH_SCRIPT = f"""
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention({FEATURES}, {HEADS}, batch_first=True)
    def forward(self, x):
        return self.mha(x, x, x, need_weights=False)[0]

class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM({FEATURES}, {HIDDEN}, batch_first=True, bidirectional=True)
    def forward(self, x):
        return self.lstm(x)[0]

class Conv(nn.Module):                      # a 1D convolution along the sequence (positions × features)
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d({FEATURES}, {FEATURES}, 3, padding=1)
    def forward(self, x):
        return self.conv(x.transpose(1, 2)).transpose(1, 2)

class Pool(nn.Module):
    def forward(self, x):
        return x.mean(dim=1)

mods = []
for _ in range({BLOCKS}):
    mods += [Conv(), nn.ReLU(), Attention(), nn.LayerNorm({FEATURES}), Lstm(), nn.LayerNorm({FEATURES})]
mods += [nn.TransformerEncoderLayer({FEATURES}, {HEADS}, {4 * FEATURES}, batch_first=True), Pool(), nn.Flatten(),
         nn.Linear({FEATURES}, 256), nn.ReLU(), nn.Linear(256, {CLASSES})]
assert len(mods) == {len(layers())}
model = nn.Sequential(*mods)          # train mode: the eval fast paths of attention are not counted
params = sum(p.numel() for p in model.parameters())
with torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH), torch.no_grad():
    with FlopCounterMode(display=False) as counter:
        out = model(torch.randn(1, {LENGTH}, {FEATURES}))
print(params, counter.get_total_flops() // 2, list(out.shape))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        path, out = os.path.join(tmp, "mixed.toml"), os.path.join(tmp, "mixed.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(spec())
        derive_cmd = [py, "-m", "derive", "solutions", path, "-f", "json", "-o", out]
        torch_cmd = [py, "-c", TORCH_SCRIPT]
        solve_cmd = [py, "-c", SOLVE_SCRIPT, path]
        run_timed(derive_cmd, tmp)                                    # warm the file cache, not the processes
        torch_says = run_timed(torch_cmd, tmp)[3].split()
        with open(out, encoding="utf-8") as f:
            values = {p["ask"]: p["answer"]["value"] for p in json.load(f)["parts"]}
        floor_cmd = [py, "-c", "import sympy"]
        runs = {"derive": [], "torch": [], "floor": []}
        solve = []
        for _ in range(args.runs):                                    # interleaved, so load drifts hit all
            for name, cmd in (("derive", derive_cmd), ("torch", torch_cmd), ("floor", floor_cmd)):
                runs[name].append(run_timed(cmd, tmp)[:3])
            solve.append(float(run_timed(solve_cmd, tmp)[3].split()[-1]))
    agree = (int(torch_says[0]) == values["total-params"]["total"] and int(torch_says[1]) == values["total-macs"])
    (d, d_cpu, d_mem), (t, t_cpu, t_mem), (f, f_cpu, _) = (
        tuple(statistics.median(r[i] for r in runs[name]) for i in range(3)) for name in ("derive", "torch", "floor"))
    s = statistics.median(solve)
    print(f"network: {len(layers())} layers (conv1d, attention, LSTM), input {LENGTH} x {FEATURES};"
          f" medians over {args.runs} cold runs")
    print(f"totals: derive {values['total-params']['total']} parameters, {values['total-macs']} MACs;"
          f" torch {torch_says[0]}, {torch_says[1]}: {'agree' if agree else 'DISAGREE'}")
    print(f"derive derivation alone (derive.solve)       {s:.3f} s")
    print(f"derive process (python -m derive ... -f json) {d:.3f} s wall, {d_cpu:.3f} s CPU, peak RSS {d_mem:.0f} MiB"
          f"   (target < {TARGET_SECONDS} s): {'met' if d < TARGET_SECONDS else 'NOT met'}")
    print(f"python -c 'import sympy' alone (the floor)    {f:.3f} s wall, {f_cpu:.3f} s CPU")
    print(f"torch build + FlopCounterMode forward process {t:.3f} s wall, {t_cpu:.3f} s CPU, peak RSS {t_mem:.0f} MiB")
    print(f"ratio derive / torch {d / t:.2f} (target < 1): {'met' if d < t else 'NOT met'}")


if __name__ == "__main__":
    main()

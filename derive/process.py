"""The process derive runs in: the console script's (derive.launch), which ends when its command does, or a
library caller's, which may live long and free what it loaded."""

from __future__ import annotations

import gc

ONE_SHOT = False        # the process is the console script's: it ends when the command does
CPU_AT_START = None     # (idle, total) clock ticks of the machine's cores when the console script started


def cpu_times() -> tuple[int, int] | None:
    """(idle, total) clock ticks of every core since boot, from Linux's /proc/stat (None elsewhere): two readings
    tell how much of the machine was idle in between (derive.parallel decides its processes by it)."""
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
        ticks = [int(v) for v in fields[1:9]]          # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    if fields[:1] != [b"cpu"] or len(ticks) < 5:
        return None
    return ticks[3] + ticks[4], sum(ticks)


def settle() -> None:
    """In the console script, once SymPy, the kinds and the spec are loaded: what exists now lives until the
    process ends, so the cyclic collector stops scanning it (gc.freeze); a collection then walks only what
    deriving makes. A library caller's process is left alone (it may live long, and free what it loaded)."""
    if ONE_SHOT:
        gc.freeze()

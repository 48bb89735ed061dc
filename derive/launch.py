"""The console script's entry point: signals are handled from the first moment, before anything heavy
is imported, so that Ctrl-C or a SIGTERM at any time ends derive with one line (no traceback), after
the clean-up of whatever it was doing (temporary folders removed, TeX processes ended)."""

from __future__ import annotations

import gc
import os
import signal
import sys

EXIT_INTERRUPTED = 130
GC_YOUNG = 50_000       # allocations between the young generation's collections (Python's default: 700)
ONE_SHOT = False        # the process is the console script's: it ends when the command does
CPU_AT_START = None     # (idle, total) clock ticks of the machine's cores when the console script started


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGINT: unwinds like Ctrl-C, so that every `finally` and `with` cleans up."""


def _stop(signum, frame):
    raise Stopped(signum)


def run() -> None:
    """Run the CLI; then leave without the interpreter's teardown.

    Tearing down SymPy's caches at exit takes about as long as deriving the HW5 key; every file is
    already closed, so after flushing the standard streams it is skipped.
    """
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    global ONE_SHOT, CPU_AT_START
    ONE_SHOT = True
    CPU_AT_START = cpu_times()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    try:
        from .cli import main
        from .limits import cap_memory, command_time_limit
        cap_memory()
        code = main(time_limit=command_time_limit())
    except KeyboardInterrupt:
        code = _interrupted()
    _leave(code)


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


def _interrupted() -> int:
    try:
        sys.stderr.write("derive: interrupted\n")
    except OSError:
        pass
    return EXIT_INTERRUPTED


def _leave(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)

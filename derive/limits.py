"""Budgets no input can exceed: a time limit on the whole command and on user templates, and a cap
on memory. A runaway ends in one line and exit status 1, not a hang."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from .errors import DeriveError

TIME_LIMIT = 300                 # seconds for a whole command (the HW5 key with its PDF takes about 2)
TEMPLATE_TIME_LIMIT = 20         # seconds for rendering templates (the built-in ones take milliseconds)
MEMORY_LIMIT = 1 << 30           # bytes of address space (the HW5 key peaks near 100 MiB, a 2000-layer CNN 200)


class OutOfTime(DeriveError):
    """A budget of time ran out."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str):
    """Raise OutOfTime if the body runs longer than ``seconds`` (main thread only; elsewhere no limit).
    Nested limits keep the outer one's deadline when it is sooner."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_left and outer_left < seconds:
        yield
        return

    def expire(signum, frame):
        raise OutOfTime(f"{what} took longer than {seconds:g} s; derive gave up")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - seconds, 0.001))


def cap_memory(limit: int = MEMORY_LIMIT) -> None:
    """Cap this process's address space, so that a runaway raises MemoryError instead of swapping."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard),
                                                    hard))
    except (ImportError, ValueError, OSError):
        pass


def command_time_limit() -> float:
    """The whole command's budget: DERIVE_TIME_LIMIT seconds if set (0: none), else TIME_LIMIT."""
    try:
        return float(os.environ.get("DERIVE_TIME_LIMIT", TIME_LIMIT))
    except ValueError:
        return TIME_LIMIT

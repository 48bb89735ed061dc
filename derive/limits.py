"""Budgets no input can exceed: a time limit on the whole command, on each question and on user templates,
and a cap on memory. A runaway ends in one line, not a hang: exit status 1 for the command, and a question
over its budget is refused by name (exit status 2) while the others are answered and written."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

from .errors import DeriveError

TIME_LIMIT = 300                 # seconds for a whole command (the HW5 key with its PDF takes about 2)
QUESTION_TIME_LIMIT = 20         # seconds for deriving and checking one question (the slowest built-in: ~1 s)
TEMPLATE_TIME_LIMIT = 20         # seconds for rendering templates (the built-in ones take milliseconds)
MEMORY_LIMIT = 1 << 30           # bytes of address space (the HW5 key peaks near 100 MiB, a 2000-layer CNN 200)


class OutOfTime(DeriveError):
    """A budget of time ran out."""


class QuestionOutOfTime(OutOfTime):
    """One question's budget ran out: that question is refused, the others go on."""

    exit_code = 2


@contextlib.contextmanager
def time_limit(seconds: float, what: str, error: type[OutOfTime] = OutOfTime):
    """Raise ``error`` if the body runs longer than ``seconds`` (main thread only; elsewhere no limit).
    Nested limits keep the outer one's deadline when it is sooner; the outer one's clock keeps running
    while the inner one is in force (it is set again to what is left of it)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_left and outer_left < seconds:
        yield
        return

    def expire(signum, frame):
        raise error(f"{what} took longer than {seconds:g} s; derive gave up")

    started = time.monotonic()
    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 0.001))


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


def _seconds(variable: str, default: float) -> float:
    """Seconds from the environment variable if it holds a number that is not negative, else the default
    (infinity: 0, no limit)."""
    try:
        seconds = float(os.environ.get(variable, default))
    except ValueError:
        return default
    if seconds == float("inf"):
        return 0
    return seconds if seconds >= 0 and seconds == seconds else default


def command_time_limit() -> float:
    """The whole command's budget: DERIVE_TIME_LIMIT seconds if set (0: none), else TIME_LIMIT."""
    return _seconds("DERIVE_TIME_LIMIT", TIME_LIMIT)


def question_time_limit() -> float:
    """One question's budget: DERIVE_QUESTION_TIME_LIMIT seconds if set (0: none), else QUESTION_TIME_LIMIT."""
    return _seconds("DERIVE_QUESTION_TIME_LIMIT", QUESTION_TIME_LIMIT)

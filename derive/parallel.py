"""Questions derived on several cores: forked workers share the work with the process that asked for it.

Deriving is pure computation on a question's own values, so after SymPy and the kinds are imported the
process forks: every worker (the parent included) takes the next question from a shared queue (a pipe
holding every index, read 4 bytes at a time), derives and checks it, and a forked worker hands the result
back as a pickle (derive.cache's: the symbols go with their written forms) in a file, announced on a pipe
and read back by the parent between its own questions.

The outcome is the serial one, errors included: a question a worker did not hand back (it failed, or the
worker died) is derived by the parent itself, in order, so the first failing question raises its own
error, as it would alone. A failure of the parent's own stops it taking work; the workers are ended and
the questions before it are derived in order first. Ctrl-C, SIGTERM and the command's time limit end the
workers too. A worker that is stopped (SIGSTOP), or that the parent has not heard from for longer than a question's
budget and a grace (stuck where no alarm reaches it), is ended, and the parent derives what it did not hand
back.

``DERIVE_JOBS`` sets how many processes derive (1: no worker). By default (``jobs``) a worker is started
only for a core that is free: the console script reads how much of the machine sat idle while it loaded
SymPy (its first second; Linux's /proc/stat), elsewhere the load average, and adds a process for each
core that was idle at least ``IDLE_ENOUGH`` of the time, at most ``MAX_JOBS`` in all (``chosen``). A
worker on a core someone else keeps busy makes the command slower, not faster: forking, handing the
results back and waiting for the last question cost more than the share of a busy core it wins. Fewer
than ``MIN_SHARED`` questions are derived in the one process: forking and handing the results back would
cost more than a worker saves (the HW5 key's ten questions take about 0.15 s in all).
"""

from __future__ import annotations

import gc
import os
import signal
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

from . import process
from .limits import OutOfTime

MAX_JOBS = 4
MIN_SHARED = 16                         # fewer questions than this are derived here: a worker would cost more
TOKEN = struct.Struct("<I")
RECORD = struct.Struct("<IQQ")          # question index, offset in the worker's file, length
MAX_QUEUE = 60_000 // TOKEN.size        # every index fits in the queue pipe's buffer at once
JOBS_ENV = "DERIVE_JOBS"
GRACE = 10.0                            # seconds past a question's budget before a silent worker is ended
POLL = 0.2                              # seconds between two looks at a worker the parent waits for
IDLE_ENOUGH = 0.75                      # a core idle this much of the time gets a worker
MIN_TICKS = 20                          # clock ticks of every core (0.1 s on two) a measure of idleness needs


def jobs() -> int:
    """How many processes derive: DERIVE_JOBS if it is a positive whole number, else this one and one for each
    usable core that is free (``chosen``, at most MAX_JOBS)."""
    given = os.environ.get(JOBS_ENV, "").strip()
    if given.isdigit() and int(given) > 0:
        return min(int(given), 64)
    cores = usable_cores()
    return chosen(cores, idle_cores(cores, process.CPU_AT_START, process.cpu_times(), _load()))


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def chosen(cores: int, idle: float) -> int:
    """The processes that pay on ``cores`` usable cores when ``idle`` cores' worth of time goes unused beside this
    process's own: one more for each core idle at least IDLE_ENOUGH of the time, at least 1, at most MAX_JOBS.
    chosen(2, 0.9) == 2; chosen(2, 0.3) == 1 (the other core is busy); chosen(8, 7.0) == MAX_JOBS."""
    extra = int(max(idle, 0.0) + 1 - IDLE_ENOUGH)
    return max(1, min(cores, MAX_JOBS, 1 + extra))


def idle_cores(cores: int, start: tuple[int, int] | None, now: tuple[int, int] | None, load: float | None) -> float:
    """Cores' worth of time idle beside this process: from two readings of (idle, total) clock ticks of the
    machine (``process.cpu_times``: the console script's start and now, while this process was busy loading, so
    its own core counts as used), else ``cores`` less this process and the load average's runnable
    processes (``load``; None: no measure, every other core counted free)."""
    if start is not None and now is not None and now[1] - start[1] >= MIN_TICKS:
        return cores * max(now[0] - start[0], 0) / (now[1] - start[1])
    return cores - 1 - (load or 0.0)


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


@dataclass
class _Worker:
    pid: int
    notes: int                       # read end of the pipe the worker announces its records on
    file: object                     # the temporary file it writes them to
    pending: bytes = b""
    open: bool = True
    heard: float = field(default_factory=time.monotonic)     # when the parent last read from it


@dataclass
class _Run:
    work: Callable
    pack: Callable
    unpack: Callable
    queue: int
    patience: float = 0                                # seconds of silence before a worker is ended (0: none)
    progress: Callable | None = None                   # progress(results so far), in the parent
    workers: list = field(default_factory=list)
    done: dict = field(default_factory=dict)           # index: result
    handed: dict = field(default_factory=dict)         # index: a worker's bytes, read back at the end


def run(count: int, work: Callable[[int], object], pack: Callable[[int, object], bytes],
        unpack: Callable[[list[tuple[int, bytes]]], list], processes: int, meanwhile: Callable | None = None,
        patience: float = 0, least: int | None = None, progress: Callable[[int], None] | None = None) -> list:
    """[work(0), ..., work(count - 1)], shared among ``processes`` processes (see the module's text).
    ``pack(i, result)`` turns a result into bytes in a worker, ``unpack([(i, bytes), ...])`` back in the parent,
    all at once (a None: not usable, the parent derives that question itself). ``meanwhile()`` runs in the
    parent once the workers are started, before it takes questions itself (first, when there are none).
    ``patience``: a question's budget in seconds (0: none); a worker silent for longer (plus GRACE) is ended.
    ``least``: fewer tasks than this are done here alone (MIN_SHARED by default). ``progress(n)`` is told, in the parent, how many results
    it holds so far (of the workers' and its own)."""
    processes = min(processes, count)
    least = MIN_SHARED if least is None else least
    if processes < 2 or count < least or count > MAX_QUEUE or not hasattr(os, "fork"):
        return _alone(count, work, meanwhile, progress)
    try:
        state = _Run(work, pack, unpack, _queue(count), patience + GRACE if patience > 0 else 0, progress)
    except OSError:                                   # no pipe to be had: derived here, one by one
        return _alone(count, work, meanwhile, progress)
    try:
        for _ in range(processes - 1):
            try:
                state.workers.append(_fork(state))
            except OSError:                           # no temporary file or no process to be had: fewer workers
                break
        if meanwhile is not None:
            meanwhile()
        failed = _share(state)
        _collect(state, block=failed is None)        # after a failure only what is announced already
        _end(state.workers)
        return _finish(state, count, failed)
    finally:
        _end(state.workers)
        os.close(state.queue)


def _alone(count: int, work: Callable, meanwhile: Callable | None, progress: Callable | None = None) -> list:
    if meanwhile is not None:
        meanwhile()
    out = []
    for i in range(count):
        out.append(work(i))
        if progress is not None:
            progress(i + 1)
    return out


def _queue(count: int) -> int:
    """A pipe holding every index, its write end closed: reading it never blocks, and at its end gives b''."""
    r, w = os.pipe()
    try:
        os.write(w, b"".join(TOKEN.pack(i) for i in range(count)))
    finally:
        os.close(w)
    return r


def _next(queue: int) -> int | None:
    token = os.read(queue, TOKEN.size)
    return TOKEN.unpack(token)[0] if len(token) == TOKEN.size else None


def _fork(state: _Run) -> _Worker:
    file = tempfile.TemporaryFile()
    try:
        notes_r, notes_w = os.pipe()
    except OSError:
        file.close()
        raise
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    frozen = gc.get_freeze_count() > 0          # the console script keeps its heap frozen (derive.process.settle)
    gc.freeze()                       # the heap as it is stays untouched by either side's collector (no copies)
    try:
        pid = os.fork()
    except OSError:
        for fd in (notes_r, notes_w):
            os.close(fd)
        file.close()
        if not frozen:
            gc.unfreeze()
        raise
    if pid == 0:                                                    # the worker: never returns
        os.close(notes_r)
        _serve(state, file.fileno(), notes_w)
    os.close(notes_w)
    if not frozen:
        gc.unfreeze()
    return _Worker(pid, notes_r, file)


def _serve(state: _Run, out: int, notes: int) -> None:
    """A worker's life: derive queued questions, write each result and announce it; leave at the queue's end
    or at the first failure (the parent derives that question again and raises its error)."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for w in state.workers:                                     # the other workers' pipes are not ours
            os.close(w.notes)
        offset = 0
        while (i := _next(state.queue)) is not None:
            data = state.pack(i, state.work(i))
            _write_all(out, data)
            _write_all(notes, RECORD.pack(i, offset, len(data)))
            offset += len(data)
        code = 0
    except BaseException:  # noqa: BLE001 - a worker says nothing: the parent derives what it did not hand back
        code = 1
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _share(state: _Run) -> tuple[int, BaseException] | None:
    """The parent's share: take and derive questions, reading the workers' results in between. Returns the
    index and the error of its first failing question, or None."""
    while (i := _next(state.queue)) is not None:
        try:
            state.done[i] = state.work(i)
        except OutOfTime:
            raise
        except Exception as err:  # noqa: BLE001 - raised again below, after any earlier question's error
            return i, err
        _collect(state, block=False)
        if state.progress is not None:
            state.progress(len(state.done) + len(state.handed))
    return None


def _collect(state: _Run, block: bool) -> None:
    """Read the records the workers have announced (all of them, to each worker's end, if ``block``; a worker
    stopped, or silent for longer than the run's patience, is ended there)."""
    for w in state.workers:
        while w.open:
            if not (_ready(w.notes) or block and _await(state, w)):
                if block:
                    _give_up(w)
                break
            chunk = os.read(w.notes, 1 << 16)
            w.heard = time.monotonic()
            if not chunk:
                w.open = False
                break
            w.pending += chunk
            _unpack_records(state, w)


def _await(state: _Run, w: _Worker) -> bool:
    """Wait for a worker's next record: True when there is one, False when the worker is stopped (SIGSTOP,
    a debugger) or has been silent past the run's patience."""
    while True:
        wait = _wait(state, w)
        if wait is not None and wait <= 0:
            return False
        if _ready(w.notes, POLL if wait is None else min(wait, POLL)):
            return True
        if _stopped(w):
            return False


def _stopped(w: _Worker) -> bool:
    """Whether a worker is stopped; one that has ended is reaped here (its pipe's end tells the rest)."""
    try:
        pid, status = os.waitpid(w.pid, os.WNOHANG | os.WUNTRACED)
    except ChildProcessError:
        return False
    if pid == 0:
        return False
    if os.WIFSTOPPED(status):
        return True
    w.pid = 0
    return False


def _wait(state: _Run, w: _Worker) -> float | None:
    """How long to wait for a worker's next record: until its patience runs out (None: as long as it takes)."""
    return max(w.heard + state.patience - time.monotonic(), 0) if state.patience else None


def _ready(fd: int, timeout: float | None = 0) -> bool:
    import select
    return bool(select.select([fd], [], [], timeout)[0])


def _give_up(w: _Worker) -> None:
    """End a worker that stopped answering: what it did not hand back is derived by the parent."""
    if w.pid:
        try:
            os.kill(w.pid, signal.SIGKILL)
        except OSError:
            pass
    w.open = False


def _unpack_records(state: _Run, w: _Worker) -> None:
    while len(w.pending) >= RECORD.size:
        i, offset, length = RECORD.unpack_from(w.pending)
        w.pending = w.pending[RECORD.size:]
        data = os.pread(w.file.fileno(), length, offset)
        if len(data) == length:
            state.handed[i] = data
            if state.progress is not None:
                state.progress(len(state.done) + len(state.handed))


def _finish(state: _Run, count: int, failed: tuple[int, BaseException] | None) -> list:
    """Every result in order; what no worker handed back is derived here, in order (so the first failing
    question raises its own error), up to the parent's own failure, which is raised then."""
    upto = failed[0] if failed else count
    handed = sorted(i for i in state.handed if i < upto)
    for i, value in zip(handed, state.unpack([(i, state.handed[i]) for i in handed])):
        if value is not None:
            state.done[i] = value
    for i in range(upto):
        if i not in state.done:
            state.done[i] = state.work(i)
    if failed:
        raise failed[1]
    return [state.done[i] for i in range(count)]


def _end(workers: list) -> None:
    """End and reap every worker still running; close their pipes and files."""
    for w in workers:
        if w.pid:
            try:
                os.kill(w.pid, signal.SIGKILL) if w.open else None
                os.waitpid(w.pid, 0)
            except (ChildProcessError, ProcessLookupError, OSError):
                pass
            w.pid = 0
        if w.notes >= 0:
            os.close(w.notes)
            w.notes = -1
        w.file.close()

"""Questions derived by several processes (derive.parallel): the same document, the same first error."""

from __future__ import annotations

import os
import time

import pytest

from derive import document, formats, parallel, spec as specs
from derive.cli import main
from derive.kinds import KINDS

from conftest import slow_params

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "specs")


@pytest.fixture(autouse=True)
def shared_always(monkeypatch):
    """Workers however few the questions (the command line's threshold is tested on its own)."""
    monkeypatch.setattr(parallel, "MIN_SHARED", 1)


def _pack(i, value) -> bytes:
    return repr(value).encode()


def _unpack(items):
    return [int(data) for _, data in items]


def _pids(count: int, processes: int) -> set[int]:
    """The processes that took part: each question returns the id of the process that derived it."""
    def work(i):
        time.sleep(0.02)
        return os.getpid()
    return set(parallel.run(count, work, _pack, _unpack, processes))


def test_results_in_order_and_shared():
    assert parallel.run(20, lambda i: i * i, _pack, _unpack, 3) == [i * i for i in range(20)]
    assert len(_pids(12, 2)) == 2                               # a worker took part, and handed its results back
    assert _pids(12, 1) == {os.getpid()}


def test_first_failing_question_raises_whoever_derived_it():
    def work(i):
        time.sleep(0.01 if i != 2 else 0.2)                    # 2 is slow: another process reaches 5 first
        if i in (2, 5):
            raise ValueError(f"question {i}")
        return i
    for processes in (1, 2, 3):
        with pytest.raises(ValueError, match="question 2"):
            parallel.run(8, work, _pack, _unpack, processes)


def test_a_worker_that_dies_or_hands_back_nothing_usable():
    def dies(i, value):
        if os.getpid() != parent:
            os._exit(3)                                         # a worker gone without a word
        return repr(value).encode()
    parent = os.getpid()
    assert parallel.run(10, lambda i: -i, dies, _unpack, 2) == [-i for i in range(10)]
    assert parallel.run(10, lambda i: -i, _pack, lambda items: [None] * len(items), 2) == [-i for i in range(10)]


def test_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv("DERIVE_JOBS", "3")
    assert parallel.jobs() == 3
    monkeypatch.setenv("DERIVE_JOBS", "1")
    assert parallel.jobs() == 1
    for junk in ("0", "-2", "many", ""):
        monkeypatch.setenv("DERIVE_JOBS", junk)
        assert 1 <= parallel.jobs() <= parallel.MAX_JOBS


def test_by_default_a_worker_for_each_free_core(monkeypatch):
    """Without DERIVE_JOBS: the cores this process may use, less those the machine kept busy while it started
    (two readings of /proc/stat's clock ticks, the console script's first and one now)."""
    monkeypatch.delenv("DERIVE_JOBS", raising=False)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5}, raising=False)
    readings = {"start": (1000, 6000), "now": None}
    monkeypatch.setattr(parallel.process, "CPU_AT_START", readings["start"])
    monkeypatch.setattr(parallel.process, "cpu_times", lambda: readings["now"])
    readings["now"] = (1000 + 500, 6000 + 600)              # 5 of 6 cores idle: every worker MAX_JOBS allows
    assert parallel.jobs() == parallel.MAX_JOBS
    readings["now"] = (1000 + 0, 6000 + 600)                # no core idle: this process alone
    assert parallel.jobs() == 1
    readings["now"] = (1000 + 100, 6000 + 600)              # one core idle: one worker
    assert parallel.jobs() == 2
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    readings["now"] = (1000 + 500, 6000 + 600)
    assert parallel.jobs() == 1                             # one usable core, however idle the machine


@pytest.mark.parametrize("cores, idle, processes", [
    (2, 1.0, 2), (2, 0.8, 2), (2, 0.75, 2), (2, 0.7, 1), (2, 0.3, 1), (2, 0.0, 1), (2, -1.5, 1),
    (1, 1.0, 1), (4, 2.9, 4), (4, 2.7, 3), (4, 2.74, 3), (4, 3.0, 4), (8, 7.0, 4), (64, 0.5, 1)])
def test_chosen_processes(cores, idle, processes):
    """One process, and one more for each core idle at least three quarters of the time; never more than the
    usable cores or MAX_JOBS."""
    assert parallel.chosen(cores, idle) == processes


def test_idle_cores_from_clock_ticks_or_the_load():
    assert parallel.idle_cores(2, (100, 1000), (190, 1200), 5.0) == pytest.approx(0.9)   # 90 of 200 ticks idle
    assert parallel.idle_cores(4, (100, 1000), (100, 1400), 0.0) == 0.0                  # none idle
    assert parallel.idle_cores(2, (100, 1000), (105, 1010), 0.4) == pytest.approx(0.6)   # too short: the load's
    assert parallel.idle_cores(2, None, (105, 5000), 1.6) == pytest.approx(-0.6)         # no first reading
    assert parallel.idle_cores(3, None, None, None) == 2                                 # no measure at all


def test_cpu_times_read_the_machine():
    """Linux's /proc/stat as /proc/stat says: idle and iowait ticks within the total, growing as time passes."""
    if not os.path.exists("/proc/stat"):
        assert launch_times() is None
        return
    first = launch_times()
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    later = launch_times()
    assert 0 <= first[0] <= first[1] and first[1] <= sum(fields) <= later[1]
    assert first[0] <= fields[3] + fields[4] <= later[0]


def launch_times():
    from derive import process
    return process.cpu_times()


def test_a_few_questions_are_derived_here(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_SHARED", 16)
    assert _pids(15, 4) == {os.getpid()}
    assert len(_pids(16, 2)) == 2


@pytest.mark.parametrize("spec", slow_params(["course50.toml", "rnn.toml", "cnn.toml", "conv1d.toml", None],
                                             ["course50.toml", "rnn.toml"]))
def test_same_document_serial_and_shared(spec):
    problem_set = specs.load(os.path.join(GOLDEN, spec) if spec else None)
    serial = document.solve(problem_set, jobs=1)
    shared = document.solve(problem_set, jobs=3)
    for fmt in ("json", "latex", "beamer", "markdown", "html"):
        assert formats.render(shared, fmt) == formats.render(serial, fmt), fmt
    assert formats.render(shared, "latex", sheet="problems") == formats.render(serial, "latex", sheet="problems")


BAD = """title = "bad"
[[problem]]
kind = "rnn-activation"
W_a = 0.5
[[problem.part]]
activation = "tanh"
ask = ["derivative", "stability"]
[[problem]]
kind = "rnn-activation"
W_a = 3
b = 0
[[problem.part]]
activation = '\\log(z)'
ask = ["derivative", "stability"]
[[problem]]
kind = "rnn-activation"
W_a = 2
[[problem.part]]
activation = '\\sqrt{z}'
ask = ["stability"]
"""


def test_the_serial_error_with_workers(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "bad.toml"
    spec.write_text(BAD)
    messages = []
    for jobs in ("1", "2", "3"):
        monkeypatch.setenv("DERIVE_JOBS", jobs)
        out = tmp_path / f"key{jobs}.tex"
        assert main(["solutions", str(spec), "--no-cache", "-o", str(out)]) == 2
        assert not out.exists()
        messages.append(capsys.readouterr().err)
    assert "problem 2" in messages[0] and "activation" in messages[0]
    assert messages[1] == messages[0] and messages[2] == messages[0]


def test_no_worker_to_be_had_is_no_worker(monkeypatch, tmp_path):
    """A fork, a pipe or a temporary file refused (a process limit, an unwritable TMPDIR): the questions are
    derived in this process, the same."""
    def refuse(*args, **kwargs):
        raise BlockingIOError("no more processes")
    monkeypatch.setattr(os, "fork", refuse)
    assert parallel.run(6, lambda i: i + 1, _pack, _unpack, 2) == [1, 2, 3, 4, 5, 6]
    monkeypatch.undo()
    monkeypatch.setattr(parallel.tempfile, "TemporaryFile", lambda: open(tmp_path / "missing" / "f", "wb"))
    assert parallel.run(6, lambda i: i + 1, _pack, _unpack, 2) == [1, 2, 3, 4, 5, 6]
    monkeypatch.undo()
    monkeypatch.setattr(parallel.os, "pipe", refuse)
    assert parallel.run(6, lambda i: i + 1, _pack, _unpack, 2) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("name", sorted(k.name for k in KINDS.kinds()))
def test_every_kinds_example_the_same_serial_and_shared(name):
    problem_set = specs.loads(KINDS[name].example(), path=f"{name}.toml")
    serial, shared = document.solve(problem_set, jobs=1), document.solve(problem_set, jobs=2)
    for fmt in ("json", "latex"):
        assert formats.render(shared, fmt) == formats.render(serial, fmt), fmt


def test_the_console_script_freezes_its_loaded_heap_and_a_library_caller_does_not(monkeypatch):
    import gc
    from derive import process
    before = gc.get_freeze_count()
    process.settle()                                             # not the console script: nothing happens
    assert gc.get_freeze_count() == before
    monkeypatch.setattr(process, "ONE_SHOT", True)
    try:
        process.settle()
        assert gc.get_freeze_count() > 0
        frozen = gc.get_freeze_count()
        assert parallel.run(4, lambda i: i, _pack, _unpack, 2) == [0, 1, 2, 3]
        assert gc.get_freeze_count() >= frozen                   # a fork keeps the console script's heap frozen
    finally:
        gc.unfreeze()
    assert parallel.run(4, lambda i: i, _pack, _unpack, 2) == [0, 1, 2, 3]
    assert gc.get_freeze_count() == 0                            # and a library caller's heap as it was

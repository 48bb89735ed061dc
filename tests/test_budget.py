"""Each question has its own time budget: one over it is refused by name, the others are answered and written;
a worker that stops answering is ended and its questions derived by the parent."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

import derive
from derive import cli, parallel
from derive.kinds import KINDS
from derive.limits import OutOfTime, question_time_limit, time_limit


SLOW = "1b.ii"         # HW5's second stability question: the part whose activation is written out


@pytest.fixture
def slow_stability(monkeypatch):
    """The rnn-activation kind taking far longer than any budget for 1b.ii (part (b)'s stability question)."""
    kind = KINDS["rnn-activation"]
    solve = kind.solve

    def slow(config, ask):
        if ask == "stability" and "2z" in config.activation:
            time.sleep(60)
        return solve(config, ask)
    monkeypatch.setattr(kind, "solve", slow)


def answers(doc) -> dict:
    return {q.id: q.answer.value for q in doc.questions()}


def test_a_nested_limit_leaves_the_outer_clock_running():
    with time_limit(30, "outer"):
        with time_limit(5, "inner"):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 29 < left <= 30                 # the inner limit's 5 s were not taken off the outer one's 30


def test_the_outer_limit_still_fires_after_an_inner_one():
    started = time.monotonic()
    with pytest.raises(OutOfTime, match="outer took longer than 0.6 s"):
        with time_limit(0.6, "outer"):
            with time_limit(5, "inner"):
                pass
            time.sleep(5)
    assert time.monotonic() - started < 4


def test_the_budget_from_the_environment(monkeypatch):
    assert question_time_limit() == 20
    for given, seconds in [("3.5", 3.5), ("0", 0), ("inf", 0), ("-1", 20), ("soon", 20), ("nan", 20)]:
        monkeypatch.setenv("DERIVE_QUESTION_TIME_LIMIT", given)
        assert question_time_limit() == seconds, given


def test_a_question_over_its_budget_is_refused_and_the_others_answered(hw5_answers, slow_stability):
    started = time.monotonic()
    doc = derive.solve(derive.load(), question_time=1)
    assert time.monotonic() - started < 30
    assert [r.id for r in doc.refused] == [SLOW]
    assert answers(doc) == {qid: value for qid, value in hw5_answers.items() if qid != SLOW}
    refusal = str(doc.refused[0])
    for words in ("hw5.toml", "problem 1", "part (b)", "question 1b.ii", "longer than 1 s", "DERIVE_QUESTION_TIME_LIMIT"):
        assert words in refusal, refusal


def test_the_command_writes_the_others_and_exits_2(tmp_path, hw5_answers, slow_stability, monkeypatch, capsys):
    monkeypatch.setenv("DERIVE_QUESTION_TIME_LIMIT", "1")
    code = cli.main(["solutions", "-f", "json,markdown", "-o", str(tmp_path)])
    err = capsys.readouterr()
    assert code == 2
    assert "question 1b.ii" in err.err and "the other questions are answered and written" in err.err
    assert "Traceback" not in err.err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "hw5-solutions.json" in names and "hw5-solutions.md" in names
    assert "hw5-1a.ii-fig1.svg" in names and not any(n.startswith("hw5-1b.ii") for n in names)
    assert str(tmp_path / "hw5-solutions.json") in err.out                # the paths written are printed
    written = json.loads((tmp_path / "hw5-solutions.json").read_text())
    ids = [q["id"] for q in written["parts"]]
    assert ids == [qid for qid in hw5_answers if qid != SLOW]
    assert "1b.ii" not in (tmp_path / "hw5-solutions.md").read_text()


def test_nothing_is_written_when_every_question_is_refused(tmp_path, slow_stability, monkeypatch, capsys):
    monkeypatch.setenv("DERIVE_QUESTION_TIME_LIMIT", "1")
    code = cli.main(["solutions", "--only", SLOW, "-f", "json", "-o", str(tmp_path / "key.json")])
    assert code == 2
    assert "question 1b.ii" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_worker_over_the_budget_hands_back_its_refusal(hw5_answers, slow_stability, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_SHARED", 2)
    monkeypatch.setattr(parallel, "GRACE", 60.0)       # the worker's own alarm refuses it, not the parent's patience
    with time_limit(50, "the shared run"):
        doc = derive.solve(derive.load(), jobs=3, question_time=1)
    assert [r.id for r in doc.refused] == [SLOW]
    assert answers(doc) == {qid: value for qid, value in hw5_answers.items() if qid != SLOW}
    assert "part (b)" in str(doc.refused[0])


def test_a_stopped_worker_is_ended_and_its_questions_derived_here(monkeypatch):
    monkeypatch.setattr(parallel, "GRACE", 60.0)        # noticed as stopped, long before any patience runs out
    parent = os.getpid()

    def work(i):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGSTOP)      # every worker stops at its first question, holding it
        return i * i

    started = time.monotonic()
    with time_limit(50, "the shared run"):
        out = parallel.run(20, work, lambda i, v: str(v).encode(), lambda handed: [int(d) for _, d in handed],
                           processes=3, patience=20)
    assert out == [i * i for i in range(20)]
    assert time.monotonic() - started < 20


def test_a_worker_silent_past_its_patience_is_ended(monkeypatch):
    monkeypatch.setattr(parallel, "GRACE", 0.5)
    parent = os.getpid()

    def work(i):
        if os.getpid() != parent:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})   # stuck where no alarm reaches it
            time.sleep(120)
        return i + 1

    with time_limit(50, "the shared run"):
        out = parallel.run(20, work, lambda i, v: str(v).encode(), lambda handed: [int(d) for _, d in handed],
                           processes=2, patience=0.5)
    assert out == [i + 1 for i in range(20)]


def test_without_a_budget_a_slow_worker_is_waited_for(monkeypatch):
    monkeypatch.setattr(parallel, "GRACE", 0.1)
    parent = os.getpid()

    def work(i):
        time.sleep(1 if os.getpid() != parent else 0.05)   # the worker far slower than GRACE, but no budget runs out
        return -i

    out = parallel.run(20, work, lambda i, v: str(v).encode(), lambda handed: [("worker", int(d)) for _, d in handed],
                       processes=2)
    assert [v[1] if isinstance(v, tuple) else v for v in out] == [-i for i in range(20)]
    assert any(isinstance(v, tuple) for v in out)     # the worker's answer was waited for, not derived again
